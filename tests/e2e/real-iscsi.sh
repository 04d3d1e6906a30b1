#!/bin/bash
# End-to-end iSCSI CHAP for plainsight: a real target (tgt's tgtd), a real initiator
# (libiscsi's iscsi-inq, all in user space), a real capture.
#
#   tests/e2e/real-iscsi.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (target side
# 10.224.0.1/24, initiator side 10.224.0.2/24) and touches no other interface or address.
# tgtd (its own control port) serves one target with a 4 MiB LUN, an incoming CHAP
# account $INIT_USER / $INIT_SECRET and an outgoing one $TARGET_USER / $TARGET_SECRET
# (mutual CHAP, when the initiator asks for it). From the initiator side, one login after
# another:
#
#   1 CHAP $INIT_USER / $INIT_SECRET                          -> accepted, INQUIRY answered
#   2 CHAP $INIT_USER / $WRONG                                -> authentication failure
#   3 mutual CHAP: $INIT_SECRET, and the target's answer checked with $TARGET_SECRET
#                                                             -> both accepted
#   4 mutual CHAP: $INIT_SECRET, the target's answer checked with $WRONG
#                                                             -> the initiator refuses
#
# It prints "truth <n> SUCCESS|FAILURE" for each login as iscsi-inq saw it. Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

INIT_USER='alice'
INIT_SECRET='Chap-Secret-12'
TARGET_USER='array-1'
TARGET_SECRET='Target-Secret1'
WRONG='Wrong-Secret-99'
IQN='iqn.2026-11.org.plainsight:disk1'
INITIATOR='iqn.2026-11.org.plainsight:host7'
SRV_IP=10.224.0.1
CLI_IP=10.224.0.2

OUT=${1:?usage: real-iscsi.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump tgtd tgtadm iscsi-inq ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

NS_S=plainsight-itgt-$$
NS_C=plainsight-iini-$$
TMP=$(mktemp -d /tmp/plainsight-iscsi.XXXXXX)
# A control port of our own: a tgtd of the system (port 0) is left alone.
CONTROL=$((1000 + $$ % 30000))
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/tgtd.out "$TMP"/tcpdump.err "$TMP"/client.err; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    netns_stop "${PIDS[@]}" -- "$NS_C" "$NS_S"
    rm -f "/var/run/tgtd/socket.$CONTROL" "/var/run/tgtd/socket.$CONTROL.lock"
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

# ---- target -------------------------------------------------------------------------
truncate -s 4M "$TMP/disk.img"
ip netns exec "$NS_S" tgtd -f -C "$CONTROL" >"$TMP/tgtd.out" 2>&1 &
PIDS+=($!)
tgt() { ip netns exec "$NS_S" tgtadm -C "$CONTROL" --lld iscsi "$@"; }
wait_for tgt --mode target --op show || die "tgtd did not start"
tgt --mode target --op new --tid 1 --targetname "$IQN"
tgt --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$TMP/disk.img"
tgt --mode account --op new --user "$INIT_USER" --password "$INIT_SECRET"
tgt --mode account --op bind --tid 1 --user "$INIT_USER"
tgt --mode account --op new --user "$TARGET_USER" --password "$TARGET_SECRET"
tgt --mode account --op bind --tid 1 --user "$TARGET_USER" --outgoing
tgt --mode target --op bind --tid 1 --initiator-address ALL
wait_listening "$NS_S" 3260

# ---- capture ------------------------------------------------------------------------
ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# ---- logins -------------------------------------------------------------------------
login() {
    local n=$1 url=$2 rc=0
    ip netns exec "$NS_C" timeout 30 iscsi-inq -i "$INITIATOR" "$url" >"$TMP/client.out" \
        2>"$TMP/client.err" || rc=$?
    if [ "$rc" = 0 ] && grep -q "DIRECT_ACCESS" "$TMP/client.out"; then
        echo "truth $n SUCCESS"
    elif grep -qi "authentication\|CHAP" "$TMP/client.err" "$TMP/client.out"; then
        echo "truth $n FAILURE"
    else
        die "login $n: exit status $rc, neither an answer nor a refusal"
    fi
}
url() { echo "iscsi://$INIT_USER%$1@$SRV_IP/$IQN/1$2"; }
login 1 "$(url "$INIT_SECRET" "")"
login 2 "$(url "$WRONG" "")"
login 3 "$(url "$INIT_SECRET" "?target_user=$TARGET_USER&target_password=$TARGET_SECRET")"
login 4 "$(url "$INIT_SECRET" "?target_user=$TARGET_USER&target_password=$WRONG")"

# ---- stop the capture ---------------------------------------------------------------
for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 8 && break
done
captured_fins "$TMP/capture.pcap" 8 || log "the capture lacks some connections' ends; going on"
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
