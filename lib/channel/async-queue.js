// @ts-check
'use strict';
/**
 * AsyncQueue: the producer-consumer queue of Python's `asyncio.Queue`
 * (`put`, `get`, `taskDone`, `join`), built on the channel cores: `put` is a
 * send, `get` a receive, and the cores count accepted values not yet marked
 * done (natively once shared, so `join()` works across threads). Not a
 * second queue implementation: only the names and the close behaviour of
 * `get` differ from Channel.
 */

const { ChannelBase, validateCapacity } = require('./index.js');
const { LocalCore } = require('./local.js');
const { DONE } = require('./waiter.js');
const { ClosedError } = require('../errors.js');
const { validateWaitOptions } = require('../validate.js');

const core = (q) => ChannelBase.coreOf(q);

/**
 * A received value; a ClosedError for the end of a closed queue.
 * @param {unknown} x
 * @returns {unknown}
 */
function closedOnGet(x) {
  if (x === DONE) throw new ClosedError('the AsyncQueue is closed and empty');
  return x;
}

class AsyncQueue extends ChannelBase {
  constructor(options) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError('AsyncQueue options must be an object like { maxSize }');
    }
    const maxSize = validateCapacity(options?.maxSize ?? Infinity, 'options.maxSize', true);
    super(new LocalCore(maxSize, 'AsyncQueue'));
  }

  static from(handle) {
    return Reflect.construct(ChannelBase, [ChannelBase.attach(handle, 'AsyncQueue', 'AsyncQueue')], AsyncQueue);
  }

  get kind() {
    return 'AsyncQueue';
  }

  put(item, options) {
    if (options !== undefined) validateWaitOptions(options);
    return core(this).send(item, options);
  }

  get(options) {
    if (options !== undefined) validateWaitOptions(options);
    return core(this).receive(options, true).then(closedOnGet);
  }

  tryPut(item) {
    return core(this).trySend(item);
  }

  taskDone() {
    if (core(this).taskDone() < 0) {
      throw new RangeError('AsyncQueue.taskDone() was called more times than there were items put');
    }
  }

  join(options) {
    if (options !== undefined) validateWaitOptions(options);
    return core(this).join(options);
  }

  close() {
    return core(this).close();
  }

  get size() {
    return core(this).length;
  }

  get maxSize() {
    return core(this).cap;
  }

  get unfinished() {
    return core(this).unfinished;
  }

  get closed() {
    return core(this).closed;
  }
}

module.exports = { AsyncQueue };
