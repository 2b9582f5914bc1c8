//! Sentences replaced by key from the configuration (`[messages.en]`, `[messages.ko]`):
//! checked, then built into the process's catalogues once, at start-up.

use std::collections::BTreeMap;

use super::catalogue::{values_of, Catalogue, KEYS};
use super::template::Template;
use crate::text::Lang;

/// The problems of `overrides` (key → template) for `lang`, one sentence each, naming
/// the key as `messages.<lang>.<key>`: a key that is not a message, a `{value}` its
/// message does not have, an unbalanced brace, a particle that is not one, an empty
/// sentence. Empty when they can be installed.
pub fn check_overrides(lang: Lang, overrides: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, source) in overrides {
        let at = format!("messages.{}.{key}", lang.as_str());
        let Some(values) = values_of(key) else {
            problems.push(format!("{at}: {}", unknown_key(lang, key)));
            continue;
        };
        problems.extend(
            check_template(values, source)
                .into_iter()
                .map(|p| format!("{at}: {p}")),
        );
    }
    problems
}

/// The problems of one template for a key whose method fills `values`.
pub(super) fn check_template(values: &[&str], source: &str) -> Vec<String> {
    if source.trim().is_empty() {
        return vec!["the sentence is empty; a message needs words".into()];
    }
    let (template, mut problems) = Template::parse(source);
    let mut named: Vec<&str> = Vec::new();
    for name in template.names() {
        if name.is_empty() || values.contains(&name) || named.contains(&name) {
            continue;
        }
        named.push(name);
        problems.push(if values.is_empty() {
            format!("`{{{name}}}` is not a value of this message, which has none (write `{{{{` for a brace itself)")
        } else {
            format!(
                "`{{{name}}}` is not a value of this message; it has {}",
                values
                    .iter()
                    .map(|v| format!("{{{v}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    }
    problems
}

/// Why `key` is not a message, and which keys it may have meant.
fn unknown_key(lang: Lang, key: &str) -> String {
    let near = near_keys(key);
    let file = format!("messages/{}.toml lists every key", lang.as_str());
    match near.as_slice() {
        [] => format!("there is no message `{key}` ({file})"),
        [one] => format!("there is no message `{key}`; did you mean `{one}`? ({file})"),
        many => format!(
            "there is no message `{key}`; did you mean one of {}? ({file})",
            many.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The keys close to `key`: by edit distance (a typo), then those sharing its longest
/// beginning (`card_status` → `card_status_waiting`, …). At most five.
fn near_keys(key: &str) -> Vec<&'static str> {
    let limit = (key.chars().count() / 4).max(2);
    let mut near: Vec<(usize, &'static str)> = KEYS
        .iter()
        .map(|(k, _)| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    near.sort();
    let mut near: Vec<&'static str> = near.into_iter().map(|(_, k)| k).collect();
    let common = |k: &str| {
        key.chars()
            .zip(k.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    let best = KEYS.iter().map(|(k, _)| common(k)).max().unwrap_or(0);
    if best >= 4 {
        for (k, _) in KEYS {
            if common(k) == best && !near.contains(k) {
                near.push(k);
            }
        }
    }
    near.truncate(5);
    near
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The catalogue of `lang`: its file's templates, with `overrides` in their place.
pub(super) fn build(
    lang: Lang,
    file: &'static BTreeMap<String, String>,
    overrides: &BTreeMap<String, String>,
) -> Result<Catalogue, Vec<String>> {
    let problems = check_overrides(lang, overrides);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut templates: BTreeMap<&'static str, &str> = BTreeMap::new();
    for &(key, _) in KEYS {
        let source = overrides
            .get(key)
            .or_else(|| file.get(key))
            .ok_or_else(|| vec![format!("messages/{}.toml has no `{key}`", lang.as_str())])?;
        templates.insert(key, source);
    }
    Ok(Catalogue::new(lang, &templates))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("ticket_opened", "ticket_opened"), 0);
        assert_eq!(edit_distance("ticket_opend", "ticket_opened"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("티켓", "티겟"), 1);
    }

    #[test]
    fn near_keys_by_typo_then_by_beginning() {
        assert_eq!(near_keys("ticket_opend"), ["ticket_opened"]);
        assert_eq!(
            near_keys("closed_by_reason"),
            [
                "closed_with_reason",
                "closed_by_with_reason",
                "closed_by_timer"
            ]
        );
        let status = near_keys("card_status");
        assert!(status.contains(&"card_status_waiting"), "{status:?}");
        assert!(near_keys("zzz").is_empty());
    }
}
