//! The ticket card: posted when the ticket opens, then following the ticket: redrawn with its status and the buttons that
//! still apply whenever the ticket moves.

use crate::adapter::{AlsoOn, Body, OutboundKind, Payload, TicketCard, Verified};
use crate::clock;
use crate::desk::card::{card_choices, redrawn};
use crate::store::{RowAction, StoreError};
use crate::types::{Address, Conversation};

use super::turn::{Post, Target, Turn};
use super::Engine;

impl Engine {
    /// Who the person is, on the card: their verified email and how it was verified,
    /// and the same requester on other platforms.
    async fn identify(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        card: &mut TicketCard,
    ) -> Result<(), StoreError> {
        let Some(identity) = t.tx.identity(conv.user_id).await? else {
            return Ok(());
        };
        card.also =
            t.tx.identities_with(&identity.email)
                .await?
                .into_iter()
                .filter(|other| other.user_id != identity.user_id)
                .map(|other| AlsoOn {
                    platform: other.platform,
                    by: other.by,
                    date: clock::date(other.at),
                })
                .collect();
        card.verified = Some(Verified {
            email: identity.email,
            by: identity.by,
        });
        Ok(())
    }

    /// Posts a ticket's card in an agent channel, and `notes` (the transcript) in its
    /// thread.
    pub(super) async fn post_card(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        to: Address,
        mut card: TicketCard,
        notes: &str,
    ) -> Result<(), StoreError> {
        self.identify(t, conv, &mut card).await?;
        let payload = Payload {
            kind: OutboundKind::TicketCard,
            sender: None,
            body: Body::Card {
                card: Box::new(card),
                choices: card_choices(conv.state),
            },
        };
        let card_id = t
            .write(
                conv.id,
                None,
                Target::Address(to.clone()),
                RowAction::Post,
                payload,
            )
            .await?;
        let post = Post {
            to: Target::Parent(to, card_id),
            kind: OutboundKind::AgentNotice,
            text: notes,
            sender: None,
            choices: Vec::new(),
            message_id: None,
        };
        self.post(t, conv, post).await.map(drop)
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
        let payload = Payload {
            kind: OutboundKind::TicketCard,
            sender: None,
            body: redrawn(&card.body, conv),
        };
        let to = Target::Address(agent.channel_only());
        t.write(conv.id, None, to, RowAction::Update(card.id), payload)
            .await
            .map(drop)
    }
}
