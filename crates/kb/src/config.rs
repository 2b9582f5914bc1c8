//! The knobs of the ranking and of the confidence bar, with the values tuned on the
//! sample help center's evaluation set and on the public retrieval sets.

/// How articles are ranked and when the bot trusts its best match enough to answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchConfig {
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// BM25 document-length normalisation (0 = none, 1 = full).
    pub b: f32,
    /// Weight of the title field (title and tags) relative to a section's text.
    pub title_weight: f32,
    /// How many times a section heading's words count in its section.
    pub heading_weight: u32,
    /// Score multiplier for articles not in the question's language.
    pub other_language: f32,
    /// How much a question word found nowhere in the help center lowers the confidence,
    /// as a fraction of what it would add if it matched.
    pub unknown_term_weight: f32,
    /// The confidence (score over the question's best possible score) an article needs
    /// to be offered as an answer.
    pub min_confidence: f32,
    /// At most this many articles in an answer.
    pub max_answers: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            k1: 1.2,
            b: 0.75,
            title_weight: 1.0,
            heading_weight: 2,
            other_language: 0.5,
            unknown_term_weight: 0.5,
            min_confidence: 0.15,
            max_answers: 3,
        }
    }
}
