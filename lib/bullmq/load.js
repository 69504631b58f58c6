// @ts-check
'use strict';
/**
 * Loads the bullmq peer dependency, or says how to install it. threadkit's
 * main entry never requires this file: only `threadkit/bullmq` does.
 */

const MISSING_HINT =
  'threadkit/bullmq needs the bullmq package (BullMQ 6, which brings ioredis 5), and it is not installed: run `npm install bullmq`';

/**
 * BullMQ's default backend hands out its ioredis client behind a Proxy typed
 * as its own IRedisClient, which declares only the commands BullMQ uses; the
 * others (xrevrange, publish, subscribe, hset with a field) pass through.
 * @typedef {import('bullmq').IRedisClient & import('ioredis').Redis} Redis
 */

function loadBullmq() {
  try {
    return require('bullmq');
  } catch (e) {
    // Only bullmq itself missing gets the hint; a broken install keeps its own error.
    if (e?.code === 'MODULE_NOT_FOUND' && String(e.message).includes("'bullmq'")) {
      const err = /** @type {NodeJS.ErrnoException} */ (new Error(MISSING_HINT, { cause: e }));
      err.code = 'ERR_THREADKIT_BULLMQ_MISSING';
      throw err;
    }
    throw e;
  }
}

module.exports = { loadBullmq, MISSING_HINT };
