#!/bin/sh
# Installs the built binary and the desktop files under PREFIX (/app in the Flatpak build),
# named after the app id as Flatpak wants. Run from the source root after the release build.
#   sh packaging/flatpak/install.sh /app [path/to/lampboard]
set -eu
prefix=${1:?usage: install.sh PREFIX [BINARY]}
binary=${2:-target/release/lampboard}
id=invalid.lampboard.Lampboard
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
install -Dm755 "$binary" "$prefix/bin/lampboard"
install -Dm644 packaging/linux/lampboard.desktop "$prefix/share/applications/$id.desktop"
desktop-file-edit --set-icon="$id" "$prefix/share/applications/$id.desktop"
mkdir -p "$prefix/share/metainfo"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -u +%Y-%m-%d)/" \
    -e "s/>lampboard.desktop</>$id.desktop</" -e "s/>lampboard</>$id</" \
    packaging/linux/$id.metainfo.xml > "$prefix/share/metainfo/$id.metainfo.xml"
install -Dm644 assets/lampboard.svg "$prefix/share/icons/hicolor/scalable/apps/$id.svg"
for n in 16 24 32 48 64 128 256 512; do
    install -Dm644 "packaging/icons/png/lampboard-$n.png" "$prefix/share/icons/hicolor/${n}x${n}/apps/$id.png"
done
