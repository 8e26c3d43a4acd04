#!/usr/bin/env bash
# MT940 readers side by side on one file, in one run: kasda (read_stream and read), the `mt940`
# crate (crates.io) and the `x940` PyPI package (Rust core behind PyO3).
#
#   benches/peers/mt940_peers.sh            # 100 000 entries, 5 rounds each
#   ENTRIES=1000000 ROUNDS=3 benches/peers/mt940_peers.sh
#
# Each runner loads the file into memory first and times only the parse; best and median
# rounds are printed, then entries/s and the ratio of each peer to kasda (best rounds).
# x940 is taken from $X940_PYTHON (default python3) and must be installed there
# (`pip install x940`; PyPI has only the source, so pip builds it with maturin and cargo).
# kasda is built in $CARGO_TARGET_DIR (default target/), the mt940 crate runner in target/peers.
set -euo pipefail
cd "$(dirname "$0")/../.."

entries=${ENTRIES:-100000}
rounds=${ROUNDS:-5}
python=${X940_PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
file="$work/mt940-$entries.sta"

echo "# building (release)" >&2
cargo build --quiet --release -p kasda-statement --example mt940_throughput
CARGO_TARGET_DIR=target/peers cargo build --quiet --release \
    --manifest-path benches/peers/mt940_crate_runner/Cargo.toml
kasda=${CARGO_TARGET_DIR:-target}/release/examples/mt940_throughput
peer=target/peers/release/mt940-crate-runner

"$kasda" gen "$file" "$entries"
results="$work/results"
: >"$results"
run() { # name command...
    local name=$1
    shift
    if out=$("$@" 2>"$work/err"); then
        echo "$out" | tee -a "$results"
    else
        echo "$name: FAILED (exit $?): $(head -c 600 "$work/err")" | tee -a "$results"
    fi
}
run kasda-stream "$kasda" stream "$file" "$rounds"
run kasda-read "$kasda" read "$file" "$rounds"
run mt940-crate "$peer" "$file" "$rounds"
run x940 "$python" benches/peers/x940_runner.py "$file" "$rounds"

echo
echo "| reader | entries | best s | entries/s (best) | entries/s (median) | kasda read_stream ÷ it | kasda read ÷ it |"
echo "|---|---|---|---|---|---|---|"
awk '
    /entries=/ {
        name = $1; rate[name] = 0
        for (i = 2; i <= NF; i++) { split($i, kv, "="); f[name, kv[1]] = kv[2] }
        order[++n] = name
    }
    /FAILED/ { failed[++m] = $0 }
    END {
        s = f["kasda-stream", "best_entries_per_s"]; r = f["kasda-read", "best_entries_per_s"]
        for (k = 1; k <= n; k++) {
            x = order[k]; b = f[x, "best_entries_per_s"]
            printf "| %s | %s | %s | %.0f | %.0f | %s | %s |\n", x, f[x, "entries"], f[x, "best_s"], \
                b, f[x, "median_entries_per_s"], (b > 0 && s > 0) ? sprintf("%.2f", s / b) : "-", \
                (b > 0 && r > 0) ? sprintf("%.2f", r / b) : "-"
        }
        for (k = 1; k <= m; k++) print failed[k]
    }' "$results"
