#!/usr/bin/env bash
# Seeds each fuzz target's corpus with the repository's sample files (and ../shared's when present).
set -euo pipefail
cd "$(dirname "$0")"
seed() { mkdir -p "corpus/$1"; shift; for f in "$@"; do [ -f "$f" ] && cp -n "$f" "corpus/${target}/" || true; done; }
shared=../../shared/sample-statements
target=camt; seed camt ../sample-statements/camt/*.xml ../sample-statements/public/camt/*.xml $shared/camt/*
target=mt940; seed mt940 ../sample-statements/mt940/* ../sample-statements/public/mt940/* $shared/mt940/*
target=csv_profiles; seed csv_profiles ../sample-statements/csv/*.csv $shared/csv/*
target=snap; seed snap ../sample-statements/snap/*.json
target=documents; seed documents ../sample-statements/documents/*
target=detect; seed detect ../sample-statements/*/* $shared/*/*
find corpus -name '*.expected.json' -delete
echo "corpora seeded under fuzz/corpus/"
