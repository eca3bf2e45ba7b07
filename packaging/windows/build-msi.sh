#!/bin/sh
# Builds Lampboard-<version>-x64.msi from packaging/windows/lampboard.wxs with wixl (apt: msitools).
# On Windows with the WiX 3 toolset the same file builds with:
#   candle -arch x64 -dVersion=<version> -dExeFile=target\release\lampboard.exe -dIconFile=packaging\icons\lampboard.ico packaging\windows\lampboard.wxs
#   light -out Lampboard.msi lampboard.wixobj
#
#   sh packaging/windows/build-msi.sh --exe path/to/lampboard.exe [--out DIR]
# The exe comes from `cargo build --release` on Windows, or cross-built
# (rustup target add x86_64-pc-windows-gnu; apt gcc-mingw-w64-x86-64).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
exe=""
out="$root/target/windows"
while [ $# -gt 0 ]; do
    case "$1" in
        --exe) exe=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        *) echo "build-msi.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$exe" ] && [ -f "$exe" ] || { echo "build-msi.sh: --exe path/to/lampboard.exe is needed" >&2; exit 2; }
command -v wixl >/dev/null || { echo "build-msi.sh: wixl missing (apt install msitools)" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
mkdir -p "$out"
out=$(cd "$out" && pwd)
msi="$out/Lampboard-$version-x64.msi"
# wixl takes source files relative to the working directory only: stage them.
stage=$(mktemp -d "${TMPDIR:-/tmp}/lampboard-msi.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
cp "$exe" "$stage/lampboard.exe"
cp "$root/packaging/icons/lampboard.ico" "$stage/lampboard.ico"
cp "$root/packaging/windows/lampboard.wxs" "$stage/lampboard.wxs"
(cd "$stage" && wixl --arch x64 -D "Version=$version" -D ExeFile=lampboard.exe -D IconFile=lampboard.ico \
    -o "$msi" lampboard.wxs)
echo "$msi"
