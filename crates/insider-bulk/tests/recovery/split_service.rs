//! Recovery in the split service: gateways and packers on PostgreSQL and
//! RabbitMQ, each hosting a dispatcher (relay and sweeper).

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_packer_s_job_is_recovered_by_the_gateway_sweeper() {
    let split = Split::new().await;
    let (form, m) = (FormType::Form4, month("2025-08"));
    fill(&split.db, form, m, BIG, 21).await;
    let (account, key) = admin::create_account(&split.db, "acme", Tier::Pro, 100).await.unwrap();
    let key = key.plaintext;
    let (gateway, base) = split.gateway("gateway").await;
    let mut first = split.packer("packer-1");
    split.wait_consumers(&base, 1, &gateway).await;

    let id = generate(&split.http, &base, &key, 4, m).await;
    let running = split.wait_state(&id, JobState::Running, Duration::from_secs(60), &[&gateway, &first]).await;
    assert_eq!(running.attempts, 1);
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let after_kill = job(&split.db, &id).await;
    assert_eq!(after_kill.state, JobState::Running, "killed mid-job (did it finish too fast to test the kill?)");
    let indexed = split.db.run(move |c| bundles::get(c, form, m)).await.unwrap();
    assert!(indexed.is_none(), "killed mid-job: the month must not be indexed: {indexed:?}");
    let visible = files_under(&split.store_dir());
    assert!(visible.is_empty(), "no partial bundle is visible in the store: {visible:?}");

    // The lease runs out; the gateway's sweeper queues the job again.
    let recovered = || async {
        match metric(&split.http, &base, &recovered_series("lease_expired")).await {
            n if n >= 1.0 => Ok(()),
            n => Err(format!("{n} recovered")),
        }
    };
    let what = "the sweeper to recover the expired lease";
    eventually_ok(Duration::from_secs(60), what, recovered, || format!("{after_kill:?}; {}", gateway.log_text())).await;
    let requeued = job(&split.db, &id).await;
    assert_eq!(requeued.state, JobState::Queued, "recovered: queued again, no lease: {requeued:?}");
    assert_eq!(requeued.lease_owner, None);

    let second = split.packer("packer-2");
    let done = split.wait_state(&id, JobState::Succeeded, Duration::from_secs(120), &[&gateway, &second]).await;
    assert_eq!(done.attempts, 2, "claimed once by each packer: {done:?}");
    let bundle = split.db.run(move |c| bundles::get(c, form, m)).await.unwrap().expect("indexed");
    assert_eq!(bundle.filing_count, BIG as i64);
    assert_eq!(bundle.last_job_id.as_ref().map(JobId::as_str), Some(id.as_str()));
    assert_eq!(done.result_sha256.as_deref(), Some(bundle.sha256.as_str()));
    let store = BundleStore::open(&StoreUrl::Local(split.store_dir())).unwrap();
    assert_eq!(store.sha256(&bundle.object_key).await.unwrap(), bundle.sha256, "the stored object is whole");

    let entries = ledger(&split.db, &account.id).await;
    assert_eq!(charges_and_refunds(&entries, &id), (vec![-25], vec![]), "charged once, never refunded: {entries:?}");
    let balance = split.db.run(move |c| accounts::get(c, &account.id)).await.unwrap().unwrap().balance;
    assert_eq!(balance, 75);
    assert!(metric(&split.http, &base, &recovered_series("lease_expired")).await >= 1.0);

    let again = generate(&split.http, &base, &key, 4, m).await;
    assert_ne!(again, id, "a finished job is not joined: a new call gets a new job");
    split.wait_state(&again, JobState::Succeeded, Duration::from_secs(120), &[&gateway, &second]).await;
    let mut second = second;
    signal(&second, "TERM");
    let status = second.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "SIGTERM: the packer stops cleanly with exit 0, got {status:?}");
    drop(second);
    drop(gateway);
    delete_queues(&split.queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_enqueue_at_random_loses_no_job() {
    let split = Split::new().await;
    let form = FormType::Form4;
    // A few months with filings; the others are empty, and an empty month packs too.
    for (m, seed) in [("2020-03", 1), ("2021-07", 2), ("2021-12", 3)] {
        fill(&split.db, form, month(m), 40, seed).await;
    }
    let mut rng = Rng::from_time();
    println!("kill delays seeded with {}", rng.0);

    let enqueue = ["enqueue", "--form", "4", "--from", "2020-01", "--to", "2021-12"];
    let killed = kill_at_random(&split, "enqueue", &enqueue, 20, 80, &mut rng);
    println!("enqueue: {killed} of 20 runs were killed before they finished");
    run_to_completion(&split, "enqueue-final", &enqueue);

    // Each of the 24 months has exactly one job, each with its message on the way.
    assert_eq!(split.count("SELECT count(*) FROM jobs"), 24);
    assert_eq!(split.count("SELECT count(DISTINCT period_month) FROM jobs WHERE form_type = 4"), 24);
    assert_eq!(split.count("SELECT count(*) FROM jobs WHERE state = 'queued'"), 24);
    // Each job committed with its outbox row; `enqueue` then publishes them
    // itself, so each is still in the outbox or was published.
    assert_eq!(
        split.count(
            "SELECT count(*) FROM jobs j WHERE dispatched_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id)"
        ),
        0,
        "a job neither waiting in the outbox nor published"
    );

    let (gateway, _) = split.gateway("gateway").await;
    let packer = split.packer("packer");
    wait_all_succeeded(&split, 24, Duration::from_secs(180), &[&gateway, &packer]).await;
    assert_eq!(split.count("SELECT count(*) FROM bundles WHERE form_type = 4"), 24, "every month indexed");
    drop(packer);
    drop(gateway);

    // The nightly run, killed the same way: it enqueues the recent months
    // whose filings changed, of every form (and moves the old bundles to
    // the cold tier).
    let recent: Vec<Month> = {
        let last = Month::current().previous().unwrap();
        vec![last, last.previous().unwrap(), last.previous().unwrap().previous().unwrap()]
    };
    for (n, m) in recent.iter().enumerate() {
        for f in FormType::ALL {
            fill(&split.db, f, *m, 30, 10 + n as u64).await;
        }
    }
    let killed = kill_at_random(&split, "nightly", &["nightly"], 10, 150, &mut rng);
    println!("nightly: {killed} of 10 runs were killed before they finished");
    run_to_completion(&split, "nightly-final", &["nightly"]);
    let in_recent = recent.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ");
    let nightly_jobs = format!(
        "SELECT count(*) FROM (SELECT DISTINCT form_type, period_month FROM jobs \
         WHERE period_month IN ({in_recent}) AND reason = 'nightly') months"
    );
    assert_eq!(
        (split.count(&nightly_jobs), split.count("SELECT count(*) FROM jobs WHERE reason = 'nightly'")),
        (9, 9),
        "one nightly job per changed month and form: {}",
        psql(&split.pg_url, "SELECT id, form_type, period_month, reason, state FROM jobs ORDER BY period_month")
    );
    assert_eq!(split.count("SELECT count(*) FROM jobs"), 24 + 9);
    assert_eq!(split.count("SELECT count(*) FROM jobs WHERE state = 'queued'"), 9);
    assert_eq!(
        split.count(
            "SELECT count(*) FROM jobs j WHERE state = 'queued' AND dispatched_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id)"
        ),
        0,
        "each nightly job is in the outbox or was published"
    );
    let (gateway, _) = split.gateway("gateway-2").await;
    let packer = split.packer("packer-2");
    wait_all_succeeded(&split, 24 + 9, Duration::from_secs(120), &[&gateway, &packer]).await;
    let cold = split.count("SELECT count(*) FROM bundles WHERE period_month < '2022-01' AND storage = 'cold'");
    assert_eq!(cold, 24, "the finished nightly run moved every old month to the cold tier");
    drop(packer);
    drop(gateway);
    delete_queues(&split.queue).await;
}

/// Runs the packer subcommand `runs` times, each SIGKILLed after a random
/// delay below `max_millis`; returns how many were killed before exiting.
fn kill_at_random(split: &Split, name: &str, args: &[&str], runs: usize, max_millis: u64, rng: &mut Rng) -> usize {
    let mut killed = 0;
    for n in 0..runs {
        let delay = Duration::from_millis(rng.below(max_millis));
        let mut process =
            Process::start(&format!("{name}-{n}"), binary("insider-bulk-packer"), args, &split.env(), split.dir.path());
        std::thread::sleep(delay);
        if process.child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        process.child.kill().unwrap();
        let status = process.child.wait().unwrap();
        // Either killed, or it had finished: never a failure of its own.
        assert!(status.code().is_none_or(|c| c == 0), "{name} run {n} failed: {}", process.log_text());
        assert_no_month_with_two_open_jobs(split);
        let queued = split.count("SELECT count(*) FROM jobs WHERE state = 'queued'");
        let messages = split.count("SELECT count(*) FROM outbox");
        println!("{name} run {n}: SIGKILL after {delay:?} ({status}): {queued} queued jobs, {messages} outbox rows");
        // The command publishes what it recorded: a queued job is in the
        // outbox or was published, never neither.
        let unsent = "SELECT count(*) FROM jobs j WHERE state = 'queued' AND dispatched_at IS NULL \
                      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id)";
        assert_eq!(split.count(unsent), 0, "a job was committed without its outbox row");
        assert!(messages <= queued, "no outbox row without its queued job");
    }
    killed
}

fn run_to_completion(split: &Split, name: &str, args: &[&str]) {
    let mut process = Process::start(name, binary("insider-bulk-packer"), args, &split.env(), split.dir.path());
    let status = process.wait_exit(Duration::from_secs(120));
    assert!(status.success(), "{name}: {status:?}: {}", process.log_text());
}

fn assert_no_month_with_two_open_jobs(split: &Split) {
    let doubled = psql(
        &split.pg_url,
        "SELECT form_type, period_month, count(*) FROM jobs WHERE state IN ('queued', 'running') \
         GROUP BY form_type, period_month HAVING count(*) > 1",
    );
    assert!(doubled.is_empty(), "months with more than one open job: {doubled}");
}

async fn wait_all_succeeded(split: &Split, total: i64, timeout: Duration, logs: &[&Process]) {
    let all_succeeded = || async {
        assert_no_month_with_two_open_jobs(split);
        assert_eq!(split.count("SELECT count(*) FROM jobs WHERE state = 'failed'"), 0, "{}", describe(logs));
        if split.count("SELECT count(*) FROM jobs WHERE state = 'succeeded'") == total {
            return Ok(());
        }
        Err(psql(&split.pg_url, "SELECT period_month, state, attempts FROM jobs ORDER BY period_month"))
    };
    eventually_ok(timeout, &format!("all {total} jobs to succeed"), all_succeeded, || describe(logs)).await;
    assert_eq!(split.count("SELECT count(*) FROM jobs"), total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_queue_and_a_deleted_queue_lose_no_job() {
    let split = Split::new().await;
    let (account, key) = admin::create_account(&split.db, "acme", Tier::Pro, 1000).await.unwrap();
    let key = key.plaintext;
    let (gateway, base) = split.gateway("gateway").await;
    let lost = recovered_series("message_lost");

    // Purged: the messages are gone, the jobs are still queued in the database.
    let months: Vec<Month> = ["2024-01", "2024-02", "2024-03", "2024-04"].map(month).to_vec();
    let ids = generate_and_wait_in_queue(&split, &base, &key, &months, &gateway).await;
    let conn = lapin::Connection::connect(&amqp_url(), Default::default()).await.unwrap();
    let channel = conn.create_channel().await.unwrap();
    let purged = channel.queue_purge(split.queue.as_str().into(), Default::default()).await.unwrap();
    assert_eq!(purged, 4, "the four messages were purged");
    let (mut packer, packer_base) = split.packer_with_metrics("packer-1");
    for id in &ids {
        let done = split.wait_state(id, JobState::Succeeded, Duration::from_secs(120), &[&gateway, &packer]).await;
        assert!(done.attempts >= 2, "the lost message counts an attempt, the run another: {done:?}");
    }
    // The gateway's sweeper and the packer's both sweep: each recovery is
    // counted by the one that made it.
    let recovered = metric(&split.http, &base, &lost).await + metric(&split.http, &packer_base, &lost).await;
    assert!(recovered >= 4.0, "four messages were recovered as lost, {recovered} counted");
    let by_first_packer = metric(&split.http, &packer_base, &lost).await;
    packer.terminate();

    // Deleted: nothing can route to the queue until someone declares it again.
    let months: Vec<Month> = ["2024-05", "2024-06", "2024-07", "2024-08"].map(month).to_vec();
    let more = generate_and_wait_in_queue(&split, &base, &key, &months, &gateway).await;
    channel.queue_delete(split.queue.as_str().into(), Default::default()).await.unwrap();
    assert_eq!(queue_depth(&split.queue).await, None, "the queue is gone");
    let _ = conn.close(200, "done".into()).await;
    let (packer, packer_base) = split.packer_with_metrics("packer-2");
    for id in &more {
        let done = split.wait_state(id, JobState::Succeeded, Duration::from_secs(120), &[&gateway, &packer]).await;
        assert!(done.attempts >= 2, "{done:?}");
    }
    assert!(queue_depth(&split.queue).await.is_some(), "the packer declared the queue again");
    let recovered =
        metric(&split.http, &base, &lost).await + by_first_packer + metric(&split.http, &packer_base, &lost).await;
    assert!(recovered >= 8.0, "four more messages were recovered as lost, {recovered} counted in all");

    // Eight jobs, eight charges, no refund.
    let entries = ledger(&split.db, &account.id).await;
    for id in ids.iter().chain(&more) {
        assert_eq!(charges_and_refunds(&entries, id), (vec![-25], vec![]), "{entries:?}");
    }
    assert_eq!(split.count("SELECT count(*) FROM jobs"), 8);
    drop(packer);
    drop(gateway);
    delete_queues(&split.queue).await;
}

/// No gateway at all: packers host the dispatcher. A job recorded through
/// the outbox is published by a packer's relay; its packer is killed mid-job
/// and another packer's sweeper queues it again; it succeeds once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packers_alone_relay_and_recover_a_job_with_no_gateway() {
    let split = Split::new().await;
    let (form, m) = (FormType::Form4, month("2025-07"));
    fill(&split.db, form, m, BIG, 31).await;
    let mut first = split.packer("packer-1");
    let row = GenerateJob::system(form, m, insider_bulk_core::domain::JobReason::OnDemand).queued_row();
    let id = row.id.to_string();
    split.db.run(move |conn| jobs::enqueue(conn, &row)).await.unwrap();

    let running = split.wait_state(&id, JobState::Running, Duration::from_secs(60), &[&first]).await;
    assert_eq!(running.attempts, 1, "the packer's own relay published the job");
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert_eq!(job(&split.db, &id).await.state, JobState::Running, "killed mid-job");

    let second = split.packer("packer-2");
    let done = split.wait_state(&id, JobState::Succeeded, Duration::from_secs(120), &[&second]).await;
    assert_eq!(done.attempts, 2, "recovered once by the second packer's sweeper: {done:?}");
    let indexed = split.db.run(move |c| bundles::get(c, form, m)).await.unwrap();
    assert!(
        indexed.is_some_and(|b| b.last_job_id.as_ref().map(JobId::as_str) == Some(id.as_str())),
        "the month is indexed"
    );
    drop(second);
    delete_queues(&split.queue).await;
}

/// Not one of the faults above: nothing is killed and no message is lost.
/// A backfill of months that each take a few seconds to pack waits in the
/// queue behind one packer; every job should run once and succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_waiting_behind_one_packer_is_not_taken_for_lost_messages() {
    let split = Split::new().await;
    let months: Vec<Month> = (1..=10).map(|n| month(&format!("2023-{n:02}"))).collect();
    for (n, m) in months.iter().enumerate() {
        fill(&split.db, FormType::Form4, *m, 2000, 40 + n as u64).await;
    }
    // Recorded before any gateway runs: the relay publishes them as one batch.
    run_to_completion(&split, "enqueue", &["enqueue", "--form", "4", "--from", "2023-01", "--to", "2023-10"]);
    let (gateway, base) = split.gateway("gateway").await;
    let packer = split.packer("packer");
    let finished = || async {
        match split.count("SELECT count(*) FROM jobs WHERE state IN ('succeeded', 'failed')") {
            10 => Ok(()),
            _ => Err(psql(&split.pg_url, "SELECT period_month, state, attempts FROM jobs ORDER BY 1")),
        }
    };
    eventually_ok(Duration::from_secs(300), "every job to finish", finished, String::new).await;
    let jobs = psql(&split.pg_url, "SELECT period_month, state, attempts, error FROM jobs ORDER BY period_month");
    let lost = metric(&split.http, &base, &recovered_series("message_lost")).await;
    println!("message_lost recoveries: {lost}\n{jobs}");
    assert_eq!(split.count("SELECT count(*) FROM jobs WHERE state = 'failed'"), 0, "jobs failed for good:\n{jobs}");
    // The design allows one false "lost" per job (a duplicate message and one attempt), not a run of them.
    assert_eq!(
        split.count("SELECT count(*) FROM jobs WHERE attempts > 2"),
        0,
        "jobs recovered again and again:\n{jobs}"
    );
    drop(packer);
    drop(gateway);
    delete_queues(&split.queue).await;
}

/// One generate call per month with no packer running; waits until the
/// relay published them all (the outbox is empty) and the queue holds them.
async fn generate_and_wait_in_queue(
    split: &Split,
    base: &str,
    key: &str,
    months: &[Month],
    gateway: &Process,
) -> Vec<String> {
    let before = queue_depth(&split.queue).await.unwrap_or(0);
    assert_eq!(before, 0, "the queue starts empty");
    let mut ids = Vec::new();
    for m in months {
        ids.push(generate(&split.http, base, key, 4, *m).await);
    }
    let published = || async {
        let (backlog, depth) = (outbox_backlog(&split.db).await, queue_depth(&split.queue).await);
        if backlog == 0 && depth == Some(months.len() as u32) {
            Ok(())
        } else {
            Err(format!("outbox {backlog}, queue {depth:?}"))
        }
    };
    eventually_ok(Duration::from_secs(60), "the relay to publish every job", published, || gateway.log_text()).await;
    for id in &ids {
        let row = job(&split.db, id).await;
        assert_eq!(row.state, JobState::Queued);
        assert!(row.dispatched_at.is_some(), "the relay stamped the dispatch: {row:?}");
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_message_delivered_twice_packs_the_month_once() {
    let split = Split::new().await;
    let (form, m) = (FormType::Form4, month("2025-07"));
    fill(&split.db, form, m, BIG, 22).await;
    let (_, key) = admin::create_account(&split.db, "acme", Tier::Pro, 100).await.unwrap();
    let (gateway, base) = split.gateway("gateway").await;
    let packers = [split.packer("packer-1"), split.packer("packer-2")];
    split.wait_consumers(&base, 2, &gateway).await;
    let logs = [&gateway, &packers[0], &packers[1]];

    let id = generate(&split.http, &base, &key.plaintext, 4, m).await;
    let running = split.wait_state(&id, JobState::Running, Duration::from_secs(60), &logs).await;
    // The same message again, while the first delivery runs.
    let rabbit = RabbitQueue::connect(RabbitConfig { url: amqp_url(), queue: split.queue.clone(), quorum: false })
        .await
        .unwrap();
    rabbit.publish(GenerateJob::from_row(&running).encode()).await.unwrap();
    let settled = || async {
        match packers.iter().any(|p| p.log_text().contains("HeldElsewhere")) {
            true => Ok(()),
            false => Err("no packer logged HeldElsewhere".to_owned()),
        }
    };
    let what = "the other packer to settle the duplicate";
    eventually_ok(Duration::from_secs(60), what, settled, || describe(&logs)).await;
    let still = job(&split.db, &id).await;
    assert_eq!(still.state, JobState::Running, "the duplicate arrived while the job ran: {still:?}");

    let done = split.wait_state(&id, JobState::Succeeded, Duration::from_secs(120), &logs).await;
    assert_eq!(done.attempts, 1, "the duplicate did not count as a run: {done:?}");
    assert_eq!(done.lease_owner, None);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(rabbit.depth().await.unwrap(), 0, "both messages were settled");
    let written: Vec<PathBuf> = files_under(&split.store_dir())
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(&format!("form-4-{m}"))))
        .collect();
    // One pack writes the month's two files, once each.
    assert_eq!(written.len(), 2, "the month was packed once: {written:?}");
    let bundle = split.db.run(move |c| bundles::get(c, form, m)).await.unwrap().unwrap();
    assert_eq!(bundle.last_job_id.as_ref().map(JobId::as_str), Some(id.as_str()));
    for key in [&bundle.object_key, &bundle.jsonl_object_key] {
        assert!(written.iter().any(|p| p.ends_with(key)), "{written:?} vs {key}");
    }
    drop(packers);
    drop(gateway);
    delete_queues(&split.queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_another_account_s_job_lets_it_see_the_job() {
    let split = Split::new().await;
    let (form, m) = (FormType::Form4, month("2025-06"));
    fill(&split.db, form, m, BIG, 23).await;
    let (a, a_key) = admin::create_account(&split.db, "alpha", Tier::Pro, 100).await.unwrap();
    let (b, b_key) = admin::create_account(&split.db, "beta", Tier::Pro, 100).await.unwrap();
    let (_, c_key) = admin::create_account(&split.db, "gamma", Tier::Pro, 100).await.unwrap();
    let (a_key, b_key, c_key) = (a_key.plaintext, b_key.plaintext, c_key.plaintext);
    let (gateway, base) = split.gateway("gateway").await;
    let packer = split.packer("packer");
    split.wait_consumers(&base, 1, &gateway).await;

    let id = generate(&split.http, &base, &a_key, 4, m).await;
    let joined = generate(&split.http, &base, &b_key, 4, m).await;
    assert_eq!(joined, id, "the month's open job is joined");
    let open = job(&split.db, &id).await;
    assert!(open.state.is_open(), "B joined an open job: {open:?}");

    let (status, view) = job_view(&split.http, &base, &b_key, &id).await;
    assert_eq!(status, 200, "B joined the job and may see it: {view}");
    assert_eq!(view["job_id"], id.as_str());
    let (status, _) = job_view(&split.http, &base, &c_key, &id).await;
    assert_eq!(status, 404, "an account that did not join learns nothing");

    let entries = ledger(&split.db, &b.id).await;
    assert_eq!(entries.len(), 1, "B: only its grant, no charge: {entries:?}");
    assert_eq!(entries[0].entry_kind, LedgerKind::Grant);
    let entries = ledger(&split.db, &a.id).await;
    assert_eq!(charges_and_refunds(&entries, &id), (vec![-25], vec![]));

    split.wait_state(&id, JobState::Succeeded, Duration::from_secs(120), &[&gateway, &packer]).await;
    let (status, view) = job_view(&split.http, &base, &b_key, &id).await;
    assert_eq!((status, view["state"].as_str()), (200, Some("succeeded")), "{view}");
    drop(packer);
    drop(gateway);
    delete_queues(&split.queue).await;
}
