import { RwLock, Permit, TimeoutError, AbortError, ClosedError } from '../index';
import { modes, settle, track, randomPause, random } from './helpers';

describe.each(modes)('RwLock (%s mode)', (_mode, prep) => {
  test('many readers at once; readers getter counts them', async () => {
    const rw = prep(new RwLock());
    expect(rw.readers).toBe(0);
    expect(rw.isWriteLocked()).toBe(false);
    const gs = await Promise.all(Array.from({ length: 20 }, () => rw.readLock()));
    expect(rw.readers).toBe(20);
    expect(rw.isWriteLocked()).toBe(false);
    expect(rw.waiting).toBe(0);
    gs.forEach((g) => expect(g).toBeInstanceOf(Permit));
    gs.slice(0, 5).forEach((g) => g.release());
    expect(rw.readers).toBe(15);
    gs.slice(5).forEach((g) => g.release());
    expect(rw.readers).toBe(0);
  });

  test('a writer is exclusive: it waits for readers, and readers and writers wait for it', async () => {
    const rw = prep(new RwLock());
    const r1 = await rw.readLock();
    const r2 = await rw.readLock();
    const w = track(rw.writeLock());
    await settle();
    expect(w.settled).toBe(false);
    r1.release();
    await settle();
    expect(w.settled).toBe(false); // one reader still holds
    r2.release();
    await settle();
    expect(w.fulfilled).toBe(true);
    expect(rw.isWriteLocked()).toBe(true);
    expect(rw.readers).toBe(0);
    const r3 = track(rw.readLock());
    const w2 = track(rw.writeLock());
    await settle();
    expect(r3.settled).toBe(false);
    expect(w2.settled).toBe(false);
    expect(rw.waiting).toBe(2);
    (w.value as Permit).release();
    await settle();
    expect(r3.fulfilled).toBe(true);
    expect(w2.settled).toBe(false);
    (r3.value as Permit).release();
    await settle();
    expect(w2.fulfilled).toBe(true);
    (w2.value as Permit).release();
    expect(rw.isWriteLocked()).toBe(false);
    expect(rw.readers).toBe(0);
    expect(rw.waiting).toBe(0);
  });

  test('a waiting writer blocks readers that arrive after it (writers are not starved)', async () => {
    const rw = prep(new RwLock());
    const r1 = await rw.readLock();
    const writer = track(rw.writeLock());
    const late = track(rw.readLock());
    await settle();
    expect(writer.settled).toBe(false);
    expect(late.settled).toBe(false); // would be free to read, but the writer is queued first
    expect(rw.tryReadLock()).toBeNull();
    expect(rw.readers).toBe(1);
    expect(rw.waiting).toBe(2);
    r1.release();
    await settle();
    expect(writer.fulfilled).toBe(true);
    expect(late.settled).toBe(false);
    (writer.value as Permit).release();
    await settle();
    expect(late.fulfilled).toBe(true);
    (late.value as Permit).release();
    expect(rw.readers).toBe(0);
  });

  test('readers queued before a writer go first, together (readers are not starved)', async () => {
    const rw = prep(new RwLock());
    const w0 = await rw.writeLock();
    const order: string[] = [];
    const mark = (name: string) => (g: Permit) => (order.push(name), g);
    const r1 = rw.readLock().then(mark('r1'));
    const r2 = rw.readLock().then(mark('r2'));
    const w1 = rw.writeLock().then(mark('w1'));
    const r3 = rw.readLock().then(mark('r3'));
    await settle();
    expect(rw.waiting).toBe(4);
    w0.release();
    const [g1, g2] = await Promise.all([r1, r2]);
    await settle();
    expect(order).toEqual(['r1', 'r2']);
    expect(rw.readers).toBe(2);
    g1.release();
    await settle();
    expect(order).toEqual(['r1', 'r2']);
    g2.release();
    const gw = await w1;
    await settle();
    expect(order).toEqual(['r1', 'r2', 'w1']);
    gw.release();
    (await r3).release();
    expect(order).toEqual(['r1', 'r2', 'w1', 'r3']);
    expect(rw.readers).toBe(0);
    expect(rw.isWriteLocked()).toBe(false);
  });

  test('runRead / runWrite return values and release, also on throw', async () => {
    const rw = prep(new RwLock());
    expect(
      await rw.runRead(() => {
        expect(rw.readers).toBe(1);
        return 'r';
      }),
    ).toBe('r');
    expect(
      await rw.runWrite(async () => {
        expect(rw.isWriteLocked()).toBe(true);
        await randomPause();
        return 'w';
      }),
    ).toBe('w');
    await expect(
      rw.runRead(() => {
        throw new Error('r-fail');
      }),
    ).rejects.toThrow('r-fail');
    await expect(rw.runWrite(async () => Promise.reject(new Error('w-fail')))).rejects.toThrow('w-fail');
    expect(rw.readers).toBe(0);
    expect(rw.isWriteLocked()).toBe(false);
    expect(rw.tryWriteLock()).not.toBeNull();
  });

  test('tryReadLock / tryWriteLock', () => {
    const rw = prep(new RwLock());
    const r = rw.tryReadLock();
    expect(r).not.toBeNull();
    expect(rw.tryWriteLock()).toBeNull();
    const r2 = rw.tryReadLock();
    expect(r2).not.toBeNull();
    expect(rw.readers).toBe(2);
    r!.release();
    r2!.release();
    const w = rw.tryWriteLock();
    expect(w).not.toBeNull();
    expect(rw.isWriteLocked()).toBe(true);
    expect(rw.tryReadLock()).toBeNull();
    expect(rw.tryWriteLock()).toBeNull();
    w!.release();
    expect(rw.isWriteLocked()).toBe(false);
    expect(rw.readers).toBe(0);
  });

  test('timeout / abort of a queued writer lets the readers behind it in', async () => {
    const rw = prep(new RwLock());
    const r1 = await rw.readLock();
    const w = rw.writeLock({ timeout: 10 });
    const late = track(rw.readLock());
    await expect(w).rejects.toBeInstanceOf(TimeoutError);
    await settle();
    expect(late.fulfilled).toBe(true);
    expect(rw.readers).toBe(2);
    const ac = new AbortController();
    const w2 = rw.writeLock({ signal: ac.signal });
    const late2 = track(rw.readLock());
    expect(rw.waiting).toBe(2);
    ac.abort();
    await expect(w2).rejects.toBeInstanceOf(AbortError);
    await settle();
    expect(late2.fulfilled).toBe(true);
    expect(rw.readers).toBe(3);
    r1.release();
    (late.value as Permit).release();
    (late2.value as Permit).release();
    expect(rw.readers).toBe(0);
    expect(rw.waiting).toBe(0);
  });

  test('close rejects queued readers and writers', async () => {
    const rw = prep(new RwLock());
    const w = await rw.writeLock();
    const a = rw.readLock();
    const b = rw.writeLock();
    rw.close('done');
    expect(rw.closed).toBe(true);
    for (const p of [a, b]) {
      const e = await p.catch((x) => x);
      expect(e).toBeInstanceOf(ClosedError);
      expect(e.reason).toBe('done');
    }
    await expect(rw.runRead(() => 1)).rejects.toBeInstanceOf(ClosedError);
    w.release();
    expect(rw.isWriteLocked()).toBe(false);
  });

  test('random readers and writers never overlap', async () => {
    const rw = prep(new RwLock());
    let readers = 0;
    let writers = 0;
    let violations = 0;
    let maxReaders = 0;
    const task = async () => {
      for (let i = 0; i < 30; i++) {
        if (random() < 0.25) {
          await rw.runWrite(async () => {
            writers++;
            if (writers !== 1 || readers !== 0) violations++;
            await randomPause();
            writers--;
          });
        } else {
          await rw.runRead(async () => {
            readers++;
            maxReaders = Math.max(maxReaders, readers);
            if (writers !== 0) violations++;
            await randomPause();
            readers--;
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, task));
    expect(violations).toBe(0);
    expect(rw.readers).toBe(0);
    expect(rw.isWriteLocked()).toBe(false);
    expect(rw.waiting).toBe(0);
  });
});
