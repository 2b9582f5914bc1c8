//! Fake Slack and Discord servers on 127.0.0.1 that speak the platforms' real wire
//! protocols, so that slack-morphism and serenity run for real against them: for
//! relaydesk's end-to-end tests and for `relaydesk bench relay`. And a fake SMTP server,
//! for lettre.

pub mod discord;
pub mod slack;
pub mod smtp;

use std::thread::JoinHandle;
use std::time::Duration;

/// A fake's HTTP server: bound on 127.0.0.1 on a free port, served on a runtime of its
/// own on a background thread, stopped and joined when dropped.
pub(crate) struct Server {
    /// The port it listens on.
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// A listener on a free port, for a fake that needs its address before its routes.
    pub fn bind(name: &str) -> std::net::TcpListener {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("{name}: bind: {e}"));
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("{name}: nonblocking: {e}"));
        listener
    }

    /// Serves `app` on `listener` until dropped.
    pub fn start(name: &'static str, listener: std::net::TcpListener, app: axum::Router) -> Server {
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{name}: address: {e}"))
            .port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.replace(' ', "-").to_lowercase())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap_or_else(|e| panic!("{name}: tokio runtime: {e}"));
                rt.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(err) => {
                            eprintln!("{name}: cannot listen: {err}");
                            return;
                        }
                    };
                    tokio::select! {
                        res = async { axum::serve(listener, app).await } => {
                            if let Err(err) = res { eprintln!("{name}: server stopped: {err}") }
                        }
                        _ = stopped => {}
                    }
                });
                rt.shutdown_timeout(Duration::from_millis(200));
            })
            .unwrap_or_else(|e| panic!("{name}: thread: {e}"));
        Server {
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
