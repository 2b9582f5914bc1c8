//! Just enough Markdown structure for search: headings, code fences, list items. An
//! article is split into sections at its headings so that a long article answers with
//! the part that matches, not with its introduction.

use std::ops::Range;

/// One line of an article body, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// `#`…`######` followed by the heading text.
    Heading {
        level: usize,
        text: &'a str,
    },
    /// A ```` ``` ```` or `~~~` line opening or closing a code block.
    Fence,
    /// A line inside a code block.
    Code(&'a str),
    Blank,
    Text(&'a str),
}

/// Iterates the lines of a Markdown text with their byte offsets, tracking code fences
/// so that a `# comment` in a shell snippet is not taken for a heading.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (usize, Line<'_>)> {
    let mut in_fence = false;
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        let kind = if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            Line::Fence
        } else if in_fence {
            Line::Code(line)
        } else if trimmed.is_empty() {
            Line::Blank
        } else if let Some((level, text)) = heading(line) {
            Line::Heading { level, text }
        } else {
            Line::Text(line)
        };
        (start, kind)
    })
}

/// `## Title ##` → `(2, "Title")`; at most three spaces of indentation, as in CommonMark.
fn heading(line: &str) -> Option<(usize, &str)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let text = after.trim().trim_end_matches('#').trim_end();
    Some((level, text))
}

/// The first level-1 heading outside code blocks: the title of an article whose front
/// matter has none.
pub(crate) fn first_h1(text: &str) -> Option<&str> {
    lines(text).find_map(|(_, line)| match line {
        Line::Heading { level: 1, text } if !text.is_empty() => Some(text),
        _ => None,
    })
}

/// Splits a body into sections, each starting at a heading. A heading with nothing under
/// it joins the next section instead of standing alone: a section made of one short
/// heading would win every match on its words and show an empty excerpt. Always returns
/// at least one (possibly empty) section.
pub(crate) fn sections(text: &str) -> Vec<Range<usize>> {
    let mut starts = vec![0];
    let mut has_content = false;
    for (offset, line) in lines(text) {
        match line {
            Line::Heading { .. } => {
                if has_content {
                    starts.push(offset);
                    has_content = false;
                }
            }
            Line::Blank => {}
            Line::Fence | Line::Code(_) | Line::Text(_) => has_content = true,
        }
    }
    let mut ranges: Vec<Range<usize>> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    let last = starts.last().copied().unwrap_or(0);
    ranges.push(last..text.len());
    ranges
}

/// `"3. Open settings"` → `Some("Open settings")` for an ordered list item.
pub(crate) fn ordered_item(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    let digits = trimmed.len()
        - trimmed
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .len();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &trimmed[digits..];
    let rest = rest.strip_prefix('.').or_else(|| rest.strip_prefix(')'))?;
    if rest.is_empty() || rest.starts_with([' ', '\t']) {
        Some(rest.trim())
    } else {
        None
    }
}

/// `"- item"`, `"* item"`, `"+ item"` → `Some("item")`.
pub(crate) fn bullet_item(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    ["- ", "* ", "+ "]
        .iter()
        .find_map(|marker| trimmed.strip_prefix(marker))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_headings_but_not_in_code() {
        let body =
            "intro\n\n## Steps\n\n1. a\n```sh\n# not a heading\n```\n## Empty\n### Nested\ntext\n";
        let secs: Vec<&str> = sections(body).into_iter().map(|r| &body[r]).collect();
        assert_eq!(
            secs,
            vec![
                "intro\n\n",
                "## Steps\n\n1. a\n```sh\n# not a heading\n```\n",
                "## Empty\n### Nested\ntext\n"
            ]
        );
        assert_eq!(sections(""), vec![0..0]);
    }

    #[test]
    fn headings_and_items() {
        assert_eq!(heading("## Title ##"), Some((2, "Title")));
        assert_eq!(heading("#hashtag"), None);
        assert_eq!(heading("####### seven"), None);
        assert_eq!(first_h1("text\n## two\n# One\n"), Some("One"));
        assert_eq!(ordered_item("  12. Do it"), Some("Do it"));
        assert_eq!(ordered_item("1) Do it"), Some("Do it"));
        assert_eq!(ordered_item("1.5 million"), None);
        assert_eq!(ordered_item("2024. was a year"), None);
        assert_eq!(bullet_item("- one"), Some("one"));
        assert_eq!(bullet_item("-one"), None);
    }
}
