//! Community help: a new post in a public help place (a Discord help forum, a Slack
//! help channel) gets one reply with article suggestions, or nothing at all when the
//! help center has nothing it is confident about: the bot never answers noise in
//! public. Its buttons count for the post's author only; "Talk to an agent" opens a
//! ticket that goes on in private and links to the post.

use crate::adapter::{Choice, Inbound};
use crate::desk::choice::{AGENT, HELPED};
use crate::i18n;
use crate::knowledge::Lookup;
use crate::store::{NewConversation, NewMessage, StoreError};
use crate::text::detect_lang;
use crate::types::Author;

use super::turn::Turn;
use super::{Engine, Handled};

impl Engine {
    /// Suggests articles under a new public post, when there are any worth suggesting.
    pub(super) async fn public_post(
        &self,
        t: &mut Turn,
        ev: &Inbound,
        text: &str,
    ) -> Result<Handled, StoreError> {
        let Lookup::Articles(hits) = self.knowledge.lookup_public(text) else {
            tracing::debug!(post = %ev.address, "nothing confident to suggest; the post is left to people");
            return Ok(Handled::Ignored);
        };
        let found = t.tx.upsert_person(&ev.author, t.now).await?;
        let (user_id, latest) = (found.user_id, found.current);
        let lang = detect_lang(text);
        let suggestions = i18n::suggestions(lang, &hits);
        let ids: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
        let open_ticket =
            latest.filter(|c| c.state.has_ticket() && c.is_open(t.now, self.config.close_after));
        if let Some(ticket) = open_ticket {
            // They have a ticket open, and it stays the conversation their messages go
            // to: the suggestions come without buttons.
            let to = Some(ev.address.clone());
            let message_id = self.tell(t, &ticket, to, &suggestions, Vec::new()).await?;
            t.tx.record_answer(ticket.id, message_id, text, &ids, t.now)
                .await?;
            return Ok(Handled::Done);
        }
        let new = NewConversation {
            user_id,
            user_address: ev.address.clone(),
            lang,
            previous_id: None,
        };
        let conv = t.tx.insert_conversation(&new, t.now).await?;
        let message = NewMessage::of_event(conv.id, Author::User, ev, text);
        t.tx.insert_message(&message, t.now).await?;
        let say = i18n::catalogue(lang);
        let [solved, agent] = say.suggestion_buttons();
        let choices = vec![
            Choice {
                value: HELPED.into(),
                label: solved.into(),
            },
            Choice {
                value: AGENT.into(),
                label: agent.into(),
            },
        ];
        let message_id = self.tell(t, &conv, None, &suggestions, choices).await?;
        // Recorded like any help-center answer: "This solved it" is a deflection.
        t.tx.record_answer(conv.id, message_id, text, &ids, t.now)
            .await?;
        Ok(Handled::Done)
    }
}
