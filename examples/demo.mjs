#!/usr/bin/env node
/**
 * threadkit demo (`npm run demo`): count the primes below 8 million, once on
 * the main thread and once through a WorkerPool, while a 1 ms timer
 * measures how long the event loop is held up. Prints a progress bar, then a
 * summary table.
 *
 * Options: --limit=N (default 8000000), --chunks=N (default 64), --workers=N
 * (default: the CPUs this process may use).
 */
import { createRequire } from 'node:module';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { arg, bar, chunksBelow, measured } from './demo-kit.mjs';

const require = createRequire(import.meta.url);
const { WorkerPool } = require('../index.js');
const countPrimes = require('./primes.cjs');

const LIMIT = arg('limit', 8_000_000);
const CHUNKS = arg('chunks', 64);
const WORKERS = arg('workers', os.availableParallelism());
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'primes.cjs');

const chunks = chunksBelow(LIMIT, CHUNKS);

async function inline() {
  let total = 0;
  for (let i = 0; i < chunks.length; i++) {
    total += countPrimes(chunks[i]);
    bar('inline (main thread)', i + 1, chunks.length);
    await yieldToLoop(); // let the timer see the loop between chunks
  }
  return total;
}

async function pooled(pool) {
  let done = 0;
  const counts = await Promise.all(
    chunks.map((c) =>
      pool.execute(c).then((n) => {
        bar(`WorkerPool (${WORKERS} workers)`, ++done, chunks.length);
        return n;
      }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

console.log(`threadkit demo: primes below ${LIMIT.toLocaleString('en')} in ${CHUNKS} chunks, on ${os.availableParallelism()} CPUs\n`);
const pool = new WorkerPool(script, WORKERS);
await pool.map(chunks.slice(0, WORKERS).map(() => ({ from: 0, to: 1000 }))); // start the workers first: not part of the race

const a = await measured(inline);
const b = await measured(() => pooled(pool));
await pool.close();
if (a.result !== b.result) throw new Error(`results differ: inline ${a.result}, pool ${b.result}`);

const ms = (x) => `${x.toFixed(1)} ms`;
const rows = [
  ['', 'wall time', 'speed-up', 'event-loop max gap', 'event-loop p99'],
  ['inline (main thread)', ms(a.wall), '1.00×', ms(a.maxGap), ms(a.p99)],
  [`WorkerPool (${WORKERS} workers)`, ms(b.wall), `${(a.wall / b.wall).toFixed(2)}×`, ms(b.maxGap), ms(b.p99)],
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(`\n${a.result.toLocaleString('en')} primes found by both.\n`);
for (const [i, r] of rows.entries()) {
  console.log(`| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`);
  if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
}
console.log('\nThe event-loop columns are what a server would feel: inline, every chunk holds the loop;');
console.log('with the pool the loop stays free while the workers compute.');
