//! The person's tickets ("history", "my tickets", `/support history`): newest first,
//! a page at a time, each also a choice. Choosing one shows its last messages and, when
//! it is still open, makes it the current conversation; a closed one can be followed
//! up by a new ticket linked to it.

use crate::adapter::{Choice, Inbound};
use crate::desk::choice::{choice, FOLLOW_UP, MORE, TICKET};
use crate::i18n;
use crate::store::{Found, NewConversation, StoreError};
use crate::text::{detect_lang, shorten, Lang};
use crate::types::{Conversation, State};

use super::turn::Turn;
use super::{Engine, Handled};

/// Tickets on one page of the history.
pub(super) const PAGE: i64 = 5;

/// Messages shown of a ticket chosen from the history.
const LAST_MESSAGES: usize = 5;

impl Engine {
    /// Page `page` (from 1) of the person's tickets, answered where they asked, without
    /// opening or closing anything.
    pub(super) async fn history(
        &self,
        t: &mut Turn,
        ev: &Inbound,
        found: Found,
        page: i64,
    ) -> Result<Handled, StoreError> {
        let conv = match found.current {
            Some(c) => c,
            None => {
                let text = match &ev.content {
                    crate::adapter::Content::Text(s) => s.as_str(),
                    _ => "",
                };
                let new = NewConversation {
                    user_id: found.user_id,
                    user_address: ev.address.clone(),
                    lang: if text.is_empty() {
                        Lang::En
                    } else {
                        detect_lang(text)
                    },
                    previous_id: None,
                };
                t.tx.insert_conversation(&new, t.now).await?
            }
        };
        let page = page.max(1);
        let mut lines =
            t.tx.tickets_of(found.user_id, (page - 1) * PAGE, PAGE + 1)
                .await?;
        let more = lines.len() as i64 > PAGE;
        lines.truncate(PAGE as usize);
        let say = i18n::catalogue(conv.lang);
        if lines.is_empty() {
            let none = say.no_history();
            self.tell(t, &conv, Some(ev.address.clone()), &none, Vec::new())
                .await?;
            return Ok(Handled::Done);
        }
        let mut text = say.tickets_intro(page);
        let mut choices: Vec<Choice> = Vec::new();
        for line in &lines {
            let c = &line.conversation;
            let number = c.ticket_number.unwrap_or(c.id);
            let subject = shorten(&line.subject, 60);
            let date = crate::clock::date(c.updated_at);
            text.push('\n');
            text.push_str(&say.ticket_line(number, &subject, c.state, &date));
            choices.push(choice(
                format!("{TICKET}{number}"),
                format!("#{number} {}", shorten(&line.subject, 30)),
            ));
        }
        if more {
            choices.push(choice(format!("{MORE}{}", page + 1), say.more_label()));
        }
        // Answered where they asked, and offered in the conversation: "#12" or "more"
        // picks.
        t.tx.offer_choices(conv.id, &choices, t.now).await?;
        self.tell(t, &conv, Some(ev.address.clone()), &text, choices)
            .await?;
        Ok(Handled::Done)
    }

    /// Ticket `number` chosen from the history: its last messages; made current when it
    /// is open, offered a follow-up when it is closed.
    pub(super) async fn show_ticket(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        number: i64,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let Some(ticket) = t.tx.ticket_of(conv.user_id, number).await? else {
            let text = say.no_such_ticket(number);
            return self.tell(t, conv, None, &text, Vec::new()).await.map(drop);
        };
        let messages = t.tx.messages(ticket.id).await?;
        let mut text = say.ticket_shown(number, ticket.state);
        let start = messages.len().saturating_sub(LAST_MESSAGES);
        for m in &messages[start..] {
            let who = match m.author {
                crate::types::Author::User => say.you(),
                crate::types::Author::Bot => say.bot_name(),
                crate::types::Author::Agent => m.author_name.as_str(),
                crate::types::Author::Note => continue,
            };
            text.push_str(&format!("\n{who}: {}", shorten(&m.body, 200)));
        }
        if ticket.state == State::Closed || !ticket.is_open(t.now, self.config.close_after) {
            text.push_str("\n\n");
            text.push_str(&say.closed_offer(number));
            let offer = vec![choice(
                format!("{FOLLOW_UP}{number}"),
                say.follow_up_label(),
            )];
            return self.tell(t, conv, None, &text, offer).await.map(drop);
        }
        text.push_str("\n\n");
        if ticket.user_id != conv.user_id {
            // The same requester on another platform: their replies go there.
            let platform = &ticket.user_address.adapter;
            text.push_str(&say.ticket_elsewhere(number, platform));
            return self.tell(t, conv, None, &text, Vec::new()).await.map(drop);
        }
        text.push_str(&say.continuing(number));
        if ticket.id != conv.id {
            t.tx.offer_choices(conv.id, &[], t.now).await?;
            t.tx.set_current(conv.user_id, ticket.id).await?;
        }
        self.tell(
            t,
            &ticket,
            Some(conv.user_address.clone()),
            &text,
            Vec::new(),
        )
        .await
        .map(drop)
    }

    /// "Open a new ticket about this", under closed ticket `number`: a new conversation
    /// linked to it, in its queue.
    pub(super) async fn follow_up(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        ev: &Inbound,
        number: i64,
    ) -> Result<(), StoreError> {
        let Some(closed) = t.tx.ticket_of(conv.user_id, number).await? else {
            let say = i18n::catalogue(conv.lang);
            let text = say.no_such_ticket(number);
            return self.tell(t, conv, None, &text, Vec::new()).await.map(drop);
        };
        let queue = closed
            .queue
            .as_deref()
            .and_then(|q| self.queue_index(q))
            .unwrap_or(0);
        self.new_ticket_after(t, conv, ev, queue, Some(closed.id))
            .await
    }
}
