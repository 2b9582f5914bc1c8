//! What the bot answers before any ticket.

use crate::desk::{on_both, Desk, TestDb};

on_both!(empty_message_gets_a_clear_reply);

async fn empty_message_gets_a_clear_reply(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    desk.user_says("   ").await;
    desk.user_says("hi").await;
    desk.deliver().await;
    let user = desk.to_user();
    assert!(
        user[0].text().contains("arrived empty"),
        "{}",
        user[0].text()
    );
    assert!(
        user[1].text().contains("full sentence"),
        "{}",
        user[1].text()
    );
}
