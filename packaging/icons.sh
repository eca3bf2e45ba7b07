#!/bin/sh
# Renders the app icon assets/lampboard.svg into every size the installers need, into
# packaging/icons/ (committed, so building a package needs no SVG renderer):
#   png/lampboard-<N>.png  N = 16 24 32 48 64 128 256 512   (Linux hicolor, AppImage, Flatpak, macOS iconset)
#   lampboard.ico          16…256 in one file                 (Windows installer and exe)
#   lampboard-64.rgba      64×64 raw RGBA                     (the window icon, src/desktop/icon.rs)
# Needs rsvg-convert (apt: librsvg2-bin); the .ico also needs ImageMagick's convert (skipped without it).
# Run again after changing the SVG:  sh packaging/icons.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
svg="$root/assets/lampboard.svg"
out="$root/packaging/icons"
command -v rsvg-convert >/dev/null || { echo "icons.sh: rsvg-convert missing (apt install librsvg2-bin)" >&2; exit 1; }
mkdir -p "$out/png"
for n in 16 24 32 48 64 128 256 512; do
    rsvg-convert -w "$n" -h "$n" "$svg" -o "$out/png/lampboard-$n.png"
done
if command -v convert >/dev/null; then
    convert "$out/png/lampboard-16.png" "$out/png/lampboard-24.png" "$out/png/lampboard-32.png" \
        "$out/png/lampboard-48.png" "$out/png/lampboard-64.png" "$out/png/lampboard-128.png" \
        "$out/png/lampboard-256.png" "$out/lampboard.ico"
    convert "$out/png/lampboard-64.png" -depth 8 "rgba:$out/lampboard-64.rgba"
else
    echo "icons.sh: no ImageMagick convert, lampboard.ico and lampboard-64.rgba not rebuilt" >&2
fi
echo "icons.sh: icons in $out"
