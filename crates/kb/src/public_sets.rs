//! Public retrieval sets turned into help centers with their questions: KorQuAD 1.0 dev
//! (Korean; each paragraph is an article) and StackFAQ (English; each thread is an
//! article, its rephrasings are the questions). They are not part of the repository:
//! every function takes the folder that holds them ([`KORQUAD_FILE`], [`STACKFAQ_FILE`]).
//! `relaydesk kb eval-public <dir>` prints their figures; they also supply the
//! synthetic articles of the 1,000-article speed benchmark.

use crate::article::Article;
use crate::embed::Embedder;
use crate::eval::{rank_metrics, EvalQuestion, RankMetrics};
use crate::helpcenter::HelpCenter;
use crate::vectors::VectorCache;
use relaydesk_core::text::Lang;
use serde::Deserialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// File name of the KorQuAD 1.0 development set.
pub const KORQUAD_FILE: &str = "KorQuAD_v1.0_dev.json";
/// File name of the StackFAQ set.
pub const STACKFAQ_FILE: &str = "StackFAQ.json";

/// A public set as a help center plus its questions (each expects exactly one article).
#[derive(Debug)]
pub struct PublicSet {
    /// The articles, indexed with the default search settings.
    pub help_center: HelpCenter,
    /// The questions, numbered from 1 in `line`.
    pub questions: Vec<EvalQuestion>,
}

impl PublicSet {
    /// hit@1, hit@3 and MRR of the help center's search over all the questions.
    pub fn evaluate(&self) -> RankMetrics {
        rank_metrics(&self.help_center, &self.questions)
    }

    /// [`evaluate`](Self::evaluate), timed, with the set's size: one line of
    /// `relaydesk kb eval-public`.
    pub fn report(&self, set: &'static str) -> PublicSetReport {
        let start = Instant::now();
        let ranks = self.evaluate();
        let seconds = start.elapsed().as_secs_f64();
        let mean_us = if ranks.questions == 0 {
            0.0
        } else {
            seconds * 1e6 / ranks.questions as f64
        };
        PublicSetReport {
            set,
            articles: self.help_center.articles().len(),
            ranks,
            mean_query_us: (mean_us * 10.0).round() / 10.0,
            seconds: (seconds * 1e3).round() / 1e3,
        }
    }
}

/// The figures of one public set. Serialized flat: `set`, `articles`, `hit@1`, `hit@3`,
/// `mrr`, `questions`, `mean_query_us`, `seconds`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PublicSetReport {
    /// Which set: `korquad` or `stackfaq`.
    pub set: &'static str,
    /// Articles in its help center.
    pub articles: usize,
    /// Ranking over all its questions (`questions` counts them).
    #[serde(flatten)]
    pub ranks: RankMetrics,
    /// Mean time of one search (top 10), in microseconds.
    pub mean_query_us: f64,
    /// Time of all the searches, in seconds.
    pub seconds: f64,
}

/// Loads both sets from `dir` and reports each, KorQuAD first.
pub fn evaluate_dir(dir: &Path) -> Result<Vec<PublicSetReport>, PublicSetError> {
    evaluate_dir_with(dir, None)
}

/// [`evaluate_dir`], with the semantic stage of `model` (vectors through its cache)
/// when given.
pub fn evaluate_dir_with(
    dir: &Path,
    model: Option<(Arc<dyn Embedder>, &VectorCache)>,
) -> Result<Vec<PublicSetReport>, PublicSetError> {
    let prepare = |set: PublicSet| match &model {
        Some((embedder, cache)) => PublicSet {
            help_center: set.help_center.with_embedder(Arc::clone(embedder), cache),
            questions: set.questions,
        },
        None => set,
    };
    Ok(vec![
        prepare(korquad(&dir.join(KORQUAD_FILE))?).report("korquad"),
        prepare(stackfaq(&dir.join(STACKFAQ_FILE))?).report("stackfaq"),
    ])
}

/// A public data file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PublicSetError {
    /// The file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not in the expected format.
    #[error("{}: not the expected JSON: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Where the JSON did not match.
        #[source]
        source: serde_json::Error,
    },
}

#[derive(Deserialize)]
struct KorQuad {
    data: Vec<KorQuadEntry>,
}

#[derive(Deserialize)]
struct KorQuadEntry {
    title: String,
    paragraphs: Vec<KorQuadParagraph>,
}

#[derive(Deserialize)]
struct KorQuadParagraph {
    context: String,
    qas: Vec<KorQuadQuestion>,
}

#[derive(Deserialize)]
struct KorQuadQuestion {
    question: String,
}

#[derive(Deserialize)]
struct StackFaq {
    root: StackFaqRoot,
}

#[derive(Deserialize)]
struct StackFaqRoot {
    qapair: Vec<StackFaqThread>,
}

#[derive(Deserialize)]
struct StackFaqThread {
    question: String,
    #[serde(default)]
    answer: OneOrMany,
    /// Some entries are `null`.
    #[serde(default)]
    rephr: Vec<Option<String>>,
}

/// One thread of the set has a single answer string instead of a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<Option<String>>),
}

impl Default for OneOrMany {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v.into_iter().flatten().collect(),
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, PublicSetError> {
    let bytes = std::fs::read(path).map_err(|source| PublicSetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| PublicSetError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// KorQuAD paragraphs as Korean articles (`korquad-<n>`, titled with their entry's title
/// and their number within it) and all their questions.
pub fn korquad_articles(path: &Path) -> Result<(Vec<Article>, Vec<EvalQuestion>), PublicSetError> {
    let set: KorQuad = read_json(path)?;
    let mut articles = Vec::new();
    let mut questions = Vec::new();
    for entry in set.data {
        for (k, paragraph) in entry.paragraphs.into_iter().enumerate() {
            let id = format!("korquad-{}", articles.len());
            for qa in paragraph.qas {
                questions.push(EvalQuestion {
                    line: questions.len() + 1,
                    q: qa.question,
                    expect: vec![id.clone()],
                    kind: None,
                });
            }
            articles.push(Article {
                title: format!("{} ({})", entry.title, k + 1),
                locale: Lang::Ko,
                ..Article::new(id, "", paragraph.context)
            });
        }
    }
    Ok((articles, questions))
}

/// StackFAQ threads as English articles (`stackfaq-<n>`: the FAQ question as title, the
/// answers as sections) and the rephrasings that contain letters as questions.
pub fn stackfaq_articles(path: &Path) -> Result<(Vec<Article>, Vec<EvalQuestion>), PublicSetError> {
    stackfaq_parts(path, false)
}

/// StackFAQ threads, with each answer under its own `## Answer <k>` heading when
/// `sectioned`.
fn stackfaq_parts(
    path: &Path,
    sectioned: bool,
) -> Result<(Vec<Article>, Vec<EvalQuestion>), PublicSetError> {
    let set: StackFaq = read_json(path)?;
    let mut articles = Vec::new();
    let mut questions = Vec::new();
    for (n, thread) in set.root.qapair.into_iter().enumerate() {
        let id = format!("stackfaq-{n}");
        for q in thread.rephr.into_iter().flatten() {
            if q.chars().any(char::is_alphabetic) {
                questions.push(EvalQuestion {
                    line: questions.len() + 1,
                    q,
                    expect: vec![id.clone()],
                    kind: None,
                });
            }
        }
        let mut body = String::new();
        for (k, answer) in thread.answer.into_vec().into_iter().enumerate() {
            if sectioned {
                let _ = write!(body, "## Answer {}\n\n", k + 1);
            }
            for line in answer.lines() {
                // Shell comments and hashtags in answers are not headings.
                if line.trim_start().starts_with('#') {
                    body.push('\\');
                }
                body.push_str(line);
                body.push('\n');
            }
            body.push('\n');
        }
        articles.push(Article {
            locale: Lang::En,
            ..Article::new(id, thread.question, body)
        });
    }
    Ok((articles, questions))
}

/// KorQuAD dev as a help center with its 5,774 questions.
pub fn korquad(path: &Path) -> Result<PublicSet, PublicSetError> {
    let (articles, questions) = korquad_articles(path)?;
    Ok(PublicSet {
        help_center: HelpCenter::from_articles(articles),
        questions,
    })
}

/// StackFAQ as a help center with its rephrased questions.
pub fn stackfaq(path: &Path) -> Result<PublicSet, PublicSetError> {
    let (articles, questions) = stackfaq_articles(path)?;
    Ok(PublicSet {
        help_center: HelpCenter::from_articles(articles),
        questions,
    })
}

/// Writes `n` Markdown articles made from the public sets in `data_dir` into `dir` (in
/// `stackfaq/` and `korquad/` subfolders), for the speed benchmark, and returns `n`
/// (0 when the sets hold no article). All StackFAQ threads come first (English, one
/// section per answer), then KorQuAD paragraphs (Korean); past the articles available
/// (1,089 in the published sets), the same articles repeat under new ids.
pub fn write_benchmark_helpcenter(
    data_dir: &Path,
    dir: &Path,
    n: usize,
) -> Result<usize, PublicSetError> {
    let (mut articles, _) = stackfaq_parts(&data_dir.join(STACKFAQ_FILE), true)?;
    articles.extend(korquad_articles(&data_dir.join(KORQUAD_FILE))?.0);
    if articles.is_empty() {
        return Ok(0);
    }
    for sub in ["stackfaq", "korquad"] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path).map_err(|source| PublicSetError::Io { path, source })?;
    }
    for i in 0..n {
        let article = &articles[i % articles.len()];
        let round = i / articles.len();
        let id = if round == 0 {
            article.id.clone()
        } else {
            format!("{}-r{round}", article.id)
        };
        let sub = if article.id.starts_with("stackfaq") {
            "stackfaq"
        } else {
            "korquad"
        };
        let path = dir.join(sub).join(format!("{id}.md"));
        let text = format!(
            "---\nid: {id}\ntitle: {}\nlocale: {}\ntags: [benchmark]\n---\n{}",
            quoted(&article.title),
            article.locale.as_str(),
            article.body
        );
        std::fs::write(&path, text).map_err(|source| PublicSetError::Io { path, source })?;
    }
    Ok(n)
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
