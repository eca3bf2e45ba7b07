#!/usr/bin/env bash
# Runs baresip 1.0 (Debian baresip-core) as a scripted real SIP peer on
# loopback, registered through a test-bed Kamailio, driven over ctrl_tcp.
# Each DIR is one independent baresip (one account).
#
#   baresip.sh start  DIR EXT PASSWORD KAMAILIO_PORT
#   baresip.sh cmd    DIR COMMAND [PARAMS...]   one ctrl_tcp command, prints the JSON reply
#   baresip.sh wait   DIR STATE [SECS]          until listcalls shows STATE (INCOMING, RINGING,
#                                                ESTABLISHED, ...) or "none" (no call); default 10 s
#   baresip.sh record DIR [OUT.wav]             copy the last received audio to OUT (or RECORD)
#   baresip.sh stop   DIR                       un-REGISTER and stop (copies RECORD first)
#   baresip.sh status DIR                       exit 0 when running, 3 when not
#
# Options for start (environment):
#   ANSWER=auto|manual   auto: answer every call at once (answermode=auto); manual:
#                        ring until `cmd DIR accept` (default auto)
#   PLAY=file.wav        what baresip sends (aufile audio source): 16-bit PCM WAV,
#                        mono at 8000, 16000 or 48000 Hz (see README). Default:
#                        DIR/silence.wav (made here: 600 s, 8 kHz). When the file
#                        ends, baresip HANGS UP the call: make it longer than the call.
#   RECORD=out.wav       where `record`/`stop` put the audio baresip received in its
#                        last call (sndfile filter dump, codec rate, 16-bit)
#   CODECS="PCMU PCMA"   audio codecs offered/accepted, in this order (default
#                        "PCMU PCMA"); any of PCMU PCMA G722 G726-16 G726-24
#                        G726-32 G726-40 GSM opus AMR AMR-WB
#   SIP_PORT=N           baresip's own SIP port (UDP+TCP on 127.0.0.1; N+1/TCP is
#                        taken too, for TLS). Default: a free one
#   CTRL_PORT=N          ctrl_tcp port on 127.0.0.1. Default: a free one
#   KAMAILIO_RUNDIR=DIR  also wait until `kamcmd ul.dump` of that Kamailio shows EXT
#   RTP_PORTS=A-B        RTP/RTCP port range (baresip binds them on 0.0.0.0, always;
#                        the SDP says 127.0.0.1). Default: baresip's random choice
#   SIP_TRACE=1          log every SIP message into DIR/baresip.log (baresip -s)
#   MAX_SECS=3600        baresip quits by itself after this many seconds (-t)
#
# DIR gets: config, accounts, baresip.log, snd/ (dump-*-dec.wav = received,
# dump-*-enc.wav = sent, one pair per call), env (SIP_PORT CTRL_PORT PID EXT ...).
# start waits at most 10 s for "200 OK" to the REGISTER; every command is bounded.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODDIR=/usr/lib/baresip/modules
DOMAIN=127.0.0.1

die() { echo "baresip.sh: $*" >&2; exit 1; }
usage() { sed -n '6,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# True when DIR's baresip is alive.
running() {
  local pid
  [ -s "$D/env" ] || return 1
  pid=$(sed -n 's/^PID=//p' "$D/env")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "baresip -f $D "
}
envval() { sed -n "s/^$1=//p" "$D/env" 2>/dev/null; }

# A port on 127.0.0.1 that is free right now: UDP+TCP on it and TCP on the
# next one for SIP (baresip also listens for TLS on SIP_PORT+1), TCP only for
# ctrl. baresip binds it a moment later; a clash is unlikely.
free_port() { # sip|tcp
  perl -MIO::Socket::INET -e '
    my $kind = shift;
    for (1 .. 200) {
      my $p = 20000 + int(rand(30000));
      my @s;
      push @s, IO::Socket::INET->new(Proto => "tcp", LocalAddr => "127.0.0.1", LocalPort => $p,
        Listen => 1) or next;
      if ($kind eq "sip") {
        push @s, IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1", LocalPort => $p)
          or next;
        push @s, IO::Socket::INET->new(Proto => "tcp", LocalAddr => "127.0.0.1",
          LocalPort => $p + 1, Listen => 1) or next;
      }
      print "$p\n";
      exit 0;
    }
    exit 1;' "$1"
}

# "RATE CHANNELS" of a 16-bit PCM WAV, or an error.
wav_format() {
  perl -e '
    open(my $f, "<:raw", $ARGV[0]) or die "cannot open $ARGV[0]: $!\n";
    my ($h, $c, $fmt);
    read($f, $h, 12) == 12 && substr($h, 0, 4) eq "RIFF" && substr($h, 8, 4) eq "WAVE"
      or die "$ARGV[0] is not a RIFF/WAVE file\n";
    while (read($f, $c, 8) == 8) {
      my ($id, $len) = unpack("a4 V", $c);
      if ($id eq "fmt ") {
        read($f, $fmt, $len);
        my ($tag, $ch, $rate, undef, undef, $bits) = unpack("v v V V v v", $fmt);
        $tag == 1 || $tag == 0xFFFE or die "$ARGV[0]: not PCM (format tag $tag)\n";
        $bits == 16 or die "$ARGV[0]: $bits bits per sample, aufile needs 16\n";
        print "$rate $ch\n";
        exit 0;
      }
      seek($f, $len + ($len & 1), 1);
    }
    die "$ARGV[0]: no fmt chunk\n";' "$1"
}

# Codec name -> "module account-codec-spec". The spec needs rate and channels
# where they are not 8000/1: baresip 1.0 reads a bare "opus" as opus/8000/1,
# finds no such codec and, when no listed codec is left, offers all loaded.
codec_spec() {
  case "${1^^}" in
    PCMU) echo "g711 PCMU/8000/1" ;;
    PCMA) echo "g711 PCMA/8000/1" ;;
    G722) echo "g722 G722/16000/1" ;;
    G726-16 | G726-24 | G726-32 | G726-40) echo "g726 ${1^^}/8000/1" ;;
    GSM) echo "gsm GSM/8000/1" ;;
    OPUS) echo "opus opus/48000/2" ;;
    AMR) echo "amr AMR/8000/1" ;;
    AMR-WB) echo "amr AMR-WB/16000/1" ;;
    *) return 1 ;;
  esac
}

start() {
  local ext=$1 pass=$2 kport=$3
  running && die "already running in $D (pid $(envval PID))"
  case "$ext$kport" in *[!0-9]*) die "EXT and KAMAILIO_PORT must be numbers" ;; esac
  case "$pass" in *[\;\"\>\<,[:space:]]*) die "PASSWORD must not contain ; \" < > , or blanks" ;; esac
  case "$D" in *[[:space:]\"\']*) die "DIR must not contain blanks or quotes" ;; esac
  command -v baresip >/dev/null || die "baresip is not installed: run tests/testbed/install-deps.sh"

  local answer=${ANSWER:-auto} codecs=${CODECS:-PCMU PCMA} max=${MAX_SECS:-3600}
  case "$answer" in auto | manual) ;; *) die "ANSWER must be auto or manual, not $answer" ;; esac
  case "$max" in '' | *[!0-9]*) die "MAX_SECS must be an integer" ;; esac

  # Codec modules (loaded once each) and the account's audio_codecs list.
  local c spec mods="" list=""
  for c in $codecs; do
    spec=$(codec_spec "$c") || die "unknown codec $c (PCMU PCMA G722 G726-16/24/32/40 GSM opus AMR AMR-WB)"
    [ -f "$MODDIR/${spec%% *}.so" ] || die "no module ${spec%% *}.so in $MODDIR for $c"
    case " $mods " in *" ${spec%% *} "*) ;; *) mods="$mods ${spec%% *}" ;; esac
    list="$list${list:+,}${spec#* }"
  done
  [ -n "$list" ] || die "CODECS is empty"

  # The audio source: PLAY, or a generated silence.
  local play=${PLAY:-} fmt
  if [ -z "$play" ]; then
    play=$D/silence.wav
    [ -s "$play" ] || "$HERE/tone.sh" "$play" 0 600 8000 >/dev/null
  fi
  [ -f "$play" ] || die "PLAY file $play does not exist"
  play=$(cd "$(dirname "$play")" && pwd)/$(basename "$play")
  fmt=$(wav_format "$play") || die "PLAY: unusable WAV (16-bit PCM needed)"
  # baresip's resampler only does integer ratios (44100 or 32000 against
  # opus' 48000 fail, and the callee then never answers).
  case "$fmt" in
    "8000 1" | "16000 1" | "48000 1") ;;
    *) die "PLAY must be mono at 8000, 16000 or 48000 Hz, not ${fmt% *} Hz/${fmt#* } ch (tone.sh makes one)" ;;
  esac
  case "$play" in *[[:space:]]*) die "PLAY path must not contain blanks" ;; esac

  local sip_port=${SIP_PORT:-} ctrl_port=${CTRL_PORT:-}
  [ -n "$sip_port" ] || sip_port=$(free_port sip) || die "no free SIP port"
  [ -n "$ctrl_port" ] || ctrl_port=$(free_port tcp) || die "no free ctrl port"
  [ "$ctrl_port" != "$sip_port" ] && [ "$ctrl_port" != $((sip_port + 1)) ] ||
    die "CTRL_PORT must differ from SIP_PORT and SIP_PORT+1 (baresip's TLS port)"

  mkdir -p "$D/snd"
  # aufile reads the file at ausrc_srate/ausrc_channels (it refuses any other
  # format) and baresip resamples to the codec's rate when they differ.
  cat >"$D/config" <<EOF
# written by tests/testbed/baresip.sh
poll_method		epoll
sip_listen		127.0.0.1:$sip_port
net_interface		127.0.0.1
call_local_timeout	120
call_max_calls		4
audio_path		/usr/share/baresip
audio_source		aufile,$play
ausrc_srate		${fmt% *}
ausrc_channels		${fmt#* }
audio_player		aubridge,play$ext
audio_alert		aubridge,alert$ext
module_path		$MODDIR
$(for c in $mods; do printf 'module\t\t\t%s.so\n' "$c"; done)
module			aufile.so
module			aubridge.so
module			sndfile.so
snd_path		$D/snd
module_tmp		account.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:$ctrl_port
statmode_default	off
$([ -n "${RTP_PORTS:-}" ] && printf 'rtp_ports\t\t%s\n' "$RTP_PORTS")
EOF
  local acc="<sip:$ext@$DOMAIN>;auth_pass=$pass;outbound=\"sip:$DOMAIN:$kport;transport=udp\""
  acc="$acc;regint=600;mwi=no;audio_codecs=$list"
  [ "$answer" = auto ] && acc="$acc;answermode=auto"
  echo "$acc" >"$D/accounts"

  local opts=(-f "$D" -n 127.0.0.1 -t "$max")
  [ "${SIP_TRACE:-0}" = 1 ] && opts+=(-s)
  echo "=== start $(date -Is) $ext sip $sip_port ctrl $ctrl_port" >>"$D/baresip.log"
  local lines
  lines=$(wc -l <"$D/baresip.log")
  baresip "${opts[@]}" </dev/null >>"$D/baresip.log" 2>&1 &
  local pid=$!
  cat >"$D/env" <<EOF
PID=$pid
SIP_PORT=$sip_port
CTRL_PORT=$ctrl_port
EXT=$ext
AOR=sip:$ext@$DOMAIN
KAMAILIO_PORT=$kport
ANSWER=$answer
CODECS=$list
PLAY=$play
RECORD=${RECORD:-}
EOF

  # Registered when the log shows "EXT@127.0.0.1: {0/UDP/v4} 200 OK ..." (and
  # Kamailio's usrloc has it, if we know the Kamailio). A rejected REGISTER
  # is logged as "reg: sip:EXT@127.0.0.1: 401 Unauthorized (...)".
  local new ctl="" deadline=$(($(date +%s%N) / 1000000 + 10000))
  [ -n "${KAMAILIO_RUNDIR:-}" ] && ctl="unix:$(cd "$KAMAILIO_RUNDIR" && pwd)/ctl.sock"
  while [ $(($(date +%s%N) / 1000000)) -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$D/baresip.log" >&2
      die "baresip exited during start (log: $D/baresip.log)"
    fi
    new=$(tail -n +$((lines + 1)) "$D/baresip.log" | sed 's/\x1b\[[0-9;]*m//g')
    if grep -Eq "reg: sip:$ext@$DOMAIN: [3-6][0-9][0-9] " <<<"$new"; then
      grep -E "reg: sip:$ext@$DOMAIN: " <<<"$new" | head -n 1 >&2
      stop 1 >/dev/null
      die "REGISTER of $ext failed (log: $D/baresip.log)"
    fi
    if grep -q "^$ext@$DOMAIN: .* 200 OK" <<<"$new" &&
      { [ -z "$ctl" ] || kamcmd -s "$ctl" ul.dump 2>/dev/null | grep -q "AoR: $ext\$"; }; then
      echo "baresip.sh: $ext running in $D (pid $pid, sip $sip_port, ctrl $ctrl_port)"
      return 0
    fi
    sleep 0.1
  done
  tail -n 20 "$D/baresip.log" >&2
  stop 1 >/dev/null
  die "$ext did not register within 10 s (log: $D/baresip.log)"
}

# One ctrl_tcp command: netstring `LEN:{"command":..,"params":..,"token":..},`.
# Prints the response (skipping event messages), waits at most 5 s.
cmd() {
  running || die "not running in $D"
  local port
  port=$(envval CTRL_PORT)
  perl -MIO::Socket::INET -MIO::Select -MJSON::PP -e '
    my ($port, $command, $params) = @ARGV;
    my $token = "t$$";
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port, Proto => "tcp",
      Timeout => 3) or die "connect 127.0.0.1:$port: $!\n";
    my %req = (command => $command, token => $token);
    $req{params} = $params if length $params;
    my $json = JSON::PP->new->canonical->encode(\%req);
    print $s length($json), ":", $json, ",";
    my $sel = IO::Select->new($s);
    my $buf = "";
    my $end = time + 5;
    while (time < $end) {
      $sel->can_read($end - time) or last;
      sysread($s, $buf, 65536, length $buf) or last;
      while ($buf =~ /^(\d+):/ && length($buf) >= length($1) + 2 + $1) {
        my $len = $1;
        my $msg = substr($buf, length($len) + 1, $len);
        $buf = substr($buf, length($len) + 2 + $len);
        my $m = eval { decode_json($msg) } or next;
        next unless $m->{response};
        print "$msg\n";
        exit(($m->{ok} ? 0 : 1));
      }
    }
    die "no response to $command within 5 s\n";' "$port" "$1" "${*:2}"
}

# Polls `listcalls` until a call is in STATE (or, for "none", no call is
# left), at most SECS seconds. Prints the last listcalls text.
waitfor() {
  local state=$1 secs=${2:-10} out deadline
  case "$secs" in '' | *[!0-9]*) die "wait: SECS must be an integer" ;; esac
  deadline=$(($(date +%s%N) / 1000000 + secs * 1000))
  while :; do
    out=$(cmd listcalls 2>/dev/null || true)
    if [ "$state" = none ]; then
      case "$out" in *"Active calls (0)"*) echo "$out"; return 0 ;; esac
    else
      case "$out" in *" $state "*) echo "$out"; return 0 ;; esac
    fi
    [ $(($(date +%s%N) / 1000000)) -lt "$deadline" ] || break
    sleep 0.2
  done
  echo "$out"
  die "wait: no call in state $state within $secs s"
}

# Copies the received audio of the newest finished call (snd/dump-*-dec.wav)
# to OUT. libsndfile writes the WAV sizes only when the call ends: wait for
# that at most 5 s.
record() {
  local out=${1:-$(envval RECORD)} f i
  [ -n "$out" ] || die "record: no OUT.wav and no RECORD given at start"
  for i in $(seq 50); do
    f=$(ls -t "$D"/snd/dump-*-dec.wav 2>/dev/null | head -n 1 || true)
    if [ -n "$f" ] && perl -e '
      my $size = -s $ARGV[0];
      open(my $f, "<:raw", $ARGV[0]) or exit 1;
      my $h;
      read($f, $h, 8) == 8 or exit 1;
      my (undef, $riff) = unpack("a4 V", $h);
      exit($riff + 8 == $size && $size > 44 ? 0 : 1);' "$f"; then
      cp "$f" "$out"
      echo "baresip.sh: $(basename "$f") -> $out"
      return 0
    fi
    sleep 0.1
  done
  die "record: no finished call recording in $D/snd (is a call still up?)"
}

# stop [GRACE_SECS]: TERM makes baresip hang up, un-REGISTER and exit; KILL
# after GRACE_SECS (default 5).
stop() {
  if ! running; then
    echo "baresip.sh: not running in $D"
    return 0
  fi
  local pid i
  pid=$(envval PID)
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq $((${1:-5} * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -n "$(envval RECORD)" ] && ls "$D"/snd/dump-*-dec.wav >/dev/null 2>&1; then
    record || true
  fi
  echo "baresip.sh: stopped $D"
}

[ $# -ge 2 ] || usage
sub=$1
D=$2
shift 2
case "$sub" in
  start)
    [ $# -eq 3 ] || usage
    mkdir -p "$D"
    D=$(cd "$D" && pwd)
    start "$@"
    ;;
  cmd | wait | record | stop | status)
    [ -d "$D" ] || die "no such DIR: $D"
    D=$(cd "$D" && pwd)
    case "$sub" in
      cmd)
        [ $# -ge 1 ] || usage
        cmd "$@"
        ;;
      wait)
        [ $# -ge 1 ] || usage
        running || die "not running in $D"
        waitfor "$@"
        ;;
      record) record "$@" ;;
      stop) stop ;;
      status)
        if running; then
          cat "$D/env"
          exit 0
        fi
        echo "stopped"
        exit 3
        ;;
    esac
    ;;
  *) usage ;;
esac
