#!/bin/bash
# One strongSwan charon of tests/e2e/real-ike.sh, run as `unshare -m` inside its network
# namespace (a private /run: charon's pid file and vici socket), then a command there.
#   ike-side.sh DIR NAME COMMAND...
# charon reads DIR/NAME.conf (strongswan.conf) and logs to DIR/NAME.log; swanctl loads
# DIR/NAME.swanctl. charon is stopped when the command ends.
set -euo pipefail
DIR=$1 NAME=$2
shift 2
mount -t tmpfs tmpfs /run
STRONGSWAN_CONF="$DIR/$NAME.conf" /usr/lib/ipsec/charon >"$DIR/$NAME.out" 2>&1 &
CHARON=$!
for _ in $(seq 100); do [ -S /run/charon.vici ] && break; sleep 0.1; done
swanctl --load-all --file "$DIR/$NAME.swanctl" >"$DIR/$NAME.load" 2>&1 ||
    { cat "$DIR/$NAME.load" >&2; kill "$CHARON"; exit 1; }
rc=0
"$@" || rc=$?
kill "$CHARON" 2>/dev/null || true
wait "$CHARON" 2>/dev/null || true
exit "$rc"
