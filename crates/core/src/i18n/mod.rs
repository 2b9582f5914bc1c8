//! Every sentence a person or an agent reads, one catalogue per language.
//!
//! The engine and the adapters never write a sentence inline: they ask the catalogue
//! of the reader's language. A new language is one more file implementing
//! [`Catalogue`]; the compiler names every sentence it still lacks.

mod en;
mod ko;

use crate::knowledge::ArticleHit;
use crate::text::Lang;
use crate::types::{Conversation, State};

/// The sentences of one language. Methods that take no argument return fixed text.
pub trait Catalogue: Sync {
    // ---- to the person ----

    /// The person's message had no text and no file.
    fn empty_message(&self) -> String;
    /// The question is too short to look up.
    fn too_short(&self) -> String;
    /// No help-center article fits the question.
    fn no_match(&self) -> String;
    /// Opens the help-center answer, before the articles.
    fn articles_intro(&self) -> &'static str;
    /// Closes the help-center answer, above the feedback choices.
    fn articles_question(&self) -> &'static str;
    /// The labels of the feedback choices: helped, more help, agent.
    fn feedback_labels(&self) -> [&'static str; 3];
    /// After "Yes, that helped".
    fn glad_it_helped(&self) -> String;
    /// The person's message could not reach the agents of ticket `number`.
    fn not_relayed(&self, number: i64) -> String;
    /// A ticket was opened in `queue`.
    fn ticket_opened(&self, number: i64, queue: &str) -> String;
    /// A handoff from a shared place goes on in a direct message.
    fn continue_in_private(&self, number: i64) -> String;
    /// `history` when the person has no conversation yet.
    fn no_history(&self) -> String;
    /// Heads the person's list of conversations.
    fn history_intro(&self) -> &'static str;
    /// One line of that list.
    fn history_line(&self, conversation: &Conversation, date: &str) -> String;
    /// A button press under someone else's (or an old) question.
    fn not_your_choice(&self) -> String;
    /// A handoff with no queue configured.
    fn no_queue(&self) -> String;
    /// An agent claimed the ticket.
    fn claimed(&self, agent: &str) -> String;
    /// An agent marked the ticket solved.
    fn solved(&self, number: i64) -> String;
    /// An agent closed the ticket, maybe saying why.
    fn closed(&self, number: i64, reason: Option<&str>) -> String;
    /// The ticket closed by itself, `days` after it was solved.
    fn closed_after_solved(&self, number: i64, days: &str) -> String;
    /// An agent reopened the ticket.
    fn reopened(&self, number: i64) -> String;
    /// A command typed in a shared place was answered in a direct message.
    fn answered_in_private(&self) -> &'static str;
    /// The platform could not take the person's request (the database is down).
    fn not_taken(&self) -> &'static str;
    /// The words of the "Contact support" panel (Discord).
    fn panel_text(&self) -> &'static str;
    /// The panel's button.
    fn panel_button(&self) -> &'static str;
    /// The `/support` command's description.
    fn command_description(&self) -> &'static str;
    /// The description of its `question` option.
    fn command_option(&self) -> &'static str;
    /// Heads article suggestions under a post in a public help channel or forum.
    fn suggestions_intro(&self) -> &'static str;
    /// The buttons under suggestions: solved, talk to an agent.
    fn suggestion_buttons(&self) -> [&'static str; 2];
    /// A press of a suggestion's button by someone other than the post's author.
    fn not_your_post(&self) -> &'static str;
    /// The word that stands for a changed message where the platform cannot edit.
    fn edited(&self, text: &str) -> String;
    /// Stands for a removed message where the platform cannot delete.
    fn deleted(&self) -> &'static str;

    /// A file copied over, under the name of whoever sent it.
    fn file_sent(&self, who: &str) -> String;
    /// A file too large to copy, linked instead.
    fn file_too_large(&self, who: Option<&str>, name: &str, mb: u64, url: &str) -> String;

    // ---- to the agents ----

    /// The agent commands, after a command relaydesk does not know.
    fn agent_help(&self) -> &'static str;
    /// The name relayed instead of the agent's, with `[relay] anonymous`.
    fn anonymous_agent(&self) -> &'static str;
    /// The person wrote to a solved ticket.
    fn person_reopened(&self) -> &'static str;
    /// A message to the person failed for good.
    fn delivery_failed(&self, error: &str) -> String;
    /// A ticket button pressed by someone who cannot see the agent channel.
    fn not_an_agent(&self) -> &'static str;
    /// The card line linking the public post the ticket came from.
    fn card_from_post(&self, link: &str) -> String;
    /// Messages to the person keep failing for now on `platform`; they wait.
    fn delivery_delayed(&self, platform: &str, error: &str) -> String;
    /// `!claim`.
    fn claimed_by(&self, agent: &str) -> String;
    /// `!claim` of a ticket someone else had.
    fn took_over(&self, agent: &str, number: i64, previous: &str) -> String;
    /// `!solve`.
    fn solved_by(&self, agent: &str) -> String;
    /// `!close [reason]`.
    fn closed_by(&self, agent: &str, reason: Option<&str>) -> String;
    /// The ticket closed by itself, `days` after it was solved.
    fn closed_by_timer(&self, days: &str) -> String;
    /// A command that the ticket's state does not allow.
    fn already(&self, number: i64, state: State) -> String;
    /// A reply to a closed ticket, kept as a note.
    fn kept_as_note(&self, number: i64) -> String;
    /// `!reopen` of an open ticket.
    fn open_already(&self, number: i64) -> String;
    /// `!reopen` when the person has started a newer conversation.
    fn newer_conversation(&self, id: i64) -> String;
    /// `!reopen`.
    fn reopened_by(&self, agent: &str) -> String;
    /// Heads the transcript posted under a new ticket's card.
    fn transcript_intro(&self) -> &'static str;
    /// The bot's name in a transcript.
    fn transcript_bot(&self) -> &'static str;

    // ---- the ticket card ----

    /// The card's first line.
    fn card_title(&self, number: i64, queue: &str) -> String;
    /// Who asked: name, platform and id, and how they are verified.
    fn card_from(&self, name: &str, platform: &str, id: &str, identity: &str) -> String;
    /// A verified email, and who vouches for it.
    fn card_verified(&self, email: &str, by: &str) -> String;
    /// No verified email.
    fn card_unverified(&self) -> &'static str;
    /// The person's language.
    fn card_language(&self, lang: &str) -> String;
    /// The ticket's priority.
    fn card_priority(&self, priority: &str) -> String;
    /// The conversation this ticket continues.
    fn card_continues(&self, previous: i64) -> String;
    /// How to work the ticket.
    fn card_hint(&self) -> &'static str;
    /// The card's status line in each state; `assignee` and `reason` where known.
    fn card_status(&self, state: State, assignee: Option<&str>, reason: Option<&str>) -> String;
    /// The card's buttons: claim, close, reopen.
    fn card_buttons(&self) -> [&'static str; 3];

    // ---- the console ----

    /// `/agent` points at ticket `number`.
    fn console_ticket_open(&self, number: i64, queue: &str) -> String;
    /// `/agent` with nothing after it.
    fn console_agent_usage(&self) -> &'static str;
    /// `/agent` with no ticket open.
    fn console_no_ticket(&self) -> &'static str;
    /// Shown when an interactive console starts.
    fn console_hello(&self) -> &'static str;
    /// A line the engine could not take.
    fn console_send_again(&self, error: &str) -> String;
    /// `/help` in the console.
    fn console_welcome(&self) -> &'static str;
}

/// The catalogue of `lang`.
pub fn catalogue(lang: Lang) -> &'static dyn Catalogue {
    match lang {
        Lang::En => &en::En,
        Lang::Ko => &ko::Ko,
    }
}

/// The agents' catalogue: agent channels speak English.
pub fn agents() -> &'static dyn Catalogue {
    catalogue(Lang::En)
}

/// The help-center answer: each article as a link with its first steps.
pub fn articles(lang: Lang, hits: &[ArticleHit]) -> String {
    let say = catalogue(lang);
    let mut out = String::from(say.articles_intro());
    for hit in hits {
        out.push_str(&format!("\n\n{} — {}", hit.title, hit.url));
        for line in &hit.excerpt {
            out.push_str("\n    ");
            out.push_str(line);
        }
    }
    out.push_str("\n\n");
    out.push_str(say.articles_question());
    out
}

/// Article suggestions under a public post: up to three, with their links and first
/// steps.
pub fn suggestions(lang: Lang, hits: &[ArticleHit]) -> String {
    let say = catalogue(lang);
    let mut out = String::from(say.suggestions_intro());
    for hit in hits.iter().take(3) {
        out.push_str(&format!("\n\n{} — {}", hit.title, hit.url));
        for line in &hit.excerpt {
            out.push_str("\n    ");
            out.push_str(line);
        }
    }
    out
}

/// The person's conversations, newest first, as `history` shows them.
pub fn history(lang: Lang, conversations: &[Conversation]) -> String {
    let say = catalogue(lang);
    if conversations.is_empty() {
        return say.no_history();
    }
    let mut out = String::from(say.history_intro());
    for c in conversations {
        out.push('\n');
        out.push_str(&say.history_line(c, &crate::clock::date(c.created_at)));
    }
    out
}

/// Words that ask for the list of one's conversations (`/support history`).
pub fn is_history_request(text: &str) -> bool {
    matches!(
        text.trim().to_lowercase().as_str(),
        "history" | "내역" | "기록"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_speaks() {
        for lang in [Lang::En, Lang::Ko] {
            let say = catalogue(lang);
            assert!(!say.no_match().is_empty());
            assert!(say.ticket_opened(7, "support").contains("#7"));
            assert!(say.closed(3, Some("duplicate")).contains("duplicate"));
            for state in State::ALL {
                assert!(!say.card_status(state, Some("Grace"), None).is_empty());
            }
        }
        assert!(catalogue(Lang::Ko)
            .ticket_opened(1, "support")
            .contains("티켓"));
    }

    #[test]
    fn history_words() {
        for word in ["history", " History ", "내역", "기록"] {
            assert!(is_history_request(word), "{word:?}");
        }
        assert!(!is_history_request("my history of refunds"));
    }
}
