// A consumer's jest suite (ts-jest), run with --detectOpenHandles: every pool
// is closed and every wait settles, so jest must report no open handle.
import * as path from 'node:path';
import { Channel, Mutex, PromisePool, WorkerPool } from 'threadkit';

test('threadkit resolves from this project', () => {
  expect(require.resolve('threadkit')).toBe(path.join(__dirname, 'node_modules', 'threadkit', 'index.js'));
});

test('a WorkerPool task waits for a Mutex held here and sends on a Channel', async () => {
  const mutex = new Mutex();
  const channel = new Channel<string>(4);
  const pool = new WorkerPool(path.join(__dirname, 'worker.cjs'), 2);
  try {
    const held = await mutex.acquire();
    const task = pool.execute({ lock: mutex.handle, channel: channel.handle, value: 4 });
    await channel.send('main holds the lock');
    held.release();
    expect(await channel.receive()).toBe('main holds the lock');
    expect(await channel.receive()).toBe('worker holds the lock: 4');
    expect(await task).toEqual({ doubled: 8, threadkit: path.join(__dirname, 'node_modules', 'threadkit', 'index.js') });
  } finally {
    await pool.close();
  }
});

test('locks, channels and a PromisePool on one thread', async () => {
  const m = new Mutex();
  const first = await m.acquire();
  const queued = m.acquire();
  first.release();
  (await queued).release();
  const ch = new Channel<number>(1);
  await ch.send(1);
  expect(await ch.receive()).toBe(1);
  expect(await new PromisePool(2).map([1, 2, 3], async (x) => x + 1)).toEqual([2, 3, 4]);
});
