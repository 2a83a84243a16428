ALTER TABLE derivative_transactions
    ALTER COLUMN equity_swap_involved TYPE BOOLEAN USING (equity_swap_involved & 1) = 1;
ALTER TABLE non_derivative_transactions
    ALTER COLUMN equity_swap_involved TYPE BOOLEAN USING (equity_swap_involved & 1) = 1;
ALTER TABLE reporting_owners
    ALTER COLUMN is_director TYPE BOOLEAN USING (is_director & 1) = 1,
    ALTER COLUMN is_officer TYPE BOOLEAN USING (is_officer & 1) = 1,
    ALTER COLUMN is_ten_percent_owner TYPE BOOLEAN USING (is_ten_percent_owner & 1) = 1,
    ALTER COLUMN is_other TYPE BOOLEAN USING (is_other & 1) = 1;
ALTER TABLE filings
    ALTER COLUMN no_securities_owned TYPE BOOLEAN USING (no_securities_owned & 1) = 1,
    ALTER COLUMN not_subject_to_section16 TYPE BOOLEAN USING (not_subject_to_section16 & 1) = 1,
    ALTER COLUMN form3_holdings_reported TYPE BOOLEAN USING (form3_holdings_reported & 1) = 1,
    ALTER COLUMN form4_transactions_reported TYPE BOOLEAN USING (form4_transactions_reported & 1) = 1,
    ALTER COLUMN aff10b5_one TYPE BOOLEAN USING (aff10b5_one & 1) = 1;
ALTER TABLE reporting_owners DROP COLUMN file_number;
ALTER TABLE filings DROP COLUMN accepted_at;
ALTER TABLE filings ADD COLUMN is_synthetic BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE filings SET is_synthetic = (source = 'synthetic');
ALTER TABLE filings ALTER COLUMN is_synthetic DROP DEFAULT;
ALTER TABLE filings DROP COLUMN source;
ALTER TABLE filings RENAME COLUMN loaded_from TO source;
