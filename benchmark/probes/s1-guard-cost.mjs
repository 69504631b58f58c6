/**
 * Probe for S1 (not part of `npm run bench`): what does it cost to resolve
 * `acquire()` with a guard object instead of a primitive token?
 *
 * Minimal single-thread mutexes, identical except for what acquire()
 * resolves to and how, run interleaved against async-sema (which resolves
 * with a string token) and threadkit's Mutex.
 *
 * What it shows: V8's ResolvePromise fulfils a promise with a primitive
 * directly, but for an object it looks up `then` through the generic
 * GetProperty builtin (src/builtins/promise-resolve.tq, the `Slow` label).
 * `Promise.resolve(obj)` always takes that path. An async function's
 * `return obj` does not have to: when TurboFan knows obj's map and no
 * object on its prototype chain has a `then`, it compiles the return to a
 * plain FulfillPromise (ReduceJSResolvePromise). It knows the map of an
 * `Object.create(proto)` made in the function, but not that of a class
 * instance. threadkit's Permit is made that way (lib/sync/permit.js).
 *
 *   node benchmark/probes/s1-guard-cost.mjs
 */
import { createRequire } from 'node:module';
import { Sema } from 'async-sema';
import { interleaved } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const { Mutex } = require('../../index.js');

class Guard {
  #m;
  constructor(m) {
    this.#m = m;
  }
  release() {
    const m = this.#m;
    if (m === null) return;
    this.#m = null;
    m.release();
  }
}
Object.defineProperty(Guard.prototype, 'then', { value: undefined });

const SHARED = new Guard(null);

/** A mutex reduced to a word and a held flag; `resolveWith` picks acquire()'s value. */
function model(resolveWith) {
  return {
    free: true,
    acquire() {
      if (!this.free) throw new Error('the model is uncontended only');
      this.free = false;
      return Promise.resolve(resolveWith(this));
    },
    release() {
      if (this.free) throw new Error('not held');
      this.free = true;
    },
  };
}

const mUndefined = model(() => undefined);
const mString = model(() => '1');
const mShared = model(() => SHARED);
const mGuard = model((m) => new Guard(m));

// The way lib/sync/permit.js does it: no `then` on the chain, made by Object.create
// inside an async function.
const FAST = Symbol('m');
const fastProto = {
  release() {
    const m = this[FAST];
    if (m === null) return;
    this[FAST] = null;
    m.release();
  },
};
async function fastGuard(m) {
  const g = Object.create(fastProto);
  g[FAST] = m;
  return g;
}
const mFast = {
  free: true,
  acquire() {
    if (!this.free) throw new Error('the model is uncontended only');
    this.free = false;
    return fastGuard(this);
  },
  release() {
    this.free = true;
  },
};
const sema = new Sema(1);
const tk = new Mutex();

// One loop function per implementation, so V8's call-site feedback is not shared.
const impls = [
  {
    name: 'model, resolves undefined',
    run: async (n) => {
      const m = mUndefined;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: "model, resolves '1'",
    run: async (n) => {
      const m = mString;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'model, resolves one shared object',
    run: async (n) => {
      const m = mShared;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'model, resolves a new guard',
    run: async (n) => {
      const m = mGuard;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'model, async fn returns a new guard',
    run: async (n) => {
      const m = mFast;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'async-sema Sema(1)',
    run: async (n) => {
      const s = sema;
      for (let i = 0; i < n; i++) {
        await s.acquire();
        s.release();
      }
      return n;
    },
  },
  {
    name: 'threadkit Mutex',
    run: async (n) => {
      const m = tk;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
];

const res = await interleaved({ impls, rounds: 9, roundMs: 200 });
const sema1 = res.find((r) => r.name.startsWith('async-sema')).median;
for (const r of res) console.log(`${r.name.padEnd(38)} ${(r.median / 1e6).toFixed(2)}M ops/s  ${(r.median / sema1).toFixed(2)}x async-sema`);
