//! The status page (`/status`, and `/status.json` for machines): each adapter's
//! connection, last event and last delivery from the health board; the database, the
//! outbox's backlog and the delivery failures of the last hour from the store; the
//! open incident. And the banner the help-center pages show when chat may not reach
//! anyone.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use relaydesk_core::health::{AdapterHealth, Connection, FAILURE_WINDOW};
use relaydesk_core::status::{Incident, Incidents};
use relaydesk_core::Millis;
use serde_json::{json, Value};

use crate::i18n::Ui;
use crate::lang::{Lang, UiLang};
use crate::layout::{render, Chrome};
use crate::ops::within;
use crate::WebState;

/// This module's routes.
pub(crate) fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/status", get(page))
        .route("/status.json", get(as_json))
}

/// The notice the help-center pages show when chat may not reach anyone (an adapter
/// down, an incident open), pointing to the form; `None` when all is well. The
/// incident's text comes first.
pub(crate) async fn banner(state: &WebState, lang: Lang) -> Option<String> {
    let now = state.engine.clock().now();
    let down = state
        .engine
        .health()
        .snapshot(now)
        .iter()
        .any(|a| matches!(a.state, Connection::Down(_)));
    let incident = state.incident.read(state.store.as_ref()).await;
    banner_text(incident.as_ref(), down, lang)
}

/// How long the banner trusts the incident it read: an incident opened or closed shows
/// on every page within this, and reading the help center costs the database nothing.
const INCIDENT_FRESH: Duration = Duration::from_secs(1);

/// The open incident as the banner last read it, and when.
#[derive(Default)]
pub(crate) struct IncidentCache(Mutex<Option<(Instant, Option<Incident>)>>);

impl IncidentCache {
    /// The open incident, read again when what was read is older than
    /// [`INCIDENT_FRESH`].
    async fn read(&self, store: &dyn Incidents) -> Option<Incident> {
        let fresh = |at: &Instant| at.elapsed() < INCIDENT_FRESH;
        if let Some((_, incident)) = self.lock().as_ref().filter(|(at, _)| fresh(at)) {
            return incident.clone();
        }
        let incident = open_incident(store).await;
        *self.lock() = Some((Instant::now(), incident.clone()));
        incident
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Option<Incident>)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn banner_text(incident: Option<&Incident>, down: bool, lang: Lang) -> Option<String> {
    let unavailable = down.then(|| crate::i18n::ui(lang).chat_unavailable.to_string());
    match (incident, unavailable) {
        (Some(i), Some(u)) => Some(format!("{} {u}", i.text)),
        (Some(i), None) => Some(i.text.clone()),
        (None, u) => u,
    }
}

/// The open incident; none when the database does not answer (the page says so).
async fn open_incident(store: &dyn Incidents) -> Option<Incident> {
    match within(store.open_incident_now()).await {
        Ok(incident) => incident,
        Err(e) => {
            tracing::warn!(error = %e, "status: cannot read the incident");
            None
        }
    }
}

/// Everything the page and the JSON show, read at `now`.
struct Report {
    now: Millis,
    adapters: Vec<AdapterHealth>,
    database_ok: bool,
    /// `None` when the database does not answer.
    outbox_backlog: Option<i64>,
    failures_last_hour: Option<i64>,
    incident: Option<Incident>,
}

impl Report {
    async fn read(state: &WebState) -> Report {
        let now = state.engine.clock().now();
        let adapters = state.engine.health().snapshot(now);
        let store = state.store.as_ref();
        // A database that does not answer is asked once, not once per figure.
        let database_ok = within(store.ping()).await.is_ok();
        let figures = match database_ok {
            true => within(async {
                Ok((
                    store.outbox_backlog().await?,
                    store.delivery_failures_since(now - FAILURE_WINDOW).await?,
                ))
            })
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "status: cannot read the outbox"))
            .ok(),
            false => None,
        };
        let incident = match database_ok {
            true => open_incident(store).await,
            false => None,
        };
        Report {
            now,
            adapters,
            database_ok,
            outbox_backlog: figures.map(|f| f.0),
            failures_last_hour: figures.map(|f| f.1),
            incident,
        }
    }

    fn json(&self) -> Value {
        let adapters: Vec<Value> = self
            .adapters
            .iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "state": a.state.as_str(),
                    "reason": a.state.reason(),
                    "last_event": a.last_event.and_then(rfc3339),
                    "last_delivery": a.last_delivery.and_then(rfc3339),
                })
            })
            .collect();
        json!({
            "adapters": adapters,
            "database": {"ok": self.database_ok},
            "outbox_backlog": self.outbox_backlog,
            "delivery_failures_last_hour": self.failures_last_hour,
            "incident": self.incident.as_ref().map(|i| json!({
                "text": i.text,
                "opened_at": rfc3339(i.opened_at),
            })),
        })
    }
}

async fn as_json(State(state): State<Arc<WebState>>) -> Response {
    let report = Report::read(&state).await;
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(report.json()),
    )
        .into_response()
}

/// One adapter's line on the page.
struct AdapterLine {
    name: String,
    /// `connected`, `degraded` or `down`: the badge's class.
    state: &'static str,
    label: &'static str,
    reason: Option<String>,
    last_event: Moment,
    last_delivery: Moment,
}

/// A time as the page shows it: how long ago, and when (UTC); `None`: never.
struct Moment(Option<(String, String, String)>);

impl Moment {
    fn of(at: Option<Millis>, now: Millis, lang: Lang) -> Moment {
        Moment(at.and_then(|at| {
            let exact = rfc3339(at)?;
            let shown = jiff::Timestamp::from_millisecond(at)
                .ok()?
                .strftime("%Y-%m-%d %H:%M:%S UTC")
                .to_string();
            Some((ago(now - at, lang), shown, exact))
        }))
    }
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    chrome: Chrome,
    t: &'static Ui,
    adapters: Vec<AdapterLine>,
    database_ok: bool,
    outbox_backlog: Option<i64>,
    failures_last_hour: Option<i64>,
    incident: Option<(String, Moment)>,
}

async fn page(State(state): State<Arc<WebState>>, ui: UiLang) -> Response {
    let lang = ui.lang;
    let t = crate::i18n::ui(lang);
    let report = Report::read(&state).await;
    let down = report
        .adapters
        .iter()
        .any(|a| matches!(a.state, Connection::Down(_)));
    let notice = banner_text(report.incident.as_ref(), down, lang);
    let adapters = report
        .adapters
        .iter()
        .map(|a| AdapterLine {
            name: display_name(&a.name),
            state: a.state.as_str(),
            label: match a.state {
                Connection::Connected => t.connected,
                Connection::Degraded(_) => t.degraded,
                Connection::Down(_) => t.down,
            },
            reason: a.state.reason().map(str::to_string),
            last_event: Moment::of(a.last_event, report.now, lang),
            last_delivery: Moment::of(a.last_delivery, report.now, lang),
        })
        .collect();
    let page = StatusPage {
        chrome: Chrome::new(lang, notice).at("/status"),
        t,
        adapters,
        database_ok: report.database_ok,
        outbox_backlog: report.outbox_backlog,
        failures_last_hour: report.failures_last_hour,
        incident: report.incident.map(|i| {
            let opened = Moment::of(Some(i.opened_at), report.now, lang);
            (i.text, opened)
        }),
    };
    (
        ui,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        render(StatusCode::OK, &page),
    )
        .into_response()
}

/// An adapter's name as people write it: `slack` → `Slack`.
fn display_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `at` as RFC 3339, in UTC.
fn rfc3339(at: Millis) -> Option<String> {
    let ts = jiff::Timestamp::from_millisecond(at).ok()?;
    Some(ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// How long ago `elapsed` milliseconds is, in `lang`, to the largest whole unit.
fn ago(elapsed: Millis, lang: Lang) -> String {
    let secs = elapsed.max(0) / 1000;
    let (n, unit) = match secs {
        0..5 => {
            return match lang {
                Lang::En => "just now".into(),
                Lang::Ko => "방금".into(),
            }
        }
        5..60 => (secs, 0),
        60..3600 => (secs / 60, 1),
        3600..86400 => (secs / 3600, 2),
        _ => (secs / 86400, 3),
    };
    match lang {
        Lang::En => format!("{n} {} ago", ["s", "min", "h", "d"][unit]),
        Lang::Ko => format!("{n}{} 전", ["초", "분", "시간", "일"][unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(text: &str) -> Incident {
        Incident {
            text: text.into(),
            opened_at: 0,
        }
    }

    #[test]
    fn no_banner_when_all_is_well() {
        assert_eq!(banner_text(None, false, Lang::En), None);
    }

    #[test]
    fn an_adapter_down_says_chat_may_be_unavailable() {
        let text = banner_text(None, true, Lang::En).unwrap();
        assert!(text.contains("Submit a request"), "{text}");
    }

    #[test]
    fn the_incident_comes_first() {
        let i = incident("Chat is down");
        assert_eq!(
            banner_text(Some(&i), false, Lang::En).as_deref(),
            Some("Chat is down")
        );
        let both = banner_text(Some(&i), true, Lang::Ko).unwrap();
        assert!(both.starts_with("Chat is down "), "{both}");
        assert!(both.contains("요청을 제출"), "{both}");
    }

    #[test]
    fn times_read_as_how_long_ago() {
        assert_eq!(ago(1_000, Lang::En), "just now");
        assert_eq!(ago(42_000, Lang::En), "42 s ago");
        assert_eq!(ago(180_000, Lang::En), "3 min ago");
        assert_eq!(ago(7_200_000, Lang::Ko), "2시간 전");
        assert_eq!(ago(3 * 86_400_000, Lang::Ko), "3일 전");
    }

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(
            rfc3339(1_700_000_000_123).as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
    }

    #[test]
    fn names_are_capitalised() {
        assert_eq!(display_name("slack"), "Slack");
        assert_eq!(display_name(""), "");
    }
}
