//! The one definition of SEC's eight tables as a bundle writes them: per
//! column its name, its kind (which fixes both the TSV text and the CSVW
//! datatype), where its value is in the month's `.jsonl.gz` record
//! (`core::record`) and its meaning. The
//! TSV header rows and `metadata.json` are both made from this, so they
//! cannot disagree; `SecTables` checks each row has one cell per column.

/// What a cell holds, and so how it is written and typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `##########-##-######`.
    Accession,
    /// Ten digits, zero-padded.
    Cik,
    /// `DD-MON-YYYY` (`27-SEP-2024`).
    Date,
    /// A decimal number (`250000.0`, `8.84`).
    Number,
    /// A yes/no box as the filer spelled it: `0`, `1`, `false`, `true`.
    Flag,
    /// Footnote ids, `F1, F2`.
    Footnotes,
    /// A surrogate key: 1, 2, 3… within the bundle, in accession order.
    Key,
    Text,
    /// `3`, `4`, `5`, `3/A`, `4/A`, `5/A`.
    DocumentType,
    /// The owner's roles, comma-separated (`Director,Officer`).
    Roles,
}

/// Where a column's value is in a `.jsonl.gz` line, relative to the
/// table's row (see [`Table::rows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Field(&'static str),
    /// Made from several fields.
    Fields(&'static [&'static str]),
    /// The `footnoteIds` of these elements of the row.
    Footnotes(&'static [&'static str]),
    /// The row's position, not a field.
    Row,
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub source: Source,
    pub required: bool,
    pub description: &'static str,
}

#[derive(Debug)]
pub struct Table {
    pub file: &'static str,
    /// The JSON array a row comes from (`derivativeTable.holdings[]`);
    /// empty for SUBMISSION, whose row is the filing itself.
    pub rows: &'static str,
    /// Empty for the tables keyed by accession and their `*_SK` column.
    pub primary_key: &'static [&'static str],
    pub description: &'static str,
    pub columns: &'static [Column],
}

impl Table {
    pub fn key_columns(&self) -> Vec<&'static str> {
        match self.primary_key {
            [] => vec![self.columns[0].name, self.columns[1].name],
            key => key.to_vec(),
        }
    }

    pub fn header(&self) -> String {
        self.columns.iter().map(|c| c.name).collect::<Vec<_>>().join("\t")
    }
}

const fn col(name: &'static str, kind: Kind, field: &'static str, description: &'static str) -> Column {
    Column { name, kind, source: Source::Field(field), required: false, description }
}

const fn req(name: &'static str, kind: Kind, field: &'static str, description: &'static str) -> Column {
    Column { name, kind, source: Source::Field(field), required: true, description }
}

const fn fns(name: &'static str, keys: &'static [&'static str], description: &'static str) -> Column {
    Column { name, kind: Kind::Footnotes, source: Source::Footnotes(keys), required: false, description }
}

const fn key(name: &'static str, description: &'static str) -> Column {
    Column { name, kind: Kind::Key, source: Source::Row, required: true, description }
}

const ACCESSION: Column = req(
    "ACCESSION_NUMBER",
    Kind::Accession,
    "accessionNo",
    "EDGAR accession number of the filing (always the filing's top-level accessionNo).",
);
const CODING_FNS: &[&str] = &["transactionCoding"];
const SWAP_FN: &str = "Footnote ids on the transaction coding (form type, code, equity swap).";

use Kind::{Date, Flag, Number, Text};

pub const SUBMISSION: &[Column] = &[
    ACCESSION,
    col(
        "FILING_DATE",
        Date,
        "filedAt",
        "Date EDGAR filed it (its business day, US Eastern): the bundle's month is this date's.",
    ),
    req(
        "PERIOD_OF_REPORT",
        Date,
        "periodOfReport",
        "Date of the event requiring the statement; fixes the bundle's month.",
    ),
    col("DATE_OF_ORIG_SUB", Date, "dateOfOriginalSubmission", "For an amendment, the date the original was filed."),
    col("NO_SECURITIES_OWNED", Flag, "noSecuritiesOwned", "Form 3: the filer owns no securities of the issuer."),
    col("NOT_SUBJECT_SEC16", Flag, "notSubjectToSection16", "Form 4/5: the box 'no longer subject to Section 16'."),
    col("FORM3_HOLDINGS_REPORTED", Flag, "form3HoldingsReported", "Form 5: Form 3 holdings reported."),
    col("FORM4_TRANS_REPORTED", Flag, "form4TransactionsReported", "Form 5: Form 4 transactions reported."),
    req("DOCUMENT_TYPE", Kind::DocumentType, "documentType", "Form type: 3, 4, 5, or an amendment 3/A, 4/A, 5/A."),
    req("ISSUERCIK", Kind::Cik, "issuer.cik", "Central Index Key of the issuer, ten digits zero-padded."),
    col("ISSUERNAME", Text, "issuer.name", "Name of the issuer."),
    col("ISSUERTRADINGSYMBOL", Text, "issuer.tradingSymbol", "Issuer's trading symbol."),
    col("REMARKS", Text, "remarks", "Remarks of the reporting owner."),
];

pub const REPORTINGOWNER: &[Column] = &[
    ACCESSION,
    req("RPTOWNERCIK", Kind::Cik, "cik", "Central Index Key of the reporting owner, ten digits zero-padded."),
    col("RPTOWNERNAME", Text, "name", "Name of the reporting owner."),
    Column {
        name: "RPTOWNER_RELATIONSHIP",
        kind: Kind::Roles,
        source: Source::Fields(&[
            "relationship.isDirector",
            "relationship.isOfficer",
            "relationship.isTenPercentOwner",
            "relationship.isOther",
        ]),
        required: false,
        description: "Roles whose box is ticked, comma-separated: Director, Officer, TenPercentOwner, Other.",
    },
    col("RPTOWNER_TITLE", Text, "relationship.officerTitle", "Officer title, when the owner is an officer."),
    col("RPTOWNER_TXT", Text, "relationship.otherText", "Description of the relationship, when it is Other."),
    col("RPTOWNER_STREET1", Text, "address.street1", "Street address, first line."),
    col("RPTOWNER_STREET2", Text, "address.street2", "Street address, second line."),
    col("RPTOWNER_CITY", Text, "address.city", "City."),
    col("RPTOWNER_STATE", Text, "address.state", "State code."),
    col("RPTOWNER_ZIPCODE", Text, "address.zipCode", "ZIP code."),
    col("RPTOWNER_STATE_DESC", Text, "address.stateDescription", "State description (for addresses outside the US)."),
    col("FILE_NUMBER", Text, "fileNumber", "Owner's SEC file number from the SEC header; empty for a bare XML."),
];

pub const NONDERIV_TRANS: &[Column] = &[
    ACCESSION,
    key("NONDERIV_TRANS_SK", "Row key: 1, 2, 3… within the bundle, in accession then document order."),
    col("SECURITY_TITLE", Text, "securityTitle.value", "Title of the security."),
    fns("SECURITY_TITLE_FN", &["securityTitle"], "Footnote ids on the security title."),
    col("TRANS_DATE", Date, "transactionDate.value", "Transaction date."),
    fns("TRANS_DATE_FN", &["transactionDate"], "Footnote ids on the transaction date."),
    col("DEEMED_EXECUTION_DATE", Date, "deemedExecutionDate.value", "Deemed execution date."),
    fns("DEEMED_EXECUTION_DATE_FN", &["deemedExecutionDate"], "Footnote ids on the deemed execution date."),
    col("TRANS_FORM_TYPE", Text, "transactionCoding.transactionFormType", "Form type of the transaction coding."),
    col("TRANS_CODE", Text, "transactionCoding.transactionCode", "Transaction code (P, S, A, M, F, G…)."),
    col(
        "EQUITY_SWAP_INVOLVED",
        Flag,
        "transactionCoding.equitySwapInvolved",
        "The transaction involves an equity swap.",
    ),
    fns("EQUITY_SWAP_TRANS_CD_FN", CODING_FNS, SWAP_FN),
    col("TRANS_TIMELINESS", Text, "transactionTimeliness.value", "Timeliness: E early, L late, empty on time."),
    fns("TRANS_TIMELINESS_FN", &["transactionTimeliness"], "Footnote ids on the timeliness."),
    col("TRANS_SHARES", Number, "transactionAmounts.transactionShares.value", "Shares acquired or disposed of."),
    fns("TRANS_SHARES_FN", &["transactionAmounts.transactionShares"], "Footnote ids on the shares."),
    col("TRANS_PRICEPERSHARE", Number, "transactionAmounts.transactionPricePerShare.value", "Price per share."),
    fns("TRANS_PRICEPERSHARE_FN", &["transactionAmounts.transactionPricePerShare"], "Footnote ids on the price."),
    col(
        "TRANS_ACQUIRED_DISP_CD",
        Text,
        "transactionAmounts.transactionAcquiredDisposedCode.value",
        "A acquired, D disposed of.",
    ),
    fns(
        "TRANS_ACQUIRED_DISP_CD_FN",
        &["transactionAmounts.transactionAcquiredDisposedCode"],
        "Footnote ids on the A/D code.",
    ),
    col(
        "SHRS_OWND_FOLWNG_TRANS",
        Number,
        "postTransactionAmounts.sharesOwnedFollowingTransaction.value",
        "Shares owned after it.",
    ),
    fns(
        "SHRS_OWND_FOLWNG_TRANS_FN",
        &["postTransactionAmounts.sharesOwnedFollowingTransaction"],
        "Footnote ids on shares owned.",
    ),
    col(
        "VALU_OWND_FOLWNG_TRANS",
        Number,
        "postTransactionAmounts.valueOwnedFollowingTransaction.value",
        "Value owned after it.",
    ),
    fns(
        "VALU_OWND_FOLWNG_TRANS_FN",
        &["postTransactionAmounts.valueOwnedFollowingTransaction"],
        "Footnote ids on value owned.",
    ),
    col("DIRECT_INDIRECT_OWNERSHIP", Text, "ownershipNature.directOrIndirectOwnership.value", "D direct, I indirect."),
    fns("DIRECT_INDIRECT_OWNERSHIP_FN", &["ownershipNature.directOrIndirectOwnership"], "Footnote ids on D/I."),
    col(
        "NATURE_OF_OWNERSHIP",
        Text,
        "ownershipNature.natureOfOwnership.value",
        "Nature of indirect beneficial ownership.",
    ),
    fns("NATURE_OF_OWNERSHIP_FN", &["ownershipNature.natureOfOwnership"], "Footnote ids on the nature of ownership."),
];

pub const NONDERIV_HOLDING: &[Column] = &[
    ACCESSION,
    key("NONDERIV_HOLDING_SK", "Row key: 1, 2, 3… within the bundle, in accession then document order."),
    col("SECURITY_TITLE", Text, "securityTitle.value", "Title of the security."),
    fns("SECURITY_TITLE_FN", &["securityTitle"], "Footnote ids on the security title."),
    col("TRANS_FORM_TYPE", Text, "transactionCoding.transactionFormType", "Form type the holding was reported on."),
    fns("TRANS_FORM_TYPE_FN", &["transactionCoding"], "Footnote ids on the form type."),
    col(
        "SHRS_OWND_FOLWNG_TRANS",
        Number,
        "postTransactionAmounts.sharesOwnedFollowingTransaction.value",
        "Shares owned.",
    ),
    fns(
        "SHRS_OWND_FOLWNG_TRANS_FN",
        &["postTransactionAmounts.sharesOwnedFollowingTransaction"],
        "Footnote ids on shares owned.",
    ),
    col(
        "VALU_OWND_FOLWNG_TRANS",
        Number,
        "postTransactionAmounts.valueOwnedFollowingTransaction.value",
        "Value owned.",
    ),
    fns(
        "VALU_OWND_FOLWNG_TRANS_FN",
        &["postTransactionAmounts.valueOwnedFollowingTransaction"],
        "Footnote ids on value owned.",
    ),
    col("DIRECT_INDIRECT_OWNERSHIP", Text, "ownershipNature.directOrIndirectOwnership.value", "D direct, I indirect."),
    fns("DIRECT_INDIRECT_OWNERSHIP_FN", &["ownershipNature.directOrIndirectOwnership"], "Footnote ids on D/I."),
    col(
        "NATURE_OF_OWNERSHIP",
        Text,
        "ownershipNature.natureOfOwnership.value",
        "Nature of indirect beneficial ownership.",
    ),
    fns("NATURE_OF_OWNERSHIP_FN", &["ownershipNature.natureOfOwnership"], "Footnote ids on the nature of ownership."),
];

pub const DERIV_TRANS: &[Column] = &[
    ACCESSION,
    key("DERIV_TRANS_SK", "Row key: 1, 2, 3… within the bundle, in accession then document order."),
    col("SECURITY_TITLE", Text, "securityTitle.value", "Title of the derivative security."),
    fns("SECURITY_TITLE_FN", &["securityTitle"], "Footnote ids on the security title."),
    col("CONV_EXERCISE_PRICE", Number, "conversionOrExercisePrice.value", "Conversion or exercise price."),
    fns("CONV_EXERCISE_PRICE_FN", &["conversionOrExercisePrice"], "Footnote ids on the price."),
    col("TRANS_DATE", Date, "transactionDate.value", "Transaction date."),
    fns("TRANS_DATE_FN", &["transactionDate"], "Footnote ids on the transaction date."),
    col("DEEMED_EXECUTION_DATE", Date, "deemedExecutionDate.value", "Deemed execution date."),
    fns("DEEMED_EXECUTION_DATE_FN", &["deemedExecutionDate"], "Footnote ids on the deemed execution date."),
    col("TRANS_FORM_TYPE", Text, "transactionCoding.transactionFormType", "Form type of the transaction coding."),
    col("TRANS_CODE", Text, "transactionCoding.transactionCode", "Transaction code (M, A, C, X…)."),
    col(
        "EQUITY_SWAP_INVOLVED",
        Flag,
        "transactionCoding.equitySwapInvolved",
        "The transaction involves an equity swap.",
    ),
    fns("EQUITY_SWAP_TRANS_CD_FN", CODING_FNS, SWAP_FN),
    col("TRANS_TIMELINESS", Text, "transactionTimeliness.value", "Timeliness: E early, L late, empty on time."),
    fns("TRANS_TIMELINESS_FN", &["transactionTimeliness"], "Footnote ids on the timeliness."),
    col(
        "TRANS_SHARES",
        Number,
        "transactionAmounts.transactionShares.value",
        "Derivative securities acquired or disposed of.",
    ),
    fns("TRANS_SHARES_FN", &["transactionAmounts.transactionShares"], "Footnote ids on the shares."),
    col(
        "TRANS_TOTAL_VALUE",
        Number,
        "transactionAmounts.transactionTotalValue.value",
        "Total value, where reported instead of shares.",
    ),
    fns("TRANS_TOTAL_VALUE_FN", &["transactionAmounts.transactionTotalValue"], "Footnote ids on the total value."),
    col(
        "TRANS_PRICEPERSHARE",
        Number,
        "transactionAmounts.transactionPricePerShare.value",
        "Price of the derivative security.",
    ),
    fns("TRANS_PRICEPERSHARE_FN", &["transactionAmounts.transactionPricePerShare"], "Footnote ids on the price."),
    col(
        "TRANS_ACQUIRED_DISP_CD",
        Text,
        "transactionAmounts.transactionAcquiredDisposedCode.value",
        "A acquired, D disposed of.",
    ),
    fns(
        "TRANS_ACQUIRED_DISP_CD_FN",
        &["transactionAmounts.transactionAcquiredDisposedCode"],
        "Footnote ids on the A/D code.",
    ),
    col("EXCERCISE_DATE", Date, "exerciseDate.value", "Date exercisable (SEC's spelling of the column)."),
    fns("EXCERCISE_DATE_FN", &["exerciseDate"], "Footnote ids on the date exercisable."),
    col("EXPIRATION_DATE", Date, "expirationDate.value", "Expiration date."),
    fns("EXPIRATION_DATE_FN", &["expirationDate"], "Footnote ids on the expiration date."),
    col(
        "UNDLYNG_SEC_TITLE",
        Text,
        "underlyingSecurity.underlyingSecurityTitle.value",
        "Title of the underlying security.",
    ),
    fns(
        "UNDLYNG_SEC_TITLE_FN",
        &["underlyingSecurity.underlyingSecurityTitle"],
        "Footnote ids on the underlying title.",
    ),
    col(
        "UNDLYNG_SEC_SHARES",
        Number,
        "underlyingSecurity.underlyingSecurityShares.value",
        "Shares of the underlying security.",
    ),
    fns(
        "UNDLYNG_SEC_SHARES_FN",
        &["underlyingSecurity.underlyingSecurityShares"],
        "Footnote ids on the underlying shares.",
    ),
    col(
        "UNDLYNG_SEC_VALUE",
        Number,
        "underlyingSecurity.underlyingSecurityValue.value",
        "Value of the underlying security.",
    ),
    fns(
        "UNDLYNG_SEC_VALUE_FN",
        &["underlyingSecurity.underlyingSecurityValue"],
        "Footnote ids on the underlying value.",
    ),
    col(
        "SHRS_OWND_FOLWNG_TRANS",
        Number,
        "postTransactionAmounts.sharesOwnedFollowingTransaction.value",
        "Securities owned after it.",
    ),
    fns(
        "SHRS_OWND_FOLWNG_TRANS_FN",
        &["postTransactionAmounts.sharesOwnedFollowingTransaction"],
        "Footnote ids on shares owned.",
    ),
    col(
        "VALU_OWND_FOLWNG_TRANS",
        Number,
        "postTransactionAmounts.valueOwnedFollowingTransaction.value",
        "Value owned after it.",
    ),
    fns(
        "VALU_OWND_FOLWNG_TRANS_FN",
        &["postTransactionAmounts.valueOwnedFollowingTransaction"],
        "Footnote ids on value owned.",
    ),
    col("DIRECT_INDIRECT_OWNERSHIP", Text, "ownershipNature.directOrIndirectOwnership.value", "D direct, I indirect."),
    fns("DIRECT_INDIRECT_OWNERSHIP_FN", &["ownershipNature.directOrIndirectOwnership"], "Footnote ids on D/I."),
    col(
        "NATURE_OF_OWNERSHIP",
        Text,
        "ownershipNature.natureOfOwnership.value",
        "Nature of indirect beneficial ownership.",
    ),
    fns("NATURE_OF_OWNERSHIP_FN", &["ownershipNature.natureOfOwnership"], "Footnote ids on the nature of ownership."),
];

pub const DERIV_HOLDING: &[Column] = &[
    ACCESSION,
    key("DERIV_HOLDING_SK", "Row key: 1, 2, 3… within the bundle, in accession then document order."),
    col("SECURITY_TITLE", Text, "securityTitle.value", "Title of the derivative security."),
    fns("SECURITY_TITLE_FN", &["securityTitle"], "Footnote ids on the security title."),
    col("CONV_EXERCISE_PRICE", Number, "conversionOrExercisePrice.value", "Conversion or exercise price."),
    fns("CONV_EXERCISE_PRICE_FN", &["conversionOrExercisePrice"], "Footnote ids on the price."),
    col("TRANS_FORM_TYPE", Text, "transactionCoding.transactionFormType", "Form type the holding was reported on."),
    fns("TRANS_FORM_TYPE_FN", &["transactionCoding"], "Footnote ids on the form type."),
    col("EXERCISE_DATE", Date, "exerciseDate.value", "Date exercisable."),
    fns("EXERCISE_DATE_FN", &["exerciseDate"], "Footnote ids on the date exercisable."),
    col("EXPIRATION_DATE", Date, "expirationDate.value", "Expiration date."),
    fns("EXPIRATION_DATE_FN", &["expirationDate"], "Footnote ids on the expiration date."),
    col(
        "UNDLYNG_SEC_TITLE",
        Text,
        "underlyingSecurity.underlyingSecurityTitle.value",
        "Title of the underlying security.",
    ),
    fns(
        "UNDLYNG_SEC_TITLE_FN",
        &["underlyingSecurity.underlyingSecurityTitle"],
        "Footnote ids on the underlying title.",
    ),
    col(
        "UNDLYNG_SEC_SHARES",
        Number,
        "underlyingSecurity.underlyingSecurityShares.value",
        "Shares of the underlying security.",
    ),
    fns(
        "UNDLYNG_SEC_SHARES_FN",
        &["underlyingSecurity.underlyingSecurityShares"],
        "Footnote ids on the underlying shares.",
    ),
    col(
        "UNDLYNG_SEC_VALUE",
        Number,
        "underlyingSecurity.underlyingSecurityValue.value",
        "Value of the underlying security.",
    ),
    fns(
        "UNDLYNG_SEC_VALUE_FN",
        &["underlyingSecurity.underlyingSecurityValue"],
        "Footnote ids on the underlying value.",
    ),
    col(
        "SHRS_OWND_FOLWNG_TRANS",
        Number,
        "postTransactionAmounts.sharesOwnedFollowingTransaction.value",
        "Securities owned.",
    ),
    fns(
        "SHRS_OWND_FOLWNG_TRANS_FN",
        &["postTransactionAmounts.sharesOwnedFollowingTransaction"],
        "Footnote ids on shares owned.",
    ),
    col(
        "VALU_OWND_FOLWNG_TRANS",
        Number,
        "postTransactionAmounts.valueOwnedFollowingTransaction.value",
        "Value owned.",
    ),
    fns(
        "VALU_OWND_FOLWNG_TRANS_FN",
        &["postTransactionAmounts.valueOwnedFollowingTransaction"],
        "Footnote ids on value owned.",
    ),
    col("DIRECT_INDIRECT_OWNERSHIP", Text, "ownershipNature.directOrIndirectOwnership.value", "D direct, I indirect."),
    fns("DIRECT_INDIRECT_OWNERSHIP_FN", &["ownershipNature.directOrIndirectOwnership"], "Footnote ids on D/I."),
    col(
        "NATURE_OF_OWNERSHIP",
        Text,
        "ownershipNature.natureOfOwnership.value",
        "Nature of indirect beneficial ownership.",
    ),
    fns("NATURE_OF_OWNERSHIP_FN", &["ownershipNature.natureOfOwnership"], "Footnote ids on the nature of ownership."),
];

pub const FOOTNOTES: &[Column] = &[
    ACCESSION,
    req("FOOTNOTE_ID", Text, "id", "Footnote id as the filing numbers it (F1, F2…)."),
    req("FOOTNOTE_TXT", Text, "text", "Footnote text."),
];

pub const OWNER_SIGNATURE: &[Column] = &[
    ACCESSION,
    req("OWNERSIGNATURENAME", Text, "signatureName", "Name signed."),
    col("OWNERSIGNATUREDATE", Date, "signatureDate", "Date of the signature."),
];

/// The eight tables in bundle order (sorted by file name).
pub const TABLES: [Table; 8] = [
    table(
        "DERIV_HOLDING.tsv",
        "derivativeTable.holdings[]",
        DERIV_HOLDING,
        "Table II holdings (derivative securities).",
    ),
    table(
        "DERIV_TRANS.tsv",
        "derivativeTable.transactions[]",
        DERIV_TRANS,
        "Table II transactions (derivative securities).",
    ),
    Table {
        file: "FOOTNOTES.tsv",
        rows: "footnotes[]",
        primary_key: &["ACCESSION_NUMBER", "FOOTNOTE_ID"],
        description: "The filing's footnotes; the *_FN columns of the other tables refer to FOOTNOTE_ID.",
        columns: FOOTNOTES,
    },
    table("NONDERIV_HOLDING.tsv", "nonDerivativeTable.holdings[]", NONDERIV_HOLDING, "Table I holdings."),
    table("NONDERIV_TRANS.tsv", "nonDerivativeTable.transactions[]", NONDERIV_TRANS, "Table I transactions."),
    Table {
        file: "OWNER_SIGNATURE.tsv",
        rows: "ownerSignatures[]",
        primary_key: &["ACCESSION_NUMBER", "OWNERSIGNATURENAME"],
        description: "Signatures of the reporting owners.",
        columns: OWNER_SIGNATURE,
    },
    Table {
        file: "REPORTINGOWNER.tsv",
        rows: "reportingOwners[]",
        primary_key: &["ACCESSION_NUMBER", "RPTOWNERCIK"],
        description: "The reporting owners (insiders) of each filing.",
        columns: REPORTINGOWNER,
    },
    Table {
        file: "SUBMISSION.tsv",
        rows: "",
        primary_key: &["ACCESSION_NUMBER"],
        description: "One row per filing. SEC's own file has 13 columns too (its metadata lists 17).",
        columns: SUBMISSION,
    },
];

/// A table keyed by its accession and its `*_SK` key, the second column.
const fn table(file: &'static str, rows: &'static str, columns: &'static [Column], description: &'static str) -> Table {
    Table { file, rows, primary_key: &[], description, columns }
}
