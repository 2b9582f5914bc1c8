//! The Events API: Slack posts signed requests to `/slack/events`,
//! `/slack/interactions` and `/slack/commands`, routes the binary's web server serves.
//! Each passes the checks of [`crate::guard`] (length, content type, signature) before
//! a handler sees it. An event is answered 200 only once it is stored, so Slack retries
//! what could not be; one that cannot be read is answered 400, so Slack does not count
//! it handled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::{Json, Router};
use secrecy::SecretString;
use slack_morphism::prelude::*;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;

use crate::convert;
use crate::guard::{self, FORM, JSON, MAX_BODY};
use crate::intake::Intake;
use crate::json;

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

type Handler = MethodRouter<watch::Receiver<Phase>>;

/// The three routes, behind the length, content type and signature checks.
pub(crate) fn router(gate: &Gate, secret: SecretString) -> Router {
    let secret = Arc::new(secret);
    let checked = |handler: Handler, content_type: &'static str| {
        handler
            .layer(middleware::from_fn_with_state(
                secret.clone(),
                guard::signed,
            ))
            .layer(middleware::from_fn_with_state(content_type, guard::of_type))
    };
    Router::new()
        .route("/slack/events", checked(post(events), JSON))
        .route("/slack/interactions", checked(post(interactions), FORM))
        .route("/slack/commands", checked(post(commands), FORM))
        // Outermost: a declared length over the limit is refused before anything else.
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .with_state(gate.0.subscribe())
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
    let event: SlackPushEvent = match json::parse(&body) {
        Ok(e) => e,
        Err(why) => return unreadable("event", json::scan_id(&body, "event_id"), &why),
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
        Err(e) => return unreadable("interaction", "unknown", &e),
    };
    let payload = form.get("payload").map(String::as_str).unwrap_or_default();
    let event: SlackInteractionEvent = match json::parse(payload.as_bytes()) {
        Ok(e) => e,
        Err(why) => {
            let id = json::scan_id(payload.as_bytes(), "trigger_id");
            return unreadable("interaction", id, &why);
        }
    };
    stored(intake.interaction(&event).await)
}

async fn commands(Ready(intake): Ready, body: Bytes) -> Response {
    let command: SlackCommandEvent = match serde_urlencoded::from_bytes(&body) {
        Ok(c) => c,
        Err(e) => {
            let form: HashMap<String, String> =
                serde_urlencoded::from_bytes(&body).unwrap_or_default();
            let id = form.get("trigger_id").map_or("unknown", String::as_str);
            return unreadable("slash command", id, &e);
        }
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

/// Refused, not skipped: Slack must not count it handled. It would not parse any
/// better the second time, but its retries and the log line make it seen.
fn unreadable(what: &str, id: &str, why: &dyn std::fmt::Display) -> Response {
    tracing::warn!(id, %why, "unreadable Slack {what} refused (400)");
    StatusCode::BAD_REQUEST.into_response()
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use axum::body::{Body, HttpBody};
    use axum::extract::Request;
    use axum::http::header;
    use hyper::body::Frame;
    use tower::ServiceExt;

    use super::*;
    use crate::guard::now;
    use crate::guard::tests::signature_headers;

    fn stopped() -> Router {
        let gate = Gate::new();
        gate.close();
        router(&gate, SecretString::from("s3cret"))
    }

    fn content_type(path: &str) -> &'static str {
        if path == "/slack/events" {
            JSON
        } else {
            FORM
        }
    }

    const ROUTES: [&str; 3] = ["/slack/events", "/slack/interactions", "/slack/commands"];

    #[tokio::test]
    async fn every_route_is_behind_the_signature_check() {
        let app = stopped();
        let body = "payload=%7B%7D";
        for path in ROUTES {
            let request = |mut headers: HeaderMap| {
                headers.insert(header::CONTENT_TYPE, content_type(path).parse().unwrap());
                let mut r = Request::post(path).body(Body::from(body)).unwrap();
                *r.headers_mut() = headers;
                r
            };
            let forged = app
                .clone()
                .oneshot(request(signature_headers("other", now(), body)))
                .await
                .unwrap();
            assert_eq!(forged.status(), StatusCode::UNAUTHORIZED, "{path}");
            // Past the check, a stopped adapter takes nothing: Slack is told to retry.
            let genuine = app
                .clone()
                .oneshot(request(signature_headers("s3cret", now(), body)))
                .await
                .unwrap();
            assert_eq!(genuine.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        }
    }

    /// A body whose sender never sends a byte: a request that waits on it never ends.
    struct Silent;

    impl HttpBody for Silent {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Pending
        }
    }

    /// The answer to `request`, which must come within seconds: a [`Silent`] body is never
    /// read to its end.
    async fn answered(app: &Router, request: Request) -> StatusCode {
        let answer = tokio::time::timeout(Duration::from_secs(5), app.clone().oneshot(request));
        answer
            .await
            .expect("answered before the body came")
            .unwrap()
            .status()
    }

    #[tokio::test]
    async fn refusals_come_before_the_body_is_read() {
        let app = stopped();
        for path in ROUTES {
            let request = || Request::post(path).header(header::CONTENT_TYPE, content_type(path));
            // Unsigned, or signed too long ago.
            let unsigned = request().body(Body::new(Silent)).unwrap();
            assert_eq!(
                answered(&app, unsigned).await,
                StatusCode::UNAUTHORIZED,
                "{path}"
            );
            let mut stale = request().body(Body::new(Silent)).unwrap();
            stale
                .headers_mut()
                .extend(signature_headers("s3cret", now() - 600, "anything"));
            assert_eq!(
                answered(&app, stale).await,
                StatusCode::UNAUTHORIZED,
                "{path}"
            );
            // Declared too large.
            let large = request()
                .header(header::CONTENT_LENGTH, (MAX_BODY + 1).to_string())
                .body(Body::new(Silent))
                .unwrap();
            assert_eq!(
                answered(&app, large).await,
                StatusCode::PAYLOAD_TOO_LARGE,
                "{path}"
            );
            // Not what Slack sends there, or no content type at all.
            let other = if content_type(path) == JSON {
                FORM
            } else {
                JSON
            };
            for mut wrong in [
                Request::post(path).header(header::CONTENT_TYPE, other),
                Request::post(path).header(header::CONTENT_TYPE, "text/plain"),
                Request::post(path),
            ] {
                wrong
                    .headers_mut()
                    .unwrap()
                    .extend(signature_headers("s3cret", now(), ""));
                let wrong = wrong.body(Body::new(Silent)).unwrap();
                assert_eq!(
                    answered(&app, wrong).await,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "{path}"
                );
            }
        }
        // Slack's own spelling of its content type passes.
        let body = r#"{"type":"url_verification","challenge":"c"}"#;
        let mut charset = Request::post("/slack/events")
            .header(header::CONTENT_TYPE, "Application/JSON; charset=utf-8")
            .body(Body::from(body))
            .unwrap();
        charset
            .headers_mut()
            .extend(signature_headers("s3cret", now(), body));
        assert_eq!(
            answered(&app, charset).await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn a_body_that_grows_past_the_limit_is_refused_as_it_streams() {
        let app = stopped();
        let body = "x".repeat(MAX_BODY + 1);
        let mut request = Request::post("/slack/events")
            .header(header::CONTENT_TYPE, JSON)
            .body(Body::from(body.clone()))
            .unwrap();
        request
            .headers_mut()
            .extend(signature_headers("s3cret", now(), &body));
        assert_eq!(answered(&app, request).await, StatusCode::PAYLOAD_TOO_LARGE);
    }
}
