//! The conversation engine: one inbound event in, one transaction of state changes,
//! messages and outbox rows out. It knows no platform and no database.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::adapter::{Capabilities, Choice, Content, FileRef, Inbound, OutboundKind};
use crate::clock::Clock;
use crate::intent::{is_how_question, IntentMatcher};
use crate::knowledge::{Knowledge, Lookup};
use crate::messages as say;
use crate::store::{NewConversation, NewMessage, NewOutbound, RowAction, Store, StoreError, Tx};
use crate::text::{detect_lang, split_message};
use crate::types::{Address, Author, Conversation, Millis, Person, State};

/// A queue of agents: the phrases that reach it and the channel where its tickets go.
#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub name: String,
    pub phrases: Vec<String>,
    pub agent_channel: Address,
    /// Triage question ids, asked before the handoff.
    pub triage: Vec<String>,
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
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            queues: Vec::new(),
            close_after: 4 * 24 * 60 * 60 * 1000,
            anonymous_agents: false,
            capabilities: HashMap::new(),
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
    #[error(transparent)]
    Store(#[from] StoreError),
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
}

enum AgentCommand<'a> {
    Note(&'a str),
    Claim,
    Close(Option<&'a str>),
    Solve,
    Reopen,
    Help,
    Reply(&'a str),
}

impl<'a> AgentCommand<'a> {
    fn parse(content: &'a Content) -> AgentCommand<'a> {
        let text = match content {
            Content::Choice(v) if v == say::CLAIM => return AgentCommand::Claim,
            Content::Choice(v) if v == say::CLOSE => return AgentCommand::Close(None),
            Content::Choice(v) if v == say::REOPEN => return AgentCommand::Reopen,
            Content::Text(t) => t.trim(),
            _ => return AgentCommand::Help,
        };
        if let Some(note) = text.strip_prefix("//") {
            return AgentCommand::Note(note.trim());
        }
        let Some(command) = text.strip_prefix('!') else {
            return AgentCommand::Reply(text);
        };
        let (word, rest) = command
            .split_once(char::is_whitespace)
            .unwrap_or((command, ""));
        let rest = rest.trim();
        match word.to_lowercase().as_str() {
            "note" => AgentCommand::Note(rest),
            "claim" => AgentCommand::Claim,
            "close" => AgentCommand::Close((!rest.is_empty()).then_some(rest)),
            "solve" | "solved" => AgentCommand::Solve,
            "reopen" => AgentCommand::Reopen,
            _ => AgentCommand::Help,
        }
    }
}

/// The work of one event inside its transaction.
struct Turn {
    tx: Box<dyn Tx>,
    now: Millis,
    /// Base of the idempotency keys of the rows this event writes.
    key: String,
    /// Outbox rows this event wrote so far.
    rows: u32,
    /// Some event of the transaction wrote outbox rows.
    wrote: bool,
}

impl Turn {
    /// The idempotency key of the next outbox row this event writes.
    fn next_key(&mut self) -> String {
        self.rows += 1;
        self.wrote = true;
        format!("{}#{}", self.key, self.rows)
    }
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
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Notified after every commit that wrote outbox rows.
    pub fn wake(&self) -> &Arc<Notify> {
        &self.wake
    }

    /// A message to `to` could not be delivered for good: when it was meant for the
    /// person and the conversation has a ticket, the agents are told in its thread.
    pub async fn delivery_failed(
        &self,
        conversation_id: i64,
        to: &Address,
        error: &str,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let Some(conv) = tx.conversation(conversation_id).await? else {
            return Ok(());
        };
        let to_agents = conv
            .agent_address
            .as_ref()
            .is_some_and(|a| a.adapter == to.adapter && a.channel == to.channel);
        if to_agents || !conv.state.has_ticket() {
            return Ok(());
        }
        let mut turn = Turn {
            tx,
            now,
            key: format!("failed:{conversation_id}:{to}@{now}"),
            rows: 0,
            wrote: false,
        };
        let text = format!(
            "A message to the person could not be delivered ({error}). It is kept in the conversation; \
             they will see new replies only once they write again."
        );
        self.notice(&mut turn, &conv, &text).await?;
        turn.tx.commit().await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Handles one inbound event in one transaction.
    pub async fn handle(&self, event: &Inbound) -> Result<Handled, EngineError> {
        let handled = self.handle_batch(std::slice::from_ref(event)).await?;
        Ok(handled[0])
    }

    /// Handles events in order in one transaction: all are stored, or none (on an
    /// error, hand them to [`Engine::handle`] one by one to find the one that fails).
    pub async fn handle_batch(&self, events: &[Inbound]) -> Result<Vec<Handled>, EngineError> {
        let now = self.clock.now();
        let tx = self.store.begin().await?;
        let mut turn = Turn {
            tx,
            now,
            key: String::new(),
            rows: 0,
            wrote: false,
        };
        let mut handled = Vec::with_capacity(events.len());
        for event in events {
            handled.push(self.apply(&mut turn, event).await?);
        }
        let wrote = turn.wrote;
        turn.tx.commit().await?;
        if wrote {
            self.wake.notify_one();
        }
        Ok(handled)
    }

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
        t.key = format!("{}:{}@{}", event.address.channel_only(), event.id, t.now);
        t.rows = 0;
        if let Content::Edited { id, .. } | Content::Deleted { id } = &event.content {
            return self.changed(t, event, id).await;
        }
        match self.queue_of_channel(&event.address) {
            Some(_) => self.agent_event(t, event).await,
            None => self.user_event(t, event).await,
        }
    }

    fn queue_of_channel(&self, address: &Address) -> Option<&Queue> {
        self.config.queues.iter().find(|q| {
            q.agent_channel.adapter == address.adapter && q.agent_channel.channel == address.channel
        })
    }

    fn max_len(&self, adapter: &str) -> usize {
        self.capabilities(adapter).max_len
    }

    fn capabilities(&self, adapter: &str) -> Capabilities {
        self.config
            .capabilities
            .get(adapter)
            .copied()
            .unwrap_or_default()
    }

    // ---- edits and deletions, on either side ----

    /// A message was edited or deleted where it was written: its copies follow, through
    /// the outbox rows that posted them. Where the other side cannot edit, a new message
    /// says what changed.
    async fn changed(&self, t: &mut Turn, ev: &Inbound, id: &str) -> Result<Handled, StoreError> {
        let Some((message_id, conversation_id)) = t.tx.message_by_source(&ev.address, id).await?
        else {
            tracing::debug!(address = %ev.address, id, "change to a message relaydesk does not know");
            return Ok(Handled::Ignored);
        };
        let agent_side = self.queue_of_channel(&ev.address).is_some();
        let new_text = match &ev.content {
            // An agent's reply edited into a note or a command is taken back from the
            // person rather than shown to them.
            Content::Edited { text, .. }
                if agent_side
                    && !matches!(
                        AgentCommand::parse(&Content::Text(text.clone())),
                        AgentCommand::Reply(_)
                    ) =>
            {
                None
            }
            Content::Edited { text, .. } => Some(text.as_str()),
            _ => None,
        };
        t.tx.edit_message(message_id, new_text, t.now).await?;
        let copies = t.tx.copies(message_id).await?;
        let mut i = 0;
        while i < copies.len() {
            // The parts of one split message are consecutive copies to one place.
            let group: Vec<_> = copies[i..]
                .iter()
                .take_while(|c| c.to == copies[i].to)
                .collect();
            i += group.len();
            let first = group[0];
            let edits = self.capabilities(&first.to.adapter).edits;
            let parts = match (new_text, edits) {
                (Some(text), true) => split_message(text, self.max_len(&first.to.adapter)),
                (Some(text), false) => {
                    split_message(&format!("(edited) {text}"), self.max_len(&first.to.adapter))
                }
                (None, true) => Vec::new(),
                (None, false) => vec!["(deleted a message)".to_string()],
            };
            for (n, copy) in group.iter().enumerate().filter(|_| edits) {
                let action = match parts.get(n) {
                    Some(_) => RowAction::Update(copy.id),
                    None => RowAction::Delete(copy.id),
                };
                let text = parts.get(n).cloned().unwrap_or_default();
                self.push(t, (conversation_id, message_id), copy, text, action)
                    .await?;
            }
            let posted = if edits { group.len() } else { 0 };
            for text in parts.into_iter().skip(posted) {
                self.push(
                    t,
                    (conversation_id, message_id),
                    first,
                    text,
                    RowAction::Post,
                )
                .await?;
            }
        }
        Ok(Handled::Done)
    }

    /// An outbox row that changes, removes or adds to a copy.
    async fn push(
        &self,
        t: &mut Turn,
        (conversation_id, message_id): (i64, i64),
        copy: &crate::store::Copy,
        text: String,
        action: RowAction,
    ) -> Result<(), StoreError> {
        // Rows that add parts stay linked to the message, so later changes find them.
        let row = NewOutbound {
            conversation_id,
            message_id: Some(message_id),
            to: copy.to.clone(),
            parent_id: copy.parent_id,
            kind: copy.kind,
            text,
            sender: copy.sender.clone(),
            choices: Vec::new(),
            files: Vec::new(),
            action,
            idempotency_key: t.next_key(),
        };
        t.tx.enqueue(&row, t.now).await.map(drop)
    }

    // ---- the person's side ----

    async fn user_event(&self, t: &mut Turn, ev: &Inbound) -> Result<Handled, StoreError> {
        let (user_id, latest) = t.tx.upsert_person(&ev.author, t.now).await?;
        let text = match &ev.content {
            Content::Text(s) => s.as_str(),
            Content::Choice(v) => v.as_str(),
            _ => "",
        };
        if ev.content == Content::History {
            return self.history(t, ev, user_id, latest).await;
        }
        let mut conv = match latest {
            Some(c) if self.is_open(&c, t.now) => c,
            previous => {
                let previous_id = previous.as_ref().map(|p| p.id);
                if let Some(mut p) = previous.filter(|p| p.state != State::Closed) {
                    p.state = State::Closed;
                    p.closed_at = Some(t.now);
                    p.close_reason.get_or_insert_with(|| "solved".into());
                    t.tx.save_conversation(&p, &[], t.now).await?;
                }
                let new = NewConversation {
                    user_id,
                    user_address: ev.address.clone(),
                    lang: detect_lang(text),
                    previous_id,
                };
                t.tx.insert_conversation(&new, t.now).await?
            }
        };
        let mut changed = false;
        // Once a ticket is open, replies go to the private place when there is one: a
        // later @mention in a channel must not pull the conversation back into public.
        let reply_to = match &ev.private_address {
            Some(private) if conv.state.has_ticket() => private,
            _ => &ev.address,
        };
        if conv.user_address != *reply_to {
            conv.user_address = reply_to.clone();
            changed = true;
        }
        if matches!(ev.content, Content::Text(_)) && text.chars().any(char::is_alphabetic) {
            let lang = detect_lang(text);
            changed |= lang != conv.lang;
            conv.lang = lang;
        }
        let message_id =
            t.tx.insert_message(
                &NewMessage {
                    conversation_id: conv.id,
                    author: Author::User,
                    author_name: &ev.author.display_name,
                    body: text,
                    source: Some((&ev.address, &ev.id)),
                    files: &ev.files,
                },
                t.now,
            )
            .await?;
        match conv.state {
            State::Bot | State::Triage | State::Verifying => {
                self.bot_turn(t, &mut conv, ev, text).await?;
                if conv.state.has_ticket() && !ev.files.is_empty() {
                    let thread = self.ticket_thread(t, &conv).await?;
                    let from = (message_id, ev.author.display_name.as_str());
                    self.post_files(t, &conv, thread, from, &ev.files).await?;
                }
            }
            State::Queued | State::Assigned | State::Solved => {
                if conv.state == State::Solved {
                    conv.state = if conv.assignee.is_some() {
                        State::Assigned
                    } else {
                        State::Queued
                    };
                    conv.solved_at = None;
                    self.notice(t, &conv, "The person wrote again: ticket reopened.")
                        .await?;
                    self.update_card(t, &conv).await?;
                    changed = true;
                }
                let thread = self.ticket_thread(t, &conv).await?;
                // A file on its own goes as the file, without an empty line before it.
                if !text.is_empty() || ev.files.is_empty() {
                    let sender = Some(ev.author.display_name.clone());
                    self.post(
                        t,
                        &conv,
                        thread.clone(),
                        OutboundKind::Relay,
                        text,
                        sender,
                        Vec::new(),
                        Some(message_id),
                    )
                    .await?;
                }
                let from = (message_id, ev.author.display_name.as_str());
                self.post_files(t, &conv, thread, from, &ev.files).await?;
                if changed {
                    t.tx.save_conversation(&conv, &[], t.now).await?;
                }
            }
            State::Closed => unreachable!("closed conversations are replaced above"),
        }
        Ok(Handled::Done)
    }

    /// Open: not closed, and not solved for longer than `close_after`.
    fn is_open(&self, c: &Conversation, now: Millis) -> bool {
        match c.state {
            State::Closed => false,
            State::Solved => c
                .solved_at
                .is_some_and(|at| now - at < self.config.close_after),
            _ => true,
        }
    }

    async fn bot_turn(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        text: &str,
    ) -> Result<(), StoreError> {
        let offered = t.tx.offered_choices(conv.id).await?;
        let choice = match &ev.content {
            Content::Choice(v) if offered.iter().any(|c| c.value == *v) => Some(v.clone()),
            Content::Choice(_) => {
                // A button under someone else's answer, or under one long answered.
                self.reply(t, conv, &say::not_your_choice(conv.lang), Vec::new())
                    .await?;
                return Ok(());
            }
            _ => pick_choice(&offered, text),
        };
        if let Some(feedback) = choice.as_deref().filter(|c| FEEDBACK.contains(c)) {
            t.tx.record_feedback(conv.id, feedback, t.now).await?;
        }
        match choice.as_deref() {
            Some(say::HELPED) => {
                self.reply(t, conv, &say::glad_it_helped(conv.lang), Vec::new())
                    .await?;
                return Ok(());
            }
            Some(say::MORE_HELP) | Some(say::AGENT) => return self.handoff(t, conv, ev, 0).await,
            _ => {}
        }
        if text.trim().is_empty() && !ev.files.is_empty() {
            // A file on its own: nothing to look up; an agent can look at it.
            return self.handoff(t, conv, ev, 0).await;
        }
        if text.trim().is_empty() {
            self.reply(t, conv, &say::empty_message(conv.lang), Vec::new())
                .await?;
            return Ok(());
        }
        if let Some(queue) = self.intents.find(text).filter(|_| !is_how_question(text)) {
            return self.handoff(t, conv, ev, queue).await;
        }
        let (answer, articles, choices) = match self.knowledge.lookup(text) {
            Lookup::TooShort => {
                self.reply(t, conv, &say::too_short(conv.lang), Vec::new())
                    .await?;
                return Ok(());
            }
            Lookup::NoMatch => (say::no_match(conv.lang), Vec::new(), Vec::new()),
            Lookup::Articles(hits) => {
                let ids = hits.iter().map(|h| h.id.clone()).collect();
                (
                    say::articles(conv.lang, &hits),
                    ids,
                    say::feedback_choices(conv.lang),
                )
            }
        };
        // Answers and declines are both kept: deflection figures are made of them.
        let message_id = self.reply(t, conv, &answer, choices).await?;
        t.tx.record_answer(conv.id, message_id, text, &articles, t.now)
            .await
    }

    /// The bot answers the person: the choices it offers are remembered (a typed "2"
    /// picks the second), then the answer is stored and posted where they wrote.
    async fn reply(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        text: &str,
        choices: Vec<Choice>,
    ) -> Result<i64, StoreError> {
        t.tx.save_conversation(conv, &choices, t.now).await?;
        self.tell_user(t, conv, text, choices).await
    }

    /// Opens a ticket in queue `queue`: the card in the agent channel, the transcript in
    /// its thread, and the ticket number to the person.
    async fn handoff(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        queue: usize,
    ) -> Result<(), StoreError> {
        let person = &ev.author;
        let Some(q) = self.config.queues.get(queue) else {
            return self
                .reply(t, conv, &say::no_queue(conv.lang), Vec::new())
                .await
                .map(drop);
        };
        let number = t.tx.next_ticket_number().await?;
        conv.state = State::Queued;
        conv.queue = Some(q.name.clone());
        conv.ticket_number = Some(number);
        conv.agent_address = Some(q.agent_channel.clone());
        let card = ticket_card(conv, person, q);
        let choices = card_choices(conv.state);
        let card_id = self
            .post(
                t,
                conv,
                Target::Address(q.agent_channel.clone()),
                OutboundKind::TicketCard,
                &card,
                None,
                choices,
                None,
            )
            .await?;
        let transcript = transcript(&t.tx.messages(conv.id).await?);
        self.post(
            t,
            conv,
            Target::Parent(q.agent_channel.clone(), card_id),
            OutboundKind::AgentNotice,
            &transcript,
            None,
            Vec::new(),
            None,
        )
        .await?;
        if let Some(private) = ev.private_address.as_ref() {
            if *private != conv.user_address {
                self.reply(
                    t,
                    conv,
                    &say::continue_in_private(conv.lang, number),
                    Vec::new(),
                )
                .await?;
                conv.user_address = private.clone();
            }
        }
        self.reply(
            t,
            conv,
            &say::ticket_opened(conv.lang, number, &q.name),
            Vec::new(),
        )
        .await
        .map(drop)
    }

    /// Files go to the other side in a row of their own, after the text.
    async fn post_files(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        target: Target,
        (message_id, sender): (i64, &str),
        files: &[FileRef],
    ) -> Result<(), StoreError> {
        if files.is_empty() {
            return Ok(());
        }
        let (to, parent_id) = match target {
            Target::Address(a) => (a, None),
            Target::Parent(a, p) => (a, Some(p)),
        };
        // One row per file: a retry re-sends only the file that failed.
        for file in files {
            let row = NewOutbound {
                conversation_id: conv.id,
                message_id: Some(message_id),
                to: to.clone(),
                parent_id,
                kind: OutboundKind::Relay,
                text: String::new(),
                sender: Some(sender.to_string()),
                choices: Vec::new(),
                files: vec![file.clone()],
                action: RowAction::Post,
                idempotency_key: t.next_key(),
            };
            t.tx.enqueue(&row, t.now).await?;
        }
        Ok(())
    }

    /// `/support history`: the person's conversations, answered where they asked,
    /// without opening or closing anything.
    async fn history(
        &self,
        t: &mut Turn,
        ev: &Inbound,
        user_id: i64,
        latest: Option<Conversation>,
    ) -> Result<Handled, StoreError> {
        let conv = match latest {
            Some(c) => c,
            None => {
                let new = NewConversation {
                    user_id,
                    user_address: ev.address.clone(),
                    lang: crate::text::Lang::En,
                    previous_id: None,
                };
                t.tx.insert_conversation(&new, t.now).await?
            }
        };
        let list = t.tx.conversations_of(user_id, 10).await?;
        let list = say::history(conv.lang, &list);
        self.tell_at(t, &conv, ev.address.clone(), &list, Vec::new())
            .await?;
        Ok(Handled::Done)
    }

    /// The ticket card shows the ticket's state and the buttons that fit it.
    async fn update_card(&self, t: &mut Turn, conv: &Conversation) -> Result<(), StoreError> {
        let Some(agent) = conv.agent_address.as_ref() else {
            return Ok(());
        };
        if !self.capabilities(&agent.adapter).edits {
            return Ok(());
        }
        let Some(card) = t.tx.ticket_card(conv.id).await? else {
            return Ok(());
        };
        let status = match conv.state {
            State::Assigned => format!(
                "Status: claimed by {}",
                conv.assignee.as_deref().unwrap_or("an agent")
            ),
            State::Solved => "Status: solved".to_string(),
            State::Closed => format!(
                "Status: closed ({})",
                conv.close_reason.as_deref().unwrap_or("closed")
            ),
            _ => "Status: waiting for an agent".to_string(),
        };
        let row = NewOutbound {
            conversation_id: conv.id,
            message_id: None,
            to: Address {
                thread: None,
                ..agent.clone()
            },
            parent_id: None,
            kind: OutboundKind::TicketCard,
            text: format!("{}\n{status}", card.text),
            sender: None,
            choices: card_choices(conv.state),
            files: Vec::new(),
            action: RowAction::Update(card.id),
            idempotency_key: t.next_key(),
        };
        t.tx.enqueue(&row, t.now).await.map(drop)
    }

    // ---- the agents' side ----

    async fn agent_event(&self, t: &mut Turn, ev: &Inbound) -> Result<Handled, StoreError> {
        let conv = match &ev.address.thread {
            Some(_) => t.tx.conversation_by_thread(&ev.address).await?,
            None => None,
        };
        let Some(mut conv) = conv else {
            tracing::debug!(address = %ev.address, "agent-channel message outside a ticket thread");
            return Ok(Handled::Ignored);
        };
        let agent = ev.author.display_name.as_str();
        let number = conv.ticket_number.unwrap_or(conv.id);
        match AgentCommand::parse(&ev.content) {
            AgentCommand::Note(body) => {
                self.store_agent_message(t, &conv, Author::Note, agent, body, ev)
                    .await?;
            }
            AgentCommand::Help => {
                self.notice(t, &conv, say::AGENT_HELP).await?;
            }
            AgentCommand::Claim if conv.state != State::Closed => {
                let previous = conv.assignee.replace(agent.to_string());
                if conv.state == State::Queued {
                    conv.state = State::Assigned;
                }
                t.tx.save_conversation(&conv, &[], t.now).await?;
                self.update_card(t, &conv).await?;
                let notice = match previous {
                    Some(p) if p != agent => {
                        format!("{agent} took over ticket #{number} from {p}.")
                    }
                    _ => format!("Claimed by {agent}."),
                };
                self.notice(t, &conv, &notice).await?;
                let shown = self.shown_agent_name(agent).to_string();
                self.tell_user(t, &conv, &say::claimed(conv.lang, &shown), Vec::new())
                    .await?;
            }
            AgentCommand::Solve if conv.state.has_ticket() && conv.state != State::Closed => {
                conv.state = State::Solved;
                conv.solved_at = Some(t.now);
                t.tx.save_conversation(&conv, &[], t.now).await?;
                self.update_card(t, &conv).await?;
                self.notice(t, &conv, &format!("Marked solved by {agent}. It closes by itself unless the person writes again.")).await?;
                self.tell_user(t, &conv, &say::solved(conv.lang, number), Vec::new())
                    .await?;
            }
            AgentCommand::Close(reason) if conv.state != State::Closed => {
                conv.state = State::Closed;
                conv.closed_at = Some(t.now);
                conv.close_reason = Some(reason.unwrap_or("closed").to_string());
                t.tx.save_conversation(&conv, &[], t.now).await?;
                self.update_card(t, &conv).await?;
                let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
                self.notice(t, &conv, &format!("Closed by {agent}{why}."))
                    .await?;
                self.tell_user(
                    t,
                    &conv,
                    &say::closed(conv.lang, number, reason),
                    Vec::new(),
                )
                .await?;
            }
            AgentCommand::Claim | AgentCommand::Solve | AgentCommand::Close(_) => {
                self.notice(
                    t,
                    &conv,
                    &format!("Ticket #{number} is already {}.", conv.state),
                )
                .await?;
            }
            AgentCommand::Reopen => self.reopen(t, &mut conv, agent).await?,
            AgentCommand::Reply("") if ev.files.is_empty() => {}
            AgentCommand::Reply(body) if conv.state == State::Closed => {
                self.store_agent_message(t, &conv, Author::Note, agent, body, ev)
                    .await?;
                self.notice(t, &conv, &format!("Ticket #{number} is closed, so this was kept as a note and not sent. Say `!reopen` first to write to the person.")).await?;
            }
            AgentCommand::Reply(body) => {
                let message_id = self
                    .store_agent_message(t, &conv, Author::Agent, agent, body, ev)
                    .await?;
                if conv.state == State::Queued {
                    conv.state = State::Assigned;
                    conv.assignee = Some(agent.to_string());
                    t.tx.save_conversation(&conv, &[], t.now).await?;
                    self.update_card(t, &conv).await?;
                }
                let sender = Some(self.shown_agent_name(agent).to_string());
                if !body.is_empty() {
                    let to = Target::Address(conv.user_address.clone());
                    self.post(
                        t,
                        &conv,
                        to,
                        OutboundKind::Relay,
                        body,
                        sender,
                        Vec::new(),
                        Some(message_id),
                    )
                    .await?;
                }
                let to = Target::Address(conv.user_address.clone());
                self.post_files(
                    t,
                    &conv,
                    to,
                    (message_id, self.shown_agent_name(agent)),
                    &ev.files,
                )
                .await?;
            }
        }
        Ok(Handled::Done)
    }

    async fn reopen(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        agent: &str,
    ) -> Result<(), StoreError> {
        let number = conv.ticket_number.unwrap_or(conv.id);
        if !matches!(conv.state, State::Solved | State::Closed) {
            return self
                .notice(t, conv, &format!("Ticket #{number} is open already."))
                .await;
        }
        let latest = t.tx.latest_conversation(conv.user_id).await?;
        if let Some(newer) = latest.filter(|l| l.id != conv.id) {
            return self
                .notice(
                    t,
                    conv,
                    &format!(
                        "The person has started a new conversation (#{}) since; answer there.",
                        newer.id
                    ),
                )
                .await;
        }
        conv.state = State::Assigned;
        conv.assignee = Some(agent.to_string());
        conv.solved_at = None;
        conv.closed_at = None;
        conv.close_reason = None;
        t.tx.save_conversation(conv, &[], t.now).await?;
        self.update_card(t, conv).await?;
        self.notice(t, conv, &format!("Reopened by {agent}."))
            .await?;
        self.tell_user(t, conv, &say::reopened(conv.lang, number), Vec::new())
            .await
            .map(drop)
    }

    fn shown_agent_name<'a>(&self, agent: &'a str) -> &'a str {
        if self.config.anonymous_agents {
            "Support"
        } else {
            agent
        }
    }

    async fn store_agent_message(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        author: Author,
        agent: &str,
        body: &str,
        ev: &Inbound,
    ) -> Result<i64, StoreError> {
        let message = NewMessage {
            conversation_id: conv.id,
            author,
            author_name: agent,
            body,
            source: Some((&ev.address, &ev.id)),
            files: &ev.files,
        };
        t.tx.insert_message(&message, t.now).await
    }

    /// A bot message to the person, stored and posted; returns the stored message.
    async fn tell_user(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        text: &str,
        choices: Vec<Choice>,
    ) -> Result<i64, StoreError> {
        let to = conv.user_address.clone();
        self.tell_at(t, conv, to, text, choices).await
    }

    /// A bot message to the person at `to`, stored and posted; returns the stored message.
    async fn tell_at(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        to: Address,
        text: &str,
        choices: Vec<Choice>,
    ) -> Result<i64, StoreError> {
        let message = NewMessage {
            conversation_id: conv.id,
            author: Author::Bot,
            author_name: "relaydesk",
            body: text,
            source: None,
            files: &[],
        };
        let message_id = t.tx.insert_message(&message, t.now).await?;
        self.post(
            t,
            conv,
            Target::Address(to),
            OutboundKind::Bot,
            text,
            None,
            choices,
            Some(message_id),
        )
        .await?;
        Ok(message_id)
    }

    /// A notice for agents in the ticket thread.
    async fn notice(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        text: &str,
    ) -> Result<(), StoreError> {
        let thread = self.ticket_thread(t, conv).await?;
        self.post(
            t,
            conv,
            thread,
            OutboundKind::AgentNotice,
            text,
            None,
            Vec::new(),
            None,
        )
        .await?;
        Ok(())
    }

    /// The ticket's thread: known once the card is delivered, else "under the card".
    async fn ticket_thread(&self, t: &mut Turn, conv: &Conversation) -> Result<Target, StoreError> {
        let Some(agent) = conv.agent_address.clone() else {
            return Err(StoreError::Corrupt(format!(
                "conversation {} has a ticket but no agent channel",
                conv.id
            )));
        };
        if agent.thread.is_some() {
            return Ok(Target::Address(agent));
        }
        match t.tx.ticket_card(conv.id).await? {
            Some(card) => Ok(Target::Parent(agent, card.id)),
            None => Err(StoreError::Corrupt(format!(
                "conversation {} has no ticket card",
                conv.id
            ))),
        }
    }

    /// Writes outbox rows for `text`, split at the destination's length limit. Returns
    /// the id of the first row.
    #[allow(clippy::too_many_arguments)]
    async fn post(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        target: Target,
        kind: OutboundKind,
        text: &str,
        sender: Option<String>,
        choices: Vec<Choice>,
        message_id: Option<i64>,
    ) -> Result<i64, StoreError> {
        let (to, parent_id) = match target {
            Target::Address(a) => (a, None),
            Target::Parent(a, p) => (a, Some(p)),
        };
        let parts = split_message(text, self.max_len(&to.adapter));
        let last = parts.len() - 1;
        let mut first = None;
        for (i, part) in parts.into_iter().enumerate() {
            let row = NewOutbound {
                conversation_id: conv.id,
                message_id,
                to: to.clone(),
                parent_id,
                kind,
                text: part,
                sender: sender.clone(),
                // Choices go with the last part, under the whole text.
                choices: if i == last {
                    choices.clone()
                } else {
                    Vec::new()
                },
                files: Vec::new(),
                action: RowAction::Post,
                idempotency_key: t.next_key(),
            };
            let id = t.tx.enqueue(&row, t.now).await?;
            first.get_or_insert(id);
        }
        Ok(first.unwrap_or_default())
    }
}

/// Where an outbox row goes.
#[derive(Clone)]
enum Target {
    Address(Address),
    /// Into the thread of this outbox row (a ticket card) in this channel.
    Parent(Address, i64),
}

/// The choices that say how a help-center answer went.
const FEEDBACK: [&str; 3] = [say::HELPED, say::MORE_HELP, say::AGENT];

/// A typed reply that picks one of the offered choices: its number or its label.
fn pick_choice(offered: &[Choice], text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches(['.', ')']);
    if let Ok(n) = text.parse::<usize>() {
        return offered.get(n.checked_sub(1)?).map(|c| c.value.clone());
    }
    offered
        .iter()
        .find(|c| c.label.eq_ignore_ascii_case(text))
        .map(|c| c.value.clone())
}

/// The buttons under a ticket card in each state.
fn card_choices(state: State) -> Vec<Choice> {
    let choice = |value: &str, label: &str| Choice {
        value: value.into(),
        label: label.into(),
    };
    match state {
        State::Closed => vec![choice(say::REOPEN, "Reopen")],
        State::Assigned | State::Solved => vec![choice(say::CLOSE, "Close")],
        _ => vec![choice(say::CLAIM, "Claim"), choice(say::CLOSE, "Close")],
    }
}

fn ticket_card(conv: &Conversation, person: &Person, queue: &Queue) -> String {
    let number = conv.ticket_number.unwrap_or(conv.id);
    let identity = match &person.verified_email {
        Some(email) => format!("{email} (verified by {})", person.platform),
        None => "unverified".to_string(),
    };
    let mut card = format!(
        "Ticket #{number} · {queue}\nFrom: {name} ({platform} {id}) · {identity}\nLanguage: {lang}",
        queue = queue.name,
        name = person.display_name,
        platform = person.platform,
        id = person.id,
        lang = conv.lang.as_str(),
    );
    if let Some(previous) = conv.previous_id {
        card.push_str(&format!("\nContinues conversation {previous}"));
    }
    card.push_str("\nReply in this thread to answer. !claim, !close [reason], !note <text> or // for internal notes.");
    card
}

fn transcript(messages: &[crate::types::Message]) -> String {
    let mut out = String::from("Transcript so far:");
    for m in messages {
        let who = match m.author {
            Author::User => m.author_name.as_str(),
            Author::Bot => "bot",
            Author::Agent => m.author_name.as_str(),
            Author::Note => continue,
        };
        out.push_str(&format!("\n{who}: {}", m.body));
    }
    out
}
