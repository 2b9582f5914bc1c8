//! A person and an agent in `relaydesk console`, across a crash and a restart.

use crate::helpers::Workspace;

#[test]
fn scripted_console_session_survives_a_restart() {
    let ws = Workspace::new();

    let mut console = ws.console();
    console.say("how do I talk to an agent");
    console.expect("bot> Talk to a support agent — ");
    console.expect("bot>     1. ");
    console.expect("bot>   3) Talk to an agent");

    console.say("My invoice shows the wrong company name. Can I please talk to an agent?");
    console.pass_triage("1", "skip");
    console.expect("bot> I've opened ticket #1 with the support team.");
    console.expect("agent[support]> Ticket #1 · support");
    console.expect("agent[support]> you: My invoice shows the wrong company name.");

    console.say("/agent Hi, I'm looking at your invoice now.");
    console.expect("bot> [agent] Hi, I'm looking at your invoice now.");
    let before_notes = console.seen.len();
    console.say("/agent !note customer is on the legacy plan");
    console.say("/agent // check the billing system");
    // A reply after the notes: once it is shown, a note shown to anyone would be too.
    console.say("/agent One moment please.");
    console.expect("bot> [agent] One moment please.");
    let after_notes = &console.seen[before_notes..];
    assert!(
        after_notes
            .iter()
            .all(|l| !l.contains("legacy plan") && !l.contains("billing system")),
        "internal notes were shown: {after_notes:?}"
    );
    console.kill();

    // Started again: the person's next line goes to the same ticket, not a new one.
    let mut console = ws.console();
    console.say("I'm back. Any news about the invoice?");
    console.expect("agent[support]> [you] I'm back. Any news about the invoice?");
    console.say("/agent !close fixed the company name");
    console.expect("bot> Ticket #1 has been closed (fixed the company name).");
    console.say("Where can I see my previous conversations?");
    console.expect("bot> Here is what I found in the help center:");
    let rest = console.finish();
    let everything = rest.join("\n");
    assert!(
        !everything.contains("Ticket #2"),
        "the new question opened no ticket:\n{everything}"
    );

    let list = ws.run(&["conversations", "list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("closed") && list.contains("#1"), "{list}");
    let show = ws.run(&["conversations", "show", "2"]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(show.contains("continues conversation 1"), "{show}");
    let first = ws.run(&["conversations", "show", "1"]);
    let first = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.contains("agent (internal note)") && first.contains("legacy plan"),
        "notes are kept: {first}"
    );
}

#[test]
fn a_100_kb_message_reaches_the_agent_whole() {
    let ws = Workspace::new();
    let mut console = ws.console();
    console.say("talk to an agent");
    console.pass_triage("1", "skip");
    console.expect("agent[support]> Ticket #1");
    console.expect("agent[support]> you: talk to an agent");
    let long: String = (0..15_000).map(|i| format!("w{i:05} ")).collect::<String>() + "end";
    assert!(long.len() > 100_000);
    console.say(&long);
    console.say("/agent got it");
    console.expect("bot> [agent] got it");
    let parts: Vec<String> = console
        .seen
        .iter()
        .filter_map(|l| l.strip_prefix("agent[support]> [you] "))
        .map(str::to_string)
        .collect();
    assert!(
        parts.len() >= 26,
        "split at the console's 4000 characters: {} parts",
        parts.len()
    );
    assert_eq!(parts.concat(), long, "nothing lost or changed");
    console.finish();
}

#[test]
fn empty_and_too_short_lines_get_a_clear_answer() {
    let ws = Workspace::new();
    let mut console = ws.console();
    console.say("");
    console.expect("bot> Your message arrived empty.");
    console.say("hi");
    console.expect("full sentence");
    console.say("상담사에게 문의하고 싶어요");
    console.pass_triage("1", "건너뛰기");
    console.expect("bot> support 팀에 티켓 #1을");
    console.finish();
}

#[test]
fn no_i_still_need_help_hands_off() {
    let ws = Workspace::new();
    let mut console = ws.console();
    console.say("Where can I see the conversations I had before?");
    console.expect("bot> Here is what I found in the help center:");
    console.expect("bot>   2) No, I still need help");
    console.say("nope");
    console.pass_triage("1", "skip");
    console.expect("bot> I've opened ticket #1 with the support team.");
    console.expect("agent[support]> Ticket #1 · support");
    console.finish();
    let show = ws.run(&["conversations", "show", "1"]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.contains("conversation-history-en") && show.contains("(more_help)"),
        "the answer and its feedback are kept: {show}"
    );

    let mut console = ws.console();
    console.say("/agent !close answered");
    console.expect("bot> Ticket #1 has been closed (answered).");
    console.say("비밀번호를 잊어버렸는데 인증 코드가 오지 않아요");
    console.expect("bot> 도움말 센터에서 찾은 내용이에요:");
    console.expect("bot>   1) 도움이 됐어요");
    console.say("도움이 됐어요");
    console.expect("bot> 도움이 되었다니 다행이에요!");
    console.finish();
}

#[test]
fn sigterm_stops_cleanly_and_loses_nothing() {
    let ws = Workspace::new();
    let mut console = ws.console();
    console.say("talk to an agent");
    console.pass_triage("1", "skip");
    console.expect("agent[support]> Ticket #1 · support");
    console.say("one last thing before you go");
    console.expect("agent[support]> [you] one last thing before you go");
    let status = console.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status}");

    let mut console = ws.console();
    console.say("/agent still here?");
    console.expect("bot> [agent] still here?");
    console.finish();
}
