//! The front matter of an article: `key: value` lines between two `---` lines. Only the
//! handful of keys relaydesk reads are understood, which keeps a YAML parser (and its
//! surprises, such as `no` turning into `false`) out of the dependency tree.

/// The keys read from an article's front matter; `None` when absent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct FrontMatter {
    pub id: Option<String>,
    pub title: Option<String>,
    pub locale: Option<String>,
    pub url: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Questions the article answers, written by admins; searched like learned phrasings.
    pub questions: Option<Vec<String>>,
}

/// Splits a Markdown file into its front matter and body. A file that does not start
/// with `---` has no front matter and is all body. The error is a human-readable
/// description that names the offending line (counted from 1 in the file).
pub(crate) fn split(text: &str) -> Result<(FrontMatter, &str), String> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut lines = LineOffsets::new(text);
    match lines.next() {
        Some((_, first)) if first.trim_end() == "---" => {}
        _ => return Ok((FrontMatter::default(), text)),
    }
    let mut fm = FrontMatter::default();
    // A block list being read: its key, first line and items.
    let mut pending_list: Option<(&str, usize, Vec<String>)> = None;
    let mut line_no = 1;
    for (end_of_line, line) in lines {
        line_no += 1;
        let trimmed = line.trim();
        if line.trim_end() == "---" || line.trim_end() == "..." {
            if let Some((key, _, items)) = pending_list.take() {
                set(&mut fm, key, Value::List(items), line_no - 1)?;
            }
            return Ok((fm, &text[end_of_line..]));
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) =
            trimmed
                .strip_prefix("- ")
                .or(if trimmed == "-" { Some("") } else { None })
        {
            let Some((_, _, items)) = pending_list.as_mut() else {
                return Err(format!("line {line_no}: list item outside a list"));
            };
            let item = scalar(item.trim(), line_no)?;
            if !item.is_empty() {
                items.push(item);
            }
            continue;
        }
        if let Some((key, start, items)) = pending_list.take() {
            set(&mut fm, key, Value::List(items), start)?;
        }
        let Some((key, raw)) = line.split_once(':') else {
            return Err(format!(
                "line {line_no}: expected `key: value`, found {trimmed:?}"
            ));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!("line {line_no}: {key:?} is not a key"));
        }
        let raw = raw.trim();
        if key == "tags" || key == "questions" {
            if raw.is_empty() || raw.starts_with('#') {
                pending_list = Some((key, line_no, Vec::new()));
            } else {
                let value = if key == "questions" && !raw.starts_with('[') {
                    // One question may hold commas: a bare value is the whole question.
                    Value::Scalar(scalar(raw, line_no)?)
                } else {
                    Value::List(list(raw, line_no)?)
                };
                set(&mut fm, key, value, line_no)?;
            }
        } else {
            set(&mut fm, key, Value::Scalar(scalar(raw, line_no)?), line_no)?;
        }
    }
    Err("front matter is not closed by a `---` line".to_string())
}

enum Value {
    Scalar(String),
    List(Vec<String>),
}

fn set(fm: &mut FrontMatter, key: &str, value: Value, line_no: usize) -> Result<(), String> {
    let slot = match key {
        "id" => &mut fm.id,
        "title" => &mut fm.title,
        "locale" | "lang" => &mut fm.locale,
        "url" => &mut fm.url,
        "tags" | "questions" => {
            let list = if key == "tags" {
                &mut fm.tags
            } else {
                &mut fm.questions
            };
            if list.is_some() {
                return Err(format!("line {line_no}: `{key}` is set twice"));
            }
            *list = Some(match value {
                Value::List(items) => items,
                Value::Scalar(s) if key == "questions" => vec![s],
                Value::Scalar(s) => split_items(&s),
            });
            return Ok(());
        }
        other => {
            tracing::debug!(key = other, "ignoring unknown front matter key");
            return Ok(());
        }
    };
    if slot.is_some() {
        return Err(format!("line {line_no}: `{key}` is set twice"));
    }
    if let Value::Scalar(s) = value {
        if !s.is_empty() {
            *slot = Some(s);
        }
    }
    Ok(())
}

/// A single value: `"double quoted"` (with `\"` and `\\`), `'single quoted'` (with `''`),
/// or bare text, where ` #` starts a comment.
fn scalar(raw: &str, line_no: usize) -> Result<String, String> {
    let (value, rest) = if let Some(body) = raw.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    end = Some(i + 1);
                    break;
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, other)) => out.push(other),
                    None => break,
                },
                c => out.push(c),
            }
        }
        let end = end.ok_or_else(|| format!("line {line_no}: unterminated \" quote"))?;
        (out, &body[end..])
    } else if let Some(body) = raw.strip_prefix('\'') {
        let mut out = String::new();
        let mut rest = None;
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if matches!(chars.peek(), Some((_, '\''))) {
                    chars.next();
                    out.push('\'');
                } else {
                    rest = Some(&body[i + 1..]);
                    break;
                }
            } else {
                out.push(c);
            }
        }
        let rest = rest.ok_or_else(|| format!("line {line_no}: unterminated ' quote"))?;
        (out, rest)
    } else {
        let bare = match raw.find(" #") {
            Some(i) => &raw[..i],
            None if raw.starts_with('#') => "",
            None => raw,
        };
        return Ok(bare.trim().to_string());
    };
    let rest = rest.trim();
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err(format!(
            "line {line_no}: unexpected text after the quoted value: {rest:?}"
        ));
    }
    Ok(value)
}

/// An inline list `[a, "b c", 'd']`; a bare value without brackets is a comma list.
fn list(raw: &str, line_no: usize) -> Result<Vec<String>, String> {
    let Some(inner) = raw.strip_prefix('[') else {
        return Ok(split_items(&scalar(raw, line_no)?));
    };
    let close = inner
        .rfind(']')
        .ok_or_else(|| format!("line {line_no}: `[` without a closing `]`"))?;
    let after = inner[close + 1..].trim();
    if !after.is_empty() && !after.starts_with('#') {
        return Err(format!(
            "line {line_no}: unexpected text after `]`: {after:?}"
        ));
    }
    let mut items = Vec::new();
    for piece in split_outside_quotes(&inner[..close]) {
        let item = scalar(piece.trim(), line_no)?;
        if !item.is_empty() {
            items.push(item);
        }
    }
    Ok(items)
}

fn split_items(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn split_outside_quotes(s: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ',') => {
                pieces.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&s[start..]);
    pieces
}

/// Lines of `text` together with the byte offset just past each line's end.
struct LineOffsets<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> LineOffsets<'a> {
    fn new(text: &'a str) -> Self {
        LineOffsets { text, pos: 0 }
    }
}

impl<'a> Iterator for LineOffsets<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.pos..];
        let (line, len) = match rest.find('\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.pos += len;
        Some((self.pos, line.strip_suffix('\r').unwrap_or(line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_unquoted_and_lists() {
        let text = "---\nid: reset-password-en     # optional\ntitle: \"Reset: your \\\"password\\\"\"\nlocale: 'en'\ntags: [account, \"sign in\", 'a,b']\nauthor: someone\n---\n# Body\n";
        let (fm, body) = split(text).unwrap();
        assert_eq!(fm.id.as_deref(), Some("reset-password-en"));
        assert_eq!(fm.title.as_deref(), Some("Reset: your \"password\""));
        assert_eq!(fm.locale.as_deref(), Some("en"));
        assert_eq!(fm.url, None);
        assert_eq!(
            fm.tags,
            Some(vec!["account".into(), "sign in".into(), "a,b".into()])
        );
        assert_eq!(body, "# Body\n");
    }

    #[test]
    fn block_lists_crlf_and_bom() {
        let text =
            "\u{FEFF}---\r\ntitle: It's fine\r\ntags:\r\n  - one\r\n  - \"two\"\r\n---\r\nbody";
        let (fm, body) = split(text).unwrap();
        assert_eq!(fm.title.as_deref(), Some("It's fine"));
        assert_eq!(fm.tags, Some(vec!["one".into(), "two".into()]));
        assert_eq!(body, "body");
    }

    #[test]
    fn questions_as_a_block_list_keep_their_commas() {
        let text = "---\ntitle: Time zones\nquestions:\n  - my meetings moved an hour, why?\n  - \"회의 시간이 한 시간씩 밀려요\"\ntags: [time]\n---\nbody";
        let (fm, _) = split(text).unwrap();
        assert_eq!(
            fm.questions.unwrap(),
            vec![
                "my meetings moved an hour, why?",
                "회의 시간이 한 시간씩 밀려요"
            ]
        );
        assert_eq!(fm.tags.unwrap(), vec!["time"]);
        let (fm, _) = split("---\nquestions: one, with a comma\n---\n").unwrap();
        assert_eq!(fm.questions.unwrap(), vec!["one, with a comma"]);
    }

    #[test]
    fn no_front_matter_is_all_body() {
        let (fm, body) = split("# Title\ntext").unwrap();
        assert_eq!(fm, FrontMatter::default());
        assert_eq!(body, "# Title\ntext");
    }

    #[test]
    fn broken_front_matter_is_an_error() {
        for bad in [
            "---\ntitle: x\n",
            "---\njust words\n---\n",
            "---\ntitle: \"open\n---\n",
            "---\ntitle: a\ntitle: b\n---\n",
            "---\ntags: [a, b\n---\n",
            "---\n- stray\n---\n",
        ] {
            assert!(split(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
