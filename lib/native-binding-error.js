// @ts-check
'use strict';
/**
 * The error lib/native.js throws when the native addon does not load: what
 * this machine is, which platforms have a binary (package.json's
 * `napi.targets`, the one list), how to build from source, and what napi-rs's
 * loader tried. Only loaded on that failure.
 */

/** napi-rs's names for the parts of a Rust target triple (as @napi-rs/cli's parseTriple names them). */
const ARCHES = { x86_64: 'x64', aarch64: 'arm64', i686: 'ia32', armv7: 'arm', riscv64gc: 'riscv64', powerpc64le: 'ppc64', s390x: 's390x' };
const PLATFORMS = [
  ['apple-darwin', 'darwin'],
  ['windows', 'win32'],
  ['android', 'android'], // before linux: aarch64-linux-android
  ['linux', 'linux'],
  ['freebsd', 'freebsd'],
];

/** `x86_64-unknown-linux-gnu` -> `linux-x64-gnu`, the suffix of its platform package's name. */
function platformOfTriple(triple) {
  const parts = triple.split('-');
  const arch = ARCHES[parts[0]] ?? parts[0];
  const platform = PLATFORMS.find(([key]) => triple.includes(key))?.[1] ?? parts[2];
  const last = parts[parts.length - 1];
  const abi = platform === 'linux' || platform === 'win32' ? last : last === 'androideabi' ? 'eabi' : null;
  return abi ? `${platform}-${arch}-${abi}` : `${platform}-${arch}`;
}

/** This machine's C library on Linux: `glibc <version>`, `musl`, or `unknown libc`; null elsewhere. */
function libcOfThisMachine() {
  if (process.platform !== 'linux') return null;
  try {
    // getReport() is typed as `object`; its fields are documented in Node's diagnostic report.
    const report = /** @type {any} */ (process.report.getReport());
    if (report.header.glibcVersionRuntime) return `glibc ${report.header.glibcVersionRuntime}`;
    if (report.sharedObjects.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))) return 'musl';
  } catch {
    // No report (Node built without it): say so rather than guess.
  }
  return 'unknown libc';
}

/** The messages of an error and its `cause` chain (napi-rs chains one load error per path it tried). */
function causeMessages(err) {
  const messages = [];
  for (let e = err, depth = 0; e != null && depth < 20; e = e.cause, depth++) {
    messages.push(String(e?.message ?? e).split('\n')[0]);
  }
  return messages;
}

function nativeBindingError(cause) {
  const { NativeBindingError } = require('./errors.js');
  // napi-rs wraps the errors of the paths it tried in a generic message (its `cause` chain holds them).
  const loadErrors = cause?.cause !== undefined ? cause.cause : cause;
  const pkg = require('../package.json');
  const supported = pkg.napi.targets.map(platformOfTriple);
  const libc = libcOfThisMachine();
  const abi = process.platform === 'win32' ? 'msvc' : libc === null ? null : libc === 'musl' ? 'musl' : 'gnu';
  const target = [process.platform, process.arch, abi].filter(Boolean).join('-');
  const machine = `${process.platform} ${process.arch}${libc ? ` (${libc})` : ''}`;
  const repo = pkg.repository.url.replace(/^git\+/, '');
  const checkout = repo
    .split('/')
    .pop()
    .replace(/\.git$/, '');
  const platformPackage = `${pkg.napi.packageName}-${target}`;
  const what = supported.includes(target)
    ? `threadkit supports ${machine}, but its native binary did not load: the package ${platformPackage} ` +
      'is missing or broken. It is an optional dependency of threadkit: reinstall without --omit=optional ' +
      '(or --no-optional), or, if npm skipped it, remove node_modules and package-lock.json and run npm install again.'
    : `threadkit has no prebuilt native binary for ${machine}.`;
  const message =
    `${what}\n` +
    `Supported: ${supported.join(', ')}.\n` +
    'To build it from source (needs Rust: https://rustup.rs, and a C toolchain):\n' +
    `  git clone ${repo} && cd ${checkout} && npm install\n` +
    '  then, in your project: npm install <path to that checkout>\n' +
    `Load errors:\n${causeMessages(loadErrors)
      .map((m) => `  - ${m}`)
      .join('\n')}`;
  return new NativeBindingError(message, { cause, platform: process.platform, arch: process.arch, libc, supported });
}

module.exports = { nativeBindingError, platformOfTriple };
