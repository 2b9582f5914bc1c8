//! The handoff: the queue's triage questions first, then a ticket opens in the queue,
//! its card goes to the agent channel with the transcript in its thread, and the
//! person is told the number, and when the team is back if it is away.

use crate::adapter::Inbound;
use crate::desk::card::{ticket_card, transcript, triage_fields};
use crate::desk::triage::{PRIORITY_QUESTION, SUBJECT_QUESTION};
use crate::desk::Trigger;
use crate::i18n;
use crate::store::{StoreError, TriageAnswer};
use crate::types::{Author, Conversation, Message, Priority};

use super::turn::Turn;
use super::Engine;

impl Engine {
    /// The person asked for queue number `queue`: its questions, then its ticket.
    pub(super) async fn handoff(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        queue: usize,
    ) -> Result<(), StoreError> {
        let Some(q) = self.config.queues.get(queue) else {
            let say = i18n::catalogue(conv.lang);
            return self
                .tell(t, conv, None, &say.no_queue(), Vec::new())
                .await
                .map(drop);
        };
        // Answers of an earlier triage of this conversation stand.
        let answers = t.tx.triage_answers(conv.id).await?;
        if q.triage.is_empty() {
            return self.verify_or_open(t, conv, ev, queue, &answers).await;
        }
        let start = Trigger::StartTriage { queue: &q.name };
        self.advance_checked(t, conv, start).await?;
        self.ask_next(t, conv, ev, &answers, true).await
    }

    /// Opens the ticket in queue number `queue`, with the triage `answers` on its card.
    pub(super) async fn open_ticket(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        queue: usize,
        answers: &[TriageAnswer],
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let Some(q) = self.config.queues.get(queue) else {
            return self
                .tell(t, conv, None, &say.no_queue(), Vec::new())
                .await
                .map(drop);
        };
        let answer_of = |id: &str| {
            answers
                .iter()
                .find(|a| a.question == id)
                .and_then(|a| a.answer.clone())
        };
        if let Some(priority) = answer_of(PRIORITY_QUESTION).and_then(|p| Priority::parse(&p)) {
            conv.priority = Some(priority);
        }
        let messages = t.tx.messages(conv.id).await?;
        conv.subject = answer_of(SUBJECT_QUESTION)
            .or_else(|| first_question(&messages))
            .or_else(|| answers.iter().find_map(|a| a.shown.clone()));
        let number = t.tx.next_ticket_number().await?;
        let open = Trigger::OpenTicket {
            queue: &q.name,
            number,
            agent_channel: &q.agent_channel,
        };
        self.advance_checked(t, conv, open).await?;
        t.counts
            .push(("relaydesk_handoffs_total", "queue", q.name.clone()));
        let mut card = ticket_card(conv, &ev.author, &q.name);
        card.triage = triage_fields(answers);
        if ev.private_address.is_some() {
            // From a public place: the agents can go and look at it.
            card.post = Some(conv.user_address.to_string());
        }
        let transcript = transcript(&messages);
        self.post_card(t, conv, q.agent_channel.clone(), card, &transcript)
            .await?;
        if let Some(private) = ev.private_address.as_ref() {
            if *private != conv.user_address {
                let moving = say.continue_in_private(number);
                self.tell(t, conv, None, &moving, Vec::new()).await?;
                conv.user_address = private.clone();
                t.tx.save_conversation(conv, t.now).await?;
            }
        }
        let mut opened = match conv.user_address.adapter.as_str() {
            crate::web::WEB => say.web_ticket_opened(number, &q.name),
            _ => say.ticket_opened(number, &q.name),
        };
        let away = q.hours.as_ref().and_then(|h| h.next_opening(t.now));
        if let (Some(hours), Some(opening)) = (q.hours.as_ref(), away) {
            opened.push_str("\n\n");
            opened.push_str(&say.back_at(&q.name, &opening, hours.timezone()));
        }
        self.tell(t, conv, None, &opened, Vec::new())
            .await
            .map(drop)
    }
}

/// The first thing the person wrote that reads as a question (three words or more),
/// not a short answer to one: a ticket's subject when triage asked for none.
fn first_question(messages: &[Message]) -> Option<String> {
    messages
        .iter()
        .filter(|m| m.author == Author::User)
        .map(|m| m.body.trim())
        .find(|body| body.split_whitespace().count() >= 3)
        .map(|body| body.lines().next().unwrap_or(body).to_string())
}
