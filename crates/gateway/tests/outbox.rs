//! The broker goes away: generate still answers, charges once and records
//! the job; the message waits in the outbox and is published with a
//! confirm once the broker is back. Nothing is charged without being
//! queued, nothing queued without being charged.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::TestGateway;
use insider_bulk_core::bundle_store::{BundleStore, StoreUrl};
use insider_bulk_core::db::outbox;
use insider_bulk_core::domain::{Month, Tier};
use insider_bulk_core::queue::{AnyQueue, JobQueue, RabbitConfig, RabbitQueue};
use insider_bulk_testing::{amqp_url, delete_queues, eventually, unique_queue_name, Backend};
use tokio::net::{TcpListener, TcpStream};

/// A TCP relay to RabbitMQ that can be cut: while `open` is false it drops
/// every connection, as a dead broker (or a network partition) would.
async fn cuttable_proxy(open: Arc<AtomicBool>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else { return };
            if !open.load(Ordering::SeqCst) {
                continue;
            }
            let open = open.clone();
            tokio::spawn(async move {
                let Ok(mut broker) = TcpStream::connect("127.0.0.1:5672").await else { return };
                let copy = tokio::io::copy_bidirectional(&mut client, &mut broker);
                tokio::pin!(copy);
                loop {
                    tokio::select! {
                        _ = &mut copy => return,
                        _ = tokio::time::sleep(Duration::from_millis(50)) => {
                            if !open.load(Ordering::SeqCst) {
                                return; // dropping both ends cuts the connection
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_waits_in_the_outbox_while_the_broker_is_down() {
    let open = Arc::new(AtomicBool::new(true));
    let proxy = cuttable_proxy(open.clone()).await;
    let queue_name = unique_queue_name();
    let via_proxy = amqp_url().replace("127.0.0.1:5672", &proxy.to_string());
    assert_ne!(via_proxy, amqp_url(), "TEST_AMQP_URL must point at 127.0.0.1:5672 for this test");
    let rabbit = RabbitQueue::connect(RabbitConfig { url: via_proxy, queue: queue_name.clone(), quorum: false })
        .await
        .expect("RabbitMQ is needed for this test (scripts/services.sh starts it)");
    let store_dir = tempfile::tempdir().unwrap();
    let store = BundleStore::open(&StoreUrl::Local(store_dir.path().join("bundles"))).unwrap();
    let gw = TestGateway::builder(Backend::Postgres)
        .store(store, store_dir)
        .relay_queue(AnyQueue::Rabbit(rabbit.clone()))
        .start()
        .await;
    let (account, key) = gw.account(Tier::Pro, 100).await;

    open.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let m = Month::current().previous().unwrap();
    let url = gw.url(&format!("/api/insiders/bulk/form-4/generate/{}/{}", m.year(), m.month()), &key);
    let response = gw.http.post(&url).send().await.unwrap();
    assert_eq!(response.status(), 200, "the call is accepted while the broker is down");
    assert_eq!(gw.balance(&account).await, 75);
    // The relay tries and fails (driven here, beside the gateway's own,
    // until one of them has recorded a failed publish), and the message stays.
    let dispatcher = insider_bulk_gateway::server::dispatcher(&gw.state, AnyQueue::Rabbit(rabbit.clone()));
    let failed_publishes = || {
        use diesel::prelude::*;
        use insider_bulk_core::db::schema::outbox as table;
        gw.db.run(|conn| Ok(table::table.select(diesel::dsl::max(table::attempts)).first::<Option<i32>>(conn)?))
    };
    eventually(Duration::from_secs(10), "a publish attempted while the broker is down", || async {
        assert_eq!(dispatcher.relay_once().await.unwrap(), 0, "nothing is confirmed while the broker is down");
        failed_publishes().await.unwrap().unwrap_or(0) > 0
    })
    .await;
    let (backlog, _) = gw.db.run(outbox::backlog).await.unwrap();
    assert_eq!(backlog, 1, "the message waits in the outbox");

    open.store(true, Ordering::SeqCst);
    let direct =
        RabbitQueue::connect(RabbitConfig { url: amqp_url(), queue: queue_name.clone(), quorum: false }).await.unwrap();
    eventually(Duration::from_secs(15), "the waiting message published once the broker came back", || async {
        gw.db.run(outbox::backlog).await.unwrap().0 == 0 && direct.depth().await.unwrap() == 1
    })
    .await;
    assert_eq!(gw.balance(&account).await, 75, "still charged exactly once");
    delete_queues(&queue_name).await;
}
