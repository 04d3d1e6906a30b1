#!/bin/bash
# End-to-end ZooKeeper logins for plainsight: a real ZooKeeper, real clients, a real capture.
#
#   tests/e2e/real-zookeeper.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (server side
# 10.233.0.1/24, client side 10.233.0.2/24) and touches no other interface or address.
# Debian's ZooKeeper 3.8 (standalone, port 2181) takes SASL logins (DigestLoginModule:
# user $SASL_USER) and has a super user (`superDigest`). Clients:
#
#   1 Kazoo: auth digest $ACL_USER:$PASS, creates /vault with a digest ACL for
#     $ACL_USER:$PASS, reads it                          -> SUCCESS (the read)
#   2 Kazoo: auth digest $ACL_USER:$WRONG, reads /vault  -> FAILURE (NoAuth)
#   3 zkCli (Java), SASL DIGEST-MD5 $SASL_USER / $PASS, ls /    -> SUCCESS
#   4 zkCli (Java), SASL DIGEST-MD5 $SASL_USER / $WRONG, ls /   -> FAILURE (AuthFailed)
#   5 zkCli: addauth digest super:$SUPER_PASS, getAcl /vault, setAcl /vault adding
#     $READER_USER's digest (of $READER_PASS)            -> SUCCESS when getAcl showed it
#
# It prints "truth <n> SUCCESS|FAILURE" for each as the client ended. Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

ACL_USER='zkalice'
SASL_USER='zkbob'
READER_USER='zkcarol'
PASS='Zk-Pw!1'
WRONG='zk-Wr0ng'
SUPER_PASS='Sup3r-zk'
READER_PASS='Carol-Rd1'
SRV_IP=10.233.0.1
CLI_IP=10.233.0.2

OUT=${1:?usage: real-zookeeper.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump java ss openssl base64; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
ZKCLI=/usr/share/zookeeper/bin/zkCli.sh
ZKJAR=/usr/share/java/zookeeper.jar
[ -x "$ZKCLI" ] && [ -f "$ZKJAR" ] || die "missing ZooKeeper (zookeeper)"
/usr/bin/python3 -c 'import kazoo, puresasl' 2>/dev/null \
    || die "missing Kazoo (python3-kazoo, python3-pure-sasl)"

NS_S=plainsight-zks-$$
NS_C=plainsight-zkc-$$
TMP=$(mktemp -d /tmp/plainsight-zookeeper.XXXXXX)
PIDS=()

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$SRV_IP" "$CLI_IP"

# ZooKeeper's digest of user:password, as its DigestAuthenticationProvider makes it.
digest() { printf '%s' "$1:$2" | openssl dgst -sha1 -binary | base64; }

mkdir "$TMP/data"
cat >"$TMP/zoo.cfg" <<CFG
tickTime=2000
dataDir=$TMP/data
clientPort=2181
clientPortAddress=$SRV_IP
admin.enableServer=false
authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider
CFG
cat >"$TMP/server.jaas" <<JAAS
Server {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  user_$SASL_USER="$PASS";
};
JAAS
for which in right:"$PASS" wrong:"$WRONG"; do
    cat >"$TMP/client-${which%%:*}.jaas" <<JAAS
Client {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  username="$SASL_USER"
  password="${which#*:}";
};
JAAS
done

ip netns exec "$NS_S" java -Xmx256m \
    "-Dzookeeper.DigestAuthenticationProvider.superDigest=super:$(digest super "$SUPER_PASS")" \
    "-Djava.security.auth.login.config=$TMP/server.jaas" -cp "/etc/zookeeper/conf:$ZKJAR" \
    org.apache.zookeeper.server.ZooKeeperServerMain "$TMP/zoo.cfg" >"$TMP/server.log" 2>&1 &
PIDS+=($!)
wait_listening "$NS_S" 2181 60

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    tcp >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

kazoo() { # n password
    if ip netns exec "$NS_C" timeout 60 /usr/bin/python3 - "$SRV_IP:2181" "$ACL_USER" "$2" \
        "$PASS" >"$TMP/client-$1.log" 2>&1 <<'PY'
import sys
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl
host, user, password, owner_password = sys.argv[1:]
zk = KazooClient(hosts=host, auth_data=[("digest", f"{user}:{password}")])
zk.start(timeout=30)
try:
    if zk.exists("/vault") is None:
        acl = make_digest_acl(user, owner_password, all=True)
        zk.create("/vault", b"the vault", acl=[acl])
    print(zk.get("/vault")[0])
finally:
    zk.stop()
    zk.close()
PY
    then
        echo "truth $1 SUCCESS"
    else
        echo "truth $1 FAILURE"
    fi
}

zkcli() { # n jaas-file command...
    local n=$1 jaas=$2
    shift 2
    if CLIENT_JVMFLAGS="-Djava.security.auth.login.config=$jaas" ip netns exec "$NS_C" \
        timeout 60 "$ZKCLI" -server "$SRV_IP:2181" "$@" >"$TMP/client-$n.log" 2>&1 \
        && ! grep -q "AuthFailed" "$TMP/client-$n.log"; then
        echo "truth $n SUCCESS"
    else
        echo "truth $n FAILURE"
    fi
}

kazoo 1 "$PASS"
kazoo 2 "$WRONG"
zkcli 3 "$TMP/client-right.jaas" ls /
zkcli 4 "$TMP/client-wrong.jaas" ls /

# 5: an interactive zkCli session without SASL (no JAAS Client section).
printf 'addauth digest super:%s\ngetAcl /vault\nsetAcl /vault digest:%s:%s:cdrwa,digest:%s:%s:r\nquit\n' \
    "$SUPER_PASS" "$ACL_USER" "$(digest "$ACL_USER" "$PASS")" \
    "$READER_USER" "$(digest "$READER_USER" "$READER_PASS")" >"$TMP/commands-5"
if ip netns exec "$NS_C" timeout 60 "$ZKCLI" -server "$SRV_IP:2181" <"$TMP/commands-5" \
    >"$TMP/client-5.log" 2>&1 && grep -q "$ACL_USER:" "$TMP/client-5.log"; then
    echo "truth 5 SUCCESS"
else
    echo "truth 5 FAILURE"
fi

capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
