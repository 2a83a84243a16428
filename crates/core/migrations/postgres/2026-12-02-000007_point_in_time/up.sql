-- When a filing became public and where it was read from.
-- `source` was the file or URL a filing was loaded from; it is now
-- `loaded_from`, and `source` says what kind of source that was. Old rows
-- are classified from what was recorded: a bare `.xml` is a document, any
-- other file or URL a full submission (their acceptance time stays unknown
-- until they are loaded again).
ALTER TABLE filings RENAME COLUMN source TO loaded_from;
ALTER TABLE filings ADD COLUMN source TEXT NOT NULL DEFAULT 'edgar_submission';
UPDATE filings SET source = CASE
    WHEN is_synthetic THEN 'synthetic'
    WHEN lower(loaded_from) LIKE '%.xml' THEN 'edgar_document'
    ELSE 'edgar_submission' END;
ALTER TABLE filings ALTER COLUMN source DROP DEFAULT;
ALTER TABLE filings ADD CONSTRAINT filings_source_known
    CHECK (source IN ('edgar_submission', 'edgar_document', 'sec_dataset', 'synthetic'));
ALTER TABLE filings DROP COLUMN is_synthetic;
ALTER TABLE filings ADD COLUMN accepted_at TIMESTAMP;
ALTER TABLE reporting_owners ADD COLUMN file_number TEXT;

-- Yes/no boxes keep the filer's spelling, as SEC's data sets do: bit 0 is
-- the value, bit 1 is set when it was written as a word (`true`).
ALTER TABLE filings
    ALTER COLUMN no_securities_owned TYPE SMALLINT USING no_securities_owned::int,
    ALTER COLUMN not_subject_to_section16 TYPE SMALLINT USING not_subject_to_section16::int,
    ALTER COLUMN form3_holdings_reported TYPE SMALLINT USING form3_holdings_reported::int,
    ALTER COLUMN form4_transactions_reported TYPE SMALLINT USING form4_transactions_reported::int,
    ALTER COLUMN aff10b5_one TYPE SMALLINT USING aff10b5_one::int;
ALTER TABLE reporting_owners
    ALTER COLUMN is_director TYPE SMALLINT USING is_director::int,
    ALTER COLUMN is_officer TYPE SMALLINT USING is_officer::int,
    ALTER COLUMN is_ten_percent_owner TYPE SMALLINT USING is_ten_percent_owner::int,
    ALTER COLUMN is_other TYPE SMALLINT USING is_other::int;
ALTER TABLE non_derivative_transactions
    ALTER COLUMN equity_swap_involved TYPE SMALLINT USING equity_swap_involved::int;
ALTER TABLE derivative_transactions
    ALTER COLUMN equity_swap_involved TYPE SMALLINT USING equity_swap_involved::int;
