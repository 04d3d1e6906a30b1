#!/bin/bash
# End-to-end EIGRP authentication for plainsight: two FRRouting routers (zebra and eigrpd)
# in network namespaces joined by a veth pair, a real capture.
#
#   tests/e2e/real-eigrp.sh OUT.pcap
#
# Must run as root (ip netns, tcpdump). Routers A (10.243.0.1) and B (10.243.0.2) run
# EIGRP in autonomous system 100 on their link. Once they are neighbours, both turn on
# MD5 authentication with key ID 7 of a key chain holding $KEY (eigrpd refuses the
# interface setting until the interface runs EIGRP, so it is given through vtysh), and A
# then announces a new network (10.244.0.0/24, on a veth pair of its own), which sends
# an update signed with the key. The capture is taken in A on its link (Ethernet). It
# prints "truth neighbors <B in A's table before authentication>" and, at the end,
# "truth signed <EIGRP packets in the capture with an Authentication TLV>".
# Everything it started is stopped on any exit.
set -euo pipefail

KEY='Eigrp-Md5-Key'

OUT=${1:?usage: real-eigrp.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin:/usr/lib/frr"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump ip zebra eigrpd vtysh; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
# FRR's daemons drop to this user (its vty sockets belong to its group).
getent passwd frr >/dev/null || die "no frr user (install the frr package)"

TMP=$(mktemp -d /tmp/plainsight-eigrp.XXXXXX)
chmod 755 "$TMP"
A="plainsight-eia-$$"
B="plainsight-eib-$$"
PIDS=()
cleanup() {
    local rc=$?
    set +e
    netns_stop "${PIDS[@]}" -- "$A" "$B"
    [ "$rc" -ne 0 ] && for f in "$TMP"/*/*.log "$TMP"/*.err; do
        [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 5 "$f" >&2; }
    done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

veth_namespaces "$A" "$B" 10.243.0.1 10.243.0.2

# zebra (interfaces and routes) and eigrpd per router, each with its own sockets.
router() {
    local ns=$1 name=$2 dir="$TMP/$2"
    mkdir -p "$dir"
    chown frr:frr "$dir"
    cat > "$dir/frr.conf" <<CONF
hostname $name
key chain LAB
 key 7
  key-string $KEY
router eigrp 100
 network 10.243.0.0/24
CONF
    local common=(-z "$dir/zserv.api" --vty_socket "$dir" -u frr -g frr)
    ip netns exec "$ns" zebra -f /dev/null -i "$dir/zebra.pid" "${common[@]}" \
        --log "file:$dir/zebra.log" >"$dir/zebra.out" 2>&1 &
    PIDS+=($!)
    wait_for test -S "$dir/zserv.api" || die "$name: zebra did not start"
    ip netns exec "$ns" eigrpd -f "$dir/frr.conf" -i "$dir/eigrpd.pid" "${common[@]}" \
        --log "file:$dir/eigrpd.log" >"$dir/eigrpd.out" 2>&1 &
    PIDS+=($!)
}
vty() { # NS NAME COMMAND...
    local ns=$1 name=$2
    shift 2
    local args=()
    for c in "$@"; do args+=(-c "$c"); done
    ip netns exec "$ns" vtysh --vty_socket "$TMP/$name" "${args[@]}"
}

ip netns exec "$A" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/eigrp.pcap" \
    "ip proto 88" >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

router "$A" ra
router "$B" rb

neighbors() {
    vty "$A" ra "show ip eigrp neighbors" 2>/dev/null | grep -c '10\.243\.0\.2' || true
}
for _ in $(seq 60); do [ "$(neighbors)" -ge 1 ] && break; sleep 0.5; done
echo "truth neighbors $(neighbors)"

vty "$A" ra "configure terminal" "interface vsrv" "ip authentication mode eigrp 100 md5" \
    "ip authentication key-chain eigrp 100 LAB" >/dev/null
vty "$B" rb "configure terminal" "interface vcli" "ip authentication mode eigrp 100 md5" \
    "ip authentication key-chain eigrp 100 LAB" >/dev/null
sleep 1
ip netns exec "$A" ip link add net0 type veth peer name net1
ip netns exec "$A" ip addr add 10.244.0.1/24 dev net0
ip netns exec "$A" ip link set net0 up
ip netns exec "$A" ip link set net1 up
vty "$A" ra "configure terminal" "router eigrp 100" "network 10.244.0.0/24" >/dev/null
# Hellos every 5 seconds: a signed one from each router, and the update.
sleep 6

capture_settled "$TMP/eigrp.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$TMP/eigrp.pcap" ] || die "empty capture"
# Packets whose first TLV is an Authentication TLV (type 2).
echo "truth signed $(tcpdump -r "$TMP/eigrp.pcap" -n 'ip proto 88 and ip[40:2] = 2' 2>/dev/null | wc -l)"
cp "$TMP/eigrp.pcap" "$OUT"
