import { Semaphore, Mutex, RwLock, acquireAll, ClosedError, NotHeldError } from '../index';

describe('bad input gives typed errors with clear messages', () => {
  test.each([
    [0, RangeError],
    [-1, RangeError],
    [NaN, RangeError],
    [1.5, RangeError],
    [1e9, RangeError],
    [Infinity, RangeError],
    ['3', TypeError],
    [undefined, TypeError],
    [null, TypeError],
  ])('new Semaphore(%p) throws %p', (permits, Err) => {
    expect(() => new Semaphore(permits as never)).toThrow(Err);
    expect(() => new Semaphore(permits as never)).toThrow(/permits must be/);
  });

  test.each([
    [0, RangeError],
    [4, RangeError],
    [1.5, RangeError],
    [-2, RangeError],
    ['1', TypeError],
  ])('acquire(%p) on Semaphore(3) rejects with %p', async (n, Err) => {
    const s = new Semaphore(3);
    await expect(s.acquire(n as never)).rejects.toBeInstanceOf(Err);
    expect(() => s.tryAcquire(n as never)).toThrow(Err);
    expect(s.available).toBe(3);
  });

  test('bad wait options reject', async () => {
    const m = new Mutex();
    await expect(m.acquire({ timeout: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(m.acquire({ timeout: NaN })).rejects.toBeInstanceOf(RangeError);
    await expect(m.acquire({ signal: 'x' as never })).rejects.toBeInstanceOf(TypeError);
    await expect(m.acquire('fast' as never)).rejects.toBeInstanceOf(TypeError);
    await expect(new Semaphore(1).acquire(1, { timeout: '5' as never })).rejects.toBeInstanceOf(RangeError);
    expect(m.isLocked()).toBe(false);
  });

  test('runExclusive / runRead / runWrite need a function', () => {
    expect(() => new Mutex().runExclusive('notfn' as never)).toThrow(TypeError);
    expect(() => new Semaphore(1).runExclusive(42 as never)).toThrow(/fn must be a function/);
    expect(() => new RwLock().runRead(null as never)).toThrow(TypeError);
    expect(() => new RwLock().runWrite({} as never)).toThrow(TypeError);
  });

  test('acquireAll checks its list', async () => {
    const m = new Mutex();
    await expect(acquireAll('x' as never)).rejects.toBeInstanceOf(TypeError);
    await expect(acquireAll([{}] as never)).rejects.toThrow(/item 0 is not a Mutex/);
    await expect(acquireAll([m, m])).rejects.toThrow(/listed twice/);
    expect(m.isLocked()).toBe(false);
  });

  test('use after close', async () => {
    for (const make of [() => new Mutex(), () => new Semaphore(2), () => new RwLock()]) {
      const p = make();
      p.close(new Error('gone'));
      const err = await ('readLock' in p ? p.readLock() : p.acquire()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClosedError);
      expect((err as ClosedError).reason).toBe('gone');
    }
  });

  test('release without acquire, and releasing a lock another holder took', async () => {
    const m = new Mutex();
    expect(() => m.release()).toThrow(NotHeldError);
    const s = new Semaphore(2);
    expect(() => s.release(1)).toThrow(/holds 0/);
    expect(() => s.release(3)).toThrow(RangeError); // more than it could ever hold
  });
});
