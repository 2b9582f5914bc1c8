//! Verification and away emails through the engine (`engine/verify.rs`,
//! `engine/away.rs`), on both databases: codes, limits and the card; signed links'
//! states; away emails batched, written once, and the email outbox's claims.

use relaydesk_core::desk::identity::Verify;
use relaydesk_core::engine::LinkCheck;
use relaydesk_core::store::EmailQueue;
use relaydesk_core::{EngineConfig, OutboundKind, Reports, State};

use crate::desk::{caps, on_both, Desk, TestDb};

on_both!(
    a_code_binds_the_identity_and_the_card_says_so,
    codes_are_limited_per_hour_and_per_code,
    a_signed_link_state_is_used_once_and_refusals_spend_it,
    away_replies_become_one_email_and_the_outbox_claims_it_once
);

fn verifying(config: &mut EngineConfig, login: bool) {
    config.queues[0].verify = Verify::Required;
    config.identity.code = true;
    if login {
        config.identity.login_url = Some("https://app.example.com/login".into());
    }
    config.notify.enabled = true;
    config.notify.public_url = "https://desk.example.com".into();
}

async fn verified(db: &TestDb) -> Desk {
    let desk = Desk::configured(db.store().await, caps(4000), |c| verifying(c, false)).await;
    desk.user_says("talk to an agent").await;
    desk.user_says("Ada@Example.com").await;
    let (code, to) = desk.codes.code(1);
    assert_eq!(to, "ada@example.com");
    desk.user_says(&code).await;
    desk.deliver().await;
    desk
}

async fn a_code_binds_the_identity_and_the_card_says_so(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), |c| verifying(c, false)).await;
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("What's your email address?"),
        "{}",
        desk.last_to_user()
    );
    let conv = desk.conversation(1).await;
    assert_eq!(conv.state, State::Verifying);
    desk.user_says("ada@example.com").await;
    let (code, _) = desk.codes.code(1);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    desk.user_says(wrong).await;
    let typed = desk.last_event_id();
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("Tries left: 4."),
        "{}",
        desk.last_to_user()
    );
    // Edited into the right code: kept out of the transcript too.
    let edit = desk.event(
        "chat:dm-ada",
        &crate::desk::ada(),
        relaydesk_core::Content::Edited {
            id: typed,
            text: format!("oops, it is {code}"),
        },
    );
    desk.engine.handle(&edit).await.unwrap();
    desk.user_says(&code).await;
    desk.deliver().await;
    assert_eq!(desk.conversation(1).await.state, State::Queued);
    let card = desk
        .to_agents()
        .into_iter()
        .find(|(o, _)| o.payload.kind == OutboundKind::TicketCard)
        .expect("a card")
        .0
        .text()
        .into_owned();
    assert!(
        card.contains("ada@example.com (verified by email code)"),
        "{card}"
    );
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    let bodies: Vec<&str> = detail.messages.iter().map(|m| m.body.as_str()).collect();
    assert!(bodies.contains(&"oops, it is ••••••"), "{bodies:?}");
    assert!(bodies.contains(&"••••••"), "{bodies:?}");
    assert!(!bodies.iter().any(|b| b.contains(&code)), "{bodies:?}");

    // Known now: the next ticket asks nothing.
    desk.user_says("new ticket").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("opened ticket #2"),
        "{}",
        desk.last_to_user()
    );
}

async fn codes_are_limited_per_hour_and_per_code(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), |c| verifying(c, false)).await;
    desk.user_says("talk to an agent").await;
    desk.user_says("ada@example.com").await;
    let (code, _) = desk.codes.code(1);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        desk.user_says(wrong).await;
    }
    desk.user_says(&code).await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("last try"),
        "{}",
        desk.last_to_user()
    );
    assert_eq!(desk.conversation(1).await.state, State::Verifying);
    desk.user_says("new code").await;
    desk.user_says("new code").await;
    desk.user_says("new code").await;
    desk.deliver().await;
    assert_eq!(desk.codes.count(), 3);
    assert!(
        desk.last_to_user().contains("3 codes in the last hour"),
        "{}",
        desk.last_to_user()
    );
    // An hour on, codes go out again; an old code was replaced and works no more.
    desk.clock.advance(61 * 60 * 1000);
    desk.user_says("new code").await;
    assert_eq!(desk.codes.count(), 4);
    let (old, _) = desk.codes.code(3);
    let (fresh, _) = desk.codes.code(4);
    if old != fresh {
        desk.user_says(&old).await;
        desk.deliver().await;
        assert!(
            desk.last_to_user().contains("isn't right"),
            "{}",
            desk.last_to_user()
        );
    }
    desk.user_says(&fresh).await;
    assert_eq!(desk.conversation(1).await.state, State::Queued);
}

fn state_in(text: &str) -> String {
    let at = text.find("state=").expect("a link with a state") + 6;
    text[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

async fn a_signed_link_state_is_used_once_and_refusals_spend_it(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), |c| verifying(c, true)).await;
    desk.user_says("talk to an agent").await;
    desk.user_says("2").await;
    desk.deliver().await;
    let state = state_in(&desk.last_to_user());
    let engine = &desk.engine;
    assert!(matches!(
        engine.link_state(&state).await.unwrap(),
        LinkCheck::Usable(_)
    ));
    assert_eq!(engine.link_state("nope").await.unwrap(), LinkCheck::Unknown);
    for _ in 0..4 {
        assert!(matches!(
            engine.link_refused(&state).await.unwrap(),
            LinkCheck::Usable(_)
        ));
    }
    engine
        .link_verified(&state, "token-1", "Ada@Example.com")
        .await
        .unwrap();
    desk.deliver().await;
    assert_eq!(desk.conversation(1).await.state, State::Queued);
    assert!(matches!(
        engine.link_state(&state).await.unwrap(),
        LinkCheck::Used(_)
    ));
    assert!(engine
        .link_verified(&state, "token-2", "x@example.com")
        .await
        .is_err());

    // A second person's link: five refusals spend it, and they are told in the chat.
    let desk = Desk::configured(db.store().await, caps(4000), |c| verifying(c, true)).await;
    let bo = relaydesk_core::Person {
        platform: "chat".into(),
        id: "U-bo".into(),
        display_name: "Bo".into(),
        verified_email: None,
    };
    for text in ["talk to an agent", "sign in link"] {
        let ev = desk.event(
            "chat:dm-bo",
            &bo,
            relaydesk_core::Content::Text(text.into()),
        );
        desk.engine.handle(&ev).await.unwrap();
    }
    desk.deliver().await;
    let state = state_in(&desk.last_to_user());
    for _ in 0..5 {
        desk.engine.link_refused(&state).await.unwrap();
    }
    desk.deliver().await;
    assert!(matches!(
        desk.engine.link_state(&state).await.unwrap(),
        LinkCheck::Used(_)
    ));
    assert!(
        desk.last_to_user().contains("refused too many times"),
        "{}",
        desk.last_to_user()
    );
    // Fifteen minutes on, a fresh link has expired.
    let ev = desk.event(
        "chat:dm-bo",
        &bo,
        relaydesk_core::Content::Text("new link".into()),
    );
    desk.engine.handle(&ev).await.unwrap();
    desk.deliver().await;
    let state = state_in(&desk.last_to_user());
    // Ada's token, replayed with Bo's state: refused, and nothing bound.
    assert!(matches!(
        desk.engine
            .link_verified(&state, "token-1", "ada@example.com")
            .await,
        Err(relaydesk_core::engine::LinkError::Refused(LinkCheck::Used(
            _
        )))
    ));
    assert!(matches!(
        desk.engine.link_state(&state).await.unwrap(),
        LinkCheck::Usable(_)
    ));
    desk.clock.advance(15 * 60 * 1000);
    let ev = desk.event(
        "chat:dm-bo",
        &bo,
        relaydesk_core::Content::Text("hello?".into()),
    );
    desk.engine.handle(&ev).await.unwrap();
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("has expired"),
        "{}",
        desk.last_to_user()
    );
    assert!(matches!(
        desk.engine.link_state(&state).await.unwrap(),
        LinkCheck::Expired(_)
    ));
}

async fn away_replies_become_one_email_and_the_outbox_claims_it_once(db: &TestDb) {
    let desk = verified(db).await;
    let thread = desk.card_thread();
    // Within away_after of the person's last word: no email is scheduled.
    desk.clock.advance(1000);
    desk.agent_says(&thread, "Hello!").await;
    desk.clock.advance(20 * 60 * 1000);
    assert_eq!(desk.engine.away_emails(desk.clock_now()).await.unwrap(), 0);

    for reply in ["One.", "Two.", "Three."] {
        desk.agent_says(&thread, reply).await;
        desk.clock.advance(10_000);
    }
    assert_eq!(
        desk.engine.away_emails(desk.clock_now()).await.unwrap(),
        0,
        "not due yet"
    );
    desk.clock.advance(2 * 60 * 1000);
    assert_eq!(desk.engine.away_emails(desk.clock_now()).await.unwrap(), 1);
    assert_eq!(
        desk.engine.away_emails(desk.clock_now()).await.unwrap(),
        0,
        "once"
    );

    let now = desk.clock_now();
    let store = &desk.store;
    let row = store
        .claim_email(now, 60_000)
        .await
        .unwrap()
        .expect("an email");
    assert_eq!((row.to.as_str(), row.attempts), ("ada@example.com", 1));
    assert_eq!(row.subject, "New reply to your ticket #1");
    // Every reply since the person last wrote, the first included.
    for reply in ["Hello!", "One.", "Two.", "Three.", "Grace wrote:"] {
        assert!(row.text.contains(reply), "{reply}: {}", row.text);
    }
    assert!(
        store.claim_email(now, 60_000).await.unwrap().is_none(),
        "claimed"
    );
    store
        .email_retry(row.id, now + 1000, "451 busy")
        .await
        .unwrap();
    assert!(
        store.claim_email(now, 60_000).await.unwrap().is_none(),
        "not yet"
    );
    let again = store
        .claim_email(now + 1000, 60_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempts, 2);
    store.email_sent(again.id, now + 1000).await.unwrap();
    assert!(store
        .claim_email(now + 120_000, 60_000)
        .await
        .unwrap()
        .is_none());
    let listed = store.emails(10).await.unwrap();
    assert_eq!(listed[0].status, "sent");

    // Unsubscribed: the next absence writes nothing.
    let url = row.unsubscribe_url.expect("an unsubscribe link");
    let token = url.split("token=").nth(1).unwrap();
    assert_eq!(
        store.unsubscribe(token, now).await.unwrap().as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(store.unsubscribe("nope", now).await.unwrap(), None);
    desk.clock.advance(20 * 60 * 1000);
    desk.agent_says(&thread, "Four.").await;
    desk.clock.advance(3 * 60 * 1000);
    assert_eq!(desk.engine.away_emails(desk.clock_now()).await.unwrap(), 0);
}
