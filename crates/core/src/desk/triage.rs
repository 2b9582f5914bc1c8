//! Triage: the questions a queue asks before its ticket opens, and reading the
//! person's answer to one: a button, the option's number or label, or its words inside
//! a sentence ("it's about billing").

use crate::adapter::{Choice, Content};
use crate::text::Lang;

/// Words in English and Korean: what an admin writes once per language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Localized {
    /// English.
    pub en: String,
    /// Korean; English is shown where it is empty.
    pub ko: String,
}

impl Localized {
    /// The words in `lang`, or in the other language where there are none in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        let (wanted, other) = match lang {
            Lang::Ko => (&self.ko, &self.en),
            Lang::En => (&self.en, &self.ko),
        };
        if wanted.trim().is_empty() {
            other
        } else {
            wanted
        }
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        [self.en.as_str(), self.ko.as_str()]
            .into_iter()
            .filter(|s| !s.trim().is_empty())
    }
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriageOption {
    /// Stored as the answer, and named by routes (`question_type.billing`).
    pub id: String,
    /// What the person sees.
    pub label: Localized,
}

/// What a question takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionKind {
    /// One of the options.
    Choice(Vec<TriageOption>),
    /// The words the person types.
    Text,
}

/// A triage question, defined once and listed by queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The question's id: queues list it, the card and the store name it.
    pub id: String,
    /// Choice or text.
    pub kind: QuestionKind,
    /// An optional question can be skipped ("skip", "건너뛰기").
    pub required: bool,
    /// What the bot asks.
    pub prompt: Localized,
}

/// The id of the question whose answer sets the ticket's priority.
pub const PRIORITY_QUESTION: &str = "business_impact";
/// The id of the question whose answer is the ticket's subject.
pub const SUBJECT_QUESTION: &str = "subject";

/// The value of the Skip button.
pub const SKIP: &str = "skip";

/// What the person's reply to a question says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// An answer: the option's id (or the words typed), and how the card shows it.
    Answer {
        /// Stored as the answer.
        answer: String,
        /// The card's words for it.
        shown: String,
    },
    /// "skip".
    Skip,
    /// "cancel": back to the bot.
    Cancel,
    /// Fits no option: ask again.
    Unclear,
}

impl Question {
    /// The buttons under the question: its options, then Skip when it is optional.
    pub fn choices(&self, lang: Lang, skip_label: &str) -> Vec<Choice> {
        let mut choices: Vec<Choice> = match &self.kind {
            QuestionKind::Choice(options) => options
                .iter()
                .map(|o| Choice {
                    value: format!("triage:{}:{}", self.id, o.id),
                    label: o.label.get(lang).to_string(),
                })
                .collect(),
            QuestionKind::Text => Vec::new(),
        };
        if !self.required {
            choices.push(Choice {
                value: SKIP.into(),
                label: skip_label.into(),
            });
        }
        choices
    }

    /// The option with this id.
    pub fn option(&self, id: &str) -> Option<&TriageOption> {
        match &self.kind {
            QuestionKind::Choice(options) => options.iter().find(|o| o.id == id),
            QuestionKind::Text => None,
        }
    }

    /// Reads the person's reply to this question.
    pub fn read(&self, content: &Content) -> Reply {
        let text = match content {
            Content::Choice(v) if v == SKIP => return Reply::Skip,
            Content::Choice(v) => {
                let picked = v
                    .strip_prefix("triage:")
                    .and_then(|rest| rest.split_once(':'))
                    .filter(|(q, _)| *q == self.id)
                    .and_then(|(_, o)| self.option(o));
                return match picked {
                    Some(o) => self.answer(o),
                    None => Reply::Unclear,
                };
            }
            Content::Text(t) => t.trim(),
            _ => return Reply::Unclear,
        };
        if is_cancel(text) {
            return Reply::Cancel;
        }
        if is_skip(text) {
            return Reply::Skip;
        }
        match &self.kind {
            QuestionKind::Text if text.is_empty() => Reply::Unclear,
            QuestionKind::Text => Reply::Answer {
                answer: text.to_string(),
                shown: text.to_string(),
            },
            QuestionKind::Choice(options) => match pick_option(options, text) {
                Some(o) => self.answer(o),
                None if !self.required && number(text) == Some(options.len() + 1) => Reply::Skip,
                None => Reply::Unclear,
            },
        }
    }

    fn answer(&self, option: &TriageOption) -> Reply {
        Reply::Answer {
            answer: option.id.clone(),
            shown: option.label.en.clone(),
        }
    }
}

/// The option a typed reply names: its number, its label or id, or the only option
/// whose words appear in the sentence.
fn pick_option<'a>(options: &'a [TriageOption], text: &str) -> Option<&'a TriageOption> {
    if let Some(n) = number(text) {
        return options.get(n.checked_sub(1)?);
    }
    let said = normalise(text);
    let names = |o: &'a TriageOption| {
        o.label
            .all()
            .map(normalise)
            .chain([normalise(&o.id.replace('_', " "))])
            .collect::<Vec<_>>()
    };
    if let Some(o) = options.iter().find(|o| names(o).contains(&said)) {
        return Some(o);
    }
    let mut inside = options
        .iter()
        .filter(|o| names(o).iter().any(|name| contains_words(&said, name)));
    match (inside.next(), inside.next()) {
        (Some(o), None) => Some(o),
        _ => None,
    }
}

/// "2", "2.", "2)", "#2".
fn number(text: &str) -> Option<usize> {
    text.trim()
        .trim_start_matches('#')
        .trim_end_matches(['.', ')'])
        .parse()
        .ok()
}

fn normalise(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `name` appears in `said` as whole words; in Korean, where particles cling to the
/// word, a word starting with it counts ("결제요", "결제 관련").
fn contains_words(said: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let words: Vec<&str> = said.split(' ').collect();
    let name_words: Vec<&str> = name.split(' ').collect();
    let hangul = |w: &str| w.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
    words.windows(name_words.len()).any(|window| {
        window
            .iter()
            .zip(&name_words)
            .enumerate()
            .all(|(i, (w, n))| {
                let last = i + 1 == name_words.len();
                *w == *n || (last && hangul(n) && w.starts_with(n))
            })
    })
}

pub(crate) fn said_only(text: &str, words: &[&str]) -> bool {
    let said = normalise(text);
    words.iter().any(|w| said == *w)
}

/// "skip", "건너뛰기".
pub fn is_skip(text: &str) -> bool {
    said_only(
        text,
        &["skip", "pass", "건너뛰기", "건너뛸게요", "넘어가기", "스킵"],
    )
}

/// "cancel", "취소".
pub fn is_cancel(text: &str) -> bool {
    said_only(text, &["cancel", "stop", "never mind", "취소", "그만"])
}

/// "no", "nope", "아니요", "아니": after an answer, "No, I still need help".
pub fn is_no(text: &str) -> bool {
    said_only(
        text,
        &[
            "no",
            "nope",
            "no thanks",
            "not really",
            "아니요",
            "아니",
            "아뇨",
            "아니오",
        ],
    )
}

/// "new ticket", "새 티켓": open another ticket, even with one open.
pub fn is_new_ticket(text: &str) -> bool {
    said_only(
        text,
        &["new ticket", "open a new ticket", "새 티켓", "새 티켓 열기"],
    )
}

/// "more", "더 보기": the next page of a list.
pub fn is_more(text: &str) -> bool {
    said_only(text, &["more", "next", "더 보기", "더보기", "다음"])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(en: &str, ko: &str) -> Localized {
        Localized {
            en: en.into(),
            ko: ko.into(),
        }
    }

    fn question_type() -> Question {
        let option = |id: &str, en: &str, ko: &str| TriageOption {
            id: id.into(),
            label: words(en, ko),
        };
        Question {
            id: "question_type".into(),
            kind: QuestionKind::Choice(vec![
                option("technical", "Technical problem", "기술 문제"),
                option("billing", "Billing", "결제"),
                option("account", "Account access", "계정 접근"),
            ]),
            required: false,
            prompt: words("What is it about?", "어떤 문의인가요?"),
        }
    }

    fn typed(text: &str) -> Content {
        Content::Text(text.into())
    }

    fn answer(id: &str, shown: &str) -> Reply {
        Reply::Answer {
            answer: id.into(),
            shown: shown.into(),
        }
    }

    #[test]
    fn a_number_a_label_or_the_words_in_a_sentence() {
        let q = question_type();
        let billing = answer("billing", "Billing");
        for text in [
            "2",
            "2.",
            "billing",
            "BILLING",
            "it's about billing",
            "결제",
            "결제요",
            "결제 관련이에요",
        ] {
            assert_eq!(q.read(&typed(text)), billing, "{text:?}");
        }
        assert_eq!(
            q.read(&typed("I can't get into my account access page")),
            answer("account", "Account access")
        );
        assert_eq!(
            q.read(&Content::Choice("triage:question_type:technical".into())),
            answer("technical", "Technical problem")
        );
    }

    #[test]
    fn what_fits_no_option_or_several_is_unclear() {
        let q = question_type();
        for text in [
            "5",
            "0",
            "purple",
            "billing or a technical problem",
            "",
            "bill",
        ] {
            assert_eq!(q.read(&typed(text)), Reply::Unclear, "{text:?}");
        }
        // A button of another question.
        assert_eq!(
            q.read(&Content::Choice("triage:product_area:web".into())),
            Reply::Unclear
        );
    }

    #[test]
    fn skip_and_cancel() {
        let q = question_type();
        for text in ["skip", "Skip.", "건너뛰기", "4"] {
            assert_eq!(q.read(&typed(text)), Reply::Skip, "{text:?}");
        }
        assert_eq!(q.read(&Content::Choice(SKIP.into())), Reply::Skip);
        for text in ["cancel", "취소", "Cancel!"] {
            assert_eq!(q.read(&typed(text)), Reply::Cancel, "{text:?}");
        }
        let required = Question {
            required: true,
            ..question_type()
        };
        assert_eq!(required.read(&typed("4")), Reply::Unclear);
        assert_eq!(required.choices(Lang::En, "Skip").len(), 3);
        assert_eq!(
            question_type().choices(Lang::Ko, "건너뛰기")[3].label,
            "건너뛰기"
        );
    }

    #[test]
    fn a_text_question_takes_the_words() {
        let q = Question {
            id: "subject".into(),
            kind: QuestionKind::Text,
            required: true,
            prompt: words("In a line, what is the problem?", "한 줄로 설명해 주세요."),
        };
        assert_eq!(
            q.read(&typed("  Invoice shows the wrong company ")),
            answer(
                "Invoice shows the wrong company",
                "Invoice shows the wrong company"
            )
        );
        assert_eq!(q.read(&typed("  ")), Reply::Unclear);
        assert!(q.choices(Lang::En, "Skip").is_empty());
    }

    #[test]
    fn words_people_say() {
        assert!(is_no("No") && is_no("nope") && is_no("아니요") && is_no("아니"));
        assert!(!is_no("no, the invoice is wrong"));
        assert!(is_new_ticket("New ticket") && is_new_ticket("새 티켓"));
        assert!(is_more("more") && is_more("더 보기"));
    }
}
