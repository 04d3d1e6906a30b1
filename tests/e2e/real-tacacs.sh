#!/bin/bash
# End-to-end TACACS+ traffic for plainsight: a real client, a real capture, on the
# loopback interface only.
#
#   tests/e2e/real-tacacs.sh OUT.pcap
#
# Must run as root (tcpdump on lo). The client is Authen::TacacsPlus (Debian's
# libauthen-tacacsplus-perl, the tac_plus client library); it talks to
# tests/e2e/tacacs-server.py, a small RFC 8907 server listening on 127.0.0.1:<free port>
# (not 49: TACACS+ is found by its content), sharing the key $KEY. One connection after
# another, bodies encrypted with the key:
#
#   1 PAP    $TAC_USER / $TAC_PASS   -> PASS
#   2 PAP    $TAC_USER / $TAC_WRONG  -> FAIL
#   3 ASCII  $TAC_USER / $TAC_PASS   -> GETUSER and GETPASS prompts, then PASS
#
# It prints "port <port>" and "truth <n> <0|1>" (what the client's authen returned) on
# standard output. Everything it started is stopped on any exit.
set -euo pipefail

KEY='k3y-Shared-tac'
TAC_USER='netops'
TAC_PASS='Rout3r!pw'
TAC_WRONG='tac-Wr0ng'

OUT=${1:?usage: real-tacacs.sh OUT.pcap}
HERE=$(cd "$(dirname "$0")" && pwd)
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump python3 perl ss; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
perl -MAuthen::TacacsPlus -e 1 2>/dev/null || die "missing Perl module Authen::TacacsPlus"

TMP=$(mktemp -d /tmp/plainsight-tacacs.XXXXXX)
PIDS=()
cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    [ "$rc" -ne 0 ] && [ -s "$TMP/server.err" ] && tail -n 20 "$TMP/server.err" >&2
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(free_port)

python3 "$HERE/tacacs-server.py" "$PORT" "$KEY" "$TAC_USER" "$TAC_PASS" "$TMP/ready" \
    2>"$TMP/server.err" &
PIDS+=($!)
wait_for test -s "$TMP/ready" || die "the TACACS+ server did not start"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" "tcp port $PORT" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

echo "port $PORT"
perl -MAuthen::TacacsPlus -e '
    my ($port, $key, $user, @logins) = @ARGV;
    my $n = 0;
    while (my ($type, $pass) = splice(@logins, 0, 2)) {
        $n++;
        my $t = $type eq "pap" ? &Authen::TacacsPlus::TAC_PLUS_AUTHEN_TYPE_PAP
                               : &Authen::TacacsPlus::TAC_PLUS_AUTHEN_TYPE_ASCII;
        my $tac = Authen::TacacsPlus->new(Host => "127.0.0.1", Key => $key, Port => $port,
                                          Timeout => 5)
            or die "connect: " . Authen::TacacsPlus::errmsg() . "\n";
        my $r = $tac->authen($user, $pass, $t);
        print "truth $n ", ($r ? 1 : 0), "\n";
        $tac->close();
    }' "$PORT" "$KEY" "$TAC_USER" pap "$TAC_PASS" pap "$TAC_WRONG" ascii "$TAC_PASS"

# Three connections, each closed by both sides.
wait_for captured_fins "$OUT" 6 || die "the capture lacks the connections' ends"
capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
