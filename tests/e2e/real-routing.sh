#!/bin/bash
# End-to-end routing-protocol authentication for plainsight: two BIRD routers and a
# keepalived VRRP master in network namespaces joined by two veth links, a real capture.
#
#   tests/e2e/real-routing.sh OUT.pcap
#
# Must run as root (ip netns, tcpdump). Routers A and B share link 1 (10.91.0.0/24) and
# link 2 (10.92.0.0/24):
#
#   link 1  OSPFv2 cryptographic authentication, HMAC-SHA-256, key ID 5, $OSPF_HMAC
#           RIPv2 cryptographic authentication, keyed MD5, key ID 3, $RIP_MD5
#           VRRPv2 (keepalived on A, virtual router 51) auth_type PASS, $VRRP_PASS
#   link 2  OSPFv2 simple password $OSPF_SIMPLE, RIPv2 plaintext password $RIP_PLAIN
#   BGP     a session between them over link 1 (AS 65001 and 65002), TCP MD5 signatures
#           with $BGP_KEY (RFC 2385)
#   BFD     single-hop sessions on link 1 (keyed MD5, key ID 2, $BFD_MD5) and link 2
#           (simple password, key ID 1, $BFD_SIMPLE), and a multihop session between
#           loopback addresses 10.245.0.1 and 10.245.0.2 (meticulous keyed SHA-1, key ID
#           4, $BFD_SHA1)
#
# The capture is taken in A on every interface (`-i any`: Linux cooked v2). It prints
# "truth ospf <neighbours in state Full>" and "truth bgp <state>" on standard output once
# the routers formed their adjacencies and the BGP session, and "truth bfd <sessions Up
# in A>". Everything it started is stopped on any exit.
set -euo pipefail

OSPF_HMAC='Ospf-Hmac-256!'
RIP_MD5='R1p-md5-key'
VRRP_PASS='vrrpPW1'
OSPF_SIMPLE='osimple'
RIP_PLAIN='rip-plain-pw'
BGP_KEY='Bgp-Md5-Key!'
BFD_MD5='Bfd-Md5-Key'
BFD_SIMPLE='bfdSimple'
BFD_SHA1='Bfd-Sha1-Key'

OUT=${1:?usage: real-routing.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump ip bird birdc keepalived; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-routing.XXXXXX)
A="plainsight-rta-$$"
B="plainsight-rtb-$$"
PIDS=()
cleanup() {
    local rc=$?
    set +e
    netns_stop "${PIDS[@]}" -- "$A" "$B"
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
    [ "$rc" -ne 0 ] && for f in "$TMP"/*.log; do [ -s "$f" ] && tail -n 5 "$f" >&2; done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

veth_namespaces "$A" "$B" 10.91.0.1 10.91.0.2
ip netns exec "$A" ip link add vs2 type veth peer name vc2 netns "$B"
ip netns exec "$A" ip addr add 10.92.0.1/24 dev vs2
ip netns exec "$B" ip addr add 10.92.0.2/24 dev vc2
ip netns exec "$A" ip link set vs2 up
ip netns exec "$B" ip link set vc2 up
# Loopback addresses for the multihop BFD session, routed over link 1.
ip netns exec "$A" ip addr add 10.245.0.1/32 dev lo
ip netns exec "$B" ip addr add 10.245.0.2/32 dev lo
ip netns exec "$A" ip route add 10.245.0.2/32 via 10.91.0.2
ip netns exec "$B" ip route add 10.245.0.1/32 via 10.91.0.1

# router <name> <router id> <link 1 interface> <link 2 interface> <AS> <neighbour> <its AS>
#        <neighbour on link 2> <own loopback> <neighbour's loopback>
router() {
    cat >"$TMP/$1.conf" <<CONF
router id $2;
log "$TMP/$1.log" all;
protocol device { }
protocol ospf v2 ospf1 {
    ipv4 { import none; export none; };
    area 0 {
        interface "$3" {
            hello 2;
            authentication cryptographic;
            password "$OSPF_HMAC" { id 5; algorithm hmac sha256; };
        };
        interface "$4" {
            hello 2;
            authentication simple;
            password "$OSPF_SIMPLE";
        };
    };
}
protocol rip rip1 {
    ipv4 { import none; export none; };
    interface "$3" {
        version 2;
        update time 2;
        authentication cryptographic;
        password "$RIP_MD5" { id 3; algorithm keyed md5; };
    };
    interface "$4" {
        version 2;
        update time 2;
        authentication plaintext;
        password "$RIP_PLAIN";
    };
}
protocol bgp bgp1 {
    local $2 as $5;
    neighbor $6 as $7;
    password "$BGP_KEY";
    ipv4 { import none; export none; };
}
protocol bfd bfd1 {
    interface "$3" {
        interval 200 ms;
        authentication keyed md5;
        password "$BFD_MD5" { id 2; };
    };
    interface "$4" {
        interval 200 ms;
        authentication simple;
        password "$BFD_SIMPLE" { id 1; };
    };
    multihop {
        interval 200 ms;
        authentication meticulous keyed sha1;
        password "$BFD_SHA1" { id 4; };
    };
    neighbor $6 dev "$3";
    neighbor $8 dev "$4";
    neighbor ${10} local $9 multihop yes;
}
CONF
}
router a 10.91.0.1 vsrv vs2 65001 10.91.0.2 65002 10.92.0.2 10.245.0.1 10.245.0.2
router b 10.91.0.2 vcli vc2 65002 10.91.0.1 65001 10.92.0.1 10.245.0.2 10.245.0.1

cat >"$TMP/keepalived.conf" <<CONF
global_defs {
    router_id plainsight_a
}
vrrp_instance plainsight {
    state MASTER
    interface vsrv
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass $VRRP_PASS
    }
    virtual_ipaddress {
        10.91.0.100/24
    }
}
CONF

ip netns exec "$A" tcpdump -i any "${TCPDUMP_OPTS[@]}" -w "$OUT" \
    "ip proto 89 or udp port 520 or ip proto 112 or tcp port 179 or udp port 3784 or udp port 4784" \
    2>"$TMP/tcpdump.log" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.log" || die "tcpdump did not start"

ip netns exec "$A" bird -f -c "$TMP/a.conf" -s "$TMP/a.ctl" -P "$TMP/a.pid" 2>>"$TMP/a.log" &
PIDS+=($!)
ip netns exec "$B" bird -f -c "$TMP/b.conf" -s "$TMP/b.ctl" -P "$TMP/b.pid" 2>>"$TMP/b.log" &
PIDS+=($!)
ip netns exec "$A" keepalived --vrrp -n -l -f "$TMP/keepalived.conf" \
    -p "$TMP/keepalived.pid" -r "$TMP/vrrp.pid" >"$TMP/keepalived.log" 2>&1 &
PIDS+=($!)

# Both adjacencies up (two neighbours of A in state Full), then a few more rounds.
full() {
    [ "$(ip netns exec "$A" birdc -s "$TMP/a.ctl" show ospf neighbors ospf1 2>/dev/null \
        | grep -c Full)" -ge 2 ]
}
for _ in $(seq 60); do full && break; sleep 0.5; done
echo "truth ospf $(ip netns exec "$A" birdc -s "$TMP/a.ctl" show ospf neighbors ospf1 2>/dev/null | grep -c Full || true)"
established() {
    ip netns exec "$A" birdc -s "$TMP/a.ctl" show protocols bgp1 2>/dev/null | grep -q Established
}
for _ in $(seq 40); do established && break; sleep 0.5; done
echo "truth bgp $(established && echo Established || echo down)"
bfd_up() {
    ip netns exec "$A" birdc -s "$TMP/a.ctl" show bfd sessions bfd1 2>/dev/null | grep -c ' Up ' || true
}
for _ in $(seq 40); do [ "$(bfd_up)" -ge 3 ] && break; sleep 0.5; done
echo "truth bfd $(bfd_up)"
sleep 3
capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
