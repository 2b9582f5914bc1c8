//! A person's message relayed to a ticket, and what it does to a solved one.

use relaydesk_core::store::Reports;
use relaydesk_core::State;

use crate::desk::{on_both, Desk, TestDb};

on_both!(
    long_message_is_split_and_nothing_lost,
    solved_reopens_then_closes_after_four_days,
);

async fn long_message_is_split_and_nothing_lost(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let before = desk.open_ticket().await;
    let long: String = (0..15_000).map(|i| format!("w{i:05} ")).collect::<String>() + "end";
    assert!(long.len() > 100_000);
    desk.user_says(&long).await;
    desk.deliver().await;
    let parts: Vec<String> = desk.to_agents()[before..]
        .iter()
        .map(|(o, _)| o.text().into_owned())
        .collect();
    assert!(
        parts.len() >= 100,
        "split at the desk's 1000 characters: {} parts",
        parts.len()
    );
    assert!(parts.iter().all(|p| p.chars().count() <= 1000));
    assert_eq!(parts.concat(), long);
}

async fn solved_reopens_then_closes_after_four_days(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("상담사에게 문의하고 싶어요").await;
    desk.deliver().await;
    assert!(
        desk.to_user()[0].text().contains("티켓 #1"),
        "answers in Korean: {}",
        desk.to_user()[0].text()
    );
    let thread = desk.card_thread();
    desk.agent_says(&thread, "!solve").await;
    desk.user_says("아직 안 돼요").await;
    let conv = desk.conversation(1).await;
    assert_eq!(
        conv.state,
        State::Queued,
        "a message reopens a solved ticket"
    );
    desk.agent_says(&thread, "!solve").await;
    desk.clock.advance(4 * 24 * 3600 * 1000);
    desk.user_says("새로운 질문이 있어요").await;
    let old = desk.conversation(1).await;
    assert_eq!(old.state, State::Closed);
    let list = desk.store.list_conversations(10).await.unwrap();
    assert_eq!((list[0].state, list.len()), (State::Bot, 2));
}
