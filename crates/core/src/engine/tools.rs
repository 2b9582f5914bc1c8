//! The tools agents reach for every day, in a ticket's thread: `!transfer <queue>`,
//! `!snippet <name>`, `!priority <level>`, `!block [duration]` and `!unblock`.

use crate::adapter::{Body, Inbound, TicketCard};
use crate::desk::card::transcript;
use crate::desk::command::parse_duration;
use crate::desk::Trigger;
use crate::i18n;
use crate::store::StoreError;
use crate::types::{Conversation, Priority};

use super::turn::Turn;
use super::{Engine, Handled};

impl Engine {
    /// `!transfer <queue>`: the old thread says where the ticket went, its card (with
    /// the transcript) is posted in the other queue's channel, where it waits for an
    /// agent; later messages in the old thread are refused with a pointer.
    pub(super) async fn transfer(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        queue: &str,
    ) -> Result<Handled, StoreError> {
        let say = i18n::agents();
        let names = || {
            self.config
                .queues
                .iter()
                .map(|q| q.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(q) = self.queue_index(queue).map(|i| &self.config.queues[i]) else {
            self.notice(t, conv, &say.unknown_queue(queue, &names()))
                .await?;
            return Ok(Handled::Done);
        };
        if conv.queue.as_deref() == Some(q.name.as_str()) {
            self.notice(t, conv, &say.same_queue(&q.name)).await?;
            return Ok(Handled::Done);
        }
        let agent = ev.author.display_name.as_str();
        let from_queue = conv.queue.clone().unwrap_or_default();
        let old_card = t.tx.ticket_card(conv.id).await?;
        self.notice(t, conv, &say.transferred_to(agent, &q.name))
            .await?;
        if let Some(old_thread) = conv.agent_address.clone() {
            t.tx.record_transfer(conv.id, &old_thread, &q.name, t.now)
                .await?;
        }
        let trigger = Trigger::Transfer {
            queue: &q.name,
            agent_channel: &q.agent_channel,
        };
        // The old card stays as it was; the new one is the ticket's from now on.
        conv.apply(&trigger, t.now)
            .map_err(|r| StoreError::Corrupt(r.to_string()))?;
        t.tx.save_conversation(conv, t.now).await?;
        let card = match old_card.map(|c| c.body) {
            Some(Body::Card { card, .. }) => TicketCard {
                queue: q.name.clone(),
                priority: conv.priority.map(|p| p.to_string()),
                status: None,
                ..*card
            },
            // A card stored as text, before cards had fields: drawn again from the person.
            _ => match t.tx.person(conv.user_id).await? {
                Some(person) => crate::desk::card::ticket_card(conv, &person, &q.name),
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "conversation {} has no person",
                        conv.id
                    )))
                }
            },
        };
        let mut notes = say.transferred_from(agent, &from_queue);
        notes.push_str("\n\n");
        notes.push_str(&transcript(&t.tx.messages(conv.id).await?));
        self.post_card(t, conv, q.agent_channel.clone(), card, &notes)
            .await?;
        let number = conv.ticket_number.unwrap_or(conv.id);
        let told = i18n::catalogue(conv.lang).transferred(number, &q.name);
        self.tell(t, conv, None, &told, Vec::new()).await?;
        Ok(Handled::Done)
    }

    /// `!snippet <name>`: the saved reply, in the person's language, sent as the agent's.
    pub(super) async fn snippet(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        name: &str,
    ) -> Result<Handled, StoreError> {
        let saved = self
            .config
            .snippets
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()));
        let Some((_, words)) = saved else {
            let names = self
                .config
                .snippets
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            self.notice(t, conv, &i18n::agents().unknown_snippet(name, &names))
                .await?;
            return Ok(Handled::Done);
        };
        let text = words.get(conv.lang).to_string();
        self.agent_reply(t, conv, ev, &text).await
    }

    /// `!priority <low|normal|high|critical>`: the card shows it, lists sort by it.
    pub(super) async fn set_priority(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        words: &str,
    ) -> Result<Handled, StoreError> {
        let say = i18n::agents();
        let Some(priority) = Priority::parse(words) else {
            self.notice(t, conv, say.priority_usage()).await?;
            return Ok(Handled::Done);
        };
        conv.priority = Some(priority);
        t.tx.save_conversation(conv, t.now).await?;
        self.redraw_card(t, conv).await?;
        let agent = ev.author.display_name.as_str();
        self.notice(t, conv, &say.priority_set(agent, priority.as_str()))
            .await?;
        Ok(Handled::Done)
    }

    /// `!block [duration]`: the person may not open tickets, for the span or until
    /// `!unblock`; what they write meanwhile is kept.
    pub(super) async fn block(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        ev: &Inbound,
        span: &str,
    ) -> Result<Handled, StoreError> {
        let say = i18n::agents();
        let until = match span.trim() {
            "" => None,
            span => match parse_duration(span) {
                Some(d) => Some(t.now + d),
                None => {
                    self.notice(t, conv, say.block_usage()).await?;
                    return Ok(Handled::Done);
                }
            },
        };
        let agent = ev.author.display_name.as_str();
        t.tx.block(conv.user_id, until, agent, t.now).await?;
        let until = until.map(crate::clock::date_time);
        self.notice(t, conv, &say.blocked_by(agent, until.as_deref()))
            .await?;
        Ok(Handled::Done)
    }

    /// `!unblock`: the block is lifted, and what the person wrote meanwhile is shown.
    pub(super) async fn unblock(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        ev: &Inbound,
    ) -> Result<Handled, StoreError> {
        let say = i18n::agents();
        if !t.tx.unblock(conv.user_id).await? {
            self.notice(t, conv, say.not_blocked()).await?;
            return Ok(Handled::Done);
        }
        let agent = ev.author.display_name.as_str();
        let mut text = say.unblocked_by(agent);
        let held = t.tx.release_held(conv.user_id).await?;
        if !held.is_empty() {
            text.push_str("\n\n");
            text.push_str(say.held_intro());
            for m in &held {
                text.push_str(&format!(
                    "\n[{}] {}: {}",
                    crate::clock::date_time(m.created_at),
                    m.author_name,
                    m.body
                ));
            }
        }
        self.notice(t, conv, &text).await?;
        Ok(Handled::Done)
    }
}
