// @ts-check
'use strict';

/**
 * One executor for every promise whose resolving functions are kept
 * elsewhere: `new Promise(capture)` leaves them in `captured`, to be read
 * right away and then dropped (takeResolve, or forget after reading both),
 * so that `captured` never keeps the last such promise, and what it
 * settles with, alive. No closure per promise.
 */
/** @type {{ resolve: ((value?: any) => void) | null, reject: ((reason?: any) => void) | null }} */
const captured = { resolve: null, reject: null };

/**
 * @param {(value?: any) => void} resolve
 * @param {(reason?: any) => void} reject
 */
function capture(resolve, reject) {
  captured.resolve = resolve;
  captured.reject = reject;
}

/** Drops what `capture` left. */
function forget() {
  captured.resolve = null;
  captured.reject = null;
}

/**
 * The resolve function `capture` just left; both are dropped.
 * @returns {(value?: any) => void}
 */
function takeResolve() {
  const resolve = captured.resolve;
  forget();
  return resolve;
}

module.exports = { captured, capture, forget, takeResolve };
