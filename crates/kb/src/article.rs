//! One help-center article, as loaded from its file (or built in memory).

use relaydesk_core::text::Lang;
use std::path::PathBuf;

/// A help-center article: its metadata and its Markdown body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Stable id, unique in the help center (front matter `id`, else the file stem).
    pub id: String,
    /// The title shown as the link text.
    pub title: String,
    /// The article's language (front matter `locale`, else detected from its text).
    pub locale: Lang,
    /// Absolute link to the article (front matter `url`, else base URL + id).
    pub url: String,
    /// Front matter `tags`, searched like the title.
    pub tags: Vec<String>,
    /// Questions this article answers: front matter `questions`, then the phrasings the
    /// desk learned. Searched like the title, and embedded one by one.
    pub questions: Vec<String>,
    /// The Markdown after the front matter.
    pub body: String,
    /// The file it came from; `None` for articles built in memory.
    pub path: Option<PathBuf>,
}

impl Article {
    /// An article built in memory, without a file; the locale is detected from the text.
    pub fn new(id: impl Into<String>, title: impl Into<String>, body: impl Into<String>) -> Self {
        let (title, body) = (title.into(), body.into());
        let locale = relaydesk_core::text::detect_lang(&format!("{title}\n{body}"));
        Article {
            id: id.into(),
            title,
            locale,
            url: String::new(),
            tags: Vec::new(),
            questions: Vec::new(),
            body,
            path: None,
        }
    }
}

/// Joins a base URL and an article id with exactly one `/` between them.
pub(crate) fn article_url(base_url: &str, id: &str) -> String {
    if base_url.is_empty() || base_url.ends_with('/') {
        format!("{base_url}{id}")
    } else {
        format!("{base_url}/{id}")
    }
}
