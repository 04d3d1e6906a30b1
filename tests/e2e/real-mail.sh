#!/bin/bash
# End-to-end mail traffic for plainsight: real IMAP and SMTP servers, real clients, a real
# capture.
#
#   tests/e2e/real-mail.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.214.0.1/24, client side 10.214.0.2/24) and touches no other interface or address.
# In the server namespace it starts, from configuration files written to a temporary
# directory:
#
#   dovecot  IMAP on port 143: a passwd-file user, plaintext LOGIN and AUTHENTICATE
#            PLAIN/LOGIN and SCRAM-SHA-1/SCRAM-SHA-256 allowed without TLS, and STARTTLS (a self-signed certificate
#            made here with openssl);
#   exim     SMTP on port 25 and port 587, AUTH PLAIN and AUTH LOGIN (plaintext
#            authenticators) offered on both; STARTTLS offered on port 25 only, so that
#            port 587 offers password AUTH with no STARTTLS. Accepted mail is only queued
#            in the temporary spool, never delivered;
#
# and tcpdump on the veth. No system account is created (dovecot's mail processes run
# as nobody; exim's users live in its configuration). From the client namespace it then
# logs in with real clients, one connection after another, in this order (each client's
# own log, curl -v or fetchmail -v, is checked for the command each login used):
#
#   IMAP   1 fetchmail LOGIN                        $MAIL_USER / $PASS       -> OK (success)
#          2 curl AUTHENTICATE PLAIN (AUTH=PLAIN)   $MAIL_USER / $PASS       -> OK (success)
#         2b gsasl AUTHENTICATE SCRAM-SHA-256       $MAIL_USER / $PASS       -> OK (success)
#          3 curl STARTTLS (--ssl-reqd), then a login $MAIL_USER / $PASS     -> no finding
#          4 fetchmail LOGIN                        $MAIL_USER / $IMAP_WRONG -> NO (failure)
#         4b gsasl AUTHENTICATE SCRAM-SHA-1         $MAIL_USER / $IMAP_WRONG -> NO (failure)
#   SMTP   port 25 (EHLO offers STARTTLS and AUTH PLAIN LOGIN):
#          5 AUTH LOGIN, then a message             $MAIL_USER / $PASS       -> 235 (success)
#          6 AUTH LOGIN                             $MAIL_USER / $SMTP_WRONG -> 535 (failure)
#          7 AUTH PLAIN, then a message             $MAIL_USER / $PASS       -> 235 (success)
#          8 AUTH PLAIN                             $MAIL_USER / $SMTP_WRONG -> 535 (failure)
#          port 587 (EHLO offers AUTH PLAIN LOGIN, no STARTTLS):
#          9 AUTH PLAIN with an initial response (--sasl-ir), then a message
#                                                   $MAIL_USER / $PASS       -> 235 (success)
#         10 AUTH LOGIN                             $MAIL_USER / $SMTP_WRONG -> 535 (failure)
#          port 25 again:
#         11 STARTTLS (--ssl-reqd), then AUTH PLAIN $MAIL_USER / $PASS       -> no finding
#
# IMAP LOGIN comes from fetchmail ("auth password"): curl sends LOGIN only when the server
# offers no SASL mechanism it knows, and its AUTH=+LOGIN option (which forces LOGIN) is
# newer than Debian 12's curl 7.88.
#
# Each message (5, 7, 9, 11) has a body with a lone "." line (sent dot-stuffed as "..")
# and a line "AUTH PLAIN <base64 of a decoy user and password>": mail text, not a command.
# The script checks that exim queued the four messages with that line in them.
#
# Everything the script started is stopped, and the namespaces and the temporary
# directory are removed, on any exit (E2E_KEEP=1 keeps the temporary directory).
set -euo pipefail

MAIL_USER='alice@example.test'
# A space and double quotes: IMAP LOGIN must carry it as a quoted string with \" escapes.
PASS='Corr3ct "Horse" st@ple!'
IMAP_WRONG='imap Wr0ng'
SMTP_WRONG='smtp-Wr0ng'
# The decoy credential in the mail bodies ("\0decoy@example.test\0decoy-Pa55").
DECOY_B64='AGRlY295QGV4YW1wbGUudGVzdABkZWNveS1QYTU1'

OUT=${1:?usage: real-mail.sh OUT.pcap}
SRV_IP=10.214.0.1
CLI_IP=10.214.0.2

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump dovecot exim curl fetchmail gsasl openssl ss md5sum; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
[ -x /usr/lib/dovecot/imap ] || die "missing dovecot's IMAP server (package dovecot-imapd)"
EXIM_USER=Debian-exim
getent passwd "$EXIM_USER" >/dev/null || die "no $EXIM_USER account (package exim4-base)"

NS_S=plainsight-mail-srv-$$
NS_C=plainsight-mail-cli-$$
TMP=$(mktemp -d /tmp/plainsight-mail.XXXXXX)
chmod 755 "$TMP"  # the servers' unprivileged processes must reach their files
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/dovecot/stdout "$TMP"/dovecot/dovecot.log "$TMP"/exim/stdout \
            "$TMP"/exim/log/mainlog "$TMP"/exim/log/paniclog "$TMP"/exim/log/rejectlog \
            "$TMP"/tcpdump.err; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    # Every process we started, then anything still living in our namespaces (dovecot's
    # and exim's children: all started by this script).
    netns_stop "${PIDS[@]}" -- "$NS_C" "$NS_S"
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
mkdir -p "$TMP/client-home"

# ---- TLS certificate (both servers) -------------------------------------------------
mkdir -p "$TMP/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=mail.example.test" -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" \
    >"$TMP/tls/openssl.out" 2>&1 || die "openssl: $(cat "$TMP/tls/openssl.out")"
# exim's receiving processes run as $EXIM_USER.
chgrp "$EXIM_USER" "$TMP/tls/key.pem"
chmod 640 "$TMP/tls/key.pem"

# ---- dovecot (IMAP) -----------------------------------------------------------------
mkdir -p "$TMP/dovecot/run" "$TMP/dovecot/state" "$TMP/mail"
chown nobody:nogroup "$TMP/mail"
echo "$MAIL_USER:{PLAIN}$PASS" > "$TMP/dovecot/passwd"
chgrp dovecot "$TMP/dovecot/passwd"
chmod 640 "$TMP/dovecot/passwd"
# ssl = yes with disable_plaintext_auth = no: port 143 offers STARTTLS and also takes
# LOGIN and AUTHENTICATE PLAIN in the clear. No imaps listener.
cat > "$TMP/dovecot/dovecot.conf" <<EOF
protocols = imap
listen = $SRV_IP
base_dir = $TMP/dovecot/run
state_dir = $TMP/dovecot/state
instance_name = plainsight-mail-$$
log_path = $TMP/dovecot/dovecot.log
ssl = yes
ssl_cert = <$TMP/tls/cert.pem
ssl_key = <$TMP/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login scram-sha-1 scram-sha-256
auth_failure_delay = 0
mail_location = maildir:$TMP/mail/%u
passdb {
  driver = passwd-file
  args = $TMP/dovecot/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$TMP/mail/%u
}
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
ip netns exec "$NS_S" dovecot -F -c "$TMP/dovecot/dovecot.conf" >"$TMP/dovecot/stdout" 2>&1 &
PIDS+=($!)

# ---- exim (SMTP) --------------------------------------------------------------------
mkdir -p "$TMP/exim/spool" "$TMP/exim/log"
chown "$EXIM_USER:" "$TMP/exim/spool" "$TMP/exim/log"
PASS_MD5=$(printf '%s' "$PASS" | md5sum | cut -d' ' -f1)
# (\$ is exim's: the heredoc expands only the script's own variables.) The password is
# compared through its MD5, which keeps its quotes and spaces out of exim's expansion
# syntax. No DNS anywhere: the namespace has none.
cat > "$TMP/exim/exim.conf" <<EOF
keep_environment =
primary_hostname = mail.example.test
qualify_domain = example.test
spool_directory = $TMP/exim/spool
log_file_path = $TMP/exim/log/%slog
pid_file_path = $TMP/exim/exim.pid
local_interfaces = $SRV_IP
daemon_smtp_ports = 25 : 587
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
tls_certificate = $TMP/tls/cert.pem
tls_privatekey = $TMP/tls/key.pem
# STARTTLS on port 25 only: port 587 then offers password AUTH in the clear.
tls_advertise_hosts = \${if eq{\$received_port}{25}{*}{}}
auth_advertise_hosts = *
queue_only = true
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  accept authenticated = *
  deny   message = authentication required

begin routers
discard:
  driver = redirect
  data = :blackhole:

begin transports

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{$MAIL_USER}}{eq{\${md5:\$auth3}}{$PASS_MD5}}}}
  server_set_id = \$auth2
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = \${if and {{eq{\$auth1}{$MAIL_USER}}{eq{\${md5:\$auth2}}{$PASS_MD5}}}}
  server_set_id = \$auth1
EOF
ip netns exec "$NS_S" exim -C "$TMP/exim/exim.conf" -bdf >"$TMP/exim/stdout" 2>&1 &
PIDS+=($!)

wait_listen 143
wait_listen 25
wait_listen 587

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

# Runs a client, requiring its exit status to be one of the listed ones.
client() {
    local what=$1 ok=$2 rc=0
    shift 2
    in_cli timeout 30 "$@" >"$TMP/client.out" 2>"$TMP/client.err" </dev/null || rc=$?
    # "failure": any status but 0 and timeout's 124.
    [ "$ok" = failure ] && [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && ok=$rc
    case " $ok " in
    *" $rc "*) log "$what: exit $rc" ;;
    *)
        cat "$TMP/client.out" "$TMP/client.err" >&2
        die "$what: exit status $rc, wanted one of: $ok"
        ;;
    esac
}

# Requires a line of curl -v's log (client.err) to match the extended regex $1 (the log's
# lines end in CR; it is removed first).
sent() {
    tr -d '\r' <"$TMP/client.err" | grep -qE "$1" || {
        cat "$TMP/client.err" >&2
        die "$2"
    }
}
not_sent() {
    if tr -d '\r' <"$TMP/client.err" | grep -qE "$1"; then
        cat "$TMP/client.err" >&2
        die "$2"
    fi
}

# ---- IMAP clients -------------------------------------------------------------------
IMAP_URL="imap://$SRV_IP/"
# fetchmail reads the password from its run control file (0600, owned by the caller; a
# single-quoted string there keeps the double quotes). sslproto '': no STARTTLS.
fetchmail_imap() {
    local password=$1
    cat > "$TMP/fetchmailrc" <<EOF
set no syslog
poll $SRV_IP protocol imap auth password port 143
    user "$MAIL_USER" password '$password' sslproto ''
EOF
    chmod 600 "$TMP/fetchmailrc"
}
# --check: log in, count the messages, log out (exit 1: no mail; 3: authentication failed).
fetchmail_imap "$PASS"
client "imap fetchmail LOGIN success" "0 1" fetchmail -v --check --nosyslog \
    -f "$TMP/fetchmailrc" -i "$TMP/fetchmail.ids" --pidfile "$TMP/fetchmail.pid"
cat "$TMP/client.out" >> "$TMP/client.err"
sent '^fetchmail: IMAP> [A-Z0-9]+ LOGIN ' "fetchmail did not use LOGIN"
sent '^fetchmail: IMAP< [A-Z0-9]+ OK .*Logged in' "dovecot did not accept the LOGIN"
not_sent 'IMAP> [A-Z0-9]+ (AUTHENTICATE|STARTTLS)' "fetchmail used AUTHENTICATE or STARTTLS"
client "imap AUTHENTICATE PLAIN success" 0 curl -sS -v --login-options 'AUTH=PLAIN' \
    --user "$MAIL_USER:$PASS" "$IMAP_URL"
sent '^> [A-Z0-9]+ AUTHENTICATE PLAIN' "curl did not use AUTHENTICATE PLAIN"
# gsasl (GNU SASL): AUTHENTICATE with the mechanism named, no STARTTLS; it logs out once
# the server has answered. Its arguments: the mechanism and the password.
GSASL_IMAP=(gsasl --connect="$SRV_IP:143" --imap --no-starttls --verbose -a "$MAIL_USER")
client "imap AUTHENTICATE SCRAM-SHA-256 success" 0 "${GSASL_IMAP[@]}" -m SCRAM-SHA-256 \
    -p "$PASS"
cat "$TMP/client.out" >> "$TMP/client.err"
sent 'AUTHENTICATE SCRAM-SHA-256' "gsasl did not use AUTHENTICATE SCRAM-SHA-256"
sent '^[A-Z0-9.]+ OK ' "dovecot did not accept the SCRAM-SHA-256 login"
client "imap STARTTLS" 0 curl -sS -v -k --ssl-reqd --user "$MAIL_USER:$PASS" "$IMAP_URL"
sent '^> [A-Z0-9]+ STARTTLS' "curl did not use STARTTLS"
sent '^\* (SSL|TLS) connection using' "curl did not negotiate TLS"
sent '^> [A-Z0-9]+ (AUTHENTICATE|LOGIN) ' "curl did not log in after STARTTLS"
fetchmail_imap "$IMAP_WRONG"
client "imap fetchmail LOGIN failure" 3 fetchmail -v --check --nosyslog \
    -f "$TMP/fetchmailrc" -i "$TMP/fetchmail.ids" --pidfile "$TMP/fetchmail.pid"
cat "$TMP/client.out" >> "$TMP/client.err"
sent '^fetchmail: IMAP> [A-Z0-9]+ LOGIN ' "fetchmail did not use LOGIN"
sent '^fetchmail: IMAP< [A-Z0-9]+ NO ' "dovecot did not refuse the wrong password with NO"
not_sent 'IMAP> [A-Z0-9]+ (AUTHENTICATE|STARTTLS)' "fetchmail used AUTHENTICATE or STARTTLS"
client "imap AUTHENTICATE SCRAM-SHA-1 failure" failure "${GSASL_IMAP[@]}" -m SCRAM-SHA-1 \
    -p "$IMAP_WRONG"
cat "$TMP/client.out" >> "$TMP/client.err"
sent 'AUTHENTICATE SCRAM-SHA-1' "gsasl did not use AUTHENTICATE SCRAM-SHA-1"
sent '^[A-Z0-9.]+ NO ' "dovecot did not refuse the wrong SCRAM-SHA-1 proof with NO"

# ---- SMTP clients -------------------------------------------------------------------
MESSAGE="$TMP/message.eml"
{
    printf 'From: %s\r\nTo: bob@example.test\r\nSubject: plainsight e2e\r\n\r\n' "$MAIL_USER"
    printf 'The next lines are mail text, not commands:\r\n'
    printf '.\r\n'
    printf 'AUTH PLAIN %s\r\n' "$DECOY_B64"
    printf 'Bye.\r\n'
} > "$MESSAGE"

# smtp PORT WHAT EXIT [curl options...]: a message to bob, from and as $MAIL_USER.
smtp() {
    local port=$1 what=$2 ok=$3
    shift 3
    client "$what" "$ok" curl -sS -v "$@" --mail-from "$MAIL_USER" \
        --mail-rcpt bob@example.test -T "$MESSAGE" "smtp://$SRV_IP:$port/client.example.test"
}
# The EHLO reply: STARTTLS offered (port 25) or not (587), AUTH PLAIN LOGIN offered.
offers() {
    sent '^< 250[ -]AUTH( [A-Z0-9-]+)* PLAIN' "AUTH PLAIN not offered"
    sent '^< 250[ -]AUTH( [A-Z0-9-]+)* LOGIN' "AUTH LOGIN not offered"
    if [ "$1" = starttls ]; then
        sent '^< 250[ -]STARTTLS' "STARTTLS not offered"
    else
        not_sent '^< 250[ -]STARTTLS' "STARTTLS offered"
    fi
}

smtp 25 "smtp 25 AUTH LOGIN success" 0 --login-options 'AUTH=LOGIN' --user "$MAIL_USER:$PASS"
offers starttls
sent '^> AUTH LOGIN$' "curl did not use AUTH LOGIN"
sent '^< 235 ' "exim did not accept AUTH LOGIN"
sent '^< 354 ' "no DATA"
smtp 25 "smtp 25 AUTH LOGIN failure" 67 --login-options 'AUTH=LOGIN' \
    --user "$MAIL_USER:$SMTP_WRONG"
sent '^> AUTH LOGIN$' "curl did not use AUTH LOGIN"
sent '^< 535 ' "exim did not refuse AUTH LOGIN"
smtp 25 "smtp 25 AUTH PLAIN success" 0 --login-options 'AUTH=PLAIN' --user "$MAIL_USER:$PASS"
sent '^> AUTH PLAIN$' "curl did not use AUTH PLAIN (without an initial response)"
sent '^< 235 ' "exim did not accept AUTH PLAIN"
sent '^< 354 ' "no DATA"
smtp 25 "smtp 25 AUTH PLAIN failure" 67 --login-options 'AUTH=PLAIN' \
    --user "$MAIL_USER:$SMTP_WRONG"
sent '^> AUTH PLAIN$' "curl did not use AUTH PLAIN"
sent '^< 535 ' "exim did not refuse AUTH PLAIN"
smtp 587 "smtp 587 AUTH PLAIN (initial response) success" 0 --sasl-ir \
    --login-options 'AUTH=PLAIN' --user "$MAIL_USER:$PASS"
offers clear
sent '^> AUTH PLAIN [A-Za-z0-9+/]+=*$' "curl did not use AUTH PLAIN with an initial response"
sent '^< 235 ' "exim did not accept AUTH PLAIN"
sent '^< 354 ' "no DATA"
smtp 587 "smtp 587 AUTH LOGIN failure" 67 --login-options 'AUTH=LOGIN' \
    --user "$MAIL_USER:$SMTP_WRONG"
offers clear
sent '^> AUTH LOGIN$' "curl did not use AUTH LOGIN"
sent '^< 535 ' "exim did not refuse AUTH LOGIN"
smtp 25 "smtp 25 STARTTLS" 0 -k --ssl-reqd --login-options 'AUTH=PLAIN' \
    --user "$MAIL_USER:$PASS"
sent '^> STARTTLS$' "curl did not use STARTTLS"
sent '^\* (SSL|TLS) connection using' "curl did not negotiate TLS"
sent '^> AUTH PLAIN' "curl did not log in after STARTTLS"

# exim queued the four accepted messages (5, 7, 9, 11), each with the decoy line.
queued=$(grep -l -F "AUTH PLAIN $DECOY_B64" "$TMP"/exim/spool/input/*-D 2>/dev/null | wc -l)
[ "$queued" -eq 4 ] || die "exim queued $queued messages with the decoy line, wanted 4"

# ---- stop the capture ---------------------------------------------------------------
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
stats=$(tr '\n' ' ' < "$TMP/tcpdump.err")
log "tcpdump: ${stats#*listening on vsrv*bytes }"
# Every packet the kernel passed to tcpdump must be in the file, and none dropped.
captured=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$TMP/tcpdump.err")
received=$(sed -n 's/^\([0-9]*\) packets\{0,1\} received by filter$/\1/p' "$TMP/tcpdump.err")
dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$TMP/tcpdump.err")
[ -n "$captured" ] && [ "$captured" = "$received" ] && [ "$dropped" = 0 ] ||
    die "incomplete capture: $captured packets captured, $received received by filter," \
        "$dropped dropped by kernel"

cp "$TMP/capture.pcap" "$OUT"
