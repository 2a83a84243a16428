//! SEC business days: every day but Saturdays, Sundays and US federal
//! holidays, which is when EDGAR accepts filings and when Section 16
//! deadlines run. The holidays are the ones 5 U.S.C. 6103 fixes, by rule:
//!
//! - New Year's Day (1 January), Juneteenth (19 June, from 2021),
//!   Independence Day (4 July), Veterans Day (11 November) and Christmas
//!   (25 December): on a Saturday observed the Friday before (so 1 January
//!   on a Saturday is observed on 31 December of the year before), on a
//!   Sunday the Monday after;
//! - Martin Luther King Jr. Day (third Monday of January), Washington's
//!   Birthday (third Monday of February), Memorial Day (last Monday of
//!   May), Labor Day (first Monday of September), Columbus Day (second
//!   Monday of October) and Thanksgiving (fourth Thursday of November).
//!
//! Closures decreed one at a time (a national day of mourning, such as
//! 9 January 2025) are not rules and are not counted.

use time::{Date, Duration, Month, Weekday};

/// The first year Juneteenth was a federal holiday (observed Friday
/// 18 June 2021).
const JUNETEENTH_FROM: i32 = 2021;

/// Whether EDGAR counts `day` as a business day.
pub fn is_business_day(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_federal_holiday(day)
}

/// Whether `day` is the observed day of a federal holiday.
pub fn is_federal_holiday(day: Date) -> bool {
    let year = day.year();
    // 1 January of next year on a Saturday is observed in this year.
    observed_holidays(year).any(|h| h == day) || fixed(year + 1, Month::January, 1).is_some_and(|h| observed(h) == day)
}

/// Business days after `from` up to and including `to`: 1 when `to` is the
/// next business day. Negative when `to` is before `from` (then the
/// business days after `to` up to and including `from`, counted down).
pub fn business_days_between(from: Date, to: Date) -> i64 {
    let (start, end, sign) = if to >= from { (from, to, 1) } else { (to, from, -1) };
    let mut count = 0;
    let mut day = start;
    while day < end {
        day = day.next_day().unwrap_or(end);
        count += i64::from(is_business_day(day));
    }
    sign * count
}

/// The `n`th business day after `from`.
pub fn add_business_days(from: Date, n: u32) -> Date {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        match day.next_day() {
            Some(next) => day = next,
            None => return day,
        }
        if is_business_day(day) {
            left -= 1;
        }
    }
    day
}

/// The observed dates of `year`'s holidays (those of 1 January may fall in
/// the year before, see [`is_federal_holiday`]).
fn observed_holidays(year: i32) -> impl Iterator<Item = Date> {
    let fixed_days = [
        Some((Month::January, 1)),
        (year >= JUNETEENTH_FROM).then_some((Month::June, 19)),
        Some((Month::July, 4)),
        Some((Month::November, 11)),
        Some((Month::December, 25)),
    ];
    let fixed_days = fixed_days.into_iter().flatten().filter_map(move |(m, d)| fixed(year, m, d)).map(observed);
    let mondays = [
        nth_weekday(year, Month::January, Weekday::Monday, 3),
        nth_weekday(year, Month::February, Weekday::Monday, 3),
        last_weekday(year, Month::May, Weekday::Monday),
        nth_weekday(year, Month::September, Weekday::Monday, 1),
        nth_weekday(year, Month::October, Weekday::Monday, 2),
        nth_weekday(year, Month::November, Weekday::Thursday, 4),
    ];
    fixed_days.chain(mondays.into_iter().flatten())
}

fn fixed(year: i32, month: Month, day: u8) -> Option<Date> {
    Date::from_calendar_date(year, month, day).ok()
}

/// A fixed-date holiday on a weekend moves to the nearest weekday.
fn observed(day: Date) -> Date {
    match day.weekday() {
        Weekday::Saturday => day - Duration::days(1),
        Weekday::Sunday => day + Duration::days(1),
        _ => day,
    }
}

fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let offset = (7 + weekday.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    first.checked_add(Duration::days(i64::from(offset) + 7 * i64::from(n - 1)))
}

fn last_weekday(year: i32, month: Month, weekday: Weekday) -> Option<Date> {
    let last = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    let back = (7 + last.weekday().number_days_from_monday() - weekday.number_days_from_monday()) % 7;
    last.checked_sub(Duration::days(i64::from(back)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn holidays_by_rule_with_weekend_observance() {
        let holidays_2024: Vec<Date> = {
            let mut all: Vec<Date> = observed_holidays(2024).collect();
            all.sort();
            all
        };
        // OPM's list of 2024 federal holidays.
        let expected = [
            date!(2024 - 01 - 01),
            date!(2024 - 01 - 15),
            date!(2024 - 02 - 19),
            date!(2024 - 05 - 27),
            date!(2024 - 06 - 19),
            date!(2024 - 07 - 04),
            date!(2024 - 09 - 02),
            date!(2024 - 10 - 14),
            date!(2024 - 11 - 11),
            date!(2024 - 11 - 28),
            date!(2024 - 12 - 25),
        ];
        assert_eq!(holidays_2024, expected);
        // Juneteenth 2021 fell on a Saturday: observed Friday 18 June; not a holiday in 2020.
        assert!(is_federal_holiday(date!(2021 - 06 - 18)));
        assert!(!is_federal_holiday(date!(2021 - 06 - 19)));
        assert!(!is_federal_holiday(date!(2020 - 06 - 19)));
        // 1 January 2022 was a Saturday: observed Friday 31 December 2021.
        assert!(is_federal_holiday(date!(2021 - 12 - 31)));
        // 4 July 2021 was a Sunday: observed Monday 5 July.
        assert!(is_federal_holiday(date!(2021 - 07 - 05)));
        // Christmas 2022 was a Sunday: observed Monday 26 December.
        assert!(is_federal_holiday(date!(2022 - 12 - 26)));
        assert!(!is_business_day(date!(2024 - 07 - 06)), "a Saturday");
        assert!(is_business_day(date!(2024 - 07 - 05)));
    }

    #[test]
    fn counts_business_days_across_holidays() {
        // Thursday 3 July 2024: 4 July is a holiday, so two business days
        // later is Monday 8 July.
        assert_eq!(add_business_days(date!(2024 - 07 - 03), 2), date!(2024 - 07 - 08));
        assert_eq!(business_days_between(date!(2024 - 07 - 03), date!(2024 - 07 - 08)), 2);
        assert_eq!(business_days_between(date!(2024 - 07 - 03), date!(2024 - 07 - 09)), 3);
        // Tuesday 18 June 2024: Juneteenth, then Thursday and Friday.
        assert_eq!(add_business_days(date!(2024 - 06 - 18), 2), date!(2024 - 06 - 21));
        // Before Juneteenth was a holiday: Thursday 18 June 2020 + 2 is Monday 22 June.
        assert_eq!(add_business_days(date!(2020 - 06 - 18), 2), date!(2020 - 06 - 22));
        // Thanksgiving 2023 (23 November) and a weekend.
        assert_eq!(add_business_days(date!(2023 - 11 - 22), 2), date!(2023 - 11 - 27));
        assert_eq!(business_days_between(date!(2024 - 07 - 08), date!(2024 - 07 - 08)), 0);
        assert_eq!(business_days_between(date!(2024 - 07 - 08), date!(2024 - 07 - 03)), -2);
    }
}
