//! Learning from the desk (`engine/phrasings.rs`): "Yes, that helped" and `!article
//! <id>` keep the person's question as a phrasing of the article; admins list and
//! remove them through the `Phrasings` port.

use std::sync::Arc;

use relaydesk_core::knowledge::{ArticleHit, Knowledge, Lookup};
use relaydesk_core::phrasing::{Phrasing, PhrasingSource, Phrasings};
use relaydesk_core::text::Lang;
use relaydesk_core::{Content, Engine, OutboundKind, Store};

use crate::desk::{ada, on_both, Desk, TestDb, START};

on_both!(
    helped_keeps_the_question_with_the_first_article_once,
    article_sends_the_link_and_keeps_the_question,
    article_without_an_answer_keeps_the_persons_first_question,
    an_unknown_article_is_refused_in_the_thread,
    phrasings_are_listed_and_removed,
);

const BASE: &str = "https://help.example.com/articles/";

/// A help center of two articles; a question about a password finds both, best first.
struct TwoArticles;

fn hit(id: &str, title: &str) -> ArticleHit {
    ArticleHit {
        id: id.into(),
        title: title.into(),
        url: format!("{BASE}{id}"),
        locale: Lang::En,
        excerpt: vec!["1. Open Settings.".into()],
        score: 1.0,
    }
}

impl Knowledge for TwoArticles {
    fn lookup(&self, question: &str) -> Lookup {
        if relaydesk_core::text::is_too_short(question) {
            Lookup::TooShort
        } else if question.contains("password") {
            Lookup::Articles(vec![
                hit("reset-password", "Reset your password"),
                hit("account-security", "Keep your account safe"),
            ])
        } else {
            Lookup::NoMatch
        }
    }

    fn article(&self, id: &str) -> Option<ArticleHit> {
        match id {
            "reset-password" => Some(hit(id, "Reset your password")),
            "account-security" => Some(hit(id, "Keep your account safe")),
            _ => None,
        }
    }
}

/// The standard desk, its engine asking [`TwoArticles`].
async fn desk_with_articles(db: &TestDb) -> Desk {
    let mut desk = Desk::new(db.store().await).await;
    let store: Arc<dyn Store> = desk.store.clone();
    desk.engine = Arc::new(Engine::new(
        store,
        Arc::new(TwoArticles),
        desk.clock.clone(),
        desk.config.clone(),
        desk.wake.clone(),
    ));
    desk
}

/// Ada presses "Yes, that helped".
async fn press_helped(desk: &Desk) {
    let ev = desk.event("chat:dm-ada", &ada(), Content::Choice("helped".into()));
    desk.engine.handle(&ev).await.expect("handled");
}

fn phrasing(id: i64, article: &str, question: &str, source: PhrasingSource) -> Phrasing {
    Phrasing {
        id,
        article_id: article.into(),
        question: question.into(),
        source,
        created_at: START,
    }
}

async fn helped_keeps_the_question_with_the_first_article_once(db: &TestDb) {
    let desk = desk_with_articles(db).await;
    desk.user_says("How do I reset my password?").await;
    press_helped(&desk).await;
    desk.deliver().await;
    assert!(desk.last_to_user().contains("Glad that helped"));
    let learned = desk.store.phrasings().await.unwrap();
    assert_eq!(
        learned,
        [phrasing(
            learned[0].id,
            "reset-password",
            "How do I reset my password?",
            PhrasingSource::Helped
        )]
    );

    // The same question, answered and found helpful again: still one phrasing.
    desk.user_says("How do I reset my password?").await;
    press_helped(&desk).await;
    assert_eq!(desk.store.phrasings().await.unwrap().len(), 1);

    // "No, I still need help" teaches nothing; nor does an answer with no article.
    desk.user_says("I forgot my password and the email never comes")
        .await;
    let ev = desk.event("chat:dm-ada", &ada(), Content::Choice("more_help".into()));
    desk.engine.handle(&ev).await.unwrap();
    assert_eq!(desk.store.phrasings().await.unwrap().len(), 1);
}

async fn article_sends_the_link_and_keeps_the_question(db: &TestDb) {
    let desk = desk_with_articles(db).await;
    desk.user_says("Where do I change my password?").await;
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    let thread = desk.card_thread();

    desk.agent_says(&thread, "!article reset-password").await;
    desk.deliver().await;
    let sent = desk.to_user().pop().unwrap();
    assert_eq!(sent.payload.kind, OutboundKind::Relay);
    assert_eq!(sent.payload.sender.as_deref(), Some("Grace"));
    assert_eq!(
        sent.text(),
        format!(
            "Here is a help-center article for your question: Reset your password — {BASE}reset-password"
        )
    );
    let told = desk.last_to_agents();
    assert!(
        told.contains("“Where do I change my password?”") && told.contains("Reset your password"),
        "{told}"
    );
    let learned = desk.store.phrasings().await.unwrap();
    assert_eq!(
        learned,
        [phrasing(
            learned[0].id,
            "reset-password",
            "Where do I change my password?",
            PhrasingSource::Agent
        )]
    );
}

async fn article_without_an_answer_keeps_the_persons_first_question(db: &TestDb) {
    let desk = desk_with_articles(db).await;
    // Straight to an agent: the bot was never asked, and "talk to an agent" is no
    // question. What Ada writes next in the ticket is.
    desk.user_says("상담사에게 문의").await;
    desk.deliver().await;
    let thread = desk.card_thread();
    desk.user_says("비밀번호 재설정 메일이 오지 않아요").await;

    desk.agent_says(&thread, "!article account-security").await;
    desk.deliver().await;
    // In her language.
    assert_eq!(
        desk.last_to_user(),
        format!("문의하신 내용에 도움이 될 도움말 문서예요: Keep your account safe — {BASE}account-security")
    );
    let learned = desk.store.phrasings().await.unwrap();
    assert_eq!(learned.len(), 1, "{learned:?}");
    assert_eq!(learned[0].article_id, "account-security");
    assert_eq!(learned[0].question, "비밀번호 재설정 메일이 오지 않아요");
    assert_eq!(learned[0].source, PhrasingSource::Agent);
}

async fn an_unknown_article_is_refused_in_the_thread(db: &TestDb) {
    let desk = desk_with_articles(db).await;
    desk.user_says("How do I reset my password?").await;
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    let thread = desk.card_thread();
    let to_user = desk.to_user().len();

    desk.agent_says(&thread, "!article nope").await;
    desk.agent_says(&thread, "!article").await;
    desk.deliver().await;
    let told: Vec<String> = desk
        .to_agents()
        .iter()
        .rev()
        .take(2)
        .map(|(o, _)| o.text().into_owned())
        .collect();
    assert!(
        told[1].contains("There is no help-center article `nope`")
            && told[1].contains("Nothing was sent"),
        "{told:?}"
    );
    assert!(told[0].contains("`!article <id>`"), "{told:?}");
    assert_eq!(desk.to_user().len(), to_user, "nothing reached Ada");
    assert!(desk.store.phrasings().await.unwrap().is_empty());
}

async fn phrasings_are_listed_and_removed(db: &TestDb) {
    let store = db.store().await;
    let mut tx = store.begin().await.unwrap();
    for (article, question) in [
        ("reset-password", "forgot my password"),
        ("refunds", "환불은 어떻게 받나요?"),
        ("reset-password", "forgot my password"),
    ] {
        tx.learn_phrasing(article, question, PhrasingSource::Agent, None, START)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let listed = store.phrasings().await.unwrap();
    let ids: Vec<i64> = listed.iter().map(|p| p.id).collect();
    assert_eq!(
        listed,
        [
            phrasing(
                ids[0],
                "reset-password",
                "forgot my password",
                PhrasingSource::Agent
            ),
            phrasing(
                ids[1],
                "refunds",
                "환불은 어떻게 받나요?",
                PhrasingSource::Agent
            ),
        ]
    );
    assert!(store.remove_phrasing(ids[0]).await.unwrap());
    assert!(
        !store.remove_phrasing(ids[0]).await.unwrap(),
        "gone already"
    );
    assert!(!store.remove_phrasing(ids[1] + 1000).await.unwrap());
    let left: Vec<String> = store
        .phrasings()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.article_id)
        .collect();
    assert_eq!(left, ["refunds"]);
}
