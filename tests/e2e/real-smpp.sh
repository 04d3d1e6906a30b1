#!/bin/bash
# End-to-end SMPP for plainsight: a real SMS gateway binding to an SMSC, a real capture.
#
#   tests/e2e/real-smpp.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (SMSC side
# 10.238.0.1/24, gateway side 10.238.0.2/24) and touches no other interface or address.
# The SMSC is Kannel's own SMPP test driver (kannel-extras' drive_smpp) on 10.238.0.1:2775;
# Kannel's bearerbox binds to it as a transmitter with system_id "$SYSTEM_ID". drive_smpp
# accepts any password: the bind succeeds. (drive_smpp then looks for a bearerbox of its
# own to feed as an smsbox, finds none in its namespace and stops: the bind is done.)
#
# It prints "truth 1 BOUND" when bearerbox logged the SMSC's bind_transmitter_resp.
# Everything it started is stopped, and the namespaces and the temporary directory
# removed, on any exit.
set -euo pipefail

SYSTEM_ID='shopnotify'
PASSWORD='Sms-pw9'
SMSC_IP=10.238.0.1
GW_IP=10.238.0.2
DRIVE=/usr/lib/kannel/test/drive_smpp

OUT=${1:?usage: real-smpp.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump bearerbox "$DRIVE"; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

NS_S=plainsight-smpps-$$
NS_C=plainsight-smppc-$$
TMP=$(mktemp -d /tmp/plainsight-smpp.XXXXXX)
PIDS=()
E2E_LOGS=("$TMP/bearerbox.log" "$TMP/drive.out")

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SMSC_IP" "$GW_IP"

(cd "$TMP" && exec ip netns exec "$NS_S" "$DRIVE" -v 0 -p 2775 -m 1) >"$TMP/drive.out" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" 2775

cat >"$TMP/bearerbox.conf" <<CONF
group = core
admin-port = 13000
smsbox-port = 13001
admin-password = admin-$$
log-file = "$TMP/bearerbox.log"
box-allow-ip = "127.0.0.1"

group = smsc
smsc = smpp
smsc-id = gw
host = $SMSC_IP
port = 2775
transceiver-mode = false
system-type = "VMA"
smsc-username = "$SYSTEM_ID"
smsc-password = "$PASSWORD"

group = smsbox
bearerbox-host = 127.0.0.1
CONF

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    tcp port 2775 >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

ip netns exec "$NS_C" bearerbox -v 0 "$TMP/bearerbox.conf" >"$TMP/bearerbox.out" 2>&1 &
BB=$!
if wait_for grep -q "bind_transmitter_resp" "$TMP/bearerbox.log"; then
    echo "truth 1 BOUND"
else
    echo "truth 1 NOT-BOUND"
fi
kill -INT "$BB" 2>/dev/null || true
stop_pids "$BB" || true

capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
