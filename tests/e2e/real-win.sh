#!/bin/bash
# End-to-end SMB and Kerberos traffic for plainsight: Samba's smbd and MIT's krb5kdc,
# smbclient, kinit and kvno, and a real capture, inside a network and mount namespace of
# its own (only its loopback interface; its own /etc/passwd with the test accounts).
#
#   tests/e2e/real-win.sh OUT.pcap
#
# Must run as root. smbd runs in a session of its own (setsid): it signals its whole process
# group when it stops. The script re-runs itself under `unshare --net --mount`: nothing it
# starts can be reached from outside, and the accounts it adds exist only in the copy of
# a private copy of /etc (lib.sh's private_etc) bound over /etc in its namespace. From configuration files in a
# temporary directory it starts smbd (standalone server, tdbsam, SMB1 allowed, NTLMv1
# permitted) on 127.0.0.1:445 and krb5kdc (realm PLAINSIGHT.TEST, pre-authentication
# required by default) on 127.0.0.1:88, UDP and TCP, then tcpdump on lo. Then, one after
# another:
#
#   SMB  1 smbclient -m SMB3 -U alice%$SMB_PASS           -> NTLMv2 in SPNEGO, success
#        2 smbclient -m SMB3 -U alice%$SMB_WRONG          -> STATUS_LOGON_FAILURE
#        3 smbclient -N -U% (a null session)              -> no credential
#        4 smbclient -m NT1, client ntlmv2 auth = no      -> SMB1 NTLMSSP NTLMv1, success
#        5 smbclient -m NT1, client use spnego = no       -> SMB1 non-extended security,
#                                                            NTLMv2 response, success
#   KRB  6 kinit frank (RC4 only, over UDP), right password -> 25, then PA-ENC-TIMESTAMP
#                                                            etype 23: AS-REP (success)
#        7 kinit frank, wrong password                    -> KDC_ERR_PREAUTH_FAILED
#        8 kvno HTTP/web.plainsight.test (frank's TGT)    -> TGS-REP, RC4 ticket of the
#                                                            service (Kerberoast)
#        9 kinit grace (AES256 only, over TCP)            -> PA-ENC-TIMESTAMP etype 18
#       10 kinit henry (-requires_preauth: none asked)    -> AS-REP without pre-auth (RC4)
#
# Every process it started is stopped and the temporary directory removed on any exit
# (E2E_KEEP=1 keeps the directory for debugging).
set -euo pipefail

REALM='PLAINSIGHT.TEST'
SMB_PASS='Smb-Summer2024!'
SMB_WRONG='Smb-Winter2023!'
FRANK_PASS='Frank-Rc4-pass1'
FRANK_WRONG='Frank-Rc4-pass0'
GRACE_PASS='Grace-Aes256-pass'
HENRY_PASS='Henry-NoPreauth9'
SERVICE_PASS='Http-Svc-pass7'

OUT=${1:?usage: real-win.sh OUT.pcap}

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in unshare mount ip tcpdump smbd smbclient pdbedit krb5kdc kdb5_util kadmin.local \
    kinit kvno; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

if [ -z "${PLAINSIGHT_WIN_NS:-}" ]; then
    OUT_ABS=$(realpath -m "$OUT")
    export PLAINSIGHT_WIN_NS=1
    exec unshare --net --mount --fork -- bash "$0" "$OUT_ABS"
fi

# ---- inside the namespaces ----------------------------------------------------------
mount --make-rprivate /
ip link set lo up

TMP=$(mktemp -d /tmp/plainsight-win.XXXXXX)
chmod 711 "$TMP" # smbd serves $TMP/share as alice
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/smbd.log "$TMP"/kdc.log "$TMP"/krb5kdc.out "$TMP"/tcpdump.err \
            "$TMP"/client.log; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 30 "$f" >&2; }
        done
    fi
    stop_pids "${PIDS[@]}"
    # smbd's RPC workers (rpcd_*) may outlive it: they all carry this run's config file.
    pkill -f -- "--configfile=$TMP/smb.conf" 2>/dev/null
    umount /etc 2>/dev/null
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until a command succeeds (at most about 10 s).
# ---- accounts: alice for smbd, in this namespace's /etc/passwd only ------------------
private_etc "$TMP"
echo "alice:x:24601:24601:plainsight test:/nonexistent:/usr/sbin/nologin" >>"$TMP/etc/passwd"
echo "alice:x:24601:" >>"$TMP/etc/group"

# ---- smbd ---------------------------------------------------------------------------
mkdir -p "$TMP"/samba/{private,lock,state,cache,pid,ncalrpc} "$TMP/share"
echo "quarterly numbers" >"$TMP/share/report.txt"
chmod -R a+rX "$TMP/share"
cat >"$TMP/smb.conf" <<EOF
[global]
    workgroup = PLAINSIGHT
    netbios name = FILESRV
    server role = standalone server
    interfaces = 127.0.0.1
    bind interfaces only = yes
    smb ports = 445
    disable netbios = yes
    server min protocol = NT1
    ntlm auth = ntlmv1-permitted
    raw NTLMv2 auth = yes
    map to guest = never
    restrict anonymous = 0
    private dir = $TMP/samba/private
    lock directory = $TMP/samba/lock
    state directory = $TMP/samba/state
    cache directory = $TMP/samba/cache
    pid directory = $TMP/samba/pid
    ncalrpc dir = $TMP/samba/ncalrpc
    passdb backend = tdbsam:$TMP/samba/private/passdb.tdb
    log file = $TMP/smbd.log
    log level = 1
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
[share]
    path = $TMP/share
    read only = yes
EOF
printf '%s\n%s\n' "$SMB_PASS" "$SMB_PASS" |
    pdbedit -s "$TMP/smb.conf" -a -t -u alice >"$TMP/pdbedit.log" 2>&1 || die "pdbedit failed"
setsid smbd -s "$TMP/smb.conf" --foreground --no-process-group >>"$TMP/smbd.log" 2>&1 &
PIDS+=($!)

# ---- krb5kdc ------------------------------------------------------------------------
export KRB5_CONFIG="$TMP/krb5.conf"
export KRB5_KDC_PROFILE="$TMP/kdc.conf"
export KRB5CCNAME="FILE:$TMP/ccache"
cat >"$TMP/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = 127.0.0.1:88
    kdc_tcp_listen = 127.0.0.1:88
[realms]
    $REALM = {
        database_name = $TMP/kdc/principal
        key_stash_file = $TMP/kdc/stash
        acl_file = $TMP/kdc/kadm5.acl
        max_life = 10h
        supported_enctypes = aes256-cts-hmac-sha1-96:normal arcfour-hmac:normal
        default_principal_flags = +preauth
    }
[logging]
    kdc = FILE:$TMP/kdc.log
EOF
# The clients' configuration, over UDP or TCP. They accept AES256 and RC4; each
# account's only key decides the etype of its pre-authentication (the KDC announces it in
# ETYPE-INFO2), and AES256 session keys keep the KDC happy (it issues no RC4 session keys).
client_conf() {
    local file=$1 udp_limit=$2 enctypes="aes256-cts-hmac-sha1-96 arcfour-hmac"
    cat >"$file" <<EOF
[libdefaults]
    default_realm = $REALM
    default_tkt_enctypes = $enctypes
    default_tgs_enctypes = $enctypes
    permitted_enctypes = $enctypes
    udp_preference_limit = $udp_limit
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
[realms]
    $REALM = {
        kdc = 127.0.0.1:88
    }
EOF
}
client_conf "$TMP/krb5.conf" 1465
client_conf "$TMP/krb5-tcp.conf" 1
mkdir -p "$TMP/kdc"
touch "$TMP/kdc/kadm5.acl"
kdb5_util create -s -r "$REALM" -P "master-$$-$RANDOM" >"$TMP/kdb5_util.log" 2>&1 ||
    die "kdb5_util create failed"
kadm() { kadmin.local -r "$REALM" -q "$1" >>"$TMP/kadmin.log" 2>&1 || die "kadmin.local: $1"; }
kadm "addprinc -pw $FRANK_PASS -e arcfour-hmac:normal frank"
kadm "addprinc -pw $GRACE_PASS -e aes256-cts-hmac-sha1-96:normal grace"
kadm "addprinc -pw $HENRY_PASS -e arcfour-hmac:normal -requires_preauth henry"
kadm "addprinc -pw $SERVICE_PASS -e arcfour-hmac:normal HTTP/web.plainsight.test"
# Its ticket is RC4 (its only key), the session key AES.
kadm "setstr HTTP/web.plainsight.test session_enctypes aes256-cts-hmac-sha1-96"
krb5kdc -n -r "$REALM" >"$TMP/krb5kdc.out" 2>&1 &
PIDS+=($!)

tcp_listening() { [ -n "$(ss -Htln "sport = :$1")" ]; }
udp_bound() { [ -n "$(ss -Huan "sport = :$1")" ]; }
wait_for tcp_listening 445 || die "smbd is not listening"
wait_for tcp_listening 88 || die "krb5kdc is not listening on TCP"
wait_for udp_bound 88 || die "krb5kdc is not listening on UDP"

# ---- the capture --------------------------------------------------------------------
tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" "port 445 or port 88" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

S=//127.0.0.1/share
: >"$TMP/client.log"
# 1 SMB3, NTLMv2, right password
smbclient "$S" -m SMB3 -U "alice%$SMB_PASS" -c 'ls' >>"$TMP/client.log" 2>&1 ||
    die "smbclient (right password) failed"
# 2 wrong password
if smbclient "$S" -m SMB3 -U "alice%$SMB_WRONG" -c 'ls' >>"$TMP/client.log" 2>&1; then
    die "smbclient with a wrong password logged in"
fi
grep -q NT_STATUS_LOGON_FAILURE "$TMP/client.log" || die "no STATUS_LOGON_FAILURE"
# 3 anonymous: whatever the verdict, no credential
smbclient -L //127.0.0.1 -m SMB3 -N -U% >>"$TMP/client.log" 2>&1 || true
# 4 SMB1, NTLMSSP with an NTLMv1 response
smbclient "$S" -m NT1 --option='client min protocol = NT1' \
    --option='client ntlmv2 auth = no' -U "alice%$SMB_PASS" -c 'ls' >>"$TMP/client.log" 2>&1 ||
    die "smbclient (SMB1, NTLMv1) failed"
# 5 SMB1 without extended security (no SPNEGO): NTLMv2 in the session setup itself
smbclient "$S" -m NT1 --option='client min protocol = NT1' \
    --option='client use spnego = no' -U "alice%$SMB_PASS" -c 'ls' >>"$TMP/client.log" 2>&1 ||
    die "smbclient (SMB1, no SPNEGO) failed"

# 6 frank, RC4 over UDP
echo "$FRANK_PASS" | kinit frank >>"$TMP/client.log" 2>&1 ||
    die "kinit frank failed"
# 8 (after 7) needs this ticket: keep it aside
cp "$TMP/ccache" "$TMP/ccache-frank"
# 7 wrong password
if echo "$FRANK_WRONG" | kinit frank >>"$TMP/client.log" 2>&1; then
    die "kinit with a wrong password succeeded"
fi
# 8 a service ticket with frank's TGT
KRB5CCNAME="FILE:$TMP/ccache-frank" kvno HTTP/web.plainsight.test >>"$TMP/client.log" 2>&1 || die "kvno failed"
# 9 grace, AES256 over TCP
echo "$GRACE_PASS" | KRB5_CONFIG="$TMP/krb5-tcp.conf" kinit grace >>"$TMP/client.log" 2>&1 ||
    die "kinit grace failed"
# 10 henry, no pre-authentication
echo "$HENRY_PASS" | kinit henry >>"$TMP/client.log" 2>&1 ||
    die "kinit henry failed"

capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
echo "done"
