//! The web server's edge, against the built binary in Events API mode: connections that
//! trickle, stall or idle are closed; hostile connections neither starve a real event
//! nor swell the process; Slack's routes refuse what Slack never sends before reading
//! it; and events whose JSON serde_json refuses are repaired or refused, never dropped.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::fake_slack::{self as fake, FakeSlack};
use crate::helpers::{Workspace, WAIT};
use crate::slack::{users, workspace, Bot, SECRET};

/// The server must close a hostile connection within this.
const CLOSED_WITHIN: Duration = Duration::from_secs(30);

/// The process must stay below this while hostile connections are open.
const MAX_RSS_KB: u64 = 150 * 1024;

/// relaydesk in Events API mode against a fake Slack, ready for events.
fn events_api() -> (FakeSlack, Workspace, Bot) {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "http", "slack:CAGENTS");
    let bot = Bot::start(&ws);
    bot.wait_log("Slack Events API ready");
    (fake, ws, bot)
}

/// The head of a POST to `/slack/events` declaring `length` bytes of JSON, with a fresh
/// timestamp and a signature the server can only find wrong once it has the body.
fn signed_head(length: usize) -> String {
    format!(
        "POST /slack/events HTTP/1.1\r\nHost: relaydesk\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nX-Slack-Request-Timestamp: {}\r\nX-Slack-Signature: v0={}\r\n\r\n",
        fake::now(),
        "0".repeat(64)
    )
}

/// What a hostile client does with its connection.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Hostile {
    /// Sends the start of its headers, then a byte at a time.
    SlowHeaders,
    /// Sends its headers, then its body a byte at a time.
    SlowBody,
    /// Asks for `/healthz`, reads the answer, and keeps the connection without a word.
    Idle,
}

const KINDS: [Hostile; 3] = [Hostile::SlowHeaders, Hostile::SlowBody, Hostile::Idle];

impl Hostile {
    fn open(self, addr: &str) -> TcpStream {
        let mut stream = TcpStream::connect(addr).expect("connect to relaydesk");
        let sent = match self {
            Hostile::SlowHeaders => {
                stream.write_all(b"POST /slack/events HTTP/1.1\r\nHost: relaydesk\r\nX-Slow: ")
            }
            Hostile::SlowBody => stream.write_all(format!("{}{{", signed_head(100_000)).as_bytes()),
            Hostile::Idle => stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: relaydesk\r\n\r\n"),
        };
        sent.expect("write to relaydesk");
        if self == Hostile::Idle {
            let answer = read_until(&mut stream, "\r\n\r\nok");
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
        stream
    }

    /// One more byte, for the kinds that trickle; an error means the server closed it.
    fn trickle(self, stream: &mut TcpStream) -> std::io::Result<()> {
        match self {
            Hostile::SlowHeaders => stream.write_all(b"a"),
            Hostile::SlowBody => stream.write_all(b" "),
            Hostile::Idle => Ok(()),
        }
    }
}

/// Reads until `end` has come (or the connection ends); returns what came.
fn read_until(stream: &mut TcpStream, end: &str) -> String {
    stream
        .set_read_timeout(Some(WAIT))
        .expect("set a read timeout");
    let (mut seen, mut buf) = (Vec::new(), [0u8; 4096]);
    while !String::from_utf8_lossy(&seen).contains(end) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) => panic!("reading from relaydesk: {e}"),
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Whether the server has closed `stream` (an end of file or a reset), without waiting;
/// what it sent meanwhile is added to `seen`.
fn closed(stream: &mut TcpStream, seen: &mut Vec<u8>) -> bool {
    stream.set_nonblocking(true).expect("non-blocking");
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// The resident memory of process `pid`, in kB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("read /proc/<pid>/status (Linux only)");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
}

#[test]
fn slow_and_idle_connections_are_closed_by_the_server() {
    let (_fake, _ws, bot) = events_api();
    let addr = bot.web_addr();
    let start = Instant::now();
    let mut open: Vec<_> = KINDS
        .iter()
        .map(|&kind| (kind, kind.open(&addr), Vec::new()))
        .collect();
    let mut ended = Vec::new();
    while !open.is_empty() && start.elapsed() < CLOSED_WITHIN {
        std::thread::sleep(Duration::from_millis(500));
        let mut still = Vec::new();
        for (kind, mut stream, mut seen) in open {
            if closed(&mut stream, &mut seen) || kind.trickle(&mut stream).is_err() {
                ended.push((
                    kind,
                    start.elapsed(),
                    String::from_utf8_lossy(&seen).into_owned(),
                ));
            } else {
                still.push((kind, stream, seen));
            }
        }
        open = still;
    }
    let left: Vec<Hostile> = open.iter().map(|(kind, ..)| *kind).collect();
    assert!(
        left.is_empty(),
        "still open after {CLOSED_WITHIN:?}: {left:?} (closed: {ended:?})"
    );
    let (_, _, answer) = ended
        .iter()
        .find(|(kind, ..)| *kind == Hostile::SlowBody)
        .expect("the slow body ended");
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "a request that took too long is answered 408: {answer:?}"
    );
}

/// Opens a POST of 1.9 MB to `/slack/events` without Slack's signature, sends as much
/// of its body as the connection takes without waiting, and keeps the connection.
/// Half declare their length, half are chunked.
fn unsigned_large_body(addr: &str, declared: bool) -> TcpStream {
    const LEN: usize = 1_900_000;
    let mut stream = TcpStream::connect(addr).expect("connect to relaydesk");
    let framing = if declared {
        format!("Content-Length: {LEN}\r\n\r\n")
    } else {
        format!("Transfer-Encoding: chunked\r\n\r\n{LEN:x}\r\n")
    };
    let head = format!(
        "POST /slack/events HTTP/1.1\r\nHost: relaydesk\r\nContent-Type: application/json\r\n{framing}"
    );
    stream
        .write_all(head.as_bytes())
        .expect("write to relaydesk");
    stream.set_nonblocking(true).expect("non-blocking");
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < LEN {
        match stream.write(&chunk[..chunk.len().min(LEN - sent)]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Full (the server reads no more) or refused: either way, held as it is.
            Err(_) => break,
        }
    }
    stream
}

#[test]
fn hostile_connections_neither_starve_a_real_event_nor_swell_the_process() {
    let (fake, _ws, bot) = events_api();
    let addr = bot.web_addr();
    let before = rss_kb(bot.pid());
    let mut held: Vec<(Hostile, TcpStream)> = (0..200)
        .map(|i| KINDS[i % KINDS.len()])
        .map(|kind| (kind, kind.open(&addr)))
        .collect();
    let bodies: Vec<TcpStream> = (0..200)
        .map(|i| unsigned_large_body(&addr, i % 2 == 0))
        .collect();
    let mut peak = rss_kb(bot.pid());
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(100));
        peak = peak.max(rss_kb(bot.pid()));
    }

    // A real event, while all of them are held.
    let real = fake::event_callback(
        fake::dm(
            "U1",
            "DU1",
            "4100.000100",
            "How do I get an email when an agent replies?",
        ),
        "EvREALUNDERLOAD",
    )
    .to_string();
    let (status, _) = fake::signed_post(
        &format!("http://{addr}/slack/events"),
        &real,
        "application/json",
        SECRET,
        fake::now(),
        None,
    );
    assert_eq!(status, 200);
    fake.wait_posted("DU1", |m| m.text.contains("help.example.com"), WAIT);
    peak = peak.max(rss_kb(bot.pid()));

    // It was answered before the server let go of any of them: it did not wait for
    // their timeouts to get a turn.
    let let_go: Vec<Hostile> = held
        .iter_mut()
        .filter_map(|(kind, stream)| closed(stream, &mut Vec::new()).then_some(*kind))
        .collect();
    assert!(
        let_go.is_empty(),
        "{} hostile connections were closed before the real event was answered: {let_go:?}",
        let_go.len()
    );
    eprintln!(
        "relaydesk's memory: {before} kB before, at most {peak} kB with 400 hostile connections"
    );
    assert!(
        peak < MAX_RSS_KB,
        "relaydesk grew to {peak} kB (from {before} kB) with 400 hostile connections"
    );
    drop(bodies);
}

#[test]
fn slack_routes_refuse_other_content_types_and_declared_oversize() {
    let (_fake, _ws, bot) = events_api();
    let addr = bot.web_addr();
    let check = r#"{"type":"url_verification","challenge":"c"}"#;
    for (path, content_type) in [
        ("/slack/events", "text/plain"),
        ("/slack/events", "application/x-www-form-urlencoded"),
        ("/slack/interactions", "application/json"),
        ("/slack/commands", "multipart/form-data; boundary=x"),
    ] {
        let (status, _) = fake::signed_post(
            &format!("http://{addr}{path}"),
            check,
            content_type,
            SECRET,
            fake::now(),
            None,
        );
        assert_eq!(status, 415, "{path} as {content_type}");
    }

    // 10 MB declared and none of it sent: the answer comes all the same.
    let mut stream = TcpStream::connect(&addr).expect("connect to relaydesk");
    stream
        .write_all(signed_head(10_000_000).as_bytes())
        .expect("write to relaydesk");
    let answer = read_until(&mut stream, "\r\n");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
}

#[test]
fn an_event_serde_json_refuses_is_repaired_or_refused_never_dropped() {
    let (fake, ws, bot) = events_api();
    let events = format!("http://{}/slack/events", bot.web_addr());
    let post = |body: &str| {
        fake::signed_post(&events, body, "application/json", SECRET, fake::now(), None).0
    };

    // An escaped lone surrogate, as clients that cut a string inside an emoji send.
    let lone = fake::event_callback(
        fake::dm("U1", "DU1", "4200.000100", "hi SURROGATE there"),
        "EvLONESURR",
    )
    .to_string()
    .replace("SURROGATE", "\\ud800");
    assert!(lone.contains(r#"hi \ud800 there"#), "{lone}");
    assert_eq!(post(&lone), 200);
    fake.wait_posted("DU1", |_| true, WAIT);
    let shown = ws.run(&["conversations", "show", "1"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("hi \u{FFFD} there"), "{shown}");

    // Nested deeper than serde_json reads: refused, so that Slack does not count it
    // handled, and the log names it.
    let deep = fake::event_callback(
        fake::dm("U1", "DU1", "4200.000200", "too deep to read"),
        "EvTOODEEP",
    )
    .to_string();
    let deep = format!(
        "{{\"deep\":{}{},{}",
        "[".repeat(5000),
        "]".repeat(5000),
        &deep[1..]
    );
    assert_eq!(post(&deep), 400);
    let logged = bot.wait_log("unreadable Slack event refused");
    assert!(logged.contains("EvTOODEEP"), "{logged}");
    assert!(logged.contains("recursion limit exceeded"), "{logged}");
    let shown = ws.run(&["conversations", "show", "1"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(!shown.contains("too deep to read"), "{shown}");
}

#[test]
fn a_socket_mode_message_slack_morphism_cannot_read_is_logged() {
    let fake = FakeSlack::start();
    users(&fake);
    let ws = workspace(&fake, "socket", "slack:CAGENTS");
    let bot = Bot::start(&ws);
    fake.wait_connected(WAIT);

    // slack-morphism parses the envelope before relaydesk sees it, and acknowledges one
    // it cannot parse: relaydesk can only say so.
    let envelope = serde_json::json!({
        "envelope_id": "fake-unreadable-envelope", "type": "events_api",
        "accepts_response_payload": false, "retry_attempt": 0, "retry_reason": "",
        "payload": fake::event_callback(
            fake::dm("U1", "DU1", "4300.000100", "hi SURROGATE there"),
            "EvSOCKETLONE",
        ),
    });
    fake.send_frame(envelope.to_string().replace("SURROGATE", "\\ud800"));
    assert!(
        fake.wait_ack("fake-unreadable-envelope", WAIT).is_some(),
        "slack-morphism no longer acknowledges what it cannot parse: the log line says it does"
    );
    let logged = bot.wait_log("unreadable Slack Socket Mode message skipped");
    assert!(logged.contains("EvSOCKETLONE"), "{logged}");
    assert!(logged.contains("fake-unreadable-envelope"), "{logged}");
    assert!(logged.contains("hex escape"), "{logged}");
    assert!(
        !logged.contains("hi "),
        "the message text was logged: {logged}"
    );
}
