// The diesel view of the tables in `migrations/`; both backends share it.

diesel::table! {
    filings (accession_number) {
        accession_number -> Text,
        form_type -> Integer,
        document_type -> Text,
        period_of_report -> Date,
        filing_date -> Nullable<Date>,
        accepted_at -> Nullable<Timestamp>,
        date_of_original_submission -> Nullable<Date>,
        schema_version -> Nullable<Text>,
        no_securities_owned -> Nullable<SmallInt>,
        not_subject_to_section16 -> Nullable<SmallInt>,
        form3_holdings_reported -> Nullable<SmallInt>,
        form4_transactions_reported -> Nullable<SmallInt>,
        aff10b5_one -> Nullable<SmallInt>,
        issuer_cik -> Text,
        issuer_name -> Nullable<Text>,
        issuer_trading_symbol -> Nullable<Text>,
        remarks -> Nullable<Text>,
        first_owner_cik -> Nullable<Text>,
        amends_accession_number -> Nullable<Text>,
        content_sha256 -> Text,
        row_count -> Integer,
        loaded_from -> Text,
        source -> Text,
        loaded_at -> Timestamp,
        filing_month -> Nullable<Text>,
        superseded_by_accession_number -> Nullable<Text>,
        first_seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reporting_owners (accession_number, seq) {
        accession_number -> Text,
        seq -> Integer,
        cik -> Text,
        name -> Nullable<Text>,
        street1 -> Nullable<Text>,
        street2 -> Nullable<Text>,
        city -> Nullable<Text>,
        state -> Nullable<Text>,
        zip_code -> Nullable<Text>,
        state_description -> Nullable<Text>,
        is_director -> Nullable<SmallInt>,
        is_officer -> Nullable<SmallInt>,
        is_ten_percent_owner -> Nullable<SmallInt>,
        is_other -> Nullable<SmallInt>,
        officer_title -> Nullable<Text>,
        other_text -> Nullable<Text>,
        file_number -> Nullable<Text>,
    }
}

diesel::table! {
    non_derivative_transactions (accession_number, seq) {
        accession_number -> Text,
        seq -> Integer,
        security_title -> Nullable<Text>,
        transaction_date -> Nullable<Date>,
        deemed_execution_date -> Nullable<Date>,
        transaction_form_type -> Nullable<Text>,
        transaction_code -> Nullable<Text>,
        equity_swap_involved -> Nullable<SmallInt>,
        transaction_timeliness -> Nullable<Text>,
        shares -> Nullable<Double>,
        price_per_share -> Nullable<Double>,
        acquired_disposed_code -> Nullable<Text>,
        shares_owned_following_transaction -> Nullable<Double>,
        value_owned_following_transaction -> Nullable<Double>,
        direct_or_indirect_ownership -> Nullable<Text>,
        nature_of_ownership -> Nullable<Text>,
        footnote_ids -> Text,
    }
}

diesel::table! {
    non_derivative_holdings (accession_number, seq) {
        accession_number -> Text,
        seq -> Integer,
        security_title -> Nullable<Text>,
        transaction_form_type -> Nullable<Text>,
        shares_owned_following_transaction -> Nullable<Double>,
        value_owned_following_transaction -> Nullable<Double>,
        direct_or_indirect_ownership -> Nullable<Text>,
        nature_of_ownership -> Nullable<Text>,
        footnote_ids -> Text,
    }
}

diesel::table! {
    derivative_transactions (accession_number, seq) {
        accession_number -> Text,
        seq -> Integer,
        security_title -> Nullable<Text>,
        conversion_or_exercise_price -> Nullable<Double>,
        transaction_date -> Nullable<Date>,
        deemed_execution_date -> Nullable<Date>,
        transaction_form_type -> Nullable<Text>,
        transaction_code -> Nullable<Text>,
        equity_swap_involved -> Nullable<SmallInt>,
        transaction_timeliness -> Nullable<Text>,
        shares -> Nullable<Double>,
        total_value -> Nullable<Double>,
        price_per_share -> Nullable<Double>,
        acquired_disposed_code -> Nullable<Text>,
        exercise_date -> Nullable<Date>,
        expiration_date -> Nullable<Date>,
        underlying_security_title -> Nullable<Text>,
        underlying_security_shares -> Nullable<Double>,
        underlying_security_value -> Nullable<Double>,
        shares_owned_following_transaction -> Nullable<Double>,
        value_owned_following_transaction -> Nullable<Double>,
        direct_or_indirect_ownership -> Nullable<Text>,
        nature_of_ownership -> Nullable<Text>,
        footnote_ids -> Text,
    }
}

diesel::table! {
    derivative_holdings (accession_number, seq) {
        accession_number -> Text,
        seq -> Integer,
        security_title -> Nullable<Text>,
        conversion_or_exercise_price -> Nullable<Double>,
        transaction_form_type -> Nullable<Text>,
        exercise_date -> Nullable<Date>,
        expiration_date -> Nullable<Date>,
        underlying_security_title -> Nullable<Text>,
        underlying_security_shares -> Nullable<Double>,
        underlying_security_value -> Nullable<Double>,
        shares_owned_following_transaction -> Nullable<Double>,
        value_owned_following_transaction -> Nullable<Double>,
        direct_or_indirect_ownership -> Nullable<Text>,
        nature_of_ownership -> Nullable<Text>,
        footnote_ids -> Text,
    }
}

diesel::table! {
    footnotes (accession_number, seq) {
        accession_number -> Text,
        seq -> Integer,
        footnote_id -> Text,
        text -> Text,
    }
}

diesel::table! {
    owner_signatures (accession_number, seq) {
        accession_number -> Text,
        seq -> Integer,
        signature_name -> Text,
        signature_date -> Nullable<Date>,
    }
}

diesel::table! {
    month_stats (form_type, period_month) {
        form_type -> Integer,
        period_month -> Text,
        fingerprint -> Text,
        filing_count -> BigInt,
        row_count -> BigInt,
        updated_at -> Timestamp,
        changed_after_close -> BigInt,
    }
}

diesel::table! {
    edgar_days (day) {
        day -> Date,
        filings_found -> Integer,
        loaded -> Integer,
        unchanged -> Integer,
        failed -> Integer,
        completed_at -> Timestamp,
        failed_downloads -> Integer,
        missed_by_watch -> Integer,
    }
}

diesel::table! {
    /// One row (`id` = 1): `ingested_through`, kept by `edgar_days::record_day`.
    edgar_mark (id) {
        id -> Integer,
        ingested_through -> Nullable<Date>,
    }
}

diesel::table! {
    ingest_failures (source) {
        source -> Text,
        edgar_day -> Nullable<Date>,
        reason -> Text,
        failed_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    filings,
    reporting_owners,
    non_derivative_transactions,
    non_derivative_holdings,
    derivative_transactions,
    derivative_holdings,
    footnotes,
    owner_signatures,
    month_stats,
);

diesel::table! {
    jobs (id) {
        id -> Text,
        form_type -> Integer,
        period_month -> Text,
        reason -> Text,
        state -> Text,
        attempts -> Integer,
        queued_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        rows_done -> BigInt,
        rows_total -> BigInt,
        error -> Nullable<Text>,
        tokens_charged -> Integer,
        account_id -> Nullable<Text>,
        trace_id -> Nullable<Text>,
        result_sha256 -> Nullable<Text>,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<Timestamp>,
        dispatched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_followers (job_id, account_id) {
        job_id -> Text,
        account_id -> Text,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    bundles (form_type, period_month) {
        form_type -> Integer,
        period_month -> Text,
        status -> Text,
        storage -> Text,
        file_name -> Text,
        object_key -> Text,
        generated_at -> Timestamp,
        sha256 -> Text,
        size_bytes -> BigInt,
        filing_count -> BigInt,
        row_count -> BigInt,
        source_fingerprint -> Text,
        last_job_id -> Nullable<Text>,
        synthetic -> Bool,
        jsonl_object_key -> Text,
        jsonl_sha256 -> Text,
        jsonl_size_bytes -> BigInt,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        name -> Text,
        tier -> Text,
        balance -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        account_id -> Text,
        secret_sha256 -> Text,
        label -> Nullable<Text>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ledger (id) {
        id -> BigInt,
        account_id -> Text,
        entry_kind -> Text,
        amount -> BigInt,
        balance_after -> BigInt,
        job_id -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        job_id -> Text,
        created_at -> Timestamp,
        available_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (account_id, idempotency_key) {
        account_id -> Text,
        idempotency_key -> Text,
        request_fingerprint -> Text,
        job_id -> Text,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(api_keys -> accounts (account_id));
diesel::joinable!(ledger -> accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(accounts, api_keys, ledger);

diesel::table! {
    maintenance_runs (name) {
        name -> Text,
        last_run_at -> Timestamp,
    }
}

diesel::table! {
    download_grants (account_id, object_key) {
        account_id -> Text,
        object_key -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    superseded_objects (object_key) {
        object_key -> Text,
        superseded_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(bundles, superseded_objects);
diesel::table! {
    /// Each month's latest job, kept by `jobs::insert`.
    month_latest_jobs (form_type, period_month) {
        form_type -> Integer,
        period_month -> Text,
        job_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(jobs, outbox, job_followers, month_latest_jobs);

diesel::table! {
    /// Data migrations the Rust side still owes the schema (`data_migrations`).
    pending_data_migrations (name) {
        name -> Text,
    }
}
diesel::allow_tables_to_appear_in_same_query!(bundles, month_stats);

diesel::table! {
    /// The current-filings watcher's seen set and to-do list.
    watch_filings (accession_number) {
        accession_number -> Text,
        document_type -> Text,
        archive_path -> Text,
        first_seen_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        stored_at -> Nullable<Timestamp>,
        left_at -> Nullable<Timestamp>,
        reconciled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Months the watcher owes a regeneration, and its debounce.
    watch_months (form_type, period_month) {
        form_type -> Integer,
        period_month -> Text,
        dirty_since -> Nullable<Timestamp>,
        last_queued_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(watch_filings, filings);
