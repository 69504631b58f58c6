'use strict';
// P5's task: a generator that yields `n` small records (as C1's postMessage worker posts them).
module.exports = function* records({ n, size }) {
  const s = size ? 'x'.repeat(size) : 'x';
  for (let i = 0; i < n; i++) yield { i, s };
};
