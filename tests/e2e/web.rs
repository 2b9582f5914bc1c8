//! The web side over real HTTP, against the built binary: the request form (its card
//! in a Slack agent channel, its confirmation email, what it refuses) and My activity
//! (signed in through the emailed link, one requester's tickets only).

use relaydesk_fakes::smtp::{FakeSmtp, Received};
use reqwest::blocking::multipart::{Form, Part};
use reqwest::blocking::{Client, Response};
use reqwest::redirect::Policy;

use crate::fake_slack::{self as fake, FakeSlack};
use crate::helpers::{self, Console, Workspace, WAIT};
use crate::slack::{self, eventually, Bot};

/// `[smtp]` pointing at `smtp`, and agents' replies emailed a second after they come.
fn mail(smtp: &FakeSmtp) -> String {
    format!(
        "[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"Support <support@example.com>\"\n\n[notify]\nbatch_window = \"1s\"\n",
        smtp.port()
    )
}

/// A workspace with the console's queues, mail through `smtp`, and `web` (the keys of
/// `[web]` besides `bind`).
fn console_workspace(smtp: &FakeSmtp, web: &str) -> Workspace {
    let ws = Workspace::new();
    let toml = format!(
        "{}\n{}\n[web]\nbind = \"127.0.0.1:0\"\n{web}\n",
        helpers::bot_toml("", "console:support", "console:sales"),
        mail(smtp)
    );
    std::fs::write(ws.path().join("bot.toml"), toml).expect("write bot.toml");
    ws
}

/// A browser: keeps cookies, follows no redirect (the tests look at them).
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .timeout(WAIT)
        .build()
        .expect("an HTTP client")
}

/// The value of the hidden field `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in the page:\n{page}"));
    page[at + marker.len()..]
        .split('"')
        .next()
        .expect("a value")
        .to_string()
}

/// A request as a person types it in the form.
struct Request<'a> {
    email: &'a str,
    question_type: &'a str,
    subject: &'a str,
    description: &'a str,
    files: Vec<(&'a str, Vec<u8>)>,
}

impl Request<'_> {
    fn new<'a>(email: &'a str, subject: &'a str) -> Request<'a> {
        Request {
            email,
            question_type: "queue:support",
            subject,
            description: "The calendar shows my meetings an hour late since I moved.",
            files: Vec::new(),
        }
    }
}

/// Opens the form (for its token), then submits `request` with `csrf` as the token
/// (the page's when `None`).
fn submit(client: &Client, addr: &str, request: &Request, csrf: Option<&str>) -> Response {
    let page = client
        .get(format!("http://{addr}/support/new"))
        .send()
        .expect("GET the form")
        .text()
        .expect("the form");
    let token = csrf.map_or_else(|| hidden(&page, "csrf"), str::to_string);
    let mut form = Form::new()
        .text("csrf", token)
        .text("form_id", hidden(&page, "form_id"))
        .text("email", request.email.to_string())
        .text("question_type", request.question_type.to_string())
        .text("subject", request.subject.to_string())
        .text("description", request.description.to_string())
        .text("business_impact", "high")
        .text("product_area", "calendar");
    for (name, bytes) in &request.files {
        form = form.part(
            "attachments",
            Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    client
        .post(format!("http://{addr}/support/new"))
        .multipart(form)
        .send()
        .expect("POST the form")
}

/// Asks for a sign-in link for `email` and follows it: the client is then signed in.
/// `n` is how many emails `smtp` will have taken with this one.
fn sign_in(client: &Client, addr: &str, smtp: &FakeSmtp, email: &str, n: usize) -> String {
    let page = client
        .get(format!("http://{addr}/activity"))
        .send()
        .expect("GET /activity")
        .text()
        .expect("the sign-in page");
    let asked = client
        .post(format!("http://{addr}/activity/signin"))
        .form(&[("csrf", hidden(&page, "csrf").as_str()), ("email", email)])
        .send()
        .expect("ask for a link");
    assert_eq!(asked.status(), 200);
    assert!(asked.text().unwrap().contains("Check your email"));
    let mail = signin_mail(smtp, email, n);
    let link = mail
        .text()
        .split_whitespace()
        .find(|w| w.contains("/activity/signin?token="))
        .unwrap_or_else(|| panic!("no link in {}", mail.text()))
        .to_string();
    let token = link.split("token=").nth(1).expect("a token").to_string();
    let page = client.get(&link).send().expect("open the link");
    assert_eq!(page.status(), 200);
    assert!(
        page.text().unwrap().contains("Continue"),
        "a button, not a sign-in"
    );
    let signed = confirm(client, addr, &token);
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()["location"], "/activity");
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    token
}

/// Opens the page of the link with `token` and presses its button.
fn confirm(client: &Client, addr: &str, token: &str) -> Response {
    let page = get(client, addr, &format!("/activity/signin?token={token}")).1;
    let csrf = hidden(&page, "csrf");
    client
        .post(format!("http://{addr}/activity/signin/confirm"))
        .form(&[("token", token), ("csrf", csrf.as_str())])
        .send()
        .expect("confirm the link")
}

/// The sign-in email to `email`, the `n`th email of all.
fn signin_mail(smtp: &FakeSmtp, email: &str, n: usize) -> Received {
    let mail = smtp.wait_for(n, WAIT)[n - 1].clone();
    assert_eq!(mail.subject(), "Your sign-in link");
    assert_eq!(mail.to, vec![email.to_string()]);
    mail
}

fn get(client: &Client, addr: &str, path: &str) -> (u16, String) {
    let answer = client
        .get(format!("http://{addr}{path}"))
        .send()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    (answer.status().as_u16(), answer.text().expect("a body"))
}

fn console(ws: &Workspace) -> Console {
    let mut cmd = ws.command(&["console"]);
    cmd.env("RUST_LOG", "info,relaydesk=debug");
    ws.console_with(cmd)
}

#[test]
fn a_web_request_reaches_slack_with_its_subject_as_text_and_a_confirmation_email() {
    let smtp = FakeSmtp::start();
    let slack_fake = FakeSlack::start();
    slack::users(&slack_fake);
    let ws = slack::workspace(&slack_fake, "socket", "slack:CAGENTS");
    let toml = std::fs::read_to_string(ws.path().join("bot.toml")).unwrap();
    std::fs::write(
        ws.path().join("bot.toml"),
        format!("{toml}\n{}", mail(&smtp)),
    )
    .unwrap();
    let bot = Bot::start(&ws);
    slack_fake.wait_connected(WAIT);
    let addr = bot.web_addr();
    let client = browser();

    let subject = "<script>alert(1)</script> @everyone <!channel> printer";
    let mut request = Request::new("Ada@Example.com", subject);
    request.files = vec![("screen.pdf", b"%PDF-1.4\n1 0 obj\n".to_vec())];
    let answer = submit(&client, &addr, &request, None);
    assert_eq!(answer.status(), 200);
    let page = answer.text().unwrap();
    assert!(page.contains("Request received"), "{page}");
    assert!(page.contains("Your ticket number is #1."), "{page}");
    assert!(page.contains("We emailed a confirmation to ada@example.com."));

    let card = slack_fake.wait_posted(
        slack::AGENTS,
        |m| m.thread_ts.is_none() && slack::blocks_text(m).contains("Ticket #1"),
        WAIT,
    );
    let shown = format!("{}\n{}", card.text, slack::blocks_text(&card));
    assert!(shown.contains("Via the web form"), "{shown}");
    assert!(
        shown.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{shown}"
    );
    assert!(!shown.contains("<script>"), "{shown}");
    assert!(
        !shown.contains("<!channel>") && !card.names_linked,
        "{shown}"
    );
    assert!(shown.contains("Priority: high"), "{shown}");
    // The attachment is copied into the ticket's thread like a chat's file.
    eventually("the attachment in the thread", || {
        slack_fake
            .uploaded()
            .iter()
            .any(|(name, bytes)| name == "screen.pdf" && bytes.starts_with(b"%PDF"))
    });

    let confirmation = &smtp.wait_for(1, WAIT)[0];
    assert_eq!(
        confirmation.subject(),
        "We received your request: ticket #1"
    );
    assert_eq!(confirmation.to, vec!["ada@example.com".to_string()]);
    assert!(
        confirmation.text().contains(subject),
        "{}",
        confirmation.text()
    );
    assert!(
        !confirmation.html().contains("<script>"),
        "{}",
        confirmation.html()
    );
    assert!(confirmation
        .text()
        .contains(&format!("http://{addr}/activity/tickets/1")));

    // The agent answers in the thread: the reply goes out by email, the note does not.
    slack_fake.send_event(fake::channel_message(
        "UAG",
        slack::AGENTS,
        "5000.000001",
        Some(&card.ts),
        "// the printer queue is stuck, ask IT",
    ));
    slack_fake.send_event(fake::channel_message(
        "UAG",
        slack::AGENTS,
        "5000.000002",
        Some(&card.ts),
        "Could you restart the printer and try again?",
    ));
    let reply = smtp
        .wait_for(2, WAIT)
        .into_iter()
        .find(|m| m.subject() == "New reply to your ticket #1")
        .expect("the reply by email");
    assert!(reply.text().contains("Could you restart the printer"));
    assert!(reply.text().contains("Grace wrote:"));
    assert!(
        !reply.text().contains("printer queue is stuck"),
        "a note stays inside"
    );
    assert!(reply
        .text()
        .contains(&format!("http://{addr}/activity/tickets/1")));
    bot.terminate();
}

#[test]
fn my_activity_shows_a_requesters_own_tickets_without_notes_and_takes_replies() {
    let smtp = FakeSmtp::start();
    let ws = console_workspace(&smtp, "");
    let mut console = console(&ws);
    let addr = console.web_addr();
    let (ada, bo) = (browser(), browser());

    let answer = submit(
        &ada,
        &addr,
        &Request::new("ada@example.com", "<b>Meetings</b> late"),
        None,
    );
    assert_eq!(answer.status(), 200);
    console.expect("agent[support]> Ticket #1 · support");
    console.say("/agent Which time zone is your calendar set to?");
    console.say("/agent // internal: known bug with moved users");
    let answer = submit(
        &bo,
        &addr,
        &Request::new("bo@example.com", "Bo's own problem"),
        None,
    );
    assert_eq!(answer.status(), 200);
    console.expect("agent[support]> Ticket #2 · support");
    // Ada: the confirmation and the reply; Bo: the confirmation.
    smtp.wait_for(3, WAIT);

    let token = sign_in(&ada, &addr, &smtp, "ada@example.com", 4);
    let (status, list) = get(&ada, &addr, "/activity");
    assert_eq!(status, 200);
    assert!(list.contains("Signed in as ada@example.com"), "{list}");
    assert!(list.contains(r#"href="/activity/tickets/1""#), "{list}");
    assert!(
        list.contains("&lt;b&gt;Meetings&lt;/b&gt; late") || list.contains("&#60;b&#62;Meetings"),
        "{list}"
    );
    assert!(!list.contains("<b>Meetings"), "{list}");
    assert!(!list.contains("Bo&#39;s own problem") && !list.contains("Bo's own problem"));
    let (_, solved) = get(&ada, &addr, "/activity?status=solved");
    assert!(
        !solved.contains("/activity/tickets/1"),
        "an open ticket is not solved"
    );

    let (status, ticket) = get(&ada, &addr, "/activity/tickets/1");
    assert_eq!(status, 200);
    assert!(
        ticket.contains("Which time zone is your calendar set to?"),
        "{ticket}"
    );
    assert!(ticket.contains("The calendar shows my meetings an hour late"));
    assert!(
        !ticket.contains("known bug"),
        "internal notes never show: {ticket}"
    );
    assert!(
        !ticket.contains("<b>Meetings"),
        "the subject is text: {ticket}"
    );

    // Someone else's ticket, or one that does not exist, is not there.
    assert_eq!(get(&ada, &addr, "/activity/tickets/2").0, 404);
    let page = get(&ada, &addr, "/activity/tickets/1").1;
    let theirs = ada
        .post(format!("http://{addr}/activity/tickets/2/reply"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("text", "into Bo's ticket"),
        ])
        .send()
        .unwrap();
    assert_eq!(theirs.status(), 404);
    assert_eq!(get(&ada, &addr, "/activity/tickets/99").0, 404);
    assert_eq!(
        get(&bo, &addr, "/activity/tickets/1").0,
        303,
        "Bo is not signed in"
    );

    // A reply from the page reaches the agents' thread.
    let page = get(&ada, &addr, "/activity/tickets/1").1;
    let sent = ada
        .post(format!("http://{addr}/activity/tickets/1/reply"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("text", "Asia/Seoul, since last week"),
        ])
        .send()
        .unwrap();
    assert_eq!(sent.status(), 303);
    console.expect("agent[support]> [ada@example.com] Asia/Seoul, since last week");
    let forged = ada
        .post(format!("http://{addr}/activity/tickets/1/reply"))
        .form(&[("csrf", "0123"), ("text", "forged")])
        .send()
        .unwrap();
    assert_eq!(forged.status(), 422);
    assert!(forged.text().unwrap().contains("The form expired"));

    // The link worked once.
    let again = confirm(&ada, &addr, &token);
    assert_eq!(again.status(), 400);
    assert!(again
        .text()
        .unwrap()
        .contains("expired or was already used"));
    let (_, ticket) = get(&ada, &addr, "/activity/tickets/1");
    assert!(ticket.contains("Asia/Seoul, since last week"), "{ticket}");
    assert!(!ticket.contains("forged"));
    console.finish();
}

#[test]
fn an_expired_sign_in_link_is_refused() {
    let smtp = FakeSmtp::start();
    let ws = console_workspace(&smtp, "");
    let console = console(&ws);
    let addr = console.web_addr();
    let client = browser();
    let page = get(&client, &addr, "/activity").1;
    let asked = client
        .post(format!("http://{addr}/activity/signin"))
        .form(&[
            ("csrf", hidden(&page, "csrf").as_str()),
            ("email", "ada@example.com"),
        ])
        .send()
        .unwrap();
    assert_eq!(asked.status(), 200);
    let mail = signin_mail(&smtp, "ada@example.com", 1);
    let token = mail
        .text()
        .split("token=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a token")
        .to_string();
    // Another site's page cannot press the button for the browser: without the page's
    // token the link is not used.
    let forged = client
        .post(format!("http://{addr}/activity/signin/confirm"))
        .form(&[("token", token.as_str())])
        .send()
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        get(&client, &addr, "/activity/tickets/1").0,
        303,
        "not signed in"
    );
    // Fifteen minutes pass.
    expire_links(&ws);
    let refused = confirm(&client, &addr, &token);
    assert_eq!(refused.status(), 400);
    assert!(refused
        .text()
        .unwrap()
        .contains("expired or was already used"));
    assert_eq!(
        get(&client, &addr, "/activity/tickets/1").0,
        303,
        "not signed in"
    );

    // Every page the server answers carries the security headers, the identity
    // pages included.
    for path in [
        "/",
        "/activity",
        "/verify?state=unknown",
        "/unsubscribe?token=x",
        "/nowhere",
    ] {
        let answer = client.get(format!("http://{addr}{path}")).send().unwrap();
        let headers = answer.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
    }
    console.finish();
}

/// Moves every sign-in link of the workspace's database past its expiry.
fn expire_links(ws: &Workspace) {
    let url = format!("sqlite://{}", ws.path().join("data/relaydesk.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("open the database");
        sqlx::query("update web_signin set expires_at = expires_at - 16 * 60 * 1000")
            .execute(&mut db)
            .await
            .expect("age the links");
    });
}

#[test]
fn the_form_refuses_forgery_large_or_wrong_files_and_too_many_requests() {
    let smtp = FakeSmtp::start();
    let ws = console_workspace(&smtp, "max_upload_mb = 1\nsubmit_per_hour = 2\n");
    let mut console = console(&ws);
    let addr = console.web_addr();
    let client = browser();

    let forged = submit(
        &client,
        &addr,
        &Request::new("ada@example.com", "forged"),
        Some("0123456789abcdef0123456789abcdef"),
    );
    assert_eq!(forged.status(), 403);
    let page = forged.text().unwrap();
    assert!(page.contains("The form expired"), "{page}");
    assert!(
        page.contains(r#"value="forged""#),
        "what was typed is kept: {page}"
    );

    let mut large = Request::new("ada@example.com", "A large file");
    large.files = vec![(
        "big.pdf",
        [b"%PDF-1.4\n".as_slice(), &vec![b'a'; 1536 * 1024]].concat(),
    )];
    let refused = submit(&client, &addr, &large, None);
    assert_eq!(refused.status(), 422);
    let page = refused.text().unwrap();
    assert!(
        page.contains("big.pdf: This file is larger than 1 MB."),
        "{page}"
    );
    assert!(page.contains(r#"value="A large file""#), "{page}");
    assert!(
        page.contains("The calendar shows my meetings an hour late"),
        "{page}"
    );
    assert!(
        page.contains(r#"<option value="queue:support" selected>"#),
        "{page}"
    );

    let mut wrong = Request::new("ada@example.com", "A program");
    wrong.files = vec![(
        "photo.png",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec(),
    )];
    let refused = submit(&client, &addr, &wrong, None);
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .unwrap()
        .contains("photo.png: This type of file is not accepted."));

    let long = "x".repeat(201);
    let refused = submit(
        &client,
        &addr,
        &Request::new("ada@example.com", &long),
        None,
    );
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .unwrap()
        .contains("At most 200 characters, please."));

    let mut blank = Request::new("not-an-address", "");
    blank.question_type = "";
    let refused = submit(&client, &addr, &blank, None);
    assert_eq!(refused.status(), 422);
    let page = refused.text().unwrap();
    assert!(
        page.contains(
            r#"<p class="error" id="email-error">Enter an email address like name@example.com.</p>"#
        ),
        "{page}"
    );
    assert!(page.contains(r#"id="subject-error""#) && page.contains(r#"id="question_type-error""#));
    assert!(page.contains(r#"value="not-an-address""#));

    for n in 1..=2 {
        let answer = submit(
            &client,
            &addr,
            &Request::new("ada@example.com", "Fine"),
            None,
        );
        assert_eq!(answer.status(), 200);
        assert!(answer.text().unwrap().contains(&format!("#{n}.")));
        console.expect(&format!("agent[support]> Ticket #{n} · support"));
    }
    // Ada again, from another address of this machine: her address's limit.
    let elsewhere = Client::builder()
        .cookie_store(true)
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .timeout(WAIT)
        .build()
        .unwrap();
    let third = Request::new("ada@example.com", "Third");
    let limited = submit(&elsewhere, &addr, &third, None);
    assert_eq!(limited.status(), 429);
    let page = limited.text().unwrap();
    assert!(page.contains("Too many requests this hour"), "{page}");
    assert!(
        page.contains(r#"value="Third""#),
        "what was typed is kept: {page}"
    );
    // Bo, from the first IP: that IP's limit.
    let fourth = Request::new("bo@example.com", "Fourth");
    assert_eq!(submit(&client, &addr, &fourth, None).status(), 429);
    // Bo from the other IP is fine.
    let fifth = Request::new("bo@example.com", "Fifth");
    assert_eq!(submit(&elsewhere, &addr, &fifth, None).status(), 200);
    console.expect("agent[support]> Ticket #3 · support");

    // Nothing refused opened a ticket: after the three, the next ticket (from the chat)
    // is #4.
    console.say("talk to an agent");
    console.expect("agent[support]> Ticket #4 · support");
    let mut lines = console.seen.clone();
    lines.extend(console.finish_with_log().0);
    let cards = lines.iter().filter(|l| l.contains("> Ticket #")).count();
    assert_eq!(cards, 4, "{lines:#?}");
}
