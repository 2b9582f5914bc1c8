//! Edits and deletions, on either side: the copies follow, through the outbox rows
//! that posted them. Where the other side cannot edit, a new message says what changed.

use crate::adapter::{Body, Capabilities, Content, Inbound, Payload};
use crate::desk::command::AgentCommand;
use crate::desk::identity::redact_codes;
use crate::i18n;
use crate::store::{Copy, RowAction, StoreError};
use crate::text::split_message;
use crate::types::State;

use super::turn::{Target, Turn};
use super::{Engine, Handled};

impl Engine {
    /// The author of message `id` changed or removed it.
    pub(super) async fn changed(
        &self,
        t: &mut Turn,
        ev: &Inbound,
        id: &str,
    ) -> Result<Handled, StoreError> {
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
                    && !matches!(AgentCommand::parse_text(text), AgentCommand::Reply(_)) =>
            {
                None
            }
            Content::Edited { text, .. } => Some(text.as_str()),
            _ => None,
        };
        // An edit while the person is being verified may hold a code: kept out as well.
        let verifying = match new_text {
            Some(_) if !agent_side => {
                t.tx.conversation(conversation_id)
                    .await?
                    .is_some_and(|c| c.state == State::Verifying)
            }
            _ => false,
        };
        let redacted = new_text.filter(|_| verifying).map(redact_codes);
        let new_text = redacted.as_deref().or(new_text);
        t.tx.edit_message(message_id, new_text, t.now).await?;
        let copies = t.tx.copies(message_id).await?;
        let mut i = 0;
        while i < copies.len() {
            // The parts of one split message are consecutive copies to one place.
            let group: Vec<&Copy> = copies[i..]
                .iter()
                .take_while(|c| c.to == copies[i].to)
                .collect();
            i += group.len();
            self.follow(t, (conversation_id, message_id), &group, new_text)
                .await?;
        }
        Ok(Handled::Done)
    }

    /// Changes the copies of one message in one place: updated or removed where the
    /// platform can, with a new message saying what changed where it cannot.
    async fn follow(
        &self,
        t: &mut Turn,
        of: (i64, i64),
        group: &[&Copy],
        new_text: Option<&str>,
    ) -> Result<(), StoreError> {
        let first = group[0];
        let Capabilities { max_len, edits, .. } = self.capabilities(&first.to.adapter);
        // Where the copy cannot change, a line says so, in its reader's language.
        let say = match (edits, self.queue_of_channel(&first.to)) {
            (false, None) => match t.tx.conversation(of.0).await? {
                Some(conv) => i18n::catalogue(conv.lang),
                None => i18n::agents(),
            },
            _ => i18n::agents(),
        };
        let parts = match (new_text, edits) {
            (Some(text), true) => split_message(text, max_len),
            (Some(text), false) => split_message(&say.edited(text), max_len),
            (None, true) => Vec::new(),
            (None, false) => vec![say.deleted().to_string()],
        };
        let posted = if edits { group.len() } else { 0 };
        if edits {
            for (n, copy) in group.iter().enumerate() {
                let (action, text) = match parts.get(n) {
                    Some(text) => (RowAction::Update(copy.id), text.clone()),
                    None => (RowAction::Delete(copy.id), String::new()),
                };
                self.push(t, of, copy, text, action).await?;
            }
        }
        for text in parts.into_iter().skip(posted) {
            self.push(t, of, first, text, RowAction::Post).await?;
        }
        Ok(())
    }

    /// An outbox row that changes, removes or adds to a copy. Rows that add parts stay
    /// linked to the message, so later changes find them.
    async fn push(
        &self,
        t: &mut Turn,
        (conversation_id, message_id): (i64, i64),
        copy: &Copy,
        text: String,
        action: RowAction,
    ) -> Result<(), StoreError> {
        let payload = Payload {
            kind: copy.kind,
            sender: copy.sender.clone(),
            body: Body::Text(text),
        };
        let to = match copy.parent_id {
            Some(parent) => Target::Parent(copy.to.clone(), parent),
            None => Target::Address(copy.to.clone()),
        };
        t.write(conversation_id, Some(message_id), to, action, payload)
            .await
            .map(drop)
    }
}
