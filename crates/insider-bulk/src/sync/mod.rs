//! `insider-bulk sync`: mirrors months of files into a directory. Polls
//! each form's index with `If-None-Match`, downloads what is new or
//! changed through the download call's signed URL (resuming, verifying,
//! renaming into place only when whole), waits out months the server
//! builds on first download, optionally generates pending months first,
//! counts every charged call against `--max-tokens`, and keeps
//! `DIR/.insider-bulk-sync.json` so that an idle run costs one 304 per form.

mod budget;
mod client;
mod download;
mod error;
mod generate;
mod index;
mod progress;
mod state;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use insider_bulk_core::domain::{FormType, Month};

use budget::Budget;
use client::Client;
use download::{Fetched, Want};
use error::SyncError;
use generate::Started;
use index::Polled;
use progress::Progress;
use state::{SeenFile, State};

#[derive(clap::Args, Debug)]
pub struct SyncArgs {
    /// The service's base URL, e.g. https://bulk.example.com.
    #[arg(long, value_name = "URL", env = "INSIDER_BULK_URL")]
    url: String,
    /// An API key (sent in the X-API-Key header, and never to a signed download URL's host).
    #[arg(long = "api-token", value_name = "KEY", env = "INSIDER_BULK_API_TOKEN", hide_env_values = true)]
    api_token: String,
    /// Form type 3, 4 or 5; repeat for several (--form 3 --form 4).
    #[arg(long = "form", value_name = "3|4|5", required = true)]
    forms: Vec<FormType>,
    /// First month.
    #[arg(long, value_name = "YYYY-MM")]
    from: Month,
    /// Last month (default: the current month).
    #[arg(long, value_name = "YYYY-MM")]
    to: Option<Month>,
    /// The directory to mirror into (created if missing).
    #[arg(long)]
    dir: PathBuf,
    /// Also download each month's tar.gz (SEC's eight tables) beside its .jsonl.gz.
    #[arg(long)]
    tables: bool,
    /// Call generate for the pending months in the range first, so that the
    /// service builds them all at once (a download call builds one, in turn).
    #[arg(long, requires = "max_tokens")]
    generate_pending: bool,
    /// The most tokens this run may spend on index.json, download and generate calls.
    #[arg(long, value_name = "N")]
    max_tokens: Option<u64>,
    /// How long to keep calling again for a file the server is still building (per file).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pending_wait: u64,
    /// Hash every local file again, not only those whose size or mtime moved.
    #[arg(long)]
    verify: bool,
}

/// Counts files, except `generated` (months) and the failures of a whole
/// month (its index entry or its generate job).
#[derive(Default)]
struct Tally {
    downloaded: usize,
    unchanged: usize,
    generated: usize,
    /// Files still being built on the server when the wait ran out.
    pending: Vec<String>,
    /// Not called: the token bound, or a short balance.
    skipped: usize,
    failed: usize,
    tokens: u64,
}

/// Exit status: 0 when every file in the range is here, or some are and
/// the rest are still being built or were left out by the token bound; 1
/// when some file failed, or when none is here and some are pending or
/// left out (nothing was done); 2 when the run could not go on (bad
/// arguments, URL, key, unreachable server, unusable DIR or state file).
pub fn main(args: SyncArgs) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let progress = Progress::new();
    match runtime.block_on(run(&args, &progress)) {
        Ok(tally) => {
            if !tally.pending.is_empty() {
                progress.line(&format!(
                    "still being built on the server, not here yet: {}; run again later (or with a longer --pending-wait)",
                    tally.pending.join(", ")
                ));
            }
            if tally.skipped > 0 {
                progress.line(&format!("{} file(s) were not fetched: no more charged calls this run", tally.skipped));
            }
            let bound = args.max_tokens.map_or_else(String::new, |max| format!(" (--max-tokens {max})"));
            progress.line(&format!("tokens charged: {}{bound}", tally.tokens));
            progress.line(&format!(
                "downloaded {}, unchanged {}, generated {}, pending {}, skipped {}, failed {}",
                tally.downloaded,
                tally.unchanged,
                tally.generated,
                tally.pending.len(),
                tally.skipped,
                tally.failed
            ));
            let nothing_done = tally.downloaded + tally.unchanged == 0 && tally.pending.len() + tally.skipped > 0;
            if tally.failed > 0 || nothing_done {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            progress.failure(&format!("insider-bulk sync: {e}"));
            ExitCode::from(2)
        }
    }
}

async fn run(args: &SyncArgs, progress: &Progress) -> Result<Tally, SyncError> {
    let to = args.to.unwrap_or_else(Month::current);
    if args.from > to {
        return Err(SyncError::EmptyRange { from: args.from.to_string(), to: to.to_string() });
    }
    let client = Client::new(&args.url, args.api_token.clone())?;
    std::fs::create_dir_all(&args.dir).map_err(SyncError::io(&args.dir))?;
    let (loaded, notice) = State::load(&args.dir)?;
    if let Some(notice) = notice {
        progress.line(&notice);
    }
    let budget = match args.max_tokens {
        Some(max) => Budget::with_account_costs(&client, max, progress).await?,
        None => Budget::unbounded(),
    };
    let mut sync = Sync { args, client, progress, budget, state: loaded.clone(), tally: Tally::default() };
    let outcome = sync.all(to).await;
    // What was fetched before a fatal error stays recorded.
    if sync.state != loaded {
        sync.state.save(&args.dir)?;
    }
    sync.tally.tokens = sync.budget.spent();
    outcome.map(|()| sync.tally)
}

struct Sync<'a> {
    args: &'a SyncArgs,
    client: Client,
    progress: &'a Progress,
    budget: Budget,
    state: State,
    tally: Tally,
}

/// A file to fetch, by the name the index gives it.
struct Fetch {
    form: FormType,
    month: Month,
    filename: String,
}

impl Sync<'_> {
    async fn all(&mut self, to: Month) -> Result<(), SyncError> {
        let months: Vec<Month> = to.coverage_through().filter(|m| *m >= self.args.from).collect();
        let mut forms = self.args.forms.clone();
        forms.sort();
        forms.dedup();
        // Files of available months, and of pending ones (built on their download).
        let (mut ready, mut later) = (Vec::new(), Vec::new());
        let mut pending_months = Vec::new();
        for form in forms {
            if !self.poll(form, months.len()).await? {
                continue;
            }
            for &month in &months {
                let Some(entry) =
                    self.state.forms.get(&form.to_string()).and_then(|f| f.months.get(&month.to_string()))
                else {
                    let e = SyncError::protocol("index", "the month is not in the server's index");
                    self.fail(&format!("form-{form} {month}"), e)?;
                    continue;
                };
                let available = entry.status == "available";
                let mut files = vec![entry.file.clone()];
                if self.args.tables {
                    files.extend(entry.bundle.clone().or_else(|| tables_file(&entry.file)));
                }
                let mut wanted = 0;
                for file in files {
                    if self.needs(&file) {
                        wanted += 1;
                        let fetch = Fetch { form, month, filename: file.filename };
                        if available {
                            ready.push(fetch)
                        } else {
                            later.push(fetch)
                        }
                    }
                }
                if wanted > 0 && !available {
                    pending_months.push((form, month, wanted));
                }
            }
        }
        // Generate first, so that the service builds while available months download.
        let mut jobs = Vec::new();
        let mut failed_months = BTreeSet::new();
        if self.args.generate_pending && !pending_months.is_empty() {
            jobs = self.start_jobs(&pending_months, ready.len(), &mut failed_months).await?;
        }
        for fetch in ready {
            self.fetch(fetch).await?;
        }
        for (form, month, job) in jobs {
            match generate::wait(&self.client, &job).await {
                Ok(()) => self.tally.generated += 1,
                Err(e) => {
                    failed_months.insert((form, month));
                    self.fail(&format!("form-{form} {month}"), e)?;
                }
            }
        }
        for fetch in later {
            if !failed_months.contains(&(fetch.form, fetch.month)) {
                self.fetch(fetch).await?;
            }
        }
        Ok(())
    }

    /// Brings the state's copy of the form's index up to date; `false`
    /// when the budget left no room to ask (its `files` files are skipped).
    async fn poll(&mut self, form: FormType, files: usize) -> Result<bool, SyncError> {
        let key = form.to_string();
        let etag = self.state.forms.get(&key).and_then(|f| f.etag.clone());
        match index::poll(&self.client, form, etag.as_deref(), &mut self.budget).await? {
            Polled::Fresh(fresh) => {
                self.state.forms.insert(key, fresh);
            }
            Polled::Unchanged => {}
            Polled::NotCalled(reason) => {
                self.progress.line(&format!("form-{form}: index.json not fetched: {reason}"));
                self.tally.skipped += files * if self.args.tables { 2 } else { 1 };
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether `file` must be fetched; a local copy with the indexed sha256 is counted unchanged.
    fn needs(&mut self, file: &SeenFile) -> bool {
        let name = &file.filename;
        let recorded = self.state.files.get(name);
        let local = match state::local_file(&self.args.dir, name, recorded, self.args.verify) {
            Ok(local) => local,
            Err(e) => {
                let _ = self.fail(name, e);
                return false;
            }
        };
        match local {
            Some(local) if file.sha256.as_ref() == Some(&local.sha256) => {
                self.tally.unchanged += 1;
                // Unchanged unless the file was re-hashed after its mtime moved.
                self.state.files.insert(name.clone(), local);
                false
            }
            None => {
                self.state.files.remove(name);
                true
            }
            Some(_) => true,
        }
    }

    async fn start_jobs(
        &mut self,
        pending: &[(FormType, Month, usize)],
        downloads: usize,
        failed_months: &mut BTreeSet<(FormType, Month)>,
    ) -> Result<Vec<(FormType, Month, generate::Job)>, SyncError> {
        let run_id = uuid::Uuid::new_v4().to_string();
        let started =
            generate::start_all(&self.client, pending, downloads, &mut self.budget, &run_id, self.progress).await?;
        let mut jobs = Vec::new();
        for (&(form, month, _), started) in pending.iter().zip(started) {
            match started {
                Started::Job(job) => jobs.push((form, month, job)),
                Started::Failed(e) => {
                    failed_months.insert((form, month));
                    self.fail(&format!("form-{form} {month}"), e)?;
                }
                Started::NotCalled(reason) => self.progress.line(&format!("form-{form} {month}: {reason}")),
            }
        }
        Ok(jobs)
    }

    async fn fetch(&mut self, fetch: Fetch) -> Result<(), SyncError> {
        let name = fetch.filename;
        let want = Want { form: fetch.form, month: fetch.month, filename: &name };
        let wait = Duration::from_secs(self.args.pending_wait);
        match download::fetch(&self.client, &self.args.dir, &want, &mut self.budget, wait, self.progress).await {
            Ok(Fetched::File(file)) => {
                self.progress.line(&format!("downloaded {name} ({} bytes, sha256 {})", file.size, file.sha256));
                self.state.files.insert(name, file);
                self.tally.downloaded += 1;
                Ok(())
            }
            Ok(Fetched::Building(job)) => {
                self.progress.line(&format!(
                    "{name}: still being built on the server ({job}) after --pending-wait {} s",
                    self.args.pending_wait
                ));
                self.tally.pending.push(name);
                Ok(())
            }
            Ok(Fetched::NotCalled(reason)) => {
                self.progress.line(&format!("{name}: not downloaded: {reason}"));
                self.tally.skipped += 1;
                Ok(())
            }
            Err(e) => self.fail(&name, e),
        }
    }

    /// Reports the failure of a file or a month; a fatal error ends the run instead.
    fn fail(&mut self, subject: &str, e: SyncError) -> Result<(), SyncError> {
        if e.is_fatal() {
            return Err(e);
        }
        self.tally.failed += 1;
        self.progress.failure(&format!("failed {subject}: {e}"));
        Ok(())
    }
}

/// The tar.gz of a month the index shows no tar.gz for yet (pending): its
/// name is the `.jsonl.gz`'s with the other extension, and its download
/// call builds the month like the `.jsonl.gz`'s does.
fn tables_file(jsonl: &SeenFile) -> Option<SeenFile> {
    let stem = jsonl.filename.strip_suffix(".jsonl.gz")?;
    Some(SeenFile { filename: format!("{stem}.tar.gz"), sha256: None, size: None })
}
