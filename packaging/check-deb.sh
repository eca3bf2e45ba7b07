#!/bin/sh
# CI check of the Debian package: builds the .deb from the debug binary (no release build,
# to save time), installs it with dpkg -i, checks `lampboard --version`, the desktop file
# (desktop-file-validate), the AppStream file, the icons, the sip/sips/tel/callto URL handler
# registration (mimeinfo.cache and xdg-mime), then removes the package again and checks it
# is gone. Exits non-zero on the first failure (the package is removed in any case).
#
#   sh packaging/check-deb.sh [--binary PATH]
#
# Must run as root on a Debian/Ubuntu machine where no other lampboard package is installed.
# apt packages: dpkg-dev (dpkg-shlibdeps, optional), binutils, desktop-file-utils, xdg-utils,
# appstream (optional: the metainfo check is skipped without appstreamcli).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
binary="$root/target/debug/lampboard"
[ "${1:-}" = --binary ] && binary=${2:?--binary needs a path}

fail() { echo "check-deb: FAIL: $*" >&2; exit 1; }
ok() { echo "check-deb: ok: $*"; }

[ "$(id -u)" = 0 ] || fail "must run as root (dpkg -i)"
for t in dpkg-deb dpkg desktop-file-validate xdg-mime objcopy; do
    command -v "$t" >/dev/null || fail "$t missing (apt: dpkg, desktop-file-utils, xdg-utils, binutils)"
done
if dpkg-query -W -f '${Status}' lampboard 2>/dev/null | grep -q '^install ok installed'; then
    fail "a lampboard package is already installed; not touching it"
fi
if [ ! -x "$binary" ]; then
    (cd "$root" && cargo build --locked --bin lampboard)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lampboard-check.XXXXXX")
installed=0
cleanup() {
    if [ "$installed" = 1 ]; then dpkg --purge lampboard >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

deb=$(sh "$root/packaging/build-deb.sh" --binary "$binary" --fast --out "$work" | tail -n 1)
[ -f "$deb" ] || fail "build-deb.sh made no package"
ok "built $(basename "$deb")"
version=$(dpkg-deb -f "$deb" Version)
grep -q "^version = \"$version\"" "$root/Cargo.toml" || fail "package version $version is not Cargo.toml's"

installed=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i"; }
ok "dpkg -i"

out=$(/usr/bin/lampboard --version) || fail "lampboard --version exited non-zero"
[ "$out" = "lampboard $version" ] || fail "lampboard --version said '$out', want 'lampboard $version'"
ok "$out"

desktop=/usr/share/applications/lampboard.desktop
desktop-file-validate "$desktop" || fail "desktop-file-validate $desktop"
ok "desktop-file-validate"
meta=/usr/share/metainfo/invalid.lampboard.Lampboard.metainfo.xml
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$meta" >"$work/as.log" 2>&1 || { cat "$work/as.log" >&2; fail "appstreamcli validate"; }
    ok "appstreamcli validate"
fi
for n in 16 32 48 128 256 512; do
    [ -s "/usr/share/icons/hicolor/${n}x${n}/apps/lampboard.png" ] || fail "no ${n}x${n} icon"
done
[ -s /usr/share/icons/hicolor/scalable/apps/lampboard.svg ] || fail "no scalable icon"
ok "icons"

# The URL handlers: the desktop file declares them, and the system MIME cache (update-desktop-database
# in postinst or the dpkg trigger) lists Lampboard for each scheme.
cache=/usr/share/applications/mimeinfo.cache
for s in sip sips tel callto; do
    grep -q "^MimeType=.*x-scheme-handler/$s;" "$desktop" || fail "$desktop lacks x-scheme-handler/$s"
    grep -q "^x-scheme-handler/$s=.*lampboard.desktop" "$cache" || fail "$cache does not list lampboard for $s:"
done
ok "mimeinfo.cache lists lampboard.desktop for sip, sips, tel, callto"
# What a user's browser asks: xdg-mime, in a clean home (no user choices), finds Lampboard …
home="$work/home"
mkdir -p "$home/.config" "$home/.local/share"
q() { env -i PATH="$PATH" HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
    XDG_DATA_DIRS=/usr/local/share:/usr/share xdg-mime "$@"; }
for s in sip sips tel callto; do
    got=$(q query default "x-scheme-handler/$s" 2>/dev/null || true)
    if [ "$got" != lampboard.desktop ]; then
        # … or, where another installed app also claims the scheme, takes Lampboard when the user picks it.
        q default lampboard.desktop "x-scheme-handler/$s" || fail "xdg-mime default for $s:"
        got=$(q query default "x-scheme-handler/$s")
    fi
    [ "$got" = lampboard.desktop ] || fail "xdg-mime query default x-scheme-handler/$s said '$got'"
done
ok "xdg-mime: lampboard.desktop handles sip, sips, tel, callto"

# The installed binary takes a link as its first argument (a bad one: exit 2, no window needed).
set +e
LAMPBOARD_INSTANCE_SOCKET="$work/instance.sock" /usr/bin/lampboard tel:not-a-number 2>/dev/null
rc=$?
set -e
[ "$rc" = 2 ] || fail "lampboard tel:not-a-number exited $rc, want 2"
ok "click-to-call argument handling"

dpkg -r lampboard >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -r"; }
dpkg --purge lampboard >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --purge"; }
installed=0
[ ! -e /usr/bin/lampboard ] || fail "/usr/bin/lampboard left behind"
[ ! -e "$desktop" ] || fail "$desktop left behind"
if [ -f "$cache" ] && grep -q lampboard.desktop "$cache"; then fail "$cache still lists lampboard after removal"; fi
ok "dpkg -r, dpkg --purge: removed cleanly"
echo "check-deb: all checks passed"
