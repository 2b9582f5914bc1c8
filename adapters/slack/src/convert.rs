//! Pure conversion between Slack's events and messages and relaydesk's core types.
//! No network here: everything is unit-tested on recorded payloads.

use std::collections::HashSet;

use relaydesk_core::adapter::{Body, Choice, Content, FileRef, Outbound, OutboundKind, TicketCard};
use slack_morphism::prelude::*;

use crate::ids;

/// What the adapter knows when it converts an event.
pub struct Context<'a> {
    /// The bot's own user id: its messages are never handed on (no echo loops).
    pub bot_user: &'a str,
    /// Channels that are some queue's agent channel: every message there is handed on.
    pub agent_channels: &'a HashSet<String>,
    /// Public help channels: a new top-level message there may get article suggestions.
    pub help_channels: &'a HashSet<String>,
}

/// An event, converted as far as it can be without asking Slack anything.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// Unique per event kind and Slack message, so that a redelivery is recognised.
    pub id: String,
    /// The Slack channel id.
    pub channel: String,
    /// The thread's `ts`, for a reply in a thread.
    pub thread: Option<String>,
    /// The Slack user who wrote, pressed or typed it.
    pub user: String,
    /// What it says or does.
    pub content: Content,
    /// Files attached.
    pub files: Vec<FileRef>,
    /// From a shared channel rather than a direct message: a handoff goes on in private.
    pub shared: bool,
}

/// A Slack event, converted.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An event for the engine.
    Incoming(Incoming),
    /// Nothing for relaydesk; the reason is logged at debug level.
    Skip(&'static str),
}

/// Converts a pushed event (a message, an @mention, an edit, a deletion).
pub fn push_event(body: &SlackEventCallbackBody, cx: &Context) -> Event {
    match body {
        SlackEventCallbackBody::Message(m) => message_event(m, cx),
        SlackEventCallbackBody::AppMention(m) => mention(m, cx),
        _ => Event::Skip("event kind relaydesk does not use"),
    }
}

fn message_event(m: &SlackMessageEvent, cx: &Context) -> Event {
    let Some(channel) = m.origin.channel.as_ref().map(|c| c.0.clone()) else {
        return Event::Skip("message without a channel");
    };
    let is_dm = matches!(m.origin.channel_type.as_ref(), Some(t) if t.0 == "im");
    let in_agent_channel = cx.agent_channels.contains(&channel);
    if cx.help_channels.contains(&channel) && !in_agent_channel {
        return help_post(m, channel, cx);
    }
    if !is_dm && !in_agent_channel {
        // In other channels the bot answers @mentions only; they arrive as app_mention.
        return Event::Skip("channel message without a mention");
    }
    let incoming = |id: String, user: String, content, files, thread| {
        Event::Incoming(Incoming {
            id,
            channel: channel.clone(),
            thread,
            user,
            content,
            files,
            shared: false,
        })
    };
    match &m.subtype {
        Some(SlackMessageEventType::MessageChanged) => {
            let Some(edited) = &m.message else {
                return Event::Skip("edit without the message");
            };
            if is_own(&edited.sender, cx) {
                return Event::Skip("edit of a bot message");
            }
            // Slack also reports link previews and thread replies as changes; only a
            // change of text is an edit.
            let before = m
                .previous_message
                .as_ref()
                .and_then(|p| p.content.as_ref()?.text.clone());
            let text = edited
                .content
                .as_ref()
                .and_then(|c| c.text.clone())
                .unwrap_or_default();
            if before.as_deref() == Some(text.as_str()) {
                return Event::Skip("change without a new text");
            }
            let user = edited.sender.user.as_ref().map(|u| u.0.clone());
            incoming(
                ids::edit(&m.origin.ts.0),
                user.unwrap_or_default(),
                Content::Edited {
                    id: edited.ts.0.clone(),
                    text: from_slack(&text, cx.bot_user),
                },
                Vec::new(),
                None,
            )
        }
        Some(SlackMessageEventType::MessageDeleted) => {
            let Some(deleted) = &m.deleted_ts else {
                return Event::Skip("deletion without the message");
            };
            if m.previous_message
                .as_ref()
                .is_some_and(|p| is_own(&p.sender, cx))
            {
                return Event::Skip("deletion of a bot message");
            }
            let user = m
                .previous_message
                .as_ref()
                .and_then(|p| p.sender.user.as_ref().map(|u| u.0.clone()));
            incoming(
                ids::delete(&m.origin.ts.0),
                user.unwrap_or_default(),
                Content::Deleted {
                    id: deleted.0.clone(),
                },
                Vec::new(),
                None,
            )
        }
        None
        | Some(SlackMessageEventType::FileShare)
        | Some(SlackMessageEventType::ThreadBroadcast)
        | Some(SlackMessageEventType::MeMessage) => {
            if is_own(&m.sender, cx) {
                return Event::Skip("bot message");
            }
            let Some(user) = m.sender.user.as_ref() else {
                return Event::Skip("message without a user");
            };
            let content = m.content.as_ref();
            let text = content.and_then(|c| c.text.as_deref()).unwrap_or_default();
            let files = content
                .and_then(|c| c.files.as_ref())
                .map(|f| files_of(f))
                .unwrap_or_default();
            let thread = m.origin.thread_ts.as_ref().map(|t| t.0.clone());
            incoming(
                m.origin.ts.0.clone(),
                user.0.clone(),
                Content::Text(from_slack(text, cx.bot_user)),
                files,
                thread,
            )
        }
        Some(_) => Event::Skip("message subtype relaydesk does not use"),
    }
}

/// A message in a help channel: a new top-level one is a post that may get suggestions;
/// replies in its thread are left to people (or to an @mention).
fn help_post(m: &SlackMessageEvent, channel: String, cx: &Context) -> Event {
    if m.subtype.is_some() {
        return Event::Skip("help channel message that is not a new one");
    }
    if is_own(&m.sender, cx) {
        return Event::Skip("bot message");
    }
    if m.origin.thread_ts.is_some() {
        return Event::Skip("reply in a help channel thread");
    }
    let Some(user) = m.sender.user.as_ref() else {
        return Event::Skip("message without a user");
    };
    let text = m
        .content
        .as_ref()
        .and_then(|c| c.text.as_deref())
        .unwrap_or_default();
    Event::Incoming(Incoming {
        id: m.origin.ts.0.clone(),
        channel,
        thread: Some(m.origin.ts.0.clone()),
        user: user.0.clone(),
        content: Content::Post(from_slack(text, cx.bot_user)),
        files: Vec::new(),
        shared: true,
    })
}

fn mention(m: &SlackAppMentionEvent, cx: &Context) -> Event {
    if cx.agent_channels.contains(&m.channel.0) {
        return Event::Skip("mention in an agent channel: it arrives as a message too");
    }
    if cx.help_channels.contains(&m.channel.0) && m.origin.thread_ts.is_none() {
        return Event::Skip("new post in a help channel: it arrives as a message too");
    }
    if m.user.0 == cx.bot_user {
        return Event::Skip("bot message");
    }
    let text = m.content.text.as_deref().unwrap_or_default();
    // The answer goes into a thread under the mention, or into its thread.
    let thread = m.origin.thread_ts.as_ref().unwrap_or(&m.origin.ts);
    Event::Incoming(Incoming {
        id: m.origin.ts.0.clone(),
        channel: m.channel.0.clone(),
        thread: Some(thread.0.clone()),
        user: m.user.0.clone(),
        content: Content::Text(from_slack(text, cx.bot_user)),
        files: m.content.files.as_deref().map(files_of).unwrap_or_default(),
        shared: true,
    })
}

/// A button press on one of relaydesk's messages.
pub fn block_action(ev: &SlackInteractionBlockActionsEvent, cx: &Context) -> Event {
    let Some(user) = ev.user.as_ref() else {
        return Event::Skip("button press without a user");
    };
    let Some(action) = ev.actions.as_ref().and_then(|a| a.first()) else {
        return Event::Skip("interaction without an action");
    };
    let picked = action.selected_option.as_ref().map(|o| o.value.clone());
    let Some(value) = action.value.clone().or(picked) else {
        return Event::Skip("button without a value");
    };
    let Some(channel) = ev.channel.as_ref().map(|c| c.id.0.clone()) else {
        return Event::Skip("button press outside a channel");
    };
    let message_ts = ev.message.as_ref().map(|m| m.origin.ts.0.clone());
    let thread_ts = ev
        .message
        .as_ref()
        .and_then(|m| m.origin.thread_ts.as_ref().map(|t| t.0.clone()));
    let is_agent_channel = cx.agent_channels.contains(&channel);
    // A ticket card is the root of its thread, so its buttons act on that thread.
    let thread = match (is_agent_channel, thread_ts) {
        (_, Some(t)) => Some(t),
        (true, None) => message_ts,
        (false, None) => None,
    };
    let pressed = action
        .action_ts
        .as_ref()
        .map(|t| t.0.clone())
        .unwrap_or_else(|| ev.trigger_id.0.clone());
    Event::Incoming(Incoming {
        id: ids::press(&pressed),
        shared: !is_agent_channel && !ids::is_direct(&channel),
        channel,
        thread,
        user: user.id.0.clone(),
        content: Content::Choice(value),
        files: Vec::new(),
    })
}

/// An interaction's kind, as Slack names it, and its trigger id where it has one: for
/// the log line of one relaydesk does not use.
pub fn interaction_kind(ev: &SlackInteractionEvent) -> (&'static str, Option<&str>) {
    use SlackInteractionEvent as I;
    match ev {
        I::BlockActions(e) => ("block_actions", Some(&e.trigger_id.0)),
        I::BlockSuggestion(_) => ("block_suggestion", None),
        I::DialogSubmission(_) => ("dialog_submission", None),
        I::MessageAction(e) => ("message_action", Some(&e.trigger_id.0)),
        I::Shortcut(e) => ("shortcut", Some(&e.trigger_id.0)),
        I::ViewSubmission(e) => (
            "view_submission",
            e.trigger_id.as_ref().map(|t| t.0.as_str()),
        ),
        I::ViewClosed(e) => ("view_closed", e.trigger_id.as_ref().map(|t| t.0.as_str())),
    }
}

/// The catalogue to answer a command in: the language it was typed in.
pub fn catalogue_for(text: Option<&str>) -> &'static relaydesk_core::i18n::Catalogue {
    relaydesk_core::i18n::catalogue(relaydesk_core::text::detect_lang(text.unwrap_or_default()))
}

/// What `/support [question]` and `/support history` ask for; the answer goes to the
/// person's direct messages, whose channel the caller looks up.
pub fn command_content(text: Option<&str>) -> Content {
    let text = text.unwrap_or_default().trim();
    if relaydesk_core::i18n::is_history_request(text) {
        Content::History
    } else {
        Content::Text(text.to_string())
    }
}

fn is_own(sender: &SlackMessageSender, cx: &Context) -> bool {
    sender.bot_id.is_some() || sender.user.as_ref().is_some_and(|u| u.0 == cx.bot_user)
}

fn files_of(files: &[SlackFile]) -> Vec<FileRef> {
    files
        .iter()
        .filter_map(|f| {
            let url = f.url_private_download.as_ref().or(f.url_private.as_ref())?;
            Some(FileRef {
                name: f
                    .name
                    .clone()
                    .or_else(|| f.title.clone())
                    .unwrap_or_else(|| f.id.0.clone()),
                url: url.to_string(),
                size: 0,
                mime: f.mimetype.as_ref().map(|m| m.0.clone()),
            })
        })
        .collect()
}

/// Slack's message text as a person reads it: entities decoded, links and mentions as
/// plain words, the bot's own mention removed.
pub fn from_slack(text: &str, bot_user: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &rest[start + 1..start + len];
        rest = &rest[start + len + 1..];
        let (target, label) = match inner.split_once('|') {
            Some((t, l)) => (t, Some(l)),
            None => (inner, None),
        };
        if let Some(user) = target.strip_prefix('@') {
            if user != bot_user {
                out.push('@');
                out.push_str(label.unwrap_or(user));
            }
        } else if let Some(special) = target.strip_prefix('!') {
            // <!channel>, <!here>, <!subteam^ID|@team>: shown as words, never as pings.
            out.push('@');
            out.push_str(label.map(|l| l.trim_start_matches('@')).unwrap_or(special));
        } else if let Some(channel) = target.strip_prefix('#') {
            out.push('#');
            out.push_str(label.unwrap_or(channel));
        } else {
            let url = target.strip_prefix("mailto:").unwrap_or(target);
            match label {
                Some(l) if l != url && l != target => {
                    out.push_str(l);
                    out.push_str(" (");
                    out.push_str(url);
                    out.push(')');
                }
                _ => out.push_str(url),
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    decoded.trim().to_string()
}

/// Text made safe for Slack: `&`, `<` and `>` escaped, so that no text relayed through
/// relaydesk can become a mention, a channel ping or a link in disguise.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of an outbound message as Slack shows it: relayed words under the name of
/// whoever wrote them.
pub fn text_of(message: &Outbound) -> String {
    let body = escape(&message.text());
    match (&message.payload.sender, message.payload.kind) {
        (Some(who), OutboundKind::Relay) => format!("*{}:* {body}", escape(who)),
        _ => body,
    }
}

/// The message content: plain text, or sections with buttons when there are choices; a
/// ticket card as a card.
pub fn content_of(message: &Outbound) -> SlackMessageContent {
    if let Body::Card { card, choices } = &message.payload.body {
        return card_content(card, choices);
    }
    let text = text_of(message);
    let choices = message.payload.body.choices();
    if choices.is_empty() {
        return SlackMessageContent::new().with_text(text);
    }
    let mut blocks: Vec<SlackBlock> = sections(&text).into_iter().map(section).collect();
    blocks.push(SlackBlock::Actions(SlackActionsBlock::new(buttons(
        choices,
    ))));
    SlackMessageContent::new()
        .with_text(text)
        .with_blocks(blocks)
}

/// A ticket card: its title in bold, who and what in a section, the status line in
/// bold, how to work it as a small print, and its buttons. The plain `text` (shown in
/// notifications) is the card's lines.
pub fn card_content(card: &TicketCard, choices: &[Choice]) -> SlackMessageContent {
    let say = relaydesk_core::i18n::agents();
    let lines: Vec<String> = card.lines().iter().map(|l| escape(l)).collect();
    let hint = escape(say.card_hint());
    let status = card
        .status
        .is_some()
        .then(|| lines.last().cloned())
        .flatten();
    let details: Vec<&str> = lines[1..]
        .iter()
        .map(String::as_str)
        .filter(|l| *l != hint && Some(*l) != status.as_deref())
        .collect();
    let mut blocks = vec![section(&format!("*{}*", lines[0]))];
    blocks.extend(sections(&details.join("\n")).into_iter().map(section));
    if let Some(status) = &status {
        blocks.push(section(&format!("*{status}*")));
    }
    blocks.push(SlackBlock::Context(SlackContextBlock::new(vec![
        SlackContextBlockElement::MarkDown(mrkdwn(hint)),
    ])));
    if !choices.is_empty() {
        blocks.push(SlackBlock::Actions(SlackActionsBlock::new(buttons(
            choices,
        ))));
    }
    SlackMessageContent::new()
        .with_text(lines.join("\n"))
        .with_blocks(blocks)
}

/// After a button press: the message as it was, with the choice made instead of the
/// buttons. `text` is the message's text as Slack returned it (already escaped).
pub fn chosen_content(text: &str, label: &str) -> SlackMessageContent {
    let mut blocks: Vec<SlackBlock> = sections(text).into_iter().map(section).collect();
    blocks.push(SlackBlock::Context(SlackContextBlock::new(vec![
        SlackContextBlockElement::MarkDown(mrkdwn(format!("✓ {}", escape(label)))),
    ])));
    SlackMessageContent::new()
        .with_text(text.to_string())
        .with_blocks(blocks)
}

/// A section holds 3,000 characters of mrkdwn.
const SECTION_MAX: usize = 3000;

/// Escaped text in pieces that fit a section, never cutting an entity such as `&amp;`.
fn sections(escaped: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = escaped;
    while rest.chars().count() > SECTION_MAX {
        let mut cut = rest
            .char_indices()
            .nth(SECTION_MAX)
            .map_or(rest.len(), |(i, _)| i);
        if let Some(amp) = rest[..cut].rfind('&') {
            if !rest[amp..cut].contains(';') {
                cut = amp;
            }
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out.push(rest);
    out
}

/// Verbatim: Slack turns nothing in it into a mention or a link by itself.
fn mrkdwn(text: String) -> SlackBlockMarkDownText {
    SlackBlockMarkDownText::new(text).with_verbatim(true)
}

fn section(text: &str) -> SlackBlock {
    SlackBlock::Section(
        SlackSectionBlock::new().with_text(SlackBlockText::MarkDown(mrkdwn(text.to_string()))),
    )
}

/// Above this many choices, a select menu instead of a row of buttons.
const MAX_BUTTONS: usize = 5;

/// A select menu holds 100 options, each shown in 75 characters.
const MAX_OPTIONS: usize = 100;
const OPTION_LEN: usize = 75;

fn buttons(choices: &[Choice]) -> Vec<SlackActionBlockElement> {
    if choices.len() > MAX_BUTTONS {
        let options = choices
            .iter()
            .take(MAX_OPTIONS)
            .map(|c| {
                let label: String = c.label.chars().take(OPTION_LEN).collect();
                SlackBlockChoiceItem::new(
                    SlackBlockPlainTextOnly::from(label.as_str()),
                    c.value.clone(),
                )
            })
            .collect();
        return vec![SlackActionBlockElement::StaticSelect(
            SlackBlockStaticSelectElement::new()
                .with_action_id(SlackActionId("relaydesk-select".into()))
                .with_options(options),
        )];
    }
    choices
        .iter()
        .enumerate()
        .map(|(i, c)| {
            SlackActionBlockElement::Button(
                SlackBlockButtonElement::new(SlackBlockPlainTextOnly::from(c.label.as_str()))
                    .with_action_id(SlackActionId(format!("relaydesk-{i}")))
                    .with_value(c.value.clone()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cx<'a>(agents: &'a HashSet<String>) -> Context<'a> {
        static NONE: std::sync::OnceLock<HashSet<String>> = std::sync::OnceLock::new();
        Context {
            bot_user: "UBOT",
            agent_channels: agents,
            help_channels: NONE.get_or_init(HashSet::new),
        }
    }

    fn body(v: serde_json::Value) -> SlackEventCallbackBody {
        serde_json::from_value(v).expect("recorded event")
    }

    #[test]
    fn a_direct_message_is_handed_on() {
        let agents = HashSet::new();
        let ev = body(
            json!({"type": "message", "channel": "D1", "channel_type": "im", "user": "U1",
            "text": "Where is my &lt;invoice&gt; &amp; receipt?", "ts": "1.000100", "event_ts": "1.000100"}),
        );
        let Event::Incoming(i) = push_event(&ev, &cx(&agents)) else {
            panic!("skipped")
        };
        assert_eq!(i.id, "1.000100");
        assert_eq!(i.channel, "D1");
        assert_eq!(
            i.content,
            Content::Text("Where is my <invoice> & receipt?".into())
        );
        assert!(!i.shared);
    }

    #[test]
    fn own_and_stray_messages_are_skipped() {
        let agents = HashSet::from(["CAGENT".to_string()]);
        let own = body(
            json!({"type": "message", "channel": "D1", "channel_type": "im", "user": "UBOT",
            "bot_id": "BBOT", "text": "hi", "ts": "1.1"}),
        );
        assert!(matches!(push_event(&own, &cx(&agents)), Event::Skip(_)));
        let stray = body(
            json!({"type": "message", "channel": "CRANDOM", "channel_type": "channel",
            "user": "U1", "text": "hi", "ts": "1.2"}),
        );
        assert!(matches!(push_event(&stray, &cx(&agents)), Event::Skip(_)));
        let agent = body(
            json!({"type": "message", "channel": "CAGENT", "channel_type": "channel",
            "user": "UAG", "text": "On it", "ts": "1.3", "thread_ts": "1.0"}),
        );
        let Event::Incoming(i) = push_event(&agent, &cx(&agents)) else {
            panic!("skipped")
        };
        assert_eq!(i.thread.as_deref(), Some("1.0"));
    }

    #[test]
    fn a_mention_is_answered_in_its_thread() {
        let agents = HashSet::new();
        let ev = body(
            json!({"type": "app_mention", "channel": "CGEN", "user": "U1",
            "text": "<@UBOT> how do I reset my password?", "ts": "2.5", "event_ts": "2.5"}),
        );
        let Event::Incoming(i) = push_event(&ev, &cx(&agents)) else {
            panic!("skipped")
        };
        assert_eq!(i.thread.as_deref(), Some("2.5"));
        assert_eq!(
            i.content,
            Content::Text("how do I reset my password?".into())
        );
        assert!(i.shared);
    }

    #[test]
    fn edits_and_deletions_name_the_original() {
        let agents = HashSet::new();
        let edit = body(
            json!({"type": "message", "subtype": "message_changed", "channel": "D1",
            "channel_type": "im", "ts": "3.0", "event_ts": "3.0", "hidden": true,
            "message": {"type": "message", "user": "U1", "text": "fixed typo", "ts": "1.5",
                        "edited": {"user": "U1", "ts": "3.0"}},
            "previous_message": {"type": "message", "user": "U1", "text": "fixd typo", "ts": "1.5"}}),
        );
        let Event::Incoming(i) = push_event(&edit, &cx(&agents)) else {
            panic!("skipped")
        };
        assert_eq!(
            i.content,
            Content::Edited {
                id: "1.5".into(),
                text: "fixed typo".into()
            }
        );
        let gone = body(
            json!({"type": "message", "subtype": "message_deleted", "channel": "D1",
            "channel_type": "im", "ts": "4.0", "event_ts": "4.0", "hidden": true, "deleted_ts": "1.5",
            "previous_message": {"type": "message", "user": "U1", "text": "fixed typo", "ts": "1.5"}}),
        );
        let Event::Incoming(i) = push_event(&gone, &cx(&agents)) else {
            panic!("skipped")
        };
        assert_eq!(i.content, Content::Deleted { id: "1.5".into() });
        assert_ne!(
            i.id, "4.0",
            "a deletion's id must not collide with a message's"
        );
    }

    #[test]
    fn nothing_relayed_can_ping() {
        let relay = Outbound {
            id: 1,
            to: "slack:C1".parse().unwrap(),
            action: relaydesk_core::adapter::Action::Post,
            idempotency_key: "k".into(),
            in_doubt: false,
            payload: relaydesk_core::adapter::Payload {
                kind: OutboundKind::Relay,
                sender: Some("Ada <admin>".into()),
                body: relaydesk_core::adapter::Body::Text(
                    "<!channel> <@U2> <https://evil|click> & more".into(),
                ),
            },
        };
        let text = text_of(&relay);
        assert_eq!(
            text,
            "*Ada &lt;admin&gt;:* &lt;!channel&gt; &lt;@U2&gt; &lt;https://evil|click&gt; &amp; more"
        );
        assert!(!text.contains('<'));
    }

    #[test]
    fn long_sections_split_between_entities() {
        let text = escape(&format!("{}&rest", "a".repeat(SECTION_MAX - 2)));
        let parts = sections(&text);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].chars().count() <= SECTION_MAX);
        assert!(parts[1].starts_with("&amp;rest"), "{}", parts[1]);
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn slack_markup_reads_as_words() {
        assert_eq!(
            from_slack(
                "<!here> see <#C1|general> and <https://x.io|the docs> <mailto:a@b.c|a@b.c>",
                "UBOT"
            ),
            "@here see #general and the docs (https://x.io) a@b.c"
        );
        assert_eq!(from_slack("<@UBOT> hi <@U7>", "UBOT"), "hi @U7");
    }

    #[test]
    fn slash_command_history() {
        assert_eq!(command_content(Some(" History ")), Content::History);
        assert_eq!(
            command_content(Some("refund please")),
            Content::Text("refund please".into())
        );
        assert_eq!(command_content(None), Content::Text(String::new()));
    }

    #[test]
    fn a_ticket_card_is_a_card() {
        let card = TicketCard {
            number: 7,
            queue: "support".into(),
            person: "Ada <admin>".into(),
            platform: "slack".into(),
            person_id: "U1".into(),
            verified: None,
            also: Vec::new(),
            lang: "en".into(),
            continues: None,
            priority: None,
            triage: Vec::new(),
            post: None,
            web_form: false,
            status: Some(relaydesk_core::adapter::CardStatus {
                state: relaydesk_core::State::Assigned,
                assignee: Some("Grace".into()),
                reason: None,
            }),
        };
        let choices = [Choice {
            value: "close".into(),
            label: "Close".into(),
        }];
        let content = serde_json::to_value(card_content(&card, &choices)).unwrap();
        let blocks = content["blocks"].as_array().unwrap();
        let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            ["section", "section", "section", "context", "actions"]
        );
        assert_eq!(blocks[0]["text"]["text"], "*Ticket #7 · support*");
        assert!(blocks[1]["text"]["text"]
            .as_str()
            .unwrap()
            .starts_with("From: Ada &lt;admin&gt; (slack U1) · unverified\nLanguage: en"));
        assert_eq!(blocks[2]["text"]["text"], "*Status: claimed by Grace*");
        let text = content["text"].as_str().unwrap();
        assert!(
            text.starts_with("Ticket #7 · support\nFrom: Ada &lt;admin&gt;"),
            "{text}"
        );
        assert!(text.ends_with("Status: claimed by Grace"), "{text}");
    }
}
