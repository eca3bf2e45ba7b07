#!/bin/sh
# Assembles Lampboard.AppDir (binary, desktop file, icon, AppRun) and, when appimagetool is on
# PATH, packs it into Lampboard-<version>-<arch>.AppImage. appimagetool is not in Debian: get it
# from https://github.com/AppImage/appimagetool/releases yourself. Tested on the build machine:
# the AppDir assembly only (no appimagetool there).
#
#   sh packaging/linux/build-appimage.sh [--binary PATH] [--out DIR]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=""
out="$root/target/appimage"
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=${2:?}; shift 2 ;;
        --out) out=${2:?}; shift 2 ;;
        *) echo "build-appimage.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
if [ -z "$binary" ]; then
    (cd "$root" && cargo build --release --locked --bin lampboard)
    binary="$root/target/release/lampboard"
fi
app="$out/Lampboard.AppDir"
rm -rf "$app"
mkdir -p "$app/usr/bin" "$app/usr/share/applications" "$app/usr/share/icons/hicolor/256x256/apps"
objcopy --strip-debug --strip-unneeded "$binary" "$app/usr/bin/lampboard"
install -m 0644 "$root/packaging/linux/lampboard.desktop" "$app/usr/share/applications/lampboard.desktop"
install -m 0644 "$root/packaging/linux/lampboard.desktop" "$app/lampboard.desktop"
install -m 0644 "$root/packaging/icons/png/lampboard-256.png" "$app/usr/share/icons/hicolor/256x256/apps/lampboard.png"
install -m 0644 "$root/packaging/icons/png/lampboard-256.png" "$app/lampboard.png"
ln -sf lampboard.png "$app/.DirIcon"
cat > "$app/AppRun" <<'EOT'
#!/bin/sh
here=$(dirname "$(readlink -f "$0")")
exec "$here/usr/bin/lampboard" "$@"
EOT
chmod 0755 "$app/AppRun"
echo "build-appimage.sh: AppDir in $app"
if command -v appimagetool >/dev/null; then
    ARCH=$(uname -m) appimagetool "$app" "$out/Lampboard-$version-$(uname -m).AppImage"
else
    echo "build-appimage.sh: appimagetool not found; the AppDir is ready, no .AppImage made" >&2
fi
