#!/bin/bash
# End-to-end wired 802.1X for plainsight: hostapd (the wired driver, its own EAP server)
# as the authenticator and wpa_supplicant (the wired driver) as the supplicant, in two
# network namespaces joined by a veth link, a real capture.
#
#   tests/e2e/real-dot1x.sh OUT.pcap
#
# Must run as root (ip netns, tcpdump). Both speak EAPOL to the PAE group address, as
# wired 802.1X does. One supplicant run after another, each until it reports the end of
# its EAP exchange:
#
#   1 $USER1 with $PASS1 (EAP-MD5)      -> EAP Success
#   2 $USER1 with $WRONG (EAP-MD5)      -> EAP Failure
#
# It prints "truth <n> <SUCCESS|FAILURE>" on standard output, from wpa_supplicant's own
# events. Everything it started is stopped on any exit.
set -euo pipefail

USER1='alice'
PASS1='Dot1x-Md5-Pass'
WRONG='dot1x-Wr0ng'

OUT=${1:?usage: real-dot1x.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump ip hostapd wpa_supplicant; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-dot1x.XXXXXX)
AUTH="plainsight-pae-$$"
SUPP="plainsight-supp-$$"
PIDS=()
cleanup() {
    local rc=$?
    set +e
    netns_stop "${PIDS[@]}" -- "$AUTH" "$SUPP"
    ip netns del "$AUTH" 2>/dev/null
    ip netns del "$SUPP" 2>/dev/null
    [ "$rc" -ne 0 ] && for f in "$TMP"/*.log; do [ -s "$f" ] && tail -n 5 "$f" >&2; done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

veth_namespaces "$AUTH" "$SUPP" 10.93.0.1 10.93.0.2

cat >"$TMP/hostapd.conf" <<CONF
interface=vsrv
driver=wired
ieee8021x=1
eap_reauth_period=0
eap_server=1
eap_user_file=$TMP/eap_users
use_pae_group_addr=1
CONF
printf '"%s" MD5 "%s"\n' "$USER1" "$PASS1" >"$TMP/eap_users"

ip netns exec "$AUTH" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -w "$OUT" ether proto 0x888e \
    2>"$TMP/tcpdump.log" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.log" || die "tcpdump did not start"

ip netns exec "$AUTH" hostapd "$TMP/hostapd.conf" >"$TMP/hostapd.log" 2>&1 &
PIDS+=($!)
wait_for grep -q "ENABLED" "$TMP/hostapd.log" || die "hostapd did not start"

# supplicant <n> <password>: one EAP exchange, its outcome from wpa_supplicant's events.
supplicant() {
    cat >"$TMP/supp$1.conf" <<CONF
ap_scan=0
network={
    key_mgmt=IEEE8021X
    eap=MD5
    identity="$USER1"
    password="$2"
    eapol_flags=0
}
CONF
    ip netns exec "$SUPP" wpa_supplicant -D wired -i vcli -c "$TMP/supp$1.conf" \
        >"$TMP/supp$1.log" 2>&1 &
    local pid=$!
    wait_for grep -qE "CTRL-EVENT-EAP-(SUCCESS|FAILURE)" "$TMP/supp$1.log" || true
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
    local result
    result=$(grep -oE "CTRL-EVENT-EAP-(SUCCESS|FAILURE)" "$TMP/supp$1.log" | head -n 1)
    echo "truth $1 ${result#CTRL-EVENT-EAP-}"
}
supplicant 1 "$PASS1"
supplicant 2 "$WRONG"

capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
