-- The writer keeps `report_flows` (issue #7): the run's seal no longer reads the run's postings a
-- second time for them.
--
-- 0009/0010's `runs_report_aggregates` summed each entry's net effect per account into
-- `report_flows` when the run row sealed the run: one more pass over every posting of the run
-- after the seal's own (`runs_seal_entries`), with up to three probes of the entry's postings per
-- posting and a sort of all of them. The store's chain writer has every posting in hand as it
-- writes it, with its account id, and already sums the balance aggregates
-- (`account_day_balances`, `account_day_known`) the same way: from this version it also sums the
-- report flows per (account, day, entry kind, currency, recorded_at), netting an account's
-- postings within an entry first, and upserts them once per key before the run row
-- (`writer::WRITER_KEEPS_REPORT_FLOWS`). Same rows and sums as 0009 defines; the upgrade and
-- aggregate tests compare them with 0009's fill after every run. Every entry the store writes goes
-- through that writer (import, append, approval, moving a ledger in).
--
-- The trigger keeps `report_facts` and their closing dates exactly as 0010 did.

DROP TRIGGER runs_report_aggregates;

CREATE TRIGGER runs_report_aggregates AFTER INSERT ON runs
BEGIN
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
