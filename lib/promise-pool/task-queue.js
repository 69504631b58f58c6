// @ts-check
'use strict';
/**
 * The queue of a PromisePool's waiting tasks: a FIFO of 3-slot entries
 * [x, resolve, scope] kept in a linked list of chunks (plain arrays whose
 * last slot links to the next chunk).
 *
 * x is a plain task's fn (then resolve is its promise's resolve function),
 * or an object with the shape of the pool's SignalTask and map's MapTask:
 * `state` (QUEUED, STARTED or DEAD), `detach()` and `hollow()` (resolve:
 * null). scope is whatever the pool records with the entry.
 *
 * Why chunks, not one ring that doubles: an entry is written once, into a
 * young chunk, and never copied. Growing one big array copied every entry
 * about twice more into an array in old space, and each copy of a young
 * object's pointer there goes through the write barrier (Q1, 1M waiting
 * tasks: ~5% of the run in `set length` alone). The first chunk is small,
 * since most pools never queue much; while the queue is longer than a
 * chunk, each new one is twice as big, up to CHUNK_MAX entries. An emptied
 * chunk is kept as the one spare, so a queue that flows steadily allocates
 * nothing.
 *
 * An entry whose task is aborted while it waits stays where it is, marked
 * DEAD, and is skipped when it reaches the head: O(1). Dead entries are
 * compacted away once they outnumber the live ones, so aborting many tasks
 * behind a long one cannot grow the queue without bound.
 */

/** A task object's `state`. */
const QUEUED = 0;
const STARTED = 1;
const DEAD = 2;

/**
 * A queued task object: the pool's SignalTask or map's MapTask.
 * @typedef {object} QueuedTask
 * @property {number} state  QUEUED, STARTED or DEAD
 * @property {() => void} detach  leaves the queue: drops what it waited with (an abort listener)
 * @property {() => void} hollow  dropped while queued: keeps nothing alive from its dead entry
 */
/**
 * What a queue entry is taken into (a PromisePool runner).
 * @typedef {{ x: Function | QueuedTask | null, resolve: ((value: unknown) => void) | null }} EntryTarget
 */

/** Entries in the first chunk, and in the one a queue goes back to once it is empty after holding many. */
const CHUNK_MIN = 16;
/** Entries in the biggest chunk. */
const CHUNK_MAX = 2048;
/** The biggest chunk an emptied queue keeps. */
const CHUNK_KEPT = 256;

/**
 * A chunk of n entries, plus its link slot.
 * @param {number} n
 * @returns {any[]}
 */
function newChunk(n) {
  return new Array(n * 3 + 1);
}

class TaskQueue {
  constructor() {
    this.head = newChunk(CHUNK_MIN);
    /** Slot index of the first entry in `head`. */
    this.headAt = 0;
    this.tail = this.head;
    /** Slot index where the next entry goes in `tail`. */
    this.tailAt = 0;
    /** An emptied chunk kept for reuse, or null. */
    this.spare = null;
    /** Live entries (tasks waiting). */
    this.live = 0;
    /** Dead entries still in the chunks. */
    this.dead = 0;
  }

  /**
   * Appends an entry.
   * @param {Function | QueuedTask} x  a plain task's fn, or a task object
   * @param {((value: unknown) => void) | null} resolve  a plain task's resolve function, else null
   * @param {unknown} scope  what the pool records with the entry
   */
  push(x, resolve, scope) {
    let c = this.tail;
    let i = this.tailAt;
    if (i === c.length - 1) {
      c = this.#link(c);
      i = 0;
    }
    c[i] = x;
    c[i + 1] = resolve;
    c[i + 2] = scope;
    this.tailAt = i + 3;
    this.live++;
  }

  /** Chains a chunk after the full tail chunk c and makes it the tail. */
  #link(c) {
    // Bigger chunks only while the queue is long: a short queue that flows steadily keeps swapping two small ones.
    const entries = (c.length - 1) / 3;
    const size = this.live >= entries ? Math.min(entries * 2, CHUNK_MAX) : entries;
    let n = this.spare;
    if (n !== null && n.length >= size * 3 + 1) this.spare = null;
    else n = newChunk(size);
    c[c.length - 1] = n;
    this.tail = n;
    return n;
  }

  /**
   * Takes the first live entry out (there must be one): its x and resolve
   * go to `to.x` and `to.resolve` (a PromisePool runner), and its scope is
   * returned. The queue keeps nothing of it. A task object is marked
   * STARTED and detached.
   * @param {EntryTarget} to
   * @returns {any} the entry's scope
   */
  takeInto(to) {
    for (;;) {
      let c = this.head;
      let i = this.headAt;
      if (i === c.length - 1) {
        // The head chunk is used up; a live entry remains, so a next chunk exists.
        const n = c[i];
        c[i] = undefined;
        this.spare = c;
        this.head = c = n;
        i = 0;
      }
      const x = c[i];
      const resolve = c[i + 1];
      const scope = c[i + 2];
      c[i] = c[i + 1] = c[i + 2] = undefined;
      this.headAt = i + 3;
      if (typeof x !== 'function') {
        if (x.state === DEAD) {
          this.dead--;
          continue;
        }
        x.state = STARTED;
        x.detach();
      }
      if (--this.live === 0) this.#emptied();
      to.x = x;
      to.resolve = resolve;
      return scope;
    }
  }

  /**
   * Marks a queued task object dead where it waits, detaches it, and hollows
   * it: its entry may stay until the head passes it, but keeps nothing of
   * the task (its function, its map) alive.
   * @param {QueuedTask} task  queued now
   */
  remove(task) {
    task.detach();
    task.hollow();
    task.state = DEAD;
    this.dead++;
    if (--this.live === 0) this.#emptied();
    else if (this.dead > 32 && this.dead > this.live) this.#compact();
  }

  /**
   * Empties the queue and returns its live entries, in order, as [x, resolve, x, resolve, ...]; task objects are marked DEAD.
   * @returns {any[]}
   */
  takeAll() {
    const taken = [];
    const entry = { x: null, resolve: null };
    while (this.live !== 0) {
      this.takeInto(entry);
      if (typeof entry.x !== 'function') entry.x.state = DEAD;
      taken.push(entry.x, entry.resolve);
    }
    return taken;
  }

  /**
   * Nothing live is queued: start over at the front of a chunk. The head
   * chunk is reused if it is the only one and small (every entry taken from
   * it was cleared); otherwise, with dead entries or big chunks left behind,
   * the queue starts again from one small chunk.
   */
  #emptied() {
    if (this.dead !== 0 || this.head !== this.tail || this.head.length > CHUNK_KEPT * 3 + 1) {
      this.head = this.tail = newChunk(CHUNK_MIN);
      this.spare = null;
    }
    this.headAt = 0;
    this.tailAt = 0;
    this.dead = 0;
  }

  /** Drops the dead entries, keeping the order of the live ones. */
  #compact() {
    const live = [];
    let c = this.head;
    let i = this.headAt;
    while (c !== this.tail || i !== this.tailAt) {
      if (i === c.length - 1) {
        c = c[i];
        i = 0;
        continue;
      }
      const x = c[i];
      if (typeof x === 'function' || x.state !== DEAD) live.push(x, c[i + 1], c[i + 2]);
      i += 3;
    }
    this.head = this.tail = newChunk(CHUNK_MIN);
    this.headAt = this.tailAt = 0;
    this.spare = null;
    this.live = 0;
    this.dead = 0;
    for (let k = 0; k < live.length; k += 3) this.push(live[k], live[k + 1], live[k + 2]);
  }
}

module.exports = { TaskQueue, QUEUED, STARTED, DEAD };
