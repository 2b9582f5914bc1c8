//! The adapter port: what a platform connector must do, and the messages it carries.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::text;
use crate::types::{Address, Person};

/// What an adapter's platform can do; the engine shapes its messages by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Longest message, in characters; longer text is split into several messages.
    pub max_len: usize,
    /// Posted messages can be changed and removed: edits follow, cards are redrawn.
    pub edits: bool,
    /// A message sent [`Outbound::in_doubt`] is looked for before it is posted again
    /// (Slack: by the key in its metadata), so a crash doubles nothing: the dispatcher
    /// then goes on sending a channel's next rows while the last ones are being
    /// recorded. Without it, each send is recorded before the next, and a crash doubles
    /// at most the one send in flight per channel.
    pub finds_in_doubt: bool,
    /// A link that opens a conversation's channel, `{channel}` standing for the channel's
    /// id: emails tell a person who has left where to go on.
    pub chat_link: Option<&'static str>,
}

impl Capabilities {
    /// The link that opens `address`'s channel, where the platform has one.
    pub fn link_to(&self, address: &crate::types::Address) -> Option<String> {
        // A thread's link needs more than its id; the channel's would be the wrong place.
        self.chat_link
            .filter(|_| address.thread.is_none())
            .map(|template| template.replace("{channel}", &address.channel))
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            max_len: 2000,
            edits: false,
            finds_in_doubt: false,
            chat_link: None,
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
    /// Who wrote it.
    pub author: Person,
    /// What it says or does.
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

impl Inbound {
    /// Makes the event one every store can hold ([`text::storable`]): what a platform
    /// sent is kept, with the characters a database refuses replaced, rather than
    /// refused on every redelivery.
    pub fn make_storable(&mut self) {
        let mut texts: Vec<&mut String> = vec![
            &mut self.id,
            &mut self.author.id,
            &mut self.author.display_name,
        ];
        texts.extend(self.author.verified_email.as_mut());
        for a in std::iter::once(&mut self.address).chain(self.private_address.as_mut()) {
            texts.push(&mut a.channel);
            texts.extend(a.thread.as_mut());
        }
        match &mut self.content {
            Content::Text(t) | Content::Choice(t) | Content::Post(t) => texts.push(t),
            Content::Edited { id, text } => texts.extend([id, text]),
            Content::Deleted { id } => texts.push(id),
            Content::History => {}
        }
        for f in &mut self.files {
            texts.extend([&mut f.name, &mut f.url]);
            texts.extend(f.mime.as_mut());
        }
        for t in texts {
            text::make_storable(t);
        }
    }
}

/// The body of an inbound event.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A message's words.
    Text(String),
    /// A button press: the value of the [`Choice`] that was offered.
    Choice(String),
    /// The author changed their message `id` (same adapter and channel) to `text`.
    Edited {
        /// The platform's id of the message that changed.
        id: String,
        /// Its new words.
        text: String,
    },
    /// The author deleted their message `id`.
    Deleted {
        /// The platform's id of the message that was removed.
        id: String,
    },
    /// The person asked for the list of their conversations.
    History,
    /// A new post in a public help place (a help forum's post, a help channel's
    /// top-level message): the bot suggests articles when it is confident, and says
    /// nothing otherwise.
    Post(String),
}

/// A file attached to a message, where the platform keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// The file's name.
    pub name: String,
    /// Where to download it; the adapter that received it knows how to authenticate.
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Its type, when the platform says.
    pub mime: Option<String>,
}

/// A choice offered with a message: a button where the adapter has them, a numbered
/// line otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// What the engine gets back when it is picked.
    pub value: String,
    /// What the person sees.
    pub label: String,
}

/// What the engine wants posted, as the dispatcher hands it to an adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    /// Outbox row id.
    pub id: i64,
    /// Where to post; `thread` is set when it goes into a thread.
    pub to: Address,
    /// Post a new message, or change or remove one posted before.
    pub action: Action,
    /// Stable across retries of the same row.
    pub idempotency_key: String,
    /// It may be on the platform already: a process died sending it, or the last try
    /// got no answer. An adapter that can find its own messages looks for this one
    /// (by `idempotency_key`) before posting it again.
    pub in_doubt: bool,
    /// What it says.
    pub payload: Payload,
}

impl Outbound {
    /// The words as plain text (a card's lines, a prompt without its choices).
    pub fn text(&self) -> Cow<'_, str> {
        self.payload.body.text()
    }
}

/// What a message is and says: the one outbound body, from the engine through the
/// outbox to the adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// What the message is, for adapters that render kinds differently.
    pub kind: OutboundKind,
    /// Whose words these are when they are relayed (agent or user display name);
    /// `None` for the bot's own messages.
    pub sender: Option<String>,
    /// The message itself.
    pub body: Body,
}

/// The body of an outbound message, structured so that each adapter renders it in its
/// own idiom (Slack blocks, Discord embeds and components, console lines).
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Words.
    Text(String),
    /// Words with choices under them: buttons where the adapter has them, numbered
    /// lines otherwise.
    Prompt {
        /// The question.
        text: String,
        /// What the person may pick.
        choices: Vec<Choice>,
    },
    /// A ticket card, with its buttons.
    Card {
        /// What the card shows.
        card: Box<TicketCard>,
        /// Its buttons (claim, close, reopen).
        choices: Vec<Choice>,
    },
    /// A file copied over from the other side.
    File(FileRef),
}

impl Body {
    /// Words, with choices when there are any.
    pub fn words(text: impl Into<String>, choices: Vec<Choice>) -> Body {
        let text = text.into();
        if choices.is_empty() {
            Body::Text(text)
        } else {
            Body::Prompt { text, choices }
        }
    }

    /// The words as plain text: a card's lines, a prompt without its choices, nothing
    /// for a file.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Body::Text(text) | Body::Prompt { text, .. } => Cow::Borrowed(text),
            Body::Card { card, .. } => Cow::Owned(card.lines().join("\n")),
            Body::File(_) => Cow::Borrowed(""),
        }
    }

    /// The choices offered with it.
    pub fn choices(&self) -> &[Choice] {
        match self {
            Body::Prompt { choices, .. } | Body::Card { choices, .. } => choices,
            Body::Text(_) | Body::File(_) => &[],
        }
    }
}

/// A ticket card: what agents see of a ticket at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketCard {
    /// The ticket number.
    pub number: i64,
    /// The queue it is in.
    pub queue: String,
    /// Who asked, as their platform names them.
    pub person: String,
    /// The person's platform (`slack`, `discord`, `console`).
    pub platform: String,
    /// The person's id on that platform.
    pub person_id: String,
    /// The verified email, and who vouches for it; `None`: unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<Verified>,
    /// The same requester on other platforms: verified with the same email.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<AlsoOn>,
    /// The person's language (`en`, `ko`).
    pub lang: String,
    /// The conversation this ticket continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<i64>,
    /// The ticket's priority, once triage sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Triage answers: question and answer, as shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triage: Vec<(String, String)>,
    /// The public post the ticket came from (its address), when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<String>,
    /// The ticket came from the web form: the person reads replies by email.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub web_form: bool,
    /// Where the ticket stands; `None` on the card as first posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CardStatus>,
}

/// A verified email and who vouches for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// The email.
    pub email: String,
    /// Who verified it (`slack`, `email code`, `signed link`).
    pub by: String,
}

/// The requester on another platform, as the card shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlsoOn {
    /// The platform (`slack`, `discord`, `console`).
    pub platform: String,
    /// How that identity was verified.
    pub by: String,
    /// When, as a date (`2026-12-01`).
    pub date: String,
}

/// Where a ticket stands, as its card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardStatus {
    /// The conversation's state.
    pub state: crate::types::State,
    /// Who has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Why it closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl TicketCard {
    /// The card as lines of text, in the agents' language.
    pub fn lines(&self) -> Vec<String> {
        let say = crate::i18n::agents();
        let identity = match &self.verified {
            Some(v) => say.card_verified(&v.email, &v.by),
            None => say.card_unverified().to_string(),
        };
        let mut lines = vec![
            say.card_title(self.number, &self.queue),
            say.card_from(&self.person, &self.platform, &self.person_id, &identity),
        ];
        for also in &self.also {
            lines.push(say.card_also(&also.platform, &also.by, &also.date));
        }
        lines.push(say.card_language(&self.lang));
        if let Some(priority) = &self.priority {
            lines.push(say.card_priority(priority));
        }
        for (question, answer) in &self.triage {
            lines.push(format!("{question}: {answer}"));
        }
        if let Some(previous) = self.continues {
            lines.push(say.card_continues(previous));
        }
        if let Some(post) = &self.post {
            lines.push(say.card_from_post(post));
        }
        if self.web_form {
            lines.push(say.card_web_form().to_string());
        }
        lines.push(say.card_hint().to_string());
        if let Some(s) = &self.status {
            lines.push(say.card_status(s.state, s.assignee.as_deref(), s.reason.as_deref()));
        }
        lines
    }
}

/// What to do with an outbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Post a new message.
    Post,
    /// Replace the text (and choices) of the platform's message `message_id`.
    Update {
        /// The platform's id of the message to change.
        message_id: String,
    },
    /// Remove the platform's message `message_id`.
    Delete {
        /// The platform's id of the message to remove.
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
    /// The name stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundKind::Bot => "bot",
            OutboundKind::Relay => "relay",
            OutboundKind::TicketCard => "ticket_card",
            OutboundKind::AgentNotice => "agent_notice",
        }
    }

    /// The kind stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Bot, Self::Relay, Self::TicketCard, Self::AgentNotice]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A successful delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The platform's id of the posted message (Slack `ts`, Discord snowflake).
    pub message_id: String,
    /// The thread the platform started for it, when it started one (a Discord forum
    /// post or thread); for a ticket card it becomes the ticket's thread. `None`: the
    /// message's own id is its thread (Slack).
    pub thread: Option<String>,
}

impl Delivered {
    /// A message whose own id is its thread.
    pub fn message(id: impl Into<String>) -> Delivered {
        Delivered {
            message_id: id.into(),
            thread: None,
        }
    }
}

/// Why a delivery failed, as the dispatcher needs to know it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// The platform asks to wait; the channel holds until then.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// Slack's `Retry-After`, Discord's `retry_after`: try again after this long.
        retry_after: Duration,
    },
    /// Worth retrying with backoff (a 5xx, a timeout).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The platform could not be reached at all (connection refused or lost): retried
    /// like [`SendError::Transient`], and the adapter shows down until a send goes
    /// through.
    #[error("platform unreachable: {0}")]
    Unreachable(String),
    /// Retrying cannot help (channel gone, bot not invited, message rejected).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Why an adapter's receive loop stopped.
#[derive(Debug, thiserror::Error)]
#[error("{adapter}: {message}")]
pub struct AdapterError {
    /// The adapter's name.
    pub adapter: String,
    /// What went wrong, for the log.
    pub message: String,
}

/// Why an inbound event was not accepted: the adapter must not acknowledge it, so that
/// the platform delivers it again.
#[derive(Debug, thiserror::Error)]
#[error("the message could not be stored; it was not acknowledged")]
pub struct SinkError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// What became of a submitted event, once it is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// Stored and acted upon.
    Handled,
    /// Seen before: nothing was done again.
    Duplicate,
    /// Stored nothing: not for relaydesk (e.g. agents talking outside a ticket).
    Ignored,
}

/// Where adapters hand inbound events. Implemented by the engine's runtime.
#[async_trait]
pub trait InboundSink: Send + Sync {
    /// Stores and handles one event; returns once it is committed (a redelivered event
    /// is accepted too). Only then may the adapter acknowledge it to the platform; an
    /// adapter that must answer sooner (an interaction's deadline) answers "working on
    /// it" first and follows up after.
    async fn submit(&self, event: Inbound) -> Result<Accepted, SinkError>;

    /// Waits until nothing is left to deliver through the named adapter.
    async fn settled(&self, adapter: &str);

    /// Where the named adapter looks for messages written while it was down; nothing by
    /// default.
    async fn catch_up(&self, _adapter: &str) -> crate::store::CatchUp {
        crate::store::CatchUp::default()
    }

    /// The named adapter's connection to its platform changed (a socket up, a gateway
    /// session lost): the status page shows it. Ignored by default.
    fn connection(&self, _adapter: &str, _state: crate::health::Connection) {}
}

/// A platform connector. It converts and delivers; it never stores or decides.
#[async_trait]
pub trait ChannelAdapter: Send + Sync {
    /// The adapter's name, the first part of its addresses: `slack`, `discord`, `console`.
    fn name(&self) -> &str;

    /// What the platform can do; the engine shapes messages by it.
    fn capabilities(&self) -> Capabilities;

    /// Receives events and hands them to `sink` until `shutdown` is cancelled.
    async fn run(
        &self,
        sink: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError>;

    /// Posts (or changes, or removes) one message and returns the platform's id for
    /// it. A promise every adapter keeps: nothing it sends can ping anyone — mentions
    /// of everyone, a channel, a user or a role in the text arrive as plain words.
    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError>;
}
