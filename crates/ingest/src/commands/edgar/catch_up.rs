//! What `--catch-up` loads: the days after `ingested_through` up to the
//! last weekday before today, within a reach that keeps one run short.

use time::Date;

use super::is_weekend;

/// How far back a catch-up run reaches. At SEC's 10 requests a second a
/// busy day takes minutes, so a long outage is caught up over several
/// runs (each day is recorded as it completes); a gap older than this
/// needs an explicit `--from`.
pub const CATCH_UP_DAYS: i64 = 31;

/// The days a daily run loads: those after `through` (the end of the
/// unbroken run of loaded days) up to the last weekday before `today`.
/// Weekends and holidays are loaded too, as days without an index, so
/// that `ingested_through` moves past them; a day that failed before is
/// tried again. `None` when there is nothing new.
pub fn catch_up_days(through: Option<Date>, today: Date) -> Option<(Date, Date)> {
    let to = previous_business_day(today);
    let earliest = to - time::Duration::days(CATCH_UP_DAYS - 1);
    let from = match through {
        None => to,
        Some(through) => through.next_day()?.max(earliest),
    };
    (from <= to).then_some((from, to))
}

/// The days between `through` and `from` that a catch-up run starting at
/// `from` does not reach: the gap that needs an explicit `--from … --to …`.
pub fn beyond_reach(through: Option<Date>, from: Date) -> Option<(Date, Date)> {
    let first = through?.next_day()?;
    (first < from).then(|| (first, from.previous_day().expect("after `first`")))
}

/// The weekday before `today` (Monday → Friday). EDGAR holidays are not
/// skipped: their index does not exist, which the run reports as such.
pub fn previous_business_day(today: Date) -> Date {
    let mut day = today.previous_day().expect("not the first day of the calendar");
    while is_weekend(day) {
        day = day.previous_day().expect("not the first day of the calendar");
    }
    day
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::{beyond_reach, catch_up_days, previous_business_day};

    #[test]
    fn skips_weekends() {
        assert_eq!(previous_business_day(date!(2026 - 11 - 30)), date!(2026 - 11 - 27), "Monday → Friday");
        assert_eq!(previous_business_day(date!(2026 - 11 - 29)), date!(2026 - 11 - 27), "Sunday → Friday");
        assert_eq!(previous_business_day(date!(2026 - 11 - 25)), date!(2026 - 11 - 24));
    }

    #[test]
    fn a_week_of_daily_catch_up_runs_leaves_no_gap() {
        // Fresh database, first run on Monday 2026-11-30: Friday only.
        assert_eq!(catch_up_days(None, date!(2026 - 11 - 30)), Some((date!(2026 - 11 - 27), date!(2026 - 11 - 27))));
        // Tuesday: the weekend and Monday, so ingested_through moves past the weekend.
        assert_eq!(
            catch_up_days(Some(date!(2026 - 11 - 27)), date!(2026 - 12 - 01)),
            Some((date!(2026 - 11 - 28), date!(2026 - 11 - 30)))
        );
        assert_eq!(
            catch_up_days(Some(date!(2026 - 11 - 30)), date!(2026 - 12 - 02)),
            Some((date!(2026 - 12 - 01), date!(2026 - 12 - 01)))
        );
        // Saturday loads Friday; Sunday and Monday find nothing new.
        assert_eq!(
            catch_up_days(Some(date!(2026 - 12 - 03)), date!(2026 - 12 - 05)),
            Some((date!(2026 - 12 - 04), date!(2026 - 12 - 04)))
        );
        assert_eq!(catch_up_days(Some(date!(2026 - 12 - 04)), date!(2026 - 12 - 06)), None);
        assert_eq!(catch_up_days(Some(date!(2026 - 12 - 04)), date!(2026 - 12 - 07)), None);
    }

    #[test]
    fn a_failed_day_is_tried_again_and_a_long_outage_is_capped() {
        // Wednesday failed, so the unbroken run ends on Tuesday: Friday's run retries it with Thursday.
        assert_eq!(
            catch_up_days(Some(date!(2026 - 12 - 01)), date!(2026 - 12 - 04)),
            Some((date!(2026 - 12 - 02), date!(2026 - 12 - 03)))
        );
        let (from, to) = catch_up_days(Some(date!(2026 - 01 - 02)), date!(2026 - 12 - 04)).unwrap();
        assert_eq!(to, date!(2026 - 12 - 03));
        assert_eq!((to - from).whole_days() + 1, super::CATCH_UP_DAYS);
        assert_eq!(
            beyond_reach(Some(date!(2026 - 01 - 02)), from),
            Some((date!(2026 - 01 - 03), from.previous_day().unwrap()))
        );
        assert_eq!(beyond_reach(Some(date!(2026 - 12 - 01)), date!(2026 - 12 - 02)), None);
        assert_eq!(beyond_reach(None, date!(2026 - 12 - 02)), None);
    }
}
