//! What time alone changes, run by [`Engine::tick`]: each change is a turn of its own,
//! like an event, so the card is redrawn and the people concerned are told.

use crate::desk::Trigger;
use crate::i18n;
use crate::types::{Millis, State};

use super::turn::Turn;
use super::{Engine, EngineError};

/// Platforms redeliver an event within hours, not weeks: inbound ids older than this
/// are forgotten.
const FORGET_INBOUND_AFTER: Millis = 7 * 24 * 3600 * 1000;

/// Solved tickets closed in one tick at most; the next tick takes the rest.
const CLOSE_PER_TICK: i64 = 100;

/// What a tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ticked {
    /// Solved tickets that closed because their time was up.
    pub closed: u64,
}

impl Engine {
    /// Runs every timer that is due at `now`: solved tickets close `close_after` after
    /// they were solved, and old inbound ids are forgotten. Safe to run from several
    /// processes at once: each ticket is closed once.
    pub async fn tick(&self, now: Millis) -> Result<Ticked, EngineError> {
        let mut ticked = Ticked::default();
        let due = self
            .store
            .solved_before(now - self.config.close_after, CLOSE_PER_TICK)
            .await?;
        for id in due {
            if self.close_solved(id, now).await? {
                ticked.closed += 1;
            }
        }
        self.store
            .forget_inbound(now - FORGET_INBOUND_AFTER)
            .await?;
        Ok(ticked)
    }

    /// Closes conversation `id` if it is still solved and its time is up.
    async fn close_solved(&self, id: i64, now: Millis) -> Result<bool, EngineError> {
        let mut t = Turn::begin(self, format!("timer:close:{id}")).await?;
        t.now = now;
        let Some(mut conv) = t.tx.conversation(id).await? else {
            return Ok(false);
        };
        if conv.state != State::Solved || conv.is_open(now, self.config.close_after) {
            // Reopened, or closed by another process, since it was found.
            return Ok(false);
        }
        if self
            .advance(&mut t, &mut conv, Trigger::Expire)
            .await?
            .is_err()
        {
            return Ok(false);
        }
        let days = self.config.close_after / (24 * 3600 * 1000);
        let number = conv.ticket_number.unwrap_or(conv.id);
        self.notice(&mut t, &conv, &i18n::agents().closed_by_timer(days))
            .await?;
        let told = i18n::catalogue(conv.lang).closed_after_solved(number, days);
        self.tell(&mut t, &conv, None, &told, Vec::new()).await?;
        t.commit(self).await?;
        Ok(true)
    }
}
