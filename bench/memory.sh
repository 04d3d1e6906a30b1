#!/bin/sh
# Peak memory under floods (issue: bounded memory). Generates two captures and reports
# plainsight's peak RSS on each with the default caps:
#   - 1,000,000 SYNs from distinct ports;
#   - 100,000 connections each holding a large out-of-order hole (8 x 1400 bytes).
# Usage: bench/memory.sh [SYN_COUNT] [HOLE_FLOWS]
set -eu
cd "$(dirname "$0")/.."
SYNS=${1:-1000000}
HOLES=${2:-100000}
DIR=${TMPDIR:-/tmp}/plainsight-memory
mkdir -p "$DIR"
cargo build --release --quiet --example gen
cargo build --release --quiet
./target/release/examples/gen syn-flood "$SYNS" >"$DIR/syn.pcap"
./target/release/examples/gen holes "$HOLES" >"$DIR/holes.pcap"
for f in syn holes; do
    size=$(du -m "$DIR/$f.pcap" | cut -f1)
    /usr/bin/time -f "%M %e" -o "$DIR/$f.time" ./target/release/plainsight scan "$DIR/$f.pcap" >/dev/null 2>"$DIR/$f.err" || true
    # The figures are on GNU time's last line (a non-zero exit status adds one before).
    read -r rss secs <<EOF
$(tail -n 1 "$DIR/$f.time")
EOF
    echo "$f: ${size} MB capture, peak RSS $((rss / 1024)) MiB, ${secs}s"
    tail -n 2 "$DIR/$f.err" | sed "s/^/    /"
done
