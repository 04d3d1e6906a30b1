#!/bin/bash
# End-to-end Oracle Net (TNS/TTC, O5LOGON) for plainsight: python-oracledb's thin client,
# a real pure-Python implementation of Oracle's client protocol, logging in to
# tests/e2e/oracle-peer.py, which answers as an Oracle Database 19c server does (Debian
# ships no Oracle server); a real capture.
#
#   tests/e2e/real-oracle.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.248.0.1/24, client side 10.248.0.2/24) and touches no other interface or address.
# The peer listens on 1521, Oracle's port (TNS version 318: the client sends an urgent
# byte and a MARKER to check out-of-band breaks), and on 15210 (found by content; TNS
# version 315, and its listener asks the client to RESEND its first CONNECT). Users:
# scott (12c verifier, PBKDF2-SHA512) and legacy (11g verifier, SHA-1), service ORCLPDB1.
# tests/e2e/oracle-client.py runs:
#
#   1  1521   scott / $SCOTT_PW, then ALTER USER alice IDENTIFIED BY "Al1ce-New-Pw"
#   2  1521   scott / Wr0ng-Tiger                        refused: ORA-01017
#   3  1521   legacy / $LEGACY_PW
#   4  1521   ... ALTER USER system IDENTIFIED BY "Sys-Pw-42"   refused: ORA-01031
#   5  15210  scott / $SCOTT_PW
#   6  1521   scott / $SCOTT_PW, new password Sc0tt-Changed-2 at login (AUTH_NEWPASSWORD)
#
# It prints "truth <n> OK" or "truth <n> ERROR <ORA-nnnnn>" for each, as python-oracledb
# reported it. Everything it started is stopped, and the namespaces and the temporary
# directory removed, on any exit.
set -euo pipefail

# As in oracle-client.py, which logs in with them.
SCOTT_PW='Tiger-0racle-1'
LEGACY_PW='Leg4cy-Pw-11'
SRV_IP=10.248.0.1
CLI_IP=10.248.0.2
PY=/usr/bin/python3
DIR=$(cd "$(dirname "$0")" && pwd)

OUT=${1:?usage: real-oracle.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$DIR/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump "$PY"; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
"$PY" -c 'import oracledb, cryptography' 2>/dev/null \
    || die "missing python3-oracledb or python3-cryptography"

NS_S=plainsight-ors-$$
NS_C=plainsight-orc-$$
TMP=$(mktemp -d /tmp/plainsight-oracle.XXXXXX)
PIDS=()
E2E_LOGS=("$TMP/peer.log" "$TMP/client.err")

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

ip netns exec "$NS_S" "$PY" "$DIR/oracle-peer.py" \
    --listen "$SRV_IP:1521" --listen "$SRV_IP:15210,version=315,resend" \
    --user "scott:$SCOTT_PW:12c" --user "legacy:$LEGACY_PW:11g" --service ORCLPDB1 \
    2>"$TMP/peer.log" &
PIDS+=($!)
wait_listening "$NS_S" 1521 10
wait_listening "$NS_S" 15210 10

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    tcp port 1521 or tcp port 15210 >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

ip netns exec "$NS_C" timeout 120 "$PY" "$DIR/oracle-client.py" "$SRV_IP" \
    >"$TMP/client.out" 2>"$TMP/client.err" \
    || die "oracle-client.py failed: $(cat "$TMP/client.out" "$TMP/client.err")"
[ "$(grep -c '^truth ' "$TMP/client.out")" -eq 6 ] \
    || die "expected six truth lines: $(cat "$TMP/client.out")"
cat "$TMP/client.out"

# Five connections (steps 3 and 4 share one), each closed from both sides.
for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 10 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
