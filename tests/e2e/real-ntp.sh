#!/bin/bash
# End-to-end NTP symmetric key authentication for plainsight: a real NTP server, real
# clients, a real capture.
#
#   tests/e2e/real-ntp.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.234.0.1/24, client side 10.234.0.2/24 and 10.234.0.3/24) and touches no other
# interface or address.
# chronyd serves time on 10.234.0.1:123 with two keys (1: MD5 "$MD5_KEY", 2: SHA1
# "$SHA1_KEY"), never touching the clock (-x). Clients are chronyd -Q (measures the offset,
# never sets the clock):
#
#   1 key 1, MD5, the right key     -> answered: SUCCESS
#   2 key 2, SHA1, the right key    -> answered: SUCCESS
#   3 key 1, MD5, a wrong key, from 10.234.0.3 -> chronyd drops the requests: FAILURE
#
# It prints "truth <n> SUCCESS|FAILURE" for each as the client ended. Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

MD5_KEY='Ntp-Key!1'
SHA1_KEY='sha1-key-2'
WRONG='ntp-Wr0ng'
SRV_IP=10.234.0.1
CLI_IP=10.234.0.2
CLI2_IP=10.234.0.3

OUT=${1:?usage: real-ntp.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump chronyd ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

NS_S=plainsight-ntps-$$
NS_C=plainsight-ntpc-$$
TMP=$(mktemp -d /tmp/plainsight-ntp.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"
ip netns exec "$NS_C" ip addr add "$CLI2_IP/24" dev vcli

printf '1 MD5 %s\n2 SHA1 ASCII:%s\n' "$MD5_KEY" "$SHA1_KEY" >"$TMP/server.keys"
printf '1 MD5 %s\n2 SHA1 ASCII:%s\n' "$MD5_KEY" "$SHA1_KEY" >"$TMP/right.keys"
printf '1 MD5 %s\n' "$WRONG" >"$TMP/wrong.keys"
chmod 600 "$TMP"/*.keys
cat >"$TMP/server.conf" <<CONF
bindaddress $SRV_IP
allow all
local stratum 8
keyfile $TMP/server.keys
pidfile $TMP/server.pid
cmdport 0
CONF

ip netns exec "$NS_S" chronyd -x -d -f "$TMP/server.conf" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
    ip netns exec "$NS_S" ss -Hlun "sport = :123" | grep -q . && break
    sleep 0.1
done

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    udp port 123 >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

client() { # n keys-file key-id seconds source-address
    ip netns exec "$NS_C" timeout 30 chronyd -Q -t "$4" -f /dev/null "keyfile $2" \
        "bindacqaddress $5" "server $SRV_IP iburst key $3" "pidfile $TMP/client-$1.pid" \
        >"$TMP/client-$1.log" 2>&1 || true
    if grep -q "System clock wrong by" "$TMP/client-$1.log"; then
        echo "truth $1 SUCCESS"
    else
        echo "truth $1 FAILURE"
    fi
}
client 1 "$TMP/right.keys" 1 10 "$CLI_IP"
client 2 "$TMP/right.keys" 2 10 "$CLI_IP"
client 3 "$TMP/wrong.keys" 1 5 "$CLI2_IP"

capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
