//! Triage: the queue's questions, one at a time, before its ticket opens. The answers
//! are stored as they come, so the question asked next (the first of the queue's list
//! without an answer) is the same after a restart; a choice may route the ticket to
//! another queue, whose questions not yet answered come next.

use crate::adapter::Inbound;
use crate::desk::triage::{Question, QuestionKind, Reply};
use crate::desk::Trigger;
use crate::i18n;
use crate::store::{StoreError, TriageAnswer};
use crate::types::Conversation;

use super::turn::Turn;
use super::Engine;

/// How a question is put.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asking {
    /// The first question of the handoff.
    First,
    /// The next one.
    Next,
    /// The same one again: the answer fit no option.
    Again,
    /// The same one again: it cannot be skipped.
    Needed,
    /// The same one again: they asked for an agent, which is what this is for.
    Almost,
}

impl Engine {
    /// The person's reply while the conversation is in triage.
    pub(super) async fn triage_turn(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        text: &str,
    ) -> Result<(), StoreError> {
        let mut answers = t.tx.triage_answers(conv.id).await?;
        let Some(question) = self.next_question(conv, &answers) else {
            // Nothing left to ask (the queue's questions changed since): open it.
            let queue = self.triage_queue(conv);
            return self.verify_or_open(t, conv, ev, queue, &answers).await;
        };
        let reply = question.read(&ev.content);
        let asks_for_agent = self.intents.find(text).is_some();
        match reply {
            Reply::Cancel => {
                t.tx.clear_triage(conv.id).await?;
                self.advance_checked(t, conv, Trigger::CancelTriage).await?;
                let say = i18n::catalogue(conv.lang);
                self.tell(t, conv, None, &say.triage_cancelled(), Vec::new())
                    .await
                    .map(drop)
            }
            Reply::Answer { .. } | Reply::Unclear if asks_for_agent => {
                self.ask(t, conv, question, Asking::Almost).await
            }
            Reply::Unclear => self.ask(t, conv, question, Asking::Again).await,
            Reply::Skip if question.required => self.ask(t, conv, question, Asking::Needed).await,
            Reply::Skip => {
                let skipped = TriageAnswer {
                    question: question.id.clone(),
                    answer: None,
                    shown: None,
                };
                t.tx.save_triage_answer(conv.id, &skipped, t.now).await?;
                answers.push(skipped);
                self.ask_next(t, conv, ev, &answers, false).await
            }
            Reply::Answer { answer, shown } => {
                let route = self
                    .queue_of(conv)
                    .and_then(|q| {
                        q.routes
                            .iter()
                            .find(|r| r.question == question.id && r.option == answer)
                    })
                    .map(|r| r.queue.clone());
                let given = TriageAnswer {
                    question: question.id.clone(),
                    answer: Some(answer),
                    shown: Some(shown),
                };
                t.tx.save_triage_answer(conv.id, &given, t.now).await?;
                answers.push(given);
                if let Some(queue) = route.filter(|r| Some(r.as_str()) != conv.queue.as_deref()) {
                    self.advance_checked(t, conv, Trigger::Route { queue: &queue })
                        .await?;
                }
                self.ask_next(t, conv, ev, &answers, false).await
            }
        }
    }

    /// Asks the next question of the conversation's queue not among `answers` (those
    /// stored), or opens the ticket when all are answered.
    pub(super) async fn ask_next(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        answers: &[TriageAnswer],
        first: bool,
    ) -> Result<(), StoreError> {
        match self.next_question(conv, answers) {
            Some(q) => {
                let asking = if first { Asking::First } else { Asking::Next };
                self.ask(t, conv, q, asking).await
            }
            None => {
                let queue = self.triage_queue(conv);
                self.verify_or_open(t, conv, ev, queue, answers).await
            }
        }
    }

    /// The first question of the conversation's queue without an answer.
    fn next_question(&self, conv: &Conversation, answers: &[TriageAnswer]) -> Option<&Question> {
        let queue = self.queue_of(conv)?;
        queue
            .triage
            .iter()
            .filter(|id| !answers.iter().any(|a| &a.question == *id))
            .find_map(|id| self.question(id))
    }

    /// The number of the queue the conversation is being triaged for (the first when it
    /// names none, or one no longer configured).
    pub(super) fn triage_queue(&self, conv: &Conversation) -> usize {
        conv.queue
            .as_deref()
            .and_then(|name| self.queue_index(name))
            .unwrap_or(0)
    }

    fn queue_of(&self, conv: &Conversation) -> Option<&super::Queue> {
        let name = conv.queue.as_deref()?;
        self.config.queues.get(self.queue_index(name)?)
    }

    async fn ask(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        question: &Question,
        asking: Asking,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let prompt = question.prompt.get(conv.lang);
        let text = match asking {
            Asking::First => say.triage_first(prompt),
            Asking::Next => prompt.to_string(),
            Asking::Again => match question.kind {
                QuestionKind::Choice(_) => say.triage_again(prompt),
                QuestionKind::Text => say.triage_again_text(prompt),
            },
            Asking::Needed => say.triage_needed(prompt),
            Asking::Almost => say.triage_almost(prompt),
        };
        let choices = question.choices(conv.lang, say.skip_label());
        self.tell(t, conv, None, &text, choices).await.map(drop)
    }
}
