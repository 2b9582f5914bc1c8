//! The request form, `/support/new`: when chat is down, or for someone who would
//! rather not use it. It opens a ticket like a chat's, in the queue of the question
//! type, with its card "via web form" in that queue's agent channel; the requester
//! gets a confirmation page and email, and agents' replies by email.
//!
//! It works without script: validation is the server's, and a refused form comes back
//! with everything typed kept and each problem next to its field.

use std::sync::Arc;

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::CookieJar;
use relaydesk_core::desk::identity::{check_address, new_token, AddressProblem};
use relaydesk_core::desk::triage::{QuestionKind, PRIORITY_QUESTION};
use relaydesk_core::engine::{WebError, WebRequest};
use relaydesk_core::text::Lang;
use relaydesk_core::EngineConfig;

use crate::i18n::Ui;
use crate::lang::UiLang;
use crate::layout::{render, unavailable, Chrome, MessagePage};
use crate::upload::{self, Refused};
use crate::{csrf, ClientIp, WebState};

/// Attachments one request may carry.
const MAX_FILES: usize = 5;
/// The question whose options name the form's question types.
const QUESTION_TYPE: &str = "question_type";
/// The question whose options name the product areas.
const PRODUCT_AREA: &str = "product_area";
/// An hour, in milliseconds.
const HOUR: i64 = 60 * 60 * 1000;
/// The longest subject, product area and description taken, in characters: a card
/// and its transcript stay a few messages long.
const SUBJECT_MAX: usize = 200;
const AREA_MAX: usize = 100;
pub(crate) const TEXT_MAX: usize = 20_000;

/// This module's routes.
pub(crate) fn routes(max_upload_bytes: usize) -> Router<Arc<WebState>> {
    let limit = max_upload_bytes
        .saturating_mul(MAX_FILES)
        .saturating_add(1024 * 1024);
    Router::new().route(
        "/support/new",
        get(page).post(submit).layer(DefaultBodyLimit::max(limit)),
    )
}

/// What the person typed, kept when the form comes back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Fields {
    email: String,
    question_type: String,
    subject: String,
    description: String,
    business_impact: String,
    product_area: String,
}

/// The problem with each field, in the interface language.
#[derive(Debug, Clone, Default)]
struct Errors {
    email: Option<String>,
    question_type: Option<String>,
    subject: Option<String>,
    description: Option<String>,
    product_area: Option<String>,
    attachments: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        self.email.is_some()
            || self.question_type.is_some()
            || self.subject.is_some()
            || self.description.is_some()
            || self.product_area.is_some()
            || self.attachments.is_some()
    }
}

/// One question type: the queue it opens the ticket in, and the triage answer it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Topic {
    value: String,
    label: String,
    queue: String,
    /// The `question_type` option, when the type is one.
    answer: Option<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    chrome: Chrome,
    csrf: String,
    form_id: String,
    fields: Fields,
    errors: Errors,
    problem: Option<String>,
    topics: Vec<Topic>,
    impacts: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    attachments_hint: String,
}

async fn page(State(state): State<Arc<WebState>>, lang: UiLang, jar: CookieJar) -> Response {
    let chrome = Chrome::load(&state, lang.lang).await.at("/support/new");
    form(
        &state,
        chrome,
        &jar,
        lang,
        StatusCode::OK,
        Filled::default(),
    )
}

/// What a form shown again carries: what was typed, and what is wrong with it.
#[derive(Default)]
struct Filled {
    fields: Fields,
    errors: Errors,
    /// The sentence over the form.
    problem: Option<String>,
}

/// The form page answered with `status`, filled as `filled`, with the cookie its token
/// needs when the browser has none.
fn form(
    state: &WebState,
    chrome: Chrome,
    jar: &CookieJar,
    ui_lang: UiLang,
    status: StatusCode,
    filled: Filled,
) -> Response {
    let (token, cookie) = csrf::token(jar, state.settings.secure_cookies());
    let config = state.engine.config();
    let lang = chrome.lang;
    let t = chrome.t;
    let max = (state.settings.max_upload_bytes / (1024 * 1024)).to_string();
    let page = FormPage {
        csrf: token,
        form_id: new_token(),
        topics: topics(config, lang),
        impacts: impacts(config, lang, t),
        areas: choices(config, PRODUCT_AREA, lang),
        attachments_hint: t.attachments_hint.replace("{max}", &max),
        fields: filled.fields,
        errors: filled.errors,
        problem: filled.problem,
        chrome,
    };
    let mut headers = HeaderMap::new();
    if let Some(cookie) = cookie {
        headers.insert(SET_COOKIE, cookie);
    }
    (ui_lang, headers, render(status, &page)).into_response()
}

/// A file as it arrived: its name and bytes, or why it was refused already.
struct Upload {
    name: String,
    bytes: Result<Vec<u8>, Refused>,
}

/// What a submission carried.
#[derive(Default)]
struct Submitted {
    fields: Fields,
    csrf: Option<String>,
    form_id: Option<String>,
    files: Vec<Upload>,
    /// The body could not be read whole (larger than the limit, or cut off).
    broken: bool,
}

async fn read(mut multipart: Multipart, max: usize) -> Submitted {
    let mut s = Submitted::default();
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                tracing::info!(error = %e, "a request form could not be read whole");
                s.broken = true;
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "attachments" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let mut bytes = Vec::new();
            let mut too_large = false;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if bytes.len() + chunk.len() > max {
                            too_large = true;
                        } else {
                            bytes.extend_from_slice(&chunk);
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        s.broken = true;
                        too_large = true;
                        break;
                    }
                }
            }
            if file_name.is_empty() && bytes.is_empty() {
                // The file input with nothing chosen.
                continue;
            }
            let bytes = if too_large {
                Err(Refused::TooLarge)
            } else {
                Ok(bytes)
            };
            s.files.push(Upload {
                name: file_name,
                bytes,
            });
            if s.broken {
                break;
            }
            continue;
        }
        let Ok(value) = field.text().await else {
            s.broken = true;
            break;
        };
        let f = &mut s.fields;
        match name.as_str() {
            "email" => f.email = value.trim().to_string(),
            "question_type" => f.question_type = value,
            "subject" => f.subject = value.trim().to_string(),
            "description" => f.description = value.trim_end().to_string(),
            "business_impact" => f.business_impact = value,
            "product_area" => f.product_area = value.trim().to_string(),
            csrf::FIELD => s.csrf = Some(value),
            "form_id" => s.form_id = Some(value),
            _ => {}
        }
    }
    s
}

async fn submit(
    State(state): State<Arc<WebState>>,
    lang: UiLang,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    multipart: Multipart,
) -> Response {
    let max = state.settings.max_upload_bytes;
    let submitted = read(multipart, max).await;
    let chrome = Chrome::load(&state, lang.lang).await.at("/support/new");
    let t = chrome.t;
    if !csrf::matches(&jar, submitted.csrf.as_deref()) {
        let problem = Some(t.error_form_expired.to_string());
        let filled = Filled {
            fields: submitted.fields,
            problem,
            ..Filled::default()
        };
        return form(&state, chrome, &jar, lang, StatusCode::FORBIDDEN, filled);
    }
    let config = state.engine.config();
    let topics = topics(config, chrome.lang);
    let blocked = &state.settings.blocked_domains;
    let (errors, email, topic) = check(&submitted, &topics, t, (max, blocked));
    let mut errors = errors;
    let files: Vec<(&str, &[u8], &'static str)> = submitted
        .files
        .iter()
        .filter_map(|f| {
            let bytes = f.bytes.as_ref().ok()?;
            let mime = upload::check(bytes, max).ok()?;
            Some((f.name.as_str(), bytes.as_slice(), mime))
        })
        .collect();
    if errors.any() || submitted.broken {
        if submitted.broken && errors.attachments.is_none() {
            errors.attachments = Some(too_large(t, max));
        }
        let problem = Some(t.form_has_errors.to_string());
        let filled = Filled {
            fields: submitted.fields,
            errors,
            problem,
        };
        return form(
            &state,
            chrome,
            &jar,
            lang,
            StatusCode::UNPROCESSABLE_ENTITY,
            filled,
        );
    }
    let (Some(email), Some(topic)) = (email, topic) else {
        return unavailable(&state, lang).await;
    };
    let now = state.engine.clock().now();
    let limit = i64::from(state.settings.submit_per_hour);
    // Counted before it is taken, this one included: requests sent at once cannot all
    // pass the count.
    if let Err(e) = state.store.record_submission(&email, &ip, now).await {
        tracing::warn!(error = %e, "request form: cannot count submissions");
        return unavailable(&state, lang).await;
    }
    match state.store.submissions_since(&email, &ip, now - HOUR).await {
        Ok((by_address, by_ip)) if by_address > limit || by_ip > limit => {
            tracing::info!(%ip, "request form: the hourly limit was reached");
            let problem = Some(t.error_rate_limited.to_string());
            let filled = Filled {
                fields: submitted.fields,
                problem,
                ..Filled::default()
            };
            return form(
                &state,
                chrome,
                &jar,
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                filled,
            );
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "request form: cannot count submissions");
            return unavailable(&state, lang).await;
        }
    }
    let key = submitted
        .form_id
        .filter(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(new_token);
    let mut kept = Vec::with_capacity(files.len());
    for (index, (name, bytes, mime)) in files.into_iter().enumerate() {
        let kept_as = format!("{key}-{email}");
        match upload::keep(
            &state.settings.files_dir,
            &kept_as,
            index,
            name,
            mime,
            bytes,
        )
        .await
        {
            Ok(file) => kept.push(file),
            Err(e) => {
                tracing::error!(error = %e, "request form: cannot keep an attachment");
                return unavailable(&state, lang).await;
            }
        }
    }
    let request = request(
        config,
        chrome.lang,
        &submitted.fields,
        email.clone(),
        topic,
        key,
        kept,
    );
    let number = match state.engine.web_request(&request).await {
        Ok(number) => number,
        Err(WebError::Blocked) => {
            let filled = Filled {
                fields: submitted.fields,
                problem: Some(t.error_blocked.to_string()),
                ..Filled::default()
            };
            return form(&state, chrome, &jar, lang, StatusCode::FORBIDDEN, filled);
        }
        Err(WebError::NoQueue(queue)) => {
            tracing::error!(%queue, "request form: a question type names no queue");
            return unavailable(&state, lang).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "request form: the ticket could not be opened");
            return unavailable(&state, lang).await;
        }
    };
    let mut text = t.your_ticket_number.replace("{n}", &number.to_string());
    if state.mails() {
        text.push(' ');
        text.push_str(&t.confirmation_emailed.replace("{email}", &email));
    }
    let page = MessagePage {
        title: t.request_received.to_string(),
        text,
        link: Some(("/activity".to_string(), t.my_activity.to_string())),
        chrome,
    };
    (lang, render(StatusCode::OK, &page)).into_response()
}

/// Checks the fields: the problems, and the address and question type when they are
/// fine.
fn check<'a>(
    s: &Submitted,
    topics: &'a [Topic],
    t: &Ui,
    (max, blocked): (usize, &[String]),
) -> (Errors, Option<String>, Option<&'a Topic>) {
    let f = &s.fields;
    let mut errors = Errors::default();
    let email = if f.email.is_empty() {
        errors.email = Some(t.error_email_required.to_string());
        None
    } else {
        let checked = requester_address(&f.email, blocked);
        if checked.is_none() {
            errors.email = Some(t.error_email_invalid.to_string());
        }
        checked
    };
    let topic = topics.iter().find(|x| x.value == f.question_type);
    if topic.is_none() {
        errors.question_type = Some(t.error_question_type_required.to_string());
    }
    let too_long = |max: usize| t.error_too_long.replace("{max}", &max.to_string());
    if f.subject.is_empty() {
        errors.subject = Some(t.error_subject_required.to_string());
    } else if f.subject.chars().count() > SUBJECT_MAX {
        errors.subject = Some(too_long(SUBJECT_MAX));
    }
    if f.description.trim().is_empty() {
        errors.description = Some(t.error_description_required.to_string());
    } else if f.description.chars().count() > TEXT_MAX {
        errors.description = Some(too_long(TEXT_MAX));
    }
    if f.product_area.chars().count() > AREA_MAX {
        errors.product_area = Some(too_long(AREA_MAX));
    }
    let mut refusals = Vec::new();
    if s.files.len() > MAX_FILES {
        refusals.push(
            t.error_too_many_files
                .replace("{max}", &MAX_FILES.to_string()),
        );
    }
    for file in &s.files {
        let refused = match &file.bytes {
            Ok(bytes) => upload::check(bytes, max).err(),
            Err(refused) => Some(*refused),
        };
        match refused {
            Some(Refused::TooLarge) => {
                refusals.push(format!("{}: {}", file.name, too_large(t, max)))
            }
            Some(Refused::WrongType) => {
                refusals.push(format!("{}: {}", file.name, t.error_file_type))
            }
            None => {}
        }
    }
    if !refusals.is_empty() {
        errors.attachments = Some(refusals.join(" "));
    }
    (errors, email, topic)
}

/// The requester's address in `typed` (trimmed, lower case), when it is one the web
/// side writes to. A domain that looks like a typo of a well-known one is taken: the
/// form has no second round to ask in. A `/` would read as a thread in the address.
pub(crate) fn requester_address(typed: &str, blocked: &[String]) -> Option<String> {
    let checked = match check_address(typed, blocked) {
        Ok(address) => Some(address),
        Err(AddressProblem::Typo(_)) => Some(typed.trim().trim_end_matches('.').to_lowercase()),
        Err(_) => None,
    };
    checked.filter(|address| !address.contains('/'))
}

fn too_large(t: &Ui, max: usize) -> String {
    t.error_file_too_large
        .replace("{max}", &(max / (1024 * 1024)).to_string())
}

/// The engine's request from a checked form.
fn request(
    config: &EngineConfig,
    lang: Lang,
    f: &Fields,
    email: String,
    topic: &Topic,
    key: String,
    files: Vec<relaydesk_core::adapter::FileRef>,
) -> WebRequest {
    let mut answers: Vec<(String, String, String)> = topic.answer.iter().cloned().collect();
    let t = crate::i18n::ui(lang);
    if let Some((id, label)) = impacts(config, lang, t)
        .into_iter()
        .find(|(id, _)| *id == f.business_impact)
    {
        answers.push((PRIORITY_QUESTION.into(), id, label));
    }
    let areas = choices(config, PRODUCT_AREA, lang);
    if let Some((id, label)) = areas.iter().find(|(id, _)| *id == f.product_area) {
        answers.push((PRODUCT_AREA.into(), id.clone(), label.clone()));
    } else if areas.is_empty() && !f.product_area.is_empty() {
        answers.push((
            PRODUCT_AREA.into(),
            f.product_area.clone(),
            f.product_area.clone(),
        ));
    }
    WebRequest {
        key,
        email,
        queue: topic.queue.clone(),
        answers,
        subject: f.subject.clone(),
        description: f.description.clone(),
        files,
        lang,
    }
}

/// The form's question types. Where a queue asks `question_type`, its options are the
/// types, each opening the ticket where the queue's routes send that answer; every
/// queue no option reaches is a type of its own, named after the queue.
fn topics(config: &EngineConfig, lang: Lang) -> Vec<Topic> {
    let mut topics: Vec<Topic> = Vec::new();
    let options = config.questions.iter().find_map(|q| match &q.kind {
        QuestionKind::Choice(options) if q.id == QUESTION_TYPE => Some(options),
        _ => None,
    });
    if let Some(options) = options {
        for queue in config
            .queues
            .iter()
            .filter(|q| q.triage.iter().any(|id| id == QUESTION_TYPE))
        {
            for option in options {
                if topics.iter().any(|t| t.value == option.id) {
                    continue;
                }
                let target = queue
                    .routes
                    .iter()
                    .find(|r| r.question == QUESTION_TYPE && r.option == option.id)
                    .map_or(queue.name.as_str(), |r| r.queue.as_str());
                let label = option.label.get(lang).to_string();
                topics.push(Topic {
                    value: option.id.clone(),
                    label: label.clone(),
                    queue: target.to_string(),
                    answer: Some((QUESTION_TYPE.into(), option.id.clone(), label)),
                });
            }
        }
    }
    for queue in &config.queues {
        if topics.iter().any(|t| t.queue == queue.name) {
            continue;
        }
        let mut label = queue.name.replace(['_', '-'], " ");
        if let Some(first) = label.get(..1) {
            label = first.to_uppercase() + &label[1..];
        }
        topics.push(Topic {
            value: format!("queue:{}", queue.name),
            label,
            queue: queue.name.clone(),
            answer: None,
        });
    }
    topics
}

/// The business impacts: the `business_impact` question's options where it has them,
/// else low, normal, high and critical.
fn impacts(config: &EngineConfig, lang: Lang, t: &Ui) -> Vec<(String, String)> {
    let configured = choices(config, PRIORITY_QUESTION, lang);
    if !configured.is_empty() {
        return configured;
    }
    [
        ("low", t.impact_low),
        ("normal", t.impact_normal),
        ("high", t.impact_high),
        ("critical", t.impact_critical),
    ]
    .into_iter()
    .map(|(id, label)| (id.to_string(), label.to_string()))
    .collect()
}

/// The options of the choice question `id`, in `lang`; none when there is no such
/// question.
fn choices(config: &EngineConfig, id: &str, lang: Lang) -> Vec<(String, String)> {
    config
        .questions
        .iter()
        .filter(|q| q.id == id)
        .find_map(|q| match &q.kind {
            QuestionKind::Choice(options) => Some(
                options
                    .iter()
                    .map(|o| (o.id.clone(), o.label.get(lang).to_string()))
                    .collect(),
            ),
            QuestionKind::Text => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use relaydesk_core::desk::triage::{Localized, Question, TriageOption};
    use relaydesk_core::engine::Route;
    use relaydesk_core::{Address, Queue};

    fn localized(en: &str, ko: &str) -> Localized {
        Localized {
            en: en.into(),
            ko: ko.into(),
        }
    }

    #[test]
    fn question_types_follow_the_queues_and_their_routes() {
        let mut support = Queue::new("support", vec![], Address::new("console", "support"));
        support.triage = vec![QUESTION_TYPE.into()];
        support.routes = vec![Route {
            question: QUESTION_TYPE.into(),
            option: "billing".into(),
            queue: "billing".into(),
        }];
        let config = EngineConfig {
            queues: vec![
                support,
                Queue::new("sales", vec![], Address::new("console", "sales")),
                Queue::new("billing", vec![], Address::new("console", "billing")),
            ],
            questions: vec![Question {
                id: QUESTION_TYPE.into(),
                kind: QuestionKind::Choice(vec![
                    TriageOption {
                        id: "technical".into(),
                        label: localized("Something isn't working", "기술 문제"),
                    },
                    TriageOption {
                        id: "billing".into(),
                        label: localized("Billing", "결제"),
                    },
                ]),
                required: true,
                prompt: localized("What is it about?", "어떤 문의인가요?"),
            }],
            ..EngineConfig::default()
        };
        let found: Vec<(String, String, String)> = topics(&config, Lang::Ko)
            .into_iter()
            .map(|t| (t.value, t.label, t.queue))
            .collect();
        let row = |v: &str, l: &str, q: &str| (v.to_string(), l.to_string(), q.to_string());
        assert_eq!(
            found,
            vec![
                row("technical", "기술 문제", "support"),
                row("billing", "결제", "billing"),
                row("queue:sales", "Sales", "sales"),
            ]
        );
    }
}
