#!/bin/sh
# Installs what plainsight needs on Debian/Ubuntu: the build dependencies, and with
# --test also the real servers and clients its end-to-end tests drive (vsftpd, dovecot,
# exim, inetutils-telnetd, cvs, Xvfb, curl, lftp, tcpdump, ...). The tests start their own daemons
# from their own configuration; a system-wide one that the packages may start is not used.
# Safe to run again.
set -eu

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

packages="libpcap-dev pkg-config"
if [ "${1:-}" = "--test" ]; then
    packages="$packages tcpdump tshark iproute2 ethtool procps psmisc
        vsftpd dovecot-pop3d dovecot-imapd exim4-daemon-light inetutils-telnetd
        inetutils-inetd inetutils-telnet curl lftp fetchmail expect openssl
        slapd ldap-utils snmpd snmp lighttpd lighttpd-mod-openssl
        freeradius freeradius-utils kamailio sipsak
        redis-server redis-tools postgresql mariadb-server mariadb-client
        samba smbclient krb5-kdc krb5-admin-server krb5-user util-linux
        mosquitto mosquitto-clients python3-paho-mqtt ngircd sic microsocks socat
        libauthen-tacacsplus-perl python3 prosody sendxmpp inspircd
        cvs xvfb xauth x11-utils nftables rsync subversion openipmi ipmitool bird2 keepalived hostapd wpasupplicant
        rsh-server rsh-client poppassd frr tgt libiscsi-bin memcached libmemcached-tools sasl2-bin xl2tpd
        gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
        gstreamer1.0-tools python3-gi zookeeper python3-kazoo python3-pure-sasl chrony
        ypserv yp-tools ypbind-mt rpcbind strongswan-charon strongswan-swanctl libcharon-extauth-plugins ike-scan vpnc
        nginx-light python3-grpcio kannel kannel-extras gsasl python3-pymongo python3-cassandra python3-lz4 freetds-bin openssl python3-tds python3-pymssql python3-oracledb python3-cryptography python3-websocket python3-pip
        rabbitmq-server amqp-tools python3-qpid-proton python3-stomp python3-zeep squid apache2-utils
        tigervnc-standalone-server tigervnc-tools xtightvncviewer nats-server
        default-jre-headless libderby-java libderbyclient-java derby-tools"
fi

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
    echo "plainsight setup: installing$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The Neo4j Python driver (Bolt's real client; Debian packages none) from PyPI, pinned.
if [ "${1:-}" = "--test" ] && ! /usr/bin/python3 -c 'import neo4j' >/dev/null 2>&1; then
    echo "plainsight setup: installing the neo4j Python driver (pip)" >&2
    $SUDO /usr/bin/python3 -m pip install -q --break-system-packages --no-warn-script-location \
        'neo4j==5.28.1' >/dev/null 2>&1 \
        || echo "plainsight setup: pip could not install neo4j; the Bolt test will say so" >&2
fi

# rsh-server enables rlogin, rsh and rexec in the system's inetd, poppassd its password
# change: the tests run their own inetd in a network namespace, so the system-wide entries
# are turned off again.
if [ "${1:-}" = "--test" ] && command -v update-inetd >/dev/null 2>&1; then
    for service in login shell exec poppassd; do
        $SUDO update-inetd --disable "$service" 2>/dev/null || true
    done
fi

# chrony's package starts its daemon, which would steer this machine's clock, and the NIS
# nginx, kannel and inspircd packages theirs: the tests run their own (chronyd never touching the clock, NIS in mount
# namespaces of its own) in network namespaces or on loopback ports of their own.
if [ "${1:-}" = "--test" ]; then
    for service in chrony ypbind ypserv yppasswdd nginx kannel inspircd; do
        if [ -d /run/systemd/system ]; then
            $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
        elif command -v service >/dev/null 2>&1; then
            $SUDO service "$service" stop >/dev/null 2>&1 || true
        fi
    done
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "plainsight setup: cargo not found; install Rust from https://rustup.rs" >&2
    exit 1
fi
