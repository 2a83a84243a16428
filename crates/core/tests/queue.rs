//! The RabbitMQ queue against the real broker: confirms, manual acks,
//! retry with the attempt count, dead-lettering, redelivery after a
//! consumer dies. Each test uses its own queue names and deletes them.

use insider_bulk_core::queue::{JobConsumer, JobQueue, RabbitConfig, RabbitQueue};
use insider_bulk_testing::{amqp_url, delete_queues, unique_queue_name};

struct TestQueue {
    queue: RabbitQueue,
}

impl TestQueue {
    async fn new(quorum: bool) -> Self {
        let name = unique_queue_name();
        let config = RabbitConfig { url: amqp_url(), queue: name, quorum };
        let queue = RabbitQueue::connect(config).await.unwrap_or_else(|e| {
            panic!("RabbitMQ is required for this test but is not reachable at {}: {e}", amqp_url())
        });
        TestQueue { queue }
    }

    async fn delete(self) {
        delete_queues(&self.queue.config().queue).await;
    }
}

async fn eventually_depth(queue: &RabbitQueue, dead: bool, expected: u64) {
    let what = format!("queue depth (dead: {dead}) at {expected}");
    insider_bulk_testing::eventually(std::time::Duration::from_secs(5), &what, || async {
        if dead { queue.dead_letter_depth().await } else { queue.depth().await }.unwrap() == expected
    })
    .await;
}

async fn settles_every_way(quorum: bool) {
    let test = TestQueue::new(quorum).await;
    let queue = test.queue.clone();
    for payload in [b"ack".to_vec(), b"retry".to_vec(), b"dead".to_vec()] {
        queue.publish(payload).await.unwrap();
    }
    eventually_depth(&queue, false, 3).await;

    let mut consumer = queue.consume(1).await.unwrap();
    let first = consumer.next().await.unwrap();
    assert_eq!((first.payload.as_slice(), first.attempt), (&b"ack"[..], 1));
    first.ack().await.unwrap();
    let second = consumer.next().await.unwrap();
    assert_eq!(second.payload, b"retry");
    second.requeue().await.unwrap();
    // The broker puts a requeued message back where it was; either order
    // of the next two is a working queue.
    for _ in 0..2 {
        let next = consumer.next().await.unwrap();
        match next.payload.as_slice() {
            b"retry" => {
                assert_eq!(next.attempt, 2, "a requeued message counts as redelivered");
                next.ack().await.unwrap();
            }
            b"dead" => next.dead_letter().await.unwrap(),
            other => panic!("unexpected message {other:?}"),
        }
    }

    eventually_depth(&queue, true, 1).await;
    eventually_depth(&queue, false, 0).await;
    drop(consumer);
    test.delete().await;
}

#[tokio::test]
async fn classic_queue_settles_every_way() {
    settles_every_way(false).await;
}

#[tokio::test]
async fn quorum_queue_settles_every_way() {
    settles_every_way(true).await;
}

#[tokio::test]
async fn unacked_message_is_redelivered_to_the_next_consumer() {
    let test = TestQueue::new(false).await;
    test.queue.publish(b"job".to_vec()).await.unwrap();
    {
        // A separate connection stands for a packer that dies mid-job.
        let doomed = RabbitQueue::connect(test.queue.config().clone()).await.unwrap();
        let mut consumer = doomed.consume(1).await.unwrap();
        let delivery = consumer.next().await.unwrap();
        assert_eq!(delivery.attempt, 1);
        std::mem::forget(delivery);
        drop(consumer);
        drop(doomed);
    }
    let mut survivor = test.queue.consume(1).await.unwrap();
    let again = tokio::time::timeout(std::time::Duration::from_secs(20), survivor.next()).await.unwrap().unwrap();
    assert_eq!(again.payload, b"job");
    assert_eq!(again.attempt, 2, "a redelivery counts as an attempt");
    again.ack().await.unwrap();
    drop(survivor);
    test.delete().await;
}
