#!/bin/bash
# End-to-end DRDA for plainsight: Apache Derby's network server and its own JDBC client
# (ij with derbyclient), real Java peers speaking DRDA as Db2's do, a real capture.
#
#   tests/e2e/real-drda.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.247.0.1/24, client side 10.247.0.2/24) and touches no other interface or address.
# Two Derby network servers (BUILTIN users, authentication required) listen on 1527,
# Derby's port, and on 15270 (found by content). ij runs one script:
#
#   1  1527   alice / $ALICE_PW                       (USRIDPWD)
#   2  1527   CALL SYSCS_SET_DATABASE_PROPERTY('derby.user.carol', '$CAROL_PW')
#   3  1527   CALL SYSCS_CREATE_USER('dave', '$DAVE_PW')   refused: 4251K
#   4  1527   bob / $WRONG                            refused: 08004
#   5  15270  bob / $BOB_PW                           (USRIDPWD)
#   6  15270  alice / $ALICE_PW with securityMechanism=8 (USRSSBPWD: no password on the wire)
#
# It prints "truth <n> OK" or "truth <n> ERROR <SQLSTATE>" for each, as ij reported it.
# Everything it started is stopped, and the namespaces and the temporary directory
# removed, on any exit.
set -euo pipefail

ALICE_PW='Derby-Al1ce!'
BOB_PW='B0b-Derby-26'
WRONG='Wr0ng-Derby'
CAROL_PW='Car0l-Prop-7'
DAVE_PW='Dav3-Native-8'
SRV_IP=10.247.0.1
CLI_IP=10.247.0.2
JARS=/usr/share/java
CP="$JARS/derby.jar:$JARS/derbynet.jar:$JARS/derbytools.jar:$JARS/derbyclient.jar"

OUT=${1:?usage: real-drda.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump java; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
for j in derby derbynet derbytools derbyclient; do
    [ -r "$JARS/$j.jar" ] || die "missing $JARS/$j.jar (libderby-java, libderbyclient-java, derby-tools)"
done

NS_S=plainsight-drs-$$
NS_C=plainsight-drc-$$
TMP=$(mktemp -d /tmp/plainsight-drda.XXXXXX)
PIDS=()
E2E_LOGS=("$TMP/server-1527.log" "$TMP/server-15270.log" "$TMP/ij.out")

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

for port in 1527 15270; do
    mkdir -p "$TMP/home-$port"
    cat >"$TMP/home-$port/derby.properties" <<PROPS
derby.connection.requireAuthentication=true
derby.authentication.provider=BUILTIN
derby.user.alice=$ALICE_PW
derby.user.bob=$BOB_PW
PROPS
    ip netns exec "$NS_S" java -Xmx256m -Dderby.system.home="$TMP/home-$port" -cp "$CP" \
        org.apache.derby.drda.NetworkServerControl start -h "$SRV_IP" -p "$port" \
        >"$TMP/server-$port.log" 2>&1 &
    PIDS+=($!)
done
for port in 1527 15270; do
    wait_for grep -q "ready to accept connections" "$TMP/server-$port.log" \
        || die "Derby did not start on $port: $(cat "$TMP/server-$port.log")"
done

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    tcp port 1527 or tcp port 15270 >/dev/null 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

URL1="jdbc:derby://$SRV_IP:1527/auditdb"
URL2="jdbc:derby://$SRV_IP:15270/otherdb"
cat >"$TMP/script.sql" <<SQL
connect '$URL1;create=true;user=alice;password=$ALICE_PW';
CALL SYSCS_UTIL.SYSCS_SET_DATABASE_PROPERTY('derby.user.carol', '$CAROL_PW');
CALL SYSCS_UTIL.SYSCS_CREATE_USER('dave', '$DAVE_PW');
disconnect;
connect '$URL1;user=bob;password=$WRONG';
connect '$URL2;create=true;user=bob;password=$BOB_PW';
disconnect;
connect '$URL2;user=alice;password=$ALICE_PW;securityMechanism=8';
disconnect all;
exit;
SQL
# (From the temporary directory: ij writes its derby.log where it runs.)
(cd "$TMP" && exec ip netns exec "$NS_C" timeout 120 java -Xmx256m -cp "$CP" \
    org.apache.derby.tools.ij "$TMP/script.sql") >"$TMP/ij.out" 2>&1 \
    || die "ij failed: $(cat "$TMP/ij.out")"

# ij echoes each statement after its prompt; what follows it, up to the next prompt, is
# its result.
awk '
    /^ij> / { if (n) report(); n++; err = ""; next }
    /^ERROR / { if (err == "") { err = $2; sub(":", "", err) } }
    function report() { if (err == "") print "truth " n " OK"; else print "truth " n " ERROR " err }
' "$TMP/ij.out" | awk '
    # Keep the six statements the header lists: connects and CALLs, not disconnects.
    { lines[++k] = $0 }
    END { split("1 2 3 5 6 8", keep, " "); for (i = 1; i <= 6; i++) { $0 = lines[keep[i]]; $2 = i; print } }
'

for _ in 1 2 3; do
    wait_for captured_fins "$TMP/capture.pcap" 4 && break
done
capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
