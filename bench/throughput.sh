#!/bin/sh
# Throughput benchmark (see BENCHMARKS.md). Generates the mixed capture with the project's
# own generator (deterministic: same size and seed, same bytes; ground truth beside it),
# then runs, ROUNDS times each and in turns, on the same file with a warm page cache:
#   - the libpcap floor (bench/floor.c: pcap_next_ex and header parsing, nothing else),
#   - plainsight with 1 and 2 threads (every dissector and the shipped rules on),
#   - plainsight with 100 extra rules (the cost of rules),
#   - dsniff -n -p and tshark -q -z credentials when they are installed,
# and prints one Markdown table of medians: MB/s, packets/s, peak RSS, recall.
# Then inputs where the flows' lives cost more than their bytes (FLOWS=0: not): 200,000
# short connections (HTTP and TLS, handshake to FIN) and 1,000,000 DNS queries from as many
# ports, plainsight 1 and 2 threads against dsniff, with the flows per second.
# With SCALING=1 it adds plainsight's 100 MB / 1 GB / 10 GB rows, 1 and 2 threads in turns
# (SCALE_ROUNDS each, default 3; the 10 GB capture is generated into DIR and deleted
# afterwards), with the two-thread ratio at each size. With editcap (Wireshark's)
# installed it adds the same input as pcapng: plainsight 1 and 2 threads, dsniff (PCAPNG=0:
# not).
#
# Usage: bench/throughput.sh [BYTES [ROUNDS]]     (default 1000000000 5)
# Env:   DIR=/tmp/plainsight-bench  SEED=1  SCALING=0  SCALE_ROUNDS=3  PEERS=1  PCAPNG=1
#        FLOWS=1
# Needs: a Rust toolchain, python3, /usr/bin/time (Debian package "time"); cc and
#        libpcap-dev for the floor; dsniff and tshark for the peers.
set -eu
cd "$(dirname "$0")/.."
BYTES=${1:-1000000000}
ROUNDS=${2:-5}
DIR=${DIR:-/tmp/plainsight-bench}
SEED=${SEED:-1}
SCALING=${SCALING:-0}
SCALE_ROUNDS=${SCALE_ROUNDS:-3}
PCAPNG=${PCAPNG:-1}
PEERS=${PEERS:-1}
FLOWS=${FLOWS:-1}
mkdir -p "$DIR"
cargo build --release --quiet --example gen
cargo build --release --quiet
BIN=./target/release/plainsight
GEN=./target/release/examples/gen

capture() { # size -> path of a capture of that size (generated once)
    f="$DIR/mixed-$1-s$SEED.pcap"
    if [ ! -s "$f" ] || [ ! -s "$f.truth" ]; then
        $GEN mixed "$1" --seed "$SEED" --truth "$f.truth" >"$f" 2>"$f.gen"
    fi
    echo "$f"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run NAME ROUNDS CMD...: times CMD (stdout to $DIR/NAME.out), keeps per-round seconds and RSS.
run() {
    name=$1
    n=$2
    shift 2
    : >"$DIR/$name.secs"
    : >"$DIR/$name.rss"
    i=0
    while [ "$i" -lt "$n" ]; do
        # Wall time from the clock in nanoseconds (GNU time's %e has 10 ms steps, a few
        # per cent of a 0.25 s run); peak RSS from GNU time.
        t0=$(date +%s%N)
        /usr/bin/time -f "%e %M" -o "$DIR/$name.time" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" || true
        t1=$(date +%s%N)
        # GNU time puts "Command exited with non-zero status N" first (plainsight exits 1
        # when it found credentials): the figures are on the last line.
        read -r _ rss <<EOF
$(tail -n 1 "$DIR/$name.time")
EOF
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
        echo "$secs" >>"$DIR/$name.secs"
        echo "$rss" >>"$DIR/$name.rss"
        i=$((i + 1))
    done
}

# turn NAME CMD...: one round of CMD, added to NAME's rounds so far.
turn() {
    name=$1
    shift
    run "$name" 1 "$@"
    cat "$DIR/$name.secs" >>"$DIR/$name.all"
    cat "$DIR/$name.rss" >>"$DIR/$name.allrss"
}

# in_turns ROUNDS FUNCTION ARGS...: FUNCTION ARGS runs one round of every tool of a table
# (r: the round, from 0), ROUNDS times, so that a slow moment of the machine does not fall
# on one tool.
in_turns() {
    rounds=$1
    shift
    rm -f "$DIR"/*.all "$DIR"/*.allrss
    r=0
    while [ "$r" -lt "$rounds" ]; do
        "$@"
        r=$((r + 1))
    done
}

# versus NAME FILE: one round of plainsight with 1 and 2 threads and of dsniff (when
# installed) on FILE, as NAME1, NAME2 and NAMEdsniff.
versus() {
    turn "${1}1" $BIN scan --threads 1 --format jsonl --reveal "$2"
    turn "${1}2" $BIN scan --threads 2 --format jsonl --reveal "$2"
    if [ -n "$HAVE_DSNIFF" ]; then turn "${1}dsniff" dsniff -n -p "$2"; fi
}

# settle NAME...: the rounds of each NAME become its figures.
settle() {
    for t in "$@"; do
        [ -f "$DIR/$t.all" ] || continue
        mv "$DIR/$t.all" "$DIR/$t.secs"
        mv "$DIR/$t.allrss" "$DIR/$t.rss"
    done
}

row() { # name label file recall
    secs=$(median <"$DIR/$1.secs")
    rss=$(median <"$DIR/$1.rss")
    size=$(stat -c %s "$3")
    packets=$(grep -o '^[a-z]*: [0-9]*' "$3.gen" | head -n 1 | cut -d' ' -f2)
    awk -v l="$2" -v s="$secs" -v b="$size" -v p="$packets" -v r="$rss" -v rc="$4" 'BEGIN {
        if (s <= 0) s = 0.001;
        printf "| %s | %.0f | %.0f | %.1f MiB | %s | %.3f s |\n", l, b / s / 1e6, p / s, r / 1024, rc, s }'
}

# Puts FILE in the page cache the way reading it from disk does. A file the generator has
# just written sits in the page cache in the small pieces it was written in; read back from
# disk it comes in large folios (readahead), which a memory map sets up about ten times
# faster (0.1 s against 0.01 s per GB here). The first state would favour read(2)-based
# tools, and a capture an admin scans was read from disk: drop the file's pages, read it.
warm() {
    python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$1" 2>/dev/null || true
    cat "$1" >/dev/null
}

FILE=$(capture "$BYTES")
TRUTH="$FILE.truth"
warm "$FILE"
echo "input: $FILE ($(stat -c %s "$FILE") bytes, $(wc -l <"$TRUTH") planted logins, $(cat "$FILE.gen"))"
echo "machine: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# 100 extra rules, none of which matches the capture: what rules cost.
RULES="$DIR/rules-100"
mkdir -p "$RULES"
i=0
: >"$RULES/extra.toml"
while [ "$i" -lt 100 ]; do
    cat >>"$RULES/extra.toml" <<EOF
[[detector]]
name = "bench-$i"
description = "benchmark rule $i"
protocol = "bench$i"
transport = "tcp"
direction = "client"
on = ["unknown", "http"]
pattern = '(?i)x-bench-$i-token:[ \\t]*(?P<secret>[a-z0-9]{12,})'
kind = "token"

EOF
    i=$((i + 1))
done

FLOOR=""
if cc -O2 -o "$DIR/floor" bench/floor.c -lpcap 2>/dev/null; then
    FLOOR="$DIR/floor"
fi
HAVE_DSNIFF=""
HAVE_TSHARK=""
if [ "$PEERS" = 1 ]; then
    command -v dsniff >/dev/null 2>&1 && HAVE_DSNIFF=1
    command -v tshark >/dev/null 2>&1 && HAVE_TSHARK=1
fi

main_round() {
    if [ -n "$FLOOR" ]; then turn floor "$FLOOR" "$FILE"; fi
    turn p1 $BIN scan --threads 1 --format jsonl --reveal "$FILE"
    turn p2 $BIN scan --threads 2 --format jsonl --reveal "$FILE"
    turn prules $BIN scan --threads 1 --rules "$RULES" --format jsonl --reveal "$FILE"
    if [ -n "$HAVE_DSNIFF" ]; then turn dsniff dsniff -n -p "$FILE"; fi
    if [ -n "$HAVE_TSHARK" ] && [ "$r" -lt 2 ]; then
        # tshark is slow and large: two rounds are enough.
        turn tshark tshark -n -q -z credentials -r "$FILE"
    fi
}
in_turns "$ROUNDS" main_round
settle floor p1 p2 prules dsniff tshark

echo "| tool | MB/s | packets/s | peak RSS | logins found | time (median) |"
echo "|---|---|---|---|---|---|"
[ -n "$FLOOR" ] && row floor "libpcap floor (C, pcap_next_ex + header parse)" "$FILE" "—"
row p1 "plainsight --threads 1" "$FILE" "$(python3 bench/recall.py "$TRUTH" plainsight "$DIR/p1.out" 2>/dev/null)"
row p2 "plainsight --threads 2" "$FILE" "$(python3 bench/recall.py "$TRUTH" plainsight "$DIR/p2.out" 2>/dev/null)"
row prules "plainsight --threads 1, 100 extra rules" "$FILE" "$(python3 bench/recall.py "$TRUTH" plainsight "$DIR/prules.out" 2>/dev/null)"
[ -n "$HAVE_DSNIFF" ] && row dsniff "dsniff -n -p" "$FILE" "$(python3 bench/recall.py "$TRUTH" dsniff "$DIR/dsniff.out")"
[ -n "$HAVE_TSHARK" ] && row tshark "tshark -q -z credentials (user names only)" "$FILE" "$(python3 bench/recall.py "$TRUTH" tshark "$DIR/tshark.out")"

ratio() { awk -v a="$(median <"$DIR/$1.secs")" -v b="$(median <"$DIR/$2.secs")" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }'; }
echo
[ -n "$HAVE_DSNIFF" ] && echo "plainsight --threads 1 vs dsniff: $(ratio p1 dsniff)x dsniff's throughput"
echo "plainsight --threads 2 vs --threads 1: $(ratio p2 p1)x"

# The same input as pcapng (what Wireshark and dumpcap write), converted with editcap.
if [ "$PCAPNG" = 1 ] && command -v editcap >/dev/null 2>&1; then
    NG="${FILE%.pcap}.pcapng"
    [ -s "$NG" ] || editcap -F pcapng "$FILE" "$NG"
    cp "$FILE.gen" "$NG.gen"
    warm "$NG"
    in_turns "$ROUNDS" versus ng "$NG"
    settle ng1 ng2 ngdsniff
    echo
    echo "| same input as pcapng | MB/s | packets/s | peak RSS | logins found | time (median) |"
    echo "|---|---|---|---|---|---|"
    row ng1 "plainsight --threads 1" "$NG" "$(python3 bench/recall.py "$TRUTH" plainsight "$DIR/ng1.out" 2>/dev/null)"
    row ng2 "plainsight --threads 2" "$NG" "$(python3 bench/recall.py "$TRUTH" plainsight "$DIR/ng2.out" 2>/dev/null)"
    [ -n "$HAVE_DSNIFF" ] && row ngdsniff "dsniff -n -p" "$NG" "$(python3 bench/recall.py "$TRUTH" dsniff "$DIR/ngdsniff.out")"
    echo
    [ -n "$HAVE_DSNIFF" ] && echo "pcapng: plainsight --threads 1 vs dsniff: $(ratio ng1 ngdsniff)x"
    echo "pcapng: plainsight --threads 2 vs --threads 1: $(ratio ng2 ng1)x"
fi

# Many flows: what a flow's life costs (creation, detection, reassembly, close).
if [ "$FLOWS" = 1 ]; then
    echo
    echo "| input, tool | MB/s | packets/s | peak RSS | flows/s | time (median) |"
    echo "|---|---|---|---|---|---|"
    for spec in "short 200000" "dns 1000000"; do
        set -- $spec
        f="$DIR/$1-$2.pcap"
        [ -s "$f" ] || $GEN "$1" "$2" >"$f"
        warm "$f"
        in_turns "$ROUNDS" versus fl "$f"
        settle fl1 fl2 fldsniff
        # The packet count from plainsight's summary, for the packets/s column.
        echo "$1: $(grep -o '[0-9]* packets' "$DIR/fl1.err" | head -n 1 | cut -d' ' -f1) packets" >"$f.gen"
        flows() { awk -v n="$2" -v s="$(median <"$DIR/$1.secs")" 'BEGIN { printf "%.0f", n / s }'; }
        label="$2 $( [ "$1" = short ] && echo "short connections" || echo "DNS queries")"
        row fl1 "$label, plainsight --threads 1" "$f" "$(flows fl1 "$2")"
        row fl2 "$label, plainsight --threads 2 ($(ratio fl2 fl1)x)" "$f" "$(flows fl2 "$2")"
        [ -n "$HAVE_DSNIFF" ] && row fldsniff "$label, dsniff -n -p (plainsight --threads 1: $(ratio fl1 fldsniff)x its throughput)" "$f" "$(flows fldsniff "$2")"
    done
fi

if [ "$SCALING" = 1 ]; then
    echo
    echo "| input, threads | MB/s | packets/s | peak RSS | logins found | time (median) |"
    echo "|---|---|---|---|---|---|"
    for size in 100000000 1000000000 10000000000; do
        f=$(capture "$size")
        warm "$f"
        scale_round() {
            turn scale1 $BIN scan --threads 1 --format jsonl --reveal "$f"
            turn scale2 $BIN scan --threads 2 --format jsonl --reveal "$f"
        }
        in_turns "$SCALE_ROUNDS" scale_round
        settle scale1 scale2
        mb=$((size / 1000000))
        row scale1 "$mb MB, 1 thread" "$f" "$(python3 bench/recall.py "$f.truth" plainsight "$DIR/scale1.out" 2>/dev/null)"
        row scale2 "$mb MB, 2 threads ($(ratio scale2 scale1)x)" "$f" "$(python3 bench/recall.py "$f.truth" plainsight "$DIR/scale2.out" 2>/dev/null)"
        if [ "$size" = 10000000000 ]; then
            rm -f "$f" "$f.truth" "$f.gen"
        fi
    done
fi
