//! `[smtp]`, `[identity]` and `[notify]`: email out, how people are verified, and when
//! agents' replies are emailed to someone who has left. The secrets (SMTP credentials,
//! signing keys) come from the environment only.

use std::collections::BTreeMap;

use relaydesk_core::desk::identity::{IdentityConfig, Verify};
use relaydesk_core::engine::NotifyConfig;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{Config, QueueConfig};
use crate::mail::{SmtpSettings, Tls};

/// The SMTP credentials' variables.
pub const SMTP_USERNAME: &str = "RELAYDESK_SMTP_USERNAME";
/// See [`SMTP_USERNAME`].
pub const SMTP_PASSWORD: &str = "RELAYDESK_SMTP_PASSWORD";
/// The signed links' keys: `kid=secret,kid2=secret2`.
pub const IDENTITY_KEYS: &str = "RELAYDESK_IDENTITY_KEYS";

/// `[smtp]`: where email goes out. Without the section, nothing is emailed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// `none` (a local relay: credentials, if any, go in the clear), `starttls`, `tls`.
    #[serde(default = "default_tls")]
    pub tls: Tls,
    /// `"Support <support@example.com>"`.
    pub from: String,
}

fn default_port() -> u16 {
    587
}

fn default_tls() -> Tls {
    Tls::Starttls
}

/// `[identity]`: how people are verified.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Identity {
    /// The company's sign-in page that signs a token; signed links are offered when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    /// How long a mailed code works, in whole minutes.
    pub code_minutes: u64,
    /// How long a verification of a chat identity stands, in days.
    pub remember_days: u64,
    /// Domains whose addresses get no code (`["mailinator.com"]`).
    pub blocked_domains: Vec<String>,
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            login_url: None,
            code_minutes: 10,
            remember_days: 90,
            blocked_domains: Vec::new(),
        }
    }
}

/// `[notify]`: away emails.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Notify {
    /// The person has not written for this long: an agent's reply is emailed
    /// (`"90s"`, `"15m"`, `"2h"`).
    pub away_after: String,
    /// Replies within this long go in one email.
    pub batch_window: String,
}

impl Default for Notify {
    fn default() -> Self {
        Notify {
            away_after: "15m".into(),
            batch_window: "2m".into(),
        }
    }
}

/// `"90s"`, `"15m"`, `"2h"`, `"1d"` in milliseconds.
pub fn duration_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit_at = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(unit_at);
    let n: i64 = number.parse().ok()?;
    let per = match unit.trim() {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(per)
}

/// Every problem of these sections, each naming its key.
pub fn check(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(smtp) = &config.smtp {
        if smtp.host.trim().is_empty() {
            problems.push("smtp.host is empty".to_string());
        }
        if !smtp.from.contains('@') {
            problems.push(format!(
                "smtp.from: `{}` is not an address (write \"Support <support@example.com>\")",
                smtp.from
            ));
        }
    }
    let identity = &config.identity;
    if identity.code_minutes == 0 {
        problems.push("identity.code_minutes must be at least 1".into());
    }
    if identity.remember_days == 0 {
        problems.push("identity.remember_days must be at least 1".into());
    }
    if let Some(url) = &identity.login_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            problems.push(format!(
                "identity.login_url: `{url}` must start with https:// (or http://)"
            ));
        }
    }
    if let Some(url) = &config.web.public_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            problems.push(format!(
                "web.public_url: `{url}` must start with https:// (or http://)"
            ));
        }
    }
    for (key, value) in [
        ("notify.away_after", &config.notify.away_after),
        ("notify.batch_window", &config.notify.batch_window),
    ] {
        if duration_ms(value).is_none() {
            problems.push(format!(
                "{key}: `{value}` is not a duration (write \"90s\", \"15m\" or \"2h\")"
            ));
        }
    }
    let can_verify = config.smtp.is_some() || identity.login_url.is_some();
    for (i, q) in config.queues.iter().enumerate() {
        match verify(q) {
            None => problems.push(format!(
                "queue[{i}].verify: `{}` is not one of \"required\", \"optional\", \"off\"",
                q.verify.as_deref().unwrap_or_default()
            )),
            Some(Verify::Off) => {}
            Some(_) if !can_verify => problems.push(format!(
                "queue[{i}].verify = \"{}\" needs [smtp] (codes by email) or [identity].login_url (signed links)",
                q.verify.as_deref().unwrap_or_default()
            )),
            Some(_) => {}
        }
    }
    problems
}

/// A queue's `verify` (default off); `None` when it is not a value it takes.
pub fn verify(q: &QueueConfig) -> Option<Verify> {
    q.verify.as_deref().map_or(Some(Verify::Off), Verify::parse)
}

/// How people are verified, for the engine.
pub fn identity(config: &Config) -> IdentityConfig {
    let minute = 60_000;
    IdentityConfig {
        code: config.smtp.is_some(),
        login_url: config.identity.login_url.clone(),
        code_for: config.identity.code_minutes as i64 * minute,
        link_for: 15 * minute,
        remember: config.identity.remember_days as i64 * 24 * 60 * minute,
        blocked_domains: config
            .identity
            .blocked_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .collect(),
    }
}

/// Away emails, for the engine.
pub fn notify(config: &Config) -> NotifyConfig {
    let defaults = NotifyConfig::default();
    NotifyConfig {
        enabled: config.smtp.is_some(),
        away_after: duration_ms(&config.notify.away_after).unwrap_or(defaults.away_after),
        batch_window: duration_ms(&config.notify.batch_window).unwrap_or(defaults.batch_window),
        public_url: config.public_url(),
    }
}

/// `[smtp]` with its credentials from the environment.
pub fn smtp_settings(smtp: &Smtp) -> SmtpSettings {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    SmtpSettings {
        host: smtp.host.clone(),
        port: smtp.port,
        tls: smtp.tls,
        from: smtp.from.clone(),
        username: var(SMTP_USERNAME),
        password: var(SMTP_PASSWORD).map(SecretString::from),
    }
}

/// The signing keys of signed links, by key id, from `RELAYDESK_IDENTITY_KEYS`
/// (`kid=secret,…`): none when `identity.login_url` is unset, at least one when it is
/// set. An error names the variable and the pair's position, never a secret.
pub fn identity_keys(config: &Config) -> Result<BTreeMap<String, SecretString>, String> {
    if config.identity.login_url.is_none() {
        return Ok(BTreeMap::new());
    }
    let keys = parse_keys(&std::env::var(IDENTITY_KEYS).unwrap_or_default())?;
    if keys.is_empty() {
        return Err(format!(
            "identity.login_url is set, but {IDENTITY_KEYS} holds no key: set it to kid=secret"
        ));
    }
    Ok(keys)
}

fn parse_keys(raw: &str) -> Result<BTreeMap<String, SecretString>, String> {
    let mut keys = BTreeMap::new();
    for (i, pair) in raw.split(',').map(str::trim).enumerate() {
        if pair.is_empty() {
            continue;
        }
        match pair.split_once('=') {
            Some((kid, secret)) if !kid.trim().is_empty() && !secret.is_empty() => {
                keys.insert(
                    kid.trim().to_string(),
                    SecretString::from(secret.to_string()),
                );
            }
            _ => return Err(format!("{IDENTITY_KEYS}: pair {} is not kid=secret", i + 1)),
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn durations_as_people_write_them() {
        assert_eq!(duration_ms("90s"), Some(90_000));
        assert_eq!(duration_ms("15m"), Some(900_000));
        assert_eq!(duration_ms(" 2h "), Some(7_200_000));
        for bad in ["", "15", "m", "1.5h", "2 weeks", "-1s"] {
            assert_eq!(duration_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_are_pairs_and_errors_show_no_secret() {
        let keys = parse_keys("k1=s3cret-one, k2=two=with=equals").unwrap();
        assert_eq!(keys["k1"].expose_secret(), "s3cret-one");
        assert_eq!(keys["k2"].expose_secret(), "two=with=equals");
        let err = parse_keys("k1=s3cret-one,justasecret").unwrap_err();
        assert_eq!(err, "RELAYDESK_IDENTITY_KEYS: pair 2 is not kid=secret");
    }
}
