// @ts-check
'use strict';
/**
 * The WorkerPool's control messages, declared in one place: the `type` of
 * every message that goes between the pool, its workers and its mailbox
 * thread, and what each carries. (The native boundary's codes and layouts
 * are in src/protocol.rs; these never cross it.)
 *
 * Pool -> worker (control port):
 *   { type: MAILBOX, port }           the port to the pool's mailbox thread
 *   { type: ABORT, id, reason }       abort the signal of task `id` (a stream task also stops)
 * Worker -> pool (control port):
 *   { type: READY }                   the task script is loaded
 *   { type: RESULT, id, rejected, value }  a direct task's result (transferables)
 *   { type: STDIO, name, chunks, bytes }   buffered stdout/stderr output
 *   { type: STREAM, id, ring }        a new byte ring, for stream task `id`'s values (stream-ring.js;
 *                                    a ring sent once is reused without a message: stream-rings.js)
 * Pool -> mailbox thread (its inbox):
 *   { type: PUT, id, data, transfer } { type: DROP, id }
 *   { type: WORKER, port }            a new worker's port
 *   { type: COUNT, port }             answer how many payloads are held
 * Worker <-> mailbox thread (the worker's port):
 *   { type: FETCH, id }  ->  { type: PAYLOAD, id, data } or { type: PAYLOAD, id, gone: true }
 */

/** Each message's `type`; the shapes are the typedefs below. */
const MSG = Object.freeze({
  MAILBOX: 'mailbox',
  ABORT: 'abort',
  READY: 'ready',
  RESULT: 'result',
  STDIO: 'stdio',
  STREAM: 'stream',
  PUT: 'put',
  DROP: 'drop',
  WORKER: 'worker',
  COUNT: 'count',
  FETCH: 'fetch',
  PAYLOAD: 'payload',
});

/** @typedef {import('node:worker_threads').MessagePort} MessagePort */
/** @typedef {import('node:worker_threads').TransferListItem} TransferListItem */

// Pool -> worker (control port).
/** @typedef {{ type: typeof MSG.MAILBOX, port: MessagePort }} MailboxMessage */
/** @typedef {{ type: typeof MSG.ABORT, id: number, reason: string }} AbortMessage */
/** @typedef {MailboxMessage | AbortMessage} PoolToWorkerMessage */

// Worker -> pool (control port).
/** @typedef {{ type: typeof MSG.READY }} ReadyMessage */
/** @typedef {{ type: typeof MSG.RESULT, id: number, rejected: boolean, value: unknown }} ResultMessage */
/**
 * One write of a task's stdout or stderr.
 * @typedef {{ chunk: string | Uint8Array, encoding: BufferEncoding }} StdioChunk
 */
/** @typedef {{ type: typeof MSG.STDIO, name: 'stdout' | 'stderr', chunks: StdioChunk[], bytes: number }} StdioMessage */
/** @typedef {{ type: typeof MSG.STREAM, id: number, ring: SharedArrayBuffer }} StreamMessage */
/** @typedef {ReadyMessage | ResultMessage | StdioMessage | StreamMessage} WorkerToPoolMessage */

// Pool -> mailbox thread (its inbox).
/** @typedef {{ type: typeof MSG.PUT, id: number, data: unknown, transfer: readonly TransferListItem[] | undefined }} PutMessage */
/** @typedef {{ type: typeof MSG.DROP, id: number }} DropMessage */
/** @typedef {{ type: typeof MSG.WORKER, port: MessagePort }} WorkerPortMessage */
/** @typedef {{ type: typeof MSG.COUNT, port: MessagePort }} CountMessage */
/** @typedef {PutMessage | DropMessage | WorkerPortMessage | CountMessage} MailboxInboxMessage */

// Worker <-> mailbox thread (the worker's port).
/** @typedef {{ type: typeof MSG.FETCH, id: number }} FetchMessage */
/** @typedef {{ type: typeof MSG.PAYLOAD, id: number, data?: unknown, gone?: true }} PayloadMessage */

module.exports = { MSG };
