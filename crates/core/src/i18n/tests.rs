use std::collections::{BTreeMap, BTreeSet};

use super::catalogue::KEYS;
use super::*;
use crate::types::State;

/// Every method of a catalogue, with `number` as the ticket number and `name` for the
/// names (agents, files, queues): each branch once (with and without a reason, each
/// state, one day and several).
macro_rules! every_sentence {
    ($say:expr, $number:expr, $name:expr) => {{
        let say = $say;
        let (n, who): (i64, &str) = ($number, $name);
        let mut out: Vec<(String, String)> = Vec::new();
        let mut add = |what: &str, text: String| out.push((what.to_string(), text));
        add("empty_message", say.empty_message());
        add("too_short", say.too_short());
        add("no_match", say.no_match());
        add("articles_intro", say.articles_intro().into());
        add("articles_question", say.articles_question().into());
        add("feedback_labels", say.feedback_labels().join(" | "));
        add("glad_it_helped", say.glad_it_helped());
        add("not_relayed", say.not_relayed(n));
        add("ticket_opened", say.ticket_opened(n, who));
        add("web_ticket_opened", say.web_ticket_opened(n, who));
        add("continue_in_private", say.continue_in_private(n));
        add("no_history", say.no_history());
        add("tickets_intro", say.tickets_intro(1));
        add("tickets_intro 2", say.tickets_intro(2));
        for state in State::ALL {
            add("ticket_line", say.ticket_line(n, who, state, "2024-05-01"));
            add("ticket_shown", say.ticket_shown(n, state));
        }
        add("blocked", say.blocked());
        add("welcome_back", say.welcome_back());
        add("triage_first", say.triage_first(who));
        add("triage_again", say.triage_again(who));
        add("triage_again_text", say.triage_again_text(who));
        add("triage_needed", say.triage_needed(who));
        add("triage_almost", say.triage_almost(who));
        add("triage_cancelled", say.triage_cancelled());
        add("skip_label", say.skip_label().into());
        for (weekday, days_ahead) in (0..7).map(|d| (d, 1)).chain([(0, 9)]) {
            let opening = crate::desk::Opening {
                weekday,
                time: "09:00".into(),
                date: "2026-12-07".into(),
                days_ahead,
            };
            add("back_at", say.back_at(who, &opening, "Asia/Seoul"));
        }
        add("more_label", say.more_label().into());
        add("no_such_ticket", say.no_such_ticket(n));
        add("you", say.you().into());
        add("bot_name", say.bot_name().into());
        add("closed_offer", say.closed_offer(n));
        add("follow_up_label", say.follow_up_label().into());
        add("continuing", say.continuing(n));
        add("continue_or_new", say.continue_or_new(n));
        add("continue_label", say.continue_label(n));
        add("new_ticket_label", say.new_ticket_label().into());
        add("how_did_we_do", say.how_did_we_do());
        add("ask_comment", say.ask_comment());
        add("feedback_thanks", say.feedback_thanks());
        add("transferred", say.transferred(n, who));
        add(
            "article_shared",
            say.article_shared(who, "https://help.example.com/articles/x"),
        );
        add("unknown_command", say.unknown_command(who));
        add("moved_elsewhere", say.moved_elsewhere(n, who));
        add("rated", say.rated(4));
        add("rating_comment", say.rating_comment(who));
        add("unknown_queue", say.unknown_queue(who, "support, sales"));
        add("same_queue", say.same_queue(who));
        add("transferred_to", say.transferred_to(who, "billing"));
        add("transferred_from", say.transferred_from(who, "support"));
        add("unknown_snippet", say.unknown_snippet(who, "refund"));
        add("unknown_snippet none", say.unknown_snippet(who, ""));
        add("article_usage", say.article_usage().into());
        add("unknown_article", say.unknown_article(who));
        add("article_learned", say.article_learned(who, "how do I pay?"));
        add("priority_usage", say.priority_usage().into());
        add("priority_set", say.priority_set(who, "high"));
        add("block_usage", say.block_usage().into());
        add("blocked_by", say.blocked_by(who, None));
        add(
            "blocked_by until",
            say.blocked_by(who, Some("2026-12-08 09:00 UTC")),
        );
        add("not_blocked", say.not_blocked().into());
        add("unblocked_by", say.unblocked_by(who));
        add("held_intro", say.held_intro().into());
        add("skipped", say.skipped().into());
        add("not_your_choice", say.not_your_choice());
        add("no_queue", say.no_queue());
        add("claimed", say.claimed(who));
        add("solved", say.solved(n));
        add("closed", say.closed(n, None));
        add("closed+reason", say.closed(n, Some(who)));
        add("closed_after_solved 1", say.closed_after_solved(n, "1"));
        add("closed_after_solved 4", say.closed_after_solved(n, "4"));
        add("closed_after_solved 0.5", say.closed_after_solved(n, "0.5"));
        add("reopened", say.reopened(n));
        add("answered_in_private", say.answered_in_private().into());
        add("not_taken", say.not_taken().into());
        add("panel_text", say.panel_text().into());
        add("panel_button", say.panel_button().into());
        add("command_description", say.command_description().into());
        add("command_option", say.command_option().into());
        add("suggestions_intro", say.suggestions_intro().into());
        add("suggestion_buttons", say.suggestion_buttons().join(" | "));
        add("not_your_post", say.not_your_post().into());
        add("edited", say.edited(who));
        add("deleted", say.deleted().into());
        add("file_sent", say.file_sent(who));
        add(
            "file_too_large",
            say.file_too_large(None, who, 25, "https://files.example/x"),
        );
        add(
            "file_too_large+who",
            say.file_too_large(Some("Ada"), who, 25, "https://files.example/x"),
        );
        add("agent_help", say.agent_help().into());
        add("anonymous_agent", say.anonymous_agent().into());
        add("person_reopened", say.person_reopened().into());
        add("delivery_failed", say.delivery_failed("timed out"));
        add("not_an_agent", say.not_an_agent().into());
        add(
            "card_from_post",
            say.card_from_post("https://chat.example/p/1"),
        );
        add(
            "delivery_delayed",
            say.delivery_delayed("slack", "rate limited"),
        );
        add("claimed_by", say.claimed_by(who));
        add("took_over", say.took_over(who, n, "Alan"));
        add("solved_by", say.solved_by(who));
        add("closed_by", say.closed_by(who, None));
        add("closed_by+reason", say.closed_by(who, Some("duplicate")));
        add("closed_by_timer 1", say.closed_by_timer("1"));
        add("closed_by_timer 4", say.closed_by_timer("4"));
        for state in State::ALL {
            add("already", say.already(n, state));
        }
        add("kept_as_note", say.kept_as_note(n));
        add("open_already", say.open_already(n));
        add("newer_conversation", say.newer_conversation(n));
        add("reopened_by", say.reopened_by(who));
        add("transcript_intro", say.transcript_intro().into());
        add("transcript_bot", say.transcript_bot().into());
        add("card_title", say.card_title(n, who));
        add(
            "card_from",
            say.card_from(who, "slack", "U123", "unverified"),
        );
        add(
            "card_verified",
            say.card_verified("ada@example.com", "slack"),
        );
        add("card_unverified", say.card_unverified().into());
        add("card_language", say.card_language("ko"));
        add("card_priority", say.card_priority("high"));
        add("card_continues", say.card_continues(n));
        add("card_hint", say.card_hint().into());
        for state in State::ALL {
            for (assignee, reason) in [(None, None), (Some(who), Some("duplicate"))] {
                add("card_status", say.card_status(state, assignee, reason));
            }
        }
        add("card_buttons", say.card_buttons().join(" | "));
        add("console_ticket_open", say.console_ticket_open(n, who));
        add("console_agent_usage", say.console_agent_usage().into());
        add("console_no_ticket", say.console_no_ticket().into());
        add("console_hello", say.console_hello().into());
        add(
            "console_send_again",
            say.console_send_again("the database is down"),
        );
        add("console_welcome", say.console_welcome().into());
        add("ticket_elsewhere", say.ticket_elsewhere(n, "slack"));
        add("verify_intro", say.verify_intro().into());
        add("verify_how", say.verify_how().into());
        add("verify_intro_optional", say.verify_intro_optional().into());
        add("verify_by_code_label", say.verify_by_code_label().into());
        add("verify_by_link_label", say.verify_by_link_label().into());
        add("new_code_label", say.new_code_label().into());
        add("new_link_label", say.new_link_label().into());
        add("cancel_label", say.cancel_label().into());
        add("verify_ask_email", say.verify_ask_email().into());
        add("verify_not_an_address", say.verify_not_an_address().into());
        add("verify_typo", say.verify_typo("ada@example.com"));
        add("verify_blocked", say.verify_blocked("ada@example.com"));
        add(
            "verify_code_sent",
            say.verify_code_sent("ada@example.com", n),
        );
        add("verify_wrong_code", say.verify_wrong_code(n));
        add("verify_spent", say.verify_spent().into());
        add("verify_expired", say.verify_expired().into());
        add("verify_too_many", say.verify_too_many(n));
        add("verify_type_code", say.verify_type_code("ada@example.com"));
        add("verify_done", say.verify_done("ada@example.com"));
        add(
            "verify_link",
            say.verify_link("https://app.example.com/login?state=1", n),
        );
        add("verify_link_waiting", say.verify_link_waiting().into());
        add("verify_link_expired", say.verify_link_expired().into());
        add("verify_link_spent", say.verify_link_spent().into());
        add("verify_needed", say.verify_needed().into());
        add("verify_cancelled", say.verify_cancelled().into());
        add("verify_in_private", say.verify_in_private().into());
        add(
            "card_also",
            say.card_also("ada@example.com", "ada@example.com", "ada@example.com"),
        );
        add("email_code_subject", say.email_code_subject().into());
        add("email_code_text", say.email_code_text("ada@example.com", n));
        add("email_away_subject", say.email_away_subject(n));
        add("email_away_intro", say.email_away_intro(n));
        add("email_away_wrote", say.email_away_wrote("ada@example.com"));
        add(
            "email_away_continue",
            say.email_away_continue("https://app.example.com/login?state=1"),
        );
        add(
            "email_away_continue_chat",
            say.email_away_continue_chat().into(),
        );
        add("card_web_form", say.card_web_form().into());
        add("email_web_subject", say.email_web_subject(n));
        add("email_web_received", say.email_web_received("<b>", n));
        add(
            "email_web_activity",
            say.email_web_activity("https://desk.example.com/activity"),
        );
        add("email_signin_subject", say.email_signin_subject().into());
        add("email_signin_text", say.email_signin_text(15));
        add("email_signin_ignore", say.email_signin_ignore().into());
        add(
            "email_unsubscribe",
            say.email_unsubscribe("https://app.example.com/login?state=1"),
        );
        add("page_verified_title", say.page_verified_title().into());
        add("page_verified", say.page_verified("ada@example.com"));
        add("page_refused_title", say.page_refused_title().into());
        add("page_refused_alg", say.page_refused_alg().into());
        add(
            "page_refused_signature",
            say.page_refused_signature().into(),
        );
        add("page_refused_kid", say.page_refused_kid().into());
        add("page_refused_expired", say.page_refused_expired().into());
        add(
            "page_refused_unverified",
            say.page_refused_unverified().into(),
        );
        add("page_refused_claims", say.page_refused_claims().into());
        add("page_try_again", say.page_try_again().into());
        add("page_state_unknown", say.page_state_unknown().into());
        add("page_state_expired", say.page_state_expired().into());
        add("page_state_used", say.page_state_used().into());
        add(
            "page_unsubscribe_title",
            say.page_unsubscribe_title().into(),
        );
        add(
            "page_unsubscribe_confirm",
            say.page_unsubscribe_confirm().into(),
        );
        add(
            "page_unsubscribe_button",
            say.page_unsubscribe_button().into(),
        );
        add("page_unsubscribed", say.page_unsubscribed().into());
        add(
            "page_unsubscribe_unknown",
            say.page_unsubscribe_unknown().into(),
        );
        add("page_unavailable", say.page_unavailable().into());
        out
    }};
}

fn file_keys(lang: Lang) -> BTreeSet<&'static str> {
    file(lang).keys().map(String::as_str).collect()
}

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn each_language_file_parses() {
    for (lang, text) in FILES {
        let parsed: Result<BTreeMap<String, String>, _> = toml::from_str(text);
        assert!(
            parsed.is_ok(),
            "messages/{}.toml: {:?}",
            lang.as_str(),
            parsed.err()
        );
        assert!(!file(lang).is_empty());
    }
}

#[test]
fn both_files_have_the_same_keys_as_the_methods() {
    let methods: BTreeSet<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    assert_eq!(methods.len(), KEYS.len(), "a key is listed twice in KEYS");
    assert_eq!(file_keys(Lang::En), file_keys(Lang::Ko));
    for lang in Lang::ALL {
        let keys = file_keys(lang);
        assert_eq!(
            keys.difference(&methods).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "keys of messages/{}.toml no method uses",
            lang.as_str()
        );
        assert_eq!(
            methods.difference(&keys).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "keys missing from messages/{}.toml",
            lang.as_str()
        );
    }
}

#[test]
fn every_template_uses_only_the_values_its_method_fills() {
    for lang in Lang::ALL {
        // The files pass the same check as an override.
        assert_eq!(check_overrides(lang, file(lang)), Vec::<String>::new());
    }
}

#[test]
fn every_method_fills_every_value() {
    super::catalogue::USED.with(|used| used.borrow_mut().clear());
    for lang in Lang::ALL {
        for (number, name) in [
            (1, "Grace"),
            (2, "Slack"),
            (10, "상담팀"),
            (3, "report.pdf"),
        ] {
            for (what, text) in every_sentence!(catalogue(lang), number, name) {
                assert!(!text.trim().is_empty(), "{lang:?} {what} is empty");
                assert!(!text.contains(['{', '}']), "{lang:?} {what}: {text}");
            }
        }
    }
    // And the sentences above read every key.
    let used = super::catalogue::USED.with(|used| used.borrow().clone());
    let unread: Vec<&str> = KEYS
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !used.contains(k))
        .collect();
    assert!(
        unread.is_empty(),
        "keys no sentence above reads: {unread:?}"
    );
}

#[test]
fn korean_particles_follow_the_number() {
    let ko = catalogue(Lang::Ko);
    for (number, expected) in [
        (1, "티켓 #1을"),
        (2, "티켓 #2를"),
        (10, "티켓 #10을"),
        (3, "티켓 #3을"),
    ] {
        let text = ko.ticket_opened(number, "support");
        assert!(text.contains(&format!("{expected} 열었어요")), "{text}");
    }
    assert!(ko.solved(2).starts_with("티켓 #2가 "));
    assert!(ko.solved(3).starts_with("티켓 #3이 "));
    assert!(ko.open_already(4).starts_with("티켓 #4는 "));
    assert!(ko.open_already(100).starts_with("티켓 #100은 "));
    assert!(ko
        .file_too_large(Some("Ada"), "report.pdf", 25, "https://x")
        .contains("report.pdf를 보냈어요"));
    assert!(ko
        .took_over("Grace", 6, "Alan")
        .contains("티켓 #6을 넘겨받았어요"));
}

#[test]
fn no_korean_sentence_hedges_its_particle() {
    let hedges = [
        "(을)", "(를)", "(이)", "(가)", "(은)", "(는)", "(와)", "(과)", "(로)", "(으로)",
    ];
    for (key, template) in file(Lang::Ko) {
        for hedge in hedges {
            assert!(!template.contains(hedge), "ko.toml {key}: {template}");
        }
    }
    for (number, name) in [(1, "Grace"), (2, "Slack"), (10, "상담팀")] {
        for (what, text) in every_sentence!(catalogue(Lang::Ko), number, name) {
            for hedge in hedges {
                assert!(!text.contains(hedge), "{what}: {text}");
            }
        }
    }
}

#[test]
fn every_language_speaks() {
    for lang in Lang::ALL {
        let say = catalogue(lang);
        assert_eq!(say.lang(), lang);
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
    assert_eq!(
        agents().closed_after_solved(5, "1"),
        "Ticket #5 was solved 1 day ago and is now closed. If you need anything else, write here: that starts a new conversation."
    );
    assert!(agents().closed_by_timer("4").contains("solved 4 days ago"));
}

#[test]
fn an_override_changes_the_sentence() {
    let mut all = BTreeMap::new();
    all.insert(
        Lang::Ko,
        overrides(&[("ticket_opened", "{queue} 팀 티켓 #{number|를} 접수했어요.")]),
    );
    all.insert(Lang::En, overrides(&[("card_unverified", "not verified")]));
    let built = Catalogues::build(&all).expect("valid overrides");
    assert_eq!(
        built.ko.ticket_opened(2, "billing"),
        "billing 팀 티켓 #2를 접수했어요."
    );
    assert_eq!(
        built.ko.ticket_opened(3, "billing"),
        "billing 팀 티켓 #3을 접수했어요."
    );
    assert_eq!(built.en.card_unverified(), "not verified");
    // Everything else as in the files.
    assert_eq!(
        built.en.ticket_opened(2, "x"),
        catalogue(Lang::En).ticket_opened(2, "x")
    );
    assert_eq!(built.ko.card_unverified(), "미인증");
}

#[test]
fn an_unknown_key_is_named_with_the_near_ones() {
    let problems = check_overrides(Lang::Ko, &overrides(&[("ticket_opend", "티켓")]));
    assert_eq!(problems.len(), 1);
    let p = &problems[0];
    assert!(p.starts_with("messages.ko.ticket_opend: "), "{p}");
    assert!(p.contains("did you mean `ticket_opened`?"), "{p}");
    assert!(p.contains("messages/ko.toml"), "{p}");

    let p = &check_overrides(Lang::En, &overrides(&[("card_status", "x")]))[0];
    assert!(p.contains("`card_status_waiting`"), "{p}");
    let p = &check_overrides(Lang::En, &overrides(&[("hello_there", "x")]))[0];
    assert!(
        p.contains("there is no message `hello_there` (messages/en.toml"),
        "{p}"
    );
}

#[test]
fn a_value_the_key_lacks_is_named_with_the_ones_it_has() {
    let problems = check_overrides(
        Lang::En,
        &overrides(&[("ticket_opened", "Ticket #{nubmer} for {queue}, {agent}")]),
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(
        problems[0],
        "messages.en.ticket_opened: `{nubmer}` is not a value of this message; it has {number}, {queue}"
    );
    assert!(problems[1].contains("`{agent}`"));
    let p = &check_overrides(Lang::En, &overrides(&[("deleted", "{text} gone")]))[0];
    assert!(p.starts_with("messages.en.deleted: `{text}`"), "{p}");
    assert!(p.contains("which has none"), "{p}");
}

#[test]
fn an_unbalanced_brace_and_an_unknown_particle_are_named() {
    let p = &check_overrides(
        Lang::En,
        &overrides(&[("solved", "Ticket #{number solved.")]),
    )[0];
    assert!(
        p.starts_with("messages.en.solved: the `{` at character 9"),
        "{p}"
    );
    let p = &check_overrides(
        Lang::En,
        &overrides(&[("solved", "Ticket #number} solved.")]),
    )[0];
    assert!(p.contains("closes no `{`"), "{p}");
    let p = &check_overrides(
        Lang::Ko,
        &overrides(&[("solved", "티켓 #{number|의} 해결")]),
    )[0];
    assert!(
        p.starts_with("messages.ko.solved: `{number|의}`: `의` is not a particle"),
        "{p}"
    );
    let p = &check_overrides(Lang::Ko, &overrides(&[("solved", "  ")]))[0];
    assert!(p.contains("empty"), "{p}");
    // Braces written twice are a brace itself.
    assert!(
        check_overrides(Lang::En, &overrides(&[("solved", "{{#{number}}} solved")])).is_empty()
    );
}

#[test]
fn bad_overrides_build_nothing() {
    let mut all = BTreeMap::new();
    all.insert(Lang::En, overrides(&[("solved", "{oops}")]));
    all.insert(Lang::Ko, overrides(&[("nope", "x")]));
    let problems = Catalogues::build(&all).err().expect("refused");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("messages.en.solved: "));
    assert!(problems[1].starts_with("messages.ko.nope: "));
}

#[test]
fn installing_after_the_first_sentence_is_refused() {
    let _ = catalogue(Lang::En);
    let mut all = BTreeMap::new();
    all.insert(Lang::En, overrides(&[("card_unverified", "not verified")]));
    let problems = install_overrides(&all).expect_err("too late");
    assert!(problems[0].contains("already in use"), "{problems:?}");
    assert_eq!(agents().card_unverified(), "unverified");
    // Wrong overrides are named as well as late.
    all.insert(Lang::En, overrides(&[("nope", "x")]));
    let problems = install_overrides(&all).expect_err("wrong and too late");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("messages.en.nope: "));
    assert!(problems[1].contains("already in use"));
}

#[test]
fn history_words() {
    for word in [
        "history",
        " History ",
        "my tickets",
        "Previous conversations?",
        "이전 대화",
        "내 티켓",
        "내역",
        "기록",
    ] {
        assert!(is_history_request(word), "{word:?}");
    }
    assert!(!is_history_request("my history of refunds"));
}
