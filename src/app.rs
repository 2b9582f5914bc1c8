//! Building relaydesk from its configuration and running it until it is told to stop.

mod tasks;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use relaydesk_core::clock::{Clock, SystemClock};
use relaydesk_core::dispatch::{DispatchSettings, Dispatcher};
use relaydesk_core::knowledge::Knowledge;
use relaydesk_core::runtime::{self, EngineSink};
use relaydesk_core::{ChannelAdapter, Engine, EngineConfig, OutboxQueue, Queue, Reports, State};
use relaydesk_kb::LiveHelpCenter;
use relaydesk_store::SqlStore;
use secrecy::ExposeSecret;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use tasks::stop_on_signals;

use crate::config::{identity, Config};
use crate::console::{self, ConsoleAdapter};
use crate::mail::Mailer;
use crate::mailer::{self, CodeSender};
use crate::platforms;
use crate::verify::Pages;
use crate::web::WebServer;

/// relaydesk, built and bound, ready to run: the enabled platforms' adapters (and the
/// console, in `relaydesk console`), the engine, the dispatcher, the database, the help
/// center and the web server.
pub struct Application {
    store: Arc<SqlStore>,
    helpcenter: Arc<LiveHelpCenter>,
    adapters: Vec<Arc<dyn ChannelAdapter>>,
    sink: Arc<EngineSink>,
    dispatcher: Arc<Dispatcher>,
    engine: Arc<Engine>,
    web: WebServer,
    reload_secs: u64,
    /// The email outbox's sender, when `[smtp]` is set.
    mailer: Option<Arc<Mailer>>,
    max_backoff: i64,
}

impl Application {
    /// Builds the enabled platforms (an error names a missing secret), binds
    /// `[web].bind`, opens the database and loads the help center. Nothing is received
    /// or sent until [`Application::run_until_stopped`].
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        Application::build_with(config, Vec::new()).await
    }

    /// [`Application::build`], with `extra` adapters (the console) besides the
    /// platforms.
    pub async fn build_with(
        config: &Config,
        extra: Vec<Arc<dyn ChannelAdapter>>,
    ) -> anyhow::Result<Application> {
        Application::assemble(config, extra, true).await
    }

    /// The web side alone (`relaydesk web`): the pages, and the engine they write
    /// through, without the platforms. Tickets' cards wait in the outbox for the
    /// process that runs the platforms (`relaydesk run`) to deliver them.
    pub async fn build_web(config: &Config) -> anyhow::Result<Application> {
        Application::assemble(config, Vec::new(), false).await
    }

    async fn assemble(
        config: &Config,
        extra: Vec<Arc<dyn ChannelAdapter>>,
        with_platforms: bool,
    ) -> anyhow::Result<Application> {
        let web = WebServer::bind(&config.web.bind).await?;
        // Links in emails and pages point at the address bound, when none is set (the
        // port may have been chosen by the system).
        let mut config = config.clone();
        if config.web.public_url.is_none() {
            config.web.public_url = Some(format!("http://{}", web.addr()));
        }
        let config = &config;
        let (mut adapters, mut routes) = (Vec::new(), Vec::new());
        let built = match with_platforms {
            true => platforms::build(config)?,
            false => Vec::new(),
        };
        for built in built {
            adapters.push(built.adapter);
            routes.extend(built.routes);
        }
        adapters.extend(extra);
        // Web requesters (`web:<email>`) read what is said to them on the web.
        adapters.push(Arc::new(relaydesk_web::WebAdapter));
        let keys = identity::identity_keys(config).map_err(anyhow::Error::msg)?;
        let mailer = match &config.smtp {
            Some(smtp) => Some(Arc::new(
                Mailer::new(&identity::smtp_settings(smtp)).map_err(anyhow::Error::msg)?,
            )),
            None => None,
        };

        let store = open_store(config).await?;
        let helpcenter = load_helpcenter(config);
        // What the desk taught, indexed before the first lookup (and before the
        // semantic stage embeds the articles).
        tasks::learn_phrasings(store.as_ref(), &helpcenter).await;
        let _ = helpcenter.reload_if_changed();
        // The model loads and the articles are embedded in the background: lookups are
        // lexical until the vectors are ready.
        helpcenter.start_semantic(config.helpcenter.models_dir.clone());
        if store.dialect() == "sqlite" && with_platforms {
            // This process owns the file: what a crashed run had claimed is sent again
            // now (delivery is at least once) rather than when the claims would have
            // expired.
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
        let mut capabilities = platforms::capabilities();
        for a in &adapters {
            capabilities.insert(a.name().to_string(), a.capabilities());
        }
        let engine_config = EngineConfig {
            queues: queues(config),
            close_after: config.close_after_ms(),
            anonymous_agents: config.relay.anonymous,
            capabilities,
            questions: crate::config::desk::questions(&config.questions),
            snippets: crate::config::desk::snippets(&config.snippets),
            idle_expire: config.idle_expire_ms(),
            identity: identity::identity(config),
            notify: identity::notify(config),
        };
        let knowledge: Arc<dyn Knowledge> = helpcenter.clone();
        let mut engine = Engine::new(store.clone(), knowledge, clock, engine_config, wake);
        if let Some(mailer) = &mailer {
            engine = engine.with_code_mailer(Arc::new(CodeSender::new(mailer.clone())));
        }
        let engine = Arc::new(engine);
        routes.push(Pages::routes(
            engine.clone(),
            store.clone(),
            keys,
            config.public_url(),
        ));
        routes.push(relaydesk_web::routes(Arc::new(
            relaydesk_web::WebState::new(
                engine.clone(),
                store.clone(),
                helpcenter.clone(),
                web_settings(config),
                crate::metrics::install(),
            ),
        )));
        let web = web.with_routes(routes);
        let dispatcher = Dispatcher::new(
            engine.clone(),
            adapters.clone(),
            progress.clone(),
            worker_name(),
            dispatch_settings(config),
        );
        let sink = EngineSink::new(engine.clone(), store.clone(), progress, batch_size(&store));
        Ok(Application {
            store,
            helpcenter,
            adapters,
            sink,
            dispatcher,
            engine,
            web,
            reload_secs: config.helpcenter.reload_secs,
            mailer,
            max_backoff: dispatch_settings(config).max_backoff,
        })
    }

    /// The health board the adapters, the runtime and the dispatcher report to, and
    /// the status page reads.
    pub fn health(&self) -> Arc<relaydesk_core::health::Health> {
        self.engine.health().clone()
    }

    /// The address the web server bound: `[web].bind`, with the port chosen when it
    /// was 0.
    pub fn web_addr(&self) -> SocketAddr {
        self.web.addr()
    }

    /// Runs everything until `shutdown` is cancelled or something stops by itself (an
    /// adapter, the web server; that cancels `shutdown`). Then intake stops, the outbox
    /// drains, every loop ends and is joined, and the database is closed.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Application {
            store,
            helpcenter,
            adapters,
            sink,
            dispatcher,
            engine,
            web,
            reload_secs,
            mailer,
            max_backoff,
        } = self;
        let serving = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                let served = web.serve(shutdown.clone()).await;
                shutdown.cancel();
                served
            }
        });
        let mailing = mailer.map(|mailer| {
            let store: Arc<dyn relaydesk_core::Store> = store.clone();
            tokio::spawn(mailer::run(
                engine.clone(),
                store,
                mailer,
                max_backoff,
                shutdown.clone(),
            ))
        });
        let timers = tokio::spawn(tasks::timers(engine, shutdown.clone()));
        let reloading = tokio::spawn(tasks::reload_helpcenter(
            helpcenter,
            store.clone(),
            reload_secs,
            shutdown.clone(),
        ));
        let ran = runtime::run(adapters, sink, dispatcher, shutdown.clone()).await;
        shutdown.cancel();
        // Requests still under way by now (a client that is slow on purpose) do not
        // hold up the exit.
        let served = match tokio::time::timeout(Duration::from_secs(1), serving).await {
            Ok(served) => served,
            Err(_) => Ok(Ok(())),
        };
        let _ = reloading.await;
        let _ = timers.await;
        if let Some(mailing) = mailing {
            let _ = mailing.await;
        }
        store.close().await;
        ran?;
        served.context("the web server failed")?
    }
}

/// How the dispatcher retries and stops, from `[delivery]` and `[shutdown]`. Of the
/// grace period, a second is kept for closing the database and exiting.
pub fn dispatch_settings(config: &Config) -> DispatchSettings {
    let grace = Duration::from_secs(config.shutdown.grace_secs);
    DispatchSettings {
        max_backoff: (config.delivery.max_backoff_secs.saturating_mul(1000)) as i64,
        drain_for: grace.saturating_sub(Duration::from_secs(1)),
        ..DispatchSettings::default()
    }
}

/// The web side's settings, from `[web]` and `[relay]`.
pub fn web_settings(config: &Config) -> relaydesk_web::WebSettings {
    relaydesk_web::WebSettings {
        public_url: config.public_url(),
        max_upload_bytes: usize::try_from(config.web.max_upload_mb.saturating_mul(1024 * 1024))
            .unwrap_or(usize::MAX),
        submit_per_hour: config.web.submit_per_hour,
        files_dir: config.relay.files_dir.clone(),
        blocked_domains: config.identity.blocked_domains.clone(),
    }
}

/// This process's name in outbox claims: the host, the process id, and a random part
/// (process ids repeat across containers and restarts).
fn worker_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut random = std::collections::hash_map::RandomState::new().build_hasher();
    random.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    format!(
        "{}-{}-{:06x}",
        hostname(),
        std::process::id(),
        random.finish() & 0xff_ffff
    )
}

/// Opens the configured database and applies its migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<SqlStore>> {
    let store = SqlStore::connect(config.database.url.expose_secret())
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
            triage: q.triage.clone(),
            routes: crate::config::desk::routes(q),
            // Checked when the configuration was read.
            hours: crate::config::desk::hours(q).ok().flatten(),
            verify: identity::verify(q).unwrap_or_default(),
        })
        .collect()
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

/// Events handled per transaction: SQLite has one writer, so events that arrive
/// together share a transaction; PostgreSQL handles them side by side.
pub fn batch_size(store: &SqlStore) -> usize {
    if store.dialect() == "sqlite" {
        32
    } else {
        1
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "relaydesk".into())
}
