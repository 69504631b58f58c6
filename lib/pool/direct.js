// @ts-check
'use strict';
/**
 * Direct tasks: data that only postMessage can carry (a transfer list, or
 * SharedArrayBuffers and ports) is posted by execute() itself to the pool's
 * mailbox thread (mailbox-thread.js); the queue holds a one-byte placeholder
 * with the task's priority, and the worker that takes it asks the mailbox for
 * the data. So such tasks keep priority, maxQueue, timeouts and crash
 * handling, and start while the owner thread is blocked, like any task.
 * Direct results (shared memory, or `move`d buffers) come the other way: the
 * worker posts the value on its control port, then completes the task with
 * the same placeholder, and the drain joins the two in whichever order they
 * arrive.
 */

const native = require('../native.js');
const { Mailbox } = require('./mailbox.js');
const { settle, checkRoom } = require('./settle.js');
const { WorkerCrashedError, DataCloneError } = require('../errors.js');

/** @typedef {import('./state.js').PoolState} PoolState */
/** @typedef {import('./records.js').WorkerRecord} WorkerRecord */

/**
 * A direct result whose worker exited before its port message arrived (not seen to happen; a guard against a pending promise).
 * @param {number | undefined} exitCode
 * @returns {Error}
 */
function resultLost(exitCode) {
  return new WorkerCrashedError('the worker that ran this task exited before its result arrived', { exitCode });
}

/**
 * Posts the data of direct task `id` to the mailbox, before the task is
 * queued: transferables move now (the caller's buffers are detached at
 * once, as with postMessage), and anything that cannot be cloned fails
 * here, synchronously.
 * @param {PoolState} s
 * @param {number} id
 * @param {unknown} data
 * @param {readonly import('node:worker_threads').TransferListItem[]} transfer
 * @param {Error | null} encodeError why the codec refused `data`, thrown instead of postMessage's reason (null: a transfer list was given)
 */
function post(s, id, data, transfer, encodeError) {
  const box = s.mailbox ?? openMailbox(s);
  try {
    box.put(id, data, transfer);
  } catch (e) {
    if (encodeError) throw encodeError;
    const why = String(e.message).slice(0, 160);
    throw new DataCloneError(`task data or its transfer list cannot be sent to a worker: ${why}`, { cause: e });
  }
}

/**
 * Starts the mailbox thread and connects every worker to it.
 * @param {PoolState} s
 * @returns {Mailbox}
 */
function openMailbox(s) {
  const box = new Mailbox(() => mailboxGone(s, box));
  s.mailbox = box;
  for (const rec of s.workers.values()) box.connect(rec.port);
  return box;
}

/**
 * The mailbox thread exited (not seen to happen outside terminate(): it runs
 * no user code). The data it held is gone: queued direct tasks reject; a
 * worker waiting for its data sees its mailbox port close and rejects its
 * task. The next direct task starts a new mailbox.
 * @param {PoolState} s
 * @param {Mailbox} box
 */
function mailboxGone(s, box) {
  if (s.mailbox !== box || s.state === 'terminated') return;
  s.mailbox = null;
  for (const id of [...s.direct]) {
    if (native.poolCancel(s.id, id)) {
      settle(s, id, false, new WorkerCrashedError("the thread that held this task's data exited before a worker took it"));
    }
  }
  checkRoom(s);
}

/**
 * The completion of a direct result from worker `w`: settle with its port message, or wait for it.
 * @param {PoolState} s
 * @param {number} id
 * @param {WorkerRecord | undefined} w
 */
function directDone(s, id, w) {
  const task = s.tasks.get(id);
  const m = task.directResult;
  if (m !== undefined) settle(s, id, !m.rejected, m.value);
  else if (w === undefined) settle(s, id, false, resultLost(undefined));
  else {
    task.owedBy = w;
    w.owes.add(id);
  }
}

/**
 * A direct result's port message: settle, or keep it until its completion is drained.
 * @param {PoolState} s
 * @param {import('./messages.js').ResultMessage} m
 */
function directResult(s, m) {
  const task = s.tasks.get(m.id);
  if (task === undefined) return; // settled meanwhile (timed out, or the pool terminated)
  if (task.owedBy === undefined) task.directResult = m;
  else settle(s, m.id, !m.rejected, m.value);
}

module.exports = { post, directDone, directResult, resultLost };
