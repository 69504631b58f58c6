'use strict';

/** The guard that acquire() resolves to: releases exactly what was acquired, once. */
class Permit {
  #engine;
  #permits;
  constructor(engine, permits) {
    this.#engine = engine;
    this.#permits = permits;
  }

  /** Number of permits this guard holds (0 after release). */
  get permits() {
    return this.#engine === null ? 0 : this.#permits;
  }

  /** True once released. */
  get released() {
    return this.#engine === null;
  }

  /** Releases what this guard holds. Calling it again does nothing. */
  release() {
    const e = this.#engine;
    if (e === null) return;
    this.#engine = null;
    e.release(this.#permits);
  }

  [Symbol.dispose]() {
    this.release();
  }
}

// Resolving a promise with an object looks up its `then`. Answering that
// lookup on the guard's own prototype (with a non-callable value, so a guard
// is not a thenable) is cheaper than a miss that walks up to
// Object.prototype. (A plain object literal would be cheaper still, but V8
// pretenures literal allocation sites after a full GC, which made it 4x
// slower from then on.)
Object.defineProperty(Permit.prototype, 'then', { value: undefined, enumerable: false });

module.exports = { Permit };
