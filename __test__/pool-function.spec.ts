// A WorkerPool made from a function (issue 15 §3): its source text is the worker's task function.
import { TaskContext, WorkerPool } from '../index';
import { fixture, random } from './helpers';

const helper = fixture('pool/function-helper.js');

const pools: WorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.terminate()));
});
/** `e`'s class, by name: errors from a worker are made in Node's realm, not jest's sandbox, so instanceof would not do. */
function errorClass(e: unknown): string {
  expect(Object.prototype.toString.call(e)).toBe('[object Error]');
  return (e as Error).constructor.name;
}

function pool<D, R>(fn: (data: D, context: TaskContext) => R | PromiseLike<R>, opts?: any): WorkerPool<D, R> {
  const p = new WorkerPool(fn, opts);
  pools.push(p);
  return p;
}

describe('results', () => {
  test('sync, async and plain functions run on worker threads; every task settles once with its own result', async () => {
    // Each task spins a random while, so tasks overlap and finish out of order across real threads.
    const spinning = (d: { n: number; spinUs: number }) => {
      const until = process.hrtime.bigint() + BigInt(d.spinUs * 1000);
      while (process.hrtime.bigint() < until);
      return { sq: d.n * d.n, thread: require('node:worker_threads').threadId };
    };
    const awaiting = async (d: { n: number; waitMs: number }) => {
      await new Promise((r) => setTimeout(r, d.waitMs));
      return d.n + 1;
    };
    const plain = function (this: unknown, d: number[]) {
      return { sum: d.reduce((a, b) => a + b, 0), self: this === undefined };
    };
    const a = pool(spinning, { minWorkers: 3, maxWorkers: 3 });
    const b = pool(awaiting, 2);
    const c = pool(plain, 1);
    const items = Array.from({ length: 60 }, (_, n) => ({ n, spinUs: Math.floor(random() * 300), waitMs: Math.floor(random() * 4) }));
    const [squares, nexts] = await Promise.all([a.map(items), b.map(items)]);
    expect(squares.map((r: { sq: number }) => r.sq)).toEqual(items.map(({ n }) => n * n));
    for (const r of squares) expect(r.thread).not.toBe(require('node:worker_threads').threadId);
    expect(nexts).toEqual(items.map(({ n }) => n + 1));
    await expect(c.execute([1, 2, 3])).resolves.toEqual({ sum: 6, self: true });
    expect(a.getMetrics().tasksCompleted).toBe(items.length);
  });

  test('the function gets the task context, as a script task function does', async () => {
    const p = pool((data: string, ctx: any) => ({ data, taskId: ctx.taskId, hasSignal: ctx.signal instanceof AbortSignal }), 1);
    const r = await p.execute('x');
    expect(r).toEqual({ data: 'x', taskId: expect.any(Number), hasSignal: true });
  });

  test('globals and require() work inside: Math, Buffer, process, TextEncoder, node: modules, packages', async () => {
    const p = pool((path: string) => {
      const os = require('node:os');
      return {
        max: Math.max(3, 7),
        b64: Buffer.from('hi').toString('base64'),
        pid: process.pid,
        bytes: new TextEncoder().encode('é').length,
        eol: os.EOL,
        twice: require(path).twice(21),
        semver: typeof require('typescript').version, // a package, resolved from the current directory
      };
    }, 1);
    await expect(p.execute(helper)).resolves.toEqual({
      max: 7,
      b64: 'aGk=',
      pid: process.pid,
      bytes: 2,
      eol: require('node:os').EOL,
      twice: 42,
      semver: 'string',
    });
  });

  test('workerData reaches the function through node:worker_threads', async () => {
    const p = pool(() => require('node:worker_threads').workerData, { minWorkers: 1, maxWorkers: 1, workerData: { k: 1 } });
    await expect(p.execute(null)).resolves.toEqual({ k: 1 });
  });
});

describe('errors', () => {
  test('a thrown or rejected error keeps its class, message, code and own properties', async () => {
    const p = pool(async (kind: string) => {
      if (kind === 'sync-range') throw Object.assign(new RangeError('bad range'), { code: 'E_RANGE', detail: { at: 3 } });
      await null;
      throw Object.assign(new TypeError('late type'), { code: 'E_TYPE' });
    }, 1);
    const q = pool((n: number) => {
      if (n > 1) throw new SyntaxError(`too big: ${n}`);
      return n;
    }, 1);
    await expect(p.execute('sync-range')).rejects.toMatchObject({ name: 'RangeError', message: 'bad range', code: 'E_RANGE', detail: { at: 3 } });
    const late = await p.execute('late').catch((e) => e);
    expect(errorClass(late)).toBe('TypeError');
    expect(late).toMatchObject({ message: 'late type', code: 'E_TYPE' });
    const big = await q.execute(5).catch((e) => e);
    expect(errorClass(big)).toBe('SyntaxError');
    expect(big.message).toBe('too big: 5');
    await expect(q.execute(1)).resolves.toBe(1);
  });

  test('a variable from outside the function rejects the task with an error that says why, sync or after an await', async () => {
    const factor = 3;
    let count = 0;
    const reads = pool((n: number) => n * factor, 1);
    const writes = pool(() => {
      count = 1; // strict mode: a write throws as a read does, instead of making a global in the worker
      return count;
    }, 1);
    const late = pool(async (n: number) => {
      await new Promise((r) => setTimeout(r, 1));
      return n * factor;
    }, 1);
    for (const [p, name] of [
      [reads, 'factor'],
      [writes, 'count'],
      [late, 'factor'],
    ] as const) {
      const e = await p.execute(2).catch((err) => err);
      expect(errorClass(e)).toBe('ReferenceError');
      expect(e.code).toBe('ERR_THREADKIT_OUTER_VARIABLE');
      expect(e.variable).toBe(name);
      expect(e.message).toBe(
        `a WorkerPool function cannot use variables from outside it (\`${name}\`): it runs from its source text in a worker thread, where \`${name}\` is not defined; pass them in the task's data`,
      );
    }
    expect(count).toBe(0);
    // The worker keeps serving after the error.
    await expect(reads.execute(2).catch((e) => e.code)).resolves.toBe('ERR_THREADKIT_OUTER_VARIABLE');
  });

  test("a ReferenceError from a module the function required is that module's own, and passes unchanged", async () => {
    const p = pool((path: string) => require(path).broken(), 1);
    const e = await p.execute(helper).catch((err) => err);
    expect(errorClass(e)).toBe('ReferenceError');
    expect(e.message).toBe('missingInHelper is not defined');
    expect(e.code).toBeUndefined();
  });

  test('import() inside the function rejects with a TypeError that says to use require()', async () => {
    // Written as text: TypeScript, compiling to CommonJS, would turn import() into its __importStar helper (a variable from outside).
    const withImport = new Function("return async () => (await import('node:os')).EOL")();
    const p = pool(withImport, 1);
    const e = await p.execute(null).catch((err) => err);
    expect(errorClass(e)).toBe('TypeError');
    expect(e).toMatchObject({
      code: 'ERR_THREADKIT_FUNCTION_IMPORT',
      message: 'a WorkerPool function cannot use import(): use require() inside it, or a worker script',
    });
  });

  test("execute()'s name option rejects: a function pool has no named exports", async () => {
    const p = pool((n: number) => n, 1);
    await expect(p.execute(1, { name: 'square' })).rejects.toThrow(
      new TypeError(
        'execute() got name "square", but a WorkerPool made from a function has no named exports: it runs only that function (pass a worker script for named exports)',
      ),
    );
    await expect(p.execute(1)).resolves.toBe(1);
  });
});

describe('functions that cannot run from their source', () => {
  const method = {
    square(x: number) {
      return x * x;
    },
  }.square;
  const asyncMethod = {
    async load(x: number) {
      return x;
    },
  }.load;
  const getter = Object.getOwnPropertyDescriptor(
    {
      get value() {
        return 1;
      },
    },
    'value',
  )!.get!;
  const cases: [string, unknown, string][] = [
    ['a method shorthand', method, 'the source of `square` does not stand alone ('],
    ['an async method shorthand', asyncMethod, 'the source of `load` does not stand alone ('],
    ['a getter', getter, 'the source of `get value` does not stand alone ('],
    ['a bound function', ((x: number) => x).bind(null), 'a WorkerPool task function needs its source text, and `bound` is bound or native'],
    ['a native function', Math.max, 'a WorkerPool task function needs its source text, and `max` is bound or native'],
    ['a class', class Worker {}, 'a WorkerPool task function cannot be a class (`Worker`): pass a function'],
    ['a generator', function* gen() {}, 'a WorkerPool task function cannot be a generator (`gen`)'],
    ['an async generator', async function* agen() {}, 'a WorkerPool task function cannot be a generator (`agen`)'],
  ];
  test.each(cases)('%s is refused with a TypeError at construction', (_, fn, message) => {
    let thrown: any;
    try {
      new WorkerPool(fn as any, 1);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(thrown.message.startsWith(message)).toBe(true);
  });

  test('sloppy-mode-only code is refused for strict mode, not taken for a method shorthand', () => {
    const octal = new Function('return function legacy() { return 010; }')();
    expect(() => new WorkerPool(octal, 1)).toThrow(/^`legacy` is not valid in strict mode, in which a WorkerPool function runs: /);
  });

  test('the method shorthand message says how to write it instead', () => {
    expect(() => new WorkerPool(method as any, 1)).toThrow(/write it as `function f\(x\) \{\}` or an arrow function/);
  });

  test('something that is neither a script nor a function names what it got', () => {
    expect(() => new WorkerPool(42 as any, 1)).toThrow(new TypeError('workerScript must be a file path, a file: URL or a function, got number'));
  });
});

describe('types', () => {
  type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
  const assertType = <T extends true>(_: T) => {};

  test("the pool takes the function's data and result types (ts-jest type-checks this file)", async () => {
    const p = pool(async (n: number, { taskId }) => ({ n, taskId }), 1);
    assertType<Equals<typeof p, WorkerPool<number, { n: number; taskId: number }>>>(true);
    const r = await p.execute(2);
    assertType<Equals<typeof r, { n: number; taskId: number }>>(true);
    expect(r.n).toBe(2);
    // Type-checked, never run.
    void (() => {
      // @ts-expect-error the function takes a number
      void p.execute('two');
    });
  });
});
