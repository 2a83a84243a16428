//! EDGAR's clock: `ACCEPTANCE-DATETIME` is US Eastern local time. The rule
//! is written out here rather than read from a time-zone database, because
//! only one zone is needed and its rule changed once in the years EDGAR has
//! ownership filings: since 2007 daylight time runs from the second Sunday
//! of March to the first Sunday of November, before that from the first
//! Sunday of April to the last Sunday of October, each at 02:00 local.

use time::{Date, Duration, Month, PrimitiveDateTime, Time, Weekday};

use super::values::shown;

/// `YYYYMMDDHHMMSS` in US Eastern time, as UTC.
pub fn acceptance_to_utc(raw: &str) -> Result<PrimitiveDateTime, String> {
    let t = raw.trim();
    let bad = || format!("{} is not a date and time (YYYYMMDDHHMMSS)", shown(t));
    if t.len() != 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |range: std::ops::Range<usize>| t.get(range).and_then(|s| s.parse::<u16>().ok()).ok_or_else(bad);
    let month = Month::try_from(u8::try_from(num(4..6)?).map_err(|_| bad())?).map_err(|_| bad())?;
    let date = Date::from_calendar_date(i32::from(num(0..4)?), month, u8::try_from(num(6..8)?).map_err(|_| bad())?)
        .map_err(|_| format!("{} is not a real calendar date", shown(t)))?;
    let [h, m, s] = [num(8..10)?, num(10..12)?, num(12..14)?].map(|v| u8::try_from(v).unwrap_or(u8::MAX));
    let time = Time::from_hms(h, m, s).map_err(|_| format!("{} is not a time of day", shown(t)))?;
    let local = PrimitiveDateTime::new(date, time);
    let offset_hours = if is_daylight_time(local) { 4 } else { 5 };
    Ok(local + Duration::hours(offset_hours))
}

/// Whether Eastern daylight time applies at this local time. In the hour
/// that repeats when clocks go back, the first (daylight) reading is taken;
/// EDGAR accepts filings from 06:00 to 22:00, so neither edge occurs.
fn is_daylight_time(local: PrimitiveDateTime) -> bool {
    let year = local.year();
    let (start, end) = if year >= 2007 {
        (nth_sunday(year, Month::March, 2), nth_sunday(year, Month::November, 1))
    } else {
        (nth_sunday(year, Month::April, 1), last_sunday(year, Month::October))
    };
    let two = Time::from_hms(2, 0, 0).unwrap_or(Time::MIDNIGHT);
    local >= PrimitiveDateTime::new(start, two) && local < PrimitiveDateTime::new(end, two)
}

fn nth_sunday(year: i32, month: Month, n: u8) -> Date {
    let first = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
    let to_sunday = (7 - first.weekday().number_days_from_sunday()) % 7;
    first + Duration::days(i64::from(to_sunday) + 7 * i64::from(n - 1))
}

fn last_sunday(year: i32, month: Month) -> Date {
    let last = Date::from_calendar_date(year, month.next(), 1).unwrap_or(Date::MAX) - Duration::days(1);
    let back = last.weekday().number_days_from_sunday();
    debug_assert!(matches!((last - Duration::days(i64::from(back))).weekday(), Weekday::Sunday));
    last - Duration::days(i64::from(back))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(raw: &str) -> String {
        acceptance_to_utc(raw).unwrap().to_string()
    }

    #[test]
    fn standard_and_daylight_time_under_both_rules() {
        // A fixture's acceptance time: 1 May 2024, daylight time (UTC-4).
        assert_eq!(utc("20240501130722"), "2024-05-01 17:07:22.0");
        assert_eq!(utc("20250121132357"), "2025-01-21 18:23:57.0");
        // 2024: daylight time from 10 March 02:00 to 3 November 02:00.
        assert_eq!(utc("20240310015959"), "2024-03-10 6:59:59.0");
        assert_eq!(utc("20240310030000"), "2024-03-10 7:00:00.0");
        assert_eq!(utc("20241103015959"), "2024-11-03 5:59:59.0");
        assert_eq!(utc("20241103020000"), "2024-11-03 7:00:00.0");
        // 2005, the old rule: daylight time from 3 April to 30 October.
        assert_eq!(utc("20050315120000"), "2005-03-15 17:00:00.0");
        assert_eq!(utc("20050403120000"), "2005-04-03 16:00:00.0");
        assert_eq!(utc("20051029120000"), "2005-10-29 16:00:00.0");
        assert_eq!(utc("20051030120000"), "2005-10-30 17:00:00.0");
        // A late-evening acceptance crosses into the next UTC day.
        assert_eq!(utc("20221108201810"), "2022-11-09 1:18:10.0");
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        assert!(acceptance_to_utc("2024050113072").unwrap_err().contains("YYYYMMDDHHMMSS"));
        assert!(acceptance_to_utc("20240230130722").unwrap_err().contains("calendar date"));
        assert!(acceptance_to_utc("20240501250000").unwrap_err().contains("time of day"));
    }
}
