#!/bin/bash
# End-to-end LDAP and SNMP traffic for plainsight: real servers, real clients, a real
# capture, on the loopback interface only.
#
#   tests/e2e/real-ldap-snmp.sh OUT.pcap [WRITES.pcap]
#
# Must run as root (tcpdump on lo). From configuration files written to a temporary
# directory it starts OpenLDAP's slapd (a throwaway mdb database filled with slapadd,
# listening on ldap://127.0.0.1:<free port>/ only) and net-snmp's snmpd (listening on
# udp:127.0.0.1:<free port> only, with a read-only community), and tcpdump on lo for
# those two ports. Then, one after another:
#
#   LDAP  1 ldapwhoami -x -D $LDAP_DN -w $LDAP_PASS     -> success (resultCode 0)
#         2 ldapwhoami -x -D $LDAP_DN -w $LDAP_WRONG    -> failure (resultCode 49)
#         3 ldapwhoami -x (anonymous bind)              -> no credential
#   SNMP  4 snmpget -v2c -c $COMMUNITY sysDescr.0       -> answered (success)
#         5 snmpget -v2c -c $WRONG_COMMUNITY sysDescr.0 -> no response: snmpd drops a
#           wrong community silently (unknown)
#         6 snmpget -v3 -l authNoPriv -u $V3_USER -a SHA -A $V3_PASS    -> success
#         7 snmpget -v3 -l authNoPriv -u $V3_USER -a SHA -A $V3_WRONG   -> failure
#           (a Report of usmStatsWrongDigests)
#         8 snmpget -v3 -l authPriv -u $V3_USER2 -a SHA-256 -A $V3_PASS2 -x AES
#           -X $V3_PRIV                                                  -> success
#
# With WRITES.pcap, passwords are then written, captured there (LDAP only):
#
#   LDAP  9 ldappasswd -D $LDAP_DN -w $LDAP_PASS -a $LDAP_PASS -s $LDAP_NEW -> success
#        10 ldappasswd -D $LDAP_DN -w $LDAP_NEW -a $OLD_WRONG -s $NEW_REFUSED
#           -> refused (the old password is wrong)
#        11 ldappasswd -D $LDAP_DN -w $LDAP_NEW (no new password: slapd generates one,
#           printed as "generated <password>")
#        12 ldapmodify -D $ROOT_DN: replace bob's userPassword with $BOB_NEW -> success
#        13 ldapadd -D $ROOT_DN: carol, with a {SSHA} userPassword from slappasswd
#           (printed as "carol_hash <hash>") -> success
#
# It prints "ports ldap=<port> snmp=<port>" on standard output. Every process it started
# is stopped and the temporary directory removed on any exit (E2E_KEEP=1 keeps the
# directory for debugging).
set -euo pipefail

LDAP_DN='cn=alice,dc=example,dc=org'
LDAP_PASS='Ld4p!Secret'
LDAP_WRONG='ldap-Wr0ng'
COMMUNITY='c0mmun1ty-RO'
WRONG_COMMUNITY='wr0ng-community'
V3_USER='v3alice'
V3_PASS='Usm-Auth-Pass1'
V3_WRONG='usm-Wr0ng-pass'
V3_USER2='v3bob'
V3_PASS2='Usm-Sha256-Pass2'
V3_PRIV='Usm-Priv-Pass2'
ROOT_DN='cn=admin,dc=example,dc=org'
ROOT_PASS='R00t-Ldap-Admin'
LDAP_NEW='Ld4p-N3w!Secret'
OLD_WRONG='not-the-0ld-pw'
NEW_REFUSED='never-Set-2'
BOB_DN='cn=bob,dc=example,dc=org'
BOB_NEW='B0b-Reset-Pw'
CAROL_DN='cn=carol,dc=example,dc=org'
CAROL_PASS='C4rol-Hashed-Pw'

OUT=${1:?usage: real-ldap-snmp.sh OUT.pcap [WRITES.pcap]}
WRITES=${2:-}

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump slapd slapadd ldapwhoami snmpd snmpget ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

TMP=$(mktemp -d /tmp/plainsight-ldap-snmp.XXXXXX)
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/slapd.log "$TMP"/snmpd.log "$TMP"/tcpdump.err "$TMP"/slapadd.log; do
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

# A port nothing listens on (TCP or UDP, as asked).
free_port() {
    local proto=$1 port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 30000))
        if [ "$proto" = tcp ]; then
            [ -z "$(ss -Htan "sport = :$port")" ] && { echo "$port"; return; }
        else
            [ -z "$(ss -Huan "sport = :$port")" ] && { echo "$port"; return; }
        fi
    done
    die "no free $proto port"
}

# Waits until a command succeeds (at most about 10 s).
LDAP_PORT=$(free_port tcp)
SNMP_PORT=$(free_port udp)

# ---- slapd -------------------------------------------------------------------------
mkdir -p "$TMP/ldap-db"
cat >"$TMP/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
pidfile $TMP/slapd.pid
argsfile $TMP/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "dc=example,dc=org"
rootdn "$ROOT_DN"
rootpw $ROOT_PASS
directory $TMP/ldap-db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
EOF
cat >"$TMP/base.ldif" <<EOF
dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: $LDAP_DN
objectClass: person
cn: alice
sn: Example
userPassword: $LDAP_PASS

dn: $BOB_DN
objectClass: person
cn: bob
sn: Example
userPassword: B0b-Initial
EOF
slapadd -f "$TMP/slapd.conf" -l "$TMP/base.ldif" >"$TMP/slapadd.log" 2>&1 || die "slapadd failed"

# ---- snmpd -------------------------------------------------------------------------
mkdir -p "$TMP/snmp"
# net-snmp keeps state (the clients too): here, not in /var/lib/snmp.
export SNMP_PERSISTENT_DIR="$TMP/snmp"
cat >"$TMP/snmpd.conf" <<EOF
rocommunity $COMMUNITY 127.0.0.1
sysDescr plainsight end-to-end test agent
createUser $V3_USER SHA "$V3_PASS"
createUser $V3_USER2 SHA-256 "$V3_PASS2" AES "$V3_PRIV"
rouser $V3_USER authNoPriv
rouser $V3_USER2 authPriv
EOF

# ---- servers, then the capture -----------------------------------------------------
slapd -f "$TMP/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" -d 0 >"$TMP/slapd.log" 2>&1 &
PIDS+=($!)
snmpd -f -C -c "$TMP/snmpd.conf" -Lf "$TMP/snmpd.log" \
    -p "$TMP/snmpd.pid" "udp:127.0.0.1:$SNMP_PORT" &
PIDS+=($!)
# Ready when listening (a login to check would be a credential before the capture).
tcp_listening() { [ -n "$(ss -Htln "sport = :$LDAP_PORT")" ]; }
udp_bound() { [ -n "$(ss -Huan "sport = :$SNMP_PORT")" ]; }
wait_for tcp_listening || die "slapd is not listening"
wait_for udp_bound || die "snmpd is not listening"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" \
    "tcp port $LDAP_PORT or udp port $SNMP_PORT" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

L="ldap://127.0.0.1:$LDAP_PORT/"
# 1 success
ldapwhoami -x -H "$L" -D "$LDAP_DN" -w "$LDAP_PASS" >&2 || die "ldapwhoami (right password) failed"
# 2 wrong password: ldapwhoami exits 49
rc=0
ldapwhoami -x -H "$L" -D "$LDAP_DN" -w "$LDAP_WRONG" >&2 2>/dev/null || rc=$?
[ "$rc" -eq 49 ] || die "ldapwhoami (wrong password) exited $rc, not 49"
# 3 anonymous
ldapwhoami -x -H "$L" >&2 || die "ldapwhoami (anonymous) failed"
# 4 the right community
snmpget -v2c -c "$COMMUNITY" -t 2 -r 0 -On "127.0.0.1:$SNMP_PORT" 1.3.6.1.2.1.1.1.0 >&2 \
    || die "snmpget (right community) failed"
# 5 a wrong community: no answer
if snmpget -v2c -c "$WRONG_COMMUNITY" -t 1 -r 0 -On "127.0.0.1:$SNMP_PORT" \
    1.3.6.1.2.1.1.1.0 >/dev/null 2>&1; then
    die "snmpget with a wrong community was answered"
fi
# 6 SNMPv3, HMAC-SHA-96, the right pass phrase
snmpget -v3 -l authNoPriv -u "$V3_USER" -a SHA -A "$V3_PASS" -t 2 -r 0 -On \
    "127.0.0.1:$SNMP_PORT" 1.3.6.1.2.1.1.1.0 >&2 || die "snmpget -v3 (right pass phrase) failed"
# 7 a wrong pass phrase: the agent reports usmStatsWrongDigests
if snmpget -v3 -l authNoPriv -u "$V3_USER" -a SHA -A "$V3_WRONG" -t 1 -r 0 -On \
    "127.0.0.1:$SNMP_PORT" 1.3.6.1.2.1.1.1.0 >/dev/null 2>&1; then
    die "snmpget -v3 with a wrong pass phrase was answered"
fi
# 8 HMAC-SHA-256-192 and AES privacy
snmpget -v3 -l authPriv -u "$V3_USER2" -a SHA-256 -A "$V3_PASS2" -x AES -X "$V3_PRIV" -t 2 -r 0 \
    -On "127.0.0.1:$SNMP_PORT" 1.3.6.1.2.1.1.1.0 >&2 || die "snmpget -v3 authPriv failed"

capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"

if [ -n "$WRITES" ]; then
    for p in ldappasswd ldapmodify ldapadd slappasswd; do
        command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
    done
    tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$WRITES" "tcp port $LDAP_PORT" 2>"$TMP/tcpdump.err" &
    TCPDUMP=$!
    PIDS+=("$TCPDUMP")
    wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"
    # 9 the old and the new password
    ldappasswd -x -H "$L" -D "$LDAP_DN" -w "$LDAP_PASS" -a "$LDAP_PASS" -s "$LDAP_NEW" >&2 \
        || die "ldappasswd (change) failed"
    # 10 a wrong old password
    if ldappasswd -x -H "$L" -D "$LDAP_DN" -w "$LDAP_NEW" -a "$OLD_WRONG" -s "$NEW_REFUSED" \
        >&2 2>/dev/null; then
        die "ldappasswd with a wrong old password succeeded"
    fi
    # 11 a password slapd generates
    generated=$(ldappasswd -x -H "$L" -D "$LDAP_DN" -w "$LDAP_NEW") \
        || die "ldappasswd (generate) failed"
    generated=${generated#New password: }
    # 12 an administrator's reset
    printf 'dn: %s\nchangetype: modify\nreplace: userPassword\nuserPassword: %s\n' \
        "$BOB_DN" "$BOB_NEW" | ldapmodify -x -H "$L" -D "$ROOT_DN" -w "$ROOT_PASS" >&2 \
        || die "ldapmodify failed"
    # 13 a new entry with a hashed password
    carol_hash=$(slappasswd -h '{SSHA}' -s "$CAROL_PASS")
    printf 'dn: %s\nobjectClass: person\ncn: carol\nsn: Example\nuserPassword: %s\n' \
        "$CAROL_DN" "$carol_hash" | ldapadd -x -H "$L" -D "$ROOT_DN" -w "$ROOT_PASS" >&2 \
        || die "ldapadd failed"
    capture_settled "$WRITES"
    kill -INT "$TCPDUMP"
    wait "$TCPDUMP" 2>/dev/null || true
    echo "generated $generated"
    echo "carol_hash $carol_hash"
fi
echo "ports ldap=$LDAP_PORT snmp=$SNMP_PORT"
