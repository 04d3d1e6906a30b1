#!/bin/bash
# End-to-end proxy logins for plainsight: a real Squid asking for Basic credentials,
# curl through it, a real capture.
#
#   tests/e2e/real-proxy.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.226.0.1/24, client side 10.226.0.2/24) and touches no other interface or address.
# In the server namespace: Squid on port 3128 (no cache, its own configuration, logs and
# pid file in a temporary directory) checking Basic credentials with basic_ncsa_auth
# against an htpasswd file of two users; Python's http.server on port 8080 and an
# openssl s_server on 8443 as origins. From the client namespace, one request per
# connection:
#
#   1 curl -x, GET http://origin:8080/    $WEB_USER / $WEB_PASS     -> 200 (success)
#   2 curl -x, GET                        $WEB_USER / $WRONG        -> 407 (failure)
#   3 curl -x, CONNECT origin:8443, TLS   $TUNNEL_USER / $TUNNEL_PASS -> 200, then TLS
#   4 curl -x, CONNECT                    $TUNNEL_USER / $WRONG     -> 407 (failure)
#
# It prints "truth <n> <the proxy's status>" for each. Everything it started is stopped,
# and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

WEB_USER='proxyuser'
WEB_PASS='Proxy-Pass-1'
TUNNEL_USER='tunneluser'
TUNNEL_PASS='Tunnel-Pass-3'
WRONG='Wrong-Pass-2'
SRV_IP=10.226.0.1
CLI_IP=10.226.0.2

OUT=${1:?usage: real-proxy.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
NCSA=/usr/lib/squid/basic_ncsa_auth

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump squid htpasswd curl openssl python3 ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
[ -x "$NCSA" ] || die "missing program: $NCSA"

NS_S=plainsight-pxs-$$
NS_C=plainsight-pxc-$$
TMP=$(mktemp -d /tmp/plainsight-proxy.XXXXXX)
chmod 755 "$TMP" # Squid runs as the proxy user
PIDS=()

E2E_LOGS=("$TMP"/squid/cache.log "$TMP"/squid.out)
trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM


veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

# ---- origins ------------------------------------------------------------------------
mkdir -p "$TMP/www" "$TMP/squid"
echo "hello through the proxy" > "$TMP/www/index.html"
ip netns exec "$NS_S" python3 -m http.server 8080 --bind "$SRV_IP" --directory "$TMP/www" \
    >"$TMP/web.out" 2>&1 &
PIDS+=($!)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=origin" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
ip netns exec "$NS_S" openssl s_server -accept "$SRV_IP:8443" -cert "$TMP/cert.pem" \
    -key "$TMP/key.pem" -www -quiet >"$TMP/tls.out" 2>&1 &
PIDS+=($!)

# ---- squid --------------------------------------------------------------------------
htpasswd -bc "$TMP/squid/passwd" "$WEB_USER" "$WEB_PASS" 2>/dev/null
htpasswd -b "$TMP/squid/passwd" "$TUNNEL_USER" "$TUNNEL_PASS" 2>/dev/null
chmod 644 "$TMP/squid/passwd"
chown proxy: "$TMP/squid" 2>/dev/null || chmod 777 "$TMP/squid"
cat > "$TMP/squid/squid.conf" <<CONF
http_port $SRV_IP:3128
pid_filename $TMP/squid/squid.pid
cache_log $TMP/squid/cache.log
access_log stdio:$TMP/squid/access.log
coredump_dir $TMP/squid
cache deny all
cache_mem 8 MB
auth_param basic program $NCSA $TMP/squid/passwd
auth_param basic realm plainsight
acl SSL_ports port 8443
acl CONNECT method CONNECT
acl authed proxy_auth REQUIRED
http_access deny CONNECT !SSL_ports
http_access allow authed
http_access deny all
shutdown_lifetime 1 seconds
CONF
ip netns exec "$NS_S" squid -N -f "$TMP/squid/squid.conf" >"$TMP/squid.out" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" 3128
wait_listening "$NS_S" 8080
wait_listening "$NS_S" 8443

# ---- capture ------------------------------------------------------------------------
ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# ---- requests -----------------------------------------------------------------------
# n USER:PASS URL: the proxy's status (curl's %{http_connect} for a CONNECT).
request() {
    local n=$1 credentials=$2 url=$3 status
    status=$(ip netns exec "$NS_C" timeout 30 curl -s -k -o "$TMP/body" \
        -w '%{http_code} %{http_connect}' -x "http://$SRV_IP:3128" \
        --proxy-user "$credentials" "$url" || true)
    case "$url" in
    https:*) status=${status#* } ;;
    *) status=${status% *} ;;
    esac
    echo "truth $n $status"
}
request 1 "$WEB_USER:$WEB_PASS" "http://$SRV_IP:8080/"
grep -q "hello through the proxy" "$TMP/body" || die "request 1: not the origin's page"
request 2 "$WEB_USER:$WRONG" "http://$SRV_IP:8080/"
request 3 "$TUNNEL_USER:$TUNNEL_PASS" "https://$SRV_IP:8443/"
request 4 "$TUNNEL_USER:$WRONG" "https://$SRV_IP:8443/"

# ---- stop the capture ---------------------------------------------------------------
for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 4 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
