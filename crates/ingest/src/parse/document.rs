//! The `<ownershipDocument>` itself, every schema version from X0203 to
//! X0508: one generic walk, since the versions differ in which elements
//! appear, not in how they nest.

use insider_bulk_core::domain::{Cik, DocumentType};
use insider_bulk_core::filing::*;
use roxmltree::Node;
use time::Date;

use super::values;
use super::ParseError;

type Result<T> = std::result::Result<T, ParseError>;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ParseError {
    ParseError::Invalid { field: field.into(), reason: reason.into() }
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn descendant<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.descendants().find(|c| c.has_tag_name(name))
}

/// All text below a node, whitespace collapsed.
fn text_of(node: Node) -> Option<String> {
    let raw: String = node.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect();
    values::clean_text(&raw)
}

/// A field's value: its `<value>` child when it has one (value-based
/// amounts), else its own text; never the text of footnote references.
fn value_text(node: Node) -> Option<String> {
    match child(node, "value") {
        Some(value) => text_of(value),
        None if node.children().any(|c| c.is_element()) => None,
        None => text_of(node),
    }
}

/// Field readers over one element (the document, an owner, a row); each
/// error names the field and, for rows, the table and row number.
struct Fields<'a, 'i> {
    node: Node<'a, 'i>,
    context: String,
}

impl<'a, 'i> Fields<'a, 'i> {
    fn new(node: Node<'a, 'i>, context: impl Into<String>) -> Self {
        Fields { node, context: context.into() }
    }

    fn name(&self, field: &str) -> String {
        if self.context.is_empty() {
            field.to_owned()
        } else {
            format!("{} {field}", self.context)
        }
    }

    fn text(&self, name: &str) -> Option<String> {
        descendant(self.node, name).and_then(value_text)
    }

    fn boolean(&self, name: &str) -> Result<Option<bool>> {
        self.text(name).map(|t| values::boolean(&t).map_err(|e| invalid(self.name(name), e))).transpose()
    }

    fn number(&self, name: &str) -> Result<Option<f64>> {
        self.text(name).map(|t| values::number(&t).map_err(|e| invalid(self.name(name), e))).transpose()
    }

    fn date(&self, name: &str) -> Result<Option<Date>> {
        self.text(name).map(|t| values::date(&t).map_err(|e| invalid(self.name(name), e))).transpose()
    }
}

/// The JSON field a `<footnoteId>` belongs to, from the element it sits in.
fn footnote_field(element: &str) -> Option<&'static str> {
    Some(match element {
        "securityTitle" => "security_title",
        "conversionOrExercisePrice" => "conversion_or_exercise_price",
        "transactionDate" => "transaction_date",
        "deemedExecutionDate" => "deemed_execution_date",
        "transactionFormType" => "transaction_form_type",
        "transactionCode" | "transactionCoding" => "transaction_code",
        "equitySwapInvolved" => "equity_swap_involved",
        "transactionTimeliness" => "transaction_timeliness",
        "transactionShares" | "transactionAmounts" => "shares",
        "transactionTotalValue" => "total_value",
        "transactionPricePerShare" => "price_per_share",
        "transactionAcquiredDisposedCode" => "acquired_disposed_code",
        "exerciseDate" => "exercise_date",
        "expirationDate" => "expiration_date",
        "underlyingSecurityTitle" | "underlyingSecurity" => "underlying_security_title",
        "underlyingSecurityShares" => "underlying_security_shares",
        "underlyingSecurityValue" => "underlying_security_value",
        "sharesOwnedFollowingTransaction" | "postTransactionAmounts" => "shares_owned_following_transaction",
        "valueOwnedFollowingTransaction" => "value_owned_following_transaction",
        "directOrIndirectOwnership" | "ownershipNature" => "direct_or_indirect_ownership",
        "natureOfOwnership" => "nature_of_ownership",
        _ => return None,
    })
}

/// Every `<footnoteId>` in a row, keyed by the field it annotates, ids in
/// document order without repeats. One on the row itself is keyed `row`.
fn footnote_ids(row: Node) -> FootnoteIds {
    let mut ids = FootnoteIds::new();
    for note in row.descendants().filter(|n| n.has_tag_name("footnoteId")) {
        let Some(id) = note.attribute("id").map(str::trim).filter(|id| !id.is_empty()) else { continue };
        let field = note
            .ancestors()
            .skip(1)
            .take_while(|a| *a != row)
            .find_map(|a| footnote_field(a.tag_name().name()))
            .unwrap_or("row");
        let list = ids.entry(field.to_owned()).or_default();
        if !list.iter().any(|existing| existing == id) {
            list.push(id.to_owned());
        }
    }
    ids
}

pub fn filing_fields(root: Node) -> Result<PartialFiling> {
    let doc = Fields::new(root, "");
    let document_type = doc.text("documentType").ok_or(ParseError::Missing("documentType"))?;
    let document_type: DocumentType = document_type.parse().map_err(|e| invalid("documentType", format!("{e}")))?;
    let period_of_report = doc.date("periodOfReport")?.ok_or(ParseError::Missing("periodOfReport"))?;
    let issuer = child(root, "issuer").ok_or(ParseError::Missing("issuer"))?;
    let issuer_fields = Fields::new(issuer, "issuer");
    let cik = issuer_fields.text("issuerCik").ok_or(ParseError::Missing("issuer issuerCik"))?;
    let issuer = Issuer {
        cik: cik.parse::<Cik>().map_err(|e| invalid("issuerCik", e.to_string()))?,
        name: issuer_fields.text("issuerName"),
        trading_symbol: issuer_fields.text("issuerTradingSymbol"),
    };
    let owners = root.children().filter(|c| c.has_tag_name("reportingOwner"));
    let reporting_owners = owners.enumerate().map(|(i, o)| owner(o, i + 1)).collect::<Result<Vec<_>>>()?;
    if reporting_owners.is_empty() {
        return Err(ParseError::Missing("reportingOwner"));
    }
    let rows = |table: &str, row: &str| -> Vec<Node> {
        child(root, table).map(|t| t.children().filter(|c| c.has_tag_name(row)).collect()).unwrap_or_default()
    };
    Ok(PartialFiling {
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
        non_derivative_transactions: numbered(rows("nonDerivativeTable", "nonDerivativeTransaction"))
            .into_iter()
            .map(|(i, n)| non_derivative_transaction(&Fields::new(n, format!("nonDerivativeTransaction {i}"))))
            .collect::<Result<_>>()?,
        non_derivative_holdings: numbered(rows("nonDerivativeTable", "nonDerivativeHolding"))
            .into_iter()
            .map(|(i, n)| non_derivative_holding(&Fields::new(n, format!("nonDerivativeHolding {i}"))))
            .collect::<Result<_>>()?,
        derivative_transactions: numbered(rows("derivativeTable", "derivativeTransaction"))
            .into_iter()
            .map(|(i, n)| derivative_transaction(&Fields::new(n, format!("derivativeTransaction {i}"))))
            .collect::<Result<_>>()?,
        derivative_holdings: numbered(rows("derivativeTable", "derivativeHolding"))
            .into_iter()
            .map(|(i, n)| derivative_holding(&Fields::new(n, format!("derivativeHolding {i}"))))
            .collect::<Result<_>>()?,
        footnotes: rows("footnotes", "footnote")
            .into_iter()
            .map(|n| Footnote {
                id: n.attribute("id").unwrap_or("").trim().to_owned(),
                text: text_of(n).unwrap_or_default(),
            })
            .collect(),
        remarks: child(root, "remarks").and_then(text_of),
        owner_signatures: root
            .children()
            .filter(|c| c.has_tag_name("ownerSignature"))
            .enumerate()
            .map(|(i, s)| {
                let f = Fields::new(s, format!("ownerSignature {}", i + 1));
                Ok(OwnerSignature {
                    signature_name: f.text("signatureName").unwrap_or_default(),
                    signature_date: f.date("signatureDate")?,
                })
            })
            .collect::<Result<_>>()?,
    })
}

/// A filing without what only the envelope or file name can tell.
pub struct PartialFiling {
    pub document_type: DocumentType,
    pub schema_version: Option<String>,
    pub period_of_report: Date,
    pub date_of_original_submission: Option<Date>,
    pub no_securities_owned: Option<bool>,
    pub not_subject_to_section16: Option<bool>,
    pub form3_holdings_reported: Option<bool>,
    pub form4_transactions_reported: Option<bool>,
    pub aff10b5_one: Option<bool>,
    pub issuer: Issuer,
    pub reporting_owners: Vec<ReportingOwner>,
    pub non_derivative_transactions: Vec<NonDerivativeTransaction>,
    pub non_derivative_holdings: Vec<NonDerivativeHolding>,
    pub derivative_transactions: Vec<DerivativeTransaction>,
    pub derivative_holdings: Vec<DerivativeHolding>,
    pub footnotes: Vec<Footnote>,
    pub remarks: Option<String>,
    pub owner_signatures: Vec<OwnerSignature>,
}

fn numbered<'a, 'i>(nodes: Vec<Node<'a, 'i>>) -> Vec<(usize, Node<'a, 'i>)> {
    nodes.into_iter().enumerate().map(|(i, n)| (i + 1, n)).collect()
}

fn owner(node: Node, number: usize) -> Result<ReportingOwner> {
    let f = Fields::new(node, format!("reportingOwner {number}"));
    let cik = f.text("rptOwnerCik").ok_or_else(|| invalid(f.name("rptOwnerCik"), "missing"))?;
    Ok(ReportingOwner {
        cik: cik.parse::<Cik>().map_err(|e| invalid(f.name("rptOwnerCik"), e.to_string()))?,
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
    })
}

fn non_derivative_transaction(f: &Fields) -> Result<NonDerivativeTransaction> {
    Ok(NonDerivativeTransaction {
        security_title: f.text("securityTitle"),
        transaction_date: f.date("transactionDate")?,
        deemed_execution_date: f.date("deemedExecutionDate")?,
        transaction_form_type: f.text("transactionFormType"),
        transaction_code: f.text("transactionCode"),
        equity_swap_involved: f.boolean("equitySwapInvolved")?,
        transaction_timeliness: f.text("transactionTimeliness"),
        shares: f.number("transactionShares")?,
        price_per_share: f.number("transactionPricePerShare")?,
        acquired_disposed_code: f.text("transactionAcquiredDisposedCode"),
        shares_owned_following_transaction: f.number("sharesOwnedFollowingTransaction")?,
        value_owned_following_transaction: f.number("valueOwnedFollowingTransaction")?,
        direct_or_indirect_ownership: f.text("directOrIndirectOwnership"),
        nature_of_ownership: f.text("natureOfOwnership"),
        footnote_ids: footnote_ids(f.node),
    })
}

fn non_derivative_holding(f: &Fields) -> Result<NonDerivativeHolding> {
    Ok(NonDerivativeHolding {
        security_title: f.text("securityTitle"),
        transaction_form_type: f.text("transactionFormType"),
        shares_owned_following_transaction: f.number("sharesOwnedFollowingTransaction")?,
        value_owned_following_transaction: f.number("valueOwnedFollowingTransaction")?,
        direct_or_indirect_ownership: f.text("directOrIndirectOwnership"),
        nature_of_ownership: f.text("natureOfOwnership"),
        footnote_ids: footnote_ids(f.node),
    })
}

fn derivative_transaction(f: &Fields) -> Result<DerivativeTransaction> {
    Ok(DerivativeTransaction {
        security_title: f.text("securityTitle"),
        conversion_or_exercise_price: f.number("conversionOrExercisePrice")?,
        transaction_date: f.date("transactionDate")?,
        deemed_execution_date: f.date("deemedExecutionDate")?,
        transaction_form_type: f.text("transactionFormType"),
        transaction_code: f.text("transactionCode"),
        equity_swap_involved: f.boolean("equitySwapInvolved")?,
        transaction_timeliness: f.text("transactionTimeliness"),
        shares: f.number("transactionShares")?,
        total_value: f.number("transactionTotalValue")?,
        price_per_share: f.number("transactionPricePerShare")?,
        acquired_disposed_code: f.text("transactionAcquiredDisposedCode"),
        exercise_date: f.date("exerciseDate")?,
        expiration_date: f.date("expirationDate")?,
        underlying_security_title: f.text("underlyingSecurityTitle"),
        underlying_security_shares: f.number("underlyingSecurityShares")?,
        underlying_security_value: f.number("underlyingSecurityValue")?,
        shares_owned_following_transaction: f.number("sharesOwnedFollowingTransaction")?,
        value_owned_following_transaction: f.number("valueOwnedFollowingTransaction")?,
        direct_or_indirect_ownership: f.text("directOrIndirectOwnership"),
        nature_of_ownership: f.text("natureOfOwnership"),
        footnote_ids: footnote_ids(f.node),
    })
}

fn derivative_holding(f: &Fields) -> Result<DerivativeHolding> {
    Ok(DerivativeHolding {
        security_title: f.text("securityTitle"),
        conversion_or_exercise_price: f.number("conversionOrExercisePrice")?,
        transaction_form_type: f.text("transactionFormType"),
        exercise_date: f.date("exerciseDate")?,
        expiration_date: f.date("expirationDate")?,
        underlying_security_title: f.text("underlyingSecurityTitle"),
        underlying_security_shares: f.number("underlyingSecurityShares")?,
        underlying_security_value: f.number("underlyingSecurityValue")?,
        shares_owned_following_transaction: f.number("sharesOwnedFollowingTransaction")?,
        value_owned_following_transaction: f.number("valueOwnedFollowingTransaction")?,
        direct_or_indirect_ownership: f.text("directOrIndirectOwnership"),
        nature_of_ownership: f.text("natureOfOwnership"),
        footnote_ids: footnote_ids(f.node),
    })
}
