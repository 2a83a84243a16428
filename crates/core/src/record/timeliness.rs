//! Whether a Form 4 was filed on time. Section 16(a) and Rule 16a-3 make a
//! Form 4 due before the end of the second business day after the
//! transaction (`calendar` says which days count). A filing with several
//! transactions is measured from its earliest transaction date, Table I
//! and Table II alike, so one late row makes the filing late.
//!
//! Only an original Form 4 with a filing date and at least one transaction
//! date is measured. Forms 3 and 5 run on other clocks (ten days after
//! becoming an insider; 45 days after the issuer's fiscal year, which the
//! filing does not state), and an amendment restates an earlier filing, so
//! for those, and where a date is unknown, both values are null. A deemed
//! execution date, which can move the deadline for some plan transactions,
//! is not taken into account.

use time::Date;

use super::calendar;
use crate::domain::FormType;
use crate::filing::Filing;

/// Business days a Form 4 may take after its earliest transaction.
pub const FORM4_BUSINESS_DAYS: i64 = 2;

/// `businessDaysToFile` and `isLate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeliness {
    /// Business days from the earliest transaction date to the filing date
    /// (1 when filed the next business day; negative when the filing date
    /// is before it).
    pub business_days_to_file: Option<i64>,
    pub is_late: Option<bool>,
}

impl Timeliness {
    pub fn of(filing: &Filing) -> Self {
        let s = &filing.submission;
        if s.document_type.form_type != FormType::Form4 || s.document_type.is_amendment {
            return Timeliness::default();
        }
        match (earliest_transaction(filing), s.filing_date) {
            (Some(traded), Some(filed)) => Self::measured(traded, filed),
            _ => Timeliness::default(),
        }
    }

    /// A Form 4 for a transaction on `traded`, filed on `filed`.
    pub fn measured(traded: Date, filed: Date) -> Self {
        let days = calendar::business_days_between(traded, filed);
        Timeliness { business_days_to_file: Some(days), is_late: Some(days > FORM4_BUSINESS_DAYS) }
    }
}

fn earliest_transaction(filing: &Filing) -> Option<Date> {
    let table1 = filing.non_derivative_transactions.iter().filter_map(|t| t.transaction_date);
    let table2 = filing.derivative_transactions.iter().filter_map(|t| t.transaction_date);
    table1.chain(table2).min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn due_two_business_days_after_the_trade() {
        // Thursday 3 July 2024, 4 July a holiday: due Monday 8 July.
        let on_time = Timeliness::measured(date!(2024 - 07 - 03), date!(2024 - 07 - 08));
        assert_eq!(on_time, Timeliness { business_days_to_file: Some(2), is_late: Some(false) });
        let late = Timeliness::measured(date!(2024 - 07 - 03), date!(2024 - 07 - 09));
        assert_eq!(late, Timeliness { business_days_to_file: Some(3), is_late: Some(true) });
        // Tuesday 18 June 2024, Juneteenth on Wednesday: Friday 21 June is on time.
        assert_eq!(Timeliness::measured(date!(2024 - 06 - 18), date!(2024 - 06 - 21)).is_late, Some(false));
        // In 2020, before Juneteenth was a holiday, Friday was one day late.
        assert_eq!(Timeliness::measured(date!(2020 - 06 - 16), date!(2020 - 06 - 19)).is_late, Some(true));
    }
}
