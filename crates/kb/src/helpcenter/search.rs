//! Answering a question: the question reduced to weighted terms, BM25 over the fields,
//! an article scored by its best section, and the confidence of each result.

use super::HelpCenter;
use crate::index::Field;
use crate::tokenize::Kind;
use relaydesk_core::text::{detect_lang, Lang};
use std::hash::{Hash, Hasher};

/// Only the start of a very long message is searched: people paste logs, and the
/// question is rarely past the first lines.
const MAX_QUESTION_CHARS: usize = 2_000;

/// A question reduced to its distinct known terms (with their weights) and counts.
pub(super) struct Query {
    pub(super) lang: Lang,
    /// Known terms, phrases and concepts, each once, with the weight of its contribution.
    terms: Vec<(u32, f32)>,
    /// Distinct terms of the question's own text, known or not (phrases and concepts
    /// excluded).
    words: usize,
    /// Of those, the ones the help center contains, directly or through a synonym.
    known_words: usize,
}

/// One article of a ranking.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ranked {
    pub(super) article: u32,
    /// Its best-matching section.
    pub(super) section: u32,
    pub(super) score: f32,
    /// Distinct question terms (phrases and concepts included) found in the article.
    pub(super) matched: u32,
}

impl Query {
    /// The confidence of a ranked article: the mean of two shares of the question's
    /// distinct terms, those the help center knows at all and those this article
    /// contains. The first tells an off-topic question apart (its key words appear
    /// nowhere); the second keeps an article that shares one common word from passing.
    pub(super) fn confidence(&self, r: &Ranked) -> f32 {
        let words = self.words.max(1) as f32;
        let coverage = self.known_words as f32 / words;
        let matched = (r.matched as f32 / words).min(1.0);
        (coverage + matched) / 2.0
    }
}

impl HelpCenter {
    /// Tokenizes a question (only its start when it is very long) into distinct terms.
    pub(super) fn query(&self, question: &str) -> Query {
        let question = match question.char_indices().nth(MAX_QUESTION_CHARS) {
            Some((cut, _)) => &question[..cut],
            None => question,
        };
        let c = &self.config;
        let mut own: Vec<(u32, f32)> = Vec::new();
        let mut extra: Vec<(u32, f32)> = Vec::new();
        let mut unknown: Vec<u64> = Vec::new();
        let mut last_unknown = false;
        self.tokenizer
            .terms(question, |t, kind| match (kind, self.vocab.get(t)) {
                (Kind::Concept, Some(id)) => {
                    extra.push((id, c.synonym_weight));
                    // The word is unknown but a synonym of it is not: it counts as known.
                    if std::mem::take(&mut last_unknown) {
                        unknown.pop();
                    }
                }
                (Kind::Phrase, Some(id)) => extra.push((id, c.phrase_weight)),
                // Most word pairs and many concepts are absent from any help center; that
                // says nothing about whether the question is in scope.
                (Kind::Concept | Kind::Phrase, None) => {}
                (Kind::Head | Kind::Inner, Some(id)) => {
                    let weight = match kind {
                        Kind::Inner => c.inner_weight,
                        _ => 1.0,
                    };
                    own.push((id, weight));
                    last_unknown = false;
                }
                (Kind::Head | Kind::Inner, None) => {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    t.hash(&mut h);
                    unknown.push(h.finish());
                    last_unknown = true;
                }
            });
        dedup_terms(&mut own);
        unknown.sort_unstable();
        unknown.dedup();
        let known_words = own.len();
        let words = known_words + unknown.len();
        own.extend(extra);
        dedup_terms(&mut own);
        Query {
            lang: detect_lang(question),
            terms: own,
            words,
            known_words,
        }
    }

    /// BM25 of the best section, plus the weighted BM25 of the title field and of the
    /// whole article, raised by the share of the question's terms the article contains;
    /// articles in another language than the question's are pushed down.
    pub(super) fn rank(&self, query: &Query, top: usize) -> Vec<Ranked> {
        if top == 0 || self.articles.is_empty() || query.terms.is_empty() {
            return Vec::new();
        }
        let c = &self.config;
        let saturation = c.k1 + 1.0;
        let articles = self.articles.len();
        let mut section_scores = vec![0f32; self.body.docs()];
        let mut whole_scores = vec![0f32; articles];
        let mut title_scores = vec![0f32; articles];
        let mut matched = vec![0u32; articles];
        let mut last_term = vec![u32::MAX; articles];
        for &(term, weight) in &query.terms {
            let saturation = saturation * weight;
            let idf = self.body.idf(term) * saturation;
            accumulate(&self.body, term, idf, &mut section_scores);
            for field in [&self.whole, &self.title] {
                for p in field.postings(term) {
                    let a = p.doc as usize;
                    if last_term.get(a).is_some_and(|&last| last != term) {
                        last_term[a] = term;
                        matched[a] += 1;
                    }
                }
            }
            let whole_idf = self.whole.idf(term) * saturation * c.article_weight;
            accumulate(&self.whole, term, whole_idf, &mut whole_scores);
            let title_idf = self.title.idf(term) * saturation * c.title_weight;
            accumulate(&self.title, term, title_idf, &mut title_scores);
        }

        let terms = query.words.max(1) as f32;
        let mut ranked = Vec::new();
        for (a, article) in self.articles.iter().enumerate() {
            if matched[a] == 0 {
                continue;
            }
            let (start, end) = (self.first_section[a], self.first_section[a + 1]);
            let mut best = (start, 0f32);
            for s in start..end {
                let score = section_scores[s as usize];
                if score > best.1 {
                    best = (s, score);
                }
            }
            let mut score = best.1 + title_scores[a] + whole_scores[a];
            score *= 1.0 + c.coordination * (matched[a] as f32 / terms).min(1.0);
            if article.locale != query.lang {
                score *= c.other_language;
            }
            ranked.push(Ranked {
                article: a as u32,
                section: best.0,
                score,
                matched: matched[a],
            });
        }
        let by_score =
            |x: &Ranked, y: &Ranked| y.score.total_cmp(&x.score).then(x.article.cmp(&y.article));
        if ranked.len() > top {
            ranked.select_nth_unstable_by(top - 1, by_score);
            ranked.truncate(top);
        }
        ranked.sort_unstable_by(by_score);
        ranked
    }
}

/// Sorts terms by id and keeps each once, with its highest weight.
fn dedup_terms(terms: &mut Vec<(u32, f32)>) {
    terms.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    terms.dedup_by_key(|t| t.0);
}

/// Adds one term's BM25 contribution (`weight` = idf · (k1 + 1), times the field weight)
/// to every document it occurs in.
fn accumulate(field: &Field, term: u32, weight: f32, scores: &mut [f32]) {
    for p in field.postings(term) {
        let tf = p.tf as f32;
        if let Some(score) = scores.get_mut(p.doc as usize) {
            *score += weight * tf / (tf + field.norm(p.doc));
        }
    }
}
