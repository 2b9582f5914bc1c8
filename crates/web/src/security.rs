//! Security headers on every answer.
//!
//! The pages run no script and load nothing from elsewhere, so the policy allows only
//! the site's own stylesheet and images, forms posting back to the site, and no
//! framing.

use axum::extract::Request;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The content security policy: no script at all, styles only from `/static`.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'none'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers and their values, each added unless the handler set it.
///
/// `Referrer-Policy: same-origin` rather than `no-referrer`: links within the site
/// keep their referrer (useful in our own logs), while the sign-in token of a My
/// activity address or a search question never reaches another site through a link
/// in an article.
const HEADERS: [(HeaderName, &str); 4] = [
    (CONTENT_SECURITY_POLICY, CSP),
    (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (REFERRER_POLICY, "same-origin"),
    (X_FRAME_OPTIONS, "DENY"),
];

/// Adds the security headers to the answer, keeping any the handler set itself.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    add_missing(response.headers_mut());
    response
}

fn add_missing(headers: &mut HeaderMap) {
    for (name, value) in HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_is_added() {
        let mut headers = HeaderMap::new();
        add_missing(&mut headers);
        assert_eq!(headers[CONTENT_SECURITY_POLICY], CSP);
        assert!(CSP.contains("script-src 'none'"));
        assert!(CSP.contains("frame-ancestors 'none'"));
        assert!(!CSP.contains("  "));
        assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[REFERRER_POLICY], "same-origin");
        assert_eq!(headers[X_FRAME_OPTIONS], "DENY");
    }

    #[test]
    fn a_handlers_own_header_stays() {
        let mut headers = HeaderMap::new();
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        add_missing(&mut headers);
        assert_eq!(headers[REFERRER_POLICY], "no-referrer");
        assert_eq!(headers.get_all(REFERRER_POLICY).iter().count(), 1);
    }
}
