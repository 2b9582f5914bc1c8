//! The page layout every page shares: `templates/base.html`, filled from [`Chrome`].
//!
//! A page's template starts with `{% extends "base.html" %}`, fills the blocks `title`
//! and `content`, and its struct has a field `chrome: Chrome`.

use askama::Template;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::i18n::{ui, Ui};
use crate::lang::Lang;
use crate::WebState;

/// What the layout around a page needs: its languages, its words, the notice.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    /// The interface language: the header, the footer, the page's own words.
    pub(crate) lang: Lang,
    /// The language of the document (`<html lang>`): the interface language, except
    /// on an article, which is in its own.
    pub(crate) doc_lang: Lang,
    /// The interface strings.
    pub(crate) t: &'static Ui,
    /// The banner over the page (chat may not reach anyone), with a link to the form.
    pub(crate) notice: Option<String>,
    /// The path of the nav entry the page belongs to (`/`, `/support/new`,
    /// `/activity`, `/status`), marked as current; empty for none.
    pub(crate) current: &'static str,
    /// The page's query without its `lang`, kept by the language switch (a search's
    /// question, a sign-in link's token).
    keep: String,
}

/// One entry of the language switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LangChoice {
    /// The language's tag, the value of `?lang=`.
    pub(crate) tag: &'static str,
    /// The same page in this language.
    pub(crate) href: String,
    /// The language's name, in itself.
    pub(crate) name: &'static str,
    /// The page is in this language.
    pub(crate) current: bool,
}

impl Chrome {
    /// The layout for a page in `lang`, with `notice` over it.
    pub(crate) fn new(lang: Lang, notice: Option<String>) -> Chrome {
        Chrome {
            lang,
            doc_lang: lang,
            t: ui(lang),
            notice,
            current: "",
            keep: String::new(),
        }
    }

    /// The switch keeps the rest of the page's `query` (as sent, still encoded).
    pub(crate) fn keeping(mut self, query: Option<&str>) -> Chrome {
        self.keep = query
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("lang"))
            .collect::<Vec<_>>()
            .join("&");
        self
    }

    /// The layout for a page in `lang`, with the status notice
    /// ([`crate::status::banner`]) over it.
    pub(crate) async fn load(state: &WebState, lang: Lang) -> Chrome {
        Chrome::new(lang, crate::status::banner(state, lang).await)
    }

    /// Marks the nav entry `path` as the current page.
    pub(crate) fn at(mut self, path: &'static str) -> Chrome {
        self.current = path;
        self
    }

    /// Declares the document to be in `lang` (an article in its own language), while
    /// the layout stays in the interface language.
    pub(crate) fn document_in(mut self, lang: Lang) -> Chrome {
        self.doc_lang = lang;
        self
    }

    /// The language switch: every language, named in itself.
    pub(crate) fn switch(&self) -> Vec<LangChoice> {
        Lang::ALL
            .into_iter()
            .map(|lang| LangChoice {
                tag: lang.as_str(),
                href: match self.keep.as_str() {
                    "" => format!("?lang={}", lang.as_str()),
                    keep => format!("?{keep}&lang={}", lang.as_str()),
                },
                name: ui(lang).language_name,
                current: lang == self.lang,
            })
            .collect()
    }
}

/// A page that only says something: a title, a sentence, a link onward. The 404 and
/// error pages, and any other page with nothing more to show.
#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    /// The layout.
    pub(crate) chrome: Chrome,
    /// The heading.
    pub(crate) title: String,
    /// The sentence under it.
    pub(crate) text: String,
    /// A link onward: address and label.
    pub(crate) link: Option<(String, String)>,
}

impl MessagePage {
    /// The 404 page in the interface language, linking back to the help center.
    pub(crate) fn not_found(chrome: Chrome) -> MessagePage {
        let t = chrome.t;
        MessagePage {
            chrome,
            title: t.not_found_title.to_string(),
            text: t.not_found_text.to_string(),
            link: Some(("/".to_string(), t.back_to_help_center.to_string())),
        }
    }

    /// The page shown when something failed on our side; the cause goes to the log.
    pub(crate) fn error(chrome: Chrome) -> MessagePage {
        let t = chrome.t;
        MessagePage {
            chrome,
            title: t.error_title.to_string(),
            text: t.error_text.to_string(),
            link: Some(("/".to_string(), t.back_to_help_center.to_string())),
        }
    }
}

/// The page for something that failed on our side (the cause is logged where it
/// happened), with 503: the person may try again.
pub(crate) async fn unavailable(state: &WebState, lang: crate::lang::UiLang) -> Response {
    let chrome = Chrome::load(state, lang.lang).await;
    let page = MessagePage::error(chrome);
    (lang, render(StatusCode::SERVICE_UNAVAILABLE, &page)).into_response()
}

/// `page` rendered as an HTML answer with `status`. A template that fails to render
/// is logged and answered with a bare 500, since the layout itself may be what failed.
pub(crate) fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let content_type = HeaderValue::from_static("text/html; charset=utf-8");
            (status, [(CONTENT_TYPE, content_type)], html).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(chrome: Chrome) -> String {
        MessagePage::not_found(chrome).render().unwrap()
    }

    #[test]
    fn the_layout_is_in_the_interface_language() {
        let html = page(Chrome::new(Lang::Ko, None).at("/"));
        assert!(html.contains(r#"<html lang="ko">"#));
        assert!(html.contains("페이지를 찾을 수 없어요"));
        assert!(html.contains(r#"<a href="/" aria-current="page">도움말 센터</a>"#));
        assert!(html.contains(r#"<a href="/support/new">요청 제출</a>"#));
        assert!(html.contains(r#"<a href="/activity">내 활동</a>"#));
        assert!(html.contains(r#"<a href="/status">상태</a>"#));
        assert!(html.contains(r#"<main id="main""#));
        assert!(html.contains(r##"href="#main""##));
        assert!(html.contains(r#"<link rel="stylesheet" href="/static/site.css">"#));
        assert!(html.contains(r#"name="viewport""#));
    }

    #[test]
    fn the_switch_names_each_language_in_itself() {
        let html = page(Chrome::new(Lang::En, None));
        assert!(html.contains(r#"<a href="?lang=ko" hreflang="ko" lang="ko">한국어</a>"#));
        assert!(html.contains(
            r#"<a href="?lang=en" hreflang="en" lang="en" aria-current="true">English</a>"#
        ));
    }

    #[test]
    fn the_switch_keeps_the_rest_of_the_query() {
        let chrome = Chrome::new(Lang::En, None).keeping(Some("q=a+b&lang=en&x=%3C"));
        let hrefs: Vec<String> = chrome.switch().into_iter().map(|c| c.href).collect();
        assert_eq!(hrefs, ["?q=a+b&x=%3C&lang=en", "?q=a+b&x=%3C&lang=ko"]);
        let html = page(chrome);
        assert!(
            html.contains(r#"<a href="?q=a+b&#38;x=%3C&#38;lang=ko""#)
                || html.contains(r#"<a href="?q=a+b&amp;x=%3C&amp;lang=ko""#),
            "{html}"
        );
    }

    #[test]
    fn the_document_may_be_in_another_language() {
        let html = page(Chrome::new(Lang::En, None).document_in(Lang::Ko));
        assert!(html.contains(r#"<html lang="ko">"#));
        assert!(html.contains(r#"<header class="site" lang="en">"#));
    }

    #[test]
    fn the_notice_is_escaped_and_links_to_the_form() {
        assert!(!page(Chrome::new(Lang::En, None)).contains(r#"class="notice""#));
        let html = page(Chrome::new(Lang::En, Some("Chat is <down>".to_string())));
        assert!(html.contains("Chat is &#60;down&#62;") || html.contains("Chat is &lt;down&gt;"));
        assert!(html.contains(r#"<a href="/support/new">Submit a request</a>"#));
    }

    #[test]
    fn no_inline_script_or_style() {
        let html = page(Chrome::new(Lang::En, Some("notice".to_string())));
        assert!(!html.contains("<script"));
        assert!(!html.contains("<style"));
        assert!(!html.contains("style="));
    }
}
