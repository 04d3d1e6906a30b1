#!/bin/bash
# End-to-end Subversion (svn://) traffic for plainsight: Debian's svnserve and svn, a real
# capture, on the loopback interface only.
#
#   tests/e2e/real-svn.sh OUT.pcap
#
# Must run as root (tcpdump on lo). svnserve serves a repository made by svnadmin on
# 127.0.0.1:<free port> (not 3690: svn is found by its greeting), anonymous access off,
# its own password file (CRAM-MD5). One connection after another, `svn ls`:
#
#   1 $SVN_USER / $SVN_PASS    -> success
#   2 $SVN_USER / $SVN_WRONG   -> failure (svn then gives up: --non-interactive)
#   3 $SVN_OTHER / $SVN_PASS   -> failure
#
# It prints "port <port>" and "truth <n> <exit status>" on standard output. Everything it
# started is stopped on any exit.
set -euo pipefail

SVN_USER='harry'
SVN_PASS='Svn-c0mmit!'
SVN_WRONG='svn-Wr0ng'
SVN_OTHER='sally'
REALM='Plainsight Repo'

OUT=${1:?usage: real-svn.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump svn svnserve svnadmin ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-svn.XXXXXX)
PIDS=()
cleanup() {
    local rc=$?
    set +e
    stop_pids "${PIDS[@]}"
    [ "$rc" -ne 0 ] && [ -s "$TMP/svnserve.log" ] && tail -n 20 "$TMP/svnserve.log" >&2
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
svnadmin create "$TMP/repo"
cat >"$TMP/repo/conf/svnserve.conf" <<CONF
[general]
anon-access = none
auth-access = write
password-db = passwd
realm = $REALM
CONF
printf '[users]\n%s = %s\n' "$SVN_USER" "$SVN_PASS" >"$TMP/repo/conf/passwd"
svnserve -d --foreground --listen-host 127.0.0.1 --listen-port "$PORT" -r "$TMP" \
    --log-file "$TMP/svnserve.log" &
PIDS+=($!)
wait_for sh -c "ss -Htln 'sport = :$PORT' | grep -q ." || die "svnserve did not start"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" "tcp port $PORT" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

echo "port $PORT"
n=0
login() {
    n=$((n + 1))
    local rc=0
    HOME="$TMP" svn ls --non-interactive --no-auth-cache --config-dir "$TMP/svn-config" \
        --username "$1" --password "$2" "svn://127.0.0.1:$PORT/repo" >/dev/null 2>&1 || rc=$?
    echo "truth $n $rc"
}
login "$SVN_USER" "$SVN_PASS"
login "$SVN_USER" "$SVN_WRONG"
login "$SVN_OTHER" "$SVN_PASS"

# Three connections, each closed by both sides.
wait_for captured_fins "$OUT" 6 || die "the capture lacks the connections' ends"
capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
