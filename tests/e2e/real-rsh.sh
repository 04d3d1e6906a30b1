#!/bin/bash
# End-to-end rlogin, rexec and poppass traffic for plainsight: real servers, real clients
# (rexec's and poppass's are a few lines of Python: Debian ships neither client), a real
# capture.
#
#   tests/e2e/real-rsh.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.221.0.1/24, client side 10.221.0.2/24) and touches no other interface or address,
# and a user account for the run (removed on exit). In the server namespace:
# netkit's in.rlogind (513), in.rexecd (512) and poppassd (106, Eudora's password change)
# started per connection by inetutils-inetd, all checking passwords through PAM; tcpdump
# on the veth. From the client namespace, one connection after another:
#
#   rlogin 1 rlogin -l $USER, through a pty driven by expect: the wrong password typed at
#            "Password:" (refused), then the right one at the next prompt (in.rlogind's
#            PAM asks again; a login program would ask for the user name first), a
#            shell, "echo", "exit"
#   rexec  2 port "0", $USER / $PASS, "echo rexec-ok"        -> \0 and the output
#          3 port "0", $USER / $WRONG, "id"                   -> \1 "Login incorrect."
#          4 a standard-error port the client listens on, $USER / $PASS, a command
#            writing to both outputs                          -> \0, stderr on the second
#            connection (rexecd connects back to it)
#   poppass 5 $USER / $WRONG                                   -> 500 (old password wrong)
#           6 $USER / $PASS, new password $NEWPASS             -> 200 changed
#           7 $USER / $NEWPASS, an empty new password          -> 500 New password required
#
# It prints "user <name>" and "truth <n> SUCCESS|FAILURE" for each rexec connection as
# the client saw it, and "truth <n> <reply code>..." with poppassd's reply to each
# command of a poppass connection. Everything the script started is stopped, and the namespaces, the
# account and the temporary directory removed, on any exit (E2E_KEEP=1 keeps the
# directory).
set -euo pipefail

PASS='Rsh!pa55w0rd'
WRONG='rsh-Wr0ng'
NEWPASS='Changed 2 pa55'
SRV_IP=10.221.0.1
CLI_IP=10.221.0.2

OUT=${1:?usage: real-rsh.sh OUT.pcap}
USER_NAME=${E2E_USER:-psr$$}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump inetutils-inetd in.rlogind in.rexecd poppassd expect python3 useradd \
    userdel chpasswd ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
# The client: "rlogin" is an alternative; netkit's is the one the test was written for.
RLOGIN=$(command -v netkit-rlogin || command -v rlogin) || die "missing program: rlogin"

NS_S=plainsight-rsrv-$$
NS_C=plainsight-rcli-$$
TMP=$(mktemp -d /tmp/plainsight-rsh.XXXXXX)
chmod 755 "$TMP"
USER_CREATED=0
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/inetd.out "$TMP"/tcpdump.err "$TMP"/client.out "$TMP"/client.err; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    netns_stop "${PIDS[@]}" -- "$NS_C" "$NS_S"
    rm -rf "/etc/netns/$NS_S"
    if [ "$USER_CREATED" = 1 ]; then
        for pid in $(pgrep -u "$USER_NAME" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        userdel "$USER_NAME" 2>/dev/null || log "could not remove user $USER_NAME"
    fi
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_cli() { ip netns exec "$NS_C" env HOME="$TMP/client-home" "$@"; }


# ---- network ------------------------------------------------------------------------
veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

# ---- test account -------------------------------------------------------------------
if getent passwd "$USER_NAME" >/dev/null; then
    die "user $USER_NAME already exists"
fi
useradd -m -d "$TMP/home" -s /bin/sh "$USER_NAME" >/dev/null
USER_CREATED=1
echo "$USER_NAME:$PASS" | chpasswd
touch "$TMP/home/.hushlogin"
chown "$USER_NAME:" "$TMP/home/.hushlogin"
mkdir -p "$TMP/client-home"

# ---- inetd: rlogind and rexecd ------------------------------------------------------
# in.rexecd refuses a client whose address has no name ("Where are you?"): the server
# namespace gets a hosts file of its own (ip netns exec mounts /etc/netns/NAME/hosts over
# /etc/hosts for the processes it starts).
mkdir -p "/etc/netns/$NS_S"
printf '127.0.0.1 localhost\n%s rsh-server\n%s rsh-client\n' "$SRV_IP" "$CLI_IP" \
    > "/etc/netns/$NS_S/hosts"
cat > "$TMP/inetd.conf" <<EOF
$SRV_IP:513 stream tcp nowait root $(command -v in.rlogind) in.rlogind
$SRV_IP:512 stream tcp nowait root $(command -v in.rexecd) in.rexecd
$SRV_IP:106 stream tcp nowait root $(command -v poppassd) poppassd
EOF
ip netns exec "$NS_S" inetutils-inetd -d -p "$TMP/inetd.pid" "$TMP/inetd.conf" \
    >"$TMP/inetd.out" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" 513
wait_listening "$NS_S" 512
wait_listening "$NS_S" 106

# ---- capture ------------------------------------------------------------------------
ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# ---- rlogin -------------------------------------------------------------------------
cat > "$TMP/rlogin.exp" <<'EOF'
set timeout 20
set user [lindex $argv 0]
set pass [lindex $argv 1]
set wrong [lindex $argv 2]
set srv [lindex $argv 3]
set rlogin [lindex $argv 4]
proc want {pattern what} {
    expect {
        -re $pattern {}
        timeout { puts stderr "rlogin.exp: timeout waiting for $what"; exit 2 }
        eof { puts stderr "rlogin.exp: eof waiting for $what"; exit 2 }
    }
}
spawn $rlogin -l $user $srv
want "Password: ?$" "the password prompt"
send -- "$wrong\r"
# in.rlogind asks again itself (PAM) or hands over to login (a new login prompt).
expect {
    -re "ogin: ?$" {
        send -- "$user\r"
        want "Password: ?$" "the second password prompt"
    }
    -re "Password: ?$" {}
    timeout { puts stderr "rlogin.exp: timeout waiting for a new prompt"; exit 2 }
    eof { puts stderr "rlogin.exp: eof waiting for a new prompt"; exit 2 }
}
send -- "$pass\r"
want {[$#] ?$} "a shell prompt"
send -- "echo rlogin-ok\r"
want "rlogin-ok" "the command's output"
send -- "exit\r"
expect eof
EOF
rc=0
in_cli timeout 60 expect -f "$TMP/rlogin.exp" "$USER_NAME" "$PASS" "$WRONG" "$SRV_IP" "$RLOGIN" \
    >"$TMP/client.out" 2>"$TMP/client.err" || rc=$?
[ "$rc" = 0 ] || die "rlogin: exit status $rc"
cp "$TMP/client.out" "$TMP/rlogin.transcript"

# ---- rexec --------------------------------------------------------------------------
# The client side of rexec(3): the standard-error port (or "0"), user, password and
# command, each NUL-terminated; then one byte, \0 (and the output) or \1 and a message.
cat > "$TMP/rexec.py" <<'EOF'
import socket, sys
srv, user, password, command, with_stderr = sys.argv[1:6]
errs = None
port = "0"
if with_stderr == "1":
    errs = socket.socket()
    errs.bind(("", 0))
    errs.listen(1)
    port = str(errs.getsockname()[1])
s = socket.create_connection((srv, 512), timeout=20)
s.sendall(b"".join(f.encode() + b"\0" for f in (port, user, password, command)))
err_conn = None
if errs is not None:
    errs.settimeout(20)
    err_conn, _ = errs.accept()
answer = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    answer += b
err = b""
if err_conn is not None:
    while True:
        b = err_conn.recv(4096)
        if not b:
            break
        err += b
    err_conn.close()
s.close()
verdict = "SUCCESS" if answer[:1] == b"\0" else "FAILURE"
sys.stdout.write(verdict + "\n" + answer[1:].decode(errors="replace") + "\n" + err.decode(errors="replace"))
EOF
rexec() {
    local n=$1 rc=0
    shift
    in_cli timeout 30 python3 "$TMP/rexec.py" "$SRV_IP" "$@" >"$TMP/client.out" \
        2>"$TMP/client.err" || rc=$?
    [ "$rc" = 0 ] || die "rexec $n: exit status $rc"
    echo "truth $n $(head -n 1 "$TMP/client.out")"
}
rexec 2 "$USER_NAME" "$PASS" "echo rexec-ok" 0
grep -q "rexec-ok" "$TMP/client.out" || die "rexec 2: no output: $(cat "$TMP/client.out")"
rexec 3 "$USER_NAME" "$WRONG" "id" 0
rexec 4 "$USER_NAME" "$PASS" "echo out; echo err >&2" 1
grep -q "^err" "$TMP/client.out" || die "rexec 4: nothing on standard error: $(cat "$TMP/client.out")"

# ---- poppass -------------------------------------------------------------------------
# Eudora's client side: each command sent once the previous reply came, until a 500 (the
# server then hangs up) or the end; the reply codes printed in order.
cat > "$TMP/poppass.py" <<'EOF'
import socket, sys
srv, user, old = sys.argv[1:4]
new = sys.argv[4] if len(sys.argv) > 4 else None
s = socket.create_connection((srv, 106), timeout=20)
f = s.makefile("rb")
def reply():
    line = f.readline()
    if not line:
        raise SystemExit("poppass: the server hung up")
    return line.decode(errors="replace").strip()
codes = []
commands = [f"user {user}", f"pass {old}"]
if new is not None:
    commands.append(f"newpass {new}")
commands.append("quit")
first = reply()
if not first.startswith("200 "):
    raise SystemExit("poppass: greeting " + first)
for c in commands:
    s.sendall(c.encode() + b"\r\n")
    r = reply()
    codes.append(r[:3])
    if not r.startswith("200"):
        break
s.close()
print(" ".join(codes))
EOF
poppass() {
    local n=$1 rc=0
    shift
    in_cli timeout 60 python3 "$TMP/poppass.py" "$SRV_IP" "$@" >"$TMP/client.out" \
        2>"$TMP/client.err" || rc=$?
    [ "$rc" = 0 ] || die "poppass $n: exit status $rc"
    echo "truth $n $(cat "$TMP/client.out")"
}
poppass 5 "$USER_NAME" "$WRONG"
poppass 6 "$USER_NAME" "$PASS" "$NEWPASS"
poppass 7 "$USER_NAME" "$NEWPASS" ""

# ---- stop the capture ---------------------------------------------------------------
# Eight connections (rlogin, three rexec, rexecd's standard-error connection back, three
# poppass), each closed by both sides.
for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 16 && break
done
captured_fins "$TMP/capture.pcap" 16 || log "the capture lacks some connections' ends; going on"
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
captured=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$TMP/tcpdump.err")
received=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter$/\1/p' "$TMP/tcpdump.err")
[ -n "$captured" ] && [ "$captured" = "$received" ] ||
    die "incomplete capture: $captured packets captured, $received received by filter"
echo "user $USER_NAME"
cp "$TMP/capture.pcap" "$OUT"
