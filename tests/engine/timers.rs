//! `Engine::tick`: what time alone changes.

use relaydesk_core::adapter::Action;
use relaydesk_core::clock::Clock;
use relaydesk_core::{Capabilities, Content, Handled, Inbound, OutboundKind, State};

use crate::desk::{ada, caps, on_both, Desk, TestDb};

on_both!(
    the_timer_closes_solved_tickets_and_forgets_old_ids,
    a_ticket_solved_again_closes_again
);

async fn the_timer_closes_solved_tickets_and_forgets_old_ids(db: &TestDb) {
    let editable = Capabilities {
        edits: true,
        ..caps(1000)
    };
    let desk = Desk::build(db.store().await, editable).await;
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    desk.agent_says(&desk.card_thread(), "!solve").await;
    desk.deliver().await;
    let day = 24 * 3600 * 1000;
    let (told, seen) = (desk.to_user().len(), desk.to_agents().len());
    desk.clock.advance(3 * day);
    assert_eq!(
        desk.engine.tick(desk.clock.now()).await.unwrap().closed,
        0,
        "not yet: solved less than four days ago"
    );
    desk.clock.advance(2 * day);
    let now = desk.clock.now();
    assert_eq!(desk.engine.tick(now).await.unwrap().closed, 1);
    assert_eq!(
        desk.engine.tick(now).await.unwrap().closed,
        0,
        "closed once"
    );
    let conv = desk.conversation(1).await;
    assert_eq!(
        (conv.state, conv.close_reason.as_deref()),
        (State::Closed, Some("solved"))
    );
    desk.deliver().await;
    // The person is told, the agents are told, and the card says closed.
    let user = desk.to_user();
    assert_eq!(user.len(), told + 1);
    assert!(
        user[told]
            .text()
            .contains("Ticket #1 was solved 4 days ago and is now closed"),
        "{}",
        user[told].text()
    );
    let agents: Vec<_> = desk
        .to_agents()
        .into_iter()
        .skip(seen)
        .map(|(o, _)| o)
        .collect();
    assert!(
        agents
            .iter()
            .any(|o| o.payload.kind == OutboundKind::TicketCard
                && o.text().ends_with("Status: closed (solved)")
                && matches!(o.action, Action::Update { .. })),
        "card redrawn: {agents:?}"
    );
    assert!(
        agents
            .iter()
            .any(|o| o.text().starts_with("Closed: solved 4 days ago")),
        "{agents:?}"
    );
    // Ids older than a week are forgotten: a week later the same id is new again.
    desk.clock.advance(3 * day);
    desk.engine.tick(desk.clock.now()).await.unwrap();
    let repeat = Inbound {
        id: "ev1".into(),
        address: "chat:dm-ada".parse().unwrap(),
        author: ada(),
        content: Content::Text("again".into()),
        files: Vec::new(),
        private_address: None,
    };
    assert_eq!(desk.engine.handle(&repeat).await.unwrap(), Handled::Done);
}

/// Closed by the timer, reopened by an agent, solved again: the timer closes it again.
async fn a_ticket_solved_again_closes_again(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.open_ticket().await;
    let thread = desk.card_thread();
    let day = 24 * 3600 * 1000;
    for round in 0..2 {
        desk.agent_says(&thread, "!solve").await;
        desk.clock.advance(5 * day);
        let ticked = desk.engine.tick(desk.clock.now()).await.unwrap();
        assert_eq!(ticked.closed, 1, "round {round}");
        assert_eq!(desk.conversation(1).await.state, State::Closed);
        desk.agent_says(&thread, "!reopen").await;
        assert_eq!(desk.conversation(1).await.state, State::Assigned);
    }
}
