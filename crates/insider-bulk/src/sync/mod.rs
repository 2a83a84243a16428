//! `insider-bulk sync`: mirrors months of bundles into a directory. Polls
//! each form's index with `If-None-Match`, downloads what is new or
//! changed (resuming, verifying, renaming into place only when whole),
//! optionally generates pending months within a token bound, and keeps
//! `DIR/.insider-bulk-sync.json` so that an idle run costs one 304 per form.

mod client;
mod download;
mod error;
mod generate;
mod index;
mod progress;
mod state;

use std::path::PathBuf;
use std::process::ExitCode;

use insider_bulk_core::domain::{FormType, Month};

use client::Client;
use download::{file_name, Want};
use error::SyncError;
use generate::Started;
use progress::Progress;
use state::State;

#[derive(clap::Args, Debug)]
pub struct SyncArgs {
    /// The service's base URL, e.g. https://bulk.example.com.
    #[arg(long, value_name = "URL", env = "INSIDER_BULK_URL")]
    url: String,
    /// An API key (sent as the api_Token query parameter).
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
    /// Also call generate for pending months in the range (cold ones too).
    #[arg(long, requires = "max_tokens")]
    generate_pending: bool,
    /// The most tokens the generate calls of this run may spend.
    #[arg(long, value_name = "N", requires = "generate_pending")]
    max_tokens: Option<u64>,
    /// Hash every local file again, not only those whose size or mtime moved.
    #[arg(long)]
    verify: bool,
}

#[derive(Default)]
struct Tally {
    downloaded: usize,
    unchanged: usize,
    generated: usize,
    failed: usize,
    pending: usize,
}

/// Exit status: 0 all months synced, 1 some month failed, 2 the run could
/// not go on (bad arguments, URL, key, unreachable server, unusable DIR).
pub fn main(args: SyncArgs) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let progress = Progress::new();
    match runtime.block_on(run(&args, &progress)) {
        Ok(tally) => {
            if tally.pending > 0 {
                progress.line(&format!(
                    "{} month(s) in the range are pending on the server: --generate-pending --max-tokens N builds them",
                    tally.pending
                ));
            }
            progress.line(&format!(
                "downloaded {}, unchanged {}, generated {}, failed {}",
                tally.downloaded, tally.unchanged, tally.generated, tally.failed
            ));
            if tally.failed > 0 {
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
    let loaded = State::load(&args.dir)?;
    let mut sync = Sync { args, client, progress, state: loaded.clone(), tally: Tally::default() };
    let outcome = sync.all(to).await;
    // What was fetched before a fatal error stays recorded.
    if sync.state != loaded {
        sync.state.save(&args.dir)?;
    }
    outcome.map(|()| sync.tally)
}

struct Sync<'a> {
    args: &'a SyncArgs,
    client: Client,
    progress: &'a Progress,
    state: State,
    tally: Tally,
}

/// A month to fetch and the sha256 it must have.
struct Fetch {
    form: FormType,
    month: Month,
    sha256: String,
    size: Option<u64>,
}

enum Plan {
    Fetch(Fetch),
    Generate,
    /// Held already, pending and left alone, or failed and reported.
    Nothing,
}

impl Sync<'_> {
    async fn all(&mut self, to: Month) -> Result<(), SyncError> {
        let months: Vec<Month> = to.coverage_through().filter(|m| *m >= self.args.from).collect();
        let mut forms = self.args.forms.clone();
        forms.sort();
        forms.dedup();
        let mut fetches = Vec::new();
        let mut pending = Vec::new();
        for form in forms {
            self.poll(form).await?;
            for &month in &months {
                match self.plan(form, month) {
                    Plan::Fetch(fetch) => fetches.push(fetch),
                    Plan::Generate => pending.push((form, month)),
                    Plan::Nothing => {}
                }
            }
        }
        // Generate first, so that the service packs while available months download.
        let jobs = match self.args.max_tokens.filter(|_| self.args.generate_pending && !pending.is_empty()) {
            Some(max_tokens) => self.start_jobs(&pending, max_tokens).await?,
            None => Vec::new(),
        };
        for fetch in fetches {
            self.fetch(fetch).await?;
        }
        for (form, month, job) in jobs {
            match generate::wait(&self.client, &job).await {
                Ok(sha256) => {
                    self.tally.generated += 1;
                    self.fetch(Fetch { form, month, sha256, size: None }).await?;
                }
                Err(e) => self.fail(form, month, e)?,
            }
        }
        Ok(())
    }

    /// Brings the state's copy of the form's index up to date.
    async fn poll(&mut self, form: FormType) -> Result<(), SyncError> {
        let key = form.to_string();
        let etag = self.state.forms.get(&key).and_then(|f| f.etag.clone());
        if let Some(fresh) = index::poll(&self.client, form, etag.as_deref()).await? {
            self.state.forms.insert(key, fresh);
        }
        Ok(())
    }

    /// What a month needs, counting the months that need nothing.
    fn plan(&mut self, form: FormType, month: Month) -> Plan {
        let name = file_name(form, month);
        let recorded = self.state.files.get(&name);
        let local = match state::local_file(&self.args.dir, &name, recorded, self.args.verify) {
            Ok(local) => local,
            Err(e) => {
                let _ = self.fail(form, month, e);
                return Plan::Nothing;
            }
        };
        let entry = self.state.forms.get(&form.to_string()).and_then(|f| f.months.get(&month.to_string())).cloned();
        match (local, entry) {
            (Some(local), Some(entry)) if local.sha256 == entry.sha256 => {
                self.tally.unchanged += 1;
                // Unchanged unless the file was re-hashed after its mtime moved.
                self.state.files.insert(name, local);
                Plan::Nothing
            }
            (local, entry) => {
                if local.is_none() {
                    self.state.files.remove(&name);
                }
                match entry {
                    Some(entry) if entry.status == "available" => {
                        Plan::Fetch(Fetch { form, month, sha256: entry.sha256, size: entry.size })
                    }
                    _ if self.args.generate_pending => Plan::Generate,
                    _ => {
                        self.tally.pending += 1;
                        Plan::Nothing
                    }
                }
            }
        }
    }

    async fn start_jobs(
        &mut self,
        pending: &[(FormType, Month)],
        max_tokens: u64,
    ) -> Result<Vec<(FormType, Month, generate::Job)>, SyncError> {
        let cost = generate::cost(&self.client, self.progress).await?;
        let run_id = uuid::Uuid::new_v4().to_string();
        let started = generate::start_all(&self.client, pending, cost, max_tokens, &run_id, self.progress).await?;
        let mut jobs = Vec::new();
        for (&(form, month), started) in pending.iter().zip(started) {
            match started {
                Started::Job(job) => jobs.push((form, month, job)),
                Started::Failed(e) => self.fail(form, month, e)?,
                Started::NotCalled(reason) => self.progress.line(&format!("form-{form} {month}: {reason}")),
            }
        }
        Ok(jobs)
    }

    async fn fetch(&mut self, fetch: Fetch) -> Result<(), SyncError> {
        let want = Want { form: fetch.form, month: fetch.month, sha256: &fetch.sha256, size: fetch.size };
        match download::fetch(&self.client, &self.args.dir, &want, self.progress).await {
            Ok(file) => {
                let name = file_name(fetch.form, fetch.month);
                self.progress.line(&format!("downloaded {name} ({} bytes, sha256 {})", file.size, file.sha256));
                self.state.files.insert(name, file);
                self.tally.downloaded += 1;
                Ok(())
            }
            Err(e) => self.fail(fetch.form, fetch.month, e),
        }
    }

    /// Reports a month's failure; a fatal error ends the run instead.
    fn fail(&mut self, form: FormType, month: Month, e: SyncError) -> Result<(), SyncError> {
        if e.is_fatal() {
            return Err(e);
        }
        self.tally.failed += 1;
        self.progress.failure(&format!("failed form-{form} {month}: {e}"));
        Ok(())
    }
}
