/**
 * Probe for Q1 (not part of `npm run bench`): how many bytes does a task
 * that waits keep alive, in PromisePool and in p-limit, and how many does
 * `Promise.all` add on top?
 *
 * Adds 50k tasks to a pool of 10 (after a warm-up, so that nothing from a
 * first use is counted), takes a heap snapshot, and sums the objects of
 * every type that has at least one object per two tasks. Q1's time is
 * mostly scavenges, which copy exactly these objects.
 *
 *   node benchmark/probes/q1-retained-bytes.mjs
 */
import { createRequire } from 'node:module';
import { readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import pLimit from 'p-limit';

const require = createRequire(import.meta.url);
const { PromisePool } = require('../../index.js');

const N = 50_000;

/** Bytes per task of the object types with at least N/2 objects, and the largest of them. */
function perTask() {
  const file = writeHeapSnapshot(join(tmpdir(), `q1-probe-${process.pid}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  unlinkSync(file);
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [type, name, size] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const byKind = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const kind = `${types[snap.nodes[i + type]]} ${snap.strings[snap.nodes[i + name]].slice(0, 30) || '(anonymous)'}`;
    const e = byKind.get(kind) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += snap.nodes[i + size];
    byKind.set(kind, e);
  }
  const many = [...byKind].filter(([, e]) => e.count >= N / 2).sort((a, b) => b[1].bytes - a[1].bytes);
  const total = many.reduce((sum, [, e]) => sum + e.bytes, 0) / N;
  return { total, kinds: many.map(([k, e]) => `${k} ${e.count} x ${Math.round(e.bytes / e.count)} B`) };
}

async function measure(name, submit) {
  let calls = 0;
  const task = async () => ++calls;
  await Promise.all(Array.from({ length: 100 }, () => submit(task))); // warm-up
  await new Promise((r) => setImmediate(r));
  const ps = new Array(N);
  for (let i = 0; i < N; i++) ps[i] = submit(task);
  const waiting = perTask();
  const all = Promise.all(ps);
  const withAll = perTask();
  await all;
  console.log(`${name}: ${waiting.total.toFixed(0)} B per waiting task; ${withAll.total.toFixed(0)} B with Promise.all`);
  for (const k of withAll.kinds) console.log(`    ${k}`);
}

const pool = new PromisePool(10);
await measure('threadkit PromisePool add', (fn) => pool.add(fn));
const limit = pLimit(10);
await measure('p-limit', (fn) => limit(fn));
