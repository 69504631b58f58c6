// @ts-check
'use strict';
/**
 * Abort listeners of waiting operations, one listener per AbortSignal.
 *
 * One AbortController for a batch is a common pattern, and a batch may hold
 * thousands of waiting operations. Giving each its own `addEventListener`
 * costs twice: Node warns (MaxListenersExceededWarning) past 10 listeners,
 * and its EventTarget scans the signal's listener list on every add and
 * remove, so N waiters cost O(N^2). `events.addAbortListener` (Node 20.5)
 * adds one listener each too: on Node 20 it warns and scans the same way.
 *
 * Here the signal carries one listener of ours; its waiters are a doubly
 * linked list found through a WeakMap, so adding and removing a waiter is
 * O(1). The listener is removed with the last waiter, so a signal that
 * outlives its waits keeps nothing of them. On abort, the waiters are called
 * in the order they registered.
 */

/** The registration of one waiter; `list` is null once it has left. */
class AbortEntry {
  constructor(list, onAbort) {
    this.list = list;
    this.onAbort = onAbort;
    this.prev = null;
    this.next = null;
  }
}

/** The waiters of one signal; itself the one listener (an EventListener object) that calls them. */
class SignalWaiters {
  constructor(signal) {
    this.signal = signal;
    this.head = null;
    this.tail = null;
  }

  handleEvent() {
    this.fire();
  }

  push(e) {
    if (this.tail === null) this.head = e;
    else {
      this.tail.next = e;
      e.prev = this.tail;
    }
    this.tail = e;
  }

  unlink(e) {
    if (e.prev === null) this.head = e.next;
    else e.prev.next = e.next;
    if (e.next === null) this.tail = e.prev;
    else e.next.prev = e.prev;
    e.prev = e.next = null;
    e.list = null;
  }

  fire() {
    // A waiter registered from here on (on an aborted signal) starts a new list, as addEventListener would.
    bySignal.delete(this.signal);
    while (this.head !== null) {
      const e = this.head;
      this.unlink(e);
      const onAbort = e.onAbort;
      e.onAbort = null;
      try {
        onAbort();
      } catch (error) {
        // As EventTarget does with a listener that throws: report it, and go on with the others.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}

/** @type {WeakMap<AbortSignal, SignalWaiters>} */
const bySignal = new WeakMap();

/**
 * Calls `onAbort()` when `signal` aborts, unless `stopAbortListener` is
 * called first. Like addEventListener, nothing happens if it has already
 * aborted: callers check `signal.aborted` first.
 * @param {AbortSignal} signal
 * @param {() => void} onAbort
 * @returns {AbortEntry} the registration, for stopAbortListener
 */
function startAbortListener(signal, onAbort) {
  let list = bySignal.get(signal);
  if (list === undefined) {
    list = new SignalWaiters(signal);
    bySignal.set(signal, list);
    signal.addEventListener('abort', list, { once: true });
  }
  const e = new AbortEntry(list, onAbort);
  list.push(e);
  return e;
}

/**
 * Removes a registration in O(1); a no-op once it has fired or been removed.
 * @param {AbortEntry} e
 */
function stopAbortListener(e) {
  const list = e.list;
  if (list === null) return;
  list.unlink(e);
  e.onAbort = null;
  // Not a list that has fired (its listener is gone, and the signal may have a new list by now).
  if (list.head === null && bySignal.get(list.signal) === list) {
    bySignal.delete(list.signal);
    list.signal.removeEventListener('abort', list);
  }
}

module.exports = { startAbortListener, stopAbortListener };
