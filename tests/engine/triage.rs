//! Triage: the queue's questions before its ticket opens, routing by an answer, and a
//! restart in the middle.

use relaydesk_core::desk::triage::{Localized, Question, QuestionKind, TriageOption};
use relaydesk_core::engine::Route;
use relaydesk_core::store::Reports;
use relaydesk_core::{Content, EngineConfig, Priority, State};

use crate::desk::{ada, caps, on_both, Desk, TestDb};

on_both!(
    triage_routes_by_an_answer_and_resumes_after_a_restart,
    cancel_skip_and_korean
);

fn words(en: &str, ko: &str) -> Localized {
    Localized {
        en: en.into(),
        ko: ko.into(),
    }
}

fn choice(id: &str, required: bool, prompt: Localized, options: &[(&str, &str, &str)]) -> Question {
    Question {
        id: id.into(),
        kind: QuestionKind::Choice(
            options
                .iter()
                .map(|(id, en, ko)| TriageOption {
                    id: (*id).into(),
                    label: words(en, ko),
                })
                .collect(),
        ),
        required,
        prompt,
    }
}

/// `support` asks the type (billing goes to `sales`), the impact and a subject;
/// `sales` asks the impact and the subject.
pub fn with_triage(config: &mut EngineConfig) {
    config.questions = vec![
        choice(
            "question_type",
            true,
            words("What is it about?", "어떤 문의인가요?"),
            &[
                ("technical", "Technical problem", "기술 문제"),
                ("billing", "Billing", "결제"),
            ],
        ),
        choice(
            "business_impact",
            false,
            words(
                "How much is this affecting your business?",
                "업무에 얼마나 영향을 주나요?",
            ),
            &[
                ("low", "Low", "낮음"),
                ("normal", "Normal", "보통"),
                ("high", "High", "높음"),
                ("critical", "Critical", "긴급"),
            ],
        ),
        Question {
            id: "subject".into(),
            kind: QuestionKind::Text,
            required: true,
            prompt: words("In a line, what is wrong?", "한 줄로 설명해 주세요."),
        },
    ];
    let support = &mut config.queues[0];
    support.triage = vec![
        "question_type".into(),
        "business_impact".into(),
        "subject".into(),
    ];
    support.routes = vec![Route {
        question: "question_type".into(),
        option: "billing".into(),
        queue: "sales".into(),
    }];
    config.queues[1].triage = vec!["business_impact".into(), "subject".into()];
}

async fn triage_routes_by_an_answer_and_resumes_after_a_restart(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(1000), with_triage).await;
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    let asked = desk.to_user().pop().unwrap();
    assert!(
        asked.text().contains("What is it about?"),
        "{}",
        asked.text()
    );
    let labels: Vec<_> = asked
        .payload
        .body
        .choices()
        .iter()
        .map(|c| c.label.clone())
        .collect();
    assert_eq!(
        labels,
        ["Technical problem", "Billing"],
        "a required question has no Skip"
    );

    desk.user_says("purple").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("not one of the options"),
        "{}",
        desk.last_to_user()
    );
    desk.user_says("talk to an agent").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("your ticket opens")
            && desk.last_to_user().contains("What is it about?"),
        "asking for an agent during triage does not restart it: {}",
        desk.last_to_user()
    );
    assert!(desk.to_agents().is_empty(), "no ticket before the answers");

    desk.user_says("it's about billing").await;
    desk.deliver().await;
    assert!(desk.last_to_user().contains("How much is this affecting"));
    let conv = desk.conversation(1).await;
    assert_eq!(
        (conv.state, conv.queue.as_deref()),
        (State::Triage, Some("sales")),
        "routed by the answer"
    );

    // A restart: a new engine on the same store asks the same question again.
    let engine = desk.restarted();
    let ev = desk.event("chat:dm-ada", &ada(), Content::Text("hmm".into()));
    engine.handle(&ev).await.unwrap();
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("How much is this affecting"),
        "{}",
        desk.last_to_user()
    );
    let ev = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Choice("triage:business_impact:critical".into()),
    );
    engine.handle(&ev).await.unwrap();
    let ev = desk.event(
        "chat:dm-ada",
        &ada(),
        Content::Text("The invoice shows the wrong company".into()),
    );
    engine.handle(&ev).await.unwrap();
    desk.deliver().await;
    assert!(
        desk.last_to_user()
            .contains("ticket #1 with the sales team"),
        "{}",
        desk.last_to_user()
    );
    let card = desk.to_agents()[0].0.text().into_owned();
    for line in [
        "Ticket #1 · sales",
        "Priority: critical",
        "Question type: Billing",
        "Business impact: Critical",
        "Subject: The invoice shows the wrong company",
    ] {
        assert!(card.contains(line), "{line:?} not on the card:\n{card}");
    }
    let tickets = desk.store.tickets(None, None, 10).await.unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        (
            tickets[0].priority,
            tickets[0].subject.as_str(),
            tickets[0].queue.as_str()
        ),
        (
            Some(Priority::Critical),
            "The invoice shows the wrong company",
            "sales"
        )
    );
    let detail = desk.store.conversation(1).await.unwrap().unwrap();
    assert_eq!(detail.triage.len(), 3, "{:?}", detail.triage);
}

async fn cancel_skip_and_korean(db: &TestDb) {
    let desk = Desk::configured(db.store().await, caps(1000), with_triage).await;
    desk.user_says("talk to an agent").await;
    desk.user_says("skip").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("can't be skipped"),
        "{}",
        desk.last_to_user()
    );
    desk.user_says("1").await;
    desk.user_says("skip").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("In a line, what is wrong?"),
        "an optional question is skipped: {}",
        desk.last_to_user()
    );
    desk.user_says("cancel").await;
    desk.deliver().await;
    assert!(desk.last_to_user().contains("cancelled"));
    assert_eq!(desk.conversation(1).await.state, State::Bot);
    assert!(desk.to_agents().is_empty());

    // In Korean, after a cancel: from the first question again.
    desk.user_says("상담사에게 문의").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("어떤 문의인가요?"),
        "{}",
        desk.last_to_user()
    );
    desk.user_says("결제 관련이에요").await;
    desk.user_says("건너뛰기").await;
    desk.user_says("청구서 회사 이름이 틀렸어요").await;
    desk.deliver().await;
    assert!(
        desk.last_to_user().contains("sales 팀에 티켓 #1을"),
        "{}",
        desk.last_to_user()
    );
    let card = desk.to_agents()[0].0.text().into_owned();
    assert!(card.contains("Business impact: (skipped)"), "{card}");
}
