//! A person's message: their current conversation found (or a new one started after
//! the last one closed or sat idle), the message stored, then answered by the bot,
//! taken as a triage answer, or relayed to the ticket.

use std::borrow::Cow;

use crate::adapter::{Content, Inbound};
use crate::desk::choice::{picked, Pick, CONTACT};
use crate::desk::identity::redact_codes;
use crate::desk::triage::is_new_ticket;
use crate::desk::Trigger;
use crate::i18n;
use crate::intent::is_how_question;
use crate::store::{Found, NewConversation, NewMessage, StoreError};
use crate::text::detect_lang;
use crate::types::{Author, Conversation, State};

use super::turn::Turn;
use super::{Engine, Handled};

impl Engine {
    /// Handles a message from the person's side.
    pub(super) async fn person_event(
        &self,
        t: &mut Turn,
        ev: &Inbound,
    ) -> Result<Handled, StoreError> {
        let found = t.tx.upsert_person(&ev.author, t.now).await?;
        let text = match &ev.content {
            Content::Text(s) | Content::Choice(s) => s.as_str(),
            _ => "",
        };
        let asks_history = match &ev.content {
            Content::History => true,
            Content::Text(s) => i18n::is_history_request(s),
            _ => false,
        };
        if asks_history && !found.blocked {
            return self.history(t, ev, found, 1).await;
        }
        if matches!(ev.content, Content::Choice(_)) && ev.private_address.is_some() {
            // A button in a public place, under someone else's question, while the one
            // pressing has a conversation of their own elsewhere: it must not act there.
            let elsewhere = found.current.as_ref().filter(|c| {
                c.user_address != ev.address && c.is_open(t.now, self.config.close_after)
            });
            if let Some(c) = elsewhere {
                let say = i18n::catalogue(c.lang);
                let to = Some(ev.address.clone());
                self.tell(t, c, to, &say.not_your_choice(), Vec::new())
                    .await?;
                return Ok(Handled::Done);
            }
        }
        let blocked = found.blocked;
        let (mut conv, fresh) = self.open_conversation(t, ev, &found, text).await?;
        if self.follow_the_person(&mut conv, ev, text) {
            t.tx.save_conversation(&conv, t.now).await?;
        }
        // A one-time code typed is kept out of the transcript.
        let stored = match conv.state {
            State::Verifying => Cow::Owned(redact_codes(text)),
            _ => Cow::Borrowed(text),
        };
        let message = NewMessage::of_event(conv.id, Author::User, ev, &stored);
        let message_id = t.tx.insert_message(&message, t.now).await?;
        if blocked {
            // Kept for the agents, who see it if the block is lifted; nothing goes on.
            t.tx.hold_message(message_id).await?;
            let say = i18n::catalogue(conv.lang);
            self.tell(t, &conv, None, &say.blocked(), Vec::new())
                .await?;
            return Ok(Handled::Done);
        }
        if fresh {
            let welcome = i18n::catalogue(conv.lang).welcome_back();
            self.tell(t, &conv, None, &welcome, Vec::new()).await?;
        }
        let from = (message_id, ev.author.display_name.as_str());
        match picked(&conv.offered, &ev.content) {
            Pick::Value(value) if self.desk_choice(t, &mut conv, ev, &value).await? => {
                return Ok(Handled::Done)
            }
            _ => {}
        }
        match conv.state {
            State::Verifying => self.verify_turn(t, &mut conv, ev, text).await?,
            State::Bot => {
                self.bot_turn(t, &mut conv, ev, text).await?;
                if conv.state.has_ticket() && !ev.files.is_empty() {
                    let thread = self.ticket_thread(t, &conv).await?;
                    self.post_files(t, &conv, thread, from, &ev.files).await?;
                }
            }
            State::Triage => self.triage_turn(t, &mut conv, ev, text).await?,
            State::Queued | State::Assigned | State::Solved => {
                if self.satisfaction_reply(t, &conv, ev, text).await? {
                    return Ok(Handled::Done);
                }
                if matches!(&ev.content, Content::Choice(v) if v == CONTACT) {
                    return self
                        .continue_or_new(t, &conv, 0)
                        .await
                        .map(|_| Handled::Done);
                }
                if let Content::Choice(_) = ev.content {
                    // A button under an old question: not words for the agents.
                    let say = i18n::catalogue(conv.lang);
                    self.tell(t, &conv, None, &say.not_your_choice(), Vec::new())
                        .await?;
                    return Ok(Handled::Done);
                }
                if is_new_ticket(text) {
                    return self
                        .new_ticket(t, &conv, ev, 0)
                        .await
                        .map(|_| Handled::Done);
                }
                if let Some(queue) = self.intents.find(text).filter(|_| !is_how_question(text)) {
                    return self
                        .continue_or_new(t, &conv, queue)
                        .await
                        .map(|_| Handled::Done);
                }
                if !conv.offered.is_empty() {
                    // Their own words: what was offered no longer stands.
                    t.tx.offer_choices(conv.id, &[], t.now).await?;
                }
                if conv.state == State::Solved {
                    self.notice(t, &conv, i18n::agents().person_reopened())
                        .await?;
                    self.advance_checked(t, &mut conv, Trigger::PersonWrote)
                        .await?;
                }
                let thread = self.ticket_thread(t, &conv).await?;
                self.relay(t, &conv, thread, from, text, &ev.files).await?;
            }
            State::Closed => unreachable!("closed conversations are replaced when found"),
        }
        Ok(Handled::Done)
    }

    /// The person's current conversation, or a new one that links to the last (which is
    /// closed first if its time was up, quietly if it sat idle with the bot alone).
    /// True with a new conversation that follows one that sat idle: it opens with a
    /// greeting.
    async fn open_conversation(
        &self,
        t: &mut Turn,
        ev: &Inbound,
        found: &Found,
        text: &str,
    ) -> Result<(Conversation, bool), StoreError> {
        let previous = match found.current.clone() {
            Some(c) if self.is_idle(&c, t.now) => {
                let mut c = c;
                self.end_idle(t, &mut c).await?;
                Some(c)
            }
            Some(c) if c.is_open(t.now, self.config.close_after) => return Ok((c, false)),
            previous => previous,
        };
        let previous_id = previous.as_ref().map(|p| p.id);
        let fresh = previous
            .as_ref()
            .is_some_and(|p| p.close_reason.as_deref() == Some(super::timers::IDLE));
        if let Some(mut p) = previous.filter(|p| p.state != State::Closed) {
            // Solved long enough ago: the timer has not come round to it yet. The person
            // is writing now and the new conversation answers them.
            self.close_expired(t, &mut p, false).await?;
        }
        let new = NewConversation {
            user_id: found.user_id,
            user_address: ev.address.clone(),
            lang: detect_lang(text),
            previous_id,
        };
        Ok((t.tx.insert_conversation(&new, t.now).await?, fresh))
    }

    /// Where to answer and in which language follow the person; true when either
    /// changed.
    fn follow_the_person(&self, conv: &mut Conversation, ev: &Inbound, text: &str) -> bool {
        let mut changed = false;
        // Once a ticket is open (or verification has begun), replies go to the private
        // place when there is one: a later @mention in a channel must not pull the
        // conversation back into public.
        let private_now = conv.state.has_ticket() || conv.state == State::Verifying;
        let reply_to = match &ev.private_address {
            Some(private) if private_now => private,
            _ => &ev.address,
        };
        if conv.user_address != *reply_to {
            conv.user_address = reply_to.clone();
            changed = true;
        }
        // While being verified they type addresses and codes, which say nothing of
        // their language.
        let words = conv.state != State::Verifying;
        if words && matches!(ev.content, Content::Text(_)) && text.chars().any(char::is_alphabetic)
        {
            let lang = detect_lang(text);
            changed |= lang != conv.lang;
            conv.lang = lang;
        }
        changed
    }
}
