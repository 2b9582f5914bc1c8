//! The console and Slack adapters against core's conformance suite: the console read
//! back from what it printed, Slack from the fake Slack's record of each message.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use relaydesk::console::ConsoleAdapter;
use relaydesk_core::adapter::{AdapterError, Delivered, InboundSink, Outbound, SendError};
use relaydesk_core::testkit::{self, Platform, Shown};
use relaydesk_core::{Address, Capabilities, ChannelAdapter};
use relaydesk_slack::{Mode, Settings, SlackAdapter};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::fake_slack::{FakeSlack, Posted};

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

// ---- console --------------------------------------------------------------------------

/// What the console printed, shared with the test.
#[derive(Clone, Default)]
struct Printed(Arc<Mutex<Vec<u8>>>);

impl Printed {
    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn since(&self, mark: usize) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes[mark..]).into_owned()
    }
}

impl Write for Printed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The console adapter, with what each send printed kept under the id it returned: the
/// console shows ids nowhere, so the harness notes which lines each delivery printed.
struct Console {
    adapter: ConsoleAdapter,
    printed: Printed,
    lines: Mutex<HashMap<String, String>>,
    to: Address,
}

impl Console {
    fn new(channel: &str) -> Console {
        let printed = Printed::default();
        let agents = HashSet::from(["support".to_string()]);
        let adapter = ConsoleAdapter::new("you", "agent", agents, 4000)
            .with_output(Box::new(printed.clone()));
        Console {
            adapter,
            printed,
            lines: Mutex::new(HashMap::new()),
            to: Address::new(relaydesk::console::NAME, channel),
        }
    }
}

/// A printed message as a person reads it: the `bot> ` or `agent[…]> ` prefix taken
/// off each line.
fn unprefixed(printed: &str) -> String {
    printed
        .strip_suffix('\n')
        .unwrap_or(printed)
        .split('\n')
        .map(|line| {
            line.strip_prefix("bot> ")
                .or_else(|| line.split_once("]> ").map(|(_, rest)| rest))
                .unwrap_or(line)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[async_trait]
impl ChannelAdapter for Console {
    fn name(&self) -> &str {
        self.adapter.name()
    }

    fn capabilities(&self) -> Capabilities {
        self.adapter.capabilities()
    }

    async fn run(
        &self,
        sink: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError> {
        self.adapter.run(sink, shutdown).await
    }

    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError> {
        let mark = self.printed.len();
        let delivered = self.adapter.send(message).await?;
        let shown = unprefixed(&self.printed.since(mark));
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(delivered.message_id.clone(), shown);
        Ok(delivered)
    }
}

#[async_trait]
impl Platform for Console {
    fn adapter(&self) -> &dyn ChannelAdapter {
        self
    }

    fn address(&self) -> Address {
        self.to.clone()
    }

    /// Nothing printed on a terminal can notify anyone.
    async fn shown(&self, delivered: &Delivered) -> Option<Shown> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines.get(&delivered.message_id).map(|text| Shown {
            text: text.clone(),
            pings: Vec::new(),
        })
    }
}

#[test]
fn the_console_conforms_to_the_person() {
    block_on(testkit::assert_conforms(&Console::new(
        relaydesk::console::USER_CHANNEL,
    )));
}

#[test]
fn the_console_conforms_in_an_agent_channel() {
    block_on(testkit::assert_conforms(&Console::new("support")));
}

// ---- Slack ----------------------------------------------------------------------------

/// The Slack adapter posting to the fake Slack; a message shows what the fake holds.
struct Slack {
    fake: FakeSlack,
    adapter: SlackAdapter,
    channel: String,
}

impl Slack {
    fn new(channel: &str) -> Slack {
        let fake = FakeSlack::start();
        let adapter = SlackAdapter::new(Settings {
            mode: Mode::Socket,
            api_url: fake.api_url(),
            bot_token: "xoxb-conformance".into(),
            app_token: "xapp-conformance".into(),
            signing_secret: "conformance".into(),
            trusted_team_ids: Vec::new(),
            agent_channels: HashSet::from(["CAGENT".to_string()]),
            help_channels: HashSet::new(),
            max_file_bytes: 1 << 20,
            files_dir: std::env::temp_dir(),
        })
        .expect("Slack adapter");
        Slack {
            fake,
            adapter,
            channel: channel.into(),
        }
    }
}

#[async_trait]
impl Platform for Slack {
    fn adapter(&self) -> &dyn ChannelAdapter {
        &self.adapter
    }

    fn address(&self) -> Address {
        Address::new("slack", &self.channel)
    }

    async fn shown(&self, delivered: &Delivered) -> Option<Shown> {
        let message = self
            .fake
            .posted_all(&self.channel)
            .into_iter()
            .find(|m| m.ts == delivered.message_id)?;
        (!message.deleted).then(|| slack_shown(&message))
    }
}

/// What a Slack client shows: the blocks when there are any (the sections' text, then
/// the buttons' and context labels), else `text`; pings from every text Slack parses.
fn slack_shown(m: &Posted) -> Shown {
    let mut pings = mentions(&m.text, m.names_linked);
    let blocks = m.blocks.as_ref().and_then(Value::as_array);
    let Some(blocks) = blocks.filter(|b| !b.is_empty()) else {
        return Shown {
            text: unescape(&m.text),
            pings,
        };
    };
    let mut words = String::new();
    let mut labels = Vec::new();
    for block in blocks {
        let texts: Vec<&Value> = match block["type"].as_str() {
            Some("section") => vec![&block["text"]],
            Some("actions") => block["elements"]
                .as_array()
                .map(|e| e.iter().map(|e| &e["text"]).collect())
                .unwrap_or_default(),
            Some("context") => block["elements"]
                .as_array()
                .map(|e| e.iter().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for t in texts {
            let text = t["text"].as_str().unwrap_or_default();
            if t["type"] == "mrkdwn" {
                pings.extend(mentions(text, t["verbatim"] != true));
            }
            if block["type"] == "section" {
                words.push_str(text);
            } else {
                labels.push(text);
            }
        }
    }
    let mut text = unescape(&words);
    for label in labels {
        text.push('\n');
        text.push_str(&unescape(label));
    }
    Shown { text, pings }
}

/// The mentions in Slack markup that notify someone: `<!here>`, `<!channel>`,
/// `<!everyone>`, `<!subteam^…>`, `<@U…>`; and where Slack links names by itself
/// (`link_names`, mrkdwn that is not verbatim), bare `@here`, `@channel`, `@everyone`.
fn mentions(raw: &str, names_linked: bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let inner = &rest[start + 1..start + len];
        let notifies = ["!here", "!channel", "!everyone", "!subteam^", "@"]
            .iter()
            .any(|p| inner.starts_with(p));
        if notifies {
            found.push(format!("<{inner}>"));
        }
        rest = &rest[start + len + 1..];
    }
    if names_linked {
        for word in ["@here", "@channel", "@everyone"] {
            if raw.contains(word) {
                found.push(word.to_string());
            }
        }
    }
    found
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn slack_conforms_in_a_channel() {
    let slack = Slack::new("CAGENT");
    block_on(testkit::assert_conforms(&slack));
}

#[test]
fn slack_conforms_in_a_direct_message() {
    let slack = Slack::new("D1");
    block_on(testkit::assert_conforms(&slack));
}

#[test]
fn the_harness_sees_slack_pings() {
    assert_eq!(
        mentions(
            "hi <!here> <@U1|ada> <#C1> <https://x.io> &lt;!channel&gt;",
            false
        ),
        ["<!here>", "<@U1|ada>"]
    );
    assert_eq!(mentions("@here", true), ["@here"]);
    assert!(mentions("@here", false).is_empty());
}

// ---- Discord ----------------------------------------------------------------------------

/// The Discord adapter sending through the fake Discord (REST only: sending needs no
/// gateway), read back from the fake's record of each message.
struct Discord {
    fake: crate::fake_discord::FakeDiscord,
    adapter: relaydesk_discord::DiscordAdapter,
    channel: String,
}

impl Discord {
    fn new(direct: bool) -> Discord {
        use crate::fake_discord::{ChannelKind, FakeDiscord};
        let fake = FakeDiscord::start();
        fake.add_user("2001", "Ada");
        fake.add_channel("3002", ChannelKind::Text, "agents");
        let channel = if direct {
            fake.dm_channel("2001")
        } else {
            "3002".to_string()
        };
        let adapter = relaydesk_discord::DiscordAdapter::new(relaydesk_discord::Settings {
            api_url: fake.api_url(),
            token: FakeDiscord::TOKEN.into(),
            guild_ids: Vec::new(),
            agent_channels: HashSet::from(["3002".to_string()]),
            help_forums: HashSet::new(),
            max_file_bytes: 1 << 20,
            files_dir: std::env::temp_dir(),
        })
        .expect("Discord adapter");
        Discord {
            fake,
            adapter,
            channel,
        }
    }
}

#[async_trait]
impl Platform for Discord {
    fn adapter(&self) -> &dyn ChannelAdapter {
        &self.adapter
    }

    fn address(&self) -> Address {
        Address::new("discord", &self.channel)
    }

    async fn shown(&self, delivered: &Delivered) -> Option<Shown> {
        let m = self.fake.message(&delivered.message_id)?;
        (!m.deleted).then(|| discord_shown(&m))
    }
}

/// What a Discord client shows: the content with its Markdown read (`**` and `\`
/// escapes gone), then an embed's title, description and fields, then the components'
/// labels; pings where the content mentions someone and `allowed_mentions` lets it.
fn discord_shown(m: &crate::fake_discord::Posted) -> Shown {
    let read = |s: &str| s.replace("**", "").replace('\\', "");
    let mut text = read(&m.content);
    for embed in m.embeds.as_array().into_iter().flatten() {
        for part in [&embed["title"], &embed["description"]] {
            if let Some(s) = part.as_str() {
                text.push('\n');
                text.push_str(&read(s));
            }
        }
        for field in embed["fields"].as_array().into_iter().flatten() {
            text.push('\n');
            text.push_str(&read(field["value"].as_str().unwrap_or_default()));
        }
    }
    for row in m.components.as_array().into_iter().flatten() {
        for c in row["components"].as_array().into_iter().flatten() {
            let labels = c["label"].as_str().into_iter().chain(
                c["options"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o["label"].as_str()),
            );
            for label in labels {
                text.push('\n');
                text.push_str(label);
            }
        }
    }
    // Without `allowed_mentions` Discord parses every mention in the content.
    let parse: Vec<String> = match &m.allowed_mentions {
        None => vec!["everyone".into(), "users".into(), "roles".into()],
        Some(a) => a["parse"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect(),
    };
    let mut pings = Vec::new();
    for word in ["@everyone", "@here"] {
        if m.content.contains(word) && parse.iter().any(|p| p == "everyone") {
            pings.push(word.to_string());
        }
    }
    if m.content.contains("<@") && parse.iter().any(|p| p == "users" || p == "roles") {
        pings.push("<@…>".to_string());
    }
    Shown { text, pings }
}

#[test]
fn discord_conforms_in_a_channel() {
    let discord = Discord::new(false);
    block_on(testkit::assert_conforms(&discord));
}

#[test]
fn discord_conforms_in_a_direct_message() {
    let discord = Discord::new(true);
    block_on(testkit::assert_conforms(&discord));
}

/// What the adapter hands on, kept for the test.
#[derive(Default)]
struct Received(Mutex<Vec<relaydesk_core::Inbound>>);

#[async_trait]
impl InboundSink for Received {
    async fn submit(
        &self,
        event: relaydesk_core::Inbound,
    ) -> Result<relaydesk_core::adapter::Accepted, relaydesk_core::adapter::SinkError> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
        Ok(relaydesk_core::adapter::Accepted::Handled)
    }

    async fn settled(&self, _adapter: &str) {}
}

/// Above five choices Discord gets a select menu: picking from it hands the choice on and
/// the message then shows the choice instead of the menu.
#[test]
fn discord_offers_a_select_above_five_choices_and_shows_the_one_picked() {
    use relaydesk_core::adapter::{Action, Body, Choice, Content, OutboundKind, Payload};
    let discord = Discord::new(true);
    let received = Arc::new(Received::default());
    let stop = CancellationToken::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (sink, until) = (received.clone(), stop.clone());
    let adapter = Arc::new(discord.adapter);
    let running = adapter.clone();
    let gateway =
        std::thread::spawn(move || runtime.block_on(async move { running.run(sink, until).await }));
    discord.fake.wait_connected(Duration::from_secs(20));
    let choices: Vec<Choice> = (1..=7)
        .map(|i| Choice {
            value: format!("plan_{i}"),
            label: format!("Plan {i}"),
        })
        .collect();
    let prompt = Outbound {
        id: 1,
        to: Address::new("discord", &discord.channel),
        action: Action::Post,
        idempotency_key: "select".into(),
        in_doubt: false,
        payload: Payload {
            kind: OutboundKind::Bot,
            sender: None,
            body: Body::Prompt {
                text: "Which plan are you on?".into(),
                choices,
            },
        },
    };
    let delivered = block_on(adapter.send(&prompt)).expect("the prompt is posted");
    let posted = discord.fake.message(&delivered.message_id).expect("posted");
    assert_eq!(
        posted.components[0]["components"][0]["type"], 3,
        "a select: {posted:?}"
    );
    discord.fake.select(
        &discord.channel,
        &delivered.message_id,
        "2001",
        "relaydesk:select",
        &["plan_6"],
    );
    discord.fake.wait_posted(
        &discord.channel,
        |m| m.id == delivered.message_id && m.content.contains("✓ Plan 6"),
        Duration::from_secs(20),
        "the choice shown on the prompt",
    );
    let got = received.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].content, Content::Choice("plan_6".into()));
    stop.cancel();
    gateway
        .join()
        .expect("the gateway thread")
        .expect("the adapter stopped cleanly");
}
