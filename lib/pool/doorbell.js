// @ts-check
'use strict';
/**
 * The pool's doorbell (an Int32Array shared by the pool and its workers,
 * BELL_* in native.d.ts): a submit bumps SEQ; a worker with nothing to do
 * counts itself into SLEEPERS and waits on SEQ. The rule every waker keeps,
 * in one place: it counts out the sleepers its notify woke, so a burst of
 * submits notifies each sleeper once (worker/task-loop.js says why no
 * wake-up is lost). No require: a worker loads the addon its own way
 * (worker/thread.js) and passes its constants.
 */

/**
 * The waker of a doorbell with the addon's layout `layout`.
 * @param {{ BELL_SEQ: number, BELL_SLEEPERS: number }} layout
 * @returns {(bell: Int32Array, count: number) => number} wakes up to `count` sleepers, counts them out, returns how many woke
 */
function waker(layout) {
  const SEQ = layout.BELL_SEQ;
  const SLEEPERS = layout.BELL_SLEEPERS;
  return (bell, count) => {
    const woke = Atomics.notify(bell, SEQ, count);
    if (woke > 0) Atomics.sub(bell, SLEEPERS, woke);
    return woke;
  };
}

module.exports = { waker };
