// @ts-check
'use strict';
/**
 * The queue a PromisePool switches to on the first task with a priority
 * other than 0: one FIFO TaskQueue per priority in use, and a binary heap of
 * those priorities (lowest first). push and take cost O(log k), k being the
 * number of distinct priorities waiting; FIFO holds within a priority. It has
 * TaskQueue's interface (push, takeInto, remove, takeAll, live), so the pool
 * uses either the same way; a pool that never sees a priority keeps the
 * plain TaskQueue and pays nothing for this.
 */

const { TaskQueue } = require('./task-queue.js');

class PriorityQueue {
  /** @param {TaskQueue} plain  the pool's queue so far: its entries become priority 0 */
  constructor(plain) {
    /** @type {Map<number, TaskQueue>} */
    this.buckets = new Map();
    /** @type {number[]} priorities with a bucket, as a min-heap */
    this.heap = [];
    this.live = 0;
    if (plain.live !== 0) {
      this.buckets.set(0, plain);
      this.heap.push(0);
      this.live = plain.live;
    }
  }

  /**
   * Appends a priority-0 entry (what `add` without a priority queues).
   * @param {any} x
   * @param {any} resolve
   * @param {unknown} scope
   */
  push(x, resolve, scope) {
    this.pushAt(x, resolve, scope, 0);
  }

  /**
   * Appends an entry behind the others of its priority.
   * @param {any} x
   * @param {any} resolve
   * @param {unknown} scope
   * @param {number} priority
   */
  pushAt(x, resolve, scope, priority) {
    let b = this.buckets.get(priority);
    if (b === undefined) {
      b = new TaskQueue();
      this.buckets.set(priority, b);
      this.#heapPush(priority);
    }
    b.push(x, resolve, scope);
    this.live++;
  }

  /**
   * Takes the first live entry of the lowest priority (there must be one).
   * @param {import('./task-queue.js').EntryTarget} to
   * @returns {any} the entry's scope
   */
  takeInto(to) {
    const b = this.#first();
    const scope = b.takeInto(to);
    this.live--;
    return scope;
  }

  /**
   * Removes a queued task object (it carries its `priority`).
   * @param {import('./task-queue.js').QueuedTask & { priority?: number }} task
   */
  remove(task) {
    const b = /** @type {TaskQueue} */ (this.buckets.get(task.priority ?? 0));
    b.remove(task);
    this.live--;
  }

  /** @returns {any[]} */
  takeAll() {
    const taken = [];
    while (this.live !== 0) {
      const b = this.#first();
      this.live -= b.live;
      for (const e of b.takeAll()) taken.push(e);
    }
    return taken;
  }

  /** The bucket of the lowest priority that has a live entry; empty buckets on the way are dropped. */
  #first() {
    for (;;) {
      const p = this.heap[0];
      const b = /** @type {TaskQueue} */ (this.buckets.get(p));
      if (b.live !== 0) return b;
      this.buckets.delete(p);
      this.#heapPop();
    }
  }

  /** @param {number} p */
  #heapPush(p) {
    const h = this.heap;
    let i = h.length;
    h.push(p);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (h[up] <= p) break;
      h[i] = h[up];
      i = up;
    }
    h[i] = p;
  }

  #heapPop() {
    const h = this.heap;
    const last = /** @type {number} */ (h.pop());
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const c = l + 1 < h.length && h[l + 1] < h[l] ? l + 1 : l;
      if (h[c] >= last) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
}

module.exports = { PriorityQueue };
