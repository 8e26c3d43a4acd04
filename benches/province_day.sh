#!/usr/bin/env bash
# The daily job of a province on PostgreSQL, stage by stage (issue #10):
#   generate one provinsi day (~200k receipts + statements) -> fresh database -> db migrate ->
#   import (statements + JSON Lines documents) -> reconcile -> report position + bar,
# each stage timed on the wall clock, beside a same-run baseline: psql \copy of the same
# receipts CSV into a plain all-text table (the floor any importer of that file stands on).
#
# Per stage it also reports where the time went, since on a loaded machine the wall clock alone
# cannot tell: the CPU time of the client (user + system, from /usr/bin/time), the CPU time of
# the PostgreSQL backends serving this database (read from /proc every 0.2 s while the stage
# runs: a lower bound, a backend's last 0.2 s before it exits may be missed; PostgreSQL must run
# on this host), and a sampled profile of what those backends were doing: every 0.2 s one
# look at pg_stat_activity, counted per state and statement (`active` = the server at work,
# `idle` / `idle in transaction` = the server waiting for the client). The profile is written
# to <work>/<stage>.sql-profile and its top lines are printed.
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
#   KASDA           the kasda binary               (default target/release/kasda)
#   PROFILE_TOP     statements shown per stage     (default 5; 0 = none)
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
for tool in psql date awk ps sort; do
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
TICK=$(getconf CLK_TCK 2>/dev/null || echo 100)
TIME_BIN=/usr/bin/time
[ -x "$TIME_BIN" ] || TIME_BIN=
PROFILE_TOP=${PROFILE_TOP:-5}
declare -a NAMES=() SECS=() CLIENT=() SERVER=()
declare -A SEEN=()

# Remembers the CPU ticks (user + system) of every backend connected to $DB.
poll_backends() {
    local pid args stat
    while read -r pid args; do
        case "$args" in
        "postgres: "*" $DB "*) ;;
        *) continue ;;
        esac
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        # Fields after "(comm) ": state is field 3, utime 14, stime 15.
        stat=${stat##*) }
        # shellcheck disable=SC2086
        set -- $stat
        SEEN[$pid]=$((${12} + ${13}))
    done < <(ps -eo pid=,args=)
}

# One look at what this database's backends are doing, one line per backend.
SAMPLE_SQL="SELECT coalesce(state, '?') || ' | ' || regexp_replace(left(query, 90), '\\s+', ' ', 'g')
  FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"

# stage NAME CMD...: runs CMD, records its wall time, client and server CPU, and a sampled
# profile of its SQL; stops the script when it fails.
stage() {
    local name=$1
    shift
    local t0 t1 job ticks pid client=n/a
    SEEN=()
    : >"$WORK/$name.samples"
    t0=$(now)
    if [ -n "$TIME_BIN" ]; then
        "$TIME_BIN" -o "$WORK/$name.time" -f "%U %S" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    else
        "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    fi
    job=$!
    while kill -0 "$job" 2>/dev/null; do
        poll_backends
        if [ "$name" != gen ] && [ "$name" != migrate ] && [ "$PROFILE_TOP" != 0 ]; then
            psql -qAtX "$URL" -c "$SAMPLE_SQL" >>"$WORK/$name.samples" 2>/dev/null || true
        fi
        sleep 0.2
    done
    if ! wait "$job"; then
        echo "stage $name failed: $*" >&2
        tail -n 20 "$WORK/$name.err" >&2
        exit 1
    fi
    t1=$(now)
    ticks=0
    for pid in "${!SEEN[@]}"; do
        ticks=$((ticks + SEEN[$pid]))
    done
    if [ -n "$TIME_BIN" ] && [ -s "$WORK/$name.time" ]; then
        client=$(tail -n 1 "$WORK/$name.time" | awk '{ printf "%.2f", $1 + $2 }')
    fi
    NAMES+=("$name")
    SECS+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    CLIENT+=("$client")
    SERVER+=("$(awk -v t="$ticks" -v hz="$TICK" 'BEGIN { printf "%.2f", t / hz }')")
    echo "  $name: ${SECS[-1]} s wall, client CPU ${CLIENT[-1]} s, server CPU ${SERVER[-1]} s" >&2
    if [ -s "$WORK/$name.samples" ]; then
        sort "$WORK/$name.samples" | uniq -c | sort -rn >"$WORK/$name.sql-profile"
        head -n "$PROFILE_TOP" "$WORK/$name.sql-profile" | sed 's/^/      /' >&2
    fi
}

DATA="$WORK/data"
export KASDA_DB="$URL" KASDA_CONFIG="$DATA/kasda.toml"

echo "province day $DAY (seed $SEED, leak rate $LEAK_RATE, volume $VOLUME_PERCENT%) in $WORK" >&2
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a) ($(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs)" >&2
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
# CPU of the job (client + PostgreSQL backends), which the machine's load does not inflate.
cpu_of() {
    local i
    for i in "${!NAMES[@]}"; do
        if [ "${NAMES[$i]}" = "$1" ]; then
            awk -v c="${CLIENT[$i]}" -v s="${SERVER[$i]}" 'BEGIN { printf "%.2f", (c == "n/a" ? 0 : c) + s }'
            return
        fi
    done
    echo 0
}
JOB_CPU=$(awk -v a="$(cpu_of import)" -v b="$(cpu_of reconcile)" -v c="$(cpu_of report_position)" \
    -v d="$(cpu_of report_bar)" 'BEGIN { printf "%.2f", a + b + c + d }')
COPY=$(secs_of baseline_copy)
IMPORT=$(secs_of import)

echo
echo "| stage | wall s | client CPU s | PostgreSQL CPU s |"
echo "|---|---|---|---|"
for i in "${!NAMES[@]}"; do
    echo "| ${NAMES[$i]} | ${SECS[$i]} | ${CLIENT[$i]} | ${SERVER[$i]} |"
done
echo
echo "receipts: $RECEIPTS (baseline copied $COPIED rows); statement lines: $LINES"
awk -v job="$JOB" -v cpu="$JOB_CPU" -v imp="$IMPORT" -v copy="$COPY" -v n="$RECEIPTS" 'BEGIN {
    printf "daily job (import + reconcile + reports): %.2f s (goal < 10 s: %s); CPU (client + PostgreSQL): %.2f s\n", job, (job < 10 ? "met" : "not met"), cpu
    printf "import: %.0f receipts/s; bare \\copy of the receipts CSV: %.0f rows/s; import / copy time: %.1fx\n", n / imp, n / copy, imp / copy
}'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
echo "SQL profiles (samples per state | statement): $WORK/*.sql-profile (KEEP=1 keeps them)" >&2
echo "import run report: $(head -c 400 "$WORK/import-report.json" | tr '\n' ' ')..." >&2
