/**
 * L1 leak check, run by suites/sync.mjs in a child process of its own:
 *
 *   node --expose-gc --min-semi-space-size=16 --max-semi-space-size=16 \
 *        benchmark/workers/leak-child.mjs local|shared CYCLES
 *
 * A fresh process keeps earlier cases' garbage and heap sizing out of the
 * figure. The young generation is pinned at its largest size because V8
 * otherwise grows it in steps (heapTotal 10 -> 22 -> 38 MB) whenever the
 * allocation rate is high; that alone moved RSS by 10-25 MB with a flat
 * heapUsed, which is V8 sizing, not a leak.
 *
 * Prints one JSON line on stdout: the counts and memoryUsage() at three marks.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Mutex, TimeoutError, AbortError } = require('../../index.js');

const mode = process.argv[2];
const cycles = Number(process.argv[3] ?? 1_000_000);
if (mode !== 'local' && mode !== 'shared') throw new Error('usage: leak-child.mjs local|shared [cycles]');
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

async function fullGc() {
  globalThis.gc();
  await new Promise((r) => setImmediate(r));
  globalThis.gc();
}

/**
 * `cycles` acquire/release cycles on `m`: mostly uncontended (alternating
 * the method form and the guard form), every 100th step a burst of 10
 * contending tasks, every 1000th step a timed-out and an aborted acquire.
 * Returns the counts, which are checked.
 */
async function leakMix(m, cycles) {
  let done = 0;
  let contended = 0;
  let timeouts = 0;
  let aborts = 0;
  const burst = async () => {
    const g = await m.acquire();
    await null;
    g.release();
  };
  for (let step = 0; done < cycles; step++) {
    if (step % 1000 === 999) {
      const g = await m.acquire();
      try {
        await m.acquire({ timeout: 1 });
        throw new Error('an acquire with a timeout succeeded while the lock was held');
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        timeouts++;
      }
      const ac = new AbortController();
      const p = m.acquire({ signal: ac.signal });
      ac.abort();
      try {
        await p;
        throw new Error('an aborted acquire succeeded');
      } catch (e) {
        if (!(e instanceof AbortError)) throw e;
        aborts++;
      }
      g.release();
      done++;
    } else if (step % 100 === 99) {
      const all = [];
      for (let k = 0; k < 10; k++) all.push(burst());
      await Promise.all(all);
      contended += 10;
      done += 10;
    } else if (step & 1) {
      await m.acquire();
      m.release();
      done++;
    } else {
      const g = await m.acquire();
      g.release();
      done++;
    }
  }
  if (m.isLocked() || m.waiting !== 0) throw new Error(`after the mix the Mutex is locked=${m.isLocked()} with ${m.waiting} waiting`);
  return { done, contended, timeouts, aborts };
}

const m = new Mutex();
if (mode === 'shared') void m.handle; // shared (cross-thread) mode: slow paths go through native code

await leakMix(m, 200_000); // warm-up: JIT, lazily grown tables
await fullGc();
const mem0 = process.memoryUsage();
const t0 = performance.now();
const a = await leakMix(m, cycles / 2);
await fullGc();
const mem1 = process.memoryUsage();
const b = await leakMix(m, cycles / 2);
const ms = performance.now() - t0;
await fullGc();
const mem2 = process.memoryUsage();

const sum = (k) => a[k] + b[k];
process.stdout.write(
  `${JSON.stringify({ mode, ms, done: sum('done'), contended: sum('contended'), timeouts: sum('timeouts'), aborts: sum('aborts'), mem: [mem0, mem1, mem2] })}\n`,
);
