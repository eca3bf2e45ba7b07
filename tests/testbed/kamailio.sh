#!/usr/bin/env bash
# Runs a private Kamailio (registrar + digest auth + presence) on loopback for
# Lampboard's real-server tests. Each RUNDIR is one independent instance.
#
#   kamailio.sh start   RUNDIR [SIP_PORT] [TLS_PORT]   (defaults 35060 35061)
#   kamailio.sh stop    RUNDIR
#   kamailio.sh restart RUNDIR      same ports, options, users and DB
#   kamailio.sh status  RUNDIR      exit 0 when running, 3 when not
#
# Options for start (environment):
#   WITH_TLS=1            also listen for TLS on 127.0.0.1:TLS_PORT
#   AUTH_ALG=SHA-256      challenge with algorithm=SHA-256 (default MD5)
#   WRONG_PASSWORD=403    reply 403 to a wrong password (default: a new 401/407)
#   PUA_USRLOC=0          do not publish registrations as presence (default 1:
#                         registered = <basic>open</basic>, see kamailio.cfg)
#
# RUNDIR gets: users.csv (ext,password for 1000..2999), kamailio.db (sqlite),
# kamailio.log, kamailio.pid, ctl.sock, env (SIP_PORT, TLS_PORT, CTL, DOMAIN, ...)
# and with TLS ca.pem, server.pem, server.key, tls.cfg.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CFG="$HERE/kamailio.cfg"
SCHEMA=/usr/share/kamailio/db_sqlite
DOMAIN=127.0.0.1
FIRST_EXT=1000
LAST_EXT=2999

die() { echo "kamailio.sh: $*" >&2; exit 1; }
usage() { sed -n '5,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# True when RUNDIR's Kamailio main process is alive.
running() {
  local pid
  [ -s "$R/kamailio.pid" ] || return 1
  pid=$(cat "$R/kamailio.pid")
  kill -0 "$pid" 2>/dev/null && grep -q kamailio "/proc/$pid/cmdline" 2>/dev/null
}

# users.csv: "ext,password" with 16 random hex digits per password. Kept forever.
make_users() {
  [ -s "$R/users.csv" ] && return 0
  local n=$((LAST_EXT - FIRST_EXT + 1))
  od -An -v -tx1 -w8 -N$((n * 8)) /dev/urandom | tr -d ' ' |
    awk -v first="$FIRST_EXT" '{ print first + NR - 1 "," $0 }' >"$R/users.csv.tmp"
  mv "$R/users.csv.tmp" "$R/users.csv"
}

# kamailio.db: Kamailio's own sqlite schema (standard, auth_db, presence) plus
# one subscriber row per user. ha1 = MD5(user:realm:pw), ha1b = MD5(user@domain:
# realm:pw); the *_sha256 columns hold the same with SHA-256 (AUTH_ALG=SHA-256).
make_db() {
  [ -s "$R/kamailio.db" ] && return 0
  rm -f "$R/kamailio.db.tmp"
  {
    cat "$SCHEMA/standard-create.sql" "$SCHEMA/auth_db-create.sql" "$SCHEMA/presence-create.sql"
    echo "ALTER TABLE subscriber ADD COLUMN ha1_sha256 VARCHAR(128) DEFAULT '' NOT NULL;"
    echo "ALTER TABLE subscriber ADD COLUMN ha1b_sha256 VARCHAR(128) DEFAULT '' NOT NULL;"
    echo "BEGIN;"
    perl -MDigest::MD5=md5_hex -MDigest::SHA=sha256_hex -F, -lane '
      my ($u, $p, $d) = ($F[0], $F[1], "'"$DOMAIN"'");
      my @v = ($u, $d, $p, md5_hex("$u:$d:$p"), md5_hex("$u\@$d:$d:$p"),
               sha256_hex("$u:$d:$p"), sha256_hex("$u\@$d:$d:$p"));
      print "INSERT INTO subscriber (username, domain, password, ha1, ha1b,",
            " ha1_sha256, ha1b_sha256) VALUES (", join(",", map { "\x27$_\x27" } @v), ");";
    ' "$R/users.csv"
    echo "COMMIT;"
  } | sqlite3 "$R/kamailio.db.tmp"
  mv "$R/kamailio.db.tmp" "$R/kamailio.db"
}

# Self-signed CA and a server certificate for 127.0.0.1 / ::1 / localhost
# (P-256 keys), plus the tls.cfg profile file of Kamailio's tls module.
make_tls() {
  if [ ! -s "$R/server.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=Lampboard testbed CA" -keyout "$R/ca.key" -out "$R/ca.pem" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/CN=127.0.0.1" -keyout "$R/server.key" -out "$R/server.csr" 2>/dev/null
    printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" \
      "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth,clientAuth" >"$R/server.ext"
    openssl x509 -req -days 825 -in "$R/server.csr" -CA "$R/ca.pem" -CAkey "$R/ca.key" \
      -CAcreateserial -extfile "$R/server.ext" -out "$R/server.pem" 2>/dev/null
    rm -f "$R/server.csr" "$R/server.ext" "$R/ca.srl"
  fi
  cat >"$R/tls.cfg" <<EOF
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = $R/server.pem
private_key = $R/server.key
ca_list = $R/ca.pem

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
EOF
}

have_tls_module() { compgen -G "/usr/lib/*/kamailio/modules/tls.so" >/dev/null ||
  compgen -G "/usr/lib/kamailio/modules/tls.so" >/dev/null; }

start() {
  local sip_port=$1 tls_port=$2 with_tls=$3 alg=$4 wrong=$5 pua_ul=$6
  running && die "already running in $R (pid $(cat "$R/kamailio.pid"))"
  [ $((${#R} + 10)) -lt 108 ] || die "RUNDIR path too long for a unix socket: $R"
  case "$R" in *[[:space:]\"\']*) die "RUNDIR must not contain blanks or quotes" ;; esac

  make_users
  make_db
  local defs=(-A "SIP_PORT=$sip_port" -A "TLS_PORT=$tls_port"
    -A "DBURL=\"sqlite://$R/kamailio.db\"" -A "CTLSOCK=\"unix:$R/ctl.sock\""
    -A "SELF_URI=\"sip:$DOMAIN:$sip_port\"" -A "RUNDIR=\"$R\"")
  if [ "$with_tls" = 1 ]; then
    if have_tls_module; then
      make_tls
      defs+=(-A WITH_TLS -A "TLSCFG=\"$R/tls.cfg\"")
    else
      echo "kamailio.sh: kamailio-tls-modules not installed, TLS skipped" >&2
      with_tls=0
    fi
  fi
  case "$alg" in
    MD5) ;;
    SHA-256) defs+=(-A WITH_SHA256) ;;
    *) die "AUTH_ALG must be MD5 or SHA-256, not $alg" ;;
  esac
  case "$wrong" in
    401) ;;
    403) defs+=(-A WRONG_PW_403) ;;
    *) die "WRONG_PASSWORD must be 401 or 403, not $wrong" ;;
  esac
  case "$pua_ul" in
    1) ;;
    0) defs+=(-A NO_PUA_USRLOC) ;;
    *) die "PUA_USRLOC must be 0 or 1, not $pua_ul" ;;
  esac

  rm -f "$R/ctl.sock" "$R/kamailio.pid"
  echo "=== start $(date -Is) ports $sip_port/$tls_port tls=$with_tls alg=$alg pua_usrloc=$pua_ul" >>"$R/kamailio.log"
  # -DD: stay in the foreground (children are still forked); -E: log to stderr.
  kamailio -DD -E -m 64 -M 8 -f "$CFG" -P "$R/kamailio.pid" "${defs[@]}" \
    </dev/null >>"$R/kamailio.log" 2>&1 &
  local pid=$!   # kamailio writes the same pid to kamailio.pid itself

  # Ready when the ctl socket answers (SIP sockets are bound before that).
  local i
  for i in $(seq 50); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$R/kamailio.log" >&2
      die "kamailio exited during start (log: $R/kamailio.log)"
    fi
    if kamcmd -s "unix:$R/ctl.sock" core.uptime >/dev/null 2>&1; then
      cat >"$R/env" <<EOF
SIP_PORT=$sip_port
TLS_PORT=$tls_port
WITH_TLS=$with_tls
CTL=unix:$R/ctl.sock
DOMAIN=$DOMAIN
USERS=$R/users.csv
CA=$R/ca.pem
AUTH_ALG=$alg
WRONG_PASSWORD=$wrong
PUA_USRLOC=$pua_ul
EOF
      echo "kamailio.sh: running in $R (pid $pid, sip $sip_port$([ "$with_tls" = 1 ] && echo ", tls $tls_port"))"
      return 0
    fi
    sleep 0.2
  done
  tail -n 30 "$R/kamailio.log" >&2
  echo "$pid" >"$R/kamailio.pid"
  stop
  die "kamailio did not answer on $R/ctl.sock within 10 s"
}

stop() {
  if ! running; then
    rm -f "$R/kamailio.pid" "$R/ctl.sock"
    echo "kamailio.sh: not running in $R"
    return 0
  fi
  local pid kids i
  pid=$(cat "$R/kamailio.pid")
  kids=$(pgrep -P "$pid" || true)
  kill -TERM "$pid" 2>/dev/null || true
  # The main process terminates its children; wait up to 5 s for all of them.
  for i in $(seq 50); do
    # shellcheck disable=SC2086
    kill -0 "$pid" $kids 2>/dev/null || break
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL "$pid" $kids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$R/kamailio.pid" "$R/ctl.sock"
  echo "kamailio.sh: stopped $R"
}

[ $# -ge 2 ] || usage
cmd=$1
R=$2
case "$cmd" in
  start)
    mkdir -p "$R"
    R=$(cd "$R" && pwd)
    start "${3:-35060}" "${4:-35061}" "${WITH_TLS:-0}" "${AUTH_ALG:-MD5}" "${WRONG_PASSWORD:-401}" \
      "${PUA_USRLOC:-1}"
    ;;
  stop | restart | status)
    [ -d "$R" ] || die "no such RUNDIR: $R"
    R=$(cd "$R" && pwd)
    if [ "$cmd" = status ]; then
      if running; then
        echo "running (pid $(cat "$R/kamailio.pid"), up $(kamcmd -s "unix:$R/ctl.sock" core.uptime 2>/dev/null |
          awk '/uptime:/ { print $2 " s" }'))"
        cat "$R/env"
        exit 0
      fi
      echo "stopped"
      exit 3
    fi
    stop
    if [ "$cmd" = restart ]; then
      [ -s "$R/env" ] || die "no $R/env: start it once first"
      # shellcheck disable=SC1091
      # An env written before PUA_USRLOC existed means the default (on).
      (. "$R/env" && start "$SIP_PORT" "$TLS_PORT" "$WITH_TLS" "$AUTH_ALG" "$WRONG_PASSWORD" \
        "${PUA_USRLOC:-1}")
    fi
    ;;
  *) usage ;;
esac
