#!/usr/bin/env node
/**
 * `npm run test:package`: threadkit as a consumer gets it from npm.
 *
 * 1. Stages what `npm pack` would take (package.json's `files`) and this
 *    host's platform package (`npm/<platform>/` with the `.node` that
 *    `npm run build` made, as `napi artifacts` would put it) in a temp folder,
 *    and runs napi-rs's `napi pre-publish` there, which adds the platform
 *    package to `optionalDependencies` (`--skip-optional-publish
 *    --no-gh-release`: it publishes nothing). Its config names only this
 *    host's target: pre-publish checks that every target's binary is there,
 *    and only this one is built here.
 * 2. Packs both (the main package's prepack/postpack drop `prepare`) and
 *    checks the tarballs: only what a consumer loads, no stray `.node`, no
 *    `prepare`, a symbol-free binary; `attw` and `publint` on the main one.
 * 3. Installs both tarballs, offline, into fresh consumer projects, with no
 *    cargo or rustc on PATH, and runs a CommonJS, an ES module, a strict
 *    TypeScript (`tsc --noEmit`, module nodenext) and a jest + ts-jest
 *    (`--detectOpenHandles`) consumer (scripts/package-fixtures/). Their
 *    devDependencies (typescript, jest, ts-jest, @types) come from this
 *    checkout; threadkit resolves only from the installed tarball.
 * Everything happens under os.tmpdir() and is removed afterwards
 * (THREADKIT_KEEP_PACKAGE_TEST=1 keeps it and prints where).
 */
import { parseTriple } from '@napi-rs/cli';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'scripts', 'package-fixtures');
const MODULES = join(ROOT, 'node_modules');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const repoRequire = createRequire(join(ROOT, 'package.json'));
const started = Date.now();

/** Files the main tarball may hold (paths inside `package/`). */
const MAIN_ALLOWED = /^(package\.json|README\.md|LICENSE|(index|bullmq)\.(js|mjs|d\.ts|d\.mts)|types\/[\w-]+\.d\.ts|native\.js|lib\/[\w/.-]+\.m?js)$/;

/** The environment of everything a consumer runs: no Rust on PATH, no npm config of the checkout's `npm run`. */
function consumerEnv() {
  const rust = ['cargo', 'rustc', 'rustup'];
  const path = [];
  for (const dir of process.env.PATH.split(delimiter).filter(Boolean)) {
    if (!rust.some((tool) => existsSync(join(dir, tool)))) path.push(dir);
    else if (existsSync(join(dir, 'npm'))) fail(`cannot leave cargo out of PATH: ${dir} holds both cargo or rustc and npm`);
  }
  const env = { PATH: path.join(delimiter) };
  for (const [key, value] of Object.entries(process.env)) {
    // npm_config_* would point npm at this checkout; NODE_PATH could resolve threadkit from elsewhere.
    if (/^(npm_|NODE_PATH$|CARGO|RUSTUP|NAPI_RS_)/i.test(key) || key === 'PATH') continue;
    env[key] = value;
  }
  const found = spawnSync('sh', ['-c', 'command -v cargo || command -v rustc'], { env, encoding: 'utf8' });
  if (found.status === 0) fail(`cargo/rustc is still on the consumers' PATH: ${found.stdout.trim()}`);
  return env;
}

function fail(message) {
  throw new Error(message);
}

function log(message) {
  console.log(`test:package [${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);
}

/** Runs a command to completion; returns its output, or throws with it. */
function run(cmd, args, { cwd, env, timeout = 180_000 } = {}) {
  const result = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` in ${cwd} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  return output;
}

/** napi.targets' entry for this machine, as napi-rs names it. */
function hostTarget() {
  const report = process.platform === 'linux' ? process.report.getReport() : null;
  const libc = report === null ? null : report.header.glibcVersionRuntime ? 'gnu' : 'musl';
  const host = PKG.napi.targets
    .map(parseTriple)
    .find((t) => t.platform === process.platform && t.arch === process.arch && (libc === null || t.abi === libc));
  if (!host) fail(`this machine (${process.platform}-${process.arch}${libc ? `-${libc}` : ''}) is not in napi.targets`);
  return host;
}

/** Copies what the main package's `npm pack` takes, and the host's platform package, into `dest`. */
function stage(dest, target) {
  const listed = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT }));
  for (const { path } of listed[0].files) cpSync(join(ROOT, path), join(dest, path));
  // prepack/postpack run it.
  cpSync(join(ROOT, 'scripts', 'pack-manifest.mjs'), join(dest, 'scripts', 'pack-manifest.mjs'));
  const platformDir = join(dest, 'npm', target.platformArchABI);
  for (const file of ['package.json', 'README.md']) cpSync(join(ROOT, 'npm', target.platformArchABI, file), join(platformDir, file));
  const binary = `${PKG.napi.binaryName}.${target.platformArchABI}.node`;
  if (!existsSync(join(ROOT, binary))) fail(`${binary} is missing: run \`npm run build\` first`);
  cpSync(join(ROOT, binary), join(platformDir, binary));
  return { platformDir, binary };
}

/** `npm pack` in `dir` into `into`; returns the tarball's path. */
function pack(dir, into) {
  const before = new Set(existsSync(into) ? readdirSync(into) : []);
  mkdirSync(into, { recursive: true });
  run('npm', ['pack', '--pack-destination', into], { cwd: dir, env: ENV });
  const made = readdirSync(into).filter((f) => !before.has(f));
  if (made.length !== 1) fail(`npm pack in ${dir} made ${made.join(', ') || 'nothing'}`);
  return join(into, made[0]);
}

const tarList = (tgz) =>
  run('tar', ['-tzf', tgz])
    .trim()
    .split('\n')
    .map((p) => p.replace(/^package\//, ''));
const tarJson = (tgz, file) => JSON.parse(run('tar', ['-xOzf', tgz, `package/${file}`]));

function checkMainTarball(tgz, platformPackage) {
  const files = tarList(tgz);
  const stray = files.filter((f) => !MAIN_ALLOWED.test(f));
  if (stray.length > 0) fail(`the main tarball holds files a consumer does not need: ${stray.join(', ')}`);
  for (const needed of [
    'LICENSE',
    'README.md',
    'index.js',
    'index.mjs',
    'index.d.ts',
    'index.d.mts',
    'types/sync.d.ts',
    'native.js',
    'lib/native.js',
  ]) {
    if (!files.includes(needed)) fail(`the main tarball lacks ${needed}`);
  }
  const manifest = tarJson(tgz, 'package.json');
  if (manifest.scripts?.prepare !== undefined) fail(`the packed package.json has a prepare script: ${manifest.scripts.prepare}`);
  const optional = JSON.stringify(manifest.optionalDependencies);
  if (optional !== JSON.stringify({ [platformPackage]: PKG.version })) fail(`the packed optionalDependencies are ${optional}`);
  for (const field of ['repository', 'keywords', 'engines', 'license']) if (!manifest[field]) fail(`the packed package.json has no ${field}`);
}

function checkPlatformTarball(tgz, binary) {
  const files = tarList(tgz).sort();
  if (JSON.stringify(files) !== JSON.stringify(['README.md', binary, 'package.json'].sort())) fail(`the platform tarball holds ${files.join(', ')}`);
  if (process.platform === 'linux') {
    // release profile: strip = "symbols"; Node needs only the dynamic symbols.
    const elf = spawnSync('tar', ['-xOzf', tgz, `package/${binary}`], { maxBuffer: 256 * 1024 * 1024 }).stdout;
    if (hasSymbolTable(elf)) fail(`${binary} has a symbol table (strip = "symbols" did not apply)`);
  }
}

/** Whether a 64-bit little-endian ELF file (x64, arm64 Linux) has a SHT_SYMTAB section: read here, no binutils needed. */
function hasSymbolTable(elf) {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) fail('the platform binary is not a 64-bit little-endian ELF file');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const SHT_SYMTAB = 2;
  for (let i = 0; i < shnum; i++) if (elf.readUInt32LE(shoff + i * shentsize + 4) === SHT_SYMTAB) return true;
  return false;
}

async function lintMainTarball(tgz) {
  const attw = join(MODULES, '@arethetypeswrong', 'cli', 'dist', 'index.js');
  // --no-definitely-typed: no look-up of @types/threadkit on the registry.
  const result = spawnSync(process.execPath, [attw, tgz, '--format', 'json', '--no-definitely-typed'], { encoding: 'utf8', env: ENV });
  const report = JSON.parse(result.stdout);
  const problems = Object.values(report.problems ?? {}).flat();
  if (result.status !== 0 || problems.length > 0) fail(`attw found problems:\n${JSON.stringify(report.problems ?? result.stderr, null, 2)}`);
  const { messages, pkg } = await publint({ pack: { tarball: readFileSync(tgz).buffer }, level: 'suggestion', strict: true });
  if (messages.length > 0) fail(`publint:\n${messages.map((m) => `  ${m.type}: ${formatMessage(m, pkg)}`).join('\n')}`);
}

/** A fresh consumer project with both tarballs installed and the fixture files of `kind`; returns its folder. */
function consumerProject(work, kind, tarballs, devTypes) {
  const dir = join(work, `consumer-${kind}`);
  cpSync(join(FIXTURES, kind), dir, { recursive: true });
  cpSync(join(FIXTURES, 'worker.cjs'), join(dir, 'worker.cjs'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `threadkit-consumer-${kind}`, version: '1.0.0', private: true }));
  const installLog = run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs], { cwd: dir, env: ENV });
  // npm 11 warns about a dependency's prepare/install scripts on every install (`npm warn install-scripts`).
  if (/install-scripts/.test(installLog)) fail(`npm warned about install scripts:\n${installLog}`);
  const installed = createRequire(join(dir, 'package.json')).resolve('threadkit');
  if (installed !== join(dir, 'node_modules', 'threadkit', 'index.js')) fail(`threadkit resolves to ${installed}, not the installed tarball`);
  // A consumer's own devDependencies, from this checkout.
  for (const types of devTypes) {
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(MODULES, '@types', types), join(dir, 'node_modules', '@types', types), 'dir');
  }
  return dir;
}

const ENV = consumerEnv();
const work = mkdtempSync(join(tmpdir(), 'threadkit-package-'));
try {
  const target = hostTarget();
  const platformPackage = `${PKG.napi.packageName}-${target.platformArchABI}`;
  const staged = join(work, 'threadkit');
  const { platformDir, binary } = stage(staged, target);

  writeFileSync(join(work, 'napi-host.json'), JSON.stringify({ targets: [target.triple] }));
  const napi = join(MODULES, '@napi-rs', 'cli', 'dist', 'cli.js');
  run(process.execPath, [napi, 'pre-publish', '-c', join(work, 'napi-host.json'), '--skip-optional-publish', '--no-gh-release'], {
    cwd: staged,
    env: ENV,
  });
  log(`staged; napi pre-publish added ${JSON.stringify(JSON.parse(readFileSync(join(staged, 'package.json'), 'utf8')).optionalDependencies)}`);

  const manifestBefore = readFileSync(join(staged, 'package.json'), 'utf8');
  const mainTgz = pack(staged, join(work, 'tarballs'));
  const platformTgz = pack(platformDir, join(work, 'tarballs'));
  if (readFileSync(join(staged, 'package.json'), 'utf8') !== manifestBefore || existsSync(join(staged, 'package.json.unpacked'))) {
    fail('postpack did not put package.json back as it was');
  }
  checkMainTarball(mainTgz, platformPackage);
  checkPlatformTarball(platformTgz, binary);
  log('packed: tarball contents ok');
  await lintMainTarball(mainTgz);
  log('attw and publint: no problems');

  const app = consumerProject(work, 'app', [mainTgz, platformTgz], ['node']);
  log('installed into a consumer app (offline, no cargo on PATH)');
  for (const script of ['consumer.cjs', 'consumer.mjs']) {
    const out = run(process.execPath, [script], { cwd: app, env: { ...ENV, THREADKIT_TEST_PLATFORM_PACKAGE: platformPackage }, timeout: 60_000 });
    if (!/consumer ok\n$/.test(out)) fail(`${script} printed:\n${out}`);
  }
  log('CommonJS and ES module consumers ok');
  run(process.execPath, [join(MODULES, 'typescript', 'bin', 'tsc'), '-p', join(app, 'tsconfig.json')], { cwd: app, env: ENV });
  log('strict TypeScript consumer (nodenext, .mts and .cts) type-checks');

  const jestDir = consumerProject(work, 'jest', [mainTgz, platformTgz], ['node', 'jest']);
  const jest = join(MODULES, 'jest', 'bin', 'jest.js');
  const jestEnv = { ...ENV, THREADKIT_TEST_TS_JEST: repoRequire.resolve('ts-jest') };
  const out = run(
    process.execPath,
    [jest, '-c', join(jestDir, 'jest.config.cjs'), '--detectOpenHandles', '--ci', '--cacheDirectory', join(work, 'jest-cache')],
    {
      cwd: jestDir,
      env: jestEnv,
    },
  );
  if (!/Tests:\s+3 passed, 3 total/.test(out) || /open handle/i.test(out)) fail(`jest consumer:\n${out}`);
  log('jest + ts-jest consumer ok, no open handle');
  log('ok');
} finally {
  if (process.env.THREADKIT_KEEP_PACKAGE_TEST) console.log(`test:package: kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
