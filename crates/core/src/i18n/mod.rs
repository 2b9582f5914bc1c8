//! Every sentence a person or an agent reads, one catalogue per language.
//!
//! The engine and the adapters never write a sentence inline: they ask the catalogue
//! of the reader's language. The sentences are data: `messages/en.toml` and
//! `messages/ko.toml` at the repository's root, embedded in the binary, one key per
//! sentence. A [`Catalogue`] method fills its key's template: `{number}`, and in
//! Korean `{number|을}`, the value followed by the particle that fits it
//! (`template.rs`, `particle.rs`). Where a sentence depends on more than its values
//! (a plural, a state, a missing reason), the method picks one of several keys.
//!
//! Administrators replace sentences by key (`[messages.ko]` in bot.toml):
//! [`check_overrides`] names every mistake, [`install_overrides`] puts them in place
//! for the whole process, once, at start-up.
//!
//! A new sentence is a key in every `messages/*.toml`, its values in `KEYS`
//! (`catalogue.rs`) and its method on [`Catalogue`]; the tests check that they agree.

mod catalogue;
mod overrides;
mod particle;
mod template;

use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use catalogue::Catalogue;
pub use overrides::check_overrides;

use crate::knowledge::ArticleHit;
use crate::text::Lang;

/// The language files, as written.
const FILES: [(Lang, &str); 2] = [
    (Lang::En, include_str!("../../../../messages/en.toml")),
    (Lang::Ko, include_str!("../../../../messages/ko.toml")),
];

/// The catalogues the process speaks with: built at the first sentence, or by
/// [`install_overrides`] before it.
static CATALOGUES: OnceLock<Catalogues> = OnceLock::new();

struct Catalogues {
    en: Catalogue,
    ko: Catalogue,
}

impl Catalogues {
    fn get(&self, lang: Lang) -> &Catalogue {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
        }
    }

    fn build(overrides: &BTreeMap<Lang, BTreeMap<String, String>>) -> Result<Self, Vec<String>> {
        let none = BTreeMap::new();
        let mut problems = Vec::new();
        let mut build = |lang| {
            let overrides = overrides.get(&lang).unwrap_or(&none);
            overrides::build(lang, file(lang), overrides)
                .map_err(|p| problems.extend(p))
                .ok()
        };
        match (build(Lang::En), build(Lang::Ko)) {
            (Some(en), Some(ko)) => Ok(Catalogues { en, ko }),
            _ => Err(problems),
        }
    }
}

/// The templates of `lang`'s file, parsed once.
fn file(lang: Lang) -> &'static BTreeMap<String, String> {
    static PARSED: OnceLock<[BTreeMap<String, String>; 2]> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        FILES.map(|(lang, text)| {
            toml::from_str(text)
                .unwrap_or_else(|e| panic!("messages/{}.toml does not parse: {e}", lang.as_str()))
        })
    });
    &parsed[FILES
        .iter()
        .position(|(l, _)| *l == lang)
        .expect("a file per language")]
}

fn catalogues() -> &'static Catalogues {
    CATALOGUES.get_or_init(|| {
        Catalogues::build(&BTreeMap::new())
            .unwrap_or_else(|problems| panic!("the language files: {}", problems.join("; ")))
    })
}

/// The catalogue of `lang`.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    catalogues().get(lang)
}

/// The agents' catalogue: agent channels speak English.
pub fn agents() -> &'static Catalogue {
    catalogue(Lang::En)
}

/// Checks `overrides` (language → key → template), then makes them the sentences of
/// the whole process. Called once, at start-up, before the first sentence is read;
/// afterwards (or a second time) it changes nothing and says why. On error, nothing
/// is installed and every problem is named ([`check_overrides`]).
pub fn install_overrides(
    overrides: &BTreeMap<Lang, BTreeMap<String, String>>,
) -> Result<(), Vec<String>> {
    let too_late = || {
        vec!["messages: the sentences are already in use (read, or overrides installed before), so these overrides cannot take effect; install them once, at start-up, before the first message".to_string()]
    };
    match Catalogues::build(overrides) {
        Ok(built) => CATALOGUES.set(built).map_err(|_| too_late()),
        Err(mut problems) => {
            if CATALOGUES.get().is_some() {
                problems.extend(too_late());
            }
            Err(problems)
        }
    }
}

/// The help-center answer: each article as a link with its first steps.
pub fn articles(lang: Lang, hits: &[ArticleHit]) -> String {
    let say = catalogue(lang);
    let mut out = String::from(say.articles_intro());
    for hit in hits {
        out.push_str(&format!("\n\n{} — {}", hit.title, hit.url));
        for line in &hit.excerpt {
            out.push_str("\n    ");
            out.push_str(line);
        }
    }
    out.push_str("\n\n");
    out.push_str(say.articles_question());
    out
}

/// Article suggestions under a public post: up to three, with their links and first
/// steps.
pub fn suggestions(lang: Lang, hits: &[ArticleHit]) -> String {
    let say = catalogue(lang);
    let mut out = String::from(say.suggestions_intro());
    for hit in hits.iter().take(3) {
        out.push_str(&format!("\n\n{} — {}", hit.title, hit.url));
        for line in &hit.excerpt {
            out.push_str("\n    ");
            out.push_str(line);
        }
    }
    out
}

/// Words that ask for the list of one's tickets (`/support history`).
pub fn is_history_request(text: &str) -> bool {
    let said = text.trim().trim_end_matches(['.', '?', '!']).to_lowercase();
    matches!(
        said.as_str(),
        "history"
            | "my tickets"
            | "my conversations"
            | "previous conversations"
            | "past conversations"
            | "이전 대화"
            | "내 티켓"
            | "내역"
            | "기록"
    )
}

#[cfg(test)]
mod tests;
