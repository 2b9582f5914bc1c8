//! The ticket card: posted when the ticket opens, then following the ticket: redrawn with its status and the buttons that
//! still apply whenever the ticket moves.

use crate::adapter::{Body, OutboundKind, Payload, TicketCard};
use crate::desk::card::{card_choices, redrawn};
use crate::store::{NewOutbound, RowAction, StoreError};
use crate::types::{Address, Conversation};

use super::turn::Turn;
use super::Engine;

impl Engine {
    /// Posts a new ticket's card in its agent channel; returns the card's row.
    pub(super) async fn post_card(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        to: Address,
        card: TicketCard,
    ) -> Result<i64, StoreError> {
        let row = NewOutbound {
            conversation_id: conv.id,
            message_id: None,
            to,
            parent_id: None,
            action: RowAction::Post,
            idempotency_key: String::new(),
            payload: Payload {
                kind: OutboundKind::TicketCard,
                sender: None,
                body: Body::Card {
                    card: Box::new(card),
                    choices: card_choices(conv.state),
                },
            },
        };
        t.enqueue(row).await
    }

    /// Redraws the card where the agents' platform can change a posted message.
    pub(super) async fn redraw_card(
        &self,
        t: &mut Turn,
        conv: &Conversation,
    ) -> Result<(), StoreError> {
        let Some(agent) = conv.agent_address.as_ref() else {
            return Ok(());
        };
        if !self.capabilities(&agent.adapter).edits {
            return Ok(());
        }
        let Some(card) = t.tx.ticket_card(conv.id).await? else {
            return Ok(());
        };
        let row = NewOutbound {
            conversation_id: conv.id,
            message_id: None,
            to: Address {
                thread: None,
                ..agent.clone()
            },
            parent_id: None,
            action: RowAction::Update(card.id),
            idempotency_key: String::new(),
            payload: Payload {
                kind: OutboundKind::TicketCard,
                sender: None,
                body: redrawn(&card.body, conv),
            },
        };
        t.enqueue(row).await.map(drop)
    }
}
