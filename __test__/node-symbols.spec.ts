/**
 * The addon links against Node-API only (src/node_symbols.rs): node::Stop
 * (the watchdog) and libuv (the spin) are looked up at run time, and each
 * has a fallback when the lookup fails. The fallbacks are run here through
 * the test hook THREADKIT_TEST_NO_NODE_SYMBOLS (`stop`, `uv`), in child
 * processes, since the lookup happens once per process. Owners are woken
 * through libuv too (src/owner_wake), with a Node-API threadsafe function
 * as the fallback, which THREADKIT_OWNER_WAKE=tsfn also picks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fixture, root, seed } from './helpers';

/** The imports of an ELF shared object that are neither Node-API nor the C runtime. */
function foreignImports(file: string): string[] {
  const r = spawnSync('nm', ['-D', '--undefined-only', file], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`nm -D failed on ${file}: ${r.error?.message ?? r.stderr}`);
  return r.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length === 2)
    .filter(([kind, sym]) => {
      if (kind === 'w') return false; // weak: optional by definition (__gmon_start__, ...)
      const [name, version] = sym.split('@');
      if (name.startsWith('napi_') || name.startsWith('node_api_')) return false;
      // Versioned C-runtime imports: libc, libm, ld-linux (GLIBC_*), libgcc_s (GCC_*).
      return !(version !== undefined && /^(GLIBC|GCC)_/.test(version));
    })
    .map(([, sym]) => sym);
}

// glibc only: musl's C library exports carry no symbol version, so this filter cannot tell them
// from a stray import (test:cross checks the musl builds' NEEDED and symbol versions instead).
const glibc = process.platform === 'linux' && (process.report.getReport() as any).header.glibcVersionRuntime !== undefined;

(glibc ? test : test.skip)('the built addon imports only Node-API and the C runtime (no C++, no libuv)', () => {
  const built = fs.readdirSync(root).filter((f) => f.endsWith('.node'));
  expect(built.length).toBeGreaterThan(0);
  for (const f of built) expect({ file: f, foreign: foreignImports(path.join(root, f)) }).toEqual({ file: f, foreign: [] });
});

/** Runs a fixture in a child process with the test hook set to `hook` (none if undefined); its JSON output. */
function runWithHook(name: string, hook: string | undefined, args: string[] = [], ownerWake?: string) {
  const env = { ...process.env };
  delete env.THREADKIT_SPIN_MAX_US;
  delete env.THREADKIT_TEST_NO_NODE_SYMBOLS;
  delete env.THREADKIT_OWNER_WAKE;
  if (hook !== undefined) env.THREADKIT_TEST_NO_NODE_SYMBOLS = hook;
  if (ownerWake !== undefined) env.THREADKIT_OWNER_WAKE = ownerWake;
  // The timeout only keeps a hung child from hanging the suite.
  const r = spawnSync(process.execPath, [fixture(name), ...args], { env, encoding: 'utf8', timeout: 60_000 });
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  return JSON.parse(r.stdout);
}

describe('without node::Stop, the owner thread stops timed-out workers', () => {
  test.each([
    ['found', undefined, true],
    ['not found (test hook)', 'stop,uv', false],
  ])('node::Stop %s: a stuck task rejects with TimeoutError, its worker is replaced, no other task is lost', (_, hook, stops) => {
    const { ownerWakes, ...r } = runWithHook('fallback-pool.js', hook);
    // The pool and the owner thread's mailbox: by libuv when it is found, else by threadsafe functions.
    const [uv, tsfn] = ownerWakes;
    expect(stops ? { uv: uv > 0, tsfn } : { uv, tsfn: tsfn > 0 }).toEqual(stops ? { uv: true, tsfn: 0 } : { uv: 0, tsfn: true });
    expect(r).toEqual({
      watchdogStops: stops,
      timeoutError: true,
      exitsAtLeast1: true,
      after: 12,
      collateral: 0,
    });
  });
});

describe('without libuv, there is no spin, owners are woken by threadsafe functions, and locks and channels still work across threads', () => {
  test.each([
    ['found', undefined, undefined],
    ['not found (test hook)', 'uv', undefined],
    ['found, owners woken by threadsafe functions (THREADKIT_OWNER_WAKE=tsfn)', undefined, 'tsfn'],
  ])('libuv %s', (_, hook, ownerWake) => {
    console.log(`fallback-threads seed ${seed}, TK_SEED=${seed} replays it (libuv ${hook ? 'hidden' : 'found'})`);
    const r = runWithHook('fallback-threads.js', hook, [String(seed)], ownerWake);
    // Every thread's mailbox (main + 2 workers) is woken one way.
    const [uv, tsfn] = r.ownerWakes;
    expect({ uv, tsfn }).toEqual(hook || ownerWake ? { uv: 0, tsfn: 3 } : { uv: 3, tsfn: 0 });
    expect({ ...r, spinStats: undefined, ownerWakes: undefined }).toEqual({
      counter: 3 * 300,
      overlaps: 0,
      received: 2 * 300,
      outOfOrder: 0,
      codes: [0, 0],
      spinStats: undefined,
    });
    const [spins, caught, fullUs] = r.spinStats;
    if (hook) {
      expect([spins, caught, fullUs]).toEqual([0, 0, 0]);
    } else {
      expect(fullUs).toBe(50);
      // One CPU: never spin (see spin.spec.ts).
      if (availableParallelism() > 1) expect(spins).toBeGreaterThan(0);
    }
  });
});
