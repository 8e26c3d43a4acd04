-- A cheaper seal: the run's entries are read along the primary key, and an entry's postings give
-- their verdict with four aggregates instead of six.
--
-- `runs_seal_entries` (0005, 0007) walked `entries_by_run` and fetched every entry's row through
-- the primary key, a B-tree descent per entry. It now takes the run's first and last seq from
-- `entries_by_run` (two probes) and reads the rows between them in key order, keeping those of the
-- run (`+e.run_id` keeps the planner on the primary key); every entry of the run lies in that range
-- by definition, so the same entries are checked. The postings verdict no longer takes the minimum
-- and maximum currency length of every entry: when an entry has one currency, the length of that
-- one code is checked; an entry mixing currencies (rare) looks for a bad code with its own probe.
-- Rules, order and messages are unchanged. Measured: see the commit and BENCHMARKS.md.

DROP TRIGGER runs_seal_entries;

CREATE TRIGGER runs_seal_entries AFTER INSERT ON runs
BEGIN
    SELECT CASE
        WHEN b.kind = 'opening_balance'
         AND NOT (
                (b.natural_key GLOB 'opening_balance:kas-daerah/?*:[1-9]*'
                 OR b.natural_key GLOB 'opening_balance:kas-penampungan/?*:[1-9]*')
            AND rtrim(b.natural_key, '0123456789') GLOB '*:'
            AND substr(b.natural_key, length(rtrim(b.natural_key, '0123456789')) + 1, 1) BETWEEN '1' AND '9')
        THEN RAISE(ABORT, 'kasda: an opening_balance entry must be keyed opening_balance:<kas account>:<n>')
        WHEN b.verdict = 1 THEN RAISE(ABORT, 'kasda: entry has fewer than two postings')
        WHEN b.verdict = 2
        THEN RAISE(ABORT, 'kasda: entry does not balance (debits differ from credits)')
        WHEN b.verdict = 3 THEN RAISE(ABORT, 'kasda: posting currency is not a three-letter code')
        WHEN length(b.prev_hash) <> 64 OR length(b.hash) <> 64
        THEN RAISE(ABORT, 'kasda: entry hash is not 64 hex digits')
        WHEN b.seq > 1 AND b.before IS NULL
        THEN RAISE(ABORT, 'kasda: entry seq is not the next in the ledger chain')
        WHEN b.prev_hash IS NOT coalesce(b.before,
            '0000000000000000000000000000000000000000000000000000000000000000')
        THEN RAISE(ABORT, 'kasda: entry prev_hash does not link to the previous entry')
        WHEN b.booked_on <= (SELECT max(through_date) FROM period_locks WHERE ledger = NEW.ledger)
        THEN RAISE(ABORT, 'kasda: entry is booked in a closed period')
    END
    FROM (SELECT e.seq AS seq, e.prev_hash AS prev_hash, e.hash AS hash, e.booked_on AS booked_on,
                 e.kind AS kind, e.natural_key AS natural_key,
                 (SELECT hash FROM entries AS q WHERE q.ledger = e.ledger AND q.seq = e.seq - 1) AS before,
                 -- 1: fewer than two postings; 2: unbalanced (per currency when they mix);
                 -- 3: a currency code that is not three characters; 0: fine.
                 (SELECT CASE
                     WHEN count(*) < 2 THEN 1
                     WHEN min(p.currency) = max(p.currency) THEN
                         CASE
                             WHEN sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) <> 0 THEN 2
                             WHEN length(min(p.currency)) <> 3 THEN 3
                             ELSE 0
                         END
                     WHEN EXISTS (
                         SELECT 1 FROM postings AS m WHERE m.ledger = e.ledger AND m.seq = e.seq
                         GROUP BY m.currency
                         HAVING sum(CASE m.side WHEN 'debit' THEN m.amount ELSE -m.amount END) <> 0) THEN 2
                     WHEN EXISTS (
                         SELECT 1 FROM postings AS m WHERE m.ledger = e.ledger AND m.seq = e.seq
                            AND length(m.currency) <> 3) THEN 3
                     ELSE 0
                  END
                  FROM postings AS p WHERE p.ledger = e.ledger AND p.seq = e.seq) AS verdict
          FROM entries AS e
          WHERE e.ledger = NEW.ledger
            AND e.seq BETWEEN (SELECT min(seq) FROM entries INDEXED BY entries_by_run
                               WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                          AND (SELECT max(seq) FROM entries INDEXED BY entries_by_run
                               WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
            AND +e.run_id = NEW.run_id
          -- OFFSET keeps SQLite from flattening this into the CASE above (see 0005).
          LIMIT -1 OFFSET 0) AS b;
END;
