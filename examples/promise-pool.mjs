// PromisePool: run async functions with at most N in flight; the rest wait in a queue (lowest priority first).
import { PromisePool } from 'threadkit';
import { setTimeout as sleep } from 'node:timers/promises';

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
