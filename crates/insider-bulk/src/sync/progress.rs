//! What a run shows: a byte progress bar per download on a terminal, plain
//! lines otherwise (a log or a pipe gets no control codes).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    terminal: bool,
}

pub struct Bar(Option<ProgressBar>);

impl Progress {
    pub fn new() -> Self {
        Progress { terminal: std::io::stderr().is_terminal() }
    }

    pub fn line(&self, text: &str) {
        println!("{text}");
    }

    pub fn failure(&self, text: &str) {
        eprintln!("{text}");
    }

    /// A bar for one download that has `start` bytes already.
    pub fn bar(&self, name: &str, total: Option<u64>, start: u64) -> Bar {
        if !self.terminal {
            return Bar(None);
        }
        let bar = ProgressBar::new(total.unwrap_or(0));
        // wide_bar takes what the terminal has left, so the line never wraps.
        let template = "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec}";
        bar.set_style(ProgressStyle::with_template(template).expect("a valid template").progress_chars("=> "));
        bar.set_message(name.to_owned());
        bar.set_position(start);
        Bar(Some(bar))
    }
}

impl Bar {
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
