#!/bin/bash
# The NIS master of tests/e2e/real-nis.sh, run as `unshare -m -u` inside its network
# namespace: private /run and /var/yp (rpcbind's socket, the maps), its own domain name.
#   nis-server.sh DIR DOMAIN SERVER-IP PASSWD-FILE
set -euo pipefail
DIR=$1 DOMAIN=$2 SRV=$3 PASSWD=$4
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/yp
domainname "$DOMAIN"
mkdir -p /run/rpcbind "/var/yp/$DOMAIN"
# The maps, their master named so that yppasswd finds rpc.yppasswdd.
awk -F: '{ print $1 "\t" $0 }' "$PASSWD" | /usr/lib/yp/makedbm -m "$SRV" - "/var/yp/$DOMAIN/passwd.byname"
awk -F: '{ print $3 "\t" $0 }' "$PASSWD" | /usr/lib/yp/makedbm -m "$SRV" - "/var/yp/$DOMAIN/passwd.byuid"
# rpc.yppasswdd checks and changes shadowed files, as on a real master: the system's with
# the NIS accounts added, in a private copy of /etc bound over /etc in this mount
# namespace (it looks accounts up there) and changed there (-D). (A file bound over
# /etc/passwd alone is detached when a test beside this one renames /etc/passwd.)
cp -a /etc "$DIR/etc" 2>/dev/null || true # another test's lock files may vanish meanwhile
[ -s "$DIR/etc/passwd" ] && [ -s "$DIR/etc/shadow" ] || { echo "could not copy /etc" >&2; exit 1; }
awk -F: 'BEGIN { OFS = ":" } { print $1, $2, "19000", "0", "99999", "7", "", "", "" }' "$PASSWD" >>"$DIR/etc/shadow"
awk -F: 'BEGIN { OFS = ":" } { $2 = "x"; print }' "$PASSWD" >>"$DIR/etc/passwd"
mount --bind "$DIR/etc" /etc
rpcbind -w -f >/dev/null 2>&1 &
for _ in $(seq 50); do [ -S /run/rpcbind.sock ] && break; sleep 0.1; done
/usr/sbin/ypserv -d >"$DIR/ypserv.log" 2>&1 &
/usr/sbin/rpc.yppasswdd --debug -f -D "$DIR/etc" -E true >"$DIR/yppasswdd.log" 2>&1 &
wait
