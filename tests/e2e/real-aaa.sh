#!/bin/bash
# End-to-end RADIUS and SIP traffic for plainsight: real servers, real clients, a real
# capture, on the loopback interface only.
#
#   tests/e2e/real-aaa.sh OUT.pcap
#
# Must run as root (tcpdump on lo). From configuration written to a temporary directory it
# starts FreeRADIUS (pap, chap, mschap and eap-md5 modules, user $RAD_USER, listening on
# udp 127.0.0.1:<free port> only, client 127.0.0.1 with $RAD_SECRET) and, unless
# AAA_SIP=0, Kamailio (auth module: every request must carry Digest credentials for
# $SIP_USER, 403 for a wrong password; udp and tcp on 127.0.0.1:<free port>), and
# tcpdump on lo for those ports. Then, one after another:
#
#   RADIUS 1 radtest -t pap      right password -> Access-Accept
#          2 radtest -t pap      wrong password -> Access-Reject
#          3 radtest -t chap     right password -> Access-Accept
#          4 radtest -t chap     wrong password -> Access-Reject
#          5 radtest -t mschap   right password -> Access-Accept
#          6 radtest -t mschap   wrong password -> Access-Reject
#          7 radtest -t eap-md5  right password -> Access-Accept (after an Access-Challenge)
#          8 radtest -t eap-md5  wrong password -> Access-Reject
#   SIP    9 sipsak -U (REGISTER, udp)    right password -> 401, then 200
#         10 sipsak (OPTIONS, udp)        wrong password -> 401, then 403
#         11 sipsak -E tcp (OPTIONS)      right password -> 401, then 200
#
# It prints "ports radius=<port> sip=<port|none>" on standard output. Every process it
# started is stopped and the temporary directory removed on any exit (E2E_KEEP=1 keeps
# the directory for debugging).
set -euo pipefail

RAD_USER='alice'
RAD_PASS='R4dius-Pa55!'
RAD_WRONG='radius-wr0ng'
RAD_SECRET='Sh4red-s3cret'
SIP_USER='bob'
SIP_PASS='S1p-Secret'
SIP_WRONG='s1p-wr0ng'
SIP_REALM='plainsight.test'

OUT=${1:?usage: real-aaa.sh OUT.pcap}
SIP=${AAA_SIP:-1}

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
need="tcpdump freeradius radtest radclient radeapclient ss"
[ "$SIP" = 1 ] && need="$need kamailio sipsak"
for p in $need; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-aaa.XXXXXX)
chmod 755 "$TMP"
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/radiusd.log "$TMP"/kamailio.log "$TMP"/tcpdump.err "$TMP"/clients.log; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 25 "$f" >&2; }
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

# A UDP port (and TCP too with "both") nothing uses, between $2 and $3.
free_port() {
    local what=$1 lo=$2 hi=$3 port
    for _ in $(seq 200); do
        port=$((lo + RANDOM % (hi - lo)))
        [ -n "$(ss -Huan "sport = :$port")" ] && continue
        [ "$what" = both ] && [ -n "$(ss -Htan "sport = :$port")" ] && continue
        echo "$port"
        return
    done
    die "no free port"
}

# Waits until a command succeeds (at most about 10 s).
RAD_PORT=$(free_port udp 20000 50000)
# sipsak 0.9.8 writes only four digits of a port into its URIs: a four-digit port.
SIP_PORT=$(free_port both 5100 9999)

# ---- FreeRADIUS --------------------------------------------------------------------
mkdir -p "$TMP/raddb" "$TMP/run" "$TMP/log"
cat >"$TMP/raddb/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = $TMP
sbindir = /usr/sbin
logdir = $TMP/log
raddbdir = $TMP/raddb
radacctdir = $TMP/log
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}
run_dir = $TMP/run
db_dir = $TMP
libdir = /usr/lib/freeradius
dictdir = /usr/share/freeradius
pidfile = \${run_dir}/radiusd.pid
max_request_time = 10
cleanup_delay = 1
max_requests = 256
hostname_lookups = no
log {
    destination = stdout
    auth = yes
}
security {
    allow_core_dumps = no
    max_attributes = 200
    reject_delay = 0
    status_server = yes
}
client localhost {
    ipaddr = 127.0.0.1
    secret = $RAD_SECRET
}
modules {
    pap {
    }
    chap {
    }
    mschap {
    }
    files {
        filename = $TMP/raddb/users
    }
    eap {
        default_eap_type = md5
        timer_expire = 30
        max_sessions = 16
        md5 {
        }
    }
}
server default {
    listen {
        type = auth
        ipaddr = 127.0.0.1
        port = $RAD_PORT
    }
    authorize {
        files
        chap
        mschap
        eap {
            ok = return
        }
        pap
    }
    authenticate {
        Auth-Type PAP {
            pap
        }
        Auth-Type CHAP {
            chap
        }
        Auth-Type MS-CHAP {
            mschap
        }
        eap
    }
}
EOF
printf '%s Cleartext-Password := "%s"\n' "$RAD_USER" "$RAD_PASS" >"$TMP/raddb/users"
freeradius -f -l stdout -d "$TMP/raddb" >"$TMP/radiusd.log" 2>&1 &
PIDS+=($!)

# ---- Kamailio ----------------------------------------------------------------------
KAM_MODULES=""
for d in /usr/lib/x86_64-linux-gnu/kamailio/modules /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules; do
    [ -f "$d/auth.so" ] && { KAM_MODULES=$d; break; }
done
if [ "$SIP" = 1 ]; then
    [ -n "$KAM_MODULES" ] || die "kamailio's auth module not found"
    cat >"$TMP/kamailio.cfg" <<EOF
#!KAMAILIO
debug=1
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:$SIP_PORT
listen=tcp:127.0.0.1:$SIP_PORT
mpath="$KAM_MODULES/"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "auth.so"
modparam("auth", "secret", "plainsight-e2e-$$")
request_route {
    if (\$rm == "ACK") {
        exit;
    }
    \$var(rc) = pv_www_authenticate("$SIP_REALM", "$SIP_PASS", "0");
    if (\$var(rc) == -2) {
        sl_send_reply("403", "Wrong password");
        exit;
    }
    if (\$var(rc) < 0) {
        www_challenge("$SIP_REALM", "0");
        exit;
    }
    sl_send_reply("200", "OK");
    exit;
}
EOF
    kamailio -f "$TMP/kamailio.cfg" -DD -E -w "$TMP" >"$TMP/kamailio.log" 2>&1 &
    PIDS+=($!)
fi

# Ready when listening (a login to check would be a credential before the capture).
rad_bound() { [ -n "$(ss -Huan "sport = :$RAD_PORT")" ]; }
sip_bound() { [ -n "$(ss -Huan "sport = :$SIP_PORT")" ] && [ -n "$(ss -Htln "sport = :$SIP_PORT")" ]; }
wait_for rad_bound || die "freeradius is not listening"
if [ "$SIP" = 1 ]; then
    wait_for sip_bound || die "kamailio is not listening"
    FILTER="udp port $RAD_PORT or port $SIP_PORT"
else
    FILTER="udp port $RAD_PORT"
fi

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" "$FILTER" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

S="127.0.0.1:$RAD_PORT"
# radtest prints the reply; its status is 0 for an Access-Accept, 1 otherwise.
rad() {
    local type=$1 pass=$2 want=$3 rc=0
    radtest -t "$type" "$RAD_USER" "$pass" "$S" 0 "$RAD_SECRET" >>"$TMP/clients.log" 2>&1 || rc=$?
    grep -q "Received $want" "$TMP/clients.log" || die "radtest -t $type: no $want"
    : >"$TMP/clients.log"
    if [ "$want" = Access-Accept ]; then
        [ "$rc" -eq 0 ] || die "radtest -t $type exited $rc"
    fi
}
rad pap "$RAD_PASS" Access-Accept
rad pap "$RAD_WRONG" Access-Reject
rad chap "$RAD_PASS" Access-Accept
rad chap "$RAD_WRONG" Access-Reject
rad mschap "$RAD_PASS" Access-Accept
rad mschap "$RAD_WRONG" Access-Reject
rad eap-md5 "$RAD_PASS" Access-Accept
rad eap-md5 "$RAD_WRONG" Access-Reject

if [ "$SIP" = 1 ]; then
    U="sip:$SIP_USER@127.0.0.1:$SIP_PORT"
    sipsak -U -C empty -x 60 -u "$SIP_USER" -a "$SIP_PASS" -s "$U" >"$TMP/clients.log" 2>&1 \
        || die "sipsak REGISTER (right password) failed"
    if sipsak -u "$SIP_USER" -a "$SIP_WRONG" -s "$U" >"$TMP/clients.log" 2>&1; then
        die "sipsak OPTIONS with a wrong password succeeded"
    fi
    sipsak -E tcp -u "$SIP_USER" -a "$SIP_PASS" -s "$U" >"$TMP/clients.log" 2>&1 \
        || die "sipsak OPTIONS over TCP (right password) failed"
else
    SIP_PORT=none
fi

capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
echo "ports radius=$RAD_PORT sip=$SIP_PORT"
