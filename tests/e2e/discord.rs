//! The built binary against a fake Discord (REST + gateway on 127.0.0.1), driving the
//! real serenity client.

use std::time::Duration;

use serde_json::Value;

use crate::fake_discord::{ChannelKind, FakeDiscord, Posted};
use crate::helpers::{Workspace, WAIT};
use crate::slack::{eventually, Bot};

pub(crate) const ADA: &str = "2001";
pub(crate) const GRACE: &str = "2002";
const BO: &str = "2003";
pub(crate) const FORUM: &str = "3001";
const LOBBY: &str = "3002";

/// `[discord]` pointed at the fake, both queues' agent channel `agents`.
fn workspace(fake: &FakeDiscord, agents: &str, extra: &str) -> Workspace {
    let ws = Workspace::new();
    let discord = format!(
        "[discord]\nenabled = true\napi_url = \"{}\"\nguild_ids = [\"{}\"]\n{extra}",
        fake.api_url(),
        FakeDiscord::GUILD
    );
    let toml = crate::helpers::bot_toml(&discord, agents, agents);
    std::fs::write(ws.path().join("bot.toml"), toml).expect("write bot.toml");
    ws
}

pub(crate) fn start(ws: &Workspace, env: &[(&str, &str)]) -> Bot {
    let mut cmd = ws.command(&["run"]);
    cmd.env("DISCORD_TOKEN", FakeDiscord::TOKEN)
        .env(
            "RUST_LOG",
            "info,relaydesk_discord=debug,relaydesk_core=debug,serenity=warn",
        )
        .envs(env.iter().copied());
    Bot::spawn(cmd)
}

pub(crate) fn people(fake: &FakeDiscord) {
    fake.add_user(ADA, "Ada");
    fake.add_user(GRACE, "Grace");
    fake.add_user(BO, "Bo");
    fake.add_channel(
        FORUM,
        ChannelKind::Forum {
            tags: vec!["open", "claimed", "closed"],
        },
        "tickets",
    );
    fake.add_channel(LOBBY, ChannelKind::Text, "lobby");
}

/// The fake with its people and channels, and relaydesk connected to it with the forum
/// as both queues' agent channel; `extra`: more `[discord]` lines.
fn running(extra: &str) -> (FakeDiscord, Workspace, Bot) {
    let fake = FakeDiscord::start();
    people(&fake);
    let ws = workspace(&fake, &format!("discord:{FORUM}"), extra);
    let bot = start(&ws, &[]);
    fake.wait_connected(WAIT);
    (fake, ws, bot)
}

fn components(p: &Posted) -> String {
    p.components.to_string()
}

fn embeds(p: &Posted) -> String {
    p.embeds.to_string()
}

/// The person asks in a direct message, gets an answer with buttons, and presses "Talk
/// to an agent": returns the ticket's forum post (thread id) and its first message.
fn handoff(fake: &FakeDiscord) -> (String, Posted) {
    fake.dm(ADA, "How do I get an email when an agent replies?");
    let dm = fake.dm_channel(ADA);
    let answer = fake.wait_posted(
        &dm,
        |m| m.content.contains("help.example.com"),
        WAIT,
        "a help-center answer",
    );
    assert!(
        components(&answer).contains("Talk to an agent"),
        "{answer:?}"
    );
    assert_eq!(
        answer.allowed_mentions.as_ref().map(|a| a["parse"].clone()),
        Some(Value::Array(Vec::new())),
        "every message is sent with no pings allowed: {answer:?}"
    );
    let press = fake.press(&dm, &answer.id, ADA, "agent");
    let callback = fake.wait_callback(&press, WAIT);
    assert_eq!(
        callback["type"], 6,
        "a press is acknowledged at once: {callback}"
    );
    // The pressed message shows the choice made instead of the buttons.
    fake.wait_posted(
        &dm,
        |m| m.id == answer.id && m.content.contains("✓") && !components(m).contains("agent"),
        WAIT,
        "the choice shown on the answer",
    );
    let thread = fake.wait_thread(FORUM, WAIT);
    let card = fake.wait_posted(
        &thread.id,
        |m| embeds(m).contains("Ticket #1"),
        WAIT,
        "the ticket card in its forum post",
    );
    assert!(embeds(&card).contains("Ada") && embeds(&card).contains("unverified"));
    assert!(components(&card).contains("Claim") && components(&card).contains("Close"));
    fake.wait_posted(
        &thread.id,
        |m| m.content.contains("Transcript"),
        WAIT,
        "the transcript under the card",
    );
    fake.wait_posted(
        &dm,
        |m| m.content.contains("opened ticket #1"),
        WAIT,
        "the ticket's notice",
    );
    (thread.id, card)
}

#[test]
fn discord_dm_to_forum_post_and_back() {
    let (fake, _ws, _bot) = running("");
    eventually("/support registered", || !fake.commands().is_empty());

    let (post, card) = handoff(&fake);
    let open = fake.tag_id(FORUM, "open");
    assert!(
        fake.thread(&post)
            .is_some_and(|t| t.applied_tags.contains(&open)),
        "a new ticket is tagged open: {:?}",
        fake.thread(&post)
    );
    let dm = fake.dm_channel(ADA);

    // Claim: refused to someone who cannot see the agent channel, done for an agent.
    let refused = fake.press_as(&post, &card.id, BO, "claim", 0);
    let answer = fake.wait_callback(&refused, WAIT);
    assert_eq!(answer["type"], 4, "{answer}");
    assert_eq!(
        answer["data"]["flags"], 64,
        "the refusal is ephemeral: {answer}"
    );
    fake.press(&post, &card.id, GRACE, "claim");
    fake.wait_posted(
        &post,
        |m| m.id == card.id && embeds(m).contains("claimed by Grace"),
        WAIT,
        "the card showing who has the ticket",
    );
    let claimed = fake.tag_id(FORUM, "claimed");
    eventually("the post tagged claimed", || {
        fake.thread(&post)
            .is_some_and(|t| t.applied_tags == vec![claimed.clone()])
    });

    // An agent's reply in the post reaches the person under the agent's name.
    fake.thread_message(&post, GRACE, "Hi Ada, I can set that up for you.");
    let relayed = fake.wait_posted(
        &dm,
        |m| m.content.contains("I can set that up"),
        WAIT,
        "the agent's reply",
    );
    assert!(relayed.content.starts_with("**Grace:**"), "{relayed:?}");

    // Notes stay internal; a ping is relayed as words with no pings allowed.
    fake.thread_message(&post, GRACE, "!note she asked twice already");
    fake.thread_message(&post, GRACE, "// check the billing account too");
    fake.thread_message(&post, GRACE, "@everyone done: emails are on");
    let pinged = fake.wait_posted(
        &dm,
        |m| m.content.contains("emails are on"),
        WAIT,
        "the relayed @everyone",
    );
    assert_eq!(
        pinged.allowed_mentions.as_ref().unwrap()["parse"],
        Value::Array(Vec::new())
    );
    for m in fake.posted(&dm) {
        assert!(
            !m.content.contains("asked twice") && !m.content.contains("billing"),
            "a note reached the person: {m:?}"
        );
    }

    // A long message arrives whole, in two parts, each within Discord's limit.
    let long: String = "All the details of my setup. "
        .repeat(90)
        .trim()
        .to_string();
    assert!(long.chars().count() > 2500);
    fake.dm(ADA, &long);
    eventually("the long message in two parts", || {
        fake.posted(&post)
            .iter()
            .filter(|m| m.content.starts_with("**Ada:**") && m.content.contains("details"))
            .count()
            == 2
    });
    let parts: Vec<String> = fake
        .posted(&post)
        .iter()
        .filter(|m| m.content.starts_with("**Ada:**") && m.content.contains("details"))
        .map(|m| {
            assert!(
                m.content.chars().count() <= 2000,
                "{} characters",
                m.content.chars().count()
            );
            m.content
                .trim_start_matches("**Ada:**")
                .trim_start()
                .to_string()
        })
        .collect();
    assert_eq!(parts.concat().replace(' ', ""), long.replace(' ', ""));

    // An edit and a deletion follow the message to its copy.
    let said = fake.dm(ADA, "thanks!");
    let copy = fake.wait_posted(
        &post,
        |m| m.content.contains("thanks!"),
        WAIT,
        "the person's message in the post",
    );
    fake.edit(&dm, &said, "thanks a lot!");
    fake.wait_posted(
        &post,
        |m| m.id == copy.id && m.content.contains("thanks a lot!"),
        WAIT,
        "the edit",
    );
    fake.delete(&dm, &said);
    eventually("the copy deleted", || {
        fake.posted(&post).iter().all(|m| m.id != copy.id)
    });

    // Bots are never relayed.
    fake.add_bot("2099", "Another bot");
    fake.thread_message(&post, "2099", "a bot says hi");
    fake.thread_message(&post, GRACE, "marker after the bot");
    fake.wait_posted(
        &dm,
        |m| m.content.contains("marker after the bot"),
        WAIT,
        "the marker",
    );
    assert!(fake
        .posted(&dm)
        .iter()
        .all(|m| !m.content.contains("a bot says hi")));
}

#[test]
fn discord_slash_command_is_deferred_then_followed_up() {
    let (fake, _ws, _bot) = running("");
    eventually("/support registered", || !fake.commands().is_empty());
    let command = &fake.commands()[0];
    assert_eq!(command["name"], "support", "{command}");

    let id = fake.slash(LOBBY, ADA, "support", serde_json::json!([{"name": "question", "type": 3, "value": "How do I get an email when an agent replies?"}]));
    let first = fake.wait_callback(&id, WAIT);
    assert_eq!(first["type"], 5, "deferred first: {first}");
    assert_eq!(first["data"]["flags"], 64, "privately: {first}");
    let dm = fake.dm_channel(ADA);
    fake.wait_posted(
        &dm,
        |m| m.content.contains("help.example.com"),
        WAIT,
        "the answer in private",
    );
    eventually("the follow-up", || {
        fake.original(&fake.interaction_token(&id))
            .is_some_and(|f| f.content.contains("direct message"))
    });
}

#[test]
fn discord_panel_falls_back_to_a_private_thread_when_dms_are_closed() {
    let fake = FakeDiscord::start();
    people(&fake);
    let ws = workspace(&fake, &format!("discord:{FORUM}"), "");
    let mut panel = ws.command(&["discord", "panel", LOBBY]);
    panel.env("DISCORD_TOKEN", FakeDiscord::TOKEN);
    let out = panel.output().expect("relaydesk discord panel");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let posted = fake.wait_posted(
        LOBBY,
        |m| components(m).contains("Contact support"),
        WAIT,
        "the panel",
    );

    let _bot = start(&ws, &[]);
    fake.wait_connected(WAIT);
    fake.close_dms(BO);
    let press = fake.press(LOBBY, &posted.id, BO, "relaydesk:panel");
    assert_eq!(fake.wait_callback(&press, WAIT)["type"], 5);
    let thread = fake.wait_thread(LOBBY, WAIT);
    assert!(thread.private, "{thread:?}");
    eventually("the person added to the thread", || {
        fake.thread(&thread.id)
            .is_some_and(|t| t.members.contains(&BO.to_string()))
    });
    fake.wait_posted(
        &thread.id,
        |m| m.content.contains("ticket #1"),
        WAIT,
        "the conversation in the private thread",
    );
    // They answer in the thread: it reaches the ticket.
    fake.thread_message(&thread.id, BO, "my invoices are missing");
    let post = fake.wait_thread(FORUM, WAIT);
    fake.wait_posted(
        &post.id,
        |m| m.content.contains("my invoices are missing"),
        WAIT,
        "the person's words in the ticket",
    );
}

#[test]
fn discord_429_is_retried_no_earlier_than_retry_after_and_the_gateway_resumes() {
    let (fake, _ws, _bot) = running("");
    let dm = fake.dm_channel(ADA);
    let path = format!("/api/v10/channels/{dm}/messages");
    fake.fail_next("POST", &path, 429, Some(1.5), false);
    fake.dm(ADA, "How do I get an email when an agent replies?");
    fake.wait_posted(
        &dm,
        |m| m.content.contains("help.example.com"),
        WAIT,
        "the answer after the 429",
    );
    let tries = fake.requests("POST", &path);
    assert!(tries.len() >= 2, "{tries:?}");
    let waited = tries[1].at.duration_since(tries[0].at);
    assert!(
        waited >= Duration::from_millis(1500),
        "retried after {waited:?}"
    );

    fake.drop_gateway();
    eventually("a RESUME", || fake.resumes() >= 1);
    fake.dm(ADA, "talk to an agent");
    fake.wait_thread(FORUM, WAIT);
    assert_eq!(fake.identifies(), 1, "resumed, not identified again");
}

const HELP: &str = "3003";

/// `user` asks in the help forum; returns the post and the suggestions under it.
fn ask_in_forum(fake: &FakeDiscord, user: &str) -> (String, Posted) {
    let question = "How do I get an email when an agent replies?";
    let (post, _) = fake.forum_post(HELP, user, "Emails from agents", question);
    let suggestions = fake.wait_posted(
        &post,
        |m| m.content.contains("help.example.com"),
        WAIT,
        "suggestions under the post",
    );
    (post, suggestions)
}

#[test]
fn discord_help_forum_posts_get_suggestions_and_noise_gets_nothing() {
    let fake = FakeDiscord::start();
    people(&fake);
    fake.add_channel(
        HELP,
        ChannelKind::Forum {
            tags: vec!["solved"],
        },
        "help",
    );
    let ws = workspace(
        &fake,
        &format!("discord:{FORUM}"),
        &format!("help_forums = [\"{HELP}\"]"),
    );
    let _bot = start(&ws, &[]);
    fake.wait_connected(WAIT);

    let (noise, _) = fake.forum_post(HELP, BO, "hmm", "zzzz qqqq wwww xxxx");
    let (asked, suggestions) = ask_in_forum(&fake, ADA);
    assert!(
        components(&suggestions).contains("This solved it"),
        "{suggestions:?}"
    );
    assert!(
        components(&suggestions).contains("Talk to an agent"),
        "{suggestions:?}"
    );
    // A later marker in the noise post: a reply to an @mention there comes after any
    // reply to the post itself would have.
    fake.thread_message(&noise, BO, &format!("<@{}> anyone?", FakeDiscord::BOT_USER));
    let suggested = |m: &Posted| m.content.contains("These articles may answer this");
    fake.wait_posted(
        &noise,
        |m| !suggested(m),
        WAIT,
        "the answer to the mention in the noise post",
    );
    let replies = fake.posted(&noise);
    assert!(
        !replies.iter().any(suggested),
        "the noise post itself was answered: {replies:?}"
    );

    // Only the author's presses count.
    let other = fake.press(&asked, &suggestions.id, BO, "agent");
    let refusal = fake.wait_callback(&other, WAIT);
    assert_eq!(
        (refusal["type"].as_i64(), refusal["data"]["flags"].as_i64()),
        (Some(4), Some(64)),
        "{refusal}"
    );
    fake.press(&asked, &suggestions.id, ADA, "agent");
    let ticket = fake.wait_thread(FORUM, WAIT);
    fake.wait_posted(
        &ticket.id,
        |m| embeds(m).contains(&format!("<#{asked}>")),
        WAIT,
        "the card linking the post",
    );
    let dm = fake.dm_channel(ADA);
    fake.wait_posted(
        &dm,
        |m| m.content.contains("ticket #1"),
        WAIT,
        "the ticket going on in private",
    );

    // With a ticket open, another post of theirs gets suggestions without buttons, and
    // what they write in private still goes to the ticket.
    let (again, more) = ask_in_forum(&fake, ADA);
    assert_eq!(more.components, Value::Array(Vec::new()), "{more:?}");
    fake.dm(ADA, "still waiting for the agent");
    fake.wait_posted(
        &ticket.id,
        |m| m.content.contains("still waiting for the agent"),
        WAIT,
        "the person's words in their ticket",
    );
    assert_ne!(again, asked);

    // "This solved it" tags the post solved.
    let (solved, s) = ask_in_forum(&fake, BO);
    fake.press(&solved, &s.id, BO, "helped");
    let tag = fake.tag_id(HELP, "solved");
    eventually("the post tagged solved", || {
        fake.thread(&solved)
            .is_some_and(|t| t.applied_tags.contains(&tag))
    });
}

#[test]
fn discord_person_served_from_slack_and_slack_person_from_a_discord_forum() {
    use crate::fake_slack::{self as fs, FakeSlack};
    let slack = FakeSlack::start();
    crate::slack::users(&slack);
    let fake = FakeDiscord::start();
    people(&fake);
    let ws = Workspace::new();
    let platforms = format!(
        "[slack]\nenabled = true\napi_url = \"{}\"\n\n[discord]\nenabled = true\napi_url = \"{}\"",
        slack.api_url(),
        fake.api_url()
    );
    let toml = crate::helpers::bot_toml(&platforms, "slack:CAGENTS", &format!("discord:{FORUM}"));
    std::fs::write(ws.path().join("bot.toml"), toml).expect("write bot.toml");
    let mut cmd = crate::slack::with_tokens(ws.command(&["run"]));
    cmd.env("DISCORD_TOKEN", FakeDiscord::TOKEN).env(
        "RUST_LOG",
        "info,relaydesk_discord=debug,relaydesk_slack=debug",
    );
    let _bot = Bot::spawn(cmd);
    slack.wait_connected(WAIT);
    fake.wait_connected(WAIT);

    // Discord person → Slack agents → back.
    fake.dm(ADA, "talk to an agent *please* <@999>");
    let card = slack.wait_posted("CAGENTS", |m| m.text.contains("Ticket #1"), WAIT);
    assert!(card.text.contains("discord"), "{card:?}");
    slack.wait_posted(
        "CAGENTS",
        |m| m.thread_ts.as_deref() == Some(&card.ts) && m.text.contains("Transcript"),
        WAIT,
    );
    slack.send_event(fs::channel_message(
        "UAG",
        "CAGENTS",
        "1000.000300",
        Some(&card.ts),
        "Hi <@U1>, on it & more",
    ));
    let dm = fake.dm_channel(ADA);
    let relayed = fake.wait_posted(
        &dm,
        |m| m.content.contains("on it"),
        WAIT,
        "the Slack agent's reply on Discord",
    );
    assert!(
        relayed.content.starts_with("**Grace:** Hi @"),
        "{relayed:?}"
    );
    assert!(
        relayed.content.ends_with(", on it & more"),
        "Slack's escaping undone: {relayed:?}"
    );

    // Slack person → Discord forum → back.
    slack.send_event(fs::dm("U1", "DU1", "1000.000500", "talk to sales"));
    let post = fake.wait_thread(FORUM, WAIT);
    fake.wait_posted(
        &post.id,
        |m| embeds(m).contains("Ticket #2"),
        WAIT,
        "the card in the Discord forum",
    );
    fake.thread_message(
        &post.id,
        GRACE,
        "Hello from Discord <@2001> <:wave:123> *bold*",
    );
    let back = slack.wait_posted("DU1", |m| m.text.contains("Hello from Discord"), WAIT);
    assert!(back.text.starts_with("*Grace:*"), "{back:?}");
    assert!(
        back.text.contains("@Ada") && back.text.contains(":wave:"),
        "markup made readable: {back:?}"
    );
}

#[test]
fn discord_restart_catches_up_on_what_was_written_while_down() {
    let (fake, ws, bot) = running("");
    let (post, _) = handoff(&fake);
    let dm = fake.dm_channel(ADA);
    bot.kill();

    fake.write_while_away(&dm, ADA, "first while away");
    fake.write_while_away(&dm, ADA, "second while away");
    fake.write_while_away(&post, GRACE, "an answer while away");
    let bot = start(&ws, &[]);
    fake.wait_identifies(2, WAIT);
    fake.wait_posted(
        &post,
        |m| m.content.contains("second while away"),
        WAIT,
        "the catch-up in the same post",
    );
    fake.wait_posted(
        &dm,
        |m| m.content.contains("an answer while away"),
        WAIT,
        "the agent's answer caught up",
    );
    // After the catch-up, a live message goes to the same post: nothing was doubled.
    fake.dm(ADA, "and one after");
    fake.wait_posted(
        &post,
        |m| m.content.contains("and one after"),
        WAIT,
        "a live message after restart",
    );
    let mine: Vec<String> = fake
        .posted(&post)
        .into_iter()
        .filter(|m| m.content.contains("while away"))
        .map(|m| m.content)
        .collect();
    assert_eq!(
        mine,
        vec![
            "**Ada:** first while away".to_string(),
            "**Ada:** second while away".to_string()
        ]
    );
    assert_eq!(
        fake.threads().iter().filter(|t| t.parent == FORUM).count(),
        1,
        "one post per ticket"
    );
    drop(bot);
}

#[test]
fn discord_attachments_are_copied_and_check_names_what_is_wrong() {
    let (fake, ws, _bot) = running("");
    let (post, _) = handoff(&fake);
    fake.dm_with_attachment(
        ADA,
        "here is the log",
        "export.log",
        b"line 1\nline 2\n".to_vec(),
    );
    let copied = fake.wait_posted(&post, |m| !m.files.is_empty(), WAIT, "the file in the post");
    assert_eq!(copied.files[0].1, b"line 1\nline 2\n".to_vec());
    assert_eq!(copied.files[0].0, "export.log");
    // Downloaded once, when it arrived (Discord's links expire), and kept.
    assert_eq!(fake.requests("GET", "/attachments/").len(), 1);
    let kept: Vec<_> = std::fs::read_dir(ws.path().join("data/files"))
        .expect("the files folder")
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");

    let check = |token: &str| {
        let mut cmd = ws.command(&["check"]);
        cmd.env("DISCORD_TOKEN", token);
        let out = cmd.output().expect("relaydesk check");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let invite = ws
        .command(&["discord", "invite-url", "--application-id", "42"])
        .output()
        .expect("relaydesk discord invite-url");
    let url = String::from_utf8_lossy(&invite.stdout);
    assert!(
        url.starts_with("https://discord.com/oauth2/authorize?client_id=42&scope=bot%20applications.commands&permissions="),
        "{url}"
    );
    let fine = check(FakeDiscord::TOKEN);
    assert!(fine.contains("the bot token works"), "{fine}");
    assert!(
        fine.contains(&format!(
            "agent channel {FORUM} is a forum the bot can post in"
        )),
        "{fine}"
    );
    assert!(!fine.contains("error"), "{fine}");
    let bad = check("not-the-token");
    assert!(bad.contains("refused DISCORD_TOKEN"), "{bad}");
    // 1 << 11: Send Messages.
    fake.deny_bot(FORUM, 1 << 11);
    let out = check(FakeDiscord::TOKEN);
    assert!(
        out.contains(&format!(
            "cannot work in agent channel `discord:{FORUM}`: it lacks send messages"
        )),
        "{out}"
    );
    fake.set_application_flags(0);
    fake.hide_channel(FORUM);
    let out = check(FakeDiscord::TOKEN);
    assert!(
        out.contains("Message Content intent is not enabled"),
        "{out}"
    );
    assert!(
        out.contains(&format!("cannot see agent channel `discord:{FORUM}`")),
        "{out}"
    );
}

#[test]
fn discord_mention_is_answered_in_a_thread_and_a_handoff_goes_on_in_private() {
    let (fake, _ws, _bot) = running("");

    fake.guild_message(LOBBY, BO, "just chatting here", false);
    let asked = fake.guild_message(
        LOBBY,
        ADA,
        "How do I get an email when an agent replies?",
        true,
    );
    let answer = fake.wait_posted(
        &asked,
        |m| m.content.contains("help.example.com"),
        WAIT,
        "the answer in a thread on the mention",
    );
    assert_eq!(
        fake.thread(&asked).map(|t| t.parent),
        Some(LOBBY.to_string())
    );
    assert!(
        fake.posted(LOBBY).is_empty(),
        "nothing said in the channel itself: {:?}",
        fake.posted(LOBBY)
    );

    fake.press(&asked, &answer.id, ADA, "agent");
    fake.wait_posted(
        &asked,
        |m| m.content.contains("direct message"),
        WAIT,
        "the thread saying where it goes on",
    );
    let dm = fake.dm_channel(ADA);
    fake.wait_posted(
        &dm,
        |m| m.content.contains("ticket #1"),
        WAIT,
        "the ticket in private",
    );
    let post = fake.wait_thread(FORUM, WAIT);
    fake.wait_posted(
        &post.id,
        |m| embeds(m).contains(&format!("<#{asked}>")),
        WAIT,
        "the card linking where it came from",
    );
}
