//! Rows as the database returns them, and their conversion to domain types.

use relaydesk_core::adapter::{Body, Choice, FileRef, OutboundKind, Payload, TicketCard};
use relaydesk_core::store::{
    ConversationSummary, DeliveryRecord, DeliveryState, EmailRow, Identity, OutboxItem, RowAction,
    StoreError, TicketLine, TicketSummary, TriageAnswer, Verification, VerifyMethod, VerifyStatus,
};
use relaydesk_core::text::Lang;
use relaydesk_core::types::Assignee;
use relaydesk_core::{Address, Author, Conversation, Message, Person, Priority, State};

use crate::stmt::{struct_from_sqlite, FromSqlite};

pub(crate) const CONVERSATION_COLUMNS: &str = "id, person_id, state, user_adapter, user_channel, user_thread, lang, queue, \
     ticket_number, agent_adapter, agent_channel, agent_thread, assignee_id, assignee, close_reason, previous_id, priority, \
     subject, offered_choices, solved_at, closed_at, created_at, updated_at";

/// The conversation columns, qualified by a table alias.
pub(crate) fn conversation_columns_of(alias: &str) -> String {
    CONVERSATION_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) const MESSAGE_COLUMNS: &str =
    "id, conversation_id, author, author_name, body, files, created_at";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("unknown {what} `{value}`"))
}

pub(crate) fn parse_delivery_state(s: &str) -> Result<DeliveryState, StoreError> {
    DeliveryState::parse(s).ok_or_else(|| corrupt("delivery state", s))
}

fn parse_priority(stored: Option<String>) -> Result<Option<Priority>, StoreError> {
    stored
        .map(|p| Priority::parse(&p).ok_or_else(|| corrupt("priority", &p)))
        .transpose()
}

/// A conversation's triage answers, in the order they were given: `$1` is its id.
pub(crate) const TRIAGE_ANSWERS: &str = "select question, answer, shown from triage_answer
     where conversation_id = $1 order by created_at, question";

/// A ticket's subject in a query over `conversation c`: the one stored, else the first
/// words the person wrote.
pub(crate) const SUBJECT: &str = "coalesce(c.subject, (select m.body from message m
     where m.conversation_id = c.id and m.author = 'user' and m.body <> '' order by m.id limit 1), '')";

/// [`TRIAGE_ANSWERS`]' rows.
pub(crate) fn triage_answers(
    rows: Vec<(String, Option<String>, Option<String>)>,
) -> Vec<TriageAnswer> {
    rows.into_iter()
        .map(|(question, answer, shown)| TriageAnswer {
            question,
            answer,
            shown,
        })
        .collect()
}

pub(crate) fn parse_kind(s: &str) -> Result<OutboundKind, StoreError> {
    OutboundKind::parse(s).ok_or_else(|| corrupt("outbound kind", s))
}

pub(crate) fn parse_choices(json: &str) -> Result<Vec<Choice>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("stored choices: {e}")))
}

/// How a body is kept in the outbox's `body`, `choices` and `files` columns: words as
/// they are, a ticket card as JSON, a file in `files`.
pub(crate) fn body_columns(body: &Body) -> (String, String, String) {
    let none = || "[]".to_string();
    match body {
        Body::Text(text) => (text.clone(), none(), none()),
        Body::Prompt { text, choices } => (text.clone(), choices_json(choices), none()),
        Body::Card { card, choices } => (
            serde_json::to_string(card).unwrap_or_default(),
            choices_json(choices),
            none(),
        ),
        Body::File(file) => (
            String::new(),
            none(),
            files_json(std::slice::from_ref(file)),
        ),
    }
}

/// The body [`body_columns`] wrote. A ticket card's is a JSON object; a card's text
/// that is not one (stored before cards had fields) stays text.
pub(crate) fn parse_body(
    kind: OutboundKind,
    body: &str,
    choices: &str,
    files: &str,
) -> Result<Body, StoreError> {
    if let Some(file) = parse_files(files)?.into_iter().next() {
        return Ok(Body::File(file));
    }
    let choices = parse_choices(choices)?;
    if kind == OutboundKind::TicketCard && body.starts_with('{') {
        if let Ok(card) = serde_json::from_str::<TicketCard>(body) {
            return Ok(Body::Card {
                card: Box::new(card),
                choices,
            });
        }
    }
    Ok(Body::words(body, choices))
}

pub(crate) fn choices_json(choices: &[Choice]) -> String {
    serde_json::to_string(choices).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn parse_files(json: &str) -> Result<Vec<FileRef>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("stored files: {e}")))
}

pub(crate) fn files_json(files: &[FileRef]) -> String {
    serde_json::to_string(files).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn parse_action(action: &str, target: Option<i64>) -> Result<RowAction, StoreError> {
    match (action, target) {
        ("post", _) => Ok(RowAction::Post),
        ("update", Some(t)) => Ok(RowAction::Update(t)),
        ("delete", Some(t)) => Ok(RowAction::Delete(t)),
        _ => Err(corrupt("outbox action", action)),
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConversationRow {
    id: i64,
    person_id: i64,
    state: String,
    user_adapter: String,
    user_channel: String,
    user_thread: Option<String>,
    lang: String,
    queue: Option<String>,
    ticket_number: Option<i64>,
    agent_adapter: Option<String>,
    agent_channel: Option<String>,
    agent_thread: Option<String>,
    assignee_id: Option<i64>,
    assignee: Option<String>,
    close_reason: Option<String>,
    previous_id: Option<i64>,
    priority: Option<String>,
    subject: Option<String>,
    offered_choices: String,
    solved_at: Option<i64>,
    closed_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

struct_from_sqlite!(ConversationRow {
    id,
    person_id,
    state,
    user_adapter,
    user_channel,
    user_thread,
    lang,
    queue,
    ticket_number,
    agent_adapter,
    agent_channel,
    agent_thread,
    assignee_id,
    assignee,
    close_reason,
    previous_id,
    priority,
    subject,
    offered_choices,
    solved_at,
    closed_at,
    created_at,
    updated_at,
});

impl ConversationRow {
    pub(crate) fn into_conversation(self) -> Result<Conversation, StoreError> {
        let agent_address = match (self.agent_adapter, self.agent_channel) {
            (Some(adapter), Some(channel)) => Some(Address {
                adapter,
                channel,
                thread: self.agent_thread,
            }),
            _ => None,
        };
        Ok(Conversation {
            id: self.id,
            user_id: self.person_id,
            state: State::parse(&self.state).ok_or_else(|| corrupt("state", &self.state))?,
            user_address: Address {
                adapter: self.user_adapter,
                channel: self.user_channel,
                thread: self.user_thread,
            },
            lang: Lang::from_tag(&self.lang).unwrap_or_default(),
            queue: self.queue,
            ticket_number: self.ticket_number,
            agent_address,
            assignee: self.assignee.map(|name| Assignee {
                agent_id: self.assignee_id,
                name,
            }),
            close_reason: self.close_reason,
            previous_id: self.previous_id,
            priority: parse_priority(self.priority)?,
            subject: self.subject,
            offered: parse_choices(&self.offered_choices)?,
            solved_at: self.solved_at,
            closed_at: self.closed_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A person's current conversation with what is stored about the person.
#[derive(sqlx::FromRow)]
pub(crate) struct LatestRow {
    #[sqlx(flatten)]
    pub(crate) conversation: ConversationRow,
    pub(crate) person_name: String,
    pub(crate) person_email: Option<String>,
    pub(crate) blocked: i64,
}

impl FromSqlite for LatestRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(LatestRow {
            conversation: ConversationRow::from_sqlite(row)?,
            person_name: row.get("person_name")?,
            person_email: row.get("person_email")?,
            blocked: row.get("blocked")?,
        })
    }
}

/// A ticket with its subject, for the person's history.
#[derive(sqlx::FromRow)]
pub(crate) struct TicketLineRow {
    #[sqlx(flatten)]
    conversation: ConversationRow,
    first_words: String,
}

impl FromSqlite for TicketLineRow {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(TicketLineRow {
            conversation: ConversationRow::from_sqlite(row)?,
            first_words: row.get("first_words")?,
        })
    }
}

impl TicketLineRow {
    pub(crate) fn into_line(self) -> Result<TicketLine, StoreError> {
        Ok(TicketLine {
            conversation: self.conversation.into_conversation()?,
            subject: self.first_words,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: i64,
    conversation_id: i64,
    author: String,
    author_name: String,
    body: String,
    files: String,
    created_at: i64,
}

struct_from_sqlite!(MessageRow {
    id,
    conversation_id,
    author,
    author_name,
    body,
    files,
    created_at
});

impl MessageRow {
    pub(crate) fn into_message(self) -> Result<Message, StoreError> {
        Ok(Message {
            id: self.id,
            conversation_id: self.conversation_id,
            author: Author::parse(&self.author).ok_or_else(|| corrupt("author", &self.author))?,
            author_name: self.author_name,
            body: self.body,
            files: serde_json::from_str(&self.files)
                .map_err(|e| StoreError::Corrupt(format!("stored message files: {e}")))?,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    pub(crate) id: i64,
    conversation_id: i64,
    pub(crate) parent_id: Option<i64>,
    adapter: String,
    channel: String,
    thread: Option<String>,
    kind: String,
    body: String,
    sender: Option<String>,
    choices: String,
    files: String,
    action: String,
    pub(crate) target_id: Option<i64>,
    idempotency_key: String,
    attempts: i64,
    in_doubt: i32,
    created_at: i64,
}

struct_from_sqlite!(OutboxRow {
    id,
    conversation_id,
    parent_id,
    adapter,
    channel,
    thread,
    kind,
    body,
    sender,
    choices,
    files,
    action,
    target_id,
    idempotency_key,
    attempts,
    in_doubt,
    created_at,
});

impl OutboxRow {
    pub(crate) fn into_item(
        self,
        parent: Option<(DeliveryState, Option<String>)>,
        target: Option<(DeliveryState, Option<String>)>,
    ) -> Result<OutboxItem, StoreError> {
        Ok(OutboxItem {
            id: self.id,
            conversation_id: self.conversation_id,
            to: Address {
                adapter: self.adapter,
                channel: self.channel,
                thread: self.thread,
            },
            action: parse_action(&self.action, self.target_id)?,
            idempotency_key: self.idempotency_key,
            attempts: self.attempts,
            in_doubt: self.in_doubt != 0,
            created_at: self.created_at,
            parent,
            target,
            payload: {
                let kind = parse_kind(&self.kind)?;
                Payload {
                    kind,
                    sender: self.sender,
                    body: parse_body(kind, &self.body, &self.choices, &self.files)?,
                }
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PersonRow {
    platform: String,
    platform_user_id: String,
    display_name: String,
    verified_email: Option<String>,
}

struct_from_sqlite!(PersonRow {
    platform,
    platform_user_id,
    display_name,
    verified_email
});

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Person {
        Person {
            platform: r.platform,
            id: r.platform_user_id,
            display_name: r.display_name,
            verified_email: r.verified_email,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    id: i64,
    state: String,
    ticket_number: Option<i64>,
    queue: Option<String>,
    display_name: String,
    platform: String,
    updated_at: i64,
    messages: i64,
}

impl SummaryRow {
    pub(crate) fn into_summary(self) -> Result<ConversationSummary, StoreError> {
        Ok(ConversationSummary {
            id: self.id,
            state: State::parse(&self.state).ok_or_else(|| corrupt("state", &self.state))?,
            ticket_number: self.ticket_number,
            queue: self.queue,
            person: self.display_name,
            platform: self.platform,
            messages: self.messages,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: i64,
    adapter: String,
    channel: String,
    thread: Option<String>,
    kind: String,
    state: String,
    attempts: i64,
    platform_message_id: Option<String>,
    last_error: Option<String>,
}

impl DeliveryRow {
    pub(crate) fn into_record(self) -> Result<DeliveryRecord, StoreError> {
        let to = Address {
            adapter: self.adapter,
            channel: self.channel,
            thread: self.thread,
        };
        Ok(DeliveryRecord {
            id: self.id,
            to: to.to_string(),
            kind: parse_kind(&self.kind)?,
            state: parse_delivery_state(&self.state)?,
            attempts: self.attempts,
            platform_message_id: self.platform_message_id,
            last_error: self.last_error,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    ticket_number: i64,
    id: i64,
    queue: Option<String>,
    state: String,
    priority: Option<String>,
    subject: String,
    display_name: String,
    platform: String,
    assignee: Option<String>,
    updated_at: i64,
}

impl TicketRow {
    pub(crate) fn into_summary(self) -> Result<TicketSummary, StoreError> {
        Ok(TicketSummary {
            number: self.ticket_number,
            conversation_id: self.id,
            queue: self.queue.unwrap_or_default(),
            state: State::parse(&self.state).ok_or_else(|| corrupt("state", &self.state))?,
            priority: parse_priority(self.priority)?,
            subject: self.subject,
            person: self.display_name,
            platform: self.platform,
            assignee: self.assignee,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct IdentityRow {
    id: i64,
    platform: String,
    platform_user_id: String,
    verified_email: String,
    verified_by: Option<String>,
    verified_at: Option<i64>,
}

struct_from_sqlite!(IdentityRow {
    id,
    platform,
    platform_user_id,
    verified_email,
    verified_by,
    verified_at
});

pub(crate) const IDENTITY_COLUMNS: &str =
    "id, platform, platform_user_id, verified_email, verified_by, verified_at";

impl From<IdentityRow> for Identity {
    fn from(r: IdentityRow) -> Identity {
        Identity {
            user_id: r.id,
            platform: r.platform.clone(),
            platform_user_id: r.platform_user_id,
            email: r.verified_email,
            // Emails vouched for before the column existed came from the platform.
            by: r.verified_by.unwrap_or(r.platform),
            at: r.verified_at.unwrap_or(0),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct VerificationRow {
    id: i64,
    conversation_id: i64,
    person_id: i64,
    method: String,
    email: Option<String>,
    salt: Option<String>,
    secret_hash: Option<String>,
    expires_at: Option<i64>,
    tries: i64,
    status: String,
    created_at: i64,
}

struct_from_sqlite!(VerificationRow {
    id,
    conversation_id,
    person_id,
    method,
    email,
    salt,
    secret_hash,
    expires_at,
    tries,
    status,
    created_at,
});

pub(crate) const VERIFICATION_COLUMNS: &str =
    "id, conversation_id, person_id, method, email, salt, secret_hash, expires_at, tries, status, created_at";

impl VerificationRow {
    pub(crate) fn into_verification(self) -> Result<Verification, StoreError> {
        let method = VerifyMethod::parse(&self.method).ok_or_else(|| {
            StoreError::query(format!("unknown verification method {:?}", self.method))
        })?;
        let status = VerifyStatus::parse(&self.status).ok_or_else(|| {
            StoreError::query(format!("unknown verification status {:?}", self.status))
        })?;
        Ok(Verification {
            id: self.id,
            conversation_id: self.conversation_id,
            person_id: self.person_id,
            method,
            email: self.email,
            salt: self.salt,
            secret_hash: self.secret_hash,
            expires_at: self.expires_at,
            tries: self.tries,
            status,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EmailDbRow {
    id: i64,
    to_address: String,
    subject: String,
    text_body: String,
    html_body: String,
    unsubscribe_url: Option<String>,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

pub(crate) const EMAIL_COLUMNS: &str =
    "id, to_address, subject, text_body, html_body, unsubscribe_url, status, attempts, last_error, created_at, sent_at";

impl From<EmailDbRow> for EmailRow {
    fn from(r: EmailDbRow) -> EmailRow {
        EmailRow {
            id: r.id,
            to: r.to_address,
            subject: r.subject,
            text: r.text_body,
            html: r.html_body,
            unsubscribe_url: r.unsubscribe_url,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        }
    }
}
