//! The help desk's keys: `[[question]]`, each queue's `triage`, `route` and hours, and
//! `[snippets]`; their checks (every problem named with its key) and the engine's
//! types built from them.

use std::collections::BTreeMap;

use relaydesk_core::desk::triage::{Localized, Question, QuestionKind, TriageOption};
use relaydesk_core::desk::BusinessHours;
use relaydesk_core::engine::Route;
use serde::{Deserialize, Serialize};

use super::QueueConfig;

/// Words in English and Korean, as `{ en = "…", ko = "…" }`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Words {
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub ko: String,
}

impl Words {
    fn localized(&self) -> Localized {
        Localized {
            en: self.en.clone(),
            ko: self.ko.clone(),
        }
    }

    fn is_empty(&self) -> bool {
        self.en.trim().is_empty() && self.ko.trim().is_empty()
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKindConfig {
    #[default]
    Choice,
    Text,
}

/// `[[question]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionConfig {
    pub id: String,
    #[serde(default)]
    pub kind: QuestionKindConfig,
    /// Optional questions can be skipped ("skip", "건너뛰기").
    #[serde(default = "required_by_default")]
    pub required: bool,
    pub prompt: Words,
    #[serde(default)]
    pub options: Vec<OptionConfig>,
}

fn required_by_default() -> bool {
    true
}

/// One option of a choice question: `{ id = "low", en = "Low", ko = "낮음" }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionConfig {
    pub id: String,
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub ko: String,
}

/// Every problem with the desk's keys, each naming its key.
pub fn check(
    questions: &[QuestionConfig],
    queues: &[QueueConfig],
    snippets: &BTreeMap<String, Words>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let key = format!("question[{i}]");
        if q.id.trim().is_empty() {
            problems.push(format!("{key}.id is empty"));
        } else if questions[..i].iter().any(|other| other.id == q.id) {
            problems.push(format!(
                "{key}.id: the question id `{}` is used twice",
                q.id
            ));
        }
        if q.prompt.en.trim().is_empty() {
            problems.push(format!(
                "{key}.prompt.en is empty: every question needs English words"
            ));
        }
        match q.kind {
            QuestionKindConfig::Choice if q.options.is_empty() => problems.push(format!(
                "{key}.options: the choice question `{}` has no options (or set kind = \"text\")",
                q.id
            )),
            QuestionKindConfig::Text if !q.options.is_empty() => problems.push(format!(
                "{key}.options: the text question `{}` cannot have options (or set kind = \"choice\")",
                q.id
            )),
            _ => {}
        }
        for (j, o) in q.options.iter().enumerate() {
            if o.id.trim().is_empty() {
                problems.push(format!("{key}.options[{j}].id is empty"));
            } else if q.options[..j].iter().any(|other| other.id == o.id) {
                problems.push(format!("{key}.options[{j}].id: `{}` is used twice", o.id));
            }
            if o.en.trim().is_empty() {
                problems.push(format!("{key}.options[{j}].en is empty"));
            }
        }
    }
    let ids: Vec<&str> = questions.iter().map(|q| q.id.as_str()).collect();
    for (i, queue) in queues.iter().enumerate() {
        let key = format!("queue[{i}]");
        for (j, id) in queue.triage.iter().enumerate() {
            if !ids.contains(&id.as_str()) {
                problems.push(format!(
                    "{key}.triage[{j}] (queue `{}`): unknown question `{id}`; define it in a [[question]] (known: {})",
                    queue.name,
                    known(&ids)
                ));
            }
        }
        for (question, options) in &queue.route {
            let Some(q) = questions.iter().find(|q| &q.id == question) else {
                problems.push(format!(
                    "{key}.route.{question}: unknown question `{question}` (known: {})",
                    known(&ids)
                ));
                continue;
            };
            if !queue.triage.contains(question) {
                problems.push(format!(
                    "{key}.route.{question}: queue `{}` does not ask `{question}`; add it to its triage",
                    queue.name
                ));
            }
            for (option, to) in options {
                if !q.options.iter().any(|o| &o.id == option) {
                    let options: Vec<&str> = q.options.iter().map(|o| o.id.as_str()).collect();
                    problems.push(format!(
                        "{key}.route.{question}.{option}: question `{question}` has no option `{option}` (options: {})",
                        known(&options)
                    ));
                }
                if !queues.iter().any(|other| &other.name == to) {
                    let names: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
                    problems.push(format!(
                        "{key}.route.{question}.{option}: unknown queue `{to}` (queues: {})",
                        known(&names)
                    ));
                }
            }
        }
        match (&queue.business_hours, &queue.timezone) {
            (None, Some(_)) => problems.push(format!(
                "{key}.timezone: set business_hours too (e.g. \"mon-fri 09:00-18:00\"), or remove the key"
            )),
            (None, None) if !queue.holidays.is_empty() => problems.push(format!(
                "{key}.holidays: set business_hours too, or remove the key"
            )),
            (Some(_), _) => {
                if let Err(e) = hours(queue) {
                    use relaydesk_core::desk::HoursError;
                    problems.push(match &e {
                        HoursError::Hours(m) => format!("{key}.business_hours: {m}"),
                        HoursError::Timezone(m) => format!("{key}.timezone: {m}"),
                        HoursError::Holiday { index, message } => {
                            format!("{key}.holidays[{index}]: {message}")
                        }
                    });
                }
            }
            _ => {}
        }
    }
    for (name, words) in snippets {
        if words.is_empty() {
            problems.push(format!(
                "snippets.{name}: no words; write en = \"…\" and/or ko = \"…\""
            ));
        }
    }
    problems
}

fn known(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// The queue's business hours, when it has them.
pub fn hours(
    queue: &QueueConfig,
) -> Result<Option<BusinessHours>, relaydesk_core::desk::HoursError> {
    let Some(spec) = &queue.business_hours else {
        return Ok(None);
    };
    let zone = queue.timezone.as_deref().unwrap_or("UTC");
    BusinessHours::parse(spec, zone, &queue.holidays).map(Some)
}

/// The routes of a queue, as the engine takes them.
pub fn routes(queue: &QueueConfig) -> Vec<Route> {
    queue
        .route
        .iter()
        .flat_map(|(question, options)| {
            options.iter().map(move |(option, to)| Route {
                question: question.clone(),
                option: option.clone(),
                queue: to.clone(),
            })
        })
        .collect()
}

/// The questions, as the engine takes them.
pub fn questions(questions: &[QuestionConfig]) -> Vec<Question> {
    questions
        .iter()
        .map(|q| Question {
            id: q.id.clone(),
            kind: match q.kind {
                QuestionKindConfig::Text => QuestionKind::Text,
                QuestionKindConfig::Choice => QuestionKind::Choice(
                    q.options
                        .iter()
                        .map(|o| TriageOption {
                            id: o.id.clone(),
                            label: Localized {
                                en: o.en.clone(),
                                ko: o.ko.clone(),
                            },
                        })
                        .collect(),
                ),
            },
            required: q.required,
            prompt: q.prompt.localized(),
        })
        .collect()
}

/// The snippets, as the engine takes them.
pub fn snippets(snippets: &BTreeMap<String, Words>) -> BTreeMap<String, Localized> {
    snippets
        .iter()
        .map(|(name, words)| (name.clone(), words.localized()))
        .collect()
}
