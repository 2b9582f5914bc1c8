//! The Events API: Slack posts signed requests to `/slack/events`,
//! `/slack/interactions` and `/slack/commands`, routes the binary's web server serves.
//! One layer checks the signature of every request: a request whose signature is wrong
//! or stale is refused before any handler reads it. An event is answered 200 only once
//! it is stored, so Slack retries what could not be.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use slack_morphism::prelude::*;
use tokio::sync::watch;

use crate::convert;
use crate::intake::Intake;

/// Requests older (or newer) than this are refused: a replayed request is stale.
const MAX_SKEW_SECS: i64 = 300;

/// Slack's requests are small; a larger body is refused before its signature is checked.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// How long a request that comes before the adapter has reached Slack waits for it.
/// Slack gives up on an answer after 3 s and sends the request again.
const READY_WAIT: Duration = Duration::from_secs(2);

/// Where the intake is, as the adapter runs.
#[derive(Clone)]
enum Phase {
    /// The adapter has not reached Slack's Web API yet.
    Starting,
    Ready(Arc<Intake>),
    /// The adapter has stopped: nothing more is taken.
    Stopped,
}

/// The adapter's side of the routes: it opens the gate with the intake once it runs,
/// and closes it when it stops.
pub(crate) struct Gate(watch::Sender<Phase>);

impl Gate {
    pub fn new() -> Gate {
        Gate(watch::Sender::new(Phase::Starting))
    }

    pub fn open(&self, intake: Arc<Intake>) {
        self.0.send_replace(Phase::Ready(intake));
    }

    pub fn close(&self) {
        self.0.send_replace(Phase::Stopped);
    }
}

/// The three routes, behind the signature check.
pub(crate) fn router(gate: &Gate, secret: SecretString) -> Router {
    Router::new()
        .route("/slack/events", post(events))
        .route("/slack/interactions", post(interactions))
        .route("/slack/commands", post(commands))
        .route_layer(middleware::from_fn_with_state(Arc::new(secret), signed))
        .with_state(gate.0.subscribe())
}

/// The layer: a request passes on only with a valid, fresh signature of its body.
async fn signed(State(secret): State<Arc<SecretString>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        tracing::warn!("Slack request too large or cut short; refused");
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if let Err(refusal) = verify(&parts.headers, &body, secret.expose_secret(), now()) {
        return refusal.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// The intake, for a handler: waits up to [`READY_WAIT`] while the adapter starts.
struct Ready(Arc<Intake>);

impl FromRequestParts<watch::Receiver<Phase>> for Ready {
    type Rejection = StatusCode;

    async fn from_request_parts(
        _parts: &mut Parts,
        phase: &watch::Receiver<Phase>,
    ) -> Result<Ready, StatusCode> {
        let mut phase = phase.clone();
        let settled = tokio::time::timeout(
            READY_WAIT,
            phase.wait_for(|p| !matches!(p, Phase::Starting)),
        )
        .await;
        match settled.ok().and_then(Result::ok).map(|p| p.clone()) {
            Some(Phase::Ready(intake)) => Ok(Ready(intake)),
            _ => {
                tracing::warn!("Slack request before the adapter is running (or after it stopped); answering 503 so that Slack retries");
                Err(StatusCode::SERVICE_UNAVAILABLE)
            }
        }
    }
}

async fn events(Ready(intake): Ready, headers: HeaderMap, body: Bytes) -> Response {
    let event: SlackPushEvent = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => return malformed("event", e),
    };
    match event {
        SlackPushEvent::UrlVerification(v) => {
            Json(serde_json::json!({ "challenge": v.challenge })).into_response()
        }
        SlackPushEvent::EventCallback(cb) => {
            if let Some(retry) = headers.get("x-slack-retry-num") {
                tracing::info!(event = %cb.event_id.0, retry = ?retry, "Slack retried an event");
            }
            stored(intake.push(&cb).await)
        }
        SlackPushEvent::AppRateLimited(_) => {
            tracing::warn!("Slack is dropping events: the app is over its rate limit");
            StatusCode::OK.into_response()
        }
    }
}

async fn interactions(Ready(intake): Ready, body: Bytes) -> Response {
    let form: HashMap<String, String> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(e) => return malformed("interaction", e),
    };
    let payload = form.get("payload").map(String::as_str).unwrap_or_default();
    let event: SlackInteractionEvent = match serde_json::from_str(payload) {
        Ok(e) => e,
        Err(e) => return malformed("interaction", e),
    };
    stored(intake.interaction(&event).await)
}

async fn commands(Ready(intake): Ready, body: Bytes) -> Response {
    let command: SlackCommandEvent = match serde_urlencoded::from_bytes(&body) {
        Ok(c) => c,
        Err(e) => return malformed("slash command", e),
    };
    match intake.command(&command).await {
        Ok(Some(reply)) => {
            Json(serde_json::json!({ "response_type": "ephemeral", "text": reply })).into_response()
        }
        Ok(None) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "slash command not stored");
            // Slack shows this text to the person who typed the command.
            Json(serde_json::json!({
                "response_type": "ephemeral",
                "text": convert::catalogue_for(command.text.as_deref()).not_taken()
            }))
            .into_response()
        }
    }
}

fn stored(result: Result<(), relaydesk_core::adapter::SinkError>) -> Response {
    match result {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "Slack event not stored; answering 500 so that Slack retries");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn malformed(what: &str, e: impl std::fmt::Display) -> Response {
    // Skipped, not retried: it would not parse any better the second time.
    tracing::warn!(error = %e, "malformed Slack {what} skipped");
    StatusCode::OK.into_response()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Checks Slack's request signature: `v0=` + hex(HMAC-SHA256(secret, `v0:{ts}:{body}`)),
/// with the timestamp within five minutes of `now`.
fn verify(
    headers: &HeaderMap,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), (StatusCode, &'static str)> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let unsigned = (StatusCode::UNAUTHORIZED, "missing Slack signature");
    let (Some(ts), Some(signature)) = (
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
    ) else {
        tracing::warn!("Slack request without a signature refused");
        return Err(unsigned);
    };
    let stale = ts
        .parse::<i64>()
        .map_or(true, |t| (now - t).abs() > MAX_SKEW_SECS);
    if stale {
        tracing::warn!("Slack request with a stale timestamp refused");
        return Err((StatusCode::UNAUTHORIZED, "stale Slack request"));
    }
    let Some(Ok(signature)) = signature.strip_prefix("v0=").map(hex::decode) else {
        tracing::warn!("Slack request with a malformed signature refused");
        return Err((StatusCode::UNAUTHORIZED, "bad Slack signature"));
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| unsigned)?;
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    mac.verify_slice(&signature).map_err(|_| {
        tracing::warn!("Slack request with a bad signature refused");
        (StatusCode::UNAUTHORIZED, "bad Slack signature")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &str, ts: i64, body: &str) -> HeaderMap {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:{body}").as_bytes());
        let sig = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
        let mut h = HeaderMap::new();
        h.insert("x-slack-request-timestamp", ts.to_string().parse().unwrap());
        h.insert("x-slack-signature", sig.parse().unwrap());
        h
    }

    #[test]
    fn signatures() {
        let body = r#"{"type":"url_verification","challenge":"c"}"#;
        let h = signed("s3cret", 1_000, body);
        assert!(verify(&h, body.as_bytes(), "s3cret", 1_010).is_ok());
        assert!(verify(&h, body.as_bytes(), "other", 1_010).is_err());
        assert!(verify(&h, b"tampered", "s3cret", 1_010).is_err());
        assert!(verify(&h, body.as_bytes(), "s3cret", 1_000 + 301).is_err());
        assert!(verify(&HeaderMap::new(), body.as_bytes(), "s3cret", 1_000).is_err());
    }

    #[tokio::test]
    async fn every_route_is_behind_the_signature_check() {
        use tower::ServiceExt;

        let gate = Gate::new();
        gate.close();
        let app = router(&gate, SecretString::from("s3cret"));
        let body = "payload=%7B%7D";
        for path in ["/slack/events", "/slack/interactions", "/slack/commands"] {
            let request = |headers: HeaderMap| {
                let mut r = Request::post(path).body(Body::from(body)).unwrap();
                *r.headers_mut() = headers;
                r
            };
            let forged = app
                .clone()
                .oneshot(request(signed("other", now(), body)))
                .await
                .unwrap();
            assert_eq!(forged.status(), StatusCode::UNAUTHORIZED, "{path}");
            // Past the check, a stopped adapter takes nothing: Slack is told to retry.
            let genuine = app
                .clone()
                .oneshot(request(signed("s3cret", now(), body)))
                .await
                .unwrap();
            assert_eq!(genuine.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        }
    }
}
