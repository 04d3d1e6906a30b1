#!/bin/bash
# End-to-end traffic for plainsight: real servers, real clients, a real capture.
#
#   tests/e2e/real-servers.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.213.0.1/24, client side 10.213.0.2/24) and touches no other interface or address.
# In the server namespace it starts, from configuration files written to a temporary
# directory, vsftpd (FTP, port 21), dovecot (POP3, port 110) and inetutils-inetd running
# inetutils telnetd -> /bin/login (Telnet, port 23), and tcpdump on the veth. A test
# system account ($E2E_USER, default "pse<pid>", password below; home in the temporary
# directory) is created for the run and removed afterwards. From the client namespace it
# then logs in with real clients, one connection after another, in this order:
#
#   FTP    1 curl   USER/PASS   $E2E_USER / $PASS        -> success
#          2 curl   USER/PASS   $E2E_USER / $FTP_WRONG   -> failure (curl gives up)
#          3 curl   anonymous / ftp@example.com (curl's default) -> success
#          4 lftp   USER/PASS   $E2E_USER / $PASS        -> success (lftp defaults)
#   POP3   5 curl   AUTH PLAIN  $E2E_USER / $PASS        -> success
#          6 curl   AUTH PLAIN  $E2E_USER / $POP_WRONG   -> failure
#          7 curl   AUTH LOGIN  $E2E_USER / $PASS        -> success
#          8 curl   APOP        $E2E_USER / md5(<ts> $POP_WRONG) -> failure
#          9 fetchmail USER/PASS $E2E_USER / $PASS       -> success
#         10 fetchmail APOP     $E2E_USER / md5(<ts> $PASS) -> success
#   Telnet 11 telnet (character mode, through a pty driven by expect), one session:
#            login: $E2E_USER  Password: $TELNET_WRONG   -> "Login incorrect" (failure)
#            login: $E2E_USER  Password: typed "${PASS%?}X", backspace, "${PASS: -1}"
#            -> shell prompt (success), then "exit".
#          12 telnet -l $E2E_USER, a second session: the user name goes in NEW-ENVIRON
#            USER (accepted: telnetd --accept-env=USER), login asks only Password: $PASS
#            -> shell prompt (success), then "exit".
#
# For each APOP login it prints a line "truth apop <success|failure> <timestamp>" on
# standard output: the greeting's <...> timestamp as the client itself logged it, from
# which the expected digest follows. Everything the script started is stopped, and the
# namespaces, the account and the temporary directory are removed, on any exit
# (E2E_KEEP=1 keeps the temporary directory for debugging).
set -euo pipefail

PASS='Corr3ct!Horse'
FTP_WRONG='ftp-Wr0ng'
POP_WRONG='pop-Wr0ng'
TELNET_WRONG='telnet-Wr0ng'

OUT=${1:?usage: real-servers.sh OUT.pcap}
USER_NAME=${E2E_USER:-pse$$}
SRV_IP=10.213.0.1
CLI_IP=10.213.0.2

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump vsftpd dovecot inetutils-inetd telnetd telnet curl lftp fetchmail expect \
    useradd userdel chpasswd ss; do
    command -v "$p" >/dev/null 2>&1 || [ -x "/usr/sbin/$p" ] || die "missing program: $p"
done
TELNETD=$(command -v telnetd || echo /usr/sbin/telnetd)
# "telnet" is an alternative; inetutils' client is the one the test was written for.
TELNET=$(command -v inetutils-telnet || command -v telnet)

NS_S=plainsight-srv-$$
NS_C=plainsight-cli-$$
TMP=$(mktemp -d /tmp/plainsight-e2e.XXXXXX)
chmod 755 "$TMP"  # the servers' unprivileged processes must reach their files
USER_CREATED=0
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/vsftpd/stdout "$TMP"/vsftpd/vsftpd.log "$TMP"/dovecot/stdout \
            "$TMP"/dovecot/dovecot.log "$TMP"/inetd/stdout "$TMP"/tcpdump.err; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    # Every process we started, then anything still living in our namespaces (telnetd,
    # login, vsftpd and dovecot children: all started by this script).
    netns_stop "${PIDS[@]}" -- "$NS_C" "$NS_S"
    if [ "$USER_CREATED" = 1 ]; then
        user_pids=$(pgrep -u "$USER_NAME" 2>/dev/null)
        for pid in $user_pids; do kill -KILL "$pid" 2>/dev/null; done
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

# (Daemons are started with a plain "ip netns exec ... &", not through these functions:
# $! is then the daemon itself, which signals reach.)
in_srv() { ip netns exec "$NS_S" "$@"; }
in_cli() { ip netns exec "$NS_C" env HOME="$TMP/client-home" "$@"; }

# Waits until something listens on TCP port $1 in the server namespace.
wait_listen() {
    local i
    for i in $(seq 100); do
        if in_srv ss -Hltn "sport = :$1" | grep -q .; then return 0; fi
        sleep 0.05
    done
    die "nothing listens on port $1 (see logs in $TMP)"
}

# ---- network ------------------------------------------------------------------------
veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

# ---- test account -------------------------------------------------------------------
if getent passwd "$USER_NAME" >/dev/null; then
    die "user $USER_NAME already exists"
fi
useradd -m -d "$TMP/home" -s /bin/bash "$USER_NAME" >/dev/null
USER_CREATED=1
echo "$USER_NAME:$PASS" | chpasswd
touch "$TMP/home/.hushlogin"  # keeps the session output short; prompt still appears
chown "$USER_NAME:" "$TMP/home/.hushlogin"
mkdir -p "$TMP/client-home"

# ---- vsftpd -------------------------------------------------------------------------
mkdir -p "$TMP/vsftpd/empty" "$TMP/vsftpd/anon"
echo "hello from the anonymous area" > "$TMP/vsftpd/anon/README"
cat > "$TMP/vsftpd/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$SRV_IP
background=NO
local_enable=YES
anonymous_enable=YES
anon_root=$TMP/vsftpd/anon
no_anon_password=NO
write_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=$TMP/vsftpd/empty
xferlog_enable=NO
dual_log_enable=NO
vsftpd_log_file=$TMP/vsftpd/vsftpd.log
ssl_enable=NO
pasv_enable=YES
EOF
ip netns exec "$NS_S" vsftpd "$TMP/vsftpd/vsftpd.conf" >"$TMP/vsftpd/stdout" 2>&1 &
PIDS+=($!)

# ---- dovecot (POP3) -----------------------------------------------------------------
mkdir -p "$TMP/dovecot/run" "$TMP/dovecot/state" "$TMP/mail"
chown "$USER_NAME:" "$TMP/mail"
# A plaintext passdb: dovecot offers APOP only when it can read the password itself.
echo "$USER_NAME:{PLAIN}$PASS" > "$TMP/dovecot/passwd"
chgrp dovecot "$TMP/dovecot/passwd"
chmod 640 "$TMP/dovecot/passwd"
cat > "$TMP/dovecot/dovecot.conf" <<EOF
protocols = pop3
listen = $SRV_IP
base_dir = $TMP/dovecot/run
state_dir = $TMP/dovecot/state
instance_name = plainsight-e2e-$$
log_path = $TMP/dovecot/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login apop
mail_location = maildir:$TMP/mail/%u
passdb {
  driver = passwd-file
  args = $TMP/dovecot/passwd
}
userdb {
  driver = static
  args = uid=$USER_NAME gid=$USER_NAME home=$TMP/mail/%u
}
EOF
ip netns exec "$NS_S" dovecot -F -c "$TMP/dovecot/dovecot.conf" >"$TMP/dovecot/stdout" 2>&1 &
PIDS+=($!)

# ---- inetd + telnetd ----------------------------------------------------------------
mkdir -p "$TMP/inetd"
# Debian's telnetd ignores environment variables from clients (CVE-2026-24061 fix) unless
# --accept-env lists them (older ones, without the option, take USER anyway): accept USER
# so that "telnet -l" gives a login that asks only for the password.
TELNETD_ARGS=""
if "$TELNETD" --help 2>&1 | grep -q -- --accept-env; then
    TELNETD_ARGS="--accept-env=USER"
fi
cat > "$TMP/inetd/inetd.conf" <<EOF
$SRV_IP:telnet stream tcp nowait root $TELNETD telnetd $TELNETD_ARGS
EOF
ip netns exec "$NS_S" inetutils-inetd -d -p "$TMP/inetd/inetd.pid" "$TMP/inetd/inetd.conf" \
    >"$TMP/inetd/stdout" 2>&1 &
PIDS+=($!)

wait_listen 21
wait_listen 110
wait_listen 23

# ---- capture ------------------------------------------------------------------------
# -Z root: tcpdump would otherwise open the file as user tcpdump, who cannot write here.
# --immediate-mode: without it the kernel hands packets over a block at a time (up to a
# second late), and the last block is lost when tcpdump stops.
ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
for _ in $(seq 100); do
    grep -q "listening on" "$TMP/tcpdump.err" 2>/dev/null && break
    sleep 0.05
done
grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start: $(cat "$TMP/tcpdump.err")"

# With PLAINSIGHT_LIVE (the binary), plainsight also watches the veth live, as a user
# would run it: findings to a file (mode 0600, opened before it drops root to nobody),
# the packets of every flow with a finding to an evidence capture. It is stopped with
# SIGINT after the clients, like tcpdump.
LIVE=""
if [ -n "${PLAINSIGHT_LIVE:-}" ]; then
    ip netns exec "$NS_S" "$PLAINSIGHT_LIVE" live -i vsrv --format jsonl --reveal \
        -o "$TMP/live.jsonl" --write-evidence "$TMP/live-evidence.pcap" -Z nobody \
        --stats-interval 5 >"$TMP/live.out" 2>"$TMP/live.err" &
    LIVE=$!
    PIDS+=($LIVE)
    for _ in $(seq 100); do
        grep -q "capturing on vsrv" "$TMP/live.err" 2>/dev/null && break
        sleep 0.05
    done
    grep -q "capturing on vsrv as user nobody" "$TMP/live.err" ||
        die "plainsight live did not start: $(cat "$TMP/live.err")"
fi

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

# ---- FTP clients --------------------------------------------------------------------
client "ftp curl success" 0 curl -sS --user "$USER_NAME:$PASS" "ftp://$SRV_IP/"
client "ftp curl failure" 67 curl -sS --user "$USER_NAME:$FTP_WRONG" "ftp://$SRV_IP/"
client "ftp curl anonymous" 0 curl -sS "ftp://$SRV_IP/README"
grep -q "anonymous area" "$TMP/client.out" || die "anonymous download failed"
client "ftp lftp success" 0 lftp -c "set net:max-retries 1; open -u '$USER_NAME','$PASS' ftp://$SRV_IP; cls -a"

# ---- POP3 clients -------------------------------------------------------------------
client "pop3 curl AUTH PLAIN success" 0 curl -sS -v --user "$USER_NAME:$PASS" "pop3://$SRV_IP/"
grep -q '^> AUTH PLAIN' "$TMP/client.err" || die "curl did not use AUTH PLAIN"
client "pop3 curl AUTH PLAIN failure" 67 curl -sS -v --user "$USER_NAME:$POP_WRONG" "pop3://$SRV_IP/"
grep -q '^> AUTH PLAIN' "$TMP/client.err" || die "curl did not use AUTH PLAIN"
client "pop3 curl AUTH LOGIN success" 0 curl -sS -v --login-options AUTH=LOGIN \
    --user "$USER_NAME:$PASS" "pop3://$SRV_IP/"
grep -q '^> AUTH LOGIN' "$TMP/client.err" || die "curl did not use AUTH LOGIN"

# The APOP timestamp of a greeting as a client logged it (curl -v: "< +OK ... <ts>",
# fetchmail -v: "fetchmail: POP3< +OK ... <ts>").
greeting_timestamp() {
    grep -m1 -E '(^< |POP3< )\+OK' "$TMP/client.err" "$TMP/client.out" 2>/dev/null |
        grep -oE '<[^<>]+@[^<>]+>' | head -n1
}

client "pop3 curl APOP failure" 67 curl -sS -v --login-options AUTH=+APOP \
    --user "$USER_NAME:$POP_WRONG" "pop3://$SRV_IP/"
grep -q '^> APOP ' "$TMP/client.err" || die "curl did not use APOP"
ts=$(greeting_timestamp) || true
[ -n "$ts" ] || die "no APOP timestamp in curl's greeting"
echo "truth apop failure $ts"

# fetchmail reads the password from its run control file (0600, owned by the caller).
# sslproto '': without it fetchmail 6.4 sends STLS even when the server does not offer
# it, and gives up when that fails (ssl = no here).
fetchmail_rc() {
    cat > "$TMP/fetchmailrc" <<EOF
set no syslog
poll $SRV_IP protocol $1 $2 port 110
    user "$USER_NAME" password "$PASS" sslproto ''
EOF
    chmod 600 "$TMP/fetchmailrc"
}
# --check: log in, count the messages, log out (exit 1: no mail).
fetchmail_rc pop3 "auth password"
client "pop3 fetchmail USER/PASS success" "0 1" fetchmail -v --check --nosyslog \
    -f "$TMP/fetchmailrc" -i "$TMP/fetchmail.ids" --pidfile "$TMP/fetchmail.pid"
grep -q 'POP3> PASS' "$TMP/client.err" "$TMP/client.out" || die "fetchmail did not use USER/PASS"
fetchmail_rc apop ""
client "pop3 fetchmail APOP success" "0 1" fetchmail -v --check --nosyslog \
    -f "$TMP/fetchmailrc" -i "$TMP/fetchmail.ids" --pidfile "$TMP/fetchmail.pid"
grep -q 'POP3> APOP' "$TMP/client.err" "$TMP/client.out" || die "fetchmail did not use APOP"
ts=$(greeting_timestamp) || true
[ -n "$ts" ] || die "no APOP timestamp in fetchmail's greeting"
echo "truth apop success $ts"

# ---- Telnet -------------------------------------------------------------------------
# One keystroke per write, so that the client (in character mode) sends one per segment.
cat > "$TMP/telnet.exp" <<'EOF'
set user [lindex $argv 0]
set good [lindex $argv 1]
set wrong [lindex $argv 2]
set srv [lindex $argv 3]
set telnet [lindex $argv 4]
set timeout 20
proc type {s} {
    foreach c [split $s ""] {
        send -- $c
        after 40
    }
}
proc must {pattern what} {
    expect {
        -re $pattern {}
        timeout { puts stderr "telnet.exp: timeout waiting for $what"; exit 2 }
        eof { puts stderr "telnet.exp: eof waiting for $what"; exit 2 }
    }
}
# -K: send no user name through NEW-ENVIRON, so that login asks "login:".
spawn $telnet -K $srv
must {login: $} "the first login prompt"
type "$user\r"
must {Password: ?$} "the first password prompt"
type "$wrong\r"
must {Login incorrect} "Login incorrect"
must {login: $} "the second login prompt"
type "$user\r"
must {Password: ?$} "the second password prompt"
# A typo corrected with backspace (DEL, the pty's erase character).
type "[string range $good 0 end-1]X\x7f[string index $good end]\r"
must {\$ $} "the shell prompt"
type "exit\r"
expect eof
wait
# -l: the user name travels in NEW-ENVIRON USER, telnetd passes it to login, which asks
# only for the password. (Should a telnetd not pass it on, login asks "login:" first:
# the same name is typed then.)
spawn $telnet -l $user $srv
expect {
    -re {login: $} { type "$user\r"; must {Password: ?$} "the password prompt (-l session)" }
    -re {Password: ?$} {}
    timeout { puts stderr "telnet.exp: timeout waiting for a prompt (-l session)"; exit 2 }
    eof { puts stderr "telnet.exp: eof waiting for a prompt (-l session)"; exit 2 }
}
type "$good\r"
must {\$ $} "the shell prompt (-l session)"
type "exit\r"
expect eof
wait
EOF
client "telnet" 0 expect -f "$TMP/telnet.exp" "$USER_NAME" "$PASS" "$TELNET_WRONG" "$SRV_IP" "$TELNET"
cp "$TMP/client.out" "$TMP/telnet.transcript"

# ---- stop the capture ---------------------------------------------------------------
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
if [ -n "$LIVE" ]; then
    kill -INT "$LIVE"
    live_status=0
    wait "$LIVE" || live_status=$?
    log "plainsight live: exit status $live_status; $(tr '\n' ' ' < "$TMP/live.err")"
    cp "$TMP/live.jsonl" "$OUT.live.jsonl"
    cp "$TMP/live.err" "$OUT.live.err"
    cp "$TMP/live-evidence.pcap" "$OUT.live-evidence.pcap"
    echo "live status $live_status"
fi
stats=$(tr '\n' ' ' < "$TMP/tcpdump.err")
log "tcpdump: ${stats#*listening on vsrv*bytes }"
# Every packet the kernel passed to tcpdump must be in the file.
captured=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$TMP/tcpdump.err")
received=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter$/\1/p' "$TMP/tcpdump.err")
[ -n "$captured" ] && [ "$captured" = "$received" ] ||
    die "incomplete capture: $captured packets captured, $received received by filter"

# Character mode: the keystrokes travel one per segment. Checked two ways on the client's
# Telnet segments: most of the characters typed at the prompts (user names, passwords,
# Enters) went as one-byte segments, and no segment holds a whole password (line mode
# would send each line at once).
typed=$(( 2 * (${#USER_NAME} + 1) + ${#TELNET_WRONG} + 1 + ${#PASS} + 3 + ${#PASS} + 1 ))
singles=$(tcpdump -r "$TMP/capture.pcap" -nn "src host $CLI_IP and tcp dst port 23" 2>/dev/null |
    grep -c ', length 1$' || true)
whole=$(tcpdump -r "$TMP/capture.pcap" -nn -A "src host $CLI_IP and tcp dst port 23" 2>/dev/null |
    grep -cF -e "$PASS" -e "$TELNET_WRONG" || true)
if [ "$singles" -lt $(( typed / 2 )) ] || [ "$whole" -ne 0 ]; then
    die "telnet does not look like character mode: $singles one-byte segments for" \
        "$typed keystrokes, $whole segments holding a whole password"
fi
log "telnet: $singles one-byte client segments for $typed keystrokes at the prompts"

cp "$TMP/capture.pcap" "$OUT"
