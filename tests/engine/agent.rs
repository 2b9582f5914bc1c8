//! Agents' commands and choices in a ticket thread.

use relaydesk_core::store::{DeliveryState, Reports};
use relaydesk_core::{Address, Content, Handled, State};

use crate::desk::{grace, on_both, Desk, TestDb};

on_both!(agent_commands_and_choices);

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
            conv.conversation.assignee.as_deref()
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
