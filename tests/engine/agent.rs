//! Agents' commands and choices in a ticket thread.

use std::str::FromStr;
use std::sync::Arc;

use relaydesk_core::store::{DeliveryState, Reports};
use relaydesk_core::{Address, Content, Handled, Person, State};
use relaydesk_store::SqlStore;

use crate::desk::{grace, on_both, Desk, TestDb};

on_both!(
    agent_commands_and_choices,
    agents_are_known_by_id_not_by_name
);

async fn agent_commands_and_choices(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("talk to sales").await;
    desk.deliver().await;
    assert!(
        desk.to_agents()[0].0.to == Address::new("desk", "sales"),
        "sales queue"
    );
    let thread = desk.card_thread();
    // A reply in the wrong channel's thread finds no ticket and is ignored.
    assert_eq!(desk.agent_says(&thread, "hello?").await, Handled::Ignored);
    let ev = desk.event(
        &format!("desk:sales/{thread}"),
        &grace(),
        Content::Choice("claim".into()),
    );
    desk.engine.handle(&ev).await.unwrap();
    let ev = desk.event(
        &format!("desk:sales/{thread}"),
        &grace(),
        Content::Text("!frobnicate".into()),
    );
    desk.engine.handle(&ev).await.unwrap();
    desk.deliver().await;
    let conv = desk.store.conversation(1).await.unwrap().unwrap();
    assert_eq!(
        (
            conv.conversation.state,
            conv.conversation.assignee.as_ref().map(|a| a.name.as_str())
        ),
        (State::Assigned, Some("Grace"))
    );
    assert!(desk
        .to_user()
        .last()
        .unwrap()
        .text()
        .contains("Grace is now handling"));
    assert!(
        desk.to_agents().last().unwrap().0.text().contains("!claim"),
        "unknown command gets the command list"
    );
    assert!(conv
        .deliveries
        .iter()
        .all(|d| d.state == DeliveryState::Delivered));
}

/// Two agents who show the same name are two agents; one agent renamed is still one.
async fn agents_are_known_by_id_not_by_name(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.open_ticket().await;
    let thread = desk.card_thread();
    let say = |who: &Person, text: &str| {
        desk.event(
            &format!("desk:agents/{thread}"),
            who,
            Content::Text(text.into()),
        )
    };
    desk.engine.handle(&say(&grace(), "!claim")).await.unwrap();
    let renamed = Person {
        display_name: "Grace Hopper".into(),
        ..grace()
    };
    desk.engine.handle(&say(&renamed, "!claim")).await.unwrap();
    let namesake = Person {
        id: "UGRACE2".into(),
        ..grace()
    };
    desk.engine.handle(&say(&namesake, "!claim")).await.unwrap();
    desk.deliver().await;
    let notices: Vec<String> = desk
        .to_agents()
        .into_iter()
        .map(|(o, _)| o.text().into_owned())
        .filter(|t| t.starts_with("Claimed by") || t.contains("took over"))
        .collect();
    assert_eq!(
        notices,
        [
            "Claimed by Grace.",
            "Claimed by Grace Hopper.",
            "Grace took over ticket #1 from Grace Hopper."
        ]
    );
    let conv = desk.store.conversation(1).await.unwrap().unwrap();
    let first = conv.conversation.assignee.expect("assigned");
    assert_eq!(first.name, "Grace");
}

/// A ticket assigned before agents had ids keeps its agent by name through the upgrade.
#[tokio::test]
async fn an_assignee_from_before_agent_ids_is_known_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/old.db", dir.path().display());
    // The database as the release before agent ids left it, with an assigned ticket.
    let old = dir.path().join("migrations");
    std::fs::create_dir(&old).unwrap();
    for name in ["0001_initial.sql", "0002_changes_and_files.sql"] {
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        std::fs::copy(from.join(name), old.join(name)).unwrap();
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
        .unwrap()
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    for sql in [
        "insert into person (platform, platform_user_id, display_name, created_at, updated_at)
         values ('chat', 'ada', 'Ada', 0, 0)",
        "insert into conversation (person_id, state, user_adapter, user_channel, lang, queue,
         ticket_number, agent_adapter, agent_channel, agent_thread, assignee, created_at, updated_at)
         values (1, 'assigned', 'chat', 'dm-ada', 'en', 'support', 1, 'desk', 'agents', 'T1', 'Grace', 0, 0)",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let desk = Desk::new(Arc::new(SqlStore::connect(&url).await.unwrap())).await;
    let assignee = desk.conversation(1).await.assignee.expect("still assigned");
    assert_eq!((assignee.agent_id, assignee.name.as_str()), (None, "Grace"));
    desk.agent_says("T1", "!claim").await;
    let alan = Person {
        id: "A-alan".into(),
        display_name: "Alan".into(),
        ..grace()
    };
    let ev = desk.event("desk:agents/T1", &alan, Content::Text("!claim".into()));
    desk.engine.handle(&ev).await.unwrap();
    desk.deliver().await;
    let notices: Vec<String> = desk
        .to_agents()
        .into_iter()
        .map(|(o, _)| o.text().into_owned())
        .collect();
    assert_eq!(
        notices,
        ["Claimed by Grace.", "Alan took over ticket #1 from Grace."]
    );
    assert!(desk
        .conversation(1)
        .await
        .assignee
        .unwrap()
        .agent_id
        .is_some());
}
