//! "My activity", `/activity`: a requester signs in with a link emailed to them (signed
//! by its randomness, used once, 15 minutes), then sees every ticket of theirs (from
//! the form, and from chat once a chat identity is verified with the same address),
//! reads each one's transcript (never the agents' internal notes) and adds replies.
//! Another requester's ticket is a 404, whatever its number.
//!
//! The link opens a page with a button rather than signing in at once: mail scanners
//! follow links, and must not use the link up.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use relaydesk_core::desk::identity::{hash_secret, new_state};
use relaydesk_core::engine::WebError;
use relaydesk_core::types::{Author, Millis, State as ConvState};
use relaydesk_core::web::RequesterTicket;
use serde::Deserialize;

use crate::form::{requester_address, TEXT_MAX};
use crate::i18n::Ui;
use crate::lang::UiLang;
use crate::layout::{render, unavailable, Chrome, MessagePage};
use crate::{csrf, WebState};

/// How long a sign-in link works.
pub(crate) const LINK_MINUTES: i64 = 15;
/// How long a session lasts.
const SESSION_DAYS: i64 = 7;
/// Sign-in links one address may ask for in an hour.
const LINKS_PER_HOUR: i64 = 5;
/// The session cookie.
const SESSION: &str = "session";
const MINUTE: Millis = 60 * 1000;

/// This module's routes.
pub(crate) fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/activity", get(activity))
        .route("/activity/signin", get(signin_page).post(ask_link))
        .route("/activity/signin/confirm", post(signin))
        .route("/activity/signout", post(signout))
        .route("/activity/tickets/{number}", get(ticket))
        .route("/activity/tickets/{number}/reply", post(reply))
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    chrome: Chrome,
    title: String,
    text: String,
    problem: Option<String>,
    /// A sign-in link's token: the page that confirms it.
    token: Option<String>,
    /// The page that asks for the address.
    ask_email: bool,
    csrf: String,
    email: String,
    email_error: Option<String>,
}

/// A ticket as the list shows it.
struct Line {
    number: i64,
    subject: String,
    state: &'static str,
    state_class: &'static str,
    channel: String,
    updated: String,
    updated_iso: String,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    chrome: Chrome,
    signed_in: String,
    csrf: String,
    filters: Vec<(&'static str, &'static str)>,
    filter: String,
    tickets: Vec<Line>,
}

/// A message of a transcript.
struct Said {
    class: &'static str,
    from: String,
    at: String,
    at_iso: String,
    lines: Vec<String>,
    /// Names and sizes of the files attached.
    files: Vec<String>,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    chrome: Chrome,
    title: String,
    number: i64,
    subject: String,
    state: &'static str,
    state_class: &'static str,
    channel: String,
    messages: Vec<Said>,
    open: bool,
    csrf: String,
    error: Option<String>,
}

/// The signed-in requester's address, from the session cookie.
async fn signed_in(state: &WebState, jar: &CookieJar) -> Option<(String, String)> {
    let token = jar.get(SESSION)?.value().to_string();
    let now = state.engine.clock().now();
    match state.store.session(&session_hash(&token), now).await {
        Ok(email) => email.map(|email| (email, token)),
        Err(e) => {
            tracing::warn!(error = %e, "My activity: cannot read a session");
            None
        }
    }
}

fn session_hash(token: &str) -> String {
    hash_secret("session", token)
}

fn link_hash(token: &str) -> String {
    hash_secret("signin", token)
}

/// Where to go, after a post.
fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

fn with_cookie(cookie: Option<HeaderValue>, response: Response) -> Response {
    let mut headers = HeaderMap::new();
    if let Some(cookie) = cookie {
        headers.insert(SET_COOKIE, cookie);
    }
    (headers, response).into_response()
}

#[derive(Deserialize)]
struct Filter {
    status: Option<String>,
}

async fn activity(
    State(state): State<Arc<WebState>>,
    lang: UiLang,
    jar: CookieJar,
    uri: Uri,
    Query(filter): Query<Filter>,
) -> Response {
    let chrome = Chrome::load(&state, lang.lang).await.at("/activity");
    let chrome = chrome.keeping(uri.query());
    let t = chrome.t;
    let (token, cookie) = csrf::token(&jar, state.settings.secure_cookies());
    let Some((email, _)) = signed_in(&state, &jar).await else {
        let page = ask_page(&state, chrome, token, String::new(), None, None);
        return with_cookie(cookie, (lang, page).into_response());
    };
    let tickets = match state.store.requester_tickets(&email).await {
        Ok(tickets) => tickets,
        Err(e) => {
            tracing::warn!(error = %e, "My activity: cannot list tickets");
            return unavailable(&state, lang).await;
        }
    };
    let filter = match filter.status.as_deref() {
        Some(f @ ("open" | "solved" | "closed")) => f.to_string(),
        _ => "all".to_string(),
    };
    let tickets = tickets
        .into_iter()
        .filter(|x| filter == "all" || bucket(x.state) == filter)
        .map(|x| line(t, x))
        .collect();
    let page = ActivityPage {
        signed_in: t.signed_in_as.replace("{email}", &email),
        csrf: token,
        filters: vec![
            ("all", t.filter_all),
            ("open", t.state_open),
            ("solved", t.state_solved),
            ("closed", t.state_closed),
        ],
        filter,
        tickets,
        chrome,
    };
    with_cookie(
        cookie,
        (lang, render(StatusCode::OK, &page)).into_response(),
    )
}

/// The filter a state falls under.
fn bucket(state: ConvState) -> &'static str {
    match state {
        ConvState::Solved => "solved",
        ConvState::Closed => "closed",
        _ => "open",
    }
}

fn state_words(t: &Ui, state: ConvState) -> (&'static str, &'static str) {
    match bucket(state) {
        "solved" => (t.state_solved, "solved"),
        "closed" => (t.state_closed, "closed"),
        _ => (t.state_open, "open"),
    }
}

fn line(t: &Ui, x: RequesterTicket) -> Line {
    let (state, state_class) = state_words(t, x.state);
    Line {
        number: x.number,
        subject: x.subject,
        state,
        state_class,
        channel: x.channel,
        updated: when(x.updated_at),
        updated_iso: iso(x.updated_at),
    }
}

/// A time as pages show it: UTC, to the minute.
fn when(at: Millis) -> String {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

fn iso(at: Millis) -> String {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn ask_page(
    state: &WebState,
    chrome: Chrome,
    csrf: String,
    email: String,
    problem: Option<String>,
    email_error: Option<String>,
) -> Response {
    let t = chrome.t;
    let mail = state.mails();
    let page = SigninPage {
        title: t.sign_in.to_string(),
        text: if mail {
            t.sign_in_intro
        } else {
            t.mail_unavailable
        }
        .to_string(),
        problem,
        token: None,
        ask_email: mail,
        csrf,
        email,
        email_error,
        chrome,
    };
    let status = if page.email_error.is_some() || page.problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

#[derive(Deserialize)]
struct AskLink {
    csrf: Option<String>,
    email: Option<String>,
}

async fn ask_link(
    State(state): State<Arc<WebState>>,
    lang: UiLang,
    jar: CookieJar,
    Form(form): Form<AskLink>,
) -> Response {
    let chrome = Chrome::load(&state, lang.lang).await.at("/activity");
    let t = chrome.t;
    let (token, cookie) = csrf::token(&jar, state.settings.secure_cookies());
    let typed = form.email.unwrap_or_default().trim().to_string();
    if !csrf::matches(&jar, form.csrf.as_deref()) {
        let problem = Some(t.error_form_expired.to_string());
        let page = ask_page(&state, chrome, token, typed, problem, None);
        return with_cookie(cookie, (lang, page).into_response());
    }
    if !state.mails() {
        return (lang, ask_page(&state, chrome, token, typed, None, None)).into_response();
    }
    let email = match requester_address(&typed, &state.settings.blocked_domains) {
        Some(email) => email,
        None => {
            let e = if typed.is_empty() {
                t.error_email_required
            } else {
                t.error_email_invalid
            };
            let page = ask_page(&state, chrome, token, typed, None, Some(e.to_string()));
            return (lang, page).into_response();
        }
    };
    let now = state.engine.clock().now();
    match state.store.signins_since(&email, now - 60 * MINUTE).await {
        Ok(n) if n >= LINKS_PER_HOUR => {
            let problem = Some(t.error_too_many_signins.to_string());
            let page = ask_page(&state, chrome, token, typed, problem, None);
            return (lang, page).into_response();
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "My activity: cannot count sign-in links");
            return unavailable(&state, lang).await;
        }
    }
    let secret = new_state();
    let expires = now + LINK_MINUTES * MINUTE;
    if let Err(e) = state
        .store
        .add_signin(&link_hash(&secret), &email, expires, now)
        .await
    {
        tracing::warn!(error = %e, "My activity: cannot keep a sign-in link");
        return unavailable(&state, lang).await;
    }
    let link = format!(
        "{}/activity/signin?token={secret}",
        state.settings.public_url
    );
    if let Err(e) = state
        .engine
        .web_signin_email(&email, &link, LINK_MINUTES, lang.lang)
    {
        tracing::warn!(error = %e, "My activity: the sign-in link was not mailed");
        return unavailable(&state, lang).await;
    }
    let page = MessagePage {
        title: t.check_your_email.to_string(),
        text: t.check_your_email_text.replace("{email}", &email),
        link: None,
        chrome,
    };
    (lang, render(StatusCode::OK, &page)).into_response()
}

#[derive(Deserialize)]
struct LinkToken {
    token: Option<String>,
    /// The page's token, on the form that uses the link: nobody else's page can sign a
    /// browser in (as themselves).
    csrf: Option<String>,
}

/// The page a sign-in link opens: a button, so that only a person uses the link.
async fn signin_page(
    State(state): State<Arc<WebState>>,
    lang: UiLang,
    jar: CookieJar,
    uri: Uri,
    Query(link): Query<LinkToken>,
) -> Response {
    // Switching language keeps the link's token.
    let chrome = Chrome::load(&state, lang.lang).await.at("/activity");
    let chrome = chrome.keeping(uri.query());
    let t = chrome.t;
    let (csrf, cookie) = csrf::token(&jar, state.settings.secure_cookies());
    let page = SigninPage {
        title: t.signin_confirm_title.to_string(),
        text: t.signin_confirm_text.to_string(),
        problem: None,
        token: Some(link.token.unwrap_or_default()),
        ask_email: false,
        csrf,
        email: String::new(),
        email_error: None,
        chrome,
    };
    // The token stays out of other sites' logs.
    let no_referrer = [("referrer-policy", "no-referrer")];
    let page = (lang, no_referrer, render(StatusCode::OK, &page)).into_response();
    with_cookie(cookie, page)
}

async fn signin(
    State(state): State<Arc<WebState>>,
    lang: UiLang,
    jar: CookieJar,
    Form(link): Form<LinkToken>,
) -> Response {
    let now = state.engine.clock().now();
    let token = link.token.unwrap_or_default();
    if !csrf::matches(&jar, link.csrf.as_deref()) {
        // The link is left unused: the person can open it again.
        let chrome = Chrome::load(&state, lang.lang).await.at("/activity");
        let t = chrome.t;
        let page = MessagePage {
            title: t.sign_in.to_string(),
            text: t.error_form_expired.to_string(),
            link: None,
            chrome,
        };
        return (lang, render(StatusCode::FORBIDDEN, &page)).into_response();
    }
    let used = match token.is_empty() {
        true => Ok(None),
        false => state.store.use_signin(&link_hash(&token), now).await,
    };
    let email = match used {
        Ok(Some(email)) => email,
        Ok(None) => {
            let chrome = Chrome::load(&state, lang.lang).await.at("/activity");
            let t = chrome.t;
            let page = MessagePage {
                title: t.sign_in.to_string(),
                text: t.link_expired.to_string(),
                link: Some(("/activity".to_string(), t.send_sign_in_link.to_string())),
                chrome,
            };
            return (lang, render(StatusCode::BAD_REQUEST, &page)).into_response();
        }
        Err(e) => {
            tracing::warn!(error = %e, "My activity: cannot use a sign-in link");
            return unavailable(&state, lang).await;
        }
    };
    let session = new_state();
    let expires = now + SESSION_DAYS * 24 * 60 * MINUTE;
    let kept = state
        .store
        .add_session(&session_hash(&session), &email, expires, now)
        .await;
    if let Err(e) = kept {
        tracing::warn!(error = %e, "My activity: cannot keep a session");
        return unavailable(&state, lang).await;
    }
    if let Err(e) = state.engine.web_signed_in(&email).await {
        tracing::warn!(error = %e, "My activity: cannot verify the web identity");
        return unavailable(&state, lang).await;
    }
    let cookie = Cookie::build((SESSION, session))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies())
        .path("/")
        .max_age(time_days(SESSION_DAYS))
        .build();
    let cookie = HeaderValue::from_str(&cookie.to_string()).ok();
    with_cookie(cookie, see_other("/activity"))
}

fn time_days(days: i64) -> cookie::time::Duration {
    cookie::time::Duration::days(days)
}

#[derive(Deserialize)]
struct Posted {
    csrf: Option<String>,
    text: Option<String>,
}

async fn signout(
    State(state): State<Arc<WebState>>,
    jar: CookieJar,
    Form(form): Form<Posted>,
) -> Response {
    if csrf::matches(&jar, form.csrf.as_deref()) {
        if let Some((_, token)) = signed_in(&state, &jar).await {
            if let Err(e) = state.store.end_session(&session_hash(&token)).await {
                tracing::warn!(error = %e, "My activity: cannot end a session");
            }
        }
    }
    let gone = Cookie::build((SESSION, ""))
        .path("/")
        .max_age(time_days(0))
        .build();
    with_cookie(
        HeaderValue::from_str(&gone.to_string()).ok(),
        see_other("/activity"),
    )
}

async fn ticket(
    State(state): State<Arc<WebState>>,
    lang: UiLang,
    jar: CookieJar,
    Path(number): Path<String>,
) -> Response {
    show_ticket(&state, lang, &jar, &number, None).await
}

async fn show_ticket(
    state: &WebState,
    lang: UiLang,
    jar: &CookieJar,
    number: &str,
    problem: Option<String>,
) -> Response {
    let Some((email, _)) = signed_in(state, jar).await else {
        return see_other("/activity");
    };
    let chrome = Chrome::load(state, lang.lang).await.at("/activity");
    let Ok(number) = number.parse::<i64>() else {
        return not_found(chrome, lang);
    };
    let found = match state.store.requester_ticket(&email, number).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "My activity: cannot read a ticket");
            return unavailable(state, lang).await;
        }
    };
    let Some(found) = found else {
        return not_found(chrome, lang);
    };
    let detail = match state.store.conversation(found.conversation_id).await {
        Ok(Some(detail)) => detail,
        Ok(None) => return not_found(chrome, lang),
        Err(e) => {
            tracing::warn!(error = %e, "My activity: cannot read a transcript");
            return unavailable(state, lang).await;
        }
    };
    let t = chrome.t;
    let anonymous = state.engine.config().anonymous_agents;
    let messages = detail
        .messages
        .iter()
        .filter(|m| m.author != Author::Note)
        .filter(|m| !m.body.trim().is_empty() || !m.files.is_empty())
        .map(|m| {
            let (class, from) = match m.author {
                Author::User => ("user", t.you.to_string()),
                Author::Agent if anonymous => ("agent", t.support_name.to_string()),
                Author::Agent => ("agent", m.author_name.clone()),
                _ => ("bot", t.bot_name.to_string()),
            };
            Said {
                class,
                from,
                at: when(m.created_at),
                at_iso: iso(m.created_at),
                lines: m.body.lines().map(str::to_string).collect(),
                files: m
                    .files
                    .iter()
                    .map(|f| format!("{} ({} KB)", f.name, f.size.div_ceil(1024)))
                    .collect(),
            }
        })
        .collect();
    let (state_words, state_class) = state_words(t, found.state);
    let (token, cookie) = csrf::token(jar, state.settings.secure_cookies());
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = TicketPage {
        title: t.ticket_title.replace("{n}", &number.to_string()),
        number,
        subject: found.subject,
        state: state_words,
        state_class,
        channel: found.channel,
        messages,
        open: found.state != ConvState::Closed,
        csrf: token,
        error: problem,
        chrome,
    };
    with_cookie(cookie, (lang, render(status, &page)).into_response())
}

async fn reply(
    State(state): State<Arc<WebState>>,
    lang: UiLang,
    jar: CookieJar,
    Path(number): Path<String>,
    Form(form): Form<Posted>,
) -> Response {
    let Some((email, _)) = signed_in(&state, &jar).await else {
        return see_other("/activity");
    };
    let t = crate::i18n::ui(lang.lang);
    if !csrf::matches(&jar, form.csrf.as_deref()) {
        let problem = Some(t.error_form_expired.to_string());
        return show_ticket(&state, lang, &jar, &number, problem).await;
    }
    let text = form.text.unwrap_or_default();
    if text.trim().is_empty() {
        let problem = Some(t.error_reply_required.to_string());
        return show_ticket(&state, lang, &jar, &number, problem).await;
    }
    if text.chars().count() > TEXT_MAX {
        let problem = Some(t.error_too_long.replace("{max}", &TEXT_MAX.to_string()));
        return show_ticket(&state, lang, &jar, &number, problem).await;
    }
    let Ok(n) = number.parse::<i64>() else {
        let chrome = Chrome::load(&state, lang.lang).await;
        return not_found(chrome, lang);
    };
    match state.engine.web_reply(&email, n, text.trim_end()).await {
        Ok(()) => see_other(&format!("/activity/tickets/{n}")),
        Err(WebError::NotTheirs(_)) => {
            let chrome = Chrome::load(&state, lang.lang).await;
            not_found(chrome, lang)
        }
        Err(WebError::Closed(_)) => {
            let problem = Some(t.reply_closed.to_string());
            show_ticket(&state, lang, &jar, &number, problem).await
        }
        Err(WebError::Blocked) => {
            let problem = Some(t.error_blocked.to_string());
            show_ticket(&state, lang, &jar, &number, problem).await
        }
        Err(e) => {
            tracing::warn!(error = %e, "My activity: a reply was not taken");
            unavailable(&state, lang).await
        }
    }
}

fn not_found(chrome: Chrome, lang: UiLang) -> Response {
    let page = MessagePage::not_found(chrome);
    (lang, render(StatusCode::NOT_FOUND, &page)).into_response()
}
