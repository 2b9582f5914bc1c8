//! The help center: `/` lists the articles by tag or searches them with the bot's own
//! lookup, `/articles/{id}` shows one article, `/static/site.css` the stylesheet.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use relaydesk_core::knowledge::{ArticleHit, Knowledge, Lookup};
use relaydesk_kb::Article;
use serde::Deserialize;

use crate::i18n::ui;
use crate::lang::{Lang, UiLang};
use crate::layout::{render, Chrome, MessagePage};
use crate::WebState;

/// The one stylesheet, built into the binary.
const SITE_CSS: &str = include_str!("../static/site.css");

/// This module's routes.
pub(crate) fn routes() -> Router<Arc<WebState>> {
    Router::new()
        .route("/", get(index))
        .route("/articles/{id}", get(article))
        .route("/static/site.css", get(stylesheet))
}

/// The 404 page in the interface language, for any address no route takes: the
/// router's fallback.
pub(crate) async fn not_found(State(state): State<Arc<WebState>>, ui_lang: UiLang) -> Response {
    let chrome = Chrome::load(&state, ui_lang.lang).await;
    (
        ui_lang,
        render(StatusCode::NOT_FOUND, &MessagePage::not_found(chrome)),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        SITE_CSS,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
}

/// What a search found, as the page shows it.
#[derive(Debug)]
enum Results {
    /// Nothing was asked: the page lists the articles instead.
    NotAsked,
    /// Too short to search.
    TooShort,
    /// Nothing answers it.
    NoMatch,
    /// The articles that answer it, best first.
    Articles(Vec<Hit>),
}

/// One article that answers the question.
#[derive(Debug, PartialEq)]
struct Hit {
    href: String,
    title: String,
    lang: &'static str,
    excerpt: Vec<String>,
}

impl From<ArticleHit> for Hit {
    fn from(hit: ArticleHit) -> Hit {
        Hit {
            href: article_href(&hit.id),
            title: hit.title,
            lang: hit.locale.as_str(),
            excerpt: hit.excerpt,
        }
    }
}

fn results(lookup: Lookup) -> Results {
    match lookup {
        Lookup::TooShort => Results::TooShort,
        Lookup::NoMatch => Results::NoMatch,
        Lookup::Articles(hits) if hits.is_empty() => Results::NoMatch,
        Lookup::Articles(hits) => Results::Articles(hits.into_iter().map(Hit::from).collect()),
    }
}

/// The articles under one tag.
#[derive(Debug, PartialEq)]
struct Section {
    /// The tag; `None` for the articles without one ("Other").
    tag: Option<String>,
    articles: Vec<ArticleLink>,
}

#[derive(Debug, Clone, PartialEq)]
struct ArticleLink {
    href: String,
    title: String,
    lang: &'static str,
}

impl ArticleLink {
    fn of(article: &Article) -> ArticleLink {
        ArticleLink {
            href: article_href(&article.id),
            title: article.title.clone(),
            lang: article.locale.as_str(),
        }
    }
}

#[derive(Template)]
#[template(path = "helpcenter/index.html")]
struct IndexPage {
    chrome: Chrome,
    q: String,
    results: Results,
    sections: Vec<Section>,
}

async fn index(
    State(state): State<Arc<WebState>>,
    ui_lang: UiLang,
    uri: Uri,
    Query(params): Query<SearchParams>,
) -> Response {
    let lang = ui_lang.lang;
    let chrome = Chrome::load(&state, lang)
        .await
        .at("/")
        .keeping(uri.query());
    let q = params.q.unwrap_or_default().trim().to_string();
    let (results, sections) = if q.is_empty() {
        let help_center = state.helpcenter.current();
        (Results::NotAsked, by_tag(help_center.articles(), lang))
    } else {
        // The bot's own lookup, so the page and the chat answer alike.
        (results(state.helpcenter.lookup(&q)), Vec::new())
    };
    let page = IndexPage {
        chrome,
        q,
        results,
        sections,
    };
    (ui_lang, render(StatusCode::OK, &page)).into_response()
}

/// The articles in `lang` (all of them when none is), one section per tag, tags and
/// titles in order, the untagged last under "Other". An article with several tags
/// is in each of their sections.
fn by_tag(articles: &[Article], lang: Lang) -> Vec<Section> {
    let in_lang: Vec<&Article> = articles.iter().filter(|a| a.locale == lang).collect();
    let shown = if in_lang.is_empty() {
        articles.iter().collect()
    } else {
        in_lang
    };
    let mut tagged: BTreeMap<&str, Vec<&Article>> = BTreeMap::new();
    let mut other = Vec::new();
    for article in shown {
        let mut tags: Vec<&str> = article
            .tags
            .iter()
            .map(|tag| tag.trim())
            .filter(|tag| !tag.is_empty())
            .collect();
        tags.sort_unstable();
        tags.dedup();
        if tags.is_empty() {
            other.push(article);
        }
        for tag in tags {
            tagged.entry(tag).or_default().push(article);
        }
    }
    let section = |tag: Option<String>, mut articles: Vec<&Article>| {
        articles.sort_by_cached_key(|a| (a.title.to_lowercase(), a.id.clone()));
        Section {
            tag,
            articles: articles.into_iter().map(ArticleLink::of).collect(),
        }
    };
    let mut sections: Vec<Section> = tagged
        .into_iter()
        .map(|(tag, articles)| section(Some(tag.to_string()), articles))
        .collect();
    if !other.is_empty() {
        sections.push(section(None, other));
    }
    sections
}

#[derive(Template)]
#[template(path = "helpcenter/article.html")]
struct ArticlePage {
    chrome: Chrome,
    title: String,
    lang: &'static str,
    /// Sanitised HTML.
    body: String,
    tags: Vec<String>,
    twins: Vec<Twin>,
}

/// A link to the same article in another language, labelled in that language.
#[derive(Debug, PartialEq)]
struct Twin {
    href: String,
    lang: &'static str,
    label: &'static str,
}

async fn article(
    State(state): State<Arc<WebState>>,
    ui_lang: UiLang,
    Path(id): Path<String>,
) -> Response {
    let chrome = Chrome::load(&state, ui_lang.lang).await;
    let help_center = state.helpcenter.current();
    let Some(article) = help_center.article(&id) else {
        let page = MessagePage::not_found(chrome);
        return (ui_lang, render(StatusCode::NOT_FOUND, &page)).into_response();
    };
    let page = ArticlePage {
        chrome: chrome.document_in(article.locale),
        title: article.title.clone(),
        lang: article.locale.as_str(),
        body: markdown_to_html(&article.body),
        tags: article.tags.clone(),
        twins: twins(article, |id| help_center.article(id).map(|a| a.locale)),
    };
    (ui_lang, render(StatusCode::OK, &page)).into_response()
}

/// The versions of `article` in the other languages: `<topic>-ko` for `<topic>-en`
/// and the reverse, those that `find` knows (it gives an id's language).
fn twins(article: &Article, find: impl Fn(&str) -> Option<Lang>) -> Vec<Twin> {
    let Some(topic) = article
        .id
        .strip_suffix(&format!("-{}", article.locale.as_str()))
    else {
        return Vec::new();
    };
    Lang::ALL
        .into_iter()
        .filter(|&lang| lang != article.locale)
        .filter_map(|lang| {
            let id = format!("{topic}-{}", lang.as_str());
            let found = find(&id)?;
            Some(Twin {
                href: article_href(&id),
                lang: found.as_str(),
                label: ui(found).read_twin,
            })
        })
        .collect()
}

/// An article's Markdown as HTML that is safe to show: raw HTML in the Markdown
/// passes through the sanitiser, which drops scripts (with their text), event
/// handlers, styles and `javascript:` links.
fn markdown_to_html(markdown: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::clean(&unsafe_html)
}

/// The address of an article: `/articles/` and its id, percent-encoded as a path
/// segment.
fn article_href(id: &str) -> String {
    let mut href = String::from("/articles/");
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            href.push(byte as char);
        } else {
            href.push_str(&format!("%{byte:02X}"));
        }
    }
    href
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(id: &str, title: &str, locale: Lang, tags: &[&str]) -> Article {
        let mut article = Article::new(id, title, "Body.");
        article.locale = locale;
        article.tags = tags.iter().map(|t| t.to_string()).collect();
        article
    }

    fn titles(section: &Section) -> Vec<&str> {
        section.articles.iter().map(|a| a.title.as_str()).collect()
    }

    #[test]
    fn articles_are_grouped_by_tag() {
        let articles = vec![
            article("b-en", "Billing", Lang::En, &["money", "account"]),
            article("a-en", "accounts", Lang::En, &["account"]),
            article("c-en", "Chat", Lang::En, &[]),
            article("a-ko", "계정", Lang::Ko, &["계정"]),
            article("d-en", "Duplicated", Lang::En, &["money", " money ", ""]),
        ];
        let sections = by_tag(&articles, Lang::En);
        let tags: Vec<Option<&str>> = sections.iter().map(|s| s.tag.as_deref()).collect();
        assert_eq!(tags, [Some("account"), Some("money"), None]);
        assert_eq!(titles(&sections[0]), ["accounts", "Billing"]);
        assert_eq!(titles(&sections[1]), ["Billing", "Duplicated"]);
        assert_eq!(titles(&sections[2]), ["Chat"]);
        assert_eq!(sections[0].articles[0].href, "/articles/a-en");

        let korean = by_tag(&articles, Lang::Ko);
        assert_eq!(korean.len(), 1);
        assert_eq!(titles(&korean[0]), ["계정"]);
    }

    #[test]
    fn without_articles_in_the_language_all_are_listed() {
        let articles = vec![article("a-ko", "계정", Lang::Ko, &[])];
        let sections = by_tag(&articles, Lang::En);
        assert_eq!(sections.len(), 1);
        assert_eq!(sections[0].tag, None);
        assert_eq!(sections[0].articles[0].lang, "ko");
        assert!(by_tag(&[], Lang::En).is_empty());
    }

    #[test]
    fn the_twin_is_linked_in_its_own_language() {
        let english = article("reset-en", "Reset", Lang::En, &[]);
        let korean = article("reset-ko", "재설정", Lang::Ko, &[]);
        let known = |id: &str| match id {
            "reset-en" => Some(Lang::En),
            "reset-ko" => Some(Lang::Ko),
            _ => None,
        };
        assert_eq!(
            twins(&english, known),
            [Twin {
                href: "/articles/reset-ko".to_string(),
                lang: "ko",
                label: "한국어로 보기",
            }]
        );
        assert_eq!(twins(&korean, known)[0].label, "Read in English");
        assert!(twins(&english, |_| None).is_empty());
        let plain = article("reset", "Reset", Lang::En, &[]);
        assert!(twins(&plain, known).is_empty());
    }

    #[test]
    fn markdown_is_rendered() {
        let html =
            markdown_to_html("## Steps\n\n1. Open *it*\n2. `go`\n\n[x](https://example.com)");
        assert!(html.contains("<h2>Steps</h2>"));
        assert!(html.contains("<ol>"));
        assert!(html.contains("<em>it</em>"));
        assert!(html.contains("<code>go</code>"));
        assert!(html.contains(r#"href="https://example.com""#));
    }

    #[test]
    fn raw_html_cannot_run() {
        let html = markdown_to_html(
            "Hi <script>alert(1)</script>\n\n<script>\nalert(2)\n</script>\n\n\
             <img src=x onerror=alert(3)> <a href=\"javascript:alert(4)\">x</a>\n\n\
             <p style=\"color:red\" onclick=\"alert(5)\">styled</p>\n\n<iframe src=\"//evil\"></iframe>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("style="), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        assert!(html.contains("styled"));
    }

    #[test]
    fn ids_are_encoded_in_links() {
        assert_eq!(article_href("web-form-en"), "/articles/web-form-en");
        assert_eq!(article_href("a b/c?"), "/articles/a%20b%2Fc%3F");
        assert_eq!(article_href("계"), "/articles/%EA%B3%84");
    }

    #[test]
    fn lookups_become_results() {
        assert!(matches!(results(Lookup::TooShort), Results::TooShort));
        assert!(matches!(results(Lookup::NoMatch), Results::NoMatch));
        assert!(matches!(
            results(Lookup::Articles(Vec::new())),
            Results::NoMatch
        ));
        let hit = ArticleHit {
            id: "a-ko".to_string(),
            title: "계정".to_string(),
            url: "https://help.example.com/a-ko".to_string(),
            locale: Lang::Ko,
            excerpt: vec!["1. 하나".to_string()],
            score: 1.0,
        };
        let Results::Articles(hits) = results(Lookup::Articles(vec![hit])) else {
            panic!("articles expected");
        };
        assert_eq!(hits[0].href, "/articles/a-ko");
        assert_eq!(hits[0].lang, "ko");
    }

    fn index_html(lang: Lang, q: &str, results: Results, sections: Vec<Section>) -> String {
        IndexPage {
            chrome: Chrome::new(lang, None).at("/"),
            q: q.to_string(),
            results,
            sections,
        }
        .render()
        .unwrap()
    }

    #[test]
    fn the_index_has_a_search_box_and_the_sections() {
        let articles = vec![article("a-en", "Accounts", Lang::En, &["account"])];
        let html = index_html(Lang::En, "", Results::NotAsked, by_tag(&articles, Lang::En));
        assert!(html.contains(r#"<form class="search" method="get" action="/""#));
        assert!(html.contains(r#"<label for="q">Search the help center</label>"#));
        assert!(html.contains(r#"name="q""#));
        assert!(html.contains(r#"<h2 class="tag">account</h2>"#));
        assert!(html.contains(r#"<a href="/articles/a-en">Accounts</a>"#));
    }

    #[test]
    fn the_search_page_says_what_it_found() {
        let html = index_html(Lang::Ko, "help", Results::TooShort, Vec::new());
        assert!(html.contains("한 문장으로"));
        assert!(html.contains(r#"value="help""#));
        let html = index_html(Lang::En, "<b>odd</b>", Results::NoMatch, Vec::new());
        assert!(html.contains("We found nothing"));
        assert!(html.contains(r#"href="/support/new""#));
        assert!(!html.contains("<b>odd</b>"));
        let hits = vec![Hit {
            href: "/articles/a-en".to_string(),
            title: "Accounts".to_string(),
            lang: "en",
            excerpt: vec!["1. Open the <menu>".to_string()],
        }];
        let html = index_html(Lang::En, "my account", Results::Articles(hits), Vec::new());
        assert!(html.contains(r#"<a href="/articles/a-en">Accounts</a>"#));
        assert!(
            html.contains("1. Open the &#60;menu&#62;")
                || html.contains("1. Open the &lt;menu&gt;")
        );
    }

    #[test]
    fn the_article_page_is_in_the_articles_language() {
        let page = ArticlePage {
            chrome: Chrome::new(Lang::En, None).document_in(Lang::Ko),
            title: "계정".to_string(),
            lang: "ko",
            body: markdown_to_html("본문 <script>alert(1)</script>"),
            tags: vec!["계정".to_string()],
            twins: vec![Twin {
                href: "/articles/a-en".to_string(),
                lang: "en",
                label: "Read in English",
            }],
        };
        let html = page.render().unwrap();
        assert!(html.contains(r#"<html lang="ko">"#));
        assert!(html.contains("<h1>계정</h1>"));
        assert!(html.contains("본문"));
        assert!(!html.contains("<script"));
        assert!(html
            .contains(r#"<a href="/articles/a-en" hreflang="en" lang="en">Read in English</a>"#));
        assert!(html.contains(r#"<a href="/support/new">Still need help? Submit a request</a>"#));
        assert!(html.contains("<li>계정</li>"));
    }
}
