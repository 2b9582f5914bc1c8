//! The status read model, the incident table, and the health board as the dispatcher
//! feeds it, on a real SQLite file and a real PostgreSQL database.

#[path = "../../../tests/engine/desk.rs"]
mod desk;

use std::sync::Arc;

use relaydesk_core::dispatch::{DispatchSettings, Dispatcher};
use relaydesk_core::health::Connection;
use relaydesk_core::status::{Incident, Incidents, StatusReports};
use relaydesk_core::{ChannelAdapter, SendError, State};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::desk::{on_both, Desk, TestDb};

on_both!(
    tickets_are_counted_by_state,
    the_backlog_and_failures_come_from_the_outbox,
    the_database_answers_and_its_migrations_are_applied,
    a_missing_migration_is_noticed,
    one_incident_is_open_at_a_time,
    the_dispatcher_reports_deliveries_to_the_health_board,
);

async fn tickets_are_counted_by_state(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    assert_eq!(desk.store.ticket_counts().await.unwrap(), []);
    desk.user_says("hello there, how do refunds work").await;
    desk.open_ticket().await;
    let counts = desk.store.ticket_counts().await.unwrap();
    assert_eq!(
        counts,
        [(State::Queued, 1)],
        "a conversation with the bot is no ticket"
    );
}

async fn the_backlog_and_failures_come_from_the_outbox(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("talk to an agent").await;
    assert!(desk.store.outbox_backlog().await.unwrap() > 0);
    desk.deliver().await;
    assert_eq!(desk.store.outbox_backlog().await.unwrap(), 0);
    assert_eq!(desk.store.delivery_failures_since(0).await.unwrap(), 0);

    desk.desk
        .fail_next([SendError::Transient("HTTP 502".into())]);
    desk.user_says("still there?").await;
    desk.deliver().await;
    let now = desk.clock_now();
    assert_eq!(desk.store.outbox_backlog().await.unwrap(), 1, "put off");
    assert_eq!(
        desk.store
            .delivery_failures_since(now - 60_000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        desk.store.delivery_failures_since(now + 1).await.unwrap(),
        0,
        "only failures since then"
    );
}

async fn the_database_answers_and_its_migrations_are_applied(db: &TestDb) {
    let store = db.store().await;
    store.ping().await.unwrap();
    assert!(store.migrations_applied().await.unwrap());
}

async fn a_missing_migration_is_noticed(db: &TestDb) {
    let store = db.store().await;
    let sql = "delete from _sqlx_migrations where version = 9";
    match db.dialect() {
        "sqlite" => {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(db.url()).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
        _ => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(db.url()).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }
    assert!(!store.migrations_applied().await.unwrap());
}

async fn one_incident_is_open_at_a_time(db: &TestDb) {
    let store = db.store().await;
    assert_eq!(store.open_incident_now().await.unwrap(), None);
    assert!(!store.close_incident(5).await.unwrap(), "none was open");

    store.open_incident("Chat is down", 10).await.unwrap();
    store
        .open_incident("Chat is down in Europe", 20)
        .await
        .unwrap();
    assert_eq!(
        store.open_incident_now().await.unwrap(),
        Some(Incident {
            text: "Chat is down in Europe".into(),
            opened_at: 10,
        }),
        "opening again rewords the open one"
    );

    assert!(store.close_incident(30).await.unwrap());
    assert_eq!(store.open_incident_now().await.unwrap(), None);

    store.open_incident("Email is late", 40).await.unwrap();
    let open = store.open_incident_now().await.unwrap().unwrap();
    assert_eq!((open.text.as_str(), open.opened_at), ("Email is late", 40));
}

/// Runs a dispatcher of `desk`'s own engine (whose board is read) until nothing is due.
async fn deliver_reporting(desk: &Desk) {
    let adapters: Vec<Arc<dyn ChannelAdapter>> = vec![desk.chat.clone(), desk.desk.clone()];
    let dispatcher = Dispatcher::new(
        desk.engine.clone(),
        adapters,
        Arc::new(Notify::new()),
        "reporting".into(),
        DispatchSettings::default(),
    );
    let stop = CancellationToken::new();
    stop.cancel();
    dispatcher.run(stop).await;
}

async fn the_dispatcher_reports_deliveries_to_the_health_board(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let health = desk.engine.health().clone();
    desk.user_says("talk to an agent").await;
    deliver_reporting(&desk).await;
    let line = |name: &str| {
        health
            .snapshot(desk.clock_now())
            .into_iter()
            .find(|a| a.name == name)
            .expect("on the board")
    };
    let agents = line("desk");
    assert_eq!(agents.state, Connection::Connected);
    assert_eq!(agents.last_delivery, Some(desk.clock_now()));

    desk.desk
        .fail_next([SendError::Unreachable("connection refused".into())]);
    desk.user_says("anyone?").await;
    deliver_reporting(&desk).await;
    let agents = line("desk");
    assert_eq!(agents.state, Connection::Down("connection refused".into()));
    assert_eq!(agents.failures_last_hour, 1);

    desk.clock.advance(1_000);
    deliver_reporting(&desk).await;
    assert_eq!(line("desk").state, Connection::Connected, "delivered again");
}
