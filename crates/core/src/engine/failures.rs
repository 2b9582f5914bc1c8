//! A message that could not be delivered for good.

use crate::i18n;
use crate::types::Address;

use super::turn::Turn;
use super::{Engine, EngineError};

impl Engine {
    /// A message to `to` could not be delivered for good: when it was meant for the
    /// person and the conversation has a ticket, the agents are told in its thread.
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
        let to_agents = conv
            .agent_address
            .as_ref()
            .is_some_and(|a| a.adapter == to.adapter && a.channel == to.channel);
        if to_agents || !conv.state.has_ticket() {
            return Ok(());
        }
        self.notice(&mut t, &conv, &i18n::agents().delivery_failed(error))
            .await?;
        t.commit(self).await?;
        Ok(())
    }
}
