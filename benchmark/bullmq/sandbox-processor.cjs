'use strict';
// The same task as tasks.cjs in BullMQ's sandboxed-processor form: `(job) => result`.
const task = require('./tasks.cjs');

module.exports = (job) => task(job.data);
