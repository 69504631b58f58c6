// Channel and select: Go-style channels between threads; select waits on several at once.
import { Channel, select } from 'threadkit';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

if (isMainThread) {
  // Two workers, each with a channel of its own: squares and cubes.
  const open = [new Channel(16), new Channel(16)]; // buffered; new Channel() is a rendezvous
  open.forEach((ch, i) => new Worker(new URL(import.meta.url), { workerData: { ch: ch.handle, power: i + 2 } }));

  let sum = 0;
  while (open.length > 0) {
    const cases = open.map((ch) => ({ receive: ch }));
    const r = await select(cases, { timeout: 10_000 }); // exactly one case runs: a ready one, picked at random
    if (r.ok) sum += r.value;
    else open.splice(r.index, 1); // that channel is closed and drained
  }
  console.log(`sum of squares and cubes of 1..10, received from two workers: ${sum}`);
} else {
  const ch = Channel.from(workerData.ch); // attach to the main thread's channel
  for (let n = 1; n <= 10; n++) await ch.send(n ** workerData.power); // waits while the buffer is full
  ch.close(); // the values still buffered are delivered
}
