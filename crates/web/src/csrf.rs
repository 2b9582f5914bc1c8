//! Cross-site request forgery: every form carries the token of a cookie only this site
//! can read (`SameSite=Strict`), and a post whose field does not match the cookie is
//! refused. A page with a form gives the browser the cookie when it has none.

use axum::http::HeaderValue;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use relaydesk_core::desk::identity::new_token;

/// The cookie's name.
pub(crate) const COOKIE: &str = "csrf";
/// The hidden field's name.
pub(crate) const FIELD: &str = "csrf";

/// The token for a page's forms: the browser's, or a new one with the cookie to set.
pub(crate) fn token(jar: &CookieJar, secure: bool) -> (String, Option<HeaderValue>) {
    match jar.get(COOKIE).map(Cookie::value) {
        Some(token) if token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()) => {
            (token.to_string(), None)
        }
        _ => {
            let token = new_token();
            let cookie = Cookie::build((COOKIE, token.clone()))
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(secure)
                .path("/")
                .build();
            let header = HeaderValue::from_str(&cookie.to_string()).ok();
            (token, header)
        }
    }
}

/// Whether a post's field `sent` matches the browser's cookie.
pub(crate) fn matches(jar: &CookieJar, sent: Option<&str>) -> bool {
    match (jar.get(COOKIE).map(Cookie::value), sent) {
        (Some(cookie), Some(sent)) => !cookie.is_empty() && cookie == sent,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_matches_only_its_cookie() {
        let (token, cookie) = token(&CookieJar::new(), false);
        let cookie = cookie.unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let jar = CookieJar::new().add(Cookie::new(COOKIE, token.clone()));
        assert!(matches(&jar, Some(&token)));
        assert!(!matches(&jar, Some("0123")));
        assert!(!matches(&jar, None));
        assert!(!matches(&CookieJar::new(), Some(&token)));
        assert_eq!(super::token(&jar, false), (token, None));
    }
}
