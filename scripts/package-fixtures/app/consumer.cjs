'use strict';
// A CommonJS consumer of the installed tarball: a Mutex held here while a
// WorkerPool task waits for it, and a Channel both threads send on.
const assert = require('node:assert');
const path = require('node:path');
const { Mutex, Channel, WorkerPool, ThreadkitError } = require('threadkit');

async function main() {
  const installed = path.join(__dirname, 'node_modules', 'threadkit', 'index.js');
  assert.strictEqual(require.resolve('threadkit'), installed);

  const mutex = new Mutex();
  const channel = new Channel(4);
  const pool = new WorkerPool(path.join(__dirname, 'worker.cjs'), 1);
  try {
    const held = await mutex.acquire();
    const task = pool.execute({ lock: mutex.handle, channel: channel.handle, value: 21 });
    // The worker can only send once it holds the lock, so this comes first (FIFO channel).
    await channel.send('main holds the lock');
    held.release();
    assert.strictEqual(await channel.receive(), 'main holds the lock');
    assert.strictEqual(await channel.receive(), 'worker holds the lock: 21');
    const result = await task;
    assert.deepStrictEqual(result, { doubled: 42, threadkit: installed });
  } finally {
    await pool.close();
  }
  assert.ok(new (require('threadkit').ClosedError)() instanceof ThreadkitError);
  // The binary came from the platform package (the optional dependency), the only one loaded.
  const binaries = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
  const platformPackage = path.join(__dirname, 'node_modules', process.env.THREADKIT_TEST_PLATFORM_PACKAGE);
  assert.ok(binaries.length === 1 && path.dirname(binaries[0]) === platformPackage, `loaded binaries: ${binaries.join(', ')}`);
  console.log('cjs consumer ok');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
