//! SEC's data-set spellings, in one place: the packer writes them into a
//! bundle's tables and the data-set importer reads them back, so the two
//! cannot drift apart.

/// Month names of `DD-MON-YYYY` dates (`27-SEP-2024`).
pub const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/// RPTOWNER_RELATIONSHIP's role names, in the order SEC lists them:
/// director, officer, ten-percent owner, other.
pub const ROLES: [&str; 4] = ["Director", "Officer", "TenPercentOwner", "Other"];

/// SEC's name of a date's month.
pub fn month_name(date: time::Date) -> &'static str {
    MONTHS[usize::from(u8::from(date.month())) - 1]
}

/// The month (1–12) a SEC month name stands for, in any case.
pub fn month_number(name: &str) -> Option<u8> {
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name)).map(|i| i as u8 + 1)
}
