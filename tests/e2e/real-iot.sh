#!/bin/bash
# End-to-end MQTT, IRC and SOCKS5 traffic for plainsight: real servers, real clients, a
# real capture, on the loopback interface only.
#
#   tests/e2e/real-iot.sh OUT.pcap
#
# Must run as root (tcpdump on lo). From configuration files written to a temporary
# directory it starts, each on 127.0.0.1 and a free port only: mosquitto (a password file
# made with mosquitto_passwd, anonymous clients refused), ngircd (a server password, an
# operator, a channel with a key; no PAM, no ident, no DNS), microsocks (one user) and a
# socat HTTP responder behind it; and tcpdump on lo for those ports. Then, one after
# another:
#
#   MQTT   1 mosquitto_pub -V mqttv31  right password    -> CONNACK 0 (success)
#          2 mosquitto_pub -V mqttv31  wrong password    -> refused (failure)
#          3 mosquitto_pub -V mqttv311 right password    -> success
#          4 mosquitto_pub -V mqttv311 wrong password    -> failure
#          5 mosquitto_pub -V mqttv5   right password    -> success
#          6 mosquitto_pub -V mqttv5   wrong password    -> failure
#   IRC    7 sic -k $IRC_PASS (PASS, NICK, USER)         -> 001 (success), then on the
#            same connection: JOIN #locked $KEY_WRONG   -> 475 (failure)
#                             JOIN #locked $CHAN_KEY    -> joined (unknown: a JOIN does
#                                                          not prove the key)
#                             OPER admin $OPER_WRONG    -> 464 (failure)
#                             OPER admin $OPER_PASS     -> 381 (success)
#            (the JOINs first: ngircd lets an operator join whatever the key)
#          8 sic -k $IRC_WRONG                           -> "ERROR :Access denied: Bad
#            password?" (ngircd sends no 464) (failure)
#   SOCKS  9 curl through microsocks, right password    -> status 0 (success), CONNECT
#            to the HTTP responder
#         10 curl through microsocks, wrong password    -> status 1 (failure)
#   MQTT over WebSocket (mosquitto's websockets listener, subprotocol "mqtt"):
#         11 Paho (python3-paho-mqtt, transport "websockets"), right password -> success
#         12 the same, wrong password                                        -> failure
#
# It prints "ports mqtt=<port> irc=<port> socks=<port> http=<port> ws=<port>" on standard
# output.
# Every process it started is stopped and the temporary directory removed on any exit
# (E2E_KEEP=1 keeps the directory for debugging).
set -euo pipefail

MQTT_USER='sensor'
MQTT_PASS='Mqtt!Pass1'
MQTT_WRONG='mqtt-Wr0ng'
IRC_NICK='ircuser'
IRC_PASS='Serv3r!pw'
IRC_WRONG='serv3r-Wr0ng'
OPER_PASS='0per!pw'
OPER_WRONG='oper-Wr0ng'
CHAN_KEY='ChanKey1'
KEY_WRONG='key-Wr0ng'
SOCKS_USER='paul'
SOCKS_PASS='S0cks!pw'
SOCKS_WRONG='socks-Wr0ng'

OUT=${1:?usage: real-iot.sh OUT.pcap}

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump mosquitto mosquitto_passwd mosquitto_pub ngircd sic microsocks socat curl ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-iot.XXXXXX)
chmod 755 "$TMP"
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/mosquitto.log "$TMP"/ngircd.log "$TMP"/microsocks.log \
            "$TMP"/socat.log "$TMP"/tcpdump.err "$TMP"/sic-*.out; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    stop_pids "${PIDS[@]}"
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port nothing listens on.
# Waits until a command succeeds (at most about 10 s).
listening() { [ -n "$(ss -Htln "sport = :$1")" ]; }

MQTT_PORT=$(free_port)
WS_PORT=$(free_port)
while [ "$WS_PORT" = "$MQTT_PORT" ]; do WS_PORT=$(free_port); done
IRC_PORT=$(free_port)
SOCKS_PORT=$(free_port)
HTTP_PORT=$(free_port)
while [ "$IRC_PORT" = "$MQTT_PORT" ]; do IRC_PORT=$(free_port); done
while [ "$SOCKS_PORT" = "$MQTT_PORT" ] || [ "$SOCKS_PORT" = "$IRC_PORT" ]; do
    SOCKS_PORT=$(free_port)
done
while [ "$HTTP_PORT" = "$MQTT_PORT" ] || [ "$HTTP_PORT" = "$IRC_PORT" ] ||
    [ "$HTTP_PORT" = "$SOCKS_PORT" ]; do
    HTTP_PORT=$(free_port)
done

# ---- mosquitto ---------------------------------------------------------------------
mosquitto_passwd -c -b "$TMP/mqtt.passwd" "$MQTT_USER" "$MQTT_PASS" >/dev/null 2>&1 ||
    die "mosquitto_passwd failed"
chmod 644 "$TMP/mqtt.passwd"
cat >"$TMP/mosquitto.conf" <<EOF
user root
persistence false
log_dest file $TMP/mosquitto.log
listener $MQTT_PORT 127.0.0.1
listener $WS_PORT 127.0.0.1
protocol websockets
allow_anonymous false
password_file $TMP/mqtt.passwd
EOF

# ---- ngircd ------------------------------------------------------------------------
cat >"$TMP/ngircd.conf" <<EOF
[Global]
Name = irc.plainsight.test
Info = plainsight end-to-end test
Listen = 127.0.0.1
Ports = $IRC_PORT
Password = $IRC_PASS
MotdPhrase = plainsight test server
[Limits]
PingTimeout = 120
PongTimeout = 60
[Options]
PAM = no
Ident = no
DNS = no
[Operator]
Name = admin
Password = $OPER_PASS
[Channel]
Name = #locked
Modes = +k $CHAN_KEY
EOF

# ---- servers, then the capture -----------------------------------------------------
mosquitto -c "$TMP/mosquitto.conf" >>"$TMP/mosquitto.log" 2>&1 &
PIDS+=($!)
ngircd -n -f "$TMP/ngircd.conf" >"$TMP/ngircd.log" 2>&1 &
PIDS+=($!)
microsocks -i 127.0.0.1 -p "$SOCKS_PORT" -u "$SOCKS_USER" -P "$SOCKS_PASS" \
    >"$TMP/microsocks.log" 2>&1 &
PIDS+=($!)
# The HTTP responder reads the whole request before it answers (closing a socket with
# unread bytes would reset the connection and lose the answer).
cat >"$TMP/http.sh" <<'HTTP'
#!/bin/sh
cr=$(printf '\r')
while IFS= read -r line; do
    [ -z "$line" ] || [ "$line" = "$cr" ] && break
done
printf 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n'
HTTP
chmod 755 "$TMP/http.sh"
socat "TCP-LISTEN:$HTTP_PORT,bind=127.0.0.1,reuseaddr,fork" EXEC:"$TMP/http.sh" \
    >"$TMP/socat.log" 2>&1 &
PIDS+=($!)
wait_for listening "$MQTT_PORT" || die "mosquitto is not listening"
wait_for listening "$WS_PORT" || die "mosquitto is not listening for websockets"
wait_for listening "$IRC_PORT" || die "ngircd is not listening"
wait_for listening "$SOCKS_PORT" || die "microsocks is not listening"
wait_for listening "$HTTP_PORT" || die "socat is not listening"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" \
    "tcp port $MQTT_PORT or tcp port $IRC_PORT or tcp port $SOCKS_PORT or tcp port $WS_PORT" \
    2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# ---- MQTT: 1-6 ---------------------------------------------------------------------
for v in mqttv31 mqttv311 mqttv5; do
    mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -V "$v" -i "plainsight-$v" \
        -u "$MQTT_USER" -P "$MQTT_PASS" -t test/topic -m hello >&2 ||
        die "mosquitto_pub $v (right password) failed"
    if mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -V "$v" -i "plainsight-$v-bad" \
        -u "$MQTT_USER" -P "$MQTT_WRONG" -t test/topic -m hello 2>/dev/null; then
        die "mosquitto_pub $v with a wrong password was accepted"
    fi
done

# ---- IRC: 7, 8 ---------------------------------------------------------------------
# sic sends PASS (-k), NICK and USER at once; the rest is typed after registration.
# ngircd holds a client's next command back after a failed JOIN or OPER (its penalty: 10 s
# for a bad OPER), and sic stops when its input ends: the input stays open until the
# server has answered the QUIT (or 25 s).
{
    sleep 1
    echo ":j #locked $KEY_WRONG"
    sleep 0.5
    echo ":j #locked $CHAN_KEY"
    sleep 0.5
    echo ":OPER admin $OPER_WRONG"
    sleep 0.5
    echo ":OPER admin $OPER_PASS"
    sleep 0.5
    echo ":QUIT :bye"
    for _ in $(seq 250); do
        grep -q "ERROR" "$TMP/sic-1.out" 2>/dev/null && break
        sleep 0.1
    done
} | timeout 30 sic -h 127.0.0.1 -p "$IRC_PORT" -n "$IRC_NICK" -k "$IRC_PASS" \
    >"$TMP/sic-1.out" 2>&1 || true
grep -q " 001 " "$TMP/sic-1.out" || die "sic (right server password) was not welcomed"
grep -q " 381 " "$TMP/sic-1.out" || die "OPER with the right password failed"
grep -q " 475 " "$TMP/sic-1.out" || die "JOIN with a wrong key was not refused"
{ sleep 2; } | timeout 10 sic -h 127.0.0.1 -p "$IRC_PORT" -n "${IRC_NICK}2" -k "$IRC_WRONG" \
    >"$TMP/sic-2.out" 2>&1 || true
grep -q "Bad password" "$TMP/sic-2.out" || die "sic (wrong server password) was not refused"

# ---- SOCKS5: 9, 10 -----------------------------------------------------------------
curl -sS --max-time 10 --proxy "socks5://127.0.0.1:$SOCKS_PORT" \
    --proxy-user "$SOCKS_USER:$SOCKS_PASS" "http://127.0.0.1:$HTTP_PORT/" >&2 ||
    die "curl through SOCKS5 (right password) failed"
rc=0
curl -sS --max-time 10 --proxy "socks5://127.0.0.1:$SOCKS_PORT" \
    --proxy-user "$SOCKS_USER:$SOCKS_WRONG" "http://127.0.0.1:$HTTP_PORT/" \
    >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || die "curl through SOCKS5 with a wrong password succeeded"

# ---- MQTT over WebSocket: 11, 12 -----------------------------------------------------
cat >"$TMP/ws.py" <<'PY'
import sys, threading
import paho.mqtt.client as mqtt
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
done, result = threading.Event(), []
def on_connect(client, userdata, flags, rc):
    result.append(rc)
    done.set()
c = mqtt.Client(client_id="plainsight-ws", transport="websockets")
c.username_pw_set(user, password)
c.on_connect = on_connect
c.connect("127.0.0.1", port, 30)
c.loop_start()
done.wait(20)
c.disconnect()
c.loop_stop()
print("rc", result[0] if result else "none")
PY
/usr/bin/python3 "$TMP/ws.py" "$WS_PORT" "$MQTT_USER" "$MQTT_PASS" >"$TMP/ws-1.out" 2>&1 || true
grep -q '^rc 0$' "$TMP/ws-1.out" || die "Paho over WebSocket (right password) failed: $(cat "$TMP/ws-1.out")"
/usr/bin/python3 "$TMP/ws.py" "$WS_PORT" "$MQTT_USER" "$MQTT_WRONG" >"$TMP/ws-2.out" 2>&1 || true
grep -q '^rc [1-9]' "$TMP/ws-2.out" || die "Paho over WebSocket (wrong password) was not refused: $(cat "$TMP/ws-2.out")"

capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
echo "ports mqtt=$MQTT_PORT irc=$IRC_PORT socks=$SOCKS_PORT http=$HTTP_PORT ws=$WS_PORT"
