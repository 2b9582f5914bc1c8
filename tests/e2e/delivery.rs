//! Delivery on a bad day, with the built binary in Events API mode against the fake
//! Slack: killed during a burst, two processes on one database with a slow platform, an
//! outage longer than any retry budget, a channel that hangs, text a database refuses,
//! and a stop while a send hangs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::fake_slack::{self as fake, FakeSlack, Posted};
use crate::helpers::{Postgres, WAIT};
use crate::slack::{eventually, users, within, workspace, Bot, AGENTS, SECRET};

fn seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
}

/// A small random generator, its seed printed so that a failure can be replayed.
struct Random(u64);

impl Random {
    fn new() -> Random {
        let seed = std::env::var("RELAYDESK_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(seed);
        eprintln!("random seed: {seed} (RELAYDESK_TEST_SEED replays it)");
        Random(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The people of these tests: Slack user ids, and their DM channels `D<id>`.
const PEOPLE: [&str; 4] = ["U1", "U2", "U3", "U4"];

fn more_users(fake: &FakeSlack) {
    users(fake);
    fake.add_user("U3", "Cy", None, "T9");
    fake.add_user("U4", "Di", None, "T9");
}

/// Where a bot's Events API is, readable while it is restarted.
#[derive(Clone)]
struct Events(Arc<Mutex<String>>);

impl Events {
    fn of(bot: &Bot) -> Events {
        Events(Arc::new(Mutex::new(events_url(bot))))
    }

    fn point_at(&self, bot: &Bot) {
        *self.0.lock().unwrap() = events_url(bot);
    }

    /// Posts the event as Slack does: again and again (with `X-Slack-Retry-Num`) until
    /// it is answered 200.
    fn deliver(&self, event: Value, event_id: &str) {
        let body = fake::event_callback(event, event_id).to_string();
        let deadline = Instant::now() + Duration::from_secs(120);
        for attempt in 0.. {
            let url = self.0.lock().unwrap().clone();
            let retry = (attempt > 0).then_some(attempt);
            if fake::try_post_event(&url, &body, SECRET, retry) == Some(200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "event {event_id} was never taken"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn events_url(bot: &Bot) -> String {
    format!("http://{}/slack/events", bot.web_addr())
}

fn dm_event(user: &str, n: u64, text: &str) -> Value {
    fake::dm(user, &format!("D{user}"), &format!("2000.{n:06}"), text)
}

/// Each person asks for an agent; returns the cards, in `PEOPLE` order.
fn open_tickets(fake: &FakeSlack, events: &Events, people: &[&str]) -> Vec<Posted> {
    let mut cards = Vec::new();
    for (i, user) in people.iter().enumerate() {
        events.deliver(
            dm_event(user, i as u64, "talk to an agent"),
            &format!("EvOPEN{user}"),
        );
        let number = format!("Ticket #{}", i + 1);
        let card = fake.wait_posted(
            AGENTS,
            |m| m.thread_ts.is_none() && m.text.contains(&number),
            WAIT,
        );
        cards.push(card);
    }
    cards
}

/// The texts relayed into a card's thread that contain `needle`.
fn in_thread(fake: &FakeSlack, card: &Posted, needle: &str) -> Vec<String> {
    fake.posted_all(AGENTS)
        .into_iter()
        .filter(|m| m.thread_ts.as_deref() == Some(card.ts.as_str()) && m.text.contains(needle))
        .map(|m| m.text)
        .collect()
}

/// Every burst message shows in its person's thread exactly once, in order.
fn assert_each_once_in_order(fake: &FakeSlack, cards: &[Posted], per_person: u64) {
    for (p, card) in cards.iter().enumerate() {
        let relayed = in_thread(fake, card, "burst-");
        let expected: Vec<String> = (0..per_person)
            .map(|i| format!("burst-{p}-{i:03}."))
            .collect();
        let found: Vec<&String> = expected
            .iter()
            .map(|e| relayed.iter().find(|r| r.contains(e.as_str())).unwrap_or(e))
            .collect();
        for e in &expected {
            let times = relayed.iter().filter(|r| r.contains(e.as_str())).count();
            assert_eq!(
                times, 1,
                "{e} relayed {times} times; the thread holds {relayed:#?}"
            );
        }
        let positions: Vec<usize> = expected
            .iter()
            .map(|e| relayed.iter().position(|r| r.contains(e.as_str())).unwrap())
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "out of order: {found:?}"
        );
    }
}

/// Killed (SIGKILL) at random moments while a burst is taken in and delivered: nothing
/// is lost, nothing relayed twice (Slack's message metadata finds what a dead process
/// had posted), and each restart delivers again at once.
fn killed_during_a_burst(db_env: &[(&str, &str)]) {
    const PER_PERSON: u64 = 40;
    const KILLS: usize = 5;
    let fake = FakeSlack::start();
    more_users(&fake);
    // Each post takes effect at once and is answered a little later: a kill often
    // falls between the two.
    fake.set_delay("chat.postMessage", Duration::from_millis(15));
    let ws = workspace(&fake, "http", "slack:CAGENTS");
    let bot = Bot::start_with(&ws, db_env);
    let events = Events::of(&bot);
    let cards = open_tickets(&fake, &events, &PEOPLE);

    let sender = {
        let events = events.clone();
        std::thread::spawn(move || {
            for i in 0..PER_PERSON {
                for (p, user) in PEOPLE.iter().enumerate() {
                    let text = format!("burst-{p}-{i:03}. message {i} from {user}");
                    events.deliver(dm_event(user, 100 + i, &text), &format!("EvB{p}x{i}"));
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        })
    };
    let mut random = Random::new();
    let mut bot = Some(bot);
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(300 + random.below(700)));
        bot.take().expect("running").kill();
        let restarted = Bot::start_with(&ws, db_env);
        events.point_at(&restarted);
        bot = Some(restarted);
    }
    sender.join().expect("the burst was sent");
    // The last message of each person comes after all the others in its thread.
    for (p, card) in cards.iter().enumerate() {
        let last = format!("burst-{p}-{:03}.", PER_PERSON - 1);
        within("the whole burst relayed", Duration::from_secs(60), || {
            !in_thread(&fake, card, &last).is_empty()
        });
    }
    assert_each_once_in_order(&fake, &cards, PER_PERSON);
    drop(bot);
}

#[test]
fn killed_during_a_burst_on_sqlite_nothing_lost_nothing_twice() {
    killed_during_a_burst(&[]);
}

#[test]
fn killed_during_a_burst_on_postgres_nothing_lost_nothing_twice() {
    let db = Postgres::new();
    killed_during_a_burst(&[("RELAYDESK__DATABASE__URL", db.url.as_str())]);
}

/// Two processes on one PostgreSQL database, Slack taking a second per post: what one
/// is sending, the other never sends too, however long the channel's queue.
#[test]
fn two_processes_with_a_slow_platform_send_each_message_once() {
    const MESSAGES: u64 = 70;
    let db = Postgres::new();
    let env = [("RELAYDESK__DATABASE__URL", db.url.as_str())];
    let fake = FakeSlack::start();
    more_users(&fake);
    let ws = workspace(&fake, "http", "slack:CAGENTS");
    let (a, b) = (Bot::start_with(&ws, &env), Bot::start_with(&ws, &env));
    let (to_a, to_b) = (Events::of(&a), Events::of(&b));
    let cards = open_tickets(&fake, &to_a, &PEOPLE[..1]);
    fake.set_delay("chat.postMessage", Duration::from_secs(1));
    for i in 0..MESSAGES {
        let events = if i % 2 == 0 { &to_a } else { &to_b };
        let text = format!("burst-0-{i:03}. slow message {i}");
        events.deliver(dm_event("U1", 100 + i, &text), &format!("EvSLOW{i}"));
    }
    let last = format!("burst-0-{:03}.", MESSAGES - 1);
    within(
        "every slow message relayed",
        Duration::from_secs(MESSAGES + 60),
        || !in_thread(&fake, &cards[0], &last).is_empty(),
    );
    assert_each_once_in_order(&fake, &cards, MESSAGES);
    drop((a, b));
}

/// Slack refuses every post for longer than any retry budget: nothing is given up on,
/// `relaydesk status` says the channel is failing, the agents are told once that
/// replies are waiting, and the backlog goes out in order once Slack is back.
#[test]
fn an_outage_loses_nothing_and_agents_are_told_once() {
    let fake = FakeSlack::start();
    more_users(&fake);
    let ws = workspace(&fake, "http", "slack:CAGENTS");
    let bot = Bot::start_with(&ws, &[("RELAYDESK__DELIVERY__MAX_BACKOFF_SECS", "1")]);
    let events = Events::of(&bot);
    let cards = open_tickets(&fake, &events, &PEOPLE[..1]);
    let card = &cards[0];
    fake.wait_posted("DU1", |m| m.text.contains("opened ticket #1"), WAIT);

    fake.start_outage("chat.postMessage", 500);
    for i in 0..3 {
        events.deliver(
            fake::channel_message(
                "UAG",
                AGENTS,
                &format!("3000.{i:06}"),
                Some(&card.ts),
                &format!("reply-{i} from the desk"),
            ),
            &format!("EvREPLY{i}"),
        );
    }
    // More failed tries than the old budget of ten.
    let failed_to_person = || {
        fake.calls("chat.postMessage")
            .iter()
            .filter(|c| c["channel"] == "DU1" && c["_status"] == 500)
            .count()
    };
    within("twelve failed tries", Duration::from_secs(60), || {
        failed_to_person() >= 12
    });
    let status = ws.run(&["status"]);
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(
        shown.contains("FAILING") && shown.contains("slack:DU1"),
        "{shown}"
    );
    assert!(
        shown.contains("fatal_error") || shown.contains("500"),
        "{shown}"
    );

    fake.end_outage("chat.postMessage");
    within("the replies delivered", Duration::from_secs(30), || {
        fake.posted("DU1")
            .iter()
            .any(|m| m.text.contains("reply-2"))
    });
    let to_person: Vec<String> = fake
        .posted("DU1")
        .into_iter()
        .filter(|m| m.text.contains("from the desk"))
        .map(|m| m.text)
        .collect();
    assert_eq!(to_person.len(), 3, "each reply once: {to_person:#?}");
    for (i, text) in to_person.iter().enumerate() {
        assert!(
            text.contains(&format!("reply-{i}")),
            "in order: {to_person:#?}"
        );
    }
    // The person writes after it all: once that is in the thread, the notice about
    // waiting replies, written before, is there too, once.
    events.deliver(
        dm_event("U1", 900, "burst-0-000. thanks, got them"),
        "EvTHANKS",
    );
    within("the person's thanks relayed", WAIT, || {
        !in_thread(&fake, card, "thanks, got them").is_empty()
    });
    let notices = in_thread(&fake, card, "Replies to the person are waiting");
    assert_eq!(notices.len(), 1, "agents told once: {notices:#?}");
    drop(bot);
}

/// Ada's DM hangs, and an agent's reply to her (under `card`) is being sent into it.
fn hold_a_reply(fake: &FakeSlack, events: &Events, card: &Posted, text: &str) {
    fake.wait_posted("DU1", |m| m.text.contains("opened ticket"), WAIT);
    fake.hold_channel("DU1");
    let reply = fake::channel_message("UAG", AGENTS, "3000.000001", Some(&card.ts), text);
    events.deliver(reply, "EvHELD");
    eventually("the reply being sent", || fake.hanging("DU1") > 0);
}

/// One person's channel hangs: the other channels go on delivering meanwhile.
#[test]
fn a_hanging_channel_holds_only_itself() {
    let fake = FakeSlack::start();
    more_users(&fake);
    let ws = workspace(&fake, "http", "slack:CAGENTS");
    let bot = Bot::start(&ws);
    let events = Events::of(&bot);
    let cards = open_tickets(&fake, &events, &PEOPLE[..2]);

    hold_a_reply(&fake, &events, &cards[0], "held reply to Ada");
    // While that post hangs, Bo's message reaches the agents.
    events.deliver(dm_event("U2", 50, "burst-1-000. Bo is not held up"), "EvBO");
    within("Bo's message relayed", WAIT, || {
        !in_thread(&fake, &cards[1], "Bo is not held up").is_empty()
    });
    assert!(
        !fake
            .posted("DU1")
            .iter()
            .any(|m| m.text.contains("held reply")),
        "Ada's channel was still hanging"
    );
    fake.release_channel("DU1");
    fake.wait_posted("DU1", |m| m.text.contains("held reply to Ada"), WAIT);
    drop(bot);
}

/// A message holding U+0000, which PostgreSQL cannot store, is stored and relayed with
/// the character replaced, not refused on every retry.
#[test]
fn a_nul_character_is_stored_and_relayed_on_postgres() {
    let db = Postgres::new();
    let env = [("RELAYDESK__DATABASE__URL", db.url.as_str())];
    let fake = FakeSlack::start();
    more_users(&fake);
    let ws = workspace(&fake, "http", "slack:CAGENTS");
    let bot = Bot::start_with(&ws, &env);
    let events = Events::of(&bot);
    let cards = open_tickets(&fake, &events, &PEOPLE[..1]);
    events.deliver(dm_event("U1", 60, "before\u{0}after"), "EvNUL");
    within("the message relayed", WAIT, || {
        !in_thread(&fake, &cards[0], "before\u{FFFD}after").is_empty()
    });
    drop(bot);
}

/// SIGTERM while a send hangs: the process exits 0 within `[shutdown].grace_secs`, and
/// the next start delivers the message, once.
#[test]
fn sigterm_exits_within_the_grace_and_the_next_start_delivers_once() {
    let fake = FakeSlack::start();
    more_users(&fake);
    let ws = workspace(&fake, "http", "slack:CAGENTS");
    let env = [("RELAYDESK__SHUTDOWN__GRACE_SECS", "3")];
    let bot = Bot::start_with(&ws, &env);
    let events = Events::of(&bot);
    let cards = open_tickets(&fake, &events, &PEOPLE[..1]);
    hold_a_reply(&fake, &events, &cards[0], "reply across a restart");
    let asked = Instant::now();
    let status = bot.terminate();
    assert!(status.success(), "stopped with {status}");
    assert!(
        asked.elapsed() < Duration::from_secs(15),
        "took {:?} to stop with a 3 s grace",
        asked.elapsed()
    );
    fake.release_channel("DU1");
    let bot = Bot::start_with(&ws, &env);
    fake.wait_posted("DU1", |m| m.text.contains("reply across a restart"), WAIT);
    // A later reply comes after it: by then a second copy would have shown.
    events_after_restart(&fake, &bot, &cards[0]);
    let copies = fake
        .posted("DU1")
        .iter()
        .filter(|m| m.text.contains("reply across a restart"))
        .count();
    assert_eq!(copies, 1);
}

fn events_after_restart(fake: &FakeSlack, bot: &Bot, card: &Posted) {
    let events = Events::of(bot);
    events.deliver(
        fake::channel_message(
            "UAG",
            AGENTS,
            "3000.000002",
            Some(&card.ts),
            "a later reply",
        ),
        "EvLATER",
    );
    fake.wait_posted("DU1", |m| m.text.contains("a later reply"), WAIT);
}
