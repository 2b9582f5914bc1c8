//! Messages that cannot be delivered: for now (agents are told replies are waiting) or
//! for good (whoever can still hear is told; the message stays in the conversation).

use crate::i18n;
use crate::types::{Address, Conversation};

use super::turn::Turn;
use super::{Engine, EngineError};

impl Engine {
    /// A message to `to` could not be delivered for good. When it was meant for the
    /// person, the ticket's agents are told in its thread; when it was meant for the
    /// agents, the person is told that their message is kept with the ticket.
    pub async fn delivery_failed(
        &self,
        conversation_id: i64,
        to: &Address,
        error: &str,
    ) -> Result<(), EngineError> {
        let now = self.clock.now();
        let key = format!("failed:{conversation_id}:{to}@{now}");
        let mut t = Turn::begin(self, key).await?;
        let Some(conv) = t.tx.conversation(conversation_id).await? else {
            return Ok(());
        };
        if !conv.state.has_ticket() {
            return Ok(());
        }
        if to_agents(&conv, to) {
            let say = i18n::catalogue(conv.lang);
            let text = say.not_relayed(conv.ticket_number.unwrap_or_default());
            self.tell(&mut t, &conv, None, &text, Vec::new()).await?;
        } else {
            self.notice(&mut t, &conv, &i18n::agents().delivery_failed(error))
                .await?;
        }
        t.commit(self).await?;
        Ok(())
    }

    /// Row `row` to `to` keeps failing for now: when it was meant for the person, the
    /// ticket's agents are told, once per row, that replies are waiting and go out when
    /// the platform takes them again.
    pub async fn delivery_delayed(
        &self,
        conversation_id: i64,
        row: i64,
        to: &Address,
        error: &str,
    ) -> Result<(), EngineError> {
        let mut t = Turn::begin(self, format!("delayed:{row}")).await?;
        let Some(conv) = t.tx.conversation(conversation_id).await? else {
            return Ok(());
        };
        if !conv.state.has_ticket() || to_agents(&conv, to) {
            return Ok(());
        }
        let text = i18n::agents().delivery_delayed(&to.adapter, error);
        match self.notice(&mut t, &conv, &text).await {
            // Told already, by this process or another.
            Err(e) if e.is_unique() => return Ok(()),
            told => told?,
        }
        t.commit(self).await?;
        Ok(())
    }
}

fn to_agents(conv: &Conversation, to: &Address) -> bool {
    conv.agent_address
        .as_ref()
        .is_some_and(|a| a.adapter == to.adapter && a.channel == to.channel)
}
