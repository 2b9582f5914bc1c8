//! The pages a person reaches from a link: `/verify`, where the company's sign-in page
//! sends them back with a signed token, and `/unsubscribe`, from an away email.
//!
//! A token binds the chat identity only when it is an HS256 JWT signed with a key of
//! `RELAYDESK_IDENTITY_KEYS` (named by its `kid`), has not expired (60 s of leeway),
//! was signed for at most 15 minutes and not in the future, says `email_verified`,
//! carries `external_id`, `email`, `exp` and `iat`, and, when it has an `aud`, names
//! `[web].public_url`; and a token that verified someone once never does again. A
//! refused token does not use up the link's state; five do.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use relaydesk_core::desk::identity::masked;
use relaydesk_core::engine::{LinkCheck, LinkError};
use relaydesk_core::i18n::{self, Catalogue};
use relaydesk_core::text::Lang;
use relaydesk_core::{Engine, Store};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Seconds a token's `exp` may be past.
const LEEWAY_SECS: u64 = 60;

/// What the pages need.
#[derive(Clone)]
pub struct Pages {
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    keys: Arc<BTreeMap<String, SecretString>>,
    public_url: String,
}

impl Pages {
    /// The routes, for the web server.
    pub fn routes(
        engine: Arc<Engine>,
        store: Arc<dyn Store>,
        keys: BTreeMap<String, SecretString>,
        public_url: String,
    ) -> Router {
        let pages = Pages {
            engine,
            store,
            keys: Arc::new(keys),
            public_url,
        };
        Router::new()
            .route("/verify", get(verify))
            .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe))
            .with_state(pages)
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not HS256 (`none` included).
    Algorithm,
    /// The signature does not match.
    Signature,
    /// No `kid`, or one that is not configured.
    UnknownKey,
    /// `exp` is past, beyond the leeway.
    Expired,
    /// `email_verified` is false.
    Unverified,
    /// A claim is missing or malformed, or `aud` names another site.
    Claims,
}

impl Refusal {
    fn says(self, say: &Catalogue) -> &'static str {
        match self {
            Refusal::Algorithm => say.page_refused_alg(),
            Refusal::Signature => say.page_refused_signature(),
            Refusal::UnknownKey => say.page_refused_kid(),
            Refusal::Expired => say.page_refused_expired(),
            Refusal::Unverified => say.page_refused_unverified(),
            Refusal::Claims => say.page_refused_claims(),
        }
    }
}

/// The claims relaydesk reads.
#[derive(Debug, Deserialize)]
pub struct Claims {
    /// The person's id in the company's app.
    pub external_id: String,
    /// Their email.
    pub email: String,
    /// The app has verified it.
    pub email_verified: bool,
    /// The audience, when the app names one.
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
    /// When it stops working (seconds).
    pub exp: u64,
    /// When it was signed (seconds).
    pub iat: u64,
}

/// The longest life a token may have: it is made for one redirect.
const MAX_LIFETIME_SECS: u64 = 15 * 60;

/// The token's claims, if it is one relaydesk accepts.
pub fn check_token(
    token: &str,
    keys: &BTreeMap<String, SecretString>,
    public_url: &str,
) -> Result<Claims, Refusal> {
    // The header is read before anything else: `alg: none` and friends never reach a
    // verifier, and say what they are.
    let header = token.split('.').next().unwrap_or_default();
    let header: serde_json::Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(Refusal::Claims)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(Refusal::Algorithm);
    }
    let kid = header.get("kid").and_then(|k| k.as_str());
    let secret = kid.and_then(|k| keys.get(k)).ok_or(Refusal::UnknownKey)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECS;
    validation.set_required_spec_claims(&["exp", "iat"]);
    validation.validate_exp = true;
    // Checked below: only when the token has one.
    validation.validate_aud = false;
    let key = DecodingKey::from_secret(secret.expose_secret().as_bytes());
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => Refusal::Signature,
            ErrorKind::ExpiredSignature => Refusal::Expired,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => Refusal::Algorithm,
            _ => Refusal::Claims,
        })?
        .claims;
    let audience_fits = match &claims.aud {
        None => true,
        Some(serde_json::Value::String(a)) => same_site(a, public_url),
        Some(serde_json::Value::Array(all)) => all
            .iter()
            .any(|a| a.as_str().is_some_and(|a| same_site(a, public_url))),
        Some(_) => false,
    };
    let now = jsonwebtoken::get_current_timestamp();
    let short_lived = claims.iat <= now + LEEWAY_SECS
        && claims.exp.saturating_sub(claims.iat) <= MAX_LIFETIME_SECS;
    if !audience_fits
        || !short_lived
        || claims.external_id.trim().is_empty()
        || !claims.email.contains('@')
    {
        return Err(Refusal::Claims);
    }
    if !claims.email_verified {
        return Err(Refusal::Unverified);
    }
    Ok(claims)
}

fn same_site(aud: &str, public_url: &str) -> bool {
    aud.trim_end_matches('/') == public_url.trim_end_matches('/')
}

#[derive(Template)]
#[template(path = "page.html")]
struct Page<'a> {
    lang: &'a str,
    title: &'a str,
    paragraphs: Vec<String>,
    form_action: Option<String>,
    button: &'a str,
}

/// A page in `lang`, with `status`; never cached, never sent on as a referrer (its URL
/// may carry a token).
fn page(lang: Lang, status: StatusCode, title: &str, paragraphs: Vec<String>) -> Response {
    render(lang, status, title, paragraphs, None, "")
}

fn render(
    lang: Lang,
    status: StatusCode,
    title: &str,
    paragraphs: Vec<String>,
    form_action: Option<String>,
    button: &str,
) -> Response {
    let page = Page {
        lang: lang.as_str(),
        title,
        paragraphs,
        form_action,
        button,
    };
    match page.render() {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
                (header::REFERRER_POLICY, "no-referrer"),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be drawn");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The language the browser asks for first, of those relaydesk speaks.
fn browser_lang(headers: &HeaderMap) -> Lang {
    let asked = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for tag in asked.split(',') {
        let tag = tag
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        if tag.starts_with("ko") {
            return Lang::Ko;
        }
        if tag.starts_with("en") {
            return Lang::En;
        }
    }
    Lang::En
}

#[derive(Deserialize)]
struct VerifyQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    token: String,
}

async fn verify(
    State(pages): State<Pages>,
    headers: HeaderMap,
    Query(q): Query<VerifyQuery>,
) -> Response {
    let lang = browser_lang(&headers);
    let check = match pages.engine.link_state(&q.state).await {
        Ok(check) => check,
        Err(e) => return unavailable(lang, &e),
    };
    let lang = match check {
        LinkCheck::Usable(lang) => lang,
        other => return state_refused(other, lang),
    };
    let say = i18n::catalogue(lang);
    match check_token(&q.token, &pages.keys, &pages.public_url) {
        Err(why) => {
            tracing::info!(reason = ?why, "a signed link's token was refused");
            match pages.engine.link_refused(&q.state).await {
                Ok(after) => refused(lang, why.says(say), after == LinkCheck::Usable(lang)),
                Err(LinkError::Refused(check)) => state_refused(check, lang),
                Err(LinkError::Engine(e)) => unavailable(lang, &e),
            }
        }
        Ok(claims) => match pages
            .engine
            .link_verified(&q.state, &q.token, &claims.email)
            .await
        {
            Ok(lang) => {
                let say = i18n::catalogue(lang);
                tracing::info!("a chat identity was verified by a signed link");
                page(
                    lang,
                    StatusCode::OK,
                    say.page_verified_title(),
                    vec![say.page_verified(&masked(&claims.email.to_lowercase()))],
                )
            }
            Err(LinkError::Refused(check)) => state_refused(check, lang),
            Err(LinkError::Engine(e)) => unavailable(lang, &e),
        },
    }
}

/// Nothing was bound, because `why`; `again`: the link still works.
fn refused(lang: Lang, why: &str, again: bool) -> Response {
    let say = i18n::catalogue(lang);
    let mut paragraphs = vec![why.to_string()];
    if again {
        paragraphs.push(say.page_try_again().into());
    }
    page(
        lang,
        StatusCode::BAD_REQUEST,
        say.page_refused_title(),
        paragraphs,
    )
}

/// The database could not be reached.
fn unavailable(lang: Lang, e: &dyn std::fmt::Display) -> Response {
    tracing::warn!(error = %e, "a sign-in could not be taken");
    let say = i18n::catalogue(lang);
    page(
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        say.page_refused_title(),
        vec![say.page_unavailable().into()],
    )
}

/// The page for a state that cannot be used.
fn state_refused(check: LinkCheck, lang: Lang) -> Response {
    let (lang, why): (Lang, fn(&Catalogue) -> &'static str) = match check {
        LinkCheck::Unknown | LinkCheck::Usable(_) => (lang, Catalogue::page_state_unknown),
        LinkCheck::Expired(l) => (l, Catalogue::page_state_expired),
        LinkCheck::Used(l) => (l, Catalogue::page_state_used),
    };
    refused(lang, why(i18n::catalogue(lang)), false)
}

#[derive(Deserialize)]
struct UnsubscribeQuery {
    #[serde(default)]
    token: String,
}

/// Asks first: mail scanners follow links, and must not unsubscribe anyone.
async fn unsubscribe_page(headers: HeaderMap, Query(q): Query<UnsubscribeQuery>) -> Response {
    let lang = browser_lang(&headers);
    let say = i18n::catalogue(lang);
    let action = format!("unsubscribe?token={}", urlencode(&q.token));
    render(
        lang,
        StatusCode::OK,
        say.page_unsubscribe_title(),
        vec![say.page_unsubscribe_confirm().into()],
        Some(action),
        say.page_unsubscribe_button(),
    )
}

/// The form's button, or a mail client's one-click unsubscribe (RFC 8058).
async fn unsubscribe(
    State(pages): State<Pages>,
    headers: HeaderMap,
    Query(q): Query<UnsubscribeQuery>,
) -> Response {
    let lang = browser_lang(&headers);
    let say = i18n::catalogue(lang);
    let now = pages.engine.clock().now();
    match pages.store.unsubscribe(&q.token, now).await {
        Ok(Some(_)) => {
            tracing::info!("a requester unsubscribed from away emails");
            page(
                lang,
                StatusCode::OK,
                say.page_unsubscribe_title(),
                vec![say.page_unsubscribed().into()],
            )
        }
        Ok(None) => page(
            lang,
            StatusCode::NOT_FOUND,
            say.page_unsubscribe_title(),
            vec![say.page_unsubscribe_unknown().into()],
        ),
        Err(e) => {
            tracing::warn!(error = %e, "an unsubscribe could not be taken");
            page(
                lang,
                StatusCode::SERVICE_UNAVAILABLE,
                say.page_unsubscribe_title(),
                vec![say.page_unavailable().into()],
            )
        }
    }
}

/// A token as a query value: hex, so only other input needs escaping.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};

    fn keys() -> BTreeMap<String, SecretString> {
        BTreeMap::from([("k1".to_string(), SecretString::from("first-secret"))])
    }

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn token(kid: &str, secret: &str, claims: serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(
            &header,
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    fn claims(exp: u64) -> serde_json::Value {
        serde_json::json!({
            "external_id": "u-1", "email": "Ada@Example.com", "email_verified": true,
            "exp": exp, "iat": now(),
        })
    }

    #[test]
    fn a_good_token_passes_and_every_bad_one_says_why() {
        let url = "https://desk.example.com";
        let good = token("k1", "first-secret", claims(now() + 120));
        assert_eq!(
            check_token(&good, &keys(), url).unwrap().email,
            "Ada@Example.com"
        );
        let wrong_key = token("k1", "another-secret", claims(now() + 120));
        assert_eq!(
            check_token(&wrong_key, &keys(), url).unwrap_err(),
            Refusal::Signature
        );
        let unknown = token("k9", "first-secret", claims(now() + 120));
        assert_eq!(
            check_token(&unknown, &keys(), url).unwrap_err(),
            Refusal::UnknownKey
        );
        let expired = token("k1", "first-secret", claims(now() - 61));
        assert_eq!(
            check_token(&expired, &keys(), url).unwrap_err(),
            Refusal::Expired
        );
        let within_leeway = token("k1", "first-secret", claims(now() - 30));
        assert!(check_token(&within_leeway, &keys(), url).is_ok());
        let mut unverified = claims(now() + 120);
        unverified["email_verified"] = false.into();
        let unverified = token("k1", "first-secret", unverified);
        assert_eq!(
            check_token(&unverified, &keys(), url).unwrap_err(),
            Refusal::Unverified
        );
        let mut elsewhere = claims(now() + 120);
        elsewhere["aud"] = "https://other.example.com".into();
        let elsewhere = token("k1", "first-secret", elsewhere);
        assert_eq!(
            check_token(&elsewhere, &keys(), url).unwrap_err(),
            Refusal::Claims
        );
        let mut forever = claims(now() + 120);
        forever["exp"] = (now() + 365 * 24 * 3600).into();
        let forever = token("k1", "first-secret", forever);
        assert_eq!(
            check_token(&forever, &keys(), url).unwrap_err(),
            Refusal::Claims
        );
        let mut later = claims(now() + 120);
        later["iat"] = (now() + 600).into();
        let later = token("k1", "first-secret", later);
        assert_eq!(
            check_token(&later, &keys(), url).unwrap_err(),
            Refusal::Claims
        );
        let mut here = claims(now() + 120);
        here["aud"] = "https://desk.example.com/".into();
        assert!(check_token(&token("k1", "first-secret", here), &keys(), url).is_ok());
    }

    #[test]
    fn alg_none_and_other_algorithms_are_refused_as_such() {
        let b64 = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let body = b64(claims(now() + 120));
        for alg in ["none", "None", "HS512", "RS256"] {
            let forged = format!(
                "{}.{body}.",
                b64(serde_json::json!({"alg": alg, "kid": "k1"}))
            );
            assert_eq!(
                check_token(&forged, &keys(), "x").unwrap_err(),
                Refusal::Algorithm,
                "{alg}"
            );
        }
        assert_eq!(
            check_token("not a token", &keys(), "x").unwrap_err(),
            Refusal::Claims
        );
    }
}
