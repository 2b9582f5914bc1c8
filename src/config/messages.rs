//! `[messages.en]`, `[messages.ko]`: the bot's sentences replaced by key.
//!
//! ```toml
//! [messages.ko]
//! ticket_opened = "{queue} 팀에 티켓 #{number|을} 접수했어요. 곧 답변드릴게요."
//! ```
//!
//! The keys, and the `{values}` each sentence has, are those of `messages/<lang>.toml`
//! in relaydesk's source; `{value|을}` fits a Korean particle to the value.

use std::collections::BTreeMap;

use relaydesk_core::i18n;
use relaydesk_core::text::Lang;
use serde::{Deserialize, Serialize};

/// Replacement sentences: language (`en`, `ko`) → key → template.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Messages(pub BTreeMap<String, BTreeMap<String, String>>);

impl Messages {
    /// No sentence is replaced.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(BTreeMap::is_empty)
    }

    /// Every problem, one sentence each naming `messages.<lang>.<key>`: a language
    /// relaydesk does not speak, a key that is not a message, a `{value}` the message
    /// lacks, an unbalanced brace, a particle that is not one. Empty when valid.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (tag, overrides) in &self.0 {
            match Lang::parse(tag) {
                Some(lang) => problems.extend(i18n::check_overrides(lang, overrides)),
                None => problems.push(format!(
                    "messages.{tag}: relaydesk has no language `{tag}`; its languages are {}",
                    Lang::ALL.map(Lang::as_str).join(" and ")
                )),
            }
        }
        problems
    }

    /// Checks the sentences, then makes them the process's (once, at start-up, before
    /// the first message is written). On error nothing changes and every problem is
    /// named, as by [`Messages::check`]; also when the sentences are already in use.
    pub fn install(&self) -> Result<(), Vec<String>> {
        let problems = self.check();
        if !problems.is_empty() {
            return Err(problems);
        }
        let by_lang = self
            .0
            .iter()
            .filter_map(|(tag, overrides)| Some((Lang::parse(tag)?, overrides.clone())))
            .collect();
        i18n::install_overrides(&by_lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct File {
        #[serde(default)]
        messages: Messages,
    }

    fn parse(text: &str) -> Messages {
        toml::from_str::<File>(text).unwrap().messages
    }

    #[test]
    fn reads_a_table_per_language() {
        let m = parse(
            "[messages.en]\nticket_opened = \"Ticket #{number} is open.\"\n\n\
             [messages.ko]\nsolved = \"티켓 #{number|이} 해결되었어요.\"\n",
        );
        assert_eq!(m.0["en"]["ticket_opened"], "Ticket #{number} is open.");
        assert_eq!(m.0["ko"]["solved"], "티켓 #{number|이} 해결되었어요.");
        assert!(!m.is_empty());
        assert_eq!(m.check(), Vec::<String>::new());
        assert!(parse("").is_empty());
        assert!(parse("").check().is_empty());
    }

    #[test]
    fn a_sentence_must_be_text() {
        let err = toml::from_str::<File>("[messages.en]\nsolved = 3\n").unwrap_err();
        assert!(err.to_string().contains("solved"), "{err}");
    }

    #[test]
    fn names_every_problem_by_key() {
        let m = parse(
            "[messages.fr]\nsolved = \"Résolu\"\n\n\
             [messages.en]\nticket_opend = \"x\"\nsolved = \"Ticket #{number solved\"\n\n\
             [messages.ko]\nsolved = \"티켓 #{number|의} {agent}\"\n",
        );
        let problems = m.check();
        assert_eq!(problems.len(), 5, "{problems:#?}");
        assert!(problems[0].starts_with("messages.en.solved: the `{` at character 9"));
        assert!(problems[1].starts_with("messages.en.ticket_opend: "));
        assert!(problems[1].contains("`ticket_opened`"));
        assert_eq!(
            problems[2],
            "messages.fr: relaydesk has no language `fr`; its languages are en and ko"
        );
        assert!(problems[3].starts_with("messages.ko.solved: `{number|의}`"));
        assert!(problems[4].starts_with("messages.ko.solved: `{agent}` is not a value"));
        assert!(problems[4].ends_with("it has {number}"));
    }

    #[test]
    fn install_refuses_what_check_refuses() {
        let m = parse("[messages.de]\nsolved = \"Gelöst\"\n");
        let problems = m.install().unwrap_err();
        assert_eq!(problems, m.check());
    }
}
