//! How a crawl shows where it is: a bar with an ETA on a terminal, a line
//! per day otherwise (a CronJob's log, a test's captured output).

use std::fmt::Display;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{HumanDuration, ProgressBar, ProgressStyle};

pub(super) struct Progress {
    /// Hidden off a terminal, where it still counts the requests done.
    bar: ProgressBar,
    terminal: bool,
    started: Instant,
    interval: Duration,
}

impl Progress {
    /// Progress over `requests` requests spaced `interval` apart by the rate limit.
    pub fn new(what: &str, requests: u64, interval: Duration) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = if terminal { ProgressBar::new(requests) } else { ProgressBar::hidden() };
        bar.set_length(requests);
        if let Ok(style) = ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{pos}}/{{len}} requests, {{msg}} eta {{eta}} (elapsed {{elapsed}})"
        )) {
            bar.set_style(style);
        }
        Progress { bar, terminal, started: Instant::now(), interval }
    }

    /// For the download tasks: one tick per request answered.
    pub fn bar(&self) -> &ProgressBar {
        &self.bar
    }

    /// What the bar shows beside the count (the day being fetched).
    pub fn set_message(&self, message: impl Into<String>) {
        self.bar.set_message(message.into());
    }

    /// A line on stdout: above the bar on a terminal, with the count and
    /// the time left appended otherwise.
    pub fn line(&self, text: impl Display) {
        if self.terminal {
            self.bar.println(text.to_string());
        } else {
            let (done, total) = (self.bar.position(), self.bar.length().unwrap_or(0));
            println!("{text} [{done}/{total} requests, about {} left]", HumanDuration(self.left(done, total)));
        }
    }

    /// A line on stderr that does not tear the bar.
    pub fn warn(&self, text: impl Display) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    /// The rate seen so far, never better than the rate limit allows.
    fn left(&self, done: u64, total: u64) -> Duration {
        let per_request = match done {
            0 => self.interval,
            n => (self.started.elapsed() / n as u32).max(self.interval),
        };
        per_request * total.saturating_sub(done) as u32
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// How long `requests` take at the rate limit.
pub(super) fn at_rate(requests: usize, interval: Duration) -> HumanDuration {
    HumanDuration(interval * requests as u32)
}
