#!/bin/bash
# End-to-end RTSP logins for plainsight: a real RTSP server, a real client, a real capture.
#
#   tests/e2e/real-rtsp.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.232.0.1/24, client side 10.232.0.2/24) and touches no other interface or address.
# GStreamer's gst-rtsp-server (tests/e2e/rtsp-server.py) serves a live stream at /cam
# twice: on 554 behind Basic, on 8554 behind Digest. GStreamer's rtspsrc (gst-launch-1.0)
# plays 20 buffers of it over TCP (the media interleaved with the RTSP messages), or
# gives up:
#
#   1 554  Basic   $CAM_USER / $PASS   -> DESCRIBE, SETUP, PLAY... accepted
#   2 554  Basic   $CAM_USER / $WRONG  -> 401
#   3 8554 Digest  $CAM_USER / $PASS   -> accepted (every request answers the challenge)
#   4 8554 Digest  $CAM_USER / $WRONG  -> 401 to each retry
#
# It prints "truth <n> SUCCESS|FAILURE" for each as gst-launch ended. Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

CAM_USER='camuser'
PASS='Cam-Pw!1'
WRONG='cam-Wr0ng'
SRV_IP=10.232.0.1
CLI_IP=10.232.0.2

OUT=${1:?usage: real-rtsp.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump gst-launch-1.0 ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0")' 2>/dev/null \
    || die "missing gst-rtsp-server's introspection data (gir1.2-gst-rtsp-server-1.0)"

NS_S=plainsight-rts-$$
NS_C=plainsight-rtc-$$
TMP=$(mktemp -d /tmp/plainsight-rtsp.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

for spec in 554:basic 8554:digest; do
    ip netns exec "$NS_S" /usr/bin/python3 "$HERE/rtsp-server.py" "$SRV_IP" "${spec%%:*}" \
        "$CAM_USER" "$PASS" "${spec#*:}" >"$TMP/server-${spec#*:}.log" 2>&1 &
    PIDS+=($!)
done
wait_listening "$NS_S" 554
wait_listening "$NS_S" 8554

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    tcp >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

play() { # n port password
    if ip netns exec "$NS_C" timeout 30 gst-launch-1.0 -q rtspsrc \
        "location=rtsp://$SRV_IP:$2/cam" "user-id=$CAM_USER" "user-pw=$3" protocols=tcp \
        ! rtppcmudepay ! fakesink num-buffers=20 >"$TMP/client-$1.log" 2>&1; then
        echo "truth $1 SUCCESS"
    else
        echo "truth $1 FAILURE"
    fi
}
play 1 554 "$PASS"
play 2 554 "$WRONG"
play 3 8554 "$PASS"
play 4 8554 "$WRONG"

capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
