/// <reference types="node" />
/**
 * threadkit: synchronisation primitives for Node.js that work within one
 * thread **and across worker_threads**, built in Rust with napi-rs.
 *
 * Every primitive can be handed to a worker: put its `handle` in `workerData`
 * or a message, and call `X.from(handle)` on the other side. Both sides then
 * share one lock, with FIFO fairness across threads.
 *
 * If a worker exits or crashes while it holds permits or locks, they are
 * **released** (not poisoned), and its queued waiters are removed.
 *
 * On a machine without a native binary for it, `require('threadkit')` and
 * `import` throw (no export is reached) a `NativeBindingError` with
 * `code: 'ERR_THREADKIT_NATIVE_BINDING'`, `platform`, `arch`, `libc` (Linux,
 * else null), `supported` (the platforms with a binary) and a message that
 * says how to build from source.
 *
 * The declarations use Node's own types (`@types/node`, an optional peer
 * dependency: a TypeScript project has its own, and a second copy would clash).
 *
 * @packageDocumentation
 * @module threadkit
 */

// One file per feature, in the API's order.
export * from './types/sync.js';
export * from './types/worker-pool.js';
export * from './types/pool-stream.js';
export * from './types/tracing.js';
export * from './types/errors.js';
export * from './types/promise-pool.js';
export * from './types/channel.js';
