// Shared set-up of the WorkerPool specs.
import { WorkerPool } from '../index';
import { fixture } from './helpers';

/** The task functions of fixtures/pool/tasks.js. */
export const tasks = fixture('pool/tasks.js');

/** An Int32Array over a new SharedArrayBuffer of `ints` elements. */
export const shared = (ints: number) => new Int32Array(new SharedArrayBuffer(ints * 4));

/** Creates pools that are terminated after each test of the calling spec file. */
export function poolFactory() {
  const pools: WorkerPool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.terminate()));
  });
  return (script: string | URL, opts?: any): WorkerPool => {
    const p = new WorkerPool(script, opts);
    pools.push(p);
    return p;
  };
}

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

/** Waits (blocking this thread, no event loop) until `view[i]` stops changing for `quietMs`. */
export function blockUntilStill(view: Int32Array, i: number, quietMs: number, giveUpMs: number): boolean {
  const giveUp = Date.now() + giveUpMs;
  let last = Atomics.load(view, i);
  let since = Date.now();
  while (Date.now() < giveUp) {
    const now = Atomics.load(view, i);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return true;
    }
  }
  return false;
}
