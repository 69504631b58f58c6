'use strict';
// The same tasks registered the way workerpool wants them.
const workerpool = require('workerpool');
const { fib } = require('./pool-tasks.cjs');

workerpool.worker({ echo: (x) => x, fib });
