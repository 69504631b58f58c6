// Type tests for the PromisePool typings (checked by `npx tsc -p __test__/tsconfig.json --noEmit`;
// jest does not run this file). Each `@ts-expect-error` line must fail to compile.
import { PromisePool, PoolClearedError, Semaphore, ThreadkitError } from '../index';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T>(_: T) => {};
const assert = <T extends true>() => {};

declare const sem: Semaphore;
const pool = new PromisePool(10);
new PromisePool(Infinity);
new PromisePool(sem);
new PromisePool(sem.handle);
new PromisePool({ limit: sem.handle, concurrency: 4 });
new PromisePool({ limit: sem });
new PromisePool({ concurrency: 2 });
// @ts-expect-error a string is not a concurrency
new PromisePool('10');
// @ts-expect-error no such option
new PromisePool({ concurency: 2 });
// @ts-expect-error a Mutex handle is not a Semaphore handle
new PromisePool({ limit: { __threadkit: 'Mutex', id: 1, max: 1, state: new SharedArrayBuffer(4) } as const });

async function checks() {
  const a = pool.add(async () => 42);
  assert<Equal<typeof a, Promise<number>>>();
  const b = pool.add(() => 'sync');
  assert<Equal<typeof b, Promise<string>>>();
  const c = pool.add(
    async (signal) => {
      expectType<AbortSignal | undefined>(signal);
      return [1, 2];
    },
    { signal: AbortSignal.timeout(10) },
  );
  assert<Equal<typeof c, Promise<number[]>>>();
  // @ts-expect-error not a function
  pool.add(42);
  // @ts-expect-error retries is not a task option
  pool.add(async () => 1, { retries: 5 });
  pool.add(async () => 1, { timeout: 5, priority: -1 });
  const w = pool.wrap((a: number, b: string) => a + b.length);
  assert<Equal<typeof w, (a: number, b: string) => Promise<number>>>();
  const it = pool.mapIterable(
    (async function* () {
      yield 1;
    })(),
    async (x) => String(x),
    { ordered: false },
  );
  assert<Equal<typeof it, AsyncIterableIterator<string>>>();
  pool.on('completed', (result) => expectType<unknown>(result));
  const paused = new PromisePool(2, { interval: 10, intervalCap: 1, autoStart: false, timeout: 100 });
  expectType<boolean>(paused.isPaused);

  const m = pool.map(
    ['a', 'b'],
    async (item, index, signal) => {
      expectType<string>(item);
      expectType<number>(index);
      expectType<AbortSignal>(signal);
      return item.length;
    },
    { stopOnError: false, concurrency: 2, signal: AbortSignal.timeout(100) },
  );
  assert<Equal<typeof m, Promise<number[]>>>();
  const fromSet = pool.map(new Set([1n, 2n]), (x) => x * 2n);
  assert<Equal<typeof fromSet, Promise<bigint[]>>>();
  // @ts-expect-error not iterable
  pool.map(5, (x: number) => x);
  // @ts-expect-error stopOnError is a boolean
  pool.map([1], (x) => x, { stopOnError: 'yes' });

  expectType<number>(pool.activeCount);
  expectType<number>(pool.pendingCount);
  expectType<Semaphore | null>(pool.limit);
  pool.concurrency = 3;
  expectType<number>(pool.concurrency);
  // @ts-expect-error read-only
  pool.activeCount = 1;
  expectType<Promise<void>>(pool.onIdle());
  expectType<void>(pool.clear());

  const e: unknown = new Error();
  if (e instanceof PoolClearedError) {
    expectType<ThreadkitError>(e);
    expectType<'ERR_THREADKIT_POOL_CLEARED'>(e.code);
  }
}
void checks;
