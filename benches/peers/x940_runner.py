"""Times the x940 PyPI package (Rust core behind PyO3) on an MT940 file.

usage: python3 x940_runner.py FILE [ROUNDS]

The text is read and decoded before the clock starts; each round times `x940.MT940(text)`,
which parses every statement into x940's Rust structs. x940's Python API lists only the first
statement's transactions, so the entries of all statements are counted once afterwards, outside
the timing, from its JSON export.
Prints one line in the format of kasda's `mt940_throughput` example.
"""

import json
import statistics
import sys
import time

try:
    import x940
except ImportError as e:  # reported by the script, which then carries on without x940
    print(f"x940 not importable: {e}", file=sys.stderr)
    sys.exit(3)


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: x940_runner.py FILE [ROUNDS]", file=sys.stderr)
        return 2
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with open(path, encoding="utf-8") as f:
        text = f.read()
    times = []
    stmt = None
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            stmt = x940.MT940(text)
        except Exception as e:  # x940 raises ValueError on input it rejects
            print(f"{path}: x940 cannot parse it: {e}", file=sys.stderr)
            return 1
        times.append(time.perf_counter() - started)
    exported = json.loads(stmt.to_json())
    statements = exported if isinstance(exported, list) else exported.get("statements", [exported])
    entries = sum(len(s.get("transactions", [])) for s in statements)
    times.sort()
    best = times[0]
    median = statistics.median(times)
    print(
        f"x940 entries={entries} rounds={rounds} best_s={best:.6f} median_s={median:.6f} "
        f"best_entries_per_s={entries / best:.0f} median_entries_per_s={entries / median:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
