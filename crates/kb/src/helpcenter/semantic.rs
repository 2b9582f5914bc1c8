//! The semantic stage: every article embedded whole, by section and by each question
//! it answers; a question ranked by BM25 and by cosine, each turned into a z-score
//! over the articles in the question's language and added; and the bar an answer must
//! clear, calibrated on this help center with a bank of off-topic questions.

use super::search::{Query, Ranked};
use super::HelpCenter;
use crate::embed::{cosine, Embedder};
use crate::markdown::{self, Line};
use crate::vectors::VectorCache;
use relaydesk_core::text::Lang;
use std::sync::Arc;

/// Off-topic questions shipped with relaydesk: what a question no help center answers
/// scores against this one.
const OFF_TOPIC_EN: &str = include_str!("../offtopic/en.txt");
const OFF_TOPIC_KO: &str = include_str!("../offtopic/ko.txt");

// The constants below were chosen on the sample help center's evaluation set alone
// (`relaydesk kb eval helpcenter/eval.jsonl`); the second help center in `eval/harbor`
// checks that they hold where nothing was tuned.

/// The share of the off-topic bank a direct message declines: the bar is the answer
/// score that 90% of those questions stay under. Real off-topic questions sit closer
/// to a help center's subject than the bank's, so fewer of them are declined (about
/// 0.6); answerable questions almost never fall under it (about 0.01).
const DIRECT_QUANTILE: f32 = 0.9;
/// The share declined in a public channel, where a wrong answer is seen by everyone
/// and no "talk to an agent" sits beside it.
const PUBLIC_QUANTILE: f32 = 0.97;
/// Weight of the lexical confidence (how much of the question the help center knows
/// and the article covers) in an article's answer score, beside its cosine.
const COVERAGE_WEIGHT: f32 = 1.0;
/// Weight of the cosine's z-score beside BM25's in the fused ranking.
const COSINE_WEIGHT: f32 = 0.5;

/// Which vector of an article: its whole text, a section, or a question.
#[derive(Debug, Clone, Copy)]
struct Owner {
    article: u32,
    /// The section, for the excerpt; `None` for the whole text and questions.
    section: Option<u32>,
}

/// The vectors of a help center and its calibrated bars.
pub(crate) struct Semantic {
    embedder: Arc<dyn Embedder>,
    vectors: Vec<Box<[f32]>>,
    owners: Vec<Owner>,
    /// Per language (index [`lang_index`]), the articles a question in it is ranked
    /// among: those in it, and those in another language with no version in it.
    candidates: [Vec<usize>; 2],
    /// The answer score's bar per language (index [`lang_index`]): direct, public.
    bars: [(f32, f32); 2],
}

/// One article of a fused ranking.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fused {
    pub(super) ranked: Ranked,
    /// z(BM25) + [`COSINE_WEIGHT`] · z(cosine) over the question's articles.
    pub(super) score: f32,
    /// What is compared with the bar: its cosine plus [`COVERAGE_WEIGHT`] times its
    /// lexical confidence.
    pub(super) answer: f32,
}

/// Where the answer is given, which sets how sure it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Direct,
    Public,
}

fn lang_index(lang: Lang) -> usize {
    match lang {
        Lang::En => 0,
        Lang::Ko => 1,
    }
}

impl Semantic {
    pub(super) fn model(&self) -> &'static str {
        self.embedder.name()
    }
}

impl HelpCenter {
    /// This help center with its semantic stage: vectors from `cache` or embedded now,
    /// then the bars calibrated. Slow (seconds for a large help center without a
    /// cache): run it off the request path.
    pub fn with_embedder(mut self, embedder: Arc<dyn Embedder>, cache: &VectorCache) -> Self {
        let mut texts = Vec::new();
        let mut owners = Vec::new();
        for (a, article) in self.articles.iter().enumerate() {
            let article_idx = a as u32;
            texts.push(format!("{}\n{}", article.title, plain(&article.body)));
            owners.push(Owner {
                article: article_idx,
                section: None,
            });
            let (start, end) = (self.first_section[a], self.first_section[a + 1]);
            for s in start..end {
                let range = self.sections[s as usize].range.clone();
                let text = plain(article.body.get(range).unwrap_or(""));
                if text.trim().is_empty() {
                    continue;
                }
                texts.push(format!("{}\n{}", article.title, text));
                owners.push(Owner {
                    article: article_idx,
                    section: Some(s),
                });
            }
            for q in &article.questions {
                texts.push(q.clone());
                owners.push(Owner {
                    article: article_idx,
                    section: None,
                });
            }
        }
        let vectors = cache.vectors(embedder.as_ref(), &texts);
        let candidates = [Lang::En, Lang::Ko].map(|lang| {
            let found: Vec<usize> = (0..self.articles.len())
                .filter(|&a| self.in_language(a, lang))
                .collect();
            if found.is_empty() {
                (0..self.articles.len()).collect()
            } else {
                found
            }
        });
        self.semantic = Some(Semantic {
            embedder,
            vectors,
            owners,
            candidates,
            bars: [(f32::MIN, f32::MIN); 2],
        });
        self.calibrate(cache);
        self
    }

    /// Sets the bars from the off-topic bank's answer scores on this help center.
    fn calibrate(&mut self, cache: &VectorCache) {
        let Some(sem) = &self.semantic else { return };
        let embedder = Arc::clone(&sem.embedder);
        let mut bars = [(f32::MIN, f32::MIN); 2];
        for (lang, bank) in [(Lang::En, OFF_TOPIC_EN), (Lang::Ko, OFF_TOPIC_KO)] {
            let questions: Vec<String> = bank.lines().map(str::to_owned).collect();
            let vectors = cache.vectors(embedder.as_ref(), &questions);
            let mut scores: Vec<f32> = questions
                .iter()
                .zip(&vectors)
                .filter_map(|(q, v)| {
                    let query = self.query(q);
                    self.fuse(&query, v, 1).first().map(|f| f.answer)
                })
                .collect();
            scores.sort_unstable_by(f32::total_cmp);
            bars[lang_index(lang)] = (
                quantile(&scores, DIRECT_QUANTILE),
                quantile(&scores, PUBLIC_QUANTILE),
            );
        }
        if let Some(sem) = &mut self.semantic {
            sem.bars = bars;
        }
    }

    /// The bar of a language and place; `None` without a semantic stage.
    pub(crate) fn bar(&self, lang: Lang, place: Place) -> Option<f32> {
        let (direct, public) = self.semantic.as_ref()?.bars[lang_index(lang)];
        Some(match place {
            Place::Direct => direct,
            Place::Public => public,
        })
    }

    /// The question's vector, when there is a semantic stage.
    pub(super) fn question_vector(&self, question: &str) -> Option<Vec<f32>> {
        self.semantic.as_ref().map(|s| s.embedder.embed(question))
    }

    /// BM25 and cosine fused over the articles in the question's language (and those
    /// without a version in it), best first.
    pub(super) fn fuse(&self, query: &Query, vector: &[f32], top: usize) -> Vec<Fused> {
        let Some(sem) = &self.semantic else {
            return Vec::new();
        };
        let n = self.articles.len();
        let lexical = self.rank(query, n);
        // Per article: BM25 (0 when no term matched), best cosine and its section.
        let mut bm25 = vec![0f32; n];
        let mut ranked: Vec<Option<Ranked>> = vec![None; n];
        for r in lexical {
            bm25[r.article as usize] = r.score;
            ranked[r.article as usize] = Some(r);
        }
        let mut best = vec![(f32::MIN, None::<u32>); n];
        for (v, owner) in sem.vectors.iter().zip(&sem.owners) {
            let c = cosine(vector, v);
            let slot = &mut best[owner.article as usize];
            if c > slot.0 {
                *slot = (c, owner.section.or(slot.1));
            }
        }
        let candidates = &sem.candidates[lang_index(query.lang)];
        let zl = z_scores(candidates.iter().map(|&a| bm25[a]));
        let zs = z_scores(candidates.iter().map(|&a| best[a].0));
        let mut fused: Vec<Fused> = candidates
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let ranked = ranked[a].unwrap_or(Ranked {
                    article: a as u32,
                    section: best[a]
                        .1
                        .unwrap_or(self.first_section.get(a).copied().unwrap_or(0)),
                    score: 0.0,
                    matched: 0,
                });
                let cosine = best[a].0;
                Fused {
                    answer: cosine + COVERAGE_WEIGHT * query.confidence(&ranked),
                    ranked,
                    score: zl[i] + COSINE_WEIGHT * zs[i],
                }
            })
            .collect();
        fused.sort_unstable_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then(x.ranked.article.cmp(&y.ranked.article))
        });
        fused.truncate(top);
        fused
    }

    /// True when article `a` is in `lang`, or in another language with no version in
    /// `lang` (`<topic>-en` / `<topic>-ko`).
    fn in_language(&self, a: usize, lang: Lang) -> bool {
        let article = &self.articles[a];
        if article.locale == lang {
            return true;
        }
        let twin = article
            .id
            .strip_suffix(&format!("-{}", article.locale.as_str()))
            .map(|topic| format!("{topic}-{}", lang.as_str()));
        twin.is_none_or(|id| self.article(&id).is_none_or(|t| t.locale != lang))
    }
}

/// `(x − mean) / sd` of every value; all 0 when they do not vary.
fn z_scores(values: impl Iterator<Item = f32>) -> Vec<f32> {
    let values: Vec<f32> = values.collect();
    let n = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let sd = var.sqrt();
    if sd < 1e-6 {
        return vec![0.0; values.len()];
    }
    values.iter().map(|v| (v - mean) / sd).collect()
}

/// The `q` quantile of sorted values (nearest rank); `f32::MIN` for none.
fn quantile(sorted: &[f32], q: f32) -> f32 {
    if sorted.is_empty() {
        return f32::MIN;
    }
    let i = ((sorted.len() - 1) as f32 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// An article's Markdown as the words a reader sees: headings and text, no fences.
fn plain(markdown: &str) -> String {
    let mut out = String::new();
    for (_, line) in markdown::lines(markdown) {
        let text = match line {
            Line::Heading { text, .. } | Line::Text(text) => text,
            Line::Code(_) | Line::Blank | Line::Fence => continue,
        };
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(text);
    }
    out
}

impl std::fmt::Debug for Semantic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semantic")
            .field("model", &self.embedder.name())
            .field("vectors", &self.vectors.len())
            .field("bars", &self.bars)
            .finish()
    }
}
