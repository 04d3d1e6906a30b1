#!/bin/bash
# End-to-end message-broker logins for plainsight: a real RabbitMQ (AMQP 0-9-1, AMQP 1.0
# and STOMP), real clients, a real capture.
#
#   tests/e2e/real-broker.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (broker side
# 10.225.0.1/24, client side 10.225.0.2/24) and touches no other interface or address.
# RabbitMQ runs in the broker namespace as the rabbitmq user from a configuration written
# to a temporary directory (its own node name, data and logs), with the rabbitmq_stomp and
# rabbitmq_amqp1_0 plugins and one user $MQ_USER / $MQ_PASS. From the client side, one
# connection after another:
#
#   AMQP 0-9-1  1 amqp-publish (librabbitmq, PLAIN)     $MQ_PASS  -> accepted, a message
#               2 amqp-publish                          $WRONG    -> ACCESS_REFUSED
#   AMQP 1.0    3 Qpid Proton (Python), SASL PLAIN      $MQ_PASS  -> accepted, a message
#               4 Qpid Proton                           $WRONG    -> unauthorized-access
#   STOMP       5 stomp.py CONNECT                      $MQ_PASS  -> CONNECTED, a message
#               6 stomp.py CONNECT                      $WRONG    -> ERROR
#
# It prints "truth <n> SUCCESS|FAILURE" for each as the client saw it. Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

MQ_USER='mquser'
MQ_PASS='Amqp-Pass-1'
WRONG='Wrong-Pass-2'
SRV_IP=10.225.0.1
CLI_IP=10.225.0.2

OUT=${1:?usage: real-broker.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin:/usr/lib/rabbitmq/bin"
# Debian's Python, where python3-qpid-proton and python3-stomp are installed.
PYTHON=/usr/bin/python3

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump rabbitmq-server amqp-publish setpriv ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
"$PYTHON" -c "import proton, stomp" 2>/dev/null || die "missing python3-qpid-proton or python3-stomp"
getent passwd rabbitmq >/dev/null || die "no rabbitmq user (install rabbitmq-server)"

NS_S=plainsight-mqs-$$
NS_C=plainsight-mqc-$$
TMP=$(mktemp -d /tmp/plainsight-broker.XXXXXX)
chmod 755 "$TMP"
PIDS=()

# The broker's Erlang VM and epmd live in the namespace: the cleanup's netns_stop ends them.
E2E_LOGS=("$TMP"/rabbit/rabbitmq.out)
trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

# ---- broker -------------------------------------------------------------------------
R="$TMP/rabbit"
mkdir -p "$R"
cat > "$R/rabbitmq.conf" <<EOF
listeners.tcp.default = 5672
stomp.listeners.tcp.1 = 61613
loopback_users = none
default_user = $MQ_USER
default_pass = $MQ_PASS
EOF
echo '[rabbitmq_stomp,rabbitmq_amqp1_0].' > "$R/enabled_plugins"
chown -R rabbitmq:rabbitmq "$R"
ip netns exec "$NS_S" setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups \
    env HOME="$R" RABBITMQ_NODENAME="plainsight$$@localhost" RABBITMQ_BASE="$R" \
    RABBITMQ_MNESIA_BASE="$R/mnesia" RABBITMQ_LOG_BASE="$R/log" \
    RABBITMQ_CONFIG_FILE="$R/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$R/enabled_plugins" \
    RABBITMQ_PID_FILE="$R/pid" rabbitmq-server >"$R/rabbitmq.out" 2>&1 &
PIDS+=($!)
# Up to 60 s: the Erlang VM, the plugins, then the listeners.
wait_listening "$NS_S" 5672 60
wait_listening "$NS_S" 61613 60

# ---- clients ------------------------------------------------------------------------
cat > "$TMP/amqp10_login.py" <<'EOF'
import sys
from proton import Message
from proton.utils import BlockingConnection
host, user, password = sys.argv[1:4]
try:
    c = BlockingConnection(f"amqp://{host}:5672", user=user, password=password,
                           allowed_mechs="PLAIN", timeout=20)
    c.create_sender("/queue/plainsight").send(Message(body="hello"))
    c.close()
    print("SUCCESS")
except Exception as e:
    print("FAILURE", type(e).__name__, e)
EOF
cat > "$TMP/stomp_login.py" <<'EOF'
import sys
import stomp
host, user, password = sys.argv[1:4]
c = stomp.Connection([(host, 61613)])
try:
    c.connect(user, password, wait=True)
    c.send(destination="/queue/plainsight", body="hello")
    c.disconnect()
    print("SUCCESS")
except Exception as e:
    print("FAILURE", type(e).__name__)
EOF
in_cli() { ip netns exec "$NS_C" timeout 60 "$@"; }

# RabbitMQ listens a moment before its plugins serve: a STOMP login made then once had
# its socket closed under it (stomp.py: "Error sending frame", Bad file descriptor), an
# AMQP 1.0 one was refused. Before the capture starts, a login of each kind must succeed
# (up to 30 s).
broker_ready() {
    in_cli amqp-publish -u "amqp://$MQ_USER:$MQ_PASS@$SRV_IP/%2f" -r plainsight -b ready \
        >/dev/null 2>&1 || return 1
    local script
    for script in amqp10_login.py stomp_login.py; do
        in_cli "$PYTHON" "$TMP/$script" "$SRV_IP" "$MQ_USER" "$MQ_PASS" 2>/dev/null \
            | grep -q '^SUCCESS' || return 1
    done
}
ready=0
for _ in $(seq 30); do
    if broker_ready; then
        ready=1
        break
    fi
    sleep 1
done
[ "$ready" -eq 1 ] || die "RabbitMQ never took a login of every kind"

# ---- capture ------------------------------------------------------------------------
ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"


amqp091() {
    if in_cli amqp-publish -u "amqp://$MQ_USER:$2@$SRV_IP/%2f" -r plainsight -b hello \
        >"$TMP/client.out" 2>&1; then
        echo "truth $1 SUCCESS"
    elif grep -q "ACCESS_REFUSED" "$TMP/client.out"; then
        echo "truth $1 FAILURE"
    else
        die "amqp-publish $1: $(cat "$TMP/client.out")"
    fi
}
python_client() {
    in_cli "$PYTHON" "$TMP/$2" "$SRV_IP" "$MQ_USER" "$3" >"$TMP/client.out" 2>&1 || true
    local verdict
    verdict=$(head -n 1 "$TMP/client.out" | cut -d' ' -f1)
    case "$verdict" in
    SUCCESS | FAILURE) echo "truth $1 $verdict" ;;
    *) die "$2 $1: $(cat "$TMP/client.out")" ;;
    esac
}
amqp091 1 "$MQ_PASS"
amqp091 2 "$WRONG"
python_client 3 amqp10_login.py "$MQ_PASS"
python_client 4 amqp10_login.py "$WRONG"
python_client 5 stomp_login.py "$MQ_PASS"
python_client 6 stomp_login.py "$WRONG"

# ---- stop the capture ---------------------------------------------------------------
# Six connections, each side ending with a FIN or (RabbitMQ, after a client's FIN) a
# reset.
ends() {
    [ "$(tcpdump -nn -r "$1" 2>/dev/null | grep -c 'Flags \[[^]]*[FR]')" -ge "$2" ]
}
for _ in 1 2 3; do
    wait_for ends "$TMP/capture.pcap" 12 && break
done
ends "$TMP/capture.pcap" 12 || log "the capture lacks some connections' ends; going on"
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
