// AsyncQueue: put/get/taskDone/join (asyncio.Queue semantics) in both modes,
// across threads, and bad input.
import { AsyncQueue, Channel, ClosedError, TimeoutError, InvalidHandleError, DataCloneError } from '../index.js';
import { Workers, modes, settle, track, messageWhere, within, sleep } from './helpers';

describe.each(modes)('AsyncQueue (%s mode)', (_mode, prep) => {
  test('FIFO put/get; size and maxSize', async () => {
    const q = prep(new AsyncQueue<number>());
    expect(q.maxSize).toBe(Infinity);
    for (let i = 0; i < 100; i++) await q.put(i);
    expect(q.size).toBe(100);
    const out: number[] = [];
    for (let i = 0; i < 100; i++) out.push(await q.get());
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(q.size).toBe(0);
  });

  test("a put after a get queues behind puts that were already waiting (one producer's order)", async () => {
    const q = prep(new AsyncQueue<string>({ maxSize: 2 }));
    for (const v of 'abcd') void q.put(v);
    const got = [await q.get(), await q.get()];
    void q.put('e');
    for (let i = 0; i < 3; i++) got.push(await q.get());
    expect(got.join('')).toBe('abcde');
  });

  test('taskDone before the get is allowed, and the count stays right when the queue is shared', async () => {
    const q = prep(new AsyncQueue<string>());
    await q.put('x');
    q.taskDone(); // asyncio allows this: nothing is unfinished, 'x' is still queued
    void q.handle; // shares a local queue: its count must carry over
    expect(q.unfinished).toBe(0);
    await expect(q.join({ timeout: 1000 })).resolves.toBeUndefined();
    expect(await q.get()).toBe('x');
  });

  test('join with nothing unfinished resolves, even with an aborted signal; put on a closed queue is ClosedError first', async () => {
    const q = prep(new AsyncQueue<number>());
    await expect(q.join({ signal: AbortSignal.abort() })).resolves.toBeUndefined();
    q.close();
    await expect(q.put(1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(ClosedError);
  });

  test('get waits for a put', async () => {
    const q = prep(new AsyncQueue<string>());
    const got = track(q.get());
    await settle();
    expect(got.settled).toBe(false);
    await q.put('x');
    await settle();
    expect(got.value).toBe('x');
  });

  test('maxSize bounds the queue: put waits while full', async () => {
    const q = prep(new AsyncQueue<number>({ maxSize: 2 }));
    await q.put(1);
    await q.put(2);
    expect(q.tryPut(3)).toBe(false);
    const third = track(q.put(3));
    await settle();
    expect(third.settled).toBe(false);
    expect(q.size).toBe(2);
    expect(await q.get()).toBe(1);
    await settle();
    expect(third.fulfilled).toBe(true);
    await expect(q.put(4, { timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
    expect([await q.get(), await q.get()]).toEqual([2, 3]);
  });

  test('join resolves when every item put has been marked done', async () => {
    const q = prep(new AsyncQueue<number>());
    await q.join(); // nothing unfinished: at once
    await q.put(1);
    await q.put(2);
    expect(q.unfinished).toBe(2);
    const joined = track(q.join());
    await q.get();
    await q.get();
    await settle();
    expect(joined.settled).toBe(false); // got, but not done
    q.taskDone();
    await settle();
    expect(joined.settled).toBe(false);
    q.taskDone();
    await settle();
    expect(joined.fulfilled).toBe(true);
    expect(q.unfinished).toBe(0);
  });

  test('taskDone more often than put is a RangeError', async () => {
    const q = prep(new AsyncQueue<number>());
    expect(() => q.taskDone()).toThrow(RangeError);
    await q.put(1);
    q.taskDone();
    expect(() => q.taskDone()).toThrow(/more times than there were items put/);
  });

  test('join with a timeout', async () => {
    const q = prep(new AsyncQueue<number>());
    await q.put(1);
    await expect(q.join({ timeout: 5 })).rejects.toBeInstanceOf(TimeoutError);
  });

  test('close: items left are still got, then get rejects with ClosedError', async () => {
    const q = prep(new AsyncQueue<number>({ maxSize: 1 }));
    await q.put(1);
    const blocked = q.put(2);
    const waiting = prep(new AsyncQueue<number>());
    const getter = waiting.get();
    await settle();
    q.close();
    waiting.close();
    expect(q.closed).toBe(true);
    await expect(blocked).rejects.toBeInstanceOf(ClosedError);
    await expect(q.put(3)).rejects.toBeInstanceOf(ClosedError);
    expect(await q.get()).toBe(1);
    await expect(q.get()).rejects.toBeInstanceOf(ClosedError);
    await expect(getter).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('AsyncQueue across threads', () => {
  const workers = new Workers();
  afterEach(() => workers.stopAll());

  test('two worker consumers; join on main resolves only after every item was marked done', async () => {
    const q = new AsyncQueue<number>({ maxSize: 4 });
    const count = 100;
    const ws = [0, 1].map(() => workers.start('queue-worker.js', { queue: q.handle, count: count / 2 }));
    const sums = ws.map((w) => messageWhere<{ sum: number }>(w, (m) => 'sum' in m));
    for (let i = 1; i <= count; i++) await q.put(i);
    await within(q.join(), 30_000, 'join');
    expect(q.unfinished).toBe(0);
    const total = (await Promise.all(sums)).reduce((a, m) => a + m.sum, 0);
    expect(total).toBe((count * (count + 1)) / 2);
  });

  test('a queue and a channel handle are not interchangeable', async () => {
    const q = new AsyncQueue<number>();
    const ch = new Channel<number>();
    expect(() => AsyncQueue.from(ch.handle as never)).toThrow(InvalidHandleError);
    expect(() => Channel.from(q.handle as never)).toThrow(/AsyncQueue.from/);
    expect(AsyncQueue.from(q.handle).maxSize).toBe(Infinity);
    await sleep(0);
  });

  test('a value that cannot be cloned is a DataCloneError on a shared queue', async () => {
    const q = new AsyncQueue<unknown>();
    void q.handle;
    await expect(q.put(() => 1)).rejects.toBeInstanceOf(DataCloneError);
    expect(q.unfinished).toBe(0);
  });
});

describe('AsyncQueue bad input', () => {
  test.each([0, -1, NaN, 1.5, -Infinity])('maxSize %p is a RangeError', (n) => {
    expect(() => new AsyncQueue({ maxSize: n })).toThrow(RangeError);
    expect(() => new AsyncQueue({ maxSize: n })).toThrow(/options.maxSize must be an integer from 1/);
  });

  test('non-object options and non-number maxSize are TypeErrors', () => {
    expect(() => new AsyncQueue(5 as never)).toThrow(TypeError);
    expect(() => new AsyncQueue({ maxSize: '3' as never })).toThrow(TypeError);
  });
});
