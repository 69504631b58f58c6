/**
 * A copy of this worktree's threadkit (index.js, native.js, lib/, the built
 * addon) in a temporary directory, with the worker's futex wait in
 * lib/pool/worker/task-loop.js read from the environment, for probes that measure
 * what the worker-side waiting costs and buys. The package itself has no knob
 * for it (the spins have theirs: THREADKIT_SPIN_MAX_US for event loops,
 * THREADKIT_WORKER_SPIN_MAX_US for pool workers, which needs no copy).
 *
 *   PROBE_WORKER_WAIT_MS   the worker's futex wait after its spin, before Atomics.waitAsync (default 0.25)
 *   PROBE_ADDON            another build of the addon to use, e.g. one with its symbols kept
 *                          for perf and callgrind (the release build strips them):
 *                          CARGO_TARGET_DIR=/tmp/tk-syms CARGO_PROFILE_RELEASE_STRIP=none cargo build --release -p threadkit
 *                          then PROBE_ADDON=/tmp/tk-syms/release/libthreadkit.so
 *
 * Usable as a script: `node benchmark/probes/patched-threadkit.mjs` prints
 * the copy's index.js (give it to the HTTP server as HTTP_BENCH_THREADKIT).
 */

import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Replaces `from` by `to` in `file`, exactly once, or throws (the source moved on: fix the probe). */
function replaceOnce(file, from, to) {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`patched-threadkit: "${from}" is not in ${file} exactly once`);
  writeFileSync(file, text.replace(from, to));
}

/** Makes the copy; returns the path of its index.js. */
export function patchedThreadkit() {
  const dir = mkdtempSync(path.join(tmpdir(), 'threadkit-probe-'));
  for (const f of ['index.js', 'native.js', 'package.json', ...readdirSync(root).filter((f) => f.endsWith('.node'))]) {
    cpSync(path.join(root, f), path.join(dir, f));
  }
  cpSync(path.join(root, 'lib'), path.join(dir, 'lib'), { recursive: true });
  if (process.env.PROBE_ADDON) {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.node'))) cpSync(process.env.PROBE_ADDON, path.join(dir, f));
  }
  const worker = path.join(dir, 'lib', 'pool', 'worker', 'task-loop.js');
  replaceOnce(worker, 'const SPIN_WAIT_MS = 0.25;', "const SPIN_WAIT_MS = Number(process.env.PROBE_WORKER_WAIT_MS ?? '0.25');");
  return path.join(dir, 'index.js');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(`${patchedThreadkit()}\n`);
