/**
 * Types of the ESM entry (index.mjs): the same declarations as index.d.ts,
 * which types the CommonJS entry, with the module object as default export.
 * @packageDocumentation
 */
import * as threadkit from './index.js';

export * from './index.js';
export default threadkit;
