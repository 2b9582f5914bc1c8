//! Self-service: the bot answers from the help center, hears how the answer went, and
//! knows when the person wants a human.

use crate::adapter::{Content, Inbound};
use crate::desk::choice::{
    feedback_choices, pick_choice, AGENT, CONTACT, FEEDBACK, HELPED, MORE_HELP,
};
use crate::desk::triage::is_new_ticket;
use crate::i18n;
use crate::intent::is_how_question;
use crate::knowledge::Lookup;
use crate::store::StoreError;
use crate::types::Conversation;

use super::turn::Turn;
use super::Engine;

impl Engine {
    /// The bot's answer to a person who has no ticket open.
    pub(super) async fn bot_turn(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        text: &str,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let offered = &conv.offered;
        let choice = match &ev.content {
            Content::Choice(v) if v == CONTACT => Some(AGENT.to_string()),
            Content::Choice(v) if offered.iter().any(|c| c.value == *v) => Some(v.clone()),
            Content::Choice(_) => {
                // A button under someone else's answer, or under one long answered.
                self.tell(t, conv, None, &say.not_your_choice(), Vec::new())
                    .await?;
                return Ok(());
            }
            _ => pick_choice(offered, text),
        };
        if let Some(feedback) = choice.as_deref().filter(|c| FEEDBACK.contains(c)) {
            t.tx.record_feedback(conv.id, feedback, t.now).await?;
        }
        let outcome = match choice.as_deref() {
            Some(HELPED) => Some("helped"),
            Some(MORE_HELP) => Some("more_help"),
            // An agent asked for right under an answer (the button, "agent", a typed
            // number); the "Contact support" button elsewhere is not an answer's outcome.
            Some(AGENT) if offered.iter().any(|c| c.value == AGENT) => Some("agent"),
            _ => None,
        };
        if let Some(outcome) = outcome {
            t.counts
                .push(("relaydesk_kb_answers_total", "outcome", outcome.into()));
        }
        match choice.as_deref() {
            Some(HELPED) => {
                self.learn_from_helped(t, conv).await?;
                self.tell(t, conv, None, &say.glad_it_helped(), Vec::new())
                    .await?;
                return Ok(());
            }
            Some(MORE_HELP) | Some(AGENT) => return self.handoff(t, conv, ev, 0).await,
            _ => {}
        }
        if text.trim().is_empty() && !ev.files.is_empty() {
            // A file on its own: nothing to look up; an agent can look at it.
            return self.handoff(t, conv, ev, 0).await;
        }
        if text.trim().is_empty() {
            self.tell(t, conv, None, &say.empty_message(), Vec::new())
                .await?;
            return Ok(());
        }
        if is_new_ticket(text) {
            return self.handoff(t, conv, ev, 0).await;
        }
        if let Some(queue) = self.intents.find(text).filter(|_| !is_how_question(text)) {
            return self.handoff(t, conv, ev, queue).await;
        }
        let (answer, articles, choices) = match self.knowledge.lookup(text) {
            Lookup::TooShort => {
                self.tell(t, conv, None, &say.too_short(), Vec::new())
                    .await?;
                return Ok(());
            }
            Lookup::NoMatch => {
                t.counts
                    .push(("relaydesk_kb_answers_total", "outcome", "declined".into()));
                (say.no_match(), Vec::new(), Vec::new())
            }
            Lookup::Articles(hits) => {
                let ids = hits.iter().map(|h| h.id.clone()).collect();
                (
                    i18n::articles(conv.lang, &hits),
                    ids,
                    feedback_choices(conv.lang),
                )
            }
        };
        // Answers and declines are both kept: deflection figures are made of them.
        let message_id = self.tell(t, conv, None, &answer, choices).await?;
        t.tx.record_answer(conv.id, message_id, text, &articles, t.now)
            .await
    }
}
