/**
 * The Linux targets `npm run build:cross` builds on a Linux x64 host, and what
 * `npm run test:cross` expects of each: the one list both scripts read.
 */
import { parseTriple } from '@napi-rs/cli';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Scratch space for downloaded tools (gitignored, under target/). */
export const TOOLS = join(ROOT, 'target', 'cross-tools');
/** The oldest glibc the gnu builds may need: CentOS 7, Amazon Linux 2. */
export const GLIBC_FLOOR = '2.17';

/** `readelf -h` names of the machines a Linux target can be built for here. */
const ELF_MACHINES = { x64: 'Advanced Micro Devices X86-64', arm64: 'AArch64' };

/**
 * Every Linux x64/arm64 entry of `napi.targets` in package.json (the one list of
 * targets), named as napi-rs names them. gnu builds go through
 * `--use-napi-cross` (napi-rs's gcc toolchain with a glibc 2.17 sysroot), musl
 * builds through `-x` (cargo-zigbuild, with zig as C toolchain and linker).
 */
const NAPI = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).napi;

/** The npm package a target's binary ships in: `${napi.packageName}-<platform>`, e.g. @threadkit/binding-linux-x64-gnu. */
export const platformPackage = (abi) => `${NAPI.packageName}-${abi}`;

export const CROSS_TARGETS = NAPI.targets
  .map(parseTriple)
  .filter((t) => t.platform === 'linux' && t.arch in ELF_MACHINES && (t.abi === 'gnu' || t.abi === 'musl'))
  .map((t) => ({
    abi: t.platformArchABI,
    triple: t.triple,
    via: t.abi === 'gnu' ? 'napi-cross' : 'zig',
    machine: ELF_MACHINES[t.arch],
    libc: t.abi === 'gnu' ? 'glibc' : 'musl',
  }));

/** Where the build puts a target's binary: its platform package's folder. */
export const binaryPath = (abi) => join(ROOT, 'npm', abi, `threadkit.${abi}.node`);

/** Where `napi build --use-napi-cross` keeps a target's toolchain (and its glibc 2.17 sysroot). */
export function napiCrossToolchainDir(triple) {
  const cliRequire = createRequire(join(ROOT, 'node_modules', '@napi-rs', 'cli', 'package.json'));
  const { version } = cliRequire('@napi-rs/cross-toolchain/package.json');
  return join(homedir(), '.napi-rs', 'cross-toolchain', version, triple);
}
