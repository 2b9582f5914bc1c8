//! Text helpers shared by the engine and the adapters: language, normalisation, splitting.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

/// The languages relaydesk writes its own messages in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    /// English.
    En,
    /// Korean.
    Ko,
}

impl Lang {
    /// Every language relaydesk writes in.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The language whose tag is exactly `tag` ([`Lang::as_str`]: `en`, `ko`), as the
    /// configuration names it; `None` for any other text.
    pub fn parse(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.as_str() == tag)
    }

    /// The language's tag: `en`, `ko`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// Parses a locale tag such as `ko`, `ko-KR` or `en_US`; `None` for other languages.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ko" | "kr" => Some(Lang::Ko),
            _ => None,
        }
    }
}

/// True for Hangul syllables and jamo.
pub fn is_hangul(c: char) -> bool {
    matches!(c as u32,
        0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F | 0xA960..=0xA97F | 0xD7B0..=0xD7FF)
}

/// Korean when at least a fifth of the letters are Hangul, English otherwise.
pub fn detect_lang(text: &str) -> Lang {
    let (mut letters, mut hangul) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if is_hangul(c) {
            hangul += 1;
        }
    }
    if letters > 0 && hangul * 5 >= letters {
        Lang::Ko
    } else {
        Lang::En
    }
}

/// Too short to be a question worth searching: fewer than two words and fewer than
/// six letters in Latin script, or fewer than four Hangul syllables.
pub fn is_too_short(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    if letters.iter().any(|&c| is_hangul(c)) {
        return letters.len() < 4;
    }
    let words = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    words < 2 || letters.len() < 6
}

/// `text` as every store can hold it: NUL, which PostgreSQL refuses in text, becomes
/// U+FFFD. (Lone surrogates cannot reach a Rust string; the JSON an adapter reads
/// has them replaced by U+FFFD as it is parsed.)
pub fn storable(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Makes `text` [`storable`] in place.
pub fn make_storable(text: &mut String) {
    if let Cow::Owned(clean) = storable(text) {
        *text = clean;
    }
}

/// The first line of `text`, at most `max` characters, with an ellipsis when cut: a
/// subject or a message in a one-line list.
pub fn shorten(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= max {
        return line.to_string();
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// Splits `text` into pieces of at most `max_chars` characters whose concatenation is
/// exactly `text`. Cuts only between graphemes (an emoji with its modifiers, a letter
/// with its accents stay whole): after a paragraph break, else a line break, else a
/// space, and mid-word only when a word alone is longer than the limit. A single
/// grapheme longer than the limit is cut between its characters.
pub fn split_message(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(cut) = cut_within(rest, max_chars) {
        parts.push(rest[..cut].to_string());
        rest = &rest[cut..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

/// Where to cut `text` so that the first piece holds at most `max_chars` characters;
/// `None` when it fits whole.
fn cut_within(text: &str, max_chars: usize) -> Option<usize> {
    // The grapheme boundaries that fit, in order.
    let mut fits = Vec::new();
    let mut chars = 0;
    for (at, grapheme) in text.grapheme_indices(true) {
        chars += grapheme.chars().count();
        if chars > max_chars {
            let Some(&last) = fits.last() else {
                // One grapheme longer than the limit: cut it at the limit.
                return text.char_indices().nth(max_chars).map(|(i, _)| i);
            };
            let at_break = |end: &str| {
                fits.iter()
                    .rev()
                    .copied()
                    .take_while(|&b| b > last / 2)
                    .find(|&b| text[..b].ends_with(end))
            };
            return Some(
                at_break("\n\n")
                    .or_else(|| at_break("\n"))
                    .or_else(|| at_break(" "))
                    .unwrap_or(last),
            );
        }
        fits.push(at + grapheme.len());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_korean_and_english() {
        assert_eq!(detect_lang("비밀번호를 잊어버렸어요"), Lang::Ko);
        assert_eq!(detect_lang("I forgot my password"), Lang::En);
        assert_eq!(detect_lang("relaydesk 비밀번호 재설정"), Lang::Ko);
        assert_eq!(detect_lang(""), Lang::En);
    }

    #[test]
    fn tags() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("ko"), Some(Lang::Ko));
        assert_eq!(Lang::parse("ko-KR"), None);
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::from_tag("ko-KR"), Some(Lang::Ko));
    }

    #[test]
    fn short_messages() {
        for s in ["help", "hi", "?", "", "  ", "도움", "안녕"] {
            assert!(is_too_short(s), "{s:?} should be too short");
        }
        for s in [
            "how do I reset my password",
            "비밀번호 재설정",
            "refund please",
        ] {
            assert!(!is_too_short(s), "{s:?} should be searchable");
        }
    }

    #[test]
    fn split_keeps_every_character() {
        let text = "word ".repeat(20_000) + &"x".repeat(5000) + "\n\nend 한글 텍스트";
        let parts = split_message(&text, 2000);
        assert!(parts.iter().all(|p| p.chars().count() <= 2000));
        assert_eq!(parts.concat(), text);
        assert!(parts[0].ends_with(' '), "cuts at a space when it can");
    }

    #[test]
    fn split_never_cuts_a_grapheme() {
        // A family emoji (7 chars), a flag (2), a letter with two accents (3), Hangul
        // jamo forming one syllable (3): none is cut, and no piece is over the limit.
        let unit = "👨‍👩‍👧‍👦🇰🇷e\u{301}\u{323}\u{1100}\u{1161}\u{11A8}";
        let text = unit.repeat(300);
        let boundaries: std::collections::HashSet<usize> =
            text.grapheme_indices(true).map(|(i, _)| i).collect();
        for max in [7, 13, 100, 3000] {
            let parts = split_message(&text, max);
            assert_eq!(parts.concat(), text);
            let mut at = 0;
            for part in &parts {
                assert!(part.chars().count() <= max);
                assert!(
                    boundaries.contains(&at),
                    "a cut at {at} falls inside a grapheme (max {max})"
                );
                at += part.len();
            }
        }
    }

    #[test]
    fn a_grapheme_longer_than_the_limit_is_cut_at_the_limit() {
        let zalgo = format!("a{}", "\u{301}".repeat(20));
        let parts = split_message(&zalgo, 8);
        assert!(parts.iter().all(|p| p.chars().count() <= 8));
        assert_eq!(parts.concat(), zalgo);
    }

    #[test]
    fn nul_is_replaced_for_the_store() {
        assert_eq!(storable("a\0b"), "a\u{FFFD}b");
        assert!(matches!(storable("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn split_short_and_empty() {
        assert_eq!(split_message("hi", 10), vec!["hi"]);
        assert_eq!(split_message("", 10), vec![""]);
        assert_eq!(split_message("가나다라마바", 4), vec!["가나다라", "마바"]);
    }
}
