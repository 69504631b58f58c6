// WorkerPool: what a task writes to stdout and stderr reaches this process's stdout and
// stderr before the task settles, in order, and is not lost when the process ends right
// after (each case runs in a child process, several times: the old loss was a race).
import { spawnSync } from 'node:child_process';
import { fixture } from './helpers';

const RUNS = 5;

function run(mode: string) {
  const r = spawnSync(process.execPath, [fixture('pool/console-main.js'), mode], { encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('task output', () => {
  test.each([['exit-on-result'], ['natural-end'], ['close']])('every line arrives when the program ends on the result (%s)', (mode) => {
    for (let i = 0; i < RUNS; i++) expect(run(mode)).toMatchObject({ stdout: 'line 0\nline 1\n', status: 0 });
  });

  test.each([['ordering'], ['async-ordering']])("each task's lines print before its promise settles (%s)", (mode) => {
    const lines = [0, 1, 2, 3, 4].flatMap((i) => [`task ${i} line 1`, `task ${i} line 2`, `main: task ${i} resolved`]);
    for (let i = 0; i < RUNS; i++) expect(run(mode).stdout).toBe(lines.map((l) => `${l}\n`).join(''));
  });

  test('a small slice of a large Buffer crosses as its own bytes, not with the whole buffer it views', () => {
    const r = run('slices');
    expect(r.status).toBe(0);
    const one = { bytes: 1, carried: 1 };
    expect(JSON.parse(r.stdout)).toEqual([one, one, one, one, { bytes: 2, carried: 2 }]);
  });

  test('a worker that writes faster than this thread writes out waits (at most 16 MB unread), and nothing is lost', () => {
    const r = run('flood');
    expect(r.status).toBe(0);
    const { whileBlocked, bytes } = JSON.parse(r.stdout);
    // 1 MB writes while this thread was blocked: 16 fit under the bound (the wait may end early on a slow machine).
    expect(whileBlocked).toBeLessThanOrEqual(16);
    expect(bytes).toBe(64 * 1024 * 1024);
  });

  test('stderr too, strings and Buffers', () => {
    for (let i = 0; i < RUNS; i++) expect(run('stderr')).toMatchObject({ stderr: 'to stderr 1\nto stderr 2\n', status: 0 });
  });

  test('what a task wrote before terminate() stopped it is not lost', () => {
    for (let i = 0; i < RUNS; i++) expect(run('terminate')).toMatchObject({ stdout: 'before the hang 1\nbefore the hang 2\n', status: 0 });
  });

  test.each([
    ['terminate-blocked', 'ClosedError'],
    ['abort-blocked', 'AbortError'],
  ])('what a running task wrote precedes its rejection when this thread was blocked meanwhile (%s)', (mode, name) => {
    const stdout = `before the hang 1\nbefore the hang 2\nsettled ${name}\n`;
    for (let i = 0; i < RUNS; i++) expect(run(mode)).toMatchObject({ stdout, status: 0 });
  });
});
