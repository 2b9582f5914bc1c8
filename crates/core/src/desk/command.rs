//! What an agent's message in a ticket thread asks for.

use crate::adapter::Content;
use crate::desk::choice::{CLAIM, CLOSE, REOPEN};

/// An agent's message, read as a command or a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentCommand<'a> {
    /// `!note <text>` or a line starting with `//`: stored, never relayed.
    Note(&'a str),
    /// `!claim` or the Claim button.
    Claim,
    /// `!close [reason]` or the Close button.
    Close(Option<&'a str>),
    /// `!solve`.
    Solve,
    /// `!reopen` or the Reopen button.
    Reopen,
    /// A command relaydesk does not know, or a button it did not offer.
    Help,
    /// Anything else: words for the person.
    Reply(&'a str),
}

impl<'a> AgentCommand<'a> {
    /// Reads an agent's message.
    pub fn parse(content: &'a Content) -> AgentCommand<'a> {
        match content {
            Content::Choice(v) if v == CLAIM => AgentCommand::Claim,
            Content::Choice(v) if v == CLOSE => AgentCommand::Close(None),
            Content::Choice(v) if v == REOPEN => AgentCommand::Reopen,
            Content::Text(t) => AgentCommand::parse_text(t),
            _ => AgentCommand::Help,
        }
    }

    /// Reads an agent's typed text.
    pub fn parse_text(text: &'a str) -> AgentCommand<'a> {
        let text = text.trim();
        if let Some(note) = text.strip_prefix("//") {
            return AgentCommand::Note(note.trim());
        }
        let Some(command) = text.strip_prefix('!') else {
            return AgentCommand::Reply(text);
        };
        let (word, rest) = command
            .split_once(char::is_whitespace)
            .unwrap_or((command, ""));
        let rest = rest.trim();
        match word.to_lowercase().as_str() {
            "note" => AgentCommand::Note(rest),
            "claim" => AgentCommand::Claim,
            "close" => AgentCommand::Close((!rest.is_empty()).then_some(rest)),
            "solve" | "solved" => AgentCommand::Solve,
            "reopen" => AgentCommand::Reopen,
            _ => AgentCommand::Help,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AgentCommand::{self, *};
    use crate::adapter::Content;

    #[test]
    fn commands_notes_and_replies() {
        let cases = [
            ("!claim", Claim),
            ("  !CLAIM  ", Claim),
            ("!close", Close(None)),
            ("!close  duplicate of #3 ", Close(Some("duplicate of #3"))),
            ("!solve", Solve),
            ("!solved", Solve),
            ("!reopen", Reopen),
            ("!note checked the logs", Note("checked the logs")),
            ("// internal", Note("internal")),
            ("!frobnicate", Help),
            ("Hi! Looking into it.", Reply("Hi! Looking into it.")),
            ("", Reply("")),
        ];
        for (text, want) in cases {
            assert_eq!(AgentCommand::parse_text(text), want, "{text:?}");
        }
    }

    #[test]
    fn buttons() {
        let choice = |v: &str| Content::Choice(v.into());
        assert_eq!(AgentCommand::parse(&choice("claim")), Claim);
        assert_eq!(AgentCommand::parse(&choice("close")), Close(None));
        assert_eq!(AgentCommand::parse(&choice("reopen")), Reopen);
        assert_eq!(AgentCommand::parse(&choice("helped")), Help);
        assert_eq!(AgentCommand::parse(&Content::History), Help);
    }
}
