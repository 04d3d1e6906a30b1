#!/bin/bash
# End-to-end MongoDB logins for plainsight: the real PyMongo driver, a MongoDB peer that
# answers its login commands (Debian ships no MongoDB server: tests/e2e/mongo-peer.py
# checks SCRAM proofs and MONGODB-CR keys as mongod does), a real capture.
#
#   tests/e2e/real-mongodb.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.240.0.1/24, client side 10.240.0.2/24) and touches no other interface or address.
# The peer listens on 27017 and on 37017 (not MongoDB's port: found by content). PyMongo
# 3.11 then logs in and runs `ping`, one client after another:
#
#   1 27017 default mechanism (SCRAM-SHA-256, its first step in the handshake's
#           speculativeAuthenticate)        $APP_USER / $APP_PASS   -> ok 1
#   2 27017 SCRAM-SHA-1 (saslStart)         $APP_USER / $WRONG      -> ok 0, code 18
#   3 37017 PLAIN on $external              $LDAP_USER / $LDAP_PASS -> ok 1
#   4 37017 MONGODB-CR (getnonce, authenticate) $CR_USER / $CR_PASS -> ok 1
#   5 27017 MONGODB-CR                      $CR_USER / $WRONG       -> ok 0
#   6 27017 default mechanism, then createUser reporter (ok 1) and updateUser root
#           (ok 0, code 13 Unauthorized), passwords in clear
#
# It prints "truth <n> SUCCESS|FAILURE [OK|ERROR <code>]..." for each as the driver saw
# it (the login, then each command). Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

APP_USER='orders_app'
APP_PASS='M0ngo-Orders!'
LDAP_USER='jdoe'
LDAP_PASS='Ld4p-Dir3ctory'
CR_USER='backup'
CR_PASS='Backup-2012'
WRONG='Wr0ng-Mongo'
SRV_IP=10.240.0.1
CLI_IP=10.240.0.2

OUT=${1:?usage: real-mongodb.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump python3 ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
# Debian's python3 (the one python3-pymongo installs into), whatever PATH puts first.
PY=/usr/bin/python3
"$PY" -c 'import pymongo, bson' 2>/dev/null || die "missing PyMongo (package python3-pymongo)"
PEER="$(cd "$(dirname "$0")" && pwd)/mongo-peer.py"

NS_S=plainsight-mgs-$$
NS_C=plainsight-mgc-$$
TMP=$(mktemp -d /tmp/plainsight-mongodb.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

printf '{"%s": "%s", "%s": "%s", "%s": "%s"}\n' "$APP_USER" "$APP_PASS" \
    "$LDAP_USER" "$LDAP_PASS" "$CR_USER" "$CR_PASS" >"$TMP/users.json"
for port in 27017 37017; do
    ip netns exec "$NS_S" "$PY" "$PEER" server "$SRV_IP" "$port" "$TMP/users.json" \
        >"$TMP/peer-$port.log" 2>&1 &
    PIDS+=($!)
done
wait_listening "$NS_S" 27017
wait_listening "$NS_S" 37017

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

client() { # n port mechanism user password source [command name pwd]...
    local n=$1
    shift
    ip netns exec "$NS_C" timeout 60 "$PY" "$PEER" client "$SRV_IP" "$@" \
        >"$TMP/client.out" 2>&1 || die "client $n: $(cat "$TMP/client.out")"
    echo "truth $n $(head -n 1 "$TMP/client.out" | cut -d' ' -f1)$(tail -n +2 "$TMP/client.out" | tr '\n' ' ' | sed 's/^/ /; s/ $//')"
}
client 1 27017 DEFAULT "$APP_USER" "$APP_PASS" admin
client 2 27017 SCRAM-SHA-1 "$APP_USER" "$WRONG" admin
client 3 37017 PLAIN "$LDAP_USER" "$LDAP_PASS" '$external'
client 4 37017 MONGODB-CR "$CR_USER" "$CR_PASS" admin
client 5 27017 MONGODB-CR "$CR_USER" "$WRONG" admin
client 6 27017 DEFAULT "$APP_USER" "$APP_PASS" admin createUser reporter 'Rep-Mongo-2026' \
    updateUser root 'Root-Mongo-2026'

# Each driver opens a monitoring connection and one for the command: ten ends.
for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 12 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
