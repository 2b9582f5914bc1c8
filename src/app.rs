//! Building relaydesk from its configuration and running it until it is told to stop.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use relaydesk_core::clock::{Clock, SystemClock};
use relaydesk_core::dispatch::{DispatchSettings, Dispatcher};
use relaydesk_core::knowledge::Knowledge;
use relaydesk_core::runtime::{self, EngineSink};
use relaydesk_core::{
    Capabilities, ChannelAdapter, Engine, EngineConfig, OutboxQueue, Queue, Reports, State,
};
use relaydesk_kb::LiveHelpCenter;
use relaydesk_store::SqlStore;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::console::{self, ConsoleAdapter};

/// Opens the configured database and applies its migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<SqlStore>> {
    let store = SqlStore::connect(&config.database.url)
        .await
        .context("cannot start without the database")?;
    Ok(Arc::new(store))
}

/// Loads the help center; broken articles are reported and skipped.
pub fn load_helpcenter(config: &Config) -> Arc<LiveHelpCenter> {
    let dir = &config.helpcenter.path;
    if !dir.is_dir() {
        tracing::warn!(path = %dir.display(), "help-center folder not found; the bot will hand questions to agents");
    }
    let (live, errors) = LiveHelpCenter::load(dir.clone(), config.helpcenter.base_url.clone());
    for e in errors {
        tracing::warn!(path = %e.path.display(), error = %e.message, "help-center article skipped");
    }
    tracing::info!(articles = live.current().articles().len(), path = %dir.display(), "help center loaded");
    Arc::new(live)
}

/// The engine's queues, from `[[queue]]`.
pub fn queues(config: &Config) -> Vec<Queue> {
    config
        .queues
        .iter()
        .map(|q| Queue {
            name: q.name.clone(),
            phrases: q.phrases.clone(),
            agent_channel: q.agent_channel.clone(),
        })
        .collect()
}

/// Every adapter's capabilities, including those this process does not run: a console
/// process still splits a reply to a Slack channel at Slack's limit.
fn capabilities(adapters: &[Arc<dyn ChannelAdapter>]) -> HashMap<String, Capabilities> {
    let mut caps = HashMap::from([
        ("slack".to_string(), relaydesk_slack::CAPABILITIES),
        (
            "discord".to_string(),
            Capabilities {
                max_len: 2000,
                edits: true,
            },
        ),
    ]);
    for a in adapters {
        caps.insert(a.name().to_string(), a.capabilities());
    }
    caps
}

/// The console adapter for this configuration.
pub fn console_adapter(config: &Config) -> Arc<ConsoleAdapter> {
    let channels: HashSet<String> = config
        .queues
        .iter()
        .filter(|q| q.agent_channel.adapter == console::NAME)
        .map(|q| q.agent_channel.channel.clone())
        .collect();
    Arc::new(ConsoleAdapter::new(
        &config.console.user,
        &config.console.agent,
        channels,
        config.console.max_len,
    ))
}

/// Points the console's `/agent` at the most recent open ticket of a `console:` queue,
/// so that an agent can answer right after a restart.
pub async fn resume_console(config: &Config, console: &ConsoleAdapter) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    for summary in store.list_conversations(100).await? {
        if !matches!(
            summary.state,
            State::Queued | State::Assigned | State::Solved
        ) {
            continue;
        }
        let Some(detail) = store.conversation(summary.id).await? else {
            continue;
        };
        let c = &detail.conversation;
        if let (Some(thread), Some(number)) = (&c.agent_address, c.ticket_number) {
            if thread.adapter == console::NAME && thread.thread.is_some() {
                console.resume(
                    thread.clone(),
                    number,
                    c.queue.as_deref().unwrap_or_default(),
                );
                break;
            }
        }
    }
    store.close().await;
    Ok(())
}

/// Runs the engine, the dispatcher and `adapters` until `shutdown` or until an adapter
/// stops; then drains the outbox and returns.
pub async fn serve(
    config: &Config,
    adapters: Vec<Arc<dyn ChannelAdapter>>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    let helpcenter = load_helpcenter(config);
    let reloading = spawn_reloader(
        helpcenter.clone(),
        config.helpcenter.reload_secs,
        shutdown.clone(),
    );
    if store.dialect() == "sqlite" {
        // This process owns the file: what a crashed run had claimed is sent again now
        // (delivery is at least once) rather than when the claims would have expired.
        let released = store.release_claims().await?;
        if released > 0 {
            tracing::info!(
                rows = released,
                "outbox rows claimed before a restart are sent again"
            );
        }
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (wake, progress) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    store
        .watch_outbox(wake.clone())
        .await
        .context("cannot listen for outbox notifications")?;
    let engine_config = EngineConfig {
        queues: queues(config),
        close_after: config.close_after_ms(),
        anonymous_agents: config.relay.anonymous,
        capabilities: capabilities(&adapters),
    };
    let knowledge: Arc<dyn Knowledge> = helpcenter;
    let engine = Arc::new(Engine::new(
        store.clone(),
        knowledge,
        clock.clone(),
        engine_config,
        wake.clone(),
    ));
    let ticking = spawn_timers(engine.clone(), shutdown.clone());
    let worker = format!("{}-{}", hostname(), std::process::id());
    let dispatcher = Dispatcher::new(
        engine.clone(),
        adapters.clone(),
        progress.clone(),
        worker,
        DispatchSettings::default(),
    );
    let sink = EngineSink::new(engine, store.clone(), progress, batch_size(&store));
    let result = runtime::run(adapters, sink, dispatcher, shutdown.clone()).await;
    shutdown.cancel();
    let _ = reloading.await;
    let _ = ticking.await;
    store.close().await;
    result.map_err(anyhow::Error::from)
}

/// Events handled per transaction: SQLite has one writer, so events that arrive
/// together share a transaction; PostgreSQL handles them side by side.
pub fn batch_size(store: &SqlStore) -> usize {
    if store.dialect() == "sqlite" {
        32
    } else {
        1
    }
}

/// Runs the engine's timers every minute and at start.
fn spawn_timers(engine: Arc<Engine>, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            match engine.tick(engine.clock().now()).await {
                Ok(ticked) if ticked.closed > 0 => {
                    tracing::info!(closed = ticked.closed, "closed solved tickets")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "timers failed; will try again"),
            }
        }
    })
}

fn spawn_reloader(
    helpcenter: Arc<LiveHelpCenter>,
    every_secs: u64,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if every_secs == 0 {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(every_secs));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let live = helpcenter.clone();
            if let Ok(Some(errors)) =
                tokio::task::spawn_blocking(move || live.reload_if_changed()).await
            {
                for e in errors {
                    tracing::warn!(path = %e.path.display(), error = %e.message, "help-center article skipped");
                }
                tracing::info!(
                    articles = helpcenter.current().articles().len(),
                    "help center reloaded"
                );
            }
        }
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "relaydesk".into())
}

/// Cancels the token on SIGINT or SIGTERM.
pub fn stop_on_signals(shutdown: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for SIGTERM");
                        let _ = ctrl_c.await;
                        shutdown.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("stopping: no new messages are taken; delivering what is due");
        shutdown.cancel();
    });
}
