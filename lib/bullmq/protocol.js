// @ts-check
'use strict';
/**
 * What a RemotePool and serve() agree on, in one place: how threadkit's task
 * options sit in a BullMQ job, the Redis names they share, and the priority
 * mapping. Both sides require this file; nothing here loads bullmq.
 *
 * A job as it is stored in Redis:
 *   name:  the worker script's export to call (`execute(data, { name })`), or
 *          DEFAULT_EXPORT for the default export;
 *   data:  the task data (see envelope.js: plain JSON when that is lossless);
 *   opts:  BullMQ's own (priority, attempts, backoff, jobId) plus TIMEOUT_OPT,
 *          the pool timeout in ms (BullMQ keeps options it does not know);
 *   hash field ERROR_FIELD: the task's error, encoded, written by the consumer
 *          before it fails the job (BullMQ keeps only the message).
 */

/** The job name of a task that calls the default export (a named export called "default" is the same function). */
const DEFAULT_EXPORT = 'default';

/** The job option that carries `execute(data, { timeout })`. */
const TIMEOUT_OPT = 'threadkitTimeout';

/** The field of the job's Redis hash that holds the task's encoded error. */
const ERROR_FIELD = 'threadkitError';

/**
 * The Redis pub/sub channel on which producers ask consumers to abort a
 * running job (a message is a job id), as a key of the queue: pass it to
 * BullMQ's `queue.toKey()`, which owns the key layout (prefix and name).
 */
const CANCEL_CHANNEL = 'threadkit:cancel';

/**
 * BullMQ runs jobs without a priority before every prioritized one, and its
 * priorities go from 1 (first) to 2^21. threadkit's go from -2^31 to 2^31-1,
 * lower first, 0 the default. So every job gets a BullMQ priority, and
 * threadkit priority p maps to PRIORITY_ZERO + p: exact (order kept, no two
 * priorities share a slot) from -(2^20 - 1) to 2^20; priorities beyond that
 * range clamp to its ends, so they run with its first or last.
 */
const PRIORITY_ZERO = 2 ** 20;
const BULLMQ_MAX_PRIORITY = 2 ** 21;

function bullmqPriority(priority) {
  return Math.min(BULLMQ_MAX_PRIORITY, Math.max(1, PRIORITY_ZERO + priority));
}

module.exports = {
  DEFAULT_EXPORT,
  TIMEOUT_OPT,
  ERROR_FIELD,
  PRIORITY_ZERO,
  BULLMQ_MAX_PRIORITY,
  CANCEL_CHANNEL,
  bullmqPriority,
};
