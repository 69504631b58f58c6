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
