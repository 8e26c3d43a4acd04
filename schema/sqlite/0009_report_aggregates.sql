-- Report aggregates kept on write (issue #9): no monthly report reads the month's postings.
--
-- * report_flows: per (account, booked day, entry kind, currency, recorded_at) the net effect of
--   each entry on the account split by its sign, summed: what `Store::account_flows` answers
--   (rekap, LAK, daily position) and `Store::account_flows_of` (the bendahara BKU's opening
--   split). Keyed by the entries' recording time too, so a read known at T keeps the rows with
--   `recorded_at <= T` and gives exactly the figures of the entries known then.
-- * report_facts: the facts the Berita Acara lists as reconciling items, one row per (entry,
--   account) for the pairs it asks about: SP2D on `sp2d-belum-dicairkan`, statement lines on the
--   two suspense accounts, STS on `kas-bendahara-penerimaan`. `closed_on` is the earliest
--   booking date of an entry that joins the fact's natural key or reverses it while posting to
--   the account (NULL while none does), so the facts open at D are the rows booked by D with
--   `closed_on` NULL or after D: a range of `report_facts_open`, however long the clearing
--   account's history. A read known at an earlier time walks the postings as before.
--
-- Both are derived: `runs_report_aggregates` (AFTER INSERT ON runs: the run row is written last
-- and seals the run, see 0005/0008) adds the run's entries with one set-based statement each,
-- and recomputes `closed_on` of the facts the run's entries join or reverse. The store's own
-- write paths are unchanged. Existing ledgers are filled in below from their entries.

CREATE TABLE report_flows (
    ledger       TEXT    NOT NULL,
    account_id   INTEGER NOT NULL,
    day          TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    currency     TEXT    NOT NULL,
    recorded_at  INTEGER NOT NULL,
    debit        INTEGER NOT NULL CHECK (debit >= 0),
    credit       INTEGER NOT NULL CHECK (credit >= 0),
    PRIMARY KEY (ledger, account_id, day, kind, currency, recorded_at)
) WITHOUT ROWID;

CREATE TABLE report_facts (
    ledger      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    account_id  INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    booked_on   TEXT    NOT NULL,
    closed_on   TEXT,
    PRIMARY KEY (ledger, seq, account_id)
) WITHOUT ROWID;
CREATE INDEX report_facts_open ON report_facts (ledger, account_id, kind, closed_on, booked_on);

-- Existing ledgers: every entry's flows and every tracked fact with its closing date.
--
-- Plans: the joins of an entry to its postings are written `p.seq = +e.seq` and fenced
-- (`LIMIT -1 OFFSET 0`) from the GROUP BY above them: otherwise SQLite, without statistics,
-- carries the run's seq range over to `postings` (every posting of the run for each entry) or
-- walks `postings_by_account` to save the GROUP BY's sort (every posting of the ledger).
INSERT INTO report_flows (ledger, account_id, day, kind, currency, recorded_at, debit, credit)
SELECT n.ledger, n.account_id, n.booked_on, n.kind, n.currency, n.recorded_at,
       sum(max(n.net, 0)), sum(max(-n.net, 0))
  FROM (SELECT x.ledger AS ledger, x.booked_on AS booked_on, x.kind AS kind,
               x.recorded_at AS recorded_at, x.account_id AS account_id, x.currency AS currency,
               sum(x.signed) AS net
          FROM (SELECT e.ledger AS ledger, e.seq AS seq, e.booked_on AS booked_on, e.kind AS kind,
                       e.recorded_at AS recorded_at, p.account_id AS account_id,
                       p.currency AS currency,
                       CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END AS signed
                  FROM entries AS e
                 CROSS JOIN postings AS p ON p.ledger = e.ledger AND p.seq = +e.seq
                 WHERE true
                 LIMIT -1 OFFSET 0) AS x
         GROUP BY x.ledger, x.seq, x.account_id, x.currency) AS n
 WHERE true
 GROUP BY n.ledger, n.account_id, n.booked_on, n.kind, n.currency, n.recorded_at;

INSERT INTO report_facts (ledger, seq, account_id, kind, booked_on, closed_on)
SELECT x.ledger, x.seq, x.account_id, x.kind, x.booked_on,
       (SELECT min(c.day) FROM (
            SELECT m.booked_on AS day
              FROM entry_joins AS j INDEXED BY entry_joins_by_key
             CROSS JOIN entries AS m ON m.ledger = j.ledger AND m.seq = j.seq
             WHERE j.ledger = x.ledger AND j.joined_key = x.natural_key
            UNION ALL
            SELECT r.booked_on AS day
              FROM entries AS r INDEXED BY entries_by_reverses
             WHERE r.ledger = x.ledger AND r.reverses = x.seq
               AND EXISTS (SELECT 1 FROM postings AS rp
                            WHERE rp.ledger = r.ledger AND rp.seq = r.seq
                              AND rp.account_id = x.account_id)) AS c)
  FROM (SELECT e.ledger AS ledger, e.seq AS seq, p.account_id AS account_id, e.kind AS kind,
               e.booked_on AS booked_on, e.natural_key AS natural_key
          FROM entries AS e
         CROSS JOIN postings AS p ON p.ledger = e.ledger AND p.seq = +e.seq
         CROSS JOIN accounts AS a ON a.ledger = p.ledger AND a.account_id = p.account_id
         WHERE true
           AND e.kind IN ('sp2d', 'statement_line', 'sts')
           AND ((e.kind = 'sp2d' AND a.kind = 'sp2d-belum-dicairkan')
             OR (e.kind = 'statement_line'
                 AND a.kind IN ('penerimaan-belum-teridentifikasi',
                                'pengeluaran-belum-teridentifikasi'))
             OR (e.kind = 'sts' AND a.kind = 'kas-bendahara-penerimaan'))
         LIMIT -1 OFFSET 0) AS x
 GROUP BY x.ledger, x.seq, x.account_id;

-- Each run as it is sealed: its entries' flows, its facts, and the facts it closes. The run's
-- entries are the seqs between its first and last (`entries_by_run`, two probes) read along the
-- primary key, as in the seal (0008).
CREATE TRIGGER runs_report_aggregates AFTER INSERT ON runs
BEGIN
    INSERT INTO report_flows (ledger, account_id, day, kind, currency, recorded_at, debit, credit)
    SELECT n.ledger, n.account_id, n.booked_on, n.kind, n.currency, n.recorded_at,
           sum(max(n.net, 0)), sum(max(-n.net, 0))
      FROM (SELECT x.ledger AS ledger, x.booked_on AS booked_on, x.kind AS kind,
                   x.recorded_at AS recorded_at, x.account_id AS account_id, x.currency AS currency,
                   sum(x.signed) AS net
              FROM (SELECT e.ledger AS ledger, e.seq AS seq, e.booked_on AS booked_on, e.kind AS kind,
                           e.recorded_at AS recorded_at, p.account_id AS account_id,
                           p.currency AS currency,
                           CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END AS signed
                      FROM entries AS e
                     CROSS JOIN postings AS p ON p.ledger = e.ledger AND p.seq = +e.seq
                     WHERE e.ledger = NEW.ledger AND e.seq BETWEEN (SELECT min(seq) FROM entries INDEXED BY entries_by_run
                                          WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                                   AND (SELECT max(seq) FROM entries INDEXED BY entries_by_run
                                          WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                     AND +e.run_id = NEW.run_id
                     LIMIT -1 OFFSET 0) AS x
             GROUP BY x.ledger, x.seq, x.account_id, x.currency) AS n
     WHERE true
     GROUP BY n.ledger, n.account_id, n.booked_on, n.kind, n.currency, n.recorded_at
    ON CONFLICT (ledger, account_id, day, kind, currency, recorded_at)
    DO UPDATE SET debit = debit + excluded.debit, credit = credit + excluded.credit;

    INSERT INTO report_facts (ledger, seq, account_id, kind, booked_on, closed_on)
    SELECT x.ledger, x.seq, x.account_id, x.kind, x.booked_on,
           (SELECT min(c.day) FROM (
                SELECT m.booked_on AS day
                  FROM entry_joins AS j INDEXED BY entry_joins_by_key
                 CROSS JOIN entries AS m ON m.ledger = j.ledger AND m.seq = j.seq
                 WHERE j.ledger = x.ledger AND j.joined_key = x.natural_key
                UNION ALL
                SELECT r.booked_on AS day
                  FROM entries AS r INDEXED BY entries_by_reverses
                 WHERE r.ledger = x.ledger AND r.reverses = x.seq
                   AND EXISTS (SELECT 1 FROM postings AS rp
                                WHERE rp.ledger = r.ledger AND rp.seq = r.seq
                                  AND rp.account_id = x.account_id)) AS c)
      FROM (SELECT e.ledger AS ledger, e.seq AS seq, p.account_id AS account_id, e.kind AS kind,
                   e.booked_on AS booked_on, e.natural_key AS natural_key
              FROM entries AS e
             CROSS JOIN postings AS p ON p.ledger = e.ledger AND p.seq = +e.seq
             CROSS JOIN accounts AS a ON a.ledger = p.ledger AND a.account_id = p.account_id
             WHERE e.ledger = NEW.ledger AND e.seq BETWEEN (SELECT min(seq) FROM entries INDEXED BY entries_by_run
                                        WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                                   AND (SELECT max(seq) FROM entries INDEXED BY entries_by_run
                                        WHERE ledger = NEW.ledger AND run_id = NEW.run_id)
                     AND +e.run_id = NEW.run_id
               AND e.kind IN ('sp2d', 'statement_line', 'sts')
               AND ((e.kind = 'sp2d' AND a.kind = 'sp2d-belum-dicairkan')
                 OR (e.kind = 'statement_line'
                     AND a.kind IN ('penerimaan-belum-teridentifikasi',
                                    'pengeluaran-belum-teridentifikasi'))
                 OR (e.kind = 'sts' AND a.kind = 'kas-bendahara-penerimaan'))
             LIMIT -1 OFFSET 0) AS x
     GROUP BY x.ledger, x.seq, x.account_id;

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
             FROM entries AS e
            CROSS JOIN entry_joins AS j ON j.ledger = e.ledger AND j.seq = +e.seq
            CROSS JOIN entries AS t ON t.ledger = j.ledger AND t.natural_key = j.joined_key
            WHERE e.ledger = NEW.ledger
              AND e.seq BETWEEN (SELECT min(seq) FROM entries INDEXED BY entries_by_run
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
