//! Measures a help center against a question file: one JSON object per line,
//! `{"q": "...", "expect": ["<article id>", ...]}`, where an empty `expect` means no
//! article answers the question and the bot should decline. A line may say its `kind`
//! (`"reworded"`, `"paraphrased"`, `"situation"`, `"off-topic"`, …); the figures are
//! then also given per kind.

use crate::helpcenter::HelpCenter;
use relaydesk_core::knowledge::{Knowledge, Lookup};
use relaydesk_core::text::detect_lang;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How deep the ranking is read for the reciprocal rank.
const MRR_DEPTH: usize = 10;

/// One evaluation question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalQuestion {
    /// Line number in the file (from 1), for messages.
    pub line: usize,
    /// The question as a person would type it.
    pub q: String,
    /// Ids of the articles that answer it; empty when none does.
    pub expect: Vec<String>,
    /// What sort of question it is, when the file says.
    pub kind: Option<String>,
}

#[derive(Deserialize)]
struct RawQuestion {
    q: String,
    expect: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
}

/// A question file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The question file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Some lines are not valid questions; every bad line is listed.
    #[error("{}: {} bad line(s): {}", path.display(), lines.len(),
        lines.iter().map(|(n, m)| format!("line {n}: {m}")).collect::<Vec<_>>().join("; "))]
    BadLines {
        /// The question file.
        path: PathBuf,
        /// Line number (from 1) and what is wrong with it.
        lines: Vec<(usize, String)>,
    },
}

/// The figures of one evaluation run. Rates over an empty set of questions are 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EvalReport {
    /// Answerable questions whose first search result is an expected article.
    #[serde(rename = "hit@1")]
    pub hit_at_1: f64,
    /// Answerable questions with an expected article among the first three results.
    #[serde(rename = "hit@3")]
    pub hit_at_3: f64,
    /// Mean reciprocal rank of the first expected article (within the top 10).
    pub mrr: f64,
    /// Answerable questions whose first result is in the question's language.
    pub lang_match: f64,
    /// Questions no article answers that the bot declined.
    pub decline_recall: f64,
    /// Answerable questions that the bot declined.
    pub false_decline: f64,
    /// Median time of one `lookup`, in microseconds.
    pub p50_us: f64,
    /// 99th percentile time of one `lookup`, in microseconds.
    pub p99_us: f64,
    /// Questions evaluated.
    pub questions: usize,
}

/// Ranking quality alone, over the answerable questions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RankMetrics {
    /// Share of questions whose first result is expected.
    #[serde(rename = "hit@1")]
    pub hit_at_1: f64,
    /// Share of questions with an expected result in the first three.
    #[serde(rename = "hit@3")]
    pub hit_at_3: f64,
    /// Mean reciprocal rank within the top 10.
    pub mrr: f64,
    /// Questions counted.
    pub questions: usize,
}

/// What happened to one question, for finding out why a figure is low.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionOutcome {
    /// The question.
    pub question: EvalQuestion,
    /// Ids of the first three search results.
    pub top: Vec<String>,
    /// Position (from 1, within the top 10) of the first expected article.
    pub rank: Option<usize>,
    /// Confidence of the first result.
    pub confidence: f32,
    /// True when `lookup` did not offer articles.
    pub declined: bool,
}

/// Reads and checks a question file.
pub fn read_questions(path: &Path) -> Result<Vec<EvalQuestion>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_questions(&text, path)
}

/// Parses question lines; `path` only names the file in errors. Blank lines are skipped.
pub fn parse_questions(text: &str, path: &Path) -> Result<Vec<EvalQuestion>, EvalError> {
    let mut questions = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<RawQuestion>(line) {
            Ok(raw) if raw.q.trim().is_empty() => bad.push((line_no, "empty question".to_string())),
            Ok(raw) => questions.push(EvalQuestion {
                line: line_no,
                q: raw.q,
                expect: raw.expect,
                kind: raw.kind,
            }),
            Err(e) => bad.push((line_no, e.to_string())),
        }
    }
    if bad.is_empty() {
        Ok(questions)
    } else {
        Err(EvalError::BadLines {
            path: path.to_path_buf(),
            lines: bad,
        })
    }
}

/// Expected ids that are not in the help center, with their line numbers: a typo there
/// would silently count as a miss.
pub fn unknown_ids(help_center: &HelpCenter, questions: &[EvalQuestion]) -> Vec<(usize, String)> {
    questions
        .iter()
        .flat_map(|q| q.expect.iter().map(move |id| (q.line, id)))
        .filter(|(_, id)| help_center.article(id).is_none())
        .map(|(line, id)| (line, id.clone()))
        .collect()
}

/// Runs every question through `search` (for the ranking figures) and through `lookup`
/// (for the decisions and the timings).
pub fn evaluate(help_center: &HelpCenter, questions: &[EvalQuestion]) -> EvalReport {
    let outcomes = outcomes(help_center, questions);
    let answerable: Vec<&QuestionOutcome> = outcomes
        .iter()
        .filter(|o| !o.question.expect.is_empty())
        .collect();
    let unanswerable = outcomes.len() - answerable.len();
    let ranks = rank_metrics_of(answerable.iter().map(|o| o.rank));
    let lang_match = answerable
        .iter()
        .filter(|o| {
            o.top
                .first()
                .and_then(|id| help_center.article(id))
                .map(|a| a.locale)
                == Some(detect_lang(&o.question.q))
        })
        .count();
    let declined_unanswerable = outcomes
        .iter()
        .filter(|o| o.question.expect.is_empty() && o.declined)
        .count();
    let false_declines = answerable.iter().filter(|o| o.declined).count();

    let mut micros: Vec<f64> = questions
        .iter()
        .map(|q| {
            let start = Instant::now();
            std::hint::black_box(help_center.lookup(std::hint::black_box(&q.q)));
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    micros.sort_unstable_by(f64::total_cmp);

    EvalReport {
        hit_at_1: ranks.hit_at_1,
        hit_at_3: ranks.hit_at_3,
        mrr: ranks.mrr,
        lang_match: ratio(lang_match, answerable.len()),
        decline_recall: ratio(declined_unanswerable, unanswerable),
        false_decline: ratio(false_declines, answerable.len()),
        p50_us: round1(percentile(&micros, 50.0)),
        p99_us: round1(percentile(&micros, 99.0)),
        questions: questions.len(),
    }
}

/// [`evaluate`] over the questions of each kind, in the order the kinds first appear;
/// empty when no question says its kind.
pub fn evaluate_kinds(
    help_center: &HelpCenter,
    questions: &[EvalQuestion],
) -> Vec<(String, EvalReport)> {
    let mut kinds: Vec<&str> = Vec::new();
    for kind in questions.iter().filter_map(|q| q.kind.as_deref()) {
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds
        .into_iter()
        .map(|kind| {
            let subset: Vec<EvalQuestion> = questions
                .iter()
                .filter(|q| q.kind.as_deref() == Some(kind))
                .cloned()
                .collect();
            (kind.to_string(), evaluate(help_center, &subset))
        })
        .collect()
}

/// hit@1, hit@3 and MRR of `search` over the answerable questions.
pub fn rank_metrics(help_center: &HelpCenter, questions: &[EvalQuestion]) -> RankMetrics {
    rank_metrics_of(
        questions
            .iter()
            .filter(|q| !q.expect.is_empty())
            .map(|q| rank_of(help_center, q)),
    )
}

/// Every question's top results, expected rank, confidence and decision.
pub fn outcomes(help_center: &HelpCenter, questions: &[EvalQuestion]) -> Vec<QuestionOutcome> {
    questions
        .iter()
        .map(|q| {
            let ranked = help_center.ranked(&q.q, MRR_DEPTH);
            let rank = ranked
                .iter()
                .position(|s| q.expect.contains(&s.hit.id))
                .map(|i| i + 1);
            QuestionOutcome {
                question: q.clone(),
                top: ranked.iter().take(3).map(|s| s.hit.id.clone()).collect(),
                rank,
                confidence: ranked.first().map_or(0.0, |s| s.confidence),
                declined: !matches!(help_center.lookup(&q.q), Lookup::Articles(_)),
            }
        })
        .collect()
}

fn rank_of(help_center: &HelpCenter, q: &EvalQuestion) -> Option<usize> {
    help_center
        .search(&q.q, MRR_DEPTH)
        .iter()
        .position(|h| q.expect.contains(&h.id))
        .map(|i| i + 1)
}

fn rank_metrics_of(ranks: impl Iterator<Item = Option<usize>>) -> RankMetrics {
    let (mut n, mut hit1, mut hit3, mut rr) = (0usize, 0usize, 0usize, 0f64);
    for rank in ranks {
        n += 1;
        if let Some(r) = rank {
            hit1 += usize::from(r == 1);
            hit3 += usize::from(r <= 3);
            rr += 1.0 / r as f64;
        }
    }
    RankMetrics {
        hit_at_1: ratio(hit1, n),
        hit_at_3: ratio(hit3, n),
        mrr: if n == 0 { 0.0 } else { round4(rr / n as f64) },
        questions: n,
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round4(part as f64 / whole as f64)
    }
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_reports_bad_ones() {
        let text = "{\"q\": \"how do I reset my password\", \"expect\": [\"reset\"]}\n\n{\"q\": \"weather\", \"expect\": []}\n";
        let qs = parse_questions(text, Path::new("e.jsonl")).unwrap();
        assert_eq!(qs.len(), 2);
        assert_eq!((qs[1].line, qs[1].expect.len()), (3, 0));

        let bad = "{\"q\": \"ok\", \"expect\": []}\nnot json\n{\"q\": \"\", \"expect\": []}\n{\"q\": \"x\"}\n";
        match parse_questions(bad, Path::new("e.jsonl")) {
            Err(EvalError::BadLines { lines, .. }) => {
                assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![2, 3, 4]);
            }
            other => panic!("expected bad lines, got {other:?}"),
        }
    }

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
    }

    #[test]
    fn report_keys() {
        let report = evaluate(&HelpCenter::default(), &[]);
        let json = serde_json::to_value(report).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "decline_recall",
                "false_decline",
                "hit@1",
                "hit@3",
                "lang_match",
                "mrr",
                "p50_us",
                "p99_us",
                "questions"
            ]
        );
    }
}
