// Handles: passing primitives to other threads, attaching with from(), and bad or damaged handles.
import { Mutex, Semaphore, RwLock, InvalidHandleError } from '../index';
import { Workers, nextMessage, messageWhere, exitOf, root } from './helpers';

const workers = new Workers();
afterEach(() => workers.stopAll());

describe('handles', () => {
  test('a handle of another kind gives InvalidHandleError naming the right class', () => {
    const sem = new Semaphore(2);
    const rw = new RwLock();
    const m = new Mutex();
    expect(() => Mutex.from(sem.handle as never)).toThrow(InvalidHandleError);
    expect(() => Mutex.from(sem.handle as never)).toThrow(/Semaphore/);
    expect(() => Semaphore.from(m.handle as never)).toThrow(InvalidHandleError);
    expect(() => RwLock.from(m.handle as never)).toThrow(InvalidHandleError);
    expect(() => Mutex.from(rw.handle as never)).toThrow(InvalidHandleError);
    const err = (() => {
      try {
        Mutex.from(sem.handle as never);
      } catch (e) {
        return e as InvalidHandleError;
      }
    })();
    expect(err).toBeInstanceOf(TypeError);
    expect(err!.code).toBe('ERR_THREADKIT_INVALID_HANDLE');
  });

  test.each([
    ['{}', {}],
    ['null', null],
    ['42', 42],
    ['undefined', undefined],
    ['a string', 'Mutex'],
    ['a tag only', { __threadkit: 'Mutex' }],
    ['a plain ArrayBuffer state', { __threadkit: 'Mutex', id: 1, max: 1, state: new ArrayBuffer(4) }],
    ['a negative id', { __threadkit: 'Mutex', id: -1, max: 1, state: new SharedArrayBuffer(4) }],
    ['a wrong-size buffer', { __threadkit: 'Mutex', id: 1, max: 1, state: new SharedArrayBuffer(16) }],
  ])('Mutex.from(%s) gives InvalidHandleError', (_name, junk) => {
    expect(() => Mutex.from(junk as never)).toThrow(InvalidHandleError);
  });

  test('a forged id of a live primitive with a different SharedArrayBuffer gives InvalidHandleError', () => {
    const mutex = new Mutex();
    const h = mutex.handle;
    const forged = { __threadkit: 'Mutex' as const, id: h.id, max: h.max, state: new SharedArrayBuffer(4) };
    expect(() => Mutex.from(forged)).toThrow(InvalidHandleError);
    // ... and the real one still works
    const again = Mutex.from(h);
    const g = again.tryAcquire();
    expect(g).not.toBeNull();
    expect(mutex.isLocked()).toBe(true);
    g!.release();
    // a semaphore's id with the right kind tag but different memory
    const sem = new Semaphore(3);
    const sh = sem.handle;
    expect(() => Semaphore.from({ __threadkit: 'Semaphore', id: sh.id, max: sh.max, state: new SharedArrayBuffer(4) })).toThrow(InvalidHandleError);
    // the id of one primitive with the memory of another
    expect(() => Mutex.from({ __threadkit: 'Mutex', id: h.id, max: 1, state: new Mutex().handle.state })).toThrow(InvalidHandleError);
  });

  // Regression test (was a library bug, fixed by refusing ids never shared by
  // their creator): a primitive whose handle was never taken
  // (local mode) has an id but no native core, so a forged handle with that
  // id and any SharedArrayBuffer is accepted: attachShared (lib/sync/share.js) ->
  // isolate::attach creates a new core for the id. The forged "mutex" is
  // locked forever (a zeroed word = 0 permits), and worse, the genuine
  // primitive can no longer be shared: its `.handle` getter now throws
  // InvalidHandleError ("does not match the Mutex with id N").
  test('a forged handle with the id of a primitive that has not been shared yet is rejected and breaks nothing', () => {
    const genuine = new Mutex(); // local mode: its handle is never taken before the forgery
    const neighbour = new Mutex();
    const forgedId = neighbour.handle.id - 1; // ids are handed out in creation order
    expect(() => Mutex.from({ __threadkit: 'Mutex', id: forgedId, max: 1, state: new SharedArrayBuffer(4) })).toThrow(InvalidHandleError);
    const h = genuine.handle; // the genuine one must still be shareable ...
    expect(h.id).toBe(forgedId); // (and it was the one whose id was forged)
    const again = Mutex.from(h); // ... and usable
    const g = again.tryAcquire();
    expect(g).not.toBeNull();
    expect(genuine.isLocked()).toBe(true);
    g!.release();
  });

  // Regression test (was a library bug): FairSemaphore.checkHandle accepted any
  // positive integer id, but the native side takes it as a u32, so id
  // 2**32 + k silently aliases primitive k (here it attaches to the same
  // shared word under a different id; acquireAll would then order it
  // differently on different threads). Ids above 0xFFFFFFFF should be
  // rejected as a damaged handle.
  test('an id outside the native id range is rejected, not wrapped onto another primitive', () => {
    const m = new Mutex();
    const h = m.handle;
    expect(() => Mutex.from({ ...h, id: h.id + 2 ** 32 })).toThrow(InvalidHandleError);
  });

  test('a forged handle is rejected in a worker too, and does not disturb the real primitive', async () => {
    const mutex = new Mutex();
    const h = mutex.handle;
    const w = workers.eval(
      `const { workerData, parentPort } = require('node:worker_threads');
       const tk = require(${JSON.stringify(root)});
       const out = [];
       try { tk.Mutex.from(workerData.real); out.push('real ok'); } catch (e) { out.push('real ' + e.name); }
       try { tk.Mutex.from(workerData.forged); out.push('forged ok'); } catch (e) { out.push('forged ' + e.name); }
       parentPort.postMessage(out);`,
      { real: h, forged: { __threadkit: 'Mutex', id: h.id, max: 1, state: new SharedArrayBuffer(h.state.byteLength) } },
    );
    expect(await nextMessage(w)).toEqual(['real ok', 'forged InvalidHandleError']);
    (await mutex.acquire({ timeout: 10_000 })).release();
  });

  test('a handle whose creator worker has exited still works in another thread', async () => {
    const w = workers.start('handle-creator.js', {});
    const exited = exitOf(w);
    const { mutex: mh, sem: sh } = await nextMessage<{ mutex: Mutex['handle']; sem: Semaphore['handle'] }>(w);
    expect(await exited).toBe(0);
    const m = Mutex.from(mh);
    const g = await m.acquire({ timeout: 10_000 });
    expect(m.isLocked()).toBe(true);
    g.release();
    expect(m.isLocked()).toBe(false);
    const s = Semaphore.from(sh);
    expect(s.permits).toBe(4);
    (await s.acquire(4, { timeout: 10_000 })).release();
    // and from a second worker
    const order = new Int32Array(new SharedArrayBuffer(8 * 4));
    const w2 = workers.start('fifo-queuer.js', { mutex: mh, order: order.buffer, me: 5 });
    expect(await messageWhere(w2, (x) => x !== 'queued')).toBe('done');
    expect(order[1]).toBe(5);
  });

  test('a creator that exits while holding releases what it held', async () => {
    const w = workers.start('handle-creator.js', { hold: true });
    const exited = exitOf(w);
    const { mutex: mh, sem: sh } = await nextMessage<{ mutex: Mutex['handle']; sem: Semaphore['handle'] }>(w);
    await exited;
    const m = Mutex.from(mh);
    const s = Semaphore.from(sh);
    const g = await m.acquire({ timeout: 10_000 });
    const p = await s.acquire(4, { timeout: 10_000 });
    g.release();
    p.release();
    expect(s.available).toBe(4);
  });
});
