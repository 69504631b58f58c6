// @ts-check
'use strict';
/**
 * Gives the C allocator's free memory back to the operating system once
 * workers stop dying.
 *
 * Each worker that starts and dies allocates and frees memory in glibc's
 * malloc arenas, and glibc keeps the freed memory: after a storm of 750
 * crashes it held 30 MB with 4 MB in use (src/allocator.rs). This is an
 * allocator high-water mark, not a leak, and plain Workers keep it too; a
 * pool that restarts workers for the caller gives it back. One trim runs
 * TRIM_DELAY_MS after the last worker exit of a burst (each exit pushes it
 * back), so a storm of crashes costs one trim, not one per crash. A trim
 * runs on this thread and took about 0.2 ms on a fragmented 86 MB process.
 * The timer is shared by every pool of this thread and is unref'd.
 */
const native = require('../native.js');

const TRIM_DELAY_MS = 500;
/** @type {NodeJS.Timeout | null} */
let timer = null;
let trims = 0;

function trim() {
  timer = null;
  trims++;
  native.allocatorTrim();
}

/** A worker exited: trim once no other exit follows for TRIM_DELAY_MS. */
function trimSoon() {
  if (timer === null) {
    timer = setTimeout(trim, TRIM_DELAY_MS);
    timer.unref();
  } else {
    timer.refresh();
  }
}

/**
 * How many trims this thread has run (for tests).
 * @returns {number}
 */
function trimCount() {
  return trims;
}

module.exports = { trimSoon, trimCount, TRIM_DELAY_MS };
