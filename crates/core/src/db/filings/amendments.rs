//! Amendment links, both ways. An amendment (3/A, 4/A, 5/A) names the
//! filing it amends: same form, issuer, first reporting owner and period of
//! report, filed no later than the amendment, and with the filing date that
//! the amendment's dateOfOriginalSubmission gives where both are known. A
//! filing names its latest amendment filed by the end of its own month
//! (`superseded_by`), so a closed month never learns what became known
//! later.
//!
//! The links of a group (issuer, period of report, form) are recomputed
//! from all of its filings whenever one of them is stored, so the same set
//! of filings gives the same links whatever order they were loaded in.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use time::Date;

use super::fingerprint_part;
use crate::db::month_stats::{self, MonthDelta, MonthKey};
use crate::db::schema::filings;
use crate::db::{DbConnection, DbError};

/// Issuers per query: well under SQLite's limit of bound parameters.
const ISSUERS_PER_QUERY: usize = 5000;

#[derive(Queryable, QueryableByName, Debug, Clone)]
#[diesel(table_name = filings)]
struct Member {
    accession_number: String,
    form_type: i32,
    document_type: String,
    filing_month: Option<String>,
    period_of_report: Date,
    filing_date: Option<Date>,
    date_of_original_submission: Option<Date>,
    issuer_cik: String,
    first_owner_cik: Option<String>,
    content_sha256: String,
    amends_accession_number: Option<String>,
    superseded_by_accession_number: Option<String>,
}

macro_rules! member_columns {
    () => {
        (
            filings::accession_number,
            filings::form_type,
            filings::document_type,
            filings::filing_month,
            filings::period_of_report,
            filings::filing_date,
            filings::date_of_original_submission,
            filings::issuer_cik,
            filings::first_owner_cik,
            filings::content_sha256,
            filings::amends_accession_number,
            filings::superseded_by_accession_number,
        )
    };
}

impl Member {
    fn is_amendment(&self) -> bool {
        self.document_type.ends_with("/A")
    }

    fn could_amend(&self, original: &Member) -> bool {
        // Each date rule applies where both of its dates are known.
        !original.is_amendment()
            && original.first_owner_cik == self.first_owner_cik
            && original.filing_date.zip(self.filing_date).is_none_or(|(filed, amended)| filed <= amended)
            && self.date_of_original_submission.zip(original.filing_date).is_none_or(|(wanted, filed)| wanted == filed)
    }

    /// Versions of one filing are ordered by filing date, then accession.
    fn version(&self) -> (Option<Date>, &str) {
        (self.filing_date, &self.accession_number)
    }

    fn month_key(&self) -> Option<MonthKey> {
        self.filing_month.clone().map(|m| (self.form_type, m))
    }
}

/// A group's key: issuer, period of report, form type.
type GroupKey = (String, Date, i32);

/// The groups to relink.
pub(super) enum Groups {
    /// Every group of these issuers: a full relink.
    OfIssuers(BTreeSet<String>),
    /// The groups of exactly these (issuer, period of report) pairs: what a
    /// batch of filings touched.
    Exact(BTreeSet<(String, Date)>),
}

/// A filing's new links, where they differ from the stored ones.
struct Relinked {
    accession: String,
    amends: Option<String>,
    superseded_by: Option<String>,
}

/// Members by group, each group's filings once.
type GroupMembers = BTreeMap<GroupKey, Vec<Member>>;

/// Recomputes the links of every group of `groups` that holds an
/// amendment, writes those that changed, and records their share of the
/// months' fingerprints in `deltas`. Months touched that are not yet in
/// `locked` are locked (and added) before anything is written to them.
/// Groups are read and written a chunk at a time, so memory stays bounded
/// however many there are.
pub(super) fn relink(
    conn: &mut DbConnection,
    groups: &Groups,
    deltas: &mut BTreeMap<MonthKey, MonthDelta>,
    locked: &mut BTreeSet<MonthKey>,
) -> Result<(), DbError> {
    match groups {
        Groups::OfIssuers(issuers) => {
            let issuers: Vec<&str> = issuers.iter().map(String::as_str).collect();
            for chunk in issuers.chunks(ISSUERS_PER_QUERY) {
                let members = load_groups(conn, chunk, None)?;
                relink_members(conn, &members, deltas, locked)?;
            }
        }
        Groups::Exact(pairs) => {
            let pairs: Vec<&(String, Date)> = pairs.iter().collect();
            for chunk in pairs.chunks(ISSUERS_PER_QUERY) {
                let members = load_exact_groups(conn, chunk)?;
                relink_members(conn, &members, deltas, locked)?;
            }
        }
    }
    Ok(())
}

fn relink_members(
    conn: &mut DbConnection,
    members: &GroupMembers,
    deltas: &mut BTreeMap<MonthKey, MonthDelta>,
    locked: &mut BTreeSet<MonthKey>,
) -> Result<(), DbError> {
    let mut changed = Vec::new();
    for group in members.values() {
        changed.extend(links_of(group));
    }
    let by_accession: HashMap<&str, &Member> =
        members.values().flatten().map(|m| (m.accession_number.as_str(), m)).collect();
    let new_keys: BTreeSet<MonthKey> = changed
        .iter()
        .filter_map(|c| by_accession[c.accession.as_str()].month_key())
        .filter(|k| !locked.contains(k))
        .collect();
    month_stats::ensure_and_lock(conn, &new_keys)?;
    locked.extend(new_keys);
    for c in &changed {
        let old = by_accession[c.accession.as_str()];
        let Some(key) = old.month_key() else { continue };
        let delta = deltas.entry(key).or_default();
        delta.toggle(&fingerprint_part(
            &old.content_sha256,
            old.amends_accession_number.as_deref(),
            old.superseded_by_accession_number.as_deref(),
        ));
        delta.toggle(&fingerprint_part(&old.content_sha256, c.amends.as_deref(), c.superseded_by.as_deref()));
    }
    write_links(conn, &changed)?;
    Ok(())
}

/// Every filing of the groups of `issuers` that hold an amendment, by
/// group: one query joins each amendment (a partial index finds them) to
/// the filings of its issuer, period and form (an index on issuer and
/// period finds those).
fn load_groups(
    conn: &mut DbConnection,
    issuers: &[&str],
    periods: Option<&BTreeSet<Date>>,
) -> Result<GroupMembers, DbError> {
    let members = diesel::alias!(filings as members);
    let mut query = filings::table
        .inner_join(
            members.on(members
                .field(filings::issuer_cik)
                .eq(filings::issuer_cik)
                .and(members.field(filings::period_of_report).eq(filings::period_of_report))
                .and(members.field(filings::form_type).eq(filings::form_type))),
        )
        .filter(filings::issuer_cik.eq_any(issuers))
        // A literal, not a bound pattern: only then does the planner (of
        // either backend) see that the partial index of amendments applies.
        .filter(sql::<Bool>(r#""filings"."document_type" LIKE '%/A'"#))
        .select(members.fields(member_columns!()))
        .into_boxed();
    if let Some(periods) = periods {
        query = query.filter(filings::period_of_report.eq_any(periods.iter().copied().collect::<Vec<_>>()));
    }
    let rows: Vec<Member> = query.load(conn)?;
    Ok(by_group(rows))
}

/// The members of exactly the groups of `pairs`. On PostgreSQL the pairs
/// are joined as one array each: an index probe per pair, where `= ANY` on
/// issuers and on periods probes every combination of the two. SQLite, in
/// process, takes the issuers' and periods' lists (a superset of the pairs;
/// relinking a group more changes nothing).
fn load_exact_groups(conn: &mut DbConnection, pairs: &[&(String, Date)]) -> Result<GroupMembers, DbError> {
    let DbConnection::Postgres(pg) = conn else {
        let issuers: BTreeSet<&str> = pairs.iter().map(|(issuer, _)| issuer.as_str()).collect();
        let periods: BTreeSet<Date> = pairs.iter().map(|(_, period)| *period).collect();
        return load_groups(conn, &issuers.into_iter().collect::<Vec<_>>(), Some(&periods));
    };
    use diesel::sql_types::{Array, Date as SqlDate, Text};
    let (issuers, periods): (Vec<&str>, Vec<Date>) = pairs.iter().map(|(i, p)| (i.as_str(), *p)).unzip();
    let rows: Vec<Member> = diesel::sql_query(
        "SELECT m.accession_number, m.form_type, m.document_type, m.filing_month, m.period_of_report, \
                m.filing_date, m.date_of_original_submission, m.issuer_cik, m.first_owner_cik, m.content_sha256, \
                m.amends_accession_number, m.superseded_by_accession_number \
         FROM (SELECT DISTINCT issuer, period FROM unnest($1::text[], $2::date[]) AS g (issuer, period)) g \
         JOIN filings a ON a.issuer_cik = g.issuer AND a.period_of_report = g.period \
                       AND a.document_type LIKE '%/A' \
         JOIN filings m ON m.issuer_cik = a.issuer_cik AND m.period_of_report = a.period_of_report \
                       AND m.form_type = a.form_type",
    )
    .bind::<Array<Text>, _>(issuers)
    .bind::<Array<SqlDate>, _>(periods)
    .load(pg)?;
    Ok(by_group(rows))
}

fn by_group(rows: Vec<Member>) -> GroupMembers {
    let mut groups: BTreeMap<GroupKey, BTreeMap<String, Member>> = BTreeMap::new();
    for m in rows {
        let key = (m.issuer_cik.clone(), m.period_of_report, m.form_type);
        groups.entry(key).or_default().insert(m.accession_number.clone(), m);
    }
    groups.into_iter().map(|(k, v)| (k, v.into_values().collect())).collect()
}

/// The links of one group computed from its members alone, for the
/// members whose stored links differ.
fn links_of(group: &[Member]) -> Vec<Relinked> {
    let amends: HashMap<&str, Option<&str>> = group
        .iter()
        .filter(|m| m.is_amendment())
        .map(|a| {
            let mut matches: Vec<&Member> = group.iter().filter(|o| a.could_amend(o)).collect();
            // An exact filing-date match beats a match on unknown dates; then
            // the earliest accession.
            matches.sort_by_key(|o| (o.filing_date != a.date_of_original_submission, &o.accession_number));
            (a.accession_number.as_str(), matches.first().map(|o| o.accession_number.as_str()))
        })
        .collect();
    let mut out = Vec::new();
    for m in group {
        let new_amends = if m.is_amendment() { amends[m.accession_number.as_str()] } else { None };
        let root = if m.is_amendment() { new_amends } else { Some(m.accession_number.as_str()) };
        // The latest later version of the same filing in the same month.
        let superseded_by = match (root, &m.filing_month) {
            (Some(original), Some(month)) => group
                .iter()
                .filter(|a| a.is_amendment() && amends[a.accession_number.as_str()] == Some(original))
                .filter(|a| a.filing_month.as_ref() == Some(month) && a.version() > m.version())
                .max_by(|x, y| x.version().cmp(&y.version()))
                .map(|a| a.accession_number.as_str()),
            _ => None,
        };
        if new_amends != m.amends_accession_number.as_deref()
            || superseded_by != m.superseded_by_accession_number.as_deref()
        {
            out.push(Relinked {
                accession: m.accession_number.clone(),
                amends: new_amends.map(str::to_owned),
                superseded_by: superseded_by.map(str::to_owned),
            });
        }
    }
    out
}

/// Writes each changed filing's two links.
fn write_links(conn: &mut DbConnection, links: &[Relinked]) -> Result<(), DbError> {
    if links.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Postgres(pg) => {
            use diesel::sql_types::{Array, Nullable, Text};
            let accessions: Vec<&str> = links.iter().map(|l| l.accession.as_str()).collect();
            let amends: Vec<Option<&str>> = links.iter().map(|l| l.amends.as_deref()).collect();
            let superseded: Vec<Option<&str>> = links.iter().map(|l| l.superseded_by.as_deref()).collect();
            diesel::sql_query(
                "UPDATE filings SET amends_accession_number = links.amends, \
                 superseded_by_accession_number = links.superseded_by \
                 FROM unnest($1::text[], $2::text[], $3::text[]) AS links (accession, amends, superseded_by) \
                 WHERE filings.accession_number = links.accession",
            )
            .bind::<Array<Text>, _>(accessions)
            .bind::<Array<Nullable<Text>>, _>(amends)
            .bind::<Array<Nullable<Text>>, _>(superseded)
            .execute(pg)?;
        }
        // In-process statements cost no round trip.
        DbConnection::Sqlite(lite) => {
            for l in links {
                diesel::update(filings::table.find(&l.accession))
                    .set((
                        filings::amends_accession_number.eq(&l.amends),
                        filings::superseded_by_accession_number.eq(&l.superseded_by),
                    ))
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// Every issuer with an amendment: what a full relink walks.
pub(super) fn issuers_with_amendments(conn: &mut DbConnection) -> Result<BTreeSet<String>, DbError> {
    Ok(filings::table
        .filter(sql::<Bool>(r#""filings"."document_type" LIKE '%/A'"#))
        .select(filings::issuer_cik)
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect())
}
