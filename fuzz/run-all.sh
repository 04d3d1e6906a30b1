#!/bin/sh
# Runs every fuzz target for SECONDS (default 600) each, JOBS (default 2) at a time.
# New corpus entries go to $WORK (default /tmp/plainsight-fuzz), not into the repository;
# crashes land in fuzz/artifacts/<target>/. Needs cargo-fuzz (`cargo install cargo-fuzz`).
set -eu
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
JOBS=${JOBS:-2}
WORK=${WORK:-/tmp/plainsight-fuzz}
export RUSTC_BOOTSTRAP=1
cargo fuzz build
targets=$(cargo fuzz list)
mkdir -p "$WORK"
run() {
    t=$1
    mkdir -p "$WORK/$t"
    # chunked needs inputs that span several 4 KiB chunks.
    len=""
    [ "$t" = chunked ] && len="-max_len=65536"
    cargo fuzz run "$t" "$WORK/$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" $len \
        -print_final_stats=1 -rss_limit_mb=2048 >"$WORK/$t.log" 2>&1 \
        && echo "$t: ok" || echo "$t: FAILED (see $WORK/$t.log)"
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$WORK/$t.log" | sed "s/^/$t: /"
}
set -- $targets
while [ $# -gt 0 ]; do
    i=0
    while [ $i -lt "$JOBS" ] && [ $# -gt 0 ]; do
        run "$1" &
        shift
        i=$((i + 1))
    done
    wait
done
