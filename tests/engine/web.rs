//! The web side through the engine and the store (`engine/web.rs`, the `WebStore`
//! port), on both databases: a form's ticket and its confirmation, agents' replies
//! emailed to a web requester, replies from My activity, and what the web side keeps.

use relaydesk_core::adapter::FileRef;
use relaydesk_core::engine::{WebError, WebRequest};
use relaydesk_core::store::EmailQueue;
use relaydesk_core::text::Lang;
use relaydesk_core::web::WebStore;
use relaydesk_core::{EngineConfig, OutboundKind, Priority, Reports, State};

use crate::desk::{caps, on_both, Desk, TestDb};

on_both!(
    a_form_opens_a_ticket_with_its_card_files_and_a_confirmation,
    a_form_sent_twice_opens_one_ticket,
    agents_replies_are_emailed_to_a_web_requester_without_the_notes,
    a_requester_replies_to_their_own_open_tickets_only,
    a_signed_in_requester_is_one_with_their_verified_chat_identity,
    a_blocked_requester_opens_nothing_and_adds_nothing,
    sign_in_links_sessions_and_submissions_are_kept,
);

fn mailing(config: &mut EngineConfig) {
    config.notify.enabled = true;
    config.notify.public_url = "https://desk.example.com".into();
}

fn request(key: &str, email: &str, subject: &str) -> WebRequest {
    WebRequest {
        key: key.into(),
        email: email.into(),
        queue: "support".into(),
        answers: vec![(
            "business_impact".into(),
            "critical".into(),
            "Critical".into(),
        )],
        subject: subject.into(),
        description: "Every invoice since March is missing.\nPlease help.".into(),
        files: Vec::new(),
        lang: Lang::En,
    }
}

/// Every email written so far, claimed from the outbox: (to, subject, text).
async fn emails(desk: &Desk) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    while let Some(row) = desk
        .store
        .claim_email(desk.clock_now(), 60_000)
        .await
        .unwrap()
    {
        desk.store
            .email_sent(row.id, desk.clock_now())
            .await
            .unwrap();
        out.push((row.to, row.subject, row.text));
    }
    out
}

async fn a_form_opens_a_ticket_with_its_card_files_and_a_confirmation(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), mailing).await;
    let mut form = request("f1", "ada@example.com", "Invoices <missing>");
    form.files = vec![FileRef {
        name: "invoice.pdf".into(),
        url: "file:///srv/relaydesk/files/f1-0-invoice.pdf".into(),
        size: 9,
        mime: Some("application/pdf".into()),
    }];
    assert_eq!(desk.engine.web_request(&form).await.unwrap(), 1);
    desk.deliver().await;
    let conv = desk.conversation(1).await;
    assert_eq!(conv.state, State::Queued);
    assert_eq!(conv.priority, Some(Priority::Critical));
    assert_eq!(conv.subject.as_deref(), Some("Invoices <missing>"));
    assert_eq!(conv.user_address.to_string(), "web:ada@example.com");
    let sent = desk.to_agents();
    let card = sent
        .iter()
        .find(|(o, _)| o.payload.kind == OutboundKind::TicketCard)
        .expect("a card")
        .0
        .text()
        .into_owned();
    for line in [
        "Ticket #1 · support",
        "Priority: critical",
        "Subject: Invoices <missing>",
        "Via the web form",
    ] {
        assert!(card.contains(line), "{line}: {card}");
    }
    assert!(
        sent.iter()
            .any(|(o, _)| matches!(&o.payload.body, relaydesk_core::adapter::Body::File(f) if f.name == "invoice.pdf")),
        "the file follows the card into its thread"
    );
    let mail = emails(&desk).await;
    assert_eq!(mail.len(), 1);
    let (to, subject, text) = &mail[0];
    assert_eq!(
        (to.as_str(), subject.as_str()),
        ("ada@example.com", "We received your request: ticket #1")
    );
    assert!(text.contains("Invoices <missing>"), "{text}");
    assert!(
        text.contains("https://desk.example.com/activity/tickets/1"),
        "{text}"
    );
}

async fn a_form_sent_twice_opens_one_ticket(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), mailing).await;
    let form = request("same-form", "ada@example.com", "Twice");
    assert_eq!(desk.engine.web_request(&form).await.unwrap(), 1);
    assert_eq!(desk.engine.web_request(&form).await.unwrap(), 1);
    let other = request("another-form", "ada@example.com", "Again");
    assert_eq!(desk.engine.web_request(&other).await.unwrap(), 2);
    // The first one reloaded after the second: still the first one's number.
    assert_eq!(desk.engine.web_request(&form).await.unwrap(), 1);
    // The same form sent again with the address corrected is another request.
    let corrected = request("same-form", "bo@example.com", "Twice");
    assert_eq!(desk.engine.web_request(&corrected).await.unwrap(), 3);
    let mut unknown = request("f3", "ada@example.com", "Nowhere");
    unknown.queue = "nowhere".into();
    assert!(matches!(
        desk.engine.web_request(&unknown).await,
        Err(WebError::NoQueue(_))
    ));
    assert_eq!(emails(&desk).await.len(), 3);
}

async fn agents_replies_are_emailed_to_a_web_requester_without_the_notes(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), mailing).await;
    desk.engine
        .web_request(&request("f1", "ada@example.com", "Invoices"))
        .await
        .unwrap();
    desk.deliver().await;
    emails(&desk).await;
    let thread = desk.card_thread();
    // At once: a web requester is never in a chat to read it.
    desk.clock.advance(1000);
    desk.agent_says(&thread, "// internal: billing export broke in March")
        .await;
    desk.agent_says(&thread, "They're back now, see Billing > Invoices.")
        .await;
    desk.clock.advance(2 * 60 * 1000 + 1);
    assert_eq!(desk.engine.away_emails(desk.clock_now()).await.unwrap(), 1);
    let mail = emails(&desk).await;
    assert_eq!(mail.len(), 1);
    let (to, subject, text) = &mail[0];
    assert_eq!(
        (to.as_str(), subject.as_str()),
        ("ada@example.com", "New reply to your ticket #1")
    );
    assert!(text.contains("They're back now"), "{text}");
    assert!(!text.contains("billing export"), "{text}");
    assert!(
        text.contains("https://desk.example.com/activity/tickets/1"),
        "{text}"
    );
}

async fn a_requester_replies_to_their_own_open_tickets_only(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), mailing).await;
    desk.engine
        .web_request(&request("f1", "ada@example.com", "Mine"))
        .await
        .unwrap();
    desk.engine
        .web_request(&request("f2", "bo@example.com", "Bo's"))
        .await
        .unwrap();
    desk.deliver().await;
    desk.engine
        .web_reply("Ada@Example.com", 1, "More details: it's every invoice.")
        .await
        .unwrap();
    desk.deliver().await;
    assert!(
        desk.last_to_agents()
            .contains("More details: it's every invoice."),
        "{}",
        desk.last_to_agents()
    );
    assert!(matches!(
        desk.engine
            .web_reply("ada@example.com", 2, "Not mine")
            .await,
        Err(WebError::NotTheirs(2))
    ));
    assert!(matches!(
        desk.engine.web_reply("ada@example.com", 7, "No such").await,
        Err(WebError::NotTheirs(7))
    ));
    // Solved: a reply reopens it. Closed: a new request is needed.
    let thread = desk.card_thread();
    let first = desk
        .to_agents()
        .into_iter()
        .filter(|(o, _)| o.payload.kind == OutboundKind::TicketCard)
        .map(|(_, id)| id)
        .next()
        .unwrap();
    assert_ne!(first, thread);
    desk.agent_says(&first, "!solve").await;
    assert_eq!(desk.conversation(1).await.state, State::Solved);
    desk.engine
        .web_reply("ada@example.com", 1, "Still broken")
        .await
        .unwrap();
    assert_eq!(desk.conversation(1).await.state, State::Queued);
    desk.agent_says(&first, "!close duplicate").await;
    assert!(matches!(
        desk.engine.web_reply("ada@example.com", 1, "Hello?").await,
        Err(WebError::Closed(1))
    ));
    let listed = desk
        .store
        .requester_tickets("ada@example.com")
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].number, listed[0].state), (1, State::Closed));
    assert_eq!(listed[0].subject, "Mine");
    assert_eq!(listed[0].channel, "web");
}

async fn a_signed_in_requester_is_one_with_their_verified_chat_identity(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), |c| {
        mailing(c);
        c.queues[0].verify = relaydesk_core::desk::identity::Verify::Required;
        c.identity.code = true;
    })
    .await;
    // Ada verifies her chat identity with a code, and her ticket opens.
    desk.user_says("talk to an agent").await;
    desk.user_says("ada@example.com").await;
    let (code, _) = desk.codes.code(1);
    desk.user_says(&code).await;
    desk.deliver().await;
    assert_eq!(desk.conversation(1).await.state, State::Queued);
    // Her web ticket, and her chat ticket, under one address.
    desk.engine
        .web_request(&request("f1", "ada@example.com", "From the web"))
        .await
        .unwrap();
    let listed = desk
        .store
        .requester_tickets("ada@example.com")
        .await
        .unwrap();
    let channels: Vec<(i64, &str)> = listed
        .iter()
        .map(|t| (t.number, t.channel.as_str()))
        .collect();
    assert_eq!(channels, [(2, "web"), (1, "chat")]);
    assert!(desk
        .store
        .requester_tickets("bo@example.com")
        .await
        .unwrap()
        .is_empty());
    // Signed in on the web, she can answer her chat ticket from there.
    desk.engine.web_signed_in("ada@example.com").await.unwrap();
    desk.engine
        .web_reply("ada@example.com", 1, "Also from the web")
        .await
        .unwrap();
    desk.deliver().await;
    assert!(
        desk.to_agents()
            .iter()
            .any(|(o, _)| o.text().contains("Also from the web")),
        "{:?}",
        desk.to_agents()
    );
}

async fn sign_in_links_sessions_and_submissions_are_kept(db: &TestDb) {
    let desk = Desk::new(db.store().await).await;
    let store = &desk.store;
    let now = desk.clock_now();
    store
        .add_signin("h1", "ada@example.com", now + 900_000, now)
        .await
        .unwrap();
    store
        .add_signin("h2", "ada@example.com", now + 900_000, now)
        .await
        .unwrap();
    assert_eq!(
        store
            .signins_since("ada@example.com", now - 1)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .signins_since("ada@example.com", now + 1)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store.use_signin("h1", now + 1).await.unwrap().as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(store.use_signin("h1", now + 2).await.unwrap(), None, "once");
    assert_eq!(
        store.use_signin("h2", now + 900_000).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.use_signin("unknown", now).await.unwrap(), None);

    store
        .add_session("s1", "ada@example.com", now + 1000, now)
        .await
        .unwrap();
    assert_eq!(
        store.session("s1", now).await.unwrap().as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(
        store.session("s1", now + 1000).await.unwrap(),
        None,
        "expired"
    );
    store.end_session("s1").await.unwrap();
    assert_eq!(store.session("s1", now).await.unwrap(), None);

    store
        .record_submission("ada@example.com", "10.0.0.1", now)
        .await
        .unwrap();
    store
        .record_submission("bo@example.com", "10.0.0.1", now)
        .await
        .unwrap();
    store
        .record_submission("ada@example.com", "10.0.0.2", now - 3_600_001)
        .await
        .unwrap();
    assert_eq!(
        store
            .submissions_since("ada@example.com", "10.0.0.1", now - 3_600_000)
            .await
            .unwrap(),
        (1, 2)
    );
}

async fn a_blocked_requester_opens_nothing_and_adds_nothing(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(4000), mailing).await;
    desk.engine
        .web_request(&request("f1", "ada@example.com", "First"))
        .await
        .unwrap();
    desk.deliver().await;
    let thread = desk.card_thread();
    desk.agent_says(&thread, "!block 7d").await;
    assert!(matches!(
        desk.engine
            .web_request(&request("f2", "ada@example.com", "Second"))
            .await,
        Err(WebError::Blocked)
    ));
    assert!(matches!(
        desk.engine.web_reply("ada@example.com", 1, "Hello?").await,
        Err(WebError::Blocked)
    ));
    let listed = desk
        .store
        .requester_tickets("ada@example.com")
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "no second ticket");
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    assert!(!detail.messages.iter().any(|m| m.body == "Hello?"));
    assert_eq!(
        desk.store
            .requester_ticket("ada@example.com", 1)
            .await
            .unwrap()
            .map(|t| t.number),
        Some(1)
    );
    assert_eq!(
        desk.store
            .requester_ticket("bo@example.com", 1)
            .await
            .unwrap(),
        None
    );
}
