// PromisePool: run async functions with at most N in flight; the rest wait in a FIFO queue.
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
