// `npm run bench -- --write` (benchmark/run.mjs): the table goes into docs/performance.md between the bench markers,
// the rest of the file stays as it was, and prettier accepts the result.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { root } from './helpers';

const doc = path.join(root, 'docs', 'performance.md');
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';
const runner = path.join(root, 'benchmark', 'run.mjs');

/** [before the block, the block, after it] */
function split(text: string): [string, string, string] {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  expect({ start: a >= 0, end: b > a, one: text.indexOf(START, a + 1) < 0 }).toEqual({ start: true, end: true, one: true });
  return [text.slice(0, a), text.slice(a, b + END.length), text.slice(b + END.length)];
}

test('--write replaces only the marked block, with the table it printed', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bench-write-'));
  const copy = path.join(tmp, 'performance.md');
  fs.copyFileSync(doc, copy);
  const before = split(fs.readFileSync(copy, 'utf8'));
  // One tiny case, one round: this checks the writing, not the figures.
  const r = spawnSync(process.execPath, ['--expose-gc', runner, 'sync:S1', '--rounds=1', `--write=${copy}`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  const after = split(fs.readFileSync(copy, 'utf8'));
  expect([after[0], after[2]]).toEqual([before[0], before[2]]);
  expect(after[1]).not.toEqual(before[1]);
  const rows = after[1].split('\n').filter((l) => l.startsWith('| S1 '));
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(r.stdout).toContain(row); // the table it printed, not another
  expect(after[1]).not.toContain('| P1 '); // the old full table is gone
  // prettier, with the project's settings for docs/performance.md, leaves the written file as it is.
  const written = fs.readFileSync(copy, 'utf8');
  const prettier = path.join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  const formatted = spawnSync(process.execPath, [prettier, '--stdin-filepath', doc], { cwd: root, input: written, encoding: 'utf8' });
  expect({ status: formatted.status, same: formatted.stdout === written }).toEqual({ status: 0, same: true });
  fs.rmSync(tmp, { recursive: true });
});

test('--write into a file without the markers fails at once, before measuring', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bench-write-'));
  const file = path.join(tmp, 'no-markers.md');
  fs.writeFileSync(file, '# nothing to replace\n');
  const r = spawnSync(process.execPath, [runner, 'sync:S1', `--write=${file}`], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('has no <!-- bench:start -->');
  expect(r.stderr).not.toContain('[1/'); // no case started
  fs.rmSync(tmp, { recursive: true });
});
