//! The handoff: a ticket opens in a queue, its card goes to the agent channel with the
//! transcript in its thread, and the person is told the number.

use crate::adapter::{Inbound, OutboundKind};
use crate::desk::card::{ticket_card, transcript};
use crate::desk::Trigger;
use crate::i18n;
use crate::store::StoreError;
use crate::types::Conversation;

use super::turn::{Post, Target, Turn};
use super::Engine;

impl Engine {
    /// Opens a ticket in queue number `queue`.
    pub(super) async fn handoff(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        ev: &Inbound,
        queue: usize,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let Some(q) = self.config.queues.get(queue) else {
            return self
                .tell(t, conv, None, &say.no_queue(), Vec::new())
                .await
                .map(drop);
        };
        let number = t.tx.next_ticket_number().await?;
        let open = Trigger::OpenTicket {
            queue: &q.name,
            number,
            agent_channel: &q.agent_channel,
        };
        self.advance_checked(t, conv, open).await?;
        let mut card = ticket_card(conv, &ev.author, &q.name);
        if ev.private_address.is_some() {
            // From a public place: the agents can go and look at it.
            card.post = Some(conv.user_address.to_string());
        }
        let card_id = self
            .post_card(t, conv, q.agent_channel.clone(), card)
            .await?;
        let transcript = transcript(&t.tx.messages(conv.id).await?);
        let post = Post {
            to: Target::Parent(q.agent_channel.clone(), card_id),
            kind: OutboundKind::AgentNotice,
            text: &transcript,
            sender: None,
            choices: Vec::new(),
            message_id: None,
        };
        self.post(t, conv, post).await?;
        if let Some(private) = ev.private_address.as_ref() {
            if *private != conv.user_address {
                let moving = say.continue_in_private(number);
                self.tell(t, conv, None, &moving, Vec::new()).await?;
                conv.user_address = private.clone();
                t.tx.save_conversation(conv, t.now).await?;
            }
        }
        self.tell(
            t,
            conv,
            None,
            &say.ticket_opened(number, &q.name),
            Vec::new(),
        )
        .await
        .map(drop)
    }
}
