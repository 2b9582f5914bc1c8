//! Phrasings: the desk teaching the help center. A person's question that an article
//! answered ("Yes, that helped") or that an agent answered with `!article <id>` is kept
//! as a phrasing of that article, which the help center then searches with it.
//!
//! The engine learns them in its turns (`AnswerTx::learn_phrasing`); this port is for
//! the binary: the help center's reload reads them, admins list and remove them
//! (`relaydesk kb phrasings`).

use async_trait::async_trait;
use serde::Serialize;

use crate::store::StoreError;
use crate::types::Millis;

/// The longest question kept as a phrasing, in characters: longer text (a web form's
/// description) is a story, not a way of asking, and would bloat the unique index.
pub const MAX_PHRASING_CHARS: usize = 500;

/// Who taught the help center a phrasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhrasingSource {
    /// The person pressed "Yes, that helped" under an answer whose first article it is.
    Helped,
    /// An agent answered the ticket with `!article <id>`.
    Agent,
}

impl PhrasingSource {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            PhrasingSource::Helped => "helped",
            PhrasingSource::Agent => "agent",
        }
    }

    /// As stored; `None` for anything else.
    pub fn parse(s: &str) -> Option<PhrasingSource> {
        match s {
            "helped" => Some(PhrasingSource::Helped),
            "agent" => Some(PhrasingSource::Agent),
            _ => None,
        }
    }
}

/// One learned phrasing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phrasing {
    /// Its id, for `relaydesk kb phrasings remove`.
    pub id: i64,
    /// The article it finds.
    pub article_id: String,
    /// The person's words.
    pub question: String,
    /// Who taught it.
    pub source: PhrasingSource,
    /// When it was learned.
    pub created_at: Millis,
}

/// The learned phrasings, read and pruned outside the engine's turns.
#[async_trait]
pub trait Phrasings: Send + Sync {
    /// Every phrasing, oldest first.
    async fn phrasings(&self) -> Result<Vec<Phrasing>, StoreError>;

    /// Forgets phrasing `id`; `false` when there is none with that id.
    async fn remove_phrasing(&self, id: i64) -> Result<bool, StoreError>;
}
