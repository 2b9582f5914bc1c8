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
    /// Weight of the whole article's text (all sections as one) relative to its best section.
    pub article_weight: f32,
    /// How much an article's score grows with the share of the question's distinct terms
    /// it contains (`score · (1 + coordination · share)`).
    pub coordination: f32,
    /// Weight, in a question, of the bigrams after the first in a Hangul run: they hold
    /// the rest of the word and its particles and endings ("하나요", "있나요"), which
    /// match every FAQ-style heading.
    pub inner_weight: f32,
    /// Weight, in a question, of a phrase (two words in a row) relative to a word.
    pub phrase_weight: f32,
    /// Weight of a synonym-group match relative to a match of the word itself.
    pub synonym_weight: f32,
    /// The [confidence](crate::ScoredHit::confidence) an article needs to be offered as
    /// an answer; tuned on the sample help center's out-of-scope questions.
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
            article_weight: 0.2,
            coordination: 0.3,
            inner_weight: 0.5,
            phrase_weight: 0.3,
            synonym_weight: 0.8,
            min_confidence: 0.6,
            max_answers: 3,
        }
    }
}
