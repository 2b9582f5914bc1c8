//! The harness the engine tests and the store's tests share: a real database per test
//! (a SQLite file, or a fresh PostgreSQL database), the engine with two in-memory
//! adapters around it, and `on_both!`, which runs a test on each database.
//!
//! `crates/store/tests/store.rs` mounts this file too, as `mod desk` at its root.

// Two test binaries mount this file and each uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use relaydesk_core::clock::ManualClock;
use relaydesk_core::dispatch::{DispatchSettings, Dispatcher};
use relaydesk_core::email::{CodeMailer, Letter};
use relaydesk_core::knowledge::NoKnowledge;
use relaydesk_core::memory::MemoryAdapter;
use relaydesk_core::{
    Capabilities, ChannelAdapter, Content, Conversation, Engine, EngineConfig, Handled, Inbound,
    Outbound, OutboundKind, Person, Queue, Reports,
};
use relaydesk_store::SqlStore;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The manual clock's first reading.
pub const START: i64 = 1_700_000_000_000;

/// A database for one test: a SQLite file in a temporary folder, or a fresh PostgreSQL
/// database dropped afterwards.
pub struct TestDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn postgres_admin_url() -> String {
    std::env::var("RELAYDESK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    /// A new, empty database: `dialect` is `"sqlite"` or `"postgres"`.
    pub async fn new(dialect: &str) -> TestDb {
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

    /// `sqlite://…` or `postgres://…`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `sqlite` or `postgres`.
    pub fn dialect(&self) -> &'static str {
        if self.pg_name.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// A new connection pool on this database (another "process" when called twice).
    pub async fn store(&self) -> Arc<SqlStore> {
        Arc::new(
            SqlStore::connect(&self.url)
                .await
                .expect("connect to the test database"),
        )
    }

    /// Drops the PostgreSQL database; nothing for SQLite, whose folder goes with `self`.
    pub async fn drop_pg(&self) {
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
    static N: AtomicU64 = AtomicU64::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    t * 1000 + N.fetch_add(1, Ordering::SeqCst)
}

/// Runs each named `async fn(&TestDb)` of the calling module as two tests,
/// `sqlite::<name>` and `postgres::<name>`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = $crate::desk::TestDb::new("sqlite").await;
                super::$name(&db).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let db = $crate::desk::TestDb::new("postgres").await;
                super::$name(&db).await;
                db.drop_pg().await;
            })*
        }
    };
}
pub(crate) use on_both;

/// The engine with two in-memory adapters: `chat` for people, `desk` for agents, whose
/// queues are `support` (in `desk:agents`) and `sales` (in `desk:sales`).
pub struct Desk {
    pub config: EngineConfig,
    pub store: Arc<SqlStore>,
    pub engine: Arc<Engine>,
    pub chat: Arc<MemoryAdapter>,
    pub desk: Arc<MemoryAdapter>,
    pub clock: Arc<ManualClock>,
    pub wake: Arc<Notify>,
    /// The number in the next event's id (`ev1`, `ev2`, …).
    pub next_id: AtomicU64,
    /// The one-time codes mailed, in order.
    pub codes: Arc<Codes>,
}

/// One-time code emails, kept instead of sent: (address, email).
#[derive(Default)]
pub struct Codes(std::sync::Mutex<Vec<(String, Letter)>>);

impl CodeMailer for Codes {
    fn send_code(&self, to: String, letter: Letter) {
        self.0.lock().unwrap().push((to, letter));
    }
}

impl Codes {
    /// The code of the `n`th email (from 1), and its address.
    pub fn code(&self, n: usize) -> (String, String) {
        let sent = self.0.lock().unwrap();
        let (to, letter) = sent.get(n - 1).expect("that many codes were mailed");
        let code = letter
            .text
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .expect("a code in the email")
            .to_string();
        (code, to.clone())
    }

    /// How many were mailed.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Capabilities with a length limit and nothing else.
pub fn caps(max_len: usize) -> Capabilities {
    Capabilities {
        max_len,
        ..Capabilities::default()
    }
}

impl Desk {
    pub async fn new(store: Arc<SqlStore>) -> Desk {
        Desk::build(store, caps(1000)).await
    }

    /// With the agents' side on `desk`, whose capabilities are given.
    pub async fn build(store: Arc<SqlStore>, desk_caps: Capabilities) -> Desk {
        Desk::configured(store, desk_caps, |_| {}).await
    }

    /// With the configuration changed by `change` (triage, snippets, hours).
    pub async fn configured(
        store: Arc<SqlStore>,
        desk_caps: Capabilities,
        change: impl FnOnce(&mut EngineConfig),
    ) -> Desk {
        let clock = Arc::new(ManualClock::new(START));
        let chat = MemoryAdapter::new("chat", caps(2000));
        let desk = MemoryAdapter::new("desk", desk_caps);
        let mut config = EngineConfig {
            queues: vec![
                Queue::new(
                    "support",
                    vec!["talk to an agent".into(), "상담사에게 문의".into()],
                    "desk:agents".parse().unwrap(),
                ),
                Queue::new(
                    "sales",
                    vec!["talk to sales".into()],
                    "desk:sales".parse().unwrap(),
                ),
            ],
            capabilities: HashMap::from([
                ("chat".into(), chat.capabilities()),
                ("desk".into(), desk.capabilities()),
            ]),
            ..EngineConfig::default()
        };
        change(&mut config);
        let wake = Arc::new(Notify::new());
        let codes = Arc::new(Codes::default());
        let engine = Arc::new(
            Engine::new(
                store.clone(),
                Arc::new(NoKnowledge),
                clock.clone(),
                config.clone(),
                wake.clone(),
            )
            .with_code_mailer(codes.clone()),
        );
        Desk {
            config,
            store,
            engine,
            chat,
            desk,
            clock,
            wake,
            next_id: 1.into(),
            codes,
        }
    }

    /// A dispatcher named `worker` on `store`, delivering through this desk's adapters.
    pub fn dispatcher(&self, store: Arc<SqlStore>, worker: &str) -> Arc<Dispatcher> {
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

    /// The same desk after a restart: a new engine on the same store and clock.
    pub fn restarted(&self) -> Arc<Engine> {
        Arc::new(Engine::new(
            self.store.clone(),
            Arc::new(NoKnowledge),
            self.clock.clone(),
            self.config.clone(),
            self.wake.clone(),
        ))
    }

    /// The clock's time.
    pub fn clock_now(&self) -> i64 {
        use relaydesk_core::clock::Clock;
        self.clock.now()
    }

    /// What the person was told last.
    pub fn last_to_user(&self) -> String {
        self.to_user()
            .last()
            .map(|o| o.text().into_owned())
            .unwrap_or_default()
    }

    /// What the agents were told last.
    pub fn last_to_agents(&self) -> String {
        self.to_agents()
            .last()
            .map(|(o, _)| o.text().into_owned())
            .unwrap_or_default()
    }

    /// Runs one dispatcher until nothing is due.
    pub async fn deliver(&self) {
        let stop = CancellationToken::new();
        stop.cancel();
        self.dispatcher(self.store.clone(), "test").run(stop).await;
    }

    /// An event with a new id.
    pub fn event(&self, address: &str, author: &Person, content: Content) -> Inbound {
        let n = self.next_id.fetch_add(1, Ordering::SeqCst);
        Inbound {
            id: format!("ev{n}"),
            address: address.parse().unwrap(),
            author: author.clone(),
            content,
            files: Vec::new(),
            private_address: None,
        }
    }

    /// The id of the event made last.
    pub fn last_event_id(&self) -> String {
        format!("ev{}", self.next_id.load(Ordering::SeqCst) - 1)
    }

    /// Ada writes in her direct messages.
    pub async fn user_says(&self, text: &str) -> Handled {
        let ev = self.event("chat:dm-ada", &ada(), Content::Text(text.into()));
        self.engine.handle(&ev).await.expect("handled")
    }

    /// Grace writes in a thread of `desk:agents`.
    pub async fn agent_says(&self, thread: &str, text: &str) -> Handled {
        let ev = self.event(
            &format!("desk:agents/{thread}"),
            &grace(),
            Content::Text(text.into()),
        );
        self.engine.handle(&ev).await.expect("handled")
    }

    /// Everything delivered to people so far.
    /// Conversation `id` as stored now.
    pub async fn conversation(&self, id: i64) -> Conversation {
        let detail = self.store.conversation(id).await.unwrap();
        detail.expect("the conversation exists").conversation
    }

    pub fn to_user(&self) -> Vec<Outbound> {
        self.chat.sent().into_iter().map(|(o, _)| o).collect()
    }

    /// Everything delivered to agents so far, with the platform id each got.
    pub fn to_agents(&self) -> Vec<(Outbound, String)> {
        self.desk.sent()
    }

    /// Opens a ticket for Ada and delivers it; returns how many messages the agents'
    /// side has had so far.
    pub async fn open_ticket(&self) -> usize {
        self.user_says("talk to an agent").await;
        self.deliver().await;
        self.to_agents().len()
    }

    /// The thread of the last ticket card posted.
    pub fn card_thread(&self) -> String {
        let cards: Vec<_> = self
            .to_agents()
            .into_iter()
            .filter(|(o, _)| o.payload.kind == OutboundKind::TicketCard)
            .collect();
        cards.last().expect("a ticket card was posted").1.clone()
    }
}

/// The person: Ada, on `chat`.
pub fn ada() -> Person {
    Person {
        platform: "chat".into(),
        id: "U-ada".into(),
        display_name: "Ada".into(),
        verified_email: None,
    }
}

/// The agent: Grace, on `desk`.
pub fn grace() -> Person {
    Person {
        platform: "desk".into(),
        id: "A-grace".into(),
        display_name: "Grace".into(),
        verified_email: None,
    }
}
