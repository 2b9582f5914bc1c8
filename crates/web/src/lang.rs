//! The interface language of a request: `?lang=` (remembered in a cookie), else the
//! `lang` cookie, else `Accept-Language`, else English.
//!
//! A handler takes [`UiLang`] as an extractor and returns it among the parts of its
//! answer, `(ui, Html(page))`: when the request chose a language with `?lang=`, the
//! answer sets the cookie that remembers it.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{ACCEPT_LANGUAGE, SET_COOKIE, VARY};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponseParts, ResponseParts};
use axum_extra::extract::CookieJar;

pub use relaydesk_core::text::Lang;

use crate::WebState;

/// The cookie that remembers the language chosen with `?lang=`.
pub(crate) const COOKIE: &str = "lang";

/// A year: the choice is a preference, not a session.
const COOKIE_MAX_AGE_SECS: u32 = 365 * 24 * 60 * 60;

/// The request's interface language, and whether the request chose it with `?lang=`.
///
/// As a response part it sets the `lang` cookie when the request chose the language,
/// and always adds `Vary: Cookie, Accept-Language`, since the same address answers in
/// either language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UiLang {
    /// The language to write the page in.
    pub(crate) lang: Lang,
    /// Chosen with `?lang=`: the answer must remember it.
    chosen: bool,
    /// The cookie may only travel over https.
    secure: bool,
}

impl UiLang {
    /// The `Set-Cookie` value that remembers the choice, when `?lang=` made one.
    pub(crate) fn set_cookie(&self) -> Option<HeaderValue> {
        self.chosen.then(|| remember_cookie(self.lang, self.secure))
    }
}

impl<S> FromRequestParts<S> for UiLang
where
    S: Send + Sync,
    Arc<WebState>: FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let secure = Arc::<WebState>::from_ref(state).settings.secure_cookies();
        let chosen = parts.uri.query().and_then(from_query);
        let lang = chosen.unwrap_or_else(|| negotiate(&parts.headers));
        Ok(UiLang {
            lang,
            chosen: chosen.is_some(),
            secure,
        })
    }
}

impl IntoResponseParts for UiLang {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        if let Some(cookie) = self.set_cookie() {
            res.headers_mut().append(SET_COOKIE, cookie);
        }
        res.headers_mut()
            .append(VARY, HeaderValue::from_static("Cookie, Accept-Language"));
        Ok(res)
    }
}

/// The language named by `lang=` in a query string; `None` without one, or for a
/// language relaydesk does not write.
pub(crate) fn from_query(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "lang")
        .and_then(|(_, value)| Lang::parse(&value.to_ascii_lowercase()))
}

/// The language of a request that did not choose one with `?lang=`: its `lang`
/// cookie, else its `Accept-Language`, else English.
pub(crate) fn negotiate(headers: &HeaderMap) -> Lang {
    let jar = CookieJar::from_headers(headers);
    jar.get(COOKIE)
        .and_then(|cookie| Lang::parse(cookie.value()))
        .or_else(|| {
            headers
                .get_all(ACCEPT_LANGUAGE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .find_map(accept_language)
        })
        .unwrap_or_default()
}

/// The language of an `Accept-Language` header the visitor likes best, by q-value (the
/// earlier of equals); `None` when it names neither English nor Korean, or refuses
/// them with `q=0`.
pub(crate) fn accept_language(header: &str) -> Option<Lang> {
    let mut ranked: Vec<(f32, Lang)> = header
        .split(',')
        .filter_map(|item| {
            let mut fields = item.split(';');
            let lang = Lang::from_tag(fields.next()?.trim())?;
            let q = fields
                .filter_map(|param| param.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, lang))
        })
        .collect();
    // A stable sort keeps the header's order among equal q-values.
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.first().map(|&(_, lang)| lang)
}

/// The `Set-Cookie` value that remembers `lang`. `HttpOnly` since no script reads it
/// (there is none); `SameSite=Lax` so a link from elsewhere still carries it.
pub(crate) fn remember_cookie(lang: Lang, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{COOKIE}={}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; SameSite=Lax; HttpOnly{secure}",
        lang.as_str()
    );
    HeaderValue::from_str(&value).expect("a language tag and fixed attributes are a valid header")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for &(name, value) in pairs {
            map.append(name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn query_names_the_language() {
        assert_eq!(from_query("lang=ko"), Some(Lang::Ko));
        assert_eq!(from_query("q=hello&lang=en"), Some(Lang::En));
        assert_eq!(from_query("lang=KO"), Some(Lang::Ko));
        assert_eq!(from_query("lang=fr"), None);
        assert_eq!(from_query("q=lang"), None);
        assert_eq!(from_query("language=ko"), None);
        assert_eq!(from_query(""), None);
    }

    #[test]
    fn accept_language_honours_q_values() {
        assert_eq!(
            accept_language("ko-KR,ko;q=0.9,en-US;q=0.8"),
            Some(Lang::Ko)
        );
        assert_eq!(accept_language("en-US,en;q=0.9,ko;q=0.8"), Some(Lang::En));
        assert_eq!(accept_language("en;q=0.5, ko;q=0.7"), Some(Lang::Ko));
        assert_eq!(accept_language("fr-FR, de;q=0.9, ko;q=0.3"), Some(Lang::Ko));
        assert_eq!(accept_language("ko, en"), Some(Lang::Ko));
        assert_eq!(accept_language("ko;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(accept_language("fr, *;q=0.5"), None);
        assert_eq!(accept_language(""), None);
        assert_eq!(accept_language("ko;q=abc"), Some(Lang::Ko));
    }

    #[test]
    fn cookie_comes_before_accept_language() {
        let h = headers(&[("cookie", "theme=dark; lang=ko"), ("accept-language", "en")]);
        assert_eq!(negotiate(&h), Lang::Ko);
        let h = headers(&[("cookie", "lang=xx"), ("accept-language", "ko")]);
        assert_eq!(negotiate(&h), Lang::Ko);
        let h = headers(&[("accept-language", "ko-KR")]);
        assert_eq!(negotiate(&h), Lang::Ko);
        assert_eq!(negotiate(&HeaderMap::new()), Lang::En);
        let h = headers(&[("accept-language", "fr")]);
        assert_eq!(negotiate(&h), Lang::En);
    }

    #[test]
    fn the_choice_is_remembered_only_when_made() {
        let chosen = UiLang {
            lang: Lang::Ko,
            chosen: true,
            secure: false,
        };
        assert_eq!(
            chosen.set_cookie().unwrap(),
            "lang=ko; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
        );
        let negotiated = UiLang {
            chosen: false,
            ..chosen
        };
        assert_eq!(negotiated.set_cookie(), None);
        assert!(remember_cookie(Lang::En, true)
            .to_str()
            .unwrap()
            .ends_with("HttpOnly; Secure"));
    }
}
