//! The conformance suite every adapter runs: the promises of [`ChannelAdapter::send`]
//! checked against what the platform then shows.
//!
//! An adapter's tests implement [`Platform`] — the adapter under test, a place to post,
//! and a way to read back what the platform (or its fake) now shows — and call
//! [`assert_conforms`]. The checks:
//!
//! - [`no_pings`]: mentions of everyone, a channel, a user or a role — in the bot's
//!   words, in relayed words, in a sender's name, in a choice, on a ticket card —
//!   notify nobody, and every word of them is still shown;
//! - [`split_without_loss`]: a text of exactly `max_len` characters (Hangul, emoji,
//!   combining accents, markup characters) is shown whole, and the parts
//!   [`split_message`] cuts a longer text into are each shown whole;
//! - [`edit_round_trip`]: with [`Capabilities::edits`], a post, an update and a removal
//!   are each shown; without, an update and a removal are refused with
//!   [`SendError::Permanent`] and change nothing;
//! - [`ids`]: message ids are non-empty and distinct, and the thread address written
//!   from them (`adapter:channel/thread`) parses back to itself.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;

use crate::adapter::{
    Action, Body, Capabilities, ChannelAdapter, Choice, Delivered, Outbound, OutboundKind, Payload,
    SendError, TicketCard,
};
use crate::text::split_message;
use crate::types::Address;

/// What an adapter's test harness provides: the adapter, where to post, and how to read
/// back what the platform shows.
#[async_trait]
pub trait Platform: Send + Sync {
    /// The adapter under test.
    fn adapter(&self) -> &dyn ChannelAdapter;

    /// A channel the adapter can post in; its `adapter` is the adapter's name.
    fn address(&self) -> Address;

    /// What the platform now shows for the message `delivered` names; `None` once it
    /// was removed (or was never shown).
    async fn shown(&self, delivered: &Delivered) -> Option<Shown>;
}

/// A message as the platform shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shown {
    /// What a person reads, with the platform's escaping undone (`&lt;` read as `<`):
    /// the words, and after them the choices' labels where the platform shows them.
    pub text: String,
    /// The mentions in it that would notify someone, as the platform writes them
    /// (`<!channel>`, `<@U123>`); empty when nobody is notified.
    pub pings: Vec<String>,
}

/// A check that found problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check's name: `no_pings`, `split_without_loss`, `edit_round_trip`, `ids`.
    pub check: &'static str,
    /// What went wrong, one line each.
    pub problems: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:", self.check)?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

/// Mentions in every syntax relaydesk's platforms know; none may notify anyone.
pub const MENTIONS: &[&str] = &[
    "@everyone",
    "@here",
    "@channel",
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<@U123>",
    "<@U123|ada>",
    "<@W123>",
    "<!subteam^S123>",
    "<!subteam^S123|@team>",
    "<#C1>",
    "<#C1|general>",
    "<@123>",
    "<@!123>",
    "<@&123>",
];

/// Runs every check; all the failures, or `Ok` when the adapter conforms.
pub async fn run_all<P: Platform + ?Sized>(platform: &P) -> Result<(), Vec<Failure>> {
    let failures: Vec<Failure> = [
        no_pings(platform).await,
        split_without_loss(platform).await,
        edit_round_trip(platform).await,
        ids(platform).await,
    ]
    .into_iter()
    .filter_map(Result::err)
    .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

/// Runs every check and panics listing every failure.
pub async fn assert_conforms<P: Platform + ?Sized>(platform: &P) {
    if let Err(failures) = run_all(platform).await {
        let name = platform.adapter().name().to_string();
        let report: String = failures.iter().map(Failure::to_string).collect();
        panic!("the {name} adapter does not conform:\n{report}");
    }
}

/// Mentions, in the bot's words, relayed, in a sender's name, in a choice's label and
/// on a ticket card, notify nobody; the shown message keeps every word of them.
pub async fn no_pings<P: Platform + ?Sized>(platform: &P) -> Result<(), Failure> {
    let mut problems = Vec::new();
    for mention in MENTIONS {
        let words = format!("hello {mention} please look");
        let cases = [
            ("bot's words", bot(Body::Text(words.clone()))),
            ("relayed", relay("Ada", Body::Text(words.clone()))),
            (
                "sender's name",
                relay(&format!("{mention} Ada"), text("hello")),
            ),
            (
                "choice",
                bot(Body::Prompt {
                    text: words.clone(),
                    choices: vec![Choice {
                        value: "yes".into(),
                        label: format!("{mention} yes"),
                    }],
                }),
            ),
            ("ticket card", card(&format!("{mention} Ada"))),
        ];
        for (case, payload) in cases {
            let sender = payload.sender.clone();
            let what = format!("{case} with {mention:?}");
            let Some((_, shown)) = post(platform, &what, payload, &mut problems).await else {
                continue;
            };
            if !shown.pings.is_empty() {
                problems.push(format!("{what}: pings {:?}", shown.pings));
            }
            let expected = match case {
                "sender's name" => sender.unwrap_or_default(),
                "ticket card" => format!("{mention} Ada"),
                _ => words.clone(),
            };
            if !keeps_words(&shown.text, &expected) {
                problems.push(format!(
                    "{what}: words dropped: sent {expected:?}, shown {:?}",
                    shown.text
                ));
            }
        }
    }
    verdict("no_pings", problems)
}

/// Text of exactly `max_len` characters is shown whole, plain, relayed and with choices;
/// the parts of a text three times as long are each shown whole, and together are the
/// text.
pub async fn split_without_loss<P: Platform + ?Sized>(platform: &P) -> Result<(), Failure> {
    let max_len = capabilities(platform).max_len;
    let mut problems = Vec::new();
    let full = mixed_text(max_len);

    if let Some((_, shown)) = post(platform, "max_len text", bot(text(&full)), &mut problems).await
    {
        if shown.text != full {
            problems.push(format!(
                "max_len text: not shown whole: {}",
                difference(&full, &shown.text)
            ));
        }
    }
    let relayed = relay("Ada", text(&full));
    if let Some((_, shown)) = post(platform, "relayed max_len text", relayed, &mut problems).await {
        if !shown.text.contains(&full) {
            problems.push(format!(
                "relayed max_len text: not shown whole ({} characters shown)",
                shown.text.chars().count()
            ));
        }
    }
    let prompt = bot(Body::Prompt {
        text: full.clone(),
        choices: vec![
            Choice {
                value: "yes".into(),
                label: "Yes".into(),
            },
            Choice {
                value: "no".into(),
                label: "No".into(),
            },
        ],
    });
    if let Some((_, shown)) = post(platform, "max_len prompt", prompt, &mut problems).await {
        if !shown.text.starts_with(&full) {
            problems.push(format!(
                "max_len prompt: words not shown whole: {}",
                difference(&full, &shown.text)
            ));
        }
    }

    let long = mixed_text(3 * max_len);
    let parts = split_message(&long, max_len);
    if parts.len() < 3 || parts.iter().any(|p| p.chars().count() > max_len) {
        problems.push(format!(
            "split_message cut {} characters at {max_len} into parts of {:?} characters",
            3 * max_len,
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>()
        ));
    }
    let mut rejoined = String::new();
    for (i, part) in parts.iter().enumerate() {
        let what = format!("part {} of {}", i + 1, parts.len());
        if let Some((_, shown)) = post(platform, &what, bot(text(part)), &mut problems).await {
            if shown.text != *part {
                problems.push(format!(
                    "{what}: not shown whole: {}",
                    difference(part, &shown.text)
                ));
            }
            rejoined.push_str(&shown.text);
        }
    }
    if rejoined != long {
        problems.push(format!(
            "the parts shown are not the text sent: {}",
            difference(&long, &rejoined)
        ));
    }
    verdict("split_without_loss", problems)
}

/// With edits: a post, an update (plain, with mentions, a prompt made plain) and a
/// removal each show. Without: an update and a removal are refused as permanent and
/// leave the message as it was.
pub async fn edit_round_trip<P: Platform + ?Sized>(platform: &P) -> Result<(), Failure> {
    let mut problems = Vec::new();
    let to = platform.address();
    let first = "first version";
    let Some((posted, _)) = post(platform, "post", bot(text(first)), &mut problems).await else {
        return verdict("edit_round_trip", problems);
    };
    let update = Action::Update {
        message_id: posted.message_id.clone(),
    };
    let delete = Action::Delete {
        message_id: posted.message_id.clone(),
    };

    if !capabilities(platform).edits {
        for (what, action) in [("update", update), ("delete", delete)] {
            match send(platform, to.clone(), action, bot(text("changed"))).await {
                Err(SendError::Permanent(_)) => {}
                other => problems.push(format!(
                    "{what} without edits: {other:?}, not a permanent refusal"
                )),
            }
        }
        expect_shown(
            platform,
            "after refused edits",
            &posted,
            first,
            &mut problems,
        )
        .await;
        return verdict("edit_round_trip", problems);
    }

    expect_shown(platform, "after post", &posted, first, &mut problems).await;
    let second = "second version — 한글 😀 é & <b> *bold*";
    match send(platform, to.clone(), update.clone(), bot(text(second))).await {
        Ok(_) => expect_shown(platform, "after update", &posted, second, &mut problems).await,
        Err(e) => problems.push(format!("update: {e}")),
    }
    let pinging = "now <!channel> @everyone <@U123> look";
    match send(platform, to.clone(), update, bot(text(pinging))).await {
        Ok(_) => match platform.shown(&posted).await {
            Some(shown) if !shown.pings.is_empty() => {
                problems.push(format!("update with mentions: pings {:?}", shown.pings))
            }
            Some(shown) if shown.text != pinging => problems.push(format!(
                "update with mentions: shown {:?}, not {pinging:?}",
                shown.text
            )),
            Some(_) => {}
            None => problems.push("update with mentions: the message is gone".into()),
        },
        Err(e) => problems.push(format!("update with mentions: {e}")),
    }
    match send(platform, to.clone(), delete, bot(text(""))).await {
        Ok(_) => {
            if let Some(shown) = platform.shown(&posted).await {
                problems.push(format!("after delete: still shown: {:?}", shown.text));
            }
        }
        Err(e) => problems.push(format!("delete: {e}")),
    }

    let prompt = bot(Body::Prompt {
        text: "pick one".into(),
        choices: vec![Choice {
            value: "a".into(),
            label: "Option A".into(),
        }],
    });
    if let Some((asked, _)) = post(platform, "prompt", prompt, &mut problems).await {
        let plain = "picked: Option A";
        let action = Action::Update {
            message_id: asked.message_id.clone(),
        };
        match send(platform, to, action, bot(text(plain))).await {
            Ok(_) => {
                expect_shown(platform, "prompt made plain", &asked, plain, &mut problems).await
            }
            Err(e) => problems.push(format!("prompt made plain: {e}")),
        }
    }
    verdict("edit_round_trip", problems)
}

/// Ids are non-empty and distinct per post, replies in a thread included, and
/// `adapter:channel/thread` written from a delivery parses back to itself.
pub async fn ids<P: Platform + ?Sized>(platform: &P) -> Result<(), Failure> {
    let mut problems = Vec::new();
    let to = platform.address();
    if to.adapter != platform.adapter().name() {
        problems.push(format!(
            "the address {to} does not name the adapter `{}`",
            platform.adapter().name()
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    let mut thread = None;
    for i in 0..3 {
        let what = format!("post {}", i + 1);
        let Some((delivered, _)) = post(platform, &what, bot(text(&what)), &mut problems).await
        else {
            continue;
        };
        check_id(&what, &delivered, &mut seen, &mut problems);
        let root = delivered
            .thread
            .clone()
            .unwrap_or_else(|| delivered.message_id.clone());
        let written = to.channel_only().in_thread(root).to_string();
        match written.parse::<Address>() {
            Ok(parsed) if parsed.to_string() == written => thread.get_or_insert(parsed),
            Ok(parsed) => {
                problems.push(format!("{what}: {written} reads back as {parsed}"));
                continue;
            }
            Err(e) => {
                problems.push(format!("{what}: {e}"));
                continue;
            }
        };
    }
    if let Some(thread) = thread {
        let reply = bot(text("a reply in the thread"));
        match send(platform, thread, Action::Post, reply).await {
            Ok(delivered) => check_id("reply in a thread", &delivered, &mut seen, &mut problems),
            Err(e) => problems.push(format!("reply in a thread: {e}")),
        }
    }
    verdict("ids", problems)
}

fn check_id(what: &str, delivered: &Delivered, seen: &mut Vec<String>, problems: &mut Vec<String>) {
    let id = &delivered.message_id;
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        problems.push(format!("{what}: message id {id:?} is empty or has spaces"));
    }
    if seen.contains(id) {
        problems.push(format!("{what}: message id {id:?} was given before"));
    }
    seen.push(id.clone());
}

/// A text of exactly `chars` characters mixing ASCII, markup characters, Hangul, emoji
/// (a joined sequence too), combining accents and line breaks; it never starts or ends
/// with a space, which some platforms trim.
pub fn mixed_text(chars: usize) -> String {
    const PIECES: &[&str] = &[
        "Hello",
        " ",
        "안녕하세요",
        " ",
        "😀",
        "e\u{301}",
        " ",
        "a&b<c>d",
        "\n",
        "👩\u{200d}💻",
        " ",
        "*bold*",
        " ",
        "한글",
        ".",
    ];
    let mut out: Vec<char> = PIECES
        .iter()
        .cycle()
        .flat_map(|p| p.chars())
        .take(chars)
        .collect();
    if let Some(last) = out.last_mut() {
        if last.is_whitespace() {
            *last = '.';
        }
    }
    out.into_iter().collect()
}

/// Every letter and digit of `sent` is shown, in order: mentions may be defused with
/// other characters around them, but no word may be dropped.
fn keeps_words(shown: &str, sent: &str) -> bool {
    let letters = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
    };
    letters(shown).contains(&letters(sent))
}

/// Where two texts first differ, briefly.
fn difference(sent: &str, shown: &str) -> String {
    let (sent_n, shown_n) = (sent.chars().count(), shown.chars().count());
    let at = sent
        .chars()
        .zip(shown.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let around = |s: &str| {
        s.chars()
            .skip(at.saturating_sub(5))
            .take(15)
            .collect::<String>()
    };
    format!(
        "sent {sent_n} characters, shown {shown_n}; first difference at character {at}: \
         sent …{:?}…, shown …{:?}…",
        around(sent),
        around(shown)
    )
}

async fn expect_shown<P: Platform + ?Sized>(
    platform: &P,
    what: &str,
    delivered: &Delivered,
    expected: &str,
    problems: &mut Vec<String>,
) {
    match platform.shown(delivered).await {
        Some(shown) if shown.text == expected => {}
        Some(shown) => problems.push(format!("{what}: shown {:?}, not {expected:?}", shown.text)),
        None => problems.push(format!("{what}: not shown")),
    }
}

/// Posts to the platform's address and reads it back; a failure is a problem.
async fn post<P: Platform + ?Sized>(
    platform: &P,
    what: &str,
    payload: Payload,
    problems: &mut Vec<String>,
) -> Option<(Delivered, Shown)> {
    let delivered = match send(platform, platform.address(), Action::Post, payload).await {
        Ok(delivered) => delivered,
        Err(e) => {
            problems.push(format!("{what}: not delivered: {e}"));
            return None;
        }
    };
    match platform.shown(&delivered).await {
        Some(shown) => Some((delivered, shown)),
        None => {
            problems.push(format!(
                "{what}: delivered as {:?} but not shown",
                delivered.message_id
            ));
            None
        }
    }
}

/// Sends `action` with `payload` to `to`, as a fresh outbox row.
async fn send<P: Platform + ?Sized>(
    platform: &P,
    to: Address,
    action: Action,
    payload: Payload,
) -> Result<Delivered, SendError> {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let message = Outbound {
        id,
        to,
        action,
        idempotency_key: format!("conformance-{id}"),
        in_doubt: false,
        payload,
    };
    platform.adapter().send(&message).await
}

fn capabilities<P: Platform + ?Sized>(platform: &P) -> Capabilities {
    platform.adapter().capabilities()
}

fn verdict(check: &'static str, problems: Vec<String>) -> Result<(), Failure> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure { check, problems })
    }
}

fn text(s: &str) -> Body {
    Body::Text(s.to_string())
}

fn bot(body: Body) -> Payload {
    Payload {
        kind: OutboundKind::Bot,
        sender: None,
        body,
    }
}

/// A ticket card for `person`, who also answers its one triage question.
fn card(person: &str) -> Payload {
    let card = TicketCard {
        number: 1,
        queue: "support".into(),
        person: person.into(),
        platform: "conformance".into(),
        person_id: "P1".into(),
        verified: None,
        also: Vec::new(),
        lang: "en".into(),
        continues: None,
        priority: None,
        triage: vec![("Which plan?".into(), person.into())],
        post: None,
        web_form: false,
        status: None,
    };
    Payload {
        kind: OutboundKind::TicketCard,
        sender: None,
        body: Body::Card {
            card: Box::new(card),
            choices: Vec::new(),
        },
    }
}

fn relay(sender: &str, body: Body) -> Payload {
    Payload {
        kind: OutboundKind::Relay,
        sender: Some(sender.to_string()),
        body,
    }
}

static NEXT_ID: AtomicI64 = AtomicI64::new(1);
