// @ts-check
'use strict';
/**
 * The mailbox thread of a WorkerPool's direct tasks (its owner side is
 * mailbox.js): a small thread that holds the
 * data of tasks that only postMessage can carry (a transfer list, or
 * SharedArrayBuffers and ports) from when execute() posts it until the
 * worker that took the task asks for it.
 *
 * Why a thread of its own: which worker runs a task is decided later, by
 * the native queue, and a MessagePort has one receiving thread. Held by the
 * pool's owner, the data would reach a worker only when the owner's event
 * loop runs, so such a task could not start while the owner is blocked (in
 * Atomics.wait, say). This thread runs nothing else: its event loop is
 * always free to answer. The pool starts it with its first direct task.
 *
 * Messages. From the owner (`inbox`, in order):
 *   { type: 'put', id, data, transfer }  the task's data; `transfer` lists what moves on with it
 *   { type: 'drop', id }                 the task settled: forget its data if not fetched
 *   { type: 'worker', port }             a worker's end of a channel to this thread
 *   { type: 'count', port }              answer on `port` how many tasks' data is held (for tests)
 * From a worker (its port): { type: 'fetch', id }; the answer is
 *   { type: 'payload', id, data } or { type: 'payload', id, gone: true }
 *   (settled meanwhile).
 *
 * A worker's fetch may arrive before the owner's put (messages on different
 * ports are not ordered). Task ids grow and puts come in id order, so an id
 * above the last put is still coming (the fetch waits for it), and one at or
 * below it that is not held was fetched or dropped.
 */

const { workerData } = require('node:worker_threads');
const { MSG } = require('./messages.js');

/** @typedef {import('node:worker_threads').MessagePort} MessagePort */
/** @typedef {{ data: unknown, transfer: readonly import('node:worker_threads').TransferListItem[] | undefined }} HeldData */

/** @type {{ inbox: MessagePort }} */
const { inbox } = workerData;
/** id -> { data, transfer } @type {Map<number, HeldData>} */
const held = new Map();
/** Fetches that came before their put: id -> port. @type {Map<number, MessagePort>} */
const early = new Map();
let lastPut = 0;

/**
 * Answers a worker's fetch of task `id` with its data, or with `gone` (not held: fetched or dropped).
 * @param {MessagePort} port the worker's
 * @param {number} id
 * @param {HeldData | undefined} entry
 */
function answer(port, id, entry) {
  if (entry === undefined) {
    /** @type {import('./messages.js').PayloadMessage} */
    const gone = { type: MSG.PAYLOAD, id, gone: true };
    port.postMessage(gone);
    return;
  }
  try {
    /** @type {import('./messages.js').PayloadMessage} */
    const payload = { type: MSG.PAYLOAD, id, data: entry.data };
    port.postMessage(payload, entry.transfer);
  } catch {
    // The worker's end is closed (it died): the data goes with this message.
  }
}

/**
 * A message from a worker's port: a fetch.
 * @param {MessagePort} port
 * @param {import('./messages.js').FetchMessage} m
 */
function onFetch(port, m) {
  if (m === null || typeof m !== 'object' || m.type !== MSG.FETCH) return;
  const { id } = m;
  if (id > lastPut) {
    early.set(id, port);
    return;
  }
  const entry = held.get(id);
  held.delete(id);
  answer(port, id, entry);
}

inbox.on('message', (/** @type {import('./messages.js').MailboxInboxMessage} */ m) => {
  if (m.type === MSG.PUT) {
    lastPut = m.id;
    const entry = { data: m.data, transfer: m.transfer };
    const port = early.get(m.id);
    if (port === undefined) held.set(m.id, entry);
    else {
      early.delete(m.id);
      answer(port, m.id, entry);
    }
  } else if (m.type === MSG.DROP) {
    held.delete(m.id);
  } else if (m.type === MSG.WORKER) {
    m.port.on('message', (f) => onFetch(m.port, f));
  } else if (m.type === MSG.COUNT) {
    m.port.postMessage(held.size + early.size);
    m.port.close();
  }
});
