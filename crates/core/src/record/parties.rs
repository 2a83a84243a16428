//! Who the filing is about and who filed it: the issuer, the reporting
//! owners with their address and relationship, and the signatures.

use serde::Serialize;

use super::element::Day;
use crate::domain::{Cik, Flag};
use crate::filing::{Issuer, OwnerSignature, ReportingOwner};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerRecord<'a> {
    pub cik: &'a Cik,
    pub name: Option<&'a str>,
    pub trading_symbol: Option<&'a str>,
}

impl<'a> From<&'a Issuer> for IssuerRecord<'a> {
    fn from(i: &'a Issuer) -> Self {
        IssuerRecord { cik: &i.cik, name: i.name.as_deref(), trading_symbol: i.trading_symbol.as_deref() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingOwnerRecord<'a> {
    pub cik: &'a Cik,
    pub name: Option<&'a str>,
    pub address: Address<'a>,
    pub relationship: Relationship<'a>,
    /// The owner's SEC file number, from the SEC header (not in the XML).
    pub file_number: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Address<'a> {
    pub street1: Option<&'a str>,
    pub street2: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: Option<&'a str>,
    pub zip_code: Option<&'a str>,
    pub state_description: Option<&'a str>,
}

/// The relationship boxes as booleans: a box the filer left out is
/// unticked, `false`, as on the paper form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Relationship<'a> {
    pub is_director: bool,
    pub is_officer: bool,
    pub officer_title: Option<&'a str>,
    pub is_ten_percent_owner: bool,
    pub is_other: bool,
    pub other_text: Option<&'a str>,
}

/// A yes/no box as a JSON boolean, unticked when not given.
pub fn ticked(flag: Option<Flag>) -> bool {
    flag.is_some_and(Flag::value)
}

impl<'a> From<&'a ReportingOwner> for ReportingOwnerRecord<'a> {
    fn from(o: &'a ReportingOwner) -> Self {
        ReportingOwnerRecord {
            cik: &o.cik,
            name: o.name.as_deref(),
            address: Address {
                street1: o.street1.as_deref(),
                street2: o.street2.as_deref(),
                city: o.city.as_deref(),
                state: o.state.as_deref(),
                zip_code: o.zip_code.as_deref(),
                state_description: o.state_description.as_deref(),
            },
            relationship: Relationship {
                is_director: ticked(o.is_director),
                is_officer: ticked(o.is_officer),
                officer_title: o.officer_title.as_deref(),
                is_ten_percent_owner: ticked(o.is_ten_percent_owner),
                is_other: ticked(o.is_other),
                other_text: o.other_text.as_deref(),
            },
            file_number: o.file_number.as_deref(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureRecord<'a> {
    pub signature_name: &'a str,
    pub signature_date: Option<Day>,
}

impl<'a> From<&'a OwnerSignature> for SignatureRecord<'a> {
    fn from(s: &'a OwnerSignature) -> Self {
        SignatureRecord { signature_name: &s.signature_name, signature_date: s.signature_date.map(Day) }
    }
}
