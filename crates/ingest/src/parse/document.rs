//! The `<ownershipDocument>` element, every schema version from X0203 to
//! X0508 and the schema-less specimens: one walk over the root's children,
//! since versions differ in which elements appear, not in how they nest.

use insider_bulk_core::domain::{AccessionNumber, Cik, DocumentType, FilingSource, Flag};
use insider_bulk_core::filing::{Filing, Footnote, Issuer, OwnerSignature, ReportingOwner, Submission};
use roxmltree::Node;
use time::Date;

use super::envelope::Header;
use super::tables::Tables;
use super::values;
use super::xml::{all_text, Fields, Place};
use super::ParseError;

const DOCUMENT_FIELDS: &[&str] = &[
    "schemaVersion",
    "documentType",
    "periodOfReport",
    "dateOfOriginalSubmission",
    "noSecuritiesOwned",
    "notSubjectToSection16",
    "form3HoldingsReported",
    "form4TransactionsReported",
    "aff10b5One",
    "remarks",
];

const ISSUER_FIELDS: &[&str] = &["issuerCik", "issuerName", "issuerTradingSymbol"];

const OWNER_FIELDS: &[&str] = &[
    "rptOwnerCik",
    "rptOwnerName",
    "rptOwnerStreet1",
    "rptOwnerStreet2",
    "rptOwnerCity",
    "rptOwnerState",
    "rptOwnerZipCode",
    "rptOwnerStateDescription",
    "isDirector",
    "isOfficer",
    "isTenPercentOwner",
    "isOther",
    "officerTitle",
    "otherText",
];

const SIGNATURE_FIELDS: &[&str] = &["signatureName", "signatureDate"];

/// Everything a filing holds except what only the envelope or the file
/// name can tell (accession number, filing date, acceptance time, the
/// owners' file numbers).
pub struct Body {
    document_type: DocumentType,
    schema_version: Option<String>,
    period_of_report: Date,
    date_of_original_submission: Option<Date>,
    no_securities_owned: Option<Flag>,
    not_subject_to_section16: Option<Flag>,
    form3_holdings_reported: Option<Flag>,
    form4_transactions_reported: Option<Flag>,
    aff10b5_one: Option<Flag>,
    issuer: Issuer,
    reporting_owners: Vec<ReportingOwner>,
    tables: Tables,
    footnotes: Vec<Footnote>,
    remarks: Option<String>,
    owner_signatures: Vec<OwnerSignature>,
}

impl Body {
    /// The filing, with what its SEC header says when it came in a full
    /// submission (`header`), else as a bare document.
    pub fn into_filing(self, accession_number: AccessionNumber, header: Option<&Header>) -> Filing {
        let mut reporting_owners = self.reporting_owners;
        if let Some(header) = header {
            for owner in &mut reporting_owners {
                owner.file_number = header.file_number_of(&owner.cik).map(str::to_owned);
            }
        }
        Filing {
            submission: Submission {
                accession_number,
                document_type: self.document_type,
                schema_version: self.schema_version,
                period_of_report: self.period_of_report,
                filing_date: header.and_then(|h| h.filing_date),
                accepted_at: header.and_then(|h| h.accepted_at),
                date_of_original_submission: self.date_of_original_submission,
                no_securities_owned: self.no_securities_owned,
                not_subject_to_section16: self.not_subject_to_section16,
                form3_holdings_reported: self.form3_holdings_reported,
                form4_transactions_reported: self.form4_transactions_reported,
                aff10b5_one: self.aff10b5_one,
                issuer: self.issuer,
                remarks: self.remarks,
                source: if header.is_some() { FilingSource::EdgarSubmission } else { FilingSource::EdgarDocument },
            },
            reporting_owners,
            non_derivative_transactions: self.tables.non_derivative_transactions,
            non_derivative_holdings: self.tables.non_derivative_holdings,
            derivative_transactions: self.tables.derivative_transactions,
            derivative_holdings: self.tables.derivative_holdings,
            footnotes: self.footnotes,
            owner_signatures: self.owner_signatures,
        }
    }
}

pub fn read(root: Node) -> Result<Body, ParseError> {
    // The form type and period come first: a document of another form fails
    // on that, not on some row it was never meant to have.
    let doc = Fields::gather(Place::Document, root.children(), DOCUMENT_FIELDS)?;
    let document_type = doc.text("documentType").ok_or(ParseError::Missing("documentType"))?;
    let document_type =
        document_type.parse::<DocumentType>().map_err(|e| Place::Document.invalid("documentType", e.to_string()))?;
    let period_of_report = doc.date("periodOfReport")?.ok_or(ParseError::Missing("periodOfReport"))?;
    let mut issuer = None;
    let mut reporting_owners = Vec::new();
    let mut tables = Tables::default();
    let mut footnotes = Vec::new();
    let mut owner_signatures = Vec::new();
    for node in root.children().filter(Node::is_element) {
        match node.tag_name().name() {
            "issuer" if issuer.is_some() => return Err(Place::Document.invalid("issuer", "appears more than once")),
            "issuer" => issuer = Some(read_issuer(node)?),
            "reportingOwner" => reporting_owners.push(read_owner(node, reporting_owners.len() + 1)?),
            "nonDerivativeTable" | "derivativeTable" => tables.read(node)?,
            "footnotes" => read_footnotes(node, &mut footnotes)?,
            "ownerSignature" => owner_signatures.push(read_signature(node, owner_signatures.len() + 1)?),
            // The scalar fields, read above, and elements of newer schemas,
            // which are not rows and carry nothing the model can hold.
            _ => {}
        }
    }
    let issuer = issuer.ok_or(ParseError::Missing("issuer"))?;
    if reporting_owners.is_empty() {
        return Err(ParseError::Missing("reportingOwner"));
    }
    Ok(Body {
        document_type,
        schema_version: doc.text("schemaVersion"),
        period_of_report,
        date_of_original_submission: doc.date("dateOfOriginalSubmission")?,
        no_securities_owned: doc.boolean("noSecuritiesOwned")?,
        not_subject_to_section16: doc.boolean("notSubjectToSection16")?,
        form3_holdings_reported: doc.boolean("form3HoldingsReported")?,
        form4_transactions_reported: doc.boolean("form4TransactionsReported")?,
        aff10b5_one: doc.boolean("aff10b5One")?,
        issuer,
        reporting_owners,
        tables,
        footnotes,
        remarks: doc.node("remarks").and_then(|n| values::clean_text(&all_text(n))),
        owner_signatures,
    })
}

fn cik(fields: &Fields, element: &'static str) -> Result<Cik, ParseError> {
    let raw = fields.text(element).ok_or_else(|| fields.place.invalid(element, "missing"))?;
    raw.parse().map_err(|e| fields.place.invalid(element, format!("{e}")))
}

fn read_issuer(node: Node) -> Result<Issuer, ParseError> {
    let f = Fields::gather(Place::Issuer, node.children(), ISSUER_FIELDS)?;
    Ok(Issuer { cik: cik(&f, "issuerCik")?, name: f.text("issuerName"), trading_symbol: f.text("issuerTradingSymbol") })
}

/// Owner fields sit one level down, in `reportingOwnerId`,
/// `reportingOwnerAddress` and `reportingOwnerRelationship`.
fn read_owner(node: Node, number: usize) -> Result<ReportingOwner, ParseError> {
    let f = Fields::gather(Place::Owner(number), node.descendants().skip(1), OWNER_FIELDS)?;
    Ok(ReportingOwner {
        cik: cik(&f, "rptOwnerCik")?,
        name: f.text("rptOwnerName"),
        street1: f.text("rptOwnerStreet1"),
        street2: f.text("rptOwnerStreet2"),
        city: f.text("rptOwnerCity"),
        state: f.text("rptOwnerState"),
        zip_code: f.text("rptOwnerZipCode"),
        state_description: f.text("rptOwnerStateDescription"),
        is_director: f.boolean("isDirector")?,
        is_officer: f.boolean("isOfficer")?,
        is_ten_percent_owner: f.boolean("isTenPercentOwner")?,
        is_other: f.boolean("isOther")?,
        officer_title: f.text("officerTitle"),
        other_text: f.text("otherText"),
        file_number: None,
    })
}

/// Footnote text loses its line breaks and indentation; an id is required,
/// since rows refer to footnotes by it.
fn read_footnotes(node: Node, footnotes: &mut Vec<Footnote>) -> Result<(), ParseError> {
    for note in node.children().filter(|c| c.has_tag_name("footnote")) {
        let number = footnotes.len() + 1;
        let id = note.attribute("id").map(str::trim).filter(|id| !id.is_empty());
        let id = id.ok_or_else(|| Place::Document.invalid(&format!("footnote {number}"), "has no id attribute"))?;
        let text = values::clean_text(&all_text(note)).unwrap_or_default();
        footnotes.push(Footnote { id: id.to_owned(), text });
    }
    Ok(())
}

fn read_signature(node: Node, number: usize) -> Result<OwnerSignature, ParseError> {
    let f = Fields::gather(Place::Signature(number), node.children(), SIGNATURE_FIELDS)?;
    Ok(OwnerSignature {
        signature_name: f.text("signatureName").unwrap_or_default(),
        signature_date: f.date("signatureDate")?,
    })
}
