-- kasda PostgreSQL schema, migration 0008: entry hashes and source files as 32 raw bytes.
-- prev_hash, hash and source_sha256 were 64 hex digits in text (65 bytes each on disk); they are
-- now bytea of 32 bytes (33 on disk). The chain is unchanged: the canonical hash is still
-- sha256 over the previous hash's lower-case hex text (kasda_core::ledger::chain_hash); the store
-- writes and reads the bytes and hex-encodes them at the boundary, so every hash it answers is
-- the same text as before and as every other store's.
DO $$
DECLARE
    bad record;
BEGIN
    SELECT e.ledger_id, e.seq, e.source_sha256 INTO bad FROM entries e
     WHERE e.source_sha256 IS NOT NULL AND e.source_sha256 !~ '^[0-9a-f]{64}$'
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda 0008: entry % of ledger % names source file %, expected 64 lower-case hex digits; nothing was changed',
            bad.seq, bad.ledger_id, bad.source_sha256;
    END IF;
END;
$$;

ALTER TABLE entries
    DROP CONSTRAINT entries_prev_hash_check,
    DROP CONSTRAINT entries_hash_check,
    ALTER COLUMN prev_hash TYPE bytea USING decode(prev_hash, 'hex'),
    ALTER COLUMN hash TYPE bytea USING decode(hash, 'hex'),
    ALTER COLUMN source_sha256 TYPE bytea USING decode(source_sha256, 'hex'),
    ADD CONSTRAINT entries_prev_hash_check CHECK (octet_length(prev_hash) = 32),
    ADD CONSTRAINT entries_hash_check CHECK (octet_length(hash) = 32),
    ADD CONSTRAINT entries_source_sha256_check CHECK (octet_length(source_sha256) = 32);

-- The functions that compare or write hashes, redefined for bytea; everything else in them is as
-- in 0001 (kasda_check_entries: the genesis link), 0002 (kasda_append_small) and 0005
-- (kasda_append_group: each reads the head as hex and inserts the bytes). Their signatures, and
-- so what the client sends and receives, are unchanged.

CREATE OR REPLACE FUNCTION kasda_check_entries() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    lo bigint := NEW.from_seq;
    hi bigint := NEW.to_seq;
    bad record;
    closed date;
BEGIN
    SELECT e.seq, count(p.seq) AS n INTO bad
      FROM public.entries e
      LEFT JOIN public.postings p ON p.ledger_id = e.ledger_id AND p.seq = e.seq
     WHERE e.ledger_id = NEW.ledger_id AND e.seq BETWEEN lo AND hi
     GROUP BY e.seq HAVING count(p.seq) < 2
     ORDER BY e.seq LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: entry % of ledger % has % postings; at least 2 are required',
            bad.seq, NEW.ledger_id, bad.n USING ERRCODE = 'KD002';
    END IF;

    SELECT p.seq, p.currency INTO bad
      FROM public.postings p
     WHERE p.ledger_id = NEW.ledger_id AND p.seq BETWEEN lo AND hi
     GROUP BY p.seq, p.currency
    HAVING sum(CASE p.side WHEN 'debit' THEN p.amount ELSE -p.amount END) <> 0
     ORDER BY p.seq LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda: entry % of ledger % does not balance in %: debits differ from credits',
            bad.seq, NEW.ledger_id, bad.currency USING ERRCODE = 'KD002';
    END IF;

    SELECT e.seq, prev.seq IS NULL AS gap INTO bad
      FROM public.entries e
      LEFT JOIN public.entries prev ON prev.ledger_id = e.ledger_id AND prev.seq = e.seq - 1
     WHERE e.ledger_id = NEW.ledger_id AND e.seq BETWEEN lo AND hi
       AND CASE WHEN e.seq = 1
                THEN e.prev_hash <> '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
                ELSE prev.seq IS NULL OR e.prev_hash <> prev.hash END
     ORDER BY e.seq LIMIT 1;
    IF FOUND THEN
        IF bad.gap AND bad.seq > 1 THEN
            RAISE EXCEPTION 'kasda: entry % of ledger % leaves a gap: entry % does not exist',
                bad.seq, NEW.ledger_id, bad.seq - 1 USING ERRCODE = 'KD003';
        END IF;
        RAISE EXCEPTION 'kasda: entry % of ledger % does not link to the previous entry''s hash',
            bad.seq, NEW.ledger_id USING ERRCODE = 'KD003';
    END IF;

    SELECT max(l.through_date) INTO closed FROM public.period_locks l
     WHERE l.ledger_id = NEW.ledger_id;
    IF closed IS NOT NULL THEN
        SELECT e.seq, e.booked_on INTO bad FROM public.entries e
         WHERE e.ledger_id = NEW.ledger_id AND e.seq BETWEEN lo AND hi
           AND e.booked_on <= closed
         ORDER BY e.seq LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'kasda: entry % of ledger % is booked on %, in the period closed through %',
                bad.seq, NEW.ledger_id, bad.booked_on, closed USING ERRCODE = 'KD004';
        END IF;
    END IF;

    DELETE FROM public.kasda_entry_checks c
     WHERE c.ledger_id = NEW.ledger_id AND c.xid <> NEW.xid
       AND pg_xact_status(c.xid) IS DISTINCT FROM 'in progress';
    DELETE FROM public.kasda_pending_checks c
     WHERE c.ledger_id = NEW.ledger_id AND c.xid <> NEW.xid
       AND pg_xact_status(c.xid) IS DISTINCT FROM 'in progress';
    INSERT INTO public.kasda_entry_checks (ledger_id, xid, from_seq, to_seq)
    VALUES (NEW.ledger_id, NEW.xid, lo, hi)
    ON CONFLICT (ledger_id, xid, from_seq) DO UPDATE SET to_seq = greatest(
        public.kasda_entry_checks.to_seq, EXCLUDED.to_seq);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION kasda_append_small(
    p_ledger   text,
    p_run_kind text,
    p_actor    text,
    p_details  json,
    p_now      timestamptz,
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
    OUT run_id  bigint,
    OUT fresh   boolean[],
    OUT head    text,
    OUT seqs    bigint[],
    OUT hashes  text[])
LANGUAGE plpgsql AS $$
DECLARE
    n          int := coalesce(array_length(e_key, 1), 0);
    head_seq   bigint;
    closed     date;
    last_stamp timestamptz;
    at         timestamptz;
    seq        bigint;
    prev       text;
    h          text;
    seq_of     bigint[];
    prevs      text[] := '{}';
    idxs       int[] := '{}';
    lhdr       bytea := '\x0000000e'::bytea || convert_to('kasda-entry-v1', 'UTF8')
                        || int4send(octet_length(p_ledger)) || convert_to(p_ledger, 'UTF8');
    s          text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('kasda.ledger:' || p_ledger, 0));
    -- A VOLATILE function's statements each take a fresh snapshot: from here on they see the
    -- previous lock holder's commit.
    IF NOT EXISTS (SELECT 1 FROM public.ledgers l WHERE l.ledger_id = p_ledger) THEN
        RAISE EXCEPTION 'kasda: ledger % unknown; general path' , p_ledger USING ERRCODE = 'KD900';
    END IF;
    SELECT e.seq, encode(e.hash, 'hex') INTO head_seq, head
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
    SELECT coalesce(max(r.run_id), 0) + 1 INTO run_id FROM public.runs r WHERE r.ledger_id = p_ledger;

    -- Plan, in the caller's order, exactly as the store's plan_entries does.
    fresh := array_fill(false, ARRAY[n]);
    seq_of := array_fill(NULL::bigint, ARRAY[n]);
    seqs := '{}';
    hashes := '{}';
    seq := head_seq;
    prev := head;
    FOR i IN 1 .. n LOOP
        IF closed IS NOT NULL AND e_booked[i] <= closed THEN
            RAISE EXCEPTION 'kasda: entry % in a closed period; general path', e_key[i]
                USING ERRCODE = 'KD900';
        END IF;
        IF e_rev[i] IS NOT NULL AND NOT (e_rev[i] > head_seq AND e_rev[i] <= seq)
           AND NOT EXISTS (SELECT 1 FROM public.entries e
                            WHERE e.ledger_id = p_ledger AND e.seq = e_rev[i]) THEN
            RAISE EXCEPTION 'kasda: entry % reverses a missing entry; general path', e_key[i]
                USING ERRCODE = 'KD900';
        END IF;
        IF (i > 1 AND e_key[i] = ANY (e_key[1:i - 1]))
           OR EXISTS (SELECT 1 FROM public.entries e
                       WHERE e.ledger_id = p_ledger AND e.natural_key = e_key[i]) THEN
            CONTINUE;
        END IF;
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
        prev := h;
    END LOOP;

    INSERT INTO public.runs (ledger_id, run_id, kind, actor, started_at, details)
    VALUES (p_ledger, run_id, p_run_kind, p_actor, at, p_details);
    IF seq = head_seq THEN
        RETURN;
    END IF;

    -- Accounts the new postings name and the ledger lacks, numbered in order of first use.
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
           e_memo[x.i], e_rev[x.i], NULL, run_id, at,
           decode(x.prev, 'hex'), decode(x.hash, 'hex')
      FROM unnest(idxs, seqs, prevs, hashes) AS x(i, seq, prev, hash);

    INSERT INTO public.postings (ledger_id, seq, idx, account_id, side, amount, currency)
    SELECT p_ledger, seq_of[u.ent], u.idx, a.account_id, u.side, u.amount, u.cur
      FROM unnest(p_entry, p_idx, p_account, p_side, p_amount, p_cur)
           AS u(ent, idx, acc, side, amount, cur)
      JOIN public.accounts a ON a.ledger_id = p_ledger AND a.account_key = u.acc
     WHERE fresh[u.ent];

    INSERT INTO public.account_day_deltas (ledger_id, account_id, day, run_id, recorded_at,
                                           debit, credit)
    SELECT p_ledger, a.account_id, e_booked[u.ent], run_id, at,
           sum(CASE WHEN u.side = 'debit' THEN u.amount ELSE 0 END),
           sum(CASE WHEN u.side = 'credit' THEN u.amount ELSE 0 END)
      FROM unnest(p_entry, p_account, p_side, p_amount) AS u(ent, acc, side, amount)
      JOIN public.accounts a ON a.ledger_id = p_ledger AND a.account_key = u.acc
     WHERE fresh[u.ent]
     GROUP BY a.account_id, e_booked[u.ent];

    IF coalesce(array_length(j_entry, 1), 0) > 0 THEN
        INSERT INTO public.entry_joins (ledger_id, seq, idx, joined_key)
        SELECT p_ledger, seq_of[u.ent], u.idx, u.key
          FROM unnest(j_entry, j_idx, j_key) AS u(ent, idx, key)
         WHERE fresh[u.ent];
    END IF;
END;
$$;

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
    SELECT e.seq, encode(e.hash, 'hex') INTO head_seq, head
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
           e_memo[x.i], e_rev[x.i], NULL, run_ids[e_caller[x.i]], at,
           decode(x.prev, 'hex'), decode(x.hash, 'hex')
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
