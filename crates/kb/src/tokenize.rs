//! Turns text into index terms. Hangul (and other CJK) runs become overlapping character
//! bigrams, because Korean attaches particles and endings to words and has no reliable
//! spacing; other words are lowercased, filtered against a short stop list and stemmed
//! with the English Snowball stemmer.

use crate::synonyms::Synonyms;
use relaydesk_core::text::is_hangul;
use rust_stemmers::{Algorithm, Stemmer};

/// Words longer than this are pasted identifiers, hashes or base64, not vocabulary.
const MAX_WORD_CHARS: usize = 64;

/// Splits text into index terms; shared by indexing and querying so both agree.
pub(crate) struct Tokenizer {
    stemmer: Stemmer,
    synonyms: Synonyms,
}

/// What a term stands for in the text it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A stemmed word, or the first bigram (or only syllable) of a CJK run: the part
    /// that holds a Korean word's stem, the rest being mostly particles and endings.
    Head,
    /// Any later bigram of a CJK run.
    Inner,
    /// Two (non-CJK) words in a row in the same clause, stop words skipped.
    Phrase,
    /// The concept of a synonym group the preceding word or run belongs to.
    Concept,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokenizer(en-snowball, cjk-bigrams)")
    }
}

impl Default for Tokenizer {
    fn default() -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let synonyms = Synonyms::built_in(&stemmer);
        Tokenizer { stemmer, synonyms }
    }
}

impl Tokenizer {
    /// Calls `emit` once per term of `text`, in order, repeats included. The `&str`
    /// handed to `emit` lives in a reused buffer, so the caller copies it only if it
    /// keeps it.
    pub(crate) fn tokens(&self, text: &str, mut emit: impl FnMut(&str)) {
        self.terms(text, |term, _| emit(term));
    }

    /// Like [`Tokenizer::tokens`], telling what each term stands for. A word's or run's
    /// phrase and concepts come right after its own terms.
    pub(crate) fn terms(&self, text: &str, mut emit: impl FnMut(&str, Kind)) {
        let mut state = State::default();
        for c in text.chars() {
            if is_cjk(c) {
                self.flush_word(&mut state, &mut emit);
                state.run.push(c);
                continue;
            }
            self.flush_run(&mut state, &mut emit);
            if c.is_alphanumeric() {
                state.word.extend(c.to_lowercase());
            } else if c == '\'' || c == '\u{2019}' {
                // Contractions and possessives stay one word: "don't" → "dont", "user's" → "user".
            } else {
                self.flush_word(&mut state, &mut emit);
                if !c.is_whitespace()
                    && !matches!(c, '-' | '/' | '&' | '@' | '#' | '*' | '_' | '`' | '"')
                {
                    state.prev_head.clear();
                }
            }
        }
        self.flush_run(&mut state, &mut emit);
        self.flush_word(&mut state, &mut emit);
    }

    fn flush_word(&self, state: &mut State, emit: &mut impl FnMut(&str, Kind)) {
        if state.word.is_empty() {
            return;
        }
        let word = std::mem::take(&mut state.word);
        let mut chars = word.chars();
        let single_letter =
            matches!((chars.next(), chars.next()), (Some(c), None) if !c.is_numeric());
        if !single_letter && !is_stopword(&word) && word.chars().count() <= MAX_WORD_CHARS {
            let stem = self.stemmer.stem(&word);
            emit(&stem, Kind::Head);
            state.phrase(&stem, emit);
            self.synonyms
                .word(&stem, &mut state.buf, &mut |t| emit(t, Kind::Concept));
        }
        state.word = word;
        state.word.clear();
    }

    /// Ends a CJK run: its overlapping bigrams, or the syllable itself when it is alone
    /// ("앱", "봇", the "년" of "1989년"); then its concepts.
    fn flush_run(&self, state: &mut State, emit: &mut impl FnMut(&str, Kind)) {
        if state.run.is_empty() {
            return;
        }
        let run = std::mem::take(&mut state.run);
        if let [only] = run.as_slice() {
            state.buf.clear();
            state.buf.push(*only);
            emit(&state.buf, Kind::Head);
        }
        for (i, pair) in run.windows(2).enumerate() {
            state.buf.clear();
            state.buf.extend(pair);
            emit(&state.buf, if i == 0 { Kind::Head } else { Kind::Inner });
        }
        // Korean word pairs would more than double the dictionary for a few tenths of a
        // point; the bigrams already span the inside of each word.
        state.prev_head.clear();
        self.synonyms
            .run(&run, &mut state.buf, &mut |t| emit(t, Kind::Concept));
        state.run = run;
        state.run.clear();
    }
}

/// The tokenizer's buffers, reused from word to word.
#[derive(Default)]
struct State {
    word: String,
    run: Vec<char>,
    buf: String,
    /// The stem of the previous word in the same clause, for phrases.
    prev_head: String,
}

impl State {
    /// Emits the phrase "previous word + this word": two words in a row ("verification
    /// code", "business hours") mean more together than apart.
    fn phrase(&mut self, head: &str, emit: &mut impl FnMut(&str, Kind)) {
        if !self.prev_head.is_empty() {
            self.buf.clear();
            self.buf.push_str(&self.prev_head);
            self.buf.push(PHRASE_JOINER);
            self.buf.push_str(head);
            emit(&self.buf, Kind::Phrase);
        }
        self.prev_head.clear();
        self.prev_head.push_str(head);
    }
}

/// Joins the two stems of a phrase term; never part of a word.
const PHRASE_JOINER: char = '_';

/// Scripts written without reliable word boundaries: Hangul, Han ideographs, kana.
pub(crate) fn is_cjk(c: char) -> bool {
    is_hangul(c)
        || matches!(c as u32,
            0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// Function words that carry no topic. They would only add noise to the ranking and
/// inflate the confidence of questions that share nothing but "how do I" with an article.
fn is_stopword(w: &str) -> bool {
    matches!(
        w,
        "a" | "about"
            | "am"
            | "an"
            | "and"
            | "any"
            | "are"
            | "as"
            | "at"
            | "be"
            | "been"
            | "but"
            | "by"
            | "can"
            | "cant"
            | "could"
            | "did"
            | "do"
            | "does"
            | "doing"
            | "dont"
            | "for"
            | "from"
            | "get"
            | "got"
            | "had"
            | "has"
            | "have"
            | "having"
            | "he"
            | "her"
            | "here"
            | "him"
            | "his"
            | "how"
            | "i"
            | "if"
            | "im"
            | "in"
            | "into"
            | "is"
            | "it"
            | "its"
            | "ive"
            | "just"
            | "me"
            | "might"
            | "more"
            | "most"
            | "much"
            | "must"
            | "my"
            | "myself"
            | "no"
            | "nor"
            | "not"
            | "of"
            | "off"
            | "on"
            | "once"
            | "only"
            | "or"
            | "other"
            | "our"
            | "ours"
            | "out"
            | "over"
            | "own"
            | "please"
            | "same"
            | "she"
            | "should"
            | "so"
            | "some"
            | "such"
            | "than"
            | "that"
            | "thats"
            | "the"
            | "their"
            | "them"
            | "then"
            | "there"
            | "these"
            | "they"
            | "this"
            | "those"
            | "through"
            | "to"
            | "too"
            | "us"
            | "very"
            | "was"
            | "we"
            | "were"
            | "what"
            | "whats"
            | "when"
            | "where"
            | "which"
            | "while"
            | "who"
            | "whom"
            | "why"
            | "will"
            | "with"
            | "would"
            | "you"
            | "your"
            | "youre"
            | "yours"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Tokenizer::default().terms(text, |t, kind| {
            if matches!(kind, Kind::Head | Kind::Inner) {
                out.push(t.to_string())
            }
        });
        out
    }

    #[test]
    fn english_words_are_lowercased_stemmed_and_filtered() {
        assert_eq!(
            terms("How do I reset my Passwords?"),
            vec!["reset", "password"]
        );
        assert_eq!(terms("Don't attach files"), vec!["attach", "file"]);
        assert_eq!(terms("the user's e-mail"), vec!["user", "mail"]);
    }

    #[test]
    fn hangul_runs_become_bigrams() {
        assert_eq!(terms("비밀번호를"), vec!["비밀", "밀번", "번호", "호를"]);
        assert_eq!(terms("앱 설치"), vec!["앱", "설치"]);
        assert_eq!(
            terms("1989년 Slack에서"),
            vec!["1989", "년", "slack", "에서"]
        );
    }

    #[test]
    fn word_heads() {
        let mut heads = Vec::new();
        Tokenizer::default().terms(
            "비밀번호를 바꾸는 법 for Slack users",
            |t, kind| {
                if kind == Kind::Head {
                    heads.push(t.to_string());
                }
            },
        );
        assert_eq!(heads, vec!["비밀", "바꾸", "법", "slack", "user"]);
    }

    #[test]
    fn phrases_and_concepts_follow_their_word() {
        let mut out = Vec::new();
        Tokenizer::default().terms(
            "speak to somebody. Later the agent 코드 email",
            |t, kind| out.push((t.to_string(), kind)),
        );
        let kinds: Vec<Kind> = out.iter().map(|(_, k)| *k).collect();
        use Kind::*;
        assert_eq!(
            kinds,
            vec![
                Head, Concept, // speak
                Head, Phrase, Concept, // somebody
                Head,    // then
                Head, Phrase, Concept, // agent
                Head, Concept, // 코드
                Head, Concept, // email: no phrase across the Korean word
            ]
        );
        assert_eq!(out[3].0, "speak_somebodi");
        assert!(out[1].0.starts_with('~'));
        assert_eq!(out[7].0, "later_agent", "no phrase across the full stop");
    }

    #[test]
    fn odd_input_does_not_break() {
        assert!(terms("").is_empty());
        assert!(terms("?!… ---").is_empty());
        assert!(terms(&"x".repeat(100)).is_empty());
        assert_eq!(terms("ㅋㅋ 😀 42"), vec!["ㅋㅋ", "42"]);
    }
}
