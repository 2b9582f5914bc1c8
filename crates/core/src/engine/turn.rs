//! A turn: the transaction one event (or one timer) runs in, the idempotency keys of
//! the rows it writes, and the one path by which anything is posted.

use crate::adapter::{Body, Choice, FileRef, OutboundKind, Payload};
use crate::desk::{Moved, Refused, Trigger};
use crate::email::Letter;
use crate::store::{NewMessage, NewOutbound, RowAction, StoreError, Tx};
use crate::text::split_message;
use crate::types::{Address, Author, Conversation, Millis};

use super::Engine;

/// The work of one event inside its transaction.
pub(super) struct Turn {
    pub tx: Box<dyn Tx>,
    pub now: Millis,
    /// Base of the idempotency keys of the rows the current event writes.
    key: String,
    /// Outbox rows the current event wrote so far.
    rows: u32,
    /// Some event of the transaction wrote outbox rows.
    wrote: bool,
    /// One-time codes to mail once the transaction commits: (address, email).
    pub codes: Vec<(String, Letter)>,
    /// Counters to add one to once the transaction commits: (name, label, value).
    pub counts: Vec<(&'static str, &'static str, String)>,
}

/// Where an outbox row goes.
#[derive(Debug, Clone)]
pub(super) enum Target {
    Address(Address),
    /// Into the thread of this outbox row (a ticket card) in this channel.
    Parent(Address, i64),
}

impl Target {
    pub(super) fn split(self) -> (Address, Option<i64>) {
        match self {
            Target::Address(a) => (a, None),
            Target::Parent(a, p) => (a, Some(p)),
        }
    }
}

/// One message to post: where, what kind, the words, and what it is a copy of.
pub(super) struct Post<'a> {
    pub to: Target,
    pub kind: OutboundKind,
    pub text: &'a str,
    /// Whose words, when they are relayed.
    pub sender: Option<String>,
    pub choices: Vec<Choice>,
    /// The stored message this posts a copy of.
    pub message_id: Option<i64>,
}

impl Turn {
    /// Opens the transaction; `key` is the base of its rows' idempotency keys.
    pub async fn begin(engine: &Engine, key: String) -> Result<Turn, StoreError> {
        Ok(Turn {
            tx: engine.store.begin().await?,
            now: engine.clock.now(),
            key,
            rows: 0,
            wrote: false,
            codes: Vec::new(),
            counts: Vec::new(),
        })
    }

    /// Commits, and wakes the dispatcher when rows were written.
    pub async fn commit(self, engine: &Engine) -> Result<(), StoreError> {
        let wrote = self.wrote;
        self.tx.commit().await?;
        if wrote {
            engine.wake.notify_one();
        }
        for (to, letter) in self.codes {
            match &engine.codes {
                Some(mailer) => mailer.send_code(to, letter),
                None => tracing::warn!("a one-time code was not mailed: no mailer is set up"),
            }
        }
        for (name, label, value) in self.counts {
            metrics::counter!(name, label => value).increment(1);
        }
        Ok(())
    }

    /// Starts the keys of the next event of the transaction.
    pub fn rekey(&mut self, key: String) {
        self.key = key;
        self.rows = 0;
    }

    /// The idempotency key of the next outbox row this event writes.
    fn next_key(&mut self) -> String {
        self.rows += 1;
        self.wrote = true;
        format!("{}#{}", self.key, self.rows)
    }

    /// The one place outbox rows are written: `payload` to `to`, as a copy of stored
    /// message `message_id` when it is one, keyed for this event. Returns the row's id.
    pub async fn write(
        &mut self,
        conversation_id: i64,
        message_id: Option<i64>,
        to: Target,
        action: RowAction,
        payload: Payload,
    ) -> Result<i64, StoreError> {
        let (to, parent_id) = to.split();
        let row = NewOutbound {
            conversation_id,
            message_id,
            to,
            parent_id,
            action,
            idempotency_key: self.next_key(),
            payload,
        };
        self.tx.enqueue(&row, self.now).await
    }
}

impl Engine {
    /// Moves the conversation through the state machine and stores it; the ticket
    /// card follows. A refused move changes nothing and is returned as such.
    pub(super) async fn advance(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        trigger: Trigger<'_>,
    ) -> Result<Result<Moved, Refused>, StoreError> {
        let moved = match conv.apply(&trigger, t.now) {
            Ok(moved) => moved,
            Err(refused) => return Ok(Err(refused)),
        };
        t.tx.save_conversation(conv, t.now).await?;
        if moved.from.has_ticket() {
            self.redraw_card(t, conv).await?;
        }
        Ok(Ok(moved))
    }

    /// [`Engine::advance`] for a move the caller has checked the state allows: a
    /// refusal means the stored data contradicts the state machine.
    pub(super) async fn advance_checked(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        trigger: Trigger<'_>,
    ) -> Result<Moved, StoreError> {
        self.advance(t, conv, trigger)
            .await?
            .map_err(|r| StoreError::Corrupt(r.to_string()))
    }

    /// The bot speaks to the person at `to` (where they are, when `None`): the message
    /// is stored, then posted. Where they are, the choices it offers replace those
    /// offered before (a typed "2" picks the second); an answer posted elsewhere
    /// (`history`, where it was asked) leaves them. Returns the stored message.
    pub(super) async fn tell(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        to: Option<Address>,
        text: &str,
        choices: Vec<Choice>,
    ) -> Result<i64, StoreError> {
        self.tell_keeping(t, conv, to, text, text, choices).await
    }

    /// [`Engine::tell`], keeping `kept` in the transcript instead of `text` (which holds
    /// something only the person may see, such as a one-time link).
    pub(super) async fn tell_keeping(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        to: Option<Address>,
        text: &str,
        kept: &str,
        choices: Vec<Choice>,
    ) -> Result<i64, StoreError> {
        let message = NewMessage {
            conversation_id: conv.id,
            author: Author::Bot,
            author_name: "relaydesk",
            body: kept,
            source: None,
            files: &[],
        };
        let message_id = t.tx.insert_message(&message, t.now).await?;
        if to.is_none() {
            t.tx.offer_choices(conv.id, &choices, t.now).await?;
        }
        let to = to.unwrap_or_else(|| conv.user_address.clone());
        let post = Post {
            to: Target::Address(to),
            kind: OutboundKind::Bot,
            text,
            sender: None,
            choices,
            message_id: Some(message_id),
        };
        self.post(t, conv, post).await?;
        Ok(message_id)
    }

    /// A notice for agents in the ticket thread.
    pub(super) async fn notice(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        text: &str,
    ) -> Result<(), StoreError> {
        let to = self.ticket_thread(t, conv).await?;
        let post = Post {
            to,
            kind: OutboundKind::AgentNotice,
            text,
            sender: None,
            choices: Vec::new(),
            message_id: None,
        };
        self.post(t, conv, post).await.map(drop)
    }

    /// Relays a stored message (the person's or an agent's) to `to`, its files after
    /// its text; a file on its own goes without an empty line before it.
    pub(super) async fn relay(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        to: Target,
        (message_id, sender): (i64, &str),
        text: &str,
        files: &[FileRef],
    ) -> Result<(), StoreError> {
        if !text.is_empty() || files.is_empty() {
            let post = Post {
                to: to.clone(),
                kind: OutboundKind::Relay,
                text,
                sender: Some(sender.to_string()),
                choices: Vec::new(),
                message_id: Some(message_id),
            };
            self.post(t, conv, post).await?;
        }
        self.post_files(t, conv, to, (message_id, sender), files)
            .await
    }

    /// Files go to the other side in a row each, so that a retry re-sends only the
    /// file that failed.
    pub(super) async fn post_files(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        to: Target,
        (message_id, sender): (i64, &str),
        files: &[FileRef],
    ) -> Result<(), StoreError> {
        for file in files {
            let payload = Payload {
                kind: OutboundKind::Relay,
                sender: Some(sender.to_string()),
                body: Body::File(file.clone()),
            };
            t.write(
                conv.id,
                Some(message_id),
                to.clone(),
                RowAction::Post,
                payload,
            )
            .await?;
        }
        Ok(())
    }

    /// The ticket's thread: known once the card is delivered, else "under the card".
    pub(super) async fn ticket_thread(
        &self,
        t: &mut Turn,
        conv: &Conversation,
    ) -> Result<Target, StoreError> {
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

    /// Writes outbox rows for a post, split at the destination's length limit; the
    /// choices go with the last part, under the whole text. Returns the first row.
    pub(super) async fn post(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        post: Post<'_>,
    ) -> Result<i64, StoreError> {
        let max_len = match &post.to {
            Target::Address(a) | Target::Parent(a, _) => self.capabilities(&a.adapter).max_len,
        };
        let parts = split_message(post.text, max_len);
        let last = parts.len() - 1;
        let mut first = None;
        for (i, part) in parts.into_iter().enumerate() {
            let choices = if i == last {
                post.choices.clone()
            } else {
                Vec::new()
            };
            let payload = Payload {
                kind: post.kind,
                sender: post.sender.clone(),
                body: Body::words(part, choices),
            };
            let id = t
                .write(
                    conv.id,
                    post.message_id,
                    post.to.clone(),
                    RowAction::Post,
                    payload,
                )
                .await?;
            first.get_or_insert(id);
        }
        Ok(first.unwrap_or_default())
    }
}
