-- Report aggregates kept for less (issues #7 and #9): `runs_report_aggregates` (0009) writes the
-- same rows with less work per run. 0009's form cost a bulk import of 20,000 statement lines
-- about 1,900 M instructions on top of the seal (callgrind); measured per statement on the
-- kept database: flows 1,278 M, facts 746 M, closings 52 M (sqlite3 3.40); in this form 789 M,
-- 379 M and 27 M.
--
-- * report_flows: one sort instead of two. 0009 grouped the run's postings by (entry, account,
--   currency) to net them and then by the table's key; the first GROUP BY sorted every posting
--   of the run. An entry posts to an account in one currency once in nearly every case, and
--   then the posting's signed amount is the entry's net effect: the first posting of an
--   (account, currency) within its entry carries the net of all of them (a probe over the
--   entry's postings, which are adjacent in the primary key), any later one carries 0, and the
--   one GROUP BY over the key splits each net by its sign as before. Same sums, and the same
--   rows: a later posting adds 0 to the group its first posting opened. The key is grouped
--   without the ledger (one per run), so the sorter compares the integer account first.
-- * report_facts: only the postings on the four tracked account kinds are read: the ledger's
--   accounts of those kinds, each one's postings in the run's seq range along
--   `postings_by_account`, their entries by primary key. 0009 read every posting of the run,
--   probed `accounts` for each and sorted the rows to drop a pair (entry, account) seen twice;
--   such a pair (an entry posting twice to one tracked account) is now left to the primary key
--   (ON CONFLICT DO NOTHING: the second row is the same row). `closed_on` is computed as before.
-- * Closings: the facts this run joins are found from `entry_joins` in the run's seq range (its
--   primary key), not by probing `entry_joins` once per entry of the run.
--
-- The tables are not touched; the test suite checks them against the entries and against the
-- form of 0009 on the same ledgers.

DROP TRIGGER runs_report_aggregates;

CREATE TRIGGER runs_report_aggregates AFTER INSERT ON runs
BEGIN
    INSERT INTO report_flows (ledger, account_id, day, kind, currency, recorded_at, debit, credit)
    SELECT NEW.ledger, x.account_id, x.booked_on, x.kind, x.currency, x.recorded_at,
           sum(max(x.net, 0)), sum(max(-x.net, 0))
      FROM (SELECT e.booked_on AS booked_on, e.kind AS kind, e.recorded_at AS recorded_at,
                   p.account_id AS account_id, p.currency AS currency,
                   CASE
                       WHEN NOT EXISTS (SELECT 1 FROM postings AS q
                                         WHERE q.ledger = p.ledger AND q.seq = p.seq
                                           AND q.idx <> p.idx AND q.account_id = p.account_id
                                           AND q.currency = p.currency)
                       THEN CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END
                       WHEN NOT EXISTS (SELECT 1 FROM postings AS q
                                         WHERE q.ledger = p.ledger AND q.seq = p.seq
                                           AND q.idx < p.idx AND q.account_id = p.account_id
                                           AND q.currency = p.currency)
                       THEN (SELECT sum(CASE q.side WHEN 'debit' THEN q.amount ELSE -q.amount END)
                               FROM postings AS q
                              WHERE q.ledger = p.ledger AND q.seq = p.seq
                                AND q.account_id = p.account_id AND q.currency = p.currency)
                       ELSE 0
                   END AS net
              FROM entries AS e
             CROSS JOIN postings AS p ON p.ledger = e.ledger AND p.seq = +e.seq
             WHERE e.ledger = NEW.ledger
               AND e.seq BETWEEN (SELECT min(seq) FROM entries INDEXED BY entries_by_run
                                   WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                             AND (SELECT max(seq) FROM entries INDEXED BY entries_by_run
                                   WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
               AND +e.run_id = NEW.run_id
             LIMIT -1 OFFSET 0) AS x
     WHERE true
     GROUP BY x.account_id, x.booked_on, x.kind, x.currency, x.recorded_at
    ON CONFLICT (ledger, account_id, day, kind, currency, recorded_at)
    DO UPDATE SET debit = debit + excluded.debit, credit = credit + excluded.credit;

    INSERT INTO report_facts (ledger, seq, account_id, kind, booked_on, closed_on)
    SELECT NEW.ledger, x.seq, x.account_id, x.kind, x.booked_on,
           (SELECT min(c.day) FROM (
                SELECT m.booked_on AS day
                  FROM entry_joins AS j INDEXED BY entry_joins_by_key
                 CROSS JOIN entries AS m ON m.ledger = j.ledger AND m.seq = j.seq
                 WHERE j.ledger = NEW.ledger AND j.joined_key = x.natural_key
                UNION ALL
                SELECT r.booked_on AS day
                  FROM entries AS r INDEXED BY entries_by_reverses
                 WHERE r.ledger = NEW.ledger AND r.reverses = x.seq
                   AND EXISTS (SELECT 1 FROM postings AS rp
                                WHERE rp.ledger = r.ledger AND rp.seq = r.seq
                                  AND rp.account_id = x.account_id)) AS c)
      FROM (SELECT p.seq AS seq, p.account_id AS account_id, e.kind AS kind,
                   e.booked_on AS booked_on, e.natural_key AS natural_key
              FROM accounts AS a
             CROSS JOIN postings AS p INDEXED BY postings_by_account
                ON p.ledger = a.ledger AND p.account_id = a.account_id
             CROSS JOIN entries AS e ON e.ledger = p.ledger AND e.seq = p.seq
             WHERE a.ledger = NEW.ledger
               AND a.kind IN ('sp2d-belum-dicairkan', 'penerimaan-belum-teridentifikasi',
                              'pengeluaran-belum-teridentifikasi', 'kas-bendahara-penerimaan')
               AND p.seq BETWEEN (SELECT min(seq) FROM entries INDEXED BY entries_by_run
                                   WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                             AND (SELECT max(seq) FROM entries INDEXED BY entries_by_run
                                   WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
               AND +e.run_id = NEW.run_id
               AND ((e.kind = 'sp2d' AND a.kind = 'sp2d-belum-dicairkan')
                 OR (e.kind = 'statement_line'
                     AND a.kind IN ('penerimaan-belum-teridentifikasi',
                                    'pengeluaran-belum-teridentifikasi'))
                 OR (e.kind = 'sts' AND a.kind = 'kas-bendahara-penerimaan'))
             LIMIT -1 OFFSET 0) AS x
     WHERE true
    ON CONFLICT (ledger, seq, account_id) DO NOTHING;

    -- Facts of earlier runs this run joins or reverses: their closing date recomputed from
    -- every closer now recorded (the same expression as above).
    UPDATE report_facts
       SET closed_on = (
           SELECT min(c.day) FROM (
               SELECT m.booked_on AS day
                 FROM entries AS f
                CROSS JOIN entry_joins AS j INDEXED BY entry_joins_by_key
                   ON j.ledger = f.ledger AND j.joined_key = f.natural_key
                CROSS JOIN entries AS m ON m.ledger = j.ledger AND m.seq = j.seq
                WHERE f.ledger = report_facts.ledger AND f.seq = report_facts.seq
               UNION ALL
               SELECT r.booked_on AS day
                 FROM entries AS r INDEXED BY entries_by_reverses
                WHERE r.ledger = report_facts.ledger AND r.reverses = report_facts.seq
                  AND EXISTS (SELECT 1 FROM postings AS rp
                               WHERE rp.ledger = r.ledger AND rp.seq = r.seq
                                 AND rp.account_id = report_facts.account_id)) AS c)
     WHERE ledger = NEW.ledger
       AND seq IN (
           SELECT t.seq
             FROM entry_joins AS j
            CROSS JOIN entries AS e ON e.ledger = j.ledger AND e.seq = j.seq
            CROSS JOIN entries AS t ON t.ledger = j.ledger AND t.natural_key = j.joined_key
            WHERE j.ledger = NEW.ledger
              AND j.seq BETWEEN (SELECT min(seq) FROM entries INDEXED BY entries_by_run
                                  WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                            AND (SELECT max(seq) FROM entries INDEXED BY entries_by_run
                                  WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
              AND +e.run_id = NEW.run_id
           UNION
           SELECT e.reverses
             FROM entries AS e
            WHERE e.ledger = NEW.ledger
              AND e.seq BETWEEN (SELECT min(seq) FROM entries INDEXED BY entries_by_run
                                  WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                            AND (SELECT max(seq) FROM entries INDEXED BY entries_by_run
                                  WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
              AND +e.run_id = NEW.run_id
              AND e.reverses IS NOT NULL);
END;
