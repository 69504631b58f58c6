/**
 * Probe for S3's "forced gc" row (not part of `npm run bench`): how does a
 * cross-thread Mutex hand-off fare right after a full garbage collection?
 *
 * The S3 ping-pong (three Mutexes rotating between main and one worker, the
 * bench's own worker script) runs in windows of 8000 round trips, every
 * other window right after two forced full collections, as the bench's gc
 * pass does. Each line prints the window's mean and its means per 1000
 * round trips, so a slow start shows up as such.
 *
 *   node benchmark/probes/s3-after-gc.mjs
 *   node --single-threaded-gc benchmark/probes/s3-after-gc.mjs   # V8's GC without helper threads
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const { Mutex } = require('../../index.js');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const WINDOW = 8000;
const CHUNK = 1000;
const WINDOWS = 12;

const locks = [new Mutex(), new Mutex(), new Mutex()];
const counter = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(fileURLToPath(new URL('../workers/pingpong-threadkit.cjs', import.meta.url)), {
  workerData: { handles: locks.map((l) => l.handle), counter: counter.buffer },
});
const inbox = [];
let waiting = null;
worker.on('message', (m) => {
  if (waiting) {
    const resolve = waiting;
    waiting = null;
    resolve(m);
  } else inbox.push(m);
});
const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => (waiting = resolve)));

/** One window of n round trips: the µs per round trip of each CHUNK of them. */
async function window(n) {
  await locks[0].acquire();
  await locks[1].acquire();
  Atomics.store(counter, 0, 0);
  worker.postMessage({ n });
  if ((await next()).type !== 'ready') throw new Error('the worker did not get ready');
  let old = 0;
  let cur = 1;
  const marks = [];
  for (let i = 0; i < n; i++) {
    if (i % CHUNK === 0) marks.push(performance.now());
    Atomics.store(counter, 0, 2 * i + 1);
    const target = 3 - old - cur;
    const p = locks[target].acquire();
    locks[old].release();
    old = cur;
    cur = target;
    await p;
  }
  marks.push(performance.now());
  locks[old].release();
  locks[cur].release();
  const done = await next();
  if (done.type !== 'done' || done.bad !== 0) throw new Error(`the worker reported ${JSON.stringify(done)}`);
  return marks.slice(1).map((t, k) => ((t - marks[k]) * 1000) / CHUNK);
}

if ((await next()).type !== 'started') throw new Error('the worker did not start');
console.log(`S3 hand-off, ${WINDOW} round trips per window; per ${CHUNK}: µs per round trip`);
for (let w = 0; w < WINDOWS; w++) {
  const afterGc = w % 2 === 1;
  if (afterGc) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  const chunks = await window(WINDOW);
  const mean = chunks.reduce((a, b) => a + b, 0) / chunks.length;
  console.log(`${afterGc ? 'after gc' : 'no gc   '} ${mean.toFixed(1).padStart(5)} µs | ${chunks.map((c) => c.toFixed(1)).join(' ')}`);
}
await worker.terminate();
