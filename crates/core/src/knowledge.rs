//! The help-center port: the engine asks it for articles, `crates/kb` answers.

use crate::text::Lang;

/// One article that answers a question, with the lines to show under its title.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArticleHit {
    /// Stable article id (front matter `id`, or the file stem).
    pub id: String,
    /// The article's title, in its language.
    pub title: String,
    /// Absolute link to the article.
    pub url: String,
    /// The article's language.
    pub locale: Lang,
    /// The numbered steps (or first lines) of the best-matching section, already shortened.
    pub excerpt: Vec<String>,
    /// Ranking score; comparable only within one lookup.
    pub score: f32,
}

/// What the help center says about a question.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Too short to search ("help", "hi", "?"): ask for a full sentence.
    TooShort,
    /// Up to three articles above the confidence bar, best first.
    Articles(Vec<ArticleHit>),
    /// Nothing in the help center answers it with enough confidence.
    NoMatch,
}

/// A searchable help center. Implementations are called from the engine's transaction:
/// in memory, no I/O; well under a millisecond lexically, a few milliseconds when a
/// sentence-embedding model embeds the question.
pub trait Knowledge: Send + Sync {
    /// Looks `question` up for the person who asked it: articles, or why there are none.
    fn lookup(&self, question: &str) -> Lookup;

    /// Looks `question` up for a public help channel or forum, where a wrong answer is
    /// seen by everyone: a help center may ask for more confidence here.
    fn lookup_public(&self, question: &str) -> Lookup {
        self.lookup(question)
    }

    /// The article with this id, as a link (title, URL, its opening lines); `None` when
    /// the help center has no such article.
    fn article(&self, id: &str) -> Option<ArticleHit> {
        let _ = id;
        None
    }
}

/// The help center used until one is configured: never finds anything, so the engine
/// falls back to asking the person to describe the problem or talk to an agent.
pub struct NoKnowledge;

impl Knowledge for NoKnowledge {
    fn lookup(&self, question: &str) -> Lookup {
        if crate::text::is_too_short(question) {
            Lookup::TooShort
        } else {
            Lookup::NoMatch
        }
    }
}
