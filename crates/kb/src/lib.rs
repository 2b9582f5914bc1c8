//! relaydesk's help center: loads Markdown articles from a folder, searches them in
//! Korean and English, and answers the engine's [`Knowledge`] port.
//!
//! * Loading ([`HelpCenter::load`]): every `*.md` file below the folder, with front
//!   matter (`id`, `title`, `locale`, `url`, `tags`). A broken file is reported as a
//!   [`LoadError`] and skipped. [`LiveHelpCenter`] reloads when the files change.
//! * Ranking: hand-written BM25 over article sections (split at headings), plus a
//!   weighted title-and-tags field and a lightly weighted whole-article field; an
//!   article scores by its best section. Hangul runs are indexed as overlapping
//!   character bigrams, other words are lowercased and stemmed (English Snowball); two
//!   English words in a row also form a phrase term, and the words of each group of a
//!   small built-in list of support synonyms ("agent", "person", "staff"; "상담사",
//!   "사람", "담당자") share a concept term, so a question need not use the article's
//!   words. Articles in the question's language come first.
//! * Answering ([`Knowledge::lookup`]): too short → [`Lookup::TooShort`]; up to three
//!   articles whose [confidence](ScoredHit::confidence) reaches
//!   [`SearchConfig::min_confidence`] → [`Lookup::Articles`]; else [`Lookup::NoMatch`].
//! * Measuring: [`eval`] runs a question file; [`public_sets`] converts KorQuAD and
//!   StackFAQ from a folder outside the repository. `relaydesk kb eval-public <dir>`
//!   prints their figures, `cargo run --release -p relaydesk-kb --example bench --
//!   <dir>` the 1,000-article speed benchmark.

mod article;
mod config;
pub mod embed;
pub mod eval;
mod excerpt;
mod frontmatter;
mod helpcenter;
mod index;
mod live;
mod loader;
mod markdown;
pub mod public_sets;
mod synonyms;
mod tokenize;
mod vectors;

pub use article::Article;
pub use config::SearchConfig;
pub use excerpt::{MAX_EXCERPT_LINES, MAX_EXCERPT_LINE_CHARS};
pub use helpcenter::{HelpCenter, IndexStats, ScoredHit};
pub use live::{LiveHelpCenter, REINDEX_MARKER};
pub use loader::LoadError;
pub use relaydesk_core::knowledge::{ArticleHit, Knowledge, Lookup};
pub use vectors::VectorCache;
