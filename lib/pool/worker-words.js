// @ts-check
'use strict';
/**
 * The Int32 words a pool shares with each of its workers, one
 * SharedArrayBuffer per worker (lifecycle.js makes it; the worker gets it
 * as `workerData.internal.stdio`). Their layout, in one place:
 *
 * - OUTPUT: 1 when the worker has posted on its control port, since the pool
 *   last read it, what must reach the pool before a task settles: task output
 *   (worker-stdio.js), or the ring of a pool.stream() task (worker/stream.js);
 * - UNREAD: bytes of output posted and not written out yet (worker-stdio.js).
 */
const WORDS = Object.freeze({ OUTPUT: 0, UNREAD: 1 });
/** How many words there are. */
const WORKER_WORDS = 2;

module.exports = { WORDS, WORKER_WORDS };
