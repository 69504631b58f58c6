// acquireAll: take several locks in one global order, so that callers listing them in
// different orders cannot deadlock.
import { Mutex, acquireAll } from 'threadkit';

const accountA = new Mutex();
const accountB = new Mutex();
const balance = { a: 100, b: 100 };

async function transfer(from, to, locks, amount) {
  const both = await acquireAll(locks, { timeout: 5000 });
  try {
    const f = balance[from];
    await new Promise((resolve) => setImmediate(resolve)); // interleave with the other transfers
    balance[from] = f - amount;
    balance[to] += amount;
  } finally {
    both.release();
  }
}

// Opposite orders, all at once: with two plain acquires in list order this could deadlock.
await Promise.all([
  ...Array.from({ length: 50 }, () => transfer('a', 'b', [accountA, accountB], 1)),
  ...Array.from({ length: 50 }, () => transfer('b', 'a', [accountB, accountA], 1)),
]);

console.log(`balances after 100 transfers: a=${balance.a} b=${balance.b}`);
