//! The Slack adapter: Socket Mode or the Events API in, the Web API out, on
//! slack-morphism. It converts and delivers; the engine decides.

pub mod check;
pub mod convert;
mod guard;
mod http;
pub mod ids;
mod intake;
pub mod json;
mod socket;
pub mod web;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use relaydesk_core::adapter::{
    Action, AdapterError, Body, Capabilities, ChannelAdapter, Delivered, InboundSink, Outbound,
    SendError,
};
use relaydesk_core::health::Connection;
use relaydesk_core::i18n;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use crate::intake::Intake;
use crate::web::{Upload, Web};

/// Slack's limit is 40,000 characters, but a section block (a message with buttons)
/// holds 3,000: splitting there keeps every message renderable.
pub const MAX_LEN: usize = 3000;

/// What Slack can do, as the engine shapes messages for it. Known without an adapter: a
/// process that does not run Slack still splits a reply to a Slack channel at its limit.
pub const CAPABILITIES: Capabilities = Capabilities {
    max_len: MAX_LEN,
    edits: true,
    finds_in_doubt: true,
    chat_link: Some("https://slack.com/app_redirect?channel={channel}"),
};

/// How Slack delivers events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Socket Mode: relaydesk connects out; no public URL needed.
    Socket,
    /// Events API: Slack posts signed requests to `/slack/events`, `/slack/interactions`
    /// and `/slack/commands`, the [`SlackAdapter::routes`] the binary serves.
    Http,
}

/// Everything the adapter needs. The secrets are [`SecretString`]s: `Debug` masks them,
/// and they are exposed only where a request is signed or checked.
#[derive(Debug)]
pub struct Settings {
    /// Socket Mode or the Events API.
    pub mode: Mode,
    /// Slack's Web API, e.g. `https://slack.com/api/`; plain `http://` works.
    pub api_url: String,
    /// The bot token (`xoxb-…`): every Web API call.
    pub bot_token: SecretString,
    /// Socket Mode only.
    pub app_token: SecretString,
    /// Events API only.
    pub signing_secret: SecretString,
    /// Workspaces whose members' emails count as verified.
    pub trusted_team_ids: Vec<String>,
    /// The channel ids of the queues' `slack:` agent channels.
    pub agent_channels: HashSet<String>,
    /// Public help channels whose new messages get article suggestions.
    pub help_channels: HashSet<String>,
    /// Largest file copied as a file; larger ones are linked.
    pub max_file_bytes: u64,
    /// Where files kept on arrival by another adapter (Discord's) are read from.
    pub files_dir: std::path::PathBuf,
}

/// Why the adapter could not be built.
pub use web::WebError as BuildError;

/// The Slack adapter.
pub struct SlackAdapter {
    settings: Settings,
    web: Arc<Web>,
    /// Events API only: where the routes find the intake once the adapter runs.
    events: Option<http::Gate>,
}

impl SlackAdapter {
    /// Checks the settings and builds the Web API client; nothing connects until `run`.
    pub fn new(settings: Settings) -> Result<SlackAdapter, BuildError> {
        let web = Web::new(
            &settings.api_url,
            &settings.bot_token,
            &settings.trusted_team_ids,
        )?;
        let events = (settings.mode == Mode::Http).then(http::Gate::new);
        Ok(SlackAdapter {
            settings,
            web: Arc::new(web),
            events,
        })
    }

    /// The Events API's routes, for the binary's web server to serve (HTTP mode only;
    /// `None` in Socket Mode). Every route checks Slack's signature before anything
    /// else; requests that come before [`ChannelAdapter::run`] has reached Slack wait
    /// a little for it, then are answered 503 so that Slack sends them again.
    pub fn routes(&self) -> Option<axum::Router> {
        let gate = self.events.as_ref()?;
        Some(http::router(gate, self.settings.signing_secret.clone()))
    }

    fn error(&self, message: impl Into<String>) -> AdapterError {
        AdapterError {
            adapter: ids::NAME.into(),
            message: message.into(),
        }
    }

    /// Asks Slack who the bot is, retrying while Slack cannot be reached.
    async fn bot_user(
        &self,
        sink: &dyn InboundSink,
        shutdown: &CancellationToken,
    ) -> Result<Option<String>, AdapterError> {
        let mut backoff = std::time::Duration::from_millis(500);
        loop {
            match self.web.whoami().await {
                Ok(me) => {
                    tracing::info!(bot = %me.user_id, team = %me.team_id, "connected to Slack's Web API");
                    return Ok(Some(me.user_id.0));
                }
                Err(slack_morphism::errors::SlackClientError::ApiError(e)) => {
                    return Err(self.error(format!(
                        "Slack refused SLACK_BOT_TOKEN ({}); check the token and the app's installation",
                        e.code
                    )))
                }
                Err(e) => {
                    tracing::warn!(error = %web::describe(&e), retry_in_ms = backoff.as_millis() as u64, "Slack's Web API is unreachable");
                    let why = format!("Slack's Web API is unreachable: {}", web::describe(&e));
                    sink.connection(ids::NAME, Connection::Down(why));
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(None),
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(std::time::Duration::from_secs(30));
        }
    }

    async fn post(&self, message: &Outbound) -> Result<Delivered, SendError> {
        let channel = &message.to.channel;
        let thread = message.to.thread.as_deref();
        let say = i18n::agents();
        let who = message
            .payload
            .sender
            .as_ref()
            .map(|who| format!("*{}*", convert::escape(who)));
        let key = &message.idempotency_key;
        if message.in_doubt && !matches!(message.payload.body, Body::File(_)) {
            // Posted before a crash, or by a call that got no answer? Then it is there,
            // and not posted again. (A file share carries no metadata to find it by.)
            match self.web.find_posted(channel, thread, key).await {
                Ok(Some(ts)) => {
                    tracing::info!(to = %message.to, row = message.id, "already posted before; not posted again");
                    return Ok(Delivered::message(ts));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(to = %message.to, error = %e, "cannot look for a message that may be posted already; posting it")
                }
            }
        }
        let Body::File(file) = &message.payload.body else {
            let mut content = convert::content_of(message);
            content.metadata = Some(web::metadata(key));
            let id = self.web.post(channel, thread, content).await?;
            return Ok(Delivered::message(id));
        };
        let comment = who.as_deref().map(|who| say.file_sent(who));
        let id = match self
            .web
            .upload(
                channel,
                thread,
                file,
                comment,
                self.settings.max_file_bytes,
                &self.settings.files_dir,
            )
            .await?
        {
            Upload::Shared(id) => id,
            Upload::TooLarge => {
                let mb = self.settings.max_file_bytes / (1024 * 1024);
                let (name, url) = (convert::escape(&file.name), convert::escape(&file.url));
                let text = format!("📎 {}", say.file_too_large(who.as_deref(), &name, mb, &url));
                let content = slack_morphism::prelude::SlackMessageContent::new()
                    .with_text(text)
                    .with_metadata(web::metadata(key));
                self.web.post(channel, thread, content).await?
            }
        };
        Ok(Delivered::message(id))
    }
}

#[async_trait]
impl ChannelAdapter for SlackAdapter {
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
        let result = self.receive(sink, shutdown).await;
        if let Some(gate) = &self.events {
            gate.close();
        }
        result
    }

    /// Posts, changes or removes; the dispatcher bounds how long it may take.
    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError> {
        let channel = &message.to.channel;
        match &message.action {
            Action::Post => self.post(message).await,
            Action::Update { message_id } => {
                let mut content = convert::content_of(message);
                // chat.update keeps a message's blocks unless it is given others: a
                // message that had buttons would go on showing its old words and buttons.
                content.blocks.get_or_insert_with(Vec::new);
                let ts = self.web.update(channel, message_id, content).await?;
                Ok(Delivered::message(ts))
            }
            Action::Delete { message_id } => {
                let ts = self.web.delete(channel, message_id).await?;
                Ok(Delivered::message(ts))
            }
        }
    }
}

impl SlackAdapter {
    async fn receive(
        &self,
        sink: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError> {
        let Some(bot_user) = self.bot_user(sink.as_ref(), &shutdown).await? else {
            return Ok(());
        };
        let intake = Arc::new(Intake {
            web: self.web.clone(),
            sink: sink.clone(),
            bot_user,
            agent_channels: self.settings.agent_channels.clone(),
            help_channels: self.settings.help_channels.clone(),
        });
        match &self.events {
            None => socket::run(intake, &self.settings.app_token, shutdown)
                .await
                .map_err(|m| self.error(m)),
            Some(gate) => {
                gate.open(intake);
                // Slack calls in; there is no connection of ours to lose. Deliveries
                // that cannot reach Slack show it down.
                sink.connection(ids::NAME, Connection::Connected);
                tracing::info!(
                    "Slack Events API ready on /slack/events, /slack/interactions, /slack/commands"
                );
                shutdown.cancelled().await;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_never_show_a_secret() {
        let settings = Settings {
            mode: Mode::Http,
            api_url: "http://127.0.0.1:1/api".into(),
            bot_token: "xoxb-secret-1".into(),
            app_token: "xapp-secret-2".into(),
            signing_secret: "signing-secret-3".into(),
            trusted_team_ids: Vec::new(),
            agent_channels: HashSet::new(),
            help_channels: HashSet::new(),
            max_file_bytes: 1,
            files_dir: std::path::PathBuf::from("files"),
        };
        let shown = format!("{settings:?}");
        for secret in ["xoxb-secret-1", "xapp-secret-2", "signing-secret-3"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
