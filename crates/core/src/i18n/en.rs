//! English.

use super::Catalogue;
use crate::types::{Conversation, State};

/// "1 day ago", "4 days ago".
fn days_ago(days: &str) -> String {
    match days {
        "1" => "1 day ago".into(),
        n => format!("{n} days ago"),
    }
}

/// The English catalogue.
pub struct En;

impl Catalogue for En {
    fn empty_message(&self) -> String {
        "Your message arrived empty. Describe your problem in a sentence, or say \"talk to an agent\".".into()
    }

    fn too_short(&self) -> String {
        "Could you describe your problem in a full sentence? For example: \"How do I reset my password?\". You can also say \"talk to an agent\" at any time.".into()
    }

    fn no_match(&self) -> String {
        "I couldn't find a help article for that. Describe your problem in other words, or say \"talk to an agent\" and a person will help you.".into()
    }

    fn articles_intro(&self) -> &'static str {
        "Here is what I found in the help center:"
    }

    fn articles_question(&self) -> &'static str {
        "Did this answer your question?"
    }

    fn feedback_labels(&self) -> [&'static str; 3] {
        [
            "Yes, that helped",
            "No, I still need help",
            "Talk to an agent",
        ]
    }

    fn glad_it_helped(&self) -> String {
        "Glad that helped! Write here any time if you need anything else.".into()
    }

    fn not_relayed(&self, number: i64) -> String {
        format!("Your last message could not reach the support team right now. It is kept with ticket #{number}, where they will see it.")
    }

    fn ticket_opened(&self, number: i64, queue: &str) -> String {
        format!("I've opened ticket #{number} with the {queue} team. An agent will reply right here. You can leave and come back at any time: just write here to continue.")
    }

    fn continue_in_private(&self, number: i64) -> String {
        format!("I've opened ticket #{number}. Let's continue in a direct message, so that your details stay private.")
    }

    fn no_history(&self) -> String {
        "You have no conversations yet. Ask a question to start one.".into()
    }

    fn history_intro(&self) -> &'static str {
        "Your conversations, newest first:"
    }

    fn history_line(&self, c: &Conversation, date: &str) -> String {
        let what = match c.ticket_number {
            Some(n) => format!("Ticket #{n}"),
            None => format!("Conversation {}", c.id),
        };
        let queue = c
            .queue
            .as_deref()
            .map(|q| format!(" · {q}"))
            .unwrap_or_default();
        format!("• {what}{queue} · {} · started {date}", c.state)
    }

    fn not_your_choice(&self) -> String {
        "Those buttons belong to another question. Ask me yours in a full sentence and I'll answer."
            .into()
    }

    fn no_queue(&self) -> String {
        "Sorry, no agents can be reached from here right now. Please use the web form instead."
            .into()
    }

    fn claimed(&self, agent: &str) -> String {
        format!("{agent} is now handling your request.")
    }

    fn solved(&self, number: i64) -> String {
        format!("Ticket #{number} has been marked as solved. If something is still wrong, just write here and it reopens.")
    }

    fn closed(&self, number: i64, reason: Option<&str>) -> String {
        let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
        format!("Ticket #{number} has been closed{reason}. If you need anything else, write here: that starts a new conversation.")
    }

    fn closed_after_solved(&self, number: i64, days: &str) -> String {
        let days = days_ago(days);
        format!("Ticket #{number} was solved {days} and is now closed. If you need anything else, write here: that starts a new conversation.")
    }

    fn reopened(&self, number: i64) -> String {
        format!("Ticket #{number} has been reopened. An agent will reply here.")
    }

    fn answered_in_private(&self) -> &'static str {
        "I've answered you in a direct message."
    }

    fn panel_text(&self) -> &'static str {
        "Need help? Press the button and we'll talk in private."
    }

    fn command_description(&self) -> &'static str {
        "Ask support a question, or see your past conversations"
    }

    fn command_option(&self) -> &'static str {
        "Your question, or \"history\""
    }

    fn panel_button(&self) -> &'static str {
        "Contact support"
    }

    fn suggestions_intro(&self) -> &'static str {
        "These articles may answer this:"
    }

    fn suggestion_buttons(&self) -> [&'static str; 2] {
        ["This solved it", "Talk to an agent"]
    }

    fn not_your_post(&self) -> &'static str {
        "Only the person who asked can answer this."
    }

    fn not_taken(&self) -> &'static str {
        "Sorry, relaydesk could not take your request just now. Please try again in a minute."
    }

    fn edited(&self, text: &str) -> String {
        format!("(edited) {text}")
    }

    fn deleted(&self) -> &'static str {
        "(deleted a message)"
    }

    fn file_sent(&self, who: &str) -> String {
        format!("{who} sent a file")
    }

    fn file_too_large(&self, who: Option<&str>, name: &str, mb: u64, url: &str) -> String {
        match who {
            Some(who) => format!(
                "{who} sent {name}. It is larger than {mb} MB, so it was not copied here: {url}"
            ),
            None => format!("{name} is larger than {mb} MB, so it was not copied here: {url}"),
        }
    }

    fn agent_help(&self) -> &'static str {
        "Commands in a ticket thread: `!claim`, `!close [reason]`, `!solve`, `!reopen`, `!note <text>` (or start a line with `//`) for an internal note. Anything else is sent to the person."
    }

    fn anonymous_agent(&self) -> &'static str {
        "Support"
    }

    fn person_reopened(&self) -> &'static str {
        "The person wrote again: ticket reopened."
    }

    fn not_an_agent(&self) -> &'static str {
        "Only agents who can see this queue's channel can work its tickets."
    }

    fn card_from_post(&self, link: &str) -> String {
        format!("From the public post {link}")
    }

    fn delivery_failed(&self, error: &str) -> String {
        format!(
            "A message to the person could not be delivered ({error}). It is kept in the conversation; \
             they will see new replies only once they write again."
        )
    }

    fn delivery_delayed(&self, platform: &str, error: &str) -> String {
        format!(
            "Replies to the person are waiting: {platform} is not taking messages right now ({error}). \
             They are kept and go out in order as soon as it does."
        )
    }

    fn claimed_by(&self, agent: &str) -> String {
        format!("Claimed by {agent}.")
    }

    fn took_over(&self, agent: &str, number: i64, previous: &str) -> String {
        format!("{agent} took over ticket #{number} from {previous}.")
    }

    fn solved_by(&self, agent: &str) -> String {
        format!("Marked solved by {agent}. It closes by itself unless the person writes again.")
    }

    fn closed_by(&self, agent: &str, reason: Option<&str>) -> String {
        let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
        format!("Closed by {agent}{why}.")
    }

    fn closed_by_timer(&self, days: &str) -> String {
        let days = days_ago(days);
        format!("Closed: solved {days} and the person did not write again.")
    }

    fn already(&self, number: i64, state: State) -> String {
        format!("Ticket #{number} is already {state}.")
    }

    fn kept_as_note(&self, number: i64) -> String {
        format!("Ticket #{number} is closed, so this was kept as a note and not sent. Say `!reopen` first to write to the person.")
    }

    fn open_already(&self, number: i64) -> String {
        format!("Ticket #{number} is open already.")
    }

    fn newer_conversation(&self, id: i64) -> String {
        format!("The person has started a new conversation (#{id}) since; answer there.")
    }

    fn reopened_by(&self, agent: &str) -> String {
        format!("Reopened by {agent}.")
    }

    fn transcript_intro(&self) -> &'static str {
        "Transcript so far:"
    }

    fn transcript_bot(&self) -> &'static str {
        "bot"
    }

    fn card_title(&self, number: i64, queue: &str) -> String {
        format!("Ticket #{number} · {queue}")
    }

    fn card_from(&self, name: &str, platform: &str, id: &str, identity: &str) -> String {
        format!("From: {name} ({platform} {id}) · {identity}")
    }

    fn card_verified(&self, email: &str, by: &str) -> String {
        format!("{email} (verified by {by})")
    }

    fn card_unverified(&self) -> &'static str {
        "unverified"
    }

    fn card_language(&self, lang: &str) -> String {
        format!("Language: {lang}")
    }

    fn card_priority(&self, priority: &str) -> String {
        format!("Priority: {priority}")
    }

    fn card_continues(&self, previous: i64) -> String {
        format!("Continues conversation {previous}")
    }

    fn card_hint(&self) -> &'static str {
        "Reply in this thread to answer. !claim, !close [reason], !note <text> or // for internal notes."
    }

    fn card_status(&self, state: State, assignee: Option<&str>, reason: Option<&str>) -> String {
        match state {
            State::Assigned => format!("Status: claimed by {}", assignee.unwrap_or("an agent")),
            State::Solved => "Status: solved".to_string(),
            State::Closed => format!("Status: closed ({})", reason.unwrap_or("closed")),
            _ => "Status: waiting for an agent".to_string(),
        }
    }

    fn card_buttons(&self) -> [&'static str; 3] {
        ["Claim", "Close", "Reopen"]
    }

    fn console_ticket_open(&self, number: i64, queue: &str) -> String {
        format!("Ticket #{number} ({queue}) is open: /agent answers there.")
    }

    fn console_agent_usage(&self) -> &'static str {
        "Write `/agent <reply>`, or `/agent !close reason`, `/agent !note text`."
    }

    fn console_no_ticket(&self) -> &'static str {
        "No ticket is open in this console yet: nothing for /agent to answer."
    }

    fn console_hello(&self) -> &'static str {
        "relaydesk console. Ask a question; `/help` lists the commands."
    }

    fn console_send_again(&self, error: &str) -> String {
        format!("{error}. Please send it again.")
    }

    fn console_welcome(&self) -> &'static str {
        "Type as the person asking for help. `/agent <text>` answers as the agent in the current ticket \
         (`/agent !close reason`, `/agent !note text`, `/agent !claim`). `/quit` or Ctrl-D leaves."
    }
}
