'use strict';

/**
 * One executor for every promise whose resolving functions are kept
 * elsewhere: `new Promise(capture)` leaves them in `captured`, to be read
 * right away. No closure per promise.
 */
const captured = { resolve: null, reject: null };

function capture(resolve, reject) {
  captured.resolve = resolve;
  captured.reject = reject;
}

module.exports = { captured, capture };
