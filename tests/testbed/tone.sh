#!/usr/bin/env bash
# Writes a sine tone as a 16-bit mono PCM WAV (the format baresip's aufile
# plays, see README "baresip"). FREQ 0 gives silence.
#
#   tone.sh OUT.wav FREQ SECS [RATE]     RATE default 8000 (8000/16000/48000 for aufile)
#
# Amplitude is half of full scale (-6 dBFS). Uses sox when installed, else python3.
set -euo pipefail

usage() { sed -n '5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 3 ] && [ $# -le 4 ] || usage
OUT=$1 FREQ=$2 SECS=$3 RATE=${4:-8000}
case "$FREQ$SECS$RATE" in *[!0-9.]*) echo "tone.sh: FREQ, SECS and RATE must be numbers" >&2; exit 2 ;; esac

if command -v sox >/dev/null; then
  if [ "$FREQ" = 0 ]; then
    sox -q -D -n -r "$RATE" -c 1 -b 16 -e signed-integer "$OUT" trim 0 "$SECS"
  else
    sox -q -D -n -r "$RATE" -c 1 -b 16 -e signed-integer "$OUT" synth "$SECS" sine "$FREQ" vol 0.5
  fi
else
  python3 - "$OUT" "$FREQ" "$SECS" "$RATE" <<'EOF'
import array, math, sys, wave
out, freq, secs, rate = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
n = int(round(secs * rate))
if freq == 0:
    frames = bytes(2 * n)
else:
    amp, w = 0.5 * 32767, 2 * math.pi * freq / rate
    a = array.array("h", (int(round(amp * math.sin(w * i))) for i in range(n)))
    if sys.byteorder == "big":
        a.byteswap()
    frames = a.tobytes()
with wave.open(out, "wb") as f:
    f.setnchannels(1)
    f.setsampwidth(2)
    f.setframerate(rate)
    f.writeframes(frames)
EOF
fi
echo "tone.sh: $OUT ${FREQ} Hz ${SECS} s ${RATE} Hz 16-bit mono"
