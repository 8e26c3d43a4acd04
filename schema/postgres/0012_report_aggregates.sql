-- Report aggregates kept on write (issue #9): no monthly report reads the month's postings.
-- The same two tables as SQLite's migration 0009 (the numbers differ per store):
--
-- * report_flows: per (account, booked day, entry kind, currency, recorded_at) the net effect of
--   each entry on the account split by its sign, summed: what `Store::account_flows` answers
--   (rekap, LAK, daily position) and `Store::account_flows_of`. Keyed by the entries' recording
--   time too, so a read known at T keeps the rows with `recorded_at <= T`: exact, not an
--   approximation.
-- * report_facts: the facts the Berita Acara lists as reconciling items, one row per (entry,
--   account) for SP2D on `sp2d-belum-dicairkan`, statement lines on the two suspense accounts and
--   STS on `kas-bendahara-penerimaan`, with `closed_on`: the earliest booking date of an entry
--   that joins the fact's natural key or reverses it while posting to the account (NULL while
--   none does). The facts open at D are the rows booked by D with `closed_on` NULL or after D, a
--   range of `report_facts_open`. A read known at an earlier time walks the postings as before.
--
-- Both are derived and kept at COMMIT by a deferred constraint trigger of their own on
-- `kasda_pending_checks` (one row per INSERT/COPY statement on entries: its ledger and seq
-- range), beside the entry checks of 0001 and without touching the write paths: by then the
-- statement's postings and every join of the transaction are written. Only the owner writes
-- them (SECURITY DEFINER); the roles read them under the same row-level policy as the ledger.

CREATE TABLE report_flows (
    ledger_id    text COLLATE "C" NOT NULL,
    account_id   integer          NOT NULL,
    day          date             NOT NULL,
    kind         text COLLATE "C" NOT NULL,
    currency     char(3)          NOT NULL,
    recorded_at  timestamptz      NOT NULL,
    debit        numeric(24, 3)   NOT NULL CHECK (debit >= 0),
    credit       numeric(24, 3)   NOT NULL CHECK (credit >= 0),
    PRIMARY KEY (ledger_id, account_id, day, kind, currency, recorded_at)
);

CREATE TABLE report_facts (
    ledger_id   text COLLATE "C" NOT NULL,
    seq         bigint           NOT NULL,
    account_id  integer          NOT NULL,
    kind        text COLLATE "C" NOT NULL,
    booked_on   date             NOT NULL,
    closed_on   date,
    PRIMARY KEY (ledger_id, seq, account_id)
);
CREATE INDEX report_facts_open ON report_facts (ledger_id, account_id, kind, closed_on, booked_on);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['report_flows', 'report_facts'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I USING (kasda_ledger_visible(ledger_id, current_user))',
                       t || '_by_ledger', t);
        EXECUTE format('REVOKE ALL ON %I FROM PUBLIC', t);
        EXECUTE format('GRANT SELECT ON %I TO kasda_auditor, kasda_treasurer, kasda_importer', t);
    END LOOP;
END;
$$;

-- The closing date of fact `s` on account `a`: the earliest booking date of an entry joining its
-- natural key or reversing it with a posting to the account.
CREATE FUNCTION kasda_fact_closed_on(l text, s bigint, a integer) RETURNS date
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT min(c.day) FROM (
        SELECT m.booked_on AS day
          FROM public.entries f
          JOIN public.entry_joins j ON j.ledger_id = f.ledger_id AND j.joined_key = f.natural_key
          JOIN public.entries m ON m.ledger_id = j.ledger_id AND m.seq = j.seq
         WHERE f.ledger_id = l AND f.seq = s
        UNION ALL
        SELECT r.booked_on AS day
          FROM public.entries r
         WHERE r.ledger_id = l AND r.reverses = s
           AND EXISTS (SELECT 1 FROM public.postings rp
                        WHERE rp.ledger_id = r.ledger_id AND rp.seq = r.seq AND rp.account_id = a)
    ) c
$$;
REVOKE ALL ON FUNCTION kasda_fact_closed_on(text, bigint, integer) FROM PUBLIC;

-- Adds the entries of ledger `l` with seq in `lo..=hi` to both tables and recomputes the closing
-- date of every fact they join or reverse.
CREATE FUNCTION kasda_report_aggregate_range(l text, lo bigint, hi bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO public.report_flows AS f
           (ledger_id, account_id, day, kind, currency, recorded_at, debit, credit)
    SELECT n.ledger_id, n.account_id, n.booked_on, n.kind, n.currency, n.recorded_at,
           coalesce(sum(n.net) FILTER (WHERE n.net > 0), 0),
           coalesce(-sum(n.net) FILTER (WHERE n.net < 0), 0)
      FROM (SELECT e.ledger_id, e.seq, e.booked_on, e.kind, e.recorded_at, p.account_id,
                   p.currency,
                   sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) AS net
              FROM public.entries e
              JOIN public.postings p ON p.ledger_id = e.ledger_id AND p.seq = e.seq
             WHERE e.ledger_id = l AND e.seq BETWEEN lo AND hi
               AND p.ledger_id = l AND p.seq BETWEEN lo AND hi
             GROUP BY e.ledger_id, e.seq, e.booked_on, e.kind, e.recorded_at, p.account_id,
                      p.currency) n
     GROUP BY n.ledger_id, n.account_id, n.booked_on, n.kind, n.currency, n.recorded_at
    ON CONFLICT (ledger_id, account_id, day, kind, currency, recorded_at)
    DO UPDATE SET debit = f.debit + EXCLUDED.debit, credit = f.credit + EXCLUDED.credit;

    INSERT INTO public.report_facts (ledger_id, seq, account_id, kind, booked_on, closed_on)
    SELECT DISTINCT e.ledger_id, e.seq, p.account_id, e.kind, e.booked_on, NULL::date
      FROM public.entries e
      JOIN public.postings p ON p.ledger_id = e.ledger_id AND p.seq = e.seq
      JOIN public.accounts a ON a.ledger_id = p.ledger_id AND a.account_id = p.account_id
     WHERE e.ledger_id = l AND e.seq BETWEEN lo AND hi
       AND e.kind IN ('sp2d', 'statement_line', 'sts')
       AND ((e.kind = 'sp2d' AND a.kind = 'sp2d-belum-dicairkan')
         OR (e.kind = 'statement_line'
             AND a.kind IN ('penerimaan-belum-teridentifikasi', 'pengeluaran-belum-teridentifikasi'))
         OR (e.kind = 'sts' AND a.kind = 'kas-bendahara-penerimaan'))
    ON CONFLICT (ledger_id, seq, account_id) DO NOTHING;

    UPDATE public.report_facts f
       SET closed_on = public.kasda_fact_closed_on(f.ledger_id, f.seq, f.account_id)
     WHERE f.ledger_id = l
       AND f.seq IN (
           SELECT x.seq FROM public.report_facts x
            WHERE x.ledger_id = l AND x.seq BETWEEN lo AND hi
           UNION
           SELECT t.seq
             FROM public.entry_joins j
             JOIN public.entries t ON t.ledger_id = j.ledger_id AND t.natural_key = j.joined_key
            WHERE j.ledger_id = l AND j.seq BETWEEN lo AND hi
           UNION
           SELECT r.reverses FROM public.entries r
            WHERE r.ledger_id = l AND r.seq BETWEEN lo AND hi AND r.reverses IS NOT NULL);
END;
$$;
REVOKE ALL ON FUNCTION kasda_report_aggregate_range(text, bigint, bigint) FROM PUBLIC;

CREATE FUNCTION kasda_report_aggregates() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM public.kasda_report_aggregate_range(NEW.ledger_id, NEW.from_seq, NEW.to_seq);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION kasda_report_aggregates() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER report_aggregates_at_commit AFTER INSERT ON kasda_pending_checks
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION kasda_report_aggregates();

-- Existing ledgers, from their whole history.
SELECT kasda_report_aggregate_range(l.ledger_id, 1, 9223372036854775807) FROM ledgers l;
