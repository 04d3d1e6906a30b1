#!/bin/bash
# End-to-end VNC authentication for plainsight: a real VNC server (TigerVNC's Xvnc), a
# real viewer (xtightvncviewer, drawing on an Xvfb of its own), a real capture.
#
#   tests/e2e/real-vnc.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.227.0.1/24, client side 10.227.0.2/24) and touches no other interface or address.
# Xtigervnc serves a display on port 5901 with VNC authentication only (`-SecurityTypes
# VncAuth`, a password file made by vncpasswd); the viewer connects twice, each time with
# a password file of its own:
#
#   1 the server's password $VNC_PASS  -> SecurityResult OK, the desktop (the viewer is
#                                          stopped after a few seconds)
#   2 a wrong password $WRONG           -> SecurityResult failed, "Authentication failure"
#
# It prints "truth <n> SUCCESS|FAILURE" as the viewer reported it. Everything it started
# is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

VNC_PASS='Vnc-Pw12'
WRONG='Wrong-Pw'
SRV_IP=10.227.0.1
CLI_IP=10.227.0.2
PORT=5901

OUT=${1:?usage: real-vnc.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump Xtigervnc vncpasswd xtightvncviewer Xvfb ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

# Two display numbers no other X server of this host holds (lock files are shared
# between namespaces).
DISPLAYS=()
for n in $(seq 64 99); do
    [ -e "/tmp/.X$n-lock" ] || DISPLAYS+=("$n")
    [ "${#DISPLAYS[@]}" -ge 2 ] && break
done
[ "${#DISPLAYS[@]}" -ge 2 ] || die "no free X display numbers"
SERVER_DISPLAY=${DISPLAYS[0]}
VIEWER_DISPLAY=${DISPLAYS[1]}

NS_S=plainsight-vns-$$
NS_C=plainsight-vnc-$$
TMP=$(mktemp -d /tmp/plainsight-vnc.XXXXXX)
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/xvnc.out "$TMP"/viewer.out "$TMP"/tcpdump.err; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    netns_stop "${PIDS[@]}" -- "$NS_C" "$NS_S"
    rm -f "/tmp/.X$SERVER_DISPLAY-lock" "/tmp/.X$VIEWER_DISPLAY-lock"
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

echo "$VNC_PASS" | vncpasswd -f > "$TMP/server.passwd"
echo "$VNC_PASS" | vncpasswd -f > "$TMP/right.passwd"
echo "$WRONG" | vncpasswd -f > "$TMP/wrong.passwd"

ip netns exec "$NS_S" Xtigervnc ":$SERVER_DISPLAY" -rfbport "$PORT" \
    -rfbauth "$TMP/server.passwd" -SecurityTypes VncAuth -nolisten tcp -nolisten unix \
    -geometry 320x200 -depth 16 >"$TMP/xvnc.out" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_C" Xvfb ":$VIEWER_DISPLAY" -nolisten tcp -screen 0 320x200x16 \
    >"$TMP/xvfb.out" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" "$PORT"
wait_for test -e "/tmp/.X11-unix/X$VIEWER_DISPLAY" || die "Xvfb did not start"

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# n PASSWORD-FILE: the viewer, stopped after 5 s when it got in.
viewer() {
    local rc=0
    ip netns exec "$NS_C" env DISPLAY=":$VIEWER_DISPLAY" timeout 5 xtightvncviewer \
        -passwd "$TMP/$2" -viewonly "$SRV_IP::$PORT" >"$TMP/viewer.out" 2>&1 || rc=$?
    if grep -q "Authentication failure\|Authentication failed" "$TMP/viewer.out"; then
        echo "truth $1 FAILURE"
    elif [ "$rc" = 124 ] && grep -q "Authentication successful" "$TMP/viewer.out"; then
        echo "truth $1 SUCCESS"
    else
        die "viewer $1: exit status $rc: $(cat "$TMP/viewer.out")"
    fi
}
viewer 1 right.passwd
viewer 2 wrong.passwd

for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 3 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
