/**
 * The Linux targets `npm run build:cross` builds on a Linux x64 host, and what
 * `npm run test:cross` expects of each. The one list both scripts read.
 */
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Scratch space for downloaded tools (gitignored, under target/). */
export const TOOLS = join(ROOT, 'target', 'cross-tools');
/** The oldest glibc the gnu builds may need: CentOS 7, Amazon Linux 2. */
export const GLIBC_FLOOR = '2.17';

export const CROSS_TARGETS = [
  // --use-napi-cross: napi-rs's prebuilt gcc toolchain with a glibc 2.17 sysroot.
  { abi: 'linux-x64-gnu', triple: 'x86_64-unknown-linux-gnu', via: 'napi-cross', machine: 'Advanced Micro Devices X86-64', libc: 'glibc' },
  { abi: 'linux-arm64-gnu', triple: 'aarch64-unknown-linux-gnu', via: 'napi-cross', machine: 'AArch64', libc: 'glibc' },
  // -x: cargo-zigbuild, with zig as the C toolchain and linker.
  { abi: 'linux-x64-musl', triple: 'x86_64-unknown-linux-musl', via: 'zig', machine: 'Advanced Micro Devices X86-64', libc: 'musl' },
];

/** Where the build puts a target's binary: its platform package's folder. */
export const binaryPath = (abi) => join(ROOT, 'npm', abi, `threadkit.${abi}.node`);

/** Where `napi build --use-napi-cross` keeps a target's toolchain (and its glibc 2.17 sysroot). */
export function napiCrossToolchainDir(triple) {
  const cliRequire = createRequire(join(ROOT, 'node_modules', '@napi-rs', 'cli', 'package.json'));
  const { version } = cliRequire('@napi-rs/cross-toolchain/package.json');
  return join(homedir(), '.napi-rs', 'cross-toolchain', version, triple);
}
