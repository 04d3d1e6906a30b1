#!/bin/bash
# End-to-end IKEv1 aggressive mode with pre-shared keys for plainsight: a real VPN gateway,
# real initiators, a real capture.
#
#   tests/e2e/real-ike.sh OUT.pcap
#
# Must run as root. Creates two network namespaces joined by a veth pair (gateway side
# 10.236.0.1/24, client side 10.236.0.2/24 and 10.236.0.3/24) and touches no other
# interface or address.
# strongSwan's charon is the gateway (aggressive mode allowed, as Cisco-style remote access
# and many site-to-site set-ups do), each identity with its own key. Initiators:
#
#   1 charon as branch-md5, MD5 and 1024-bit DH, the right key        -> SUCCESS
#   2 charon as branch-sha, SHA-1 and 2048-bit DH, the right key      -> SUCCESS
#   3 charon as branch-md5, a wrong key (it refuses the gateway's hash) -> FAILURE
#   4 vpnc, the Cisco VPN client: group KEY_ID "vpngroup" and its key, then XAUTH as
#     alice and mode config                                         -> SUCCESS
#   5 ike-scan -A from 10.236.0.3 naming group "vpngroup" (an FQDN), SHA-1 -> the gateway
#     answers; the scanner stops there (UNKNOWN), its --pskcrack line printed as "pskcrack"
#
# It prints "truth <n> SUCCESS|FAILURE|ANSWERED" as each initiator ended. Everything it
# started is stopped, and the namespaces and the temporary directory removed, on any exit.
set -euo pipefail

MD5_KEY='Branch-Md5!1'
SHA_KEY='branch-sha-2'
GROUP_KEY='vpngroup-key'
CISCO_KEY='Cisco-Grp!4'
XAUTH_PW='Alice-x1'
WRONG='not-the-key'
GW_IP=10.236.0.1
CLI_IP=10.236.0.2
SCAN_IP=10.236.0.3

OUT=${1:?usage: real-ike.sh OUT.pcap}
export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"
HERE=$(cd "$(dirname "$0")" && pwd)

. "$HERE/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in ip tcpdump swanctl ike-scan vpnc unshare /usr/lib/ipsec/charon; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done

NS_S=plainsight-ikes-$$
NS_C=plainsight-ikec-$$
TMP=$(mktemp -d /tmp/plainsight-ike.XXXXXX)
PIDS=()
E2E_LOGS=("$TMP/gateway.log" "$TMP/c1.log" "$TMP/c2.log" "$TMP/c3.log" "$TMP/vpnc.log")

trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
trap 'exit 130' INT TERM

veth_namespaces "$NS_S" "$NS_C" "$GW_IP" "$CLI_IP"
ip netns exec "$NS_C" ip addr add "$SCAN_IP/24" dev vcli

charon_conf() { # name
    cat >"$TMP/$1.conf" <<CONF
charon {
    i_dont_care_about_security_and_use_aggressive_mode_psk = yes
    install_routes = no
    retransmit_tries = 1
    retransmit_timeout = 1
    filelog {
        log {
            path = $TMP/$1.log
            default = 1
            ike = 2
        }
    }
    load_modular = yes
    plugins {
        include /etc/strongswan.d/charon/*.conf
    }
}
CONF
}

# The gateway: one connection per identity (aggressive mode looks the key up by it).
gateway_conn() { # name remote-id
    cat <<CONF
    $1 {
        version = 1
        aggressive = yes
        proposals = aes128-sha1-modp1024, aes128-md5-modp1024, aes128-sha1-modp2048
        local_addrs = $GW_IP
        local {
            auth = psk
            id = vpn.example.test
        }
        remote {
            auth = psk
            id = $2
        }
        children {
            net {
                local_ts = $GW_IP/32
                esp_proposals = aes128-sha1
            }
        }
    }
CONF
}
charon_conf gateway
{
    echo "connections {"
    gateway_conn md5 branch-md5
    gateway_conn sha branch-sha
    gateway_conn group vpngroup
    # Cisco-style remote access: a group key for the KEY_ID identity, then XAUTH and an
    # address from the pool (mode config).
    cat <<CONF
    cisco {
        version = 1
        aggressive = yes
        proposals = aes128-sha1-modp1024
        local_addrs = $GW_IP
        pools = pool
        local {
            auth = psk
            id = $GW_IP
        }
        remote {
            auth = psk
            id = keyid:vpngroup
        }
        remote-xauth {
            auth = xauth
        }
        children {
            net {
                local_ts = $GW_IP/32
                esp_proposals = aes128-sha1
            }
        }
    }
}
pools {
    pool {
        addrs = 10.236.1.0/24
    }
}
CONF
    cat <<CONF
secrets {
    ike-md5 {
        id = branch-md5
        secret = "$MD5_KEY"
    }
    ike-sha {
        id = branch-sha
        secret = "$SHA_KEY"
    }
    ike-group {
        id = vpngroup
        secret = "$GROUP_KEY"
    }
    ike-cisco {
        id = keyid:vpngroup
        secret = "$CISCO_KEY"
    }
    xauth-alice {
        id = alice
        secret = "$XAUTH_PW"
    }
}
CONF
} >"$TMP/gateway.swanctl"

initiator() { # n id key proposal
    charon_conf "c$1"
    cat >"$TMP/c$1.swanctl" <<CONF
connections {
    vpn {
        version = 1
        aggressive = yes
        proposals = $4
        remote_addrs = $GW_IP
        local {
            auth = psk
            id = $2
        }
        remote {
            auth = psk
            id = vpn.example.test
        }
        children {
            net {
                remote_ts = $GW_IP/32
                esp_proposals = aes128-sha1
            }
        }
    }
}
secrets {
    ike {
        id = $2
        secret = "$3"
    }
}
CONF
    # The IKE SA is what is tested: the kernel may refuse the IPsec SAs (no ESP in this
    # kernel) after it is established.
    ip netns exec "$NS_C" timeout 60 unshare -m bash "$HERE/ike-side.sh" "$TMP" "c$1" \
        sh -c 'swanctl --initiate --child net --timeout 10 >"$1" 2>&1; swanctl --terminate --ike vpn --timeout 5 >/dev/null 2>&1; sleep 1' \
        - "$TMP/c$1.initiate" || true
    if grep -q "IKE_SA vpn\[[0-9]*\] established" "$TMP/c$1.log"; then
        echo "truth $1 SUCCESS"
    else
        echo "truth $1 FAILURE"
    fi
}

ip netns exec "$NS_S" unshare -m bash "$HERE/ike-side.sh" "$TMP" gateway sleep 600 &
PIDS+=($!)
wait_for grep -q "loaded connection 'group'" "$TMP/gateway.load" 2>/dev/null ||
    die "charon did not load the gateway's connections"

ip netns exec "$NS_S" tcpdump -i vsrv "${TCPDUMP_OPTS[@]}" -n -Z root -w "$TMP/capture.pcap" \
    udp port 500 or udp port 4500 >"$TMP/tcpdump.out" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=($TCPDUMP)
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

initiator 1 branch-md5 "$MD5_KEY" aes128-md5-modp1024
initiator 2 branch-sha "$SHA_KEY" aes128-sha1-modp2048
initiator 3 branch-md5 "$WRONG" aes128-md5-modp1024

# vpnc stays in the foreground once connected (its script, which would configure the tunnel,
# is /bin/true here): it is stopped after a few seconds.
cat >"$TMP/vpnc.conf" <<CONF
IPSec gateway $GW_IP
IPSec ID vpngroup
IPSec secret $CISCO_KEY
Xauth username alice
Xauth password $XAUTH_PW
NAT Traversal Mode none
Local Port 0
Pidfile $TMP/vpnc.pid
Script /bin/true
CONF
ip netns exec "$NS_C" timeout 8 vpnc --no-detach --debug 1 "$TMP/vpnc.conf" >"$TMP/vpnc.log" 2>&1 || true
if grep -q "VPNC started" "$TMP/vpnc.log"; then
    echo "truth 4 SUCCESS"
else
    echo "truth 4 FAILURE"
fi

# The scanner, from the other address (the initiators are done): ike-scan's transform is
# encryption/key length, hash, authentication, group.
ip netns exec "$NS_C" ip route add "$GW_IP/32" dev vcli src "$SCAN_IP"
ip netns exec "$NS_C" ike-scan -A -M --sport=0 --idtype=2 --id=vpngroup \
    --dhgroup=2 --trans=7/128,2,1,2 --pskcrack="$TMP/scan.psk" "$GW_IP" >"$TMP/scan.out" 2>&1 || true
if grep -q "Aggressive Mode Handshake returned" "$TMP/scan.out"; then
    echo "truth 5 ANSWERED"
    sed 's/^/pskcrack /' "$TMP/scan.psk"
else
    cat "$TMP/scan.out" >&2
    echo "truth 5 FAILURE"
fi

capture_settled "$TMP/capture.pcap"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
cp "$TMP/capture.pcap" "$OUT"
