//! The Events API: Slack posts signed requests to `/slack/events`,
//! `/slack/interactions` and `/slack/commands`. A request whose signature is wrong or
//! stale is refused before anything is read from it; an event is answered 200 only
//! once it is stored, so Slack retries what could not be.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use slack_morphism::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::intake::Intake;

/// Requests older (or newer) than this are refused: a replayed request is stale.
const MAX_SKEW_SECS: i64 = 300;

struct Shared {
    intake: Arc<Intake>,
    secret: String,
}

pub(crate) async fn run(
    intake: Arc<Intake>,
    bind: &str,
    secret: &str,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind} ([web].bind): {e}"))?;
    tracing::info!(%bind, "Slack Events API listening on /slack/events, /slack/interactions, /slack/commands");
    let app = router(intake, secret);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|e| format!("the web server stopped: {e}"))
}

fn router(intake: Arc<Intake>, secret: &str) -> Router {
    let shared = Arc::new(Shared {
        intake,
        secret: secret.to_string(),
    });
    Router::new()
        .route("/slack/events", post(events))
        .route("/slack/interactions", post(interactions))
        .route("/slack/commands", post(commands))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(shared)
}

async fn events(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refusal) = verify(&headers, &body, &s.secret, now()) {
        return refusal.into_response();
    }
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
            stored(s.intake.push(&cb).await)
        }
        SlackPushEvent::AppRateLimited(_) => {
            tracing::warn!("Slack is dropping events: the app is over its rate limit");
            StatusCode::OK.into_response()
        }
    }
}

async fn interactions(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refusal) = verify(&headers, &body, &s.secret, now()) {
        return refusal.into_response();
    }
    let form: HashMap<String, String> = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(e) => return malformed("interaction", e),
    };
    let payload = form.get("payload").map(String::as_str).unwrap_or_default();
    let event: SlackInteractionEvent = match serde_json::from_str(payload) {
        Ok(e) => e,
        Err(e) => return malformed("interaction", e),
    };
    stored(s.intake.interaction(&event).await)
}

async fn commands(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refusal) = verify(&headers, &body, &s.secret, now()) {
        return refusal.into_response();
    }
    let command: SlackCommandEvent = match serde_urlencoded::from_bytes(&body) {
        Ok(c) => c,
        Err(e) => return malformed("slash command", e),
    };
    match s.intake.command(&command).await {
        Ok(Some(reply)) => {
            Json(serde_json::json!({ "response_type": "ephemeral", "text": reply })).into_response()
        }
        Ok(None) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "slash command not stored");
            // Slack shows this text to the person who typed the command.
            Json(serde_json::json!({
                "response_type": "ephemeral",
                "text": relaydesk_core::i18n::agents().not_taken()
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
}
