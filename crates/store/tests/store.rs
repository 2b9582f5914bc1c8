//! The engine, the dispatcher and the store together, on a real SQLite file and a real
//! PostgreSQL database. Every test runs on both.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use relaydesk_core::adapter::Action;
use relaydesk_core::clock::{Clock, ManualClock};
use relaydesk_core::dispatch::{DispatchSettings, Dispatcher};
use relaydesk_core::knowledge::NoKnowledge;
use relaydesk_core::memory::MemoryAdapter;
use relaydesk_core::store::{DeliveryState, OutboxQueue, Reports};
use relaydesk_core::{
    Address, Capabilities, ChannelAdapter, Content, Engine, EngineConfig, Handled, Inbound,
    Outbound, OutboundKind, Person, Queue, SendError, State,
};
use relaydesk_store::SqlStore;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

const START: i64 = 1_700_000_000_000;

/// A database for one test: a SQLite file in a temporary folder, or a fresh PostgreSQL
/// database dropped afterwards.
struct TestDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn postgres_admin_url() -> String {
    std::env::var("RELAYDESK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    async fn new(dialect: &str) -> TestDb {
        if dialect == "sqlite" {
            let dir = tempfile::tempdir().expect("temporary folder");
            let url = format!("sqlite://{}", dir.path().join("relaydesk.db").display());
            return TestDb {
                url,
                _dir: Some(dir),
                pg_name: None,
            };
        }
        use sqlx::Connection;
        let admin = postgres_admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                "PostgreSQL is not reachable at {admin} ({e}). Start it with \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
                 or point RELAYDESK_TEST_POSTGRES at a server where this user may create databases."
            )
            });
        let name = format!("relaydesk_test_{}_{}", std::process::id(), rand_suffix());
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        TestDb {
            url: format!("{base}/{name}"),
            _dir: None,
            pg_name: Some(name),
        }
    }

    async fn store(&self) -> Arc<SqlStore> {
        Arc::new(
            SqlStore::connect(&self.url)
                .await
                .expect("connect to the test database"),
        )
    }

    async fn drop_pg(&self) {
        use sqlx::Connection;
        if let Some(name) = &self.pg_name {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    t * 1000 + N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// The engine with two in-memory adapters: `chat` for people, `desk` for agents.
struct Desk {
    config: EngineConfig,
    store: Arc<SqlStore>,
    engine: Arc<Engine>,
    chat: Arc<MemoryAdapter>,
    desk: Arc<MemoryAdapter>,
    clock: Arc<ManualClock>,
    wake: Arc<Notify>,
    next_id: std::sync::atomic::AtomicU64,
}

fn caps(max_len: usize) -> Capabilities {
    Capabilities {
        max_len,
        ..Capabilities::default()
    }
}

impl Desk {
    async fn new(store: Arc<SqlStore>) -> Desk {
        Desk::build(store, caps(1000)).await
    }

    /// With the agents' side on `desk`, whose capabilities are given.
    async fn build(store: Arc<SqlStore>, desk_caps: Capabilities) -> Desk {
        let clock = Arc::new(ManualClock::new(START));
        let chat = MemoryAdapter::new("chat", caps(2000));
        let desk = MemoryAdapter::new("desk", desk_caps);
        let config = EngineConfig {
            queues: vec![
                Queue {
                    name: "support".into(),
                    phrases: vec!["talk to an agent".into(), "상담사에게 문의".into()],
                    agent_channel: "desk:agents".parse().unwrap(),
                },
                Queue {
                    name: "sales".into(),
                    phrases: vec!["talk to sales".into()],
                    agent_channel: "desk:sales".parse().unwrap(),
                },
            ],
            capabilities: HashMap::from([
                ("chat".into(), chat.capabilities()),
                ("desk".into(), desk.capabilities()),
            ]),
            ..EngineConfig::default()
        };
        let wake = Arc::new(Notify::new());
        let engine = Arc::new(Engine::new(
            store.clone(),
            Arc::new(NoKnowledge),
            clock.clone(),
            config.clone(),
            wake.clone(),
        ));
        Desk {
            config,
            store,
            engine,
            chat,
            desk,
            clock,
            wake,
            next_id: 1.into(),
        }
    }

    fn dispatcher(&self, store: Arc<SqlStore>, worker: &str) -> Arc<Dispatcher> {
        let adapters: Vec<Arc<dyn ChannelAdapter>> = vec![self.chat.clone(), self.desk.clone()];
        Dispatcher::new(
            Arc::new(Engine::new(
                store,
                Arc::new(NoKnowledge),
                self.clock.clone(),
                self.config.clone(),
                self.wake.clone(),
            )),
            adapters,
            Arc::new(Notify::new()),
            worker.into(),
            DispatchSettings::default(),
        )
    }

    /// Runs one dispatcher until nothing is due.
    async fn deliver(&self) {
        let stop = CancellationToken::new();
        stop.cancel();
        self.dispatcher(self.store.clone(), "test").run(stop).await;
    }

    fn event(&self, address: &str, author: &Person, content: Content) -> Inbound {
        let n = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Inbound {
            id: format!("ev{n}"),
            address: address.parse().unwrap(),
            author: author.clone(),
            content,
            files: Vec::new(),
            private_address: None,
        }
    }

    async fn user_says(&self, text: &str) -> Handled {
        let ev = self.event("chat:dm-ada", &ada(), Content::Text(text.into()));
        self.engine.handle(&ev).await.expect("handled")
    }

    async fn agent_says(&self, thread: &str, text: &str) -> Handled {
        let ev = self.event(
            &format!("desk:agents/{thread}"),
            &grace(),
            Content::Text(text.into()),
        );
        self.engine.handle(&ev).await.expect("handled")
    }

    fn to_user(&self) -> Vec<Outbound> {
        self.chat.sent().into_iter().map(|(o, _)| o).collect()
    }

    fn to_agents(&self) -> Vec<(Outbound, String)> {
        self.desk.sent()
    }

    /// Opens a ticket for Ada and delivers it; returns how many messages the agents'
    /// side has had so far.
    async fn open_ticket(&self) -> usize {
        self.user_says("talk to an agent").await;
        self.deliver().await;
        self.to_agents().len()
    }

    /// The thread of the last ticket card posted.
    fn card_thread(&self) -> String {
        let cards: Vec<_> = self
            .to_agents()
            .into_iter()
            .filter(|(o, _)| o.payload.kind == relaydesk_core::OutboundKind::TicketCard)
            .collect();
        cards.last().expect("a ticket card was posted").1.clone()
    }
}

fn ada() -> Person {
    Person {
        platform: "chat".into(),
        id: "U-ada".into(),
        display_name: "Ada".into(),
        verified_email: None,
    }
}

fn grace() -> Person {
    Person {
        platform: "desk".into(),
        id: "A-grace".into(),
        display_name: "Grace".into(),
        verified_email: None,
    }
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = super::TestDb::new("sqlite").await;
                super::$name(&db).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = super::TestDb::new("postgres").await;
                super::$name(&db).await;
                db.drop_pg().await;
            })*
        }
    };
}

on_both!(
    repeated_inbound_is_handled_once,
    handoff_relay_notes_close_and_new_conversation,
    crash_between_commit_and_delivery_delivers_once,
    two_dispatchers_deliver_each_row_once_in_order,
    rate_limit_is_honoured_in_order,
    long_message_is_split_and_nothing_lost,
    empty_message_gets_a_clear_reply,
    solved_reopens_then_closes_after_four_days,
    agent_commands_and_choices,
    a_batch_is_one_transaction_and_skips_repeats,
    the_timer_closes_solved_tickets_and_forgets_old_ids,
    a_temporary_failure_keeps_the_channel_in_order,
    agents_hear_when_a_reply_cannot_be_delivered,
    edits_deletions_and_card_changes_follow_the_copies,
    history_and_a_handoff_from_a_shared_place,
    a_deleted_message_stays_out_of_the_transcript,
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

async fn handoff_relay_notes_close_and_new_conversation(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("my invoice shows the wrong company name")
        .await;
    desk.user_says("can I please talk to an agent?").await;
    desk.deliver().await;

    let user = desk.to_user();
    assert!(
        user[0].text().contains("couldn't find"),
        "{}",
        user[0].text()
    );
    assert!(user[1].text().contains("ticket #1"), "{}", user[1].text());
    let agents = desk.to_agents();
    assert!(
        agents[0].0.text().starts_with("Ticket #1 · support"),
        "{}",
        agents[0].0.text()
    );
    assert!(agents[0].0.text().contains("unverified"));
    let thread = desk.card_thread();
    assert_eq!(
        agents[1].0.to,
        Address::new("desk", "agents").in_thread(&thread),
        "transcript in the card's thread"
    );
    assert!(agents[1]
        .0
        .text()
        .contains("Ada: my invoice shows the wrong company name"));

    desk.agent_says(&thread, "Hi Ada, I'm fixing it now.").await;
    desk.agent_says(&thread, "!note customer is on the old plan")
        .await;
    desk.agent_says(&thread, "// also internal").await;
    desk.user_says("thank you!").await;
    desk.deliver().await;
    let user = desk.to_user();
    assert_eq!(user.len(), 3, "the note and // stay internal: {user:#?}");
    assert_eq!(user[2].text(), "Hi Ada, I'm fixing it now.");
    assert_eq!(user[2].payload.sender.as_deref(), Some("Grace"));
    let last = desk.to_agents().last().unwrap().0.clone();
    assert_eq!(
        (last.text().as_ref(), last.payload.sender.as_deref()),
        ("thank you!", Some("Ada"))
    );
    assert_eq!(last.to.thread.as_deref(), Some(thread.as_str()));

    desk.agent_says(&thread, "!close fixed the invoice").await;
    desk.deliver().await;
    assert!(desk
        .to_user()
        .last()
        .unwrap()
        .text()
        .contains("Ticket #1 has been closed (fixed the invoice)"));
    let closed = desk
        .store
        .conversation(1)
        .await
        .unwrap()
        .unwrap()
        .conversation;
    assert_eq!(closed.state, State::Closed);

    desk.user_says("one more question about refunds please")
        .await;
    let list = desk.store.list_conversations(10).await.unwrap();
    assert_eq!(list.len(), 2);
    let new = desk
        .store
        .conversation(list[0].id)
        .await
        .unwrap()
        .unwrap()
        .conversation;
    assert_eq!((new.state, new.previous_id), (State::Bot, Some(1)));
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

async fn long_message_is_split_and_nothing_lost(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let before = desk.open_ticket().await;
    let long: String = (0..15_000).map(|i| format!("w{i:05} ")).collect::<String>() + "end";
    assert!(long.len() > 100_000);
    desk.user_says(&long).await;
    desk.deliver().await;
    let parts: Vec<String> = desk.to_agents()[before..]
        .iter()
        .map(|(o, _)| o.text().into_owned())
        .collect();
    assert!(
        parts.len() >= 100,
        "split at the desk's 1000 characters: {} parts",
        parts.len()
    );
    assert!(parts.iter().all(|p| p.chars().count() <= 1000));
    assert_eq!(parts.concat(), long);
}

async fn empty_message_gets_a_clear_reply(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("   ").await;
    desk.user_says("hi").await;
    desk.deliver().await;
    let user = desk.to_user();
    assert!(
        user[0].text().contains("arrived empty"),
        "{}",
        user[0].text()
    );
    assert!(
        user[1].text().contains("full sentence"),
        "{}",
        user[1].text()
    );
}

async fn solved_reopens_then_closes_after_four_days(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("상담사에게 문의하고 싶어요").await;
    desk.deliver().await;
    assert!(
        desk.to_user()[0].text().contains("티켓 #1"),
        "answers in Korean: {}",
        desk.to_user()[0].text()
    );
    let thread = desk.card_thread();
    desk.agent_says(&thread, "!solve").await;
    desk.user_says("아직 안 돼요").await;
    let conv = desk
        .store
        .conversation(1)
        .await
        .unwrap()
        .unwrap()
        .conversation;
    assert_eq!(
        conv.state,
        State::Queued,
        "a message reopens a solved ticket"
    );
    desk.agent_says(&thread, "!solve").await;
    desk.clock.advance(4 * 24 * 3600 * 1000);
    desk.user_says("새로운 질문이 있어요").await;
    let old = desk
        .store
        .conversation(1)
        .await
        .unwrap()
        .unwrap()
        .conversation;
    assert_eq!(old.state, State::Closed);
    let list = desk.store.list_conversations(10).await.unwrap();
    assert_eq!((list[0].state, list.len()), (State::Bot, 2));
}

async fn agent_commands_and_choices(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("talk to sales").await;
    desk.deliver().await;
    assert!(
        desk.to_agents()[0].0.to == Address::new("desk", "sales"),
        "sales queue"
    );
    let thread = desk.card_thread();
    // A reply in the wrong channel's thread finds no ticket and is ignored.
    assert_eq!(desk.agent_says(&thread, "hello?").await, Handled::Ignored);
    let ev = desk.event(
        &format!("desk:sales/{thread}"),
        &grace(),
        Content::Choice("claim".into()),
    );
    desk.engine.handle(&ev).await.unwrap();
    let ev = desk.event(
        &format!("desk:sales/{thread}"),
        &grace(),
        Content::Text("!frobnicate".into()),
    );
    desk.engine.handle(&ev).await.unwrap();
    desk.deliver().await;
    let conv = desk.store.conversation(1).await.unwrap().unwrap();
    assert_eq!(
        (
            conv.conversation.state,
            conv.conversation.assignee.as_ref().map(|a| a.name.as_str())
        ),
        (State::Assigned, Some("Grace"))
    );
    assert!(desk
        .to_user()
        .last()
        .unwrap()
        .text()
        .contains("Grace is now handling"));
    assert!(
        desk.to_agents().last().unwrap().0.text().contains("!claim"),
        "unknown command gets the command list"
    );
    assert!(conv
        .deliveries
        .iter()
        .all(|d| d.state == DeliveryState::Delivered));
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

async fn the_timer_closes_solved_tickets_and_forgets_old_ids(db: &TestDb) {
    let editable = Capabilities {
        edits: true,
        ..caps(1000)
    };
    let desk = Desk::build(db.store().await, editable).await;
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    desk.agent_says(&desk.card_thread(), "!solve").await;
    desk.deliver().await;
    let day = 24 * 3600 * 1000;
    let (told, seen) = (desk.to_user().len(), desk.to_agents().len());
    desk.clock.advance(3 * day);
    assert_eq!(
        desk.engine.tick(desk.clock.now()).await.unwrap().closed,
        0,
        "not yet: solved less than four days ago"
    );
    desk.clock.advance(2 * day);
    let now = desk.clock.now();
    assert_eq!(desk.engine.tick(now).await.unwrap().closed, 1);
    assert_eq!(
        desk.engine.tick(now).await.unwrap().closed,
        0,
        "closed once"
    );
    let conv = desk
        .store
        .conversation(1)
        .await
        .unwrap()
        .unwrap()
        .conversation;
    assert_eq!(
        (conv.state, conv.close_reason.as_deref()),
        (State::Closed, Some("solved"))
    );
    desk.deliver().await;
    // The person is told, the agents are told, and the card says closed.
    let user = desk.to_user();
    assert_eq!(user.len(), told + 1);
    assert!(
        user[told]
            .text()
            .contains("Ticket #1 was solved 4 days ago and is now closed"),
        "{}",
        user[told].text()
    );
    let agents: Vec<_> = desk
        .to_agents()
        .into_iter()
        .skip(seen)
        .map(|(o, _)| o)
        .collect();
    assert!(
        agents.iter().any(
            |o| o.payload.kind == relaydesk_core::OutboundKind::TicketCard
                && o.text().ends_with("Status: closed (solved)")
                && matches!(o.action, Action::Update { .. })
        ),
        "card redrawn: {agents:?}"
    );
    assert!(
        agents
            .iter()
            .any(|o| o.text().starts_with("Closed: solved 4 days ago")),
        "{agents:?}"
    );
    // Ids older than a week are forgotten: a week later the same id is new again.
    desk.clock.advance(3 * day);
    desk.engine.tick(desk.clock.now()).await.unwrap();
    let repeat = Inbound {
        id: "ev1".into(),
        address: "chat:dm-ada".parse().unwrap(),
        author: ada(),
        content: Content::Text("again".into()),
        files: Vec::new(),
        private_address: None,
    };
    assert_eq!(desk.engine.handle(&repeat).await.unwrap(), Handled::Done);
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

async fn edits_deletions_and_card_changes_follow_the_copies(db: &TestDb) {
    let desk = Desk::build(
        db.store().await,
        Capabilities {
            max_len: 1000,
            edits: true,
        },
    )
    .await;
    let before = desk.open_ticket().await;
    let thread = desk.card_thread();
    let order = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Text("my order is 1234".into()),
    );
    desk.engine.handle(&order).await.unwrap();
    desk.deliver().await;
    let (copy, copy_id) = desk.to_agents()[before].clone();
    assert_eq!(copy.text(), "my order is 1234");

    // The person fixes a typo, then takes the message back.
    let fix = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Edited {
            id: order.id.clone(),
            text: "my order is 1243".into(),
        },
    );
    assert_eq!(desk.engine.handle(&fix).await.unwrap(), Handled::Done);
    desk.deliver().await;
    let (edit, _) = desk.to_agents()[before + 1].clone();
    assert_eq!(
        edit.action,
        Action::Update {
            message_id: copy_id.clone()
        }
    );
    assert_eq!(edit.text(), "my order is 1243");
    assert_eq!(edit.to.thread.as_deref(), Some(thread.as_str()));
    let gone = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Deleted {
            id: order.id.clone(),
        },
    );
    desk.engine.handle(&gone).await.unwrap();
    desk.deliver().await;
    let (delete, _) = desk.to_agents()[before + 2].clone();
    assert_eq!(
        delete.action,
        Action::Delete {
            message_id: copy_id
        }
    );
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    assert!(
        detail.messages.iter().any(|m| m.body == "my order is 1243"),
        "the stored message follows the edit"
    );

    // A claim redraws the card: its status, and only the buttons that still apply.
    desk.agent_says(&thread, "!claim").await;
    desk.deliver().await;
    let card = desk
        .to_agents()
        .into_iter()
        .find(|(o, _)| {
            matches!(o.action, Action::Update { .. }) && o.payload.kind == OutboundKind::TicketCard
        })
        .expect("the card was redrawn")
        .0;
    assert_eq!(
        card.action,
        Action::Update {
            message_id: thread.clone()
        }
    );
    assert!(
        card.text().contains("Status: claimed by Grace"),
        "{}",
        card.text()
    );
    assert_eq!(card.payload.body.choices().len(), 1);
    assert_eq!(card.payload.body.choices()[0].value, "close");

    // Where the person's side cannot edit, an agent's edit arrives as a new message.
    desk.agent_says(&thread, "Your refund is 10 EUR").await;
    desk.deliver().await;
    let reply_id = format!(
        "ev{}",
        desk.next_id.load(std::sync::atomic::Ordering::SeqCst) - 1
    );
    let fix = desk.event(
        &format!("desk:agents/{thread}"),
        &grace(),
        Content::Edited {
            id: reply_id,
            text: "Your refund is 12 EUR".into(),
        },
    );
    desk.engine.handle(&fix).await.unwrap();
    desk.deliver().await;
    let last = desk.to_user().pop().unwrap();
    assert_eq!(last.action, Action::Post);
    assert_eq!(last.text(), "(edited) Your refund is 12 EUR");
    assert_eq!(last.payload.sender.as_deref(), Some("Grace"));
}

async fn history_and_a_handoff_from_a_shared_place(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let mut mention = desk.event(
        "chat:general/t1",
        &ada(),
        Content::Text("talk to sales".into()),
    );
    mention.private_address = Some("chat:dm-ada".parse().unwrap());
    desk.engine.handle(&mention).await.unwrap();
    desk.deliver().await;
    let user = desk.to_user();
    let said_at = |to: &str| {
        user.iter()
            .filter(|o| o.to.to_string() == to)
            .map(|o| o.text().into_owned())
            .collect::<Vec<_>>()
    };
    let in_thread = said_at("chat:general/t1");
    assert_eq!(in_thread.len(), 1, "{in_thread:?}");
    assert!(in_thread[0].contains("direct message"), "{in_thread:?}");
    let in_private = said_at("chat:dm-ada");
    assert_eq!(in_private.len(), 1, "{in_private:?}");
    assert!(
        in_private[0].contains("ticket #1 with the sales team"),
        "{in_private:?}"
    );

    let ask = desk.event("chat:dm-ada", &ada(), Content::History);
    desk.engine.handle(&ask).await.unwrap();
    desk.deliver().await;
    let list = desk.to_user().pop().unwrap();
    assert_eq!(list.to.to_string(), "chat:dm-ada");
    assert!(
        list.text().contains("Ticket #1 · sales · queued"),
        "{}",
        list.text()
    );
}

async fn a_deleted_message_stays_out_of_the_transcript(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let oops = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Text("my password is hunter2".into()),
    );
    desk.engine.handle(&oops).await.unwrap();
    let gone = desk.event("chat:dm-ada", &ada(), Content::Deleted { id: oops.id });
    desk.engine.handle(&gone).await.unwrap();
    desk.open_ticket().await;
    let transcript = desk
        .to_agents()
        .into_iter()
        .find(|(o, _)| o.text().starts_with("Transcript"))
        .expect("a transcript")
        .0;
    assert!(
        !transcript.text().contains("hunter2"),
        "{}",
        transcript.text()
    );
}
