#!/bin/bash
# End-to-end XMPP traffic for plainsight: a real server, a real client, a real capture, on
# the loopback interface only.
#
#   tests/e2e/real-xmpp.sh OUT.pcap
#
# Must run as root (tcpdump on lo; prosody switches to its own user). Prosody (Debian's
# prosody) listens for clients on 127.0.0.1:<free port> (not 5222: XMPP is found by its
# content) from a configuration written to a temporary directory: no TLS, plaintext SASL
# allowed, one account registered with prosodyctl; and its WebSocket endpoint (RFC 7395,
# mod_websocket) on 127.0.0.1:<another free port>/xmpp-websocket. sendxmpp (Net::XMPP)
# then logs in, one connection after another, and tests/e2e/xmpp-ws-client.py (a
# websocket-client script speaking as web chat clients do) over WebSocket:
#
#   1 SASL PLAIN  $XMPP_USER / $XMPP_PASS   -> <success/>, a message sent
#   2 SASL PLAIN  $XMPP_USER / $XMPP_WRONG  -> <failure><not-authorized/>
#   3 SASL PLAIN over WebSocket, $XMPP_WS_PASS's account   -> <success/>
#   4 SASL PLAIN over WebSocket, $XMPP_WRONG                -> <failure/>
#
# It prints "port <port>", "wsport <port>" and "truth <n> <0|1>" (the client's exit
# status: 0 logged in) on standard output. Everything it started is stopped on any exit.
set -euo pipefail

XMPP_USER='juliet'
XMPP_PASS='R0me0-pw!'
XMPP_WRONG='xmpp-Wr0ng'
XMPP_WS_USER='romeo'
XMPP_WS_PASS='Balc0ny-ws-7'
DOMAIN='example.test'

OUT=${1:?usage: real-xmpp.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump prosody prosodyctl sendxmpp ss runuser; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-xmpp.XXXXXX)
PIDS=()
cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    pkill -f -- "--config $TMP/prosody.cfg.lua" 2>/dev/null
    [ "$rc" -ne 0 ] && for f in "$TMP/prosody.log" "$TMP/run.log" "$TMP/register.log"; do [ -s "$f" ] && head -n 8 "$f" >&2; done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
WS_PORT=$(free_port)
[ "$WS_PORT" != "$PORT" ] || WS_PORT=$(free_port)

mkdir -p "$TMP/data" "$TMP/certs"
cat >"$TMP/prosody.cfg.lua" <<CFG
pidfile = "$TMP/prosody.pid"
data_path = "$TMP/data"
certificates = "$TMP/certs"
log = { { levels = { min = "info" }, to = "file", filename = "$TMP/prosody.log" } }
interfaces = { "127.0.0.1" }
c2s_ports = { $PORT }
s2s_ports = { }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
http_ports = { $WS_PORT }
http_interfaces = { "127.0.0.1" }
https_ports = { }
consider_websocket_secure = true
modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "websocket"; }
modules_disabled = { "s2s"; "tls"; }
VirtualHost "$DOMAIN"
CFG
chown -R prosody:prosody "$TMP" 2>/dev/null || chmod -R a+rwX "$TMP"
chmod 755 "$TMP"
prosodyctl --config "$TMP/prosody.cfg.lua" register "$XMPP_USER" "$DOMAIN" "$XMPP_PASS" \
    >"$TMP/register.log" 2>&1 || true
prosodyctl --config "$TMP/prosody.cfg.lua" register "$XMPP_WS_USER" "$DOMAIN" "$XMPP_WS_PASS" \
    >>"$TMP/register.log" 2>&1 || true
# Prosody refuses to run as root: it runs as its own user.
runuser -u prosody -- prosody --config "$TMP/prosody.cfg.lua" >"$TMP/run.log" 2>&1 &
PIDS+=($!)
listening() { [ -n "$(ss -Htln "sport = :$1")" ]; }
wait_for listening "$PORT" || die "prosody is not listening"
wait_for listening "$WS_PORT" || die "prosody's HTTP server is not listening"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" "tcp port $PORT or tcp port $WS_PORT" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

echo "port $PORT"
echo "wsport $WS_PORT"
n=0
for pass in "$XMPP_PASS" "$XMPP_WRONG"; do
    n=$((n + 1))
    rc=0
    echo "hello from plainsight's test" | timeout 20 sendxmpp -u "$XMPP_USER" -p "$pass" \
        -j "127.0.0.1:$PORT" -o "$DOMAIN" "$XMPP_USER@$DOMAIN" >/dev/null 2>&1 || rc=$?
    echo "truth $n $rc"
done
for pass in "$XMPP_WS_PASS" "$XMPP_WRONG"; do
    n=$((n + 1))
    rc=0
    timeout 20 /usr/bin/python3 "$(dirname "$0")/xmpp-ws-client.py" 127.0.0.1 "$WS_PORT" \
        "$DOMAIN" "$XMPP_WS_USER" "$pass" 2>>"$TMP/run.log" || rc=$?
    echo "truth $n $rc"
done

capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
