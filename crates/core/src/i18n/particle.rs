//! Korean particles that follow the word before them: `티켓 #1을`, `티켓 #2를`.
//!
//! A particle pair has a form for after a consonant (을) and one for after a vowel (를);
//! which one fits depends on how the word before it ends when read aloud:
//!
//! - a Hangul syllable: its final consonant (받침), by jamo arithmetic;
//! - a number: its last sound as read in Korean: the last digit when it is not 0
//!   (1 일, 2 이, 3 삼, 4 사, 5 오, 6 육, 7 칠, 8 팔, 9 구), else the place of its last
//!   non-zero digit (10 십, 100 백, 1000 천, 10000 만, 10⁸ 억, 10¹² 조); zero is 영, and
//!   after a decimal point each digit is read alone (2.50 이 점 오 영);
//! - a Latin word, as it is usually read in Korean ([`latin_final`]);
//! - punctuation, symbols and spaces (`#`, `)`, `.`) are skipped.
//!
//! When the last sound cannot be told (a Chinese character, an emoji, nothing at all),
//! the form for after a consonant is used.

/// How a word ends when read aloud, as far as particles care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sound {
    /// An open syllable: 가, 2 (이), Grace (그레이스).
    Vowel,
    /// A final ㄹ: 일, 1, email. A consonant, except that it takes 로 rather than 으로.
    Rieul,
    /// Any other final consonant: 삼, 10 (십), Slack (슬랙).
    Consonant,
}

/// A particle pair, named in a template by either of its forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Particle {
    /// 을/를 (object).
    EulReul,
    /// 이/가 (subject).
    IGa,
    /// 은/는 (topic).
    EunNeun,
    /// 과/와 (and, with).
    GwaWa,
    /// 으로/로 (to, by, as); 로 after ㄹ as well.
    EuroRo,
    /// 아/야 (calling someone).
    AYa,
    /// 이에요/예요 (is).
    IeyoYeyo,
}

/// Every pair: the particle, its form after a consonant, its form after a vowel.
const PAIRS: [(Particle, &str, &str); 7] = [
    (Particle::EulReul, "을", "를"),
    (Particle::IGa, "이", "가"),
    (Particle::EunNeun, "은", "는"),
    (Particle::GwaWa, "과", "와"),
    (Particle::EuroRo, "으로", "로"),
    (Particle::AYa, "아", "야"),
    (Particle::IeyoYeyo, "이에요", "예요"),
];

impl Particle {
    /// The pair one of whose forms is `form`.
    pub(crate) fn parse(form: &str) -> Option<Particle> {
        PAIRS
            .iter()
            .find(|(_, after_consonant, after_vowel)| {
                form == *after_consonant || form == *after_vowel
            })
            .map(|(particle, _, _)| *particle)
    }

    /// Every pair as `을/를`, for messages.
    pub(crate) fn all_pairs() -> String {
        PAIRS
            .iter()
            .map(|(_, c, v)| format!("{c}/{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The form that fits after `word`.
    pub(crate) fn after(self, word: &str) -> &'static str {
        let (_, after_consonant, after_vowel) = PAIRS
            .iter()
            .find(|(particle, _, _)| *particle == self)
            .expect("every particle has its pair");
        match (self, final_sound(word)) {
            (_, Some(Sound::Vowel)) | (Particle::EuroRo, Some(Sound::Rieul)) => after_vowel,
            _ => after_consonant,
        }
    }
}

/// How `word` ends when read aloud: from its last character that is a letter or a
/// digit. `None` when that cannot be told.
pub(crate) fn final_sound(word: &str) -> Option<Sound> {
    let end = word
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphanumeric())
        .map(|(i, c)| i + c.len_utf8())?;
    let word = &word[..end];
    let last = word.chars().next_back()?;
    match last {
        '\u{AC00}'..='\u{D7A3}' => Some(match (last as u32 - 0xAC00) % 28 {
            0 => Sound::Vowel,
            8 => Sound::Rieul,
            _ => Sound::Consonant,
        }),
        // Compatibility jamo written alone: ㄹ, other consonants, vowels.
        'ㄹ' => Some(Sound::Rieul),
        'ㄱ'..='ㅎ' => Some(Sound::Consonant),
        'ㅏ'..='ㅣ' => Some(Sound::Vowel),
        '0'..='9' => Some(number_final(word)),
        'a'..='z' | 'A'..='Z' => {
            let start = word
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_ascii_alphabetic())
                .last()
                .map_or(0, |(i, _)| i);
            Some(latin_final(&word[start..]))
        }
        _ => None,
    }
}

/// The last sound of the number `text` ends with (digits, maybe with `,` between
/// them, maybe after a decimal point).
fn number_final(text: &str) -> Sound {
    // The digits at the end, thousands separators left out.
    let mut digits = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next_back() {
        let before = &rest[..rest.len() - c.len_utf8()];
        if c.is_ascii_digit() {
            digits.push(c as u8 - b'0');
        } else if c == ',' && before.ends_with(|b: char| b.is_ascii_digit()) && !digits.is_empty() {
            // `1,000`: a separator.
        } else {
            break;
        }
        rest = before;
    }
    // `digits` is last digit first.
    let decimal =
        rest.ends_with('.') && rest[..rest.len() - 1].ends_with(|c: char| c.is_ascii_digit());
    let digit_sound = |d: u8| match d {
        1 | 7 | 8 => Sound::Rieul,     // 일, 칠, 팔
        2 | 4 | 5 | 9 => Sound::Vowel, // 이, 사, 오, 구
        _ => Sound::Consonant,         // 영, 삼, 육
    };
    if decimal {
        return digit_sound(digits[0]);
    }
    let Some(zeros) = digits.iter().position(|&d| d != 0) else {
        return Sound::Consonant; // 영
    };
    match (zeros, zeros % 4) {
        (0, _) => digit_sound(digits[0]),
        (_, 1..=3) => Sound::Consonant, // 십, 백, 천
        // 만, 억, 조, 경: then 해 and beyond, read vowel-final (조 too).
        (4, _) | (8, _) | (16, _) => Sound::Consonant,
        _ => Sound::Vowel,
    }
}

/// How a Latin word ends as it is usually read in Korean.
///
/// The choice, after the way English words and names are written in Hangul:
/// - a word in capitals of up to four letters is read letter by letter (URL 유알엘,
///   PDF 피디에프, VIP 브이아이피, CRM 씨알엠): L and R end in ㄹ, M and N in a
///   consonant, every other letter name in a vowel;
/// - ending in `l` (or `le`): ㄹ (email 이메일, Paul 폴, apple 애플, file 파일);
/// - ending in `m`, `n`, `ng` (or `me`, `ne`): a consonant (Tom 톰, Jane 제인,
///   billing 빌링, phone 폰);
/// - ending in `k`, `c`, `p`, `t` or `b` after a single vowel (or `ck`, `tt`, `pp`,
///   `bb`): a consonant (Slack 슬랙, Eric 에릭, chat 챗, Bob 밥, Matt 맷);
/// - anything else is read with a vowel at the end: other vowels and a silent `e`
///   (Amy 에이미, Grace 그레이스, Mike 마이크), `r`, `w`, `h` (server 서버, Andrew
///   앤드루, Sarah 사라), and the consonants Korean writes with a final 으 (James
///   제임스, Max 맥스, Discord 디스코드, support 서포트, Doug 더그).
pub(crate) fn latin_final(word: &str) -> Sound {
    let letters: Vec<char> = word.chars().collect();
    if (2..=4).contains(&letters.len()) && letters.iter().all(|c| c.is_ascii_uppercase()) {
        return match letters[letters.len() - 1] {
            'L' | 'R' => Sound::Rieul,
            'M' | 'N' => Sound::Consonant,
            _ => Sound::Vowel,
        };
    }
    let lower: Vec<char> = letters.iter().map(|c| c.to_ascii_lowercase()).collect();
    let at = |back: usize| lower.len().checked_sub(back + 1).map(|i| lower[i]);
    let is_vowel = |c: Option<char>| matches!(c, Some('a' | 'e' | 'i' | 'o' | 'u' | 'y'));
    match at(0) {
        Some('l') => Sound::Rieul,
        Some('m' | 'n') => Sound::Consonant,
        Some('g') if at(1) == Some('n') => Sound::Consonant,
        Some('e') if lower.len() > 2 => match at(1) {
            Some('l') => Sound::Rieul,
            Some('m' | 'n') => Sound::Consonant,
            _ => Sound::Vowel,
        },
        Some(c @ ('k' | 'c' | 'p' | 't' | 'b')) => {
            let doubled = at(1) == Some(c) || (c == 'k' && at(1) == Some('c'));
            let single_vowel_before = is_vowel(at(1)) && !is_vowel(at(2));
            if doubled || single_vowel_before {
                Sound::Consonant
            } else {
                Sound::Vowel
            }
        }
        _ => Sound::Vowel,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(word: &str, form: &str) -> String {
        format!("{word}{}", Particle::parse(form).unwrap().after(word))
    }

    #[test]
    fn hangul_by_its_final_consonant() {
        assert_eq!(with("티켓", "을"), "티켓을");
        assert_eq!(with("상담사", "을"), "상담사를");
        assert_eq!(with("파일", "으로"), "파일로");
        assert_eq!(with("상담", "으로"), "상담으로");
        assert_eq!(with("고객지원", "가"), "고객지원이");
        assert_eq!(with("기록", "는"), "기록은");
        assert_eq!(with("봇", "와"), "봇과");
        assert_eq!(with("철수", "아"), "철수야");
        assert_eq!(with("티켓", "예요"), "티켓이에요");
        assert_eq!(with("메모", "이에요"), "메모예요");
    }

    #[test]
    fn either_form_names_the_pair() {
        for (a, b) in [
            ("을", "를"),
            ("이", "가"),
            ("은", "는"),
            ("과", "와"),
            ("으로", "로"),
            ("아", "야"),
            ("이에요", "예요"),
        ] {
            assert_eq!(Particle::parse(a), Particle::parse(b));
            assert!(Particle::parse(a).is_some());
        }
        assert_eq!(Particle::parse("의"), None);
        assert_eq!(Particle::parse("을(를)"), None);
    }

    #[test]
    fn numbers_as_read() {
        for (n, expected) in [
            ("#1", "#1을"),
            ("#2", "#2를"),
            ("#3", "#3을"),
            ("#4", "#4를"),
            ("#5", "#5를"),
            ("#6", "#6을"),
            ("#7", "#7을"),
            ("#8", "#8을"),
            ("#9", "#9를"),
            ("#10", "#10을"),
            ("#12", "#12를"),
            ("#20", "#20을"),
            ("#100", "#100을"),
            ("#1000", "#1000을"),
            ("#1,000", "#1,000을"),
            ("#10000", "#10000을"),
            ("#0", "#0을"),
            ("2.50", "2.50을"),
            ("0.5", "0.5를"),
            ("1000000000000", "1000000000000를"),
        ] {
            assert_eq!(with(n, "을"), expected);
        }
        assert_eq!(with("1", "으로"), "1로");
        assert_eq!(with("3", "으로"), "3으로");
        assert_eq!(with("2", "으로"), "2로");
        assert_eq!(with("#2", "이"), "#2가");
        assert_eq!(with("#10", "가"), "#10이");
    }

    #[test]
    fn punctuation_is_skipped() {
        assert_eq!(with("티켓 #3)", "이"), "티켓 #3)이");
        assert_eq!(with("(상담사)", "을"), "(상담사)를");
        assert_eq!(with("report.pdf", "을"), "report.pdf를");
        assert_eq!(with("support (EU)", "은"), "support (EU)는");
    }

    #[test]
    fn latin_words_as_usually_read() {
        for (word, sound) in [
            ("Grace", Sound::Vowel),
            ("Mike", Sound::Vowel),
            ("Amy", Sound::Vowel),
            ("server", Sound::Vowel),
            ("James", Sound::Vowel),
            ("Discord", Sound::Vowel),
            ("support", Sound::Vowel),
            ("PDF", Sound::Vowel),
            ("Slack", Sound::Consonant),
            ("Eric", Sound::Consonant),
            ("chat", Sound::Consonant),
            ("Matt", Sound::Consonant),
            ("Tom", Sound::Consonant),
            ("Jane", Sound::Consonant),
            ("billing", Sound::Consonant),
            ("CRM", Sound::Consonant),
            ("email", Sound::Rieul),
            ("apple", Sound::Rieul),
            ("URL", Sound::Rieul),
        ] {
            assert_eq!(latin_final(word), sound, "{word}");
        }
        assert_eq!(with("Grace", "이"), "Grace가");
        assert_eq!(with("Slack", "이"), "Slack이");
        assert_eq!(with("email", "으로"), "email로");
    }

    #[test]
    fn unknown_endings_take_the_consonant_form() {
        assert_eq!(with("", "을"), "을");
        assert_eq!(with("漢", "를"), "漢을");
        assert_eq!(with("🙂", "가"), "🙂이");
    }
}
