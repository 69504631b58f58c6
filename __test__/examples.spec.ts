// Every runnable file in examples/ (one per export), run in a child process: it must exit 0 and print the
// line that shows what it demonstrates. The README's code blocks marked `<!-- example: examples/NAME -->` must
// be verbatim excerpts of those files, so the README cannot drift from code that runs.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { root } from './helpers';

const dir = path.join(root, 'examples');

/** Each example, and a line of its output that only a correct run prints. */
const EXPECTED: Record<string, RegExp> = {
  'worker-pool.mjs': /^squares: 1, 4, 9\nfirst primes, streamed: 2, 3, 5, 7, 11$/m,
  'promise-pool.mjs':
    /^one: 9, lengths: 1 2 3 4 5 6\nat most 3 ran at once\nby priority: first, default, later\nslow task: TimeoutError\nstreamed: 1 2 3 4\nwrapped: 2 3\n40 tasks on 4 threads took at least 8 windows of 50 ms: true$/m,
  'channel-select.mjs': /received from two workers: 3410$/m, // 385 (squares) + 3025 (cubes): nothing lost or doubled
  'async-queue.mjs': /^processed 10 items, unfinished: 0$/m,
  'semaphore.mjs': /^while 2 are held, available: 1\nat most 3 ran at once, available again: 3\nsignalled; served by priority: -1, 0, 5$/m,
  'mutex.mjs': /two threads: 2000$/m, // a lost update would print less
  'rwlock.mjs': /^readers saw 42, 42, 42; 3 read at once$/m,
  'atomic-counter.mjs': /^hits: 300000\ncompareExchange\(300000, 0\) returned 300000, now 0$/m,
  'acquire-all.mjs': /^balances after 100 transfers: a=100 b=100$/m,
  'deadlock-detection.mjs': /^one caller got DeadlockError: true\nthe other went on: true$/m,
  'bullmq.mjs': /^squares through Redis: 1, 4, 9$/m,
  'tracing.mjs':
    /^(task [123] \(traced\): waited [\d.]+ ms, ran [\d.]+ ms\n){3}Mutex wait: [\d.]+ ms for 1 permit\nin the workers: task 1 of trace-1: 1; task 2 of trace-1: 4; task 3 of trace-1: 9$/m,
};
/** Files in examples/ that are not an export's example: worker scripts and the demos (demo-cluster.spec.ts). */
const NOT_EXAMPLES = new Set(['hash-worker.cjs', 'primes.cjs', 'demo.mjs', 'demo-cluster.mjs', 'cluster-consumer.mjs', 'demo-kit.mjs']);

function run(file: string, ms = 30_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(dir, file)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not finish within ${ms} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, ms);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

test('every file in examples/ is either run below or a known helper', () => {
  const files = fs.readdirSync(dir).filter((f) => !NOT_EXAMPLES.has(f));
  expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
});

test.each(Object.entries(EXPECTED))('examples/%s runs and prints what it shows', async (file, line) => {
  const { code, out, err } = await run(file);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(out).toMatch(line);
});

test('the README code blocks marked as examples are excerpts of those files', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/<!-- example: (examples\/[\w.-]+) -->\n+```\w*\n([\s\S]*?)```/g)];
  expect([...new Set(blocks.map(([, file]) => file.slice('examples/'.length)))].sort()).toEqual(Object.keys(EXPECTED).sort());
  for (const [, file, code] of blocks) {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    expect({ file, excerpt: source.includes(code) }).toEqual({ file, excerpt: true });
  }
});
