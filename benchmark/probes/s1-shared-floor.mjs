/**
 * Probe for S1's shared-mode row (not part of `npm run bench`): how much of
 * a shared-mode Mutex's uncontended acquire+release is the two Atomics
 * calls on its shared word, and is that a floor?
 *
 * Minimal mutexes built like threadkit's local mode (acquire() returns an
 * async function's new guard, made by Object.create), differing only in
 * where the lock word lives and how it is touched, run interleaved with
 * async-sema and threadkit's Mutex in both modes. Each model has its own
 * function literals, so V8's call-site feedback is not shared between them.
 *
 * - plain field: the word in a JS field (threadkit's local mode, reduced);
 * - Atomics.load x2: the word in a SharedArrayBuffer, read twice with
 *   Atomics.load (not a lock: on x86 an atomic load is a plain mov, so this
 *   is the price of calling the Atomics builtin, without any locked
 *   instruction);
 * - CAS x2: a lock, Atomics.compareExchange to take and to give back (what
 *   shared mode does, without its ledger and guesses);
 * - wasm CAS x2: the same lock through a 1-instruction wasm function
 *   (i32.atomic.rmw.cmpxchg) on a shared WebAssembly.Memory.
 *
 *   node benchmark/probes/s1-shared-floor.mjs [rounds]
 */
import { createRequire } from 'node:module';
import { Sema } from 'async-sema';
import { interleaved } from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const { Mutex } = require('../../index.js');

const M = Symbol('m');
const guardProto = {};

const plain = {
  w: 4,
  acquire() {
    if (this.w !== 4) throw new Error('uncontended only');
    this.w = 0;
    return plainGuard(this);
  },
  release() {
    this.w = 4;
  },
};
async function plainGuard(m) {
  const g = Object.create(guardProto);
  g[M] = m;
  return g;
}

const loadSt = new Int32Array(new SharedArrayBuffer(16));
loadSt[0] = 4;
const loads = {
  acquire() {
    if (Atomics.load(loadSt, 0) !== 4) throw new Error('uncontended only');
    return loadGuard(this);
  },
  release() {
    if (Atomics.load(loadSt, 0) !== 4) throw new Error('changed');
  },
};
async function loadGuard(m) {
  const g = Object.create(guardProto);
  g[M] = m;
  return g;
}

const casSt = new Int32Array(new SharedArrayBuffer(16));
casSt[0] = 4;
const cas = {
  acquire() {
    if (Atomics.compareExchange(casSt, 0, 4, 0) !== 4) throw new Error('uncontended only');
    return casGuard(this);
  },
  release() {
    if (Atomics.compareExchange(casSt, 0, 0, 4) !== 0) throw new Error('not held');
  },
};
async function casGuard(m) {
  const g = Object.create(guardProto);
  g[M] = m;
  return g;
}

// (module (import "m" "mem" (memory 1 1 shared))
//   (func (export "cas") (param i32 i32 i32) (result i32)
//     (i32.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2))))
const wasmBytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x02, 0x0b, 0x01, 0x01, 0x6d, 0x03,
  0x6d, 0x65, 0x6d, 0x02, 0x03, 0x01, 0x01, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x63, 0x61, 0x73, 0x00, 0x00, 0x0a, 0x0e, 0x01, 0x0c,
  0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfe, 0x48, 0x02, 0x00, 0x0b,
]);
const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
const wasmCas = (await WebAssembly.instantiate(wasmBytes, { m: { mem } })).instance.exports.cas;
new Int32Array(mem.buffer)[0] = 4;
const wasm = {
  acquire() {
    if (wasmCas(0, 4, 0) !== 4) throw new Error('uncontended only');
    return wasmGuard(this);
  },
  release() {
    if (wasmCas(0, 0, 4) !== 0) throw new Error('not held');
  },
};
async function wasmGuard(m) {
  const g = Object.create(guardProto);
  g[M] = m;
  return g;
}

const sema = new Sema(1);
const local = new Mutex();
const shared = new Mutex();
void shared.handle;

const impls = [
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
    name: 'model, plain field',
    run: async (n) => {
      const m = plain;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'model, Atomics.load x2',
    run: async (n) => {
      const m = loads;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'model, CAS x2',
    run: async (n) => {
      const m = cas;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'model, wasm CAS x2',
    run: async (n) => {
      const m = wasm;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'threadkit Mutex (local)',
    run: async (n) => {
      const m = local;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
  {
    name: 'threadkit Mutex (shared mode)',
    run: async (n) => {
      const m = shared;
      for (let i = 0; i < n; i++) {
        await m.acquire();
        m.release();
      }
      return n;
    },
  },
];

const rounds = Number(process.argv[2] ?? 9);
const res = await interleaved({ impls, rounds, roundMs: 200, startN: 10_000 });
const base = res[0].samples;
for (const r of res) {
  // Per-round ratios to async-sema (samples of one round are seconds apart), their median and range.
  const ratios = r.samples.map((x, i) => x / base[i]).sort((a, b) => a - b);
  const med = ratios[ratios.length >> 1];
  const range = `${ratios[0].toFixed(2)}–${ratios[ratios.length - 1].toFixed(2)}`;
  console.log(`${r.name.padEnd(30)} ${(1e9 / r.median).toFixed(1).padStart(6)} ns/op  ${med.toFixed(2)}x async-sema (rounds ${range})`);
}
