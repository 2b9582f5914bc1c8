//! The one HTTP server, on `[web].bind`: the web side's pages and operations endpoints
//! (`relaydesk_web::routes`), and the routes platforms add (Slack's Events API in HTTP
//! mode).
//!
//! It faces the internet, so no client can hold it: headers must arrive within
//! [`HEADER_TIMEOUT`], a whole request within [`REQUEST_TIMEOUT`], an idle kept-alive
//! connection is closed, and at most [`MAX_CONNECTIONS`] are served at once, far more
//! than hostile clients on one address can tie up within those timeouts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

/// How long a client may take to send a request's headers, from the moment its
/// connection opens or its previous answer is sent. hyper runs one timer for both, so
/// this is also how long a kept-alive connection may sit idle before it is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request may take once its headers are in: reading its body and answering
/// it. Past this it is answered 408 and its connection closed. Slack gives up on an
/// answer after 3 s, so no genuine request comes near it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Connections served at once; more wait in the listen backlog until one closes.
pub const MAX_CONNECTIONS: usize = 1024;

/// How long to wait before accepting again when accepting fails (out of file
/// descriptors, most often): the listener itself is fine.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

/// A bound listener and what it will serve.
pub struct WebServer {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
}

impl WebServer {
    /// Binds `bind` (port 0 picks a free port: [`WebServer::addr`] says which) and
    /// logs the address it listens on.
    pub async fn bind(bind: &str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(bind).await.with_context(|| {
            format!("cannot listen on {bind} ([web].bind; port 0 takes any free one)")
        })?;
        let addr = listener
            .local_addr()
            .with_context(|| format!("cannot tell the address bound for {bind}"))?;
        tracing::info!("web server listening on http://{addr}");
        Ok(WebServer {
            listener,
            addr,
            router: Router::new(),
        })
    }

    /// The server, serving `routes` too.
    pub fn with_routes(mut self, routes: impl IntoIterator<Item = Router>) -> Self {
        self.router = routes.into_iter().fold(self.router, Router::merge);
        self
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown`, then stops accepting, closes idle connections and
    /// finishes the requests under way (the timeouts bound how long that takes).
    pub async fn serve(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let router = self
            .router
            .layer(axum::middleware::from_fn(relaydesk_web::security_headers))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ));
        let service = router;
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT);
        let graceful = GracefulShutdown::new();
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let slot = tokio::select! {
                _ = shutdown.cancelled() => break,
                slot = slots.clone().acquire_owned() => slot.context("connection slots closed")?,
            };
            let (stream, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not accept a connection");
                        tokio::select! {
                            _ = shutdown.cancelled() => break,
                            _ = tokio::time::sleep(ACCEPT_RETRY) => continue,
                        }
                    }
                },
            };
            // Each request knows the client's address (the request form's limits).
            let service = service.clone().map_request(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                },
            );
            let service = TowerToHyperService::new(service);
            let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(async move {
                // A timeout or a client that went away: nothing the server must act on.
                if let Err(e) = connection.await {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                drop(slot);
            });
        }
        drop(self.listener);
        graceful.shutdown().await;
        Ok(())
    }
}
