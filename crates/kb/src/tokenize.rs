//! Turns text into index terms. Hangul (and other CJK) runs become overlapping character
//! bigrams, because Korean attaches particles and endings to words and has no reliable
//! spacing; other words are lowercased, filtered against a short stop list and stemmed
//! with the English Snowball stemmer.

use relaydesk_core::text::is_hangul;
use rust_stemmers::{Algorithm, Stemmer};

/// Words longer than this are pasted identifiers, hashes or base64, not vocabulary.
const MAX_WORD_CHARS: usize = 64;

/// Splits text into index terms; shared by indexing and querying so both agree.
pub(crate) struct Tokenizer {
    stemmer: Stemmer,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokenizer(en-snowball, cjk-bigrams)")
    }
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl Tokenizer {
    /// Calls `emit` once per term of `text`, in order, repeats included. The `&str`
    /// handed to `emit` lives in a reused buffer, so the caller copies it only if it
    /// keeps it.
    pub(crate) fn tokens(&self, text: &str, mut emit: impl FnMut(&str)) {
        self.terms(text, |term, _| emit(term));
    }

    /// Like [`Tokenizer::tokens`], also telling whether the term starts a word: every
    /// stemmed word does, and in a Hangul run its first bigram (or its only syllable),
    /// which holds the word's stem while the rest is mostly particles and endings.
    pub(crate) fn terms(&self, text: &str, mut emit: impl FnMut(&str, bool)) {
        let mut word = String::new();
        let mut pair = String::with_capacity(8);
        let mut prev: Option<char> = None;
        let mut run = 0usize;
        for c in text.chars() {
            if is_cjk(c) {
                self.flush_word(&mut word, &mut emit);
                if let Some(p) = prev {
                    pair.clear();
                    pair.push(p);
                    pair.push(c);
                    emit(&pair, run == 1);
                }
                prev = Some(c);
                run += 1;
                continue;
            }
            flush_run(prev, run, &mut pair, &mut emit);
            prev = None;
            run = 0;
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else if c == '\'' || c == '\u{2019}' {
                // Contractions and possessives stay one word: "don't" → "dont", "user's" → "user".
            } else {
                self.flush_word(&mut word, &mut emit);
            }
        }
        flush_run(prev, run, &mut pair, &mut emit);
        self.flush_word(&mut word, &mut emit);
    }

    fn flush_word(&self, word: &mut String, emit: &mut impl FnMut(&str, bool)) {
        if word.is_empty() {
            return;
        }
        let mut chars = word.chars();
        let single_letter = matches!((chars.next(), chars.next()), (Some(c), None) if !c.is_numeric());
        if !single_letter && !is_stopword(word) && word.chars().count() <= MAX_WORD_CHARS {
            emit(&self.stemmer.stem(word), true);
        }
        word.clear();
    }
}

/// A one-syllable run ("앱", "봇", the "년" of "1989년") has no bigram, so it is indexed alone.
fn flush_run(prev: Option<char>, run: usize, buf: &mut String, emit: &mut impl FnMut(&str, bool)) {
    if let (Some(c), 1) = (prev, run) {
        buf.clear();
        buf.push(c);
        emit(buf, true);
    }
}

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
        "a" | "about" | "am" | "an" | "and" | "any" | "are" | "as" | "at" | "be" | "been"
            | "but" | "by" | "can" | "cant" | "could" | "did" | "do" | "does" | "doing"
            | "dont" | "for" | "from" | "get" | "got" | "had" | "has" | "have" | "having"
            | "he" | "her" | "here" | "him" | "his" | "how" | "i" | "if" | "im" | "in"
            | "into" | "is" | "it" | "its" | "ive" | "just" | "me" | "might" | "more"
            | "most" | "much" | "must" | "my" | "myself" | "no" | "nor" | "not" | "of"
            | "off" | "on" | "once" | "only" | "or" | "other" | "our" | "ours" | "out"
            | "over" | "own" | "please" | "same" | "she" | "should" | "so" | "some"
            | "such" | "than" | "that" | "thats" | "the" | "their" | "them" | "then"
            | "there" | "these" | "they" | "this" | "those" | "through" | "to" | "too"
            | "us" | "very" | "was" | "we" | "were" | "what" | "whats" | "when" | "where"
            | "which" | "while" | "who" | "whom" | "why" | "will" | "with" | "would"
            | "you" | "your" | "youre" | "yours"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Tokenizer::default().tokens(text, |t| out.push(t.to_string()));
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
        assert_eq!(terms("1989년 Slack에서"), vec!["1989", "년", "slack", "에서"]);
    }

    #[test]
    fn word_heads() {
        let mut heads = Vec::new();
        Tokenizer::default().terms("비밀번호를 바꾸는 법 for Slack users", |t, head| {
            if head {
                heads.push(t.to_string());
            }
        });
        assert_eq!(heads, vec!["비밀", "바꾸", "법", "slack", "user"]);
    }

    #[test]
    fn odd_input_does_not_break() {
        assert!(terms("").is_empty());
        assert!(terms("?!… ---").is_empty());
        assert!(terms(&"x".repeat(100)).is_empty());
        assert_eq!(terms("ㅋㅋ 😀 42"), vec!["ㅋㅋ", "42"]);
    }
}
