//! The searchable help center: articles, their sections and the index over both.

use crate::article::Article;
use crate::config::SearchConfig;
use crate::excerpt::excerpt;
use crate::index::{Field, FieldBuilder, Vocabulary};
use crate::loader::{load_articles, LoadError};
use crate::markdown::{self, Line};
use crate::tokenize::Tokenizer;
use relaydesk_core::knowledge::{ArticleHit, Knowledge, Lookup};
use relaydesk_core::text::{detect_lang, is_too_short};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::path::Path;

/// Only the start of a very long message is searched: people paste logs, and the
/// question is rarely past the first lines.
const MAX_QUESTION_CHARS: usize = 2_000;

/// An in-memory, immutable help center. Cheap to query from any thread; build a new one
/// to change it (see [`crate::LiveHelpCenter`]).
pub struct HelpCenter {
    articles: Vec<Article>,
    sections: Vec<Section>,
    /// Sections of article `a` are `first_section[a]..first_section[a + 1]`.
    first_section: Vec<u32>,
    vocab: Vocabulary,
    body: Field,
    title: Field,
    tokenizer: Tokenizer,
    config: SearchConfig,
}

#[derive(Debug)]
struct Section {
    range: Range<usize>,
}

/// A ranked article with how sure the search is about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredHit {
    /// The article, its best section's excerpt and its raw score.
    pub hit: ArticleHit,
    /// The score over the best score the question could reach, in `0.0..=1.0`.
    pub confidence: f32,
}

/// Size figures of a help center's index, for logs and the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IndexStats {
    /// Articles loaded.
    pub articles: usize,
    /// Sections (articles split at headings).
    pub sections: usize,
    /// Distinct terms.
    pub terms: usize,
    /// Heap bytes of the posting lists and per-term/per-document tables.
    pub index_bytes: usize,
}

struct Ranked {
    article: u32,
    section: u32,
    score: f32,
}

impl HelpCenter {
    /// Loads every `*.md` file below `dir` with the default search settings. Broken files
    /// are returned as errors and left out; this never fails as a whole.
    pub fn load(dir: &Path, base_url: &str) -> (HelpCenter, Vec<LoadError>) {
        Self::load_with(dir, base_url, SearchConfig::default())
    }

    /// [`HelpCenter::load`] with explicit search settings.
    pub fn load_with(dir: &Path, base_url: &str, config: SearchConfig) -> (HelpCenter, Vec<LoadError>) {
        let (articles, errors) = load_articles(dir, base_url);
        (Self::with_config(articles, config), errors)
    }

    /// Indexes articles built in memory. Ids must be unique; a repeated id keeps the
    /// first article.
    pub fn from_articles(articles: Vec<Article>) -> HelpCenter {
        Self::with_config(articles, SearchConfig::default())
    }

    /// [`HelpCenter::from_articles`] with explicit search settings.
    pub fn with_config(articles: Vec<Article>, config: SearchConfig) -> HelpCenter {
        let mut seen = std::collections::HashSet::new();
        let articles: Vec<Article> = articles
            .into_iter()
            .filter(|a| {
                let fresh = seen.insert(a.id.clone());
                if !fresh {
                    tracing::warn!(id = %a.id, "duplicate article id ignored");
                }
                fresh
            })
            .collect();
        let tokenizer = Tokenizer::default();
        let mut vocab = Vocabulary::default();
        let mut body = FieldBuilder::default();
        let mut title = FieldBuilder::default();
        let mut sections = Vec::new();
        let mut first_section = Vec::with_capacity(articles.len() + 1);
        let mut tf: HashMap<u32, u32> = HashMap::new();
        for article in &articles {
            first_section.push(sections.len() as u32);
            for text in std::iter::once(&article.title).chain(&article.tags) {
                tokenizer.tokens(text, |t| *tf.entry(vocab.intern(t)).or_insert(0) += 1);
            }
            title.add(tf.drain());
            for range in markdown::sections(&article.body) {
                for (_, line) in markdown::lines(&article.body[range.clone()]) {
                    let (text, weight) = match line {
                        // The title is indexed in its own field already.
                        Line::Heading { level: 1, text } if text == article.title => continue,
                        Line::Heading { text, .. } => (text, config.heading_weight),
                        Line::Text(text) | Line::Code(text) => (text, 1),
                        Line::Blank | Line::Fence => continue,
                    };
                    tokenizer.tokens(text, |t| *tf.entry(vocab.intern(t)).or_insert(0) += weight);
                }
                body.add(tf.drain());
                sections.push(Section { range });
            }
        }
        first_section.push(sections.len() as u32);
        let terms = vocab.len();
        HelpCenter {
            body: body.build(terms, config.k1, config.b),
            title: title.build(terms, config.k1, config.b),
            articles,
            sections,
            first_section,
            vocab,
            tokenizer,
            config,
        }
    }

    /// All articles, in load order.
    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    /// The article with this id.
    pub fn article(&self, id: &str) -> Option<&Article> {
        self.articles.iter().find(|a| a.id == id)
    }

    /// The search settings in use.
    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    /// Size figures of the index.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            articles: self.articles.len(),
            sections: self.sections.len(),
            terms: self.vocab.len(),
            index_bytes: self.body.heap_bytes() + self.title.heap_bytes(),
        }
    }

    /// The `top` best articles for a question, best first, without any confidence cut
    /// or too-short rule: the raw ranking.
    pub fn search(&self, question: &str, top: usize) -> Vec<ArticleHit> {
        self.ranked(question, top).into_iter().map(|s| s.hit).collect()
    }

    /// [`HelpCenter::search`] with each article's confidence.
    pub fn ranked(&self, question: &str, top: usize) -> Vec<ScoredHit> {
        let (ranked, best_possible) = self.rank(question, top);
        ranked
            .into_iter()
            .map(|r| ScoredHit {
                confidence: if best_possible > 0.0 {
                    (r.score / best_possible).min(1.0)
                } else {
                    0.0
                },
                hit: self.hit(&r),
            })
            .collect()
    }

    fn hit(&self, r: &Ranked) -> ArticleHit {
        let article = &self.articles[r.article as usize];
        let section = &self.sections[r.section as usize];
        ArticleHit {
            id: article.id.clone(),
            title: article.title.clone(),
            url: article.url.clone(),
            locale: article.locale,
            excerpt: excerpt(article.body.get(section.range.clone()).unwrap_or("")),
            score: r.score,
        }
    }

    #[doc(hidden)]
    pub fn debug_vocab(&self) -> Vec<(String, usize, usize)> {
        self.vocab.debug_terms().into_iter().map(|(t, id)| (t, self.body.postings(id).len(), self.title.postings(id).len())).collect()
    }

    #[doc(hidden)]
    pub fn debug_features(&self, question: &str) -> Vec<f32> {
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        self.tokenizer.tokens(question, |t| match self.vocab.get(t) {
            Some(id) => known.push(id),
            None => unknown.push(t.to_string()),
        });
        known.sort_unstable(); known.dedup(); unknown.sort(); unknown.dedup();
        let n = (known.len() + unknown.len()) as f32;
        let kidf: f32 = known.iter().map(|&t| self.body.idf(Some(t))).sum();
        let uidf = unknown.len() as f32 * self.body.idf(None);
        let (ranked, best) = self.rank(question, 2);
        let top = ranked.first().map_or(0.0, |r| r.score);
        let second = ranked.get(1).map_or(0.0, |r| r.score);
        // terms in top article
        let mut in_top = 0f32; let mut in_top_idf = 0f32;
        if let Some(r) = ranked.first() {
            let a = r.article;
            let (s0, s1) = (self.first_section[a as usize], self.first_section[a as usize + 1]);
            for &t in &known {
                let hit = self.title.postings(t).iter().any(|p| p.doc == a) || self.body.postings(t).iter().any(|p| p.doc >= s0 && p.doc < s1);
                if hit { in_top += 1.0; in_top_idf += self.body.idf(Some(t)); }
            }
        }
        let (mut hk, mut hn) = (Vec::new(), Vec::new());
        self.tokenizer.terms(question, |t, head| if head { if self.vocab.get(t).is_some() { hk.push(t.to_string()) } else { hn.push(t.to_string()) } });
        hk.sort(); hk.dedup(); hn.sort(); hn.dedup();
        let headcov = hk.len() as f32 / ((hk.len() + hn.len()) as f32).max(1.0);
        let nsec = self.body.docs() as f32;
        let mut extra = Vec::new();
        for cut in [0.05f32, 0.1, 0.2, 0.3] {
            let inf = known.iter().filter(|&&t| (self.body.postings(t).len() as f32) <= cut * nsec).count() as f32;
            extra.push(inf / (inf + unknown.len() as f32).max(1.0));
        }
        let c = &self.config;
        let bk: f32 = known.iter().map(|&t| (c.k1 + 1.0) * (self.body.idf(Some(t)) + c.title_weight * self.title.idf(Some(t)))).sum();
        let second_lang = ranked.get(1).map_or(0.0, |r| r.score);
        vec![top / bk.max(1e-6), second_lang / bk.max(1e-6), extra[1], extra[2], extra[3], extra[1], extra[2], extra[3], headcov, known.len() as f32 / n.max(1.0), kidf / (kidf + uidf).max(1e-6), top / best.max(1e-6), top, second / top.max(1e-6), in_top / n.max(1.0), in_top_idf / (kidf + uidf).max(1e-6), n]
    }

    /// BM25 over sections plus the weighted title field, an article taking its best
    /// section; returns the top articles and the best score this question could reach.
    fn rank(&self, question: &str, top: usize) -> (Vec<Ranked>, f32) {
        if top == 0 || self.articles.is_empty() {
            return (Vec::new(), 0.0);
        }
        let question = match question.char_indices().nth(MAX_QUESTION_CHARS) {
            Some((cut, _)) => &question[..cut],
            None => question,
        };
        let lang = detect_lang(question);
        let mut known = Vec::new();
        let mut unknown = Vec::new();
        self.tokenizer.tokens(question, |t| match self.vocab.get(t) {
            Some(id) => known.push(id),
            None => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                t.hash(&mut h);
                unknown.push(h.finish());
            }
        });
        known.sort_unstable();
        known.dedup();
        unknown.sort_unstable();
        unknown.dedup();

        let c = &self.config;
        let saturation = c.k1 + 1.0;
        let mut best_possible = unknown.len() as f32
            * c.unknown_term_weight
            * saturation
            * (self.body.idf(None) + c.title_weight * self.title.idf(None));
        let mut section_scores = vec![0f32; self.body.docs()];
        let mut title_scores = vec![0f32; self.title.docs()];
        for &term in &known {
            let body_idf = self.body.idf(Some(term));
            let title_idf = self.title.idf(Some(term));
            best_possible += saturation * (body_idf + c.title_weight * title_idf);
            accumulate(&self.body, term, body_idf * saturation, &mut section_scores);
            accumulate(&self.title, term, title_idf * saturation * c.title_weight, &mut title_scores);
        }

        let mut ranked = Vec::new();
        for (a, article) in self.articles.iter().enumerate() {
            let (start, end) = (self.first_section[a], self.first_section[a + 1]);
            let mut best = (start, 0f32);
            for s in start..end {
                let score = section_scores[s as usize];
                if score > best.1 {
                    best = (s, score);
                }
            }
            let mut score = best.1 + title_scores[a];
            if article.locale != lang {
                score *= c.other_language;
            }
            if score > 0.0 {
                ranked.push(Ranked {
                    article: a as u32,
                    section: best.0,
                    score,
                });
            }
        }
        let by_score = |x: &Ranked, y: &Ranked| y.score.total_cmp(&x.score).then(x.article.cmp(&y.article));
        if ranked.len() > top {
            ranked.select_nth_unstable_by(top - 1, by_score);
            ranked.truncate(top);
        }
        ranked.sort_unstable_by(by_score);
        (ranked, best_possible)
    }
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

impl Default for HelpCenter {
    fn default() -> Self {
        HelpCenter::from_articles(Vec::new())
    }
}

impl std::fmt::Debug for HelpCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelpCenter")
            .field("stats", &self.stats())
            .field("config", &self.config)
            .finish()
    }
}

impl Knowledge for HelpCenter {
    fn lookup(&self, question: &str) -> Lookup {
        if is_too_short(question) {
            return Lookup::TooShort;
        }
        let hits: Vec<ArticleHit> = self
            .ranked(question, self.config.max_answers)
            .into_iter()
            .filter(|s| s.confidence >= self.config.min_confidence)
            .map(|s| s.hit)
            .collect();
        if hits.is_empty() {
            Lookup::NoMatch
        } else {
            Lookup::Articles(hits)
        }
    }
}
