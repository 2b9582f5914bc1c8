//! Domain types: addresses, people, conversations, messages.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch. The one time type the domain and the store use.
pub type Millis = i64;

/// Where a message can be posted: an adapter, a channel on it, and optionally a thread.
///
/// Written as `adapter:channel` or `adapter:channel/thread`, e.g. `slack:C0123/1712.5`,
/// `discord:123456789012345678`, `console:support`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// The adapter's name: `slack`, `discord`, `console`.
    pub adapter: String,
    /// The platform's channel id (a DM, a channel, a console queue).
    pub channel: String,
    /// The thread inside the channel, when there is one.
    pub thread: Option<String>,
}

impl Address {
    /// The channel `channel` on `adapter`, outside any thread.
    pub fn new(adapter: impl Into<String>, channel: impl Into<String>) -> Self {
        Address {
            adapter: adapter.into(),
            channel: channel.into(),
            thread: None,
        }
    }

    /// The same channel, in `thread`.
    pub fn in_thread(&self, thread: impl Into<String>) -> Self {
        Address {
            thread: Some(thread.into()),
            ..self.clone()
        }
    }

    /// The same channel without the thread.
    pub fn channel_only(&self) -> Self {
        Address {
            thread: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.adapter, self.channel)?;
        if let Some(t) = &self.thread {
            write!(f, "/{t}")?;
        }
        Ok(())
    }
}

/// Why a string is not an [`Address`].
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("`{0}` is not an address: write `adapter:channel`, e.g. `slack:C0123456789` or `console:support`")]
pub struct BadAddress(pub String);

impl std::str::FromStr for Address {
    type Err = BadAddress;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadAddress(s.to_string());
        let (adapter, rest) = s.split_once(':').ok_or_else(bad)?;
        let (channel, thread) = match rest.split_once('/') {
            Some((c, t)) => (c, Some(t)),
            None => (rest, None),
        };
        let valid = |p: &str| !p.is_empty() && !p.chars().any(char::is_whitespace);
        if !valid(adapter) || !valid(channel) || thread.is_some_and(|t| !valid(t)) {
            return Err(bad());
        }
        if !adapter
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(bad());
        }
        Ok(Address {
            adapter: adapter.to_string(),
            channel: channel.to_string(),
            thread: thread.map(str::to_string),
        })
    }
}

/// A person as a platform knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The adapter's name: `slack`, `discord`, `console`.
    pub platform: String,
    /// The platform's user id.
    pub id: String,
    /// The name the platform shows.
    pub display_name: String,
    /// An email the platform vouches for (e.g. Slack `users.info` in a trusted workspace).
    pub verified_email: Option<String>,
}

/// The states of a conversation; see DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Self-service: the bot answers from the help center.
    Bot,
    /// Asking the queue's triage questions.
    Triage,
    /// Verifying who the person is.
    Verifying,
    /// Ticket open, waiting for an agent.
    Queued,
    /// An agent has the ticket.
    Assigned,
    /// An agent marked it solved; a user message reopens it.
    Solved,
    /// Done; a new message starts a new conversation.
    Closed,
}

impl State {
    /// Every state, in the order of the flow.
    pub const ALL: [State; 7] = [
        State::Bot,
        State::Triage,
        State::Verifying,
        State::Queued,
        State::Assigned,
        State::Solved,
        State::Closed,
    ];

    /// The state's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Bot => "bot",
            State::Triage => "triage",
            State::Verifying => "verifying",
            State::Queued => "queued",
            State::Assigned => "assigned",
            State::Solved => "solved",
            State::Closed => "closed",
        }
    }

    /// The state named `s`, if it is one.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A ticket exists and agents can see it.
    pub fn has_ticket(self) -> bool {
        matches!(
            self,
            State::Queued | State::Assigned | State::Solved | State::Closed
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A conversation between one person and the help desk, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    /// The conversation's id.
    pub id: i64,
    /// The person's id in the store.
    pub user_id: i64,
    /// Where it stands; moved only by the state machine (`desk::lifecycle`).
    pub state: State,
    /// Where the person talks to the bot.
    pub user_address: Address,
    /// The person's language, followed as they write.
    pub lang: crate::text::Lang,
    /// The queue of its ticket.
    pub queue: Option<String>,
    /// The ticket's number, once a ticket is open.
    pub ticket_number: Option<i64>,
    /// The agent channel of the queue; the thread is the ticket card's message id once
    /// the card is delivered.
    pub agent_address: Option<Address>,
    /// The agent who has the ticket.
    pub assignee: Option<Assignee>,
    /// Why it closed.
    pub close_reason: Option<String>,
    /// The conversation this one continues, after the previous one closed.
    pub previous_id: Option<i64>,
    /// How urgent the ticket is: from triage, or set by an agent.
    pub priority: Option<Priority>,
    /// What it is about: the triage subject, else the first question.
    pub subject: Option<String>,
    /// The choices the bot offered last, so that a typed "2" can pick one.
    pub offered: Vec<crate::adapter::Choice>,
    /// When an agent marked it solved.
    pub solved_at: Option<Millis>,
    /// When it closed.
    pub closed_at: Option<Millis>,
    /// When it started.
    pub created_at: Millis,
    /// When it last changed.
    pub updated_at: Millis,
}

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Can wait.
    Low,
    /// The usual.
    Normal,
    /// Hurts the person's work.
    High,
    /// Stops it: first in every list.
    Critical,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Critical,
    ];

    /// The priority's name, as stored and typed (`!priority high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Critical => "critical",
        }
    }

    /// The priority named `s` (any case), if it is one.
    pub fn parse(s: &str) -> Option<Priority> {
        let s = s.trim().to_lowercase();
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The agent a ticket is assigned to: recorded by id, shown by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignee {
    /// The store's id of the agent (one per platform user); `None` for a ticket
    /// assigned before agents had ids, known by name only.
    pub agent_id: Option<i64>,
    /// Their name as shown when the ticket was assigned.
    pub name: String,
}

impl Assignee {
    /// The same agent: the same id, or the same name where an id is not known.
    pub fn same_agent(&self, other: &Assignee) -> bool {
        match (self.agent_id, other.agent_id) {
            (Some(a), Some(b)) => a == b,
            _ => self.name == other.name,
        }
    }
}

/// Who wrote a stored message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    /// The person asking for help.
    User,
    /// relaydesk itself.
    Bot,
    /// An agent, in words for the person.
    Agent,
    /// An agent's internal note: stored, shown to agents, never relayed.
    Note,
}

impl Author {
    /// The author's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Author::User => "user",
            Author::Bot => "bot",
            Author::Agent => "agent",
            Author::Note => "note",
        }
    }

    /// The author named `s`, if it is one.
    pub fn parse(s: &str) -> Option<Author> {
        [Author::User, Author::Bot, Author::Agent, Author::Note]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// One stored message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// The message's id.
    pub id: i64,
    /// The conversation it belongs to.
    pub conversation_id: i64,
    /// Who wrote it.
    pub author: Author,
    /// Display name of the person or agent; `relaydesk` for the bot.
    pub author_name: String,
    /// Its words (the latest, after an edit).
    pub body: String,
    /// The files attached to it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<crate::adapter::FileRef>,
    /// When it was stored.
    pub created_at: Millis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_round_trip() {
        for s in [
            "slack:C0123",
            "discord:1234/5678",
            "console:support",
            "slack:D1/1712.000100",
        ] {
            let a: Address = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        for s in [
            "",
            "slack",
            "slack:",
            ":C1",
            "Slack:C1",
            "slack:C 1",
            "slack:C1/",
        ] {
            assert!(s.parse::<Address>().is_err(), "{s:?}");
        }
    }
}
