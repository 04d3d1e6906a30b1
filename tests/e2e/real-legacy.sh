#!/bin/bash
# End-to-end CVS pserver and X11 traffic for plainsight: real servers, real clients, a
# real capture.
#
#   tests/e2e/real-legacy.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.219.0.1/24, client side 10.219.0.2/24) and touches no other interface or address.
# In the server namespace: Debian's cvs as a pserver on port 2401 (started per connection
# by inetutils-inetd, as its manual says), over a repository made for the run whose
# CVSROOT/passwd holds $CVS_USER with a crypt(3) hash of $CVS_PASS (mapped to the system
# user nobody); Xvfb on the first free display from :7 (TCP 6000 + display) with a random
# MIT-MAGIC-COOKIE-1; tcpdump on the veth. From the client namespace, one connection
# after another:
#
#   CVS   1 cvs login     $CVS_USER / $CVS_PASS   -> I LOVE YOU (VERIFICATION REQUEST)
#         2 cvs login     $CVS_USER / $CVS_WRONG  -> I HATE YOU
#         3 cvs checkout  $CVS_USER (the password cvs login saved) -> AUTH REQUEST, success
#         4 cvs login     nosuch / $CVS_WRONG     -> "error 0 nosuch: no such user"
#   X11   5 xdpyinfo      the server's cookie     -> Success
#         6 xdpyinfo      a wrong cookie          -> Failed ("Invalid MIT-MAGIC-COOKIE-1 key")
#         7 xdpyinfo      no authorization        -> Failed (no finding: nothing was sent)
#
# It prints "cookie <hex>" (the display's cookie) on standard output. Everything the
# script started is stopped, and the namespaces and the temporary directory removed, on
# any exit (E2E_KEEP=1 keeps the directory).
set -euo pipefail

CVS_USER='cvsdev'
CVS_PASS='Cvs!pa55 w0rd#'
CVS_WRONG='cvs-Wr0ng'
WRONG_COOKIE='00112233445566778899aabbccddeeff'
SRV_IP=10.219.0.1
CLI_IP=10.219.0.2

OUT=${1:?usage: real-legacy.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump cvs inetutils-inetd Xvfb xauth xdpyinfo openssl ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

# A display number no other X server of this host holds (their lock files are shared
# between namespaces, their ports are not).
DISPLAY_NO=
for n in $(seq 7 63); do
    [ -e "/tmp/.X$n-lock" ] || { DISPLAY_NO=$n; break; }
done
[ -n "$DISPLAY_NO" ] || die "no free X display number"

NS_S=plainsight-lsrv-$$
NS_C=plainsight-lcli-$$
TMP=$(mktemp -d /tmp/plainsight-legacy.XXXXXX)
chmod 755 "$TMP" # cvs runs the repository's work as nobody
PIDS=()
XVFB=

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/inetd.out "$TMP"/xvfb.out "$TMP"/tcpdump.err; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    netns_stop "${PIDS[@]}" -- "$NS_C" "$NS_S"
    # Xvfb's lock file, should it have left it.
    [ -n "$XVFB" ] && rm -f "/tmp/.X$DISPLAY_NO-lock"
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_srv() { ip netns exec "$NS_S" "$@"; }
in_cli() { ip netns exec "$NS_C" env HOME="$TMP/client-home" "$@"; }

wait_listen() {
    for _ in $(seq 100); do
        if in_srv ss -Hltn "sport = :$1" | grep -q .; then return 0; fi
        sleep 0.05
    done
    die "nothing listens on port $1"
}

# ---- network ------------------------------------------------------------------------
veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

# ---- cvs pserver --------------------------------------------------------------------
REPO="$TMP/cvsroot"
cvs -d "$REPO" init
mkdir "$REPO/project"
# CVSROOT/passwd: user:crypt(3) hash:system user. SHA-512 crypt, which glibc checks.
echo "$CVS_USER:$(openssl passwd -6 "$CVS_PASS"):nobody" > "$REPO/CVSROOT/passwd"
chmod -R a+rwX "$REPO"
cat > "$TMP/inetd.conf" <<EOF
$SRV_IP:2401 stream tcp nowait root $(command -v cvs) cvs -f --allow-root=$REPO pserver
EOF
ip netns exec "$NS_S" inetutils-inetd -d -p "$TMP/inetd.pid" "$TMP/inetd.conf" \
    >"$TMP/inetd.out" 2>&1 &
PIDS+=($!)

# ---- Xvfb ---------------------------------------------------------------------------
COOKIE=$(openssl rand -hex 16)
: > "$TMP/server.auth"
: > "$TMP/good.auth"
: > "$TMP/wrong.auth"
xauth -q -f "$TMP/server.auth" add ":$DISPLAY_NO" MIT-MAGIC-COOKIE-1 "$COOKIE"
ip netns exec "$NS_S" Xvfb ":$DISPLAY_NO" -listen tcp -nolisten unix -auth "$TMP/server.auth" \
    -screen 0 320x200x8 >"$TMP/xvfb.out" 2>&1 &
XVFB=$!
PIDS+=($XVFB)
mkdir -p "$TMP/client-home"
xauth -q -f "$TMP/good.auth" add "$SRV_IP:$DISPLAY_NO" MIT-MAGIC-COOKIE-1 "$COOKIE"
xauth -q -f "$TMP/wrong.auth" add "$SRV_IP:$DISPLAY_NO" MIT-MAGIC-COOKIE-1 "$WRONG_COOKIE"
: > "$TMP/none.auth"

wait_listen 2401
wait_listen $((6000 + DISPLAY_NO))

# ---- capture ------------------------------------------------------------------------
ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# Runs a client, requiring its exit status to be one of the listed ones.
client() {
    local what=$1 ok=$2 rc=0
    shift 2
    in_cli timeout 30 "$@" >"$TMP/client.out" 2>"$TMP/client.err" || rc=$?
    case " $ok " in
    *" $rc "*) log "$what: exit $rc" ;;
    *)
        cat "$TMP/client.out" "$TMP/client.err" >&2
        die "$what: exit status $rc, wanted one of: $ok"
        ;;
    esac
}

# ---- CVS clients --------------------------------------------------------------------
# The password in CVSROOT (:pserver:user:password@host:path): cvs login sends it and,
# once accepted, saves it scrambled in ~/.cvspass for later commands.
root() { echo ":pserver:$1@$SRV_IP:2401$REPO"; }
client "cvs login" 0 cvs -d "$(root "$CVS_USER:$CVS_PASS")" login
client "cvs login (wrong password)" 1 cvs -d "$(root "$CVS_USER:$CVS_WRONG")" login
grep -q "I HATE YOU\|rejected access" "$TMP/client.err" ||
    die "cvs login with a wrong password: $(cat "$TMP/client.err")"
mkdir -p "$TMP/client-home/work"
client "cvs checkout" 0 sh -c "cd '$TMP/client-home/work' && cvs -d '$(root "$CVS_USER")' checkout project"
client "cvs login (unknown user)" 1 cvs -d "$(root "nosuch:$CVS_WRONG")" login
grep -q "no such user" "$TMP/client.err" ||
    die "cvs login as an unknown user: $(cat "$TMP/client.err")"

# ---- X11 clients --------------------------------------------------------------------
client "xdpyinfo" 0 env XAUTHORITY="$TMP/good.auth" DISPLAY="$SRV_IP:$DISPLAY_NO" xdpyinfo
client "xdpyinfo (wrong cookie)" 1 env XAUTHORITY="$TMP/wrong.auth" DISPLAY="$SRV_IP:$DISPLAY_NO" xdpyinfo
grep -q "Invalid MIT-MAGIC-COOKIE-1 key" "$TMP/client.err" ||
    die "xdpyinfo with a wrong cookie: $(cat "$TMP/client.err")"
client "xdpyinfo (no cookie)" 1 env XAUTHORITY="$TMP/none.auth" DISPLAY="$SRV_IP:$DISPLAY_NO" xdpyinfo

# ---- stop the capture ---------------------------------------------------------------
# Seven connections, each closed by both sides.
# Up to 30 s under load; should one end still be missing, the capture is used as it is
# (the test checks every verdict in it).
for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 14 && break
done
captured_fins "$TMP/capture.pcap" 14 || log "the capture lacks some connections' ends; going on"
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
captured=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$TMP/tcpdump.err")
received=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter$/\1/p' "$TMP/tcpdump.err")
[ -n "$captured" ] && [ "$captured" = "$received" ] ||
    die "incomplete capture: $captured packets captured, $received received by filter"
echo "cookie $COOKIE"
cp "$TMP/capture.pcap" "$OUT"
