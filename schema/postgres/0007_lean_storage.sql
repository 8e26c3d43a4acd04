-- kasda PostgreSQL schema, migration 0007: statement lines store each fact once.
--
-- Until 0006 `statement_lines.facts` held the whole kasda_store::LineFacts as JSON: every member
-- that also has its own column (natural_key, account, statement_index, pos.index, booking_date,
-- amount, currency, text = search_text) and every absent optional member as `null` (References
-- alone has eleven). That was about half of a line's bytes. From here on `facts` holds the
-- line's *body*: the members no column holds, without nulls or empty objects, and without the
-- amount when the column gives it back exactly (the amount at its currency's ISO 4217 scale,
-- as the store reads every amount). The store rebuilds the LineFacts from the columns and the
-- body (kasda-store-postgres src/linebody.rs); what the Store trait answers is unchanged.
--
-- Existing rows are converted by ALTER … TYPE … USING, which rewrites the table (and rebuilds
-- its indexes) under an ACCESS EXCLUSIVE lock: no UPDATE runs, so the append-only triggers do
-- not fire and are left as they are, as are row-level security, grants and the chain (entries
-- are not touched). Rewriting takes time and space proportional to the lines stored.

CREATE FUNCTION kasda_0007_line_body(facts json, amount numeric, currency text) RETURNS json
    LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE WHEN x ? 'pos' THEN jsonb_set(x, '{pos}', (x -> 'pos') - 'index') ELSE x END)::json
      FROM (SELECT b - ARRAY['natural_key', 'account', 'statement_index', 'booking_date',
                             'currency', 'text']
                     - ARRAY(SELECT k FROM jsonb_each(b) AS m(k, v) WHERE v = '{}'::jsonb)
                     - CASE WHEN b ->> 'amount' = round(amount,
                                CASE WHEN btrim(currency) IN ('JPY', 'KRW', 'CLP', 'ISK', 'VND',
                                                              'XAF', 'XOF', 'PYG', 'UGX') THEN 0
                                     WHEN btrim(currency) IN ('BHD', 'KWD', 'OMR', 'JOD', 'IQD',
                                                              'LYD', 'TND') THEN 3
                                     ELSE 2 END)::text
                            THEN 'amount' ELSE '' END AS x
              FROM (SELECT jsonb_strip_nulls(facts::jsonb) AS b) AS s) AS t
$$;

ALTER TABLE statement_lines
    ALTER COLUMN facts TYPE json USING kasda_0007_line_body(facts, amount, currency);

DROP FUNCTION kasda_0007_line_body(json, numeric, text);

COMMENT ON COLUMN statement_lines.facts IS
    'The line''s facts that no column holds (since migration 0007): no nulls, no empty objects, no amount when the amount column at the currency''s scale is exact';
