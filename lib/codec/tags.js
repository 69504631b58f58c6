// @ts-check
'use strict';
/**
 * The one tag space of lib/codec: the first byte of every encoded value,
 * whichever path carries it (WorkerPool task data and results, Channel and
 * AsyncQueue values, threadkit/bullmq envelopes). Defined here only.
 */
const T = Object.freeze({
  /** float64 (a number that is not an int32, or -0). */
  NUMBER: 1,
  /** Well-formed string, UTF-8. */
  STRING: 2,
  /** Plain data as JSON, UTF-8 (see index.js for the exact subset). */
  JSON: 3,
  /** Plain data as JSON that is pure ASCII (decoded as latin1, a little faster). */
  ASCII_JSON: 4,
  /** A flat record: record.js. */
  RECORD: 5,
  /** int32, so the receiver gets a small integer as structured clone gives it. */
  INT32: 6,
  UNDEFINED: 7,
  NULL: 8,
  TRUE: 9,
  FALSE: 10,
  /** An Error: v8.serialize([error, its own enumerable properties]). */
  ERROR: 11,
  /** WorkerPool: the task's data stays with the main thread and goes by postMessage (one byte, no body). */
  DIRECT: 12,
  /** WorkerPool: [JOB][u32 id length][BullMQ job id, UTF-8][the value, encoded]. */
  JOB: 13,
  /** WorkerPool: [TRACE][u32 length, LE][a tracing context, encoded][the task's payload] (lib/pool/trace-frame.js). */
  TRACE: 14,
  /** WorkerPool: [STREAM][u32 highWaterMark, LE][the task's payload]: a pool.stream() task (lib/pool/stream-frame.js). */
  STREAM: 15,
  /** `v8.serialize` output as is: its own first byte, the version tag, is 0xFF. */
  V8: 0xff,
});

module.exports = { T };
