//! The ticket card agents see, its buttons, and the transcript under it.

use crate::adapter::{Body, CardStatus, Choice, TicketCard, Verified};
use crate::desk::choice::{CLAIM, CLOSE, REOPEN};
use crate::i18n;
use crate::store::TriageAnswer;
use crate::types::{Author, Conversation, Message, Person, State};

/// The card posted in the agent channel when a ticket opens.
pub fn ticket_card(conv: &Conversation, person: &Person, queue: &str) -> TicketCard {
    TicketCard {
        number: conv.ticket_number.unwrap_or(conv.id),
        queue: queue.to_string(),
        person: person.display_name.clone(),
        platform: person.platform.clone(),
        person_id: person.id.clone(),
        verified: person.verified_email.as_ref().map(|email| Verified {
            email: email.clone(),
            by: person.platform.clone(),
        }),
        also: Vec::new(),
        lang: conv.lang.as_str().to_string(),
        continues: conv.previous_id,
        priority: conv.priority.map(|p| p.to_string()),
        triage: Vec::new(),
        post: None,
        web_form: person.platform == crate::web::WEB,
        status: None,
    }
}

/// The card as first posted, redrawn with where the ticket stands and the buttons
/// that fit. A card stored as plain text gets the status as a last line.
pub fn redrawn(card: &Body, conv: &Conversation) -> Body {
    let status = CardStatus {
        state: conv.state,
        assignee: conv.assignee.as_ref().map(|a| a.name.clone()),
        reason: conv.close_reason.clone(),
    };
    let choices = card_choices(conv.state);
    match card {
        Body::Card { card, .. } => Body::Card {
            card: Box::new(TicketCard {
                status: Some(status),
                priority: conv
                    .priority
                    .map(|p| p.to_string())
                    .or_else(|| card.priority.clone()),
                ..(**card).clone()
            }),
            choices,
        },
        other => {
            let line = i18n::agents().card_status(
                status.state,
                status.assignee.as_deref(),
                status.reason.as_deref(),
            );
            Body::words(format!("{}\n{line}", other.text()), choices)
        }
    }
}

/// The triage answers as the card shows them: the question's id in words, and the
/// answer (or that it was skipped).
pub fn triage_fields(answers: &[TriageAnswer]) -> Vec<(String, String)> {
    let say = i18n::agents();
    answers
        .iter()
        .map(|a| {
            let mut name = a.question.replace('_', " ");
            if let Some(first) = name.get(..1) {
                name = first.to_uppercase() + &name[1..];
            }
            let shown = a.shown.clone().unwrap_or_else(|| say.skipped().to_string());
            (name, shown)
        })
        .collect()
}

/// The buttons under a ticket card in each state.
pub fn card_choices(state: State) -> Vec<Choice> {
    let [claim, close, reopen] = i18n::agents().card_buttons();
    let choice = |value: &str, label: &str| Choice {
        value: value.into(),
        label: label.into(),
    };
    match state {
        State::Closed => vec![choice(REOPEN, reopen)],
        State::Assigned | State::Solved => vec![choice(CLOSE, close)],
        _ => vec![choice(CLAIM, claim), choice(CLOSE, close)],
    }
}

/// What was said before the handoff, for the agents; internal notes stay out.
pub fn transcript(messages: &[Message]) -> String {
    let say = i18n::agents();
    let mut out = String::from(say.transcript_intro());
    for m in messages {
        let who = match m.author {
            Author::User | Author::Agent => m.author_name.as_str(),
            Author::Bot => say.transcript_bot(),
            Author::Note => continue,
        };
        out.push_str(&format!("\n{who}: {}", m.body));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;
    use crate::types::Address;

    fn conv() -> Conversation {
        Conversation {
            id: 4,
            user_id: 1,
            state: State::Queued,
            user_address: Address::new("chat", "dm"),
            lang: Lang::Ko,
            queue: Some("support".into()),
            ticket_number: Some(9),
            agent_address: None,
            assignee: None,
            close_reason: None,
            previous_id: Some(2),
            priority: None,
            subject: None,
            offered: Vec::new(),
            solved_at: None,
            closed_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_card_says_who_and_where() {
        let ada = Person {
            platform: "slack".into(),
            id: "U1".into(),
            display_name: "Ada".into(),
            verified_email: Some("ada@example.com".into()),
        };
        let card = ticket_card(&conv(), &ada, "support");
        let text = card.lines().join("\n");
        assert!(text.starts_with("Ticket #9 · support\nFrom: Ada (slack U1) · ada@example.com (verified by slack)\nLanguage: ko\nContinues conversation 2\n"), "{text}");
        let anonymous = Person {
            verified_email: None,
            ..ada
        };
        let card = ticket_card(&conv(), &anonymous, "support");
        assert!(card.lines()[1].ends_with("· unverified"));
    }

    #[test]
    fn status_and_buttons_follow_the_state() {
        let ada = Person {
            platform: "chat".into(),
            id: "ada".into(),
            display_name: "Ada".into(),
            verified_email: None,
        };
        let mut c = conv();
        let first = Body::Card {
            card: Box::new(ticket_card(&c, &ada, "support")),
            choices: card_choices(c.state),
        };
        assert!(redrawn(&first, &c)
            .text()
            .ends_with("Status: waiting for an agent"));
        let grace = crate::types::Assignee {
            agent_id: Some(1),
            name: "Grace".into(),
        };
        c.apply(&crate::desk::Trigger::Claim { agent: &grace }, 1)
            .unwrap();
        let now = redrawn(&first, &c);
        assert!(
            now.text().ends_with("\nStatus: claimed by Grace"),
            "{}",
            now.text()
        );
        assert_eq!(now.choices().len(), 1);
        // A card stored as text before cards had fields keeps its text.
        let old = redrawn(&Body::Text("card".into()), &c);
        assert_eq!(old.text(), "card\nStatus: claimed by Grace");
        let values = |s| {
            card_choices(s)
                .into_iter()
                .map(|c| c.value)
                .collect::<Vec<_>>()
        };
        assert_eq!(values(State::Queued), ["claim", "close"]);
        assert_eq!(values(State::Assigned), ["close"]);
        assert_eq!(values(State::Solved), ["close"]);
        assert_eq!(values(State::Closed), ["reopen"]);
    }

    #[test]
    fn the_transcript_leaves_notes_out() {
        let m = |author, name: &str, body: &str| Message {
            id: 0,
            conversation_id: 4,
            author,
            author_name: name.into(),
            body: body.into(),
            files: Vec::new(),
            created_at: 0,
        };
        let t = transcript(&[
            m(Author::User, "Ada", "my invoice is wrong"),
            m(Author::Bot, "relaydesk", "Here is what I found"),
            m(Author::Note, "Grace", "secret"),
        ]);
        assert_eq!(
            t,
            "Transcript so far:\nAda: my invoice is wrong\nbot: Here is what I found"
        );
    }
}
