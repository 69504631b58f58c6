// Shared helpers for the spec files (not a spec itself: jest only runs *.spec.ts).
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';

export const root = path.resolve(__dirname, '..');
export const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const tick = () => new Promise<void>((r) => setImmediate(r));

/** A random short pause: a microtask, an immediate, a 0 ms timer or a 1 ms timer. */
export function randomPause(): Promise<void> {
  const p = Math.random();
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
    const w = new Worker(fixture(name), { workerData });
    // Some tests crash workers on purpose; outcomes are checked through messages and exit codes.
    w.on('error', () => {});
    this.list.push(w);
    return w;
  }

  eval(code: string, workerData?: unknown): Worker {
    const w = new Worker(code, { eval: true, workerData });
    w.on('error', () => {});
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

export function exitOf(w: Worker, ms = 30_000): Promise<number> {
  return within(new Promise<number>((r) => w.once('exit', r)), ms, 'waiting for a worker to exit');
}

/** Runs a test body twice: with the primitive in local mode and in shared mode (its handle taken). */
export type Prep = <T extends { handle: unknown }>(x: T) => T;
export const modes: [string, Prep][] = [
  ['local', (x) => x],
  ['shared', (x) => (void x.handle, x)],
];

/** Deterministic PRNG (mulberry32): tests print their seed, so a failing run can be replayed. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
