'use strict';
/**
 * Smoke test of one platform package, run by scripts/test-cross.mjs (possibly
 * under qemu) from a consumer project whose node_modules holds `threadkit` and
 * its platform package: requires threadkit, checks that the loader picked
 * `threadkit.<abi>.node` from that package, locks a Mutex here, and runs a
 * WorkerPool task that locks the same Mutex in a worker.
 * Usage: node cross-smoke.cjs <abi> <platform package, e.g. @threadkit/binding-linux-x64-gnu>
 */
const assert = require('node:assert');
const path = require('node:path');

const [abi, platformPackage] = process.argv.slice(2);
const { Mutex, WorkerPool } = require('threadkit');

async function main() {
  const mutex = new Mutex();
  const order = [];
  await mutex.runExclusive(async () => order.push('main'));

  const pool = new WorkerPool(path.join(__dirname, 'cross-smoke-worker.cjs'), 1);
  try {
    const fromWorker = await pool.execute({ lock: mutex.handle, value: 20 });
    order.push(fromWorker.tag);
    assert.strictEqual(fromWorker.doubled, 40);
    assert.strictEqual(fromWorker.arch, process.arch);
  } finally {
    await pool.close();
  }
  assert.deepStrictEqual(order, ['main', 'worker']);

  const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
  const expected = path.join(platformPackage, `threadkit.${abi}.node`);
  assert.ok(
    loaded.length === 1 && loaded[0].endsWith(expected),
    `expected the binary of package ${platformPackage} (${expected}), loaded: ${loaded.join(', ') || 'none'}`,
  );
  console.log(`smoke ok: ${abi} on node ${process.version} ${process.arch}, Mutex + WorkerPool`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
