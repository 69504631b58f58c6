// @ts-check
'use strict';
/**
 * The rings (stream-ring.js) that a pool's workers sent it, kept per worker
 * on the pool's owner thread (PoolState.streamRings), so that a stream whose
 * worker reused a ring finds it without a message: by the ring's OWNER word,
 * which holds its task's tag (ownerTag) while its stream holds it.
 *
 * - A worker sends a ring once (MSG.STREAM, for a stream that needed a new
 *   one: ringSent); after that it claims it again for its next streams
 *   (worker/stream.js), and the caller looks it up here (findRing).
 * - No lost wake-up: a stream that waits for a value and finds no ring
 *   joins PoolState.ringless in the same synchronous run as its look
 *   (TaskStream.serve). The worker's claim stores the tag, then its first
 *   value wakes the owner (the claim set READER_WAITING); that wake's drain
 *   (wakeStreams: attachClaimed) runs after the look, so it sees the tag.
 *   A task's completion comes after its values, and so after the claim:
 *   TaskStream.end looks once more, and takes what the ring holds.
 * - A ring is in this list before any claim of it after the first: the
 *   pool reads the STREAM message before it settles the first task (the
 *   worker flags its port), and the worker reuses a ring only once its
 *   stream freed it, which it does after it took the ring.
 * - A ring the worker dropped (OWNER DROPPED) is forgotten here the next
 *   time that worker sends one; the rings of a worker that exited are
 *   forgotten with it (workerGone), after the streams that had not found
 *   theirs yet have taken them (the values their worker wrote stay theirs).
 * - A stream frees its ring (RingReader.release) when it is done with it;
 *   one that is collected without that (its caller dropped it unread) has
 *   it freed then (a FinalizationRegistry), so an abandoned stream holds its
 *   ring only as long as it is reachable.
 */

const { ownerOf, ringHeader, releaseRing, DROPPED } = require('./stream-ring.js');

/** @typedef {import('./state.js').PoolState} PoolState */

/**
 * Worker `slot` sent a new ring, held by task `id`'s stream (or by nobody
 * any more: then it is freed at once).
 * @param {PoolState} s
 * @param {number} slot
 * @param {import('./messages.js').StreamMessage} m
 * @param {number} tag ownerTag(m.id)
 */
function ringSent(s, slot, m, tag) {
  const header = ringHeader(m.ring);
  let rings = s.streamRings.get(slot);
  if (rings === undefined) s.streamRings.set(slot, (rings = []));
  else if (rings.length > 0) dropForgotten(rings);
  rings.push(header);
  const stream = s.tasks.get(m.id)?.stream;
  if (stream === undefined || !stream.attachRing(m.ring)) releaseRing(header, tag);
}

/**
 * Forgets the rings their worker dropped.
 * @param {Int32Array[]} rings
 */
function dropForgotten(rings) {
  let k = 0;
  for (const h of rings) if (ownerOf(h) !== DROPPED) rings[k++] = h;
  rings.length = k;
}

/**
 * The ring that the stream whose OWNER is `tag` holds, if a worker has claimed one for it.
 * @param {PoolState} s
 * @param {number} tag
 * @returns {SharedArrayBuffer | null}
 */
function findRing(s, tag) {
  for (const rings of s.streamRings.values()) {
    for (const h of rings) if (ownerOf(h) === tag) return /** @type {SharedArrayBuffer} */ (h.buffer);
  }
  return null;
}

/**
 * Gives the streams that wait for a ring (PoolState.ringless) the rings
 * their workers claimed for them: one pass over the rings, not one per
 * stream, as many streams may wait (queued ones, say).
 * @param {PoolState} s
 */
function attachClaimed(s) {
  for (const rings of s.streamRings.values()) {
    for (const h of rings) {
      const tag = ownerOf(h);
      if (tag > 0) s.ringless.get(tag)?.attachRing(/** @type {SharedArrayBuffer} */ (h.buffer));
    }
  }
}

/**
 * Worker `slot` exited: its rings are forgotten, once the streams that had not found theirs have it.
 * @param {PoolState} s
 * @param {number} slot
 */
function workerGone(s, slot) {
  const rings = s.streamRings.get(slot);
  if (rings === undefined) return;
  for (const rec of s.tasks.values()) rec.stream?.lookForRing();
  s.streamRings.delete(slot);
}

/** Frees the ring of a stream collected while it held one. */
const abandoned = new FinalizationRegistry((/** @type {{ s: PoolState, tag: number }} */ held) => {
  for (const rings of held.s.streamRings.values()) for (const h of rings) releaseRing(h, held.tag);
});

module.exports = { ringSent, findRing, attachClaimed, workerGone, abandoned };
