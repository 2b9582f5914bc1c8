//! A person with several tickets: asking for an agent while one is open asks "continue
//! #N or open a new ticket?"; "new ticket" opens one (after its triage) and the newest
//! is current. Also where the desk's own choices (history, ratings, follow-ups) are
//! told apart from the rest.

use crate::adapter::Inbound;
use crate::desk::choice::{choice, CONTINUE, FOLLOW_UP, MORE, NEW_TICKET, RATE, TICKET};
use crate::i18n;
use crate::store::{Found, NewConversation, StoreError};
use crate::types::Conversation;

use super::turn::Turn;
use super::Engine;

impl Engine {
    /// Acts on a choice that belongs to the desk rather than to the conversation's
    /// state; false for any other choice.
    pub(super) async fn desk_choice(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        value: &str,
    ) -> Result<bool, StoreError> {
        let number = |prefix: &str| {
            value
                .strip_prefix(prefix)
                .and_then(|n| n.parse::<i64>().ok())
        };
        if let Some(page) = number(MORE) {
            let found = Found {
                user_id: conv.user_id,
                current: Some(conv.clone()),
                blocked: false,
            };
            self.history(t, ev, found, page).await?;
        } else if let Some(n) = number(TICKET) {
            self.show_ticket(t, conv, n).await?;
        } else if let Some(n) = number(FOLLOW_UP) {
            self.follow_up(t, conv, ev, n).await?;
        } else if let Some(n) = number(CONTINUE) {
            let say = i18n::catalogue(conv.lang);
            self.tell(t, conv, None, &say.continuing(n), Vec::new())
                .await?;
        } else if let Some(queue) = number(NEW_TICKET) {
            self.new_ticket(t, conv, ev, usize::try_from(queue).unwrap_or(0))
                .await?;
        } else if let Some(rating) = number(RATE) {
            self.rated(t, conv, rating).await?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// Asking for an agent with ticket `conv` open: continue it, or open a new one in
    /// queue `queue`?
    pub(super) async fn continue_or_new(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        queue: usize,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let number = conv.ticket_number.unwrap_or(conv.id);
        let choices = vec![
            choice(format!("{CONTINUE}{number}"), say.continue_label(number)),
            choice(format!("{NEW_TICKET}{queue}"), say.new_ticket_label()),
        ];
        let asked = say.continue_or_new(number);
        self.tell(t, conv, None, &asked, choices).await.map(drop)
    }

    /// A new conversation beside `conv`, handed off to queue `queue` (its triage first);
    /// it becomes the current one.
    pub(super) async fn new_ticket(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        ev: &Inbound,
        queue: usize,
    ) -> Result<(), StoreError> {
        self.new_ticket_after(t, conv, ev, queue, None).await
    }

    /// [`Engine::new_ticket`], following up on conversation `previous` (a closed ticket).
    pub(super) async fn new_ticket_after(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        ev: &Inbound,
        queue: usize,
        previous: Option<i64>,
    ) -> Result<(), StoreError> {
        if !conv.offered.is_empty() {
            t.tx.offer_choices(conv.id, &[], t.now).await?;
        }
        let new = NewConversation {
            user_id: conv.user_id,
            user_address: ev
                .private_address
                .clone()
                .unwrap_or(conv.user_address.clone()),
            lang: conv.lang,
            previous_id: previous,
        };
        let mut fresh = t.tx.insert_conversation(&new, t.now).await?;
        self.handoff(t, &mut fresh, ev, queue).await
    }
}
