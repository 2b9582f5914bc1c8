//! Recognising "talk to an agent" and its kin inside whatever the person wrote.

/// A queue phrase, prepared for matching.
#[derive(Debug, Clone)]
pub struct Phrase {
    letters: Vec<char>,
}

impl Phrase {
    /// `None` when the phrase has no letters or digits.
    pub fn new(phrase: &str) -> Option<Phrase> {
        let letters = Folded::new(phrase).letters;
        (!letters.is_empty()).then_some(Phrase { letters })
    }

    /// True when the phrase occurs in `text`, ignoring case, spacing and punctuation.
    /// In Latin script it must stand as whole words ("human" does not match
    /// "humanity"); next to Hangul it may be joined to particles ("상담사에게 문의하고").
    pub fn matches(&self, text: &str) -> bool {
        self.matches_folded(&Folded::new(text))
    }

    fn matches_folded(&self, hay: &Folded) -> bool {
        let n = self.letters.len();
        if hay.letters.len() < n {
            return false;
        }
        (0..=hay.letters.len() - n).any(|s| {
            hay.letters[s..s + n] == self.letters[..] && hay.boundary(s) && hay.boundary(s + n)
        })
    }
}

/// A text as lowercased letters and digits, remembering where words began.
struct Folded {
    letters: Vec<char>,
    word_start: Vec<bool>,
}

impl Folded {
    fn new(text: &str) -> Folded {
        let (mut letters, mut word_start) = (Vec::with_capacity(text.len()), Vec::new());
        let mut separated = true;
        for c in text.chars() {
            if c.is_alphanumeric() {
                for l in c.to_lowercase() {
                    letters.push(l);
                    word_start.push(separated);
                    separated = false;
                }
            } else {
                separated = true;
            }
        }
        Folded {
            letters,
            word_start,
        }
    }

    /// Whether a match may begin (or end) just before letter `i`: at either end of the
    /// text, where words were separated, or where Latin meets another script.
    fn boundary(&self, i: usize) -> bool {
        if i == 0 || i >= self.letters.len() || self.word_start[i] {
            return true;
        }
        !(self.letters[i - 1].is_ascii_alphanumeric() && self.letters[i].is_ascii_alphanumeric())
    }
}

/// Finds which queue a message asks for: the queue whose phrase matches, preferring the
/// longest phrase when several do.
pub struct IntentMatcher {
    phrases: Vec<(usize, Phrase)>,
}

impl IntentMatcher {
    /// `queues` pairs each queue's index with its phrases.
    pub fn new<'a>(queues: impl IntoIterator<Item = (usize, &'a [String])>) -> Self {
        let mut phrases: Vec<(usize, Phrase)> = queues
            .into_iter()
            .flat_map(|(i, ps)| {
                ps.iter()
                    .filter_map(move |p| Phrase::new(p).map(|p| (i, p)))
            })
            .collect();
        phrases.sort_by_key(|(_, p)| std::cmp::Reverse(p.letters.len()));
        IntentMatcher { phrases }
    }

    /// The index of the queue the text asks for.
    pub fn find(&self, text: &str) -> Option<usize> {
        let hay = Folded::new(text);
        self.phrases
            .iter()
            .find(|(_, p)| p.matches_folded(&hay))
            .map(|(i, _)| *i)
    }
}

/// True for questions about how to do something ("how do I talk to an agent?",
/// "상담사에게 문의하는 방법"): the help center answers those, even when they name a
/// queue phrase.
pub fn is_how_question(text: &str) -> bool {
    let lower = text.to_lowercase();
    let mut words = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty());
    words.any(|w| w == "how") || ["어떻게", "방법"].iter().any(|k| lower.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Phrase::new(p).unwrap().matches(t)
    }

    #[test]
    fn english_phrases_inside_sentences() {
        assert!(m("talk to an agent", "talk to an agent"));
        assert!(m("talk to an agent", "can I please talk to an agent?"));
        assert!(m("talk to an agent", "TALK  TO AN-AGENT!!"));
        assert!(m("talk to an agent", "talktoanagent"));
        assert!(!m("talk to an agent", "talk to a bot"));
        assert!(m("human", "I want a human."));
        assert!(!m("human", "humanity is great"));
        assert!(!m("talk to sales", "I don't want to talk to salesmen"));
    }

    #[test]
    fn korean_phrases_with_spacing_and_particles() {
        assert!(m("상담사에게 문의", "상담사에게 문의"));
        assert!(m("상담사에게 문의", "상담사에게문의"));
        assert!(m("상담사에게 문의", "혹시 상담사에게 문의하고 싶은데요"));
        assert!(m("영업팀에 문의", "영업팀에 문의할게요."));
        assert!(!m("영업팀에 문의", "상담사에게 문의"));
    }

    #[test]
    fn how_questions() {
        assert!(is_how_question("How do I talk to an agent?"));
        assert!(is_how_question("상담사에게 문의하려면 어떻게 해야 하나요?"));
        assert!(!is_how_question("can I please talk to an agent?"));
        assert!(!is_how_question("I'd like to talk to sales, somehow"));
    }

    #[test]
    fn longest_phrase_wins() {
        let support = ["talk to an agent".to_string(), "agent".to_string()];
        let sales = ["talk to sales".to_string(), "영업팀에 문의".to_string()];
        let im = IntentMatcher::new([(0, &support[..]), (1, &sales[..])]);
        assert_eq!(im.find("could I talk to sales please"), Some(1));
        assert_eq!(im.find("agent please"), Some(0));
        assert_eq!(im.find("영업팀에 문의드립니다"), Some(1));
        assert_eq!(im.find("how do I reset my password"), None);
    }
}
