#!/bin/bash
# End-to-end NIS for plainsight: a real NIS master (ypserv, rpc.yppasswdd, rpcbind), a real
# client (ypbind, ypmatch, yppasswd), a real capture.
#
#   tests/e2e/real-nis.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.235.0.1/24, client side 10.235.0.2/24) and touches no other interface or address;
# each side runs in a mount namespace of its own (private /run, /var/yp, /etc/passwd:
# tests/e2e/nis-server.sh and nis-client.sh). The domain's passwd map holds $NIS_USER
# (MD5-crypt of $OLD) and $OTHER_USER (SHA-512-crypt of $OTHER_PASS). The client:
#
#   1 ypmatch $NIS_USER passwd.byname          -> SUCCESS
#   2 ypmatch $NIS_UID passwd.byuid            -> SUCCESS
#   3 yppasswd as $NIS_USER, old password $WRONG -> yppasswd refuses it itself: FAILURE
#   4 yppasswd as $NIS_USER, $OLD -> $NEW        -> SUCCESS
#   5 ypcat passwd.byname (over TCP)             -> SUCCESS
#
# It prints "truth <n> SUCCESS|FAILURE" for each. Everything it started is stopped, and
# the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

NIS_USER='nisbob'
NIS_UID=1702
OLD='Nis-Old-Pw2'
NEW='Tr1cky-Horse9'
WRONG='nis-Wr0ng'
OTHER_USER='nisalice'
OTHER_PASS='Alice-Pw1'
DOMAIN=plainsight.test
SRV_IP=10.235.0.1
CLI_IP=10.235.0.2

OUT=${1:?usage: real-nis.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump rpcbind ypbind ypmatch yppasswd expect setpriv unshare openssl; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
[ -x /usr/sbin/ypserv ] && [ -x /usr/sbin/rpc.yppasswdd ] && [ -x /usr/lib/yp/makedbm ] ||
    die "missing ypserv"

NS_S=plainsight-niss-$$
NS_C=plainsight-nisc-$$
TMP=$(mktemp -d /tmp/plainsight-nis.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

printf '%s:%s:1701:1701:NIS Alice:/home/%s:/bin/bash\n%s:%s:%s:%s:NIS Bob:/home/%s:/bin/sh\n' \
    "$OTHER_USER" "$(openssl passwd -6 -salt Pl41nS1ght "$OTHER_PASS")" "$OTHER_USER" \
    "$NIS_USER" "$(openssl passwd -1 -salt nisbob01 "$OLD")" "$NIS_UID" "$NIS_UID" "$NIS_USER" \
    >"$TMP/passwd"

ip netns exec "$NS_S" unshare -m -u bash "$HERE/nis-server.sh" "$TMP" "$DOMAIN" "$SRV_IP" \
    "$TMP/passwd" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" 111 10
for _ in $(seq 100); do
    ip netns exec "$NS_S" rpcinfo -p 2>/dev/null | grep -q yppasswdd && break
    sleep 0.1
done

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

ip netns exec "$NS_C" timeout 90 unshare -m -u bash "$HERE/nis-client.sh" "$TMP" "$DOMAIN" \
    "$SRV_IP" "$NIS_USER" "$NIS_UID" "$OLD" "$NEW" "$WRONG" 2>"$TMP/client.log"

capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
