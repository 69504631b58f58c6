'use strict';
// Task functions for the `pool` suite, in the form threadkit, piscina and
// tinypool all accept (module.exports is the default task; `fib` is named).
function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
module.exports = (x) => x;
module.exports.fib = fib;
