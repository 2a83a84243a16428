//! Text pools with their measured weights (sources as in `params`: DS, XML),
//! and invented name parts to build plausible issuers and owners from.

/// (director, officer, ten-percent owner, other).
pub type Relationship = (bool, bool, bool, bool);

/// First owner's relationship.
/// XML: 31 filings. Co-filing owners are ten-percent owners (XML: 19 of 19).
pub const RELATIONSHIPS: &[(Relationship, u32)] = &[
    ((true, false, false, false), 12),
    ((true, true, true, false), 6),
    ((true, false, true, false), 5),
    ((false, true, false, false), 4),
    ((false, false, true, false), 3),
    ((false, false, false, true), 2),
];
/// XML officer titles (two issuer-specific ones left out).
pub const OFFICER_TITLES: &[(&str, u32)] = &[
    ("CEO", 3),
    ("Chief Technology Officer", 1),
    ("COO", 1),
    ("Senior VP, GC, CAO & Secretary", 1),
    ("See Remarks", 1),
    ("Co-Founder", 1),
];
/// XML `otherText` values.
pub const OTHER_TEXTS: &[(&str, u32)] =
    &[("Public Affairs Officer", 3), ("Chief Accounting Officer", 1), ("Former Director and 10% Owner", 1)];
/// Owner addresses with a second street line. XML: 36 of 51.
pub const STREET2_SHARE: f64 = 36.0 / 51.0;
/// Signatures made by an attorney-in-fact. XML: 25 of 35.
pub const SIGNED_BY_ATTORNEY: f64 = 25.0 / 35.0;

/// Trading symbol lengths 1..=5. DS.
pub const SYMBOL_LENGTHS: &[u32] = &[237, 1857, 10609, 22492, 550];
/// Issuer name endings. DS (last word of ISSUERNAME).
pub const ISSUER_SUFFIXES: &[(&str, u32)] = &[
    ("Inc", 23765),
    ("Corp", 5658),
    ("Co", 1391),
    ("Ltd", 658),
    ("PLC", 500),
    ("Fund", 412),
    ("Trust", 336),
    ("Bancorp", 183),
    ("LLC", 183),
    ("LP", 129),
];
/// Issuer names written in capitals. DS: 0.445.
pub const ISSUER_NAME_UPPER: f64 = 0.445;
/// Non-derivative security titles. DS (NONDERIV_HOLDING).
pub const COMMON_TITLES: &[(&str, u32)] = &[
    ("Common Stock", 11209),
    ("Class A Common Stock", 2231),
    ("Class B Common Stock", 391),
    ("Common Shares", 317),
    ("Ordinary Shares", 228),
];

/// What a derivative security is, which decides its price and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DerivKind {
    Option,
    Unit,
    Convertible,
}
/// Derivative security titles. DS (DERIV_TRANS).
pub const DERIV_TITLES: &[((&str, DerivKind), u32)] = &[
    (("Restricted Stock Units", DerivKind::Unit), 4300),
    (("Stock Option (Right to Buy)", DerivKind::Option), 1746),
    (("Restricted Stock Unit", DerivKind::Unit), 1012),
    (("Stock Option (right to buy)", DerivKind::Option), 902),
    (("Class B Common Stock", DerivKind::Convertible), 728),
    (("Employee Stock Option (right to buy)", DerivKind::Option), 387),
    (("Employee Stock Option (Right to Buy)", DerivKind::Option), 353),
    (("Stock Option", DerivKind::Option), 327),
    (("Phantom Stock", DerivKind::Unit), 314),
    (("Phantom Stock Units", DerivKind::Unit), 298),
    (("Stock Options", DerivKind::Option), 290),
    (("Non-Qualified Stock Option (right to buy)", DerivKind::Option), 253),
];
/// Nature of indirect ownership. DS (spelling variants merged).
pub const NATURES: &[(&str, u32)] = &[
    ("See footnote", 1359),
    ("By Trust", 800),
    ("By 401(k) Plan", 509),
    ("By Spouse", 490),
    ("By ESOP", 141),
    ("By IRA", 105),
    ("By Deferred Compensation Plan", 70),
    ("By LLC", 29),
];
/// Most frequent remarks. DS.
pub const REMARKS: &[(&str, u32)] = &[
    ("Exhibit 24 - Power of Attorney", 370),
    ("Exhibit List: Exhibit 24 - Power of Attorney", 203),
    ("Exhibit 24.1 - Power of Attorney", 142),
    ("Power of Attorney on file.", 53),
    ("Exhibit 24.1 Power of Attorney", 35),
];

/// Footnote ids on one linked field: 1, 2 or 3. DS (DERIV_TRANS).
pub const IDS_PER_LINK: &[u32] = &[49034, 1514, 444];
/// Share of rows whose field carries a footnote. DS for three tables, XML
/// for non-derivative transactions.
pub const LINKS_NDT: &[(&str, f64)] = &[
    ("price_per_share", 0.72),
    ("transaction_code", 0.45),
    ("shares", 0.34),
    ("nature_of_ownership", 0.33),
    ("security_title", 0.20),
    ("shares_owned_following_transaction", 0.12),
    ("direct_or_indirect_ownership", 0.025),
];
pub const LINKS_NDH: &[(&str, f64)] = &[
    ("nature_of_ownership", 0.347),
    ("shares_owned_following_transaction", 0.144),
    ("direct_or_indirect_ownership", 0.038),
    ("security_title", 0.022),
];
pub const LINKS_DT: &[(&str, f64)] = &[
    ("exercise_date", 0.860),
    ("conversion_or_exercise_price", 0.585),
    ("expiration_date", 0.578),
    ("price_per_share", 0.173),
    ("transaction_code", 0.157),
    ("shares", 0.094),
    ("security_title", 0.071),
    ("shares_owned_following_transaction", 0.062),
    ("nature_of_ownership", 0.053),
    ("underlying_security_shares", 0.024),
    ("direct_or_indirect_ownership", 0.010),
    ("transaction_date", 0.005),
];
pub const LINKS_DH: &[(&str, f64)] = &[
    ("exercise_date", 0.747),
    ("expiration_date", 0.378),
    ("conversion_or_exercise_price", 0.368),
    ("nature_of_ownership", 0.156),
    ("security_title", 0.082),
    ("underlying_security_shares", 0.060),
    ("shares_owned_following_transaction", 0.060),
    ("direct_or_indirect_ownership", 0.015),
];

/// Footnote wording per field, in the style of real filings.
pub fn footnote_text(field: &str) -> &'static str {
    match field {
        "price_per_share" => {
            "The price reported is a weighted average price. These shares were sold in multiple transactions at \
             prices ranging from the lowest to the highest price reported; full information is available on request."
        }
        "transaction_code" => {
            "The transactions reported on this Form were effected pursuant to a Rule 10b5-1 trading plan adopted by \
             the reporting person."
        }
        "shares" => {
            "Represents shares withheld by the issuer to satisfy tax withholding obligations upon the vesting of \
             restricted stock units."
        }
        "nature_of_ownership" | "direct_or_indirect_ownership" => {
            "The securities are held by a trust of which the reporting person is a trustee. The reporting person \
             disclaims beneficial ownership except to the extent of his or her pecuniary interest therein."
        }
        "security_title" | "conversion_or_exercise_price" | "underlying_security_shares" => {
            "Each restricted stock unit represents a contingent right to receive one share of the issuer's common \
             stock."
        }
        "exercise_date" => {
            "The award vests in equal quarterly installments over four years from the grant date, subject to the \
             reporting person's continued service."
        }
        "expiration_date" => "Restricted stock units do not expire.",
        "shares_owned_following_transaction" => {
            "Includes shares acquired under the issuer's Employee Stock Purchase Plan."
        }
        _ => "See Remarks.",
    }
}

/// Invented name parts, whitespace-separated (split once per run).
pub const FIRST_NAMES: &str =
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan \
     Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Steven \
     Ashley Paul Kimberly Andrew Emily Kenneth Donna Joshua Michelle Kevin Carol Brian Amanda George \
     Melissa";
pub const LAST_NAMES: &str =
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez \
     Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark \
     Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams \
     Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Chen Patel Kim Shah Cohen Park";
pub const NAME_WORDS: &str =
    "Apex Harbor Summit Pioneer Granite Beacon Meridian Cobalt Evergreen Horizon Keystone Liberty \
     Northstar Orchid Pinnacle Quantum Redwood Sterling Trident Unity Vertex Westfield Atlas Bluewater \
     Cascade Delta Ember Falcon Global Heritage Insight Juniper Kinetic Lumen Magnolia Nova Oakridge \
     Prairie Radiant Sentinel";
pub const NAME_TRADES: &str =
    "Therapeutics Bancshares Energy Holdings Technologies Pharmaceuticals Systems Financial Realty \
     Industries Biosciences Networks Semiconductor Brands Resources Software Medical Capital Logistics \
     Materials";
pub const STREETS: &[&str] = &["Main Street", "Market Street", "Park Avenue", "Industrial Way", "Commerce Drive"];
pub const CITIES: &[(&str, &str, &str)] = &[
    ("New York", "NY", "10017"),
    ("San Francisco", "CA", "94105"),
    ("Boston", "MA", "02110"),
    ("Austin", "TX", "78701"),
    ("Chicago", "IL", "60606"),
    ("Seattle", "WA", "98101"),
    ("Miami", "FL", "33131"),
    ("Denver", "CO", "80202"),
];
