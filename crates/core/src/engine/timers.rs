//! What time alone changes, run by [`Engine::tick`]: each change is a turn of its own,
//! like an event, so the card is redrawn and the people concerned are told.

use crate::desk::Trigger;
use crate::i18n;
use crate::store::StoreError;
use crate::types::{Conversation, Millis, State};

use super::turn::Turn;
use super::{Engine, EngineError};

/// Platforms redeliver an event within hours, not weeks: inbound ids older than this
/// are forgotten.
const FORGET_INBOUND_AFTER: Millis = 7 * 24 * 3600 * 1000;

/// Solved tickets closed in one tick at most; the next tick takes the rest.
const CLOSE_PER_TICK: i64 = 100;

/// Why a conversation with the bot alone ended: it sat idle.
pub(super) const IDLE: &str = "idle";

/// What a tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ticked {
    /// Solved tickets that closed because their time was up.
    pub closed: u64,
    /// Conversations with the bot alone that ended because they sat idle.
    pub idle: u64,
}

impl Engine {
    /// Runs every timer that is due at `now`: solved tickets close `close_after` after
    /// they were solved, conversations with the bot alone end quietly after
    /// `idle_expire`, and old inbound ids are forgotten. Safe to run from several
    /// processes at once: each ticket is closed once.
    pub async fn tick(&self, now: Millis) -> Result<Ticked, EngineError> {
        let mut ticked = Ticked::default();
        let due = self
            .store
            .solved_before(now - self.config.close_after, CLOSE_PER_TICK)
            .await?;
        for id in due {
            // One ticket that cannot be closed must not hold up the others.
            match self.close_solved(id, now).await {
                Ok(true) => ticked.closed += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(conversation = id, error = %e, "could not close a solved ticket; will try again")
                }
            }
        }
        let idle = self
            .store
            .idle_before(now - self.config.idle_expire, CLOSE_PER_TICK)
            .await?;
        for id in idle {
            match self.close_idle(id, now).await {
                Ok(true) => ticked.idle += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(conversation = id, error = %e, "could not end an idle conversation; will try again")
                }
            }
        }
        self.store
            .forget_inbound(now - FORGET_INBOUND_AFTER)
            .await?;
        Ok(ticked)
    }

    /// Ends conversation `id` quietly if it is still with the bot alone and idle.
    async fn close_idle(&self, id: i64, now: Millis) -> Result<bool, EngineError> {
        let mut t = Turn::begin(self, format!("timer:idle:{id}")).await?;
        t.now = now;
        let Some(mut conv) = t.tx.conversation(id).await? else {
            return Ok(false);
        };
        if !self.is_idle(&conv, now) {
            return Ok(false);
        }
        self.end_idle(&mut t, &mut conv).await?;
        t.commit(self).await?;
        Ok(true)
    }

    /// A conversation with the bot alone that nobody has written in for
    /// `[conversation].idle_expire_hours`.
    pub(super) fn is_idle(&self, conv: &Conversation, now: Millis) -> bool {
        conv.state == State::Bot && now - conv.updated_at >= self.config.idle_expire
    }

    /// Ends an idle conversation without a word: the next message starts afresh.
    pub(super) async fn end_idle(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
    ) -> Result<(), StoreError> {
        let close = Trigger::Close { reason: Some(IDLE) };
        self.advance_checked(t, conv, close).await.map(drop)
    }

    /// Closes conversation `id` if it is still solved and its time is up.
    async fn close_solved(&self, id: i64, now: Millis) -> Result<bool, EngineError> {
        let mut t = Turn::begin(self, String::new()).await?;
        t.now = now;
        let Some(mut conv) = t.tx.conversation(id).await? else {
            return Ok(false);
        };
        if conv.state != State::Solved || conv.is_open(now, self.config.close_after) {
            // Reopened, or closed by another process, since it was found.
            return Ok(false);
        }
        // The same solve is closed once; a ticket solved again later has keys of its own.
        t.rekey(format!(
            "timer:close:{id}@{}",
            conv.solved_at.unwrap_or_default()
        ));
        self.close_expired(&mut t, &mut conv, true).await?;
        t.commit(self).await?;
        Ok(true)
    }

    /// Closes a solved ticket whose time is up: the card is redrawn and the agents are
    /// told; the person too, when `tell_person` (not when they are writing right now).
    pub(super) async fn close_expired(
        &self,
        t: &mut Turn,
        conv: &mut Conversation,
        tell_person: bool,
    ) -> Result<(), StoreError> {
        self.advance_checked(t, conv, Trigger::Expire).await?;
        let after = days(self.config.close_after);
        self.notice(t, conv, &i18n::agents().closed_by_timer(&after))
            .await?;
        if tell_person {
            let number = conv.ticket_number.unwrap_or(conv.id);
            let told = i18n::catalogue(conv.lang).closed_after_solved(number, &after);
            self.tell(t, conv, None, &told, Vec::new()).await?;
        }
        Ok(())
    }
}

/// A span of time in days, as people say it: `4`, `0.5`.
fn days(span: Millis) -> String {
    let days = span as f64 / (24.0 * 3600.0 * 1000.0);
    let shown = format!("{days:.1}");
    shown.strip_suffix(".0").unwrap_or(&shown).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_as_people_say_them() {
        let day = 24 * 3600 * 1000;
        assert_eq!(super::days(4 * day), "4");
        assert_eq!(super::days(day / 2), "0.5");
        assert_eq!(super::days(day * 3 / 2), "1.5");
    }
}
