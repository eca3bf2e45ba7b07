#!/usr/bin/env bash
# Takes the README's screenshots from the real app under a private Xvfb (1280x800):
#   docs/screenshots/wall.png        the demo office's wall, mixed states
#   docs/screenshots/call.png        a call to the echo test (600) in progress
#   docs/screenshots/forwarding.png  the forwarding editor (Ctrl+R)
# Needs Xvfb, xdotool, xwininfo and ImageMagick (`import`, `convert`): apt-get install xvfb
# xdotool x11-utils imagemagick. Uses target/release/lampboard when built, else target/debug
# (LAMPBOARD_BIN overrides); builds the debug binary when neither exists.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in Xvfb xdotool xwininfo import convert; do
  command -v "$tool" >/dev/null || { echo "screenshots.sh: $tool is missing (see the top of this script)" >&2; exit 1; }
done

BIN="${LAMPBOARD_BIN:-}"
if [ -z "$BIN" ]; then
  if [ -x target/release/lampboard ]; then BIN=target/release/lampboard
  else
    [ -x target/debug/lampboard ] || cargo build --bin lampboard
    BIN=target/debug/lampboard
  fi
fi
echo "screenshots.sh: using $BIN"

OUT=docs/screenshots
mkdir -p "$OUT"
WORK="$(mktemp -d)"
XVFB_PID=""
APP_PID=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
  [ -n "$XVFB_PID" ] && kill "$XVFB_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The first free display from :210 on.
N=210
while [ -e "/tmp/.X11-unix/X$N" ] || [ -e "/tmp/.X$N-lock" ]; do
  N=$((N + 1))
  [ "$N" -lt 260 ] || { echo "screenshots.sh: no free X display" >&2; exit 1; }
done
export DISPLAY=":$N"
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
XVFB_PID=$!
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$N" ] && break; sleep 0.1; done
[ -e "/tmp/.X11-unix/X$N" ] || { echo "screenshots.sh: Xvfb did not start" >&2; exit 1; }

# Its own instance socket and dirs: no running Lampboard or configured account counts, and
# `lampboard tel:600` below reaches this instance.
export LAMPBOARD_INSTANCE_SOCKET="$WORK/instance.sock"
export XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" XDG_STATE_HOME="$WORK/state"
export LIBGL_ALWAYS_SOFTWARE=1
# ALSA's "default" as the null device: a machine without a sound card still shows calls
# with working (silent) audio, not a device error.
mkdir -p "$WORK/home"
printf 'pcm.!default { type null }\nctl.!default { type hw card 0 }\n' >"$WORK/home/.asoundrc"
export HOME="$WORK/home"
unset WAYLAND_DISPLAY LAMPBOARD_DEMO_KEYS LAMPBOARD_DEMO_STILL
LAMPBOARD_REPORT_FIRST_FRAME=1 "$BIN" --demo 2>"$WORK/app.log" &
APP_PID=$!
for _ in $(seq 600); do
  grep -q '"event":"first_frame"' "$WORK/app.log" 2>/dev/null && break
  kill -0 "$APP_PID" 2>/dev/null || { echo "screenshots.sh: lampboard exited:" >&2; cat "$WORK/app.log" >&2; exit 1; }
  sleep 0.1
done
grep -q '"event":"first_frame"' "$WORK/app.log" || { echo "screenshots.sh: no first frame in 60 s" >&2; exit 1; }
WID="$(xdotool search --name '^Lampboard$' | head -n 1)"
[ -n "$WID" ] || { echo "screenshots.sh: no window named Lampboard" >&2; exit 1; }

# A full-screen grab, made small: 256 colours are plenty for flat UI colours.
shot() {
  import -window root "$WORK/raw.png"
  convert "$WORK/raw.png" -strip -colors 256 "PNG8:$OUT/$1.png"
  echo "screenshots.sh: $OUT/$1.png ($(stat -c %s "$OUT/$1.png") bytes)"
}

# The pointer out of the way (no tooltip on the pictures).
xdotool mousemove --sync 1275 795

# The office has lived for a while: some lines ring, some are busy, statuses vary.
sleep 12
shot wall

# A call to the echo test, handed to the running instance like a click on a tel: link.
"$BIN" tel:600 >/dev/null 2>&1
sleep 4
shot call

# The forwarding editor, opened with its keyboard shortcut.
xdotool windowfocus --sync "$WID" 2>/dev/null || true
xdotool key --clearmodifiers ctrl+r
sleep 2
# Something in it: a no-answer target and a whitelist pattern, typed where the editor opens
# at 1280x800 (clicks that miss only leave the editor empty).
type_into() {
  xdotool mousemove --sync "$1" "$2" click 1
  sleep 0.5
  xdotool type --delay 100 "$3"
  sleep 0.5
}
type_into 128 179 1010
type_into 133 672 _10XX
xdotool mousemove --sync 1275 795
sleep 1
shot forwarding
