//! Discord's REST API, as the adapter calls it. Requests are built by serenity (its
//! routes, its builders' JSON); how they are sent depends on where Discord is:
//!
//! - `https://discord.com`: through serenity's `Http` and its rate limiter, which waits
//!   out 429s and buckets by itself.
//! - a configured `api_url` (a proxy, the tests' fake): serenity's rate limiter cannot
//!   be used there (it would send to discord.com), so requests are sent here and the
//!   limits are kept here: a 429's `Retry-After`, global or per route, and a bucket
//!   that says it is empty (`X-RateLimit-Remaining: 0`) hold that route until it
//!   resets. A held route is answered at once, without a request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use relaydesk_core::adapter::SendError;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serenity::http::{Http, HttpBuilder, Request};

/// Discord's own address: serenity's rate limiter applies.
pub const DISCORD: &str = "https://discord.com";

/// Why a request failed, as far as the adapter needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct RestError {
    /// The HTTP status, when Discord answered.
    pub status: Option<u16>,
    /// Discord's JSON error code (50007: the user's direct messages are closed).
    pub code: Option<i64>,
    /// What went wrong, for the log.
    pub message: String,
    /// For a 429: how long to wait.
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.status, self.code) {
            (Some(s), Some(c)) if c != 0 => {
                write!(f, "Discord answered {s} ({c}: {})", self.message)
            }
            (Some(s), _) => write!(f, "Discord answered {s}: {}", self.message),
            _ => write!(f, "{}", self.message),
        }
    }
}

impl RestError {
    /// A failure with no answer from Discord (unreachable, unreadable).
    pub(crate) fn other(message: impl Into<String>) -> RestError {
        RestError {
            status: None,
            code: None,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A request that cannot be right (a bad id, a file that is not there): retrying
    /// cannot help.
    pub(crate) fn invalid(message: impl Into<String>) -> RestError {
        RestError {
            status: Some(400),
            ..RestError::other(message)
        }
    }

    /// Discord's error code `code`.
    pub fn is_code(&self, code: i64) -> bool {
        self.code == Some(code)
    }

    /// What the dispatcher makes of it: wait, retry, or give up.
    pub fn into_send_error(self) -> SendError {
        match self.status {
            Some(429) => SendError::RateLimited {
                retry_after: self.retry_after.unwrap_or(Duration::from_secs(1)),
            },
            None | Some(500..) | Some(408) => SendError::Transient(self.to_string()),
            Some(_) => SendError::Permanent(self.to_string()),
        }
    }
}

/// The REST client.
pub struct Rest {
    http: Arc<Http>,
    direct: Option<Direct>,
    token: SecretString,
}

struct Direct {
    client: reqwest::Client,
    base: String,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    everything: Option<Instant>,
    routes: HashMap<String, Instant>,
}

impl Rest {
    /// A client for Discord at `api_url`, with the bot token.
    pub fn new(api_url: &str, token: &str) -> Result<Rest, String> {
        let base = api_url.trim_end_matches('/').to_string();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!(
                "[discord] api_url `{api_url}` is not an http:// or https:// URL"
            ));
        }
        if base == DISCORD {
            return Ok(Rest {
                http: Arc::new(Http::new(token)),
                direct: None,
                token: token.into(),
            });
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let http = proxied(token, &base, client.clone());
        Ok(Rest {
            token: token.into(),
            http: Arc::new(http),
            direct: Some(Direct {
                client,
                base,
                held: Mutex::new(Held::default()),
            }),
        })
    }

    /// A serenity client like this one's, for the gateway client to own.
    pub fn gateway_http(&self) -> Http {
        let token = self.token.expose_secret();
        match &self.direct {
            None => Http::new(token),
            Some(direct) => proxied(token, &direct.base, direct.client.clone()),
        }
    }

    /// Sends `req` and decodes the answer.
    pub async fn call<T: DeserializeOwned>(&self, req: Request<'_>) -> Result<T, RestError> {
        let bytes = self.send(req).await?;
        decode(&bytes)
    }

    /// Sends `req`, whose answer has no body to read (204).
    pub async fn call_empty(&self, req: Request<'_>) -> Result<(), RestError> {
        self.send(req).await.map(drop)
    }

    /// Sends `req` and decodes the answer; where Discord asks to wait (a 429), waits
    /// and tries again, for at most `patience`. For what cannot be put off to the
    /// dispatcher: answers to interactions, which expire.
    pub async fn call_patiently<T: DeserializeOwned>(
        &self,
        req: Request<'_>,
        patience: Duration,
    ) -> Result<T, RestError> {
        let bytes = self.send_patiently(req, patience).await?;
        decode(&bytes)
    }

    /// Like [`Rest::call_patiently`], for an answer with no body to read (204).
    pub async fn call_empty_patiently(
        &self,
        req: Request<'_>,
        patience: Duration,
    ) -> Result<(), RestError> {
        self.send_patiently(req, patience).await.map(drop)
    }

    async fn send_patiently(
        &self,
        req: Request<'_>,
        patience: Duration,
    ) -> Result<bytes::Bytes, RestError> {
        let until = Instant::now() + patience;
        loop {
            match self.send(req.clone()).await {
                Err(e) if e.status == Some(429) => {
                    let wait = e.retry_after.unwrap_or(Duration::from_secs(1));
                    if Instant::now() + wait > until {
                        return Err(e);
                    }
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    async fn send(&self, req: Request<'_>) -> Result<bytes::Bytes, RestError> {
        let Some(direct) = &self.direct else {
            return match self.http.request(req).await {
                Ok(response) => response
                    .bytes()
                    .await
                    .map_err(|e| RestError::other(format!("Discord's answer was cut off: {e}"))),
                Err(e) => Err(from_serenity(e)),
            };
        };
        let request = req
            .build(&direct.client, self.http.token(), Some(&direct.base))
            .map_err(|e| RestError::other(format!("could not build the request: {e}")))?
            .build()
            .map_err(|e| RestError::other(format!("could not build the request: {e}")))?;
        let route = format!("{} {}", request.method(), request.url().path());
        if let Some(wait) = direct.held(&route) {
            return Err(RestError {
                status: Some(429),
                code: None,
                message: format!("{route} waits for its rate limit"),
                retry_after: Some(wait),
            });
        }
        let response = direct
            .client
            .execute(request)
            .await
            .map_err(|e| RestError::other(format!("Discord cannot be reached: {e}")))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| RestError::other(format!("Discord's answer was cut off: {e}")))?;
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let seconds = |v: Option<&str>| {
            v.and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
        };
        if header("x-ratelimit-remaining") == Some("0") {
            if let Some(reset) = seconds(header("x-ratelimit-reset-after")) {
                direct.hold(Some(&route), reset);
            }
        }
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let mut error = RestError {
            status: Some(status),
            code: json["code"].as_i64(),
            message: json["message"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect()),
            retry_after: None,
        };
        if status == 429 {
            let wait = seconds(header("retry-after"))
                .or_else(|| {
                    json["retry_after"]
                        .as_f64()
                        .and_then(|s| seconds(Some(&s.to_string())))
                })
                .unwrap_or(Duration::from_secs(1));
            let global = header("x-ratelimit-global").is_some() || json["global"] == true;
            direct.hold((!global).then_some(route.as_str()), wait);
            error.retry_after = Some(wait);
        }
        Err(error)
    }
}

impl Direct {
    /// How long `route` must still wait, if it must.
    fn held(&self, route: &str) -> Option<Duration> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        held.routes.retain(|_, until| *until > now);
        let until = [held.everything, held.routes.get(route).copied()]
            .into_iter()
            .flatten()
            .filter(|until| *until > now)
            .max()?;
        Some(until - now)
    }

    /// Holds `route` (or, with `None`, every route) for `wait`.
    fn hold(&self, route: Option<&str>, wait: Duration) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + wait;
        match route {
            Some(route) => {
                held.routes.insert(route.to_string(), until);
            }
            None => held.everything = Some(until),
        }
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, RestError> {
    serde_json::from_slice(bytes)
        .map_err(|e| RestError::other(format!("Discord's answer could not be read: {e}")))
}

/// serenity's client for Discord at `base`: sent there, rate limits kept by the adapter.
fn proxied(token: &str, base: &str, client: reqwest::Client) -> Http {
    HttpBuilder::new(token)
        .proxy(base)
        .ratelimiter_disabled(true)
        .client(client)
        .build()
}

fn from_serenity(e: serenity::Error) -> RestError {
    use serenity::http::HttpError;
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => RestError {
            status: Some(r.status_code.as_u16()),
            code: Some(r.error.code as i64),
            message: r.error.message,
            retry_after: None,
        },
        e => RestError::other(format!("Discord cannot be reached: {e}")),
    }
}
