//! The health board: per adapter, whether it is connected to its platform, when it last
//! received an event and last delivered a message, and how many deliveries failed in
//! the last hour. In memory, for this process: the status page and the help center's
//! banner read it.
//!
//! Two sources meet here. The adapter reports its connection (a socket up, a gateway
//! session resumed, a connection lost); the dispatcher reports what its sends met. The
//! state shown is the worse of the two, so a platform that stops answering shows down
//! even when the adapter has no socket to lose (Slack's HTTP mode), and a delivery that
//! goes through again clears what the failures said.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use crate::types::Millis;

/// How long a delivery failure counts towards "failures in the last hour".
pub const FAILURE_WINDOW: Millis = 3_600_000;

/// Failure times kept per adapter: past this the oldest are forgotten (the count then
/// says "at least").
const MAX_FAILURES_KEPT: usize = 10_000;

/// An adapter's connection to its platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Receiving and delivering.
    Connected,
    /// Working, but not fully: a platform that answers with errors, a connection
    /// being made.
    Degraded(String),
    /// Cannot reach its platform: why.
    Down(String),
}

impl Connection {
    /// `connected`, `degraded` or `down`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Connection::Connected => "connected",
            Connection::Degraded(_) => "degraded",
            Connection::Down(_) => "down",
        }
    }

    /// Why it is degraded or down; `None` when connected.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Connection::Connected => None,
            Connection::Degraded(why) | Connection::Down(why) => Some(why),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Connection::Connected => 0,
            Connection::Degraded(_) => 1,
            Connection::Down(_) => 2,
        }
    }

    /// The worse of the two (the first when they are as bad).
    fn worse(self, other: Connection) -> Connection {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// One adapter's line on the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterHealth {
    /// The adapter's name: `slack`, `discord`, `console`.
    pub name: String,
    /// The worse of what the adapter and its deliveries say.
    pub state: Connection,
    /// When it last handed an event on, if it has since this process started.
    pub last_event: Option<Millis>,
    /// When a message it sent was last delivered.
    pub last_delivery: Option<Millis>,
    /// Deliveries through it that failed (for now or for good) in the last hour.
    pub failures_last_hour: usize,
}

#[derive(Debug)]
struct Entry {
    /// What the adapter says of its connection.
    connection: Connection,
    /// What the last send through it met: `None` after a delivery.
    delivery: Option<Connection>,
    last_event: Option<Millis>,
    last_delivery: Option<Millis>,
    failures: VecDeque<Millis>,
}

impl Entry {
    fn new(connection: Connection) -> Entry {
        Entry {
            connection,
            delivery: None,
            last_event: None,
            last_delivery: None,
            failures: VecDeque::new(),
        }
    }
}

/// The board, shared by the runtime, the dispatcher, the adapters and the web side.
#[derive(Debug, Default)]
pub struct Health {
    adapters: Mutex<BTreeMap<String, Entry>>,
}

impl Health {
    /// An empty board.
    pub fn new() -> Health {
        Health::default()
    }

    /// Puts `adapter` on the board before it reports anything: shown degraded
    /// ("connecting") until it says it is connected. An adapter already there is left
    /// as it is.
    pub fn register(&self, adapter: &str) {
        self.lock()
            .entry(adapter.to_string())
            .or_insert_with(|| Entry::new(Connection::Degraded("connecting".into())));
    }

    /// The adapter's own word on its connection.
    pub fn set_connection(&self, adapter: &str, connection: Connection) {
        let mut adapters = self.lock();
        let entry = adapters
            .entry(adapter.to_string())
            .or_insert_with(|| Entry::new(Connection::Connected));
        if entry.connection != connection {
            match connection.reason() {
                Some(why) => tracing::warn!(
                    adapter,
                    state = connection.as_str(),
                    reason = why,
                    "adapter connection"
                ),
                None => tracing::info!(adapter, "adapter connected"),
            }
        }
        entry.connection = connection;
    }

    /// An event arrived through `adapter` at `now`.
    pub fn event_received(&self, adapter: &str, now: Millis) {
        self.entry(adapter, |e| e.last_event = Some(now));
    }

    /// A message went out through `adapter` at `now`: what earlier failures said no
    /// longer holds.
    pub fn delivered(&self, adapter: &str, now: Millis) {
        self.entry(adapter, |e| {
            e.last_delivery = Some(now);
            e.delivery = None;
        });
    }

    /// A send through `adapter` failed at `now`: the adapter shows down when its
    /// platform could not be reached (`unreachable`), degraded otherwise, until a
    /// delivery goes through. A refusal that retrying cannot help (`settled`: a channel
    /// gone, a message rejected) is counted but says nothing of the connection.
    pub fn delivery_failed(&self, adapter: &str, failure: DeliveryFailure<'_>, now: Millis) {
        self.entry(adapter, |e| {
            e.failures.push_back(now);
            while e.failures.len() > MAX_FAILURES_KEPT {
                e.failures.pop_front();
            }
            prune(&mut e.failures, now);
            match failure {
                DeliveryFailure::Unreachable(why) => {
                    e.delivery = Some(Connection::Down(why.to_string()))
                }
                DeliveryFailure::Temporary(why) => {
                    e.delivery = Some(Connection::Degraded(why.to_string()))
                }
                DeliveryFailure::Permanent => {}
            }
        });
    }

    /// Every adapter on the board, by name, as it stands at `now`.
    pub fn snapshot(&self, now: Millis) -> Vec<AdapterHealth> {
        let mut adapters = self.lock();
        adapters
            .iter_mut()
            .map(|(name, e)| {
                prune(&mut e.failures, now);
                AdapterHealth {
                    name: name.clone(),
                    state: match &e.delivery {
                        Some(d) => e.connection.clone().worse(d.clone()),
                        None => e.connection.clone(),
                    },
                    last_event: e.last_event,
                    last_delivery: e.last_delivery,
                    failures_last_hour: e.failures.len(),
                }
            })
            .collect()
    }

    fn entry(&self, adapter: &str, change: impl FnOnce(&mut Entry)) {
        let mut adapters = self.lock();
        let entry = adapters
            .entry(adapter.to_string())
            .or_insert_with(|| Entry::new(Connection::Connected));
        change(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.adapters.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a failed send met, as [`Health::delivery_failed`] takes it.
#[derive(Debug, Clone, Copy)]
pub enum DeliveryFailure<'a> {
    /// The platform could not be reached: why.
    Unreachable(&'a str),
    /// The platform answered with a temporary error: why.
    Temporary(&'a str),
    /// Failed for good: the message, not the connection.
    Permanent,
}

fn prune(failures: &mut VecDeque<Millis>, now: Millis) {
    while failures.front().is_some_and(|&t| t <= now - FAILURE_WINDOW) {
        failures.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(health: &Health, name: &str, now: Millis) -> AdapterHealth {
        health
            .snapshot(now)
            .into_iter()
            .find(|a| a.name == name)
            .expect("on the board")
    }

    #[test]
    fn a_registered_adapter_is_connecting_until_it_says_otherwise() {
        let health = Health::new();
        health.register("slack");
        assert_eq!(
            line(&health, "slack", 0).state,
            Connection::Degraded("connecting".into())
        );
        health.set_connection("slack", Connection::Connected);
        health.register("slack");
        assert_eq!(line(&health, "slack", 0).state, Connection::Connected);
    }

    #[test]
    fn the_adapter_reports_down_and_up_again() {
        let health = Health::new();
        health.set_connection("discord", Connection::Down("gateway lost".into()));
        let down = line(&health, "discord", 0);
        assert_eq!(down.state.as_str(), "down");
        assert_eq!(down.state.reason(), Some("gateway lost"));
        health.set_connection("discord", Connection::Connected);
        assert_eq!(line(&health, "discord", 0).state, Connection::Connected);
    }

    #[test]
    fn events_and_deliveries_are_timed() {
        let health = Health::new();
        health.event_received("slack", 10);
        health.delivered("slack", 20);
        let l = line(&health, "slack", 30);
        assert_eq!((l.last_event, l.last_delivery), (Some(10), Some(20)));
        assert_eq!(l.state, Connection::Connected);
    }

    #[test]
    fn an_unreachable_platform_is_down_until_a_delivery_goes_through() {
        let health = Health::new();
        health.set_connection("slack", Connection::Connected);
        health.delivery_failed("slack", DeliveryFailure::Unreachable("refused"), 100);
        assert_eq!(
            line(&health, "slack", 100).state,
            Connection::Down("refused".into())
        );
        health.delivery_failed("slack", DeliveryFailure::Temporary("HTTP 500"), 200);
        assert_eq!(line(&health, "slack", 200).state.as_str(), "degraded");
        health.delivered("slack", 300);
        assert_eq!(line(&health, "slack", 300).state, Connection::Connected);
    }

    #[test]
    fn a_down_connection_outweighs_delivery_trouble() {
        let health = Health::new();
        health.set_connection("slack", Connection::Down("socket lost".into()));
        health.delivery_failed("slack", DeliveryFailure::Temporary("HTTP 500"), 1);
        assert_eq!(
            line(&health, "slack", 1).state,
            Connection::Down("socket lost".into())
        );
    }

    #[test]
    fn a_permanent_failure_counts_but_leaves_the_state() {
        let health = Health::new();
        health.set_connection("slack", Connection::Connected);
        health.delivery_failed("slack", DeliveryFailure::Permanent, 5);
        let l = line(&health, "slack", 5);
        assert_eq!(l.state, Connection::Connected);
        assert_eq!(l.failures_last_hour, 1);
    }

    #[test]
    fn failures_older_than_an_hour_are_not_counted() {
        let health = Health::new();
        health.delivery_failed("slack", DeliveryFailure::Permanent, 0);
        health.delivery_failed("slack", DeliveryFailure::Permanent, 1_000_000);
        assert_eq!(line(&health, "slack", 1_000_000).failures_last_hour, 2);
        assert_eq!(
            line(&health, "slack", FAILURE_WINDOW + 1).failures_last_hour,
            1
        );
    }
}
