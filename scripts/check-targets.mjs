#!/usr/bin/env node
/**
 * `npm run check:targets`: type-checks the workspace (`cargo check`) for
 * every platform threadkit ships to, so a change that only builds on
 * linux-x64 shows up here. It installs the missing Rust standard libraries
 * with `rustup target add` (a download on first run), so it is not part of
 * `npm test`. It does not link: linking needs each platform's linker and
 * system libraries.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// Every target in package.json's `napi.targets` (the one list of targets).
const TARGETS = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).napi.targets;

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status === 0;

const installed = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
if (installed.status !== 0) {
  console.error('check:targets needs rustup');
  process.exit(1);
}
const missing = TARGETS.filter((t) => !installed.stdout.split('\n').includes(t));
if (missing.length > 0 && !run('rustup', ['target', 'add', ...missing])) process.exit(1);

const failed = TARGETS.filter((t) => !run('cargo', ['check', '--workspace', '--target', t]));
for (const t of TARGETS) console.log(`${failed.includes(t) ? 'FAILED' : 'ok    '} ${t}`);
process.exit(failed.length > 0 ? 1 : 0);
