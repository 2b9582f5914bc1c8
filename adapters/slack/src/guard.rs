//! What every Events API request must be before a handler sees it: of the content type
//! Slack sends to its route, no larger than [`MAX_BODY`], and signed by Slack with the
//! app's signing secret a moment ago. Everything that can be checked without the body
//! is checked before it is read; the signature, which covers the body, after.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// Requests older (or newer) than this are refused: a replayed request is stale.
const MAX_SKEW_SECS: i64 = 300;

/// Slack's requests are a few kilobytes; a larger body is refused, by its declared
/// length before it is read, or as soon as reading it passes this.
pub(crate) const MAX_BODY: usize = 512 * 1024;

/// What Slack sends events as.
pub(crate) const JSON: &str = "application/json";

/// What Slack sends interactions and slash commands as.
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// A request passes on only in the content type Slack sends to its route.
pub(crate) async fn of_type(
    State(expected): State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if !declared.is_some_and(|d| d.eq_ignore_ascii_case(expected)) {
        tracing::warn!(path = %request.uri().path(), content_type = ?declared, "Slack request of another content type refused");
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content type",
        )
            .into_response();
    }
    next.run(request).await
}

/// A request passes on only with a valid, fresh signature of its body. Its headers are
/// checked before the body is read: a request that is unsigned or stale costs nothing.
pub(crate) async fn signed(
    State(secret): State<Arc<SecretString>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let claim = match Claim::of(&parts.headers, now()) {
        Ok(claim) => claim,
        Err(refusal) => return refusal.into_response(),
    };
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(e) if too_large(&e) => {
            tracing::warn!("Slack request larger than {MAX_BODY} bytes refused");
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
        Err(e) => {
            tracing::debug!(error = %e, "Slack request cut short");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    if let Err(refusal) = claim.verify(&body, secret.expose_secret()) {
        return refusal.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// Whether reading a body failed because it passed the limit.
fn too_large(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A refusal: its status and the words answered.
type Refusal = (StatusCode, &'static str);

/// What a request's headers claim: Slack's signature, `v0=` +
/// hex(HMAC-SHA256(secret, `v0:{ts}:{body}`)), made at a timestamp within five minutes.
struct Claim {
    timestamp: String,
    signature: Vec<u8>,
}

impl Claim {
    /// The claim, if the headers make one that is fresh at `now`.
    fn of(headers: &HeaderMap, now: i64) -> Result<Claim, Refusal> {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(ts), Some(signature)) = (
            header("x-slack-request-timestamp"),
            header("x-slack-signature"),
        ) else {
            tracing::warn!("Slack request without a signature refused");
            return Err((StatusCode::UNAUTHORIZED, "missing Slack signature"));
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
        Ok(Claim {
            timestamp: ts.to_string(),
            signature,
        })
    }

    /// Whether the claimed signature is the body's.
    fn verify(&self, body: &[u8], secret: &str) -> Result<(), Refusal> {
        let bad = (StatusCode::UNAUTHORIZED, "bad Slack signature");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| bad)?;
        mac.update(format!("v0:{}:", self.timestamp).as_bytes());
        mac.update(body);
        mac.verify_slice(&self.signature).map_err(|_| {
            tracing::warn!("Slack request with a bad signature refused");
            bad
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn signature_headers(secret: &str, ts: i64, body: &str) -> HeaderMap {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:{body}").as_bytes());
        let sig = format!("v0={}", hex::encode(mac.finalize().into_bytes()));
        let mut h = HeaderMap::new();
        h.insert("x-slack-request-timestamp", ts.to_string().parse().unwrap());
        h.insert("x-slack-signature", sig.parse().unwrap());
        h
    }

    fn verify(headers: &HeaderMap, body: &[u8], secret: &str, now: i64) -> Result<(), Refusal> {
        Claim::of(headers, now)?.verify(body, secret)
    }

    #[test]
    fn signatures() {
        let body = r#"{"type":"url_verification","challenge":"c"}"#;
        let h = signature_headers("s3cret", 1_000, body);
        assert!(verify(&h, body.as_bytes(), "s3cret", 1_010).is_ok());
        assert!(verify(&h, body.as_bytes(), "other", 1_010).is_err());
        assert!(verify(&h, b"tampered", "s3cret", 1_010).is_err());
        assert!(verify(&h, body.as_bytes(), "s3cret", 1_000 + 301).is_err());
        assert!(verify(&HeaderMap::new(), body.as_bytes(), "s3cret", 1_000).is_err());
    }
}
