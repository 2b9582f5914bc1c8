//! The person's list of their conversations (`/support history`).

use crate::adapter::Inbound;
use crate::i18n;
use crate::store::{NewConversation, StoreError};
use crate::text::Lang;
use crate::types::Conversation;

use super::turn::Turn;
use super::{Engine, Handled};

impl Engine {
    /// Answers where the person asked, without opening or closing anything.
    pub(super) async fn history(
        &self,
        t: &mut Turn,
        ev: &Inbound,
        user_id: i64,
        latest: Option<Conversation>,
    ) -> Result<Handled, StoreError> {
        let conv = match latest {
            Some(c) => c,
            None => {
                let new = NewConversation {
                    user_id,
                    user_address: ev.address.clone(),
                    lang: Lang::En,
                    previous_id: None,
                };
                t.tx.insert_conversation(&new, t.now).await?
            }
        };
        let list = t.tx.conversations_of(user_id, 10).await?;
        let list = i18n::history(conv.lang, &list);
        self.tell(t, &conv, Some(ev.address.clone()), &list, Vec::new())
            .await?;
        Ok(Handled::Done)
    }
}
