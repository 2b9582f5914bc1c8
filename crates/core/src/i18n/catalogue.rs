//! The catalogue of one language: the templates of `messages/<lang>.toml` (with any
//! overrides), filled by one method per sentence.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

use super::template::Template;
use crate::text::Lang;
use crate::types::State;

/// Every key, with the names of the values its method fills in. The language files
/// have exactly these keys; an override may use only these values.
pub(crate) const KEYS: &[(&str, &[&str])] = &[
    // ---- to the person ----
    ("empty_message", &[]),
    ("too_short", &[]),
    ("no_match", &[]),
    ("articles_intro", &[]),
    ("articles_question", &[]),
    ("feedback_helped", &[]),
    ("feedback_more_help", &[]),
    ("feedback_agent", &[]),
    ("glad_it_helped", &[]),
    ("not_relayed", &["number"]),
    ("ticket_opened", &["number", "queue"]),
    ("web_ticket_opened", &["number", "queue"]),
    ("continue_in_private", &["number"]),
    ("no_history", &[]),
    ("not_your_choice", &[]),
    ("no_queue", &[]),
    ("claimed", &["agent"]),
    ("solved", &["number"]),
    ("closed", &["number"]),
    ("closed_with_reason", &["number", "reason"]),
    ("closed_after_solved", &["number", "days", "ago"]),
    ("reopened", &["number"]),
    ("answered_in_private", &[]),
    ("not_taken", &[]),
    ("panel_text", &[]),
    ("panel_button", &[]),
    ("command_description", &[]),
    ("command_option", &[]),
    ("suggestions_intro", &[]),
    ("suggestion_solved", &[]),
    ("suggestion_agent", &[]),
    ("not_your_post", &[]),
    ("edited", &["text"]),
    ("deleted", &[]),
    ("file_sent", &["who"]),
    ("file_too_large", &["name", "mb", "url"]),
    ("file_too_large_from", &["who", "name", "mb", "url"]),
    ("blocked", &[]),
    ("welcome_back", &[]),
    ("triage_first", &["prompt"]),
    ("triage_again", &["prompt"]),
    ("triage_again_text", &["prompt"]),
    ("triage_needed", &["prompt"]),
    ("triage_almost", &["prompt"]),
    ("triage_cancelled", &[]),
    ("skip_label", &[]),
    ("back_at", &["queue", "day", "time", "timezone"]),
    (
        "back_at_date",
        &["queue", "day", "date", "time", "timezone"],
    ),
    ("tickets_intro", &[]),
    ("tickets_intro_page", &["page"]),
    ("ticket_line", &["number", "subject", "state", "date"]),
    ("more_label", &[]),
    ("no_such_ticket", &["number"]),
    ("ticket_shown", &["number", "state"]),
    ("you", &[]),
    ("bot_name", &[]),
    ("closed_offer", &["number"]),
    ("follow_up_label", &[]),
    ("continuing", &["number"]),
    ("continue_or_new", &["number"]),
    ("continue_label", &["number"]),
    ("new_ticket_label", &[]),
    ("how_did_we_do", &[]),
    ("ask_comment", &[]),
    ("feedback_thanks", &[]),
    ("transferred", &["number", "queue"]),
    ("article_shared", &["title", "url"]),
    // ---- words inside other sentences ----
    ("state_bot", &[]),
    ("state_triage", &[]),
    ("state_verifying", &[]),
    ("state_queued", &[]),
    ("state_assigned", &[]),
    ("state_solved", &[]),
    ("state_closed", &[]),
    ("days_ago_one", &["days"]),
    ("days_ago_many", &["days"]),
    ("weekday_mon", &[]),
    ("weekday_tue", &[]),
    ("weekday_wed", &[]),
    ("weekday_thu", &[]),
    ("weekday_fri", &[]),
    ("weekday_sat", &[]),
    ("weekday_sun", &[]),
    // ---- to the agents ----
    ("agent_help", &[]),
    ("anonymous_agent", &[]),
    ("person_reopened", &[]),
    ("delivery_failed", &["error"]),
    ("not_an_agent", &[]),
    ("card_from_post", &["link"]),
    ("delivery_delayed", &["platform", "error"]),
    ("claimed_by", &["agent"]),
    ("took_over", &["agent", "number", "previous"]),
    ("solved_by", &["agent"]),
    ("closed_by", &["agent"]),
    ("closed_by_with_reason", &["agent", "reason"]),
    ("closed_by_timer", &["days", "ago"]),
    ("already", &["number", "state"]),
    ("kept_as_note", &["number"]),
    ("open_already", &["number"]),
    ("newer_conversation", &["id"]),
    ("reopened_by", &["agent"]),
    ("transcript_intro", &[]),
    ("transcript_bot", &[]),
    ("unknown_command", &["word", "commands"]),
    ("moved_elsewhere", &["number", "queue"]),
    ("rated", &["rating"]),
    ("rating_comment", &["comment"]),
    ("unknown_queue", &["name", "queues"]),
    ("same_queue", &["queue"]),
    ("transferred_to", &["agent", "queue"]),
    ("transferred_from", &["agent", "queue"]),
    ("unknown_snippet", &["name", "names"]),
    ("unknown_snippet_none", &["name"]),
    ("article_usage", &[]),
    ("unknown_article", &["id"]),
    ("article_learned", &["title", "question"]),
    ("priority_usage", &[]),
    ("priority_set", &["agent", "priority"]),
    ("block_usage", &[]),
    ("blocked_by", &["agent"]),
    ("blocked_by_until", &["agent", "until"]),
    ("not_blocked", &[]),
    ("unblocked_by", &["agent"]),
    ("held_intro", &[]),
    ("skipped", &[]),
    // ---- the ticket card ----
    ("card_title", &["number", "queue"]),
    ("card_from", &["name", "platform", "id", "identity"]),
    ("card_verified", &["email", "by"]),
    ("card_unverified", &[]),
    ("card_language", &["lang"]),
    ("card_priority", &["priority"]),
    ("card_continues", &["previous"]),
    ("card_hint", &[]),
    ("card_status_waiting", &[]),
    ("card_status_assigned", &["assignee"]),
    ("card_status_assigned_unknown", &[]),
    ("card_status_solved", &[]),
    ("card_status_closed", &["reason"]),
    ("card_status_closed_no_reason", &[]),
    ("card_button_claim", &[]),
    ("card_button_close", &[]),
    ("card_button_reopen", &[]),
    // ---- the console ----
    ("console_ticket_open", &["number", "queue"]),
    ("console_agent_usage", &[]),
    ("console_no_ticket", &[]),
    ("console_hello", &[]),
    ("console_send_again", &["error"]),
    ("console_welcome", &[]),
    ("ticket_elsewhere", &["number", "platform"]),
    // ---- verification, to the person ----
    ("verify_intro", &[]),
    ("verify_intro_optional", &[]),
    ("verify_how", &[]),
    ("verify_by_code_label", &[]),
    ("verify_by_link_label", &[]),
    ("new_code_label", &[]),
    ("new_link_label", &[]),
    ("cancel_label", &[]),
    ("verify_ask_email", &[]),
    ("verify_not_an_address", &[]),
    ("verify_typo", &["address"]),
    ("verify_blocked", &["domain"]),
    ("verify_code_sent", &["address", "minutes"]),
    ("verify_wrong_code", &["left"]),
    ("verify_spent", &[]),
    ("verify_expired", &[]),
    ("verify_too_many", &["codes"]),
    ("verify_type_code", &["address"]),
    ("verify_done", &["address"]),
    ("verify_link", &["url", "minutes"]),
    ("verify_link_waiting", &[]),
    ("verify_link_expired", &[]),
    ("verify_link_spent", &[]),
    ("verify_needed", &[]),
    ("verify_cancelled", &[]),
    ("verify_in_private", &[]),
    // ---- identity, to the agents ----
    ("card_also", &["platform", "by", "date"]),
    // ---- emails ----
    ("email_code_subject", &[]),
    ("email_code_text", &["code", "minutes"]),
    ("email_away_subject", &["number"]),
    ("email_away_intro", &["number"]),
    ("email_away_wrote", &["agent"]),
    ("email_away_continue", &["link"]),
    ("email_away_continue_chat", &[]),
    ("card_web_form", &[]),
    ("email_web_subject", &["number"]),
    ("email_web_received", &["subject", "number"]),
    ("email_web_activity", &["link"]),
    ("email_signin_subject", &[]),
    ("email_signin_text", &["minutes"]),
    ("email_signin_ignore", &[]),
    ("email_unsubscribe", &["link"]),
    // ---- web pages ----
    ("page_verified_title", &[]),
    ("page_verified", &["address"]),
    ("page_refused_title", &[]),
    ("page_refused_alg", &[]),
    ("page_refused_signature", &[]),
    ("page_refused_kid", &[]),
    ("page_refused_expired", &[]),
    ("page_refused_unverified", &[]),
    ("page_refused_claims", &[]),
    ("page_try_again", &[]),
    ("page_state_unknown", &[]),
    ("page_state_expired", &[]),
    ("page_state_used", &[]),
    ("page_unsubscribe_title", &[]),
    ("page_unsubscribe_confirm", &[]),
    ("page_unsubscribe_button", &[]),
    ("page_unsubscribed", &[]),
    ("page_unsubscribe_unknown", &[]),
    ("page_unavailable", &[]),
];

/// The values `key`'s method fills in; `None` for a key that does not exist.
pub(crate) fn values_of(key: &str) -> Option<&'static [&'static str]> {
    KEYS.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, values)| *values)
}

#[cfg(test)]
thread_local! {
    /// The keys this thread's tests have read: every key must be.
    pub(crate) static USED: std::cell::RefCell<std::collections::BTreeSet<&'static str>> =
        Default::default();
}

/// One key's template, and its text once and for all when it uses no value.
#[derive(Debug)]
struct Entry {
    template: Template,
    fixed: Option<&'static str>,
}

/// The sentences of one language, from `messages/<lang>.toml` and the overrides
/// installed at start-up. Methods that take no argument return fixed text.
#[derive(Debug)]
pub struct Catalogue {
    lang: Lang,
    entries: HashMap<&'static str, Entry>,
}

impl Catalogue {
    /// The catalogue of `templates` (every key of [`KEYS`], already checked).
    ///
    /// The text of a template without values is kept for the life of the process, so
    /// that it can be handed out as `&'static str`: catalogues are built once, at
    /// start-up (and a few times in tests).
    pub(crate) fn new(lang: Lang, templates: &BTreeMap<&'static str, &str>) -> Catalogue {
        let entries = KEYS
            .iter()
            .map(|&(key, _)| {
                let source = templates
                    .get(key)
                    .unwrap_or_else(|| panic!("messages/{}.toml has no `{key}`", lang.as_str()));
                let (template, _) = Template::parse(source);
                let fixed = template.is_fixed().then(|| &*template.render(&[]).leak());
                (key, Entry { template, fixed })
            })
            .collect();
        Catalogue { lang, entries }
    }

    /// The language it speaks.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    fn entry(&self, key: &'static str) -> &Entry {
        #[cfg(test)]
        USED.with(|used| used.borrow_mut().insert(key));
        self.entries
            .get(key)
            .unwrap_or_else(|| panic!("no message `{key}` in KEYS"))
    }

    /// The text of `key`, which uses no value.
    fn text(&self, key: &'static str) -> &'static str {
        self.entry(key)
            .fixed
            .unwrap_or_else(|| panic!("`{key}` takes values; KEYS and its method disagree"))
    }

    /// The sentence of `key` with its values.
    fn fill(&self, key: &'static str, args: &[(&str, &dyn Display)]) -> String {
        debug_assert_eq!(
            values_of(key),
            Some(&args.iter().map(|(n, _)| *n).collect::<Vec<_>>()[..]),
            "the values `{key}`'s method fills differ from KEYS"
        );
        self.entry(key).template.render(args)
    }

    /// A state's name, inside other sentences.
    fn state_word(&self, state: State) -> &'static str {
        self.text(match state {
            State::Bot => "state_bot",
            State::Triage => "state_triage",
            State::Verifying => "state_verifying",
            State::Queued => "state_queued",
            State::Assigned => "state_assigned",
            State::Solved => "state_solved",
            State::Closed => "state_closed",
        })
    }

    /// "1 day ago", "4 days ago".
    fn days_ago(&self, days: &str) -> String {
        let key = if days == "1" {
            "days_ago_one"
        } else {
            "days_ago_many"
        };
        self.fill(key, &[("days", &days)])
    }

    // ---- to the person ----

    /// The person's message had no text and no file.
    pub fn empty_message(&self) -> String {
        self.text("empty_message").into()
    }

    /// The question is too short to look up.
    pub fn too_short(&self) -> String {
        self.text("too_short").into()
    }

    /// No help-center article fits the question.
    pub fn no_match(&self) -> String {
        self.text("no_match").into()
    }

    /// Opens the help-center answer, before the articles.
    pub fn articles_intro(&self) -> &'static str {
        self.text("articles_intro")
    }

    /// Closes the help-center answer, above the feedback choices.
    pub fn articles_question(&self) -> &'static str {
        self.text("articles_question")
    }

    /// The labels of the feedback choices: helped, more help, agent.
    pub fn feedback_labels(&self) -> [&'static str; 3] {
        [
            self.text("feedback_helped"),
            self.text("feedback_more_help"),
            self.text("feedback_agent"),
        ]
    }

    /// After "Yes, that helped".
    pub fn glad_it_helped(&self) -> String {
        self.text("glad_it_helped").into()
    }

    /// The person's message could not reach the agents of ticket `number`.
    pub fn not_relayed(&self, number: i64) -> String {
        self.fill("not_relayed", &[("number", &number)])
    }

    /// A ticket was opened in `queue`.
    pub fn ticket_opened(&self, number: i64, queue: &str) -> String {
        self.fill("ticket_opened", &[("number", &number), ("queue", &queue)])
    }

    /// A ticket from the web form was opened in a queue: replies come by email.
    pub fn web_ticket_opened(&self, number: i64, queue: &str) -> String {
        self.fill(
            "web_ticket_opened",
            &[("number", &number), ("queue", &queue)],
        )
    }

    /// A handoff from a shared place goes on in a direct message.
    pub fn continue_in_private(&self, number: i64) -> String {
        self.fill("continue_in_private", &[("number", &number)])
    }

    /// `history` when the person has no conversation yet.
    pub fn no_history(&self) -> String {
        self.text("no_history").into()
    }

    /// A button press under someone else's (or an old) question.
    pub fn not_your_choice(&self) -> String {
        self.text("not_your_choice").into()
    }

    /// A handoff with no queue configured.
    pub fn no_queue(&self) -> String {
        self.text("no_queue").into()
    }

    /// An agent claimed the ticket.
    pub fn claimed(&self, agent: &str) -> String {
        self.fill("claimed", &[("agent", &agent)])
    }

    /// An agent marked the ticket solved.
    pub fn solved(&self, number: i64) -> String {
        self.fill("solved", &[("number", &number)])
    }

    /// An agent closed the ticket, maybe saying why.
    pub fn closed(&self, number: i64, reason: Option<&str>) -> String {
        match reason {
            Some(reason) => self.fill(
                "closed_with_reason",
                &[("number", &number), ("reason", &reason)],
            ),
            None => self.fill("closed", &[("number", &number)]),
        }
    }

    /// The ticket closed by itself, `days` after it was solved.
    pub fn closed_after_solved(&self, number: i64, days: &str) -> String {
        let ago = self.days_ago(days);
        self.fill(
            "closed_after_solved",
            &[("number", &number), ("days", &days), ("ago", &ago)],
        )
    }

    /// An agent reopened the ticket.
    pub fn reopened(&self, number: i64) -> String {
        self.fill("reopened", &[("number", &number)])
    }

    /// A command typed in a shared place was answered in a direct message.
    pub fn answered_in_private(&self) -> &'static str {
        self.text("answered_in_private")
    }

    /// The platform could not take the person's request (the database is down).
    pub fn not_taken(&self) -> &'static str {
        self.text("not_taken")
    }

    /// The words of the "Contact support" panel (Discord).
    pub fn panel_text(&self) -> &'static str {
        self.text("panel_text")
    }

    /// The panel's button.
    pub fn panel_button(&self) -> &'static str {
        self.text("panel_button")
    }

    /// The `/support` command's description.
    pub fn command_description(&self) -> &'static str {
        self.text("command_description")
    }

    /// The description of its `question` option.
    pub fn command_option(&self) -> &'static str {
        self.text("command_option")
    }

    /// Heads article suggestions under a post in a public help channel or forum.
    pub fn suggestions_intro(&self) -> &'static str {
        self.text("suggestions_intro")
    }

    /// The buttons under suggestions: solved, talk to an agent.
    pub fn suggestion_buttons(&self) -> [&'static str; 2] {
        [
            self.text("suggestion_solved"),
            self.text("suggestion_agent"),
        ]
    }

    /// A press of a suggestion's button by someone other than the post's author.
    pub fn not_your_post(&self) -> &'static str {
        self.text("not_your_post")
    }

    /// The word that stands for a changed message where the platform cannot edit.
    pub fn edited(&self, text: &str) -> String {
        self.fill("edited", &[("text", &text)])
    }

    /// Stands for a removed message where the platform cannot delete.
    pub fn deleted(&self) -> &'static str {
        self.text("deleted")
    }

    /// An agent blocked the person from opening tickets; their message is kept.
    pub fn blocked(&self) -> String {
        self.text("blocked").into()
    }

    /// Opens a new conversation after the last one sat idle.
    pub fn welcome_back(&self) -> String {
        self.text("welcome_back").into()
    }

    /// The first triage question, after the handoff phrase.
    pub fn triage_first(&self, prompt: &str) -> String {
        self.fill("triage_first", &[("prompt", &prompt)])
    }

    /// A choice question again: the answer fit no option.
    pub fn triage_again(&self, prompt: &str) -> String {
        self.fill("triage_again", &[("prompt", &prompt)])
    }

    /// A text question again: the answer was empty.
    pub fn triage_again_text(&self, prompt: &str) -> String {
        self.fill("triage_again_text", &[("prompt", &prompt)])
    }

    /// A required question again, after "skip".
    pub fn triage_needed(&self, prompt: &str) -> String {
        self.fill("triage_needed", &[("prompt", &prompt)])
    }

    /// The question again, after "talk to an agent" during triage.
    pub fn triage_almost(&self, prompt: &str) -> String {
        self.fill("triage_almost", &[("prompt", &prompt)])
    }

    /// "cancel" during triage.
    pub fn triage_cancelled(&self) -> String {
        self.text("triage_cancelled").into()
    }

    /// The Skip button.
    pub fn skip_label(&self) -> &'static str {
        self.text("skip_label")
    }

    /// The queue's team is away; when it is back, in the queue's time zone.
    pub fn back_at(&self, queue: &str, opening: &crate::desk::Opening, timezone: &str) -> String {
        let day = self.text(match opening.weekday % 7 {
            0 => "weekday_mon",
            1 => "weekday_tue",
            2 => "weekday_wed",
            3 => "weekday_thu",
            4 => "weekday_fri",
            5 => "weekday_sat",
            _ => "weekday_sun",
        });
        let time = opening.time.as_str();
        if opening.days_ahead > 6 {
            let date = opening.date.as_str();
            self.fill(
                "back_at_date",
                &[
                    ("queue", &queue),
                    ("day", &day),
                    ("date", &date),
                    ("time", &time),
                    ("timezone", &timezone),
                ],
            )
        } else {
            self.fill(
                "back_at",
                &[
                    ("queue", &queue),
                    ("day", &day),
                    ("time", &time),
                    ("timezone", &timezone),
                ],
            )
        }
    }

    /// Heads page `page` (from 1) of the person's tickets.
    pub fn tickets_intro(&self, page: i64) -> String {
        if page > 1 {
            self.fill("tickets_intro_page", &[("page", &page)])
        } else {
            self.text("tickets_intro").into()
        }
    }

    /// One ticket of that list.
    pub fn ticket_line(&self, number: i64, subject: &str, state: State, date: &str) -> String {
        let state = self.state_word(state);
        self.fill(
            "ticket_line",
            &[
                ("number", &number),
                ("subject", &subject),
                ("state", &state),
                ("date", &date),
            ],
        )
    }

    /// The choice for the next page.
    pub fn more_label(&self) -> &'static str {
        self.text("more_label")
    }

    /// A ticket number the person has no ticket with.
    pub fn no_such_ticket(&self, number: i64) -> String {
        self.fill("no_such_ticket", &[("number", &number)])
    }

    /// Heads the last messages of a ticket chosen from the list.
    pub fn ticket_shown(&self, number: i64, state: State) -> String {
        let state = self.state_word(state);
        self.fill("ticket_shown", &[("number", &number), ("state", &state)])
    }

    /// The person, in those messages.
    pub fn you(&self) -> &'static str {
        self.text("you")
    }

    /// The bot, in those messages.
    pub fn bot_name(&self) -> &'static str {
        self.text("bot_name")
    }

    /// A closed ticket chosen from the list.
    pub fn closed_offer(&self, number: i64) -> String {
        self.fill("closed_offer", &[("number", &number)])
    }

    /// The choice under it.
    pub fn follow_up_label(&self) -> &'static str {
        self.text("follow_up_label")
    }

    /// Messages now go to ticket `number`.
    pub fn continuing(&self, number: i64) -> String {
        self.fill("continuing", &[("number", &number)])
    }

    /// Asking for an agent with ticket `number` open.
    pub fn continue_or_new(&self, number: i64) -> String {
        self.fill("continue_or_new", &[("number", &number)])
    }

    /// Its first choice.
    pub fn continue_label(&self, number: i64) -> String {
        self.fill("continue_label", &[("number", &number)])
    }

    /// Its second choice.
    pub fn new_ticket_label(&self) -> &'static str {
        self.text("new_ticket_label")
    }

    /// After an agent's `!solve`: the rating, 1 to 5.
    pub fn how_did_we_do(&self) -> String {
        self.text("how_did_we_do").into()
    }

    /// After the rating: a comment, or skip.
    pub fn ask_comment(&self) -> String {
        self.text("ask_comment").into()
    }

    /// After the comment (or skip).
    pub fn feedback_thanks(&self) -> String {
        self.text("feedback_thanks").into()
    }

    /// An agent moved the ticket to another queue.
    pub fn transferred(&self, number: i64, queue: &str) -> String {
        self.fill("transferred", &[("number", &number), ("queue", &queue)])
    }

    /// An agent's `!article`: the article as a link, relayed as the agent's reply.
    pub fn article_shared(&self, title: &str, url: &str) -> String {
        self.fill("article_shared", &[("title", &title), ("url", &url)])
    }

    /// A file copied over, under the name of whoever sent it.
    pub fn file_sent(&self, who: &str) -> String {
        self.fill("file_sent", &[("who", &who)])
    }

    /// A file too large to copy, linked instead.
    pub fn file_too_large(&self, who: Option<&str>, name: &str, mb: u64, url: &str) -> String {
        match who {
            Some(who) => self.fill(
                "file_too_large_from",
                &[("who", &who), ("name", &name), ("mb", &mb), ("url", &url)],
            ),
            None => self.fill(
                "file_too_large",
                &[("name", &name), ("mb", &mb), ("url", &url)],
            ),
        }
    }

    // ---- to the agents ----

    /// The agent commands, after a command relaydesk does not know.
    pub fn agent_help(&self) -> &'static str {
        self.text("agent_help")
    }

    /// A `!command` relaydesk does not know, with the list.
    pub fn unknown_command(&self, word: &str) -> String {
        let commands = self.agent_help();
        self.fill(
            "unknown_command",
            &[("word", &word), ("commands", &commands)],
        )
    }

    /// A message in the thread of a ticket that moved to another queue.
    pub fn moved_elsewhere(&self, number: i64, queue: &str) -> String {
        self.fill("moved_elsewhere", &[("number", &number), ("queue", &queue)])
    }

    /// The person's rating.
    pub fn rated(&self, rating: u8) -> String {
        self.fill("rated", &[("rating", &rating)])
    }

    /// The comment that goes with it.
    pub fn rating_comment(&self, comment: &str) -> String {
        self.fill("rating_comment", &[("comment", &comment)])
    }

    /// `!transfer` to a queue that does not exist.
    pub fn unknown_queue(&self, name: &str, queues: &str) -> String {
        self.fill("unknown_queue", &[("name", &name), ("queues", &queues)])
    }

    /// `!transfer` to the ticket's own queue.
    pub fn same_queue(&self, queue: &str) -> String {
        self.fill("same_queue", &[("queue", &queue)])
    }

    /// In the old thread, after `!transfer`.
    pub fn transferred_to(&self, agent: &str, queue: &str) -> String {
        self.fill("transferred_to", &[("agent", &agent), ("queue", &queue)])
    }

    /// Heads the new thread after `!transfer`, above the transcript.
    pub fn transferred_from(&self, agent: &str, queue: &str) -> String {
        self.fill("transferred_from", &[("agent", &agent), ("queue", &queue)])
    }

    /// `!snippet` with a name not in `[snippets]` (`names`: those there are).
    pub fn unknown_snippet(&self, name: &str, names: &str) -> String {
        if names.is_empty() {
            self.fill("unknown_snippet_none", &[("name", &name)])
        } else {
            self.fill("unknown_snippet", &[("name", &name), ("names", &names)])
        }
    }

    /// `!article` with no id.
    pub fn article_usage(&self) -> &'static str {
        self.text("article_usage")
    }

    /// `!article` with an id the help center does not have.
    pub fn unknown_article(&self, id: &str) -> String {
        self.fill("unknown_article", &[("id", &id)])
    }

    /// After `!article`: the help center now finds the article for `question`.
    pub fn article_learned(&self, title: &str, question: &str) -> String {
        self.fill(
            "article_learned",
            &[("title", &title), ("question", &question)],
        )
    }

    /// `!priority` with something else than a priority.
    pub fn priority_usage(&self) -> &'static str {
        self.text("priority_usage")
    }

    /// `!priority`.
    pub fn priority_set(&self, agent: &str, priority: &str) -> String {
        self.fill(
            "priority_set",
            &[("agent", &agent), ("priority", &priority)],
        )
    }

    /// `!block` with a duration that is not one.
    pub fn block_usage(&self) -> &'static str {
        self.text("block_usage")
    }

    /// `!block`, until a time or until unblocked.
    pub fn blocked_by(&self, agent: &str, until: Option<&str>) -> String {
        match until {
            Some(until) => self.fill("blocked_by_until", &[("agent", &agent), ("until", &until)]),
            None => self.fill("blocked_by", &[("agent", &agent)]),
        }
    }

    /// `!unblock` of someone not blocked.
    pub fn not_blocked(&self) -> &'static str {
        self.text("not_blocked")
    }

    /// `!unblock`.
    pub fn unblocked_by(&self, agent: &str) -> String {
        self.fill("unblocked_by", &[("agent", &agent)])
    }

    /// Heads what the person wrote while blocked.
    pub fn held_intro(&self) -> &'static str {
        self.text("held_intro")
    }

    /// A triage question the person skipped, on the card.
    pub fn skipped(&self) -> &'static str {
        self.text("skipped")
    }

    /// The name relayed instead of the agent's, with `[relay] anonymous`.
    pub fn anonymous_agent(&self) -> &'static str {
        self.text("anonymous_agent")
    }

    /// The person wrote to a solved ticket.
    pub fn person_reopened(&self) -> &'static str {
        self.text("person_reopened")
    }

    /// A message to the person failed for good.
    pub fn delivery_failed(&self, error: &str) -> String {
        self.fill("delivery_failed", &[("error", &error)])
    }

    /// A ticket button pressed by someone who cannot see the agent channel.
    pub fn not_an_agent(&self) -> &'static str {
        self.text("not_an_agent")
    }

    /// The card line linking the public post the ticket came from.
    pub fn card_from_post(&self, link: &str) -> String {
        self.fill("card_from_post", &[("link", &link)])
    }

    /// Messages to the person keep failing for now on `platform`; they wait.
    pub fn delivery_delayed(&self, platform: &str, error: &str) -> String {
        self.fill(
            "delivery_delayed",
            &[("platform", &platform), ("error", &error)],
        )
    }

    /// `!claim`.
    pub fn claimed_by(&self, agent: &str) -> String {
        self.fill("claimed_by", &[("agent", &agent)])
    }

    /// `!claim` of a ticket someone else had.
    pub fn took_over(&self, agent: &str, number: i64, previous: &str) -> String {
        self.fill(
            "took_over",
            &[
                ("agent", &agent),
                ("number", &number),
                ("previous", &previous),
            ],
        )
    }

    /// `!solve`.
    pub fn solved_by(&self, agent: &str) -> String {
        self.fill("solved_by", &[("agent", &agent)])
    }

    /// `!close [reason]`.
    pub fn closed_by(&self, agent: &str, reason: Option<&str>) -> String {
        match reason {
            Some(reason) => self.fill(
                "closed_by_with_reason",
                &[("agent", &agent), ("reason", &reason)],
            ),
            None => self.fill("closed_by", &[("agent", &agent)]),
        }
    }

    /// The ticket closed by itself, `days` after it was solved.
    pub fn closed_by_timer(&self, days: &str) -> String {
        let ago = self.days_ago(days);
        self.fill("closed_by_timer", &[("days", &days), ("ago", &ago)])
    }

    /// A command that the ticket's state does not allow.
    pub fn already(&self, number: i64, state: State) -> String {
        let state = self.state_word(state);
        self.fill("already", &[("number", &number), ("state", &state)])
    }

    /// A reply to a closed ticket, kept as a note.
    pub fn kept_as_note(&self, number: i64) -> String {
        self.fill("kept_as_note", &[("number", &number)])
    }

    /// `!reopen` of an open ticket.
    pub fn open_already(&self, number: i64) -> String {
        self.fill("open_already", &[("number", &number)])
    }

    /// `!reopen` when the person has started a newer conversation.
    pub fn newer_conversation(&self, id: i64) -> String {
        self.fill("newer_conversation", &[("id", &id)])
    }

    /// `!reopen`.
    pub fn reopened_by(&self, agent: &str) -> String {
        self.fill("reopened_by", &[("agent", &agent)])
    }

    /// Heads the transcript posted under a new ticket's card.
    pub fn transcript_intro(&self) -> &'static str {
        self.text("transcript_intro")
    }

    /// The bot's name in a transcript.
    pub fn transcript_bot(&self) -> &'static str {
        self.text("transcript_bot")
    }

    // ---- the ticket card ----

    /// The card's first line.
    pub fn card_title(&self, number: i64, queue: &str) -> String {
        self.fill("card_title", &[("number", &number), ("queue", &queue)])
    }

    /// Who asked: name, platform and id, and how they are verified.
    pub fn card_from(&self, name: &str, platform: &str, id: &str, identity: &str) -> String {
        self.fill(
            "card_from",
            &[
                ("name", &name),
                ("platform", &platform),
                ("id", &id),
                ("identity", &identity),
            ],
        )
    }

    /// A verified email, and who vouches for it.
    pub fn card_verified(&self, email: &str, by: &str) -> String {
        self.fill("card_verified", &[("email", &email), ("by", &by)])
    }

    /// No verified email.
    pub fn card_unverified(&self) -> &'static str {
        self.text("card_unverified")
    }

    /// The person's language.
    pub fn card_language(&self, lang: &str) -> String {
        self.fill("card_language", &[("lang", &lang)])
    }

    /// The ticket's priority.
    pub fn card_priority(&self, priority: &str) -> String {
        self.fill("card_priority", &[("priority", &priority)])
    }

    /// The conversation this ticket continues.
    pub fn card_continues(&self, previous: i64) -> String {
        self.fill("card_continues", &[("previous", &previous)])
    }

    /// How to work the ticket.
    pub fn card_hint(&self) -> &'static str {
        self.text("card_hint")
    }

    /// The card's status line in each state; `assignee` and `reason` where known.
    pub fn card_status(
        &self,
        state: State,
        assignee: Option<&str>,
        reason: Option<&str>,
    ) -> String {
        match (state, assignee, reason) {
            (State::Assigned, Some(assignee), _) => {
                self.fill("card_status_assigned", &[("assignee", &assignee)])
            }
            (State::Assigned, None, _) => self.text("card_status_assigned_unknown").into(),
            (State::Solved, _, _) => self.text("card_status_solved").into(),
            (State::Closed, _, Some(reason)) => {
                self.fill("card_status_closed", &[("reason", &reason)])
            }
            (State::Closed, _, None) => self.text("card_status_closed_no_reason").into(),
            _ => self.text("card_status_waiting").into(),
        }
    }

    /// The card's buttons: claim, close, reopen.
    pub fn card_buttons(&self) -> [&'static str; 3] {
        [
            self.text("card_button_claim"),
            self.text("card_button_close"),
            self.text("card_button_reopen"),
        ]
    }

    // ---- the console ----

    /// `/agent` points at ticket `number`.
    pub fn console_ticket_open(&self, number: i64, queue: &str) -> String {
        self.fill(
            "console_ticket_open",
            &[("number", &number), ("queue", &queue)],
        )
    }

    /// `/agent` with nothing after it.
    pub fn console_agent_usage(&self) -> &'static str {
        self.text("console_agent_usage")
    }

    /// `/agent` with no ticket open.
    pub fn console_no_ticket(&self) -> &'static str {
        self.text("console_no_ticket")
    }

    /// Shown when an interactive console starts.
    pub fn console_hello(&self) -> &'static str {
        self.text("console_hello")
    }

    /// A line the engine could not take.
    pub fn console_send_again(&self, error: &str) -> String {
        self.fill("console_send_again", &[("error", &error)])
    }

    /// `/help` in the console.
    pub fn console_welcome(&self) -> &'static str {
        self.text("console_welcome")
    }

    /// The queue asks who the person is: how would they like to confirm it.
    pub fn verify_intro(&self) -> &'static str {
        self.text("verify_intro")
    }

    /// The queue offers verification; the ticket opens either way.
    pub fn verify_intro_optional(&self) -> &'static str {
        self.text("verify_intro_optional")
    }

    /// Asking which way to verify, when there are two.
    pub fn verify_how(&self) -> &'static str {
        self.text("verify_how")
    }

    /// The button for a code by email.
    pub fn verify_by_code_label(&self) -> &'static str {
        self.text("verify_by_code_label")
    }

    /// The button for signing in on the company's site.
    pub fn verify_by_link_label(&self) -> &'static str {
        self.text("verify_by_link_label")
    }

    /// The button and words for another code ("new code" is always understood).
    pub fn new_code_label(&self) -> &'static str {
        self.text("new_code_label")
    }

    /// The button and words for another sign-in link.
    pub fn new_link_label(&self) -> &'static str {
        self.text("new_link_label")
    }

    /// The button that cancels verification.
    pub fn cancel_label(&self) -> &'static str {
        self.text("cancel_label")
    }

    /// Asking for the address the code goes to.
    pub fn verify_ask_email(&self) -> &'static str {
        self.text("verify_ask_email")
    }

    /// What they typed is not an email address.
    pub fn verify_not_an_address(&self) -> &'static str {
        self.text("verify_not_an_address")
    }

    /// The domain looks misspelt: the address they probably meant.
    pub fn verify_typo(&self, address: &str) -> String {
        self.fill("verify_typo", &[("address", &address)])
    }

    /// Addresses at this domain get no code.
    pub fn verify_blocked(&self, domain: &str) -> String {
        self.fill("verify_blocked", &[("domain", &domain)])
    }

    /// A code was mailed to the (masked) address.
    pub fn verify_code_sent(&self, address: &str, minutes: i64) -> String {
        self.fill(
            "verify_code_sent",
            &[("address", &address), ("minutes", &minutes)],
        )
    }

    /// A wrong code, and how many tries are left.
    pub fn verify_wrong_code(&self, left: i64) -> String {
        self.fill("verify_wrong_code", &[("left", &left)])
    }

    /// The last of the five tries was wrong.
    pub fn verify_spent(&self) -> &'static str {
        self.text("verify_spent")
    }

    /// The code typed has expired.
    pub fn verify_expired(&self) -> &'static str {
        self.text("verify_expired")
    }

    /// As many codes as may be sent in an hour were sent.
    pub fn verify_too_many(&self, codes: i64) -> String {
        self.fill("verify_too_many", &[("codes", &codes)])
    }

    /// Something else than a code while one is expected.
    pub fn verify_type_code(&self, address: &str) -> String {
        self.fill("verify_type_code", &[("address", &address)])
    }

    /// Verified.
    pub fn verify_done(&self, address: &str) -> String {
        self.fill("verify_done", &[("address", &address)])
    }

    /// The link to the company's sign-in page.
    pub fn verify_link(&self, url: &str, minutes: i64) -> String {
        self.fill("verify_link", &[("url", &url), ("minutes", &minutes)])
    }

    /// Something typed while the sign-in link is out.
    pub fn verify_link_waiting(&self) -> &'static str {
        self.text("verify_link_waiting")
    }

    /// Too many refused sign-ins used the link up.
    pub fn verify_link_spent(&self) -> &'static str {
        self.text("verify_link_spent")
    }

    /// Skip, where the queue needs verification.
    pub fn verify_needed(&self) -> &'static str {
        self.text("verify_needed")
    }

    /// "cancel" during verification.
    pub fn verify_cancelled(&self) -> &'static str {
        self.text("verify_cancelled")
    }

    /// Verification from a shared place goes on in a direct message.
    pub fn verify_in_private(&self) -> &'static str {
        self.text("verify_in_private")
    }

    /// The card: the same requester, verified on another platform.
    pub fn card_also(&self, platform: &str, by: &str, date: &str) -> String {
        self.fill(
            "card_also",
            &[("platform", &platform), ("by", &by), ("date", &date)],
        )
    }

    /// The subject of the code email.
    pub fn email_code_subject(&self) -> &'static str {
        self.text("email_code_subject")
    }

    /// The code email.
    pub fn email_code_text(&self, code: &str, minutes: i64) -> String {
        self.fill("email_code_text", &[("code", &code), ("minutes", &minutes)])
    }

    /// The subject of an away email.
    pub fn email_away_subject(&self, number: i64) -> String {
        self.fill("email_away_subject", &[("number", &number)])
    }

    /// An away email's first line.
    pub fn email_away_intro(&self, number: i64) -> String {
        self.fill("email_away_intro", &[("number", &number)])
    }

    /// Before each reply.
    pub fn email_away_wrote(&self, agent: &str) -> String {
        self.fill("email_away_wrote", &[("agent", &agent)])
    }

    /// How to go on, where the chat has a link.
    pub fn email_away_continue(&self, link: &str) -> String {
        self.fill("email_away_continue", &[("link", &link)])
    }

    /// How to go on, where it has none.
    pub fn email_away_continue_chat(&self) -> &'static str {
        self.text("email_away_continue_chat")
    }

    /// The card line of a ticket from the web form.
    pub fn card_web_form(&self) -> &'static str {
        self.text("card_web_form")
    }

    /// The subject of the web form's confirmation.
    pub fn email_web_subject(&self, number: i64) -> String {
        self.fill("email_web_subject", &[("number", &number)])
    }

    /// The web form's confirmation.
    pub fn email_web_received(&self, subject: &str, number: i64) -> String {
        self.fill(
            "email_web_received",
            &[("subject", &subject), ("number", &number)],
        )
    }

    /// Where a web requester follows their tickets.
    pub fn email_web_activity(&self, link: &str) -> String {
        self.fill("email_web_activity", &[("link", &link)])
    }

    /// The subject of a My activity sign-in email.
    pub fn email_signin_subject(&self) -> &'static str {
        self.text("email_signin_subject")
    }

    /// A My activity sign-in email, before the link.
    pub fn email_signin_text(&self, minutes: i64) -> String {
        self.fill("email_signin_text", &[("minutes", &minutes)])
    }

    /// A My activity sign-in email, after the link.
    pub fn email_signin_ignore(&self) -> &'static str {
        self.text("email_signin_ignore")
    }

    /// The unsubscribe line of an away email.
    pub fn email_unsubscribe(&self, link: &str) -> String {
        self.fill("email_unsubscribe", &[("link", &link)])
    }

    /// The /verify page after a success.
    pub fn page_verified_title(&self) -> &'static str {
        self.text("page_verified_title")
    }

    /// The /verify page after a success.
    pub fn page_verified(&self, address: &str) -> String {
        self.fill("page_verified", &[("address", &address)])
    }

    /// The /verify page when nothing was bound.
    pub fn page_refused_title(&self) -> &'static str {
        self.text("page_refused_title")
    }

    /// The token is not signed with HS256 (`none` included).
    pub fn page_refused_alg(&self) -> &'static str {
        self.text("page_refused_alg")
    }

    /// The token's signature is wrong.
    pub fn page_refused_signature(&self) -> &'static str {
        self.text("page_refused_signature")
    }

    /// The token names a key that is not configured.
    pub fn page_refused_kid(&self) -> &'static str {
        self.text("page_refused_kid")
    }

    /// The token has expired.
    pub fn page_refused_expired(&self) -> &'static str {
        self.text("page_refused_expired")
    }

    /// `email_verified` is false.
    pub fn page_refused_unverified(&self) -> &'static str {
        self.text("page_refused_unverified")
    }

    /// The token lacks a claim, or is for another site (`aud`).
    pub fn page_refused_claims(&self) -> &'static str {
        self.text("page_refused_claims")
    }

    /// After a refusal that leaves the link usable.
    pub fn page_try_again(&self) -> &'static str {
        self.text("page_try_again")
    }

    /// The state is not one relaydesk gave.
    pub fn page_state_unknown(&self) -> &'static str {
        self.text("page_state_unknown")
    }

    /// The state has expired.
    pub fn page_state_expired(&self) -> &'static str {
        self.text("page_state_expired")
    }

    /// The state was used, or refused too often.
    pub fn page_state_used(&self) -> &'static str {
        self.text("page_state_used")
    }

    /// The unsubscribe page.
    pub fn page_unsubscribe_title(&self) -> &'static str {
        self.text("page_unsubscribe_title")
    }

    /// Asking before unsubscribing.
    pub fn page_unsubscribe_confirm(&self) -> &'static str {
        self.text("page_unsubscribe_confirm")
    }

    /// The unsubscribe button.
    pub fn page_unsubscribe_button(&self) -> &'static str {
        self.text("page_unsubscribe_button")
    }

    /// After unsubscribing.
    pub fn page_unsubscribed(&self) -> &'static str {
        self.text("page_unsubscribed")
    }

    /// An unsubscribe link that is not known.
    pub fn page_unsubscribe_unknown(&self) -> &'static str {
        self.text("page_unsubscribe_unknown")
    }

    /// A page that could not reach the database.
    pub fn page_unavailable(&self) -> &'static str {
        self.text("page_unavailable")
    }

    /// A ticket of the same requester, opened on another platform.
    pub fn ticket_elsewhere(&self, number: i64, platform: &str) -> String {
        self.fill(
            "ticket_elsewhere",
            &[("number", &number), ("platform", &platform)],
        )
    }

    /// Something typed after the sign-in link expired.
    pub fn verify_link_expired(&self) -> &'static str {
        self.text("verify_link_expired")
    }
}
