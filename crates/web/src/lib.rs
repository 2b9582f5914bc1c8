//! relaydesk's web side, served on `[web].bind`: the help center to read, the request
//! form that opens a ticket when chat is down, "My activity" to follow one, the status
//! page, and the operations endpoints (`/healthz`, `/readyz`, `/metrics`).
//!
//! Every page reads through the store's read models and the help center, and writes
//! only through the engine: a web ticket is a ticket like any other.

mod activity;
mod adapter;
mod csrf;
mod form;
mod helpcenter;
mod i18n;
pub mod lang;
mod layout;
mod ops;
mod security;
mod status;
mod upload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::Router;
use relaydesk_core::{Engine, Store};
use relaydesk_kb::LiveHelpCenter;

/// What the pages need, shared by every request.
pub struct WebState {
    /// Tickets are opened and replies written through it.
    pub engine: Arc<Engine>,
    /// Read models (tickets, transcripts, the outbox's backlog).
    pub store: Arc<dyn Store>,
    /// The help center the bot answers from.
    pub helpcenter: Arc<LiveHelpCenter>,
    /// `[web]` and what the pages take from the rest of `bot.toml`.
    pub settings: WebSettings,
    /// The process's Prometheus recorder, rendered on `/metrics`; `None` when the
    /// process records no metrics (`/metrics` then answers 404).
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The open incident as the pages' banner last read it.
    incident: status::IncidentCache,
}

impl WebState {
    /// Emails can be sent (`[smtp]` is set): confirmations and sign-in links.
    fn mails(&self) -> bool {
        self.engine.config().notify.enabled
    }

    /// What the pages need.
    pub fn new(
        engine: Arc<Engine>,
        store: Arc<dyn Store>,
        helpcenter: Arc<LiveHelpCenter>,
        settings: WebSettings,
        metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> WebState {
        WebState {
            engine,
            store,
            helpcenter,
            settings,
            metrics,
            incident: status::IncidentCache::default(),
        }
    }
}

/// The web side's settings.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// `[web].public_url`, without a trailing slash: links in emails point there.
    pub public_url: String,
    /// `[web].max_upload_mb`, in bytes: the largest attachment taken.
    pub max_upload_bytes: usize,
    /// `[web].submit_per_hour`: requests taken from one address, and from one IP, in
    /// an hour.
    pub submit_per_hour: u32,
    /// Where attachments are kept (`[relay].files_dir`, absolute): the adapters copy
    /// them from there to the ticket's thread.
    pub files_dir: PathBuf,
    /// Domains whose addresses are refused (`[identity].blocked_domains`).
    pub blocked_domains: Vec<String>,
}

impl WebSettings {
    /// Cookies are marked `Secure` when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Adds the security headers (a content security policy with no script, no framing,
/// `nosniff`, the referrer policy) to an answer that has not set them: the web side's
/// pages have them, and the server puts them on everything else it serves.
pub use security::headers as security_headers;

/// The web side's routes, with the security headers on every answer.
pub fn routes(state: Arc<WebState>) -> Router {
    Router::new()
        .merge(helpcenter::routes())
        .merge(form::routes(state.settings.max_upload_bytes))
        .merge(activity::routes())
        .merge(status::routes())
        .merge(ops::routes())
        .fallback(helpcenter::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(security::headers))
}

/// The address of the client that sent the request, as the web server accepted it
/// (`unknown` where the server did not say).
pub(crate) struct ClientIp(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
        Ok(ClientIp(ip))
    }
}

pub use adapter::WebAdapter;
