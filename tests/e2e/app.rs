//! The application in this process: it binds what `[web].bind` says, tells which port
//! it got, serves `/healthz`, and stops every loop when told to.

use std::time::Duration;

use relaydesk::app::Application;
use relaydesk::config::Config;
use relaydesk_core::memory::MemoryAdapter;
use relaydesk_core::Capabilities;
use tokio_util::sync::CancellationToken;

use crate::fake_slack::http_request;
use crate::helpers::Workspace;

#[tokio::test]
async fn the_application_reports_the_port_it_bound_and_stops_when_told() {
    let ws = Workspace::new();
    let text = format!(
        "[database]\nurl = \"sqlite://{}/data/relaydesk.db\"\n\n[helpcenter]\npath = \"{}/helpcenter\"\n\n[web]\nbind = \"127.0.0.1:0\"\n",
        ws.path().display(),
        ws.path().display()
    );
    let config = Config::parse(&text, "bot.toml", &[]).expect("configuration");
    let adapter = MemoryAdapter::new("memory", Capabilities::default());
    let app = Application::build_with(&config, vec![adapter])
        .await
        .expect("the application builds");
    let addr = app.web_addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");

    let shutdown = CancellationToken::new();
    let running = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let health = tokio::task::spawn_blocking(move || {
        http_request("GET", &format!("http://{addr}/healthz"), &[], b"")
    })
    .await
    .expect("request");
    assert_eq!((health.status, health.text()), (200, "ok".to_string()));

    shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(10), running).await;
    stopped
        .expect("every loop ended within 10 s of the shutdown")
        .expect("joined")
        .expect("a clean stop");
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the web server still listens after the stop"
    );
}
