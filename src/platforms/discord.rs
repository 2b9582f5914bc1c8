//! Discord: the gateway and the REST API, with the bot token from `DISCORD_TOKEN`.

use std::sync::Arc;

use anyhow::Context;
use relaydesk_discord::{check as discord_check, DiscordAdapter, Settings};
use secrecy::{ExposeSecret, SecretString};

use super::{secret, Built, Checking, Platform};
use crate::cli::DiscordCommand;
use crate::config::Config;

pub const PLATFORM: Platform = Platform {
    name: relaydesk_discord::ids::NAME,
    section: "discord",
    capabilities: relaydesk_discord::CAPABILITIES,
    enabled: |config| config.discord.enabled,
    build,
    check,
};

const TOKEN: &str = "DISCORD_TOKEN";

fn token() -> anyhow::Result<SecretString> {
    let token = secret(TOKEN);
    if token.expose_secret().trim().is_empty() {
        anyhow::bail!(
            "[{}] is enabled but {TOKEN} is not set; see the README's Discord section",
            PLATFORM.section
        );
    }
    Ok(token)
}

fn agent_channels(config: &Config) -> Vec<String> {
    config
        .queues
        .iter()
        .filter(|q| q.agent_channel.adapter == PLATFORM.name)
        .map(|q| q.agent_channel.channel.clone())
        .collect()
}

fn adapter(config: &Config) -> anyhow::Result<DiscordAdapter> {
    let adapter = DiscordAdapter::new(Settings {
        api_url: config.discord.api_url.clone(),
        token: token()?,
        guild_ids: config.discord.guild_ids.clone(),
        agent_channels: agent_channels(config).into_iter().collect(),
        help_forums: config.discord.help_forums.iter().cloned().collect(),
        max_file_bytes: config.relay.max_file_mb.saturating_mul(1024 * 1024),
        files_dir: config.relay.files_dir.clone(),
    })
    .context("cannot set up the Discord adapter")?;
    Ok(adapter)
}

fn build(config: &Config) -> anyhow::Result<Built> {
    Ok(Built {
        adapter: Arc::new(adapter(config)?),
        routes: None,
    })
}

fn check(config: &Config) -> Checking<'_> {
    Box::pin(async move {
        let token = secret(TOKEN);
        if token.expose_secret().trim().is_empty() {
            return vec![format!("{TOKEN} is not set")];
        }
        let channels = agent_channels(config);
        match discord_check::run(&config.discord.api_url, token.expose_secret(), &channels).await {
            Ok(report) => {
                println!(
                    "# discord: the bot token works: bot user {} of application {}",
                    report.bot_user, report.application
                );
                report.problems
            }
            Err(e) => vec![e],
        }
    })
}

/// `relaydesk discord …`.
pub async fn command(config: &Config, command: DiscordCommand) -> anyhow::Result<()> {
    match command {
        DiscordCommand::InviteUrl { application_id } => {
            let app = match application_id {
                Some(app) => app,
                None => {
                    let token = secret(TOKEN);
                    if token.expose_secret().trim().is_empty() {
                        anyhow::bail!("{TOKEN} is not set: set it, or pass --application-id");
                    }
                    let report =
                        discord_check::run(&config.discord.api_url, token.expose_secret(), &[])
                            .await
                            .map_err(anyhow::Error::msg)?;
                    report.application
                }
            };
            println!("{}", discord_check::invite_url(&app));
            Ok(())
        }
        DiscordCommand::Panel { channel } => {
            let id = adapter(config)?
                .post_panel(&channel)
                .await
                .map_err(|e| anyhow::anyhow!("cannot post the panel in {channel}: {e}"))?;
            println!("posted the \"Contact support\" panel in {channel} (message {id})");
            Ok(())
        }
    }
}
