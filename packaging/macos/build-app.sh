#!/bin/sh
# Builds Lampboard.app and Lampboard-<version>.dmg on macOS (needs Xcode command line tools:
# iconutil, hdiutil; codesign for an ad-hoc signature). NOT run yet: written and checked on Linux
# only (Info.plist parsed, the bundle layout assembled with --no-dmg).
#
#   sh packaging/macos/build-app.sh [--binary PATH] [--out DIR] [--no-dmg]
#
# Without --binary: cargo build --release (the host's arch; for a universal binary build both
# aarch64-apple-darwin and x86_64-apple-darwin and join them with `lipo -create`).
#
# Note on links: macOS hands a clicked sip:/tel: link to a running app as an Apple Event
# (kAEGetURL), not as a command-line argument; winit does not pass that event on yet, so
# clicking a link starts/focuses Lampboard but dials only when launched as `open -a Lampboard
# --args tel:…`. See the README's Install section.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=""
out="$root/target/macos"
dmg=1
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        --no-dmg) dmg=0; shift ;;
        *) echo "build-app.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
if [ -z "$binary" ]; then
    (cd "$root" && cargo build --release --locked --bin lampboard)
    binary="$root/target/release/lampboard"
fi
app="$out/Lampboard.app"
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp "$binary" "$app/Contents/MacOS/lampboard"
chmod 0755 "$app/Contents/MacOS/lampboard"
sed "s/@VERSION@/$version/g" "$root/packaging/macos/Info.plist" > "$app/Contents/Info.plist"
printf 'APPL????' > "$app/Contents/PkgInfo"

# The icon: an .iconset of our PNGs, made into lampboard.icns by iconutil (macOS only).
iconset="$out/lampboard.iconset"
rm -rf "$iconset"
mkdir -p "$iconset"
icons="$root/packaging/icons/png"
for n in 16 32 128 256 512; do
    cp "$icons/lampboard-$n.png" "$iconset/icon_${n}x${n}.png"
done
cp "$icons/lampboard-32.png" "$iconset/icon_16x16@2x.png"
cp "$icons/lampboard-64.png" "$iconset/icon_32x32@2x.png"
cp "$icons/lampboard-256.png" "$iconset/icon_128x128@2x.png"
cp "$icons/lampboard-512.png" "$iconset/icon_256x256@2x.png"
if command -v iconutil >/dev/null; then
    iconutil -c icns -o "$app/Contents/Resources/lampboard.icns" "$iconset"
else
    echo "build-app.sh: no iconutil (not macOS): the bundle has no icon" >&2
fi
if command -v codesign >/dev/null; then
    codesign --force --deep --sign - "$app"
fi
echo "build-app.sh: $app"

if [ "$dmg" = 1 ]; then
    command -v hdiutil >/dev/null || { echo "build-app.sh: hdiutil missing (not macOS); use --no-dmg" >&2; exit 1; }
    src="$out/dmg"
    rm -rf "$src"
    mkdir -p "$src"
    cp -R "$app" "$src/"
    ln -s /Applications "$src/Applications"
    image="$out/Lampboard-$version.dmg"
    rm -f "$image"
    hdiutil create -volname "Lampboard $version" -srcfolder "$src" -ov -format UDZO "$image"
    echo "$image"
fi
