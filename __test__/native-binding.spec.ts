// A machine without a binary for threadkit: the first require/import throws a
// NativeBindingError that says what the machine is, what is supported and how
// to build from source. The child processes preload fixtures/fake-platform.js,
// which makes process.platform/arch lie before napi-rs's loader reads them.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fixture } from './helpers';

const root = path.resolve(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../package.json');
/** napi-rs's own names (@napi-rs/cli's parseTriple, ESM only, so asked in a child) for these target triples. */
function napiNames(triples: string[]): string[] {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { parseTriple } from '@napi-rs/cli'; console.log(JSON.stringify(${JSON.stringify(triples)}.map((t) => parseTriple(t).platformArchABI)));`,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}
const SUPPORTED = napiNames(pkg.napi.targets);

function runFaked(platform: string, arch: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, FAKE_PLATFORM: platform, FAKE_ARCH: arch };
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH;
  return spawnSync(process.execPath, ['--require', fixture('fake-platform.js'), ...args], { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
}

/** Requires threadkit in a child and prints the error's fields as JSON. */
function requireFaked(platform: string, arch: string) {
  const r = runFaked(platform, arch, [
    '-e',
    `try { require(${JSON.stringify(root)}); console.log('null'); }
     catch (e) {
       const { ThreadkitError } = require(${JSON.stringify(path.join(root, 'lib', 'errors.js'))});
       console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, platform: e.platform, arch: e.arch,
         libc: e.libc, supported: e.supported, threadkitError: e instanceof ThreadkitError, cause: e.cause?.message }));
     }`,
  ]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
}

function expectBuildFromSource(message: string) {
  expect(message).toContain(`Supported: ${SUPPORTED.join(', ')}.`);
  expect(message).toContain('git clone https://github.com/threadkit/threadkit.git && cd threadkit && npm install');
  expect(message).toContain('npm install <path to that checkout>');
}

describe('a machine threadkit has no binary for', () => {
  test('require throws NativeBindingError naming the platform, arch, supported list and the load errors', () => {
    const e = requireFaked('freebsd', 'x64');
    expect(e).toMatchObject({ name: 'NativeBindingError', code: 'ERR_THREADKIT_NATIVE_BINDING', platform: 'freebsd', arch: 'x64' });
    expect(e.threadkitError).toBe(true);
    expect(e.libc).toBeNull();
    expect(e.supported).toEqual(SUPPORTED);
    expect(e.message).toMatch(/^threadkit has no prebuilt native binary for freebsd x64\.\n/);
    expectBuildFromSource(e.message);
    // The paths napi-rs's loader tried, and its own error as the cause.
    expect(e.message).toContain("Cannot find module '@threadkit/binding-freebsd-x64'");
    expect(e.cause).toMatch(/Cannot find native binding/);
  });

  test('on Linux the message names the libc', () => {
    const e = requireFaked('linux', 'riscv64');
    expect(e.code).toBe('ERR_THREADKIT_NATIVE_BINDING');
    // This machine's real libc (the test runs on Linux with glibc or musl).
    expect(e.libc).toMatch(/^(glibc \d+\.\d+|musl)$/);
    expect(e.message).toContain(`no prebuilt native binary for linux riscv64 (${e.libc})`);
    expect(e.message).toMatch(/Cannot find module '@threadkit\/binding-linux-riscv64-(gnu|musl)'/);
    expectBuildFromSource(e.message);
  });

  test('a supported platform whose package is missing is told to reinstall its optional dependency', () => {
    const e = requireFaked('darwin', 'arm64');
    expect(e.code).toBe('ERR_THREADKIT_NATIVE_BINDING');
    expect(e.message).toContain('threadkit supports darwin arm64, but its native binary did not load');
    expect(e.message).toContain('the package @threadkit/binding-darwin-arm64 is missing or broken');
    expect(e.message).toContain('--omit=optional');
    expectBuildFromSource(e.message);
  });

  test('ESM import fails at the import with the same error', () => {
    const r = runFaked('freebsd', 'arm64', [
      '--input-type=module',
      '-e',
      `import ${JSON.stringify(path.join(root, 'index.mjs'))};\nconsole.log('loaded');`,
    ]);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('NativeBindingError: threadkit has no prebuilt native binary for freebsd arm64.');
    expect(r.stderr).toContain("code: 'ERR_THREADKIT_NATIVE_BINDING'");
    expect(r.stderr).toContain(`Supported: ${SUPPORTED.join(', ')}.`);
  });

  test('the supported list is napi-rs’s name for every napi.targets entry', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { platformOfTriple } = require('../lib/native-binding-error.js');
    const more = [
      'aarch64-linux-android',
      'armv7-linux-androideabi',
      'i686-pc-windows-msvc',
      'x86_64-unknown-freebsd',
      'riscv64gc-unknown-linux-gnu',
    ];
    const triples = [...pkg.napi.targets, ...more];
    expect(triples.map(platformOfTriple)).toEqual(napiNames(triples));
  });
});
