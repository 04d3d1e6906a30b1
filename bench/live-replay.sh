#!/bin/bash
# Live capture under load (see BENCHMARKS.md): replays a capture with `tcpreplay --topspeed`
# onto a veth pair and watches the other end with `plainsight live`, then reports what
# tcpreplay sent, what the kernel delivered and dropped (pcap stats, from plainsight's
# summary) and how many planted logins came out.
#
#   bench/live-replay.sh CAPTURE [TRUTH]      (as root)
#
# Two network namespaces of its own are joined by a veth pair with no address at all:
# the replayed frames go from one end to the other and nowhere else. Everything is removed
# on exit. Env: THREADS (plainsight --threads, default all cores), BUFFER (--buffer-size,
# default 64M), LOOPS (tcpreplay --loop, default 1).
# Needs: ip (iproute2), tcpreplay, python3; a release build (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
CAPTURE=${1:?usage: live-replay.sh CAPTURE [TRUTH]}
TRUTH=${2:-}
THREADS=${THREADS:-$(nproc)}
BUFFER=${BUFFER:-64M}
LOOPS=${LOOPS:-1}
BIN=$(pwd)/target/release/plainsight
[ "$(id -u)" -eq 0 ] || { echo "live-replay.sh: must run as root" >&2; exit 1; }
[ -x "$BIN" ] || { echo "live-replay.sh: build first: cargo build --release" >&2; exit 1; }

NS_S=psr-s$$
NS_C=psr-c$$
TMP=$(mktemp -d /tmp/plainsight-replay.XXXXXX)
LIVE=""
cleanup() {
    set +e
    [ -n "$LIVE" ] && kill -INT "$LIVE" 2>/dev/null && wait "$LIVE" 2>/dev/null
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_C" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS_S"
ip netns add "$NS_C"
ip -n "$NS_S" link add vsnif type veth peer name vrep netns "$NS_C"
# Frames of the capture may be larger than the default MTU allows.
ip -n "$NS_S" link set vsnif mtu 9000 up
ip -n "$NS_C" link set vrep mtu 9000 up

ip netns exec "$NS_S" "$BIN" live -i vsnif --threads "$THREADS" -B "$BUFFER" -Z root \
    --format jsonl --reveal -o "$TMP/live.jsonl" 2>"$TMP/live.err" &
LIVE=$!
for _ in $(seq 50); do
    grep -q "listening\|capturing" "$TMP/live.err" 2>/dev/null && break
    sleep 0.1
done
sleep 0.5

ip netns exec "$NS_C" tcpreplay --topspeed --loop="$LOOPS" -i vrep "$CAPTURE" >"$TMP/replay.out" 2>&1
sleep 1
kill -INT "$LIVE"
wait "$LIVE" || true
LIVE=""

echo "--- tcpreplay"
grep -E "Actual|Rated|Statistics|Successful|Failed|Truncated|Retried" "$TMP/replay.out" || cat "$TMP/replay.out"
echo "--- plainsight live (summary)"
cat "$TMP/live.err"
echo "--- findings: $(wc -l <"$TMP/live.jsonl") lines"
if [ -n "$TRUTH" ]; then
    python3 bench/recall.py "$TRUTH" plainsight "$TMP/live.jsonl"
fi
