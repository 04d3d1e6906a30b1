#!/bin/bash
# End-to-end database logins for plainsight: real servers, real clients, a real capture,
# on the loopback interface only.
#
#   tests/e2e/real-db.sh OUT.pcap
#
# Must run as root (tcpdump on lo). From configuration written to a temporary directory it
# starts redis-server (requirepass and an ACL user, 127.0.0.1:<free port>, no
# persistence), PostgreSQL (a throwaway cluster made by initdb, run as the postgres user,
# listening on 127.0.0.1:<free port>, ssl off; pg_hba.conf: md5 for $PG_MD5_USER, password
# for $PG_PW_USER, scram-sha-256 for $PG_SCRAM_USER; the roles are made over the Unix
# socket, which is not captured) and MariaDB (a throwaway datadir made by
# mariadb-install-db, 127.0.0.1:<free port>, its user made over the Unix socket), three
# memcached servers (SASL with Cyrus's sasldb offering PLAIN only, SASL offering CRAM-MD5
# only, and the text protocol's auth file, -Y; each on 127.0.0.1:<free port>, run as
# nobody), and tcpdump on lo for those ports. Then, one after another:
#
#   Redis       1 redis-cli -a $REDIS_PASS PING             -> AUTH pass, +OK (success)
#               2 redis-cli -a $REDIS_WRONG PING            -> AUTH pass, -WRONGPASS (failure)
#               3 redis-cli --user $REDIS_USER --pass ...   -> AUTH user pass, +OK (success)
#               4 redis-cli HELLO 3 AUTH $REDIS_USER $REDIS_USER_WRONG
#                                                           -> HELLO AUTH, -WRONGPASS (failure)
#               5 inline `AUTH "$REDIS_PASS"` over /dev/tcp -> AUTH pass, +OK (success)
#   PostgreSQL  6 psql as $PG_MD5_USER, right password      -> md5, AuthenticationOk
#               7 psql as $PG_MD5_USER, wrong password      -> md5, 28P01 (failure)
#               8 psql as $PG_PW_USER, sslmode=prefer: SSLRequest answered N, then
#                 cleartext password                        -> AuthenticationOk (success)
#               9 psql as $PG_PW_USER, wrong password       -> 28P01 (failure)
#             10a psql as $PG_SCRAM_USER (SCRAM-SHA-256)    -> AuthenticationOk (success)
#             10b psql as $PG_SCRAM_USER, wrong password    -> 28P01 (failure)
#   MariaDB    11 mariadb -u $MY_USER, right password       -> mysql_native_password, OK
#              12 mariadb -u $MY_USER, wrong password       -> mysql_native_password, ERR 1045
#              13 mariadb --default-auth=mysql_clear_password: the client sends the password
#                 in clear, the server switches to mysql_native_password (new scramble),
#                 the client answers, OK               -> mysql_clear_password (success)
#                                                         and mysql_native_password (success)
#   memcached  14 memcping (libmemcached), PLAIN, right     -> SASL PLAIN, status 0 (success)
#              15 memcping, PLAIN, wrong password          -> status 0x20 (failure)
#              16 memcping, CRAM-MD5, right                -> SASL CRAM-MD5 (success)
#              17 memcping, CRAM-MD5, wrong password       -> SASL CRAM-MD5 (failure)
#              18 the text protocol (a Python client, as memcached's protocol.txt says):
#                 get (refused: unauthenticated), set "$MC_USER $MC_WRONG" (authentication
#                 failure), set "$MC_USER $MC_PASS" (STORED), get  -> ASCII authentication,
#                                                         failure then success
#   MySQL 8    19 mariadb-admin ping with libmariadb's caching_sha2_password plugin
#                 (MySQL 8's default) to tests/e2e/mysql8-peer.py (Debian has no MySQL 8
#                 server: the peer greets as one and checks the scramble as its cache
#                 does), right password  -> AuthMoreData 0x03, OK (success)
#              20 the same, wrong password              -> ERR 1045 (failure)
#   Passwords in statements, after a login:
#   PostgreSQL 21 psql as $PG_PW_USER: SELECT 1; ALTER ROLE postgres PASSWORD '$PG_DENIED'
#                 -> permission denied (failure; the SELECT's answer comes first)
#              22 psql as $PG_PW_USER: ALTER ROLE CURRENT_USER PASSWORD '$PG_NEW' (success)
#   MariaDB    23 mariadb as $MY_USER: CREATE USER 'intruder'@'%' IDENTIFIED BY '$MY_DENIED'
#                 -> ERR 1227 (failure)
#              24 mariadb as $MY_USER: SET PASSWORD = PASSWORD('$MY_NEW') (success)
#   Redis      25 redis-cli -a: ACL SETUSER newbie on >$REDIS_NEWBIE ~* +get (+OK)
#              26 redis-cli --user $REDIS_USER: ACL SETUSER broken on >$REDIS_BROKEN
#                 +nosuchcommand (-ERR: not applied)
#              27 redis-cli -a: CONFIG SET requirepass $REDIS_NEW (+OK)
#   Passwords of other servers (nothing connects to them: 127.0.0.1 port 1):
#   PostgreSQL 28 psql as $PG_PW_USER (password now $PG_NEW): CREATE USER MAPPING FOR
#                 CURRENT_USER SERVER fdw1 OPTIONS (user 'remote_app', password '$PG_FDW')
#                 (postgres_fdw; success)
#              29 the same: CREATE SUBSCRIPTION ... CONNECTION '... password=$PG_SUB ...'
#                 WITH (connect = false) -> only superusers may (failure)
#   MariaDB    30 mariadb as $MY_USER (password now $MY_NEW): CHANGE MASTER TO ...
#                 MASTER_USER='repl', MASTER_PASSWORD='$MY_REPL' -> ERR 1227 (failure)
#
# It prints "ports redis=<port> postgresql=<port> mysql=<port> mc_plain=<port>
# mc_cram=<port> mc_text=<port>" on standard output. Every
# process it started is stopped and the temporary directory removed on any exit
# (E2E_KEEP=1 keeps the directory for debugging).
set -euo pipefail

REDIS_PASS='R3dis-Req!pass'
REDIS_WRONG='redis-Wr0ng'
REDIS_USER='app'
REDIS_USER_PASS='App-ACL-pw'
REDIS_USER_WRONG='app-Wr0ng'
PG_MD5_USER='md5user'
PG_MD5_PASS='Md5-Pg!pass'
PG_PW_USER='pwuser'
PG_PW_PASS='Clear-Pg!pass'
PG_SCRAM_USER='scramuser'
PG_SCRAM_PASS='Scram-Pg!pass'
PG_WRONG='pg-Wr0ng'
MY_USER='webapp'
MY_PASS='My-W3b!pass'
MY_WRONG='my-Wr0ng'
PG_DENIED='Pg-Denied!take0ver'
PG_NEW='Pg-N3w!own-pass'
MY_DENIED='My-Denied!intruder'
MY_NEW='My-N3w!own-pass'
PG_FDW='Pg-Fdw!remote-app'
PG_SUB='Pg-Sub!replica'
MY_REPL='My-Repl!source'
REDIS_NEWBIE='R3dis-Newb!e'
REDIS_BROKEN='R3dis-Br0ken'
REDIS_NEW='R3dis-N3w!req'
MY8_USER='app8'
MY8_PASS='My8-Sha2!pass'
MC_USER='cacheapp'
MC_PASS='Mc-S4sl!pass'
MC_WRONG='mc-Wr0ng'

OUT=${1:?usage: real-db.sh OUT.pcap}

export PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "must run as root"
for p in tcpdump redis-server redis-cli psql mariadbd mariadb mariadb-install-db setpriv ss \
    memcached memcping saslpasswd2 python3 mariadb-admin; do
    command -v "$p" >/dev/null 2>&1 || die "missing program: $p"
done
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/postgres" ] || die "missing PostgreSQL server (initdb, postgres)"
id postgres >/dev/null 2>&1 || die "missing user: postgres"
CLIENT_PLUGINS=$(dirname "$(ls /usr/lib/*/libmariadb3/plugin/mysql_clear_password.so 2>/dev/null | head -n 1)")
[ -f "$CLIENT_PLUGINS/mysql_clear_password.so" ] || die "missing MariaDB client plugin mysql_clear_password"
[ -f "$CLIENT_PLUGINS/caching_sha2_password.so" ] || die "missing MariaDB client plugin caching_sha2_password"

TMP=$(mktemp -d /tmp/plainsight-db.XXXXXX)
chmod 755 "$TMP"
PIDS=()

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/redis.log "$TMP"/initdb.log "$TMP"/postgres.log "$TMP"/mariadb-install.log \
            "$TMP"/mariadb.log "$TMP"/memcached-*.log "$TMP"/tcpdump.err; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    stop_pids "${PIDS[@]}"
    if [ "${E2E_KEEP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until a command succeeds (at most about 20 s).
wait_for() {
    for _ in $(seq 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

listening() { [ -n "$(ss -Htln "sport = :$1")" ]; }

REDIS_PORT=$(free_port)
PG_PORT=$(free_port)
MY_PORT=$(free_port)
while [ "$PG_PORT" = "$REDIS_PORT" ]; do PG_PORT=$(free_port); done
while [ "$MY_PORT" = "$REDIS_PORT" ] || [ "$MY_PORT" = "$PG_PORT" ]; do MY_PORT=$(free_port); done
# Three more, each unlike every port taken so far.
TAKEN=" $REDIS_PORT $PG_PORT $MY_PORT "
another_port() {
    local p
    p=$(free_port)
    while [[ "$TAKEN" == *" $p "* ]]; do p=$(free_port); done
    TAKEN="$TAKEN$p "
    echo "$p"
}
MC_PLAIN_PORT=$(another_port)
MC_CRAM_PORT=$(another_port)
MC_TEXT_PORT=$(another_port)
MY8_PORT=$(another_port)

# ---- redis-server ------------------------------------------------------------------
cat >"$TMP/redis.conf" <<EOF
port $REDIS_PORT
bind 127.0.0.1
protected-mode yes
daemonize no
save ""
appendonly no
dir $TMP
requirepass $REDIS_PASS
user $REDIS_USER on >$REDIS_USER_PASS ~* &* +@all
EOF
redis-server "$TMP/redis.conf" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)

# ---- PostgreSQL --------------------------------------------------------------------
mkdir -p "$TMP/pgdata" "$TMP/pgsock"
chown postgres: "$TMP/pgdata" "$TMP/pgsock"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
as_postgres "$PGBIN/initdb" -D "$TMP/pgdata" -U postgres -A trust --no-sync >"$TMP/initdb.log" 2>&1 \
    || die "initdb failed"
cat >"$TMP/pgdata/pg_hba.conf" <<EOF
local all all                  trust
host  all $PG_MD5_USER   127.0.0.1/32 md5
host  all $PG_PW_USER    127.0.0.1/32 password
host  all $PG_SCRAM_USER 127.0.0.1/32 scram-sha-256
EOF
# setpriv execs the server: $! is its PID (a shell function here would put a subshell
# in between, which the cleanup would stop instead).
setpriv --reuid=postgres --regid=postgres --init-groups -- "$PGBIN/postgres" -D "$TMP/pgdata" -h 127.0.0.1 -p "$PG_PORT" -k "$TMP/pgsock" \
    -c ssl=off -c fsync=off -c logging_collector=off >"$TMP/postgres.log" 2>&1 &
PIDS+=($!)

# ---- MariaDB -----------------------------------------------------------------------
mariadb-install-db --no-defaults --datadir="$TMP/mysql" --user=root --skip-test-db \
    --auth-root-authentication-method=socket >"$TMP/mariadb-install.log" 2>&1 \
    || die "mariadb-install-db failed"
mariadbd --no-defaults --datadir="$TMP/mysql" --user=root --bind-address=127.0.0.1 \
    --port="$MY_PORT" --socket="$TMP/mysql.sock" --pid-file="$TMP/mariadb.pid" \
    --skip-log-bin --innodb-buffer-pool-size=16M --log-error="$TMP/mariadb.log" \
    >>"$TMP/mariadb.log" 2>&1 &
PIDS+=($!)

# ---- memcached ---------------------------------------------------------------------
# Cyrus SASL reads memcached.conf from SASL_CONF_PATH: one directory per mechanism
# offered, the same sasldb (made readable by nobody, whom memcached runs as).
saslpasswd2 -p -a memcached -c -f "$TMP/sasldb2" "$MC_USER" <<<"$MC_PASS" \
    || die "saslpasswd2 failed"
chmod 644 "$TMP/sasldb2"
for mech in plain cram-md5; do
    mkdir -p "$TMP/sasl-$mech"
    printf 'mech_list: %s\nsasldb_path: %s\n' "$mech" "$TMP/sasldb2" >"$TMP/sasl-$mech/memcached.conf"
done
SASL_CONF_PATH="$TMP/sasl-plain" memcached -S -u nobody -l 127.0.0.1 -p "$MC_PLAIN_PORT" -U 0 \
    -m 16 >"$TMP/memcached-plain.log" 2>&1 &
PIDS+=($!)
SASL_CONF_PATH="$TMP/sasl-cram-md5" memcached -S -u nobody -l 127.0.0.1 -p "$MC_CRAM_PORT" -U 0 \
    -m 16 >"$TMP/memcached-cram.log" 2>&1 &
PIDS+=($!)
printf '%s:%s\n' "$MC_USER" "$MC_PASS" >"$TMP/memcached.auth"
chmod 644 "$TMP/memcached.auth"
memcached -Y "$TMP/memcached.auth" -u nobody -l 127.0.0.1 -p "$MC_TEXT_PORT" -U 0 -m 16 \
    >"$TMP/memcached-text.log" 2>&1 &
PIDS+=($!)

# Ready when listening (a login to check would be a credential before the capture).
wait_for listening "$REDIS_PORT" || die "redis-server is not listening"
wait_for listening "$PG_PORT" || die "postgres is not listening"
wait_for listening "$MY_PORT" || die "mariadbd is not listening"
for p in "$MC_PLAIN_PORT" "$MC_CRAM_PORT" "$MC_TEXT_PORT"; do
    wait_for listening "$p" || die "memcached is not listening on $p"
done

# Roles and users, over the Unix sockets.
psql -X -q -h "$TMP/pgsock" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >&2 <<EOF
SET password_encryption = 'md5';
CREATE ROLE $PG_MD5_USER LOGIN PASSWORD '$PG_MD5_PASS';
SET password_encryption = 'scram-sha-256';
CREATE ROLE $PG_PW_USER LOGIN PASSWORD '$PG_PW_PASS';
CREATE ROLE $PG_SCRAM_USER LOGIN PASSWORD '$PG_SCRAM_PASS';
CREATE EXTENSION postgres_fdw;
CREATE SERVER fdw1 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '1', dbname 'app');
GRANT USAGE ON FOREIGN SERVER fdw1 TO $PG_PW_USER;
EOF
mariadb --no-defaults -S "$TMP/mysql.sock" -u root >&2 <<EOF
CREATE USER '$MY_USER'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$MY_PASS');
EOF

# ---- a MySQL 8 peer (caching_sha2_password) ------------------------------------------
/usr/bin/python3 "$(dirname "$0")/mysql8-peer.py" 127.0.0.1 "$MY8_PORT" "$MY8_USER" "$MY8_PASS" \
    >"$TMP/mysql8-peer.log" 2>&1 &
PIDS+=($!)
wait_for listening "$MY8_PORT" || die "the MySQL 8 peer is not listening"

tcpdump -i lo "${TCPDUMP_OPTS[@]}" -w "$OUT" \
    "tcp port $REDIS_PORT or tcp port $PG_PORT or tcp port $MY_PORT or tcp port $MC_PLAIN_PORT \
    or tcp port $MC_CRAM_PORT or tcp port $MC_TEXT_PORT or tcp port $MY8_PORT" 2>"$TMP/tcpdump.err" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
wait_for grep -q "listening on" "$TMP/tcpdump.err" || die "tcpdump did not start"

# ---- Redis -------------------------------------------------------------------------
R=(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --no-auth-warning)
# 1 the requirepass password
[ "$("${R[@]}" -a "$REDIS_PASS" PING)" = PONG ] || die "redis-cli -a (right password) failed"
# 2 a wrong one: the AUTH fails, the PING is refused
"${R[@]}" -a "$REDIS_WRONG" PING 2>&1 | grep -q NOAUTH || die "redis-cli -a (wrong password) was not refused"
# 3 the ACL user
[ "$("${R[@]}" --user "$REDIS_USER" --pass "$REDIS_USER_PASS" PING)" = PONG ] \
    || die "redis-cli --user failed"
# 4 HELLO with a wrong password
"${R[@]}" HELLO 3 AUTH "$REDIS_USER" "$REDIS_USER_WRONG" 2>&1 | grep -q WRONGPASS \
    || die "HELLO AUTH (wrong password) was not refused"
# 5 an inline command, as typed into telnet
exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT"
printf 'AUTH "%s"\r\nQUIT\r\n' "$REDIS_PASS" >&3
reply=$(timeout 5 cat <&3 || true)
exec 3<&-
[ "$reply" = $'+OK\r\n+OK\r' ] || [ "$reply" = $'+OK\r\n+OK\r\n' ] || die "inline AUTH: unexpected reply ${reply@Q}"

# ---- PostgreSQL --------------------------------------------------------------------
pg() { # user password sslmode
    PGPASSWORD=$2 PGCONNECT_TIMEOUT=10 psql -X -q \
        "host=127.0.0.1 port=$PG_PORT user=$1 dbname=postgres sslmode=$3 gssencmode=disable" \
        -c 'SELECT 1' >/dev/null 2>"$TMP/psql.err"
}
# 6, 7 md5
pg "$PG_MD5_USER" "$PG_MD5_PASS" disable || die "psql ($PG_MD5_USER) failed: $(cat "$TMP/psql.err")"
if pg "$PG_MD5_USER" "$PG_WRONG" disable; then die "psql ($PG_MD5_USER, wrong password) got in"; fi
# 8, 9 password (cleartext), after an SSLRequest the server refuses
pg "$PG_PW_USER" "$PG_PW_PASS" prefer || die "psql ($PG_PW_USER) failed: $(cat "$TMP/psql.err")"
if pg "$PG_PW_USER" "$PG_WRONG" prefer; then die "psql ($PG_PW_USER, wrong password) got in"; fi
# 10a, 10b SCRAM-SHA-256
pg "$PG_SCRAM_USER" "$PG_SCRAM_PASS" disable || die "psql ($PG_SCRAM_USER) failed: $(cat "$TMP/psql.err")"
if pg "$PG_SCRAM_USER" "$PG_WRONG" disable; then die "psql ($PG_SCRAM_USER, wrong password) got in"; fi

# ---- MariaDB -----------------------------------------------------------------------
my() { # password [options]
    local pw=$1
    shift
    mariadb --no-defaults --skip-ssl -h 127.0.0.1 -P "$MY_PORT" -u "$MY_USER" -p"$pw" "$@" \
        -e 'SELECT 1' >/dev/null 2>"$TMP/mariadb.err"
}
# 11, 12 mysql_native_password
my "$MY_PASS" || die "mariadb (right password) failed: $(cat "$TMP/mariadb.err")"
if my "$MY_WRONG"; then die "mariadb (wrong password) got in"; fi
# 13 the client's clear password plugin, switched to mysql_native_password by the server
my "$MY_PASS" --plugin-dir="$CLIENT_PLUGINS" --default-auth=mysql_clear_password \
    || die "mariadb --default-auth=mysql_clear_password failed: $(cat "$TMP/mariadb.err")"

# ---- memcached ---------------------------------------------------------------------
mc() { # port password
    memcping -s "127.0.0.1:$1" -u "$MC_USER" -p "$2" >"$TMP/memcping.out" 2>&1
}
# 14, 15 PLAIN; 16, 17 CRAM-MD5
mc "$MC_PLAIN_PORT" "$MC_PASS" || die "memcping (PLAIN) failed: $(cat "$TMP/memcping.out")"
if mc "$MC_PLAIN_PORT" "$MC_WRONG"; then die "memcping (PLAIN, wrong password) got in"; fi
mc "$MC_CRAM_PORT" "$MC_PASS" || die "memcping (CRAM-MD5) failed: $(cat "$TMP/memcping.out")"
if mc "$MC_CRAM_PORT" "$MC_WRONG"; then die "memcping (CRAM-MD5, wrong password) got in"; fi
# 18 the text protocol: each command sent once the previous reply came.
python3 - "$MC_TEXT_PORT" "$MC_USER" "$MC_PASS" "$MC_WRONG" <<'EOF' || die "memcached text login failed"
import socket, sys
port, user, right, wrong = sys.argv[1:5]
s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
f = s.makefile("rb")
def ask(command, value=None):
    data = command.encode() + b"\r\n"
    if value is not None:
        data += value.encode() + b"\r\n"
    s.sendall(data)
    return f.readline().strip()
def login(password):
    value = f"{user} {password}"
    return ask(f"set auth 0 0 {len(value)}", value)
assert ask("get greeting") == b"CLIENT_ERROR unauthenticated"
assert login(wrong) == b"CLIENT_ERROR authentication failure"
assert login(right) == b"STORED"
assert ask("get greeting") == b"END"
s.close()
EOF

# ---- MySQL 8 -----------------------------------------------------------------------
# `ping` exits 0 whenever the server answers, even "Access denied": its words judge.
my8() { # password
    mariadb-admin --no-defaults --skip-ssl --plugin-dir="$CLIENT_PLUGINS" \
        --default-auth=caching_sha2_password -h 127.0.0.1 -P "$MY8_PORT" -u "$MY8_USER" \
        -p"$1" ping >"$TMP/mariadb-admin.out" 2>&1 || true
    grep -q 'is alive' "$TMP/mariadb-admin.out" && ! grep -q 'Access denied' "$TMP/mariadb-admin.out"
}
# 19, 20
my8 "$MY8_PASS" || die "mariadb-admin (caching_sha2_password) failed: $(cat "$TMP/mariadb-admin.out")"
if my8 "$MY_WRONG"; then die "mariadb-admin (caching_sha2_password, wrong password) got in"; fi

# ---- passwords in statements -------------------------------------------------------
pg_sql() { # statements [password]
    PGPASSWORD=${2:-$PG_PW_PASS} PGCONNECT_TIMEOUT=10 psql -X -q \
        "host=127.0.0.1 port=$PG_PORT user=$PG_PW_USER dbname=postgres sslmode=disable gssencmode=disable" \
        -c "$1" >/dev/null 2>"$TMP/psql.err"
}
# 21 refused (only a superuser alters a superuser), 22 the role's own
if pg_sql "SELECT 1; ALTER ROLE postgres PASSWORD '$PG_DENIED'"; then
    die "ALTER ROLE postgres was allowed"
fi
grep -q 'permission denied\|must be superuser' "$TMP/psql.err" || die "ALTER ROLE postgres: $(cat "$TMP/psql.err")"
pg_sql "ALTER ROLE CURRENT_USER PASSWORD '$PG_NEW'" || die "ALTER ROLE CURRENT_USER failed: $(cat "$TMP/psql.err")"
my_sql() { # statement [password]
    mariadb --no-defaults --skip-ssl -h 127.0.0.1 -P "$MY_PORT" -u "$MY_USER" -p"${2:-$MY_PASS}" \
        -e "$1" >/dev/null 2>"$TMP/mariadb.err"
}
# 23 refused (no CREATE USER privilege), 24 the account's own
if my_sql "CREATE USER 'intruder'@'%' IDENTIFIED BY '$MY_DENIED'"; then
    die "CREATE USER was allowed"
fi
grep -q 'ERROR 1227' "$TMP/mariadb.err" || die "CREATE USER: $(cat "$TMP/mariadb.err")"
my_sql "SET PASSWORD = PASSWORD('$MY_NEW')" || die "SET PASSWORD failed: $(cat "$TMP/mariadb.err")"
# 25 an ACL user made with a password, 26 one refused, 27 the server's own password
[ "$("${R[@]}" -a "$REDIS_PASS" ACL SETUSER newbie on ">$REDIS_NEWBIE" '~*' +get)" = OK ] \
    || die "ACL SETUSER newbie failed"
"${R[@]}" --user "$REDIS_USER" --pass "$REDIS_USER_PASS" \
    ACL SETUSER broken on ">$REDIS_BROKEN" +nosuchcommand 2>&1 | grep -q ERR \
    || die "ACL SETUSER broken was not refused"
[ "$("${R[@]}" -a "$REDIS_PASS" CONFIG SET requirepass "$REDIS_NEW")" = OK ] \
    || die "CONFIG SET requirepass failed"
# 28 a foreign server's login, 29 a subscription's connection string (superusers only)
pg_sql "CREATE USER MAPPING FOR CURRENT_USER SERVER fdw1 OPTIONS (user 'remote_app', password '$PG_FDW')" \
    "$PG_NEW" || die "CREATE USER MAPPING failed: $(cat "$TMP/psql.err")"
if pg_sql "CREATE SUBSCRIPTION sub1 CONNECTION 'host=127.0.0.1 port=1 user=rep password=$PG_SUB dbname=app' PUBLICATION p WITH (connect = false)" \
    "$PG_NEW"; then
    die "CREATE SUBSCRIPTION was allowed"
fi
grep -q 'superuser\|permission denied' "$TMP/psql.err" || die "CREATE SUBSCRIPTION: $(cat "$TMP/psql.err")"
# 30 a replication source's password (no privilege for it)
if my_sql "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=1, MASTER_USER='repl', MASTER_PASSWORD='$MY_REPL'" \
    "$MY_NEW"; then
    die "CHANGE MASTER was allowed"
fi
grep -q 'ERROR 1227' "$TMP/mariadb.err" || die "CHANGE MASTER: $(cat "$TMP/mariadb.err")"

capture_settled "$OUT"
kill -INT "$TCPDUMP"
wait "$TCPDUMP" 2>/dev/null || true
[ -s "$OUT" ] || die "empty capture"
echo "ports redis=$REDIS_PORT postgresql=$PG_PORT mysql=$MY_PORT mc_plain=$MC_PLAIN_PORT" \
    "mc_cram=$MC_CRAM_PORT mc_text=$MC_TEXT_PORT mysql8=$MY8_PORT"
