#!/usr/bin/env bash
# One complete call between two SIPp UAs through a running test-bed Kamailio,
# for BLF tests (a watcher of CALLER or CALLEE sees early -> confirmed ->
# terminated from pua_dialoginfo).
#
#   call.sh RUNDIR CALLER CALLEE HOLD_SECS
#
#   RUNDIR     a directory started with kamailio.sh (its env and users.csv)
#   CALLER     extension that calls (not registered; answers the 407)
#   CALLEE     extension that is called: registered for the call on a free
#              loopback port, answered by sipp/uas_answer.xml, unregistered
#              afterwards
#   HOLD_SECS  seconds the call stays up after the ACK (integer, 0..600)
#
# Environment:
#   RING_MS=2000        ringing time (180 -> 200) in milliseconds
#   CALL_LOGDIR=DIR     where the SIPp message logs go (default
#                       RUNDIR/calls/CALLER-CALLEE-<pid>); printed at the end
#
# Exit 0 when the call went through (INVITE/407/INVITE, 180, 200, ACK, BYE,
# 200 on both sides), 1 when it did not (the logs say why), 2 on bad usage.
# Every SIPp runs under `timeout`, and the script stops its own SIPps on any
# exit: the whole run is bounded by about HOLD_SECS + RING_MS + 50 s.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIPP_DIR="$HERE/sipp"

usage() { sed -n '6,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "call.sh: $*" >&2; exit 2; }

[ $# -eq 4 ] || usage
R=$1 CALLER=$2 CALLEE=$3 HOLD=$4
RING_MS=${RING_MS:-2000}

[ -s "$R/env" ] && [ -s "$R/users.csv" ] || die "$R is not a kamailio.sh RUNDIR (no env/users.csv)"
R=$(cd "$R" && pwd)
case "$HOLD" in '' | *[!0-9]*) die "HOLD_SECS must be an integer" ;; esac
[ "$HOLD" -le 600 ] || die "HOLD_SECS must be at most 600"
case "$RING_MS" in '' | *[!0-9]*) die "RING_MS must be an integer" ;; esac
[ "$RING_MS" -le 60000 ] || die "RING_MS must be at most 60000"
[ "$CALLER" != "$CALLEE" ] || die "CALLER and CALLEE must differ"
command -v sipp >/dev/null || die "sipp is not installed: run tests/testbed/install-deps.sh"

SIP_PORT=$(sed -n 's/^SIP_PORT=//p' "$R/env")
CTL=$(sed -n 's/^CTL=//p' "$R/env")
[ -n "$SIP_PORT" ] && [ -n "$CTL" ] || die "no SIP_PORT/CTL in $R/env"
password() { awk -F, -v u="$1" '$1 == u { print $2 }' "$R/users.csv"; }
CALLER_PW=$(password "$CALLER")
CALLEE_PW=$(password "$CALLEE")
[ -n "$CALLER_PW" ] || die "no user $CALLER in $R/users.csv"
[ -n "$CALLEE_PW" ] || die "no user $CALLEE in $R/users.csv"

LOG=${CALL_LOGDIR:-$R/calls/$CALLER-$CALLEE-$$}
mkdir -p "$LOG"
LOG=$(cd "$LOG" && pwd)

# A UDP port on 127.0.0.1 that is free right now (perl is a test-bed
# dependency already). SIPp binds it a moment later; a clash is unlikely.
free_port() {
  perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => 0)
      or die "bind: $!\n";
    print $s->sockport, "\n";'
}
# True while something listens on UDP 127.0.0.1:$1.
port_busy() {
  ! perl -MIO::Socket::INET -e '
    IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => $ARGV[0])
      or exit 1;' "$1"
}

CALLEE_PORT=$(free_port)
CALLER_PORT=$(free_port)
while [ "$CALLER_PORT" = "$CALLEE_PORT" ]; do CALLER_PORT=$(free_port); done

# sipp_cmd NAME SECS sipp-args... sets CMD: SIPp with the common options
# (loopback only, no keyboard, message/error logs NAME.log/NAME.err, hard
# global timeout: -timeout alone waits for a running call to end, with
# -timeout_error it stops at once) under `timeout` as a second bound. Run
# "${CMD[@]}" directly (not in a function) when backgrounding it, so that $!
# is the `timeout` process, which passes a TERM on to SIPp.
sipp_cmd() {
  local name=$1 secs=$2
  shift 2
  CMD=(timeout -k 3 $((secs + 5)) sipp "$@" -i 127.0.0.1 -m 1 -nostdin
    -timeout "${secs}s" -timeout_error
    -trace_msg -message_file "$LOG/$name.log"
    -trace_err -error_file "$LOG/$name.err")
}

# One Call-ID for the REGISTER and the un-REGISTER, with a higher CSeq for
# the latter (registrar ignores a lower one, and pua_usrloc keys its
# publication on the Call-ID).
REG_CID="reg-$CALLEE-$CALLEE_PORT-$$@127.0.0.1"
register_callee() { # EXPIRES NAME BASE_CSEQ
  sipp_cmd "$2" 10 127.0.0.1:"$SIP_PORT" -sf "$SIPP_DIR/register.xml" -p "$CALLEE_PORT" \
    -cid_str "$REG_CID" -base_cseq "$3" -s "$CALLEE" -ap "$CALLEE_PW" -key expires "$1"
  "${CMD[@]}" >"$LOG/$2.out" 2>&1
}

# An interrupted call stays "confirmed" in Kamailio's dialog module (and in
# every dialog NOTIFY) for 12 hours: end it there, which sends BYEs and makes
# pua_dialoginfo publish "terminated". (Early dialogs end by themselves when
# the INVITE transaction times out.)
end_dialog() {
  local cid
  cid=$(sed -n 's/^Call-ID: *//p' "$LOG/caller.log" 2>/dev/null | head -n 1 | tr -d '\r')
  [ -n "$cid" ] || return 0
  kamcmd -s "$CTL" dlg.list 2>/dev/null |
    awk -v cid="$cid" '/h_entry:/ { e = $2 } /h_id:/ { i = $2 } /call-id:/ && $2 == cid { print e, i }' |
    while read -r e i; do
      kamcmd -s "$CTL" dlg.end_dlg "$e" "$i" >/dev/null 2>&1 || true
    done
}

UAS_PID=""
UAC_PID=""
REGISTERED=0
cleanup() {
  local pid
  if [ -n "$UAC_PID" ] && kill -0 "$UAC_PID" 2>/dev/null; then
    end_dialog
  fi
  for pid in $UAC_PID $UAS_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ "$REGISTERED" = 1 ]; then
    # The UAS is gone, so its port is free for the un-REGISTER.
    register_callee 0 unregister 3 || echo "call.sh: un-REGISTER of $CALLEE failed (see $LOG)" >&2
    REGISTERED=0
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "call.sh: $* (logs in $LOG)" >&2
  local f
  for f in "$LOG"/*.err; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

# 1. Register the callee on the port its UAS will use.
if ! register_callee 600 register 1; then
  fail "REGISTER of $CALLEE failed"
fi
REGISTERED=1

# 2. The callee's UAS in the background; wait until it listens.
call_secs=$((HOLD + RING_MS / 1000 + 20))
sipp_cmd callee $((call_secs + 5)) -sf "$SIPP_DIR/uas_answer.xml" -bind_local \
  -p "$CALLEE_PORT" -s "$CALLEE" -d "$RING_MS"
"${CMD[@]}" >"$LOG/callee.out" 2>&1 &
UAS_PID=$!
for _ in $(seq 50); do
  port_busy "$CALLEE_PORT" && break
  kill -0 "$UAS_PID" 2>/dev/null || break
  sleep 0.1
done
port_busy "$CALLEE_PORT" || fail "the callee's SIPp did not start"

# 3. The caller, in the foreground.
caller_rc=0
sipp_cmd caller "$call_secs" 127.0.0.1:"$SIP_PORT" -sf "$SIPP_DIR/uac_call.xml" -bind_local \
  -p "$CALLER_PORT" -s "$CALLER" -ap "$CALLER_PW" -key target "$CALLEE" \
  -d $((HOLD * 1000))
# In the background + wait: bash runs the INT/TERM trap during `wait`, but
# only after a foreground command has finished.
"${CMD[@]}" >"$LOG/caller.out" 2>&1 &
UAC_PID=$!
wait "$UAC_PID" || caller_rc=$?
UAC_PID=""

# 4. The callee ends after answering the BYE (or at its timeout).
callee_rc=0
wait "$UAS_PID" || callee_rc=$?
UAS_PID=""

[ "$caller_rc" = 0 ] || fail "caller $CALLER failed (sipp exit $caller_rc)"
[ "$callee_rc" = 0 ] || fail "callee $CALLEE failed (sipp exit $callee_rc)"
echo "call.sh: $CALLER -> $CALLEE completed, held ${HOLD}s (logs in $LOG)"
