import { spawnSync } from 'node:child_process';
import { Semaphore, Mutex, RwLock, acquireAll, ClosedError } from '../index';
import { root } from './helpers';

/** `fn` must throw `Err` synchronously, or return a promise that rejects with it. */
async function expectFailure(fn: () => unknown, Err: new (...a: never[]) => Error, message?: RegExp) {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Err);
    if (message) expect((e as Error).message).toMatch(message);
    return;
  }
  expect(result).toBeInstanceOf(Promise);
  const e = await (result as Promise<unknown>).then(
    () => new Error('expected a rejection, got a fulfilment'),
    (x) => x,
  );
  expect(e).toBeInstanceOf(Err);
  if (message) expect((e as Error).message).toMatch(message);
}

describe('constructor arguments', () => {
  test.each([
    [0, RangeError],
    [-1, RangeError],
    [NaN, RangeError],
    [1.5, RangeError],
    [1e9, RangeError],
    [Infinity, RangeError],
    [2 ** 31, RangeError],
    ['3', TypeError],
    [undefined, TypeError],
    [null, TypeError],
    [{}, TypeError],
  ])('new Semaphore(%p) throws %p with a clear message', (permits, Err) => {
    expect(() => new Semaphore(permits as never)).toThrow(Err);
    // the message names the argument, the valid range or type, and what it got
    expect(() => new Semaphore(permits as never)).toThrow(/permits must be/);
  });

  test('the largest allowed count works, one more does not', () => {
    expect(new Semaphore(536870911).available).toBe(536870911);
    expect(() => new Semaphore(536870912)).toThrow(RangeError);
  });
});

describe('acquire / tryAcquire / release arguments', () => {
  test.each([
    [0, RangeError],
    [-1, RangeError],
    [4, RangeError], // more than the semaphore has: would wait forever
    [1.5, RangeError],
    [NaN, RangeError],
    [2 ** 40, RangeError],
    ['1', TypeError],
    [null, TypeError],
  ])('Semaphore(3).acquire(%p) rejects with %p; nothing changes', async (n, Err) => {
    const s = new Semaphore(3);
    const p = s.acquire(n as never);
    expect(p).toBeInstanceOf(Promise); // rejects, does not throw
    await expect(p).rejects.toBeInstanceOf(Err);
    expect(() => s.tryAcquire(n as never)).toThrow(Err);
    expect(s.available).toBe(3);
    expect(s.waiting).toBe(0);
  });

  test('the error message says what is wrong', async () => {
    const s = new Semaphore(3);
    await expect(s.acquire(4)).rejects.toThrow(/n must be an integer from 1 to 3, got 4/);
    await expect(s.acquire(1.5)).rejects.toThrow(/1\.5/);
  });

  test.each([
    [0, RangeError],
    [1.5, RangeError],
    [4, RangeError],
    ['1', TypeError],
  ])('Semaphore(3).release(%p) throws %p and changes nothing', async (n, Err) => {
    const s = new Semaphore(3);
    await s.acquire(3);
    expect(() => s.release(n as never)).toThrow(Err);
    expect(s.available).toBe(0);
    s.release(3);
    expect(s.available).toBe(3);
  });

  test.each([
    ['timeout: -1', { timeout: -1 }, RangeError],
    ['timeout: NaN', { timeout: NaN }, RangeError],
    ["timeout: '5'", { timeout: '5' }, RangeError],
    ["signal: 'x'", { signal: 'x' }, TypeError],
    ['signal: {}', { signal: {} }, TypeError],
    ['options: 5', 5, TypeError],
    ["options: 'fast'", 'fast', TypeError],
    ['options: null', null, TypeError],
  ])('wait options %s are rejected by every waiting method', async (_name, options, Err) => {
    const s = new Semaphore(2);
    const m = new Mutex();
    const rw = new RwLock();
    const calls: (() => unknown)[] = [
      () => s.acquire(1, options as never),
      () => m.acquire(options as never),
      () => m.waitForUnlock(options as never),
      () => rw.readLock(options as never),
      () => rw.writeLock(options as never),
      () => s.runExclusive(() => 1, options as never),
      () => m.runExclusive(() => 1, options as never),
      () => rw.runRead(() => 1, options as never),
      () => rw.runWrite(() => 1, options as never),
      () => acquireAll([m], options as never),
    ];
    for (const call of calls) await expectFailure(call, Err);
    expect(s.available).toBe(2);
    expect(m.isLocked()).toBe(false);
    expect(rw.readers).toBe(0);
    expect(rw.isWriteLocked()).toBe(false);
    expect(s.waiting + m.waiting + rw.waiting).toBe(0);
  });

  test('bad options are reported even while the lock is held (no silent queueing)', async () => {
    const m = new Mutex();
    const g = await m.acquire();
    await expect(m.acquire({ timeout: -1 })).rejects.toBeInstanceOf(RangeError);
    expect(m.waiting).toBe(0);
    g.release();
  });
});

describe('callbacks must be functions', () => {
  test.each([['notfn'], [42], [null], [undefined], [{}]])('runExclusive / runRead / runWrite(%p) fail with TypeError', async (fn) => {
    const s = new Semaphore(1);
    const m = new Mutex();
    const rw = new RwLock();
    await expectFailure(() => s.runExclusive(fn as never), TypeError, /fn must be a function/);
    await expectFailure(() => m.runExclusive(fn as never), TypeError, /fn must be a function/);
    await expectFailure(() => rw.runRead(fn as never), TypeError);
    await expectFailure(() => rw.runWrite(fn as never), TypeError);
    // nothing was taken
    expect(s.available).toBe(1);
    expect(m.isLocked()).toBe(false);
    expect(rw.readers).toBe(0);
  });
});

describe('acquireAll checks its list', () => {
  test.each([
    ['a string', 'x'],
    ['undefined', undefined],
    ['an object', {}],
    ['a list with {}', [{}]],
    ['a list with null', [null]],
    ['a list with a number', [1]],
  ])('acquireAll(%s) rejects with TypeError', async (_name, list) => {
    const p = acquireAll(list as never);
    expect(p).toBeInstanceOf(Promise);
    await expect(p).rejects.toBeInstanceOf(TypeError);
  });

  test('the same lock twice is refused (it would deadlock) and nothing is taken', async () => {
    const m = new Mutex();
    const n = new Mutex();
    await expect(acquireAll([m, m])).rejects.toBeInstanceOf(TypeError);
    await expect(acquireAll([m, n, m])).rejects.toThrow(/twice/);
    expect(m.isLocked()).toBe(false);
    expect(n.isLocked()).toBe(false);
    // a valid item after a bad one: nothing taken either
    await expect(acquireAll([n, {} as never])).rejects.toBeInstanceOf(TypeError);
    expect(n.isLocked()).toBe(false);
  });
});

describe('use after close', () => {
  test('every way of taking a closed primitive rejects with ClosedError', async () => {
    const s = new Semaphore(2);
    const m = new Mutex();
    const rw = new RwLock();
    const other = new Mutex();
    s.close('s closed');
    m.close('m closed');
    rw.close();
    for (const p of [
      s.acquire(),
      s.acquire(2, { timeout: 1000 }),
      s.runExclusive(() => 1),
      m.acquire(),
      m.waitForUnlock(),
      m.runExclusive(() => 1),
      rw.readLock(),
      rw.writeLock(),
      rw.runRead(() => 1),
      rw.runWrite(() => 1),
    ]) {
      await expect(p).rejects.toBeInstanceOf(ClosedError);
    }
    await expect(acquireAll([other, m])).rejects.toBeInstanceOf(ClosedError);
    expect(other.isLocked()).toBe(false); // what acquireAll took first was given back
    expect(s.tryAcquire()).toBeNull();
    expect(m.tryAcquire()).toBeNull();
    expect(rw.tryReadLock()).toBeNull();
    expect(rw.tryWriteLock()).toBeNull();
    const e = await m.acquire().catch((x) => x);
    expect(e.reason).toBe('m closed');
    expect(e.message).toMatch(/closed/);
  });
});

test('none of this crashes the process (a child process runs all the misuse and exits normally)', () => {
  const code = `
    const tk = require(${JSON.stringify(root)});
    const results = [];
    const attempt = async (name, fn) => {
      try { await fn(); results.push(name + ': no error'); }
      catch (e) { results.push(name + ': ' + e.constructor.name); }
    };
    (async () => {
      for (const p of [0, -1, NaN, 1.5, 1e9, '3', undefined]) await attempt('new Semaphore(' + String(p) + ')', () => new tk.Semaphore(p));
      const s = new tk.Semaphore(3); void s.handle; // shared mode: the native paths
      const m = new tk.Mutex(); void m.handle;
      for (const n of [0, 4, 1.5, 2 ** 40, -5]) await attempt('acquire', () => s.acquire(n));
      await attempt('timeout', () => s.acquire(1, { timeout: -1 }));
      await attempt('signal', () => s.acquire(1, { signal: 'x' }));
      await attempt('release', () => m.release());
      await attempt('release n', () => s.release(2));
      await attempt('runExclusive', () => m.runExclusive('notfn'));
      await attempt('acquireAll x', () => tk.acquireAll('x'));
      await attempt('acquireAll {}', () => tk.acquireAll([{}]));
      await attempt('acquireAll m m', () => tk.acquireAll([m, m]));
      await attempt('from junk', () => tk.Mutex.from({ __threadkit: 'Mutex', id: 'x', max: 1, state: new SharedArrayBuffer(4) }));
      await attempt('from max 0', () => tk.Semaphore.from({ __threadkit: 'Semaphore', id: 1, max: 0, state: new SharedArrayBuffer(4) }));
      m.close('x');
      await attempt('closed', () => m.acquire());
      (await s.acquire(3)).release();
      console.log(results.length, results.filter((r) => r.endsWith('no error')).length, s.available);
    })();`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 20_000 });
  expect(r.signal).toBeNull();
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // 23 misuses, every one of them an error, and the semaphore still fully usable
  expect(r.stdout.trim()).toBe('23 0 3');
});
