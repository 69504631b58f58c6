// An ES module consumer of the installed tarball (named and default imports).
import assert from 'node:assert';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import threadkit, { Mutex, Channel, WorkerPool } from 'threadkit';

const installed = fileURLToPath(new URL('node_modules/threadkit/index.mjs', import.meta.url));
assert.strictEqual(fileURLToPath(import.meta.resolve('threadkit')), installed);
assert.strictEqual(threadkit.Mutex, Mutex);
// One copy of the module for both entries.
assert.strictEqual(createRequire(import.meta.url)('threadkit').Channel, Channel);

const mutex = new Mutex();
const channel = new Channel(4);
const pool = new WorkerPool(new URL('worker.cjs', import.meta.url), { minWorkers: 1, maxWorkers: 1 });
try {
  const held = await mutex.acquire();
  const task = pool.execute({ lock: mutex.handle, channel: channel.handle, value: 5 });
  await channel.send('main holds the lock');
  held.release();
  assert.strictEqual(await channel.receive(), 'main holds the lock');
  assert.strictEqual(await channel.receive(), 'worker holds the lock: 5');
  assert.strictEqual((await task).doubled, 10);
} finally {
  await pool.close();
}
console.log('esm consumer ok');
