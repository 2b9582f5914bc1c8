//! The few lines shown under an article's title in a chat answer: the numbered steps of
//! the section that matched, or its first lines when it has no steps.

use crate::markdown::{bullet_item, lines, ordered_item, Line};

/// At most this many lines: a chat answer lists up to three articles, and a wall of
/// text would hide the choices that follow it.
pub const MAX_EXCERPT_LINES: usize = 4;
/// At most this many characters per line, ellipsis included.
pub const MAX_EXCERPT_LINE_CHARS: usize = 160;

#[derive(PartialEq)]
enum Kind {
    Step,
    Other,
}

/// Builds the excerpt of one section of Markdown. List items and paragraphs that wrap
/// over several lines are joined first, so a shortened line is a whole step.
pub(crate) fn excerpt(section: &str) -> Vec<String> {
    let mut blocks: Vec<(Kind, String)> = Vec::new();
    let mut open = false;
    for (_, line) in lines(section) {
        let Line::Text(text) = line else {
            open = false;
            continue;
        };
        if text.trim_start().starts_with("![") || text.trim_start().starts_with("<!--") {
            open = false;
            continue;
        }
        if let Some(step) = ordered_item(text) {
            let number = text.trim_start().split(['.', ')']).next().unwrap_or("");
            blocks.push((Kind::Step, format!("{number}. {step}")));
            open = true;
        } else if let Some(item) = bullet_item(text) {
            blocks.push((Kind::Other, format!("• {item}")));
            open = true;
        } else if let (true, Some((_, last))) = (open, blocks.last_mut()) {
            last.push(' ');
            last.push_str(text.trim());
        } else {
            blocks.push((Kind::Other, text.trim().to_string()));
            open = true;
        }
    }
    let has_steps = blocks.iter().any(|(k, _)| *k == Kind::Step);
    blocks
        .into_iter()
        .filter(|(k, _)| !has_steps || *k == Kind::Step)
        .take(MAX_EXCERPT_LINES)
        .map(|(_, text)| shorten(&text, MAX_EXCERPT_LINE_CHARS))
        .collect()
}

/// Cuts `text` to at most `max` characters, at a space when one is near the end, and
/// marks the cut with an ellipsis.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(1);
    let cut = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    let head = &text[..cut];
    let head = match head.rfind(' ') {
        Some(space) if head[..space].chars().count() * 4 >= keep * 3 => &head[..space],
        _ => head,
    };
    format!("{}…", head.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_numbered_steps() {
        let section = "## Reset\nYou can reset it yourself.\n\n1. Open **Settings**.\n2. Click\n   *Reset password*.\n3. Check your email.\n4. Follow the link.\n5. Choose a new one.\n";
        assert_eq!(
            excerpt(section),
            vec![
                "1. Open **Settings**.",
                "2. Click *Reset password*.",
                "3. Check your email.",
                "4. Follow the link."
            ]
        );
    }

    #[test]
    fn falls_back_to_first_lines() {
        let section = "# Hours\nWe answer\nfrom 9 to 6.\n\n- Monday to Friday\n```\ncode\n```\nClosed on holidays.\nMore.\n";
        assert_eq!(
            excerpt(section),
            vec![
                "We answer from 9 to 6.",
                "• Monday to Friday",
                "Closed on holidays. More."
            ]
        );
        assert!(excerpt("").is_empty());
    }

    #[test]
    fn long_lines_are_shortened() {
        let long = "word ".repeat(100);
        let out = excerpt(&long);
        assert_eq!(out.len(), 1);
        assert!(out[0].chars().count() <= MAX_EXCERPT_LINE_CHARS);
        assert!(out[0].ends_with("word…"));
        let korean = "가".repeat(300);
        assert_eq!(shorten(&korean, 160).chars().count(), 160);
    }
}
