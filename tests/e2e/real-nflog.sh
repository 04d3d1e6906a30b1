#!/bin/bash
# End-to-end capture through Linux's NFLOG (what `tcpdump -i nflog:<group>` writes:
# LINKTYPE_NFLOG records, not Ethernet frames), IPv4 and IPv6, real Redis client and server.
#
#   tests/e2e/real-nflog.sh OUT.pcap
#
# Must run as root. In a network namespace of its own (loopback only): nftables logs the
# Redis port's packets to an NFLOG group in the output hook (both directions: every packet
# on lo is sent by this host), tcpdump captures that group, and redis-server (requirepass,
# an ACL user, listening on 127.0.0.1 and ::1) is asked, one connection after another:
#
#   1 redis-cli -h 127.0.0.1 -a $PASS PING                    -> AUTH, +OK
#   2 redis-cli -h ::1       -a $WRONG PING                   -> AUTH, -WRONGPASS
#   3 redis-cli -h ::1       --user $ACL_USER --pass $ACL_PASS -> AUTH user pass, +OK
#
# It prints "port <port>" and "truth <n> <reply>" on standard output. Everything it started
# is stopped, and the namespace deleted, on any exit.
set -euo pipefail

PASS='nfl0g-Redis!'
WRONG='nflog-Wr0ng'
ACL_USER='auditor'
ACL_PASS='Acl-nfl0g-pw'
GROUP=7

OUT=${1:?usage: real-nflog.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump nft ip redis-server redis-cli; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-nflog.XXXXXX)
NS="plainsight-nflog-$$"
PIDS=()
cleanup() {
    local rc=$?
    set +e
    netns_stop "${PIDS[@]}" -- "$NS"
    [ "$rc" -ne 0 ] && [ -s "$TMP/tcpdump.err" ] && tail -n 5 "$TMP/tcpdump.err" >&2
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS"
in_ns ip link set lo up
PORT=$(free_port)

in_ns nft -f - <<NFT
table inet plainsight {
    chain out {
        type filter hook output priority 0;
        tcp dport $PORT log group $GROUP
        tcp sport $PORT log group $GROUP
    }
}
NFT

cat >"$TMP/redis.conf" <<CONF
port $PORT
bind 127.0.0.1 ::1
requirepass $PASS
user $ACL_USER on >$ACL_PASS ~* +@all
save ""
appendonly no
dir $TMP
CONF
# Started by `ip netns exec` itself (not through in_ns, a function: its subshell would be
# the pid), which becomes the program: $! is the daemon's pid.
ip netns exec "$NS" redis-server "$TMP/redis.conf" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
wait_for in_ns redis-cli -h 127.0.0.1 -p "$PORT" -a "$PASS" --no-auth-warning PING \
    || die "redis-server did not start"

ip netns exec "$NS" tcpdump -i "nflog:$GROUP" "${TCPDUMP_OPTS[@]}" -w "$OUT" 2>"$TMP/tcpdump.err" &
PIDS+=($!)
TCPDUMP=$!
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

echo "port $PORT"
cli() { in_ns redis-cli -p "$PORT" --no-auth-warning "$@" PING 2>&1 | head -n 1; }
echo "truth 1 $(cli -h 127.0.0.1 -a "$PASS")"
echo "truth 2 $(cli -h ::1 -a "$WRONG")"
echo "truth 3 $(cli -h ::1 --user "$ACL_USER" --pass "$ACL_PASS")"

# Three connections, each closed by both sides.
wait_for captured_fins "$OUT" 6 || die "the capture lacks the connections' ends"
capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
