// @ts-check
'use strict';
/**
 * The file every pool worker starts with: lib/pool/worker.js in the package,
 * or, inside a bundle, the worker entry the bundler built next to it
 * (docs/worker-pool.md, "Bundling"). A bundle merges this file into one
 * with the app's code, so `__dirname` is the bundle's directory there, and a
 * `worker.js` beside it may be the app's own: the bundled entry has its own
 * name.
 */

const fs = require('node:fs');
const path = require('node:path');

/** The worker entry's file name beside a bundle. */
const BUNDLED_ENTRY = 'threadkit-worker.js';

/** Whether this code still runs from its own file (not merged into a bundle): the package's files are beside it. */
const unbundled = path.basename(__filename) === 'entry.js' && fs.existsSync(path.join(__dirname, 'worker', 'task-loop.js'));
const WORKER_ENTRY = unbundled ? path.join(__dirname, 'worker.js') : path.join(__dirname, BUNDLED_ENTRY);
let found = unbundled;

/**
 * The worker entry's path; an Error that says how to build it if a bundle lacks it.
 * @returns {string}
 */
function workerEntry() {
  if (!found) {
    if (!fs.existsSync(WORKER_ENTRY)) {
      throw Object.assign(
        new Error(
          `threadkit's worker entry is not at ${WORKER_ENTRY}: when you bundle your app, build threadkit/lib/pool/worker.js as ${BUNDLED_ENTRY} into the same directory as the bundle (see threadkit's docs/worker-pool.md, "Bundling")`,
        ),
        { code: 'ERR_THREADKIT_WORKER_ENTRY' },
      );
    }
    found = true;
  }
  return WORKER_ENTRY;
}

module.exports = { workerEntry, BUNDLED_ENTRY };
