#!/bin/bash
# End-to-end Sybase (TDS 4.2 and 5.0) logins for plainsight: FreeTDS's tsql, a real TDS
# client, against a peer that answers as Adaptive Server does (Debian ships no Sybase or
# SAP ASE server: tests/e2e/sybase-peer.py), a real capture.
#
#   tests/e2e/real-sybase.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.242.0.1/24, client side 10.242.0.2/24) and touches no other interface or address.
# The peer listens on 5000 (Sybase's port) and on 15000 (found by content); tsql logs in:
#
#   1  5000 TDS 5.0  $USER / $PASS   -> LOGINACK 5
#   2  5000 TDS 5.0  $USER / $WRONG  -> EED 4002 "Login failed.", LOGINACK 6
#   3 15000 TDS 4.2  $USER / $PASS   -> LOGINACK 1
#   4 15000 TDS 4.2  $USER / $WRONG  -> ERROR 4002
#
# It prints "truth <n> SUCCESS|FAILURE" for each as tsql saw it (its exit status, and its
# prompt or the server's message). Everything it started is stopped, and the namespaces
# and the temporary directory removed, on any exit.
set -euo pipefail

DB_USER='syb_ops'
DB_PASS='Syb4se-Ops!2026'
WRONG='Wr0ng-Syb'
SRV_IP=10.242.0.1
CLI_IP=10.242.0.2

OUT=${1:?usage: real-sybase.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump python3 ss tsql; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
PY=/usr/bin/python3
PEER="$(cd "$(dirname "$0")" && pwd)/sybase-peer.py"

NS_S=plainsight-sys-$$
NS_C=plainsight-syc-$$
TMP=$(mktemp -d /tmp/plainsight-sybase.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

for port in 5000 15000; do
    ip netns exec "$NS_S" "$PY" "$PEER" "$SRV_IP" "$port" "$DB_USER" "$DB_PASS" \
        >"$TMP/peer-$port.log" 2>&1 &
    PIDS+=($!)
done
wait_listening "$NS_S" 5000
wait_listening "$NS_S" 15000

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# No freetds.conf entry: the version comes from TDSVER, the server from -H and -p.
client() { # n port version password
    local status=0
    printf 'select 1\ngo\nquit\n' | ip netns exec "$NS_C" env TDSVER="$3" \
        timeout 60 tsql -H "$SRV_IP" -p "$2" -U "$DB_USER" -P "$4" >"$TMP/client.out" 2>&1 \
        || status=$?
    if [ "$status" -eq 0 ] && grep -q '^1>' "$TMP/client.out"; then
        echo "truth $1 SUCCESS"
    elif [ "$status" -eq 1 ] && grep -q 'Login failed' "$TMP/client.out"; then
        echo "truth $1 FAILURE"
    else
        die "client $1: exit $status: $(cat "$TMP/client.out")"
    fi
}
client 1 5000 5.0 "$DB_PASS"
client 2 5000 5.0 "$WRONG"
client 3 15000 4.2 "$DB_PASS"
client 4 15000 4.2 "$WRONG"

for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 4 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
