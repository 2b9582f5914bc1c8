//! Reads a help-center folder: every `*.md` file below it, recursively. A broken file is
//! reported and skipped; loading as a whole never fails, so one typo cannot take the
//! bot's answers down.

use crate::article::{article_url, Article};
use crate::frontmatter;
use crate::markdown::first_h1;
use relaydesk_core::text::{detect_lang, Lang};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Folders nested deeper than this are ignored, which also stops symlink loops.
const MAX_DEPTH: usize = 16;

/// A file (or the folder itself) that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct LoadError {
    /// The file or folder at fault.
    pub path: PathBuf,
    /// What is wrong with it, for the person who maintains the help center.
    pub message: String,
}

impl LoadError {
    pub(crate) fn new(path: &Path, message: impl Into<String>) -> Self {
        LoadError {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// Every `*.md` file below `dir` in a stable (sorted) order, skipping hidden entries,
/// with the folders that could not be read.
pub(crate) fn markdown_files(dir: &Path) -> (Vec<PathBuf>, Vec<LoadError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    walk(dir, 0, &mut files, &mut errors);
    files.sort();
    (files, errors)
}

fn walk(dir: &Path, depth: usize, files: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(LoadError::new(dir, format!("cannot read the folder: {e}")));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                errors.push(LoadError::new(dir, format!("cannot list the folder: {e}")));
                continue;
            }
        };
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // Follows symlinks, so a linked folder of articles is loaded like a real one.
        let Ok(meta) = std::fs::metadata(&path) else {
            errors.push(LoadError::new(&path, "broken link or unreadable entry"));
            continue;
        };
        if meta.is_dir() {
            if depth < MAX_DEPTH {
                walk(&path, depth + 1, files, errors);
            } else {
                errors.push(LoadError::new(&path, "folder nested too deep; skipped"));
            }
        } else if is_markdown(&path) {
            files.push(path);
        }
    }
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

/// Loads all articles below `dir`; duplicates of an id already loaded are errors.
pub(crate) fn load_articles(dir: &Path, base_url: &str) -> (Vec<Article>, Vec<LoadError>) {
    let (files, mut errors) = markdown_files(dir);
    let mut articles = Vec::with_capacity(files.len());
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for path in files {
        let text = match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    errors.push(LoadError::new(&path, "not valid UTF-8 text"));
                    continue;
                }
            },
            Err(e) => {
                errors.push(LoadError::new(&path, format!("cannot read the file: {e}")));
                continue;
            }
        };
        match parse_article(&path, &text, base_url) {
            Ok(article) => {
                if let Some(first) = seen.get(&article.id) {
                    errors.push(LoadError::new(
                        &path,
                        format!(
                            "duplicate id {:?}, already used by {}",
                            article.id,
                            first.display()
                        ),
                    ));
                    continue;
                }
                seen.insert(article.id.clone(), path);
                articles.push(article);
            }
            Err(message) => errors.push(LoadError::new(&path, message)),
        }
    }
    (articles, errors)
}

/// Builds an article from the text of its file, applying the defaults for missing keys.
pub(crate) fn parse_article(path: &Path, text: &str, base_url: &str) -> Result<Article, String> {
    let (fm, body) = frontmatter::split(text).map_err(|e| format!("bad front matter: {e}"))?;
    let id = match fm.id {
        Some(id) => id,
        None => path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
            .ok_or("the file name is not valid UTF-8; set `id:` in the front matter")?,
    };
    if id.is_empty()
        || id
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '/' | '\\' | '?' | '#'))
    {
        return Err(format!(
            "id {id:?} cannot be part of a link (no spaces, '/', '\\', '?' or '#'); set `id:` in the front matter"
        ));
    }
    let title = match fm.title.or_else(|| first_h1(body).map(str::to_string)) {
        Some(title) => title,
        None => {
            return Err(
                "no title: set `title:` in the front matter or start with a `# ` heading".into(),
            )
        }
    };
    let locale = match fm.locale {
        Some(tag) => Lang::from_tag(&tag)
            .ok_or_else(|| format!("unsupported locale {tag:?} (use en or ko)"))?,
        None => detect_lang(&format!("{title}\n{body}")),
    };
    let url = fm.url.unwrap_or_else(|| article_url(base_url, &id));
    Ok(Article {
        id,
        title,
        locale,
        url,
        tags: fm.tags.unwrap_or_default(),
        questions: fm.questions.unwrap_or_default(),
        body: body.to_string(),
        path: Some(path.to_path_buf()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_the_file() {
        let a = parse_article(
            Path::new("/hc/account/비밀번호-재설정.md"),
            "# 비밀번호 재설정\n\n1. 설정을 엽니다.\n",
            "https://help.example.com/articles",
        )
        .unwrap();
        assert_eq!(a.id, "비밀번호-재설정");
        assert_eq!(a.title, "비밀번호 재설정");
        assert_eq!(a.locale, Lang::Ko);
        assert_eq!(a.url, "https://help.example.com/articles/비밀번호-재설정");
        assert!(a.tags.is_empty());
    }

    #[test]
    fn front_matter_wins() {
        let a = parse_article(
            Path::new("x.md"),
            "---\nid: reset\ntitle: Reset\nlocale: ko-KR\nurl: https://x/y\ntags: [a]\n---\n# Other\n",
            "https://h/",
        )
        .unwrap();
        assert_eq!((a.id.as_str(), a.title.as_str()), ("reset", "Reset"));
        assert_eq!((a.locale, a.url.as_str()), (Lang::Ko, "https://x/y"));
        assert_eq!(a.tags, vec!["a"]);
        assert_eq!(a.body, "# Other\n");
    }

    #[test]
    fn rejects_what_cannot_be_served() {
        let cases = [
            ("no-title.md", "just text\n"),
            ("x.md", "---\nlocale: fr\ntitle: t\n---\n"),
            ("x.md", "---\nid: has space\ntitle: t\n---\n"),
            ("has space.md", "# T\n"),
            ("x.md", "---\ntitle t\n---\n"),
        ];
        for (name, text) in cases {
            assert!(
                parse_article(Path::new(name), text, "").is_err(),
                "{name}: {text:?}"
            );
        }
    }
}
