//! Opening a ticket: the card, the transcript, the number to the person; and a ticket's
//! life from there to its close.

use relaydesk_core::store::Reports;
use relaydesk_core::{Address, Content, State};

use crate::desk::{ada, on_both, Desk, TestDb};

on_both!(
    handoff_relay_notes_close_and_new_conversation,
    a_deleted_message_stays_out_of_the_transcript,
);

async fn handoff_relay_notes_close_and_new_conversation(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("my invoice shows the wrong company name")
        .await;
    desk.user_says("can I please talk to an agent?").await;
    desk.deliver().await;

    let user = desk.to_user();
    assert!(
        user[0].text().contains("couldn't find"),
        "{}",
        user[0].text()
    );
    assert!(user[1].text().contains("ticket #1"), "{}", user[1].text());
    let agents = desk.to_agents();
    assert!(
        agents[0].0.text().starts_with("Ticket #1 · support"),
        "{}",
        agents[0].0.text()
    );
    assert!(agents[0].0.text().contains("unverified"));
    let thread = desk.card_thread();
    assert_eq!(
        agents[1].0.to,
        Address::new("desk", "agents").in_thread(&thread),
        "transcript in the card's thread"
    );
    assert!(agents[1]
        .0
        .text()
        .contains("Ada: my invoice shows the wrong company name"));

    desk.agent_says(&thread, "Hi Ada, I'm fixing it now.").await;
    desk.agent_says(&thread, "!note customer is on the old plan")
        .await;
    desk.agent_says(&thread, "// also internal").await;
    desk.user_says("thank you!").await;
    desk.deliver().await;
    let user = desk.to_user();
    assert_eq!(user.len(), 3, "the note and // stay internal: {user:#?}");
    assert_eq!(user[2].text(), "Hi Ada, I'm fixing it now.");
    assert_eq!(user[2].payload.sender.as_deref(), Some("Grace"));
    let last = desk.to_agents().last().unwrap().0.clone();
    assert_eq!(
        (last.text().as_ref(), last.payload.sender.as_deref()),
        ("thank you!", Some("Ada"))
    );
    assert_eq!(last.to.thread.as_deref(), Some(thread.as_str()));

    desk.agent_says(&thread, "!close fixed the invoice").await;
    desk.deliver().await;
    assert!(desk
        .to_user()
        .last()
        .unwrap()
        .text()
        .contains("Ticket #1 has been closed (fixed the invoice)"));
    let closed = desk.conversation(1).await;
    assert_eq!(closed.state, State::Closed);

    desk.user_says("one more question about refunds please")
        .await;
    let list = desk.store.list_conversations(10).await.unwrap();
    assert_eq!(list.len(), 2);
    let new = desk
        .store
        .conversation(list[0].id)
        .await
        .unwrap()
        .unwrap()
        .conversation;
    assert_eq!((new.state, new.previous_id), (State::Bot, Some(1)));
}

async fn a_deleted_message_stays_out_of_the_transcript(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let oops = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Text("my password is hunter2".into()),
    );
    desk.engine.handle(&oops).await.unwrap();
    let gone = desk.event("chat:dm-ada", &ada(), Content::Deleted { id: oops.id });
    desk.engine.handle(&gone).await.unwrap();
    desk.open_ticket().await;
    let transcript = desk
        .to_agents()
        .into_iter()
        .find(|(o, _)| o.text().starts_with("Transcript"))
        .expect("a transcript")
        .0;
    assert!(
        !transcript.text().contains("hunter2"),
        "{}",
        transcript.text()
    );
}
