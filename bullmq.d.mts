/**
 * Types of the ESM entry of `threadkit/bullmq` (lib/bullmq/index.mjs): the same
 * declarations as bullmq.d.ts, which types the CommonJS entry, with the module
 * object as default export.
 * @packageDocumentation
 */
import * as bullmq from './bullmq.js';

export * from './bullmq.js';
export default bullmq;
