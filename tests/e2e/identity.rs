//! Identity and email end to end: codes mailed to a real SMTP server on 127.0.0.1 (the
//! fake in `crates/fakes`), signed links answered by `/verify`, one requester across
//! platforms, and away emails (batched, cancelled, kept across a restart, delivered
//! once the server takes mail again). No secret reaches the log or the database.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use relaydesk_fakes::smtp::{FakeSmtp, Received};

use crate::fake_slack::{self as fake, FakeSlack};
use crate::helpers::{self, Console, Workspace, WAIT};
use crate::slack::users;

const SMTP_PASSWORD: &str = "smtp-pa55word-never-shown";
const KEY_SECRET: &str = "signing-key-never-shown";
const LOGIN_URL: &str = "https://app.example.com/support-login";

/// A workspace whose queues verify as `verify` says, mailing through `smtp`, with
/// `extra` TOML (platforms, `[identity]`, `[notify]`) added.
fn workspace(smtp: &FakeSmtp, verify: &str, extra: &str) -> Workspace {
    let ws = Workspace::new();
    let queues = helpers::bot_toml("", "console:support", "console:sales").replace(
        "agent_channel = \"console:support\"",
        &format!("agent_channel = \"console:support\"\nverify = \"{verify}\""),
    );
    let toml = format!(
        "{queues}\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"Support <support@example.com>\"\n\n[identity]\nblocked_domains = [\"mailinator.com\"]\n{extra}\n",
        smtp.port()
    );
    std::fs::write(ws.path().join("bot.toml"), toml).unwrap();
    ws
}

/// `relaydesk console` with the SMTP login and the signing keys in its environment.
fn console(ws: &Workspace) -> Console {
    let mut cmd = ws.command(&["console"]);
    cmd.env("RELAYDESK_SMTP_USERNAME", "relay")
        .env("RELAYDESK_SMTP_PASSWORD", SMTP_PASSWORD)
        .env(
            "RELAYDESK_IDENTITY_KEYS",
            format!("k1={KEY_SECRET},k0=old-key"),
        )
        .env("RUST_LOG", "info,relaydesk=debug,relaydesk_core=debug");
    ws.console_with(cmd)
}

/// The six-digit code in a code email.
fn code_in(mail: &Received) -> String {
    let text = mail.text();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_string()
}

/// A code other than `code`.
fn wrong(code: &str) -> String {
    if code == "000000" { "111111" } else { "000000" }.to_string()
}

/// Verifies the console person as `address` by code: the `n`th email is theirs.
fn verify_by_code(console: &mut Console, smtp: &FakeSmtp, address: &str, n: usize) -> String {
    console.expect("What's your email address?");
    console.say(address);
    console.expect("I've sent a 6-digit code to");
    let code = code_in(&smtp.wait_for(n, WAIT)[n - 1]);
    console.say(&code);
    console.expect("Thanks, you're verified as");
    code
}

#[test]
fn required_code_verification_with_typos_wrong_codes_and_the_card() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", "");
    let mut console = console(&ws);
    console.say("I need to talk to an agent about my invoice");
    console.expect("bot> Before I open your ticket, I need to confirm who you are.");
    console.expect("What's your email address? I'll send you a 6-digit code.");
    console.say("talk to an agent");
    console.expect("bot> What's your email address? I'll send you a 6-digit code.");
    console.say("ada at example");
    console.expect("That doesn't look like an email address.");
    console.say("ada@gmial.com");
    console.expect("Did you mean ada@gmail.com?");
    console.say("ada@mailinator.com");
    console.expect("I can't send codes to addresses at mailinator.com.");
    console.say("Ada@Example.com");
    console.expect(
        "I've sent a 6-digit code to a•••@example.com. Type it here; it works for 10 minutes.",
    );
    let mail = &smtp.wait_for(1, WAIT)[0];
    assert_eq!(mail.to, ["ada@example.com"]);
    assert_eq!(mail.subject(), "Your verification code");
    let code = code_in(mail);
    assert!(mail.html().contains(&code), "{}", mail.html());
    // Sent with the login from the environment, over the relay `tls = "none"` names.
    assert_eq!(
        smtp.logins(),
        [("relay".to_string(), SMTP_PASSWORD.to_string())]
    );

    console.say(&wrong(&code));
    console.expect("That code isn't right. Tries left: 4.");
    console.say(&code);
    console.expect("Thanks, you're verified as a•••@example.com.");
    console.expect("bot> I've opened ticket #1 with the support team.");
    console.expect(
        "agent[support]> From: you (console local-user) · ada@example.com (verified by email code)",
    );
    let (_, log) = console.finish_with_log();

    // The code typed is kept out of the transcript, the database and the log.
    let show = ws.run(&["tickets", "show", "1"]);
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(show.contains("••••••") && !show.contains(&code), "{show}");
    assert_no_secret(&ws, &log, &[&code, SMTP_PASSWORD, KEY_SECRET]);
}

#[test]
fn korean_code_verification_five_wrong_codes_too_many_codes_and_cancel() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", "");
    let mut console = console(&ws);
    console.say("상담사에게 문의");
    console.expect("bot> 티켓을 열기 전에 본인 확인이 필요해요.");
    console.expect("이메일 주소를 알려 주세요.");
    console.say("minji@example.com");
    console.expect("m•••@example.com 주소로 6자리 코드를 보냈어요.");
    let first = &smtp.wait_for(1, WAIT)[0];
    assert_eq!(first.subject(), "인증 코드");
    let code = code_in(first);
    for left in (1..=4).rev() {
        console.say(&wrong(&code));
        console.expect(&format!("코드가 맞지 않아요. 남은 시도 횟수: {left}번."));
    }
    console.say(&wrong(&code));
    console.expect("이 코드의 시도 횟수를 모두 쓰셨어요.");
    // Used up: even the right code no longer works.
    console.say(&code);
    console.expect("이 코드의 시도 횟수를 모두 쓰셨어요.");
    console.say("새 코드");
    console.expect("m•••@example.com 주소로 6자리 코드를 보냈어요.");
    smtp.wait_for(2, WAIT);
    console.say("새 코드");
    console.expect("m•••@example.com 주소로 6자리 코드를 보냈어요.");
    smtp.wait_for(3, WAIT);
    console.say("새 코드");
    console.expect("최근 한 시간 동안 코드를 3번 보내서 더 보낼 수 없어요.");
    console.say("취소");
    console.expect("취소했어요. 티켓은 열리지 않았어요.");
    console.say("상담사에게 문의");
    console.expect("이메일 주소를 알려 주세요.");
    console.finish();
    assert_eq!(smtp.received().len(), 3, "no fourth code went out");
    let list = ws.run(&["tickets", "list"]);
    assert!(
        !String::from_utf8_lossy(&list.stdout).contains("#1"),
        "no ticket opened"
    );
}

#[test]
fn an_expired_code_offers_a_new_one() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", "code_minutes = 1");
    let mut console = console(&ws);
    console.say("talk to an agent");
    console.say("ada@example.com");
    console.expect("it works for 1 minutes");
    let code = code_in(&smtp.wait_for(1, WAIT)[0]);
    // `code_minutes` is whole minutes: this test waits one out.
    std::thread::sleep(Duration::from_secs(61));
    console.say(&code);
    console.expect("That code has expired. Say \"new code\" to get another one.");
    console.expect("bot>   1) New code");
    console.say("1");
    console.expect("I've sent a 6-digit code to a•••@example.com.");
    let fresh = code_in(&smtp.wait_for(2, WAIT)[1]);
    console.say(&fresh);
    console.expect("Thanks, you're verified as a•••@example.com.");
    console.expect("I've opened ticket #1");
    console.finish();
}

#[test]
fn optional_verification_declined_opens_an_unverified_ticket() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "optional", "");
    let mut console = console(&ws);
    console.say("talk to an agent");
    console.expect("bot> It helps the team to know who you are");
    console.expect("bot>   1) Skip");
    console.say("skip");
    console.expect("bot> I've opened ticket #1 with the support team.");
    console.expect("agent[support]> From: you (console local-user) · unverified");
    console.finish();
    assert!(smtp.received().is_empty());
}

/// A GET of `path` on `addr`: the status and the body.
fn get(addr: &str, path: &str) -> (u16, String) {
    request(addr, "GET", path, "")
}

/// A form POST of `body` to `path` on `addr`: the status and the body.
fn post(addr: &str, path: &str, body: &str) -> (u16, String) {
    request(addr, "POST", path, body)
}

fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to relaydesk");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(kid: &str, secret: &str, exp: u64) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.into());
    let claims = serde_json::json!({
        "external_id": "acct-42", "email": "ada@example.com", "email_verified": true,
        "exp": exp, "iat": now(),
    });
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// A token whose header says `alg: none`, with no signature.
fn unsigned() -> String {
    use base64::Engine as _;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let claims = serde_json::json!({
        "external_id": "acct-42", "email": "ada@example.com", "email_verified": true,
        "exp": now() + 300, "iat": now(),
    });
    format!(
        "{}.{}.",
        b64(serde_json::json!({"alg": "none", "kid": "k1"})),
        b64(claims)
    )
}

#[test]
fn a_signed_link_is_accepted_once_and_bad_tokens_are_refused_with_the_reason() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", &format!("login_url = \"{LOGIN_URL}\""));
    let mut console = console(&ws);
    let addr = console.web_addr();
    console.say("talk to an agent");
    console.expect("How would you like to do that?");
    console.expect("bot>   1) Email me a code");
    console.expect("bot>   2) Sign in on our website");
    console.say("2");
    let line = console.expect(&format!("{LOGIN_URL}?state="));
    let state: String = line[line.find("state=").unwrap() + 6..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(state.len(), 64, "{line}");
    let verify = |token: &str| get(&addr, &format!("/verify?state={state}&token={token}"));

    for (token, why) in [
        (
            unsigned(),
            "not signed the way this help desk accepts (HS256)",
        ),
        (
            token("k1", "a-wrong-secret", now() + 300),
            "signature is not valid",
        ),
        (
            token("k7", KEY_SECRET, now() + 300),
            "signed with a key this help desk doesn't know",
        ),
        (
            token("k1", KEY_SECRET, now() - 120),
            "The sign-in token has expired.",
        ),
    ] {
        let (status, page) = verify(&token);
        assert_eq!(status, 400, "{page}");
        assert!(
            page.contains("We couldn&#39;t verify you") || page.contains("We couldn't verify you"),
            "{page}"
        );
        assert!(page.contains(&escaped(why)), "{why}: {page}");
        // Refused, but the link still works.
        assert!(page.contains("you can try again"), "{page}");
    }
    let (status, page) = get(&addr, "/verify?state=0123&token=x");
    assert_eq!(status, 400);
    assert!(
        page.contains(&escaped("This sign-in link isn't one we know.")),
        "{page}"
    );

    let (status, page) = verify(&token("k1", KEY_SECRET, now() + 300));
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("You&#39;re verified as a•••@example.com")
            || page.contains("You're verified as a•••@example.com"),
        "{page}"
    );
    console.expect("bot> Thanks, you're verified as a•••@example.com.");
    console.expect("bot> I've opened ticket #1 with the support team.");
    console.expect("agent[support]> From: you (console local-user) · ada@example.com (verified by signed link)");
    // The transcript keeps the link without its state.
    let kept = console.expect("agent[support]> bot: Please sign in here to confirm who you are:");
    assert!(kept.contains("state=•••"), "{kept}");
    assert!(
        !console
            .seen
            .iter()
            .any(|l| l.starts_with("agent[") && l.contains(&state)),
        "the state reached the agents"
    );

    // Used: the same state takes no second token.
    let (status, page) = verify(&token("k1", KEY_SECRET, now() + 300));
    assert_eq!(status, 400);
    assert!(page.contains("was already used"), "{page}");
    let (_, log) = console.finish_with_log();
    assert_no_secret(&ws, &log, &[KEY_SECRET, "old-key", SMTP_PASSWORD]);
    assert!(smtp.received().is_empty(), "no code was asked for");
}

/// How askama writes `text` in a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('\'', "&#39;")
        .replace('"', "&#34;")
}

#[test]
fn the_same_email_on_the_console_and_slack_is_one_requester() {
    let slack = FakeSlack::start();
    users(&slack);
    let smtp = FakeSmtp::start();
    let platform = format!(
        "[slack]\nenabled = true\nmode = \"socket\"\napi_url = \"{}\"\ntrusted_team_ids = [\"T1\"]",
        slack.api_url()
    );
    let ws = workspace(&smtp, "required", "");
    let toml = std::fs::read_to_string(ws.path().join("bot.toml")).unwrap();
    std::fs::write(ws.path().join("bot.toml"), format!("{platform}\n{toml}")).unwrap();

    // On the console: verified by code as Ada's address.
    let mut console = ws.console_with(crate::slack::with_tokens(ws.command(&["console"])));
    slack.wait_connected(WAIT);
    console.say("talk to an agent");
    verify_by_code(&mut console, &smtp, "ada@example.com", 1);
    console.expect("I've opened ticket #1");

    // On Slack, Ada of the trusted workspace: asked nothing, and the card knows her.
    slack.send_event(fake::dm("U1", "DU1", "1000.000100", "talk to an agent"));
    slack.wait_posted("DU1", |m| m.text.contains("opened ticket #2"), WAIT);
    console.expect("agent[support]> Ticket #2 · support");
    console.expect("agent[support]> From: Ada (slack U1) · ada@example.com (verified by slack)");
    console.expect("agent[support]> Also on console: verified by email code,");

    // Her history on Slack lists both.
    slack.send_event(fake::dm("U1", "DU1", "1000.000200", "my tickets"));
    let listed = slack.wait_posted(
        "DU1",
        |m| m.text.contains("#1") && m.text.contains("#2"),
        WAIT,
    );
    assert!(listed.text.contains("#2"), "{}", listed.text);
    // The console's ticket is shown, and stays where it was opened.
    slack.send_event(fake::dm("U1", "DU1", "1000.000300", "#1"));
    slack.wait_posted(
        "DU1",
        |m| m.text.contains("Ticket #1 was opened on console"),
        WAIT,
    );
    console.say("still there?");
    console.expect("agent[support]> [you] still there?");
    console.finish();
}

/// A verified console person with ticket #1 open, away for longer than `away_after`.
fn verified_ticket(smtp: &FakeSmtp, ws: &Workspace) -> Console {
    let mut console = console(ws);
    console.say("talk to an agent");
    verify_by_code(&mut console, smtp, "ada@example.com", 1);
    console.expect("I've opened ticket #1");
    console
}

const AWAY: &str = "[notify]\naway_after = \"2s\"\nbatch_window = \"3s\"";

/// Waits out `away_after`: the person has left.
fn leave() {
    std::thread::sleep(Duration::from_millis(2500));
}

fn away_emails(smtp: &FakeSmtp) -> Vec<Received> {
    smtp.received()
        .into_iter()
        .filter(|m| m.subject().starts_with("New reply"))
        .collect()
}

/// Waits for `n` away emails in all.
fn wait_away(smtp: &FakeSmtp, n: usize) -> Vec<Received> {
    crate::slack::eventually(&format!("{n} away emails"), || away_emails(smtp).len() >= n);
    away_emails(smtp)
}

#[test]
fn three_quick_replies_while_away_make_one_email() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", AWAY);
    let mut console = verified_ticket(&smtp, &ws);
    leave();
    for reply in [
        "First, check the invoice date.",
        "Then the plan.",
        "Tell me what you see.",
    ] {
        console.say(&format!("/agent {reply}"));
        console.expect(reply);
    }
    let away = wait_away(&smtp, 1);
    let mail = &away[0];
    assert_eq!(mail.subject(), "New reply to your ticket #1");
    assert_eq!(mail.to, ["ada@example.com"]);
    let text = mail.text();
    for reply in [
        "First, check the invoice date.",
        "Then the plan.",
        "Tell me what you see.",
        "agent wrote:",
        "To answer, write to us in the chat",
    ] {
        assert!(text.contains(reply), "{reply} in {text}");
    }
    let unsubscribe = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(unsubscribe.contains("/unsubscribe?token="), "{unsubscribe}");
    assert!(mail.html().contains("<blockquote"), "{}", mail.html());

    // A later reply after the window: an email of its own, with only itself.
    leave();
    console.say("/agent One more thing.");
    let away = wait_away(&smtp, 2);
    assert_eq!(away.len(), 2, "the three replies went out once");
    assert!(
        away[1].text().contains("One more thing.") && !away[1].text().contains("Then the plan.")
    );

    // Unsubscribed, the requester gets no more: the page asks first, the button does it.
    let addr = console.web_addr();
    let url = unsubscribe.trim_matches(['<', '>']);
    let path = &url[url.find("/unsubscribe").unwrap()..];
    let (status, page) = get(&addr, path);
    assert!(
        status == 200 && page.contains("<form method=\"post\""),
        "{page}"
    );
    let (status, page) = post(&addr, path, "List-Unsubscribe=One-Click");
    assert!(status == 200 && page.contains("you won"), "{page}");
    leave();
    console.say("/agent Are you still there?");
    console.expect("Are you still there?");
    // The marker: the person's own next message reaches the agents after the window.
    std::thread::sleep(Duration::from_millis(3500));
    console.say("yes, sorry");
    console.expect("agent[support]> [you] yes, sorry");
    assert_eq!(away_emails(&smtp).len(), 2, "no email after unsubscribing");
    console.finish();
}

#[test]
fn back_within_the_window_means_no_email() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", AWAY);
    let mut console = verified_ticket(&smtp, &ws);
    leave();
    console.say("/agent Could you send a screenshot?");
    console.expect("Could you send a screenshot?");
    console.say("here it is");
    console.expect("agent[support]> [you] here it is");
    // The marker: a second absence, whose email must be the first to arrive.
    leave();
    console.say("/agent Thanks, fixed now.");
    let away = wait_away(&smtp, 1);
    assert_eq!(away.len(), 1);
    assert!(
        away[0].text().contains("Thanks, fixed now.") && !away[0].text().contains("screenshot"),
        "{}",
        away[0].text()
    );
    console.finish();
}

#[test]
fn a_pending_email_survives_a_restart_and_goes_once() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", AWAY);
    let mut console = verified_ticket(&smtp, &ws);
    leave();
    console.say("/agent We found the cause.");
    console.expect("We found the cause.");
    // Killed within the batch window: the email is a row, not a timer in memory.
    console.kill();
    assert!(away_emails(&smtp).is_empty());
    let mut console = self::console(&ws);
    let away = wait_away(&smtp, 1);
    assert!(away[0].text().contains("We found the cause."));
    // The marker: the next absence's email comes second, and the first never again.
    leave();
    console.say("/agent Fixed.");
    let away = wait_away(&smtp, 2);
    assert_eq!(
        away.len(),
        2,
        "{:?}",
        away.iter().map(Received::text).collect::<Vec<_>>()
    );
    assert!(away[1].text().contains("Fixed.") && !away[1].text().contains("cause"));
    console.finish();
}

#[test]
fn an_email_refused_for_a_while_is_delivered_once_the_server_recovers() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", AWAY);
    let mut console = verified_ticket(&smtp, &ws);
    smtp.refuse_temporarily(3);
    leave();
    console.say("/agent Here is your refund.");
    console.expect("Here is your refund.");
    let away = wait_away(&smtp, 1);
    assert!(away[0].text().contains("Here is your refund."));
    assert_eq!(smtp.refused(), 3);
    console.wait_log("email not sent; will try again");
    let (_, log) = console.finish_with_log();
    let emails = ws.run(&["emails"]);
    let emails = String::from_utf8_lossy(&emails.stdout);
    assert!(
        emails.contains("sent") && emails.contains("4 attempts"),
        "{emails}\n{log}"
    );
    assert_eq!(away_emails(&smtp).len(), 1, "delivered once");
}

#[test]
fn check_says_whether_smtp_works_and_shows_no_secret() {
    let smtp = FakeSmtp::start();
    let ws = workspace(&smtp, "required", &format!("login_url = \"{LOGIN_URL}\""));
    let run = |ws: &Workspace| {
        let mut cmd = ws.command(&["check"]);
        cmd.env("RELAYDESK_SMTP_USERNAME", "relay")
            .env("RELAYDESK_SMTP_PASSWORD", SMTP_PASSWORD)
            .env("RELAYDESK_IDENTITY_KEYS", format!("k1={KEY_SECRET}"));
        cmd.output().expect("run relaydesk check")
    };
    let out = run(&ws);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains(&format!("# smtp: 127.0.0.1:{} works", smtp.port())),
        "{said}"
    );
    assert!(
        said.contains("# identity: signed links with key k1"),
        "{said}"
    );
    assert!(
        !said.contains(SMTP_PASSWORD) && !said.contains(KEY_SECRET),
        "{said}"
    );

    drop(smtp);
    let out = run(&ws);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        said.contains("# error: smtp: cannot connect to 127.0.0.1:"),
        "{said}"
    );
}

/// No `secrets` in the log, in the database file, or in what the CLI prints.
fn assert_no_secret(ws: &Workspace, log: &str, secrets: &[&str]) {
    let mut db = Vec::new();
    for file in ["relaydesk.db", "relaydesk.db-wal"] {
        if let Ok(bytes) = std::fs::read(ws.path().join("data").join(file)) {
            db.extend(bytes);
        }
    }
    assert!(!db.is_empty(), "no database file");
    let db = String::from_utf8_lossy(&db);
    for secret in secrets {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
        assert!(!db.contains(secret), "{secret} in the database");
    }
}
