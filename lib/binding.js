'use strict';
/**
 * The one place threadkit loads its native addon. `native.js` is napi-rs's
 * generated loader: it picks `threadkit.<platform>.node` next to it (a build
 * from source) or the platform package `@threadkit/binding-<platform>`.
 *
 * index.js requires this file first, so an install without a binary for this
 * machine fails at the first `require('threadkit')` / `import`, with a
 * NativeBindingError (lib/native-binding-error.js) that says what this
 * machine is, what is supported and how to build from source, instead of
 * napi-rs's generic "npm has a bug related to optional dependencies" at the
 * first use.
 */

try {
  module.exports = require('../native.js');
} catch (err) {
  throw require('./native-binding-error.js').nativeBindingError(err);
}
