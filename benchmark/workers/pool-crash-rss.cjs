'use strict';
// Child process for the pool suite's M2 row: the RSS a process keeps after
// workers crash, for threadkit's WorkerPool or for plain worker_threads
// Workers crashing the same way (one side per process: run in one process,
// the side measured second reuses the memory the allocator kept from the
// first, and both figures come out near zero or negative).
//
//   node --expose-gc --max-semi-space-size=1 pool-crash-rss.cjs <threadkit|plain> <cycles>
//
// Both sides run W lanes; a lane's cycle is one task that crashes its worker
// (crash-task.cjs), awaited, so the pool restarts a worker per cycle and the
// plain side starts a new Worker per cycle. Both hold W live workers when
// measured: the pool's own (restarted ones at the end), and W idle plain
// Workers (replaced by fresh ones at the end). The base is taken once the W
// workers have each answered a task and things have settled (collected, and
// quiet for longer than the pool's trim delay); so is the end. Prints one
// JSON line: the growth in bytes of RSS, of anonymous memory (RSS that is
// not code or files paged in), and of the main thread's V8 heap.
const path = require('node:path');
const v8 = require('node:v8');
const { Worker } = require('node:worker_threads');
const { WorkerPool } = require('../../index.js');

const [side, cyclesArg] = process.argv.slice(2);
const CYCLES = Number(cyclesArg);
const W = 2;
const TASK = path.join(__dirname, 'crash-task.cjs');
const PLAIN = path.join(__dirname, 'crash-plain.cjs');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function settle() {
  for (let i = 0; i < 6; i++) {
    await sleep(250);
    global.gc();
  }
}

function snapshot() {
  const rollup = require('node:fs').readFileSync('/proc/self/smaps_rollup', 'utf8');
  const anon = /^Anonymous:\s+(\d+)/m.exec(rollup);
  return {
    rss: process.memoryUsage().rss,
    anon: anon ? Number(anon[1]) * 1024 : NaN,
    v8Heap: v8.getHeapStatistics().total_physical_size,
  };
}

async function lanes(cycles, one) {
  let next = 0;
  await Promise.all(
    Array.from({ length: W }, async () => {
      while (next < cycles) await one(next++);
    }),
  );
}

const pool = side === 'threadkit' ? new WorkerPool(TASK, { minWorkers: W, maxWorkers: W }) : null;
pool?.on('error', () => {});
let poolCrashes = 0;
function threadkitCycle(i) {
  return pool.execute(i).then(
    () => {
      throw new Error('a crash task returned');
    },
    (e) => {
      if (e.name !== 'WorkerCrashedError') throw e;
      poolCrashes++;
    },
  );
}

function startPlain() {
  const w = new Worker(PLAIN);
  w.on('error', () => {});
  return w;
}
let idle = [];
let plainCrashes = 0;
async function plainCycle(i) {
  const w = startPlain();
  const exited = new Promise((r) => w.once('exit', r));
  w.postMessage(i);
  const code = await exited;
  if (code === 0) throw new Error('a plain worker exited cleanly');
  plainCrashes++;
}
/** W fresh idle plain Workers that have answered one task, like the pool's restarted ones. */
async function freshIdle() {
  await Promise.all(idle.map((w) => w.terminate()));
  idle = Array.from({ length: W }, startPlain);
  await Promise.all(idle.map((w) => new Promise((r) => (w.once('message', r), w.postMessage('ok')))));
}

const phases = {
  threadkit: async (n) => {
    await lanes(n, threadkitCycle);
    await pool.execute('ok'); // a restarted worker is up again
  },
  plain: async (n) => {
    await lanes(n, plainCycle);
    await freshIdle();
  },
};

async function main() {
  if (side !== 'threadkit' && side !== 'plain') throw new Error(`side must be threadkit or plain, got ${side}`);
  if (!Number.isInteger(CYCLES) || CYCLES < 1) throw new Error(`cycles must be a positive integer, got ${cyclesArg}`);
  if (side === 'threadkit') await Promise.all(Array.from({ length: W }, () => pool.execute('ok')));
  else await freshIdle();
  await settle();
  const before = snapshot();
  await phases[side](CYCLES);
  await settle();
  const after = snapshot();
  const crashes = side === 'threadkit' ? poolCrashes : plainCrashes;
  if (crashes !== CYCLES) throw new Error(`expected ${CYCLES} crashes, got ${crashes}`);
  process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]])))}\n`);
  await pool?.terminate();
  await Promise.all(idle.map((w) => w.terminate()));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
