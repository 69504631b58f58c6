// @ts-check
'use strict';
/**
 * The data of direct tasks, on the worker side. The pool's mailbox thread
 * (mailbox-thread.js) holds the data of direct tasks (a transfer list, or
 * shared memory: only postMessage carries those); a worker asks it for the
 * data when it takes such a task from the queue, over its own port to it.
 */

const { MSG } = require('../messages.js');

/**
 * What the mailbox thread answers to a fetch, or `{ lost: true }` when it exited.
 * @typedef {{ id?: number, data?: unknown, gone?: boolean, lost?: boolean }} FetchedData
 */

/** Direct tasks whose data was asked of the mailbox: id -> { resolve(message), port }. @type {Map<number, { resolve: (msg: FetchedData) => void, port: import('node:worker_threads').MessagePort }>} */
const fetching = new Map();
/** This worker's port to the pool's mailbox thread (given once the pool has one). @type {import('node:worker_threads').MessagePort | null} */
let mailbox = null;

/**
 * Takes the port to the pool's mailbox thread (MSG.MAILBOX), in place of any earlier one.
 * @param {import('node:worker_threads').MessagePort} port
 */
function useMailbox(port) {
  mailbox?.close();
  mailbox = port;
  port.on('message', onPayload);
  // The mailbox thread exited: the data it held is gone.
  port.on('close', () => {
    for (const [id, f] of fetching) {
      if (f.port !== port) continue;
      fetching.delete(id);
      f.resolve({ lost: true });
    }
  });
  port.unref();
}

/** @param {FetchedData} msg */
function onPayload(msg) {
  const f = fetching.get(msg.id);
  fetching.delete(msg.id);
  f?.resolve(msg);
}

/**
 * Asks the mailbox thread for task `id`'s data.
 * @param {number} id
 * @returns {Promise<FetchedData>}
 */
function fetchData(id) {
  return new Promise((resolve) => {
    if (mailbox === null) return resolve({ lost: true });
    fetching.set(id, { resolve, port: mailbox });
    mailbox.postMessage({ type: MSG.FETCH, id });
  });
}

module.exports = { useMailbox, fetchData };
