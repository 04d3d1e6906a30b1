#!/bin/bash
# End-to-end IS-IS authentication for plainsight: two FRRouting routers (zebra and isisd)
# in network namespaces joined by a veth pair, real captures.
#
#   tests/e2e/real-isis.sh OUT.pcap
#
# Must run as root (ip netns, tcpdump). Routers A (system ID 0000.0000.0001) and B
# (0000.0000.0002), both level-1-2, on one broadcast link (10.93.0.0/24):
#
#   hellos            isis password clear $HELLO_PW (the interface's)
#   level 1 LSP/SNP   area-password md5 $AREA_KEY (RFC 5304 HMAC-MD5)
#   level 2 LSP/SNP   domain-password clear $DOMAIN_PW
#
# Two captures are taken in A at once: on its veth (Ethernet, 802.3 with LLC) into OUT,
# and on every interface (`-i any`, Linux cooked v2) into OUT with "-any" before ".pcap".
# Once A holds B's level-1 and level-2 LSPs (isisd's database, asked with vtysh) it
# prints "truth lsps <B's level-1 LSPs in A> <level-2>" and stops.
# Everything it started is stopped on any exit.
set -euo pipefail

HELLO_PW='Hello-Pw1'
AREA_KEY='Area-Md5-Key'
DOMAIN_PW='Domain-Pw'

OUT=${1:?usage: real-isis.sh OUT.pcap}
OUT_ANY="${OUT%.pcap}-any.pcap"
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin:/usr/lib/frr"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump ip zebra isisd vtysh; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
# FRR's daemons drop to this user (its vty sockets belong to its group).
getent passwd frr >/dev/null || die "no frr user (install the frr package)"

TMP=$(mktemp -d /tmp/plainsight-isis.XXXXXX)
chmod 755 "$TMP"
A="plainsight-isa-$$"
B="plainsight-isb-$$"
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

veth_namespaces "$A" "$B" 10.93.0.1 10.93.0.2

# zebra (interfaces and routes) and isisd per router, each with its own sockets.
router() {
    local ns=$1 name=$2 ifname=$3 system=$4 dir="$TMP/$2"
    mkdir -p "$dir"
    chown frr:frr "$dir"
    cat > "$dir/frr.conf" <<EOF
hostname $name
interface $ifname
 ip router isis LAB
 isis password clear $HELLO_PW
router isis LAB
 net 49.0001.$system.00
 is-type level-1-2
 area-password md5 $AREA_KEY
 domain-password clear $DOMAIN_PW
EOF
    local common=(-z "$dir/zserv.api" --vty_socket "$dir" -u frr -g frr)
    ip netns exec "$ns" zebra -f /dev/null -i "$dir/zebra.pid" "${common[@]}" \
        --log "file:$dir/zebra.log" >"$dir/zebra.out" 2>&1 &
    PIDS+=($!)
    wait_for test -S "$dir/zserv.api" || die "$name: zebra did not start"
    ip netns exec "$ns" isisd -f "$dir/frr.conf" -i "$dir/isisd.pid" "${common[@]}" \
        --log "file:$dir/isisd.log" >"$dir/isisd.out" 2>&1 &
    PIDS+=($!)
}

# ---- capture ------------------------------------------------------------------------
ip netns exec "$A" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/ether.pcap" \
    >/dev/null 2>"$TMP/ether.err" &
TCPDUMP_ETHER=$!
PIDS+=($TCPDUMP_ETHER)
ip netns exec "$A" tcpdump -i any "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/any.pcap" \
    >/dev/null 2>"$TMP/any.err" &
TCPDUMP_ANY=$!
PIDS+=($TCPDUMP_ANY)
wait_for grep -q "listening on" "$TMP/ether.err" || die "tcpdump (veth) did not start"
wait_for grep -q "listening on" "$TMP/any.err" || die "tcpdump (any) did not start"

router "$A" ra vsrv 0000.0000.0001
router "$B" rb vcli 0000.0000.0002

# B's LSPs of both levels in A's database: hellos, LSPs and SNPs of every kind have
# crossed the link (up to 60 s; adjacencies come up after a few hellos).
lsps() {
    ip netns exec "$A" vtysh --vty_socket "$TMP/ra" -c "show isis database" 2>/dev/null |
        awk -v level="$1" '/IS-IS Level-/ { l = $0 ~ "Level-" level } l && /^rb\./ { n++ } END { print n + 0 }'
}
for _ in $(seq 120); do
    [ "$(lsps 1)" -ge 1 ] && [ "$(lsps 2)" -ge 1 ] && break
    sleep 0.5
done
[ "$(lsps 1)" -ge 1 ] && [ "$(lsps 2)" -ge 1 ] ||
    die "the routers did not exchange their LSPs: $(ip netns exec "$A" vtysh --vty_socket "$TMP/ra" -c 'show isis database' 2>&1)"
# A few more hellos and sequence-number PDUs.
sleep 3

for t in "$TCPDUMP_ETHER" "$TCPDUMP_ANY"; do kill -INT "$t"; done
wait "$TCPDUMP_ETHER" "$TCPDUMP_ANY" || true
echo "truth lsps $(lsps 1) $(lsps 2)"
cp "$TMP/ether.pcap" "$OUT"
cp "$TMP/any.pcap" "$OUT_ANY"
