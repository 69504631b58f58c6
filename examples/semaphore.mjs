// Semaphore: a fair, weighted, closable counting semaphore.
import { Semaphore } from 'threadkit';
import { setTimeout as sleep } from 'node:timers/promises';

const sem = new Semaphore(3); // 3 permits
let inside = 0;
let most = 0;
const work = async () => {
  most = Math.max(most, ++inside);
  await sleep(2);
  inside--;
};

await Promise.all(Array.from({ length: 10 }, () => sem.runExclusive(work))); // at most 3 at once

const guard = await sem.acquire(2, { timeout: 1000 }); // weighted: take 2 permits
console.log(`while 2 are held, available: ${sem.available}`);
guard.release();

console.log(`at most ${most} ran at once, available again: ${sem.available}`);

// Signalling: start with 0 of at most 1 permits; any thread may release (a worker, given ready.handle).
const ready = new Semaphore(0, { max: 1 });
setTimeout(() => ready.release(), 5);
await ready.acquire(); // resolves once released

// Priority: lower first. setPermits raises the bound at run time (one more permit here) and serves the
// waiters that now fit; release(2) makes the other two permits.
const gate = new Semaphore(0, { max: 2 });
const order = [];
const waits = [5, -1, 0].map((priority) => gate.acquire(1, { priority }).then((g) => order.push(priority)));
gate.setPermits(3);
gate.release(2);
await Promise.all(waits);
console.log(`signalled; served by priority: ${order.join(', ')}`);
