'use strict';
/**
 * The WorkerPool's control messages, declared in one place: the `type` of
 * every message that goes between the pool, its workers and its mailbox
 * thread, and what each carries. (The native boundary's codes and layouts
 * are in src/protocol.rs; these never cross it.)
 *
 * Pool -> worker (control port):
 *   { type: MAILBOX, port }           the port to the pool's mailbox thread
 *   { type: ABORT, id, reason }       abort the signal of task `id`
 * Worker -> pool (control port):
 *   { type: READY }                   the task script is loaded
 *   { type: RESULT, id, rejected, value }  a direct task's result (transferables)
 *   { type: STDIO, name, chunks, bytes }   buffered stdout/stderr output
 * Pool -> mailbox thread (its inbox):
 *   { type: PUT, id, data, transfer } { type: DROP, id }
 *   { type: WORKER, port }            a new worker's port
 *   { type: COUNT, port }             answer how many payloads are held
 * Worker <-> mailbox thread (the worker's port):
 *   { type: FETCH, id }  ->  { type: PAYLOAD, id, data } or { type: PAYLOAD, id, gone: true }
 */

const MSG = Object.freeze({
  MAILBOX: 'mailbox',
  ABORT: 'abort',
  READY: 'ready',
  RESULT: 'result',
  STDIO: 'stdio',
  PUT: 'put',
  DROP: 'drop',
  WORKER: 'worker',
  COUNT: 'count',
  FETCH: 'fetch',
  PAYLOAD: 'payload',
});

module.exports = { MSG };
