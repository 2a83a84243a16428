//! The write side shared by `load`, `synth` and `edgar`: filings arrive one
//! by one (or as failures), are grouped into batches and stored, each batch
//! in one transaction. A batch the database refuses is retried one filing at
//! a time, so that one bad filing is reported and the rest still load.

use insider_bulk_core::db::edgar_days;
use insider_bulk_core::db::filings::{content_hashes, store_hashed, undated_filings, FilingToStore, StoreStatus};
use insider_bulk_core::db::{needs_planner_statistics, refresh_planner_statistics, Database, DbError, StatisticsGroup};
use time::Date;

/// A batch handed back, with its hashes, and what storing it did.
type StoreAttempt = (Vec<FilingToStore>, Vec<String>, Result<Vec<StoreStatus>, DbError>);

/// What happened to one input.
pub type Item = Result<FilingToStore, Failure>;

/// A batch of items with the content hashes of its filings computed, on
/// whichever thread made it: the pipeline's producer hashes the next batch
/// while the database stores this one.
pub struct Prepared {
    filings: Vec<FilingToStore>,
    hashes: Vec<String>,
    failures: Vec<Failure>,
}

impl Prepared {
    pub fn new(items: Vec<Item>) -> Self {
        let (filings, failures) = split(items);
        let hashes = content_hashes(&filings);
        Prepared { filings, hashes, failures }
    }

    /// Inputs in the batch, failed ones included.
    pub fn len(&self) -> usize {
        self.filings.len() + self.failures.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The filings of a batch of items, and its failures.
fn split(items: Vec<Item>) -> (Vec<FilingToStore>, Vec<Failure>) {
    let mut filings = Vec::with_capacity(items.len());
    let mut failures = Vec::new();
    for item in items {
        match item {
            Ok(filing) => filings.push(filing),
            Err(failure) => failures.push(failure),
        }
    }
    (filings, failures)
}

/// An input that did not become a stored filing, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub source: String,
    pub reason: String,
    pub kind: FailureKind,
}

/// Whether running again could turn a failure into a stored filing: what
/// tells a scheduler to retry (exit code 1) or not (exit code 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The bytes could not be had: a download or a read failed.
    Unavailable,
    /// The bytes are there and wrong: unparseable, or refused by the
    /// database. The same bytes will fail the same way.
    Malformed,
}

impl Failure {
    pub fn unavailable(source: impl Into<String>, reason: impl ToString) -> Self {
        Failure { source: source.into(), reason: reason.to_string(), kind: FailureKind::Unavailable }
    }

    pub fn malformed(source: impl Into<String>, reason: impl ToString) -> Self {
        Failure { source: source.into(), reason: reason.to_string(), kind: FailureKind::Malformed }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StoreReport {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub duplicates: usize,
    /// Data-set rows of filings already loaded from their EDGAR documents.
    pub kept_documents: usize,
    pub failed: Vec<Failure>,
    /// Sources of the filings stored with no filing date known: in no month.
    pub undated: Vec<String>,
}

impl StoreReport {
    pub fn loaded(&self) -> usize {
        self.inserted + self.updated
    }

    pub fn seen(&self) -> usize {
        self.loaded() + self.unchanged + self.duplicates + self.kept_documents + self.failed.len()
    }

    fn count(&mut self, status: StoreStatus) {
        match status {
            StoreStatus::Inserted => self.inserted += 1,
            StoreStatus::Updated => self.updated += 1,
            StoreStatus::Unchanged => self.unchanged += 1,
            StoreStatus::Duplicate => self.duplicates += 1,
            StoreStatus::KeptDocument => self.kept_documents += 1,
        }
    }

    pub fn summary(&self) -> String {
        let kept = match self.kept_documents {
            0 => String::new(),
            n => format!(", kept from EDGAR documents {n}"),
        };
        let undated = match self.undated.len() {
            0 => String::new(),
            n => format!(", undated {n} (in no month until dated)"),
        };
        format!(
            "loaded {} (new {}, changed {}), unchanged {}, duplicates {}{kept}, failed {}{undated}",
            self.loaded(),
            self.inserted,
            self.updated,
            self.unchanged,
            self.duplicates,
            self.failed.len()
        )
    }
}

/// Stores batches of items; failures are kept in the report and, with
/// `record_failures`, in the database's list of ingest failures.
pub struct BatchWriter {
    db: Database,
    pub report: StoreReport,
    edgar_day: Option<Date>,
    record_failures: bool,
}

impl BatchWriter {
    pub fn new(db: Database) -> Self {
        BatchWriter { db, report: StoreReport::default(), edgar_day: None, record_failures: true }
    }

    pub fn for_edgar_day(db: Database, day: Date) -> Self {
        BatchWriter { edgar_day: Some(day), ..Self::new(db) }
    }

    /// Synthetic data has no source files whose failures are worth keeping.
    pub fn without_failure_records(mut self) -> Self {
        self.record_failures = false;
        self
    }

    /// After a large load, when it is large for the table: see
    /// [`needs_planner_statistics`]. The two groups of tables are sampled on
    /// two connections at once.
    pub async fn refresh_planner_statistics(&self) -> Result<(), DbError> {
        let loaded = self.report.loaded();
        if !self.db.run(move |conn| needs_planner_statistics(conn, loaded)).await? {
            return Ok(());
        }
        let group = |group| self.db.run(move |conn| refresh_planner_statistics(conn, group));
        tokio::try_join!(group(StatisticsGroup::Filings), group(StatisticsGroup::Rows))?;
        Ok(())
    }

    pub async fn write(&mut self, items: Vec<Item>) -> Result<(), DbError> {
        let (batch, failures) = split(items);
        self.write_batch(batch, None, failures).await
    }

    /// [`Self::write`] of a batch whose hashes are already computed.
    pub async fn write_prepared(&mut self, prepared: Prepared) -> Result<(), DbError> {
        let Prepared { filings, hashes, failures } = prepared;
        self.write_batch(filings, Some(hashes), failures).await
    }

    async fn write_batch(
        &mut self,
        batch: Vec<FilingToStore>,
        hashes: Option<Vec<String>>,
        mut failures: Vec<Failure>,
    ) -> Result<(), DbError> {
        let stored_sources: Vec<String> = batch.iter().map(|f| f.loaded_from.clone()).collect();
        let maybe_undated: Vec<(String, String)> = batch
            .iter()
            .filter(|f| f.filing.submission.filing_date.is_none())
            .map(|f| (f.filing.submission.accession_number.as_str().to_owned(), f.loaded_from.clone()))
            .collect();
        let (batch, hashes, result) = self.store(batch, hashes).await?;
        match result {
            Ok(statuses) => statuses.into_iter().for_each(|s| self.report.count(s)),
            Err(DbError::Query(e)) if batch.len() == 1 => {
                failures.push(Failure::malformed(stored_sources[0].clone(), e));
            }
            Err(DbError::Query(_)) => {
                for (filing, hash) in batch.into_iter().zip(hashes) {
                    let source = filing.loaded_from.clone();
                    match self.store(vec![filing], Some(vec![hash])).await?.2 {
                        Ok(statuses) => statuses.into_iter().for_each(|s| self.report.count(s)),
                        Err(DbError::Query(e)) => failures.push(Failure::malformed(source, e)),
                        Err(other) => return Err(other),
                    }
                }
            }
            Err(other) => return Err(other),
        }
        self.note_undated(maybe_undated).await?;
        self.note_failures(failures, stored_sources).await
    }

    /// Of the inputs that came without a filing date, those stored so: a
    /// copy stored before may have given the filing its date.
    async fn note_undated(&mut self, inputs: Vec<(String, String)>) -> Result<(), DbError> {
        if inputs.is_empty() {
            return Ok(());
        }
        let accessions: Vec<String> = inputs.iter().map(|(acc, _)| acc.clone()).collect();
        let undated = self.db.run(move |conn| undated_filings(conn, &accessions)).await?;
        self.report.undated.extend(inputs.into_iter().filter(|(acc, _)| undated.contains(acc)).map(|(_, s)| s));
        Ok(())
    }

    /// Stores a batch and hands it back with its hashes and the outcome, so
    /// that a batch the database refused can be retried filing by filing
    /// without a copy. Hashes not given are computed on the database's thread.
    async fn store(&self, batch: Vec<FilingToStore>, hashes: Option<Vec<String>>) -> Result<StoreAttempt, DbError> {
        if batch.is_empty() {
            return Ok((batch, Vec::new(), Ok(Vec::new())));
        }
        self.db
            .run(move |conn| {
                let hashes = hashes.unwrap_or_else(|| content_hashes(&batch));
                let result = store_hashed(conn, &batch, &hashes);
                Ok((batch, hashes, result))
            })
            .await
    }

    async fn note_failures(&mut self, failures: Vec<Failure>, stored: Vec<String>) -> Result<(), DbError> {
        if self.record_failures {
            let day = self.edgar_day;
            let to_record = failures.clone();
            self.db
                .run(move |conn| {
                    let stored: Vec<&str> = stored.iter().map(String::as_str).collect();
                    edgar_days::clear_failures(conn, &stored)?;
                    for f in &to_record {
                        edgar_days::record_failure(conn, &f.source, day, &f.reason)?;
                    }
                    Ok(())
                })
                .await?;
        }
        self.report.failed.extend(failures);
        Ok(())
    }
}
