// WorkerPool: API, script forms, scheduling, backpressure, abort, transfer, shutdown, metrics
// (bad input and start-up failures: worker-pool-errors.spec.ts).
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WorkerPool, Mutex, AbortError, ClosedError, QueueFullError, DataCloneError, TimeoutError } from '../index';
import { fixture, sleep, until, randomPause, within, random } from './helpers';
import { tasks, shared, poolFactory } from './pool-helpers';

const pool = poolFactory();

describe('the seed API', () => {
  test('new WorkerPool(script, size), execute, terminate', async () => {
    const p = pool(tasks, 2);
    expect(p.size).toBe(2);
    await expect(p.execute(21, { name: 'double' })).resolves.toBe(42);
    await expect(p.execute({ a: [1, 'x', null] })).resolves.toEqual({ a: [1, 'x', null] });
    await expect(p.terminate()).resolves.toBeUndefined();
  });

  test('numbers, strings and other values round-trip exactly (fast paths and structured clone)', async () => {
    const p = pool(tasks, 1);
    const values = [
      0,
      -0,
      1,
      -5,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      1.5,
      NaN,
      Infinity,
      2 ** 53,
      '',
      'héllo ☃',
      'a\ud800b', // a lone surrogate: not UTF-8, but structured clone keeps it
      '\udfff',
      true,
      false,
      null,
      undefined,
      10n,
      new Date(5),
      new Map([[1, { a: 2 }]]),
      new Uint8Array([1, 2]),
    ];
    const back = await p.map(values);
    back.forEach((v, i) => {
      if (typeof values[i] === 'object' && values[i] !== null) expect(v).toEqual(values[i]);
      else expect(Object.is(v, values[i])).toBe(true);
    });
  });

  test('map keeps input order even when later items finish first', async () => {
    const p = pool(tasks, 3);
    const delays = [60, 5, 30, 1, 45, 10];
    await expect(p.map(delays, { name: 'later' })).resolves.toEqual(delays);
  });

  test('tasks really run on other threads, spread over the workers', async () => {
    const p = pool(tasks, 2);
    const ids = await Promise.all(Array.from({ length: 40 }, () => p.execute(undefined, { name: 'threadId' })));
    expect(ids).not.toContain(0);
    await until(() => p.size === 2, 'both workers');
  });
});

describe('worker script forms', () => {
  test('CommonJS module.exports function and named exports', async () => {
    const p = pool(tasks, 1);
    await expect(p.execute('same')).resolves.toBe('same');
    await expect(p.execute(4, { name: 'double' })).resolves.toBe(8);
  });

  test('ESM default export (async) and a named export, from a file: URL', async () => {
    const p = pool(pathToFileURL(fixture('pool/esm-tasks.mjs')), 1);
    await expect(p.execute(7)).resolves.toBe(49);
    await expect(p.execute('ann', { name: 'greet' })).resolves.toBe('hello ann');
  });

  test('an async loaded script (module.exports = load(), export default load()) runs once its Promise resolves', async () => {
    const cjs = pool(fixture('pool/async-loaded.js'), 1);
    await expect(cjs.execute(1)).resolves.toEqual(['cjs', 1]);
    await expect(cjs.execute(4, { name: 'double' })).resolves.toBe(8);
    const esm = pool(fixture('pool/async-loaded.mjs'), 1);
    await expect(esm.execute(2)).resolves.toEqual(['esm', 2]);
    await expect(esm.execute(2, { name: 'plain' })).resolves.toBe(3);
  });

  test('a .js script in a "type": "module" package loads as ESM', async () => {
    const p = pool(fixture('pool/esm-package/tasks.js'), { minWorkers: 1, maxWorkers: 1, workerData: { tag: 'esm-js' } });
    await expect(p.execute(1)).resolves.toBe(2);
    await expect(p.execute(0, { name: 'format' })).resolves.toBe('esm');
    await expect(p.execute(0, { name: 'tag' })).resolves.toBe('esm-js');
  });

  test("an ESM script imports the user's workerData from node:worker_threads", async () => {
    const p = pool(fixture('pool/esm-worker-data.mjs'), { minWorkers: 1, maxWorkers: 1, workerData: { tag: 'via-esm' } });
    await expect(p.execute(0, { name: 'tag' })).resolves.toBe('via-esm');
  });

  test("a CommonJS script that imports node:worker_threads later sees the user's workerData", async () => {
    const p = pool(fixture('pool/module-list.js'), { minWorkers: 1, maxWorkers: 1, workerData: { tag: 'late-import' } });
    await expect(p.execute(0, { name: 'workerDataViaImport' })).resolves.toBe('late-import');
  });

  test("with a preload that imported node:worker_threads first, scripts still see the user's workerData", async () => {
    const execArgv = ['--import', pathToFileURL(fixture('pool/preload-worker-threads.mjs')).href];
    const esm = pool(fixture('pool/esm-worker-data.mjs'), { minWorkers: 1, maxWorkers: 1, workerData: { tag: 'after-preload' }, execArgv });
    await expect(esm.execute(0, { name: 'tag' })).resolves.toBe('after-preload');
    const cjs = pool(fixture('pool/module-list.js'), { minWorkers: 1, maxWorkers: 1, workerData: { tag: 'cjs-after-preload' }, execArgv });
    await expect(cjs.execute(0, { name: 'workerDataViaImport' })).resolves.toBe('cjs-after-preload');
  });

  test('a pool worker running a CommonJS script loads no builtin module that a plain Worker running it does not (memory per worker)', async () => {
    const script = fixture('pool/module-list.js');
    const plain = new Worker(script, { env: { ...process.env, TK_PLAIN_WORKER: '1' } });
    const plainList: string[] = await new Promise((resolve, reject) => {
      plain.once('message', (m) => resolve(JSON.parse(m)));
      plain.once('error', reject);
      plain.postMessage('go');
    });
    await plain.terminate();
    const p = pool(script, 1);
    await p.execute(0);
    // Ask again once the worker has been idle (it has waited for work in between).
    await until(() => p.getMetrics().runningTasks === 0 && p.queueSize === 0, 'the worker to be idle');
    const poolList: string[] = JSON.parse(await p.execute(0));
    expect(poolList.filter((m) => !plainList.includes(m))).toEqual([]);
  });

  test('the seed form (parentPort { taskId, data } messages) runs unchanged', async () => {
    const p = pool(fixture('pool/seed-form.js'), 2);
    await expect(Promise.all([1, 2, 3].map((n) => p.execute(n)))).resolves.toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
    await expect(p.execute({ fail: 'no' })).rejects.toBe('the task failed: no');
  });

  test('a missing named export rejects that task with a clear error', async () => {
    const p = pool(tasks, 1);
    await expect(p.execute(1, { name: 'noSuchExport' })).rejects.toThrow(/no exported function named "noSuchExport"/);
    await expect(p.execute(1)).resolves.toBe(1);
  });

  test('errors keep their class, message and code; async rejections too', async () => {
    const p = pool(tasks, 1);
    const e = await p.execute(0, { name: 'throwTyped' }).catch((x) => x);
    // Errors are rebuilt in the main realm, so compare by name (jest runs tests in a vm context).
    expect(e).toMatchObject({ name: 'RangeError', message: 'bad input for the task', code: 'E_TASK' });
    expect(e.stack).toMatch(/throwTyped/);
    await expect(p.execute(0, { name: 'rejectAsync' })).rejects.toMatchObject({ name: 'TypeError', message: 'async failure' });
  });

  test('a result that cannot be cloned rejects with DataCloneError', async () => {
    const p = pool(tasks, 1);
    await expect(p.execute(0, { name: 'returnFunction' })).rejects.toBeInstanceOf(DataCloneError);
    await expect(p.execute(3)).resolves.toBe(3);
  });

  test("an error of threadkit's own class thrown in the worker keeps its class", async () => {
    const p = pool(tasks, 1);
    const e = await p.execute(0, { name: 'throwThreadkit' }).catch((x) => x);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.code).toBe('ERR_THREADKIT_TIMEOUT');
  });

  test('workerData, env and execArgv reach the worker', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { tag: 'mine' }, env: { TK_TEST_VAR: 'yes' }, execArgv: ['--no-deprecation'] });
    await expect(p.execute(0, { name: 'userWorkerData' })).resolves.toBe('mine');
    await expect(p.execute('TK_TEST_VAR', { name: 'env' })).resolves.toBe('yes');
    await expect(p.execute(0, { name: 'execArgv' })).resolves.toContain('--no-deprecation');
  });

  (process.platform === 'linux' ? test : test.skip)("niceIncrement lowers the workers' scheduling priority, not the main thread's", async () => {
    const os = await import('node:os');
    const mine = os.getPriority();
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, niceIncrement: 3 });
    await expect(p.execute(0, { name: 'nice' })).resolves.toBe(Math.min(19, mine + 3));
    expect(os.getPriority()).toBe(mine);
    expect(() => new WorkerPool(tasks, { niceIncrement: -1 })).toThrow(RangeError);
  });

  test("a TypeScript worker script runs with the README's recipe (execArgv: ['--require', 'tsx/cjs'])", async () => {
    const p = pool(fixture('pool/ts-worker.ts'), { minWorkers: 1, maxWorkers: 2, execArgv: ['--require', 'tsx/cjs'] });
    await expect(
      p.map([
        { n: 3, shape: 'square' },
        { n: 3, shape: 'cube' },
      ]),
    ).resolves.toEqual([9, 27]);
    await expect(p.execute(5, { name: 'describe' })).resolves.toBe('number:5');
  });

  test('execArgv --import runs in every worker before the script (the way a TypeScript loader is given)', async () => {
    const p = pool(tasks, { minWorkers: 2, maxWorkers: 2, execArgv: ['--import', pathToFileURL(fixture('pool/preload.mjs')).href] });
    await expect(p.map([0, 0, 0, 0], { name: 'preloaded' })).resolves.toEqual(['yes', 'yes', 'yes', 'yes']);
  });

  test('a worker uses a threadkit Mutex handed to it in workerData', async () => {
    const mutex = new Mutex();
    const sab = new SharedArrayBuffer(12);
    const view = new Int32Array(sab);
    const p = pool(fixture('pool/locked-increment.js'), { minWorkers: 3, maxWorkers: 3, workerData: { mutex: mutex.handle, sab } });
    const n = 60;
    const runs = Array.from({ length: n }, () => p.execute(Math.floor(random() * 3)));
    // The main thread takes the same lock now and then.
    for (let i = 0; i < 10; i++) {
      await mutex.runExclusive(async () => {
        const inside = Atomics.add(view, 1, 1) + 1;
        if (inside > Atomics.load(view, 2)) Atomics.store(view, 2, inside);
        await randomPause();
        Atomics.sub(view, 1, 1);
      });
    }
    await Promise.all(runs);
    expect(view[0]).toBe(n);
    expect(Atomics.load(view, 2)).toBe(1);
  });
});

describe('scheduling', () => {
  test('lower priority numbers run first, FIFO within a priority', async () => {
    const view = shared(64);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    const blocker = p.execute(63, { name: 'gate' });
    await until(() => p.queueSize === 0 && p.getMetrics().runningTasks === 1, 'the gate task to start');
    const plan: [number, number][] = [
      [1, 5],
      [2, 0],
      [3, 5],
      [4, -1],
      [5, 0],
      [6, -1],
      [7, 10],
    ];
    const runs = plan.map(([id, priority]) => p.execute(id, { name: 'record', priority }));
    expect(p.queueSize).toBe(plan.length);
    Atomics.store(view, 63, 1);
    await Promise.all([blocker, ...runs]);
    const order = Array.from(view.slice(1, 1 + plan.length));
    expect(order).toEqual([4, 6, 2, 5, 1, 3, 7]);
  });

  test('tasks keep being dispatched while the main thread is blocked', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 2, maxWorkers: 2, workerData: { sab: view.buffer } });
    await p.map([1, 2], { name: 'double' }); // both workers are up
    const n = 200;
    const runs = Array.from({ length: n }, () => p.execute(0, { name: 'count' }));
    // Block this thread: no completion is drained, no message handled.
    const giveUp = Date.now() + 30_000;
    while (Atomics.load(view, 0) < n && Date.now() < giveUp);
    expect(Atomics.load(view, 0)).toBe(n);
    await Promise.all(runs);
  });

  test('async task functions overlap their waits with the event loop of their worker', async () => {
    const p = pool(tasks, 1);
    const results = await Promise.all([40, 10, 20].map((ms) => p.execute(ms, { name: 'later' })));
    expect(results).toEqual([40, 10, 20]);
  });

  test('auto-scaling: grows to maxWorkers under a backlog, shrinks to minWorkers when idle', async () => {
    const created: number[] = [];
    const exited: number[] = [];
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 3, idleTimeout: 100 });
    p.on('workerCreate', (w) => created.push(w.threadId));
    p.on('workerExit', (w) => exited.push(w.threadId));
    const runs = Array.from({ length: 30 }, () => p.execute(30, { name: 'later' }));
    await until(() => p.size === 3, 'the pool to grow to 3 workers');
    await Promise.all(runs);
    // size drops when a worker retires; its thread exits a moment later.
    await until(() => p.size === 1 && exited.length === 2, 'idle workers to exit', 20_000);
    expect(created.length).toBe(3); // the first worker, then 2 more
    expect(exited.every((id) => created.includes(id))).toBe(true);
    expect(exited.length).toBe(2);
    await expect(p.execute(5, { name: 'double' })).resolves.toBe(10);
  });
});

describe('events', () => {
  test("a listener attached right after the constructor sees the minWorkers workers' 'workerCreate', each before its 'workerExit'", async () => {
    const p = pool(tasks, { minWorkers: 2, maxWorkers: 2 });
    const events: string[] = [];
    const threadIds: number[] = [];
    p.on('workerCreate', (w) => {
      threadIds.push(w.threadId);
      events.push(`create ${w.slot}`);
    });
    p.on('workerExit', (w) => events.push(`exit ${w.slot}`));
    await p.execute(1);
    await p.terminate();
    expect(events.filter((e) => e.startsWith('create')).sort()).toEqual(['create 0', 'create 1']);
    expect(threadIds.every((id) => id > 0)).toBe(true);
    for (const slot of [0, 1]) expect(events.indexOf(`create ${slot}`)).toBeLessThan(events.indexOf(`exit ${slot}`));
  });
});

describe('backpressure', () => {
  test('a full queue rejects with QueueFullError; waitForRoom and drain tell when there is room', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, maxQueue: 2, workerData: { sab: view.buffer } });
    const gate = p.execute(3, { name: 'gate' });
    await until(() => p.getMetrics().runningTasks === 1, 'the gate task to start');
    const queued = [p.execute(1), p.execute(2)];
    await expect(p.execute(3)).rejects.toBeInstanceOf(QueueFullError);
    let roomed = false;
    const room = p.waitForRoom().then(() => (roomed = true));
    const drained = new Promise<void>((r) => p.once('drain', r));
    await sleep(20);
    expect(roomed).toBe(false);
    Atomics.store(view, 3, 1);
    await Promise.all([gate, ...queued, room, drained]);
    expect(p.queueSize).toBe(0);
    await expect(p.execute(4)).resolves.toBe(4);
  });

  test('waitForRoom and drain hear of a worker taking a task, while no task finishes', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 2, maxQueue: 1, workerData: { sab: view.buffer } });
    const first = p.execute(1, { name: 'gate' });
    await until(() => p.getMetrics().runningTasks === 1, 'the first gate task to start');
    const second = p.execute(2, { name: 'gate' }); // queued: the pool starts a second worker for it
    expect(p.queueSize).toBe(1);
    const drained = new Promise<void>((r) => p.once('drain', r));
    // Both gates block their workers until released: only the second worker's take frees room.
    await within(Promise.all([p.waitForRoom(), drained]), 20_000, 'room after the take');
    expect(p.getMetrics()).toMatchObject({ queueSize: 0, tasksCompleted: 0 });
    Atomics.store(view, 1, 1);
    Atomics.store(view, 2, 1);
    await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
  });

  test('waitForRoom and drain also wake when the queued tasks are lost with crashing workers', async () => {
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, maxQueue: 2 });
    // The worker is still starting: both tasks wait in the queue, which is full.
    const runs = [p.execute(3, { name: 'exit' }), p.execute(4, { name: 'exit' })];
    expect(p.queueSize).toBe(2);
    const drained = new Promise<void>((r) => p.once('drain', r));
    const settled = Promise.allSettled(runs);
    await within(Promise.all([p.waitForRoom(), drained]), 20_000, 'room after the crashes');
    expect((await settled).map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('abort', () => {
  test('an aborted queued task leaves the queue at once', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    const gate = p.execute(3, { name: 'gate' });
    await until(() => p.getMetrics().runningTasks === 1, 'the gate task to start');
    const ac = new AbortController();
    const doomed = p.execute(1, { signal: ac.signal });
    const kept = p.execute(2);
    expect(p.queueSize).toBe(2);
    ac.abort(new Error('changed my mind'));
    await expect(doomed).rejects.toBeInstanceOf(AbortError);
    expect(p.queueSize).toBe(1);
    // Room and 'drain' also follow a queue that empties by aborts.
    const ac2 = new AbortController();
    const p2 = pool(tasks, { minWorkers: 1, maxWorkers: 1, maxQueue: 1, workerData: { sab: view.buffer } });
    const gate2 = p2.execute(2, { name: 'gate' });
    await until(() => p2.getMetrics().runningTasks === 1, 'the second gate task to start');
    const filler = p2.execute(1, { signal: ac2.signal }).catch((e) => e);
    const room = p2.waitForRoom();
    const drained = new Promise<void>((r) => p2.once('drain', r));
    ac2.abort();
    await Promise.all([room, drained]);
    expect(await filler).toBeInstanceOf(AbortError);
    Atomics.store(view, 2, 1);
    await gate2;
    Atomics.store(view, 3, 1);
    await expect(Promise.all([gate, kept])).resolves.toEqual([3, 2]);
  });

  test('an already aborted signal rejects without queueing', async () => {
    const p = pool(tasks, 1);
    await expect(p.execute(1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(p.getMetrics().tasksSubmitted).toBe(0);
  });

  test('a running task gets its signal and can stop by itself; the worker stays', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    let exits = 0;
    p.on('workerExit', () => exits++);
    const ac = new AbortController();
    const run = p.execute(2, { name: 'cooperative', signal: ac.signal });
    await until(() => Atomics.load(view, 2) === 1, 'the task to start');
    ac.abort();
    await expect(run).rejects.toBeInstanceOf(AbortError);
    await until(() => Atomics.load(view, 2) === 2, 'the task to see its signal');
    await expect(p.execute(9)).resolves.toBe(9);
    expect(exits).toBe(0);
  });

  test('a running task that ignores its signal is terminated after the grace period and replaced', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, abortGrace: 50, workerData: { sab: view.buffer } });
    const exited = new Promise((r) => p.once('workerExit', r));
    const ac = new AbortController();
    const run = p.execute(1, { name: 'spin', signal: ac.signal });
    await until(() => Atomics.load(view, 1) > 0, 'the spin to start');
    ac.abort();
    await expect(run).rejects.toBeInstanceOf(AbortError);
    await exited;
    await expect(p.execute(5, { name: 'double' })).resolves.toBe(10);
  });
});

describe('transfer', () => {
  test('transfer moves an ArrayBuffer (the sender loses it) and the worker gets the bytes', async () => {
    const p = pool(tasks, 2);
    const buf = new ArrayBuffer(1 << 20);
    new Uint8Array(buf)[0] = 99;
    await expect(p.execute(buf, { name: 'echoBuffer', transfer: [buf] })).resolves.toEqual({ bytes: 1 << 20, first: 99 });
    expect(buf.byteLength).toBe(0);
    const many = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const b = new ArrayBuffer(100 + i);
        return p.execute(b, { name: 'echoBuffer', transfer: [b] });
      }),
    );
    expect(many.map((r: any) => r.bytes)).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
  });
});

describe('shutdown', () => {
  test('terminate rejects every pending task with ClosedError and always resolves, even with a stuck worker', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    const stuck = p.execute(1, { name: 'spin' });
    const queued = [p.execute(1), p.execute(2)];
    const settled = Promise.allSettled([stuck, ...queued]);
    await until(() => Atomics.load(view, 1) > 0, 'the spin to start');
    await p.terminate();
    for (const r of await settled) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ClosedError);
    }
    await expect(p.execute(1)).rejects.toBeInstanceOf(ClosedError);
    await expect(p.terminate()).resolves.toBeUndefined();
  });

  test('close finishes the queued work, then stops; new work is refused meanwhile', async () => {
    const p = pool(tasks, 2);
    const runs = [30, 10, 20, 5].map((ms) => p.execute(ms, { name: 'later' }));
    const closed = p.close();
    await expect(p.execute(1)).rejects.toBeInstanceOf(ClosedError);
    await expect(Promise.all(runs)).resolves.toEqual([30, 10, 20, 5]);
    await closed;
    expect(p.size).toBe(0);
  });

  test('close({ timeout }) terminates what is still running after the timeout', async () => {
    const view = shared(4);
    const p = pool(tasks, { minWorkers: 1, maxWorkers: 1, workerData: { sab: view.buffer } });
    const stuck = p.execute(1, { name: 'spin' }).catch((e) => e);
    await until(() => Atomics.load(view, 1) > 0, 'the spin to start');
    await p.close({ timeout: 50 });
    expect(await stuck).toBeInstanceOf(ClosedError);
  });

  test('an idle pool does not keep the process alive; a pending task does', () => {
    const r = spawnSync(process.execPath, [fixture('pool/idle-exit.js')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('result 300');
    expect(r.status).toBe(0);
  });
});

describe('metrics', () => {
  test('getMetrics counts tasks and reports percentiles and utilisation', async () => {
    const p = pool(tasks, 2);
    await p.map([5, 10, 15], { name: 'later' });
    await p.execute(0, { name: 'throwTyped' }).catch(() => {});
    const m = p.getMetrics();
    expect(m).toMatchObject({ workers: 2, queueSize: 0, runningTasks: 0, tasksSubmitted: 4, tasksCompleted: 3, tasksFailed: 1 });
    expect(m.runTime.max).toBeGreaterThanOrEqual(10);
    expect(m.runTime.p50).toBeLessThanOrEqual(m.runTime.p90);
    expect(m.runTime.p90).toBeLessThanOrEqual(m.runTime.p99);
    expect(m.runTime.p99).toBeLessThanOrEqual(m.runTime.max);
    expect(m.waitTime.max).toBeGreaterThanOrEqual(0);
    expect(m.utilization).toBeGreaterThan(0);
    expect(m.utilization).toBeLessThanOrEqual(1);
    expect(m.idleWorkers).toBeLessThanOrEqual(2);
  });
});
