ALTER TABLE reporting_owners DROP COLUMN file_number;
ALTER TABLE filings DROP COLUMN accepted_at;
ALTER TABLE filings ADD COLUMN is_synthetic INTEGER NOT NULL DEFAULT 0;
UPDATE filings SET is_synthetic = (source = 'synthetic');
ALTER TABLE filings DROP COLUMN source;
ALTER TABLE filings RENAME COLUMN loaded_from TO source;
UPDATE filings SET no_securities_owned = no_securities_owned & 1, not_subject_to_section16 = not_subject_to_section16 & 1,
    form3_holdings_reported = form3_holdings_reported & 1, form4_transactions_reported = form4_transactions_reported & 1,
    aff10b5_one = aff10b5_one & 1;
