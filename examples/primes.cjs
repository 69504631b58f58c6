'use strict';
// The demo's CPU-heavy task: count the primes in [from, to) by trial
// division. Pure JavaScript on purpose: it holds whichever thread runs it.
// Used both inline (main thread) and as the pool's worker script.
function countPrimes({ from, to }) {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = n === 2 || n % 2 !== 0;
    for (let d = 3; prime && d * d <= n; d += 2) if (n % d === 0) prime = false;
    if (prime) count++;
  }
  return count;
}
module.exports = countPrimes;
