// @ts-check
'use strict';
/**
 * The byte ring that carries a pool.stream() task's values from its worker
 * to the caller's thread: a SharedArrayBuffer written by the worker's JS
 * (RingWriter, worker/stream.js) and read by the caller's iterator
 * (RingReader, stream.js), with no native call on either side. Its layout,
 * in one place:
 *
 *   Int32 header words (HEAD_BYTES), then CAP data bytes. Each value is a
 *   record `[u32 length, LE][the value, encoded by lib/codec]`, padded to a
 *   multiple of 4 bytes, so a length never straddles the end; its bytes may.
 *
 * - WRITE (worker) and READ (caller) count bytes since the start, modulo
 *   2^32 (only their difference is used). WRITE moves after a record's bytes
 *   are written, so the caller never sees half a value, except a value
 *   bigger than the free space: it goes in pieces (multiples of 4 bytes),
 *   and the caller copies each piece out as it comes, so a value of any size
 *   passes through a ring of CAP bytes.
 * - TAKEN (caller): values the caller has taken. The worker runs at most
 *   highWaterMark values ahead of it.
 * - READER_WAITING: the caller set it before it waits for a value; the
 *   worker that publishes one clears it and wakes the pool's owner (the
 *   caller's thread: poolStreamWake, Pool::wake_owner, whose drain serves the
 *   streams that wait). So a wake costs a native call only when the caller
 *   may be asleep, once per batch. Through the owner's wake, not
 *   Atomics.waitAsync: the owner's spin (src/spin.rs) watches that wake, so
 *   a caller whose event loop is about to sleep catches it without sleeping.
 * - WRITER_WAITING, WANT_TAKEN, WANT_READ: the worker, out of credit or of
 *   space, sets its targets, then the flag; the caller clears the flag and
 *   notifies once it has taken and freed that much (a quarter of the window
 *   of slack, so the worker is woken once per quarter window, not per value,
 *   and still has three quarters buffered ahead of the caller when it is).
 *
 * Each side keeps what it last learned of the other (free bytes, credit,
 * WRITE) and loads the shared word again only when that runs out.
 *
 * Lost wake-ups: each side stores its progress, then loads the other's flag;
 * the sleeper stores its flag, then loads the other's progress (all
 * sequentially consistent), so at least one of them sees the other.
 *
 * Why one ring per stream, not per worker: with concurrentTasksPerWorker > 1,
 * streams that share a worker would share the ring, and a slow caller would
 * stall the others (or the caller's thread would have to copy values out
 * into queues of its own: the extra copy and the unbounded memory the ring
 * avoids). A new ring costs one SharedArrayBuffer of RING_BYTES and one
 * control message (worker/stream.js), tens of µs, so a worker reuses the
 * rings it has sent once their streams are done with them:
 *
 * - OWNER (both sides) says who holds the ring: the tag of a task
 *   (ownerTag(id) > 0), FREE, or DROPPED. The worker sets a tag when it
 *   makes or claims the ring for a stream; the caller's side sets FREE
 *   (compareExchange from its own tag) once its stream is done with the
 *   ring; the worker sets DROPPED when it keeps the ring no longer.
 * - Claim (worker, RingWriter.claim): only a FREE ring whose last stream
 *   has ended on this worker too. It resets the counters, then stores the
 *   tag: the caller, which finds its task's ring by that tag (the pool
 *   keeps the rings each worker sent, stream-rings.js), sees the reset
 *   counters once it sees the tag. Nothing else writes a FREE ring: the
 *   caller's side stops touching a ring before it frees it. The claim sets
 *   READER_WAITING, as the caller cannot have yet: the first value wakes
 *   the pool's owner, whose drain lets the caller look for the ring.
 */

const { encodeTo, decode } = require('../codec/index.js');

/** Data bytes of a ring (a power of two). */
const RING_BYTES = 64 * 1024;
// Header words; the worker's and the caller's on separate cache lines.
const WRITE = 0;
const READER_WAITING = 1;
const READ = 16;
const TAKEN = 17;
const WRITER_WAITING = 18;
const WANT_TAKEN = 19;
const WANT_READ = 20;
const OWNER = 24;
const HEAD_WORDS = 32;
/** OWNER of a ring no stream holds: the worker may claim it. */
const FREE = 0;
/** OWNER of a ring its worker no longer keeps: it is never reused. */
const DROPPED = -1;
const HEAD_BYTES = 4 * HEAD_WORDS;
/** Free rings a worker keeps for its next streams (worker/stream.js); more are dropped, as each is RING_BYTES of memory. */
const MAX_FREE_RINGS = 4;
/** Bytes in front of each value: its length. */
const LENGTH = 4;
/** How long a writer out of credit or space waits in place (blocking its thread) before it waits asynchronously. */
const WAIT_IN_PLACE_MS = 0.2;

/** A record of `n` value bytes: its length, the bytes, padding to 4. */
const recordBytes = (n) => (LENGTH + n + 3) & ~3;
/**
 * The OWNER word of task `id`'s ring: > 0, and told apart from another task's while fewer than
 * 2^31 - 1 tasks were submitted between them (ids are positive integers).
 * @param {number} id
 * @returns {number}
 */
const ownerTag = (id) => (id % 0x7fffffff) + 1;
/** a >= b, for counters modulo 2^32. */
const reached = (a, b) => ((a - b) | 0) >= 0;

/** The ring's memory, as both sides see it. */
class RingView {
  /** @param {SharedArrayBuffer} sab */
  constructor(sab) {
    this.sab = sab;
    this.h = new Int32Array(sab, 0, HEAD_WORDS);
    /** @type {Buffer} */
    this.u8 = Buffer.from(sab);
    this.cap = sab.byteLength - HEAD_BYTES;
    this.mask = this.cap - 1;
  }
}

/** The worker's side. */
class RingWriter extends RingView {
  /**
   * @param {() => void} wakeReader wakes the caller's thread
   * @param {(word: Int32Array, seen: number) => boolean} spin spins while `word[0]` is `seen`, if the
   *   spin policy allows (the pool's poolSpin): true if it moved
   * @param {number} tag the OWNER of its first stream (ownerTag)
   * @param {number} [bytes] data bytes (a power of two)
   */
  constructor(wakeReader, spin, tag, bytes = RING_BYTES) {
    super(new SharedArrayBuffer(HEAD_BYTES + bytes));
    Atomics.store(this.h, OWNER, tag);
    this.wakeReader = wakeReader;
    this.spin = spin;
    /** WRITER_WAITING alone, for `spin`. */
    this.waitingWord = new Int32Array(this.sab, 4 * WRITER_WAITING, 1);
    /** WRITE, as this side last stored it. */
    this.write = 0;
    /** Values written. */
    this.sent = 0;
    /** Free bytes and credit (values) as last loaded, less what was written since. */
    this.knownFree = 0;
    this.knownCredit = 0;
    /** A view of the ring that ends at most where the caller was (see tryPut). @type {Buffer | null} */
    this.bounded = null;
  }

  /**
   * Takes this ring for the stream whose OWNER is `tag` if no stream holds
   * it (see the module docs): false if one does. Call it only once the
   * ring's last stream has ended on this side.
   * @param {number} tag
   * @returns {boolean}
   */
  claim(tag) {
    const h = this.h;
    if (Atomics.load(h, OWNER) !== FREE) return false;
    for (const word of [WRITE, READ, TAKEN, WRITER_WAITING, WANT_TAKEN, WANT_READ]) Atomics.store(h, word, 0);
    Atomics.store(h, READER_WAITING, 1);
    this.write = 0;
    this.sent = 0;
    this.knownFree = 0;
    this.knownCredit = 0;
    this.bounded = null;
    // Last: the caller's side trusts the counters once it sees its tag.
    Atomics.store(h, OWNER, tag);
    return true;
  }

  /** No stream holds the ring. */
  isFree() {
    return Atomics.load(this.h, OWNER) === FREE;
  }

  /** This side keeps the ring no longer (its last stream has ended here): never reused. */
  drop() {
    Atomics.store(this.h, OWNER, DROPPED);
  }

  /** Free data bytes. */
  free() {
    return this.cap - ((this.write - Atomics.load(this.h, READ)) | 0);
  }

  /** Values this side may still write before the caller takes more. */
  credit(highWaterMark) {
    if (this.knownCredit > 0) return this.knownCredit;
    return (this.knownCredit = highWaterMark - ((this.sent - Atomics.load(this.h, TAKEN)) | 0));
  }

  /**
   * Encodes `value` straight into the ring if it fits in the free bytes
   * before the end. Returns false if not (nothing written). Throws the
   * codec's DataCloneError.
   * @param {unknown} value
   * @returns {boolean}
   */
  tryPut(value) {
    const at = HEAD_BYTES + (this.write & this.mask);
    for (let fresh = false; ; fresh = true) {
      if (fresh) this.knownFree = this.free();
      const end = Math.min(at + this.knownFree, this.u8.length);
      if (end - at > LENGTH) {
        let t = this.u8;
        if (end < t.length) {
          // The free bytes end where the caller is, before the ring's end: a view that ends there
          // (or a little before: an older one is kept while it is close, as a subarray costs).
          t = this.bounded ?? t;
          if (t.length > end || t.length < Math.max(end - (this.cap >> 2), at + 64)) t = this.bounded = this.u8.subarray(0, end);
        }
        const n = encodeTo(value, t, at + LENGTH, 'the streamed value');
        if (n >= 0) {
          this.u8.writeUInt32LE(n, at);
          const size = recordBytes(n);
          this.knownFree -= size;
          this.publish(size);
          this.sent++;
          this.knownCredit--;
          return true;
        }
      }
      if (fresh) return false;
    }
  }

  /**
   * Writes the next piece of a record whose value is `bytes`, from its byte
   * `done` (the length counts as its first 4 bytes), into the free space.
   * Returns the new `done`; the record is whole at recordBytes(bytes.length).
   * @param {Buffer} bytes
   * @param {number} done
   * @returns {number}
   */
  putPiece(bytes, done) {
    const total = recordBytes(bytes.length);
    const n = Math.min(this.free(), total - done) & ~3;
    if (n === 0) return done;
    let pos = this.write;
    let from = done;
    if (from === 0) {
      this.u8.writeUInt32LE(bytes.length, HEAD_BYTES + (pos & this.mask));
      pos += LENGTH;
      from = LENGTH;
    }
    const to = Math.min(done + n, LENGTH + bytes.length);
    while (from < to) {
      const at = pos & this.mask;
      const k = Math.min(to - from, this.cap - at);
      bytes.copy(this.u8, HEAD_BYTES + at, from - LENGTH, from - LENGTH + k);
      pos += k;
      from += k;
    }
    this.knownFree = 0;
    this.publish(n);
    if (done + n === total) {
      this.sent++;
      this.knownCredit--;
    }
    return done + n;
  }

  /** Makes `n` more bytes visible to the caller, and wakes it if it waits. */
  publish(n) {
    this.write = (this.write + n) | 0;
    Atomics.store(this.h, WRITE, this.write);
    if (Atomics.load(this.h, READER_WAITING) !== 0 && Atomics.exchange(this.h, READER_WAITING, 0) !== 0) this.wakeReader();
  }

  /**
   * Waits until the caller has room for the next value: credit under
   * `highWaterMark` values (0: credit does not count), and `bytes` free
   * bytes. First briefly in place, then with Atomics.waitAsync, so that this
   * thread's event loop runs (the pool's ABORT reaches it) while the caller
   * is slow. Returns early when
   * `stopped()` says so. (A caller that stops reading always sends an ABORT:
   * a stop, its signal, or its task's timeout.)
   * @param {number} highWaterMark
   * @param {number} bytes at most CAP
   * @param {() => boolean} stopped
   * @param {(wake: (() => void) | null) => void} setWake how a stop ends the asynchronous wait
   * @returns {Promise<void>}
   */
  async waitForRoom(highWaterMark, bytes, stopped, setWake) {
    const h = this.h;
    // Slack (see the module docs): woken once per quarter window, or half a ring freed.
    const wantTaken = highWaterMark === 0 ? Atomics.load(h, TAKEN) : this.sent - highWaterMark + Math.ceil(highWaterMark / 4);
    Atomics.store(h, WANT_TAKEN, wantTaken | 0);
    Atomics.store(h, WANT_READ, (this.write + Math.max(bytes, this.cap >> 1) - this.cap) | 0);
    let inPlace = true;
    for (;;) {
      Atomics.store(h, WRITER_WAITING, 1);
      if ((highWaterMark === 0 || this.credit(highWaterMark) > 0) && this.free() >= bytes) break;
      if (stopped()) break;
      if (inPlace) {
        // A caller that keeps up makes room within microseconds: spin for it (where a core is
        // idle: the pool's worker spin policy), then wait for it in place.
        inPlace = false;
        if (!this.spin(this.waitingWord, 1)) Atomics.wait(h, WRITER_WAITING, 1, WAIT_IN_PLACE_MS);
        continue;
      }
      const w = Atomics.waitAsync(h, WRITER_WAITING, 1);
      if (w.async) await Promise.race([w.value, new Promise((resolve) => setWake(() => resolve(undefined)))]);
      setWake(null);
    }
    Atomics.store(h, WRITER_WAITING, 0);
    this.knownCredit = 0;
    this.knownFree = 0;
  }
}

/** No value is ready (RingReader.take). */
const NONE = Symbol('none');

/** The caller's side. */
class RingReader extends RingView {
  /**
   * @param {SharedArrayBuffer} sab the writer's
   * @param {number} tag its OWNER while this stream holds it
   */
  constructor(sab, tag) {
    super(sab);
    this.tag = tag;
    /** READ and TAKEN, as this side last stored them. */
    this.read = 0;
    this.taken = 0;
    /** Where the values end, once the task has ended (WRITE then); -1 while it runs. */
    this.end = -1;
    /** WRITE as last loaded. */
    this.limit = 0;
    /** A value bigger than the free space, copied out piece by piece: its bytes, and how many are here. */
    /** @type {Buffer | null} */
    this.big = null;
    this.bigAt = 0;
    /** Record bytes of `big` still in the ring (with its padding). */
    this.bigLeft = 0;
  }

  /**
   * The next value, or NONE if none is whole yet. Throws what decode throws
   * (the value is then consumed).
   * @returns {unknown}
   */
  take() {
    let limit = this.limit;
    if (limit === this.read) limit = this.limit = this.end === -1 ? Atomics.load(this.h, WRITE) : this.end;
    for (;;) {
      const avail = (limit - this.read) | 0;
      if (this.big !== null) {
        if (avail === 0) return NONE;
        const n = Math.min(avail, this.bigLeft);
        this.copyOut(this.big, this.bigAt, Math.min(n, this.big.length - this.bigAt));
        this.bigAt += n;
        this.bigLeft -= n;
        this.advance(n, this.bigLeft === 0);
        if (this.bigLeft > 0) return NONE;
        const big = this.big;
        this.big = null;
        return decode(big);
      }
      if (avail < LENGTH) return NONE;
      const at = HEAD_BYTES + (this.read & this.mask);
      const len = this.u8.readUInt32LE(at);
      const total = recordBytes(len);
      if (avail < total) {
        // A value in pieces: copy out what is here, to free the ring for the rest.
        this.big = Buffer.allocUnsafe(len);
        this.bigAt = -LENGTH;
        this.bigLeft = total;
        continue;
      }
      let b = this.u8;
      let start = at + LENGTH;
      if (start + len > b.length) {
        // Its bytes wrap around the end: decode a copy.
        b = Buffer.allocUnsafe(len);
        this.copyOut(b, -LENGTH, LENGTH + len);
        start = 0;
      }
      // Decoded before READ moves: the writer may reuse the bytes after.
      let value;
      try {
        value = decode(b, start, start + len);
      } finally {
        this.advance(total, true);
      }
      return value;
    }
  }

  /**
   * Copies `n` ring bytes from READ on into `dst` at `dstAt` (a negative
   * `dstAt` skips the record's length, which is in front of its bytes).
   * @param {Buffer} dst
   * @param {number} dstAt
   * @param {number} n
   */
  copyOut(dst, dstAt, n) {
    let pos = this.read;
    while (n > 0) {
      const at = pos & this.mask;
      const k = Math.min(n, this.cap - at);
      const skip = dstAt < 0 ? Math.min(-dstAt, k) : 0;
      if (k > skip) this.u8.copy(dst, dstAt + skip, HEAD_BYTES + at + skip, HEAD_BYTES + at + k);
      pos += k;
      dstAt += k;
      n -= k;
    }
  }

  /**
   * Frees `n` bytes (and counts a value taken if `value`), then wakes the
   * writer if it waits for that much.
   * @param {number} n
   * @param {boolean} value
   */
  advance(n, value) {
    const h = this.h;
    this.read = (this.read + n) | 0;
    Atomics.store(h, READ, this.read);
    if (value) Atomics.store(h, TAKEN, (this.taken = (this.taken + 1) | 0));
    if (
      Atomics.load(h, WRITER_WAITING) !== 0 &&
      reached(this.taken, Atomics.load(h, WANT_TAKEN)) &&
      reached(this.read, Atomics.load(h, WANT_READ)) &&
      Atomics.exchange(h, WRITER_WAITING, 0) !== 0
    ) {
      Atomics.notify(h, WRITER_WAITING);
    }
  }

  /**
   * The caller is about to wait for a value: true if the writer will wake
   * it (READER_WAITING is set), false if a value came meanwhile (take again).
   * @returns {boolean}
   */
  sleep() {
    Atomics.store(this.h, READER_WAITING, 1);
    // A value published before the flag was stored is seen here.
    if (Atomics.load(this.h, WRITE) === this.read) return true;
    Atomics.store(this.h, READER_WAITING, 0);
    return false;
  }

  /**
   * The task has ended: its values are those written so far (what a worker
   * writes after its task timed out is not one of them, nor a value in
   * pieces that was not finished).
   */
  close() {
    if (this.end === -1) this.end = this.limit = Atomics.load(this.h, WRITE);
  }

  /** This stream is done with the ring: its worker may reuse it. Touches the ring no more. */
  release() {
    Atomics.compareExchange(this.h, OWNER, this.tag, FREE);
  }
}

/**
 * The OWNER word of the ring `header` (an Int32Array over its first words).
 * @param {Int32Array} header
 * @returns {number}
 */
const ownerOf = (header) => Atomics.load(header, OWNER);

/**
 * The header view a pool keeps of a ring it was sent (ownerOf reads it).
 * @param {SharedArrayBuffer} sab
 * @returns {Int32Array}
 */
const ringHeader = (sab) => new Int32Array(sab, 0, HEAD_WORDS);

/**
 * Frees the ring `header` if the stream whose OWNER is `tag` holds it (as RingReader.release).
 * @param {Int32Array} header
 * @param {number} tag
 */
const releaseRing = (header, tag) => Atomics.compareExchange(header, OWNER, tag, FREE);

module.exports = { RingWriter, RingReader, NONE, RING_BYTES, MAX_FREE_RINGS, FREE, DROPPED, recordBytes, ownerTag, ownerOf, ringHeader, releaseRing };
