/**
 * A thread's wake-ups (src/owner_wake: its mailbox's, and each pool's it owns)
 * are libuv handles on its loop, closed by an async cleanup hook when the
 * thread ends. A handle still open when a worker's loop closes aborts the
 * whole process, so threads that own busy wake-ups end here every way a
 * thread can, at seeded random moments, in a child process.
 */
import { spawnSync } from 'node:child_process';
import { fixture, seed } from './helpers';

test.each([
  ['libuv async handles (the default)', undefined],
  ['threadsafe functions (THREADKIT_OWNER_WAKE=tsfn)', 'tsfn'],
])('threads that own busy wake-ups end by terminate(), process.exit() or returning, and the process goes on: %s', (_, ownerWake) => {
  console.log(`owner-wake-teardown seed ${seed} (TK_SEED=${seed} replays it)`);
  const env = { ...process.env };
  delete env.THREADKIT_OWNER_WAKE;
  if (ownerWake !== undefined) env.THREADKIT_OWNER_WAKE = ownerWake;
  // The timeout only keeps a hung child from hanging the suite.
  const r = spawnSync(process.execPath, [fixture('owner-wake-teardown.js'), String(seed)], { env, encoding: 'utf8', timeout: 120_000 });
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  const out = JSON.parse(r.stdout);
  expect(out.ends.terminate + out.ends.exit + out.ends.return).toBe(out.threads);
  expect({ mainResults: out.mainResults, mainAcquires: out.mainAcquires }).toEqual({ mainResults: 200, mainAcquires: 200 });
});
