//! What an agent's message in a ticket thread asks for.

use crate::adapter::Content;
use crate::desk::choice::{CLAIM, CLOSE, REOPEN};
use crate::types::Millis;

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
    /// `!transfer <queue>`: the ticket moves to another queue.
    Transfer(&'a str),
    /// `!snippet <name>`: a saved reply, in the person's language.
    Snippet(&'a str),
    /// `!article <id>`: a help-center article sent to the person; the ticket's question
    /// becomes a phrasing of it.
    Article(&'a str),
    /// `!priority <low|normal|high|critical>`; the words as typed.
    Priority(&'a str),
    /// `!block [duration]`: the person may not open tickets, for `duration` (`7d`,
    /// `12h`, `30m`, `2w`) or until unblocked; the words after `!block` as typed.
    Block(&'a str),
    /// `!unblock`.
    Unblock,
    /// `!help`, or a button relaydesk did not offer.
    Help,
    /// A `!command` relaydesk does not know: answered with the list, never relayed.
    Unknown(&'a str),
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
            "transfer" | "move" => AgentCommand::Transfer(rest),
            "snippet" | "s" => AgentCommand::Snippet(rest),
            "article" => AgentCommand::Article(rest),
            "priority" | "p" => AgentCommand::Priority(rest),
            "block" => AgentCommand::Block(rest),
            "unblock" => AgentCommand::Unblock,
            "help" | "commands" => AgentCommand::Help,
            _ => AgentCommand::Unknown(word),
        }
    }
}

/// A span of time as agents type it: `30m`, `12h`, `7d`, `2w`; `None` when it is not one.
pub fn parse_duration(text: &str) -> Option<Millis> {
    let text = text.trim().to_lowercase();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit: i64 = match unit.trim() {
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 24 * 3600,
        "w" | "week" | "weeks" => 7 * 24 * 3600,
        _ => return None,
    };
    n.checked_mul(unit)?.checked_mul(1000)
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
            ("!frobnicate", Unknown("frobnicate")),
            ("!help", Help),
            ("!transfer billing", Transfer("billing")),
            ("!snippet refund", Snippet("refund")),
            ("!article reset-password ", Article("reset-password")),
            ("!Article", Article("")),
            ("!priority HIGH", Priority("HIGH")),
            ("!block 7d", Block("7d")),
            ("!block", Block("")),
            ("!unblock", Unblock),
            ("Hi! Looking into it.", Reply("Hi! Looking into it.")),
            ("", Reply("")),
        ];
        for (text, want) in cases {
            assert_eq!(AgentCommand::parse_text(text), want, "{text:?}");
        }
    }

    #[test]
    fn durations() {
        use super::parse_duration;
        let hour = 3600 * 1000;
        assert_eq!(parse_duration("12h"), Some(12 * hour));
        assert_eq!(parse_duration("7d"), Some(7 * 24 * hour));
        assert_eq!(parse_duration("2 weeks"), Some(14 * 24 * hour));
        assert_eq!(parse_duration("30m"), Some(hour / 2));
        for bad in ["", "d", "0d", "7", "7y", "-1d", "99999999999999999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
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
