// WorkerPool: run a worker script's task function on real OS threads, off the event loop.
import { WorkerPool } from 'threadkit';

const pool = new WorkerPool(new URL('./hash-worker.cjs', import.meta.url), 2); // script, size

const h = await pool.execute({ text: 'abc', rounds: 1e6 }); // the default export
const squares = await pool.map([1, 2, 3], { name: 'square' }); // a named export, results in input order
const primes = [];
for await (const p of pool.stream(1e6, { name: 'primes' })) {
  if (primes.push(p) === 5) break; // stops the generator in the worker
}
await pool.close(); // finish queued work, then stop (terminate() stops now)

console.log(`hash: ${h}`);
console.log(`squares: ${squares.join(', ')}`);
console.log(`first primes, streamed: ${primes.join(', ')}`);
