#!/bin/bash
# End-to-end IRC over WebSocket for plainsight: a real IRC server (InspIRCd 3 with its
# websocket module, as web IRC clients reach networks), a websocket-client script speaking
# as those clients do (tests/e2e/irc-ws-client.py), a real capture, on the loopback
# interface only.
#
#   tests/e2e/real-irc-ws.sh OUT.pcap
#
# Must run as root (tcpdump on lo; InspIRCd runs as the irc user). InspIRCd listens on
# 127.0.0.1:<free port> for WebSocket clients, its connect class asking for a password
# (no host name lookups). The client logs in twice:
#
#   1 text.inspircd.org    PASS $IRC_PASS     -> 001 (welcome)
#   2 binary.inspircd.org  PASS $IRC_WRONG    -> ERROR :Closing link (access denied)
#
# It prints "port <port>" and "truth <n> <0|1>" (the client's exit status: 0 welcomed,
# 1 refused) on standard output. Everything it started is stopped on any exit.
set -euo pipefail

IRC_PASS='Ws-Irc-Pass-3'
IRC_WRONG='ws-irc-Wr0ng'

OUT=${1:?usage: real-irc-ws.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump inspircd ss runuser; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
/usr/bin/python3 -c 'import websocket' 2>/dev/null || die "missing python3-websocket"

TMP=$(mktemp -d /tmp/plainsight-ircws.XXXXXX)
PIDS=()
cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    [ "$rc" -ne 0 ] && for f in "$TMP/run.log" "$TMP/ircd.log" "$TMP/client.log"; do [ -s "$f" ] && head -n 8 "$f" >&2; done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
cat >"$TMP/inspircd.conf" <<CFG
<config format="xml">
<server name="irc.example.test" description="plainsight test" network="TestNet">
<admin name="Admin" nick="admin" email="admin@example.test">
<bind address="127.0.0.1" port="$PORT" type="clients" hook="websocket">
<module name="sha1">
<module name="websocket">
<wsorigin allow="*">
<connect name="main" allow="*" resolvehostnames="no" password="$IRC_PASS" hash="plaintext" timeout="20" pingfreq="120" sendq="262144" recvq="8192" localmax="100" globalmax="100">
<dns server="127.0.0.1" timeout="1">
<pid file="$TMP/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="$TMP/ircd.log">
<files motd="$TMP/motd">
CFG
echo "plainsight test network" >"$TMP/motd"
chown -R irc:irc "$TMP" 2>/dev/null || chmod -R a+rwX "$TMP"
# InspIRCd refuses to run as root.
runuser -u irc -- inspircd --config "$TMP/inspircd.conf" --nofork >"$TMP/run.log" 2>&1 &
PIDS+=($!)
listening() { [ -n "$(ss -Htln "sport = :$PORT")" ]; }
wait_for listening || die "inspircd is not listening"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" "tcp port $PORT" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

echo "port $PORT"
n=0
for step in "text.inspircd.org $IRC_PASS" "binary.inspircd.org $IRC_WRONG"; do
    read -r subprotocol pass <<<"$step"
    n=$((n + 1))
    rc=0
    timeout 20 /usr/bin/python3 "$(dirname "$0")/irc-ws-client.py" 127.0.0.1 "$PORT" \
        "$subprotocol" "webby$n" "$pass" 2>>"$TMP/client.log" || rc=$?
    echo "truth $n $rc"
done

for _ in 1 2 3; do
    wait_for captured_fins "$OUT" 2 && break
done
capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
