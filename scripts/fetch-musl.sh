#!/usr/bin/env bash
# Fetches a musl loader new enough for test:cross's musl smoke test (>= 1.2.4,
# which applies DT_RELR relocations) into target/cross-tools/musl, on a
# Debian 12 host whose own musl is 1.2.3. Needs root: it adds Debian 13's
# suite as a temporary apt source, downloads the one .deb (not installed),
# and removes the source again. On Debian 13, `apt-get install musl` suffices.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=target/cross-tools/musl
list=/etc/apt/sources.list.d/threadkit-fetch-musl.list
scratch=$(mktemp -d)
cleanup() {
  rm -f "$list"
  apt-get update -qq || true
  rm -rf "$scratch"
}
trap cleanup EXIT
# The same Debian archive this machine's apt already uses, Debian 13's suite.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources | head -n 1)
echo "deb [arch=amd64] $mirror trixie main" >"$list"
apt-get update -qq
(cd "$scratch" && chmod 777 . && apt-get download -qq musl/trixie)
rm -rf "$dest"
mkdir -p "$dest"
dpkg-deb -x "$scratch"/musl_*.deb "$dest"
"$dest/usr/lib/x86_64-linux-musl/libc.so" 2>&1 | grep Version || true
