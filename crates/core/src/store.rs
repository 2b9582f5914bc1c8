//! The store port: everything the engine and the dispatcher persist.
//!
//! The engine does all of one event's work inside one [`Tx`]: dedupe, state change,
//! messages and outbox rows commit together or not at all.

use async_trait::async_trait;
use serde::Serialize;

use crate::adapter::{Body, Choice, FileRef, OutboundKind, Payload};
use crate::text::Lang;
use crate::types::{Address, Author, Conversation, Message, Millis, Person};

/// What a store error was caused by: the database driver's own error.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A store failure. The message is for logs; people are told something kinder.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (down, timed out, out of connections): worth
    /// trying again later.
    #[error("the database is unavailable: {message}")]
    Unavailable {
        /// What happened, without secrets.
        message: String,
        /// The driver's error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// A row that must be unique exists already.
    #[error("already stored: {message}")]
    Unique {
        /// Which constraint, without the values.
        message: String,
        /// The driver's error.
        #[source]
        source: Option<Cause>,
    },
    /// The database refused a statement.
    #[error("database error: {message}")]
    Query {
        /// What happened, without secrets.
        message: String,
        /// The driver's error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// What is stored contradicts what the code expects.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// The database cannot be reached; `message` says why.
    pub fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError::Unavailable {
            message: message.into(),
            source: None,
        }
    }

    /// The database refused something; `message` says what.
    pub fn query(message: impl Into<String>) -> StoreError {
        StoreError::Query {
            message: message.into(),
            source: None,
        }
    }

    /// True when the failure was a unique constraint.
    pub fn is_unique(&self) -> bool {
        matches!(self, StoreError::Unique { .. })
    }
}

/// A conversation about to be created.
#[derive(Debug, Clone)]
pub struct NewConversation {
    /// The person's id.
    pub user_id: i64,
    /// Where the person writes.
    pub user_address: Address,
    /// The language of their first message.
    pub lang: Lang,
    /// The conversation it follows, when the last one closed.
    pub previous_id: Option<i64>,
}

/// A message about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The conversation it belongs to.
    pub conversation_id: i64,
    /// Who wrote it.
    pub author: Author,
    /// The author's name as shown.
    pub author_name: &'a str,
    /// Its words.
    pub body: &'a str,
    /// Where it came from, when it came from a platform: links it to its copies.
    pub source: Option<(&'a Address, &'a str)>,
    /// Files attached to it.
    pub files: &'a [FileRef],
}

impl<'a> NewMessage<'a> {
    /// What the inbound event `ev` says, by `author`, as `body`: linked to where it came
    /// from, with its files.
    pub fn of_event(
        conversation_id: i64,
        author: Author,
        ev: &'a crate::adapter::Inbound,
        body: &'a str,
    ) -> NewMessage<'a> {
        NewMessage {
            conversation_id,
            author,
            author_name: &ev.author.display_name,
            body,
            source: Some((&ev.address, &ev.id)),
            files: &ev.files,
        }
    }
}

/// An outbox row about to be written.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    /// The conversation it belongs to.
    pub conversation_id: i64,
    /// The stored message this row delivers a copy of.
    pub message_id: Option<i64>,
    /// Where it goes.
    pub to: Address,
    /// Deliver into the thread started by this outbox row once it is delivered (a
    /// ticket card whose thread id is not known yet).
    pub parent_id: Option<i64>,
    /// Post, or change or remove what another row posted.
    pub action: RowAction,
    /// Stable across retries; unique among all rows.
    pub idempotency_key: String,
    /// What it says.
    pub payload: Payload,
}

/// What an outbox row does: post, or change or remove what another row posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    /// Post a new message.
    Post,
    /// Change the message outbox row `.0` became.
    Update(i64),
    /// Remove the message outbox row `.0` became.
    Delete(i64),
}

impl RowAction {
    /// The action's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Post => "post",
            RowAction::Update(_) => "update",
            RowAction::Delete(_) => "delete",
        }
    }

    /// The row an update or delete is about.
    pub fn target(self) -> Option<i64> {
        match self {
            RowAction::Post => None,
            RowAction::Update(t) | RowAction::Delete(t) => Some(t),
        }
    }
}

/// A copy of a stored message: an outbox row that delivered (or will deliver) it.
#[derive(Debug, Clone)]
pub struct Copy {
    /// The outbox row.
    pub id: i64,
    /// Where it went.
    pub to: Address,
    /// The row whose thread it went into, when the thread was not known yet.
    pub parent_id: Option<i64>,
    /// What it is.
    pub kind: OutboundKind,
    /// Whose words, when they were relayed.
    pub sender: Option<String>,
}

/// A ticket card as it was posted.
#[derive(Debug, Clone)]
pub struct Card {
    /// The outbox row.
    pub id: i64,
    /// The card ([`Body::Card`]; plain text for cards stored before cards had fields).
    pub body: Body,
}

/// A claimed outbox row, ready for an adapter.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    /// The row's id.
    pub id: i64,
    /// The conversation it belongs to.
    pub conversation_id: i64,
    /// Where it goes; the thread is filled in from the parent once delivered.
    pub to: Address,
    /// `post`, `update` or `delete`.
    pub action: RowAction,
    /// Stable across retries; the platform may use it to refuse doubles.
    pub idempotency_key: String,
    /// Temporary failures so far.
    pub attempts: i64,
    /// It may already be on the platform: a process died holding it, or its last send
    /// got no answer.
    pub in_doubt: bool,
    /// When the engine wrote it.
    pub created_at: Millis,
    /// The parent row's state and platform message id, when the row has a parent.
    pub parent: Option<(DeliveryState, Option<String>)>,
    /// The state and platform message id of the row an update or delete is about.
    pub target: Option<(DeliveryState, Option<String>)>,
    /// What it says.
    pub payload: Payload,
}

/// A delivered row and the platform's id for the message it became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The outbox row.
    pub id: i64,
    /// What it is.
    pub kind: OutboundKind,
    /// The platform's id of the message it became.
    pub platform_message_id: String,
    /// The thread the platform started for it, if it is not the message itself.
    pub thread: Option<String>,
}

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting to be sent (or claimed for sending).
    Pending,
    /// Sent; the platform's id is recorded.
    Delivered,
    /// Given up on; the error is recorded.
    Failed,
}

impl DeliveryState {
    /// The state's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    /// The state named `s`, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// One delivery of a conversation, for `conversations show`.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    /// The outbox row.
    pub id: i64,
    /// Where it went, as an address.
    pub to: String,
    /// What it is.
    pub kind: OutboundKind,
    /// Where it stands.
    pub state: DeliveryState,
    /// Failed tries so far.
    pub attempts: i64,
    /// The platform's id, once delivered.
    pub platform_message_id: Option<String>,
    /// Why the last try failed.
    pub last_error: Option<String>,
}

/// A conversation with everything about it, for the CLI.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationDetail {
    /// The conversation.
    pub conversation: Conversation,
    /// Who asked.
    pub person: Person,
    /// Every message, oldest first.
    pub messages: Vec<Message>,
    /// Every delivery, oldest first.
    pub deliveries: Vec<DeliveryRecord>,
    /// The help-center answers the bot gave.
    pub answers: Vec<AnswerRecord>,
    /// The triage answers, in the order they were given.
    pub triage: Vec<TriageAnswer>,
    /// How the person rated the ticket, once solved.
    pub satisfaction: Option<Satisfaction>,
}

/// How the person rated a solved ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Satisfaction {
    /// 1 (poor) to 5 (great).
    pub rating: u8,
    /// What they added, if anything.
    pub comment: Option<String>,
}

/// A line of `tickets list`.
#[derive(Debug, Clone, Serialize)]
pub struct TicketSummary {
    /// The ticket's number.
    pub number: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// Its queue.
    pub queue: String,
    /// Where it stands.
    pub state: crate::types::State,
    /// How urgent it is.
    pub priority: Option<crate::types::Priority>,
    /// What it is about.
    pub subject: String,
    /// Who asked.
    pub person: String,
    /// The person's platform.
    pub platform: String,
    /// Who has it.
    pub assignee: Option<String>,
    /// When it last changed.
    pub updated_at: Millis,
}

/// A help-center answer the bot gave (or declined to give), and what the person said
/// of it.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerRecord {
    /// What the person asked.
    pub question: String,
    /// Article ids shown, best first; empty when the bot found none.
    pub articles: Vec<String>,
    /// `helped`, `more_help` or `agent`, once the person chose.
    pub feedback: Option<String>,
    /// When the bot answered.
    pub created_at: Millis,
}

/// A line of `conversations list`.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationSummary {
    /// The conversation's id.
    pub id: i64,
    /// Where it stands.
    pub state: crate::types::State,
    /// The ticket's number, once there is one.
    pub ticket_number: Option<i64>,
    /// The ticket's queue.
    pub queue: Option<String>,
    /// Who asked.
    pub person: String,
    /// The person's platform.
    pub platform: String,
    /// How many messages it has.
    pub messages: i64,
    /// When it last changed.
    pub updated_at: Millis,
}

/// Events seen before, so that a redelivery is handled once.
#[async_trait]
pub trait InboundTx: Send {
    /// Records an inbound event id; false when it was seen before.
    async fn remember_inbound(
        &mut self,
        address: &Address,
        id: &str,
        now: Millis,
    ) -> Result<bool, StoreError>;
}

/// People, as their platforms know them.
#[async_trait]
pub trait PersonTx: Send {
    /// Creates or refreshes the person; returns their id, their current conversation
    /// and whether they are blocked at `now`. Holds the person's row until commit, so
    /// that one person's events are handled one at a time.
    async fn upsert_person(&mut self, person: &Person, now: Millis) -> Result<Found, StoreError>;

    /// The person with this id, as last seen.
    async fn person(&mut self, user_id: i64) -> Result<Option<Person>, StoreError>;

    /// Makes `conversation_id` the one the person's next message goes to.
    async fn set_current(&mut self, user_id: i64, conversation_id: i64) -> Result<(), StoreError>;
}

/// A person as [`PersonTx::upsert_person`] finds them.
#[derive(Debug, Clone)]
pub struct Found {
    /// The person's id.
    pub user_id: i64,
    /// The conversation their next message goes to: the newest, unless they chose an
    /// older open one.
    pub current: Option<Conversation>,
    /// An agent has blocked them from opening tickets, and the block has not run out.
    pub blocked: bool,
}

/// A triage question answered (or skipped) in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriageAnswer {
    /// The question's id.
    pub question: String,
    /// The option's id or the words typed; `None` when skipped.
    pub answer: Option<String>,
    /// The answer as the card shows it.
    pub shown: Option<String>,
}

/// A ticket in the person's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketLine {
    /// The conversation of the ticket.
    pub conversation: Conversation,
    /// What it is about: the triage subject, else the first thing the person wrote.
    pub subject: String,
}

/// The help desk's records: triage answers, satisfaction, blocks and transfers.
#[async_trait]
pub trait DeskTx: Send {
    /// The conversation's triage answers, in the order they were given.
    async fn triage_answers(
        &mut self,
        conversation_id: i64,
    ) -> Result<Vec<TriageAnswer>, StoreError>;

    /// Records (or replaces) the answer to one triage question.
    async fn save_triage_answer(
        &mut self,
        conversation_id: i64,
        answer: &TriageAnswer,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// Forgets the conversation's triage answers (the person cancelled).
    async fn clear_triage(&mut self, conversation_id: i64) -> Result<(), StoreError>;

    /// Records the person's rating of a solved ticket, 1 to 5 (again: replaces it).
    async fn rate(
        &mut self,
        conversation_id: i64,
        rating: u8,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// Records the comment that goes with the rating.
    async fn comment(
        &mut self,
        conversation_id: i64,
        comment: &str,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// Blocks the person from opening tickets until `until` (`None`: until unblocked).
    async fn block(
        &mut self,
        user_id: i64,
        until: Option<Millis>,
        agent: &str,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// Lifts the person's block; false when there was none.
    async fn unblock(&mut self, user_id: i64) -> Result<bool, StoreError>;

    /// Marks a stored message as written while blocked.
    async fn hold_message(&mut self, message_id: i64) -> Result<(), StoreError>;

    /// The person's messages written while blocked, oldest first; they are no longer
    /// held once returned.
    async fn release_held(&mut self, user_id: i64) -> Result<Vec<Message>, StoreError>;

    /// Records that the ticket left the thread `from` for queue `to_queue`.
    async fn record_transfer(
        &mut self,
        conversation_id: i64,
        from: &Address,
        to_queue: &str,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// The queue a ticket that was in thread `thread` moved to, and its conversation.
    async fn transferred_from(
        &mut self,
        thread: &Address,
    ) -> Result<Option<(i64, String)>, StoreError>;

    /// The ticket with this number of the person, or of the same requester (a chat
    /// identity verified with the same email).
    async fn ticket_of(
        &mut self,
        user_id: i64,
        number: i64,
    ) -> Result<Option<Conversation>, StoreError>;

    /// The person's tickets, newest first: `limit` of them after skipping `offset`.
    async fn tickets_of(
        &mut self,
        user_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<TicketLine>, StoreError>;
}

/// Agents, as their platforms know them: who a ticket is assigned to.
#[async_trait]
pub trait AgentTx: Send {
    /// Creates or refreshes the agent; returns their id.
    async fn upsert_agent(&mut self, agent: &Person, now: Millis) -> Result<i64, StoreError>;
}

/// Conversations: finding, creating and saving them, and the choices last offered.
#[async_trait]
pub trait ConversationTx: Send {
    /// The person's most recent conversation.
    async fn latest_conversation(
        &mut self,
        user_id: i64,
    ) -> Result<Option<Conversation>, StoreError>;

    /// The conversation with this id, held until commit.
    async fn conversation(&mut self, id: i64) -> Result<Option<Conversation>, StoreError>;

    /// The conversation whose ticket thread is `thread` (an agent channel and thread).
    async fn conversation_by_thread(
        &mut self,
        thread: &Address,
    ) -> Result<Option<Conversation>, StoreError>;

    /// Creates a conversation in state `bot`; it becomes the person's current one.
    async fn insert_conversation(
        &mut self,
        new: &NewConversation,
        now: Millis,
    ) -> Result<Conversation, StoreError>;

    /// Writes every mutable field of the conversation.
    async fn save_conversation(
        &mut self,
        conversation: &Conversation,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// Remembers the choices the bot offered last in this conversation (replacing
    /// those offered before), so that a typed "2" can pick one.
    async fn offer_choices(
        &mut self,
        conversation_id: i64,
        offered: &[Choice],
        now: Millis,
    ) -> Result<(), StoreError>;

    /// The next ticket number, never handed out twice.
    async fn next_ticket_number(&mut self) -> Result<i64, StoreError>;
}

/// The messages of a conversation, and the changes their authors make to them.
#[async_trait]
pub trait MessageTx: Send {
    /// Stores a message; returns its id.
    async fn insert_message(
        &mut self,
        message: &NewMessage<'_>,
        now: Millis,
    ) -> Result<i64, StoreError>;

    /// The conversation's messages, oldest first, leaving out those their author deleted.
    async fn messages(&mut self, conversation_id: i64) -> Result<Vec<Message>, StoreError>;

    /// The stored message that came from the platform's message `id` in the channel
    /// of `address`: its id and conversation.
    async fn message_by_source(
        &mut self,
        address: &Address,
        id: &str,
    ) -> Result<Option<(i64, i64)>, StoreError>;

    /// Records a change to a stored message: its new text, or its removal (`None`).
    async fn edit_message(
        &mut self,
        message_id: i64,
        body: Option<&str>,
        now: Millis,
    ) -> Result<(), StoreError>;
}

/// Outbox rows written in the transaction, and what earlier rows posted.
#[async_trait]
pub trait OutboxTx: Send {
    /// Writes an outbox row; returns its id.
    async fn enqueue(&mut self, row: &NewOutbound, now: Millis) -> Result<i64, StoreError>;

    /// The outbox rows that posted copies of a stored message, in order.
    async fn copies(&mut self, message_id: i64) -> Result<Vec<Copy>, StoreError>;

    /// The conversation's ticket card, as last posted (a transfer posts a new one).
    async fn ticket_card(&mut self, conversation_id: i64) -> Result<Option<Card>, StoreError>;
}

/// Help-center answers and the person's feedback on them: what deflection figures are
/// made of.
#[async_trait]
pub trait AnswerTx: Send {
    /// Records a help-center answer: the question, the message that answered it and the
    /// articles shown (none when the bot declined).
    async fn record_answer(
        &mut self,
        conversation_id: i64,
        message_id: i64,
        question: &str,
        articles: &[String],
        now: Millis,
    ) -> Result<(), StoreError>;

    /// Records the person's feedback on the conversation's latest answer.
    async fn record_feedback(
        &mut self,
        conversation_id: i64,
        feedback: &str,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// The conversation's latest answer: the question, and the article ids shown, best
    /// first (none when the bot declined); `None` when the bot was never asked.
    async fn latest_answer(
        &mut self,
        conversation_id: i64,
    ) -> Result<Option<(String, Vec<String>)>, StoreError>;

    /// Keeps `question` as a phrasing of `article_id` (see [`crate::phrasing`]);
    /// nothing when that pair is kept already.
    async fn learn_phrasing(
        &mut self,
        article_id: &str,
        question: &str,
        source: crate::phrasing::PhrasingSource,
        conversation_id: Option<i64>,
        now: Millis,
    ) -> Result<(), StoreError>;
}

/// How a verification is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyMethod {
    /// A six-digit code mailed to the address the person gives.
    Code,
    /// A link to the company's own sign-in page, which signs a token.
    Link,
}

impl VerifyMethod {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMethod::Code => "code",
            VerifyMethod::Link => "link",
        }
    }

    /// From the stored text.
    pub fn parse(s: &str) -> Option<VerifyMethod> {
        match s {
            "code" => Some(VerifyMethod::Code),
            "link" => Some(VerifyMethod::Link),
            _ => None,
        }
    }
}

/// Where a verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    /// Waiting for the person's email address.
    Asking,
    /// A code was mailed, or a link given: waiting for it.
    Sent,
    /// Verified.
    Done,
    /// Its tries are used up.
    Spent,
    /// The person cancelled, asked for another, or went on without.
    Cancelled,
}

impl VerifyStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyStatus::Asking => "asking",
            VerifyStatus::Sent => "sent",
            VerifyStatus::Done => "done",
            VerifyStatus::Spent => "spent",
            VerifyStatus::Cancelled => "cancelled",
        }
    }

    /// From the stored text.
    pub fn parse(s: &str) -> Option<VerifyStatus> {
        [
            VerifyStatus::Asking,
            VerifyStatus::Sent,
            VerifyStatus::Done,
            VerifyStatus::Spent,
            VerifyStatus::Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One attempt at verifying a conversation's person. Codes and link states are kept
/// only as salted hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Its id (0 before it is stored).
    pub id: i64,
    /// The conversation it verifies for.
    pub conversation_id: i64,
    /// The chat identity it verifies.
    pub person_id: i64,
    /// By code or by link.
    pub method: VerifyMethod,
    /// The address (lower case): typed for a code, given by the token for a link.
    pub email: Option<String>,
    /// The salt of `secret_hash`, hex.
    pub salt: Option<String>,
    /// The code's or the state's salted SHA-256, hex.
    pub secret_hash: Option<String>,
    /// When the code or the state stops working.
    pub expires_at: Option<Millis>,
    /// Wrong codes typed, or tokens refused.
    pub tries: i64,
    /// Where it stands.
    pub status: VerifyStatus,
    /// When it began.
    pub created_at: Millis,
}

/// A chat identity verified with an email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The person's id.
    pub user_id: i64,
    /// Their platform.
    pub platform: String,
    /// Their id there.
    pub platform_user_id: String,
    /// The verified email.
    pub email: String,
    /// How: `slack`, `email code`, `signed link`.
    pub by: String,
    /// When.
    pub at: Millis,
}

/// An email to write to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    /// Writing the same key again writes nothing.
    pub key: String,
    /// The address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// The requester's unsubscribe link.
    pub unsubscribe_url: Option<String>,
}

/// An email of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailRow {
    /// Its id.
    pub id: i64,
    /// The address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// The requester's unsubscribe link.
    pub unsubscribe_url: Option<String>,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    /// Sends tried so far.
    pub attempts: i64,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: Millis,
    /// When the server took it.
    pub sent_at: Option<Millis>,
}

/// Who is who: verifications and the identities they bind.
#[async_trait]
pub trait IdentityTx: Send {
    /// The verified identity of person `user_id`, if any.
    async fn identity(&mut self, user_id: i64) -> Result<Option<Identity>, StoreError>;

    /// Every chat identity verified with `email` (any case), oldest first.
    async fn identities_with(&mut self, email: &str) -> Result<Vec<Identity>, StoreError>;

    /// Binds `email`, verified `by`, to person `user_id` at `now`.
    async fn bind_identity(
        &mut self,
        user_id: i64,
        email: &str,
        by: &str,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// The conversation's latest verification.
    async fn verification(
        &mut self,
        conversation_id: i64,
    ) -> Result<Option<Verification>, StoreError>;

    /// The verification whose secret hashes to `secret_hash`, held until commit.
    async fn verification_by_secret(
        &mut self,
        secret_hash: &str,
    ) -> Result<Option<Verification>, StoreError>;

    /// Stores a new verification (its `id` is ignored); returns its id.
    async fn insert_verification(
        &mut self,
        v: &Verification,
        now: Millis,
    ) -> Result<i64, StoreError>;

    /// Saves a verification's email, secret, expiry, tries and status.
    async fn save_verification(&mut self, v: &Verification, now: Millis) -> Result<(), StoreError>;

    /// Records that `token_hash` completed verification `id`; false (and nothing
    /// recorded) when it completed one before.
    async fn use_token(&mut self, id: i64, token_hash: &str) -> Result<bool, StoreError>;

    /// Codes mailed since `since`: to person `user_id`, and to `email`.
    async fn codes_sent_since(
        &mut self,
        user_id: i64,
        email: &str,
        since: Millis,
    ) -> Result<(i64, i64), StoreError>;
}

/// Emails: away notices waiting for their batch, the outbox, unsubscribes.
#[async_trait]
pub trait EmailTx: Send {
    /// An away email for the conversation, due at `due_at`, telling of the agents'
    /// replies from `since` (the moment after the person last wrote). One already
    /// waiting keeps its time, unless the person has written since it began: then it
    /// starts again. After an earlier email it tells only of what came after that one.
    async fn schedule_away(
        &mut self,
        conversation_id: i64,
        since: Millis,
        due_at: Millis,
    ) -> Result<(), StoreError>;

    /// The conversation's waiting away email: from when it tells, held until commit.
    async fn away_notice(&mut self, conversation_id: i64) -> Result<Option<Millis>, StoreError>;

    /// The conversation's away email is done with (written, or not wanted): none waits,
    /// and the next tells of what comes from `next_since`.
    async fn settle_away(
        &mut self,
        conversation_id: i64,
        next_since: Millis,
    ) -> Result<(), StoreError>;

    /// Writes an email to the outbox, due at once; nothing when its key was written.
    async fn enqueue_email(&mut self, email: &NewEmail, now: Millis) -> Result<(), StoreError>;

    /// The requester's unsubscribe token (`token` stored when they have none yet), and
    /// whether they unsubscribed.
    async fn optout(&mut self, email: &str, token: &str) -> Result<(String, bool), StoreError>;
}

/// One transaction over every aggregate: an event's dedupe, state change, messages and
/// outbox rows commit together or not at all. Dropping it without `commit` rolls
/// everything back.
#[async_trait]
pub trait Tx:
    InboundTx
    + PersonTx
    + AgentTx
    + ConversationTx
    + MessageTx
    + OutboxTx
    + AnswerTx
    + DeskTx
    + IdentityTx
    + EmailTx
{
    /// Makes everything the transaction wrote durable, at once.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The outbox as the dispatcher works it: claims, receipts, retries.
#[async_trait]
pub trait OutboxQueue: Send + Sync {
    /// Claims up to `limit` due rows for these adapters until `now + lease`: no other
    /// dispatcher gets them meanwhile. A row waits while its parent is pending, or while
    /// an earlier row of its channel is waiting or claimed, so each channel stays in order.
    /// A row claimed before whose claim was not given back comes back `in_doubt`.
    async fn claim(
        &self,
        adapters: &[String],
        worker: &str,
        now: Millis,
        lease: Millis,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// Marks rows delivered and links each to the platform's message; a ticket card's
    /// message becomes its conversation's thread. The thread is linked before the rows
    /// are marked (in one statement), so a crash in between at worst posts a card again.
    async fn delivered(&self, receipts: &[Receipt], now: Millis) -> Result<(), StoreError>;

    /// Gives a claimed row back, to be tried again at `at`. A `failure` counts as an
    /// attempt and leaves the row in doubt (the platform may have taken it without
    /// answering); a row only held back, or rate limited, does neither.
    async fn retry(
        &self,
        id: i64,
        at: Millis,
        failure: Option<&str>,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// Marks a row as failed for good.
    async fn failed(&self, id: i64, error: &str, now: Millis) -> Result<(), StoreError>;

    /// How many rows for `adapter` are still pending.
    async fn pending(&self, adapter: &str) -> Result<i64, StoreError>;

    /// Announces `worker` as alive for as long as this store is open: on PostgreSQL,
    /// a session lock other processes can see, so that they take over its claims the
    /// moment it dies. A no-op where one process owns the database.
    async fn join(&self, _worker: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// Stops showing `worker` as alive: for a dispatcher that has stopped.
    async fn leave(&self, _worker: &str) {}

    /// Gives back, in doubt, the claims of workers that are no longer alive; returns how
    /// many rows. A no-op where one process owns the database (it gives back every
    /// claim at start instead).
    async fn take_over(&self, _worker: &str, _now: Millis) -> Result<u64, StoreError> {
        Ok(0)
    }

    /// Extends `worker`'s claims to `now + lease`, while it is still sending them.
    async fn renew(&self, worker: &str, now: Millis, lease: Millis) -> Result<(), StoreError>;

    /// Gives back `worker`'s remaining claims at shutdown, to be sent by the next
    /// process; those in `in_flight` (sent without an answer) come back in doubt.
    async fn release(
        &self,
        worker: &str,
        in_flight: &[i64],
        now: Millis,
    ) -> Result<u64, StoreError>;

    /// Calls `wake` whenever another process enqueues work (PostgreSQL LISTEN/NOTIFY);
    /// a no-op where one process owns the database.
    async fn watch_outbox(
        &self,
        _wake: std::sync::Arc<tokio::sync::Notify>,
    ) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Where an adapter whose platform keeps no queue for it (Discord's gateway) looks for
/// what was written while it was down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// The places of conversations still open on the adapter: people's channels and
    /// tickets' threads.
    pub places: Vec<Address>,
    /// The newest message id stored from the adapter (numeric ids only, compared as
    /// numbers); `None`: nothing stored yet, nothing to catch up.
    pub after: Option<String>,
}

/// A channel whose deliveries are waiting: what `relaydesk status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingChannel {
    /// Where the messages go.
    pub to: Address,
    /// How many are waiting.
    pub waiting: i64,
    /// When the oldest was written.
    pub oldest: Millis,
    /// Failed attempts of the row at the head of the channel.
    pub attempts: i64,
    /// The last failure, when it is failing.
    pub last_error: Option<String>,
    /// When it is tried next.
    pub next_attempt_at: Millis,
}

/// Read models: what the CLI (and later the web pages) list and show.
#[async_trait]
pub trait Reports: Send + Sync {
    /// The newest conversations, newest first.
    async fn list_conversations(&self, limit: i64) -> Result<Vec<ConversationSummary>, StoreError>;

    /// A conversation with its person, messages, deliveries and answers.
    async fn conversation(&self, id: i64) -> Result<Option<ConversationDetail>, StoreError>;

    /// Channels with pending deliveries, those failing first.
    async fn waiting_channels(&self) -> Result<Vec<WaitingChannel>, StoreError>;

    /// Where `adapter` looks for messages written while it was down.
    async fn catch_up(&self, adapter: &str) -> Result<CatchUp, StoreError>;

    /// Tickets, most urgent first (critical, high, normal, low, none), then oldest
    /// first; only `queue`'s and those in `state` when given.
    async fn tickets(
        &self,
        queue: Option<&str>,
        state: Option<crate::types::State>,
        limit: i64,
    ) -> Result<Vec<TicketSummary>, StoreError>;

    /// The conversation of ticket `number`.
    async fn ticket_conversation(&self, number: i64) -> Result<Option<i64>, StoreError>;
}

/// A durable store: SQLite or PostgreSQL in `crates/store`. Each event's work is one
/// [`Tx`]; the outbox queue and the read models are ports of their own.
#[async_trait]
pub trait Store:
    OutboxQueue
    + EmailQueue
    + Reports
    + crate::web::WebStore
    + crate::status::StatusReports
    + crate::status::Incidents
    + Send
    + Sync
{
    /// Opens a transaction.
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError>;

    /// Conversations still solved that were solved before `before`, oldest first, at
    /// most `limit`: the engine's timer closes them.
    async fn solved_before(&self, before: Millis, limit: i64) -> Result<Vec<i64>, StoreError>;

    /// Conversations with the bot alone (state `bot`) that last changed before
    /// `before`, oldest first, at most `limit`: the engine's timer ends them.
    async fn idle_before(&self, before: Millis, limit: i64) -> Result<Vec<i64>, StoreError>;

    /// Conversations whose away email is due at `now`, oldest first, at most `limit`.
    async fn away_due(&self, now: Millis, limit: i64) -> Result<Vec<i64>, StoreError>;

    /// Forgets inbound ids seen before `before`; returns how many.
    async fn forget_inbound(&self, before: Millis) -> Result<u64, StoreError>;
}

/// The email outbox as the mailer works it.
#[async_trait]
pub trait EmailQueue: Send + Sync {
    /// Claims the next due email until `now + lease`; counts the attempt. An email whose
    /// claim ran out mid-send (its process died) may have reached the server: it is
    /// marked failed, never sent twice.
    async fn claim_email(&self, now: Millis, lease: Millis)
        -> Result<Option<EmailRow>, StoreError>;

    /// The server took email `id`.
    async fn email_sent(&self, id: i64, now: Millis) -> Result<(), StoreError>;

    /// Email `id` failed for now: tried again at `at`.
    async fn email_retry(&self, id: i64, at: Millis, error: &str) -> Result<(), StoreError>;

    /// Email `id` failed for good.
    async fn email_failed(&self, id: i64, error: &str) -> Result<(), StoreError>;

    /// The newest emails, at most `limit`, for `relaydesk emails`.
    async fn emails(&self, limit: i64) -> Result<Vec<EmailRow>, StoreError>;

    /// Stops away emails to the requester whose unsubscribe token this is; their
    /// address when the token is known.
    async fn unsubscribe(&self, token: &str, now: Millis) -> Result<Option<String>, StoreError>;
}
