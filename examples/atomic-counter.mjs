// AtomicCounter: a 64-bit counter in shared memory, exact under contention from any number of threads.
import { AtomicCounter } from 'threadkit';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { once } from 'node:events';

if (isMainThread) {
  const hits = new AtomicCounter(0);
  const workers = [1, 2].map(() => new Worker(new URL(import.meta.url), { workerData: hits.handle }));
  for (let i = 0; i < 100_000; i++) hits.increment();
  await Promise.all(workers.map((w) => once(w, 'exit')));
  console.log(`hits: ${hits.get()}`); // 300000: no increment lost
  console.log(`compareExchange(300000, 0) returned ${hits.compareExchange(300_000, 0)}, now ${hits.get()}`);
} else {
  const hits = AtomicCounter.from(workerData);
  for (let i = 0; i < 100_000; i++) hits.increment();
}
