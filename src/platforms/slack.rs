//! Slack: Socket Mode or the Events API, with tokens from `SLACK_BOT_TOKEN`,
//! `SLACK_APP_TOKEN` and `SLACK_SIGNING_SECRET`.

use std::sync::Arc;

use anyhow::Context;
use relaydesk_slack::{check as slack_check, Mode, Settings, SlackAdapter};
use secrecy::{ExposeSecret, SecretString};

use super::{secret, Built, Checking, Platform};
use crate::config::{Config, SlackMode};

pub const PLATFORM: Platform = Platform {
    name: relaydesk_slack::ids::NAME,
    section: "slack",
    capabilities: relaydesk_slack::CAPABILITIES,
    enabled: |config| config.slack.enabled,
    build,
    check,
};

/// The three secrets, read from the environment.
struct Tokens {
    bot: SecretString,
    app: SecretString,
    signing: SecretString,
}

impl Tokens {
    fn read() -> Tokens {
        Tokens {
            bot: secret("SLACK_BOT_TOKEN"),
            app: secret("SLACK_APP_TOKEN"),
            signing: secret("SLACK_SIGNING_SECRET"),
        }
    }

    /// The variables `mode` needs that are unset or empty.
    fn missing(&self, mode: Mode) -> Vec<&'static str> {
        slack_check::missing_tokens(mode, &self.bot, &self.app, &self.signing)
    }
}

fn mode(config: &Config) -> Mode {
    match config.slack.mode {
        SlackMode::Socket => Mode::Socket,
        SlackMode::Http => Mode::Http,
    }
}

fn build(config: &Config) -> anyhow::Result<Built> {
    let mode = mode(config);
    let tokens = Tokens::read();
    let missing = tokens.missing(mode);
    if !missing.is_empty() {
        anyhow::bail!(
            "[{}] is enabled but {} {} not set; see the README's Slack section",
            PLATFORM.section,
            missing.join(" and "),
            if missing.len() == 1 { "is" } else { "are" }
        );
    }
    let agent_channels = config
        .queues
        .iter()
        .filter(|q| q.agent_channel.adapter == PLATFORM.name)
        .map(|q| q.agent_channel.channel.clone())
        .collect();
    let adapter = SlackAdapter::new(Settings {
        mode,
        api_url: config.slack.api_url.clone(),
        bot_token: tokens.bot,
        app_token: tokens.app,
        signing_secret: tokens.signing,
        trusted_team_ids: config.slack.trusted_team_ids.clone(),
        agent_channels,
        help_channels: config.slack.help_channels.iter().cloned().collect(),
        max_file_bytes: config.relay.max_file_mb.saturating_mul(1024 * 1024),
        files_dir: config.relay.files_dir.clone(),
    })
    .context("cannot set up the Slack adapter")?;
    Ok(Built {
        routes: adapter.routes(),
        adapter: Arc::new(adapter),
    })
}

fn check(config: &Config) -> Checking<'_> {
    Box::pin(async move {
        let tokens = Tokens::read();
        let mut problems: Vec<String> = tokens
            .missing(mode(config))
            .into_iter()
            .map(|name| format!("{name} is not set"))
            .collect();
        if tokens.bot.expose_secret().trim().is_empty() {
            return problems;
        }
        match slack_check::bot_token(&config.slack.api_url, &tokens.bot).await {
            Ok(report) => {
                println!(
                    "# slack: the bot token works: bot user {} in workspace {}",
                    report.bot_user, report.team
                );
                for (scope, why) in report.missing_scopes {
                    problems.push(format!(
                        "the bot token lacks the scope `{scope}` (needed to {why}); add it under OAuth & Permissions and reinstall the app"
                    ));
                }
            }
            Err(e) => problems.push(e),
        }
        problems
    })
}
