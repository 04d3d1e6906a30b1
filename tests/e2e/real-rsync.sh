#!/bin/bash
# End-to-end rsync daemon traffic for plainsight: Debian's rsync as the daemon and the
# client, a real capture, on the loopback interface only.
#
#   tests/e2e/real-rsync.sh OUT.pcap
#
# Must run as root (tcpdump on lo). rsync --daemon listens on 127.0.0.1:<free port> (not
# 873: rsync is found by its greeting) with a module "secure" (auth users $RS_USER, a
# secrets file) and an open module "pub". One connection after another:
#
#   1 rsync rsync://$RS_USER@.../secure/  RSYNC_PASSWORD=$RS_PASS   -> @RSYNCD: OK
#   2 rsync rsync://$RS_USER@.../secure/  RSYNC_PASSWORD=$RS_WRONG  -> @ERROR: auth failed
#   3 rsync rsync://$RS_OTHER@.../secure/ RSYNC_PASSWORD=$RS_PASS   -> @ERROR: auth failed
#   4 rsync rsync://.../pub/ (no login), 5 rsync rsync://.../ (the module list)
#
# It prints "port <port>" and "truth <n> <exit status>" on standard output. Everything it
# started is stopped on any exit.
set -euo pipefail

RS_USER='mirror'
RS_PASS='Rsync-d4emon!'
RS_WRONG='rsync-Wr0ng'
RS_OTHER='intruder'

OUT=${1:?usage: real-rsync.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump rsync ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-rsync.XXXXXX)
PIDS=()
cleanup() {
    local rc=$?
    set +e
    stop_pids "${PIDS[@]}"
    [ "$rc" -ne 0 ] && [ -s "$TMP/rsyncd.log" ] && tail -n 20 "$TMP/rsyncd.log" >&2
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
mkdir -p "$TMP/secure" "$TMP/pub"
echo data >"$TMP/secure/file"
echo data >"$TMP/pub/file"
echo "$RS_USER:$RS_PASS" >"$TMP/secrets"
chmod 600 "$TMP/secrets"
cat >"$TMP/rsyncd.conf" <<CONF
port = $PORT
address = 127.0.0.1
use chroot = no
uid = root
gid = root
log file = $TMP/rsyncd.log
[secure]
    path = $TMP/secure
    auth users = $RS_USER
    secrets file = $TMP/secrets
    read only = yes
[pub]
    path = $TMP/pub
    read only = yes
CONF
rsync --daemon --no-detach --config="$TMP/rsyncd.conf" &
PIDS+=($!)
wait_for rsync "rsync://127.0.0.1:$PORT/" || die "rsync --daemon did not start"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" "tcp port $PORT" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

echo "port $PORT"
n=0
login() {
    n=$((n + 1))
    local rc=0
    RSYNC_PASSWORD="$2" rsync "rsync://$1@127.0.0.1:$PORT/secure/" >/dev/null 2>&1 || rc=$?
    echo "truth $n $rc"
}
login "$RS_USER" "$RS_PASS"
login "$RS_USER" "$RS_WRONG"
login "$RS_OTHER" "$RS_PASS"
rsync "rsync://127.0.0.1:$PORT/pub/" >/dev/null
rsync "rsync://127.0.0.1:$PORT/" >/dev/null

# Five connections (and the daemon check before the capture), each closed by both sides.
wait_for captured_fins "$OUT" 10 || die "the capture lacks the connections' ends"
capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
