#!/bin/bash
# End-to-end L2TP tunnel authentication for plainsight: a real LNS and a real LAC
# (xl2tpd on both ends), a real capture.
#
#   tests/e2e/real-l2tp.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (LNS side
# 10.231.0.1/24, LAC side 10.231.0.2/24) and touches no other interface or address.
# xl2tpd as the LNS (host name $LNS_HOST, `challenge = yes`, the tunnel secret $SECRET)
# in one; in the other, xl2tpd as a LAC (host name $LAC_HOST, `challenge = yes`,
# autodial), twice:
#
#   1 the LAC knows $SECRET: each side answers the other's challenge (SCCRP, SCCCN),
#     the tunnel comes up and the LAC places a call           -> both answers accepted
#   2 the LAC knows $WRONG: the LNS's answer does not match what the LAC computes, the
#     LAC closes the tunnel (StopCCN)                          -> the LNS's answer refused
#
# (The calls' PPP sessions cannot start: this kernel has no PPP driver for pppd. The
# PPP logins L2TP carries are covered by fixtures/l2tp-ppp.pcap.) It prints
# "truth <n> SUCCESS|FAILURE" for each tunnel as the LAC's log tells it. Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

SECRET='L2tp-Tunnel-S3cret'
WRONG='l2tp-Wr0ng-secret'
LNS_HOST='lns-e2e'
LAC_HOST='lac-e2e'
LNS_IP=10.231.0.1
LAC_IP=10.231.0.2

OUT=${1:?usage: real-l2tp.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump xl2tpd; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

NS_S=plainsight-l2s-$$
NS_C=plainsight-l2c-$$
TMP=$(mktemp -d /tmp/plainsight-l2tp.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$LNS_IP" "$LAC_IP"

cat > "$TMP/lns.conf" <<CONF
[global]
listen-addr = $LNS_IP
port = 1701
access control = no
[lns default]
ip range = 192.168.231.10-192.168.231.20
local ip = 192.168.231.1
hostname = $LNS_HOST
challenge = yes
require authentication = no
CONF
cat > "$TMP/lac.conf" <<CONF
[global]
port = 1701
[lac e2e]
lns = $LNS_IP
hostname = $LAC_HOST
challenge = yes
autodial = yes
redial = no
require authentication = no
CONF
# l2tp-secrets: "them me secret" (any peer, any local name).
printf '* * %s\n' "$SECRET" > "$TMP/lns.secrets"
printf '* * %s\n' "$SECRET" > "$TMP/lac-right.secrets"
printf '* * %s\n' "$WRONG" > "$TMP/lac-wrong.secrets"
chmod 600 "$TMP"/*.secrets

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    udp port 1701 >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

ip netns exec "$NS_S" xl2tpd -D -c "$TMP/lns.conf" -s "$TMP/lns.secrets" -p "$TMP/lns.pid" \
    -C "$TMP/lns.control" >"$TMP/lns.log" 2>&1 &
PIDS+=($!)
wait_for grep -q "Listening on IP address" "$TMP/lns.log" || die "the LNS did not start"

# One LAC run: until its log shows how the tunnel went (at most ~20 s).
lac() { # n secrets-file
    local n=$1 log="$TMP/lac-$1.log" pid
    ip netns exec "$NS_C" xl2tpd -D -c "$TMP/lac.conf" -s "$2" -p "$TMP/lac.pid" \
        -C "$TMP/lac.control" >"$log" 2>&1 &
    pid=$!
    PIDS+=($pid)
    wait_for grep -qE "Call established|Invalid challenge authentication|Connection .* closed" "$log" \
        || die "LAC $n: no outcome in its log"
    if grep -q "Connection established to" "$log"; then
        # The call's control messages judge the LAC's own answer: let them come.
        wait_for grep -q "Call established" "$log" || true
        echo "truth $n SUCCESS"
    else
        echo "truth $n FAILURE"
    fi
    sleep 0.5
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}
lac 1 "$TMP/lac-right.secrets"
lac 2 "$TMP/lac-wrong.secrets"

capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
