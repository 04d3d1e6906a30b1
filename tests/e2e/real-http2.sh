#!/bin/bash
# End-to-end HTTP/2 in cleartext (h2c with prior knowledge) for plainsight: a real web
# server, a real gRPC server, real clients, a real capture.
#
#   tests/e2e/real-http2.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.237.0.1/24, client side 10.237.0.2/24) and touches no other interface or address.
# nginx serves h2c on 10.237.0.1:8080 (/admin/ behind Basic authentication, /login
# refused, /session a form login redirected by a back end that got its body); a grpcio server on 10.237.0.1:50051 refuses
# calls without its bearer token. Clients, each on a connection of its own:
#
#   1 curl --http2-prior-knowledge -u alice:<wrong> /admin/        -> 401
#   2 curl --http2-prior-knowledge -u alice:<right> /admin/        -> 200
#   3 curl ... "/login?user=bob&password=B0b%21"                   -> 403
#   4 curl ... -d "login=carol&passwd=C4rol-h2" /session            -> 302
#   5 a grpcio client calling /demo.Vault/Get with the right token -> OK
#   6 the same with a wrong token                                  -> UNAUTHENTICATED
#
# It prints "truth <n> <status>" as each client saw it. Everything it started is stopped,
# and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

ALICE_PW='Alice-h2!'
TOKEN='tok-3f9a7c21'
SRV_IP=10.237.0.1
CLI_IP=10.237.0.2

OUT=${1:?usage: real-http2.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump nginx curl openssl ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
/usr/bin/python3 -c "import grpc" 2>/dev/null || die "missing python3-grpcio"

NS_S=plainsight-h2s-$$
NS_C=plainsight-h2c-$$
TMP=$(mktemp -d /tmp/plainsight-h2.XXXXXX)
PIDS=()
E2E_LOGS=("$TMP/error.log" "$TMP/grpc.out")

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

mkdir -p "$TMP/www/admin"
echo "admin page" >"$TMP/www/admin/index.html"
printf 'alice:%s\n' "$(openssl passwd -apr1 "$ALICE_PW")" >"$TMP/htpasswd"
chmod 755 "$TMP"
chmod 644 "$TMP/htpasswd"
cat >"$TMP/nginx.conf" <<CONF
daemon off;
master_process off;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $TMP/body;
    server {
        listen $SRV_IP:8080 http2;
        root $TMP/www;
        location /admin/ {
            auth_basic "h2 admin";
            auth_basic_user_file $TMP/htpasswd;
        }
        location = /login {
            return 403;
        }
        # Handed to the server below, which redirects: nginx reads the whole body first
        # (a location that answered at once would reset the stream under curl's upload).
        location = /session {
            proxy_pass http://127.0.0.1:8081;
        }
    }
    server {
        listen 127.0.0.1:8081;
        location = /session {
            return 302 /home;
        }
    }
}
CONF

ip netns exec "$NS_S" nginx -c "$TMP/nginx.conf" >"$TMP/nginx.out" 2>&1 &
PIDS+=($!)
ip netns exec "$NS_S" /usr/bin/python3 "$HERE/grpc-peer.py" server "$SRV_IP:50051" "$TOKEN" \
    >"$TMP/grpc.out" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" 8080
wait_listening "$NS_S" 50051

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    tcp port 8080 or tcp port 50051 >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

h2() { # n curl-arguments...
    local n=$1
    shift
    echo "truth $n $(ip netns exec "$NS_C" curl -s -o /dev/null --http2-prior-knowledge \
        --max-time 60 -w '%{http_code}' "$@")"
}
h2 1 -u "alice:not-$ALICE_PW" "http://$SRV_IP:8080/admin/"
h2 2 -u "alice:$ALICE_PW" "http://$SRV_IP:8080/admin/"
h2 3 "http://$SRV_IP:8080/login?user=bob&password=B0b%21"
h2 4 -d "login=carol&passwd=C4rol-h2" "http://$SRV_IP:8080/session"
echo "truth 5 $(ip netns exec "$NS_C" /usr/bin/python3 "$HERE/grpc-peer.py" client "$SRV_IP:50051" "$TOKEN")"
echo "truth 6 $(ip netns exec "$NS_C" /usr/bin/python3 "$HERE/grpc-peer.py" client "$SRV_IP:50051" "tok-forged")"

capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
