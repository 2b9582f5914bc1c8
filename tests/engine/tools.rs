//! The help desk around a ticket: the person's history and several open tickets,
//! "How did we do?", agents' tools, and conversations that sit idle.

use relaydesk_core::clock::Clock;
use relaydesk_core::desk::triage::Localized;
use relaydesk_core::store::Reports;
use relaydesk_core::{Capabilities, Content, Handled, OutboundKind, State};

use crate::desk::{ada, caps, grace, on_both, Desk, TestDb};

on_both!(
    history_pages_and_an_older_ticket_continued,
    satisfaction_after_a_solve,
    transfer_snippet_priority_and_unknown_commands,
    a_blocked_person_is_kept_and_shown_when_unblocked,
    an_idle_conversation_ends_quietly
);

async fn history_pages_and_an_older_ticket_continued(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("talk to an agent").await;
    for _ in 0..5 {
        desk.user_says("new ticket").await;
    }
    desk.deliver().await;
    let cards: Vec<String> = desk
        .to_agents()
        .into_iter()
        .filter(|(o, _)| o.payload.kind == OutboundKind::TicketCard)
        .map(|(_, id)| id)
        .collect();
    assert_eq!(cards.len(), 6, "six tickets");

    desk.user_says("my tickets").await;
    desk.deliver().await;
    let page = desk.to_user().pop().unwrap();
    let text = page.text().into_owned();
    assert!(
        text.contains("#6 · ") && text.contains("#2 · ") && !text.contains("#1 · "),
        "{text}"
    );
    let values: Vec<_> = page
        .payload
        .body
        .choices()
        .iter()
        .map(|c| c.value.clone())
        .collect();
    assert_eq!(
        values,
        ["ticket:6", "ticket:5", "ticket:4", "ticket:3", "ticket:2", "more:2"]
    );
    desk.user_says("more").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("#1 · talk to an agent"),
        "{}",
        desk.last_to_user()
    );

    desk.user_says("#1").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user()
            .contains("your next messages go to ticket #1"),
        "{}",
        desk.last_to_user()
    );
    desk.user_says("back to my first question").await;
    desk.deliver().await;
    let (relayed, _) = desk.to_agents().pop().unwrap();
    assert_eq!(
        relayed.to.thread.as_deref(),
        Some(cards[0].as_str()),
        "into #1's thread"
    );
    assert!(relayed.text().contains("back to my first question"));

    // Asking for an agent with #1 open: continue it, or a new one?
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    let asked = desk.to_user().pop().unwrap();
    assert!(
        asked.text().contains("Continue #1, or open a new ticket?"),
        "{}",
        asked.text()
    );
    desk.user_says("1").await;
    desk.deliver().await;
    assert!(desk.last_to_user().contains("ticket #1"));
    assert_eq!(
        desk.to_agents().len(),
        6 * 2 + 1,
        "nothing more went to the agents"
    );
}

async fn satisfaction_after_a_solve(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.open_ticket().await;
    let thread = desk.card_thread();
    desk.agent_says(&thread, "!solve").await;
    desk.deliver().await;
    let asked = desk.to_user().pop().unwrap();
    assert!(asked.text().contains("How did we do?"), "{}", asked.text());
    assert_eq!(asked.payload.body.choices().len(), 5);
    let press = desk.event("chat:dm-ada", &ada(), Content::Choice("rate:4".into()));
    desk.engine.handle(&press).await.unwrap();
    desk.deliver().await;
    assert!(
        desk.last_to_agents().contains("rated this ticket 4/5"),
        "{}",
        desk.last_to_agents()
    );
    assert!(desk.last_to_user().contains("Anything you'd like to add?"));
    desk.user_says("Quick and kind, thanks").await;
    desk.deliver().await;
    assert!(desk
        .last_to_agents()
        .contains("Their comment: Quick and kind, thanks"));
    assert!(desk.last_to_user().contains("Thanks for your feedback"));
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    assert_eq!(
        detail.conversation.state,
        State::Solved,
        "a comment does not reopen it"
    );
    let rated = detail.satisfaction.expect("stored");
    assert_eq!(
        (rated.rating, rated.comment.as_deref()),
        (4, Some("Quick and kind, thanks"))
    );
}

async fn transfer_snippet_priority_and_unknown_commands(db: &TestDb) {
    let editable = Capabilities {
        edits: true,
        ..caps(1000)
    };
    let desk = Desk::configured(db.store().await, editable, |c| {
        c.snippets.insert(
            "refund".into(),
            Localized {
                en: "Your refund has started.".into(),
                ko: "환불을 시작했어요.".into(),
            },
        );
    })
    .await;
    desk.open_ticket().await;
    let thread = desk.card_thread();
    desk.agent_says(&thread, "!snippet refund").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("Your refund has started."),
        "{}",
        desk.last_to_user()
    );
    desk.agent_says(&thread, "!snippet nope").await;
    desk.deliver().await;
    assert!(desk
        .last_to_agents()
        .contains("There is no snippet `nope`. Snippets: refund."));

    desk.agent_says(&thread, "!priority high").await;
    desk.deliver().await;
    assert!(desk
        .last_to_agents()
        .contains("Priority set to high by Grace"));
    let redrawn = desk
        .desk
        .sent()
        .into_iter()
        .rfind(|(o, _)| o.payload.kind == OutboundKind::TicketCard)
        .unwrap()
        .0;
    assert!(
        redrawn.text().contains("Priority: high"),
        "{}",
        redrawn.text()
    );

    let told = desk.to_user().len();
    desk.agent_says(&thread, "!frobnicate now").await;
    desk.deliver().await;
    assert!(desk
        .last_to_agents()
        .contains("`!frobnicate` is not a command"));
    assert_eq!(
        desk.to_user().len(),
        told,
        "an unknown command is not relayed"
    );

    desk.agent_says(&thread, "!transfer sales").await;
    desk.deliver().await;
    let sent = desk.to_agents();
    assert!(sent
        .iter()
        .any(|(o, _)| o.to.thread.as_deref() == Some(thread.as_str())
            && o.text().contains("Moved to the sales queue by Grace")));
    let new_card = sent
        .iter()
        .find(|(o, _)| o.payload.kind == OutboundKind::TicketCard && o.to.channel == "sales")
        .expect("the card in the other queue's channel");
    assert!(new_card.0.text().contains("Ticket #1 · sales"));
    assert!(sent
        .iter()
        .any(|(o, _)| o.to.thread.as_deref() == Some(new_card.1.as_str())
            && o.text().contains("Transcript so far")));
    assert!(desk.last_to_user().contains("passed to the sales team"));
    assert_eq!(desk.conversation(1).await.queue.as_deref(), Some("sales"));

    let told = desk.to_user().len();
    assert_eq!(
        desk.agent_says(&thread, "one more thing").await,
        Handled::Done
    );
    desk.deliver().await;
    assert!(
        desk.last_to_agents()
            .contains("moved to the sales queue: answer in its thread there"),
        "{}",
        desk.last_to_agents()
    );
    assert_eq!(
        desk.to_user().len(),
        told,
        "not relayed from the old thread"
    );
    let reply = desk.event(
        &format!("desk:sales/{}", new_card.1),
        &grace(),
        Content::Text("Sales here.".into()),
    );
    desk.engine.handle(&reply).await.unwrap();
    desk.deliver().await;
    assert!(desk.last_to_user().contains("Sales here."));
}

async fn a_blocked_person_is_kept_and_shown_when_unblocked(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.open_ticket().await;
    let thread = desk.card_thread();
    desk.agent_says(&thread, "!block 7d").await;
    desk.deliver().await;
    assert!(
        desk.last_to_agents().contains("Blocked by Grace until"),
        "{}",
        desk.last_to_agents()
    );
    let before = desk.to_agents().len();
    desk.user_says("please let me in").await;
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    assert!(desk.last_to_user().contains("can't open support requests"));
    assert_eq!(desk.to_agents().len(), before, "nothing reached the agents");
    desk.agent_says(&thread, "!unblock").await;
    desk.deliver().await;
    let shown = desk.last_to_agents();
    assert!(
        shown.contains("Unblocked by Grace")
            && shown.contains("While blocked, they wrote:")
            && shown.contains("please let me in"),
        "{shown}"
    );
    desk.user_says("thanks, I'm back").await;
    desk.deliver().await;
    assert!(desk.last_to_agents().contains("thanks, I'm back"));
}

async fn an_idle_conversation_ends_quietly(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("what are your opening hours for the shop")
        .await;
    desk.deliver().await;
    let told = desk.to_user().len();
    desk.clock.advance(25 * 3600 * 1000);
    let ticked = desk.engine.tick(desk.clock.now()).await.unwrap();
    assert_eq!(ticked.idle, 1);
    desk.deliver().await;
    assert_eq!(desk.to_user().len(), told, "it ends without a word");
    let ended = desk.conversation(1).await;
    assert_eq!(
        (ended.state, ended.close_reason.as_deref()),
        (State::Closed, Some("idle"))
    );
    desk.user_says("one more question about the shop hours")
        .await;
    desk.deliver().await;
    assert!(
        desk.to_user()[told].text().contains("Hi again!"),
        "{:?}",
        desk.to_user()[told].text()
    );
    assert_eq!(desk.conversation(2).await.previous_id, Some(1));
}
