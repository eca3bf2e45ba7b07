#!/bin/sh
# Builds the Debian/Ubuntu package lampboard_<version>_<arch>.deb with dpkg-deb (no cargo-deb).
#
#   sh packaging/build-deb.sh                         # cargo build --release, then package it
#   sh packaging/build-deb.sh --binary target/debug/lampboard --fast   # CI: reuse a built binary
#
# Options:
#   --binary PATH   package this binary instead of building the release one
#   --out DIR       where the .deb goes (default: target/deb)
#   --fast          gzip -1 instead of xz (for throw-away CI packages)
#   --no-strip      keep the debug symbols
# Version, description, licence, maintainer and homepage come from Cargo.toml. Needs dpkg-deb,
# objcopy/strip (binutils); dpkg-shlibdeps (dpkg-dev) is used for the library versions when present.
# Prints the path of the .deb on its last line.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
binary=""
out="$root/target/deb"
compress="-Zxz"
strip=1
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        --out) out=${2:?--out needs a directory}; shift 2 ;;
        --fast) compress="-Zgzip -z1"; shift ;;
        --no-strip) strip=0; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

# One `key = "value"` line of Cargo.toml's [package] table.
field() {
    awk -v key="$1" '
        /^\[/ { in_pkg = ($0 == "[package]") ; next }
        in_pkg && $0 ~ "^" key "[ ]*=" {
            sub("^[^=]*=[ ]*", ""); sub("^\\[", ""); sub("\\]$", ""); gsub("\"", ""); print; exit
        }' "$root/Cargo.toml"
}
name=$(field name)
version=$(field version)
description=$(field description)
license=$(field license)
# The Debian synopsis: the description up to its bracket (short, as policy wants).
summary=$(echo "$description" | sed 's/ *(.*//')
maintainer=$(field authors | sed 's/,.*//')
homepage=$(field repository)
[ -n "$name" ] && [ -n "$version" ] && [ -n "$maintainer" ] || { echo "build-deb.sh: cannot read Cargo.toml" >&2; exit 1; }
arch=$(dpkg --print-architecture)

if [ -z "$binary" ]; then
    (cd "$root" && cargo build --release --locked --bin lampboard)
    binary="$root/target/release/lampboard"
fi
[ -x "$binary" ] || { echo "build-deb.sh: $binary is not an executable" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/lampboard-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
pkg="$stage/${name}_${version}_${arch}"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/applications" "$pkg/usr/share/metainfo" \
    "$pkg/usr/share/doc/$name" "$pkg/usr/share/icons/hicolor/scalable/apps"
if [ "$strip" = 1 ]; then
    objcopy --strip-debug --strip-unneeded "$binary" "$pkg/usr/bin/$name"
else
    cp "$binary" "$pkg/usr/bin/$name"
fi
chmod 0755 "$pkg/usr/bin/$name"
install -m 0644 "$root/packaging/linux/lampboard.desktop" "$pkg/usr/share/applications/"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -u +%Y-%m-%d)/" \
    "$root/packaging/linux/invalid.lampboard.Lampboard.metainfo.xml" \
    > "$pkg/usr/share/metainfo/invalid.lampboard.Lampboard.metainfo.xml"
install -m 0644 "$root/assets/lampboard.svg" "$pkg/usr/share/icons/hicolor/scalable/apps/lampboard.svg"
for n in 16 24 32 48 64 128 256 512; do
    mkdir -p "$pkg/usr/share/icons/hicolor/${n}x${n}/apps"
    install -m 0644 "$root/packaging/icons/png/lampboard-$n.png" "$pkg/usr/share/icons/hicolor/${n}x${n}/apps/lampboard.png"
done
cat > "$pkg/usr/share/doc/$name/copyright" <<EOT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: $name
Source: $homepage

Files: *
Copyright: $maintainer
License: $license
 Dual-licensed under the MIT licence and the Apache License 2.0, at your option.
 On Debian systems the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.
EOT

# Shared libraries the binary links (libc6, libgcc-s1 …) with their minimum versions. The GUI
# libraries (GL/EGL, X11, xkbcommon, Wayland) are opened at run time, so they are listed by hand.
depends="libc6, libgcc-s1"
if command -v dpkg-shlibdeps >/dev/null; then
    mkdir -p "$stage/shlibs/debian"
    printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" > "$stage/shlibs/debian/control"
    if found=$(cd "$stage/shlibs" && dpkg-shlibdeps -O "$pkg/usr/bin/$name" 2>/dev/null); then
        depends=$(echo "$found" | sed -n 's/^shlibs:Depends=//p')
    fi
fi
depends="$depends, libgl1 | libegl1, libxkbcommon0, libxkbcommon-x11-0 | libwayland-client0, libx11-6, libxcursor1, libxrandr2, libxi6"
size=$(du -sk "$pkg/usr" | cut -f1)
cat > "$pkg/DEBIAN/control" <<EOT
Package: $name
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Recommends: gnome-keyring | kwalletmanager | keepassxc
Suggests: xdg-utils
Section: comm
Priority: optional
Homepage: $homepage
Description: $summary
 $description.
 .
 Lampboard shows who is available, on the phone, ringing or away on a wall of
 busy-lamp keys, and places and takes calls. It registers as the handler of
 sip:, sips:, tel: and callto: links (click-to-call). License: $license.
EOT
cat > "$pkg/DEBIAN/postinst" <<'EOT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true; fi
fi
exit 0
EOT
cat > "$pkg/DEBIAN/postrm" <<'EOT'
#!/bin/sh
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
    if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true; fi
fi
exit 0
EOT
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/postrm"

mkdir -p "$out"
deb="$out/${name}_${version}_${arch}.deb"
# shellcheck disable=SC2086 # $compress is two options
dpkg-deb --root-owner-group $compress --build "$pkg" "$deb" >/dev/null
echo "$deb"
