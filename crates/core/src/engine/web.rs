//! The web side's requests: a ticket from the request form, and a requester's reply
//! from "My activity". A web requester is the person `web:<email>`: what is said to
//! them is kept in the transcript they read in My activity, and agents' replies reach
//! them by email (away.rs, with no wait for them to leave: they are never in a chat).

use crate::adapter::{Content, FileRef, Inbound};
use crate::desk::Trigger;
use crate::email::{Letter, Part};
use crate::i18n;
use crate::store::{NewConversation, NewEmail, NewMessage, StoreError, TriageAnswer};
use crate::text::Lang;
use crate::types::{Address, Author, Person, State};
use crate::web::WEB;

use super::turn::Turn;
use super::{Engine, EngineError};

/// A request from the web form, checked by the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebRequest {
    /// Unique per submission: the same request submitted twice opens one ticket.
    pub key: String,
    /// The requester's address, lower case.
    pub email: String,
    /// The queue its question type goes to.
    pub queue: String,
    /// Triage answers taken from the form: question id, option id, the option as shown.
    pub answers: Vec<(String, String, String)>,
    /// The subject line.
    pub subject: String,
    /// What the requester wrote.
    pub description: String,
    /// The attachments, kept where the adapters read kept files.
    pub files: Vec<FileRef>,
    /// The language of the form.
    pub lang: Lang,
}

/// Why a web request or reply was not taken. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The form named a queue that does not exist.
    #[error("no queue is named `{0}`")]
    NoQueue(String),
    /// The ticket is not the requester's (or does not exist).
    #[error("ticket #{0} is not the requester's")]
    NotTheirs(i64),
    /// The ticket is closed: a new request is needed.
    #[error("ticket #{0} is closed")]
    Closed(i64),
    /// An agent blocked the requester (`!block`): nothing they send is taken.
    #[error("the requester is blocked")]
    Blocked,
    /// No mailer is set up (`[smtp]`).
    #[error("email is not set up")]
    NoMail,
    /// The engine could not take it.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Engine(EngineError::Store(e))
    }
}

/// How a web identity's address was verified, as the card says.
pub const SIGN_IN: &str = "web sign-in link";

/// The web requester `email`, as a person.
fn web_person(email: &str) -> Person {
    let id = email.to_lowercase();
    Person {
        platform: WEB.into(),
        id: id.clone(),
        display_name: id,
        verified_email: None,
    }
}

/// The address of the web requester `email`.
pub fn web_address(email: &str) -> Address {
    Address::new(WEB, email.to_lowercase())
}

impl Engine {
    /// Opens a ticket from the web form: the requester, a conversation with the
    /// description (and its files), the form's answers on the card, the card "via web
    /// form" in the queue's agent channel, and a confirmation email. Returns the ticket
    /// number; a request submitted again (the same key) returns the first one's.
    pub async fn web_request(&self, request: &WebRequest) -> Result<i64, WebError> {
        let queue = self
            .queue_index(&request.queue)
            .ok_or_else(|| WebError::NoQueue(request.queue.clone()))?;
        let address = web_address(&request.email);
        let person = web_person(&request.email);
        let mut ev = Inbound::new(
            request.key.clone(),
            address.clone(),
            person,
            Content::Text(request.description.clone()),
        );
        ev.files = request.files.clone();
        ev.make_storable();
        let key = format!("web:{}:{}", address.channel, request.key);
        let mut t = Turn::begin(self, key).await?;
        if !t.tx.remember_inbound(&address, &ev.id, t.now).await? {
            // Submitted twice (a reload): the first submission's ticket.
            let first = match t.tx.message_by_source(&address, &ev.id).await? {
                Some((_, conversation_id)) => t.tx.conversation(conversation_id).await?,
                None => None,
            };
            return first.and_then(|c| c.ticket_number).ok_or_else(|| {
                let e = format!("web request {} was taken without a ticket", ev.id);
                WebError::from(StoreError::Corrupt(e))
            });
        }
        let found = t.tx.upsert_person(&ev.author, t.now).await?;
        if found.blocked {
            return Err(WebError::Blocked);
        }
        let new = NewConversation {
            user_id: found.user_id,
            user_address: address.clone(),
            lang: request.lang,
            previous_id: None,
        };
        let mut conv = t.tx.insert_conversation(&new, t.now).await?;
        let body = match &ev.content {
            Content::Text(text) => text.clone(),
            _ => String::new(),
        };
        let message = NewMessage::of_event(conv.id, Author::User, &ev, &body);
        let message_id = t.tx.insert_message(&message, t.now).await?;
        let mut answers: Vec<TriageAnswer> = request
            .answers
            .iter()
            .map(|(question, answer, shown)| TriageAnswer {
                question: question.clone(),
                answer: Some(answer.clone()),
                shown: Some(shown.clone()),
            })
            .collect();
        answers.push(TriageAnswer {
            question: crate::desk::triage::SUBJECT_QUESTION.into(),
            answer: Some(request.subject.clone()),
            shown: Some(request.subject.clone()),
        });
        for answer in &answers {
            t.tx.save_triage_answer(conv.id, answer, t.now).await?;
        }
        self.open_ticket(&mut t, &mut conv, &ev, queue, &answers)
            .await?;
        if !ev.files.is_empty() {
            let thread = self.ticket_thread(&mut t, &conv).await?;
            let from = (message_id, ev.author.display_name.as_str());
            self.post_files(&mut t, &conv, thread, from, &ev.files)
                .await?;
        }
        let number = conv.ticket_number.unwrap_or(conv.id);
        if self.config.notify.enabled {
            let email = self.web_received(&address.channel, &request.subject, number, conv.lang);
            t.tx.enqueue_email(&email, t.now).await?;
        }
        t.commit(self).await?;
        Ok(number)
    }

    /// The requester `email` proved the address (a My activity sign-in link): their
    /// web identity is verified with it, so that they are one requester with the chat
    /// identities verified with the same address.
    pub async fn web_signed_in(&self, email: &str) -> Result<(), WebError> {
        let mut t = Turn::begin(self, String::new()).await?;
        let found = t.tx.upsert_person(&web_person(email), t.now).await?;
        t.tx.bind_identity(found.user_id, &email.to_lowercase(), SIGN_IN, t.now)
            .await?;
        t.commit(self).await?;
        Ok(())
    }

    /// A reply written in My activity by the requester `email` (signed in, so
    /// verified) to their ticket `number`: stored as theirs and relayed to the ticket's
    /// thread; a solved ticket reopens.
    pub async fn web_reply(&self, email: &str, number: i64, text: &str) -> Result<(), WebError> {
        // A reply from a page is no platform event that could come again: its rows get
        // keys of their own.
        let key = format!("web-reply:{number}:{}", crate::desk::identity::new_token());
        let mut t = Turn::begin(self, key).await?;
        let found = t.tx.upsert_person(&web_person(email), t.now).await?;
        if found.blocked {
            return Err(WebError::Blocked);
        }
        let Some(mut conv) = t.tx.ticket_of(found.user_id, number).await? else {
            return Err(WebError::NotTheirs(number));
        };
        if !conv.state.has_ticket() || conv.state == State::Closed {
            return Err(WebError::Closed(number));
        }
        let name = email.to_lowercase();
        let mut body = text.to_string();
        crate::text::make_storable(&mut body);
        let message = NewMessage {
            conversation_id: conv.id,
            author: Author::User,
            author_name: &name,
            body: &body,
            source: None,
            files: &[],
        };
        let message_id = t.tx.insert_message(&message, t.now).await?;
        if conv.state == State::Solved {
            self.notice(&mut t, &conv, i18n::agents().person_reopened())
                .await?;
            self.advance_checked(&mut t, &mut conv, Trigger::PersonWrote)
                .await?;
        }
        let thread = self.ticket_thread(&mut t, &conv).await?;
        self.relay(&mut t, &conv, thread, (message_id, &name), &body, &[])
            .await?;
        t.commit(self).await?;
        Ok(())
    }

    /// Mails a My activity sign-in email with `link` to `email`, in `lang`. Like a
    /// one-time code, it goes from memory (through the code mailer, tried a few times),
    /// so the link is never stored: the requester asks for another if it is lost.
    pub fn web_signin_email(
        &self,
        email: &str,
        link: &str,
        minutes: i64,
        lang: Lang,
    ) -> Result<(), WebError> {
        let say = i18n::catalogue(lang);
        let parts = [
            Part::Para(say.email_signin_text(minutes)),
            Part::Link {
                text: link.to_string(),
                url: link.to_string(),
            },
            Part::Para(say.email_signin_ignore().to_string()),
        ];
        let letter = Letter::of(say.email_signin_subject().to_string(), &parts);
        match &self.codes {
            Some(mailer) => {
                mailer.send_code(email.to_lowercase(), letter);
                Ok(())
            }
            None => Err(WebError::NoMail),
        }
    }

    /// The web form's confirmation email.
    fn web_received(&self, to: &str, subject: &str, number: i64, lang: Lang) -> NewEmail {
        let say = i18n::catalogue(lang);
        let activity = self.activity_url(number);
        let parts = [
            Part::Para(say.email_web_received(subject, number)),
            Part::Link {
                text: say.email_web_activity(&activity),
                url: activity.clone(),
            },
        ];
        let letter = Letter::of(say.email_web_subject(number), &parts);
        NewEmail {
            key: format!("web-received:{number}"),
            to: to.to_string(),
            subject: letter.subject,
            text: letter.text,
            html: letter.html,
            unsubscribe_url: None,
        }
    }

    /// Where the requester reads ticket `number` on the web.
    pub(super) fn activity_url(&self, number: i64) -> String {
        format!(
            "{}/activity/tickets/{number}",
            self.config.notify.public_url.trim_end_matches('/')
        )
    }
}
