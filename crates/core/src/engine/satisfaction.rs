//! "How did we do?": asked when an agent solves the ticket, 1 to 5, then an optional
//! comment (the person's next message, or "skip"). The rating goes to the ticket's
//! thread at once, the comment when it comes; both are stored.

use crate::adapter::Inbound;
use crate::desk::choice::{choice, picked, Pick, RATE, SKIP_COMMENT};
use crate::desk::triage::is_skip;
use crate::i18n;
use crate::store::StoreError;
use crate::types::{Conversation, State};

use super::turn::Turn;
use super::Engine;

impl Engine {
    /// Asks the person to rate the ticket just solved.
    pub(super) async fn ask_rating(
        &self,
        t: &mut Turn,
        conv: &Conversation,
    ) -> Result<(), StoreError> {
        let say = i18n::catalogue(conv.lang);
        let choices = (1..=5)
            .map(|n| choice(format!("{RATE}{n}"), n.to_string()))
            .collect();
        self.tell(t, conv, None, &say.how_did_we_do(), choices)
            .await
            .map(drop)
    }

    /// The person rated the ticket `rating` (1 to 5).
    pub(super) async fn rated(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        rating: i64,
    ) -> Result<(), StoreError> {
        let Some(rating) = u8::try_from(rating).ok().filter(|r| (1..=5).contains(r)) else {
            return Ok(());
        };
        t.tx.rate(conv.id, rating, t.now).await?;
        self.notice(t, conv, &i18n::agents().rated(rating)).await?;
        let say = i18n::catalogue(conv.lang);
        let skip = vec![choice(SKIP_COMMENT, say.skip_label())];
        self.tell(t, conv, None, &say.ask_comment(), skip)
            .await
            .map(drop)
    }

    /// The person's message after a rating, when a comment is asked for: the comment,
    /// or "skip". False when no comment is asked for.
    pub(super) async fn satisfaction_reply(
        &self,
        t: &mut Turn,
        conv: &Conversation,
        ev: &Inbound,
        text: &str,
    ) -> Result<bool, StoreError> {
        let asked =
            conv.state == State::Solved && conv.offered.iter().any(|c| c.value == SKIP_COMMENT);
        if !asked {
            return Ok(false);
        }
        let say = i18n::catalogue(conv.lang);
        let skipped =
            picked(&conv.offered, &ev.content) == Pick::Value(SKIP_COMMENT.into()) || is_skip(text);
        let comment = text.trim();
        if !skipped && !comment.is_empty() {
            t.tx.comment(conv.id, comment, t.now).await?;
            self.notice(t, conv, &i18n::agents().rating_comment(comment))
                .await?;
        }
        self.tell(t, conv, None, &say.feedback_thanks(), Vec::new())
            .await?;
        Ok(true)
    }
}
