#!/usr/bin/env node
/**
 * `npm run build:cross`: builds the Linux platform packages on a Linux x64
 * host, each into its `npm/<target>/` folder (targets: scripts/cross-targets.mjs):
 * - linux-x64-gnu and linux-arm64-gnu with `napi build --use-napi-cross`:
 *   napi-rs's gcc toolchain, whose glibc 2.17 sysroot sets the glibc floor;
 * - linux-x64-musl and linux-arm64-musl with `napi build -x` (cargo-zigbuild + zig, pinned in
 *   scripts/cross-requirements.txt and installed into a venv under target/).
 * `node scripts/build-cross.mjs linux-x64-musl` builds only the named targets.
 * It downloads (first run only): Rust standard libraries (rustup), two
 * toolchains from npm (~90 MB, ~450 MB unpacked in ~/.napi-rs) and zig (PyPI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CROSS_TARGETS, ROOT, TOOLS, napiCrossToolchainDir } from './cross-targets.mjs';

/**
 * The toolchain packages to fetch, at the newest version the registry has.
 * The CLI asks for the version of its own `@napi-rs/cross-toolchain` (1.0.5
 * with CLI 3.10.12), which was never published for these targets, and it
 * unpacks with `@napi-rs/lzma`, whose binary npm skips on Node 20 (its
 * `engines` excludes 20). So this script unpacks them where the CLI looks,
 * and the CLI skips its own download.
 */
const NAPI_CROSS_PACKAGES = {
  'x86_64-unknown-linux-gnu': '@napi-rs/cross-toolchain-x64-target-x86_64@1.0.0',
  'aarch64-unknown-linux-gnu': '@napi-rs/cross-toolchain-x64-target-aarch64@1.0.3',
};

function run(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...options });
  if (result.status !== 0) {
    console.error(`build:cross: \`${cmd} ${args.join(' ')}\` failed (${result.error?.message ?? `exit ${result.status}`})`);
    process.exit(1);
  }
}

function ensureRustTargets(triples) {
  const installed = spawnSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' });
  if (installed.status !== 0) throw new Error('build:cross needs rustup (to add the Rust standard library of each target)');
  const missing = triples.filter((t) => !installed.stdout.split('\n').includes(t));
  if (missing.length > 0) run('rustup', ['target', 'add', ...missing]);
}

/** Unpacks a target's toolchain where `napi build --use-napi-cross` looks for it. */
function ensureNapiCrossToolchain(triple) {
  const dest = napiCrossToolchainDir(triple);
  if (existsSync(join(dest, 'package.json'))) return;
  const scratch = mkdtempSync(join(tmpdir(), 'threadkit-cross-'));
  try {
    run('npm', ['pack', NAPI_CROSS_PACKAGES[triple], '--pack-destination', scratch]);
    const tgz = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    run('tar', ['-xzf', join(scratch, tgz), '-C', scratch]);
    mkdirSync(dest, { recursive: true });
    run('tar', ['-xJf', join(scratch, 'package', `${triple}.tar.xz`), '-C', dest]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Installs zig and cargo-zigbuild into a venv and returns its bin folder. */
function ensureZigTools() {
  const venv = join(TOOLS, 'venv');
  const bin = join(venv, 'bin');
  if (!existsSync(join(bin, 'python'))) run('python3', ['-m', 'venv', venv]);
  run(join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', join(ROOT, 'scripts', 'cross-requirements.txt')]);
  return bin;
}

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`build:cross runs on a Linux x64 host (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}
const wanted = process.argv.slice(2);
const unknown = wanted.filter((abi) => !CROSS_TARGETS.some((t) => t.abi === abi));
if (unknown.length > 0) {
  console.error(`build:cross: unknown target ${unknown.join(', ')}; known: ${CROSS_TARGETS.map((t) => t.abi).join(', ')}`);
  process.exit(1);
}
const targets = wanted.length > 0 ? CROSS_TARGETS.filter((t) => wanted.includes(t.abi)) : CROSS_TARGETS;

ensureRustTargets(targets.map((t) => t.triple));
for (const target of targets) {
  const env = { ...process.env };
  const args = ['napi', 'build', '--platform', '--release', '--target', target.triple, '-o', join('npm', target.abi), '--no-js'];
  // The type definitions are the same for every target; keep them out of the package folder.
  args.push('--dts', join('..', '..', 'target', 'cross', `${target.abi}.d.ts`));
  if (target.via === 'napi-cross') {
    ensureNapiCrossToolchain(target.triple);
    args.push('--use-napi-cross');
  } else {
    env.PATH = `${ensureZigTools()}${delimiter}${env.PATH}`;
    // Rust links musl statically by default, and then cannot build a cdylib.
    env[`CARGO_TARGET_${target.triple.toUpperCase().replaceAll('-', '_')}_RUSTFLAGS`] = '-C target-feature=-crt-static';
    args.push('-x');
  }
  const started = Date.now();
  run('npx', args, { env });
  console.log(`build:cross: ${target.abi} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
