-- Filings as SEC's Insider Transactions Data Sets model them: one row per
-- submission, child tables keyed by (accession_number, seq), where seq is
-- the row's position in the document so that the order is kept.
CREATE TABLE filings (
    accession_number TEXT PRIMARY KEY,
    form_type INTEGER NOT NULL CHECK (form_type IN (3, 4, 5)),
    document_type TEXT NOT NULL,
    period_month TEXT NOT NULL,
    period_of_report DATE NOT NULL,
    filing_date DATE,
    date_of_original_submission DATE,
    schema_version TEXT,
    no_securities_owned BOOLEAN,
    not_subject_to_section16 BOOLEAN,
    form3_holdings_reported BOOLEAN,
    form4_transactions_reported BOOLEAN,
    aff10b5_one BOOLEAN,
    issuer_cik TEXT NOT NULL,
    issuer_name TEXT,
    issuer_trading_symbol TEXT,
    remarks TEXT,
    first_owner_cik TEXT,
    amends_accession_number TEXT,
    content_sha256 TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    source TEXT NOT NULL,
    is_synthetic BOOLEAN NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);
CREATE INDEX filings_by_month ON filings (form_type, period_month, accession_number);
CREATE INDEX filings_by_issuer_period ON filings (issuer_cik, period_of_report);
CREATE INDEX filings_unlinked_amendments ON filings (issuer_cik)
    WHERE amends_accession_number IS NULL AND document_type LIKE '%/A';

CREATE TABLE reporting_owners (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    cik TEXT NOT NULL,
    name TEXT,
    street1 TEXT,
    street2 TEXT,
    city TEXT,
    state TEXT,
    zip_code TEXT,
    state_description TEXT,
    is_director BOOLEAN,
    is_officer BOOLEAN,
    is_ten_percent_owner BOOLEAN,
    is_other BOOLEAN,
    officer_title TEXT,
    other_text TEXT,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE non_derivative_transactions (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    security_title TEXT,
    transaction_date DATE,
    deemed_execution_date DATE,
    transaction_form_type TEXT,
    transaction_code TEXT,
    equity_swap_involved BOOLEAN,
    transaction_timeliness TEXT,
    shares DOUBLE PRECISION,
    price_per_share DOUBLE PRECISION,
    acquired_disposed_code TEXT,
    shares_owned_following_transaction DOUBLE PRECISION,
    value_owned_following_transaction DOUBLE PRECISION,
    direct_or_indirect_ownership TEXT,
    nature_of_ownership TEXT,
    footnote_ids TEXT NOT NULL,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE non_derivative_holdings (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    security_title TEXT,
    transaction_form_type TEXT,
    shares_owned_following_transaction DOUBLE PRECISION,
    value_owned_following_transaction DOUBLE PRECISION,
    direct_or_indirect_ownership TEXT,
    nature_of_ownership TEXT,
    footnote_ids TEXT NOT NULL,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE derivative_transactions (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    security_title TEXT,
    conversion_or_exercise_price DOUBLE PRECISION,
    transaction_date DATE,
    deemed_execution_date DATE,
    transaction_form_type TEXT,
    transaction_code TEXT,
    equity_swap_involved BOOLEAN,
    transaction_timeliness TEXT,
    shares DOUBLE PRECISION,
    total_value DOUBLE PRECISION,
    price_per_share DOUBLE PRECISION,
    acquired_disposed_code TEXT,
    exercise_date DATE,
    expiration_date DATE,
    underlying_security_title TEXT,
    underlying_security_shares DOUBLE PRECISION,
    underlying_security_value DOUBLE PRECISION,
    shares_owned_following_transaction DOUBLE PRECISION,
    value_owned_following_transaction DOUBLE PRECISION,
    direct_or_indirect_ownership TEXT,
    nature_of_ownership TEXT,
    footnote_ids TEXT NOT NULL,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE derivative_holdings (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    security_title TEXT,
    conversion_or_exercise_price DOUBLE PRECISION,
    transaction_form_type TEXT,
    exercise_date DATE,
    expiration_date DATE,
    underlying_security_title TEXT,
    underlying_security_shares DOUBLE PRECISION,
    underlying_security_value DOUBLE PRECISION,
    shares_owned_following_transaction DOUBLE PRECISION,
    value_owned_following_transaction DOUBLE PRECISION,
    direct_or_indirect_ownership TEXT,
    nature_of_ownership TEXT,
    footnote_ids TEXT NOT NULL,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE footnotes (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    footnote_id TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE owner_signatures (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    signature_name TEXT NOT NULL,
    signature_date DATE,
    PRIMARY KEY (accession_number, seq)
);

-- One row per (form type, month): what the month's bundle would be built
-- from. Written in the same transaction as the filings it describes.
-- fingerprint is the XOR of sha256(content_sha256 || amends) over the
-- month's filings: order-free and updatable by delta.
CREATE TABLE month_stats (
    form_type INTEGER NOT NULL,
    period_month TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    filing_count BIGINT NOT NULL,
    row_count BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (form_type, period_month)
);

-- Each EDGAR day the ingest has fully processed; ingested_through is the
-- last day of the unbroken run of these.
CREATE TABLE edgar_days (
    day DATE PRIMARY KEY,
    filings_found INTEGER NOT NULL,
    loaded INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    completed_at TIMESTAMP NOT NULL
);

CREATE TABLE ingest_failures (
    source TEXT NOT NULL,
    edgar_day DATE,
    reason TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source)
);
