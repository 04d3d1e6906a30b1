#!/bin/bash
# End-to-end IPMI over LAN for plainsight: OpenIPMI's BMC simulator (ipmi_sim) and
# ipmitool, a real capture, on the loopback interface only.
#
#   tests/e2e/real-ipmi.sh OUT.pcap
#
# Must run as root (tcpdump on lo). ipmi_sim listens on 127.0.0.1:<free port> (UDP; not
# 623: IPMI is found by its content) with a user $IPMI_USER (every authentication type
# allowed). One session after another, `ipmitool mc info`:
#
#   1 -I lanplus -C 3 (RAKP-HMAC-SHA1)  $IPMI_PASS   -> RAKP 4 status 0
#   2 -I lanplus -C 3                    $IPMI_WRONG  -> ipmitool stops after RAKP 2
#   3 -I lan -A PASSWORD (IPMI 1.5 straight password) $IPMI_PASS -> Activate Session ok
#
# It prints "port <port>" and "truth <n> <exit status>" on standard output. Everything it
# started is stopped on any exit.
set -euo pipefail

IPMI_USER='bmcadmin'
IPMI_PASS='Ipmi-L4n-pw'
IPMI_WRONG='ipmi-Wr0ng'

OUT=${1:?usage: real-ipmi.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump ipmi_sim ipmitool ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-ipmi.XXXXXX)
PIDS=()
cleanup() {
    local rc=$?
    set +e
    stop_pids "${PIDS[@]}"
    [ "$rc" -ne 0 ] && [ -s "$TMP/sim.log" ] && tail -n 20 "$TMP/sim.log" >&2
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)
cat >"$TMP/lan.conf" <<CONF
name "plainsight"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $PORT
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  user 2 true "$IPMI_USER" "$IPMI_PASS" admin 10 none md2 md5 straight
CONF
cat >"$TMP/emu.cmds" <<CMDS
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
mc_enable 0x20
CMDS
ipmi_sim -c "$TMP/lan.conf" -f "$TMP/emu.cmds" -n -s "$TMP/state" >"$TMP/sim.log" 2>&1 &
PIDS+=($!)
wait_for sh -c "ss -Huln 'sport = :$PORT' | grep -q ." || die "ipmi_sim did not start"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" "udp port $PORT" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

echo "port $PORT"
n=0
session() {
    n=$((n + 1))
    local rc=0
    timeout 20 ipmitool -N 1 -R 1 "$@" -H 127.0.0.1 -p "$PORT" -U "$IPMI_USER" mc info \
        >/dev/null 2>&1 || rc=$?
    echo "truth $n $rc"
}
session -I lanplus -C 3 -P "$IPMI_PASS"
session -I lanplus -C 3 -P "$IPMI_WRONG"
session -I lan -A PASSWORD -P "$IPMI_PASS"

capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
