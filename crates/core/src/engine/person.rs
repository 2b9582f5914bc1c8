//! A person's message: their conversation found (or a new one started after the last
//! one closed), the message stored, then answered by the bot or relayed to the ticket.

use crate::adapter::{Content, Inbound};
use crate::desk::Trigger;
use crate::i18n;
use crate::store::{NewConversation, NewMessage, StoreError};
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
        let (user_id, latest) = t.tx.upsert_person(&ev.author, t.now).await?;
        if ev.content == Content::History {
            return self.history(t, ev, user_id, latest).await;
        }
        let text = match &ev.content {
            Content::Text(s) | Content::Choice(s) => s.as_str(),
            _ => "",
        };
        if matches!(ev.content, Content::Choice(_)) && ev.private_address.is_some() {
            // A button in a public place, under someone else's question, while the one
            // pressing has a conversation of their own elsewhere: it must not act there.
            let elsewhere = latest.as_ref().filter(|c| {
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
        let mut conv = self.open_conversation(t, ev, user_id, latest, text).await?;
        if self.follow_the_person(&mut conv, ev, text) {
            t.tx.save_conversation(&conv, t.now).await?;
        }
        let message = NewMessage::of_event(conv.id, Author::User, ev, text);
        let message_id = t.tx.insert_message(&message, t.now).await?;
        let from = (message_id, ev.author.display_name.as_str());
        match conv.state {
            State::Bot | State::Triage | State::Verifying => {
                self.bot_turn(t, &mut conv, ev, text).await?;
                if conv.state.has_ticket() && !ev.files.is_empty() {
                    let thread = self.ticket_thread(t, &conv).await?;
                    self.post_files(t, &conv, thread, from, &ev.files).await?;
                }
            }
            State::Queued | State::Assigned | State::Solved => {
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

    /// The person's open conversation, or a new one that links to the last (which is
    /// closed first if its time was up).
    async fn open_conversation(
        &self,
        t: &mut Turn,
        ev: &Inbound,
        user_id: i64,
        latest: Option<Conversation>,
        text: &str,
    ) -> Result<Conversation, StoreError> {
        let previous = match latest {
            Some(c) if c.is_open(t.now, self.config.close_after) => return Ok(c),
            previous => previous,
        };
        let previous_id = previous.as_ref().map(|p| p.id);
        if let Some(mut p) = previous.filter(|p| p.state != State::Closed) {
            // Solved long enough ago: the timer has not come round to it yet. The person
            // is writing now and the new conversation answers them.
            self.close_expired(t, &mut p, false).await?;
        }
        let new = NewConversation {
            user_id,
            user_address: ev.address.clone(),
            lang: detect_lang(text),
            previous_id,
        };
        t.tx.insert_conversation(&new, t.now).await
    }

    /// Where to answer and in which language follow the person; true when either
    /// changed.
    fn follow_the_person(&self, conv: &mut Conversation, ev: &Inbound, text: &str) -> bool {
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
        changed
    }
}
