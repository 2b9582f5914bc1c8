//! The operations endpoints: `/healthz` (the process answers), `/readyz` (the database
//! answers and its schema is this build's) and `/metrics` (Prometheus text, its gauges
//! read from the store just before).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use relaydesk_core::status::StatusReports;
use relaydesk_core::store::StoreError;

use crate::WebState;

/// How long a check of the database may take: a database that does not answer within
/// it is reported as not answering, rather than holding the prober.
pub(crate) const DB_TIMEOUT: Duration = Duration::from_secs(2);

/// The content type of Prometheus' text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4";

/// This module's routes.
pub(crate) fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// `reads` within [`DB_TIMEOUT`]; a timeout is an unavailable database.
pub(crate) async fn within<T>(
    reads: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(DB_TIMEOUT, reads)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::unavailable(format!(
                "no answer within {} s",
                DB_TIMEOUT.as_secs()
            )))
        })
}

/// Why the process is not ready, if it is not: the database does not answer, or its
/// migrations are not those of this build.
pub(crate) async fn not_ready(store: &dyn StatusReports) -> Option<String> {
    let checked = within(async {
        store.ping().await?;
        store.migrations_applied().await
    })
    .await;
    match checked {
        Ok(true) => None,
        Ok(false) => Some("database migrations are not applied".into()),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            Some("database unreachable".into())
        }
    }
}

async fn readyz(State(state): State<Arc<WebState>>) -> Response {
    match not_ready(state.store.as_ref()).await {
        None => (StatusCode::OK, "ready").into_response(),
        Some(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}

async fn metrics(State(state): State<Arc<WebState>>) -> Response {
    let Some(handle) = &state.metrics else {
        return (
            StatusCode::NOT_FOUND,
            "metrics are not recorded in this process",
        )
            .into_response();
    };
    refresh_gauges(state.store.as_ref()).await;
    handle.run_upkeep();
    ([(CONTENT_TYPE, PROMETHEUS_TEXT)], handle.render()).into_response()
}

/// Sets the gauges read from the store: tickets by state, the outbox's backlog. A
/// database that does not answer leaves them as they were (and `/readyz` says so).
async fn refresh_gauges(store: &dyn StatusReports) {
    let read =
        within(async { Ok((store.ticket_counts().await?, store.outbox_backlog().await?)) }).await;
    match read {
        Ok((counts, backlog)) => {
            for state in relaydesk_core::State::ALL
                .into_iter()
                .filter(|s| s.has_ticket())
            {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == state)
                    .map_or(0, |(_, n)| *n);
                metrics::gauge!("relaydesk_tickets", "state" => state.as_str()).set(n as f64);
            }
            metrics::gauge!("relaydesk_outbox_backlog").set(backlog as f64);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the store's gauges"),
    }
}
