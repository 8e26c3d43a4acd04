#!/usr/bin/env bash
# The daily job of a province on PostgreSQL, stage by stage (issue #10):
#   generate one provinsi day (~200k receipts + statements) -> fresh database -> db migrate ->
#   import (statements + JSON Lines documents) -> reconcile -> report position + bar,
# each stage timed on the wall clock, beside a same-run baseline: psql \copy of the same
# receipts CSV into a plain all-text table (the floor any importer of that file stands on).
#
# Goal: import + reconcile + reports < 10 s.
#
# Run from the repository root:
#   benches/province_day.sh
# Environment (all optional):
#   KASDA_PG        server URL without database   (default postgres://postgres@127.0.0.1:5432)
#   DAY             the simulated day              (default 2026-03-02, a Monday)
#   SEED            generator seed                 (default 1)
#   LEAK_RATE       generator leak rate            (default 0.002)
#   VOLUME_PERCENT  generator volume               (default 100 = ~200k receipts)
#   KEEP=1          keep the work directory and the database for inspection
#   NO_BUILD=1      use the existing target/release/kasda
set -euo pipefail

PG=${KASDA_PG:-postgres://postgres@127.0.0.1:5432}
# No NOTICE lines (e.g. "database ... does not exist, skipping") from psql.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
DAY=${DAY:-2026-03-02}
SEED=${SEED:-1}
LEAK_RATE=${LEAK_RATE:-0.002}
VOLUME_PERCENT=${VOLUME_PERCENT:-100}
KASDA=${KASDA:-target/release/kasda}

if [ ! -f Cargo.toml ] || [ ! -d crates/kasda-gen ]; then
    echo "province_day.sh: run me from the kasda repository root" >&2
    exit 2
fi
for tool in psql date awk; do
    command -v "$tool" >/dev/null || { echo "province_day.sh: $tool not found" >&2; exit 2; }
done

if [ "${NO_BUILD:-0}" != 1 ]; then
    echo "building $KASDA (release)..." >&2
    cargo build --release --quiet --bin kasda
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kasda-province-day.XXXXXX")
DB="kasda_province_day_$$"
URL="$PG/$DB"
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept: $WORK and database $URL" >&2
        return
    fi
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
declare -a NAMES=() SECS=()
# stage NAME CMD...: runs CMD, records its wall time, stops the script when it fails.
stage() {
    local name=$1
    shift
    local t0 t1
    t0=$(now)
    if ! "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; then
        echo "stage $name failed: $*" >&2
        tail -n 20 "$WORK/$name.err" >&2
        exit 1
    fi
    t1=$(now)
    NAMES+=("$name")
    SECS+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    echo "  $name: ${SECS[-1]} s" >&2
}

DATA="$WORK/data"
export KASDA_DB="$URL" KASDA_CONFIG="$DATA/kasda.toml"

echo "province day $DAY (seed $SEED, leak rate $LEAK_RATE, volume $VOLUME_PERCENT%) in $WORK" >&2
stage gen "$KASDA" gen --profile provinsi --from "$DAY" --days 1 --seed "$SEED" \
    --leak-rate "$LEAK_RATE" --volume-percent "$VOLUME_PERCENT" --out "$DATA"
psql -q -v ON_ERROR_STOP=1 "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
stage migrate "$KASDA" db migrate
# One rendering of each document: the JSON Lines files (the CSV copies carry the same rows).
mapfile -t DOCS < <(find "$DATA/documents" -name '*.jsonl' | sort)
stage import "$KASDA" import "$DATA/statements" "${DOCS[@]}" --report "$WORK/import-report.json"
stage reconcile "$KASDA" reconcile --from "$DAY" --to "$DAY"
stage report_position "$KASDA" --format html report position --to "$DAY" --out "$WORK/position.html"
stage report_bar "$KASDA" --format html report bar --from "$DAY" --to "$DAY" --out "$WORK/bar.html"

# Baseline in the same run: the receipts CSV (~200k rows) through psql \copy into a plain
# table with one text column per CSV column, no keys, no checks.
RECEIPTS_CSV=$(find "$DATA/documents" -name 'receipts-*.csv' | sort | head -n 1)
COLS=$(head -n 1 "$RECEIPTS_CSV" | awk -F, '{ for (i = 1; i <= NF; i++) printf "%s\"c%d\" text", (i > 1 ? ", " : ""), i }')
psql -q -v ON_ERROR_STOP=1 "$URL" -c "CREATE TABLE bench_receipts_copy ($COLS)" >/dev/null
stage baseline_copy psql -q -v ON_ERROR_STOP=1 "$URL" \
    -c "\\copy bench_receipts_copy FROM '$RECEIPTS_CSV' WITH (FORMAT csv, HEADER true)"

RECEIPTS=$(($(wc -l <"$RECEIPTS_CSV") - 1))
LINES=$(grep -E '^[^a-z]*statement_lines[^a-z]' "$WORK/gen.out" | grep -oE '[0-9]+' | tail -n 1 || true)
COPIED=$(psql -tA "$URL" -c "SELECT count(*) FROM bench_receipts_copy")

secs_of() {
    local i
    for i in "${!NAMES[@]}"; do
        if [ "${NAMES[$i]}" = "$1" ]; then
            echo "${SECS[$i]}"
            return
        fi
    done
    echo 0
}
JOB=$(awk -v a="$(secs_of import)" -v b="$(secs_of reconcile)" -v c="$(secs_of report_position)" \
    -v d="$(secs_of report_bar)" 'BEGIN { printf "%.3f", a + b + c + d }')
COPY=$(secs_of baseline_copy)
IMPORT=$(secs_of import)

echo
echo "| stage | seconds |"
echo "|---|---|"
for i in "${!NAMES[@]}"; do
    echo "| ${NAMES[$i]} | ${SECS[$i]} |"
done
echo
echo "receipts: $RECEIPTS (baseline copied $COPIED rows); statement lines: $LINES"
awk -v job="$JOB" -v imp="$IMPORT" -v copy="$COPY" -v n="$RECEIPTS" 'BEGIN {
    printf "daily job (import + reconcile + reports): %.2f s (goal < 10 s: %s)\n", job, (job < 10 ? "met" : "not met")
    printf "import: %.0f receipts/s; bare \\copy of the receipts CSV: %.0f rows/s; import / copy time: %.1fx\n", n / imp, n / copy, imp / copy
}'
echo "import run report: $(head -c 400 "$WORK/import-report.json" | tr '\n' ' ')..." >&2
