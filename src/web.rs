//! The one HTTP server, on `[web].bind`: `/healthz`, and the routes platforms add
//! (Slack's Events API in HTTP mode).

use std::net::SocketAddr;

use anyhow::Context;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A bound listener and what it will serve.
pub struct WebServer {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
}

impl WebServer {
    /// Binds `bind` (port 0 picks a free port: [`WebServer::addr`] says which) and
    /// logs the address it listens on.
    pub async fn bind(
        bind: &str,
        routes: impl IntoIterator<Item = Router>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(bind).await.with_context(|| {
            format!("cannot listen on {bind} ([web].bind; port 0 takes any free one)")
        })?;
        let addr = listener
            .local_addr()
            .with_context(|| format!("cannot tell the address bound for {bind}"))?;
        tracing::info!("web server listening on http://{addr}");
        let router = routes.into_iter().fold(
            Router::new().route("/healthz", get(|| async { "ok" })),
            Router::merge,
        );
        Ok(WebServer {
            listener,
            addr,
            router,
        })
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown`, then finishes the requests under way.
    pub async fn serve(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
            .context("the web server stopped")
    }
}
