//! relaydesk's help center: loads Markdown articles from a folder, searches them in
//! Korean and English, and answers the engine's [`Knowledge`] port.
//!
//! Ranking is BM25 over article sections (split at headings) plus a weighted title
//! field. Hangul runs are indexed as overlapping character bigrams, other words are
//! lowercased and stemmed; an article scores by its best section, and articles in the
//! question's language are preferred. A confidence (score over the best score the
//! question could reach) decides between answering and declining.

mod article;
mod config;
pub mod eval;
mod excerpt;
mod frontmatter;
mod helpcenter;
mod index;
mod live;
mod loader;
mod markdown;
pub mod public_sets;
mod tokenize;

pub use article::Article;
pub use config::SearchConfig;
pub use excerpt::{MAX_EXCERPT_LINES, MAX_EXCERPT_LINE_CHARS};
pub use helpcenter::{HelpCenter, IndexStats, ScoredHit};
pub use live::LiveHelpCenter;
pub use loader::LoadError;
pub use relaydesk_core::knowledge::{ArticleHit, Knowledge, Lookup};
