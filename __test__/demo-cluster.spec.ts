// `npm run demo:cluster` (examples/demo-cluster.mjs) in a child process, at a small size, against a real
// redis-server that the demo starts itself: the exit code, the table, and that no consumer or redis-server
// is left running afterwards, after a normal end and after Ctrl-C (SIGINT) or SIGTERM.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { root, sleep } from './helpers';

const demo = path.join(root, 'examples', 'demo-cluster.mjs');
// Primes below 200,000 (a known count), so the table is checked against a fact, not against itself.
const LIMIT = 200_000;
const PRIMES_BELOW_LIMIT = 17_984;
const CHUNKS = 16;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs the demo; `onOutput` may act on the output so far (send a signal). Killed after `ms`. */
function runDemo(args: string[], ms: number, onOutput?: (out: string, pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [demo, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo:cluster did not finish within ${ms} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, ms);
    child.stdout.on('data', (d) => {
      out += d;
      onOutput?.(out, child.pid!);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' can come before the pipes are drained: wait for 'close' too.
      child.on('close', () => resolve({ code, signal, out, err }));
    });
  });
}

/** Whether `pid` still runs (a zombie, exited but not yet reaped, does not: on Linux its state is Z). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): signal 0 reached it
  }
};

/** The pids of redis-server and the consumers, from the demo's start-up lines. */
function childPids(out: string): number[] {
  return [...out.matchAll(/(?:redis-server on \S+ \(pid (\d+)\)|consumer \d: pid (\d+))/g)].map((m) => Number(m[1] ?? m[2]));
}

async function expectAllGone(pids: number[]) {
  // Reparented children are reaped by init a moment after they exit.
  const end = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < end) await sleep(50);
  const left = pids.filter(alive);
  // A failing run must not leave them behind either.
  for (const pid of left) process.kill(pid, 'SIGKILL');
  expect(left).toEqual([]);
}

describe('npm run demo:cluster', () => {
  jest.setTimeout(120_000);

  test('runs the prime count through one and two consumers, prints the table, and stops every process', async () => {
    const run = await runDemo([`--limit=${LIMIT}`, `--chunks=${CHUNKS}`, '--workers=1'], 90_000);
    if (run.code !== 0) throw new Error(`exit code ${run.code} (signal ${run.signal})\nstdout:\n${run.out}\nstderr:\n${run.err}`);

    expect(run.out).toContain(`${PRIMES_BELOW_LIMIT.toLocaleString('en')} primes found in both runs`);
    // The speed table: a row per consumer count, with a positive jobs/s, speed-up and producer max gap.
    expect(run.out).toMatch(/\|\s*\|\s*workers \| wall time \| jobs\/s \| speed-up \| producer event-loop max gap \|/);
    for (const [label, workers] of [
      ['1 consumer ', 1],
      ['2 consumers', 2],
    ] as const) {
      const row = run.out.split('\n').find((l) => l.startsWith(`| ${label}`));
      expect(row).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      // ['', label, workers, wall, jobs/s, speed-up, max gap, p99, '']
      expect(Number(cells[2])).toBe(workers);
      expect(Number(cells[4])).toBeGreaterThan(0);
      expect(cells[5]).toMatch(/^\d+\.\d\d×$/);
      expect(cells[6]).toMatch(/^\d+\.\d ms$/);
    }
    // Where each job ran: every job exactly once per run; with one consumer, all on consumer 1.
    const ran = [...run.out.matchAll(/^\| (\d) \(pid (\d+)\)\s*\|\s*(\d+) \|\s*(\d+) \|$/gm)].map((m) => ({
      consumer: Number(m[1]),
      withOne: Number(m[3]),
      withTwo: Number(m[4]),
    }));
    expect(ran.map((r) => r.consumer)).toEqual([1, 2]);
    expect(ran[0].withOne).toBe(CHUNKS);
    expect(ran[1].withOne).toBe(0);
    // At-least-once delivery allows a repeat, but on a calm run each job runs once.
    expect(ran[0].withTwo + ran[1].withTwo).toBe(CHUNKS);

    const pids = childPids(run.out);
    expect(pids).toHaveLength(3);
    await expectAllGone(pids);
  });

  test.each([
    ['SIGINT', 130, 'interrupted'],
    ['SIGTERM', 143, 'terminated'],
  ] as const)('%s mid-run (Ctrl-C, or a kill) stops the consumers and redis-server, and exits with %d', async (signal, code, word) => {
    let sent = false;
    // A size that runs for a while, interrupted as soon as the first run has started.
    const run = await runDemo(['--limit=50000000', '--chunks=400', '--workers=1'], 60_000, (out, pid) => {
      if (!sent && out.includes('consumer 1: pid')) {
        sent = true;
        process.kill(pid, signal);
      }
    });
    expect(sent).toBe(true);
    const pids = childPids(run.out);
    expect(pids).toHaveLength(2); // redis-server and consumer 1: the second consumer never started
    await expectAllGone(pids);
    expect(run.out).toContain(`${word}: stopping the consumers and redis-server`);
    expect(run.code).toBe(code);
  });
});
