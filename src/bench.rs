//! `relaydesk bench engine`: the engine and the dispatcher on a real database, with
//! in-memory adapters, measured from an inbound message to its delivery.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use relaydesk_core::adapter::{AdapterError, Delivered};
use relaydesk_core::clock::SystemClock;
use relaydesk_core::dispatch::{DispatchSettings, Dispatcher};
use relaydesk_core::knowledge::NoKnowledge;
use relaydesk_core::runtime::EngineSink;
use relaydesk_core::{
    Address, Capabilities, ChannelAdapter, Content, Engine, EngineConfig, Inbound, InboundSink,
    Outbound, Person, Queue, SendError,
};
use relaydesk_store::SqlStore;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::cli::{Arrival, BenchCommand, BenchDb};

/// How the measured messages are offered to the engine.
#[derive(Debug, Clone, Copy)]
enum Load {
    /// This many senders, each waiting for its message's delivery.
    Lockstep(usize),
    /// Exponential gaps at this many messages a second.
    Poisson(f64),
}

/// The senders that open the tickets (and, in lockstep, send the messages).
fn concurrency_of(load: Load) -> usize {
    match load {
        Load::Lockstep(n) => n,
        Load::Poisson(_) => 16,
    }
}

pub async fn execute(command: BenchCommand) -> anyhow::Result<()> {
    let (db, postgres, conversations, messages, load, reference) = match command {
        BenchCommand::Engine {
            db,
            postgres,
            conversations,
            messages,
            concurrency,
            arrival,
            rate,
            reference,
        } => {
            let load = match arrival {
                Arrival::Lockstep => Load::Lockstep(concurrency),
                Arrival::Poisson => Load::Poisson(rate),
            };
            (db, postgres, conversations, messages, load, reference)
        }
        BenchCommand::Web {
            concurrency,
            seconds,
            helpcenter,
        } => return crate::bench_web::run(&helpcenter, concurrency, seconds).await,
        BenchCommand::Relay {
            platform,
            people,
            messages,
        } => {
            return tokio::task::spawn_blocking(move || {
                crate::bench_relay::run(platform, people, messages)
            })
            .await
            .context("the relay benchmark stopped")?;
        }
    };
    anyhow::ensure!(
        conversations > 0 && concurrency_of(load) > 0,
        "--conversations and --concurrency must be at least 1"
    );
    if let Load::Poisson(rate) = load {
        anyhow::ensure!(
            rate.is_finite() && rate > 0.0,
            "--rate must be a positive number of messages per second"
        );
    }
    anyhow::ensure!(
        !reference || db == BenchDb::Sqlite,
        "--reference runs on SQLite only: leave it out with --db postgres"
    );
    let scratch = tempfile::tempdir().context("cannot make a temporary folder")?;
    let (url, pg_name) = match db {
        BenchDb::Sqlite => (
            format!("sqlite://{}", scratch.path().join("bench.db").display()),
            None,
        ),
        BenchDb::Postgres => {
            let name = format!("relaydesk_bench_{}", std::process::id());
            (fresh_postgres_database(&postgres, &name).await?, Some(name))
        }
    };
    let lockstep = matches!(load, Load::Lockstep(_));
    let mut result = run(&url, conversations, messages, load, reference && lockstep).await;
    if let (Ok(report), true, false) = (&mut result, reference, lockstep) {
        // The reference is a rate: set it beside relaydesk's own most, in lockstep.
        let url = format!("sqlite://{}", scratch.path().join("capacity.db").display());
        let capacity = run(
            &url,
            conversations,
            messages,
            Load::Lockstep(REFERENCE_BATCH),
            true,
        )
        .await?;
        report.insert("reference", capacity["reference"].clone());
    }
    if let Some(name) = pg_name {
        drop_postgres_database(&postgres, &name).await;
    }
    let mut report = result?;
    report.insert(
        "db",
        serde_json::json!(if db == BenchDb::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }),
    );
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Messages to a transaction in the bare-driver reference, and senders in the lockstep
/// run it is set beside.
const REFERENCE_BATCH: usize = 16;

async fn run(
    url: &str,
    conversations: usize,
    messages: usize,
    load: Load,
    reference: bool,
) -> anyhow::Result<HashMap<&'static str, serde_json::Value>> {
    let concurrency = concurrency_of(load);
    let store = Arc::new(SqlStore::connect(url).await?);
    let chat = Arc::new(Counter::new("chat", 0));
    let desk = Arc::new(Counter::new("desk", messages));
    let config = EngineConfig {
        queues: vec![Queue::new(
            "support",
            vec!["talk to an agent".into()],
            Address::new("desk", "agents"),
        )],
        capabilities: HashMap::from([
            ("chat".into(), chat.capabilities()),
            ("desk".into(), desk.capabilities()),
        ]),
        ..EngineConfig::default()
    };
    let (wake, progress) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let clock = Arc::new(SystemClock);
    let engine = Arc::new(Engine::new(
        store.clone(),
        Arc::new(NoKnowledge),
        clock.clone(),
        config,
        wake.clone(),
    ));
    let adapters: Vec<Arc<dyn ChannelAdapter>> = vec![chat.clone(), desk.clone()];
    let dispatcher = Dispatcher::new(
        engine.clone(),
        adapters,
        progress.clone(),
        "bench".into(),
        DispatchSettings::default(),
    );
    let engine_sink = EngineSink::new(
        engine,
        store.clone(),
        progress,
        crate::app::batch_size(&store),
    );
    let sink: Arc<dyn InboundSink> = engine_sink.clone();
    let stop = CancellationToken::new();
    let dispatching = tokio::spawn(dispatcher.run(stop.clone()));

    // Every person opens a ticket: card and transcript to the desk, the number to them.
    drive(&sink, concurrency, conversations, None, |i| {
        (i, "talk to an agent".to_string())
    })
    .await?;
    let opened = 2 * conversations;
    anyhow::ensure!(
        desk.wait_for(opened, Duration::from_secs(600)).await,
        "tickets were not all delivered"
    );

    // Then messages, round robin over the open tickets, each relayed to its thread: in
    // lockstep each driver waits for its message to be delivered before it sends the
    // next one; with Poisson arrivals each message is sent at its own time.
    let started = Instant::now();
    let submitted: Arc<Vec<std::sync::OnceLock<Instant>>> =
        Arc::new((0..messages).map(|_| std::sync::OnceLock::new()).collect());
    let marks = submitted.clone();
    match load {
        Load::Lockstep(concurrency) => {
            drive(&sink, concurrency, messages, Some(desk.clone()), move |j| {
                let _ = marks[j].set(Instant::now());
                (j % conversations, format!("bench {j}"))
            })
            .await?
        }
        Load::Poisson(rate) => {
            arrive(&sink, messages, rate, move |j, at| {
                let _ = marks[j].set(at);
                (j % conversations, format!("bench {j}"))
            })
            .await?
        }
    }
    anyhow::ensure!(
        desk.wait_for(opened + messages, Duration::from_secs(3600))
            .await,
        "messages were not all delivered"
    );
    let elapsed = started.elapsed();
    stop.cancel();
    let _ = dispatching.await;
    engine_sink.close().await;

    let mut latencies: Vec<Duration> = (0..messages)
        .filter_map(|j| {
            Some(
                desk.delivered[j]
                    .get()?
                    .duration_since(*submitted[j].get()?),
            )
        })
        .collect();
    anyhow::ensure!(
        latencies.len() == messages,
        "{} of {messages} messages were relayed",
        latencies.len()
    );
    latencies.sort();
    let rate = messages as f64 / elapsed.as_secs_f64();
    let reference = if reference {
        let took = store
            .sqlite_reference(conversations, messages, REFERENCE_BATCH)
            .await?;
        let bare = messages as f64 / took.as_secs_f64();
        Some(serde_json::json!({
            "relaydesk_lockstep_messages_per_sec": rate.round(),
            "bare_sqlite_messages_per_sec": bare.round(),
            "messages_per_transaction": REFERENCE_BATCH,
            "ratio": (rate / bare * 100.0).round() / 100.0,
        }))
    } else {
        None
    };
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    store.close().await;
    let mut report = HashMap::from([
        ("conversations", serde_json::json!(conversations)),
        ("messages", serde_json::json!(messages)),
        (
            "arrival",
            match load {
                Load::Lockstep(n) => serde_json::json!({ "lockstep": n }),
                Load::Poisson(rate) => serde_json::json!({ "poisson_per_sec": rate }),
            },
        ),
        ("messages_per_sec", serde_json::json!(rate.round())),
        (
            "p50_ms",
            serde_json::json!((pct(0.50) * 1000.0).round() / 1000.0),
        ),
        (
            "p99_ms",
            serde_json::json!((pct(0.99) * 1000.0).round() / 1000.0),
        ),
        ("peak_rss_mb", serde_json::json!(peak_rss_mb())),
    ]);
    if let Some(reference) = reference {
        report.insert("reference", reference);
    }
    Ok(report)
}

/// Hands `count` messages to the engine at Poisson arrival times, `rate` a second on
/// average, each on a task of its own so that a slow engine does not slow the arrivals;
/// `make(i, at)` gives the sender's number and the text of message `i`, due at `at`
/// (latency counts from then, not from when the sender got to it).
async fn arrive(
    sink: &Arc<dyn InboundSink>,
    count: usize,
    rate: f64,
    make: impl Fn(usize, Instant) -> (usize, String),
) -> anyhow::Result<()> {
    let start = tokio::time::Instant::now();
    let mut due = 0f64;
    let mut senders = tokio::task::JoinSet::new();
    for i in 0..count {
        due += -(1.0 - fastrand::f64()).ln() / rate;
        let at = start + Duration::from_secs_f64(due);
        tokio::time::sleep_until(at).await;
        let (person, text) = make(i, at.into_std());
        let sink = sink.clone();
        senders.spawn(async move { sink.submit(bench_event(i, person, text)).await });
        while let Some(sent) = senders.try_join_next() {
            sent?.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    while let Some(sent) = senders.join_next().await {
        sent?.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

/// Message `i` of the benchmark, from person `person`.
fn bench_event(i: usize, person: usize, text: String) -> Inbound {
    Inbound {
        id: format!("b{i}-{}", text.len()),
        address: Address::new("chat", format!("dm-{person}")),
        author: Person {
            platform: "chat".into(),
            id: format!("U{person}"),
            display_name: format!("Person {person}"),
            verified_email: None,
        },
        content: Content::Text(text),
        files: Vec::new(),
        private_address: None,
    }
}

/// Hands `count` messages to the engine, `concurrency` at a time; `make(i)` gives the
/// sender's number and the text of message `i`. With `arrived`, a driver waits for
/// message `i` to be delivered there before it goes on.
async fn drive(
    sink: &Arc<dyn InboundSink>,
    concurrency: usize,
    count: usize,
    arrived: Option<Arc<Counter>>,
    make: impl Fn(usize) -> (usize, String) + Send + Sync + 'static,
) -> anyhow::Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (sink, next, make, arrived) =
            (sink.clone(), next.clone(), make.clone(), arrived.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok::<(), anyhow::Error>(());
                }
                let (person, text) = make(i);
                sink.submit(bench_event(i, person, text))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                if let Some(arrived) = &arrived {
                    tokio::time::timeout(Duration::from_secs(60), arrived.signals[i].notified())
                        .await
                        .with_context(|| {
                            format!("message {i} was not delivered within a minute")
                        })?;
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done??;
    }
    Ok(())
}

/// An adapter that only counts, and notes when each "bench <j>" was delivered. Like a
/// platform, it keeps each channel's latest messages, and finds one sent before by its
/// key when a row comes back in doubt.
struct Counter {
    name: &'static str,
    sent: AtomicUsize,
    recent: std::sync::Mutex<HashMap<String, VecDeque<(String, String)>>>,
    progress: Notify,
    delivered: Vec<std::sync::OnceLock<Instant>>,
    signals: Vec<Notify>,
}

impl Counter {
    fn new(name: &'static str, messages: usize) -> Counter {
        Counter {
            name,
            sent: AtomicUsize::new(0),
            recent: std::sync::Mutex::new(HashMap::new()),
            progress: Notify::new(),
            delivered: (0..messages).map(|_| std::sync::OnceLock::new()).collect(),
            signals: (0..messages).map(|_| Notify::new()).collect(),
        }
    }

    async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let progressed = self.progress.notified();
            if self.sent.load(Ordering::SeqCst) >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, progressed).await.is_err() {
                return false;
            }
        }
    }
}

#[async_trait::async_trait]
impl ChannelAdapter for Counter {
    fn name(&self) -> &str {
        self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            max_len: 4000,
            finds_in_doubt: true,
            chat_link: None,
            ..Capabilities::default()
        }
    }

    async fn run(
        &self,
        _: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError> {
        shutdown.cancelled().await;
        Ok(())
    }

    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let channel = recent.entry(message.to.channel.clone()).or_default();
        if message.in_doubt {
            if let Some((_, id)) = channel.iter().find(|(k, _)| *k == message.idempotency_key) {
                return Ok(Delivered::message(id.clone()));
            }
        }
        let n = self.sent.fetch_add(1, Ordering::SeqCst);
        let id = format!("{}-{n}", self.name);
        if channel.len() == 100 {
            channel.pop_front();
        }
        channel.push_back((message.idempotency_key.clone(), id.clone()));
        drop(recent);
        if let Some(j) = message
            .text()
            .strip_prefix("bench ")
            .and_then(|j| j.parse::<usize>().ok())
        {
            if let (Some(at), Some(signal)) = (self.delivered.get(j), self.signals.get(j)) {
                let _ = at.set(Instant::now());
                signal.notify_one();
            }
        }
        self.progress.notify_waiters();
        Ok(Delivered::message(id))
    }
}

fn peak_rss_mb() -> f64 {
    peak_rss_mb_of("self")
}

/// The peak resident memory (VmHWM) of process `pid` (or `self`), in MB.
pub(crate) fn peak_rss_mb_of(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    (kb / 1024.0 * 10.0).round() / 10.0
}

async fn fresh_postgres_database(admin: &str, name: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin).await.with_context(|| {
        format!(
            "cannot reach PostgreSQL at {}",
            relaydesk_store::redact_url(admin)
        )
    })?;
    sqlx::query(&format!("drop database if exists {name} with (force)"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut conn)
        .await?;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
    Ok(format!("{base}/{name}"))
}

async fn drop_postgres_database(admin: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
            .execute(&mut conn)
            .await;
    }
}
