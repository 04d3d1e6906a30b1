#!/bin/bash
# End-to-end Cassandra logins for plainsight: the real DataStax Python driver's
# connection set-up, a peer that answers it as Cassandra's PasswordAuthenticator does
# (Debian ships no Cassandra: tests/e2e/cassandra-peer.py), a real capture.
#
#   tests/e2e/real-cassandra.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.241.0.1/24, client side 10.241.0.2/24) and touches no other interface or address.
# The peer listens on 9042 and on 19042 (not Cassandra's port: found by content); the
# driver (OPTIONS, STARTUP, AUTH_RESPONSE with a PlainTextAuthenticator) connects:
#
#   1  9042 protocol v4, no compression    $USER / $PASS  -> AUTH_SUCCESS
#   2  9042 protocol v4, LZ4 frame bodies  $USER / $WRONG -> ERROR 0x0100
#   3 19042 protocol v5, LZ4 segments      $USER / $PASS  -> AUTH_SUCCESS
#   4 19042 protocol v5, plain segments    $USER / $WRONG -> ERROR 0x0100
#   5  9042 protocol v4, then the driver's QUERY messages: CREATE ROLE app WITH PASSWORD
#           (RESULT) and ALTER ROLE cassandra WITH PASSWORD (ERROR 0x2100 unauthorized)
#   6 19042 protocol v5, LZ4 segments, then ALTER USER reporting WITH PASSWORD (RESULT)
#
# It prints "truth <n> SUCCESS|FAILURE [OK|ERROR <exception>]..." for each as the driver saw
# it (the login, then each query). Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

DB_USER='cass_app'
DB_PASS='C4ss-Pw!Orders'
WRONG='Wr0ng-Cass'
SRV_IP=10.241.0.1
CLI_IP=10.241.0.2

OUT=${1:?usage: real-cassandra.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump python3 ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
# Debian's python3 (the one python3-cassandra installs into), whatever PATH puts first.
PY=/usr/bin/python3
"$PY" -c 'import cassandra, lz4.block' 2>/dev/null \
    || die "missing the Cassandra driver or LZ4 (packages python3-cassandra python3-lz4)"
PEER="$(cd "$(dirname "$0")" && pwd)/cassandra-peer.py"

NS_S=plainsight-css-$$
NS_C=plainsight-csc-$$
TMP=$(mktemp -d /tmp/plainsight-cassandra.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

for port in 9042 19042; do
    ip netns exec "$NS_S" "$PY" "$PEER" server "$SRV_IP" "$port" "$DB_USER" "$DB_PASS" \
        >"$TMP/peer-$port.log" 2>&1 &
    PIDS+=($!)
done
wait_listening "$NS_S" 9042
wait_listening "$NS_S" 19042

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

client() { # n port version compression password [query...]
    local n=$1 port=$2 version=$3 compression=$4 password=$5
    shift 5
    ip netns exec "$NS_C" timeout 60 "$PY" "$PEER" client "$SRV_IP" "$port" "$version" \
        "$compression" "$DB_USER" "$password" "$@" \
        >"$TMP/client.out" 2>&1 || die "client $n: $(cat "$TMP/client.out")"
    echo "truth $n $(head -n 1 "$TMP/client.out" | cut -d' ' -f1)$(tail -n +2 "$TMP/client.out" | tr '\n' ' ' | sed 's/^/ /; s/ $//')"
}
client 1 9042 4 none "$DB_PASS"
client 2 9042 4 lz4 "$WRONG"
client 3 19042 5 lz4 "$DB_PASS"
client 4 19042 5 none "$WRONG"
client 5 9042 4 none "$DB_PASS" \
    "CREATE ROLE app WITH PASSWORD = 'App-Cql-2026' AND LOGIN = true" \
    "ALTER ROLE cassandra WITH PASSWORD = 'Root-Cql-2026'"
client 6 19042 5 lz4 "$DB_PASS" "ALTER USER reporting WITH PASSWORD 'Rep-Cql-2026'"

for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 6 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
