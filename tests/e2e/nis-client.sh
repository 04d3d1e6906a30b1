#!/bin/bash
# The NIS client of tests/e2e/real-nis.sh, run as `unshare -m -u` inside its network
# namespace: private /run, /var/yp and /etc (the NIS user known locally, as a
# client's nsswitch would make it), its own domain name, ypbind bound to the master.
#   nis-client.sh DIR DOMAIN SERVER-IP USER UID OLD-PASSWORD NEW-PASSWORD WRONG-PASSWORD
set -euo pipefail
DIR=$1 DOMAIN=$2 SRV=$3 NIS_USER=$4 NIS_UID=$5 OLD=$6 NEW=$7 WRONG=$8
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/yp
domainname "$DOMAIN"
mkdir -p /run/rpcbind /var/yp/binding
# A private copy of /etc (a file bound over /etc/passwd alone is detached when a test
# beside this one renames /etc/passwd).
cp -a /etc "$DIR/client-etc" 2>/dev/null || true # lock files may vanish meanwhile
[ -s "$DIR/client-etc/passwd" ] || { echo "could not copy /etc" >&2; exit 1; }
echo "$NIS_USER:x:$NIS_UID:$NIS_UID:NIS user:/tmp:/bin/sh" >>"$DIR/client-etc/passwd"
mount --bind "$DIR/client-etc" /etc
echo "domain $DOMAIN server $SRV" >"$DIR/yp.conf"
rpcbind -w -f >/dev/null 2>&1 &
for _ in $(seq 50); do [ -S /run/rpcbind.sock ] && break; sleep 0.1; done
ypbind -f "$DIR/yp.conf" -n >"$DIR/ypbind.log" 2>&1 &
for _ in $(seq 100); do [ -s "/var/yp/binding/$DOMAIN.2" ] && break; sleep 0.1; done
# 1, 2: lookups, as a login's getpwnam and getpwuid make them.
if ypmatch "$NIS_USER" passwd.byname >"$DIR/match.out" 2>&1; then echo "truth 1 SUCCESS"; else echo "truth 1 FAILURE"; fi
if ypmatch "$NIS_UID" passwd.byuid >>"$DIR/match.out" 2>&1; then echo "truth 2 SUCCESS"; else echo "truth 2 FAILURE"; fi
# 3, 4: yppasswd as the user, a wrong old password (refused by yppasswd itself), then the
# right one.
change() { # n old
    setpriv --reuid "$NIS_UID" --regid "$NIS_UID" --clear-groups expect -c "
        set timeout 20
        spawn yppasswd
        expect \"old password:\" { send \"$2\\r\" }
        expect {
            \"new password:\" { send \"$NEW\\r\"; exp_continue }
            \"Sorry\" { exit 1 }
            eof
        }
        catch wait result
        exit [lindex \$result 3]
    " >"$DIR/yppasswd-$1.out" 2>&1
}
if change 3 "$WRONG"; then echo "truth 3 SUCCESS"; else echo "truth 3 FAILURE"; fi
if change 4 "$OLD"; then echo "truth 4 SUCCESS"; else echo "truth 4 FAILURE"; fi
# 5: the whole map over TCP (YPPROC_ALL), as any user of a NIS client may ask it.
if ypcat passwd.byname >"$DIR/ypcat.out" 2>&1; then echo "truth 5 SUCCESS"; else echo "truth 5 FAILURE"; fi
kill %1 %2
wait
