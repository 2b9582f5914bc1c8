//! Slack's JSON as it arrives, before slack-morphism's types see it: escapes that
//! serde_json refuses are repaired, and a payload that still cannot be read is reported
//! with the id it carries and why, never dropped without a word.

use std::borrow::Cow;
use std::fmt;

use serde::de::DeserializeOwned;

/// `text` with every escaped lone surrogate (a `\uD800`–`\uDFFF` that is not a high
/// surrogate directly followed by an escaped low one) replaced by `\uFFFD`, the
/// replacement character. Slack relays such escapes from clients that cut a string
/// inside an emoji; serde_json refuses the whole payload for one. Everything else is
/// left as it is: borrowed when nothing needed repair.
pub fn repair_escapes(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut repaired = String::new();
    // Everything before `copied` is in `repaired` already (once something was repaired).
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = escaped_unit(bytes, i) else {
            // `\\`, `\"`, `\n` …: the escaped character is never the start of an escape.
            i += 2;
            continue;
        };
        if !(0xD800..=0xDFFF).contains(&unit) {
            i += 6;
            continue;
        }
        let paired = (0xD800..0xDC00).contains(&unit)
            && escaped_unit(bytes, i + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low));
        if paired {
            i += 12;
            continue;
        }
        repaired.push_str(&text[copied..i]);
        repaired.push_str("\\uFFFD");
        i += 6;
        copied = i;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    repaired.push_str(&text[copied..]);
    Cow::Owned(repaired)
}

/// The UTF-16 code unit of a `\uXXXX` escape starting at `at`, if one does.
fn escaped_unit(bytes: &[u8], at: usize) -> Option<u32> {
    let escape = bytes.get(at..at + 6)?;
    if escape[0] != b'\\' || escape[1] != b'u' {
        return None;
    }
    let hex = std::str::from_utf8(&escape[2..]).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// Why a payload could not be read: safe to log, it quotes nothing of the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(String);

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Unreadable {
    /// Why serde_json refused it. Syntax errors ("recursion limit exceeded", "EOF
    /// while parsing") say nothing of the content; a data error can quote a value,
    /// so only the kinds that name a field or a variant are kept whole.
    pub fn of(e: &serde_json::Error) -> Unreadable {
        use serde_json::error::Category;
        let said = e.to_string();
        let names_only = ["missing field", "unknown field", "unknown variant"]
            .iter()
            .any(|kind| said.starts_with(kind));
        match e.classify() {
            Category::Data if !names_only => Unreadable(format!(
                "a value is not of the expected type at line {} column {}",
                e.line(),
                e.column()
            )),
            _ => Unreadable(said),
        }
    }
}

/// Parses Slack's JSON, escapes repaired first.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, Unreadable> {
    let text = std::str::from_utf8(raw).map_err(|e| Unreadable(format!("not UTF-8: {e}")))?;
    serde_json::from_str(&repair_escapes(text)).map_err(|e| Unreadable::of(&e))
}

/// The id a payload names under `key` (`"event_id":"Ev123"`), found without parsing it:
/// for the log line of a payload that cannot be parsed. Only an id's characters are
/// taken; anything else gives `unknown`.
pub fn scan_id<'a>(raw: &'a [u8], key: &str) -> &'a str {
    const UNKNOWN: &str = "unknown";
    let needle = format!("\"{key}\"");
    let Some(at) = raw
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
    else {
        return UNKNOWN;
    };
    let rest = &raw[at + needle.len()..];
    let rest = rest.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b":") else {
        return UNKNOWN;
    };
    let Some(rest) = rest.trim_ascii_start().strip_prefix(b"\"") else {
        return UNKNOWN;
    };
    let len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        .count();
    match (rest.get(len), std::str::from_utf8(&rest[..len])) {
        (Some(b'"'), Ok(id)) if (1..=100).contains(&len) => id,
        _ => UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_the_replacement_character() {
        let cases = [
            (
                r#"{"text":"hi \ud800 there"}"#,
                r#"{"text":"hi \uFFFD there"}"#,
            ),
            (r#"{"text":"\uDFFF"}"#, r#"{"text":"\uFFFD"}"#),
            // A high surrogate followed by another high one: the first is alone.
            (r#""\ud83d\ud83d\ude00""#, r#""\uFFFD\ud83d\ude00""#),
            // A low surrogate before a high one: both alone.
            (r#""\ude00\ud83d""#, r#""\uFFFD\uFFFD""#),
            // Cut off at the end of the text.
            (r#""a\ud83d""#, r#""a\uFFFD""#),
            // An escaped backslash before an escape: the escape is still one.
            (r#""\\\ud800""#, r#""\\\uFFFD""#),
        ];
        for (raw, want) in cases {
            assert_eq!(repair_escapes(raw), want, "{raw}");
            let parsed: serde_json::Value = serde_json::from_str(&repair_escapes(raw)).unwrap();
            assert!(parsed.to_string().contains('\u{FFFD}'), "{raw}: {parsed}");
        }
    }

    #[test]
    fn what_serde_json_reads_is_left_as_it_is() {
        for raw in [
            r#"{"text":"plain"}"#,
            // A valid pair: 😀.
            r#"{"text":"\ud83d\ude00 \uD83D\uDE00"}"#,
            // An escaped backslash followed by text that looks like an escape.
            r#"{"text":"C:\\ud800"}"#,
            r#"{"text":"\\\\ud800 \"ud800\" \u00e9"}"#,
            // Not an escape serde_json reads either; not for this to mend.
            r#"{"text":"\u12"}"#,
            "",
            "\\",
        ] {
            let out = repair_escapes(raw);
            assert!(
                matches!(out, Cow::Borrowed(_)),
                "{raw} was changed to {out}"
            );
        }
        let value: serde_json::Value = parse(br#"{"text":"C:\\ud800"}"#).unwrap();
        assert_eq!(value["text"], "C:\\ud800");
    }

    #[test]
    fn unreadable_payloads_say_why_without_quoting_them() {
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let e = parse::<serde_json::Value>(deep.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("recursion limit exceeded"), "{e}");
        let e = parse::<serde_json::Value>(b"not json").unwrap_err();
        assert!(e.to_string().contains("expected"), "{e}");
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Count {
            n: u32,
        }
        let e = parse::<Count>(br#"{"n":"my secret words"}"#).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        let e = parse::<Count>(b"{}").unwrap_err();
        assert!(e.to_string().contains("missing field `n`"), "{e}");
        assert!(parse::<Count>(&[b'{', 0xff, b'}']).is_err());
    }

    #[test]
    fn ids_are_found_without_parsing() {
        let raw = br#"{"token":"t","event_id" : "Ev0123ABC","event":{"text":"x"}}"#;
        assert_eq!(scan_id(raw, "event_id"), "Ev0123ABC");
        assert_eq!(scan_id(br#"{"event":{}}"#, "event_id"), "unknown");
        assert_eq!(
            scan_id(br#"{"event_id":"Ev1\nforged log line"}"#, "event_id"),
            "unknown"
        );
        assert_eq!(scan_id(br#"{"event_id":42}"#, "event_id"), "unknown");
        assert_eq!(scan_id(br#"{"event_id":"Ev1"#, "event_id"), "unknown");
    }
}
