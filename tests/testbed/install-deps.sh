#!/usr/bin/env bash
# Installs every Debian package the Lampboard build and real-server tests need.
# Idempotent: does nothing when all packages are already installed.
# Usage: tests/testbed/install-deps.sh   (as root, or with sudo available)
set -euo pipefail

PACKAGES=(
  # test peers: Kamailio registrar/presence server, SIPp, baresip
  kamailio kamailio-presence-modules kamailio-sqlite-modules
  kamailio-utils-modules kamailio-tls-modules
  sip-tester baresip-core
  # tone.sh / audio checks: WAV tones and sox stat
  sox
  # kamailio.sh: user DB, password hashes (perl), certificates, pgrep
  sqlite3 openssl perl procps
  # build deps (cpal -> ALSA, opus -> libopus)
  libasound2-dev pkg-config libopus-dev
  # the real OS keyring under a private D-Bus session (tests/secrets.rs)
  dbus gnome-keyring
  # packaging checks (packaging/check-deb.sh, packaging/check-recipes.sh)
  desktop-file-utils xdg-utils binutils dpkg-dev appstream libxml2-utils wixl msitools
  # window tests drive the window (tests/desktop_window.rs)
  xdotool
  # desktop notifications against a real notification server (tests/desktop_notify.rs)
  dunst
  # the tray icon against a real StatusNotifierWatcher (tests/desktop_tray.rs)
  haskell-status-notifier-item-utils libglib2.0-bin
  # the desktop window under a virtual X server (tests/gui_window.rs)
  xvfb x11-utils libgl1-mesa-dri libegl1 libxkbcommon-x11-0
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Collect the packages that are not fully installed yet.
missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then missing+=("$p"); fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists once if they were never fetched (fresh image)
  # or if the first install attempt fails because they are stale.
  if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
    $SUDO apt-get update -q
  fi
  if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# Debian ships a stock kamailio service (port 5060). Our tests use their own
# config and ports, but make sure the stock one is not running.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  $SUDO systemctl disable --now kamailio.service >/dev/null 2>&1 || true
elif [ -f /run/kamailio/kamailio.pid ] && [ -x /etc/init.d/kamailio ]; then
  $SUDO /etc/init.d/kamailio stop >/dev/null 2>&1 || true
fi
