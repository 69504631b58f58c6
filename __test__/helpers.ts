// Shared helpers for the spec files (not a spec itself: jest only runs *.spec.ts).
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';

export const root = path.resolve(__dirname, '..');
export const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const tick = () => new Promise<void>((r) => setImmediate(r));

/** A random short pause (drawn from `random`): a microtask, an immediate, a 0 ms timer or a 1 ms timer. */
export function randomPause(): Promise<void> {
  const p = random();
  if (p < 0.25) return Promise.resolve();
  if (p < 0.6) return tick();
  if (p < 0.95) return sleep(0);
  return sleep(1);
}

/** Lets queued promise callbacks and immediates run a few times. */
export async function settle(rounds = 5) {
  for (let i = 0; i < rounds; i++) await tick();
}

/** Polls `cond` until it holds; throws (instead of hanging) after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 20_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track<T>(p: Promise<T>) {
  const t = { settled: false, fulfilled: false, value: undefined as T | undefined, error: undefined as unknown };
  p.then(
    (v) => {
      t.settled = true;
      t.fulfilled = true;
      t.value = v;
    },
    (e) => {
      t.settled = true;
      t.error = e;
    },
  );
  return t;
}

/** Rejects if `p` does not settle within `ms` (turns a hang into a failure). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms (hang?)`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

/** Starts workers and remembers them so `stopAll` can terminate them. */
export class Workers {
  private list: Worker[] = [];

  start(name: string, workerData?: unknown): Worker {
    return this.track(new Worker(fixture(name), { workerData, ...seededWorkerEnv() }));
  }

  eval(code: string, workerData?: unknown): Worker {
    return this.track(new Worker(code, { eval: true, workerData, ...seededWorkerEnv() }));
  }

  private track(w: Worker): Worker {
    // Some tests crash workers on purpose; outcomes are checked through messages and exit codes.
    w.on('error', () => {});
    // Listened for from the start, so that exitOf sees an exit that happened before it was called.
    exits.set(w, new Promise<number>((r) => w.once('exit', r)));
    this.list.push(w);
    return w;
  }

  async stopAll() {
    await Promise.all(this.list.splice(0).map((w) => w.terminate()));
  }
}

/** The next message from `w`; rejects if it exits first. */
export function nextMessage<T = unknown>(w: Worker, ms = 30_000): Promise<T> {
  return within(
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: T) => {
        w.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number) => {
        w.off('message', onMessage);
        reject(new Error(`worker exited (code ${code}) before sending a message`));
      };
      w.once('message', onMessage);
      w.once('exit', onExit);
    }),
    ms,
    'waiting for a worker message',
  );
}

/** The first message from `w` that satisfies `pred`. */
export function messageWhere<T = unknown>(w: Worker, pred: (m: T) => boolean, ms = 30_000): Promise<T> {
  return within(
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: T) => {
        if (!pred(m)) return;
        cleanup();
        resolve(m);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`worker exited (code ${code}) before sending the expected message`));
      };
      const cleanup = () => {
        w.off('message', onMessage);
        w.off('exit', onExit);
      };
      w.on('message', onMessage);
      w.on('exit', onExit);
    }),
    ms,
    'waiting for a worker message',
  );
}

/** The exit code of each worker started through `Workers`, known from its start. */
const exits = new WeakMap<Worker, Promise<number>>();

/**
 * `w`'s exit code once it has exited, even if it exited before this call: a
 * worker's 'exit' can be handled in the same loop turn as its last message
 * or wake-up, before the code that awaited those calls exitOf (it hung a CI
 * run once). Workers not started through `Workers` are listened to from now.
 */
export function exitOf(w: Worker, ms = 30_000): Promise<number> {
  const exited = exits.get(w) ?? new Promise<number>((r) => w.once('exit', r));
  return within(exited, ms, 'waiting for a worker to exit');
}

/** Runs a test body twice: with the primitive in local mode and in shared mode (its handle taken). */
export type Prep = <T extends { handle: unknown }>(x: T) => T;
export const modes: [string, Prep][] = [
  ['local', (x) => x],
  ['shared', (x) => (void x.handle, x)],
];

/** Deterministic PRNG (mulberry32, in fixtures/random.js so that workers share it). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const seededRandom: (seed: number) => () => number = require('./fixtures/random.js').seededRandom;

function seedFromEnv(): number {
  const text = process.env.TK_SEED;
  if (text === undefined || text === '') return Math.floor(Math.random() * 2 ** 31);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`TK_SEED must be a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * The seed of every random choice in the suite: `TK_SEED=<n> npx jest ...` replays a run. A spec file
 * that draws from `random` prints it after its tests; seeded tests also name it in their failures.
 */
export const seed = seedFromEnv();
process.env.TK_SEED = String(seed); // child processes and fixtures loaded here draw from it too

let workersStarted = 0;

/** Worker options that give the next worker of this test its own stream of the seed (fixtures/random.js). */
export function seededWorkerEnv(): { env: NodeJS.ProcessEnv } {
  return { env: { ...process.env, TK_WORKER_SEED: String((seed + ++workersStarted * 0x9e3779b9) >>> 0) } };
}

let stream = seededRandom(seed);
let drawn = false;

/** A random number in [0, 1) from the suite's seeded stream (see `seed`). */
export function random(): number {
  drawn = true;
  return stream();
}

// Each test starts the stream afresh, so one test replays alone too (`-t`), whatever ran before it.
if (typeof beforeEach === 'function') {
  beforeEach(() => {
    stream = seededRandom(seed);
    workersStarted = 0;
  });
  afterAll(() => {
    if (drawn) console.log(`random choices from seed ${seed} (TK_SEED=${seed} replays them)`);
  });
}
