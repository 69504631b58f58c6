// Mutex: one lock, usable from the main thread and from workers (send its handle, attach with Mutex.from).
import { Mutex, AtomicCounter } from 'threadkit';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { once } from 'node:events';

// A read-modify-write that is only correct under the lock: it awaits between the read and the write.
async function addOne(mutex, total) {
  await mutex.runExclusive(async () => {
    const v = total.get();
    await new Promise((resolve) => setImmediate(resolve));
    total.set(v + 1);
  });
}

if (isMainThread) {
  const mutex = new Mutex();
  const total = new AtomicCounter(0);
  const worker = new Worker(new URL(import.meta.url), { workerData: { lock: mutex.handle, total: total.handle } });
  const exited = once(worker, 'exit');
  await once(worker, 'message'); // the worker is attached: from here both threads increment at once
  for (let i = 0; i < 1000; i++) await addOne(mutex, total);
  await exited;
  console.log(`total after 1000 + 1000 locked increments on two threads: ${total.get()}`);
} else {
  const mutex = Mutex.from(workerData.lock);
  const total = AtomicCounter.from(workerData.total);
  parentPort.postMessage('ready');
  for (let i = 0; i < 1000; i++) await addOne(mutex, total);
}
