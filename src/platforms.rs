//! Every platform relaydesk knows, in one list: its name, its configuration section,
//! what it can do, how its adapter is built (secrets read from the environment as
//! `SecretString`s), what `relaydesk check` says of it, and the HTTP routes it adds to
//! the web server. Adding a platform is adding an entry to [`PLATFORMS`].

mod discord;
mod slack;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use relaydesk_core::{Capabilities, ChannelAdapter};
use secrecy::SecretString;

use crate::config::Config;

/// A platform, as the rest of the binary knows it.
pub struct Platform {
    /// The adapter's name: the first part of its addresses (`slack:C0123`).
    pub name: &'static str,
    /// Its section in `bot.toml`, as messages name it: `[slack]`.
    pub section: &'static str,
    /// What it can do. Known whether or not this process runs it: a console process
    /// still splits a reply to a Slack channel at Slack's limit.
    pub capabilities: Capabilities,
    /// Whether the configuration enables it.
    pub enabled: fn(&Config) -> bool,
    /// Builds its adapter for an enabled section: an error names what is missing.
    pub build: fn(&Config) -> anyhow::Result<Built>,
    /// For an enabled section: checks its secrets and, where it can, asks the platform
    /// what they allow. Returns the problems found; may print what it learnt.
    pub check: for<'a> fn(&'a Config) -> Checking<'a>,
}

/// What [`Platform::check`] returns.
pub type Checking<'a> = Pin<Box<dyn Future<Output = Vec<String>> + Send + 'a>>;

/// A built platform: its adapter, and the routes it adds to the web server (if any).
pub struct Built {
    pub adapter: Arc<dyn ChannelAdapter>,
    pub routes: Option<axum::Router>,
}

/// The platforms, in the order they are built, checked and named.
pub const PLATFORMS: &[Platform] = &[slack::PLATFORM, discord::PLATFORM];

/// The platforms the configuration enables.
pub fn enabled(config: &Config) -> impl Iterator<Item = &'static Platform> + '_ {
    PLATFORMS.iter().filter(|p| (p.enabled)(config))
}

/// Whether `adapter` names a platform the configuration enables.
pub fn is_enabled(config: &Config, adapter: &str) -> bool {
    enabled(config).any(|p| p.name == adapter)
}

/// Builds every enabled platform.
pub fn build(config: &Config) -> anyhow::Result<Vec<Built>> {
    enabled(config).map(|p| (p.build)(config)).collect()
}

/// Every platform's capabilities, by adapter name.
pub fn capabilities() -> HashMap<String, Capabilities> {
    PLATFORMS
        .iter()
        .map(|p| (p.name.to_string(), p.capabilities))
        .collect()
}

/// Every enabled platform's problems, each prefixed with its name.
pub async fn check(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    for p in enabled(config) {
        let found = (p.check)(config).await;
        problems.extend(found.into_iter().map(|f| format!("{}: {f}", p.name)));
    }
    problems
}

/// `relaydesk discord …`.
pub async fn discord_command(
    config: &Config,
    command: crate::cli::DiscordCommand,
) -> anyhow::Result<()> {
    discord::command(config, command).await
}

/// A secret from the environment; empty when unset. Held as a `SecretString` from the
/// moment it is read.
fn secret(name: &str) -> SecretString {
    SecretString::from(std::env::var(name).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_platform_is_listed_once_with_its_capabilities() {
        let caps = capabilities();
        assert_eq!(caps.len(), PLATFORMS.len(), "a platform is listed twice");
        assert_eq!(caps["slack"], relaydesk_slack::CAPABILITIES);
        assert_eq!(caps["discord"], relaydesk_discord::CAPABILITIES);
    }
}
