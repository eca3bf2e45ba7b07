#!/bin/sh
# Checks the Windows, macOS and Flatpak recipes as far as a Linux machine allows (no root, no
# install): XML well-formed (xmllint), Info.plist parsed with its four URL schemes (python3
# plistlib), the MSI built by wixl from a placeholder exe with the four URL protocols in its
# Registry table (msiinfo), the .app bundle layout assembled, the Flatpak manifest parsed and
# its install script run into a scratch prefix with the results validated.
# apt packages: libxml2-utils, wixl, msitools, desktop-file-utils, appstream, python3 (python3-yaml optional).
#   sh packaging/check-recipes.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
fail() { echo "check-recipes: FAIL: $*" >&2; exit 1; }
ok() { echo "check-recipes: ok: $*"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/lampboard-recipes.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cd "$root"

xmllint --noout packaging/windows/lampboard.wxs packaging/macos/Info.plist \
    packaging/linux/invalid.lampboard.Lampboard.metainfo.xml || fail "xmllint"
ok "xmllint: wxs, Info.plist, metainfo"

# A small stand-in binary (the recipes only copy it).
printf '#!/bin/sh\necho lampboard\n' > "$work/lampboard"
chmod +x "$work/lampboard"

# macOS
sh packaging/macos/build-app.sh --binary "$work/lampboard" --out "$work/mac" --no-dmg 2>/dev/null >/dev/null
python3 - "$work/mac/Lampboard.app/Contents/Info.plist" "$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)" <<'PY' || fail "Info.plist"
import plistlib, sys
p = plistlib.load(open(sys.argv[1], "rb"))
assert p["CFBundleShortVersionString"] == sys.argv[2], p["CFBundleShortVersionString"]
assert p["CFBundleExecutable"] == "lampboard"
schemes = sorted(s for t in p["CFBundleURLTypes"] for s in t["CFBundleURLSchemes"])
assert schemes == ["callto", "sip", "sips", "tel"], schemes
PY
[ -x "$work/mac/Lampboard.app/Contents/MacOS/lampboard" ] || fail "the .app has no executable"
ok "macOS: Lampboard.app layout, Info.plist with sip/sips/tel/callto (no .icns/.dmg: needs macOS)"

# Windows
cp "$work/lampboard" "$work/lampboard.exe"
msi=$(sh packaging/windows/build-msi.sh --exe "$work/lampboard.exe" --out "$work/win" 2>/dev/null | tail -n 1)
[ -f "$msi" ] || fail "wixl built no MSI"
msiinfo export "$msi" Registry > "$work/registry.txt"
for s in sip sips tel callto; do
    grep -q "Software\\\\Classes\\\\$s\\\\shell\\\\open\\\\command" "$work/registry.txt" || fail "MSI lacks the $s: handler"
    grep -q "URLAssociations	$s	Lampboard.Url" "$work/registry.txt" || fail "MSI lacks the $s: capability"
done
msiinfo export "$msi" File | grep -q "lampboard.exe" || fail "MSI lacks lampboard.exe"
ok "Windows: MSI built by wixl, URL protocols sip/sips/tel/callto in its Registry table"

# Flatpak
if python3 -c 'import yaml' 2>/dev/null; then
    python3 -c 'import yaml,sys; m=yaml.safe_load(open(sys.argv[1])); assert m["app-id"]=="invalid.lampboard.Lampboard"' \
        packaging/flatpak/invalid.lampboard.Lampboard.yml || fail "flatpak manifest"
fi
sh packaging/flatpak/install.sh "$work/app" "$work/lampboard"
desktop-file-validate "$work/app/share/applications/invalid.lampboard.Lampboard.desktop" || fail "flatpak desktop file"
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$work/app/share/metainfo/invalid.lampboard.Lampboard.metainfo.xml" >/dev/null \
        || fail "flatpak metainfo"
fi
ok "Flatpak: manifest parsed, install.sh output validated (flatpak-builder not run)"
echo "check-recipes: all checks passed"
