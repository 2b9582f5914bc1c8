//! Edits and deletions following to the copies, and the card redrawn as the ticket moves.

use relaydesk_core::adapter::Action;
use relaydesk_core::store::Reports;
use relaydesk_core::{Capabilities, Content, Handled, OutboundKind};

use crate::desk::{ada, grace, on_both, Desk, TestDb};

on_both!(edits_deletions_and_card_changes_follow_the_copies);

async fn edits_deletions_and_card_changes_follow_the_copies(db: &TestDb) {
    let desk = Desk::build(
        db.store().await,
        Capabilities {
            max_len: 1000,
            edits: true,
            finds_in_doubt: false,
            chat_link: None,
        },
    )
    .await;
    let before = desk.open_ticket().await;
    let thread = desk.card_thread();
    let order = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Text("my order is 1234".into()),
    );
    desk.engine.handle(&order).await.unwrap();
    desk.deliver().await;
    let (copy, copy_id) = desk.to_agents()[before].clone();
    assert_eq!(copy.text(), "my order is 1234");

    // The person fixes a typo, then takes the message back.
    let fix = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Edited {
            id: order.id.clone(),
            text: "my order is 1243".into(),
        },
    );
    assert_eq!(desk.engine.handle(&fix).await.unwrap(), Handled::Done);
    desk.deliver().await;
    let (edit, _) = desk.to_agents()[before + 1].clone();
    assert_eq!(
        edit.action,
        Action::Update {
            message_id: copy_id.clone()
        }
    );
    assert_eq!(edit.text(), "my order is 1243");
    assert_eq!(edit.to.thread.as_deref(), Some(thread.as_str()));
    let gone = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Deleted {
            id: order.id.clone(),
        },
    );
    desk.engine.handle(&gone).await.unwrap();
    desk.deliver().await;
    let (delete, _) = desk.to_agents()[before + 2].clone();
    assert_eq!(
        delete.action,
        Action::Delete {
            message_id: copy_id
        }
    );
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    assert!(
        detail.messages.iter().any(|m| m.body == "my order is 1243"),
        "the stored message follows the edit"
    );

    // A claim redraws the card: its status, and only the buttons that still apply.
    desk.agent_says(&thread, "!claim").await;
    desk.deliver().await;
    let card = desk
        .to_agents()
        .into_iter()
        .find(|(o, _)| {
            matches!(o.action, Action::Update { .. }) && o.payload.kind == OutboundKind::TicketCard
        })
        .expect("the card was redrawn")
        .0;
    assert_eq!(
        card.action,
        Action::Update {
            message_id: thread.clone()
        }
    );
    assert!(
        card.text().contains("Status: claimed by Grace"),
        "{}",
        card.text()
    );
    assert_eq!(card.payload.body.choices().len(), 1);
    assert_eq!(card.payload.body.choices()[0].value, "close");

    // Where the person's side cannot edit, an agent's edit arrives as a new message.
    desk.agent_says(&thread, "Your refund is 10 EUR").await;
    desk.deliver().await;
    let reply_id = desk.last_event_id();
    let fix = desk.event(
        &format!("desk:agents/{thread}"),
        &grace(),
        Content::Edited {
            id: reply_id,
            text: "Your refund is 12 EUR".into(),
        },
    );
    desk.engine.handle(&fix).await.unwrap();
    desk.deliver().await;
    let last = desk.to_user().pop().unwrap();
    assert_eq!(last.action, Action::Post);
    assert_eq!(last.text(), "(edited) Your refund is 12 EUR");
    assert_eq!(last.payload.sender.as_deref(), Some("Grace"));
}
