//! Choices the bot offers, and picking one from what the person typed.

use crate::adapter::Choice;
use crate::i18n;
use crate::text::Lang;

/// "Yes, that helped", under a help-center answer.
pub const HELPED: &str = "helped";
/// "No, I still need help": a handoff to the first queue.
pub const MORE_HELP: &str = "more_help";
/// "Talk to an agent": a handoff to the first queue.
pub const AGENT: &str = "agent";
/// "Contact support", from a panel (Discord): needs no offer, and hands off to the
/// first queue.
pub const CONTACT: &str = "contact";
/// The ticket card's Claim button.
pub const CLAIM: &str = "claim";
/// The ticket card's Close button.
pub const CLOSE: &str = "close";
/// The ticket card's Reopen button.
pub const REOPEN: &str = "reopen";

/// "Skip" under the request for a comment after a rating.
pub const SKIP_COMMENT: &str = "skip_comment";
/// Prefix of a rating, `rate:1` to `rate:5`.
pub const RATE: &str = "rate:";
/// Prefix of "Continue #N", `continue:<number>`.
pub const CONTINUE: &str = "continue:";
/// Prefix of "New ticket", `new_ticket:<queue index>`.
pub const NEW_TICKET: &str = "new_ticket:";
/// Prefix of a ticket picked from the history, `ticket:<number>`.
pub const TICKET: &str = "ticket:";
/// Prefix of the history's next page, `more:<page>`.
pub const MORE: &str = "more:";
/// Prefix of "Open a new ticket about this", under a closed ticket: `follow_up:<number>`.
pub const FOLLOW_UP: &str = "follow_up:";

/// The choices that say how a help-center answer went.
pub const FEEDBACK: [&str; 3] = [HELPED, MORE_HELP, AGENT];

/// The choices under a help-center answer.
pub fn feedback_choices(lang: Lang) -> Vec<Choice> {
    FEEDBACK
        .into_iter()
        .zip(i18n::catalogue(lang).feedback_labels())
        .map(|(value, label)| Choice {
            value: value.into(),
            label: label.into(),
        })
        .collect()
}

/// A choice with this value and label.
pub fn choice(value: impl Into<String>, label: impl Into<String>) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
    }
}

/// What a message picks among the choices offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// A button offered, or a typed reply that names one: its value.
    Value(String),
    /// Nothing: words of their own.
    Nothing,
    /// A button that is not offered (any more): under an old or someone else's question.
    Stale(String),
}

/// What the person picked: a button among those offered, or a typed reply that picks
/// one.
pub fn picked(offered: &[Choice], content: &crate::adapter::Content) -> Pick {
    use crate::adapter::Content;
    match content {
        Content::Choice(v) if offered.iter().any(|c| c.value == *v) => Pick::Value(v.clone()),
        Content::Choice(v) => Pick::Stale(v.clone()),
        Content::Text(text) => pick_choice(offered, text).map_or(Pick::Nothing, Pick::Value),
        _ => Pick::Nothing,
    }
}

/// A typed reply that picks one of the offered choices: its number, its label, or
/// `#N` for the ticket choice `ticket:N`; "no" picks "No, I still need help".
pub fn pick_choice(offered: &[Choice], text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches(['.', ')', '!']);
    if let Some(number) = text.strip_prefix('#') {
        // Under a list of tickets, any of theirs by number, listed on this page or not.
        let number: i64 = number.trim().parse().ok()?;
        let listing = offered.iter().any(|c| c.value.starts_with(TICKET));
        return listing.then(|| format!("{TICKET}{number}"));
    }
    if crate::desk::triage::is_no(text) && offered.iter().any(|c| c.value == MORE_HELP) {
        return Some(MORE_HELP.into());
    }
    if let Ok(n) = text.parse::<usize>() {
        return offered.get(n.checked_sub(1)?).map(|c| c.value.clone());
    }
    offered
        .iter()
        .find(|c| c.label.eq_ignore_ascii_case(text))
        .map(|c| c.value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_or_a_label_picks() {
        let offered = feedback_choices(Lang::En);
        assert_eq!(pick_choice(&offered, "2").as_deref(), Some(MORE_HELP));
        assert_eq!(pick_choice(&offered, " 3) ").as_deref(), Some(AGENT));
        assert_eq!(pick_choice(&offered, "1.").as_deref(), Some(HELPED));
        assert_eq!(
            pick_choice(&offered, "yes, THAT helped").as_deref(),
            Some(HELPED)
        );
        assert_eq!(pick_choice(&offered, "0"), None);
        assert_eq!(pick_choice(&offered, "4"), None);
        assert_eq!(pick_choice(&offered, "how do I pay"), None);
        assert_eq!(pick_choice(&[], "1"), None);
        assert_eq!(pick_choice(&offered, "nope").as_deref(), Some(MORE_HELP));
        assert_eq!(pick_choice(&offered, "아니요").as_deref(), Some(MORE_HELP));
        let tickets = [choice("ticket:12", "#12 Invoice"), choice("more:2", "More")];
        assert_eq!(pick_choice(&tickets, "#12").as_deref(), Some("ticket:12"));
        assert_eq!(pick_choice(&tickets, "#13").as_deref(), Some("ticket:13"));
        assert_eq!(
            pick_choice(&offered, "#13"),
            None,
            "not under a list of tickets"
        );
        assert_eq!(pick_choice(&tickets, "more").as_deref(), Some("more:2"));
        let ko = feedback_choices(Lang::Ko);
        assert_eq!(pick_choice(&ko, "상담사 연결").as_deref(), Some(AGENT));
    }
}
