//! The `relaydesk` binary's library: configuration, wiring, the console adapter and the
//! commands.

pub mod app;
pub mod bench;
mod bench_relay;
mod bench_web;
pub mod cli;
pub mod config;
pub mod console;
mod conversations;
mod incident;
mod kb;
pub mod mail;
mod mailer;
pub mod metrics;
mod phrasings;
mod platforms;
mod verify;
mod web;

use std::process::ExitCode;

use app::Application;
use cli::{Cli, Command};
use config::{Config, LogFormat};
use tokio_util::sync::CancellationToken;

/// Runs one command line; prints errors and returns the exit code.
pub fn main(cli: Cli) -> ExitCode {
    // `bot.toml` may be absent only when it was not named: then defaults apply.
    let named = cli.config.as_os_str() != "bot.toml";
    let config = match Config::load(&cli.config, named) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Before any sentence is written: the catalogue is read once, with them.
    if let Err(problems) = config.messages.install() {
        for p in problems {
            eprintln!("error: {p}");
        }
        return ExitCode::from(2);
    }
    let command = cli.command.unwrap_or(Command::Run);
    let quiet = matches!(
        command,
        Command::Console
            | Command::Conversations { .. }
            | Command::Tickets { .. }
            | Command::Status
            | Command::Kb { .. }
            | Command::Bench { .. }
            | Command::Discord { .. }
            | Command::Incident { .. }
    );
    init_logging(
        &config,
        cli.log_json,
        if quiet {
            "warn"
        } else {
            config.log.level.as_str()
        },
    );
    // One thread: the work is waiting on sockets and on the database, and with SQLite's
    // single writer more threads only add hand-offs (measured: about a third slower).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(execute(command, config));
    // A read of standard input may still be waiting on its thread: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Run => run(config).await,
        Command::Console => {
            until_signalled(async {
                let console = app::console_adapter(&config);
                app::resume_console(&config, &console).await?;
                // Enabled platforms run too, so that the console can serve their people.
                Application::build_with(&config, vec![console]).await
            })
            .await
        }
        Command::Web => until_signalled(Application::build_web(&config)).await,
        Command::Check => check(&config).await,
        Command::Migrate => {
            let store = app::open_store(&config).await?;
            println!(
                "migrations applied to {} ({})",
                config.database.url,
                store.dialect()
            );
            Ok(())
        }
        Command::Conversations { command } => conversations::execute(&config, command).await,
        Command::Tickets { command } => conversations::tickets(&config, command).await,
        Command::Status => conversations::status(&config).await,
        Command::Emails { limit } => conversations::emails(&config, limit).await,
        Command::Kb { command } => kb::execute(&config, command),
        Command::Bench { command } => bench::execute(command).await,
        Command::Discord { command } => platforms::discord_command(&config, command).await,
        Command::Incident { command } => incident::execute(&config, command).await,
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    if platforms::enabled(&config).next().is_none() {
        anyhow::bail!("no adapter is enabled in the configuration: enable [slack], or run `relaydesk console` to try the bot in a terminal");
    }
    until_signalled(Application::build(&config)).await
}

/// Builds the application with `build` and runs it until SIGINT or SIGTERM (listened
/// for from the start), or until it stops by itself.
async fn until_signalled(
    build: impl std::future::Future<Output = anyhow::Result<Application>>,
) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    let signals = tokio::spawn(app::stop_on_signals(shutdown.clone()));
    let outcome = match build.await {
        Ok(app) => app.run_until_stopped(shutdown.clone()).await,
        Err(e) => Err(e),
    };
    shutdown.cancel();
    let _ = signals.await;
    outcome
}

async fn check(config: &Config) -> anyhow::Result<()> {
    println!("{}", config.masked_toml());
    let helpcenter = app::load_helpcenter(config);
    println!(
        "# help center: {} articles from {}",
        helpcenter.current().articles().len(),
        config.helpcenter.path.display()
    );
    let models = &config.helpcenter.models_dir;
    match relaydesk_kb::embed::ModelKind::ALL
        .into_iter()
        .find(|m| m.installed_in(models))
    {
        Some(model) => println!(
            "# semantic search: on, model `{}` in {}",
            model.name(),
            models.join(model.name()).display()
        ),
        None => println!(
            "# semantic search: off, no model in {} (lexical only; `relaydesk kb fetch-model use` installs one)",
            models.display()
        ),
    }
    for q in &config.queues {
        if q.agent_channel.adapter != console::NAME
            && !platforms::is_enabled(config, &q.agent_channel.adapter)
        {
            println!(
                "# warning: queue `{}` posts to {}, but that adapter is not enabled",
                q.name, q.agent_channel
            );
        }
    }
    let mut problems = platforms::check(config).await;
    problems.extend(check_identity(config).await);
    if !problems.is_empty() {
        for p in &problems {
            println!("# error: {p}");
        }
        anyhow::bail!(
            "{} problem{} found: see above",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
    }
    println!("# configuration is valid");
    Ok(())
}

/// Connects to `[smtp]` and, with credentials, logs in; checks the signing keys of
/// signed links. What `relaydesk check` says of email and identity.
async fn check_identity(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    match &config.smtp {
        Some(smtp) => match mail::Mailer::new(&config::identity::smtp_settings(smtp)) {
            Ok(mailer) => match mailer.check().await {
                Ok(()) => println!("# smtp: {}:{} works", smtp.host, smtp.port),
                Err(e) => problems.push(format!("smtp: {e}")),
            },
            Err(e) => problems.push(e),
        },
        None => println!("# smtp: not set; no email is sent, and codes are not offered"),
    }
    if config.identity.login_url.is_some() {
        match config::identity::identity_keys(config) {
            Ok(keys) => println!(
                "# identity: signed links with key{} {}",
                if keys.len() == 1 { "" } else { "s" },
                keys.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            Err(e) => problems.push(e),
        }
    }
    problems
}

fn init_logging(config: &Config, json: bool, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json || config.log.format == LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}
