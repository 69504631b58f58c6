// PromisePool: run async functions with at most N in flight; the rest wait in a queue (lowest priority first).
import { PromisePool, RateLimit } from 'threadkit';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';

if (!isMainThread) {
  // A worker of the last part: 10 tasks through its own pool, under the rate limit shared by handle.
  const pool = new PromisePool(2, { rateLimit: workerData }); // a RateLimit or its handle
  const starts = await Promise.all(Array.from({ length: 10 }, () => pool.add(async () => Date.now())));
  parentPort.postMessage(starts);
  process.exit(0);
}

const pool = new PromisePool(3); // a positive integer, Infinity, or a shared Semaphore
let running = 0;
let most = 0;
const fetchLength = async (word) => {
  most = Math.max(most, ++running);
  await sleep(5); // stands in for I/O
  running--;
  return word.length;
};

const one = await pool.add(() => fetchLength('threadkit')); // resolves with fn's result
const lengths = await pool.map(['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff'], fetchLength); // input order
await pool.onIdle();

console.log(`one: ${one}, lengths: ${lengths.join(' ')}`);
console.log(`at most ${most} ran at once`);

// Priority, pause and events: queue while paused, then the lowest priority starts first.
const order = [];
const paused = new PromisePool(1, { autoStart: false });
paused.on('completed', (word) => order.push(word));
paused.add(async () => 'later', { priority: 1 });
paused.add(async () => 'first', { priority: -1 });
paused.add(async () => 'default'); // priority 0
paused.resume();
await paused.onIdle();
console.log(`by priority: ${order.join(', ')}`);

// A timeout rejects with TimeoutError and aborts the task's signal.
const late = await pool.add((signal) => sleep(1000, null, { signal }), { timeout: 10 }).catch((e) => e.name);
console.log(`slow task: ${late}`);

// At most 2 starts per 20 ms window; mapIterable pulls from an async source with backpressure.
const polite = new PromisePool(4, { interval: 20, intervalCap: 2 });
async function* words() {
  yield* ['x', 'yy', 'zzz', 'wwww'];
}
const streamed = [];
for await (const n of polite.mapIterable(words(), fetchLength)) streamed.push(n);
console.log(`streamed: ${streamed.join(' ')}`);

// wrap: a function that always runs through the pool.
const limitedLength = pool.wrap(fetchLength);
console.log(`wrapped: ${(await Promise.all(['ab', 'abc'].map((w) => limitedLength(w)))).join(' ')}`);

// A rate limit shared across threads: 4 workers together start at most 5 tasks per 50 ms window.
const rate = new RateLimit({ interval: 50, intervalCap: 5 });
const workers = [1, 2, 3, 4].map(() => new Worker(new URL(import.meta.url), { workerData: rate.handle }));
const starts = (await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))).flat();
// 40 starts at 5 per window need 8 windows: the last one starts 7 intervals after the first window opened.
const windows = Math.floor((Math.max(...starts) - rate.origin) / rate.interval) + 1;
console.log(`${starts.length} tasks on 4 threads took at least 8 windows of 50 ms: ${windows >= 8}`);
