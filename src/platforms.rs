//! The platform adapters the configuration enables, built with their secrets from the
//! environment, and what `relaydesk check` says about them.

use std::sync::Arc;

use anyhow::Context;
use relaydesk_core::ChannelAdapter;
use relaydesk_slack::{check as slack_check, Mode, Settings, SlackAdapter};

use crate::config::{Config, SlackMode};

/// A secret from the environment; empty when unset.
fn secret(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn slack_mode(config: &Config) -> Mode {
    match config.slack.mode {
        SlackMode::Socket => Mode::Socket,
        SlackMode::Http => Mode::Http,
    }
}

const DISCORD_MISSING: &str = "[discord] is enabled, but this relaydesk has no Discord adapter yet";

/// The enabled platform adapters (Slack; Discord is not in this version).
pub fn adapters(config: &Config) -> anyhow::Result<Vec<Arc<dyn ChannelAdapter>>> {
    let mut adapters: Vec<Arc<dyn ChannelAdapter>> = Vec::new();
    if config.slack.enabled {
        adapters.push(Arc::new(slack(config)?));
    }
    if config.discord.enabled {
        anyhow::bail!(DISCORD_MISSING);
    }
    Ok(adapters)
}

fn slack(config: &Config) -> anyhow::Result<SlackAdapter> {
    let mode = slack_mode(config);
    let (bot, app, signing) = (
        secret("SLACK_BOT_TOKEN"),
        secret("SLACK_APP_TOKEN"),
        secret("SLACK_SIGNING_SECRET"),
    );
    let missing = slack_check::missing_tokens(mode, &bot, &app, &signing);
    if !missing.is_empty() {
        anyhow::bail!(
            "[slack] is enabled but {} {} not set; see the README's Slack section",
            missing.join(" and "),
            if missing.len() == 1 { "is" } else { "are" }
        );
    }
    let agent_channels = config
        .queues
        .iter()
        .filter(|q| q.agent_channel.adapter == relaydesk_slack::ids::NAME)
        .map(|q| q.agent_channel.channel.clone())
        .collect();
    SlackAdapter::new(Settings {
        mode,
        api_url: config.slack.api_url.clone(),
        bot_token: bot,
        app_token: app,
        signing_secret: signing,
        bind: config.web.bind.clone(),
        trusted_team_ids: config.slack.trusted_team_ids.clone(),
        agent_channels,
        max_file_bytes: config.relay.max_file_mb.saturating_mul(1024 * 1024),
    })
    .context("cannot set up the Slack adapter")
}

/// Checks each enabled platform's secrets and, where it can, asks the platform what
/// they allow. Returns the problems found.
pub async fn check(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    if config.discord.enabled {
        problems.push(DISCORD_MISSING.to_string());
    }
    if !config.slack.enabled {
        return problems;
    }
    let mode = slack_mode(config);
    let bot = secret("SLACK_BOT_TOKEN");
    for name in slack_check::missing_tokens(
        mode,
        &bot,
        &secret("SLACK_APP_TOKEN"),
        &secret("SLACK_SIGNING_SECRET"),
    ) {
        problems.push(format!("slack: {name} is not set"));
    }
    if bot.trim().is_empty() {
        return problems;
    }
    match slack_check::bot_token(&config.slack.api_url, &bot).await {
        Ok(report) => {
            println!(
                "# slack: the bot token works: bot user {} in workspace {}",
                report.bot_user, report.team
            );
            for (scope, why) in report.missing_scopes {
                problems.push(format!(
                    "slack: the bot token lacks the scope `{scope}` (needed to {why}); add it under OAuth & Permissions and reinstall the app"
                ));
            }
        }
        Err(e) => problems.push(format!("slack: {e}")),
    }
    problems
}
