//! The built binary against a fake Slack (Web API + Socket Mode on 127.0.0.1), driving
//! the real slack-morphism client; and the Events API over signed HTTP requests.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fake_slack::{self as fake, FakeSlack, Posted};
use crate::helpers::{self, Log, Workspace, WAIT};

pub(crate) const AGENTS: &str = "CAGENTS";
pub(crate) const SECRET: &str = "test-signing-secret";

/// A workspace whose `bot.toml` points Slack at the fake: both queues' agent channel is
/// `agents` (an address such as `slack:CAGENTS` or `console:agents`).
pub(crate) fn workspace(fake: &FakeSlack, mode: &str, agents: &str) -> Workspace {
    let ws = Workspace::new();
    let slack = format!(
        "[slack]\nenabled = true\nmode = \"{mode}\"\napi_url = \"{}\"\ntrusted_team_ids = [\"T1\"]",
        fake.api_url()
    );
    let toml = helpers::bot_toml(&slack, agents, agents);
    std::fs::write(ws.path().join("bot.toml"), toml).expect("write bot.toml");
    ws
}

pub(crate) fn with_tokens(mut cmd: Command) -> Command {
    cmd.env("SLACK_BOT_TOKEN", "xoxb-test-token")
        .env("SLACK_APP_TOKEN", "xapp-test-token")
        .env("SLACK_SIGNING_SECRET", SECRET);
    cmd
}

/// A running `relaydesk run`; killed when dropped. Its log is shown when a test fails.
pub(crate) struct Bot {
    child: Child,
    log: Option<Log>,
}

impl Bot {
    pub(crate) fn start(ws: &Workspace) -> Bot {
        Bot::start_with(ws, &[])
    }

    /// Starts it with `env` set besides the tokens.
    pub(crate) fn start_with(ws: &Workspace, env: &[(&str, &str)]) -> Bot {
        let mut cmd = with_tokens(ws.command(&["run"]));
        cmd.envs(env.iter().copied());
        cmd.env(
            "RUST_LOG",
            "info,relaydesk_slack=debug,slack_morphism=debug,relaydesk_core=debug",
        );
        Bot::spawn(cmd)
    }

    /// Starts `cmd` (a `relaydesk run` with its environment set).
    pub(crate) fn spawn(mut cmd: Command) -> Bot {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start relaydesk run");
        let log = Log::read(child.stderr.take().expect("stderr"));
        Bot {
            child,
            log: Some(log),
        }
    }

    /// The address its web server listens on.
    pub(crate) fn web_addr(&self) -> String {
        self.log.as_ref().expect("log").web_addr()
    }

    /// Waits for a log line containing `needle`; fails with the log so far.
    pub(crate) fn wait_log(&self, needle: &str) -> String {
        self.log.as_ref().expect("log").wait_for(needle)
    }

    /// SIGTERM, as a service manager stops it; waits for the exit.
    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        helpers::terminate(&mut self.child)
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: nothing gets to shut down cleanly.
    pub(crate) fn kill(mut self) {
        self.child.kill().expect("kill relaydesk");
        self.child.wait().expect("reap relaydesk");
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            if let Some(log) = self.log.take() {
                eprintln!("relaydesk's log:\n{}", log.finish());
            }
        }
    }
}

/// The fake with its people, and relaydesk connected to it in Socket Mode with
/// `slack:CAGENTS` as the agent channel.
fn socket_mode() -> (FakeSlack, Workspace, Bot) {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "socket", "slack:CAGENTS");
    let bot = Bot::start(&ws);
    fake.wait_connected(WAIT);
    (fake, ws, bot)
}

pub(crate) fn users(fake: &FakeSlack) {
    fake.add_user("U1", "Ada", Some("ada@example.com"), "T1");
    fake.add_user("U2", "Bo", Some("bo@elsewhere.example"), "T9");
    fake.add_user("UAG", "Grace", Some("grace@support.example"), "T1");
}

pub(crate) fn blocks_text(p: &Posted) -> String {
    p.blocks.as_ref().map(Value::to_string).unwrap_or_default()
}

/// Waits until `f` holds, or fails with `what`.
pub(crate) fn eventually(what: &str, f: impl Fn() -> bool) {
    within(what, WAIT, f)
}

/// Waits up to `limit` until `f` holds, or fails with `what`.
pub(crate) fn within(what: &str, limit: Duration, f: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what} did not happen within {limit:?}");
}

/// The person asks, gets an answer with buttons and picks "Talk to an agent": returns
/// the ticket card.
fn handoff(fake: &FakeSlack) -> Posted {
    let asked = fake.send_event(fake::dm(
        "U1",
        "DU1",
        "1000.000100",
        "How do I get an email when an agent replies?",
    ));
    assert!(
        fake.wait_ack(&asked, WAIT).is_some(),
        "the event was never acknowledged"
    );
    let answer = fake.wait_posted("DU1", |m| m.text.contains("help.example.com"), WAIT);
    assert!(
        blocks_text(&answer).contains("Talk to an agent"),
        "answer without buttons: {answer:?}"
    );
    fake.send_interaction(fake::block_action(
        "U1",
        "DU1",
        &answer.ts,
        None,
        "relaydesk-2",
        "agent",
    ));
    // The pressed message shows the choice instead of the buttons.
    fake.wait_posted(
        "DU1",
        |m| m.ts == answer.ts && blocks_text(m).contains("✓") && !blocks_text(m).contains("button"),
        WAIT,
    );
    let card = fake.wait_posted(AGENTS, |m| m.text.contains("Ticket #1"), WAIT);
    assert!(card.thread_ts.is_none(), "the card is a root message");
    fake.wait_posted(
        AGENTS,
        |m| m.thread_ts.as_deref() == Some(&card.ts) && m.text.contains("Transcript"),
        WAIT,
    );
    fake.wait_posted("DU1", |m| m.text.contains("opened ticket #1"), WAIT);
    card
}

pub(crate) fn agent_says(fake: &FakeSlack, card: &Posted, ts: &str, text: &str) {
    fake.send_event(fake::channel_message(
        "UAG",
        AGENTS,
        ts,
        Some(&card.ts),
        text,
    ));
}

#[test]
fn slack_dm_to_agent_thread_and_back_in_socket_mode() {
    let (fake, _ws, _bot) = socket_mode();

    let card = handoff(&fake);
    assert!(card.text.contains("Ada"), "{card:?}");
    assert!(
        card.text.contains("ada@example.com (verified by slack)"),
        "a trusted workspace's email verifies: {card:?}"
    );
    assert!(blocks_text(&card).contains("Claim") && blocks_text(&card).contains("Close"));

    agent_says(
        &fake,
        &card,
        "1000.000300",
        "Hi Ada, I can set that up for you.",
    );
    let relayed = fake.wait_posted("DU1", |m| m.text.contains("I can set that up"), WAIT);
    assert!(
        relayed.text.starts_with("*Grace:*"),
        "shown with the agent's name: {relayed:?}"
    );
    // An agent's edit reaches the person's copy.
    fake.send_event(fake::message_changed(
        AGENTS,
        "channel",
        "1000.000300",
        "UAG",
        "Hi Ada, I have set that up for you.",
        "1000.000350",
    ));
    fake.wait_posted(
        "DU1",
        |m| m.ts == relayed.ts && m.text == "*Grace:* Hi Ada, I have set that up for you.",
        WAIT,
    );

    // Notes stay internal; a ping typed by an agent reaches the person as plain words.
    agent_says(&fake, &card, "1000.000400", "!note she asked twice already");
    agent_says(
        &fake,
        &card,
        "1000.000500",
        "// check the billing account too",
    );
    agent_says(
        &fake,
        &card,
        "1000.000600",
        "<!channel> done: emails are on",
    );
    let pinged = fake.wait_posted("DU1", |m| m.text.contains("emails are on"), WAIT);
    assert!(!pinged.text.contains("<!channel>"), "{pinged:?}");
    assert!(pinged.text.contains("@channel"), "{pinged:?}");
    for m in fake.posted("DU1") {
        assert!(
            !m.text.contains("asked twice") && !m.text.contains("billing"),
            "a note reached the person: {m:?}"
        );
    }

    // Claim button: the card shows who has the ticket.
    fake.send_interaction(fake::block_action(
        "UAG",
        AGENTS,
        &card.ts,
        None,
        "relaydesk-0",
        "claim",
    ));
    fake.wait_posted(
        AGENTS,
        |m| m.ts == card.ts && m.text.contains("Status: claimed by Grace"),
        WAIT,
    );

    // What the person types literally is shown literally, never as a ping.
    fake.send_event(fake::dm(
        "U1",
        "DU1",
        "1000.000700",
        "&lt;!channel&gt; thanks!",
    ));
    let copy = fake.wait_posted(AGENTS, |m| m.text.contains("thanks!"), WAIT);
    assert_eq!(copy.thread_ts.as_deref(), Some(card.ts.as_str()));
    assert!(copy.text.contains("&lt;!channel&gt;") && !copy.text.contains("<!channel>"));

    // An edit and a deletion follow the message to its copy.
    fake.send_event(fake::message_changed(
        "DU1",
        "im",
        "1000.000700",
        "U1",
        "thanks a lot!",
        "1000.000800",
    ));
    fake.wait_posted(
        AGENTS,
        |m| m.ts == copy.ts && m.text.contains("thanks a lot!"),
        WAIT,
    );
    fake.send_event(fake::message_deleted(
        "DU1",
        "im",
        "1000.000700",
        "1000.000900",
    ));
    eventually("the deletion of the copy", || {
        fake.posted_all(AGENTS)
            .iter()
            .any(|m| m.ts == copy.ts && m.deleted)
    });

    // A 429 is retried after Retry-After; the message arrives once.
    fake.fail_next("chat.postMessage", 429, Some(1));
    fake.send_event(fake::dm("U1", "DU1", "1000.001000", "one more thing"));
    fake.wait_posted(AGENTS, |m| m.text.contains("one more thing"), WAIT);
    let tries: Vec<Value> = fake
        .calls("chat.postMessage")
        .into_iter()
        .filter(|c| {
            c["text"]
                .as_str()
                .unwrap_or_default()
                .contains("one more thing")
        })
        .collect();
    assert_eq!(tries.len(), 2, "one refused try and one retry: {tries:#?}");
    assert_eq!(tries[0]["_status"], json!(429));
    let waited = tries[1]["_at_ms"].as_u64().unwrap() - tries[0]["_at_ms"].as_u64().unwrap();
    assert!(
        waited >= 950,
        "retried {waited} ms after a 429 that said Retry-After: 1"
    );

    // Slack redelivers an event (same event id): it is handled once.
    let again = fake::dm("U1", "DU1", "1000.001100", "are you still there?");
    let first = fake.send_event_with_id(again.clone(), "EvREDELIVERED");
    let second = fake.send_event_with_id(again, "EvREDELIVERED");
    assert!(fake.wait_ack(&first, WAIT).is_some() && fake.wait_ack(&second, WAIT).is_some());
    fake.wait_posted(AGENTS, |m| m.text.contains("still there"), WAIT);
    // Both were acknowledged, so both were handled; a line written after them reaches
    // the thread after any second copy would have.
    fake.send_event(fake::dm("U1", "DU1", "1000.001200", "that was all"));
    fake.wait_posted(AGENTS, |m| m.text.contains("that was all"), WAIT);
    let copies = fake
        .posted(AGENTS)
        .into_iter()
        .filter(|m| m.text.contains("still there"))
        .count();
    assert_eq!(copies, 1, "a redelivered event was relayed twice");

    // Close from the card: the person is told, the card shows it.
    fake.send_interaction(fake::block_action(
        "UAG",
        AGENTS,
        &card.ts,
        None,
        "relaydesk-0",
        "close",
    ));
    fake.wait_posted(
        "DU1",
        |m| m.text.contains("Ticket #1 has been closed"),
        WAIT,
    );
    fake.wait_posted(
        AGENTS,
        |m| {
            m.ts == card.ts
                && m.text.contains("Status: closed")
                && blocks_text(m).contains("Reopen")
        },
        WAIT,
    );
}

#[test]
fn slack_restart_resumes_the_same_thread_and_files_are_copied() {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "socket", "slack:CAGENTS");
    let bot = Bot::start(&ws);
    fake.wait_connected(WAIT);
    let card = handoff(&fake);
    let before = fake.connections();
    bot.kill();

    // It comes back with a lower limit for copied files.
    let toml = std::fs::read_to_string(ws.path().join("bot.toml")).expect("read bot.toml");
    std::fs::write(
        ws.path().join("bot.toml"),
        format!("{toml}\n[relay]\nmax_file_mb = 1\n"),
    )
    .expect("write bot.toml");
    let _bot = Bot::start(&ws);
    fake.wait_connections(before + 1, WAIT);
    fake.send_event(fake::dm("U1", "DU1", "2000.000100", "I'm back, any news?"));
    let resumed = fake.wait_posted(AGENTS, |m| m.text.contains("any news"), WAIT);
    assert_eq!(
        resumed.thread_ts.as_deref(),
        Some(card.ts.as_str()),
        "after a restart the person's words go into the same ticket thread"
    );

    // Slack drops the connection: relaydesk reconnects and goes on.
    let before = fake.connections();
    fake.drop_socket();
    fake.wait_connections(before + 1, WAIT);
    fake.send_event(fake::dm(
        "U1",
        "DU1",
        "2000.000150",
        "still here after the reconnect",
    ));
    fake.wait_posted(AGENTS, |m| m.text.contains("after the reconnect"), WAIT);

    // A screenshot goes to the agents as a file of its own.
    let url = fake.host_file("screenshot.png", b"\x89PNG fake image".to_vec());
    let mut with_file = fake::dm("U1", "DU1", "2000.000200", "here is what I see");
    with_file["subtype"] = json!("file_share");
    with_file["files"] = json!([{"id": "F1", "name": "screenshot.png", "title": "screenshot.png",
        "mimetype": "image/png", "url_private": url, "url_private_download": url}]);
    fake.send_event(with_file);
    eventually("the file copied to the agents", || {
        fake.uploaded()
            .iter()
            .any(|(name, bytes)| name == "screenshot.png" && bytes == b"\x89PNG fake image")
    });
    let shared = fake.wait_call("files.completeUploadExternal", |_| true, WAIT);
    assert_eq!(shared["channel_id"], json!(AGENTS));
    assert_eq!(shared["thread_ts"], json!(card.ts));

    // A file over `[relay] max_file_mb` arrives as a notice with its link.
    let big = fake.host_file("backup.zip", vec![7u8; 1536 * 1024]);
    let mut with_big = fake::dm("U1", "DU1", "2000.000300", "");
    with_big["subtype"] = json!("file_share");
    with_big["files"] = json!([{"id": "F2", "name": "backup.zip", "title": "backup.zip",
        "mimetype": "application/zip", "url_private": big, "url_private_download": big}]);
    fake.send_event(with_big);
    let notice = fake.wait_posted(AGENTS, |m| m.text.contains("backup.zip"), WAIT);
    assert!(
        notice.text.contains("larger than 1 MB") && notice.text.contains(&big),
        "{notice:?}"
    );
    assert_eq!(notice.thread_ts.as_deref(), Some(card.ts.as_str()));
    assert!(!fake.uploaded().iter().any(|(name, _)| name == "backup.zip"));
}

#[test]
fn slack_mention_in_a_channel_and_support_history() {
    let (fake, _ws, _bot) = socket_mode();

    // Someone who is not from a trusted workspace asks in #general.
    fake.send_event(fake::app_mention(
        "U2",
        "CGENERAL",
        "3000.000100",
        None,
        "<@UBOT> how do I get an email when an agent replies?",
    ));
    let answer = fake.wait_posted("CGENERAL", |m| m.text.contains("help.example.com"), WAIT);
    assert_eq!(answer.thread_ts.as_deref(), Some("3000.000100"));

    // Someone else presses a button under Bo's answer: nothing happens for them but a
    // pointer to ask their own question, and the buttons stay for Bo.
    fake.send_interaction(fake::block_action(
        "U1",
        "CGENERAL",
        &answer.ts,
        Some("3000.000100"),
        "relaydesk-2",
        "agent",
    ));
    fake.wait_posted(
        "CGENERAL",
        |m| m.text.contains("belong to another question"),
        WAIT,
    );
    assert!(blocks_text(&fake.posted("CGENERAL")[0]).contains("button"));

    // A handoff from the channel goes on in private, and the thread says so.
    fake.send_event(fake::app_mention(
        "U2",
        "CGENERAL",
        "3000.000200",
        Some("3000.000100"),
        "<@UBOT> talk to sales",
    ));
    fake.wait_posted(
        "CGENERAL",
        |m| m.thread_ts.as_deref() == Some("3000.000100") && m.text.contains("direct message"),
        WAIT,
    );
    fake.wait_posted(
        "DU2",
        |m| m.text.contains("ticket #1 with the sales team"),
        WAIT,
    );
    let card = fake.wait_posted(AGENTS, |m| m.text.contains("Ticket #1"), WAIT);
    assert!(card.text.contains("unverified"), "{card:?}");

    // A later mention in the public thread goes to the ticket; the answer stays private.
    fake.send_event(fake::app_mention(
        "U2",
        "CGENERAL",
        "3000.000300",
        Some("3000.000100"),
        "<@UBOT> my account id is 4711",
    ));
    fake.wait_posted(AGENTS, |m| m.text.contains("4711"), WAIT);
    agent_says(
        &fake,
        &card,
        "3000.000400",
        "Thanks Bo, account 4711 is fixed.",
    );
    fake.wait_posted("DU2", |m| m.text.contains("account 4711 is fixed"), WAIT);
    assert!(!fake
        .posted("CGENERAL")
        .iter()
        .any(|m| m.text.contains("is fixed")));

    // /support history lists it, in the person's direct messages.
    let typed = fake.send_command(fake::slash_command("U2", "CGENERAL", "history"));
    let ack = fake
        .wait_ack(&typed, WAIT)
        .expect("the command is acknowledged");
    assert!(
        ack.to_string().contains("direct message"),
        "the channel is told where the answer is: {ack}"
    );
    let list = fake.wait_posted("DU2", |m| m.text.contains("Your tickets"), WAIT);
    assert!(
        list.text.contains("#1 · ") && list.text.contains(" · assigned · "),
        "{list:?}"
    );

    // /support with a question is answered like a direct message.
    fake.send_command(fake::slash_command(
        "U1",
        "DU1",
        "How do I get an email when an agent replies?",
    ));
    fake.wait_posted("DU1", |m| m.text.contains("help.example.com"), WAIT);
}

#[test]
fn slack_burst_to_one_channel_queues_and_drains_in_order() {
    let (fake, _ws, _bot) = socket_mode();
    let card = handoff(&fake);

    fake.fail_next("chat.postMessage", 429, Some(1));
    fake.fail_next("chat.postMessage", 429, Some(1));
    for i in 0..25 {
        fake.send_event(fake::dm(
            "U1",
            "DU1",
            &format!("6000.{:06}", 100 + i),
            &format!("burst line {i:02}"),
        ));
    }
    fake.wait_posted(AGENTS, |m| m.text.contains("burst line 24"), WAIT);
    let lines: Vec<String> = fake
        .posted(AGENTS)
        .into_iter()
        .filter(|m| m.text.contains("burst line"))
        .map(|m| {
            assert_eq!(m.thread_ts.as_deref(), Some(card.ts.as_str()));
            m.text
        })
        .collect();
    let expected: Vec<String> = (0..25)
        .map(|i| format!("*Ada:* burst line {i:02}"))
        .collect();
    assert_eq!(lines, expected, "every line, once, in order");

    // A reply longer than Slack takes in one message arrives whole, in parts.
    let long: String = (0..700).map(|i| format!("w{i:03} ")).collect();
    fake.send_event(fake::channel_message(
        "UAG",
        AGENTS,
        "6000.900000",
        Some(&card.ts),
        long.trim(),
    ));
    fake.wait_posted("DU1", |m| m.text.contains("w699"), WAIT);
    let parts: Vec<String> = fake
        .posted("DU1")
        .into_iter()
        .filter_map(|m| m.text.strip_prefix("*Grace:* w").map(|t| format!("w{t}")))
        .collect();
    assert!(parts.len() >= 2, "{parts:?}");
    let joined = parts.join(" ");
    let words: Vec<&str> = joined.split_whitespace().collect();
    let sent: Vec<&str> = long.split_whitespace().collect();
    assert_eq!(words, sent, "split at the limit, nothing cut");
}

/// Runs one statement on the workspace's SQLite database, beside the running bot.
fn sqlite_exec(ws: &Workspace, sql: &str) {
    use sqlx::Connection;
    let url = format!("sqlite://{}", ws.path().join("data/relaydesk.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut db = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("open the database");
        sqlx::query(sql).execute(&mut db).await.expect(sql);
        db.close().await.expect("close the database");
    });
}

#[test]
fn an_event_that_cannot_be_stored_is_not_acknowledged() {
    let (fake, ws, bot) = socket_mode();
    let hello = fake.send_event(fake::dm("U1", "DU1", "7000.000100", "hello?"));
    assert!(fake.wait_ack(&hello, WAIT).is_some());

    // The database refuses writes: the event stays unacknowledged, so Slack keeps it.
    sqlite_exec(&ws, "alter table inbound_seen rename to inbound_seen_away");
    let question = fake::dm(
        "U1",
        "DU1",
        "7000.000200",
        "How do I get an email when an agent replies?",
    );
    let refused = fake.send_event_with_id(question.clone(), "EvWHILEDOWN");
    bot.wait_log("Slack event not acknowledged");
    assert!(!fake
        .posted("DU1")
        .iter()
        .any(|m| m.text.contains("help.example.com")));

    // The database is back; Slack's redelivery is handled, once.
    sqlite_exec(&ws, "alter table inbound_seen_away rename to inbound_seen");
    let redelivered = fake.send_event_with_id(question, "EvWHILEDOWN");
    assert!(fake.wait_ack(&redelivered, WAIT).is_some());
    // Envelopes on one connection are acknowledged in the order they came: had the
    // refused one been acknowledged, its ack would be here by now.
    assert!(
        !fake.acks().iter().any(|a| a["envelope_id"] == refused),
        "an event that was not stored was acknowledged"
    );
    fake.wait_posted("DU1", |m| m.text.contains("help.example.com"), WAIT);
}

#[test]
fn run_names_a_missing_slack_token() {
    let fake = FakeSlack::start();
    let ws = workspace(&fake, "socket", "slack:CAGENTS");
    let out = ws
        .command(&["run"])
        .env("SLACK_BOT_TOKEN", "xoxb-1")
        .env_remove("SLACK_APP_TOKEN")
        .output()
        .expect("run relaydesk");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("[slack] is enabled but SLACK_APP_TOKEN is not set"),
        "{stderr}"
    );
}

fn stored_conversations(ws: &Workspace) -> String {
    let out = ws.run(&["conversations", "list"]);
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn slack_events_api_over_signed_http() {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "http", "slack:CAGENTS");
    let bot = Bot::start(&ws);
    let bind = bot.web_addr();
    let events = format!("http://{bind}/slack/events");

    // Slack's URL check.
    let check =
        json!({"token": fake::VERIFICATION_TOKEN, "challenge": "c-42", "type": "url_verification"});
    let (status, body) = fake::signed_post(
        &events,
        &check.to_string(),
        "application/json",
        SECRET,
        fake::now(),
        None,
    );
    assert_eq!(status, 200);
    assert!(body.contains("c-42"), "{body}");

    // A forged or stale request is refused, and nothing of it is stored.
    let forged = fake::event_callback(
        fake::dm(
            "U1",
            "DU1",
            "4000.000100",
            "FORGED how do I get email replies?",
        ),
        "EvFORGED",
    )
    .to_string();
    let (status, _) = fake::signed_post(
        &events,
        &forged,
        "application/json",
        "wrong-secret",
        fake::now(),
        None,
    );
    assert_eq!(status, 401);
    let (status, _) = fake::signed_post(
        &events,
        &forged,
        "application/json",
        SECRET,
        fake::now() - 600,
        None,
    );
    assert_eq!(status, 401);

    // A real one is answered; Slack's retry of it is not handled twice.
    let real = fake::event_callback(
        fake::dm(
            "U1",
            "DU1",
            "4000.000200",
            "How do I get an email when an agent replies?",
        ),
        "EvREAL",
    )
    .to_string();
    let (status, _) = fake::signed_post(
        &events,
        &real,
        "application/json",
        SECRET,
        fake::now(),
        None,
    );
    assert_eq!(status, 200);
    let answer = fake.wait_posted("DU1", |m| m.text.contains("help.example.com"), WAIT);
    let (status, _) = fake::signed_post(
        &events,
        &real,
        "application/json",
        SECRET,
        fake::now(),
        Some(1),
    );
    assert_eq!(status, 200);

    // A button press arrives as a signed form.
    let press = fake.localize(fake::block_action(
        "U1",
        "DU1",
        &answer.ts,
        None,
        "relaydesk-2",
        "agent",
    ));
    let (status, _) = fake::signed_post(
        &format!("http://{bind}/slack/interactions"),
        &fake::interaction_form(&press),
        "application/x-www-form-urlencoded",
        SECRET,
        fake::now(),
        None,
    );
    assert_eq!(status, 200);
    let card = fake.wait_posted(AGENTS, |m| m.text.contains("Ticket #1"), WAIT);
    // The retry was answered 200 once handled; the press came after it, so its reply
    // reaches the person after any second answer would have. The press redraws the
    // answer, so the answers are counted among the posts.
    fake.wait_posted("DU1", |m| m.text.contains("opened ticket #1"), WAIT);
    let answers = fake
        .calls("chat.postMessage")
        .into_iter()
        .filter(|c| {
            c["channel"] == "DU1"
                && c["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("help.example.com")
        })
        .count();
    assert_eq!(answers, 1, "a retried event was answered twice");

    // The agent answers in the card's thread; the person gets it in their DM.
    let reply = fake::event_callback(
        fake::channel_message(
            "UAG",
            AGENTS,
            "4000.000300",
            Some(&card.ts),
            "Hello Ada, Grace here.",
        ),
        "EvAGENT",
    )
    .to_string();
    let (status, _) = fake::signed_post(
        &events,
        &reply,
        "application/json",
        SECRET,
        fake::now(),
        None,
    );
    assert_eq!(status, 200);
    fake.wait_posted("DU1", |m| m.text == "*Grace:* Hello Ada, Grace here.", WAIT);

    // And the slash command.
    let command = fake.localize(fake::slash_command("U1", "DU1", "history"));
    let (status, _) = fake::signed_post(
        &format!("http://{bind}/slack/commands"),
        &fake::form_encode(&command),
        "application/x-www-form-urlencoded",
        SECRET,
        fake::now(),
        None,
    );
    assert_eq!(status, 200);
    fake.wait_posted("DU1", |m| m.text.contains("Your tickets"), WAIT);

    let stored = stored_conversations(&ws);
    assert!(!stored.contains("FORGED"), "{stored}");
    let shown = ws.run(&["conversations", "show", "1"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        !shown.contains("FORGED"),
        "a forged request was stored:\n{shown}"
    );
}

#[test]
fn check_reports_missing_slack_tokens_and_scopes() {
    let fake = FakeSlack::start();
    let ws = workspace(&fake, "socket", "slack:CAGENTS");

    let out = ws.run(&["check"]);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("SLACK_BOT_TOKEN is not set"), "{text}");
    assert!(text.contains("SLACK_APP_TOKEN is not set"), "{text}");

    fake.set_scopes("chat:write,im:history,im:read,im:write,channels:history,groups:history,app_mentions:read,users:read,commands,files:read,files:write");
    let out = with_tokens(ws.command(&["check"]))
        .output()
        .expect("run check");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("lacks the scope `users:read.email`"),
        "{text}"
    );
    assert!(
        !text.contains("xoxb-test-token"),
        "a token was printed:\n{text}"
    );

    fake.set_scopes(fake::DEFAULT_SCOPES);
    let out = with_tokens(ws.command(&["check"]))
        .output()
        .expect("run check");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("the bot token works"), "{text}");

    let out = ws
        .command(&["check"])
        .env("SLACK_BOT_TOKEN", "xoxp-not-a-bot-token")
        .env("SLACK_APP_TOKEN", "xapp-1")
        .output()
        .expect("run check");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("Slack refused SLACK_BOT_TOKEN: invalid_auth"),
        "{text}"
    );
}

#[test]
fn a_slack_user_is_served_from_a_console_agent_channel() {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "socket", "console:agents");
    let mut console = ws.console_with(with_tokens(ws.command(&["console"])));
    fake.wait_connected(WAIT);

    fake.send_event(fake::dm("U1", "DU1", "5000.000100", "talk to an agent"));
    console.expect("agent[agents]> Ticket #1");
    console.expect("ada@example.com (verified by slack)");
    fake.wait_posted("DU1", |m| m.text.contains("opened ticket #1"), WAIT);

    console.say("/agent Hello from the console!");
    let relayed = fake.wait_posted("DU1", |m| m.text.contains("Hello from the console!"), WAIT);
    assert!(relayed.text.starts_with("*agent:*"), "{relayed:?}");

    fake.send_event(fake::dm("U1", "DU1", "5000.000200", "Thanks, console!"));
    console.expect("[Ada] Thanks, console!");
    console.terminate();
}

#[test]
fn slack_help_channel_posts_get_suggestions_and_noise_gets_nothing() {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "socket", "slack:CAGENTS");
    let toml = std::fs::read_to_string(ws.path().join("bot.toml")).expect("bot.toml");
    let toml = toml.replace(
        "trusted_team_ids = [\"T1\"]",
        "trusted_team_ids = [\"T1\"]\nhelp_channels = [\"CHELP\"]",
    );
    std::fs::write(ws.path().join("bot.toml"), toml).expect("write bot.toml");
    let _bot = Bot::start(&ws);
    fake.wait_connected(WAIT);

    let noise = fake.send_event(fake::channel_message(
        "U2",
        "CHELP",
        "1000.000100",
        None,
        "zzzz qqqq wwww xxxx",
    ));
    assert!(fake.wait_ack(&noise, WAIT).is_some());
    fake.send_event(fake::channel_message(
        "U1",
        "CHELP",
        "1000.000200",
        None,
        "How do I get an email when an agent replies?",
    ));
    let answer = fake.wait_posted(
        "CHELP",
        |m| m.thread_ts.as_deref() == Some("1000.000200") && m.text.contains("help.example.com"),
        WAIT,
    );
    assert!(
        blocks_text(&answer).contains("This solved it"),
        "{answer:?}"
    );
    // The noise came first and was handled first: it would have its reply by now.
    assert!(
        fake.posted("CHELP")
            .iter()
            .all(|m| m.thread_ts.as_deref() != Some("1000.000100")),
        "noise was answered: {:?}",
        fake.posted("CHELP")
    );

    // Someone else's press counts for nothing; the author's opens a ticket in private.
    let other = fake.send_interaction(fake::block_action(
        "U2",
        "CHELP",
        &answer.ts,
        Some("1000.000200"),
        "relaydesk-1",
        "agent",
    ));
    assert!(fake.wait_ack(&other, WAIT).is_some());
    fake.send_interaction(fake::block_action(
        "U1",
        "CHELP",
        &answer.ts,
        Some("1000.000200"),
        "relaydesk-1",
        "agent",
    ));
    let card = fake.wait_posted(AGENTS, |m| m.text.contains("Ticket #1"), WAIT);
    assert!(card.text.contains("Ada"), "the author's ticket: {card:?}");
    assert!(
        card.text.contains("slack:CHELP/1000.000200"),
        "the card names the post: {card:?}"
    );
    fake.wait_posted("DU1", |m| m.text.contains("ticket #1"), WAIT);
    assert!(
        fake.posted(AGENTS)
            .iter()
            .all(|m| !m.text.contains("Ticket #2")),
        "another person's press opened a ticket"
    );
}
