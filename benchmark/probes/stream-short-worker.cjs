'use strict';
// stream-short.mjs's tasks: `n` small records as a stream (as P5's worker yields them), or one as a result.
module.exports = function* records({ n }) {
  for (let i = 0; i < n; i++) yield { i, s: 'x' };
};
module.exports.one = () => ({ i: 0, s: 'x' });
