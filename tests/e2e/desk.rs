//! The help desk end to end: triage (routing, a restart in the middle, cancel, skip),
//! business hours, history, satisfaction and agents' tools, through the scripted
//! console with the shipped `bot.toml`, and buttons through Slack's fake.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::fake_slack::{self as fake, FakeSlack};
use crate::helpers::{self, Workspace, WAIT};
use crate::slack::{blocks_text, users, Bot};

const AGENTS: &str = "CAGENTS";

#[test]
fn triage_routes_to_billing_and_resumes_after_a_restart() {
    let ws = Workspace::new();
    let mut console = ws.console();
    console.say("I need to talk to an agent about my invoice");
    console.expect("bot> Before I open a ticket, a few quick questions");
    console.expect("bot> What is your question about?");
    console.expect("bot>   2) Billing and payments");
    console.say("purple");
    console.expect("bot> Sorry, that is not one of the options. What is your question about?");
    console.say("talk to an agent");
    console.expect("answer this and your ticket opens. What is your question about?");
    console.say("it's about billing");
    console.expect("bot> Which part of the product?");
    console.kill();

    // Started again: the same question, not the first one.
    let mut console = ws.console();
    console.say("hmm");
    console.expect("bot> Sorry, that is not one of the options. Which part of the product?");
    console.say("skip");
    console.expect("bot> How much is this affecting your business?");
    console.say("4");
    console.expect("bot> I've opened ticket #1 with the billing team.");
    for line in [
        "agent[billing]> Ticket #1 · billing",
        "agent[billing]> Priority: critical",
        "agent[billing]> Question type: Billing and payments",
        "agent[billing]> Product area: (skipped)",
        "agent[billing]> Business impact: Critical",
    ] {
        console.expect(line);
    }
    console.finish();

    let list = ws.run(&["tickets", "list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("#1") && list.contains("critical") && list.contains("billing"),
        "{list}"
    );
    let show = ws.run(&["tickets", "show", "1"]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.contains("question_type: Billing and payments"),
        "{show}"
    );
}

/// Today's weekday in UTC, 0 = Monday.
fn weekday_today() -> u64 {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    (days + 3) % 7
}

#[test]
fn korean_triage_with_cancel_and_business_hours() {
    let ws = Workspace::new();
    // The support team works one hour tomorrow only: now is outside its hours.
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let tomorrow = (weekday_today() + 1) % 7;
    let names = [
        "월요일",
        "화요일",
        "수요일",
        "목요일",
        "금요일",
        "토요일",
        "일요일",
    ];
    let config = std::fs::read_to_string(ws.path().join("bot.toml")).unwrap().replace(
        "route = { question_type.billing = \"billing\" }",
        &format!(
            "route = {{ question_type.billing = \"billing\" }}\nbusiness_hours = \"{} 09:00-10:00\"\ntimezone = \"UTC\"",
            days[tomorrow as usize]
        ),
    );
    std::fs::write(ws.path().join("bot.toml"), config).unwrap();

    let mut console = ws.console();
    console.say("상담사에게 문의");
    console.expect("bot> 어떤 문의인가요?");
    console.expect("bot>   1) 기술 문제");
    console.say("취소");
    console.expect("bot> 취소했어요.");
    console.say("상담사에게 문의하고 싶어요");
    console.expect("bot> 어떤 문의인가요?");
    console.say("기술 문제예요");
    console.expect("bot> 어느 기능에 관한 문의인가요?");
    console.expect("bot>   5) 건너뛰기");
    console.say("건너뛰기");
    console.expect("bot> 업무에 얼마나 영향을 주나요?");
    console.say("높음");
    console.expect("bot> support 팀에 티켓 #1을 열었어요.");
    let back = console.expect("support 팀은");
    assert!(
        back.contains(&format!(
            "support 팀은 {} 09:00 (UTC)에 돌아와서",
            names[tomorrow as usize]
        )),
        "{back}"
    );
    console.expect("agent[support]> Priority: high");
    console.expect("agent[support]> Question type: Something isn't working");
    console.finish();
}

#[test]
fn history_satisfaction_and_agent_tools_in_the_console() {
    let ws = Workspace::new();
    let mut console = ws.console();
    console.say("talk to an agent");
    console.pass_triage("1", "skip");
    console.expect("bot> I've opened ticket #1 with the support team.");
    for n in 2..=6 {
        console.say("new ticket");
        console.pass_triage("1", "skip");
        console.expect(&format!(
            "bot> I've opened ticket #{n} with the support team."
        ));
    }
    console.say("history");
    console.expect("bot> Your tickets, newest first:");
    console.expect("bot> #6 · Something isn't working · queued");
    console.expect("bot>   6) More");
    console.say("more");
    console.expect("bot> Your tickets, newest first (page 2):");
    console.expect("bot> #1 · talk to an agent · queued");
    console.say("#2");
    console.expect("bot> OK: your next messages go to ticket #2.");
    console.say("Back to my second ticket");
    console.expect("agent[support]> [you] Back to my second ticket");

    // Agents' tools, on the ticket last shown (#2).
    console.say("/agent !snippet refund");
    console.expect("bot> [agent] I've started a refund.");
    console.say("/agent !frobnicate");
    console.expect("agent[support]> `!frobnicate` is not a command, so nothing was sent.");
    console.say("/agent !solve");
    console.expect("bot> How did we do? Choose 1 (poor) to 5 (great).");
    console.say("5");
    console.expect("agent[support]> The person rated this ticket 5/5.");
    console.expect("bot> Thank you! Anything you'd like to add?");
    console.say("Very quick, thank you");
    console.expect("agent[support]> Their comment: Very quick, thank you");
    console.expect("bot> Thanks for your feedback!");
    console.say("/agent !transfer sales");
    console.expect("agent[sales]> Ticket #2 · sales");
    console.expect("bot> Ticket #2 has been passed to the sales team.");
    console.say("/agent !block 1d");
    console.expect("Blocked by agent until");
    console.say("hello? anyone?");
    console.expect("bot> Sorry, you can't open support requests right now.");
    console.say("/agent !unblock");
    console.expect("While blocked, they wrote:");
    console.finish();

    let show = ws.run(&["tickets", "show", "2"]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.contains("Back to my second ticket") && show.contains("rating: 5/5"),
        "{show}"
    );
    let list = ws.run(&["tickets", "list", "--queue", "sales"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("#2") && !list.contains("#3"), "{list}");
}

#[test]
fn triage_and_rating_by_slack_buttons() {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = Workspace::new();
    let slack = format!(
        "[slack]\nenabled = true\nmode = \"socket\"\napi_url = \"{}\"\ntrusted_team_ids = [\"T1\"]",
        fake.api_url()
    );
    let toml = helpers::bot_toml(&slack, "slack:CAGENTS", "slack:CAGENTS").replace(
        "phrases = [\"talk to an agent\", \"상담사에게 문의\"]",
        "phrases = [\"talk to an agent\", \"상담사에게 문의\"]\ntriage = [\"question_type\", \"business_impact\"]",
    ) + TRIAGE;
    std::fs::write(ws.path().join("bot.toml"), toml).unwrap();
    let _bot = Bot::start(&ws);
    fake.wait_connected(WAIT);

    fake.send_event(fake::dm("U1", "DU1", "1000.000100", "talk to an agent"));
    let asked = fake.wait_posted(
        "DU1",
        |m| m.text.contains("What is your question about?"),
        WAIT,
    );
    // Six options: a select menu rather than a row of buttons.
    let menu = blocks_text(&asked);
    assert!(
        menu.contains("static_select") && menu.contains("Billing") && !menu.contains("\"button\""),
        "{menu}"
    );
    fake.send_interaction(fake::select_action(
        "U1",
        "DU1",
        &asked.ts,
        "triage:question_type:billing",
        "Billing",
    ));
    let impact = fake.wait_posted(
        "DU1",
        |m| m.text.contains("How much is this affecting"),
        WAIT,
    );
    assert!(blocks_text(&impact).contains("Skip"), "{impact:?}");
    fake.send_interaction(fake::block_action(
        "U1",
        "DU1",
        &impact.ts,
        None,
        "relaydesk-1",
        "triage:business_impact:high",
    ));
    let card = fake.wait_posted(AGENTS, |m| m.text.contains("Ticket #1"), WAIT);
    let shown = format!("{} {}", card.text, blocks_text(&card));
    assert!(
        shown.contains("Priority: high") && shown.contains("Question type: Billing"),
        "{shown}"
    );
    fake.wait_posted("DU1", |m| m.text.contains("opened ticket #1"), WAIT);

    fake.send_event(fake::channel_message(
        "UAG",
        AGENTS,
        "1000.000200",
        Some(&card.ts),
        "!solve",
    ));
    let rate = fake.wait_posted("DU1", |m| m.text.contains("How did we do?"), WAIT);
    fake.send_interaction(fake::block_action(
        "U1",
        "DU1",
        &rate.ts,
        None,
        "relaydesk-4",
        "rate:5",
    ));
    fake.wait_posted(
        AGENTS,
        |m| m.thread_ts.as_deref() == Some(&card.ts) && m.text.contains("rated this ticket 5/5"),
        WAIT,
    );
}

#[test]
fn triage_and_rating_by_discord_components() {
    use crate::discord::{people, start, ADA, FORUM, GRACE};
    use crate::fake_discord::FakeDiscord;

    let fake = FakeDiscord::start();
    people(&fake);
    let ws = Workspace::new();
    let discord = format!(
        "[discord]\nenabled = true\napi_url = \"{}\"\nguild_ids = [\"{}\"]",
        fake.api_url(),
        FakeDiscord::GUILD
    );
    let agents = format!("discord:{FORUM}");
    let toml = helpers::bot_toml(&discord, &agents, &agents).replace(
        "phrases = [\"talk to an agent\", \"상담사에게 문의\"]",
        "phrases = [\"talk to an agent\", \"상담사에게 문의\"]\ntriage = [\"question_type\", \"business_impact\"]",
    ) + TRIAGE;
    std::fs::write(ws.path().join("bot.toml"), toml).unwrap();
    let _bot = start(&ws, &[]);
    fake.wait_connected(WAIT);

    fake.dm(ADA, "상담사에게 문의");
    let dm = fake.dm_channel(ADA);
    let asked = fake.wait_posted(
        &dm,
        |m| m.content.contains("어떤 문의인가요?"),
        WAIT,
        "the first question",
    );
    // Six options: a select menu.
    assert!(
        asked.components.to_string().contains("relaydesk:select"),
        "{asked:?}"
    );
    fake.select(
        &dm,
        &asked.id,
        ADA,
        "relaydesk:select",
        &["triage:question_type:billing"],
    );
    let impact = fake.wait_posted(
        &dm,
        |m| m.content.contains("업무에 얼마나"),
        WAIT,
        "the second question",
    );
    assert!(
        impact.components.to_string().contains("건너뛰기"),
        "{impact:?}"
    );
    fake.press(&dm, &impact.id, ADA, "triage:business_impact:high");
    let post = fake.wait_thread(FORUM, WAIT);
    let card = fake.wait_posted(
        &post.id,
        |m| m.embeds.to_string().contains("Ticket #1"),
        WAIT,
        "the card",
    );
    let shown = card.embeds.to_string();
    assert!(
        shown.contains("Priority: high") && shown.contains("Question type: Billing"),
        "{shown}"
    );
    fake.wait_posted(
        &dm,
        |m| m.content.contains("티켓 #1을"),
        WAIT,
        "the ticket's notice in Korean",
    );

    fake.thread_message(&post.id, GRACE, "!solve");
    let rate = fake.wait_posted(
        &dm,
        |m| m.content.contains("상담은 어떠셨나요?"),
        WAIT,
        "the rating question",
    );
    fake.press(&dm, &rate.id, ADA, "rate:4");
    fake.wait_posted(
        &post.id,
        |m| m.content.contains("rated this ticket 4/5"),
        WAIT,
        "the rating in the ticket's post",
    );
}

/// The questions of the Slack and Discord tests: six kinds (a select menu), and an
/// optional impact.
const TRIAGE: &str = r#"
[[question]]
id = "question_type"
prompt = { en = "What is your question about?", ko = "어떤 문의인가요?" }
options = [ { id = "technical", en = "Something isn't working", ko = "기술 문제" }, { id = "billing", en = "Billing", ko = "결제" },
    { id = "account", en = "My account", ko = "계정" }, { id = "security", en = "Security", ko = "보안" },
    { id = "data", en = "Data and exports", ko = "데이터" }, { id = "other", en = "Something else", ko = "기타" } ]

[[question]]
id = "business_impact"
required = false
prompt = { en = "How much is this affecting your business?", ko = "업무에 얼마나 영향을 주나요?" }
options = [ { id = "low", en = "Low", ko = "낮음" }, { id = "high", en = "High", ko = "높음" } ]
"#;

#[test]
fn sentences_are_replaced_by_key_and_a_wrong_key_is_named() {
    let ws = Workspace::new();
    let config = std::fs::read_to_string(ws.path().join("bot.toml")).unwrap()
        + "\n[messages.en]\nticket_opened = \"Ticket #{number} is open: the {queue} team answers here.\"\n\
           \n[messages.ko]\nticket_opened = \"{queue} 팀에 티켓 #{number|을} 접수했어요.\"\n";
    std::fs::write(ws.path().join("bot.toml"), &config).unwrap();
    let mut console = ws.console();
    console.say("talk to an agent");
    console.pass_triage("1", "skip");
    console.expect("bot> Ticket #1 is open: the support team answers here.");
    console.say("/agent !close done");
    console.say("상담사에게 문의");
    console.pass_triage("1", "건너뛰기");
    console.expect("bot> support 팀에 티켓 #2를 접수했어요.");
    console.finish();

    let wrong = config.replace("ticket_opened = \"Ticket", "ticket_open = \"Ticket");
    std::fs::write(ws.path().join("bot.toml"), wrong).unwrap();
    let out = ws.run(&["check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("messages.en.ticket_open"), "{stderr}");
}
