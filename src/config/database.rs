//! `[database]`, and the URL type that keeps its password out of every output.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    /// `sqlite://path` (created when missing) or `postgres://user@host/db`.
    pub url: DatabaseUrl,
}

impl Default for Database {
    fn default() -> Self {
        Database {
            url: DatabaseUrl::from("sqlite://data/relaydesk.db"),
        }
    }
}

/// A database URL, which may carry a password. `Debug`, `Display` and `Serialize` show it
/// with the password masked (`postgres://user:***@host/db`); only
/// [`ExposeSecret::expose_secret`] gives it whole, to connect with.
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    /// The URL as it may be shown: the password masked.
    pub fn masked(&self) -> String {
        relaydesk_store::redact_url(self.0.expose_secret())
    }
}

impl ExposeSecret<str> for DatabaseUrl {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> Self {
        DatabaseUrl(SecretString::from(url))
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(SecretString::from(url))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl").field(&self.masked()).finish()
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(DatabaseUrl::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_shown_by_no_output() {
        let url = DatabaseUrl::from("postgres://bob:hunter2@db:5432/app");
        let shown = [
            url.to_string(),
            format!("{url:?}"),
            serde_json::to_string(&url).unwrap(),
        ];
        for s in shown {
            assert!(s.contains("postgres://bob:***@db:5432/app"), "{s}");
            assert!(!s.contains("hunter2"), "{s}");
        }
        assert_eq!(url.expose_secret(), "postgres://bob:hunter2@db:5432/app");
    }
}
