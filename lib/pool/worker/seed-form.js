// @ts-check
'use strict';
/**
 * The seed documents' script form, inside a worker: the script listens on
 * `parentPort` for `{ taskId, data }` and replies `{ taskId, data }` or
 * `{ taskId, error }`. The worker emits each task on `parentPort` and catches
 * the reply in `parentPort.postMessage`, so the script runs unchanged.
 * Loaded only for a script in this form (load.js).
 */

const wt = require('node:worker_threads');
const { Moved, taskOf } = require('./task-context.js');

/**
 * Settles a seed-form task with the script's reply.
 * @typedef {(msg: { taskId: number, data?: unknown, error?: unknown }, transfer: unknown) => void} SeedSettle
 */

/** Seed-form tasks in flight: taskId -> settle(reply). @type {Map<number, SeedSettle>} */
const seedReplies = new Map();

/**
 * Settles the seed-form task that `msg` replies to, if it is such a reply
 * (load.js routes the script's `parentPort.postMessage` calls here).
 * @param {any} msg
 * @param {any} transfer
 * @returns {boolean} true when `msg` was a reply (it is not posted)
 */
function settleReply(msg, transfer) {
  if (msg === null || typeof msg !== 'object' || !seedReplies.has(msg.taskId)) return false;
  const settle = seedReplies.get(msg.taskId);
  seedReplies.delete(msg.taskId);
  settle(msg, transfer);
  return true;
}

/**
 * The task function of a seed-form script: emits the task on `parentPort`
 * and settles with the reply.
 * @param {unknown} data
 * @param {import('./task-context.js').TaskContext} context
 * @returns {Promise<unknown>}
 */
function seedTask(data, context) {
  const taskId = taskOf(context).id;
  return new Promise((resolve, reject) => {
    seedReplies.set(taskId, (msg, transfer) => {
      if ('error' in msg && msg.error !== undefined) reject(msg.error);
      else {
        // A transfer list (or { transfer }) moves the reply's buffers, as postMessage would.
        const list = Array.isArray(transfer) ? transfer : /** @type {any} */ (transfer)?.transfer;
        resolve(Array.isArray(list) && list.length > 0 ? new Moved(msg.data, list) : msg.data);
      }
    });
    wt.parentPort.emit('message', { taskId, data });
  });
}

module.exports = { settleReply, seedTask };
