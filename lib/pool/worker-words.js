// @ts-check
'use strict';
/**
 * The Int32 words a pool shares with each of its workers, one
 * SharedArrayBuffer per worker (lifecycle.js makes it; the worker gets it
 * as `workerData.internal.stdio`). Their layout, in one place:
 *
 * - OUTPUT: 1 when the worker has posted task output on its control port
 *   since the pool last read it (worker-stdio.js);
 * - UNREAD: bytes of output posted and not written out yet (worker-stdio.js);
 * - CREDIT: bumped (and notified) when a caller took values of a stream
 *   task running on this worker (stream.js, worker/stream.js).
 */
const WORDS = Object.freeze({ OUTPUT: 0, UNREAD: 1, CREDIT: 2 });
/** How many words there are. */
const WORKER_WORDS = 3;

module.exports = { WORDS, WORKER_WORDS };
