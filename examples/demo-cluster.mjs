#!/usr/bin/env node
/**
 * threadkit cluster demo (`npm run demo:cluster`): the prime count of `npm run demo`, scaled out through
 * BullMQ on Redis. It starts a local redis-server and consumer processes (cluster-consumer.mjs: a
 * WorkerPool on the same primes.cjs, served with `serve`), then this process, the producer, submits
 * the chunks through `RemotePool`: first with one consumer, then with two. Each consumer stands in for a
 * machine; here they share this one, so each gets half of its CPUs by default. Prints a progress bar
 * (plain lines when stdout is not a terminal), then a table: jobs/s with one and with two consumers, the
 * producer's event-loop max gap, and where each job ran. Consumers and redis-server are stopped on exit
 * and on Ctrl-C (SIGINT) or SIGTERM.
 *
 * Needs redis-server on PATH (`apt-get install redis-server` / `brew install redis`).
 *
 * Options: --limit=N (default 8000000), --chunks=N (default 64), --workers=N (each consumer's pool size;
 * default: half the CPUs this process may use, at least 1).
 */
import { createRequire } from 'node:module';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { arg, bar, chunksBelow, measured } from './demo-kit.mjs';

const require = createRequire(import.meta.url);
const { RemotePool } = require('threadkit/bullmq');
const { startRedis } = require('../scripts/redis-server.cjs');

const LIMIT = arg('limit', 8_000_000);
const CHUNKS = arg('chunks', 64);
const WORKERS = arg('workers', Math.max(1, Math.floor(os.availableParallelism() / 2)));
const QUEUE = 'primes';
const consumerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cluster-consumer.mjs');

const chunks = chunksBelow(LIMIT, CHUNKS);

// ------------------------------------------------------------------ processes, and their clean-up

let redis = null;
let remote = null;
const consumers = [];

async function startConsumer() {
  const child = fork(consumerScript, [JSON.stringify({ queue: QUEUE, connection: redis.connection, workers: WORKERS })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const [ready] = await Promise.race([
    once(child, 'message'),
    exited.then(([code, signal]) => {
      throw new Error(`a consumer exited before it was ready (code ${code}, signal ${signal})`);
    }),
  ]);
  const consumer = {
    pid: ready.pid,
    async completed() {
      child.send({ type: 'count' });
      const [m] = await once(child, 'message');
      return m.completed;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  consumers.push(consumer);
  return consumer;
}

let cleaning = null;
let interrupted = false;
function cleanUp() {
  cleaning ??= (async () => {
    await remote?.close().catch(() => {});
    await Promise.all(consumers.map((c) => c.stop()));
    await redis?.stop();
  })();
  return cleaning;
}
// Ctrl-C (or a kill): stop everything, then exit with the code of a process killed by that signal.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.once(signal, () => {
    interrupted = true;
    process.stdout.write(`\n${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: stopping the consumers and redis-server\n`);
    const force = setTimeout(() => process.exit(code), 8000);
    force.unref();
    cleanUp().finally(() => process.exit(code));
  });
}
// Whatever else ends this process: no consumer left behind (redis-server is killed by scripts/redis-server.cjs).
process.on('exit', () => consumers.forEach((c) => c.kill()));

// ------------------------------------------------------------------ the race

/** Every chunk through the RemotePool; returns the total count and the jobs each consumer ran meanwhile. */
async function run(label) {
  const before = await Promise.all(consumers.map((c) => c.completed()));
  let done = 0;
  const m = await measured(async () => {
    const counts = await Promise.all(
      chunks.map((c) =>
        remote.execute(c).then((n) => {
          bar(label, ++done, chunks.length, 4);
          return n;
        }),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  });
  const after = await Promise.all(consumers.map((c) => c.completed()));
  m.ran = new Map(consumers.map((c, i) => [c.pid, after[i] - before[i]]));
  return m;
}

async function main() {
  console.log(
    `threadkit cluster demo: primes below ${LIMIT.toLocaleString('en')} in ${CHUNKS} jobs through BullMQ, ` +
      `consumers of ${WORKERS} worker${WORKERS === 1 ? '' : 's'} each, on ${os.availableParallelism()} CPUs\n`,
  );
  redis = await startRedis();
  console.log(`redis-server on ${redis.host}:${redis.port} (pid ${redis.pid})`);
  remote = new RemotePool(QUEUE, { connection: redis.connection });
  const first = await startConsumer();
  console.log(`consumer 1: pid ${first.pid}`);
  await remote.execute({ from: 0, to: 1000 }); // connections up and code paths compiled: not part of the race

  const one = await run('1 consumer');
  const second = await startConsumer();
  console.log(`consumer 2: pid ${second.pid}`);
  const two = await run('2 consumers');
  await cleanUp();
  if (one.result !== two.result) throw new Error(`results differ: one consumer ${one.result}, two consumers ${two.result}`);

  const ms = (x) => `${x.toFixed(1)} ms`;
  const jobsPerS = (r) => (CHUNKS / r.wall) * 1000;
  printTable([
    ['', 'workers', 'wall time', 'jobs/s', 'speed-up', 'producer event-loop max gap', 'p99'],
    ['1 consumer', String(WORKERS), ms(one.wall), jobsPerS(one).toFixed(1), '1.00×', ms(one.maxGap), ms(one.p99)],
    ['2 consumers', String(2 * WORKERS), ms(two.wall), jobsPerS(two).toFixed(1), `${(one.wall / two.wall).toFixed(2)}×`, ms(two.maxGap), ms(two.p99)],
  ]);
  console.log(`\n${one.result.toLocaleString('en')} primes found in both runs. Where each job ran:\n`);
  printTable([
    ['consumer', 'jobs with 1 consumer', 'jobs with 2 consumers'],
    ...consumers.map((c, i) => [`${i + 1} (pid ${c.pid})`, String(one.ran.get(c.pid) ?? 0), String(two.ran.get(c.pid))]),
  ]);
  console.log('\nThe producer only sends and receives: its event loop stays free while the consumers compute.');
  console.log('Here the consumers share one machine; on a cluster each runs on its own, with all its CPUs.');
}

function printTable(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  for (const [i, r] of rows.entries()) {
    console.log(`| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`);
    if (i === 0) console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  }
}

main().then(
  () => process.exit(0),
  async (err) => {
    if (interrupted) return; // the pending jobs were closed by the signal handler, which exits
    console.error(`demo:cluster failed: ${err?.stack ?? err}`);
    await cleanUp().catch(() => {});
    process.exit(1);
  },
);
