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

/// A typed reply that picks one of the offered choices: its number or its label.
pub fn pick_choice(offered: &[Choice], text: &str) -> Option<String> {
    let text = text.trim().trim_end_matches(['.', ')']);
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
        let ko = feedback_choices(Lang::Ko);
        assert_eq!(pick_choice(&ko, "상담사 연결").as_deref(), Some(AGENT));
    }
}
