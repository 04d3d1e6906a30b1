#!/bin/bash
# End-to-end NATS logins for plainsight: a real nats-server (user/password on one port, a
# token on another), a client speaking the protocol as the NATS client libraries do (a few
# lines of Python: Debian ships no NATS client), a real capture.
#
#   tests/e2e/real-nats.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.228.0.1/24, client side 10.228.0.2/24) and touches no other interface or address.
# Two nats-server instances from configurations written to a temporary directory:
# port 4222 with the user $NATS_USER / $NATS_PASS, port 4223 (not NATS's port: found by
# content) with the token $TOKEN. The client reads INFO, sends CONNECT {json} and PING,
# and reads the answer (PONG, or -ERR 'Authorization Violation'):
#
#   1 4222 user/pass  $NATS_USER / $NATS_PASS  -> PONG, then a message
#   2 4222 user/pass  $NATS_USER / $WRONG      -> -ERR
#   3 4223 token      $TOKEN                   -> PONG, then a message
#   4 4223 token      $WRONG                   -> -ERR
#
# It prints "truth <n> SUCCESS|FAILURE" for each as the client saw it. Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

NATS_USER='alice'
NATS_PASS='Nats-Pass-1'
TOKEN='s3cr3t-Token-77'
WRONG='Wrong-Pass-2'
SRV_IP=10.228.0.1
CLI_IP=10.228.0.2

OUT=${1:?usage: real-nats.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump nats-server python3 ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

NS_S=plainsight-nts-$$
NS_C=plainsight-ntc-$$
TMP=$(mktemp -d /tmp/plainsight-nats.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

cat > "$TMP/users.conf" <<CONF
listen: $SRV_IP:4222
authorization {
  users = [ {user: "$NATS_USER", password: "$NATS_PASS"} ]
}
CONF
cat > "$TMP/token.conf" <<CONF
listen: $SRV_IP:4223
authorization { token: "$TOKEN" }
CONF
for conf in users token; do
    ip netns exec "$NS_S" nats-server -c "$TMP/$conf.conf" >"$TMP/$conf.log" 2>&1 &
    PIDS+=($!)
done
wait_listening "$NS_S" 4222
wait_listening "$NS_S" 4223

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# The client side of the NATS protocol, as the client libraries open a connection.
cat > "$TMP/client.py" <<'PY'
import json, socket, sys
host, port, kind, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port), timeout=20)
f = s.makefile("rb")
info = f.readline()
if not info.startswith(b"INFO "):
    sys.exit(f"no INFO: {info!r}")
opts = {"verbose": False, "pedantic": False, "lang": "python3", "version": "2.9.0",
        "protocol": 1, "name": "plainsight-e2e", "headers": True, "no_responders": True}
if kind == "token":
    opts["auth_token"] = secret
else:
    user, password = kind.split("=", 1)[1], secret
    opts.update(user=user, **{"pass": password})
s.sendall(b"CONNECT " + json.dumps(opts).encode() + b"\r\nPING\r\n")
answer = f.readline()
if answer.startswith(b"PONG"):
    s.sendall(b"PUB plainsight 5\r\nhello\r\nPING\r\n")
    f.readline()
    print("SUCCESS")
elif answer.startswith(b"-ERR"):
    print("FAILURE", answer.decode().strip())
else:
    sys.exit(f"unexpected answer: {answer!r}")
s.close()
PY
client() {
    ip netns exec "$NS_C" timeout 30 python3 "$TMP/client.py" "$SRV_IP" "$2" "$3" "$4" \
        >"$TMP/client.out" 2>&1 || die "client $1: $(cat "$TMP/client.out")"
    echo "truth $1 $(head -n 1 "$TMP/client.out" | cut -d' ' -f1)"
}
client 1 4222 "user=$NATS_USER" "$NATS_PASS"
client 2 4222 "user=$NATS_USER" "$WRONG"
client 3 4223 token "$TOKEN"
client 4 4223 token "$WRONG"

for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 4 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
