//! The status page, the incident banner, `/readyz` and `/metrics` of the built binary,
//! in Socket Mode against the fake Slack.

use std::time::Duration;

use serde_json::Value;

use crate::fake_slack::{self as fake, try_http_request, FakeSlack, HttpReply};
use crate::helpers::{Postgres, Workspace, WAIT};
use crate::slack::{eventually, users, within, workspace, Bot, AGENTS};

/// How soon the status must show a change the process can see.
const SOON: Duration = Duration::from_secs(10);

fn get(addr: &str, path: &str) -> HttpReply {
    let url = format!("http://{addr}{path}");
    try_http_request("GET", &url, &[], b"").unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn status_json(addr: &str) -> Value {
    let reply = get(addr, "/status.json");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// Slack's line of `/status.json`.
fn slack_state(addr: &str) -> String {
    let status = status_json(addr);
    status["adapters"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "slack"))
        .map(|a| a["state"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

/// The fake, and relaydesk connected to it in Socket Mode, its status showing Slack
/// connected.
fn connected() -> (FakeSlack, Workspace, Bot, String) {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "socket", &format!("slack:{AGENTS}"));
    let bot = Bot::start(&ws);
    fake.wait_connected(WAIT);
    let addr = bot.web_addr();
    eventually("slack shown connected", || {
        slack_state(&addr) == "connected"
    });
    (fake, ws, bot, addr)
}

#[test]
fn the_status_shows_slack_down_once_the_fake_stops() {
    let (fake, _ws, _bot, addr) = connected();
    let status = status_json(&addr);
    assert_eq!(status["database"]["ok"], true, "{status}");
    assert_eq!(status["outbox_backlog"], 0, "{status}");
    assert_eq!(status["incident"], Value::Null, "{status}");
    let page = get(&addr, "/status");
    assert_eq!(page.status, 200);
    assert!(page
        .text()
        .contains(r#"<span class="badge connected">Connected</span>"#));
    assert!(
        !page.text().contains(r#"class="notice""#),
        "no banner while all is well"
    );
    let home = get(&addr, "/");
    assert!(
        !home.text().contains(r#"class="notice""#),
        "{}",
        home.text()
    );

    drop(fake);
    within("slack shown down", SOON, || slack_state(&addr) == "down");
    let status = status_json(&addr);
    let slack = &status["adapters"][0];
    assert!(
        slack["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{status}"
    );
    let page = get(&addr, "/status").text();
    assert!(
        page.contains(r#"<span class="badge down">Down</span>"#),
        "{page}"
    );
    let home = get(&addr, "/").text();
    assert!(home.contains(r#"class="notice""#), "{home}");
    assert!(home.contains("Chat support may be unavailable"), "{home}");
    assert!(home.contains(r#"<a href="/support/new">"#), "{home}");
}

#[test]
fn an_incident_shows_a_banner_until_it_is_closed() {
    let (_fake, ws, _bot, addr) = connected();
    let opened = ws.run(&["incident", "open", "Chat is down"]);
    assert!(opened.status.success(), "{opened:?}");

    let page = get(&addr, "/status").text();
    assert!(page.contains(r#"class="notice""#), "{page}");
    assert!(page.contains("Chat is down"), "{page}");
    // The help center's banner reads the incident at most once a second.
    eventually("the banner on the help center", || {
        get(&addr, "/").text().contains("Chat is down")
    });
    let home = get(&addr, "/").text();
    assert!(home.contains(r#"class="notice""#), "{home}");
    let status = status_json(&addr);
    assert_eq!(status["incident"]["text"], "Chat is down", "{status}");
    assert!(status["incident"]["opened_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));

    let closed = ws.run(&["incident", "close"]);
    assert!(closed.status.success(), "{closed:?}");
    assert!(String::from_utf8_lossy(&closed.stdout).contains("incident closed"));
    assert!(!get(&addr, "/status").text().contains("Chat is down"));
    assert_eq!(status_json(&addr)["incident"], Value::Null);
    eventually("the banner gone from the help center", || {
        !get(&addr, "/").text().contains("Chat is down")
    });
}

#[test]
fn metrics_count_a_handoff_a_delivery_and_a_relay() {
    let (fake, _ws, _bot, addr) = connected();
    let asked = fake.send_event(fake::dm("U1", "DU1", "1000.000100", "talk to an agent"));
    assert!(fake.wait_ack(&asked, WAIT).is_some(), "never acknowledged");
    let card = fake.wait_posted(AGENTS, |m| m.thread_ts.is_none(), WAIT);
    let more = fake.send_event(fake::dm("U1", "DU1", "1000.000200", "it still fails"));
    assert!(fake.wait_ack(&more, WAIT).is_some(), "never acknowledged");
    fake.wait_posted(
        AGENTS,
        |m| m.thread_ts.as_deref() == Some(card.ts.as_str()) && m.text.contains("it still fails"),
        WAIT,
    );

    let metrics = || get(&addr, "/metrics");
    let reply = metrics();
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; version=0.0.4")
    );
    let text = reply.text();
    assert!(
        text.contains(r#"relaydesk_handoffs_total{queue="support"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"relaydesk_messages_received_total{adapter="slack"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"relaydesk_tickets{state="queued"} 1"#),
        "{text}"
    );
    assert!(text.contains("relaydesk_outbox_backlog "), "{text}");
    // The relayed copy is delivered a moment after it is posted: counted by then.
    eventually("the relay is counted", || {
        let text = metrics().text();
        value(&text, r#"relaydesk_messages_sent_total{adapter="slack"}"#) >= 3.0
            && value(&text, "relaydesk_relay_latency_seconds_count") == 1.0
    });
    let text = metrics().text();
    assert!(
        text.contains(r#"relaydesk_relay_latency_seconds_bucket{le="30"}"#),
        "a histogram, with buckets: {text}"
    );
}

/// The value of the sample named `name` (with its labels), or 0.
fn value(text: &str, name: &str) -> f64 {
    text.lines()
        .filter_map(|l| l.strip_prefix(name))
        .filter_map(|rest| rest.trim().parse().ok())
        .next()
        .unwrap_or(0.0)
}

#[test]
fn readyz_answers_503_quickly_once_the_database_is_gone() {
    let db = Postgres::new();
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "socket", &format!("slack:{AGENTS}"));
    let bot = Bot::start_with(&ws, &[("RELAYDESK__DATABASE__URL", db.url.as_str())]);
    fake.wait_connected(WAIT);
    let addr = bot.web_addr();
    let ready = get(&addr, "/readyz");
    assert_eq!((ready.status, ready.text()), (200, "ready".to_string()));
    assert_eq!(get(&addr, "/healthz").text(), "ok");

    db.drop_now();
    within("readyz says the database is gone", SOON, || {
        let started = std::time::Instant::now();
        let reply = get(&addr, "/readyz");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "readyz took {:?}",
            started.elapsed()
        );
        reply.status == 503 && reply.text().contains("database")
    });
    let status = status_json(&addr);
    assert_eq!(status["database"]["ok"], false, "{status}");
    assert_eq!(status["outbox_backlog"], Value::Null, "{status}");
    let alive = get(&addr, "/healthz");
    assert_eq!((alive.status, alive.text()), (200, "ok".to_string()));
}
