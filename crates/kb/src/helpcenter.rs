//! The searchable help center: articles, their sections and the index over both.

mod build;
mod search;
mod semantic;

use crate::article::Article;
use crate::config::SearchConfig;
use crate::excerpt::excerpt;
use crate::index::{Field, Vocabulary};
use crate::loader::{load_articles, LoadError};
use crate::tokenize::Tokenizer;
use relaydesk_core::knowledge::{ArticleHit, Knowledge, Lookup};
use relaydesk_core::text::is_too_short;
use search::Ranked;
use semantic::{Place, Semantic};
use std::ops::Range;
use std::path::Path;

/// An in-memory, immutable help center. Cheap to query from any thread; build a new one
/// to change it (see [`crate::LiveHelpCenter`]).
pub struct HelpCenter {
    articles: Vec<Article>,
    sections: Vec<Section>,
    /// Sections of article `a` are `first_section[a]..first_section[a + 1]`.
    first_section: Vec<u32>,
    vocab: Vocabulary,
    /// Sections' text, one document per section.
    body: Field,
    /// Articles' whole text, one document per article: a question whose words are spread
    /// over several sections still finds the article.
    whole: Field,
    /// Titles and tags, one document per article.
    title: Field,
    tokenizer: Tokenizer,
    config: SearchConfig,
    /// The vectors and calibrated bars, once [`HelpCenter::with_embedder`] ran.
    semantic: Option<Semantic>,
}

/// A part of an article body that starts at a heading.
#[derive(Debug)]
struct Section {
    /// Byte range in the article's body.
    range: Range<usize>,
}

/// A ranked article with how sure the search is about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredHit {
    /// The article, its best section's excerpt and its raw score.
    pub hit: ArticleHit,
    /// In `0.0..=1.0`: the mean of the share of the question's words the help center
    /// knows and the share this article contains. [`Knowledge::lookup`] offers only
    /// articles at or above [`SearchConfig::min_confidence`].
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
    /// Heap bytes of the term dictionary, posting lists and per-term/per-document tables.
    pub index_bytes: usize,
}

impl HelpCenter {
    /// Loads every `*.md` file below `dir` with the default search settings. Broken files
    /// are returned as errors and left out; this never fails as a whole.
    pub fn load(dir: &Path, base_url: &str) -> (HelpCenter, Vec<LoadError>) {
        Self::load_with(dir, base_url, SearchConfig::default())
    }

    /// [`HelpCenter::load`] with explicit search settings.
    pub fn load_with(
        dir: &Path,
        base_url: &str,
        config: SearchConfig,
    ) -> (HelpCenter, Vec<LoadError>) {
        let (articles, errors) = load_articles(dir, base_url);
        (Self::with_config(articles, config), errors)
    }

    /// Indexes articles built in memory. Ids must be unique; a repeated id keeps the
    /// first article.
    pub fn from_articles(articles: Vec<Article>) -> HelpCenter {
        Self::with_config(articles, SearchConfig::default())
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
            index_bytes: self.vocab.heap_bytes()
                + self.body.heap_bytes()
                + self.whole.heap_bytes()
                + self.title.heap_bytes(),
        }
    }

    /// The `top` best articles for a question, best first, without any confidence cut
    /// or too-short rule: the raw ranking.
    pub fn search(&self, question: &str, top: usize) -> Vec<ArticleHit> {
        self.ranked(question, top)
            .into_iter()
            .map(|s| s.hit)
            .collect()
    }

    /// The embedding model's name when the semantic stage is on (a model is loaded and
    /// the vectors are built).
    pub fn model(&self) -> Option<&'static str> {
        self.semantic.as_ref().map(|s| s.model())
    }

    /// [`HelpCenter::search`] with each article's confidence. With the semantic stage,
    /// the score is the fused one and the confidence the answer score that
    /// [`Knowledge::lookup`] compares with its calibrated bar.
    pub fn ranked(&self, question: &str, top: usize) -> Vec<ScoredHit> {
        let query = self.query(question);
        if let Some(vector) = self.question_vector(question) {
            return self
                .fuse(&query, &vector, top)
                .into_iter()
                .map(|f| ScoredHit {
                    confidence: f.answer,
                    hit: ArticleHit {
                        score: f.score,
                        ..self.hit(&f.ranked)
                    },
                })
                .collect();
        }
        self.rank(&query, top)
            .into_iter()
            .map(|r| ScoredHit {
                confidence: query.confidence(&r),
                hit: self.hit(&r),
            })
            .collect()
    }

    /// The article with this id as a hit: its link and its first section's excerpt.
    pub fn article_hit(&self, id: &str) -> Option<ArticleHit> {
        let a = self.articles.iter().position(|a| a.id == id)?;
        Some(self.hit(&Ranked {
            article: a as u32,
            section: self.first_section.get(a).copied().unwrap_or(0),
            score: 0.0,
            matched: 0,
        }))
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

impl HelpCenter {
    /// Up to [`SearchConfig::max_answers`] articles sure enough for `place`.
    fn answer(&self, question: &str, place: Place) -> Lookup {
        if is_too_short(question) {
            return Lookup::TooShort;
        }
        let query = self.query(question);
        let hits: Vec<ArticleHit> = match self.question_vector(question) {
            Some(vector) => {
                let bar = self.bar(query.lang, place).unwrap_or(f32::MIN);
                self.fuse(&query, &vector, self.config.max_answers)
                    .iter()
                    .filter(|f| f.answer >= bar)
                    .map(|f| ArticleHit {
                        score: f.score,
                        ..self.hit(&f.ranked)
                    })
                    .collect()
            }
            None => self
                .rank(&query, self.config.max_answers)
                .iter()
                .filter(|r| query.confidence(r) >= self.config.min_confidence)
                .map(|r| self.hit(r))
                .collect(),
        };
        if hits.is_empty() {
            Lookup::NoMatch
        } else {
            Lookup::Articles(hits)
        }
    }
}

impl Knowledge for HelpCenter {
    fn lookup(&self, question: &str) -> Lookup {
        self.answer(question, Place::Direct)
    }

    fn lookup_public(&self, question: &str) -> Lookup {
        self.answer(question, Place::Public)
    }

    fn article(&self, id: &str) -> Option<ArticleHit> {
        self.article_hit(id)
    }
}
