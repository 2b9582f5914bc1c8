//! Away emails: when an agent replies to a person who has not written in the
//! conversation for `[notify].away_after`, their verified address is emailed the
//! replies since they last wrote. The first reply schedules an `away_notice` due
//! `batch_window` later; the replies that come meanwhile join it (a notice from before
//! the person last wrote starts again). When it is due, [`Engine::away_emails`] writes
//! one email to the outbox with every reply not emailed yet, unless the person has
//! written again, has no verified address, or has unsubscribed.

use crate::desk::identity::new_token;
use crate::email::{Letter, Part};
use crate::i18n;
use crate::store::{NewEmail, StoreError};
use crate::types::{Author, Conversation, Millis};
use crate::web::WEB;

use super::turn::Turn;
use super::{Engine, EngineError};

/// Away emails written in one go at most; the next round takes the rest.
const AWAY_PER_ROUND: i64 = 100;

impl Engine {
    /// An agent replied in `conv`: if the person has been away long enough and can be
    /// emailed, an away email is scheduled (or the reply joins the one waiting).
    pub(super) async fn reply_while_away(
        &self,
        t: &mut Turn,
        conv: &Conversation,
    ) -> Result<(), StoreError> {
        let notify = &self.config.notify;
        if !notify.enabled {
            return Ok(());
        }
        if self.requester_email(t, conv).await?.is_none() {
            return Ok(());
        }
        let messages = t.tx.messages(conv.id).await?;
        let last_word = messages
            .iter()
            .filter(|m| m.author == Author::User)
            .map(|m| m.created_at)
            .max()
            .unwrap_or(conv.created_at);
        // A web requester is never in a chat: every reply is emailed.
        let away_after = match conv.user_address.adapter.as_str() {
            WEB => 0,
            _ => notify.away_after,
        };
        if t.now - last_word < away_after {
            return Ok(());
        }
        // Every reply since they last wrote, not only those after `away_after`.
        t.tx.schedule_away(conv.id, last_word + 1, t.now + notify.batch_window)
            .await
    }

    /// Where the person of `conv` is emailed: a web requester at the address they
    /// gave, anyone else at their verified address.
    async fn requester_email(
        &self,
        t: &mut Turn,
        conv: &Conversation,
    ) -> Result<Option<String>, StoreError> {
        if conv.user_address.adapter == WEB {
            return Ok(Some(conv.user_address.channel.clone()));
        }
        Ok(t.tx.identity(conv.user_id).await?.map(|i| i.email))
    }

    /// Writes the away emails due at `now` to the email outbox; returns how many.
    pub async fn away_emails(&self, now: Millis) -> Result<u64, EngineError> {
        let mut written = 0;
        for id in self.store.away_due(now, AWAY_PER_ROUND).await? {
            match self.away_email(id, now).await {
                Ok(true) => written += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(conversation = id, error = %e, "could not write an away email; will try again")
                }
            }
        }
        Ok(written)
    }

    /// The away email of conversation `id`, if it is still wanted.
    async fn away_email(&self, id: i64, now: Millis) -> Result<bool, EngineError> {
        let mut t = Turn::begin(self, format!("away:{id}")).await?;
        t.now = now;
        let Some(since) = t.tx.away_notice(id).await? else {
            return Ok(false);
        };
        // Done with, whatever becomes of it: the next tells of what comes after now.
        t.tx.settle_away(id, now + 1).await?;
        let wanted = self.away_letter(&mut t, id, since).await?;
        if let Some(email) = &wanted {
            t.tx.enqueue_email(email, now).await?;
        }
        t.commit(self).await?;
        Ok(wanted.is_some())
    }

    /// The email telling of the replies in conversation `id` since `since`; `None` when
    /// the person came back, cannot be emailed, or unsubscribed.
    async fn away_letter(
        &self,
        t: &mut Turn,
        id: i64,
        since: Millis,
    ) -> Result<Option<NewEmail>, StoreError> {
        let Some(conv) = t.tx.conversation(id).await? else {
            return Ok(None);
        };
        let Some(email) = self.requester_email(t, &conv).await? else {
            return Ok(None);
        };
        let messages = t.tx.messages(id).await?;
        let since_then = messages.iter().filter(|m| m.created_at >= since);
        if since_then.clone().any(|m| m.author == Author::User) {
            // They came back within the window: the replies reached them in the chat.
            return Ok(None);
        }
        let replies: Vec<_> = since_then.filter(|m| m.author == Author::Agent).collect();
        if replies.is_empty() {
            return Ok(None);
        }
        let (token, unsubscribed) = t.tx.optout(&email, &new_token()).await?;
        if unsubscribed {
            return Ok(None);
        }
        let say = i18n::catalogue(conv.lang);
        let number = conv.ticket_number.unwrap_or(conv.id);
        let mut parts = vec![Part::Para(say.email_away_intro(number))];
        for reply in &replies {
            let name = if self.config.anonymous_agents {
                i18n::agents().anonymous_agent()
            } else {
                reply.author_name.as_str()
            };
            parts.push(Part::Para(say.email_away_wrote(name)));
            parts.push(Part::Quote(reply.body.clone()));
        }
        let link = self
            .capabilities(&conv.user_address.adapter)
            .link_to(&conv.user_address);
        parts.push(match link {
            _ if conv.user_address.adapter == WEB => {
                let url = self.activity_url(number);
                Part::Link {
                    text: say.email_web_activity(&url),
                    url,
                }
            }
            Some(url) => Part::Link {
                text: say.email_away_continue(&url),
                url,
            },
            None => Part::Para(say.email_away_continue_chat().to_string()),
        });
        let unsubscribe = format!(
            "{}/unsubscribe?token={token}",
            self.config.notify.public_url.trim_end_matches('/')
        );
        parts.push(Part::Footer {
            text: say.email_unsubscribe(&unsubscribe),
            url: Some(unsubscribe.clone()),
        });
        let letter = Letter::of(say.email_away_subject(number), &parts);
        Ok(Some(NewEmail {
            key: format!("away:{id}:{since}"),
            to: email,
            subject: letter.subject,
            text: letter.text,
            html: letter.html,
            unsubscribe_url: Some(unsubscribe),
        }))
    }
}
