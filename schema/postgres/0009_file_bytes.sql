-- kasda PostgreSQL schema, migration 0009: the file a statement line or document came from as
-- 32 raw bytes.
--
-- statement_lines.file_sha256 and documents.file_sha256 held the file's sha256 as 64 hex digits
-- of text (65 bytes on disk, on every line and document); they are now bytea of 32 bytes. The
-- store hex-encodes at its boundary, so what it answers is unchanged. Neither column is in an
-- index or a foreign key. source_files, statements and duplicates keep the text form (one row
-- per file or per duplicate). Converted by a table rewrite (ALTER … TYPE … USING), not an
-- UPDATE: the append-only triggers do not fire and stay in force; a value that is not 64
-- lower-case hex digits stops the migration, naming the row, before anything changes.
DO $$
DECLARE
    bad record;
BEGIN
    SELECT 'statement line' AS what, l.ledger_id, l.natural_key, l.file_sha256 INTO bad
      FROM statement_lines l WHERE l.file_sha256 !~ '^[0-9a-f]{64}$' LIMIT 1;
    IF NOT FOUND THEN
        SELECT 'document' AS what, d.ledger_id, d.natural_key, d.file_sha256 INTO bad
          FROM documents d WHERE d.file_sha256 !~ '^[0-9a-f]{64}$' LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'kasda 0009: % % of ledger % names file %, expected 64 lower-case hex digits; nothing was changed',
            bad.what, bad.natural_key, bad.ledger_id, bad.file_sha256;
    END IF;
END;
$$;

ALTER TABLE statement_lines
    ALTER COLUMN file_sha256 TYPE bytea USING decode(file_sha256, 'hex'),
    ADD CONSTRAINT statement_lines_file_sha256_check CHECK (octet_length(file_sha256) = 32);

ALTER TABLE documents
    ALTER COLUMN file_sha256 TYPE bytea USING decode(file_sha256, 'hex'),
    ADD CONSTRAINT documents_file_sha256_check CHECK (octet_length(file_sha256) = 32);
