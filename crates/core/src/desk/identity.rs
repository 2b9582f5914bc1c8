//! Who the person is: the identities a platform vouches for, when a queue asks for
//! verification, one-time codes and link states (random, kept as salted hashes, compared
//! in constant time), and what makes an email address one to send a code to.

use std::collections::HashSet;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::types::Millis;

/// Whether a queue asks who the person is before its ticket opens (`verify`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Verify {
    /// Never asked.
    #[default]
    Off,
    /// Offered; the ticket opens either way.
    Optional,
    /// The ticket opens only once the person is verified.
    Required,
}

impl Verify {
    /// From `bot.toml`.
    pub fn parse(s: &str) -> Option<Verify> {
        match s {
            "off" => Some(Verify::Off),
            "optional" => Some(Verify::Optional),
            "required" => Some(Verify::Required),
            _ => None,
        }
    }
}

/// How people can be verified, from `[smtp]` and `[identity]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// Codes can be mailed (`[smtp]` is set).
    pub code: bool,
    /// The company's sign-in page that signs a token (`[identity].login_url`).
    pub login_url: Option<String>,
    /// How long a code works.
    pub code_for: Millis,
    /// How long a signed link's state works.
    pub link_for: Millis,
    /// How long a verification of a chat identity stands.
    pub remember: Millis,
    /// Domains whose addresses get no code.
    pub blocked_domains: Vec<String>,
}

/// Wrong codes (or refused tokens) a verification takes before it stops working.
pub const MAX_TRIES: i64 = 5;

/// Codes mailed per hour, to one chat identity and to one address.
pub const CODES_PER_HOUR: i64 = 3;

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            code: false,
            login_url: None,
            code_for: 10 * 60 * 1000,
            link_for: 15 * 60 * 1000,
            remember: 90 * 24 * 60 * 60 * 1000,
            blocked_domains: Vec::new(),
        }
    }
}

/// `n` random bytes from the operating system.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS's generator does not fail on the platforms relaydesk runs on; if it ever
    // did, nothing guessable may stand in for it.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

/// A six-digit code, every value equally likely.
pub fn new_code() -> String {
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>());
        // 4,294,000,000 is the largest multiple of 1,000,000 below 2^32.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

/// A one-time state for a signed link: 32 random bytes, URL-safe.
pub fn new_state() -> String {
    hex::encode(random_bytes::<32>())
}

/// 16 random bytes, hex: a salt, an unsubscribe token, a Message-ID.
pub fn new_token() -> String {
    hex::encode(random_bytes::<16>())
}

/// The salted SHA-256 of a secret, hex.
pub fn hash_secret(salt: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

/// A link state's hash, by which it is found (the state itself is random enough to
/// need no salt).
pub fn hash_state(state: &str) -> String {
    hash_secret("state", state)
}

/// Whether `typed` is the code whose salted hash is `hash`, in time that does not
/// depend on where they differ.
pub fn code_matches(salt: &str, hash: &str, typed: &str) -> bool {
    hash_secret(salt, typed)
        .as_bytes()
        .ct_eq(hash.as_bytes())
        .into()
}

/// The six digits in what the person typed ("123 456", "123-456"), if that is all it is.
pub fn typed_code(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    let rest = text
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || c == '-');
    (rest && digits.len() == 6).then_some(digits)
}

/// `text` with anything that could be a code typed in it hidden: the whole of it when it
/// is a code, else every run of exactly six digits.
pub fn redact_codes(text: &str) -> String {
    const HIDDEN: &str = "••••••";
    if typed_code(text).is_some() {
        return HIDDEN.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        out.push_str(if run.len() == 6 { HIDDEN } else { run });
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// What is wrong with an address typed for a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressProblem {
    /// It is not an email address.
    NotAnAddress,
    /// Its domain looks like a typo of a well-known one: the address meant.
    Typo(String),
    /// Its domain is blocked.
    Blocked(String),
}

/// Domains whose misspellings are common enough to ask about.
const WELL_KNOWN: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "icloud.com",
    "live.com",
    "naver.com",
    "daum.net",
    "hanmail.net",
    "kakao.com",
    "proton.me",
    "protonmail.com",
];

/// The address in `text` (trimmed, lower case) if it is one codes can go to.
pub fn check_address(text: &str, blocked: &[String]) -> Result<String, AddressProblem> {
    let address = text.trim().trim_end_matches('.').to_lowercase();
    let (local, domain) = address
        .rsplit_once('@')
        .ok_or(AddressProblem::NotAnAddress)?;
    let labels: Vec<&str> = domain.split('.').collect();
    let fine_local = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let fine_domain = labels.len() >= 2
        && address.len() <= 254
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2);
    if !fine_local || !fine_domain {
        return Err(AddressProblem::NotAnAddress);
    }
    if blocked
        .iter()
        .any(|b| domain == b.as_str() || domain.ends_with(&format!(".{b}")))
    {
        return Err(AddressProblem::Blocked(domain.to_string()));
    }
    if !WELL_KNOWN.contains(&domain) {
        if let Some(meant) = WELL_KNOWN
            .iter()
            .find(|k| strsim::damerau_levenshtein(domain, k) <= 1)
        {
            return Err(AddressProblem::Typo(format!("{local}@{meant}")));
        }
    }
    Ok(address)
}

/// The address as the bot repeats it: `a•••@example.com`.
pub fn masked(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_string(),
    }
}

/// An email a platform returns counts as verified only for members of a workspace (or
/// server) the configuration trusts: anyone can create a workspace and put any email
/// in their profile there.
pub fn vouched_email(
    workspace: Option<&str>,
    trusted: &HashSet<String>,
    email: Option<&str>,
) -> Option<String> {
    let trusted = workspace.is_some_and(|w| trusted.contains(w));
    email
        .filter(|e| trusted && !e.trim().is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_match_only_their_hash() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.chars().all(|c| c.is_ascii_digit()));
        }
        let salt = new_token();
        let hash = hash_secret(&salt, "012345");
        assert!(code_matches(&salt, &hash, "012345"));
        assert!(!code_matches(&salt, &hash, "012346"));
        assert!(!code_matches(&new_token(), &hash, "012345"));
        assert_ne!(new_state(), new_state());
    }

    #[test]
    fn a_typed_code_is_six_digits_alone() {
        assert_eq!(typed_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(typed_code("123-456").as_deref(), Some("123456"));
        assert_eq!(typed_code("12345"), None);
        assert_eq!(typed_code("my code is 123456"), None);
        assert_eq!(redact_codes("123 456"), "••••••");
        assert_eq!(redact_codes("my code is 123456."), "my code is ••••••.");
        assert_eq!(redact_codes("order 1234567, 12"), "order 1234567, 12");
    }

    #[test]
    fn addresses_typos_and_blocked_domains() {
        let blocked = vec!["mailinator.com".to_string()];
        assert_eq!(
            check_address(" Ada@Example.com ", &blocked).as_deref(),
            Ok("ada@example.com")
        );
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@@x.com",
            "ada@-x.com",
        ] {
            assert_eq!(
                check_address(bad, &blocked),
                Err(AddressProblem::NotAnAddress),
                "{bad}"
            );
        }
        assert_eq!(
            check_address("name@gmial.com", &blocked),
            Err(AddressProblem::Typo("name@gmail.com".into()))
        );
        assert_eq!(
            check_address("name@navr.com", &blocked),
            Err(AddressProblem::Typo("name@naver.com".into()))
        );
        assert_eq!(
            check_address("x@sub.mailinator.com", &blocked),
            Err(AddressProblem::Blocked("sub.mailinator.com".into()))
        );
        assert_eq!(masked("ada@example.com"), "a•••@example.com");
    }

    #[test]
    fn only_trusted_workspaces_vouch() {
        let trusted = HashSet::from(["T1".to_string()]);
        let email = Some("ada@example.com");
        assert_eq!(vouched_email(Some("T1"), &trusted, email).as_deref(), email);
        assert_eq!(vouched_email(Some("T2"), &trusted, email), None);
        assert_eq!(vouched_email(None, &trusted, email), None);
        assert_eq!(vouched_email(Some("T1"), &trusted, None), None);
        assert_eq!(vouched_email(Some("T1"), &trusted, Some(" ")), None);
    }
}
