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
use relaydesk_core::clock::Clock;
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
    a_backlog_is_claimed_in_one_read_around_the_held_channels,
    a_dead_process_claims_are_taken_over_at_once_in_doubt,
    each_delivery_is_recorded_as_it_happens,
    catch_up_names_open_places_and_the_newest_message,
    a_second_process_waits_for_the_write_lock_and_loses_nothing,
    a_begin_given_up_while_waiting_leaves_nothing_open,
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

/// Runs `sql` on the test database, outside the store.
async fn raw(db: &TestDb, sql: &str) {
    use sqlx::Connection;
    if db.dialect() == "sqlite" {
        let mut c = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(db.url()).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

/// 20,000 pending rows over 10,000 channels, the first 100 channels held by a claim:
/// a claim takes the next rows in order around them, and the plan reads the backlog
/// once rather than once per candidate (timed by `relaydesk bench engine`, not here).
async fn a_backlog_is_claimed_in_one_read_around_the_held_channels(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.open_ticket().await;
    raw(
        db,
        "insert into outbox (conversation_id, adapter, channel, kind, body, idempotency_key,
                             next_attempt_at, created_at, updated_at)
         with recursive s(n) as (select 1 union all select n + 1 from s where n < 20000)
         select 1, 'chat', 'c' || (n % 10000), 'bot', 'backlog', 'backlog-' || n, 0, 0, 0 from s",
    )
    .await;
    raw(
        db,
        "update outbox set claimed_by = 'other', claimed_until = 9000000000000000
         where idempotency_key in (select 'backlog-' || n from
             (with recursive s(n) as (select 1 union all select n + 1 from s where n < 100) select n from s) held)",
    )
    .await;
    let store = db.store().await;
    let now = desk.clock.now();
    let plan = store
        .explain_claim(&["chat".into()], now, 64)
        .await
        .unwrap();
    if db.dialect() == "postgres" {
        // Every row every plan node produced, over all its loops: about one pass over
        // the backlog, where checking each candidate's channel read the backlog again
        // per candidate.
        let touched: u64 = plan
            .lines()
            .filter_map(|l| {
                let actual = &l[l.find("(actual")?..];
                let field = |name: &str| -> Option<u64> {
                    let at = actual.find(name)? + name.len();
                    actual[at..]
                        .split(|c: char| !c.is_ascii_digit())
                        .next()?
                        .parse()
                        .ok()
                };
                Some(field("rows=")? * field("loops=")?)
            })
            .sum();
        assert!(touched < 100_000, "the claim read {touched} rows:\n{plan}");
    } else {
        // The held channels are a list made once, not a subquery run per candidate.
        assert!(plan.contains("LIST SUBQUERY"), "{plan}");
        assert!(!plan.contains("CORRELATED LIST SUBQUERY"), "{plan}");
        assert!(
            plan.lines().filter(|l| l.contains("SCAN")).count() <= 2,
            "the backlog read once for candidates, once for held channels: {plan}"
        );
    }
    let claimed = store
        .claim(&["chat".into()], "me", now, 60_000, 64)
        .await
        .unwrap();
    let keys: Vec<&str> = claimed.iter().map(|r| r.idempotency_key.as_str()).collect();
    let expected: Vec<String> = (101..165).map(|n| format!("backlog-{n}")).collect();
    assert_eq!(
        keys, expected,
        "the next rows in order, around the held channels"
    );
}

/// A process that dies holding claims: another takes them over at once (PostgreSQL:
/// its session lock is gone; SQLite: the next start gives every claim back), in doubt.
async fn a_dead_process_claims_are_taken_over_at_once_in_doubt(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let before = desk.open_ticket().await;
    for i in 0..3 {
        desk.user_says(&format!("message {i}")).await;
    }
    let dead = db.store().await;
    dead.join("dead").await.unwrap();
    let now = desk.clock.now();
    let names = ["chat".to_string(), "desk".to_string()];
    let held = dead.claim(&names, "dead", now, 60_000, 64).await.unwrap();
    assert_eq!(held.len(), 3);
    assert!(held.iter().all(|r| !r.in_doubt));
    dead.close().await;

    let alive = db.store().await;
    alive.join("alive").await.unwrap();
    if db.dialect() == "postgres" {
        // Nothing is taken while its owner lives…
        let owner = db.store().await;
        owner.join("owner").await.unwrap();
        owner.claim(&names, "owner", now, 60_000, 64).await.unwrap();
        assert_eq!(alive.take_over("alive", now).await.unwrap(), 3);
        assert_eq!(
            alive.take_over("alive", now).await.unwrap(),
            0,
            "taken once"
        );
        owner.close().await;
    } else {
        assert_eq!(alive.release_claims().await.unwrap(), 3);
    }
    let again = alive.claim(&names, "alive", now, 60_000, 64).await.unwrap();
    assert_eq!(again.len(), 3, "within the lease, at once");
    assert!(
        again.iter().all(|r| r.in_doubt),
        "each may have been sent: {again:?}"
    );
    assert_eq!(desk.to_agents().len(), before);
}

/// An adapter that delivers the first `ok` messages and hangs on the next.
struct Hangs {
    ok: usize,
    sent: std::sync::atomic::AtomicUsize,
    reached: Notify,
}

#[async_trait::async_trait]
impl relaydesk_core::ChannelAdapter for Hangs {
    fn name(&self) -> &str {
        "desk"
    }
    fn capabilities(&self) -> relaydesk_core::Capabilities {
        relaydesk_core::Capabilities::default()
    }
    async fn run(
        &self,
        _: Arc<dyn relaydesk_core::adapter::InboundSink>,
        stop: CancellationToken,
    ) -> Result<(), relaydesk_core::adapter::AdapterError> {
        stop.cancelled().await;
        Ok(())
    }
    async fn send(
        &self,
        m: &relaydesk_core::Outbound,
    ) -> Result<relaydesk_core::adapter::Delivered, SendError> {
        let n = self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n < self.ok {
            return Ok(relaydesk_core::adapter::Delivered::message(format!(
                "m{}",
                m.id
            )));
        }
        self.reached.notify_one();
        std::future::pending().await
    }
}

/// Each row is marked delivered right after its send, not with the rest of its batch:
/// while the third send of a channel hangs, the first two are recorded.
async fn each_delivery_is_recorded_as_it_happens(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.open_ticket().await;
    for i in 0..3 {
        desk.user_says(&format!("message {i}")).await;
    }
    let hangs = Arc::new(Hangs {
        ok: 2,
        sent: 0.into(),
        reached: Notify::new(),
    });
    let engine = Arc::new(relaydesk_core::Engine::new(
        db.store().await,
        Arc::new(relaydesk_core::knowledge::NoKnowledge),
        desk.clock.clone(),
        desk.config.clone(),
        Arc::new(Notify::new()),
    ));
    let dispatcher = relaydesk_core::dispatch::Dispatcher::new(
        engine,
        vec![hangs.clone()],
        Arc::new(Notify::new()),
        "hangs".into(),
        relaydesk_core::dispatch::DispatchSettings::default(),
    );
    let stop = CancellationToken::new();
    let running = tokio::spawn(dispatcher.run(stop.clone()));
    let reached = hangs.reached.notified();
    tokio::time::timeout(Duration::from_secs(20), reached)
        .await
        .expect("the third send started");
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    let relayed: Vec<_> = detail
        .deliveries
        .iter()
        .filter(|d| d.to.starts_with("desk:") && d.kind == OutboundKind::Relay)
        .collect();
    assert_eq!(relayed.len(), 3);
    assert_eq!(relayed[0].state, DeliveryState::Delivered);
    assert_eq!(relayed[1].state, DeliveryState::Delivered);
    assert_eq!(relayed[2].state, DeliveryState::Pending);
    stop.cancel();
    running.abort();
}

/// Where an adapter without a platform-side queue looks after a restart: the open
/// conversations' places on it, and the newest numeric id it stored (compared as a
/// number; `edit:…`-style ids are not message ids).
async fn catch_up_names_open_places_and_the_newest_message(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let empty = desk.store.catch_up("chat").await.unwrap();
    assert_eq!(empty.after, None, "nothing stored: nothing to catch up");
    for (id, text) in [
        ("900", "talk to an agent"),
        ("10000", "my invoice is wrong"),
        ("x:99999", "an event that is not a message"),
    ] {
        let mut ev = desk.event("chat:dm-ada", &ada(), Content::Text(text.into()));
        ev.id = id.into();
        desk.engine.handle(&ev).await.unwrap();
    }
    desk.deliver().await;
    let chat = desk.store.catch_up("chat").await.unwrap();
    assert_eq!(chat.after.as_deref(), Some("10000"));
    assert_eq!(chat.places, vec!["chat:dm-ada".parse().unwrap()]);
    let agents = desk.store.catch_up("desk").await.unwrap();
    assert!(
        agents.places.iter().any(|p| p.channel == "agents"),
        "{:?}",
        agents.places
    );
}

/// Two processes on one database: a transaction begun while the other process holds the
/// write lock waits for it (on SQLite, off the async threads) and both are kept.
async fn a_second_process_waits_for_the_write_lock_and_loses_nothing(db: &TestDb) {
    let (first, second) = (db.store().await, db.store().await);
    let chat = relaydesk_core::Address::new("chat", "dm-ada");
    let mut holding = first.begin().await.unwrap();
    assert!(holding.remember_inbound(&chat, "one", 1).await.unwrap());
    let mut begin = std::pin::pin!(second.begin());
    let first_poll = tokio::time::timeout(Duration::ZERO, &mut begin).await;
    if db.dialect() == "sqlite" {
        assert!(
            first_poll.is_err(),
            "SQLite has one writer: the second waits"
        );
    }
    // This process goes on while the other waits: its own statements still run.
    assert!(holding.remember_inbound(&chat, "three", 1).await.unwrap());
    holding.commit().await.unwrap();
    let mut tx = match first_poll {
        Ok(began) => began.unwrap(),
        Err(_) => begin.await.unwrap(),
    };
    assert!(tx.remember_inbound(&chat, "two", 2).await.unwrap());
    tx.commit().await.unwrap();
    let mut check = first.begin().await.unwrap();
    for id in ["one", "two", "three"] {
        assert!(
            !check.remember_inbound(&chat, id, 3).await.unwrap(),
            "{id} kept"
        );
    }
}

/// A transaction given up while it waited for the other process's write lock (a request
/// whose client went away) leaves nothing behind: the next one begins, writes and
/// commits.
async fn a_begin_given_up_while_waiting_leaves_nothing_open(db: &TestDb) {
    let (first, second) = (db.store().await, db.store().await);
    let chat = relaydesk_core::Address::new("chat", "dm-ada");
    let mut holding = first.begin().await.unwrap();
    assert!(holding.remember_inbound(&chat, "one", 1).await.unwrap());
    let given_up = tokio::time::timeout(Duration::ZERO, second.begin()).await;
    if db.dialect() == "sqlite" {
        assert!(given_up.is_err(), "SQLite has one writer: the second waits");
    }
    drop(given_up);
    holding.commit().await.unwrap();
    let mut tx = second.begin().await.unwrap();
    assert!(tx.remember_inbound(&chat, "two", 2).await.unwrap());
    tx.commit().await.unwrap();
    let mut check = first.begin().await.unwrap();
    for id in ["one", "two"] {
        assert!(
            !check.remember_inbound(&chat, id, 3).await.unwrap(),
            "{id} kept"
        );
    }
}
