// @ts-check
'use strict';
/**
 * threadkit/bullmq: the same worker script on many machines, with BullMQ on
 * Redis as the queue and a threadkit WorkerPool as the executor on each.
 * Types and docs: bullmq.d.ts. bullmq is an optional peer dependency: it is
 * loaded here (with an install hint if missing), never by `threadkit` itself.
 */

require('./load.js').loadBullmq();
const { serve } = require('./serve.js');
const { RemotePool, JobLostError } = require('./remote-pool.js');

module.exports = { serve, RemotePool, JobLostError };
