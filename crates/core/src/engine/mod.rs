//! The conversation engine: one event in, one transaction of state changes, messages
//! and outbox rows out. It knows no platform and no database.
//!
//! Each room holds one concern; every state change goes through the state machine in
//! [`crate::desk::lifecycle`], every outbox row through [`turn`].
//!
//! | room | what happens there |
//! | --- | --- |
//! | `mod.rs` | the engine, its configuration, and which room an event goes to |
//! | `turn.rs` | the transaction, idempotency keys, the one "store then post" path |
//! | `person.rs` | a person's message: their conversation found or started, relayed to a ticket |
//! | `selfservice.rs` | help-center answers, feedback, and what starts a handoff |
//! | `triage.rs` | the questions asked before a ticket opens, their answers, routing |
//! | `handoff.rs` | opening a ticket: the card, the transcript, the number, the team's hours |
//! | `tickets.rs` | several tickets: "continue #N or a new ticket?", and a new one on request |
//! | `verify.rs` | who the person is, before the ticket of a queue that asks: codes and signed links |
//! | `away.rs` | emails of agents' replies to a person who has left |
//! | `satisfaction.rs` | "How did we do?" after a solve: the rating and the comment |
//! | `tools.rs` | agents' everyday tools: transfer, snippets, priority, blocks |
//! | `phrasings.rs` | learning from the desk: "Yes, that helped" and `!article <id>` teach the help center phrasings |
//! | `community.rs` | a new post in a public help place: suggestions, or silence |
//! | `card.rs` | the ticket card redrawn as the ticket moves |
//! | `agent.rs` | agents' commands and replies in a ticket thread |
//! | `edits.rs` | edits and deletions following to the copies |
//! | `history.rs` | the person's tickets, a page at a time; continuing one of them |
//! | `timers.rs` | [`Engine::tick`]: what time alone changes |
//! | `failures.rs` | a delivery that failed for good |
//! | `web.rs` | the web form's tickets, My activity's sign-in and replies |

mod agent;
mod away;
mod card;
mod community;
mod edits;
mod failures;
mod handoff;
mod history;
mod person;
mod phrasings;
mod satisfaction;
mod selfservice;
mod tickets;
mod timers;
mod tools;
mod triage;
mod turn;
mod verify;
mod web;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::Notify;

use crate::adapter::{Capabilities, Content, Inbound};
use crate::clock::Clock;
use crate::desk::hours::BusinessHours;
use crate::desk::identity::{IdentityConfig, Verify};
use crate::desk::triage::{Localized, Question};
use crate::email::CodeMailer;
use crate::intent::IntentMatcher;
use crate::knowledge::Knowledge;
use crate::store::{Store, StoreError};
use crate::types::{Address, Millis};

pub use timers::Ticked;
use turn::Turn;
pub use verify::{LinkCheck, LinkError};
pub use web::{web_address, WebError, WebRequest, SIGN_IN};

/// A queue of agents: the phrases that reach it, the channel where its tickets go,
/// the questions asked first and when its team is there.
#[derive(Debug, Clone)]
pub struct Queue {
    /// The queue's name, shown on cards and to the person.
    pub name: String,
    /// Phrases that hand the conversation to this queue.
    pub phrases: Vec<String>,
    /// Where its tickets go.
    pub agent_channel: Address,
    /// The ids of the triage questions asked before its ticket opens, in order.
    pub triage: Vec<String>,
    /// Answers that send the ticket to another queue.
    pub routes: Vec<Route>,
    /// When its team answers; `None`: always.
    pub hours: Option<BusinessHours>,
    /// Whether the person is verified before its ticket opens.
    pub verify: Verify,
}

impl Queue {
    /// A queue with no triage, open at all hours.
    pub fn new(name: impl Into<String>, phrases: Vec<String>, agent_channel: Address) -> Queue {
        Queue {
            name: name.into(),
            phrases,
            agent_channel,
            triage: Vec::new(),
            routes: Vec::new(),
            hours: None,
            verify: Verify::Off,
        }
    }
}

/// A triage answer that sends the ticket to another queue: `route = {
/// question_type.billing = "billing" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The question's id.
    pub question: String,
    /// The option's id.
    pub option: String,
    /// The queue's name.
    pub queue: String,
}

/// How the engine behaves; built from `bot.toml`.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The first queue takes handoffs that name no queue ("No, I still need help").
    pub queues: Vec<Queue>,
    /// How long a solved conversation stays reopenable before it closes.
    pub close_after: Millis,
    /// Relay agents' replies as "Support" instead of their names.
    pub anonymous_agents: bool,
    /// Each adapter's capabilities, by adapter name.
    pub capabilities: HashMap<String, Capabilities>,
    /// The triage questions queues list.
    pub questions: Vec<Question>,
    /// Saved replies for `!snippet <name>`, per language.
    pub snippets: BTreeMap<String, Localized>,
    /// How long a conversation with the bot alone may sit idle before it ends quietly.
    pub idle_expire: Millis,
    /// How people are verified.
    pub identity: IdentityConfig,
    /// Emails of replies to people who have left.
    pub notify: NotifyConfig,
}

/// When agents' replies are emailed to a person who has left (`[notify]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    /// Emails can be sent (`[smtp]` is set).
    pub enabled: bool,
    /// The person has not written for this long: they have left.
    pub away_after: Millis,
    /// Replies within this long go in one email.
    pub batch_window: Millis,
    /// Where the unsubscribe link points (`[web].public_url`).
    pub public_url: String,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            enabled: false,
            away_after: 15 * 60 * 1000,
            batch_window: 2 * 60 * 1000,
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            queues: Vec::new(),
            close_after: 4 * 24 * 60 * 60 * 1000,
            anonymous_agents: false,
            capabilities: HashMap::new(),
            questions: Vec::new(),
            snippets: BTreeMap::new(),
            idle_expire: 24 * 60 * 60 * 1000,
            identity: IdentityConfig::default(),
            notify: NotifyConfig::default(),
        }
    }
}

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Stored and acted upon.
    Done,
    /// Seen before; nothing was done again.
    Duplicate,
    /// Not for the engine (an agent-channel message outside any ticket thread).
    Ignored,
}

/// Why an event could not be handled. Nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed; the transaction was rolled back.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine is shutting down and takes no more events.
    #[error("relaydesk is stopping")]
    Stopped,
}

/// The conversation engine.
pub struct Engine {
    store: Arc<dyn Store>,
    knowledge: Arc<dyn Knowledge>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    intents: IntentMatcher,
    wake: Arc<Notify>,
    codes: Option<Arc<dyn CodeMailer>>,
    health: Arc<crate::health::Health>,
}

impl Engine {
    /// `wake` is notified after every commit that wrote outbox rows.
    pub fn new(
        store: Arc<dyn Store>,
        knowledge: Arc<dyn Knowledge>,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
        wake: Arc<Notify>,
    ) -> Engine {
        let intents = IntentMatcher::new(
            config
                .queues
                .iter()
                .enumerate()
                .map(|(i, q)| (i, &q.phrases[..])),
        );
        Engine {
            store,
            knowledge,
            clock,
            config,
            intents,
            wake,
            codes: None,
            health: Arc::default(),
        }
    }

    /// The engine, mailing one-time codes through `codes`.
    pub fn with_code_mailer(mut self, codes: Arc<dyn CodeMailer>) -> Engine {
        self.codes = Some(codes);
        self
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The store it writes to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The clock it reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Notified after every commit that wrote outbox rows.
    pub fn wake(&self) -> &Arc<Notify> {
        &self.wake
    }

    /// The health board the runtime, the dispatcher and the adapters report to.
    pub fn health(&self) -> &Arc<crate::health::Health> {
        &self.health
    }

    /// Handles one inbound event in one transaction.
    pub async fn handle(&self, event: &Inbound) -> Result<Handled, EngineError> {
        let handled = self.handle_batch(std::slice::from_ref(event)).await?;
        Ok(handled[0])
    }

    /// Handles events in order in one transaction: all are stored, or none (on an
    /// error, hand them to [`Engine::handle`] one by one to find the one that fails).
    pub async fn handle_batch(&self, events: &[Inbound]) -> Result<Vec<Handled>, EngineError> {
        let mut turn = Turn::begin(self, String::new()).await?;
        let mut handled = Vec::with_capacity(events.len());
        for event in events {
            let mut event = event.clone();
            event.make_storable();
            handled.push(self.apply(&mut turn, &event).await?);
        }
        turn.commit(self).await?;
        Ok(handled)
    }

    /// Routes one event of a turn to its room.
    async fn apply(&self, t: &mut Turn, event: &Inbound) -> Result<Handled, StoreError> {
        if !t
            .tx
            .remember_inbound(&event.address, &event.id, t.now)
            .await?
        {
            return Ok(Handled::Duplicate);
        }
        // With the time, a platform id seen again after its dedupe record was swept
        // away still gets keys of its own.
        t.rekey(format!(
            "{}:{}@{}",
            event.address.channel_only(),
            event.id,
            t.now
        ));
        if let Content::Edited { id, .. } | Content::Deleted { id } = &event.content {
            return self.changed(t, event, id).await;
        }
        if let Content::Post(text) = &event.content {
            return self.public_post(t, event, text).await;
        }
        match self.queue_of_channel(&event.address) {
            Some(_) => self.agent_event(t, event).await,
            None => self.person_event(t, event).await,
        }
    }

    fn queue_of_channel(&self, address: &Address) -> Option<&Queue> {
        self.config.queues.iter().find(|q| {
            q.agent_channel.adapter == address.adapter && q.agent_channel.channel == address.channel
        })
    }

    fn queue_index(&self, name: &str) -> Option<usize> {
        self.config
            .queues
            .iter()
            .position(|q| q.name.eq_ignore_ascii_case(name))
    }

    fn question(&self, id: &str) -> Option<&Question> {
        self.config.questions.iter().find(|q| q.id == id)
    }

    fn capabilities(&self, adapter: &str) -> Capabilities {
        self.config
            .capabilities
            .get(adapter)
            .copied()
            .unwrap_or_default()
    }
}
