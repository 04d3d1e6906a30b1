#!/bin/bash
# End-to-end Microsoft SQL Server (TDS 7.4) for plainsight: FreeTDS's tsql, a real TDS
# client, against a peer that answers as SQL Server does (Debian ships no SQL Server:
# tests/e2e/mssql-peer.py), a real capture.
#
#   tests/e2e/real-mssql.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.246.0.1/24, client side 10.246.0.2/24) and touches no other interface or address.
# The peer listens on 1433, where it answers ENCRYPT_OFF to FreeTDS's `encryption =
# request` (the LOGIN7 goes inside TLS, everything after it in the clear, as with a SQL
# Server that does not force encryption), and on 14330 (found by content), where it
# supports no encryption (`encryption = off`: the LOGIN7 in the clear too). Each tsql run
# logs in as $DB_USER and sends one batch:
#
#   1  1433 ALTER LOGIN sa WITH PASSWORD = ... OLD_PASSWORD = ...   -> Msg 15151 line 1
#   2  1433 CREATE LOGIN app WITH PASSWORD = N'...', CHECK_POLICY = OFF
#   3  1433 EXEC sp_addlinkedsrvlogin ... @rmtuser = N'link', @rmtpassword = N'...'
#   4 14330 SELECT 1 / EXEC sp_password NULL, '...', 'sa' (line 2)  -> Msg 15151 line 2
#   5 14330 the same login with $WRONG                              -> Msg 18456
#
# Then RPC requests from real Python drivers (tests/e2e/tds-rpc-client.py), on 14330:
#
#   6 pymssql (FreeTDS's db-lib): callproc sp_setapprole 'Payroll', '...' (by name)
#   7 pytds: EXEC sp_addlogin %s, %s with ('bob', '...') (sp_executesql) -> Msg 15025
#   8 pytds: callproc sp_addapprole @rolename 'Audit', @password '...' (by name)
#
# It prints "truth <n> ok", "truth <n> msg <number>" (the first server message tsql or
# the driver printed) or "truth <n> login-failed" for each, as the client saw it. Everything it started
# is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

DB_USER='sqladmin'
DB_PASS='Sql-Admin-2026!'
WRONG='Wr0ng-Sql'
SRV_IP=10.246.0.1
CLI_IP=10.246.0.2

OUT=${1:?usage: real-mssql.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump python3 ss tsql openssl; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
PY=/usr/bin/python3
HERE="$(cd "$(dirname "$0")" && pwd)"
PEER="$HERE/mssql-peer.py"

NS_S=plainsight-mss-$$
NS_C=plainsight-msc-$$
TMP=$(mktemp -d /tmp/plainsight-mssql.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=mssql-peer -days 1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1 || die "openssl"
ip netns exec "$NS_S" "$PY" "$PEER" "$SRV_IP" 1433 login "$DB_USER" "$DB_PASS" \
    "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/peer-1433.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_S" "$PY" "$PEER" "$SRV_IP" 14330 clear "$DB_USER" "$DB_PASS" \
    >"$TMP/peer-14330.log" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" 1433
wait_listening "$NS_S" 14330

cat >"$TMP/freetds.conf" <<CONF
[login]
    host = $SRV_IP
    port = 1433
    tds version = 7.4
    encryption = request
[clear]
    host = $SRV_IP
    port = 14330
    tds version = 7.4
    encryption = off
CONF

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

client() { # n server password batch
    local status=0
    printf '%s\ngo\nquit\n' "$4" | ip netns exec "$NS_C" env FREETDSCONF="$TMP/freetds.conf" \
        timeout 60 tsql -S "$2" -U "$DB_USER" -P "$3" >"$TMP/client.out" 2>&1 || status=$?
    local msg
    msg=$(grep -o 'Msg [0-9]*' "$TMP/client.out" | head -1 | cut -d' ' -f2 || true)
    if grep -q 'Login failed' "$TMP/client.out"; then
        echo "truth $1 login-failed"
    elif [ -n "$msg" ]; then
        echo "truth $1 msg $msg"
    elif [ "$status" -eq 0 ] && grep -q '^1>' "$TMP/client.out"; then
        echo "truth $1 ok"
    else
        die "client $1: exit $status: $(cat "$TMP/client.out")"
    fi
}
client 1 login "$DB_PASS" "ALTER LOGIN sa WITH PASSWORD = 'Sa-New-Pw1' OLD_PASSWORD = 'Sa-Old-Pw1'"
client 2 login "$DB_PASS" "CREATE LOGIN app WITH PASSWORD = N'App-Pw-2026', CHECK_POLICY = OFF"
client 3 login "$DB_PASS" "EXEC sp_addlinkedsrvlogin @rmtsrvname = N'REMOTE', @useself = N'False', @locallogin = NULL, @rmtuser = N'link', @rmtpassword = N'Link-Pw-2026'"
client 4 clear "$DB_PASS" "SELECT 1
EXEC sp_password NULL, 'Sa-Pw-2026', 'sa'"
client 5 clear "$WRONG" "SELECT 1"

rpc() { # first-truth driver
    ip netns exec "$NS_C" timeout 60 "$PY" "$HERE/tds-rpc-client.py" "$2" "$SRV_IP" 14330 \
        "$DB_USER" "$DB_PASS" >"$TMP/rpc.out" 2>&1 || die "$2: $(cat "$TMP/rpc.out")"
    awk -v n="$1" '{ print "truth " n++ " " $0 }' "$TMP/rpc.out"
}
rpc 6 pymssql
rpc 7 pytds

for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 7 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
