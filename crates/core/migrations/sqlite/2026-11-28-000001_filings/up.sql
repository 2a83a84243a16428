-- Filings as SEC's Insider Transactions Data Sets model them: one row per
-- submission, child tables keyed by (accession_number, seq), where seq is
-- the row's position in the document so that the order is kept.
CREATE TABLE filings (
    accession_number TEXT PRIMARY KEY,
    form_type INTEGER NOT NULL CHECK (form_type IN (3, 4, 5)),
    document_type TEXT NOT NULL,
    period_month TEXT NOT NULL,
    period_of_report TEXT NOT NULL,
    filing_date TEXT,
    date_of_original_submission TEXT,
    schema_version TEXT,
    no_securities_owned INTEGER,
    not_subject_to_section16 INTEGER,
    form3_holdings_reported INTEGER,
    form4_transactions_reported INTEGER,
    aff10b5_one INTEGER,
    issuer_cik TEXT NOT NULL,
    issuer_name TEXT,
    issuer_trading_symbol TEXT,
    remarks TEXT,
    first_owner_cik TEXT,
    amends_accession_number TEXT,
    content_sha256 TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    source TEXT NOT NULL,
    is_synthetic INTEGER NOT NULL,
    loaded_at TEXT NOT NULL
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
    is_director INTEGER,
    is_officer INTEGER,
    is_ten_percent_owner INTEGER,
    is_other INTEGER,
    officer_title TEXT,
    other_text TEXT,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE non_derivative_transactions (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    security_title TEXT,
    transaction_date TEXT,
    deemed_execution_date TEXT,
    transaction_form_type TEXT,
    transaction_code TEXT,
    equity_swap_involved INTEGER,
    transaction_timeliness TEXT,
    shares REAL,
    price_per_share REAL,
    acquired_disposed_code TEXT,
    shares_owned_following_transaction REAL,
    value_owned_following_transaction REAL,
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
    shares_owned_following_transaction REAL,
    value_owned_following_transaction REAL,
    direct_or_indirect_ownership TEXT,
    nature_of_ownership TEXT,
    footnote_ids TEXT NOT NULL,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE derivative_transactions (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    security_title TEXT,
    conversion_or_exercise_price REAL,
    transaction_date TEXT,
    deemed_execution_date TEXT,
    transaction_form_type TEXT,
    transaction_code TEXT,
    equity_swap_involved INTEGER,
    transaction_timeliness TEXT,
    shares REAL,
    total_value REAL,
    price_per_share REAL,
    acquired_disposed_code TEXT,
    exercise_date TEXT,
    expiration_date TEXT,
    underlying_security_title TEXT,
    underlying_security_shares REAL,
    underlying_security_value REAL,
    shares_owned_following_transaction REAL,
    value_owned_following_transaction REAL,
    direct_or_indirect_ownership TEXT,
    nature_of_ownership TEXT,
    footnote_ids TEXT NOT NULL,
    PRIMARY KEY (accession_number, seq)
);

CREATE TABLE derivative_holdings (
    accession_number TEXT NOT NULL REFERENCES filings (accession_number) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    security_title TEXT,
    conversion_or_exercise_price REAL,
    transaction_form_type TEXT,
    exercise_date TEXT,
    expiration_date TEXT,
    underlying_security_title TEXT,
    underlying_security_shares REAL,
    underlying_security_value REAL,
    shares_owned_following_transaction REAL,
    value_owned_following_transaction REAL,
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
    signature_date TEXT,
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
    filing_count INTEGER NOT NULL,
    row_count INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (form_type, period_month)
);

-- Each EDGAR day the ingest has fully processed; ingested_through is the
-- last day of the unbroken run of these.
CREATE TABLE edgar_days (
    day TEXT PRIMARY KEY,
    filings_found INTEGER NOT NULL,
    loaded INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    completed_at TEXT NOT NULL
);

CREATE TABLE ingest_failures (
    source TEXT NOT NULL,
    edgar_day TEXT,
    reason TEXT NOT NULL,
    failed_at TEXT NOT NULL,
    PRIMARY KEY (source)
);
