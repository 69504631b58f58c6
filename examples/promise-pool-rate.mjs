// PromisePool rate limit shared across threads: 4 threads together start at most 5 tasks per 50 ms window.
import { PromisePool, RateLimit } from 'threadkit';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';

const TASKS = 10; // per thread

async function runTasks(rate, starts) {
  const pool = new PromisePool(2, { rateLimit: rate }); // a RateLimit or its handle
  const task = async () => starts.push(Date.now());
  await Promise.all(Array.from({ length: TASKS }, () => pool.add(task)));
  return starts;
}

if (isMainThread) {
  const rate = new RateLimit({ interval: 50, intervalCap: 5 });
  const workers = [1, 2, 3].map(() => new Worker(new URL(import.meta.url), { workerData: rate.handle }));
  const fromWorkers = workers.map((w) => new Promise((resolve) => w.once('message', resolve)));
  const all = [...(await runTasks(rate, [])), ...(await Promise.all(fromWorkers)).flat()];
  // 40 starts at 5 per window need 8 windows: the last one starts 7 intervals after the first window opened.
  const windows = Math.floor((Math.max(...all) - rate.origin) / rate.interval) + 1;
  console.log(`${all.length} tasks on 4 threads took at least 8 windows of 50 ms: ${windows >= 8}`);
} else {
  parentPort.postMessage(await runTasks(workerData, []));
}
