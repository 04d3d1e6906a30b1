#!/bin/bash
# End-to-end Neo4j Bolt logins for plainsight: the real Neo4j Python driver (neo4j on PyPI)
# against a peer that answers it as a Neo4j 5 server does (Debian ships no Neo4j:
# tests/e2e/bolt-peer.py), a real capture.
#
#   tests/e2e/real-bolt.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.249.0.1/24, client side 10.249.0.2/24) and touches no other interface or address.
# The peer listens on 7687, Neo4j's port, where it speaks Bolt 5 up to the driver's best
# (5.8: HELLO without credentials, then LOGON), and on 17687 (found by content), where it
# speaks at most Bolt 4.4 (the credentials travel in HELLO). tests/e2e/bolt-client.py runs,
# each step with its own driver and connection:
#
#   1  7687   neo4j / $NEO4J_PW, ALTER USER alice SET PASSWORD '...' (a literal)
#   2  7687   neo4j / $WRONG                                   refused: Unauthorized
#   3  7687   neo4j / $NEO4J_PW, CREATE USER bob SET PASSWORD $pw (the password a parameter)
#   4  7687   reader / $READER_PW, ALTER CURRENT USER SET PASSWORD FROM ... TO ...
#                                                              refused: Forbidden
#   5  17687  neo4j / $NEO4J_PW (Bolt 4.4), verify_connectivity
#
# (The passwords are constants at the top of bolt-client.py; the peer's users below.)
# It prints "truth <n> OK" or "truth <n> ERROR <Neo4j status code>" for each, as the driver
# reported it. Everything it started is stopped, and the namespaces and the temporary
# directory removed, on any exit.
set -euo pipefail

NEO4J_PW='N30-Graph-Pw1'
READER_PW='Read3r-Pw-2'
SRV_IP=10.249.0.1
CLI_IP=10.249.0.2

OUT=${1:?usage: real-bolt.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
# The python3 the driver is installed for, whatever PATH puts first.
PY=/usr/bin/python3
"$PY" -c 'import neo4j' 2>/dev/null || die "missing neo4j (pip)"
HERE="$(cd "$(dirname "$0")" && pwd)"

NS_S=plainsight-bls-$$
NS_C=plainsight-blc-$$
TMP=$(mktemp -d /tmp/plainsight-bolt.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

ip netns exec "$NS_S" "$PY" "$HERE/bolt-peer.py" \
    --listen "$SRV_IP:7687" --listen "$SRV_IP:17687,max=4.4" \
    --user "neo4j:$NEO4J_PW" --user "reader:$READER_PW" \
    >"$TMP/peer.log" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" 7687
wait_listening "$NS_S" 17687

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    tcp port 7687 or tcp port 17687 >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# (From the temporary directory: nothing is written where the script was started.)
(cd "$TMP" && exec ip netns exec "$NS_C" timeout 120 "$PY" "$HERE/bolt-client.py" "$SRV_IP") \
    >"$TMP/client.out" 2>"$TMP/client.log" || die "the client failed: $(cat "$TMP/client.out")"
[ "$(grep -c '^truth [0-9]' "$TMP/client.out")" -eq 5 ] \
    || die "expected 5 truth lines: $(cat "$TMP/client.out")"
grep '^truth [0-9]' "$TMP/client.out"

# Five connections, each ended from both sides.
for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 10 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
