//! `bot.toml`: defaults, then the file, then `RELAYDESK__SECTION__KEY` variables.
//!
//! Secrets are held in types that mask them (the database URL's password; the platforms'
//! tokens come from the environment as `SecretString`s): printing the configuration,
//! with `Debug` or as TOML, cannot show one.

mod database;
pub mod desk;
pub mod identity;
mod messages;
pub use messages::Messages;

use std::path::{Path, PathBuf};

use relaydesk_core::Address;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

pub use database::{Database, DatabaseUrl};

/// The whole configuration. Every key has a default; unknown keys are errors.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: Database,
    pub helpcenter: Helpcenter,
    pub web: Web,
    pub log: Log,
    pub conversation: ConversationSettings,
    pub relay: Relay,
    pub delivery: Delivery,
    pub shutdown: Shutdown,
    pub console: Console,
    pub slack: Slack,
    pub discord: Discord,
    /// Email out; without it nothing is emailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<identity::Smtp>,
    pub identity: identity::Identity,
    pub notify: identity::Notify,
    #[serde(rename = "queue")]
    pub queues: Vec<QueueConfig>,
    /// Triage questions, listed by queues' `triage`.
    #[serde(rename = "question")]
    pub questions: Vec<desk::QuestionConfig>,
    /// Saved replies for `!snippet <name>`: `[snippets.refund] en = "…" ko = "…"`.
    pub snippets: std::collections::BTreeMap<String, desk::Words>,
    /// The bot's sentences replaced by key: `[messages.en]`, `[messages.ko]`.
    #[serde(skip_serializing_if = "Messages::is_empty")]
    pub messages: Messages,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Helpcenter {
    /// Folder of Markdown articles; relative paths are relative to `bot.toml`.
    pub path: PathBuf,
    /// Article links are this plus the article id, unless the article sets `url`.
    pub base_url: String,
    /// How often to look for changed articles, in seconds (0: never).
    pub reload_secs: u64,
    /// Where `relaydesk kb fetch-model` installs sentence-embedding models and where the
    /// bot looks for them; relative paths are relative to `bot.toml`. Without a model
    /// the search is lexical only.
    pub models_dir: PathBuf,
}

impl Default for Helpcenter {
    fn default() -> Self {
        Helpcenter {
            path: "helpcenter".into(),
            base_url: "https://help.example.com/articles/".into(),
            reload_secs: 2,
            models_dir: PathBuf::from("data/models"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Web {
    /// Where the web server listens (`run` and `console`): `/healthz`, `/verify`,
    /// `/unsubscribe`, and Slack's Events API in its HTTP mode. Port 0 takes a free port.
    pub bind: String,
    /// How people reach that server (links in emails, the signed link's redirect);
    /// default `http://<bind>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// The largest attachment the request form takes, in MB.
    pub max_upload_mb: u64,
    /// Requests the form takes from one address, and from one IP, in an hour.
    pub submit_per_hour: u32,
}

impl Default for Web {
    fn default() -> Self {
        Web {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            max_upload_mb: 10,
            submit_per_hour: 5,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    pub format: LogFormat,
    /// A tracing filter: `info`, `relaydesk=debug,info`, …; `RUST_LOG` wins when set.
    pub level: String,
}

impl Default for Log {
    fn default() -> Self {
        Log {
            format: LogFormat::Human,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConversationSettings {
    /// Days a solved ticket stays reopenable before it closes.
    pub close_after_days: f64,
    /// Hours a conversation with the bot alone may sit idle before it ends quietly.
    pub idle_expire_hours: f64,
}

impl Default for ConversationSettings {
    fn default() -> Self {
        ConversationSettings {
            close_after_days: 4.0,
            idle_expire_hours: 24.0,
        }
    }
}

/// `[delivery]`: how messages the platforms do not take are tried again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Delivery {
    /// The longest wait between two tries of a message a platform keeps refusing for
    /// now (5xx, timeouts, rate limits); it is tried for as long as it takes.
    pub max_backoff_secs: u64,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            max_backoff_secs: 300,
        }
    }
}

/// `[shutdown]`: how long a stop (SIGTERM, SIGINT) may take.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Shutdown {
    /// Seconds to finish the sends under way and deliver what is due before exiting.
    pub grace_secs: u64,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown { grace_secs: 10 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Relay {
    /// Show agents as "Support" instead of their names.
    pub anonymous: bool,
    /// Largest file relayed as a file; larger ones become a link.
    pub max_file_mb: u64,
    /// Where files whose links expire (Discord's) are kept from the moment they arrive;
    /// relative paths are relative to `bot.toml`.
    pub files_dir: PathBuf,
}

impl Default for Relay {
    fn default() -> Self {
        Relay {
            anonymous: false,
            max_file_mb: 10,
            files_dir: PathBuf::from("data/files"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Console {
    /// Your name as the person in `relaydesk console`.
    pub user: String,
    /// The agent's name for `/agent` replies.
    pub agent: String,
    /// Longest message the console prints in one piece.
    pub max_len: usize,
}

impl Default for Console {
    fn default() -> Self {
        Console {
            user: "you".into(),
            agent: "agent".into(),
            max_len: 4000,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum SlackMode {
    #[default]
    Socket,
    Http,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Slack {
    pub enabled: bool,
    pub mode: SlackMode,
    pub api_url: String,
    /// Workspaces whose members count as verified by their Slack email.
    pub trusted_team_ids: Vec<String>,
    /// Public help channels whose new messages get article suggestions.
    pub help_channels: Vec<String>,
}

impl Default for Slack {
    fn default() -> Self {
        Slack {
            enabled: false,
            mode: SlackMode::Socket,
            api_url: "https://slack.com/api/".into(),
            trusted_team_ids: Vec::new(),
            help_channels: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Discord {
    pub enabled: bool,
    pub api_url: String,
    /// The servers where `/support` is registered.
    pub guild_ids: Vec<String>,
    /// Forums whose new posts get article suggestions.
    pub help_forums: Vec<String>,
}

impl Default for Discord {
    fn default() -> Self {
        Discord {
            enabled: false,
            api_url: "https://discord.com".into(),
            guild_ids: Vec::new(),
            help_forums: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    pub name: String,
    #[serde(default)]
    pub phrases: Vec<String>,
    /// `slack:C…`, `discord:<id>` or `console:<name>`.
    #[serde(with = "address_string")]
    pub agent_channel: Address,
    /// The ids of the `[[question]]`s asked before the ticket opens, in order.
    #[serde(default)]
    pub triage: Vec<String>,
    /// Answers that send the ticket to another queue: `{ question_type.billing = "billing" }`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub route: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// When the team answers: `"mon-fri 09:00-18:00, sat 10:00-14:00"`; always when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<String>,
    /// The IANA time zone of `business_hours` (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Days the team is away all day, as `YYYY-MM-DD` in its time zone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<String>,
    /// Whether the person is verified before the ticket opens: `required`, `optional`
    /// or `off` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<String>,
}

mod address_string {
    use relaydesk_core::Address;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &Address, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&a.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A configuration error, naming the key and, where the file has it, the line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

const ENV_PREFIX: &str = "RELAYDESK__";

impl Config {
    /// Loads `path` (defaults alone when it is missing and `required` is false), then
    /// applies the environment, then checks the values.
    pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => String::new(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: shown,
                    source,
                })
            }
        };
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect();
        let mut config = Config::parse(&text, &shown, &env)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            for p in [
                &mut config.helpcenter.path,
                &mut config.helpcenter.models_dir,
                &mut config.relay.files_dir,
            ] {
                if p.is_relative() {
                    *p = dir.join(&*p);
                }
            }
        }
        if let Ok(dir) = std::path::absolute(&config.relay.files_dir) {
            // Kept files are linked by absolute paths, and read only from inside it.
            config.relay.files_dir = dir;
        }
        Ok(config)
    }

    /// Parses the file's text (named `path` in errors) with `env` overrides applied.
    pub fn parse(text: &str, path: &str, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let file_error = |e: toml::de::Error| ConfigError::File {
            path: path.to_string(),
            message: e.to_string().trim_end().to_string(),
        };
        // The file alone first, so that its mistakes are reported with their lines.
        let from_file: Config = toml::from_str(text).map_err(file_error)?;
        let config = if env.is_empty() {
            from_file
        } else {
            let mut table: toml::Table = toml::from_str(text).map_err(file_error)?;
            for (var, value) in env {
                apply_env(&mut table, var, value)?;
            }
            Config::deserialize(toml::Value::Table(table)).map_err(|e| {
                // The message may quote a value, and values can be secrets.
                let mut message = e.to_string().trim_end().to_string();
                for (_, value) in env.iter().filter(|(_, v)| v.len() >= 4) {
                    message = message.replace(value.as_str(), "***");
                }
                let var = env
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                ConfigError::Env { var, message }
            })?
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.database.url.expose_secret().trim().is_empty() {
            return invalid(
                "database.url is empty: use sqlite://data/relaydesk.db or postgres://…".into(),
            );
        }
        if !self.conversation.close_after_days.is_finite()
            || self.conversation.close_after_days <= 0.0
        {
            return invalid(format!(
                "conversation.close_after_days must be more than 0, not {}",
                self.conversation.close_after_days
            ));
        }
        if self.delivery.max_backoff_secs == 0 {
            return invalid("delivery.max_backoff_secs must be at least 1".into());
        }
        if self.console.max_len < 100 {
            return invalid(format!(
                "console.max_len must be at least 100, not {}",
                self.console.max_len
            ));
        }
        if !self.conversation.idle_expire_hours.is_finite()
            || self.conversation.idle_expire_hours <= 0.0
        {
            return invalid(format!(
                "conversation.idle_expire_hours must be more than 0, not {}",
                self.conversation.idle_expire_hours
            ));
        }
        for (i, q) in self.queues.iter().enumerate() {
            if q.name.trim().is_empty() {
                return invalid(format!("queue[{i}].name is empty"));
            }
            if self.queues[..i].iter().any(|other| other.name == q.name) {
                return invalid(format!(
                    "queue[{i}].name: the queue name `{}` is used twice",
                    q.name
                ));
            }
            if q.agent_channel.adapter == crate::console::NAME
                && q.agent_channel.channel == crate::console::USER_CHANNEL
            {
                return invalid(format!(
                    "queue[{i}].agent_channel: `console:{}` is the person's own console channel; name the queue's channel",
                    crate::console::USER_CHANNEL
                ));
            }
            let adapters: Vec<&str> = crate::platforms::PLATFORMS
                .iter()
                .map(|p| p.name)
                .chain([crate::console::NAME])
                .collect();
            if !adapters.contains(&q.agent_channel.adapter.as_str()) {
                let (last, first) = adapters.split_last().expect("the console at least");
                return invalid(format!(
                    "queue[{i}].agent_channel: unknown adapter `{}` (use {}: or {last}:)",
                    q.agent_channel.adapter,
                    first.join(":, "),
                ));
            }
            if q.phrases
                .iter()
                .any(|p| relaydesk_core::intent::Phrase::new(p).is_none())
            {
                return invalid(format!("queue[{i}].phrases: a phrase has no letters"));
            }
        }
        let mut problems = desk::check(&self.questions, &self.queues, &self.snippets);
        problems.extend(self.messages.check());
        problems.extend(identity::check(self));
        if !problems.is_empty() {
            return invalid(problems.join("\n"));
        }
        Ok(())
    }

    /// The configuration as TOML, secrets masked by their types.
    pub fn masked_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# cannot show the configuration: {e}"))
    }

    pub fn close_after_ms(&self) -> i64 {
        (self.conversation.close_after_days * 24.0 * 3600.0 * 1000.0) as i64
    }

    /// `[web].public_url` without a trailing slash, or `http://<bind>`.
    pub fn public_url(&self) -> String {
        match &self.web.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.web.bind),
        }
    }

    /// `[conversation].idle_expire_hours` in milliseconds.
    pub fn idle_expire_ms(&self) -> i64 {
        (self.conversation.idle_expire_hours * 3600.0 * 1000.0) as i64
    }
}

/// Sets `RELAYDESK__SECTION__KEY=value` in the table. Values are read as TOML
/// (`true`, `3`, `["a"]`) where they parse, and as strings otherwise.
fn apply_env(table: &mut toml::Table, var: &str, raw: &str) -> Result<(), ConfigError> {
    let path: Vec<String> = var[ENV_PREFIX.len()..]
        .split("__")
        .map(str::to_lowercase)
        .collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::Env {
            var: var.into(),
            message: "write RELAYDESK__SECTION__KEY".into(),
        });
    }
    let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let (last, sections) = path.split_last().expect("non-empty path");
    let mut node = table;
    for section in sections {
        let entry = node
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        node = entry.as_table_mut().ok_or_else(|| ConfigError::Env {
            var: var.into(),
            message: format!("`{section}` is not a section"),
        })?;
    }
    node.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_with_an_empty_file() {
        let c = Config::parse("", "bot.toml", &[]).unwrap();
        assert_eq!(c.database.url.expose_secret(), "sqlite://data/relaydesk.db");
        assert_eq!(c.conversation.close_after_days, 4.0);
        assert!(!c.slack.enabled);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = Config::parse(
            "[database]\nurl = \"sqlite://x.db\"\n\n[relay]\nanonymus = true\n",
            "bot.toml",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("anonymus"), "{err}");
        assert!(err.contains("line 5"), "{err}");
    }

    #[test]
    fn bad_agent_channel_is_named() {
        let text = "[[queue]]\nname = \"support\"\nagent_channel = \"C0123\"\n";
        let err = Config::parse(text, "bot.toml", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3") && err.contains("adapter:channel"),
            "{err}"
        );
    }

    #[test]
    fn triage_mistakes_are_named_each_with_its_key() {
        let text = r#"
[[queue]]
name = "support"
agent_channel = "console:support"
triage = ["question_type", "order_number"]
route = { question_type.billing = "billing", question_type.refunds = "support", colour.red = "support" }
business_hours = "mon-fri 9-18"
timezone = "Mars/Base"
holidays = ["2026-12-25", "2026-13-01"]

[[question]]
id = "question_type"
prompt = { en = "What is it about?" }
options = [ { id = "billing", en = "Billing" }, { id = "technical", en = "Technical" } ]

[snippets.refund]
"#;
        let err = Config::parse(text, "bot.toml", &[])
            .unwrap_err()
            .to_string();
        for needle in [
            "queue[0].triage[1] (queue `support`): unknown question `order_number`",
            "queue[0].route.question_type.billing: unknown queue `billing`",
            "queue[0].route.question_type.refunds: question `question_type` has no option `refunds`",
            "queue[0].route.colour: unknown question `colour`",
            "queue[0].business_hours: `9-18` is not a time range",
            "snippets.refund: no words",
        ] {
            assert!(err.contains(needle), "{needle:?} not in:\n{err}");
        }
        let zone = text.replace("mon-fri 9-18", "mon-fri 09:00-18:00");
        let err = Config::parse(&zone, "bot.toml", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("queue[0].timezone: `Mars/Base` is not a known time zone"),
            "{err}"
        );
        let holiday = zone.replace("Mars/Base", "Asia/Seoul");
        let err = Config::parse(&holiday, "bot.toml", &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("queue[0].holidays[1]: `2026-13-01` is not a date"),
            "{err}"
        );
        let env = vec![(
            "RELAYDESK__QUEUE".to_string(),
            "[{name = \"x\", agent_channel = \"console:x\", triage = [\"t\"]}]".to_string(),
        )];
        let err = Config::parse("", "bot.toml", &env).unwrap_err().to_string();
        assert!(err.contains("queue[0].triage[0]"), "{err}");
    }

    #[test]
    fn web_public_url_defaults_to_the_bind_address() {
        let c = Config::parse("[web]\nbind = \"0.0.0.0:3000\"\n", "bot.toml", &[]).unwrap();
        assert_eq!(c.public_url(), "http://0.0.0.0:3000");
        let c = Config::parse(
            "[web]\npublic_url = \"https://desk.example.com/\"\n",
            "bot.toml",
            &[],
        )
        .unwrap();
        assert_eq!(c.public_url(), "https://desk.example.com");
        let err = Config::parse(
            "[web]\npublic_url = \"desk.example.com\"\n",
            "bot.toml",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("web.public_url"), "{err}");
    }

    #[test]
    fn the_shipped_bot_toml_is_valid() {
        let text = include_str!("../bot.toml");
        let c = Config::parse(text, "bot.toml", &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.queues.len(), 3);
        assert_eq!(
            c.queues[0].triage.len(),
            3,
            "the console shows a real triage"
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let env = vec![
            (
                "RELAYDESK__DATABASE__URL".to_string(),
                "postgres://u:pw@db/x".to_string(),
            ),
            (
                "RELAYDESK__RELAY__ANONYMOUS".to_string(),
                "true".to_string(),
            ),
        ];
        let c = Config::parse("[database]\nurl = \"sqlite://a.db\"\n", "bot.toml", &env).unwrap();
        assert_eq!(c.database.url.expose_secret(), "postgres://u:pw@db/x");
        assert!(c.relay.anonymous);
        assert!(c.masked_toml().contains("postgres://u:***@db/x"));
        assert!(!c.masked_toml().contains("pw"));
        assert!(!format!("{c:?}").contains("pw"));
        let wrong = vec![(
            "RELAYDESK__DATABASE".to_string(),
            "postgres://u:secret@h/db".to_string(),
        )];
        let err = Config::parse("", "bot.toml", &wrong)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
        let bad = vec![("RELAYDESK__RELAY__ANONYMOS".to_string(), "true".to_string())];
        let err = Config::parse("", "bot.toml", &bad).unwrap_err().to_string();
        assert!(
            err.contains("RELAYDESK__RELAY__ANONYMOS") && err.contains("anonymos"),
            "{err}"
        );
    }
}
