// @ts-check
'use strict';

const ENGINE = Symbol('engine');
const PERMITS = Symbol('permits');

/** The guard that acquire() resolves to: releases exactly what was acquired, once. */
class Permit {
  constructor() {
    throw new TypeError('a Permit is made by acquire() or tryAcquire(); it cannot be constructed directly');
  }

  /** Number of permits this guard holds (0 after release). */
  get permits() {
    return engineOf(this) === null ? 0 : this[PERMITS];
  }

  /** True once released. */
  get released() {
    return engineOf(this) === null;
  }

  /** Releases what this guard holds. Calling it again does nothing. */
  release() {
    const e = engineOf(this);
    if (e === null) return;
    // Released only once the engine took them: on a `{ max }` semaphore a
    // release can be refused (RangeError), and the guard then still holds.
    e.release(this[PERMITS]);
    this[ENGINE] = null;
  }

  [Symbol.dispose]() {
    this.release();
  }

  /** For console.log: the state, not the internals. */
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Permit { permits: ${this.permits}, released: ${this.released} }`;
  }
}

/**
 * The engine a permit holds permits of; a TypeError for anything that is not a Permit.
 * @param {Permit} permit
 * @returns {import('./fair-semaphore.js').FairSemaphore}
 */
function engineOf(permit) {
  const e = permit[ENGINE];
  // The prototype check refuses an object made with Object.create(permit),
  // which would read the permit's engine and release it a second time.
  const proto = Object.getPrototypeOf(permit);
  if (e === undefined || (proto !== Permit.prototype && proto !== resolvedProto)) {
    throw new TypeError('not a Permit: use the guard that acquire() or tryAcquire() gave');
  }
  return e;
}

/**
 * A Permit for `n` permits of `engine`, held now, with prototype `proto`.
 * @param {object} proto
 * @param {import('./fair-semaphore.js').FairSemaphore} engine
 * @param {number} n
 * @returns {Permit}
 */
function permitOn(proto, engine, n) {
  const p = Object.create(proto);
  p[ENGINE] = engine;
  p[PERMITS] = n;
  return p;
}

/**
 * A Permit for `n` permits of `engine`, held now.
 * @param {import('./fair-semaphore.js').FairSemaphore} engine
 * @param {number} n
 * @returns {Permit}
 */
function newPermit(engine, n) {
  return permitOn(Permit.prototype, engine, n);
}

/**
 * The prototype of permits that settle a promise through its resolve
 * function (queued acquires): resolving looks up `then` at run time, and
 * finding it here (not callable, so a permit is still no thenable) is
 * cheaper than a miss that walks up to Object.prototype.
 */
const resolvedProto = Object.freeze(Object.create(Permit.prototype, { then: { value: undefined } }));
// Frozen, so that nobody can give permits a `then` (which would make them
// thenables and break every acquire) or replace their methods.
Object.freeze(Permit.prototype);

/**
 * A Permit for `n` permits of `engine`, held now, for a promise's resolve function.
 * @param {import('./fair-semaphore.js').FairSemaphore} engine
 * @param {number} n
 * @returns {Permit}
 */
function newResolvedPermit(engine, n) {
  return permitOn(resolvedProto, engine, n);
}

/**
 * A promise fulfilled with a new Permit. An async function's `return` of an
 * object whose map TurboFan knows, with no `then` anywhere on its prototype
 * chain, is compiled to a plain fulfil; `Promise.resolve(permit)` always
 * looks `then` up at run time.
 * @param {import('./fair-semaphore.js').FairSemaphore} engine
 * @param {number} n
 * @returns {Promise<Permit>}
 */
async function grantedPermit(engine, n) {
  return newPermit(engine, n);
}

module.exports = { Permit, newPermit, newResolvedPermit, grantedPermit };
