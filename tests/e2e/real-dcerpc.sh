#!/bin/bash
# End-to-end DCE/RPC traffic for plainsight: Samba's samba-dcerpcd serving RPC over TCP
# (ncacn_ip_tcp: the endpoint mapper on 135, the services on dynamic ports), rpcclient,
# and a real capture, inside a network and mount namespace of its own (unshare): the
# host's interfaces and /etc are never touched.
#
#   tests/e2e/real-dcerpc.sh OUT.pcap
#
# Must run as root. samba-dcerpcd runs standalone (rpc start on demand helpers = no) with
# a tdbsam account alice (password $DCE_PASS), on 127.0.0.1; tcpdump on lo. Then, one
# after another, rpcclient asks the server service for its information (srvinfo), which
# first asks the endpoint mapper (unauthenticated) for the service's port:
#
#   1 ncacn_ip_tcp:[sign]         alice / $DCE_PASS   -> NTLM in bind/auth3, response
#   2 ncacn_ip_tcp:[sign]         alice / $DCE_WRONG  -> a fault (nca_proto_error)
#   3 ncacn_ip_tcp:[seal]         alice / $DCE_PASS   -> packet privacy, response
#   4 ncacn_ip_tcp:[spnego,seal]  alice / $DCE_PASS   -> SPNEGO in bind/alter_context,
#                                                        alter_context_resp
#   5 ncacn_ip_tcp:[spnego,sign]  alice / $DCE_WRONG  -> a fault (sec_pkg_error)
#
# It prints "truth <n> <exit status of rpcclient>" on standard output.
set -euo pipefail

DCE_PASS='Dce-Rpc!pass1'
DCE_WRONG='dce-Wr0ng'

OUT=${1:?usage: real-dcerpc.sh OUT.pcap}

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in unshare mount ip tcpdump rpcclient pdbedit ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
DCERPCD=/usr/libexec/samba/samba-dcerpcd
[ -x "$DCERPCD" ] || die "missing program: $DCERPCD"

if [ -z "${PLAINSIGHT_DCE_NS:-}" ]; then
    OUT_ABS=$(realpath -m "$OUT")
    export PLAINSIGHT_DCE_NS=1
    exec unshare --net --mount --fork -- bash "$0" "$OUT_ABS"
fi

# ---- inside the namespaces ----------------------------------------------------------
mount --make-rprivate /
ip link set lo up

TMP=$(mktemp -d /tmp/plainsight-dcerpc.XXXXXX)
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/dcerpcd.out "$TMP"/tcpdump.err "$TMP"/client.log; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 30 "$f" >&2; }
        done
    fi
    stop_pids "${PIDS[@]}"
    # The RPC workers (rpcd_*) may outlive samba-dcerpcd: they carry this run's config.
    pkill -f -- "$TMP/smb.conf" 2>/dev/null
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

# ---- account: alice, in this namespace's /etc/passwd only --------------------------
private_etc "$TMP"
echo "alice:x:24601:24601:plainsight test:/nonexistent:/usr/sbin/nologin" >>"$TMP/etc/passwd"
echo "alice:x:24601:" >>"$TMP/etc/group"

# ---- samba-dcerpcd ------------------------------------------------------------------
mkdir -p "$TMP"/samba/{private,lock,state,cache,pid,ncalrpc}
cat >"$TMP/smb.conf" <<EOF
[global]
    workgroup = PLAINSIGHT
    netbios name = RPCSRV
    server role = standalone server
    interfaces = 127.0.0.1
    bind interfaces only = yes
    disable netbios = yes
    rpc start on demand helpers = no
    map to guest = never
    private dir = $TMP/samba/private
    lock directory = $TMP/samba/lock
    state directory = $TMP/samba/state
    cache directory = $TMP/samba/cache
    pid directory = $TMP/samba/pid
    ncalrpc dir = $TMP/samba/ncalrpc
    passdb backend = tdbsam:$TMP/samba/private/passdb.tdb
    log level = 1
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
EOF
printf '%s\n%s\n' "$DCE_PASS" "$DCE_PASS" |
    pdbedit -s "$TMP/smb.conf" -a -t -u alice >"$TMP/pdbedit.log" 2>&1 || die "pdbedit failed"
setsid "$DCERPCD" -s "$TMP/smb.conf" --foreground --libexec-rpcds --debug-stdout \
    >"$TMP/dcerpcd.out" 2>&1 &
PIDS+=($!)
wait_for sh -c "ss -Hltn 'sport = :135' | grep -q ." || die "samba-dcerpcd does not listen on 135"

# ---- capture ------------------------------------------------------------------------
tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" tcp 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# ---- clients ------------------------------------------------------------------------
n=0
for login in "sign $DCE_PASS" "sign $DCE_WRONG" "seal $DCE_PASS" "spnego,seal $DCE_PASS" \
    "spnego,sign $DCE_WRONG"; do
    n=$((n + 1))
    options=${login%% *}
    password=${login#* }
    rc=0
    timeout 30 rpcclient -s "$TMP/smb.conf" -U "alice%$password" \
        "ncacn_ip_tcp:127.0.0.1[$options]" -c srvinfo >>"$TMP/client.log" 2>&1 || rc=$?
    echo "truth $n $rc"
done

# Every connection (endpoint mapper and service, per login) closed by both sides: up to
# 30 s under load (the RPC workers close their side when they are done). Should one end
# still be missing, the capture is used as it is: the test checks every verdict in it.
for _ in 1 2 3; do
    wait_for captured_fins "$OUT" 20 && break
done
captured_fins "$OUT" 20 || log "the capture lacks some connections' ends; going on"
capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
