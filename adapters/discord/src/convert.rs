//! Pure conversion between Discord's messages and interactions and relaydesk's core
//! types, and the JSON bodies the adapter sends. No network here: everything is
//! unit-tested on recorded payloads.

use relaydesk_core::adapter::{Body, Choice, Content, FileRef, Outbound, OutboundKind, TicketCard};
use relaydesk_core::types::State;
use serenity::all::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateEmbedFooter, CreateMessage, CreateSelectMenu, CreateSelectMenuKind,
    CreateSelectMenuOption, EditMessage, Message, MessageType, Timestamp, User,
};

use crate::ids;

/// Discord refuses longer message content.
pub const CONTENT_MAX: usize = 2000;
/// At most this many buttons fit in a row; more choices become a select menu.
pub const BUTTONS_MAX: usize = 5;
/// A select menu holds 25 options.
const OPTIONS_MAX: usize = 25;
/// Labels, values and `custom_id`s hold 100 characters (button labels 80).
const LABEL_MAX: usize = 80;
/// An embed's description holds 4,096 characters, a title 256.
const DESCRIPTION_MAX: usize = 4096;
const TITLE_MAX: usize = 256;

/// Where a message was written, as the adapter resolved its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A direct message with the bot.
    Direct,
    /// A queue's agent channel, or a thread in one (a ticket).
    Agents {
        /// The agent channel.
        channel: String,
        /// The ticket's thread, for messages in one.
        thread: Option<String>,
    },
    /// A private thread the bot started for someone whose direct messages are closed;
    /// the conversation is the person's direct messages all the same.
    Fallback,
    /// A post in one of the `help_forums`.
    HelpPost {
        /// The forum.
        forum: String,
        /// The post (a thread; its first message has the thread's id).
        thread: String,
    },
    /// Anywhere else in a server: the bot answers only when mentioned.
    Server {
        /// The channel (for a thread: its parent).
        channel: String,
        /// The thread, when the message is in one.
        thread: Option<String>,
    },
}

/// A message event, converted as far as it can be without asking Discord anything.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// Unique per event kind and Discord message, so that a redelivery is recognised.
    pub id: String,
    /// Where it goes on: the channel and, in a thread, the thread.
    pub channel: String,
    /// The thread, when the conversation is in one.
    pub thread: Option<String>,
    /// The Discord user who wrote it.
    pub user: String,
    /// The name Discord shows for them.
    pub name: String,
    /// What it says or does.
    pub content: Content,
    /// Files attached, with Discord's (expiring) links.
    pub files: Vec<FileRef>,
    /// From a shared place rather than a direct message: a handoff goes on in private.
    pub shared: bool,
}

/// A Discord event, converted.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// An event for the engine.
    Incoming(Incoming),
    /// A new post in a help forum: it may get article suggestions.
    HelpPost {
        /// The forum.
        forum: String,
        /// The post's thread (also its first message's id).
        thread: String,
        /// Its author.
        user: String,
        /// The post's words.
        text: String,
    },
    /// Nothing for relaydesk; the reason is logged at debug level.
    Skip(&'static str),
}

/// The name Discord shows for the author: their server nickname, their display name,
/// or their user name.
pub fn display_name(user: &User, nick: Option<&str>) -> String {
    nick.or(user.global_name.as_deref())
        .unwrap_or(&user.name)
        .to_string()
}

/// The name Discord shows for whoever pressed or typed in an interaction.
pub fn member_name(user: &User, member: Option<&serenity::all::Member>) -> String {
    display_name(user, member.and_then(|m| m.nick.as_deref()))
}

/// Converts a new message, written at `place`.
pub fn message(m: &Message, place: &Place, bot_user: &str) -> Event {
    if m.author.bot || m.author.id.to_string() == bot_user {
        return Event::Skip("a bot's message");
    }
    if !matches!(m.kind, MessageType::Regular | MessageType::InlineReply) {
        return Event::Skip("system message");
    }
    let mentioned = m.mentions.iter().any(|u| u.id.to_string() == bot_user);
    let text = from_discord(&m.content, &m.mentions, bot_user);
    let nick = m.member.as_ref().and_then(|p| p.nick.as_deref());
    let incoming = |channel: String, thread: Option<String>, shared: bool| {
        Event::Incoming(Incoming {
            id: m.id.to_string(),
            channel,
            thread,
            user: m.author.id.to_string(),
            name: display_name(&m.author, nick),
            content: command_content(&text),
            files: files_of(m),
            shared,
        })
    };
    match place {
        // For a fallback thread, the intake turns the channel into the person's DMs.
        Place::Direct | Place::Fallback => incoming(m.channel_id.to_string(), None, false),
        Place::Agents { channel, thread } => incoming(channel.clone(), thread.clone(), false),
        Place::HelpPost { forum, thread } => {
            if m.id.to_string() == *thread {
                Event::HelpPost {
                    forum: forum.clone(),
                    thread: thread.clone(),
                    user: m.author.id.to_string(),
                    text,
                }
            } else if mentioned {
                incoming(forum.clone(), Some(thread.clone()), true)
            } else {
                Event::Skip("reply in a help forum post")
            }
        }
        Place::Server { channel, thread } => {
            if !mentioned {
                return Event::Skip("server message without a mention");
            }
            // Answered in a thread: the one it was written in, or one started on it.
            let thread = thread.clone().unwrap_or_else(|| m.id.to_string());
            incoming(channel.clone(), Some(thread), true)
        }
    }
}

/// What a typed message asks: its words, or the list of past conversations.
pub fn command_content(text: &str) -> Content {
    let text = text.trim();
    if relaydesk_core::i18n::is_history_request(text) {
        Content::History
    } else {
        Content::Text(text.to_string())
    }
}

fn files_of(m: &Message) -> Vec<FileRef> {
    m.attachments
        .iter()
        .map(|a| FileRef {
            name: a.filename.clone(),
            url: a.url.clone(),
            size: u64::from(a.size),
            mime: a.content_type.clone(),
        })
        .collect()
}

/// Discord's markup as a person reads it: `<@id>` as `@name`, `<#id>` as `#channel`,
/// custom emoji as `:name:`, timestamps as a date; the bot's own mention removed.
pub fn from_discord(text: &str, mentions: &[User], bot_user: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(len) = after.find('>') else {
            out.push_str(after);
            rest = "";
            break;
        };
        let inner = &after[1..len];
        match readable(inner, mentions, bot_user) {
            Some(words) => {
                out.push_str(&words);
                rest = &after[len + 1..];
            }
            None => {
                out.push('<');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// One `<…>` entity as words, or `None` when it is not markup.
fn readable(inner: &str, mentions: &[User], bot_user: &str) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(user) = inner.strip_prefix('@') {
        let id = user.strip_prefix('!').unwrap_or(user);
        if let Some(role) = id.strip_prefix('&') {
            return digits(role).then(|| "@role".to_string());
        }
        if !digits(id) {
            return None;
        }
        if id == bot_user {
            return Some(String::new());
        }
        let name = mentions
            .iter()
            .find(|u| u.id.to_string() == id)
            .map(|u| display_name(u, None))
            .unwrap_or_else(|| "user".into());
        return Some(format!("@{name}"));
    }
    if let Some(channel) = inner.strip_prefix('#') {
        return digits(channel).then(|| "#channel".to_string());
    }
    if let Some(emoji) = inner.strip_prefix("a:").or_else(|| inner.strip_prefix(':')) {
        let (name, id) = emoji.split_once(':')?;
        return digits(id).then(|| format!(":{name}:"));
    }
    if let Some(time) = inner.strip_prefix("t:") {
        let secs = time.split(':').next()?;
        let secs: i64 = secs.parse().ok()?;
        let at = Timestamp::from_unix_timestamp(secs).ok()?.to_string();
        // "2026-12-01T16:00:00Z" → "2026-12-01 16:00 UTC"
        let (date, clock) = at.split_once('T')?;
        return Some(format!("{date} {} UTC", clock.get(..5)?));
    }
    None
}

/// Markdown characters escaped, for a name shown in bold.
pub fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().take(LABEL_MAX) {
        if matches!(
            c,
            '*' | '_' | '~' | '`' | '|' | '\\' | '>' | '#' | '[' | ']'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The text of an outbound message as Discord shows it: relayed words under the name
/// of whoever wrote them, never longer than Discord takes.
pub fn text_of(message: &Outbound) -> String {
    let body = message.text();
    let text = match (&message.payload.sender, message.payload.kind) {
        (Some(who), OutboundKind::Relay) => format!("**{}:** {body}", escape_name(who)),
        _ => body.into_owned(),
    };
    fit(&text, CONTENT_MAX)
}

/// `text` cut to `max` characters; the engine splits messages below Discord's limit,
/// so this only ever trims what could not be sent at all.
fn fit(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => text[..i].to_string(),
        None => text.to_string(),
    }
}

/// Nothing in a message the bot sends can ping anyone.
pub fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

/// The components offering `choices`: up to five buttons in a row, a select menu above.
pub fn choice_rows(choices: &[Choice], kind: OutboundKind) -> Vec<CreateActionRow> {
    if choices.is_empty() {
        return Vec::new();
    }
    if choices.len() <= BUTTONS_MAX {
        let buttons = choices
            .iter()
            .map(|c| {
                CreateButton::new(fit(&c.value, 100))
                    .label(fit(&c.label, LABEL_MAX))
                    .style(button_style(&c.value, kind))
            })
            .collect();
        return vec![CreateActionRow::Buttons(buttons)];
    }
    let options = choices
        .iter()
        .take(OPTIONS_MAX)
        .map(|c| CreateSelectMenuOption::new(fit(&c.label, 100), fit(&c.value, 100)))
        .collect();
    vec![CreateActionRow::SelectMenu(CreateSelectMenu::new(
        ids::SELECT,
        CreateSelectMenuKind::String { options },
    ))]
}

fn button_style(value: &str, kind: OutboundKind) -> ButtonStyle {
    use relaydesk_core::desk::choice::{AGENT, CLAIM, CLOSE};
    match value {
        CLAIM => ButtonStyle::Primary,
        CLOSE => ButtonStyle::Danger,
        AGENT if kind == OutboundKind::Bot => ButtonStyle::Primary,
        _ => ButtonStyle::Secondary,
    }
}

/// A ticket card as an embed: its title, who and what, its status, and how to work it.
pub fn card_embed(card: &TicketCard) -> CreateEmbed {
    let say = relaydesk_core::i18n::agents();
    let lines = card.lines();
    let hint = say.card_hint();
    let status = card.status.as_ref().and(lines.last().cloned());
    let details: Vec<&str> = lines[1..]
        .iter()
        .map(String::as_str)
        .filter(|l| *l != hint && Some(*l) != status.as_deref())
        .collect();
    let mut description = details.join("\n");
    if let Some(post) = &card.post {
        // A Discord post is linked as a channel mention, which Discord shows as a link.
        if let Some(thread) = post
            .strip_prefix("discord:")
            .and_then(|p| p.split('/').nth(1))
        {
            description = description.replace(post.as_str(), &format!("<#{thread}>"));
        }
    }
    let mut embed = CreateEmbed::new()
        .title(fit(&lines[0], TITLE_MAX))
        .description(fit(&description, DESCRIPTION_MAX))
        .colour(state_colour(card.status.as_ref().map(|s| s.state)))
        .footer(CreateEmbedFooter::new(fit(hint, 2048)));
    if let Some(status) = status {
        embed = embed.field("Status", fit(&status, 1024), false);
    }
    embed
}

fn state_colour(state: Option<State>) -> u32 {
    match state {
        None | Some(State::Queued) => 0x5865F2,
        Some(State::Assigned) => 0xFEE75C,
        Some(State::Solved) | Some(State::Closed) => 0x57F287,
        Some(_) => 0x99AAB5,
    }
}

/// The forum tag a ticket in `state` carries: `open`, `claimed` or `closed`.
pub fn state_tag(state: Option<State>) -> &'static str {
    match state {
        Some(State::Assigned) => "claimed",
        Some(State::Solved) | Some(State::Closed) => "closed",
        _ => "open",
    }
}

/// A ticket's forum post or thread name: its number and who asked.
pub fn thread_name(card: &TicketCard) -> String {
    fit(&format!("#{} · {}", card.number, card.person), 100)
}

/// A new message: its words (or card), its choices, and no pings.
pub fn create_message(message: &Outbound) -> CreateMessage {
    let kind = message.payload.kind;
    let mut create = CreateMessage::new().allowed_mentions(no_pings());
    match &message.payload.body {
        Body::Card { card, choices } => {
            create = create
                .embed(card_embed(card))
                .components(choice_rows(choices, kind));
        }
        body => {
            create = create
                .content(text_of(message))
                .components(choice_rows(body.choices(), kind));
        }
    }
    create
}

/// The same message, changed: its words (or card) and choices replaced.
pub fn edit_message(message: &Outbound) -> EditMessage {
    let kind = message.payload.kind;
    let edit = EditMessage::new().allowed_mentions(no_pings());
    match &message.payload.body {
        Body::Card { card, choices } => edit
            .embed(card_embed(card))
            .components(choice_rows(choices, kind)),
        body => edit
            .content(text_of(message))
            .embeds(Vec::new())
            .components(choice_rows(body.choices(), kind)),
    }
}

/// After a choice is made: the message as it was, with the choice made instead of the
/// buttons.
pub fn chosen(text: &str, label: &str) -> EditMessage {
    let shown = fit(&format!("{text}\n✓ {label}"), CONTENT_MAX);
    EditMessage::new()
        .content(shown)
        .components(Vec::new())
        .allowed_mentions(no_pings())
}

/// The label of the choice `value` among a message's components.
pub fn label_of(m: &Message, value: &str) -> Option<String> {
    use serenity::all::ActionRowComponent;
    m.components
        .iter()
        .flat_map(|r| &r.components)
        .find_map(|c| match c {
            ActionRowComponent::Button(b) => match &b.data {
                serenity::all::ButtonKind::NonLink { custom_id, .. } if custom_id == value => {
                    b.label.clone()
                }
                _ => None,
            },
            ActionRowComponent::SelectMenu(s) => s
                .options
                .iter()
                .find(|o| o.value == value)
                .map(|o| o.label.clone()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use relaydesk_core::adapter::{Action, Payload};
    use relaydesk_core::Address;
    use serde_json::{json, Value};

    fn user(id: &str, name: &str) -> Value {
        json!({"id": id, "username": name, "global_name": name, "discriminator": "0", "avatar": null})
    }

    fn msg(content: &str, mentions: Vec<Value>) -> Message {
        serde_json::from_value(json!({
            "id": "300", "channel_id": "200", "author": user("10", "ada"), "content": content,
            "timestamp": "2026-12-01T10:00:00.000000+00:00", "edited_timestamp": null,
            "tts": false, "mention_everyone": false, "mentions": mentions, "mention_roles": [],
            "attachments": [{"id": "9", "filename": "a.png", "size": 5, "url": "https://cdn.discordapp.com/attachments/1/9/a.png",
                "proxy_url": "https://media.discordapp.net/a.png", "content_type": "image/png"}],
            "embeds": [], "pinned": false, "type": 0
        }))
        .expect("a message")
    }

    #[test]
    fn markup_becomes_words() {
        let mentions = vec![
            serde_json::from_value::<User>(user("11", "grace")).unwrap(),
            serde_json::from_value::<User>(user("1", "relaydesk")).unwrap(),
        ];
        let text = from_discord(
            "<@1> hi <@!11>, see <#55> <:party:77> <a:wave:78> at <t:1764604800:R> <@&9> 2 < 3",
            &mentions,
            "1",
        );
        assert_eq!(
            text,
            "hi @grace, see #channel :party: :wave: at 2025-12-01 16:00 UTC @role 2 < 3"
        );
    }

    #[test]
    fn a_direct_message_keeps_its_files() {
        let m = msg("my export fails", vec![]);
        let Event::Incoming(i) = message(&m, &Place::Direct, "1") else {
            panic!("skipped");
        };
        assert_eq!(i.channel, "200");
        assert_eq!(i.content, Content::Text("my export fails".into()));
        assert_eq!(i.files[0].name, "a.png");
        assert_eq!(i.files[0].mime.as_deref(), Some("image/png"));
        assert!(!i.shared);
    }

    #[test]
    fn a_server_message_counts_only_with_a_mention_and_goes_on_in_a_thread() {
        let place = Place::Server {
            channel: "200".into(),
            thread: None,
        };
        assert!(matches!(
            message(&msg("hello all", vec![]), &place, "1"),
            Event::Skip(_)
        ));
        let m = msg("<@1> help", vec![user("1", "relaydesk")]);
        let Event::Incoming(i) = message(&m, &place, "1") else {
            panic!("skipped");
        };
        assert_eq!(
            (i.channel.as_str(), i.thread.as_deref()),
            ("200", Some("300"))
        );
        assert!(i.shared);
        assert_eq!(i.content, Content::Text("help".into()));
    }

    #[test]
    fn bots_are_ignored() {
        let mut m = msg("hi", vec![]);
        m.author.bot = true;
        assert!(matches!(message(&m, &Place::Direct, "1"), Event::Skip(_)));
    }

    fn outbound(body: Body, sender: Option<&str>, kind: OutboundKind) -> Outbound {
        Outbound {
            id: 7,
            to: Address::new("discord", "200"),
            action: Action::Post,
            idempotency_key: "k".into(),
            in_doubt: false,
            payload: Payload {
                kind,
                sender: sender.map(str::to_string),
                body,
            },
        }
    }

    #[test]
    fn relayed_words_never_ping_and_carry_the_name() {
        let m = outbound(
            Body::Text("@everyone look".into()),
            Some("Grace *H*"),
            OutboundKind::Relay,
        );
        let body = serde_json::to_value(create_message(&m)).unwrap();
        assert_eq!(body["content"], "**Grace \\*H\\*:** @everyone look");
        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
    }

    #[test]
    fn few_choices_are_buttons_many_a_select() {
        let choices = |n: usize| {
            (0..n)
                .map(|i| Choice {
                    value: format!("v{i}"),
                    label: format!("L{i}"),
                })
                .collect::<Vec<_>>()
        };
        let row = serde_json::to_value(choice_rows(&choices(3), OutboundKind::Bot)).unwrap();
        assert_eq!(row[0]["components"].as_array().unwrap().len(), 3);
        assert_eq!(row[0]["components"][0]["type"], 2);
        assert_eq!(row[0]["components"][1]["custom_id"], "v1");
        let row = serde_json::to_value(choice_rows(&choices(7), OutboundKind::Bot)).unwrap();
        assert_eq!(row[0]["components"][0]["type"], 3);
        assert_eq!(row[0]["components"][0]["options"][6]["value"], "v6");
    }
}
