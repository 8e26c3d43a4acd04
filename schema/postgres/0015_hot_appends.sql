-- kasda PostgreSQL schema, migration 0015: a cheaper transaction for group commit (issue #6).
--
-- Eight writers appending single entries to one hot account are served by group commit (0005):
-- one kasda_append_group call and one COMMIT per group. Measured per group transaction in server
-- instructions (callgrind, one backend, 100 transactions, a 30k-entry ledger), the call itself was
-- the smaller part: the COMMIT-time report aggregates (0012) re-planned their statements on every
-- commit (custom plans for a range of one to eight entries), the check bookkeeping (0011) planned
-- kasda_forget_checks (an SQL function, planned on each call) on every commit, and the group
-- function ran eight look-up statements and five INSERTs, each with its own executor start.
--
-- Now:
-- * kasda_append_group asks everything it needs from the stored ledger in ONE statement (ledger
--   known, head, closed period, latest recording time, last run, stored keys, reversible entries,
--   the account ids of every posting) and writes the group's runs, entries, postings, joins and
--   balance deltas in ONE data-modifying statement (accounts first seen in the group are still
--   inserted first, by a statement of their own, only when there are any). Same arguments, same
--   answers, same rows; the natural-key look-up keeps 0014's indexed expression.
-- * kasda_report_aggregates (0012's trigger) runs the range function with generic plans and
--   without sequential scans for a range of fewer than 64 entries (a small append: every statement
--   of the range function is a primary-key range or key look-up, and one plan serves every such
--   commit of the session), and with plans made for the range otherwise (an import), as before.
--   Both settings are scoped to the trigger function (its SET clauses restore them on exit).
-- * kasda_check_entries (0013, body unchanged) removes finished check rows (kasda_forget_checks)
--   only when the checked range crosses a multiple of 16 seqs (every import does; a hot ledger
--   about every 16 entries) instead of on every commit: at most ~16 more rows of
--   kasda_entry_checks wait for the next sweep; nothing reads another transaction's rows.
-- What is written, checked and refused is unchanged.

CREATE OR REPLACE FUNCTION kasda_append_group(
    p_ledger   text,
    p_now      timestamptz,
    c_run_kind text[],
    c_actor    text[],
    c_details  text[],
    e_caller   int[],
    e_kind     text[],
    e_booked   date[],
    e_value    date[],
    e_key      text[],
    e_pos      text[],
    e_memo     text[],
    e_rev      bigint[],
    e_tail     bytea[],
    p_entry    int[],
    p_idx      int[],
    p_account  text[],
    p_acc_kind text[],
    p_acc_qual text[],
    p_side     text[],
    p_amount   numeric[],
    p_cur      text[],
    j_entry    int[],
    j_idx      int[],
    j_key      text[],
    OUT run_ids bigint[],
    OUT fresh   boolean[],
    OUT head    text,
    OUT seqs    bigint[],
    OUT hashes  text[])
LANGUAGE plpgsql AS $$
DECLARE
    callers    int := coalesce(array_length(c_actor, 1), 0);
    n          int := coalesce(array_length(e_key, 1), 0);
    known      boolean;
    head_seq   bigint;
    head_hash  bytea;
    closed     date;
    at         timestamptz;
    last_run   bigint;
    seq        bigint;
    prev       text;
    h          text;
    s          text;
    i          int := 1;
    first      int;
    ok         boolean;
    mark_seq   bigint;
    mark_prev  text;
    mark_n     int;
    seq_of     bigint[];
    prevs      text[] := '{}';
    idxs       int[] := '{}';
    taken      text[] := '{}';
    stored     text[];
    reversible bigint[];
    acc_ids    int[];
    lhdr       bytea := '\x0000000e'::bytea || convert_to('kasda-entry-v1', 'UTF8')
                        || int4send(octet_length(p_ledger)) || convert_to(p_ledger, 'UTF8');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('kasda.ledger:' || p_ledger, 0));
    -- Everything the plan needs from the stored ledger, in one statement.
    SELECT EXISTS (SELECT 1 FROM public.ledgers l WHERE l.ledger_id = p_ledger),
           hd.seq, hd.hash,
           (SELECT max(l.through_date) FROM public.period_locks l WHERE l.ledger_id = p_ledger),
           greatest(p_now,
                    (SELECT max(r.started_at) FROM public.runs r WHERE r.ledger_id = p_ledger),
                    (SELECT max(x.proposed_at) FROM public.proposals x WHERE x.ledger_id = p_ledger),
                    (SELECT max(d.decided_at) FROM public.proposal_decisions d WHERE d.ledger_id = p_ledger),
                    (SELECT max(f.at) FROM public.finding_events f WHERE f.ledger_id = p_ledger)),
           (SELECT coalesce(max(r.run_id), 0) FROM public.runs r WHERE r.ledger_id = p_ledger),
           ARRAY(SELECT e.natural_key FROM public.entries e
                  WHERE e.ledger_id || ' ' || e.natural_key
                        = ANY (ARRAY(SELECT p_ledger || ' ' || k FROM unnest(e_key) AS k))),
           ARRAY(SELECT e.seq FROM public.entries e
                  WHERE e.ledger_id = p_ledger AND e.seq = ANY (e_rev)),
           ARRAY(SELECT a.account_id
                   FROM unnest(p_account) WITH ORDINALITY AS u(acc, o)
                   LEFT JOIN public.accounts a ON a.ledger_id = p_ledger AND a.account_key = u.acc
                  ORDER BY u.o)
      INTO known, head_seq, head_hash, closed, at, last_run, stored, reversible, acc_ids
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (SELECT e.seq, e.hash FROM public.entries e WHERE e.ledger_id = p_ledger
                          ORDER BY e.seq DESC LIMIT 1) hd ON true;
    IF NOT known THEN
        RAISE EXCEPTION 'kasda: ledger % unknown; general path', p_ledger USING ERRCODE = 'KD900';
    END IF;
    IF head_seq IS NULL THEN
        head_seq := 0;
        head := '0000000000000000000000000000000000000000000000000000000000000000';
    ELSE
        head := encode(head_hash, 'hex');
    END IF;

    run_ids := array_fill(NULL::bigint, ARRAY[callers]);
    fresh := array_fill(false, ARRAY[n]);
    seq_of := array_fill(NULL::bigint, ARRAY[n]);
    seqs := '{}';
    hashes := '{}';
    seq := head_seq;
    prev := head;
    FOR c IN 1 .. callers LOOP
        first := i;
        mark_seq := seq;
        mark_prev := prev;
        mark_n := coalesce(array_length(idxs, 1), 0);
        ok := true;
        WHILE i <= n AND e_caller[i] = c LOOP
            IF NOT ok THEN
                NULL;
            ELSIF closed IS NOT NULL AND e_booked[i] <= closed THEN
                ok := false;
            ELSIF e_rev[i] IS NOT NULL AND NOT (e_rev[i] > head_seq AND e_rev[i] <= seq)
                  AND NOT e_rev[i] = ANY (reversible) THEN
                ok := false;
            ELSIF e_key[i] = ANY (taken) OR e_key[i] = ANY (stored) THEN
                NULL;
            ELSE
                seq := seq + 1;
                s := seq::text;
                h := encode(sha256(convert_to(prev, 'UTF8') || lhdr || int4send(octet_length(s))
                                   || convert_to(s, 'UTF8') || e_tail[i]), 'hex');
                fresh[i] := true;
                seq_of[i] := seq;
                idxs := idxs || i;
                seqs := seqs || seq;
                prevs := prevs || prev;
                hashes := hashes || h;
                taken := taken || e_key[i];
                prev := h;
            END IF;
            i := i + 1;
        END LOOP;
        IF ok THEN
            last_run := last_run + 1;
            run_ids[c] := last_run;
        ELSE
            FOR k IN first .. i - 1 LOOP
                fresh[k] := false;
                seq_of[k] := NULL;
            END LOOP;
            seq := mark_seq;
            prev := mark_prev;
            idxs := idxs[1:mark_n];
            seqs := seqs[1:mark_n];
            prevs := prevs[1:mark_n];
            hashes := hashes[1:mark_n];
            taken := taken[1:mark_n];
        END IF;
    END LOOP;
    IF i <= n THEN
        RAISE EXCEPTION 'kasda_append_group: entry % names caller %, expected callers 1..% in order',
            i, e_caller[i], callers;
    END IF;

    IF seq = head_seq THEN
        INSERT INTO public.runs (ledger_id, run_id, kind, actor, started_at, details)
        SELECT p_ledger, run_ids[c], c_run_kind[c], c_actor[c], at, c_details[c]::json
          FROM generate_series(1, callers) AS c
         WHERE run_ids[c] IS NOT NULL;
        RETURN;
    END IF;

    -- Accounts first seen in this group (rare): numbered after the ledger's last, in order of
    -- first appearance, then looked up again.
    IF EXISTS (SELECT 1 FROM unnest(p_entry, acc_ids) AS u(ent, id)
                WHERE u.id IS NULL AND fresh[u.ent]) THEN
        INSERT INTO public.accounts (ledger_id, account_id, account_key, kind, qualifier)
        SELECT p_ledger,
               (SELECT coalesce(max(a.account_id), 0) FROM public.accounts a WHERE a.ledger_id = p_ledger)
                 + row_number() OVER (ORDER BY m.ord),
               m.acc, m.kind, m.qual
          FROM (SELECT DISTINCT ON (u.acc) u.acc, u.kind, u.qual, u.ord
                  FROM unnest(p_entry, p_account, p_acc_kind, p_acc_qual) WITH ORDINALITY
                       AS u(ent, acc, kind, qual, ord)
                 WHERE fresh[u.ent]
                   AND NOT EXISTS (SELECT 1 FROM public.accounts a
                                    WHERE a.ledger_id = p_ledger AND a.account_key = u.acc)
                 ORDER BY u.acc, u.ord) AS m;
        acc_ids := ARRAY(SELECT a.account_id
                           FROM unnest(p_account) WITH ORDINALITY AS u(acc, o)
                           LEFT JOIN public.accounts a
                             ON a.ledger_id = p_ledger AND a.account_key = u.acc
                          ORDER BY u.o);
    END IF;

    -- The group's rows in one statement.
    WITH r AS (
        INSERT INTO public.runs (ledger_id, run_id, kind, actor, started_at, details)
        SELECT p_ledger, run_ids[c], c_run_kind[c], c_actor[c], at, c_details[c]::json
          FROM generate_series(1, callers) AS c
         WHERE run_ids[c] IS NOT NULL
    ), en AS (
        INSERT INTO public.entries (ledger_id, seq, kind, booked_on, value_date, natural_key,
                                    position, memo, reverses, source_sha256, run_id, recorded_at,
                                    prev_hash, hash)
        SELECT p_ledger, x.seq, e_kind[x.i], e_booked[x.i], e_value[x.i], e_key[x.i], e_pos[x.i],
               e_memo[x.i], e_rev[x.i], NULL, run_ids[e_caller[x.i]], at,
               decode(x.prev, 'hex'), decode(x.hash, 'hex')
          FROM unnest(idxs, seqs, prevs, hashes) AS x(i, seq, prev, hash)
    ), po AS (
        INSERT INTO public.postings (ledger_id, seq, idx, account_id, side, amount, currency)
        SELECT p_ledger, seq_of[u.ent], u.idx, u.id, u.side, u.amount, u.cur
          FROM unnest(p_entry, p_idx, acc_ids, p_side, p_amount, p_cur)
               AS u(ent, idx, id, side, amount, cur)
         WHERE fresh[u.ent]
    ), jo AS (
        INSERT INTO public.entry_joins (ledger_id, seq, idx, joined_key)
        SELECT p_ledger, seq_of[u.ent], u.idx, u.key
          FROM unnest(j_entry, j_idx, j_key) AS u(ent, idx, key)
         WHERE fresh[u.ent]
    )
    INSERT INTO public.account_day_deltas (ledger_id, account_id, day, run_id, recorded_at,
                                           debit, credit)
    SELECT p_ledger, u.id, e_booked[u.ent], run_ids[e_caller[u.ent]], at,
           sum(CASE WHEN u.side = 'debit' THEN u.amount ELSE 0 END),
           sum(CASE WHEN u.side = 'credit' THEN u.amount ELSE 0 END)
      FROM unnest(p_entry, acc_ids, p_side, p_amount) AS u(ent, id, side, amount)
     WHERE fresh[u.ent]
     GROUP BY u.id, e_booked[u.ent], run_ids[e_caller[u.ent]];
END;
$$;

CREATE OR REPLACE FUNCTION kasda_report_aggregates() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan SET enable_seqscan = on AS $$
DECLARE
    ignored text;
BEGIN
    IF NEW.to_seq - NEW.from_seq < 64 THEN
        ignored := set_config('plan_cache_mode', 'force_generic_plan', true);
        ignored := set_config('enable_seqscan', 'off', true);
    END IF;
    PERFORM public.kasda_report_aggregate_range(NEW.ledger_id, NEW.from_seq, NEW.to_seq);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION kasda_report_aggregates() FROM PUBLIC;

-- kasda_check_entries: 0013's definition with only its call of kasda_forget_checks wrapped, rewritten
-- in place (the migration stops if the call is no longer written as 0013 wrote it).
DO $$
DECLARE
    def text;
    old text := '    PERFORM public.kasda_forget_checks(NEW.ledger_id,
        CASE WHEN NEW.xid::text::bigint % 256 = 0 THEN ''0''::xid8
             ELSE greatest(NEW.xid::text::bigint - 256, 0)::text::xid8 END,
        NEW.xid);';
BEGIN
    SELECT pg_get_functiondef(p.oid) INTO def
      FROM pg_proc p WHERE p.oid = to_regproc('public.kasda_check_entries');
    IF def IS NULL OR position(old IN def) = 0 THEN
        RAISE EXCEPTION 'kasda 0015: kasda_check_entries no longer calls kasda_forget_checks as 0013 wrote it; nothing was changed';
    END IF;
    EXECUTE replace(def, old,
        '    IF hi / 16 <> (lo - 1) / 16 THEN
    ' || replace(old, E'\n', E'\n    ') || '
    END IF;');
END;
$$;
