'use strict';
// Task functions of the HTTP bench, in the form threadkit and piscina both
// accept (module.exports is the default task; `hash` is named). The server's
// inline mode calls the same functions on its main thread.
const { pbkdf2Sync } = require('node:crypto');

/** PBKDF2-SHA256 rounds per /hash request: about 1 ms on the 2-core bench machine (0.25 ms per 1000). */
const HASH_ITERATIONS = 4000;

/** /small: returns its input. */
module.exports = (x) => x;

/** /hash: the hex digest of `password` (about 1 ms of CPU). */
module.exports.hash = (password) => pbkdf2Sync(String(password), 'threadkit-bench-salt', HASH_ITERATIONS, 32, 'sha256').toString('hex');

module.exports.HASH_ITERATIONS = HASH_ITERATIONS;
