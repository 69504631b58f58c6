// scripts/check-structure.mjs: the native binding's modules form no import
// circle (its list of known ones is empty), and it does see a circle when
// there is one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root } from './helpers';

const script = path.join(root, 'scripts', 'check-structure.mjs');
const check = (args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

test('src/ has no import circle', () => {
  const r = check([]);
  expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
    status: 0,
    stdout: expect.stringMatching(/^src\/: 0 known circle\(s\), no new one$/m),
    stderr: '',
  });
});

test('a circle through a feature module is found', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadkit-structure-'));
  try {
    fs.mkdirSync(path.join(dir, 'isolate'));
    fs.writeFileSync(path.join(dir, 'lib.rs'), 'mod isolate;\nmod channel;\npub(crate) mod status {}\n');
    fs.writeFileSync(path.join(dir, 'isolate.rs'), 'use crate::status;\n// crate::channel in a comment is no edge\n');
    fs.writeFileSync(path.join(dir, 'isolate', 'attach.rs'), 'fn f() { crate::channel::remove_thread(1) }\n');
    fs.writeFileSync(path.join(dir, 'channel.rs'), 'use crate::isolate::post_wake;\n');
    const r = check([dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('NEW circle in src/: channel isolate');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
