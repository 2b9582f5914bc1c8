//! The Discord adapter: the gateway in, the REST API out, on serenity. It converts and
//! delivers; the engine decides.

pub mod check;
pub mod convert;
pub mod ids;
mod intake;
pub mod rest;
mod send;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use relaydesk_core::adapter::{
    AdapterError, Capabilities, ChannelAdapter, Delivered, InboundSink, Outbound, SendError,
};
use secrecy::{ExposeSecret, SecretString};
use serenity::all::{ChannelType, GatewayIntents};
use tokio_util::sync::CancellationToken;

use crate::rest::Rest;

/// Discord takes 2,000 characters a message; the engine splits at 1,900 so that a
/// relayed part still fits with its sender's name in front of it.
pub const MAX_LEN: usize = 1900;

/// What Discord can do, as the engine shapes messages for it.
pub const CAPABILITIES: Capabilities = Capabilities {
    max_len: MAX_LEN,
    edits: true,
    // A message is posted with its row's nonce and `enforce_nonce`, so Discord itself
    // answers a repeat within minutes with the message it already has; but a forum post
    // or a file carries none, so each send is recorded before the channel's next.
    finds_in_doubt: false,
    chat_link: Some("https://discord.com/channels/@me/{channel}"),
};

/// The gateway intents the adapter needs: servers and their channels, messages in them
/// and in direct messages, and what those messages say (a privileged intent, enabled in
/// the developer portal).
pub fn intents() -> GatewayIntents {
    GatewayIntents::GUILDS
        | GatewayIntents::GUILD_MESSAGES
        | GatewayIntents::DIRECT_MESSAGES
        | GatewayIntents::MESSAGE_CONTENT
}

/// Everything the adapter needs. The token is a [`SecretString`]: `Debug` masks it.
#[derive(Debug)]
pub struct Settings {
    /// Discord, e.g. `https://discord.com`; plain `http://` works for proxies and tests.
    pub api_url: String,
    /// The bot token.
    pub token: SecretString,
    /// The servers where `/support` is registered.
    pub guild_ids: Vec<String>,
    /// The channel ids of the queues' `discord:` agent channels.
    pub agent_channels: HashSet<String>,
    /// Forums whose new posts get article suggestions.
    pub help_forums: HashSet<String>,
    /// Largest file copied as a file; larger ones are linked.
    pub max_file_bytes: u64,
    /// Where attachments are kept from the moment they arrive (Discord's links expire).
    pub files_dir: std::path::PathBuf,
}

/// What the adapter knows of a channel, once asked.
#[derive(Debug, Clone)]
pub(crate) struct ChannelInfo {
    pub kind: ChannelType,
    pub parent: Option<String>,
    pub owner: Option<String>,
    /// A forum's tags: name (lowercase) → id.
    pub tags: HashMap<String, String>,
}

/// Where a person whose direct messages are closed is answered instead.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fallback {
    /// The user.
    pub user: String,
    /// Their name, for the thread's.
    pub name: String,
    /// The panel's channel, where a private thread is started.
    pub panel: Option<String>,
    /// The private thread, once started.
    pub thread: Option<String>,
}

/// What the sending and the receiving side share.
pub(crate) struct Shared {
    pub settings: Settings,
    pub rest: Rest,
    pub channels: Mutex<HashMap<String, ChannelInfo>>,
    /// User id → their direct-message channel.
    pub dms: Mutex<HashMap<String, String>>,
    /// Direct-message channel → where to answer while their DMs are closed.
    pub fallbacks: Mutex<HashMap<String, Fallback>>,
    /// The bot's user id, once the gateway said.
    pub bot_user: Mutex<Option<String>>,
    /// The application, once the gateway said: commands and interaction webhooks live
    /// under it.
    pub application: Mutex<Option<serenity::all::ApplicationId>>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Why the adapter could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(String);

/// The Discord adapter.
pub struct DiscordAdapter {
    shared: Arc<Shared>,
}

impl DiscordAdapter {
    /// Checks the settings and builds the REST client; nothing connects until `run`.
    pub fn new(mut settings: Settings) -> Result<DiscordAdapter, BuildError> {
        settings.files_dir = std::path::absolute(&settings.files_dir).map_err(|e| {
            BuildError(format!(
                "[relay] files_dir {}: {e}",
                settings.files_dir.display()
            ))
        })?;
        let rest =
            Rest::new(&settings.api_url, settings.token.expose_secret()).map_err(BuildError)?;
        Ok(DiscordAdapter {
            shared: Arc::new(Shared {
                settings,
                rest,
                channels: Mutex::default(),
                dms: Mutex::default(),
                fallbacks: Mutex::default(),
                bot_user: Mutex::default(),
                application: Mutex::default(),
            }),
        })
    }

    fn error(&self, message: impl Into<String>) -> AdapterError {
        AdapterError {
            adapter: ids::NAME.into(),
            message: message.into(),
        }
    }

    /// Posts the "Contact support" panel in `channel`; returns the message id.
    pub async fn post_panel(&self, channel: &str) -> Result<String, String> {
        send::panel(&self.shared, channel).await
    }
}

#[async_trait]
impl ChannelAdapter for DiscordAdapter {
    fn name(&self) -> &str {
        ids::NAME
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn run(
        &self,
        sink: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError> {
        intake::run(self.shared.clone(), sink, shutdown)
            .await
            .map_err(|m| self.error(m))
    }

    /// Posts, changes or removes; the dispatcher bounds how long it may take.
    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError> {
        send::send(&self.shared, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_never_show_the_token() {
        let settings = Settings {
            api_url: "http://127.0.0.1:1".into(),
            token: "discord-secret-1".into(),
            guild_ids: Vec::new(),
            agent_channels: HashSet::new(),
            help_forums: HashSet::new(),
            max_file_bytes: 1,
            files_dir: std::path::PathBuf::from("files"),
        };
        assert!(!format!("{settings:?}").contains("discord-secret-1"));
    }
}
