# Sourced by the end-to-end scripts: messages, waiting for a daemon, a free port.
# shellcheck shell=bash

ME=${0##*/}

die() { echo "$ME: $*" >&2; exit 1; }
log() { echo "$ME: $*" >&2; }

# Runs the command until it succeeds, for up to ten seconds.
wait_for() {
    for _ in $(seq 100); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# How every script runs tcpdump: whole packets, each written as it comes, and a 64 MiB
# ring. With whole packets (-s 0, 256 KiB) the default 2 MiB ring of immediate mode holds
# eight frames: when the test suite's parallel load keeps tcpdump off the CPU for a moment,
# the kernel drops the rest ("packets dropped by kernel") and a capture lacks the
# connections' ends (seen in CI for TACACS+, 30 of 34 packets dropped, reproduced with
# four busy loops on two cores; none dropped in ten runs with this ring).
TCPDUMP_OPTS=(-s 0 -B 65536 -U --immediate-mode)

# Whether capture FILE holds at least N packets with FIN set. A capture is stopped once
# the last connections' ends are in it (wait_for captured_fins FILE N): under load (the
# test suite runs in parallel) tcpdump may not have read the last packets half a second
# after the client is done, and a capture stopped then misses them. Read from tcpdump's
# lines, not with a filter: filters do not compile for every link type (NFLOG).
captured_fins() {
    [ "$(tcpdump -nn -r "$1" 2>/dev/null | grep -c 'Flags \[[^]]*F')" -ge "$2" ]
}

# Returns once capture FILE has not grown for a second (at most ten seconds): tcpdump has
# read what the kernel held for it. Stopping it a fixed half second after the clients were
# done lost the last packets once, under the test suite's parallel load.
capture_settled() {
    local last=-1 size stable=0
    for _ in $(seq 40); do
        size=$(stat -c %s "$1" 2>/dev/null || echo 0)
        if [ "$size" = "$last" ]; then
            stable=$((stable + 1))
            [ "$stable" -ge 4 ] && return 0
        else
            stable=0
            last=$size
        fi
        sleep 0.25
    done
}

# A TCP port between 20000 and 49999 that nothing listens on here.
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 30000))
        [ -z "$(ss -Htan "sport = :$port")" ] && { echo "$port"; return; }
    done
    die "no free port"
}

# Returns once something listens on TCP port $2 in network namespace $1, waiting up to $3
# seconds (5 by default); the script dies otherwise.
wait_listening() {
    local tries=$((${3:-5} * 20))
    for _ in $(seq "$tries"); do
        ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
        sleep 0.05
    done
    die "nothing listens on TCP port $2 in $1"
}

# Stops the processes given before "--" (the daemons a script started), then every
# process still living in the network namespaces given after it (their children), TERM
# first and KILL 0.2 s later; waits for the first and deletes the namespaces.
#   netns_stop "${PIDS[@]}" -- "$NS_C" "$NS_S"
netns_stop() {
    local pids=() spaces=() arg after=0 pid ns
    for arg in "$@"; do
        if [ "$arg" = "--" ]; then
            after=1
        elif [ "$after" = 0 ]; then
            pids+=("$arg")
        else
            spaces+=("$arg")
        fi
    done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for signal in TERM KILL; do
        for ns in "${spaces[@]}"; do
            if ip netns pids "$ns" >/dev/null 2>&1; then
                for pid in $(ip netns pids "$ns"); do kill -"$signal" "$pid" 2>/dev/null; done
            fi
        done
        [ "$signal" = TERM ] && sleep 0.2
    done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    for ns in "${spaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
    return 0
}

# Stops the processes given (TERM, then KILL those still there after 5 s) and waits for
# them.
stop_pids() {
    local pid
    for pid in "$@"; do kill "$pid" 2>/dev/null; done
    for pid in "$@"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    return 0
}

# The exit trap of the scripts that run servers in namespaces:
#   trap 'netns_cleanup "$NS_C" "$NS_S"' EXIT
# After a failure, the end of each log in $TMP ($TMP/*.log, tcpdump.err, client.out, and
# the files a script lists in the array E2E_LOGS);
# then the processes in PIDS and everything left in the namespaces given are stopped, the
# namespaces deleted and $TMP removed. The script exits with the status it had.
netns_cleanup() {
    local rc=$? f
    set +e
    if [ "$rc" -ne 0 ]; then
        for f in "$TMP"/*.log "$TMP"/tcpdump.err "$TMP"/client.out \
            ${E2E_LOGS[@]+"${E2E_LOGS[@]}"}; do
            [ -s "$f" ] && { echo "--- ${f#"$TMP"/}" >&2; tail -n 20 "$f" >&2; }
        done
    fi
    netns_stop "${PIDS[@]}" -- "$@"
    rm -rf "$TMP"
    exit "$rc"
}

# Creates network namespaces $1 (server) and $2 (client) joined by a veth pair, server
# side address $3, client side $4 (both /24). The pair is created inside the server
# namespace and its peer moved straight into the client namespace: the host's own
# namespace never sees either end.
veth_namespaces() {
    ip netns add "$1"
    ip netns add "$2"
    ip netns exec "$1" ip link add vsrv type veth peer name vcli netns "$2"
    ip netns exec "$1" ip link set lo up
    ip netns exec "$2" ip link set lo up
    ip netns exec "$1" ip addr add "$3/24" dev vsrv
    ip netns exec "$2" ip addr add "$4/24" dev vcli
    ip netns exec "$1" ip link set vsrv up
    ip netns exec "$2" ip link set vcli up
}

# A private copy of /etc bound over /etc, in the calling script's own mount namespace:
# DIR/etc is it, to edit (passwd, group, shadow). Binding a file over /etc/passwd alone is
# not enough: when anything outside renames /etc/passwd (useradd or chpasswd in a test
# running beside this one), Linux detaches the mounts on the renamed entry in every
# namespace, and the test's accounts vanish mid-run. A directory bound over /etc stays.
private_etc() { # DIR
    # What vanishes while it is copied (another test's useradd locks and temporary files)
    # does not matter; the account files must be there.
    cp -a /etc "$1/etc" 2>/dev/null || true
    [ -s "$1/etc/passwd" ] && [ -s "$1/etc/group" ] || die "could not copy /etc"
    mount --bind "$1/etc" /etc
}
