//! `estimated_seconds`: the month's own packing time plus its share of the
//! work queued ahead of it, from the packers' measured throughput.

/// Fixed cost of a job beyond its rows: claim, upload, index commit.
const JOB_OVERHEAD_SECONDS: f64 = 1.0;

pub fn estimated_seconds(rows: i64, jobs_ahead: i64, live_packers: u64, rows_per_second: f64) -> i64 {
    let per_job = JOB_OVERHEAD_SECONDS + rows.max(0) as f64 / rows_per_second.max(1.0);
    // Jobs ahead are assumed the size of this one: the best guess without reading each.
    let waiting = jobs_ahead.max(0) as f64 * per_job / live_packers.max(1) as f64;
    (per_job + waiting).ceil() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_rows_and_queue_and_shrinks_with_packers() {
        let alone = estimated_seconds(60_000, 0, 1, 60_000.0);
        assert_eq!(alone, 2);
        assert!(estimated_seconds(600_000, 0, 1, 60_000.0) > alone);
        let queued = estimated_seconds(60_000, 4, 1, 60_000.0);
        assert!(queued > alone);
        assert!(estimated_seconds(60_000, 4, 4, 60_000.0) < queued);
        assert_eq!(estimated_seconds(0, 0, 0, 60_000.0), 1, "no packer yet still gives a whole number");
    }
}
