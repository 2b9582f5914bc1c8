//! The person's list of conversations, and a handoff asked for in a shared place.

use relaydesk_core::Content;

use crate::desk::{ada, on_both, Desk, TestDb};

on_both!(history_and_a_handoff_from_a_shared_place);

async fn history_and_a_handoff_from_a_shared_place(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let mut mention = desk.event(
        "chat:general/t1",
        &ada(),
        Content::Text("talk to sales".into()),
    );
    mention.private_address = Some("chat:dm-ada".parse().unwrap());
    desk.engine.handle(&mention).await.unwrap();
    desk.deliver().await;
    let user = desk.to_user();
    let said_at = |to: &str| {
        user.iter()
            .filter(|o| o.to.to_string() == to)
            .map(|o| o.text().into_owned())
            .collect::<Vec<_>>()
    };
    let in_thread = said_at("chat:general/t1");
    assert_eq!(in_thread.len(), 1, "{in_thread:?}");
    assert!(in_thread[0].contains("direct message"), "{in_thread:?}");
    let in_private = said_at("chat:dm-ada");
    assert_eq!(in_private.len(), 1, "{in_private:?}");
    assert!(
        in_private[0].contains("ticket #1 with the sales team"),
        "{in_private:?}"
    );

    let ask = desk.event("chat:dm-ada", &ada(), Content::History);
    desk.engine.handle(&ask).await.unwrap();
    desk.deliver().await;
    let list = desk.to_user().pop().unwrap();
    assert_eq!(list.to.to_string(), "chat:dm-ada");
    assert!(
        list.text().contains("#1 · talk to sales · queued"),
        "{}",
        list.text()
    );
}
