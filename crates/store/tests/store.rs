//! The store and the dispatcher: an event handled once, a batch as one transaction,
//! delivery at least once and in order per channel across crashes, rate limits,
//! failures and a second process. Every test runs on a real SQLite file and a real
//! PostgreSQL database. The engine's own behaviour is tested in the root package's
//! `tests/engine/`, whose harness this file shares.

#[path = "../../../tests/engine/desk.rs"]
mod desk;

use std::sync::Arc;
use std::time::Duration;

use relaydesk_core::adapter::{Body, OutboundKind, Payload};
use relaydesk_core::store::{DeliveryState, NewOutbound, OutboxQueue, Reports, RowAction};
use relaydesk_core::Store;
use relaydesk_core::{Content, Handled, SendError};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::desk::{ada, on_both, Desk, TestDb};

on_both!(
    repeated_inbound_is_handled_once,
    a_batch_is_one_transaction_and_skips_repeats,
    crash_between_commit_and_delivery_delivers_once,
    two_dispatchers_deliver_each_row_once_in_order,
    rate_limit_is_honoured_in_order,
    a_temporary_failure_keeps_the_channel_in_order,
    agents_hear_when_a_reply_cannot_be_delivered,
    a_repeated_key_is_a_unique_violation,
);

async fn repeated_inbound_is_handled_once(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let ev = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Text("my invoice is wrong".into()),
    );
    assert_eq!(desk.engine.handle(&ev).await.unwrap(), Handled::Done);
    assert_eq!(desk.engine.handle(&ev).await.unwrap(), Handled::Duplicate);
    desk.deliver().await;
    assert_eq!(desk.to_user().len(), 1, "one reply, not two");
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    assert_eq!(
        detail
            .messages
            .iter()
            .filter(|m| m.body == "my invoice is wrong")
            .count(),
        1
    );
}

async fn a_batch_is_one_transaction_and_skips_repeats(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let open = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Text("talk to an agent".into()),
    );
    let hello = desk.event("chat:dm-ada", &ada(), Content::Text("hello?".into()));
    let handled = desk
        .engine
        .handle_batch(&[open.clone(), hello.clone(), hello.clone()])
        .await
        .unwrap();
    assert_eq!(handled, [Handled::Done, Handled::Done, Handled::Duplicate]);
    desk.deliver().await;
    let relayed: Vec<String> = desk
        .to_agents()
        .into_iter()
        .map(|(o, _)| o.text().into_owned())
        .collect();
    assert_eq!(
        relayed.iter().filter(|t| t.as_str() == "hello?").count(),
        1,
        "{relayed:?}"
    );
    assert!(
        relayed[2..].iter().all(|t| t == "hello?"),
        "the second message follows its ticket: {relayed:?}"
    );
}

async fn crash_between_commit_and_delivery_delivers_once(db: &TestDb) {
    {
        let desk = Desk::new(db.store().await).await;
        desk.user_says("talk to an agent").await;
        // No dispatcher ran: the process "dies" with three rows committed.
        desk.store.close().await;
    }
    let desk = Desk::new(db.store().await).await;
    desk.deliver().await;
    desk.deliver().await;
    assert_eq!(desk.to_user().len(), 1);
    assert_eq!(desk.to_agents().len(), 2, "card and transcript, once each");
    assert_eq!(
        desk.store.pending("chat").await.unwrap() + desk.store.pending("desk").await.unwrap(),
        0
    );
}

async fn two_dispatchers_deliver_each_row_once_in_order(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let before = desk.open_ticket().await;
    for i in 0..200 {
        desk.user_says(&format!("message {i}")).await;
    }
    let stop = CancellationToken::new();
    let a = tokio::spawn(desk.dispatcher(db.store().await, "a").run(stop.clone()));
    let b = tokio::spawn(desk.dispatcher(db.store().await, "b").run(stop.clone()));
    assert!(
        desk.desk
            .wait_for(before + 200, Duration::from_secs(30))
            .await,
        "all 200 delivered"
    );
    stop.cancel();
    a.await.unwrap();
    b.await.unwrap();
    let relayed: Vec<String> = desk.to_agents()[before..]
        .iter()
        .map(|(o, _)| o.text().into_owned())
        .collect();
    let expected: Vec<String> = (0..200).map(|i| format!("message {i}")).collect();
    assert_eq!(relayed, expected, "each once, in order");
}

async fn rate_limit_is_honoured_in_order(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let before = desk.open_ticket().await;
    desk.desk.fail_next([SendError::RateLimited {
        retry_after: Duration::from_secs(3),
    }]);
    for i in 0..3 {
        desk.user_says(&format!("burst {i}")).await;
    }
    desk.deliver().await;
    assert_eq!(
        desk.to_agents().len(),
        before,
        "nothing goes out before Retry-After"
    );
    desk.clock.advance(2_000);
    desk.deliver().await;
    assert_eq!(desk.to_agents().len(), before);
    desk.clock.advance(1_000);
    desk.deliver().await;
    let texts: Vec<String> = desk.to_agents()[before..]
        .iter()
        .map(|(o, _)| o.text().into_owned())
        .collect();
    assert_eq!(texts, ["burst 0", "burst 1", "burst 2"]);
}

async fn a_temporary_failure_keeps_the_channel_in_order(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let before = desk.open_ticket().await;
    desk.desk
        .fail_next([SendError::Transient("connection reset".into())]);
    for i in 0..3 {
        desk.user_says(&format!("try {i}")).await;
    }
    desk.deliver().await;
    assert_eq!(
        desk.to_agents().len(),
        before,
        "nothing overtakes the failed message"
    );
    desk.clock.advance(1_000);
    desk.deliver().await;
    let texts: Vec<String> = desk.to_agents()[before..]
        .iter()
        .map(|(o, _)| o.text().into_owned())
        .collect();
    assert_eq!(texts, ["try 0", "try 1", "try 2"]);
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    let retried = detail
        .deliveries
        .iter()
        .find(|d| d.attempts == 1)
        .expect("the failed row counts its attempt");
    assert_eq!(retried.last_error.as_deref(), Some("connection reset"));
}

async fn agents_hear_when_a_reply_cannot_be_delivered(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    let thread = desk.card_thread();
    desk.chat
        .fail_next([SendError::Permanent("channel_not_found".into())]);
    desk.agent_says(&thread, "Here is the fix.").await;
    desk.deliver().await;
    let last = desk.to_agents().last().unwrap().0.clone();
    assert!(
        last.text()
            .contains("could not be delivered (channel_not_found)"),
        "{}",
        last.text()
    );
    assert_eq!(last.to.thread.as_deref(), Some(thread.as_str()));
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    assert!(detail
        .deliveries
        .iter()
        .any(|d| d.state == DeliveryState::Failed));
    assert!(
        detail.messages.iter().any(|m| m.body == "Here is the fix."),
        "the reply is kept"
    );
}

/// Another process's commit wakes this one's dispatcher through LISTEN/NOTIFY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_commits_wake_other_processes() {
    let db = TestDb::new("postgres").await;
    let listening = db.store().await;
    let woken = Arc::new(Notify::new());
    listening.watch_outbox(woken.clone()).await.expect("listen");
    let notified = woken.notified();
    let desk = Desk::new(db.store().await).await;
    desk.user_says("talk to an agent").await;
    let woke = tokio::time::timeout(Duration::from_secs(5), notified).await;
    db.drop_pg().await;
    assert!(woke.is_ok(), "no notification reached the other store");
}

async fn a_repeated_key_is_a_unique_violation(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.open_ticket().await;
    let row = NewOutbound {
        conversation_id: 1,
        message_id: None,
        to: "chat:dm-ada".parse().unwrap(),
        parent_id: None,
        action: RowAction::Post,
        idempotency_key: "the-same-key".into(),
        payload: Payload {
            kind: OutboundKind::Bot,
            sender: None,
            body: Body::Text("once".into()),
        },
    };
    let mut tx = desk.store.begin().await.unwrap();
    tx.enqueue(&row, 0).await.unwrap();
    let again = tx.enqueue(&row, 0).await.unwrap_err();
    assert!(again.is_unique(), "{again:?}");
    assert!(
        std::error::Error::source(&again).is_some(),
        "the driver's error is kept: {again:?}"
    );
}
