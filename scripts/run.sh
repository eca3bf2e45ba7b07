#!/usr/bin/env bash
# Installs what the build needs (Debian/Ubuntu), builds Lampboard in release mode and opens
# the desktop app. Arguments are passed on: `scripts/run.sh register --server …` works too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(build-essential pkg-config libasound2-dev libopus-dev)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in "${PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "run.sh: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if ! command -v cargo >/dev/null; then
  echo "run.sh: Rust 1.95 or newer is needed (install it with rustup: rustup toolchain install stable)" >&2
  exit 1
fi
# No PBX configured yet: the app opens on the embedded demo office.
exec cargo run --release --bin lampboard -- "$@"
