//! The adapter port: what a platform connector must do, and the messages it carries.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::types::{Address, Person};

/// What an adapter's platform can do; the engine shapes its messages by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Longest message, in characters; longer text is split into several messages.
    pub max_len: usize,
    pub threads: bool,
    pub buttons: bool,
    /// Posted messages can be changed and removed.
    pub edits: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            max_len: 2000,
            threads: true,
            buttons: false,
            edits: false,
        }
    }
}

/// What arrived from a platform, already converted to core types.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// The platform's message (or event) id; with the adapter and channel it identifies
    /// the event, so a redelivery is recognised and handled once.
    pub id: String,
    /// Where it was posted: the channel and, for thread replies, the thread.
    pub address: Address,
    pub author: Person,
    pub content: Content,
    /// Files attached to the message.
    pub files: Vec<FileRef>,
    /// Where to go on in private (a direct message) when the event came from a shared
    /// place, such as an @mention in a channel: a handoff continues there.
    pub private_address: Option<Address>,
}

impl Inbound {
    /// A plain message with no files.
    pub fn new(id: impl Into<String>, address: Address, author: Person, content: Content) -> Self {
        Inbound {
            id: id.into(),
            address,
            author,
            content,
            files: Vec::new(),
            private_address: None,
        }
    }
}

/// The body of an inbound event.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    /// A button press: the value of the [`Choice`] that was offered.
    Choice(String),
    /// The author changed their message `id` (same adapter and channel) to `text`.
    Edited {
        id: String,
        text: String,
    },
    /// The author deleted their message `id`.
    Deleted {
        id: String,
    },
    /// The person asked for the list of their conversations.
    History,
}

/// A file attached to a message, where the platform keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub name: String,
    /// Where to download it; the adapter that received it knows how to authenticate.
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
}

/// A choice offered with a message: a button where the adapter has them, a numbered
/// line otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// What the engine wants posted, as the dispatcher hands it to an adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    /// Outbox row id.
    pub id: i64,
    /// Where to post; `thread` is set when it goes into a thread.
    pub to: Address,
    pub kind: OutboundKind,
    pub text: String,
    /// Whose words these are when they are relayed (agent or user display name);
    /// `None` for the bot's own messages.
    pub sender: Option<String>,
    pub choices: Vec<Choice>,
    /// Files to copy over with the message.
    pub files: Vec<FileRef>,
    /// Post a new message, or change or remove one posted before.
    pub action: Action,
    /// Stable across retries of the same row.
    pub idempotency_key: String,
}

/// What to do with an outbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Post,
    /// Replace the text (and choices) of the platform's message `message_id`.
    Update {
        message_id: String,
    },
    /// Remove the platform's message `message_id`.
    Delete {
        message_id: String,
    },
}

/// What an outbound message is, for adapters that render kinds differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboundKind {
    /// The bot speaking to the person.
    Bot,
    /// Words relayed from the other side.
    Relay,
    /// A ticket card: the root of the ticket's thread in the agent channel.
    TicketCard,
    /// A notice for agents in the ticket thread (transcript, state changes).
    AgentNotice,
}

impl OutboundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundKind::Bot => "bot",
            OutboundKind::Relay => "relay",
            OutboundKind::TicketCard => "ticket_card",
            OutboundKind::AgentNotice => "agent_notice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Bot, Self::Relay, Self::TicketCard, Self::AgentNotice]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A successful delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The platform's id of the posted message (Slack `ts`, Discord snowflake). For a
    /// ticket card it becomes the ticket's thread.
    pub message_id: String,
}

/// Why a delivery failed, as the dispatcher needs to know it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// Worth retrying with backoff (network, 5xx).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Retrying cannot help (channel gone, bot not invited, message rejected).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Why an adapter's receive loop stopped.
#[derive(Debug, thiserror::Error)]
#[error("{adapter}: {message}")]
pub struct AdapterError {
    pub adapter: String,
    pub message: String,
}

/// Why an inbound event was not accepted: the adapter must not acknowledge it, so that
/// the platform delivers it again.
#[derive(Debug, thiserror::Error)]
#[error("the message could not be stored; it was not acknowledged")]
pub struct SinkError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Where adapters hand inbound events. Implemented by the engine's runtime.
#[async_trait]
pub trait InboundSink: Send + Sync {
    /// Stores and handles one event; returns once it is committed (a redelivered event
    /// returns Ok too). Only then may the adapter acknowledge it to the platform.
    async fn submit(&self, event: Inbound) -> Result<(), SinkError>;

    /// Waits until nothing is left to deliver through the named adapter.
    async fn settled(&self, adapter: &str);
}

/// A platform connector. It converts and delivers; it never stores or decides.
#[async_trait]
pub trait ChannelAdapter: Send + Sync {
    /// The adapter's name, the first part of its addresses: `slack`, `discord`, `console`.
    fn name(&self) -> &str;

    fn capabilities(&self) -> Capabilities;

    /// Receives events and hands them to `sink` until `shutdown` is cancelled.
    async fn run(
        &self,
        sink: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError>;

    /// Posts one message and returns the platform's id for it.
    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError>;
}
