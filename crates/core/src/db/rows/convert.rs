use std::collections::HashMap;

use time::PrimitiveDateTime;

use super::*;
use crate::domain::{AccessionNumber, Cik, DocumentType};

impl FilingRows {
    /// Appends one filing's rows. `content_sha256` is passed in because the
    /// caller already computed it to decide whether anything changed.
    pub fn push(&mut self, f: &Filing, content_sha256: &str, source: &str, is_synthetic: bool, now: PrimitiveDateTime) {
        let acc = f.accession_number.as_str();
        self.filings.push(FilingRow {
            accession_number: acc.to_owned(),
            form_type: i32::from(f.document_type.form_type.number()),
            document_type: f.document_type.to_string(),
            period_month: f.month().to_string(),
            period_of_report: f.period_of_report,
            filing_date: f.filing_date,
            date_of_original_submission: f.date_of_original_submission,
            schema_version: f.schema_version.clone(),
            no_securities_owned: f.no_securities_owned,
            not_subject_to_section16: f.not_subject_to_section16,
            form3_holdings_reported: f.form3_holdings_reported,
            form4_transactions_reported: f.form4_transactions_reported,
            aff10b5_one: f.aff10b5_one,
            issuer_cik: f.issuer.cik.to_string(),
            issuer_name: f.issuer.name.clone(),
            issuer_trading_symbol: f.issuer.trading_symbol.clone(),
            remarks: f.remarks.clone(),
            first_owner_cik: f.reporting_owners.first().map(|o| o.cik.to_string()),
            amends_accession_number: None,
            content_sha256: content_sha256.to_owned(),
            row_count: seq(f.row_count()),
            source: source.to_owned(),
            is_synthetic,
            loaded_at: now,
        });
        for (i, o) in f.reporting_owners.iter().enumerate() {
            self.owners.push(OwnerRow {
                accession_number: acc.to_owned(),
                seq: seq(i),
                cik: o.cik.to_string(),
                name: o.name.clone(),
                street1: o.street1.clone(),
                street2: o.street2.clone(),
                city: o.city.clone(),
                state: o.state.clone(),
                zip_code: o.zip_code.clone(),
                state_description: o.state_description.clone(),
                is_director: o.is_director,
                is_officer: o.is_officer,
                is_ten_percent_owner: o.is_ten_percent_owner,
                is_other: o.is_other,
                officer_title: o.officer_title.clone(),
                other_text: o.other_text.clone(),
            });
        }
        for (i, t) in f.non_derivative_transactions.iter().enumerate() {
            self.non_derivative_transactions.push(NonDerivativeTransactionRow {
                accession_number: acc.to_owned(),
                seq: seq(i),
                security_title: t.security_title.clone(),
                transaction_date: t.transaction_date,
                deemed_execution_date: t.deemed_execution_date,
                transaction_form_type: t.transaction_form_type.clone(),
                transaction_code: t.transaction_code.clone(),
                equity_swap_involved: t.equity_swap_involved,
                transaction_timeliness: t.transaction_timeliness.clone(),
                shares: t.shares,
                price_per_share: t.price_per_share,
                acquired_disposed_code: t.acquired_disposed_code.clone(),
                shares_owned_following_transaction: t.shares_owned_following_transaction,
                value_owned_following_transaction: t.value_owned_following_transaction,
                direct_or_indirect_ownership: t.direct_or_indirect_ownership.clone(),
                nature_of_ownership: t.nature_of_ownership.clone(),
                footnote_ids: footnote_json(&t.footnote_ids),
            });
        }
        for (i, h) in f.non_derivative_holdings.iter().enumerate() {
            self.non_derivative_holdings.push(NonDerivativeHoldingRow {
                accession_number: acc.to_owned(),
                seq: seq(i),
                security_title: h.security_title.clone(),
                transaction_form_type: h.transaction_form_type.clone(),
                shares_owned_following_transaction: h.shares_owned_following_transaction,
                value_owned_following_transaction: h.value_owned_following_transaction,
                direct_or_indirect_ownership: h.direct_or_indirect_ownership.clone(),
                nature_of_ownership: h.nature_of_ownership.clone(),
                footnote_ids: footnote_json(&h.footnote_ids),
            });
        }
        for (i, t) in f.derivative_transactions.iter().enumerate() {
            self.derivative_transactions.push(DerivativeTransactionRow {
                accession_number: acc.to_owned(),
                seq: seq(i),
                security_title: t.security_title.clone(),
                conversion_or_exercise_price: t.conversion_or_exercise_price,
                transaction_date: t.transaction_date,
                deemed_execution_date: t.deemed_execution_date,
                transaction_form_type: t.transaction_form_type.clone(),
                transaction_code: t.transaction_code.clone(),
                equity_swap_involved: t.equity_swap_involved,
                transaction_timeliness: t.transaction_timeliness.clone(),
                shares: t.shares,
                total_value: t.total_value,
                price_per_share: t.price_per_share,
                acquired_disposed_code: t.acquired_disposed_code.clone(),
                exercise_date: t.exercise_date,
                expiration_date: t.expiration_date,
                underlying_security_title: t.underlying_security_title.clone(),
                underlying_security_shares: t.underlying_security_shares,
                underlying_security_value: t.underlying_security_value,
                shares_owned_following_transaction: t.shares_owned_following_transaction,
                value_owned_following_transaction: t.value_owned_following_transaction,
                direct_or_indirect_ownership: t.direct_or_indirect_ownership.clone(),
                nature_of_ownership: t.nature_of_ownership.clone(),
                footnote_ids: footnote_json(&t.footnote_ids),
            });
        }
        for (i, h) in f.derivative_holdings.iter().enumerate() {
            self.derivative_holdings.push(DerivativeHoldingRow {
                accession_number: acc.to_owned(),
                seq: seq(i),
                security_title: h.security_title.clone(),
                conversion_or_exercise_price: h.conversion_or_exercise_price,
                transaction_form_type: h.transaction_form_type.clone(),
                exercise_date: h.exercise_date,
                expiration_date: h.expiration_date,
                underlying_security_title: h.underlying_security_title.clone(),
                underlying_security_shares: h.underlying_security_shares,
                underlying_security_value: h.underlying_security_value,
                shares_owned_following_transaction: h.shares_owned_following_transaction,
                value_owned_following_transaction: h.value_owned_following_transaction,
                direct_or_indirect_ownership: h.direct_or_indirect_ownership.clone(),
                nature_of_ownership: h.nature_of_ownership.clone(),
                footnote_ids: footnote_json(&h.footnote_ids),
            });
        }
        for (i, n) in f.footnotes.iter().enumerate() {
            self.footnotes.push(FootnoteRow {
                accession_number: acc.to_owned(),
                seq: seq(i),
                footnote_id: n.id.clone(),
                text: n.text.clone(),
            });
        }
        for (i, s) in f.owner_signatures.iter().enumerate() {
            self.signatures.push(SignatureRow {
                accession_number: acc.to_owned(),
                seq: seq(i),
                signature_name: s.signature_name.clone(),
                signature_date: s.signature_date,
            });
        }
    }
}

fn corrupt(what: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(what.to_string())
}

fn footnote_ids(acc: &str, json: &str) -> Result<FootnoteIds, DbError> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("{acc}: footnote_ids {json:?}: {e}")))
}

/// Groups child rows (already ordered by accession and seq) under their filing.
fn group<R>(rows: Vec<R>, key: impl Fn(&R) -> &str) -> HashMap<String, Vec<R>> {
    let mut grouped: HashMap<String, Vec<R>> = HashMap::new();
    for row in rows {
        grouped.entry(key(&row).to_owned()).or_default().push(row);
    }
    grouped
}

fn take<R>(grouped: &mut HashMap<String, Vec<R>>, acc: &str) -> Vec<R> {
    grouped.remove(acc).unwrap_or_default()
}

/// Rebuilds filings from their rows; the inverse of `FilingRows::push`.
/// Child rows must be ordered by (accession_number, seq).
pub fn assemble_filings(rows: FilingRows) -> Result<Vec<Filing>, DbError> {
    let mut owners = group(rows.owners, |r| &r.accession_number);
    let mut ndt = group(rows.non_derivative_transactions, |r| &r.accession_number);
    let mut ndh = group(rows.non_derivative_holdings, |r| &r.accession_number);
    let mut dt = group(rows.derivative_transactions, |r| &r.accession_number);
    let mut dh = group(rows.derivative_holdings, |r| &r.accession_number);
    let mut notes = group(rows.footnotes, |r| &r.accession_number);
    let mut sigs = group(rows.signatures, |r| &r.accession_number);
    rows.filings
        .into_iter()
        .map(|f| {
            let acc = f.accession_number.clone();
            Ok(Filing {
                accession_number: acc.parse::<AccessionNumber>().map_err(corrupt)?,
                document_type: f.document_type.parse::<DocumentType>().map_err(corrupt)?,
                schema_version: f.schema_version,
                period_of_report: f.period_of_report,
                filing_date: f.filing_date,
                date_of_original_submission: f.date_of_original_submission,
                no_securities_owned: f.no_securities_owned,
                not_subject_to_section16: f.not_subject_to_section16,
                form3_holdings_reported: f.form3_holdings_reported,
                form4_transactions_reported: f.form4_transactions_reported,
                aff10b5_one: f.aff10b5_one,
                issuer: Issuer {
                    cik: f.issuer_cik.parse::<Cik>().map_err(corrupt)?,
                    name: f.issuer_name,
                    trading_symbol: f.issuer_trading_symbol,
                },
                reporting_owners: take(&mut owners, &acc)
                    .into_iter()
                    .map(|o| {
                        Ok(ReportingOwner {
                            cik: o.cik.parse::<Cik>().map_err(corrupt)?,
                            name: o.name,
                            street1: o.street1,
                            street2: o.street2,
                            city: o.city,
                            state: o.state,
                            zip_code: o.zip_code,
                            state_description: o.state_description,
                            is_director: o.is_director,
                            is_officer: o.is_officer,
                            is_ten_percent_owner: o.is_ten_percent_owner,
                            is_other: o.is_other,
                            officer_title: o.officer_title,
                            other_text: o.other_text,
                        })
                    })
                    .collect::<Result<_, DbError>>()?,
                non_derivative_transactions: take(&mut ndt, &acc)
                    .into_iter()
                    .map(|t| {
                        Ok(NonDerivativeTransaction {
                            footnote_ids: footnote_ids(&acc, &t.footnote_ids)?,
                            security_title: t.security_title,
                            transaction_date: t.transaction_date,
                            deemed_execution_date: t.deemed_execution_date,
                            transaction_form_type: t.transaction_form_type,
                            transaction_code: t.transaction_code,
                            equity_swap_involved: t.equity_swap_involved,
                            transaction_timeliness: t.transaction_timeliness,
                            shares: t.shares,
                            price_per_share: t.price_per_share,
                            acquired_disposed_code: t.acquired_disposed_code,
                            shares_owned_following_transaction: t.shares_owned_following_transaction,
                            value_owned_following_transaction: t.value_owned_following_transaction,
                            direct_or_indirect_ownership: t.direct_or_indirect_ownership,
                            nature_of_ownership: t.nature_of_ownership,
                        })
                    })
                    .collect::<Result<_, DbError>>()?,
                non_derivative_holdings: take(&mut ndh, &acc)
                    .into_iter()
                    .map(|h| {
                        Ok(NonDerivativeHolding {
                            footnote_ids: footnote_ids(&acc, &h.footnote_ids)?,
                            security_title: h.security_title,
                            transaction_form_type: h.transaction_form_type,
                            shares_owned_following_transaction: h.shares_owned_following_transaction,
                            value_owned_following_transaction: h.value_owned_following_transaction,
                            direct_or_indirect_ownership: h.direct_or_indirect_ownership,
                            nature_of_ownership: h.nature_of_ownership,
                        })
                    })
                    .collect::<Result<_, DbError>>()?,
                derivative_transactions: take(&mut dt, &acc)
                    .into_iter()
                    .map(|t| {
                        Ok(DerivativeTransaction {
                            footnote_ids: footnote_ids(&acc, &t.footnote_ids)?,
                            security_title: t.security_title,
                            conversion_or_exercise_price: t.conversion_or_exercise_price,
                            transaction_date: t.transaction_date,
                            deemed_execution_date: t.deemed_execution_date,
                            transaction_form_type: t.transaction_form_type,
                            transaction_code: t.transaction_code,
                            equity_swap_involved: t.equity_swap_involved,
                            transaction_timeliness: t.transaction_timeliness,
                            shares: t.shares,
                            total_value: t.total_value,
                            price_per_share: t.price_per_share,
                            acquired_disposed_code: t.acquired_disposed_code,
                            exercise_date: t.exercise_date,
                            expiration_date: t.expiration_date,
                            underlying_security_title: t.underlying_security_title,
                            underlying_security_shares: t.underlying_security_shares,
                            underlying_security_value: t.underlying_security_value,
                            shares_owned_following_transaction: t.shares_owned_following_transaction,
                            value_owned_following_transaction: t.value_owned_following_transaction,
                            direct_or_indirect_ownership: t.direct_or_indirect_ownership,
                            nature_of_ownership: t.nature_of_ownership,
                        })
                    })
                    .collect::<Result<_, DbError>>()?,
                derivative_holdings: take(&mut dh, &acc)
                    .into_iter()
                    .map(|h| {
                        Ok(DerivativeHolding {
                            footnote_ids: footnote_ids(&acc, &h.footnote_ids)?,
                            security_title: h.security_title,
                            conversion_or_exercise_price: h.conversion_or_exercise_price,
                            transaction_form_type: h.transaction_form_type,
                            exercise_date: h.exercise_date,
                            expiration_date: h.expiration_date,
                            underlying_security_title: h.underlying_security_title,
                            underlying_security_shares: h.underlying_security_shares,
                            underlying_security_value: h.underlying_security_value,
                            shares_owned_following_transaction: h.shares_owned_following_transaction,
                            value_owned_following_transaction: h.value_owned_following_transaction,
                            direct_or_indirect_ownership: h.direct_or_indirect_ownership,
                            nature_of_ownership: h.nature_of_ownership,
                        })
                    })
                    .collect::<Result<_, DbError>>()?,
                footnotes: take(&mut notes, &acc)
                    .into_iter()
                    .map(|n| Footnote { id: n.footnote_id, text: n.text })
                    .collect(),
                remarks: f.remarks,
                owner_signatures: take(&mut sigs, &acc)
                    .into_iter()
                    .map(|s| OwnerSignature { signature_name: s.signature_name, signature_date: s.signature_date })
                    .collect(),
            })
        })
        .collect()
}
