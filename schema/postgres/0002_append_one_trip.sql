-- kasda PostgreSQL schema, migration 0002: a small append in one statement.
--
-- kasda_append_small does, inside the database and under the ledger's advisory lock, what the
-- store's two-round-trip small append did with a client round trip in the middle: read the
-- chain head, closed period, clock and next run id; decide which entries are new (a natural
-- key already stored or repeated earlier in the call is a duplicate); number and hash them;
-- insert the run, missing accounts, entries, postings, balance deltas and joins. The client
-- sends the call with BEGIN before and COMMIT after in one round trip, so the ledger lock is
-- held only while the server works, never while a message crosses the network or a client
-- thread waits for a CPU.
--
-- The hash is the canonical one (kasda_core::ledger::chain_hash):
--   sha256(prev_hash hex ‖ field("kasda-entry-v1") ‖ field(ledger) ‖ field(seq) ‖ tail)
-- where field(s) = 4-byte big-endian length ‖ UTF-8 bytes and `tail` (every later field) is
-- encoded by the client with kasda_core's own encoder and sent per entry (e_tail). Only the
-- seq, which the client cannot know before it holds the lock, is encoded here. The client
-- recomputes every returned hash and refuses a mismatch.
--
-- Anything the client must phrase as a specific error (the ledger is unknown or invisible, an
-- entry falls in a closed period, a reversed entry does not exist) raises SQLSTATE KD900; the
-- client then rolls back and repeats the append on its general path, which names the problem
-- exactly as every store does. Invoker's rights: row-level security and privileges apply to
-- every statement as they would to the client's own.
--
-- Every INSERT below fires the same statement triggers as any other write, and COMMIT runs the
-- same deferred checks (postings ≥ 2, balance per currency, gap-free seq, prev_hash link,
-- closed periods).
CREATE FUNCTION kasda_append_small(
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
           e_memo[x.i], e_rev[x.i], NULL, run_id, at, x.prev, x.hash
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
