-- kasda PostgreSQL schema, migration 0005: group commit of small appends.
--
-- kasda_append_group appends the small appends of several callers (threads of one process
-- that share a store's group commit) in ONE transaction, as if kasda_append_small (migration
-- 0002) had been called once per caller in the given order: each caller gets its own run
-- (consecutive run ids), its new entries follow the previous caller's in the chain, and an
-- entry whose natural key is stored or was appended earlier in the group is a duplicate.
--
-- A caller whose append needs an exact error (an entry in a closed period, a reversal of a
-- missing entry) does not fail the group: its planned entries are taken back, it gets no run
-- (run_ids[c] IS NULL) and the client repeats its append alone on the general path after the
-- group commits. An unknown or invisible ledger raises SQLSTATE KD900 for the whole group.
--
-- Entries arrive grouped by caller (e_caller ascending, 1-based); postings and joins name
-- their entry by its 1-based position in the e_* arrays. Each caller's run details are JSON
-- text. The hash is the canonical one, exactly as in kasda_append_small: the client sends each
-- entry's canonical encoding after the seq (e_tail), the database splices in the seq, and the
-- client recomputes every returned hash.
--
-- One INSERT per table for the whole group, so the statement triggers (entries_refs,
-- postings_sealed) and the deferred balance/link check run once per group, not per caller.
-- Invoker's rights: row-level security and privileges apply as to the client's own writes.
CREATE FUNCTION kasda_append_group(
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
    head_seq   bigint;
    closed     date;
    last_stamp timestamptz;
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
    lhdr       bytea := '\x0000000e'::bytea || convert_to('kasda-entry-v1', 'UTF8')
                        || int4send(octet_length(p_ledger)) || convert_to(p_ledger, 'UTF8');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('kasda.ledger:' || p_ledger, 0));
    IF NOT EXISTS (SELECT 1 FROM public.ledgers l WHERE l.ledger_id = p_ledger) THEN
        RAISE EXCEPTION 'kasda: ledger % unknown; general path', p_ledger USING ERRCODE = 'KD900';
    END IF;
    SELECT e.seq, e.hash INTO head_seq, head
      FROM public.entries e WHERE e.ledger_id = p_ledger ORDER BY e.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        head_seq := 0;
        head := '0000000000000000000000000000000000000000000000000000000000000000';
    END IF;
    SELECT max(l.through_date) INTO closed FROM public.period_locks l WHERE l.ledger_id = p_ledger;
    SELECT greatest((SELECT max(r.started_at) FROM public.runs r WHERE r.ledger_id = p_ledger),
                    (SELECT max(x.proposed_at) FROM public.proposals x WHERE x.ledger_id = p_ledger),
                    (SELECT max(d.decided_at) FROM public.proposal_decisions d WHERE d.ledger_id = p_ledger),
                    (SELECT max(f.at) FROM public.finding_events f WHERE f.ledger_id = p_ledger))
      INTO last_stamp;
    at := greatest(p_now, last_stamp);
    SELECT coalesce(max(r.run_id), 0) INTO last_run FROM public.runs r WHERE r.ledger_id = p_ledger;

    -- What the plan needs from the stored entries, read once for the group.
    stored := ARRAY(SELECT e.natural_key FROM public.entries e
                     WHERE e.ledger_id = p_ledger AND e.natural_key = ANY (e_key));
    reversible := ARRAY(SELECT e.seq FROM public.entries e
                         WHERE e.ledger_id = p_ledger AND e.seq = ANY (e_rev));

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
            -- Take the caller's entries back: it runs alone on the general path afterwards.
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

    INSERT INTO public.runs (ledger_id, run_id, kind, actor, started_at, details)
    SELECT p_ledger, run_ids[c], c_run_kind[c], c_actor[c], at, c_details[c]::json
      FROM generate_series(1, callers) AS c
     WHERE run_ids[c] IS NOT NULL;
    IF seq = head_seq THEN
        RETURN;
    END IF;

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

    INSERT INTO public.entries (ledger_id, seq, kind, booked_on, value_date, natural_key,
                                position, memo, reverses, source_sha256, run_id, recorded_at,
                                prev_hash, hash)
    SELECT p_ledger, x.seq, e_kind[x.i], e_booked[x.i], e_value[x.i], e_key[x.i], e_pos[x.i],
           e_memo[x.i], e_rev[x.i], NULL, run_ids[e_caller[x.i]], at, x.prev, x.hash
      FROM unnest(idxs, seqs, prevs, hashes) AS x(i, seq, prev, hash);

    INSERT INTO public.postings (ledger_id, seq, idx, account_id, side, amount, currency)
    SELECT p_ledger, seq_of[u.ent], u.idx, a.account_id, u.side, u.amount, u.cur
      FROM unnest(p_entry, p_idx, p_account, p_side, p_amount, p_cur)
           AS u(ent, idx, acc, side, amount, cur)
      JOIN public.accounts a ON a.ledger_id = p_ledger AND a.account_key = u.acc
     WHERE fresh[u.ent];

    INSERT INTO public.account_day_deltas (ledger_id, account_id, day, run_id, recorded_at,
                                           debit, credit)
    SELECT p_ledger, a.account_id, e_booked[u.ent], run_ids[e_caller[u.ent]], at,
           sum(CASE WHEN u.side = 'debit' THEN u.amount ELSE 0 END),
           sum(CASE WHEN u.side = 'credit' THEN u.amount ELSE 0 END)
      FROM unnest(p_entry, p_account, p_side, p_amount) AS u(ent, acc, side, amount)
      JOIN public.accounts a ON a.ledger_id = p_ledger AND a.account_key = u.acc
     WHERE fresh[u.ent]
     GROUP BY a.account_id, e_booked[u.ent], run_ids[e_caller[u.ent]];

    IF coalesce(array_length(j_entry, 1), 0) > 0 THEN
        INSERT INTO public.entry_joins (ledger_id, seq, idx, joined_key)
        SELECT p_ledger, seq_of[u.ent], u.idx, u.key
          FROM unnest(j_entry, j_idx, j_key) AS u(ent, idx, key)
         WHERE fresh[u.ent];
    END IF;
END;
$$;
