// Memory a WorkerPool keeps after its workers crash. What a dead worker
// allocated and freed stays in glibc's malloc arenas unless someone trims them
// (measured: 30 MB held, 4 MB in use, after 750 crashes; the bench's M2 row
// compares the RSS kept with plain Workers). The pool trims once a burst of
// exits is over: these tests count the trims, with real crashes.
import { WorkerCrashedError } from '../index';
import { until } from './helpers';
import { tasks, poolFactory } from './pool-helpers';

// The same module instances as the pool's (jest keeps one registry per spec file).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const native = require('../native.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { trimCount, TRIM_DELAY_MS } = require('../lib/pool/trim.js');

const pool = poolFactory();

test('allocatorTrim reports what it did: 1 or 0 with glibc, -1 where the allocator has no trim', () => {
  const r = native.allocatorTrim();
  const glibc = process.platform === 'linux' && (process.report.getReport() as any).header.glibcVersionRuntime !== undefined;
  expect(glibc ? [0, 1] : [-1]).toContain(r);
});

test('crash and restart cycles end with a trim of the allocator, and the pool still works', async () => {
  const p = pool(tasks, { minWorkers: 2, maxWorkers: 2 });
  await expect(p.execute(3, { name: 'double' })).resolves.toBe(6);
  const before = trimCount();
  // Crashes of both kinds: process.exit, and an uncaught error thrown from a timer.
  for (let i = 0; i < 6; i++) {
    await expect(p.execute(7, { name: i % 2 ? 'uncaught' : 'exit' })).rejects.toBeInstanceOf(WorkerCrashedError);
  }
  await until(() => trimCount() > before, 'a trim after the crashes');
  await expect(p.execute(4, { name: 'double' })).resolves.toBe(8);
});

test('tasks that end without a worker exit trim nothing', async () => {
  const p = pool(tasks, { minWorkers: 1, maxWorkers: 1 });
  await expect(p.execute(1, { name: 'double' })).resolves.toBe(2);
  // Any trim left over from an earlier exit (of another test's pool) runs first.
  await new Promise((r) => setTimeout(r, TRIM_DELAY_MS * 2));
  const before = trimCount();
  for (let i = 0; i < 50; i++) await expect(p.execute(i, { name: 'double' })).resolves.toBe(i * 2);
  await new Promise((r) => setTimeout(r, TRIM_DELAY_MS * 2));
  expect(trimCount()).toBe(before);
});
