//! A fake Discord on 127.0.0.1 speaking the real wire protocols — REST API v10, the Gateway
//! v10 (JSON text frames, no compression) and a CDN for attachments — so that the real
//! serenity client inside the `relaydesk` binary runs against it.
//!
//! The server runs on its own tokio runtime on a background thread; everything public here is
//! synchronous, for `#[test]` functions that drive child processes.
//!
//! The bot finds it through `[discord] api_url` = [`FakeDiscord::api_url`] (serenity's
//! `HttpBuilder::proxy`, which needs `ratelimiter_disabled(true)`) and authenticates with
//! [`FakeDiscord::TOKEN`]. `GET /api/v10/gateway` hands out the websocket URL.
//!
//! Like Discord, the fake sends the bot its own messages back over the gateway, withholds
//! events whose intent the bot did not ask for in IDENTIFY (see [`FakeDiscord::withheld`]),
//! blanks message content in guilds without the `MESSAGE_CONTENT` intent, and replays missed
//! dispatches on RESUME.
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// Gateway intent `GUILDS`: guild, channel and thread events.
pub const INTENT_GUILDS: u64 = 1 << 0;
/// Gateway intent `GUILD_MEMBERS` (privileged).
pub const INTENT_GUILD_MEMBERS: u64 = 1 << 1;
/// Gateway intent `GUILD_PRESENCES` (privileged).
pub const INTENT_GUILD_PRESENCES: u64 = 1 << 8;
/// Gateway intent `GUILD_MESSAGES`: message events in guild channels and threads.
pub const INTENT_GUILD_MESSAGES: u64 = 1 << 9;
/// Gateway intent `DIRECT_MESSAGES`: message events in DMs.
pub const INTENT_DIRECT_MESSAGES: u64 = 1 << 12;
/// Gateway intent `MESSAGE_CONTENT` (privileged): content of guild messages that do not
/// mention the bot.
pub const INTENT_MESSAGE_CONTENT: u64 = 1 << 15;

/// Application flag: the message content intent is approved (verified apps).
pub const APP_FLAG_MESSAGE_CONTENT: u64 = 1 << 18;
/// Application flag: the message content intent is enabled (apps in fewer than 100 guilds).
pub const APP_FLAG_MESSAGE_CONTENT_LIMITED: u64 = 1 << 19;
/// Application flag: the app has global commands (shows the badge).
pub const APP_FLAG_COMMAND_BADGE: u64 = 1 << 23;
/// The flags `GET /oauth2/applications/@me` and READY report unless
/// [`FakeDiscord::set_application_flags`] says otherwise: those of a small bot with the
/// message content intent switched on in the developer portal.
pub const DEFAULT_APP_FLAGS: u64 = APP_FLAG_MESSAGE_CONTENT_LIMITED | APP_FLAG_COMMAND_BADGE;

/// Permission `ADMINISTRATOR`.
pub const PERM_ADMINISTRATOR: u64 = 1 << 3;
/// Permission `MANAGE_GUILD`.
pub const PERM_MANAGE_GUILD: u64 = 1 << 5;
/// Permission `MANAGE_MESSAGES`.
pub const PERM_MANAGE_MESSAGES: u64 = 1 << 13;
/// Permission `MANAGE_THREADS`.
pub const PERM_MANAGE_THREADS: u64 = 1 << 34;
/// What an ordinary member may do: view, send, embed, attach, read history, react, use
/// commands, create public threads and talk in threads.
pub const MEMBER_PERMISSIONS: u64 = (1 << 10)
    | (1 << 11)
    | (1 << 14)
    | (1 << 15)
    | (1 << 16)
    | (1 << 6)
    | (1 << 31)
    | (1 << 35)
    | (1 << 38);
/// The bot's permissions in every guild channel (its managed role): a member's, plus managing
/// messages and threads, private threads and mentioning everyone.
pub const BOT_PERMISSIONS: u64 =
    MEMBER_PERMISSIONS | PERM_MANAGE_MESSAGES | PERM_MANAGE_THREADS | (1 << 36) | (1 << 17);

/// Message flag `EPHEMERAL`.
pub const FLAG_EPHEMERAL: u64 = 1 << 6;
/// Message flag `LOADING`: a deferred interaction response not yet filled in.
pub const FLAG_LOADING: u64 = 1 << 7;
const FLAG_SUPPRESS_EMBEDS: u64 = 1 << 2;

const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
/// Discord returns the earlier message for a repeated `nonce` with `enforce_nonce` within
/// "the past few minutes".
const NONCE_WINDOW: Duration = Duration::from_secs(5 * 60);
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;
const ATTACHMENT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;
const GUILD_NAME: &str = "Relaydesk Support";
const GUILD_OWNER: &str = "999";
const BOT_ROLE: &str = "501";
const BOT_NAME: &str = "relaydesk";

/// What [`FakeDiscord::add_channel`] creates in the guild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind<'a> {
    /// A text channel (type 0).
    Text,
    /// A forum (type 15) offering these tags, in order; see [`FakeDiscord::tag_id`].
    Forum {
        /// The names of the forum's available tags.
        tags: Vec<&'a str>,
    },
}

/// A message in a fake channel, as its author posted it and later edited or deleted it.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    /// The message id (a snowflake; later messages have larger ids).
    pub id: String,
    /// The channel (or thread) id.
    pub channel: String,
    /// The author's user id ([`FakeDiscord::BOT_USER`] for the bot).
    pub author: String,
    /// The author is a bot (the bot itself, or one added with [`FakeDiscord::add_bot`]).
    pub author_bot: bool,
    /// The latest content.
    pub content: String,
    /// The latest embeds, a JSON array (with Discord's `"type": "rich"` filled in).
    pub embeds: Value,
    /// The latest components (action rows), a JSON array.
    pub components: Value,
    /// `allowed_mentions` of the latest post or edit that had one.
    pub allowed_mentions: Option<Value>,
    /// The `message_reference` it was posted with (a reply), as Discord stores it.
    pub message_reference: Option<Value>,
    /// The `nonce` it was posted with, as a string.
    pub nonce: Option<String>,
    /// Message flags (e.g. [`FLAG_EPHEMERAL`], [`FLAG_LOADING`]).
    pub flags: u64,
    /// Files attached: (file name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// The user ids mentioned, after `allowed_mentions`.
    pub mentions: Vec<String>,
    /// Whether `@everyone`/`@here` pinged, after `allowed_mentions`.
    pub mention_everyone: bool,
    /// Edited at least once.
    pub edited: bool,
    /// Every edit's body, in order (`PATCH` bodies, `UPDATE_MESSAGE` callback data).
    pub edits: Vec<Value>,
    /// Deleted; [`FakeDiscord::posted`] leaves these out.
    pub deleted: bool,
    /// The interaction id, when this is an interaction response or follow-up.
    pub interaction: Option<String>,
}

/// A thread, as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// The thread (channel) id; for forum posts and threads on a message, the starter
    /// message's id.
    pub id: String,
    /// The forum or text channel it is in.
    pub parent: String,
    /// The latest name (a forum post's title).
    pub name: String,
    /// The channel type: 11 public thread, 12 private thread.
    pub kind: u8,
    /// A private thread (type 12).
    pub private: bool,
    /// Who created it.
    pub owner: String,
    /// Forum tag ids applied, in the order last set.
    pub applied_tags: Vec<String>,
    /// Archived ("closed").
    pub archived: bool,
    /// Locked.
    pub locked: bool,
    /// User ids that are members (the creator and those added).
    pub members: Vec<String>,
    /// The starter message, for forum posts and threads started on a message.
    pub starter: Option<String>,
}

/// A request the fake's REST API (or file host) received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The HTTP method, upper case.
    pub method: String,
    /// The path without `/api/v10`, e.g. `/channels/3001/messages` (file host requests keep
    /// their `/attachments/…` path).
    pub path: String,
    /// The raw query string ("" if none).
    pub query: String,
    /// The JSON body, `payload_json` for multipart bodies, `Null` without a body.
    pub body: Value,
    /// Files of a multipart body: (file name, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// The `Authorization` header as sent.
    pub authorization: String,
    /// The status the fake answered with.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Debug, Clone)]
struct Upload {
    field: String,
    filename: String,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

struct Failure {
    method: String,
    prefix: String,
    status: u16,
    body: Value,
    headers: Vec<(String, String)>,
}

#[derive(Clone)]
struct UserInfo {
    name: String,
    bot: bool,
}

#[derive(Clone)]
struct Chan {
    id: String,
    kind: u8,
    name: String,
    parent: Option<String>,
    owner: Option<String>,
    available_tags: Vec<(String, String)>,
    applied_tags: Vec<String>,
    archived: bool,
    archive_timestamp: Option<String>,
    locked: bool,
    invitable: bool,
    auto_archive: u64,
    recipient: Option<String>,
    members: Vec<String>,
    starter: Option<String>,
    created: String,
    topic: Option<String>,
    last_message_id: Option<String>,
    message_count: u64,
    /// Permissions a member overwrite denies the bot here.
    bot_denied: u64,
}

impl Chan {
    fn new(id: &str, kind: u8, name: &str, created: String) -> Chan {
        Chan {
            id: id.to_string(),
            kind,
            name: name.to_string(),
            parent: None,
            owner: None,
            available_tags: Vec::new(),
            applied_tags: Vec::new(),
            archived: false,
            archive_timestamp: None,
            locked: false,
            invitable: true,
            auto_archive: 4320,
            recipient: None,
            members: Vec::new(),
            starter: None,
            created,
            topic: None,
            last_message_id: None,
            message_count: 0,
            bot_denied: 0,
        }
    }

    fn is_thread(&self) -> bool {
        matches!(self.kind, 11 | 12)
    }
}

#[derive(Clone)]
struct Msg {
    p: Posted,
    kind: u8,
    nonce: Option<Value>,
    timestamp: String,
    edited_timestamp: Option<String>,
    attachments: Vec<Value>,
    webhook: bool,
    position: Option<u64>,
    created: Instant,
}

struct Inter {
    id: String,
    token: String,
    kind: u8,
    channel: String,
    message: Option<String>,
    user: String,
    at: Instant,
    callbacks: Vec<Value>,
    original: Option<String>,
    deferred: bool,
    followups: Vec<String>,
}

enum Out {
    Text(String),
    Close(u16, String),
    Drop,
}

struct Socket {
    tx: UnboundedSender<Out>,
    open: bool,
    path: String,
    query: String,
    session: Option<usize>,
}

struct Session {
    id: String,
    seq: u64,
    log: Vec<(u64, String)>,
    socket: Option<usize>,
    intents: u64,
    valid: bool,
}

struct FakeState {
    base: String,
    started: String,
    app_flags: u64,
    counter: u64,
    last_id: u64,
    users: HashMap<String, UserInfo>,
    permissions: HashMap<String, u64>,
    channels: Vec<Chan>,
    hidden: HashSet<String>,
    closed_dms: HashSet<String>,
    dm_channels: HashMap<String, String>,
    messages: Vec<Msg>,
    hosted: HashMap<String, (Option<String>, Vec<u8>)>,
    failures: VecDeque<Failure>,
    requests: Vec<Recorded>,
    interactions: Vec<Inter>,
    interaction_deadline: Duration,
    guild_commands: Vec<Value>,
    global_commands: Vec<Value>,
    sessions: Vec<Session>,
    sockets: Vec<Socket>,
    received: Vec<Value>,
    identifies: Vec<Value>,
    resumes: usize,
    resume_paths: Vec<String>,
    replayed: usize,
    heartbeats: usize,
    withheld: Vec<String>,
    dispatched: Vec<(String, Value)>,
}

type Shared = Arc<Mutex<FakeState>>;
/// A failed REST answer: the status and Discord's JSON error body.
type Fail = (u16, Value);
/// A REST answer: the status and the body (`None` for 204).
type Answer = Result<(u16, Option<Value>), Fail>;

/// Locks the state, ignoring poisoning: a panicking test must not hide the server's state.
fn lock(state: &Shared) -> MutexGuard<'_, FakeState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The fake Discord server; dropping it stops the server and closes every connection.
pub struct FakeDiscord {
    state: Shared,
    server: crate::Server,
}

impl FakeDiscord {
    /// The bot token the fake accepts (REST `Authorization: Bot <TOKEN>`, gateway IDENTIFY).
    pub const TOKEN: &'static str = "MTAwMA.fake-discord.relaydesk-test-token";
    /// The bot's user id.
    pub const BOT_USER: &'static str = "1000";
    /// The application id (READY's `application.id`; commands and interaction webhooks live
    /// under it). Deliberately not the bot's user id.
    pub const APP_ID: &'static str = "1001";
    /// The one guild the bot is in; [`FakeDiscord::add_channel`] puts channels there.
    pub const GUILD: &'static str = "500";

    /// Starts the fake on 127.0.0.1 on a free port.
    pub fn start() -> FakeDiscord {
        let listener = crate::Server::bind("fake Discord");
        let port = listener.local_addr().expect("fake Discord: address").port();
        let state: Shared = Arc::new(Mutex::new(FakeState::new(format!(
            "http://127.0.0.1:{port}"
        ))));
        let app = Router::new()
            .route("/", get(gateway))
            .route("/gateway", get(gateway))
            .route("/resume", get(gateway))
            .route("/attachments/{*path}", get(attachment))
            .fallback(rest)
            .with_state(state.clone());
        let server = crate::Server::start("fake Discord", listener, app);
        FakeDiscord { state, server }
    }

    /// `http://127.0.0.1:PORT`: what goes in `[discord] api_url` (serenity's proxy URL, which
    /// replaces `https://discord.com`, so requests arrive at `/api/v10/…`).
    pub fn api_url(&self) -> String {
        self.base_url()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    /// The gateway URL `GET /api/v10/gateway` hands out: `ws://127.0.0.1:PORT/gateway`.
    pub fn gateway_url(&self) -> String {
        lock(&self.state).gateway_url()
    }

    // ---- setup ---------------------------------------------------------------------------

    /// Adds (or renames) a person: `name` is the global (display) name, its lower case the
    /// username.
    pub fn add_user(&self, id: &str, name: &str) {
        let info = UserInfo {
            name: name.to_string(),
            bot: false,
        };
        lock(&self.state).users.insert(id.to_string(), info);
    }

    /// Adds another bot account (`"bot": true` on its messages), for "ignores other bots".
    pub fn add_bot(&self, id: &str, name: &str) {
        let info = UserInfo {
            name: name.to_string(),
            bot: true,
        };
        lock(&self.state).users.insert(id.to_string(), info);
    }

    /// The permissions `user` has as a member in interactions (default
    /// [`MEMBER_PERMISSIONS`]).
    pub fn set_permissions(&self, user: &str, permissions: u64) {
        lock(&self.state)
            .permissions
            .insert(user.to_string(), permissions);
    }

    /// Adds a channel to [`FakeDiscord::GUILD`]. Add channels before the bot connects to have
    /// them in its GUILD_CREATE; later ones are announced with CHANNEL_CREATE.
    pub fn add_channel(&self, id: &str, kind: ChannelKind<'_>, name: &str) {
        let mut st = lock(&self.state);
        let created = st.started.clone();
        let chan = match kind {
            ChannelKind::Text => Chan::new(id, 0, name, created),
            ChannelKind::Forum { tags } => {
                let mut chan = Chan::new(id, 15, name, created);
                for tag in tags {
                    let tag_id = st.next_id();
                    chan.available_tags.push((tag_id, tag.to_string()));
                }
                chan
            }
        };
        st.channels.retain(|c| c.id != id);
        st.channels.push(chan);
        if st.current_session().is_some() {
            let i = st.channels.len() - 1;
            let d = st.channel_json(i);
            st.dispatch("CHANNEL_CREATE", d);
        }
    }

    /// The id of the tag `name` of `forum`; panics if there is none.
    pub fn tag_id(&self, forum: &str, name: &str) -> String {
        let st = lock(&self.state);
        let chan = st.channels.iter().find(|c| c.id == forum);
        let tags = chan.map(|c| c.available_tags.clone()).unwrap_or_default();
        tags.iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| {
                panic!("fake Discord: forum {forum} has no tag {name:?}; tags: {tags:?}")
            })
    }

    /// From now on `GET`/`POST`/`PATCH` on `/channels/{id}…` answer 403 Missing Access
    /// (code 50001), as when the bot lost access to the channel.
    pub fn hide_channel(&self, id: &str) {
        lock(&self.state).hidden.insert(id.to_string());
    }

    /// A member overwrite on `id` denies the bot `permissions` there (shown in the
    /// channel's `permission_overwrites`; not enforced on requests).
    pub fn deny_bot(&self, id: &str, permissions: u64) {
        let mut st = lock(&self.state);
        if let Some(c) = st.channels.iter_mut().find(|c| c.id == id) {
            c.bot_denied = permissions;
        }
    }

    /// The channel answers normally again.
    pub fn unhide_channel(&self, id: &str) {
        lock(&self.state).hidden.remove(id);
    }

    /// From now on posting into `user`'s DM channel answers 403 "Cannot send messages to this
    /// user" (code 50007), as when the user closed DMs or left the guild.
    pub fn close_dms(&self, user: &str) {
        lock(&self.state).closed_dms.insert(user.to_string());
    }

    /// `user`'s DM channel with the bot (created if needed): the id `POST
    /// /users/@me/channels` returns for them, every time.
    pub fn dm_channel(&self, user: &str) -> String {
        lock(&self.state).dm_channel(user)
    }

    /// The application flags in `GET /oauth2/applications/@me` and READY. Without
    /// [`APP_FLAG_MESSAGE_CONTENT`] or [`APP_FLAG_MESSAGE_CONTENT_LIMITED`] an IDENTIFY asking
    /// for [`INTENT_MESSAGE_CONTENT`] is closed with 4014 (disallowed intents), and REST
    /// message reads have their content blanked.
    pub fn set_application_flags(&self, flags: u64) {
        lock(&self.state).app_flags = flags;
    }

    /// Interaction callbacks arriving later than this after the INTERACTION_CREATE get 404
    /// Unknown interaction (code 10062); Discord allows 3 s, the default.
    pub fn set_interaction_deadline(&self, deadline: Duration) {
        lock(&self.state).interaction_deadline = deadline;
    }

    /// Serves `bytes` at the returned URL, `http://127.0.0.1:PORT/attachments/{n}/{name}?…`
    /// (standing for `cdn.discordapp.com`, no authorization needed; `name` sanitized as Discord
    /// does, spaces to `_`).
    pub fn host_file(&self, name: &str, bytes: Vec<u8>) -> String {
        let mut st = lock(&self.state);
        let n = st.next_id();
        st.host(&format!("{n}/{}", cdn_name(name)), None, bytes)
    }

    // ---- failure injection ---------------------------------------------------------------

    /// The next request with this method (`""` for any) whose path (without `/api/v10`)
    /// starts with `path_prefix` answers `status`; failures queue up in order. A 429 carries
    /// Discord's rate-limit body (`retry_after`, `global`) and headers (`Retry-After` in whole
    /// seconds, `X-RateLimit-Scope`, `X-RateLimit-Global` when global); other statuses
    /// `{"message": "<status>: <reason>", "code": 0}`.
    pub fn fail_next(
        &self,
        method: &str,
        path_prefix: &str,
        status: u16,
        retry_after_secs: Option<f64>,
        global: bool,
    ) {
        let mut headers = Vec::new();
        let body = if status == 429 {
            let retry_after = retry_after_secs.unwrap_or(1.0);
            headers.push((
                "Retry-After".to_string(),
                format!("{}", retry_after.ceil() as u64),
            ));
            headers.push(("X-RateLimit-Limit".into(), "5".into()));
            headers.push(("X-RateLimit-Remaining".into(), "0".into()));
            headers.push((
                "X-RateLimit-Reset-After".into(),
                format!("{retry_after:.3}"),
            ));
            headers.push(("X-RateLimit-Bucket".into(), "fakebucket0001".into()));
            let scope = if global { "global" } else { "user" };
            headers.push(("X-RateLimit-Scope".into(), scope.into()));
            if global {
                headers.push(("X-RateLimit-Global".into(), "true".into()));
            }
            json!({"message": "You are being rate limited.", "retry_after": retry_after,
                "global": global, "code": 0})
        } else {
            if let Some(secs) = retry_after_secs {
                headers.push(("Retry-After".into(), format!("{}", secs.ceil() as u64)));
            }
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            json!({"message": format!("{status}: {reason}"), "code": 0})
        };
        self.queue_failure(method, path_prefix, status, body, headers);
    }

    /// Like [`fail_next`](Self::fail_next) with a JSON error body of your own, e.g.
    /// `{"code": 50013, "message": "Missing Permissions"}`.
    pub fn fail_next_json(&self, method: &str, path_prefix: &str, status: u16, body: Value) {
        self.queue_failure(method, path_prefix, status, body, Vec::new());
    }

    fn queue_failure(
        &self,
        method: &str,
        path_prefix: &str,
        status: u16,
        body: Value,
        headers: Vec<(String, String)>,
    ) {
        lock(&self.state).failures.push_back(Failure {
            method: method.to_ascii_uppercase(),
            prefix: strip_api(path_prefix).to_string(),
            status,
            body,
            headers,
        });
    }

    // ---- driving the bot -----------------------------------------------------------------

    /// `user` writes `text` to the bot in their DM channel (MESSAGE_CREATE); returns the
    /// message id.
    pub fn dm(&self, user: &str, text: &str) -> String {
        self.wait_session("dm");
        let mut st = lock(&self.state);
        let channel = st.dm_channel(user);
        st.user_post(&channel, user, text, None, None)
    }

    /// `user` writes `text` in `channel` (a DM channel or a thread) while no bot is
    /// connected: kept, and dispatched to no one (a later IDENTIFY starts a new session
    /// that does not replay it); returns the message id.
    pub fn write_while_away(&self, channel: &str, user: &str, text: &str) -> String {
        lock(&self.state).user_post(channel, user, text, None, None)
    }

    /// Like [`dm`](Self::dm) with a file attached (served by the fake's file host).
    pub fn dm_with_attachment(&self, user: &str, text: &str, name: &str, bytes: Vec<u8>) -> String {
        self.wait_session("dm_with_attachment");
        let mut st = lock(&self.state);
        let channel = st.dm_channel(user);
        st.user_post(&channel, user, text, Some((name, bytes)), None)
    }

    /// `user` writes `text` in the guild text channel `channel`; with `mentions_bot` the text
    /// starts with `<@BOT_USER>` (unless it mentions the bot already). Returns the message id.
    pub fn guild_message(
        &self,
        channel: &str,
        user: &str,
        text: &str,
        mentions_bot: bool,
    ) -> String {
        self.wait_session("guild_message");
        let mut st = lock(&self.state);
        st.expect_channel(channel, &[0, 5, 11, 12], "guild_message");
        let mention = format!("<@{}>", Self::BOT_USER);
        let text = if mentions_bot && !text.contains(&mention) {
            format!("{mention} {text}")
        } else {
            text.to_string()
        };
        st.user_post(channel, user, &text, None, None)
    }

    /// `user` writes `text` in the thread `thread`; returns the message id.
    pub fn thread_message(&self, thread: &str, user: &str, text: &str) -> String {
        self.wait_session("thread_message");
        let mut st = lock(&self.state);
        st.expect_channel(thread, &[11, 12], "thread_message");
        st.user_post(thread, user, text, None, None)
    }

    /// `user` opens a post titled `title` in `forum`: THREAD_CREATE (`newly_created`), then
    /// the MESSAGE_CREATE of the starter message. Returns (thread id, message id), equal as
    /// on Discord.
    pub fn forum_post(&self, forum: &str, user: &str, title: &str, text: &str) -> (String, String) {
        self.forum_post_tagged(forum, user, title, text, &[])
    }

    /// [`forum_post`](Self::forum_post) with the forum tags named `tags` applied.
    pub fn forum_post_tagged(
        &self,
        forum: &str,
        user: &str,
        title: &str,
        text: &str,
        tags: &[&str],
    ) -> (String, String) {
        let tag_ids: Vec<String> = tags.iter().map(|t| self.tag_id(forum, t)).collect();
        self.wait_session("forum_post");
        let mut st = lock(&self.state);
        st.expect_channel(forum, &[15], "forum_post");
        st.touch_user(user);
        let id = st.next_id();
        let mut chan = Chan::new(&id, 11, title, now_iso());
        chan.parent = Some(forum.to_string());
        chan.owner = Some(user.to_string());
        chan.members = vec![user.to_string()];
        chan.starter = Some(id.clone());
        chan.applied_tags = tag_ids;
        st.channels.push(chan);
        let i = st.channels.len() - 1;
        let mut d = st.channel_json(i);
        d["newly_created"] = json!(true);
        st.dispatch("THREAD_CREATE", d);
        let message = st.user_post(&id, user, text, None, Some(id.clone()));
        (id, message)
    }

    /// The author of message `id` in `channel` edits it to `text` (MESSAGE_UPDATE with the
    /// whole message).
    pub fn edit(&self, channel: &str, id: &str, text: &str) {
        self.wait_session("edit");
        let mut st = lock(&self.state);
        let i = st
            .find_msg(channel, id)
            .unwrap_or_else(|| panic!("fake Discord: edit: no live message {id} in {channel}"));
        let (mentions, everyone) = mentions_in(text, None);
        let m = &mut st.messages[i];
        m.p.content = text.to_string();
        m.p.mentions = mentions;
        m.p.mention_everyone = everyone;
        m.p.edited = true;
        m.p.edits.push(json!({"content": text}));
        m.edited_timestamp = Some(now_iso());
        let d = st.message_json(i, true);
        st.dispatch("MESSAGE_UPDATE", d);
    }

    /// Message `id` in `channel` is deleted by its author (MESSAGE_DELETE).
    pub fn delete(&self, channel: &str, id: &str) {
        self.wait_session("delete");
        let mut st = lock(&self.state);
        let i = st
            .find_msg(channel, id)
            .unwrap_or_else(|| panic!("fake Discord: delete: no live message {id} in {channel}"));
        st.messages[i].p.deleted = true;
        let d = st.delete_json(channel, id);
        st.dispatch("MESSAGE_DELETE", d);
    }

    /// `user` presses the button `custom_id` on message `message` in `channel`
    /// (INTERACTION_CREATE, type 3, component_type 2); returns the interaction id. Panics if
    /// the message has no such enabled button.
    pub fn press(&self, channel: &str, message: &str, user: &str, custom_id: &str) -> String {
        let permissions = self.permissions_of(user);
        self.press_as(channel, message, user, custom_id, permissions)
    }

    /// [`press`](Self::press) by a member with these permissions.
    pub fn press_as(
        &self,
        channel: &str,
        message: &str,
        user: &str,
        custom_id: &str,
        permissions: u64,
    ) -> String {
        self.component(channel, message, user, custom_id, None, permissions)
    }

    /// `user` picks `values` in the string select `custom_id` on message `message`
    /// (component_type 3); returns the interaction id.
    pub fn select(
        &self,
        channel: &str,
        message: &str,
        user: &str,
        custom_id: &str,
        values: &[&str],
    ) -> String {
        let permissions = self.permissions_of(user);
        self.component(channel, message, user, custom_id, Some(values), permissions)
    }

    fn component(
        &self,
        channel: &str,
        message: &str,
        user: &str,
        custom_id: &str,
        values: Option<&[&str]>,
        permissions: u64,
    ) -> String {
        self.wait_session("press");
        let mut st = lock(&self.state);
        let i = st.find_msg(channel, message).unwrap_or_else(|| {
            panic!("fake Discord: no live message {message} in {channel} to interact with")
        });
        let components = st.messages[i].p.components.clone();
        let found = find_component(&components, custom_id);
        let kind = match (found, values) {
            (Some(c), None) if c["type"] == 2 && c["disabled"] != true => 2,
            (Some(c), Some(_)) if c["type"] == 3 && c["disabled"] != true => 3,
            _ => panic!(
                "fake Discord: message {message} has no enabled {} {custom_id:?}; its components: {components}",
                if values.is_some() { "string select" } else { "button" }
            ),
        };
        let mut data = json!({"custom_id": custom_id, "component_type": kind});
        if let Some(values) = values {
            data["values"] = json!(values);
        }
        st.interaction(
            3,
            channel,
            user,
            data,
            Some(message.to_string()),
            permissions,
        )
    }

    /// `user` runs the slash command `name` (registered by the bot; waits up to 15 s for the
    /// registration) in `channel` with `options` (Discord's option array, e.g.
    /// `[{"name":"topic","type":3,"value":"billing"}]`, or `Null`); returns the interaction id.
    pub fn slash(&self, channel: &str, user: &str, name: &str, options: Value) -> String {
        let permissions = self.permissions_of(user);
        self.slash_as(channel, user, name, options, permissions)
    }

    /// [`slash`](Self::slash) by a member with these permissions.
    pub fn slash_as(
        &self,
        channel: &str,
        user: &str,
        name: &str,
        options: Value,
        permissions: u64,
    ) -> String {
        self.wait_session("slash");
        let command = self.wait_for(Duration::from_secs(15), |st| {
            let guild = st.guild_commands.iter().map(|c| (c, true));
            let global = st.global_commands.iter().map(|c| (c, false));
            guild
                .chain(global)
                .find(|(c, _)| c["name"] == name)
                .map(|(c, g)| (c["id"].as_str().unwrap_or_default().to_string(), g))
        });
        let Some((command_id, guild_command)) = command else {
            panic!(
                "fake Discord: no command {name:?} registered within 15 s; guild commands: {:?}, global: {:?}",
                self.commands(),
                self.global_commands()
            )
        };
        let options = if options.is_null() {
            json!([])
        } else {
            options
        };
        let mut data = json!({"id": command_id, "name": name, "type": 1, "options": options});
        if guild_command {
            data["guild_id"] = json!(Self::GUILD);
        }
        let mut st = lock(&self.state);
        st.expect_channel(channel, &[0, 1, 5, 11, 12], "slash");
        st.interaction(2, channel, user, data, None, permissions)
    }

    /// The token of interaction `id` (for [`followups`](Self::followups) and the webhook
    /// routes).
    pub fn interaction_token(&self, id: &str) -> String {
        let st = lock(&self.state);
        st.interactions
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.token.clone())
            .unwrap_or_else(|| panic!("fake Discord: no interaction {id}"))
    }

    /// The callbacks (`{type, data}` bodies) the bot sent for interaction `id`, in order;
    /// only the first one was accepted.
    pub fn callbacks(&self, id: &str) -> Vec<Value> {
        let st = lock(&self.state);
        let inter = st.interactions.iter().find(|i| i.id == id);
        inter.map(|i| i.callbacks.clone()).unwrap_or_default()
    }

    /// Waits for the bot's callback to interaction `id` and returns its body (`{type,
    /// data}`); panics on timeout.
    pub fn wait_callback(&self, id: &str, timeout: Duration) -> Value {
        self.wait_for(timeout, |st| {
            let inter = st.interactions.iter().find(|i| i.id == id)?;
            inter.callbacks.first().cloned()
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Discord: no callback for interaction {id} within {timeout:?}; callback requests: {:#?}",
                self.requests("POST", "/interactions/")
            )
        })
    }

    /// The follow-up messages the bot created with interaction token `token`, in order
    /// (after a deferred reply the first one fills in the deferred message, as on Discord).
    pub fn followups(&self, token: &str) -> Vec<Posted> {
        let st = lock(&self.state);
        let Some(inter) = st.interactions.iter().find(|i| i.token == token) else {
            return Vec::new();
        };
        inter
            .followups
            .iter()
            .filter_map(|id| st.messages.iter().find(|m| &m.p.id == id))
            .map(|m| m.p.clone())
            .collect()
    }

    /// The original response message of interaction token `token` (a reply, the deferred
    /// message, or the component's message for update responses).
    pub fn original(&self, token: &str) -> Option<Posted> {
        let st = lock(&self.state);
        let inter = st.interactions.iter().find(|i| i.token == token)?;
        let id = inter.original.as_ref()?;
        st.messages
            .iter()
            .find(|m| &m.p.id == id)
            .map(|m| m.p.clone())
    }

    /// Dispatches any event `t` with data `d` (waiting up to 15 s for a gateway session);
    /// returns its sequence number. Panics if the bot's intents withhold it.
    pub fn dispatch(&self, t: &str, d: Value) -> u64 {
        self.wait_session(t);
        let mut st = lock(&self.state);
        st.dispatch(t, d).unwrap_or_else(|| {
            panic!(
                "fake Discord: {t} withheld: {:?}",
                st.withheld.last().cloned().unwrap_or_default()
            )
        })
    }

    // ---- gateway controls ----------------------------------------------------------------

    /// Waits until a gateway session is live: READY (or RESUMED) sent on a connection that is
    /// still open. Panics on timeout.
    pub fn wait_connected(&self, timeout: Duration) {
        self.wait_for(timeout, |st| st.live_socket().map(|_| ()))
            .unwrap_or_else(|| {
                panic!(
                    "fake Discord: no live gateway session within {timeout:?}; {}",
                    self.gateway_summary()
                )
            });
    }

    /// Waits until `n` RESUMEs have succeeded in total and the session is live again.
    pub fn wait_resumes(&self, n: usize, timeout: Duration) {
        self.wait_for(timeout, |st| {
            (st.resumes >= n && st.live_socket().is_some()).then_some(())
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Discord: wanted {n} resumes within {timeout:?}; {}",
                self.gateway_summary()
            )
        });
    }

    /// Waits until `n` IDENTIFYs arrived in total and the newest session is live.
    pub fn wait_identifies(&self, n: usize, timeout: Duration) {
        self.wait_for(timeout, |st| {
            (st.identifies.len() >= n && st.live_socket().is_some()).then_some(())
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Discord: wanted {n} IDENTIFYs within {timeout:?}; {}",
                self.gateway_summary()
            )
        });
    }

    /// How many IDENTIFYs the gateway received.
    pub fn identifies(&self) -> usize {
        lock(&self.state).identifies.len()
    }

    /// How many RESUMEs succeeded (RESUMED sent).
    pub fn resumes(&self) -> usize {
        lock(&self.state).resumes
    }

    /// How many missed dispatches were replayed on RESUMEs.
    pub fn replayed(&self) -> usize {
        lock(&self.state).replayed
    }

    /// How many heartbeats (op 1) the gateway received.
    pub fn heartbeats(&self) -> usize {
        lock(&self.state).heartbeats
    }

    /// The `intents` of the newest IDENTIFY.
    pub fn gateway_intents(&self) -> Option<u64> {
        let st = lock(&self.state);
        st.identifies.last().and_then(|d| d["intents"].as_u64())
    }

    /// Every IDENTIFY's `d`, token masked, in order.
    pub fn identify_payloads(&self) -> Vec<Value> {
        lock(&self.state).identifies.clone()
    }

    /// Each gateway connection's (path, query string), in order: serenity connects to
    /// `/gateway?v=10`; a RESUME that honoured `resume_gateway_url` came to `/resume`.
    pub fn gateway_connections(&self) -> Vec<(String, String)> {
        let st = lock(&self.state);
        st.sockets
            .iter()
            .map(|s| (s.path.clone(), s.query.clone()))
            .collect()
    }

    /// The path of the connection each successful RESUME came on.
    pub fn resume_paths(&self) -> Vec<String> {
        lock(&self.state).resume_paths.clone()
    }

    /// Every frame the gateway received from clients, tokens masked, in order.
    pub fn gateway_received(&self) -> Vec<Value> {
        lock(&self.state).received.clone()
    }

    /// Every dispatch sent (or queued for a RESUME) so far: (event name, data).
    pub fn dispatched(&self) -> Vec<(String, Value)> {
        lock(&self.state).dispatched.clone()
    }

    /// Events not sent, and why (no session, or intents missing), in order.
    pub fn withheld(&self) -> Vec<String> {
        lock(&self.state).withheld.clone()
    }

    /// Drops the live gateway connection without a close frame, like a network failure:
    /// serenity reconnects and RESUMEs. Dispatches made until then are queued and replayed.
    pub fn drop_gateway(&self) {
        let mut st = lock(&self.state);
        let sock = st.live_socket().unwrap_or_else(|| {
            panic!(
                "fake Discord: drop_gateway: no live gateway connection; {}",
                st.summary()
            )
        });
        let _ = st.sockets[sock].tx.send(Out::Drop);
        st.detach(sock);
    }

    /// Closes the live gateway connection with close code `code`. Discord ends the session
    /// for 4007 (invalid seq), 4009 (timed out) and the fatal codes 4004 and 4010–4014; then
    /// a RESUME gets op 9 (not resumable).
    pub fn close_gateway(&self, code: u16) {
        let mut st = lock(&self.state);
        let sock = st.live_socket().unwrap_or_else(|| {
            panic!(
                "fake Discord: close_gateway: no live gateway connection; {}",
                st.summary()
            )
        });
        let ends_session = matches!(code, 4004 | 4007 | 4009 | 4010..=4014);
        if let (true, Some(si)) = (ends_session, st.sockets[sock].session) {
            st.sessions[si].valid = false;
        }
        close(&mut st, sock, code, "fake Discord closed the connection");
    }

    /// Sends op 7 RECONNECT on the live connection: the client should reconnect and RESUME.
    /// Dispatches from now on are queued for the RESUME.
    pub fn send_reconnect(&self) {
        let mut st = lock(&self.state);
        let sock = st.live_socket().unwrap_or_else(|| {
            panic!(
                "fake Discord: send_reconnect: no live gateway connection; {}",
                st.summary()
            )
        });
        let frame = json!({"op": 7, "d": null, "s": null, "t": null}).to_string();
        let _ = st.sockets[sock].tx.send(Out::Text(frame));
        if let Some(si) = st.sockets[sock].session {
            st.sessions[si].socket = None;
        }
    }

    /// Sends op 9 INVALID SESSION with `d` = `resumable` on the live connection; when not
    /// resumable the session ends and the client must IDENTIFY again (serenity waits 5 s
    /// between IDENTIFYs).
    pub fn invalidate_session(&self, resumable: bool) {
        let mut st = lock(&self.state);
        let sock = st.live_socket().unwrap_or_else(|| {
            panic!(
                "fake Discord: invalidate_session: no live gateway connection; {}",
                st.summary()
            )
        });
        let frame = json!({"op": 9, "d": resumable, "s": null, "t": null}).to_string();
        let _ = st.sockets[sock].tx.send(Out::Text(frame));
        if let Some(si) = st.sockets[sock].session {
            st.sessions[si].socket = None;
            if !resumable {
                st.sessions[si].valid = false;
            }
        }
    }

    // ---- inspection ----------------------------------------------------------------------

    /// The bot's live messages in `channel` (edits applied, deleted ones left out, ephemeral
    /// interaction responses included), in post order.
    pub fn posted(&self, channel: &str) -> Vec<Posted> {
        let st = lock(&self.state);
        st.messages
            .iter()
            .filter(|m| m.p.channel == channel && m.p.author == Self::BOT_USER && !m.p.deleted)
            .map(|m| m.p.clone())
            .collect()
    }

    /// Like [`posted`](Self::posted) but keeping deleted messages (marked `deleted`).
    pub fn posted_all(&self, channel: &str) -> Vec<Posted> {
        let st = lock(&self.state);
        st.messages
            .iter()
            .filter(|m| m.p.channel == channel && m.p.author == Self::BOT_USER)
            .map(|m| m.p.clone())
            .collect()
    }

    /// Every live message in `channel`, by anyone, in post order.
    pub fn messages(&self, channel: &str) -> Vec<Posted> {
        let st = lock(&self.state);
        st.messages
            .iter()
            .filter(|m| m.p.channel == channel && !m.p.deleted)
            .map(|m| m.p.clone())
            .collect()
    }

    /// The message `id`, deleted or not.
    pub fn message(&self, id: &str) -> Option<Posted> {
        let st = lock(&self.state);
        st.messages
            .iter()
            .find(|m| m.p.id == id)
            .map(|m| m.p.clone())
    }

    /// Waits for a live message of the bot in `channel` matching `pred`; panics after
    /// `timeout` saying `what` was expected and listing the bot's messages and the requests
    /// for that channel.
    pub fn wait_posted(
        &self,
        channel: &str,
        pred: impl Fn(&Posted) -> bool,
        timeout: Duration,
        what: &str,
    ) -> Posted {
        self.wait_for(timeout, |st| {
            st.messages
                .iter()
                .find(|m| {
                    m.p.channel == channel
                        && m.p.author == Self::BOT_USER
                        && !m.p.deleted
                        && pred(&m.p)
                })
                .map(|m| m.p.clone())
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Discord: no message from the bot in {channel} {what} within {timeout:?}; the bot's messages there: {:#?}; requests for the channel: {:#?}",
                self.posted_all(channel),
                self.request_lines(&format!("/channels/{channel}"))
            )
        })
    }

    /// Every thread, in creation order.
    pub fn threads(&self) -> Vec<Thread> {
        let st = lock(&self.state);
        st.channels
            .iter()
            .filter(|c| c.is_thread())
            .map(thread_of)
            .collect()
    }

    /// The thread `id`.
    pub fn thread(&self, id: &str) -> Option<Thread> {
        self.threads().into_iter().find(|t| t.id == id)
    }

    /// Waits for a thread the bot created in `parent`; panics on timeout listing the threads
    /// and the requests for `parent`.
    pub fn wait_thread(&self, parent: &str, timeout: Duration) -> Thread {
        self.wait_for(timeout, |st| {
            st.channels
                .iter()
                .find(|c| {
                    c.is_thread()
                        && c.parent.as_deref() == Some(parent)
                        && c.owner.as_deref() == Some(Self::BOT_USER)
                })
                .map(thread_of)
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Discord: the bot created no thread in {parent} within {timeout:?}; threads: {:#?}; requests for {parent}: {:#?}",
                self.threads(),
                self.request_lines(&format!("/channels/{parent}"))
            )
        })
    }

    /// The requests so far with this method (`""` for any) whose path (without `/api/v10`)
    /// starts with `path_prefix`, in order of arrival.
    pub fn requests(&self, method: &str, path_prefix: &str) -> Vec<Recorded> {
        let st = lock(&self.state);
        let prefix = strip_api(path_prefix);
        st.requests
            .iter()
            .filter(|r| method.is_empty() || r.method.eq_ignore_ascii_case(method))
            .filter(|r| r.path.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// How many requests [`requests`](Self::requests) would return whose JSON body's
    /// `content` contains `needle`, without copying any: for polling under load.
    pub fn count_posts_containing(&self, path_prefix: &str, needle: &str) -> usize {
        let st = lock(&self.state);
        let prefix = strip_api(path_prefix);
        st.requests
            .iter()
            .filter(|r| r.method == "POST" && r.path.starts_with(prefix))
            .filter(|r| {
                r.body["content"]
                    .as_str()
                    .is_some_and(|c| c.contains(needle))
            })
            .count()
    }

    /// Waits until `n` requests matching [`requests`](Self::requests) arrived; returns them.
    pub fn wait_requests(
        &self,
        method: &str,
        path_prefix: &str,
        n: usize,
        timeout: Duration,
    ) -> Vec<Recorded> {
        let prefix = strip_api(path_prefix).to_string();
        self.wait_for(timeout, |st| {
            let found: Vec<Recorded> = st
                .requests
                .iter()
                .filter(|r| method.is_empty() || r.method.eq_ignore_ascii_case(method))
                .filter(|r| r.path.starts_with(&prefix))
                .cloned()
                .collect();
            (found.len() >= n).then_some(found)
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Discord: wanted {n} {method} {prefix}… requests within {timeout:?}; all requests: {:#?}",
                self.request_lines("")
            )
        })
    }

    /// The guild commands of the latest bulk overwrite (`PUT
    /// /applications/{app}/guilds/{guild}/commands`), as the fake answered them (with ids).
    pub fn commands(&self) -> Vec<Value> {
        lock(&self.state).guild_commands.clone()
    }

    /// The global commands of the latest `PUT /applications/{app}/commands`.
    pub fn global_commands(&self) -> Vec<Value> {
        lock(&self.state).global_commands.clone()
    }

    fn permissions_of(&self, user: &str) -> u64 {
        let st = lock(&self.state);
        st.permissions
            .get(user)
            .copied()
            .unwrap_or(MEMBER_PERMISSIONS)
    }

    fn request_lines(&self, prefix: &str) -> Vec<String> {
        let st = lock(&self.state);
        st.requests
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .map(|r| format!("{} {} -> {} {}", r.method, r.path, r.status, r.body))
            .collect()
    }

    fn gateway_summary(&self) -> String {
        lock(&self.state).summary()
    }

    fn wait_session(&self, what: &str) {
        let found = self.wait_for(Duration::from_secs(15), |st| {
            st.current_session().map(|_| ())
        });
        if found.is_none() {
            panic!(
                "fake Discord: {what}: no gateway session within 15 s, the bot never got READY; {}",
                self.gateway_summary()
            );
        }
    }

    fn wait_for<T>(
        &self,
        timeout: Duration,
        mut found: impl FnMut(&FakeState) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = found(&lock(&self.state)) {
                return Some(t);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn thread_of(c: &Chan) -> Thread {
    Thread {
        id: c.id.clone(),
        parent: c.parent.clone().unwrap_or_default(),
        name: c.name.clone(),
        kind: c.kind,
        private: c.kind == 12,
        owner: c.owner.clone().unwrap_or_default(),
        applied_tags: c.applied_tags.clone(),
        archived: c.archived,
        locked: c.locked,
        members: c.members.clone(),
        starter: c.starter.clone(),
    }
}

/// The path without a leading `/api/v10`.
fn strip_api(path: &str) -> &str {
    path.strip_prefix("/api/v10").unwrap_or(path)
}

// ---- state: ids, objects, dispatch ---------------------------------------------------------

impl FakeState {
    fn new(base: String) -> FakeState {
        FakeState {
            base,
            started: now_iso(),
            app_flags: DEFAULT_APP_FLAGS,
            counter: 0,
            last_id: 0,
            users: HashMap::new(),
            permissions: HashMap::new(),
            channels: Vec::new(),
            hidden: HashSet::new(),
            closed_dms: HashSet::new(),
            dm_channels: HashMap::new(),
            messages: Vec::new(),
            hosted: HashMap::new(),
            failures: VecDeque::new(),
            requests: Vec::new(),
            interactions: Vec::new(),
            interaction_deadline: Duration::from_secs(3),
            guild_commands: Vec::new(),
            global_commands: Vec::new(),
            sessions: Vec::new(),
            sockets: Vec::new(),
            received: Vec::new(),
            identifies: Vec::new(),
            resumes: 0,
            resume_paths: Vec::new(),
            replayed: 0,
            heartbeats: 0,
            withheld: Vec::new(),
            dispatched: Vec::new(),
        }
    }

    /// A snowflake: milliseconds since Discord's epoch shifted left 22 bits, strictly
    /// increasing.
    fn next_id(&mut self) -> String {
        let ms = now_ms().saturating_sub(DISCORD_EPOCH_MS);
        self.last_id = (ms << 22).max(self.last_id + 1);
        self.last_id.to_string()
    }

    fn hash_hex(&mut self, salt: &str) -> String {
        self.counter += 1;
        let mut hasher = DefaultHasher::new();
        (salt, self.counter, &self.base, now_ms()).hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }

    fn ws_base(&self) -> String {
        self.base.replacen("http", "ws", 1)
    }

    fn gateway_url(&self) -> String {
        format!("{}/gateway", self.ws_base())
    }

    /// Stores a file under `/attachments/{key}` and returns its CDN-style URL.
    fn host(&mut self, key: &str, content_type: Option<String>, bytes: Vec<u8>) -> String {
        let signature = self.hash_hex(key);
        let issued = now_ms() / 1000;
        self.hosted.insert(key.to_string(), (content_type, bytes));
        format!(
            "{}/attachments/{key}?ex={:x}&is={issued:x}&hm={signature}{signature}&",
            self.base,
            issued + 86_400
        )
    }

    fn touch_user(&mut self, id: &str) {
        if id != FakeDiscord::BOT_USER && !self.users.contains_key(id) {
            let info = UserInfo {
                name: format!("user{id}"),
                bot: false,
            };
            self.users.insert(id.to_string(), info);
        }
    }

    fn is_bot(&self, id: &str) -> bool {
        id == FakeDiscord::BOT_USER || self.users.get(id).is_some_and(|u| u.bot)
    }

    fn user_json(&self, id: &str) -> Value {
        if id == FakeDiscord::BOT_USER {
            return json!({"id": id, "username": BOT_NAME, "discriminator": "4821",
                "global_name": null, "avatar": null, "bot": true, "public_flags": 0, "flags": 0,
                "banner": null, "accent_color": null, "avatar_decoration_data": null});
        }
        let (name, bot) = self
            .users
            .get(id)
            .map(|u| (u.name.clone(), u.bot))
            .unwrap_or_else(|| (format!("user{id}"), false));
        let username = name.to_lowercase().replace(' ', "_");
        let mut user = json!({"id": id, "username": username, "discriminator": "0",
            "global_name": name, "avatar": null, "public_flags": 0, "flags": 0, "banner": null,
            "accent_color": null, "avatar_decoration_data": null});
        if bot {
            user["bot"] = json!(true);
            user["discriminator"] = json!("7310");
            user["global_name"] = Value::Null;
        }
        user
    }

    /// `GET /users/@me`: the bot with the fields only its own user object has.
    fn bot_user_json(&self) -> Value {
        let mut user = self.user_json(FakeDiscord::BOT_USER);
        for (k, v) in [
            ("verified", json!(true)),
            ("mfa_enabled", json!(false)),
            ("email", Value::Null),
            ("locale", json!("en-US")),
            ("premium_type", json!(0)),
        ] {
            user[k] = v;
        }
        user
    }

    fn application_json(&self) -> Value {
        let owner = json!({"id": GUILD_OWNER, "username": "owner", "discriminator": "0",
            "global_name": "Owner", "avatar": null, "public_flags": 0, "flags": 0});
        json!({"id": FakeDiscord::APP_ID, "name": BOT_NAME, "icon": null, "description": "",
            "summary": "", "type": null, "hook": true, "bot_public": false,
            "bot_require_code_grant": false, "verify_key": "0f".repeat(32), "flags": self.app_flags,
            "owner": owner, "team": null, "bot": self.user_json(FakeDiscord::BOT_USER),
            "rpc_origins": [], "redirect_uris": [], "interactions_endpoint_url": null,
            "role_connections_verification_url": null, "tags": [],
            "install_params": {"scopes": ["bot", "applications.commands"],
                "permissions": BOT_PERMISSIONS.to_string()},
            "integration_types_config": {"0": {"oauth2_install_params": {
                "scopes": ["bot", "applications.commands"], "permissions": BOT_PERMISSIONS.to_string()}}},
            "approximate_guild_count": 1, "approximate_user_install_count": 0,
            "is_monetized": false})
    }

    fn find_chan(&self, id: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.id == id)
    }

    fn expect_channel(&self, id: &str, kinds: &[u8], what: &str) {
        let found = self.find_chan(id).map(|i| self.channels[i].kind);
        if !found.is_some_and(|k| kinds.contains(&k)) {
            let known: Vec<String> = self
                .channels
                .iter()
                .map(|c| format!("{} (type {}) {:?}", c.id, c.kind, c.name))
                .collect();
            panic!("fake Discord: {what}: {id} is not a channel of type {kinds:?} (found {found:?}); channels: {known:?}");
        }
    }

    fn dm_channel(&mut self, user: &str) -> String {
        self.touch_user(user);
        if let Some(id) = self.dm_channels.get(user) {
            return id.clone();
        }
        let id = self.next_id();
        let mut chan = Chan::new(&id, 1, "", now_iso());
        chan.recipient = Some(user.to_string());
        self.channels.push(chan);
        self.dm_channels.insert(user.to_string(), id.clone());
        id
    }

    fn guild_of(&self, channel: &str) -> Option<&'static str> {
        let i = self.find_chan(channel)?;
        (self.channels[i].kind != 1).then_some(FakeDiscord::GUILD)
    }

    fn tag_json(id: &str, name: &str) -> Value {
        json!({"id": id, "name": name, "moderated": false, "emoji_id": null, "emoji_name": null})
    }

    fn channel_json(&self, i: usize) -> Value {
        let c = &self.channels[i];
        match c.kind {
            1 => {
                let recipient = c.recipient.as_deref().unwrap_or_default();
                json!({"id": c.id, "type": 1, "last_message_id": c.last_message_id, "flags": 0,
                    "recipients": [self.user_json(recipient)]})
            }
            11 | 12 => {
                let mut metadata = json!({"archived": c.archived,
                    "auto_archive_duration": c.auto_archive,
                    "archive_timestamp": c.archive_timestamp.clone().unwrap_or_else(|| c.created.clone()),
                    "locked": c.locked, "create_timestamp": c.created});
                if c.kind == 12 {
                    metadata["invitable"] = json!(c.invitable);
                }
                json!({"id": c.id, "type": c.kind, "guild_id": FakeDiscord::GUILD,
                    "parent_id": c.parent, "owner_id": c.owner, "name": c.name,
                    "last_message_id": c.last_message_id, "message_count": c.message_count,
                    "member_count": c.members.len().min(50), "total_message_sent": c.message_count,
                    "rate_limit_per_user": 0, "flags": 0, "applied_tags": c.applied_tags,
                    "thread_metadata": metadata})
            }
            kind => {
                let mut v = json!({"id": c.id, "type": kind, "guild_id": FakeDiscord::GUILD,
                    "name": c.name, "position": i, "parent_id": null,
                    "permission_overwrites": if c.bot_denied == 0 { json!([]) } else {
                        json!([{"id": FakeDiscord::BOT_USER, "type": 1, "allow": "0",
                            "deny": c.bot_denied.to_string()}])
                    },
                    "topic": c.topic, "nsfw": false, "last_message_id": c.last_message_id,
                    "rate_limit_per_user": 0, "flags": 0});
                if kind == 15 {
                    let tags: Vec<Value> = c
                        .available_tags
                        .iter()
                        .map(|(id, name)| Self::tag_json(id, name))
                        .collect();
                    v["available_tags"] = json!(tags);
                    v["default_reaction_emoji"] = Value::Null;
                    v["default_sort_order"] = Value::Null;
                    v["default_forum_layout"] = json!(0);
                    v["default_thread_rate_limit_per_user"] = json!(0);
                    v["default_auto_archive_duration"] = json!(4320);
                    v["template"] = json!("");
                }
                v
            }
        }
    }

    /// A thread as returned to its creator: with the creator's thread member.
    fn thread_with_member(&self, i: usize) -> Value {
        let mut v = self.channel_json(i);
        v["member"] = json!({"id": self.channels[i].id, "user_id": FakeDiscord::BOT_USER,
            "join_timestamp": now_iso(), "flags": 1});
        v
    }

    /// The channel as an interaction's `channel`: with the user's permissions in it.
    fn interaction_channel_json(&self, i: usize, permissions: u64) -> Value {
        let mut v = self.channel_json(i);
        if self.channels[i].kind != 1 {
            v["permissions"] = json!(permissions.to_string());
        }
        v
    }

    fn partial_member_json(&self, user: &str) -> Value {
        let roles: Vec<&str> = if user == FakeDiscord::BOT_USER {
            vec![BOT_ROLE]
        } else {
            Vec::new()
        };
        json!({"roles": roles, "joined_at": self.started, "deaf": false, "mute": false,
            "flags": 0, "pending": false, "premium_since": null, "nick": null, "avatar": null,
            "banner": null, "communication_disabled_until": null, "unusual_dm_activity_until": null})
    }

    fn member_json(&self, user: &str, permissions: Option<u64>) -> Value {
        let mut member = self.partial_member_json(user);
        member["user"] = self.user_json(user);
        if let Some(permissions) = permissions {
            member["permissions"] = json!(permissions.to_string());
        }
        member
    }

    fn find_msg(&self, channel: &str, id: &str) -> Option<usize> {
        self.messages
            .iter()
            .position(|m| m.p.channel == channel && m.p.id == id && !m.p.deleted)
    }

    fn message_json(&self, i: usize, gateway: bool) -> Value {
        self.message_json_at(i, gateway, true)
    }

    fn message_json_at(&self, i: usize, gateway: bool, with_referenced: bool) -> Value {
        let m = &self.messages[i];
        let p = &m.p;
        let mentions: Vec<Value> = p.mentions.iter().map(|u| self.user_json(u)).collect();
        let mut v = json!({"id": p.id, "channel_id": p.channel, "author": self.user_json(&p.author),
            "content": p.content, "timestamp": m.timestamp, "edited_timestamp": m.edited_timestamp,
            "tts": false, "mention_everyone": p.mention_everyone, "mentions": mentions,
            "mention_roles": [], "attachments": m.attachments, "embeds": p.embeds,
            "components": p.components, "pinned": false, "type": m.kind, "flags": p.flags});
        if let Some(nonce) = &m.nonce {
            v["nonce"] = nonce.clone();
        }
        if m.webhook {
            v["webhook_id"] = json!(FakeDiscord::APP_ID);
            v["application_id"] = json!(FakeDiscord::APP_ID);
        }
        if let Some(position) = m.position {
            v["position"] = json!(position);
        }
        if let Some(reference) = &p.message_reference {
            v["message_reference"] = reference.clone();
            if with_referenced {
                let target = reference["message_id"].as_str().unwrap_or_default();
                let found = self
                    .messages
                    .iter()
                    .position(|m| m.p.id == target && !m.p.deleted);
                v["referenced_message"] = found
                    .map(|j| self.message_json_at(j, false, false))
                    .unwrap_or(Value::Null);
            }
        }
        if gateway {
            if let Some(guild) = self.guild_of(&p.channel) {
                v["guild_id"] = json!(guild);
                if !m.webhook {
                    v["member"] = self.partial_member_json(&p.author);
                }
            }
        }
        v
    }

    fn delete_json(&self, channel: &str, id: &str) -> Value {
        let mut d = json!({"id": id, "channel_id": channel});
        if let Some(guild) = self.guild_of(channel) {
            d["guild_id"] = json!(guild);
        }
        d
    }

    fn role_json(id: &str, name: &str, position: u64, permissions: u64, managed: bool) -> Value {
        let mut role = json!({"id": id, "name": name, "color": 0,
            "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
            "hoist": false, "icon": null, "unicode_emoji": null, "position": position,
            "permissions": permissions.to_string(), "managed": managed, "mentionable": false,
            "flags": 0});
        if managed {
            role["tags"] = json!({"bot_id": FakeDiscord::BOT_USER});
        }
        role
    }

    fn guild_json(&self) -> Value {
        let channels: Vec<Value> = (0..self.channels.len())
            .filter(|&i| matches!(self.channels[i].kind, 0 | 5 | 15))
            .map(|i| self.channel_json(i))
            .collect();
        let threads: Vec<Value> = (0..self.channels.len())
            .filter(|&i| self.channels[i].is_thread() && !self.channels[i].archived)
            .map(|i| self.channel_json(i))
            .collect();
        let roles = [
            Self::role_json(
                FakeDiscord::GUILD,
                "@everyone",
                0,
                MEMBER_PERMISSIONS,
                false,
            ),
            Self::role_json(BOT_ROLE, BOT_NAME, 1, BOT_PERMISSIONS, true),
        ];
        let member_count = self.users.len() + 2;
        let mut guild = json!({"id": FakeDiscord::GUILD, "name": GUILD_NAME, "icon": null,
            "icon_hash": null, "splash": null, "discovery_splash": null, "owner_id": GUILD_OWNER,
            "afk_channel_id": null, "afk_timeout": 300, "widget_enabled": false,
            "widget_channel_id": null, "verification_level": 1, "default_message_notifications": 1,
            "explicit_content_filter": 2, "roles": roles, "emojis": [], "features": ["COMMUNITY"],
            "mfa_level": 0, "application_id": null, "system_channel_id": null,
            "system_channel_flags": 0, "rules_channel_id": null, "max_presences": null,
            "max_members": 500_000, "vanity_url_code": null, "description": null, "banner": null,
            "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US"});
        let more = json!({"public_updates_channel_id": null, "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50, "nsfw_level": 0, "nsfw": false, "stickers": [],
            "premium_progress_bar_enabled": false, "safety_alerts_channel_id": null,
            "incidents_data": null, "joined_at": self.started, "large": false,
            "unavailable": false, "member_count": member_count, "voice_states": [],
            "members": [self.member_json(FakeDiscord::BOT_USER, None)], "channels": channels,
            "threads": threads, "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [], "lazy": true});
        if let (Some(guild), Value::Object(more)) = (guild.as_object_mut(), more) {
            guild.extend(more);
        }
        guild
    }

    fn ready_json(&self, session_id: &str, shard: &Value) -> Value {
        let shard = if shard.is_array() {
            shard.clone()
        } else {
            json!([0, 1])
        };
        json!({"v": 10, "user_settings": {}, "user": self.bot_user_json(),
            "guilds": [{"id": FakeDiscord::GUILD, "unavailable": true}], "session_id": session_id,
            "session_type": "normal", "resume_gateway_url": format!("{}/resume", self.ws_base()),
            "shard": shard, "application": {"id": FakeDiscord::APP_ID, "flags": self.app_flags},
            "private_channels": [], "relationships": [], "presences": [],
            "guild_join_requests": [], "geo_ordered_rtc_regions": ["fake"], "auth": {},
            "_trace": ["[\"fake-discord\",{\"micros\":0}]"]})
    }

    fn current_session(&self) -> Option<usize> {
        self.sessions.iter().rposition(|s| s.valid)
    }

    /// The socket the current session is attached to, if it is open.
    fn live_socket(&self) -> Option<usize> {
        let si = self.current_session()?;
        let sock = self.sessions[si].socket?;
        self.sockets[sock].open.then_some(sock)
    }

    fn detach(&mut self, sock: usize) {
        self.sockets[sock].open = false;
        if let Some(si) = self.sockets[sock].session {
            if self.sessions[si].socket == Some(sock) {
                self.sessions[si].socket = None;
            }
        }
    }

    fn summary(&self) -> String {
        let gets = self
            .requests
            .iter()
            .filter(|r| r.path == "/gateway" || r.path == "/gateway/bot")
            .count();
        format!(
            "{} gateway connections, {} IDENTIFYs, {} RESUMEs succeeded, {} sessions (current: {:?}), GET /gateway calls: {gets}, last frames received: {:?}",
            self.sockets.len(),
            self.identifies.len(),
            self.resumes,
            self.sessions.len(),
            self.current_session().map(|i| &self.sessions[i].id),
            self.received.iter().rev().take(5).collect::<Vec<_>>()
        )
    }

    /// Sends (or, with the session's connection gone, queues for a RESUME) a dispatch to the
    /// current session, subject to its intents; returns the sequence number, `None` when
    /// withheld.
    fn dispatch(&mut self, t: &str, mut d: Value) -> Option<u64> {
        let Some(si) = self.current_session() else {
            self.withheld.push(format!("{t}: no gateway session"));
            return None;
        };
        let intents = self.sessions[si].intents;
        let needed = required_intent(t, &d);
        if needed != 0 && intents & needed == 0 {
            self.withheld.push(format!(
                "{t}: IDENTIFY intents {intents:#x} lack {needed:#x}"
            ));
            return None;
        }
        if matches!(t, "MESSAGE_CREATE" | "MESSAGE_UPDATE")
            && intents & INTENT_MESSAGE_CONTENT == 0
            && !content_exempt(&d)
        {
            blank_content(&mut d);
        }
        let session = &mut self.sessions[si];
        session.seq += 1;
        let s = session.seq;
        let frame = json!({"op": 0, "t": t, "s": s, "d": d}).to_string();
        session.log.push((s, frame.clone()));
        if let Some(sock) = session.socket {
            if self.sockets[sock].open {
                let _ = self.sockets[sock].tx.send(Out::Text(frame));
            }
        }
        self.dispatched.push((t.to_string(), d));
        Some(s)
    }

    fn bump_channel(&mut self, channel: &str, message: &str) {
        if let Some(ci) = self.find_chan(channel) {
            let c = &mut self.channels[ci];
            c.last_message_id = Some(message.to_string());
            if c.is_thread() && c.starter.as_deref() != Some(message) {
                c.message_count += 1;
            }
        }
    }

    fn thread_position(&self, channel: &str) -> Option<u64> {
        let ci = self.find_chan(channel)?;
        if !self.channels[ci].is_thread() {
            return None;
        }
        Some(
            self.messages
                .iter()
                .filter(|m| m.p.channel == channel)
                .count() as u64,
        )
    }

    /// A person's message, stored and dispatched; returns its id.
    fn user_post(
        &mut self,
        channel: &str,
        user: &str,
        text: &str,
        attachment: Option<(&str, Vec<u8>)>,
        id: Option<String>,
    ) -> String {
        self.touch_user(user);
        let id = id.unwrap_or_else(|| self.next_id());
        let mut attachments = Vec::new();
        let mut files = Vec::new();
        if let Some((name, bytes)) = attachment {
            let name = cdn_name(name);
            let name = name.as_str();
            let attachment_id = self.next_id();
            let content_type = guess_content_type(name);
            let size = bytes.len();
            let url = self.host(
                &format!("{channel}/{attachment_id}/{name}"),
                Some(content_type.clone()),
                bytes.clone(),
            );
            attachments.push(json!({"id": attachment_id, "filename": name, "size": size,
                "url": url, "proxy_url": url, "content_type": content_type}));
            files.push((name.to_string(), bytes));
        }
        let (mentions, mention_everyone) = mentions_in(text, None);
        for user in &mentions {
            self.touch_user(user);
        }
        let nonce = format!("{}", self.last_id + 7);
        let msg = Msg {
            p: Posted {
                id: id.clone(),
                channel: channel.to_string(),
                author: user.to_string(),
                author_bot: self.is_bot(user),
                content: text.to_string(),
                embeds: json!([]),
                components: json!([]),
                allowed_mentions: None,
                message_reference: None,
                nonce: Some(nonce.clone()),
                flags: 0,
                files,
                mentions,
                mention_everyone,
                edited: false,
                edits: Vec::new(),
                deleted: false,
                interaction: None,
            },
            kind: 0,
            nonce: Some(json!(nonce)),
            timestamp: now_iso(),
            edited_timestamp: None,
            attachments,
            webhook: false,
            position: self.thread_position(channel),
            created: Instant::now(),
        };
        self.messages.push(msg);
        self.bump_channel(channel, &id);
        let i = self.messages.len() - 1;
        let d = self.message_json(i, true);
        self.dispatch("MESSAGE_CREATE", d);
        id
    }

    fn interaction(
        &mut self,
        kind: u8,
        channel: &str,
        user: &str,
        data: Value,
        message: Option<String>,
        permissions: u64,
    ) -> String {
        self.touch_user(user);
        let id = self.next_id();
        let token = format!(
            "aW50ZXJhY3Rpb246{id}OmZha2U.{}",
            self.hash_hex("interaction")
        );
        let ci = self.find_chan(channel).unwrap_or_default();
        let mut v = json!({"id": id, "application_id": FakeDiscord::APP_ID, "type": kind,
            "data": data, "channel_id": channel,
            "channel": self.interaction_channel_json(ci, permissions), "token": token,
            "version": 1, "locale": "en-US", "app_permissions": BOT_PERMISSIONS.to_string(),
            "entitlements": [], "attachment_size_limit": ATTACHMENT_SIZE_LIMIT});
        if let Some(message) = &message {
            if let Some(mi) = self.find_msg(channel, message) {
                v["message"] = self.message_json(mi, false);
            }
        }
        match self.guild_of(channel) {
            Some(guild) => {
                v["guild_id"] = json!(guild);
                v["guild_locale"] = json!("en-US");
                v["member"] = self.member_json(user, Some(permissions));
                v["authorizing_integration_owners"] = json!({"0": guild});
                v["context"] = json!(0);
            }
            None => {
                v["user"] = self.user_json(user);
                v["authorizing_integration_owners"] = json!({"0": "0"});
                v["context"] = json!(1);
            }
        }
        self.interactions.push(Inter {
            id: id.clone(),
            token,
            kind,
            channel: channel.to_string(),
            message,
            user: user.to_string(),
            at: Instant::now(),
            callbacks: Vec::new(),
            original: None,
            deferred: false,
            followups: Vec::new(),
        });
        self.dispatch("INTERACTION_CREATE", v);
        id
    }
}

fn required_intent(t: &str, d: &Value) -> u64 {
    match t {
        "GUILD_CREATE"
        | "GUILD_UPDATE"
        | "GUILD_DELETE"
        | "CHANNEL_CREATE"
        | "CHANNEL_UPDATE"
        | "CHANNEL_DELETE"
        | "THREAD_CREATE"
        | "THREAD_UPDATE"
        | "THREAD_DELETE"
        | "THREAD_LIST_SYNC"
        | "THREAD_MEMBER_UPDATE" => INTENT_GUILDS,
        "MESSAGE_CREATE" | "MESSAGE_UPDATE" | "MESSAGE_DELETE" => {
            if d.get("guild_id").is_some() {
                INTENT_GUILD_MESSAGES
            } else {
                INTENT_DIRECT_MESSAGES
            }
        }
        _ => 0,
    }
}

/// Discord sends content without the intent for DMs, the bot's own messages and messages
/// mentioning the bot.
fn content_exempt(d: &Value) -> bool {
    let bot = FakeDiscord::BOT_USER;
    let mentioned = d["mentions"]
        .as_array()
        .is_some_and(|m| m.iter().any(|u| u["id"] == bot));
    d.get("guild_id").is_none() || d["author"]["id"] == bot || mentioned
}

fn blank_content(d: &mut Value) {
    for (k, v) in [
        ("content", json!("")),
        ("embeds", json!([])),
        ("attachments", json!([])),
        ("components", json!([])),
    ] {
        if d.get(k).is_some() {
            d[k] = v;
        }
    }
    if let Some(obj) = d.as_object_mut() {
        obj.remove("poll");
    }
}

/// The users `<@id>`/`<@!id>` in `text` mentions and whether it pings `@everyone`/`@here`,
/// after `allowed_mentions` (all allowed without one).
fn mentions_in(text: &str, allowed: Option<&Value>) -> (Vec<String>, bool) {
    let mut users = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        let after = rest[start + 2..].trim_start_matches('!');
        let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() && after[digits.len()..].starts_with('>') && !users.contains(&digits)
        {
            users.push(digits);
        }
        rest = &rest[start + 2..];
    }
    let everyone = text.contains("@everyone") || text.contains("@here");
    let Some(allowed) = allowed.filter(|a| a.is_object()) else {
        return (users, everyone);
    };
    let parse: Vec<&str> = allowed["parse"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let listed: Vec<&str> = allowed["users"]
        .as_array()
        .map(|u| u.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !parse.contains(&"users") {
        users.retain(|u| listed.contains(&u.as_str()));
    }
    (users, everyone && parse.contains(&"everyone"))
}

fn find_component(rows: &Value, custom_id: &str) -> Option<Value> {
    let rows = rows.as_array()?;
    rows.iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|c| c["custom_id"] == custom_id)
}

/// A file name as Discord stores it: spaces and characters outside `[A-Za-z0-9._-]` become
/// `_`.
fn cdn_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "unknown".to_string()
    } else {
        clean
    }
}

fn guess_content_type(name: &str) -> String {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "txt" | "log" | "md" => "text/plain; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/octet-stream",
    }
    .to_string()
}

// ---- REST ------------------------------------------------------------------------------------

fn fail(status: u16, code: u64, message: &str) -> Fail {
    (status, json!({"message": message, "code": code}))
}

fn unknown_channel() -> Fail {
    fail(404, 10003, "Unknown Channel")
}

fn unknown_message() -> Fail {
    fail(404, 10008, "Unknown Message")
}

/// 400 Invalid Form Body with one error at `field` (dot-separated path, "" for the root).
fn invalid_form(field: &str, code: &str, message: &str) -> Fail {
    let mut errors = json!({"_errors": [{"code": code, "message": message}]});
    for key in field.rsplit('.').filter(|k| !k.is_empty()) {
        let mut outer = Map::new();
        outer.insert(key.to_string(), errors);
        errors = Value::Object(outer);
    }
    (
        400,
        json!({"code": 50035, "message": "Invalid Form Body", "errors": errors}),
    )
}

fn ok(v: Value) -> Answer {
    Ok((200, Some(v)))
}

fn no_content() -> Answer {
    Ok((204, None))
}

fn is_true(v: &Value) -> bool {
    v == &json!(true)
}

fn query_param<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

fn nonce_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text_len(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// Discord's limits on message content, embeds and components.
fn check_message(body: &Value, files: usize, prefix: &str, allow_empty: bool) -> Result<(), Fail> {
    let field = |f: &str| format!("{prefix}{f}");
    if text_len(&body["content"]) > 2000 {
        return Err(invalid_form(
            &field("content"),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 2000 or fewer in length.",
        ));
    }
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if embeds.len() > 10 {
        return Err(invalid_form(
            &field("embeds"),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        ));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let limits = [
            ("title", 256),
            ("description", 4096),
            ("footer.text", 2048),
            ("author.name", 256),
        ];
        for (key, max) in limits {
            let value = key.split('.').fold(e, |v, k| &v[k]);
            total += text_len(value);
            if text_len(value) > max {
                return Err(invalid_form(
                    &field(&format!("embeds.{i}.{key}")),
                    "BASE_TYPE_MAX_LENGTH",
                    &format!("Must be {max} or fewer in length."),
                ));
            }
        }
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > 25 {
            return Err(invalid_form(
                &field(&format!("embeds.{i}.fields")),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            ));
        }
        for (j, f) in fields.iter().enumerate() {
            total += text_len(&f["name"]) + text_len(&f["value"]);
            for (key, max) in [("name", 256), ("value", 1024)] {
                if text_len(&f[key]) > max || f[key].as_str().is_none_or(str::is_empty) {
                    return Err(invalid_form(
                        &field(&format!("embeds.{i}.fields.{j}.{key}")),
                        "BASE_TYPE_BAD_LENGTH",
                        &format!("Must be between 1 and {max} in length."),
                    ));
                }
            }
        }
    }
    if total > 6000 {
        return Err(invalid_form(
            &field("embeds"),
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    let rows = body["components"].as_array().cloned().unwrap_or_default();
    if rows.len() > 5 {
        return Err(invalid_form(
            &field("components"),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 5 or fewer in length.",
        ));
    }
    let mut custom_ids = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let items = row["components"].as_array().cloned().unwrap_or_default();
        if row["type"] != 1 || items.is_empty() || items.len() > 5 {
            return Err(invalid_form(
                &field(&format!("components.{i}.components")),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            ));
        }
        for (j, c) in items.iter().enumerate() {
            if let Some(id) = c["custom_id"].as_str() {
                if id.is_empty() || id.chars().count() > 100 {
                    return Err(invalid_form(
                        &field(&format!("components.{i}.components.{j}.custom_id")),
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 100 in length.",
                    ));
                }
                if !custom_ids.insert(id.to_string()) {
                    return Err(invalid_form(
                        &field(&format!("components.{i}.components.{j}.custom_id")),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    ));
                }
            }
            if text_len(&c["label"]) > 80 {
                return Err(invalid_form(
                    &field(&format!("components.{i}.components.{j}.label")),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 80 or fewer in length.",
                ));
            }
        }
    }
    let content_empty = body["content"].as_str().is_none_or(str::is_empty);
    let stickers = body["sticker_ids"]
        .as_array()
        .is_some_and(|s| !s.is_empty());
    if !allow_empty
        && content_empty
        && embeds.is_empty()
        && rows.is_empty()
        && files == 0
        && !stickers
        && body["poll"].is_null()
    {
        return Err(fail(400, 50006, "Cannot send an empty message"));
    }
    Ok(())
}

fn normalize_embeds(v: &Value) -> Value {
    let mut embeds = v.as_array().cloned().unwrap_or_default();
    for e in &mut embeds {
        if e.get("type").is_none() {
            e["type"] = json!("rich");
        }
        if let Some(fields) = e.get_mut("fields").and_then(Value::as_array_mut) {
            for f in fields {
                if f.get("inline").is_none() {
                    f["inline"] = json!(false);
                }
            }
        }
    }
    Value::Array(embeds)
}

impl FakeState {
    fn take_failure(&mut self, method: &str, path: &str) -> Option<Failure> {
        let i = self.failures.iter().position(|f| {
            (f.method.is_empty() || f.method == method) && path.starts_with(&f.prefix)
        })?;
        self.failures.remove(i)
    }

    fn answer(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        body: &Value,
        files: &[Upload],
    ) -> Answer {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        if let ["channels", id, ..] = segs.as_slice() {
            if self.hidden.contains(*id) {
                return Err(fail(403, 50001, "Missing Access"));
            }
        }
        match (method, segs.as_slice()) {
            ("GET", ["gateway"]) => ok(json!({"url": self.gateway_url()})),
            ("GET", ["gateway", "bot"]) => ok(json!({"url": self.gateway_url(), "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999,
                    "reset_after": 14_400_000, "max_concurrency": 1}})),
            ("GET", ["users", "@me"]) => ok(self.bot_user_json()),
            ("GET", ["users", id]) => {
                if *id == FakeDiscord::BOT_USER || self.users.contains_key(*id) {
                    ok(self.user_json(id))
                } else {
                    Err(fail(404, 10013, "Unknown User"))
                }
            }
            ("POST", ["users", "@me", "channels"]) => self.open_dm(body),
            ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => {
                ok(self.application_json())
            }
            ("GET", ["channels", id]) => {
                let ci = self.find_chan(id).ok_or_else(unknown_channel)?;
                ok(self.channel_json(ci))
            }
            ("PATCH", ["channels", id]) => self.patch_channel(id, body),
            ("GET", ["channels", id, "messages"]) => self.list_messages(id, query),
            ("POST", ["channels", id, "messages"]) => self.create_message(id, body, files),
            ("GET", ["channels", id, "messages", mid]) => {
                self.find_chan(id).ok_or_else(unknown_channel)?;
                let mi = self.find_msg(id, mid).ok_or_else(unknown_message)?;
                ok(self.rest_message(mi))
            }
            ("PATCH", ["channels", id, "messages", mid]) => self.edit_message(id, mid, body, files),
            ("DELETE", ["channels", id, "messages", mid]) => self.delete_message(id, mid),
            ("POST", ["channels", id, "messages", mid, "threads"]) => {
                self.thread_from_message(id, mid, body)
            }
            ("POST", ["channels", id, "threads"]) => self.create_thread(id, body, files),
            ("PUT" | "DELETE", ["channels", id, "thread-members", user]) => {
                self.thread_member(method, id, user)
            }
            ("POST", ["channels", id, "typing"]) => {
                self.find_chan(id).ok_or_else(unknown_channel)?;
                no_content()
            }
            ("PUT" | "DELETE", ["channels", id, "messages", mid, "reactions", _, "@me"]) => {
                self.find_chan(id).ok_or_else(unknown_channel)?;
                self.find_msg(id, mid).ok_or_else(unknown_message)?;
                no_content()
            }
            ("PUT", ["applications", app, "guilds", guild, "commands"]) => {
                self.put_commands(app, Some(guild), body)
            }
            ("GET", ["applications", app, "guilds", guild, "commands"]) => {
                self.check_app(app, Some(guild))?;
                ok(json!(self.guild_commands))
            }
            ("PUT", ["applications", app, "commands"]) => self.put_commands(app, None, body),
            ("GET", ["applications", app, "commands"]) => {
                self.check_app(app, None)?;
                ok(json!(self.global_commands))
            }
            ("POST", ["interactions", id, token, "callback"]) => {
                self.callback(id, token, body, files)
            }
            ("POST", ["webhooks", app, token]) => self.followup(app, token, body, files),
            (_, ["webhooks", app, token, "messages", mid]) => {
                self.webhook_message(method, app, token, mid, body, files)
            }
            ("GET", ["guilds", guild]) if *guild == FakeDiscord::GUILD => {
                let mut g = self.guild_json();
                if let Some(obj) = g.as_object_mut() {
                    for k in [
                        "channels",
                        "threads",
                        "members",
                        "voice_states",
                        "presences",
                    ] {
                        obj.remove(k);
                    }
                }
                ok(g)
            }
            ("GET", ["guilds", guild, "channels"]) if *guild == FakeDiscord::GUILD => {
                let channels: Vec<Value> = (0..self.channels.len())
                    .filter(|&i| matches!(self.channels[i].kind, 0 | 5 | 15))
                    .map(|i| self.channel_json(i))
                    .collect();
                ok(json!(channels))
            }
            ("GET", ["guilds", guild, "members", user]) if *guild == FakeDiscord::GUILD => {
                if *user == FakeDiscord::BOT_USER || self.users.contains_key(*user) {
                    ok(self.member_json(user, None))
                } else {
                    Err(fail(404, 10007, "Unknown Member"))
                }
            }
            ("GET", ["guilds", ..]) => Err(fail(403, 50001, "Missing Access")),
            _ => Err(fail(404, 0, "404: Not Found")),
        }
    }

    /// A message as REST returns it: no `guild_id`/`member`, content blanked when the
    /// application lacks the message content intent.
    fn rest_message(&self, i: usize) -> Value {
        let mut v = self.message_json(i, false);
        let content_flags = APP_FLAG_MESSAGE_CONTENT | APP_FLAG_MESSAGE_CONTENT_LIMITED;
        let in_guild = self.guild_of(&self.messages[i].p.channel).is_some();
        if self.app_flags & content_flags == 0 && in_guild {
            let mut probe = v.clone();
            probe["guild_id"] = json!(FakeDiscord::GUILD);
            if !content_exempt(&probe) {
                blank_content(&mut v);
            }
        }
        v
    }

    fn open_dm(&mut self, body: &Value) -> Answer {
        let Some(user) = body["recipient_id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| body["recipient_id"].as_u64().map(|n| n.to_string()))
        else {
            return Err(invalid_form(
                "recipient_id",
                "BASE_TYPE_REQUIRED",
                "This field is required",
            ));
        };
        if !self.users.contains_key(&user) {
            return Err(fail(400, 50033, "Invalid Recipient(s)"));
        }
        if self.is_bot(&user) {
            return Err(fail(400, 50007, "Cannot send messages to this user"));
        }
        let id = self.dm_channel(&user);
        let ci = self.find_chan(&id).ok_or_else(unknown_channel)?;
        ok(self.channel_json(ci))
    }

    fn check_reference(&self, channel: &str, body: &Value) -> Result<Option<Value>, Fail> {
        let reference = &body["message_reference"];
        if !reference.is_object() {
            return Ok(None);
        }
        let target = nonce_string(&reference["message_id"]).unwrap_or_default();
        let in_channel = reference["channel_id"]
            .as_str()
            .unwrap_or(channel)
            .to_string();
        let forward = reference["type"] == 1;
        if self.find_msg(&in_channel, &target).is_none()
            && reference["fail_if_not_exists"] != false
            && !forward
        {
            return Err(invalid_form(
                "message_reference",
                "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                "Unknown message",
            ));
        }
        let mut stored = json!({"type": if forward { 1 } else { 0 }, "channel_id": in_channel,
            "message_id": target});
        if let Some(guild) = self.guild_of(&in_channel) {
            stored["guild_id"] = json!(guild);
        }
        Ok(Some(stored))
    }

    /// Stores the bot's uploads of a request as attachments of a message in `channel`.
    fn store_uploads(&mut self, channel: &str, body: &Value, files: &[Upload]) -> Vec<Value> {
        let described = body["attachments"].as_array().cloned().unwrap_or_default();
        let mut out = Vec::new();
        for upload in files {
            let index = upload
                .field
                .strip_prefix("files[")
                .and_then(|r| r.strip_suffix(']'))
                .unwrap_or("0")
                .to_string();
            let meta = described
                .iter()
                .find(|a| nonce_string(&a["id"]).as_deref() == Some(index.as_str()));
            let filename = cdn_name(
                meta.and_then(|m| m["filename"].as_str())
                    .unwrap_or(&upload.filename),
            );
            let id = self.next_id();
            let content_type = upload
                .content_type
                .clone()
                .unwrap_or_else(|| guess_content_type(&filename));
            let url = self.host(
                &format!("{channel}/{id}/{filename}"),
                Some(content_type.clone()),
                upload.bytes.clone(),
            );
            let mut a = json!({"id": id, "filename": filename, "size": upload.bytes.len(),
                "url": url, "proxy_url": url, "content_type": content_type});
            if let Some(description) = meta.and_then(|m| m["description"].as_str()) {
                a["description"] = json!(description);
            }
            out.push(a);
        }
        out
    }

    /// A message of the bot from a request body; returns its index.
    #[allow(clippy::too_many_arguments)]
    fn bot_message(
        &mut self,
        channel: &str,
        id: Option<String>,
        body: &Value,
        files: &[Upload],
        reference: Option<Value>,
        webhook: bool,
        interaction: Option<String>,
    ) -> usize {
        let id = id.unwrap_or_else(|| self.next_id());
        let attachments = self.store_uploads(channel, body, files);
        let content = body["content"].as_str().unwrap_or("").to_string();
        let allowed = body.get("allowed_mentions").filter(|a| a.is_object());
        let (mentions, mention_everyone) = mentions_in(&content, allowed);
        let kind = match (&reference, &interaction) {
            (Some(r), _) if r["type"] == 0 => 19,
            (_, Some(i)) if self.interactions.iter().any(|x| &x.id == i && x.kind == 2) => 20,
            _ => 0,
        };
        let components = match &body["components"] {
            Value::Array(_) => body["components"].clone(),
            _ => json!([]),
        };
        let msg = Msg {
            p: Posted {
                id: id.clone(),
                channel: channel.to_string(),
                author: FakeDiscord::BOT_USER.to_string(),
                author_bot: true,
                content,
                embeds: normalize_embeds(&body["embeds"]),
                components,
                allowed_mentions: allowed.cloned(),
                message_reference: reference,
                nonce: nonce_string(&body["nonce"]),
                flags: body["flags"].as_u64().unwrap_or(0),
                files: files
                    .iter()
                    .map(|f| (f.filename.clone(), f.bytes.clone()))
                    .collect(),
                mentions,
                mention_everyone,
                edited: false,
                edits: Vec::new(),
                deleted: false,
                interaction,
            },
            kind,
            nonce: body.get("nonce").filter(|n| !n.is_null()).cloned(),
            timestamp: now_iso(),
            edited_timestamp: None,
            attachments,
            webhook,
            position: self.thread_position(channel),
            created: Instant::now(),
        };
        self.messages.push(msg);
        self.bump_channel(channel, &id);
        self.messages.len() - 1
    }

    /// Applies an edit body (PATCH, or an UPDATE_MESSAGE callback's data) to message `i`.
    fn apply_edit(&mut self, i: usize, body: &Value, files: &[Upload]) {
        let channel = self.messages[i].p.channel.clone();
        let new_attachments = self.store_uploads(&channel, body, files);
        let m = &mut self.messages[i];
        let was_loading = m.p.flags & FLAG_LOADING != 0;
        if let Some(content) = body.get("content") {
            m.p.content = content.as_str().unwrap_or("").to_string();
        }
        if let Some(embeds) = body.get("embeds") {
            m.p.embeds = normalize_embeds(embeds);
        }
        if let Some(components) = body.get("components") {
            m.p.components = if components.is_array() {
                components.clone()
            } else {
                json!([])
            };
        }
        if let Some(allowed) = body.get("allowed_mentions").filter(|a| a.is_object()) {
            m.p.allowed_mentions = Some(allowed.clone());
        }
        if let Some(flags) = body["flags"].as_u64() {
            m.p.flags = (m.p.flags & !FLAG_SUPPRESS_EMBEDS) | (flags & FLAG_SUPPRESS_EMBEDS);
        }
        if let Some(keep) = body["attachments"].as_array() {
            let keep: Vec<String> = keep.iter().filter_map(|a| nonce_string(&a["id"])).collect();
            m.attachments
                .retain(|a| keep.iter().any(|k| a["id"].as_str() == Some(k)));
        }
        m.attachments.extend(new_attachments);
        m.p.files
            .extend(files.iter().map(|f| (f.filename.clone(), f.bytes.clone())));
        let (mentions, everyone) = mentions_in(&m.p.content, m.p.allowed_mentions.as_ref());
        m.p.mentions = mentions;
        m.p.mention_everyone = everyone;
        m.p.flags &= !FLAG_LOADING;
        m.p.edits.push(body.clone());
        if !was_loading {
            m.p.edited = true;
            m.edited_timestamp = Some(now_iso());
        }
    }

    fn create_message(&mut self, channel: &str, body: &Value, files: &[Upload]) -> Answer {
        let ci = self.find_chan(channel).ok_or_else(unknown_channel)?;
        let c = &mut self.channels[ci];
        match c.kind {
            15 => {
                return Err(fail(
                    400,
                    50008,
                    "Cannot send messages in a non-text channel",
                ))
            }
            1 if c
                .recipient
                .as_ref()
                .is_some_and(|r| self.closed_dms.contains(r)) =>
            {
                return Err(fail(403, 50007, "Cannot send messages to this user"))
            }
            11 | 12 if c.archived && c.locked => {
                return Err(fail(
                    400,
                    50083,
                    "Operation cannot be performed on an archived thread",
                ))
            }
            11 | 12 if c.archived => {
                c.archived = false;
                c.archive_timestamp = Some(now_iso());
            }
            _ => {}
        }
        check_message(body, files.len(), "", false)?;
        if is_true(&body["enforce_nonce"]) {
            if let Some(nonce) = nonce_string(&body["nonce"]) {
                let earlier = self.messages.iter().position(|m| {
                    m.p.channel == channel
                        && m.p.author == FakeDiscord::BOT_USER
                        && m.p.nonce.as_deref() == Some(nonce.as_str())
                        && m.created.elapsed() < NONCE_WINDOW
                        && !m.p.deleted
                });
                if let Some(i) = earlier {
                    return ok(self.rest_message(i));
                }
            }
        }
        let reference = self.check_reference(channel, body)?;
        let i = self.bot_message(channel, None, body, files, reference, false, None);
        let d = self.message_json(i, true);
        self.dispatch("MESSAGE_CREATE", d);
        ok(self.rest_message(i))
    }

    fn edit_message(&mut self, channel: &str, id: &str, body: &Value, files: &[Upload]) -> Answer {
        self.find_chan(channel).ok_or_else(unknown_channel)?;
        let i = self.find_msg(channel, id).ok_or_else(unknown_message)?;
        if self.messages[i].p.author != FakeDiscord::BOT_USER {
            return Err(fail(
                403,
                50005,
                "Cannot edit a message authored by another user",
            ));
        }
        check_message(body, files.len(), "", true)?;
        self.apply_edit(i, body, files);
        let d = self.message_json(i, true);
        self.dispatch("MESSAGE_UPDATE", d);
        ok(self.rest_message(i))
    }

    fn delete_message(&mut self, channel: &str, id: &str) -> Answer {
        let ci = self.find_chan(channel).ok_or_else(unknown_channel)?;
        let i = self.find_msg(channel, id).ok_or_else(unknown_message)?;
        if self.channels[ci].kind == 1 && self.messages[i].p.author != FakeDiscord::BOT_USER {
            return Err(fail(403, 50003, "Cannot execute action on a DM channel"));
        }
        self.messages[i].p.deleted = true;
        let d = self.delete_json(channel, id);
        self.dispatch("MESSAGE_DELETE", d);
        no_content()
    }

    fn list_messages(&mut self, channel: &str, query: &str) -> Answer {
        let ci = self.find_chan(channel).ok_or_else(unknown_channel)?;
        if self.channels[ci].kind == 15 {
            return Err(fail(
                400,
                50024,
                "Cannot execute action on this channel type",
            ));
        }
        let limit = match query_param(query, "limit") {
            None => 50,
            Some(l) => match l.parse::<usize>() {
                Ok(n @ 1..=100) => n,
                _ => {
                    return Err(invalid_form(
                        "limit",
                        "NUMBER_TYPE_MAX",
                        "int value should be less than or equal to 100.",
                    ))
                }
            },
        };
        let id_of = |m: &Msg| m.p.id.parse::<u64>().unwrap_or(0);
        let mut live: Vec<usize> = (0..self.messages.len())
            .filter(|&i| {
                let m = &self.messages[i];
                m.p.channel == channel && !m.p.deleted && m.p.flags & FLAG_EPHEMERAL == 0
            })
            .collect();
        live.sort_by_key(|&i| id_of(&self.messages[i]));
        let parse = |key: &str| query_param(query, key).and_then(|v| v.parse::<u64>().ok());
        let picked: Vec<usize> = if let Some(after) = parse("after") {
            let mut v: Vec<usize> = live
                .into_iter()
                .filter(|&i| id_of(&self.messages[i]) > after)
                .take(limit)
                .collect();
            v.reverse();
            v
        } else if let Some(before) = parse("before") {
            live.into_iter()
                .rev()
                .filter(|&i| id_of(&self.messages[i]) < before)
                .take(limit)
                .collect()
        } else if let Some(around) = parse("around") {
            let pos = live
                .iter()
                .position(|&i| id_of(&self.messages[i]) >= around)
                .unwrap_or(live.len());
            let start = pos.saturating_sub(limit / 2);
            let mut v: Vec<usize> = live.into_iter().skip(start).take(limit).collect();
            v.reverse();
            v
        } else {
            live.into_iter().rev().take(limit).collect()
        };
        let out: Vec<Value> = picked.into_iter().map(|i| self.rest_message(i)).collect();
        ok(json!(out))
    }

    fn check_thread_name(name: &Value, field: &str) -> Result<String, Fail> {
        let name = name.as_str().unwrap_or("").trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(invalid_form(
                field,
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
        Ok(name)
    }

    fn check_tags(&self, forum: &str, tags: &Value) -> Result<Vec<String>, Fail> {
        let Some(tags) = tags.as_array() else {
            return Ok(Vec::new());
        };
        let available = self
            .find_chan(forum)
            .map(|ci| self.channels[ci].available_tags.clone())
            .unwrap_or_default();
        if tags.len() > 5 {
            return Err(invalid_form(
                "applied_tags",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 5 or fewer in length.",
            ));
        }
        let mut out = Vec::new();
        for (i, tag) in tags.iter().enumerate() {
            let id = nonce_string(tag).unwrap_or_default();
            if !available.iter().any(|(t, _)| *t == id) {
                return Err(invalid_form(
                    &format!("applied_tags.{i}"),
                    "CHANNEL_TAG_INVALID",
                    "Tag is not available in the parent forum",
                ));
            }
            out.push(id);
        }
        Ok(out)
    }

    fn auto_archive(body: &Value, default: u64) -> Result<u64, Fail> {
        match body["auto_archive_duration"].as_u64() {
            None => Ok(default),
            Some(d @ (60 | 1440 | 4320 | 10080)) => Ok(d),
            Some(_) => Err(invalid_form(
                "auto_archive_duration",
                "BASE_TYPE_CHOICES",
                "Value must be one of {60, 1440, 4320, 10080}.",
            )),
        }
    }

    fn new_thread(&mut self, id: &str, kind: u8, parent: &str, name: String) -> usize {
        let mut chan = Chan::new(id, kind, &name, now_iso());
        chan.parent = Some(parent.to_string());
        chan.owner = Some(FakeDiscord::BOT_USER.to_string());
        chan.members = vec![FakeDiscord::BOT_USER.to_string()];
        self.channels.push(chan);
        self.channels.len() - 1
    }

    fn announce_thread(&mut self, ti: usize) {
        let mut d = self.thread_with_member(ti);
        d["newly_created"] = json!(true);
        self.dispatch("THREAD_CREATE", d);
    }

    fn thread_from_message(&mut self, channel: &str, mid: &str, body: &Value) -> Answer {
        let ci = self.find_chan(channel).ok_or_else(unknown_channel)?;
        if !matches!(self.channels[ci].kind, 0 | 5) {
            return Err(fail(
                400,
                50024,
                "Cannot execute action on this channel type",
            ));
        }
        self.find_msg(channel, mid).ok_or_else(unknown_message)?;
        if self.find_chan(mid).is_some() {
            return Err(fail(
                400,
                160004,
                "A thread has already been created for this message",
            ));
        }
        let name = Self::check_thread_name(&body["name"], "name")?;
        let archive = Self::auto_archive(body, 4320)?;
        let ti = self.new_thread(mid, 11, channel, name);
        self.channels[ti].starter = Some(mid.to_string());
        self.channels[ti].auto_archive = archive;
        self.announce_thread(ti);
        ok(self.thread_with_member(ti))
    }

    fn create_thread(&mut self, channel: &str, body: &Value, files: &[Upload]) -> Answer {
        let ci = self.find_chan(channel).ok_or_else(unknown_channel)?;
        match self.channels[ci].kind {
            15 => {
                let name = Self::check_thread_name(&body["name"], "name")?;
                let message = &body["message"];
                if !message.is_object() {
                    return Err(invalid_form(
                        "message",
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    ));
                }
                check_message(message, files.len(), "message.", false)?;
                let tags = self.check_tags(channel, &body["applied_tags"])?;
                let archive = Self::auto_archive(body, 4320)?;
                let id = self.next_id();
                let ti = self.new_thread(&id, 11, channel, name);
                self.channels[ti].starter = Some(id.clone());
                self.channels[ti].applied_tags = tags;
                self.channels[ti].auto_archive = archive;
                self.announce_thread(ti);
                let mi = self.bot_message(&id, Some(id.clone()), message, files, None, false, None);
                let d = self.message_json(mi, true);
                self.dispatch("MESSAGE_CREATE", d);
                let mut v = self.thread_with_member(ti);
                v["message"] = self.rest_message(mi);
                ok(v)
            }
            0 | 5 => {
                let name = Self::check_thread_name(&body["name"], "name")?;
                let kind = match body["type"].as_u64() {
                    None | Some(12) => 12,
                    Some(11) => 11,
                    Some(_) => {
                        return Err(invalid_form(
                            "type",
                            "BASE_TYPE_CHOICES",
                            "Value must be one of {11, 12}.",
                        ))
                    }
                };
                let archive = Self::auto_archive(body, 4320)?;
                let id = self.next_id();
                let ti = self.new_thread(&id, kind, channel, name);
                self.channels[ti].auto_archive = archive;
                self.channels[ti].invitable = body["invitable"] != false;
                self.announce_thread(ti);
                ok(self.thread_with_member(ti))
            }
            _ => Err(fail(
                400,
                50024,
                "Cannot execute action on this channel type",
            )),
        }
    }

    fn thread_member(&mut self, method: &str, thread: &str, user: &str) -> Answer {
        let ti = self.find_chan(thread).ok_or_else(unknown_channel)?;
        if !self.channels[ti].is_thread() {
            return Err(fail(
                400,
                50024,
                "Cannot execute action on this channel type",
            ));
        }
        if self.channels[ti].archived {
            return Err(fail(
                400,
                50083,
                "Operation cannot be performed on an archived thread",
            ));
        }
        let user = if user == "@me" {
            FakeDiscord::BOT_USER
        } else {
            user
        };
        if user != FakeDiscord::BOT_USER && !self.users.contains_key(user) {
            return Err(fail(404, 10013, "Unknown User"));
        }
        let members = &mut self.channels[ti].members;
        if method == "PUT" {
            if !members.iter().any(|m| m == user) {
                members.push(user.to_string());
            }
        } else {
            members.retain(|m| m != user);
        }
        no_content()
    }

    fn patch_channel(&mut self, id: &str, body: &Value) -> Answer {
        let ci = self.find_chan(id).ok_or_else(unknown_channel)?;
        let kind = self.channels[ci].kind;
        if kind == 1 {
            return Err(fail(
                400,
                50024,
                "Cannot execute action on this channel type",
            ));
        }
        let name = match body.get("name") {
            Some(name) => Some(Self::check_thread_name(name, "name")?),
            None => None,
        };
        if !self.channels[ci].is_thread() {
            let c = &mut self.channels[ci];
            if let Some(name) = name {
                c.name = name;
            }
            if let Some(topic) = body.get("topic") {
                c.topic = topic.as_str().map(str::to_string);
            }
            let d = self.channel_json(ci);
            self.dispatch("CHANNEL_UPDATE", d);
            return ok(self.channel_json(ci));
        }
        let parent = self.channels[ci].parent.clone().unwrap_or_default();
        let tags = match body.get("applied_tags") {
            Some(tags) => Some(self.check_tags(&parent, tags)?),
            None => None,
        };
        let archive = Self::auto_archive(body, self.channels[ci].auto_archive)?;
        let c = &mut self.channels[ci];
        if c.archived && c.locked && body["archived"] != false {
            return Err(fail(
                400,
                50083,
                "Operation cannot be performed on an archived thread",
            ));
        }
        if let Some(name) = name {
            c.name = name;
        }
        if let Some(tags) = tags {
            c.applied_tags = tags;
        }
        c.auto_archive = archive;
        if let Some(archived) = body["archived"].as_bool() {
            if archived != c.archived {
                c.archive_timestamp = Some(now_iso());
            }
            c.archived = archived;
        }
        if let Some(locked) = body["locked"].as_bool() {
            c.locked = locked;
        }
        if let Some(invitable) = body["invitable"].as_bool() {
            c.invitable = invitable;
        }
        let d = self.channel_json(ci);
        self.dispatch("THREAD_UPDATE", d);
        ok(self.channel_json(ci))
    }

    fn check_app(&self, app: &str, guild: Option<&str>) -> Result<(), Fail> {
        if app != FakeDiscord::APP_ID || guild.is_some_and(|g| g != FakeDiscord::GUILD) {
            return Err(fail(403, 50001, "Missing Access"));
        }
        Ok(())
    }

    fn put_commands(&mut self, app: &str, guild: Option<&str>, body: &Value) -> Answer {
        self.check_app(app, guild)?;
        let Some(list) = body.as_array() else {
            return Err(invalid_form(
                "",
                "LIST_TYPE_CONVERT",
                "Only iterables may be used in a ListType",
            ));
        };
        if list.len() > 100 {
            return Err(invalid_form(
                "",
                "BASE_TYPE_MAX_LENGTH",
                "Must be 100 or fewer in length.",
            ));
        }
        let existing = if guild.is_some() {
            self.guild_commands.clone()
        } else {
            self.global_commands.clone()
        };
        let mut names = HashSet::new();
        let mut out = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let kind = c["type"].as_u64().unwrap_or(1);
            let name = c["name"].as_str().unwrap_or("");
            let valid_name = !name.is_empty()
                && name.chars().count() <= 32
                && (kind != 1
                    || name.chars().all(|ch| {
                        ch == '-' || ch == '_' || (ch.is_alphanumeric() && !ch.is_uppercase())
                    }));
            if !valid_name {
                return Err(invalid_form(
                    &format!("{i}.name"),
                    "APPLICATION_COMMAND_INVALID_NAME",
                    "Command name is invalid",
                ));
            }
            if !names.insert((kind, name.to_string())) {
                return Err(invalid_form(
                    &format!("{i}.name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                ));
            }
            let description = c["description"].as_str().unwrap_or("");
            let description_len = description.chars().count();
            if kind == 1 && !(1..=100).contains(&description_len) {
                return Err(invalid_form(
                    &format!("{i}.description"),
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 100 in length.",
                ));
            }
            let id = existing
                .iter()
                .find(|e| e["name"] == name && e["type"] == kind)
                .and_then(|e| e["id"].as_str().map(str::to_string))
                .unwrap_or_else(|| self.next_id());
            let version = self.next_id();
            let mut command = json!({"id": id, "application_id": FakeDiscord::APP_ID,
                "version": version, "type": kind, "name": name, "description": description,
                "options": c.get("options").cloned().unwrap_or(json!([])),
                "default_member_permissions": c.get("default_member_permissions").cloned().unwrap_or(Value::Null),
                "dm_permission": c.get("dm_permission").cloned().unwrap_or(json!(true)),
                "nsfw": c.get("nsfw").cloned().unwrap_or(json!(false)),
                "integration_types": c.get("integration_types").cloned().unwrap_or(json!([0])),
                "contexts": c.get("contexts").cloned().unwrap_or(Value::Null),
                "name_localizations": c.get("name_localizations").cloned().unwrap_or(Value::Null),
                "description_localizations": c.get("description_localizations").cloned().unwrap_or(Value::Null)});
            if let Some(guild) = guild {
                command["guild_id"] = json!(guild);
            }
            out.push(command);
        }
        if guild.is_some() {
            self.guild_commands = out.clone();
        } else {
            self.global_commands = out.clone();
        }
        ok(json!(out))
    }

    fn callback(&mut self, id: &str, token: &str, body: &Value, files: &[Upload]) -> Answer {
        let unknown = || fail(404, 10062, "Unknown interaction");
        let ii = self
            .interactions
            .iter()
            .position(|i| i.id == id && i.token == token)
            .ok_or_else(unknown)?;
        if self.interactions[ii].at.elapsed() > self.interaction_deadline {
            self.interactions[ii].callbacks.push(body.clone());
            return Err(unknown());
        }
        if !self.interactions[ii].callbacks.is_empty() {
            self.interactions[ii].callbacks.push(body.clone());
            return Err(fail(
                400,
                40060,
                "Interaction has already been acknowledged.",
            ));
        }
        let kind = body["type"].as_u64().unwrap_or(0);
        let is_component = self.interactions[ii].kind == 3;
        let data = &body["data"];
        let channel = self.interactions[ii].channel.clone();
        match kind {
            4 => {
                check_message(data, files.len(), "data.", false)?;
                let mut data = data.clone();
                data["flags"] = json!(data["flags"].as_u64().unwrap_or(0) & FLAG_EPHEMERAL);
                let i = self.bot_message(
                    &channel,
                    None,
                    &data,
                    files,
                    None,
                    true,
                    Some(id.to_string()),
                );
                self.interactions[ii].original = Some(self.messages[i].p.id.clone());
                self.announce_bot_message(i);
            }
            5 => {
                let flags = (data["flags"].as_u64().unwrap_or(0) & FLAG_EPHEMERAL) | FLAG_LOADING;
                let placeholder = json!({"content": "", "flags": flags});
                let i = self.bot_message(
                    &channel,
                    None,
                    &placeholder,
                    &[],
                    None,
                    true,
                    Some(id.to_string()),
                );
                self.interactions[ii].original = Some(self.messages[i].p.id.clone());
                self.interactions[ii].deferred = true;
                self.announce_bot_message(i);
            }
            6 | 7 if is_component => {
                let message = self.interactions[ii].message.clone().unwrap_or_default();
                let mi = self
                    .find_msg(&channel, &message)
                    .ok_or_else(unknown_message)?;
                if kind == 7 {
                    check_message(data, files.len(), "data.", true)?;
                    self.apply_edit(mi, data, files);
                    if self.messages[mi].p.flags & FLAG_EPHEMERAL == 0 {
                        let d = self.message_json(mi, true);
                        self.dispatch("MESSAGE_UPDATE", d);
                    }
                }
                self.interactions[ii].original = Some(message);
            }
            8 | 9 => {}
            _ => {
                return Err(invalid_form(
                    "type",
                    "INTERACTION_RESPONSE_TYPE_INVALID",
                    "Interaction response type is invalid for this interaction",
                ))
            }
        }
        self.interactions[ii].callbacks.push(body.clone());
        no_content()
    }

    fn announce_bot_message(&mut self, i: usize) {
        if self.messages[i].p.flags & FLAG_EPHEMERAL == 0 {
            let d = self.message_json(i, true);
            self.dispatch("MESSAGE_CREATE", d);
        }
    }

    fn find_token(&self, app: &str, token: &str) -> Result<usize, Fail> {
        if app != FakeDiscord::APP_ID {
            return Err(fail(404, 10015, "Unknown Webhook"));
        }
        self.interactions
            .iter()
            .position(|i| i.token == token)
            .ok_or_else(|| fail(401, 50027, "Invalid Webhook Token"))
    }

    fn followup(&mut self, app: &str, token: &str, body: &Value, files: &[Upload]) -> Answer {
        let ii = self.find_token(app, token)?;
        if self.interactions[ii].callbacks.is_empty() {
            return Err(fail(404, 10015, "Unknown Webhook"));
        }
        check_message(body, files.len(), "", false)?;
        let loading = self.interactions[ii]
            .original
            .as_ref()
            .and_then(|o| self.messages.iter().position(|m| &m.p.id == o))
            .filter(|&i| self.messages[i].p.flags & FLAG_LOADING != 0);
        let i = match (self.interactions[ii].deferred, loading) {
            (true, Some(i)) if self.interactions[ii].followups.is_empty() => {
                self.apply_edit(i, body, files);
                if self.messages[i].p.flags & FLAG_EPHEMERAL == 0 {
                    let d = self.message_json(i, true);
                    self.dispatch("MESSAGE_UPDATE", d);
                }
                i
            }
            _ => {
                let channel = self.interactions[ii].channel.clone();
                let mut data = body.clone();
                data["flags"] = json!(body["flags"].as_u64().unwrap_or(0) & FLAG_EPHEMERAL);
                let id = self.interactions[ii].id.clone();
                let i = self.bot_message(&channel, None, &data, files, None, true, Some(id));
                self.announce_bot_message(i);
                i
            }
        };
        let message = self.messages[i].p.id.clone();
        self.interactions[ii].followups.push(message);
        ok(self.rest_message(i))
    }

    fn webhook_message(
        &mut self,
        method: &str,
        app: &str,
        token: &str,
        mid: &str,
        body: &Value,
        files: &[Upload],
    ) -> Answer {
        let ii = self.find_token(app, token)?;
        let inter = &self.interactions[ii];
        let target = if mid == "@original" {
            inter.original.clone().ok_or_else(unknown_message)?
        } else if inter.original.as_deref() == Some(mid) || inter.followups.iter().any(|f| f == mid)
        {
            mid.to_string()
        } else {
            return Err(unknown_message());
        };
        let i = self
            .messages
            .iter()
            .position(|m| m.p.id == target && !m.p.deleted)
            .ok_or_else(unknown_message)?;
        let ephemeral = self.messages[i].p.flags & FLAG_EPHEMERAL != 0;
        match method {
            "GET" => ok(self.rest_message(i)),
            "PATCH" => {
                check_message(body, files.len(), "", true)?;
                self.apply_edit(i, body, files);
                if !ephemeral {
                    let d = self.message_json(i, true);
                    self.dispatch("MESSAGE_UPDATE", d);
                }
                ok(self.rest_message(i))
            }
            "DELETE" => {
                self.messages[i].p.deleted = true;
                if !ephemeral {
                    let channel = self.messages[i].p.channel.clone();
                    let d = self.delete_json(&channel, &target);
                    self.dispatch("MESSAGE_DELETE", d);
                }
                no_content()
            }
            _ => Err(fail(405, 0, "405: Method Not Allowed")),
        }
    }
}

async fn rest(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let method = method.as_str().to_ascii_uppercase();
    let full_path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let authorization = header_str(&headers, header::AUTHORIZATION.as_str());
    let (body_value, files, bad_json) = parse_body(&headers, &body);
    let mut st = lock(&state);
    let api_path = full_path.strip_prefix("/api/v10").map(str::to_string);
    let path = api_path.clone().unwrap_or_else(|| full_path.clone());
    let mut extra = Vec::new();
    let exempt = path.starts_with("/interactions/") || path.starts_with("/webhooks/");
    let answer = if api_path.is_none() {
        Err(fail(404, 0, "404: Not Found"))
    } else if path == "/gateway" {
        st.answer(&method, &path, &query, &body_value, &files)
    } else if authorization != format!("Bot {}", FakeDiscord::TOKEN)
        && !(exempt && authorization.is_empty())
    {
        Err(fail(401, 0, "401: Unauthorized"))
    } else if let Some(f) = st.take_failure(&method, &path) {
        extra = f.headers;
        Err((f.status, f.body))
    } else if bad_json {
        Err(fail(400, 50109, "The request body contains invalid JSON."))
    } else {
        st.answer(&method, &path, &query, &body_value, &files)
    };
    let (status, reply) = match answer {
        Ok((status, reply)) => {
            extra.extend([
                ("X-RateLimit-Limit".to_string(), "5".to_string()),
                ("X-RateLimit-Remaining".into(), "4".into()),
                ("X-RateLimit-Reset-After".into(), "1.000".into()),
                ("X-RateLimit-Bucket".into(), "fakebucket0001".into()),
            ]);
            (status, reply)
        }
        Err((status, reply)) => (status, Some(reply)),
    };
    st.requests.push(Recorded {
        method,
        path,
        query,
        body: body_value,
        files: files.into_iter().map(|f| (f.filename, f.bytes)).collect(),
        authorization,
        status,
        at,
    });
    drop(st);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match reply {
        Some(v) => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            v.to_string(),
        )
            .into_response(),
        None => status.into_response(),
    };
    for (k, v) in extra {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            response.headers_mut().insert(k, v);
        }
    }
    response
}

async fn attachment(State(state): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let key = uri
        .path()
        .strip_prefix("/attachments/")
        .unwrap_or_default()
        .to_string();
    let mut st = lock(&state);
    let found = st.hosted.get(&key).cloned();
    st.requests.push(Recorded {
        method: "GET".into(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or("").to_string(),
        body: Value::Null,
        files: Vec::new(),
        authorization: header_str(&headers, header::AUTHORIZATION.as_str()),
        status: if found.is_some() { 200 } else { 404 },
        at: Instant::now(),
    });
    match found {
        Some((content_type, bytes)) => {
            let content_type =
                content_type.unwrap_or_else(|| "application/octet-stream".to_string());
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type)],
                bytes,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The request body as JSON (multipart: `payload_json`, other text fields merged in) and the
/// uploaded files; the flag says a non-empty body was not valid JSON.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> (Value, Vec<Upload>, bool) {
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str());
    if content_type.starts_with("multipart/form-data") {
        let Some(parts) = parse_multipart(&content_type, body) else {
            return (Value::Null, Vec::new(), true);
        };
        let mut value = Value::Null;
        let mut fields = Map::new();
        let mut files = Vec::new();
        for part in parts {
            if part.name == "payload_json" {
                match serde_json::from_slice(&part.data) {
                    Ok(v) => value = v,
                    Err(_) => return (Value::Null, files, true),
                }
            } else if let Some(filename) = part.filename {
                files.push(Upload {
                    field: part.name,
                    filename,
                    content_type: part.content_type,
                    bytes: part.data,
                });
            } else {
                let text = String::from_utf8_lossy(&part.data).into_owned();
                fields.insert(part.name, Value::String(text));
            }
        }
        if !fields.is_empty() {
            if !value.is_object() {
                value = json!({});
            }
            if let Some(obj) = value.as_object_mut() {
                obj.extend(fields);
            }
        }
        return (value, files, false);
    }
    if body.is_empty() {
        return (Value::Null, Vec::new(), false);
    }
    match serde_json::from_slice(body) {
        Ok(v) => (v, Vec::new(), false),
        Err(_) => (Value::Null, Vec::new(), true),
    }
}

struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let mut pos = find(body, delimiter.as_bytes())? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = body.get(pos..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        let start = pos + 2;
        let head_end = start + find(body.get(start..)?, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&body[start..head_end]).into_owned();
        let data_start = head_end + 4;
        let data_end = data_start + find(body.get(data_start..)?, next_delimiter.as_bytes())?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: body[data_start..data_end].to_vec(),
        };
        for line in head.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                for param in value.split(';').map(str::trim) {
                    if let Some(v) = param.strip_prefix("name=") {
                        part.name = v.trim_matches('"').to_string();
                    } else if let Some(v) = param.strip_prefix("filename=") {
                        part.filename = Some(v.trim_matches('"').to_string());
                    }
                }
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_string());
            }
        }
        parts.push(part);
        pos = data_end + next_delimiter.len();
    }
}

// ---- gateway -------------------------------------------------------------------------------

async fn gateway(ws: WebSocketUpgrade, State(state): State<Shared>, uri: Uri) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    ws.on_upgrade(move |socket| run_gateway(socket, state, path, query))
}

async fn run_gateway(mut ws: WebSocket, state: Shared, path: String, query: String) {
    let (tx, mut rx) = unbounded_channel();
    let sock = {
        let mut st = lock(&state);
        st.sockets.push(Socket {
            tx: tx.clone(),
            open: true,
            path,
            query: query.clone(),
            session: None,
        });
        let sock = st.sockets.len() - 1;
        if query_param(&query, "v").is_some_and(|v| v != "10") {
            close(&mut st, sock, 4012, "Invalid API version.");
        } else if query_param(&query, "encoding").is_some_and(|e| e != "json")
            || query_param(&query, "compress").is_some()
        {
            // Only JSON text frames here: no ETF, no zlib-stream transport compression.
            close(&mut st, sock, 4002, "Error while decoding payload.");
        } else {
            let _ = tx.send(Out::Text(hello().to_string()));
        }
        sock
    };
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Text(frame)) => if ws.send(Message::Text(frame.into())).await.is_err() { break },
                Some(Out::Close(code, reason)) => {
                    let _ = ws.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                Some(Out::Drop) | None => break,
            },
            received = ws.recv() => match received {
                Some(Ok(Message::Text(text))) => on_frame(&mut lock(&state), sock, text.as_str()),
                Some(Ok(Message::Binary(_))) => {
                    close(&mut lock(&state), sock, 4002, "Error while decoding payload.");
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    lock(&state).detach(sock);
}

/// Op 10 HELLO, the first frame on every connection.
fn hello() -> Value {
    json!({"op": 10, "s": null, "t": null,
        "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["[\"fake-discord\"]"]}})
}

fn send(st: &FakeState, sock: usize, frame: Value) {
    let _ = st.sockets[sock].tx.send(Out::Text(frame.to_string()));
}

/// Queues a close frame and marks the connection closed.
fn close(st: &mut FakeState, sock: usize, code: u16, reason: &str) {
    let _ = st.sockets[sock]
        .tx
        .send(Out::Close(code, reason.to_string()));
    st.detach(sock);
}

fn mask_token(mut frame: Value) -> Value {
    if frame["d"]["token"].is_string() {
        frame["d"]["token"] = json!("<token>");
    }
    if frame["token"].is_string() {
        frame["token"] = json!("<token>");
    }
    frame
}

fn on_frame(st: &mut FakeState, sock: usize, text: &str) {
    if !st.sockets[sock].open {
        return;
    }
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        close(st, sock, 4002, "Error while decoding payload.");
        return;
    };
    st.received.push(mask_token(frame.clone()));
    let authenticated = st.sockets[sock].session.is_some();
    match frame["op"].as_u64() {
        Some(1) => {
            st.heartbeats += 1;
            send(st, sock, json!({"op": 11, "d": null, "s": null, "t": null}));
        }
        Some(2) => identify(st, sock, &frame["d"]),
        Some(6) => resume(st, sock, &frame["d"]),
        Some(_) if !authenticated => close(st, sock, 4003, "Not authenticated."),
        Some(3 | 4 | 8 | 31) => {}
        _ => close(st, sock, 4001, "Unknown opcode."),
    }
}

fn token_ok(token: &Value) -> bool {
    let token = token.as_str().unwrap_or("");
    token.strip_prefix("Bot ").unwrap_or(token) == FakeDiscord::TOKEN
}

fn identify(st: &mut FakeState, sock: usize, d: &Value) {
    st.identifies.push(mask_token(json!({"d": d}))["d"].clone());
    if !token_ok(&d["token"]) {
        close(st, sock, 4004, "Authentication failed.");
        return;
    }
    if st.sockets[sock].session.is_some() {
        close(st, sock, 4005, "Already authenticated.");
        return;
    }
    let Some(intents) = d["intents"].as_u64() else {
        close(st, sock, 4013, "Invalid intent(s).");
        return;
    };
    let privileged = [
        (INTENT_GUILD_MEMBERS, (1 << 14) | (1 << 15)),
        (INTENT_GUILD_PRESENCES, (1 << 12) | (1 << 13)),
        (
            INTENT_MESSAGE_CONTENT,
            APP_FLAG_MESSAGE_CONTENT | APP_FLAG_MESSAGE_CONTENT_LIMITED,
        ),
    ];
    if privileged
        .iter()
        .any(|&(intent, flags)| intents & intent != 0 && st.app_flags & flags == 0)
    {
        close(st, sock, 4014, "Disallowed intent(s).");
        return;
    }
    let shard = &d["shard"];
    if let (Some(id), Some(total)) = (shard[0].as_u64(), shard[1].as_u64()) {
        if id >= total {
            close(st, sock, 4010, "Invalid shard.");
            return;
        }
    }
    for session in &mut st.sessions {
        session.valid = false;
        session.socket = None;
    }
    let session_id = format!("{}{}", st.hash_hex("session"), st.hash_hex("id"));
    st.sessions.push(Session {
        id: session_id.clone(),
        seq: 0,
        log: Vec::new(),
        socket: Some(sock),
        intents,
        valid: true,
    });
    st.sockets[sock].session = Some(st.sessions.len() - 1);
    let ready = st.ready_json(&session_id, shard);
    st.dispatch("READY", ready);
    let guild = st.guild_json();
    st.dispatch("GUILD_CREATE", guild);
}

fn resume(st: &mut FakeState, sock: usize, d: &Value) {
    if !token_ok(&d["token"]) {
        close(st, sock, 4004, "Authentication failed.");
        return;
    }
    let session_id = d["session_id"].as_str().unwrap_or("");
    let seq = d["seq"].as_u64().unwrap_or(0);
    let Some(si) = st
        .sessions
        .iter()
        .position(|s| s.valid && s.id == session_id)
    else {
        send(st, sock, json!({"op": 9, "d": false, "s": null, "t": null}));
        return;
    };
    if seq > st.sessions[si].seq {
        st.sessions[si].valid = false;
        close(st, sock, 4007, "Invalid seq.");
        return;
    }
    if let Some(old) = st.sessions[si].socket.filter(|&old| old != sock) {
        let _ = st.sockets[old].tx.send(Out::Drop);
        st.detach(old);
    }
    st.sessions[si].socket = Some(sock);
    st.sockets[sock].session = Some(si);
    let missed: Vec<String> = st.sessions[si]
        .log
        .iter()
        .filter(|(s, _)| *s > seq)
        .map(|(_, frame)| frame.clone())
        .collect();
    st.replayed += missed.len();
    for frame in missed {
        let _ = st.sockets[sock].tx.send(Out::Text(frame));
    }
    st.resumes += 1;
    let path = st.sockets[sock].path.clone();
    st.resume_paths.push(path);
    st.dispatch("RESUMED", json!({"_trace": ["[\"fake-discord\"]"]}));
}

// ---- time ----------------------------------------------------------------------------------

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Now as Discord writes timestamps: `2024-05-01T12:34:56.789000+00:00`.
fn now_iso() -> String {
    iso8601(SystemTime::now())
}

fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468; // days since 0000-03-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use serenity::all::{
        ChannelId, ChannelType, ClientBuilder, CommandInteraction, ComponentInteraction, Context,
        CreateActionRow, CreateAttachment, CreateButton, CreateCommand, CreateForumPost,
        CreateInteractionResponse, CreateInteractionResponseFollowup,
        CreateInteractionResponseMessage, CreateMessage, CreateThread, EditThread, EventHandler,
        ForumTagId, GatewayIntents, GetMessages, GuildId, HttpBuilder, Interaction, Nonce, Ready,
        ResumedEvent, UserId,
    };
    use serenity::model::event::{Event, GatewayEvent};
    use tokio::sync::mpsc::UnboundedReceiver;

    use super::*;

    const ALL_INTENTS: u64 =
        INTENT_GUILDS | INTENT_GUILD_MESSAGES | INTENT_DIRECT_MESSAGES | INTENT_MESSAGE_CONTENT;

    /// Deserializes `v` as serenity does, with the payload in the panic message.
    fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> T {
        serde_json::from_value::<T>(v.clone()).unwrap_or_else(|e| {
            panic!(
                "serenity cannot read this as {}: {e}\n{v:#}",
                std::any::type_name::<T>()
            )
        })
    }

    /// A state with one identified gateway connection whose frames land in the receiver.
    fn connected(intents: u64) -> (FakeState, UnboundedReceiver<Out>) {
        let mut st = FakeState::new("http://127.0.0.1:9".into());
        let (tx, rx) = unbounded_channel();
        st.sockets.push(Socket {
            tx,
            open: true,
            path: "/gateway".into(),
            query: "v=10".into(),
            session: None,
        });
        let token = format!("Bot {}", FakeDiscord::TOKEN);
        let identify = json!({"op": 2, "d": {"token": token, "intents": intents,
            "shard": [0, 1], "compress": true, "large_threshold": 250,
            "properties": {"os": "linux", "browser": "serenity", "device": "serenity"}}});
        on_frame(&mut st, 0, &identify.to_string());
        (st, rx)
    }

    fn frames(rx: &mut UnboundedReceiver<Out>) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(o) = rx.try_recv() {
            if let Out::Text(text) = o {
                out.push(serde_json::from_str(&text).expect("frames are JSON"));
            }
        }
        out
    }

    /// The dispatches among `frames`, each checked to be an event serenity knows.
    fn events(frames: &[Value]) -> Vec<(String, Value, Event)> {
        frames
            .iter()
            .filter(|f| f["op"] == 0)
            .map(|f| {
                let t = f["t"].as_str().unwrap_or_default().to_string();
                let event = match serde_json::from_value::<GatewayEvent>(f.clone()) {
                    Ok(GatewayEvent::Dispatch(_, event)) => event,
                    Ok(_) => panic!("{t}: not a dispatch"),
                    Err(e) => panic!("serenity drops this {t}: {e}\n{f:#}"),
                };
                assert!(
                    !matches!(event, Event::Unknown(_)),
                    "serenity does not know {t}"
                );
                (t, f["d"].clone(), event)
            })
            .collect()
    }

    fn answer(st: &mut FakeState, method: &str, path: &str, body: Value) -> Value {
        match st.answer(method, path, "", &body, &[]) {
            Ok((_, Some(v))) => v,
            Ok((status, None)) => json!({"_status": status}),
            Err((status, v)) => panic!("{method} {path} failed with {status}: {v}"),
        }
    }

    #[test]
    fn fake_discord_gateway_payloads_deserialize_into_serenity_models() {
        let (mut st, mut rx) = connected(ALL_INTENTS);
        st.users.insert(
            "2001".into(),
            UserInfo {
                name: "Ada Lovelace".into(),
                bot: false,
            },
        );
        st.channels.push(Chan::new("3001", 0, "support", now_iso()));
        let mut forum = Chan::new("3002", 15, "help", now_iso());
        forum.available_tags = vec![("4001".into(), "billing".into())];
        st.channels.push(forum);

        assert!(matches!(
            typed::<GatewayEvent>(&hello()),
            GatewayEvent::Hello(HEARTBEAT_INTERVAL_MS)
        ));
        let ready = events(&frames(&mut rx));
        assert_eq!(ready[0].0, "READY");
        let r: Ready = typed(&ready[0].1);
        assert_eq!(
            (r.user.id.get(), r.application.id.get(), r.version),
            (1000, 1001, 10)
        );
        assert!(r.user.bot);
        assert_eq!(ready[1].0, "GUILD_CREATE");
        let guild: serenity::model::guild::Guild = typed(&ready[1].1);
        assert_eq!(guild.id.get(), 500);
        assert!(guild.members.contains_key(&UserId::new(1000)));

        // A DM with an attachment, a guild mention, a forum post, an edit and a delete.
        let dm = st.dm_channel("2001");
        st.user_post(
            &dm,
            "2001",
            "hello",
            Some(("log.txt", b"abc".to_vec())),
            None,
        );
        st.user_post("3001", "2001", "<@1000> help", None, None);
        st.channels.push({
            let mut t = Chan::new("3003", 11, "a thread", now_iso());
            t.parent = Some("3001".into());
            t.owner = Some("2001".into());
            t
        });
        let in_thread = st.user_post("3003", "2001", "in a thread", None, None);
        let post = st.next_id();
        let mut thread = Chan::new(&post, 11, "Refund?", now_iso());
        thread.parent = Some("3002".into());
        thread.owner = Some("2001".into());
        thread.starter = Some(post.clone());
        thread.applied_tags = vec!["4001".into()];
        st.channels.push(thread);
        let ti = st.channels.len() - 1;
        let mut d = st.channel_json(ti);
        d["newly_created"] = json!(true);
        st.dispatch("THREAD_CREATE", d);
        st.user_post(&post, "2001", "my refund", None, Some(post.clone()));
        let mi = st.find_msg("3003", &in_thread).expect("thread message");
        st.messages[mi].p.content = "edited".into();
        st.messages[mi].edited_timestamp = Some(now_iso());
        let d = st.message_json(mi, true);
        st.dispatch("MESSAGE_UPDATE", d);
        let d = st.delete_json("3003", &in_thread);
        st.dispatch("MESSAGE_DELETE", d);

        // The bot's own message (echoed back, with components), then interactions on it.
        let button = json!([{"type": 1, "components": [
            {"type": 2, "style": 1, "custom_id": "claim", "label": "Claim"},
            {"type": 2, "style": 5, "url": "https://example.com", "label": "Docs"}]},
            {"type": 1, "components": [{"type": 3, "custom_id": "pick", "options": [
                {"label": "A", "value": "a"}], "min_values": 1, "max_values": 1}]}]);
        let sent = answer(
            &mut st,
            "POST",
            "/channels/3001/messages",
            json!({"content": "pick", "components": button, "embeds": [{"title": "T",
                "description": "D", "fields": [{"name": "n", "value": "v"}], "color": 5}]}),
        );
        let sent_id = sent["id"].as_str().unwrap_or_default().to_string();
        st.interaction(
            3,
            "3001",
            "2001",
            json!({"custom_id": "claim", "component_type": 2}),
            Some(sent_id.clone()),
            MEMBER_PERMISSIONS,
        );
        let dm_sent = answer(
            &mut st,
            "POST",
            &format!("/channels/{dm}/messages"),
            json!({"content": "choose", "components": button}),
        );
        st.interaction(
            3,
            &dm,
            "2001",
            json!({"custom_id": "pick", "component_type": 3, "values": ["a"]}),
            dm_sent["id"].as_str().map(str::to_string),
            MEMBER_PERMISSIONS,
        );
        let options = json!([{"name": "topic", "type": 3, "value": "billing"}]);
        st.interaction(
            2,
            "3001",
            "2001",
            json!({"id": "7001", "name": "ticket", "type": 1, "options": options, "guild_id": "500"}),
            None,
            PERM_MANAGE_GUILD,
        );
        st.interaction(
            2,
            &dm,
            "2001",
            json!({"id": "7001", "name": "ticket", "type": 1, "options": []}),
            None,
            MEMBER_PERMISSIONS,
        );

        let all = events(&frames(&mut rx));
        let names: Vec<&str> = all.iter().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(
            names,
            [
                "MESSAGE_CREATE",
                "MESSAGE_CREATE",
                "MESSAGE_CREATE",
                "THREAD_CREATE",
                "MESSAGE_CREATE",
                "MESSAGE_UPDATE",
                "MESSAGE_DELETE",
                "MESSAGE_CREATE",
                "INTERACTION_CREATE",
                "MESSAGE_CREATE",
                "INTERACTION_CREATE",
                "INTERACTION_CREATE",
                "INTERACTION_CREATE"
            ]
        );
        for (t, d, event) in &all {
            match t.as_str() {
                "MESSAGE_CREATE" => {
                    let m: serenity::model::channel::Message = typed(d);
                    assert!(matches!(event, Event::MessageCreate(_)));
                    let in_guild = m.channel_id.get().to_string() != dm;
                    assert_eq!(m.guild_id.is_some(), in_guild, "{d:#}");
                    assert_eq!(m.member.is_some(), in_guild, "{d:#}");
                }
                "MESSAGE_UPDATE" => {
                    let _: serenity::model::channel::Message = typed(d);
                    let u: serenity::model::event::MessageUpdateEvent = typed(d);
                    assert_eq!(u.content.as_deref(), Some("edited"));
                }
                "MESSAGE_DELETE" => {
                    let _: serenity::model::event::MessageDeleteEvent = typed(d);
                }
                "THREAD_CREATE" => {
                    let c: serenity::model::channel::GuildChannel = typed(d);
                    assert_eq!(c.kind, ChannelType::PublicThread);
                    assert_eq!(c.parent_id, Some(ChannelId::new(3002)));
                    assert_eq!(c.applied_tags, vec![ForumTagId::new(4001)]);
                }
                "INTERACTION_CREATE" => match typed::<Interaction>(d) {
                    Interaction::Component(c) => {
                        assert!(c.message.id.get() > 0);
                        assert_eq!(c.user.id.get(), 2001);
                    }
                    Interaction::Command(c) => {
                        assert_eq!(c.data.name, "ticket");
                        assert_eq!(c.user.id.get(), 2001);
                        if c.guild_id.is_some() {
                            let member = c.member.as_ref().expect("member");
                            assert!(member
                                .permissions
                                .is_some_and(|p| p.bits() == PERM_MANAGE_GUILD));
                            assert_eq!(c.data.options[0].value.as_str(), Some("billing"));
                        }
                    }
                    other => panic!("unexpected interaction {other:?}"),
                },
                _ => {}
            }
        }
        let attachment = &all[0].1["attachments"][0];
        assert_eq!(
            (attachment["filename"].as_str(), attachment["size"].as_u64()),
            (Some("log.txt"), Some(3))
        );

        // Gateway control frames.
        on_frame(&mut st, 0, r#"{"op":1,"d":7}"#);
        let sock = st.live_socket().expect("live");
        let _ = st.sockets[sock].tx.send(Out::Text(
            json!({"op": 7, "d": null, "s": null, "t": null}).to_string(),
        ));
        send(&st, sock, json!({"op": 9, "d": true, "s": null, "t": null}));
        let control = frames(&mut rx);
        assert!(matches!(
            typed::<GatewayEvent>(&control[0]),
            GatewayEvent::HeartbeatAck
        ));
        assert!(matches!(
            typed::<GatewayEvent>(&control[1]),
            GatewayEvent::Reconnect
        ));
        assert!(matches!(
            typed::<GatewayEvent>(&control[2]),
            GatewayEvent::InvalidateSession(true)
        ));

        // A RESUME on a second connection replays what the first missed, then RESUMED.
        let session = st.sessions[0].id.clone();
        st.detach(0);
        st.user_post(&dm, "2001", "while away", None, None);
        let (tx, mut rx2) = unbounded_channel();
        st.sockets.push(Socket {
            tx,
            open: true,
            path: "/gateway".into(),
            query: "v=10".into(),
            session: None,
        });
        let resume = json!({"op": 6, "d": {"token": format!("Bot {}", FakeDiscord::TOKEN),
            "session_id": session, "seq": 14}});
        on_frame(&mut st, 1, &resume.to_string());
        let replay = events(&frames(&mut rx2));
        let names: Vec<&str> = replay.iter().map(|(t, _, _)| t.as_str()).collect();
        // READY is 1, GUILD_CREATE 2, then 13 events: 14 saw all but the last interaction.
        assert_eq!(names, ["INTERACTION_CREATE", "MESSAGE_CREATE", "RESUMED"]);
        assert_eq!(replay[1].1["content"], "while away");
        assert_eq!((st.resumes, st.replayed), (1, 2));
    }

    #[test]
    fn fake_discord_rest_bodies_deserialize_into_serenity_models() {
        let (mut st, _rx) = connected(ALL_INTENTS);
        st.users.insert(
            "2001".into(),
            UserInfo {
                name: "Ada".into(),
                bot: false,
            },
        );
        st.channels.push(Chan::new("3001", 0, "support", now_iso()));
        let mut forum = Chan::new("3002", 15, "help", now_iso());
        forum.available_tags = vec![("4001".into(), "billing".into())];
        st.channels.push(forum);

        assert!(serenity::utils::validate_token(FakeDiscord::TOKEN).is_ok());
        let _: serenity::model::user::CurrentUser =
            typed(&answer(&mut st, "GET", "/users/@me", Value::Null));
        let app: serenity::model::application::CurrentApplicationInfo = typed(&answer(
            &mut st,
            "GET",
            "/oauth2/applications/@me",
            Value::Null,
        ));
        // serenity knows no bit 23 (it has the command badge at 1 << 19) and drops it.
        assert_eq!(
            app.flags.map(|f| f.bits()),
            Some(APP_FLAG_MESSAGE_CONTENT_LIMITED)
        );
        let _: serenity::model::gateway::Gateway =
            typed(&answer(&mut st, "GET", "/gateway", Value::Null));
        let _: serenity::model::gateway::BotGateway =
            typed(&answer(&mut st, "GET", "/gateway/bot", Value::Null));
        let _: serenity::model::guild::PartialGuild =
            typed(&answer(&mut st, "GET", "/guilds/500", Value::Null));
        let _: serenity::model::guild::Member = typed(&answer(
            &mut st,
            "GET",
            "/guilds/500/members/2001",
            Value::Null,
        ));

        let dm = answer(
            &mut st,
            "POST",
            "/users/@me/channels",
            json!({"recipient_id": "2001"}),
        );
        let private: serenity::model::channel::PrivateChannel = typed(&dm);
        assert_eq!(private.recipient.id.get(), 2001);
        let dm_id = private.id.get().to_string();
        for id in ["3001", "3002", dm_id.as_str()] {
            let _: serenity::model::channel::Channel = typed(&answer(
                &mut st,
                "GET",
                &format!("/channels/{id}"),
                Value::Null,
            ));
        }
        let forum: serenity::model::channel::GuildChannel =
            typed(&answer(&mut st, "GET", "/channels/3002", Value::Null));
        assert_eq!(forum.available_tags[0].name, "billing");

        let sent = answer(
            &mut st,
            "POST",
            "/channels/3001/messages",
            json!({"content": "hi <@2001>", "nonce": "n1", "enforce_nonce": true,
                "allowed_mentions": {"parse": []}, "tts": false, "embeds": [], "sticker_ids": []}),
        );
        let m: serenity::model::channel::Message = typed(&sent);
        assert!(
            m.mentions.is_empty(),
            "allowed_mentions parse [] pings nobody"
        );
        let reply = answer(
            &mut st,
            "POST",
            "/channels/3001/messages",
            json!({"content": "reply", "message_reference": {"message_id": m.id.get().to_string()}}),
        );
        let reply: serenity::model::channel::Message = typed(&reply);
        assert_eq!(reply.referenced_message.map(|r| r.id), Some(m.id));
        let path = format!("/channels/3001/messages/{}", m.id.get());
        let _: serenity::model::channel::Message = typed(&answer(
            &mut st,
            "PATCH",
            &path,
            json!({"content": "edited"}),
        ));
        let list: Vec<serenity::model::channel::Message> = typed(&answer(
            &mut st,
            "GET",
            "/channels/3001/messages",
            Value::Null,
        ));
        assert_eq!(list.len(), 2);
        assert!(list[0].id > list[1].id, "newest first");

        let post = answer(
            &mut st,
            "POST",
            "/channels/3002/threads",
            json!({"name": "Refund", "applied_tags": ["4001"],
                "message": {"content": "body", "embeds": []}}),
        );
        let thread: serenity::model::channel::GuildChannel = typed(&post);
        let starter: serenity::model::channel::Message = typed(&post["message"]);
        assert_eq!(thread.id.get(), starter.id.get());
        let thread_path = format!("/channels/{}", thread.id.get());
        let _: serenity::model::channel::GuildChannel = typed(&answer(
            &mut st,
            "PATCH",
            &thread_path,
            json!({"archived": true, "locked": false, "applied_tags": []}),
        ));
        let on_message = answer(
            &mut st,
            "POST",
            &format!("{path}/threads"),
            json!({"name": "Follow-up", "auto_archive_duration": 1440}),
        );
        let _: serenity::model::channel::GuildChannel = typed(&on_message);
        let private = answer(
            &mut st,
            "POST",
            "/channels/3001/threads",
            json!({"name": "Escalation", "type": 12, "invitable": false}),
        );
        let private: serenity::model::channel::GuildChannel = typed(&private);
        assert_eq!(private.kind, ChannelType::PrivateThread);

        let commands = answer(
            &mut st,
            "PUT",
            "/applications/1001/guilds/500/commands",
            json!([{"name": "ticket", "description": "Open a ticket", "type": 1,
                "options": [{"type": 3, "name": "topic", "description": "About", "required": false}]}]),
        );
        let commands: Vec<serenity::model::application::Command> = typed(&commands);
        assert_eq!(commands[0].name, "ticket");

        // Interaction responses and the webhook routes.
        st.guild_commands = vec![json!({"id": "7001", "name": "ticket"})];
        let id = st.interaction(
            2,
            "3001",
            "2001",
            json!({"id": "7001", "name": "ticket", "type": 1, "options": []}),
            None,
            MEMBER_PERMISSIONS,
        );
        let token = st.interactions[0].token.clone();
        let deferred = json!({"type": 5, "data": {"flags": 64}});
        let callback = format!("/interactions/{id}/{token}/callback");
        assert_eq!(answer(&mut st, "POST", &callback, deferred)["_status"], 204);
        let webhook = format!("/webhooks/1001/{token}");
        let original = answer(
            &mut st,
            "GET",
            &format!("{webhook}/messages/@original"),
            Value::Null,
        );
        let original: serenity::model::channel::Message = typed(&original);
        assert_eq!(
            original.flags.map(|f| f.bits()),
            Some(FLAG_EPHEMERAL | FLAG_LOADING)
        );
        let first = answer(&mut st, "POST", &webhook, json!({"content": "done"}));
        let first: serenity::model::channel::Message = typed(&first);
        assert_eq!(
            first.id, original.id,
            "the first follow-up fills in the deferred reply"
        );
        let second = answer(&mut st, "POST", &webhook, json!({"content": "more"}));
        let second: serenity::model::channel::Message = typed(&second);
        let edit = format!("{webhook}/messages/{}", second.id.get());
        let _: serenity::model::channel::Message = typed(&answer(
            &mut st,
            "PATCH",
            &edit,
            json!({"content": "again"}),
        ));

        // Discord's error bodies parse into serenity's error type.
        for body in [
            st.answer(
                "POST",
                "/channels/3001/messages",
                "",
                &json!({"content": "x".repeat(2001)}),
                &[],
            ),
            st.answer("POST", "/channels/3001/messages", "", &json!({}), &[]),
            st.answer("GET", "/channels/999", "", &Value::Null, &[]),
            st.answer(
                "POST",
                &callback,
                "",
                &json!({"type": 4, "data": {"content": "late"}}),
                &[],
            ),
        ] {
            let (_, error) = body.expect_err("an error");
            let parsed: serenity::http::DiscordJsonError = typed(&error);
            assert!(parsed.code > 0, "{error}");
        }
        let (_, too_long) = st
            .answer(
                "POST",
                "/channels/3001/messages",
                "",
                &json!({"content": "x".repeat(2001)}),
                &[],
            )
            .expect_err("too long");
        let parsed: serenity::http::DiscordJsonError = typed(&too_long);
        assert_eq!(
            (parsed.code, parsed.errors[0].path.as_str()),
            (50035, "content")
        );
    }

    #[test]
    fn fake_discord_multipart_bodies_are_parsed() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nab\r\ncd\r\n--XyZ\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{\"content\":\"hi\",\"attachments\":[{\"id\":0,\"filename\":\"a.txt\"}]}\r\n--XyZ--\r\n";
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=XyZ"),
        );
        let (value, files, bad) = parse_body(&headers, body);
        assert!(!bad);
        assert_eq!(value["content"], "hi");
        assert_eq!(files.len(), 1);
        assert_eq!(
            (
                files[0].field.as_str(),
                files[0].filename.as_str(),
                files[0].bytes.as_slice()
            ),
            ("files[0]", "a.txt", b"ab\r\ncd".as_slice())
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000+00:00"
        );
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    fn serenity_http(fake: &FakeDiscord, token: &str) -> serenity::http::Http {
        HttpBuilder::new(token)
            .proxy(fake.api_url())
            .ratelimiter_disabled(true)
            .application_id(serenity::all::ApplicationId::new(1001))
            .build()
    }

    /// The `ErrorResponse` inside a failed serenity call.
    fn error_response(err: serenity::Error) -> serenity::http::ErrorResponse {
        match err {
            serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e)) => e,
            other => panic!("not an unsuccessful request: {other:?}"),
        }
    }

    #[test]
    fn fake_discord_serves_the_rest_api_to_serenity_http() {
        let fake = FakeDiscord::start();
        fake.add_user("2001", "Ada");
        fake.add_bot("2002", "Other Bot");
        fake.add_channel("3001", ChannelKind::Text, "support");
        fake.add_channel(
            "3002",
            ChannelKind::Forum {
                tags: vec!["billing", "bug"],
            },
            "help",
        );
        fake.add_channel("3003", ChannelKind::Text, "secret");
        fake.hide_channel("3003");
        let billing = fake.tag_id("3002", "billing");
        let http = serenity_http(&fake, FakeDiscord::TOKEN);
        block_on(async {
            let me = http.get_current_user().await.expect("users/@me");
            assert!(me.bot);
            let app = http
                .get_current_application_info()
                .await
                .expect("application");
            assert_eq!(app.id.get(), 1001);

            let dm = UserId::new(2001)
                .create_dm_channel(&http)
                .await
                .expect("dm");
            let again = UserId::new(2001)
                .create_dm_channel(&http)
                .await
                .expect("dm");
            assert_eq!(dm.id, again.id);
            assert_eq!(dm.id.get().to_string(), fake.dm_channel("2001"));

            // A retried post with the same nonce and enforce_nonce is created once.
            let post = || {
                CreateMessage::new()
                    .content("hello")
                    .nonce(Nonce::String("relaydesk-1".into()))
                    .enforce_nonce(true)
            };
            let one = dm.id.send_message(&http, post()).await.expect("send");
            let two = dm.id.send_message(&http, post()).await.expect("send again");
            assert_eq!(one.id, two.id);
            let channel = dm.id.get().to_string();
            assert_eq!(fake.posted(&channel).len(), 1);

            let with_file = CreateMessage::new()
                .content("log attached")
                .add_file(CreateAttachment::bytes(b"line 1\n".to_vec(), "log.txt"));
            let sent = dm.id.send_message(&http, with_file).await.expect("upload");
            let url = sent.attachments[0].url.clone();
            let got = crate::slack::http_request("GET", &url, &[], b"");
            assert_eq!(
                (got.status, got.body.as_slice()),
                (200, b"line 1\n".as_slice())
            );
            let posted = fake.wait_posted(
                &channel,
                |p| !p.files.is_empty(),
                Duration::from_secs(1),
                "with a file",
            );
            assert_eq!(
                posted.files,
                vec![("log.txt".to_string(), b"line 1\n".to_vec())]
            );

            let listed = dm
                .id
                .messages(&http, GetMessages::new().limit(10))
                .await
                .expect("list");
            assert_eq!(
                listed.iter().map(|m| m.id).collect::<Vec<_>>(),
                vec![sent.id, one.id]
            );

            let row = CreateActionRow::Buttons(vec![CreateButton::new("claim").label("Claim")]);
            let with_button = CreateMessage::new()
                .content("new ticket")
                .components(vec![row]);
            let ticket = ChannelId::new(3001)
                .send_message(&http, with_button)
                .await
                .expect("button");
            assert_eq!(
                fake.posted("3001")[0].components[0]["components"][0]["custom_id"],
                "claim"
            );

            let forum_post =
                CreateForumPost::new("Refund", CreateMessage::new().content("details"))
                    .add_applied_tag(ForumTagId::new(billing.parse().unwrap_or(0)));
            let thread = ChannelId::new(3002)
                .create_forum_post(&http, forum_post)
                .await
                .expect("forum post");
            let created = fake.wait_thread("3002", Duration::from_secs(1));
            assert_eq!(
                (created.id.clone(), created.starter.clone()),
                (
                    thread.id.get().to_string(),
                    Some(thread.id.get().to_string())
                )
            );
            assert_eq!(created.applied_tags, vec![billing.clone()]);
            let closed = thread
                .id
                .edit_thread(&http, EditThread::new().archived(true).applied_tags([]))
                .await
                .expect("edit thread");
            assert!(closed.thread_metadata.is_some_and(|m| m.archived));

            let on_ticket = ChannelId::new(3001)
                .create_thread_from_message(&http, ticket.id, CreateThread::new("Ticket #1"))
                .await
                .expect("thread from message");
            assert_eq!(on_ticket.id.get(), ticket.id.get());
            let private = ChannelId::new(3001)
                .create_thread(
                    &http,
                    CreateThread::new("Escalation")
                        .kind(ChannelType::PrivateThread)
                        .invitable(false),
                )
                .await
                .expect("private thread");
            private
                .id
                .add_thread_member(&http, UserId::new(2001))
                .await
                .expect("add member");
            let thread = fake.thread(&private.id.get().to_string()).expect("thread");
            assert!(thread.private);
            assert_eq!(thread.members, vec!["1000".to_string(), "2001".to_string()]);

            let commands = GuildId::new(500)
                .set_commands(
                    &http,
                    vec![CreateCommand::new("ticket").description("Open a ticket")],
                )
                .await
                .expect("commands");
            assert_eq!(commands[0].name, "ticket");
            assert_eq!(fake.commands()[0]["name"], "ticket");

            // What serenity makes of Discord's errors.
            let hidden = error_response(
                ChannelId::new(3003)
                    .to_channel(&http)
                    .await
                    .expect_err("hidden"),
            );
            assert_eq!(
                (hidden.status_code.as_u16(), hidden.error.code),
                (403, 50001)
            );
            let unknown = error_response(
                ChannelId::new(3999)
                    .to_channel(&http)
                    .await
                    .expect_err("unknown"),
            );
            assert_eq!(
                (unknown.status_code.as_u16(), unknown.error.code),
                (404, 10003)
            );
            fake.close_dms("2001");
            let closed = error_response(dm.id.say(&http, "hi").await.expect_err("closed DMs"));
            assert_eq!(
                (closed.status_code.as_u16(), closed.error.code),
                (403, 50007)
            );
            assert_eq!(closed.error.message, "Cannot send messages to this user");
            let bot_dm = UserId::new(2002)
                .create_dm_channel(&http)
                .await
                .expect_err("a bot");
            assert_eq!(error_response(bot_dm).error.code, 50007);

            fake.fail_next("POST", "/channels/3001/messages", 429, Some(1.5), false);
            let limited =
                error_response(ChannelId::new(3001).say(&http, "x").await.expect_err("429"));
            assert_eq!((limited.status_code.as_u16(), limited.error.code), (429, 0));
            assert_eq!(limited.error.message, "You are being rate limited.");
            let again = ChannelId::new(3001)
                .say(&http, "x")
                .await
                .expect("after the 429");
            assert_eq!(again.content, "x");
            let tries = fake.requests("POST", "/channels/3001/messages");
            let n = tries.len();
            assert_eq!((tries[n - 2].status, tries[n - 1].status), (429, 200));
            assert!(tries[n - 1].at >= tries[n - 2].at);

            let wrong = error_response(
                serenity_http(&fake, "wrong")
                    .get_current_user()
                    .await
                    .expect_err("401"),
            );
            assert_eq!(wrong.status_code.as_u16(), 401);
        });
        let raw = crate::slack::http_request(
            "POST",
            &format!("{}/api/v10/channels/3001/messages", fake.api_url()),
            &[
                ("Authorization", &format!("Bot {}", FakeDiscord::TOKEN)),
                ("Content-Type", "application/json"),
            ],
            json!({"content": "x".repeat(2001)}).to_string().as_bytes(),
        );
        assert_eq!(
            (raw.status, raw.json()["code"].as_u64()),
            (400, Some(50035))
        );
        fake.fail_next("GET", "/users/@me", 429, Some(2.5), true);
        let limited = crate::slack::http_request(
            "GET",
            &format!("{}/api/v10/users/@me", fake.api_url()),
            &[("Authorization", &format!("Bot {}", FakeDiscord::TOKEN))],
            b"",
        );
        assert_eq!(
            (
                limited.status,
                limited.header("retry-after"),
                limited.header("x-ratelimit-global"),
                limited.header("x-ratelimit-scope")
            ),
            (429, Some("3"), Some("true"), Some("global"))
        );
        assert_eq!(limited.json()["retry_after"], 2.5);
    }

    /// Forwards what the client sees, and answers like a tiny bot.
    struct Bot(Mutex<mpsc::Sender<String>>);

    impl Bot {
        fn tell(&self, what: String) {
            let _ = lock_sender(&self.0).send(what);
        }
    }

    fn lock_sender(m: &Mutex<mpsc::Sender<String>>) -> MutexGuard<'_, mpsc::Sender<String>> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[serenity::async_trait]
    impl EventHandler for Bot {
        async fn ready(&self, ctx: Context, ready: Ready) {
            let commands = vec![CreateCommand::new("ticket").description("Open a ticket")];
            let registered = GuildId::new(500).set_commands(&ctx.http, commands).await;
            self.tell(format!(
                "ready {} commands {}",
                ready.user.name,
                registered.map_or(0, |c| c.len())
            ));
        }

        async fn resume(&self, _ctx: Context, _: ResumedEvent) {
            self.tell("resumed".into());
        }

        async fn message(&self, ctx: Context, msg: serenity::model::channel::Message) {
            if msg.author.bot {
                self.tell(format!("own {}", msg.content));
                return;
            }
            self.tell(format!("message {}", msg.content));
            if msg.content == "buttons" {
                let row = CreateActionRow::Buttons(vec![CreateButton::new("claim").label("Claim")]);
                let reply = CreateMessage::new()
                    .content("pick one")
                    .components(vec![row]);
                // Through the context, so that serenity checks permissions in its cache.
                if let Err(e) = msg.channel_id.send_message(&ctx, reply).await {
                    self.tell(format!("error {e}"));
                }
            }
        }

        async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
            match interaction {
                Interaction::Component(c) => self.component(&ctx, c).await,
                Interaction::Command(c) => self.command(&ctx, c).await,
                _ => {}
            }
        }
    }

    impl Bot {
        async fn component(&self, ctx: &Context, c: ComponentInteraction) {
            let update = CreateInteractionResponseMessage::new()
                .content(format!("claimed by {}", c.user.name))
                .components(vec![]);
            let res = c
                .create_response(&ctx.http, CreateInteractionResponse::UpdateMessage(update))
                .await;
            self.tell(format!("component {} {}", c.data.custom_id, res.is_ok()));
        }

        async fn command(&self, ctx: &Context, c: CommandInteraction) {
            let deferred = c.defer_ephemeral(&ctx.http).await;
            let follow = CreateInteractionResponseFollowup::new()
                .content("ticket opened")
                .ephemeral(true);
            let res = c.create_followup(&ctx.http, follow).await;
            self.tell(format!(
                "command {} {} {}",
                c.data.name,
                deferred.is_ok(),
                res.is_ok()
            ));
        }
    }

    fn expect(rx: &mpsc::Receiver<String>, wanted: &str, fake: &FakeDiscord) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(event) if event.starts_with(wanted) => return event,
                Ok(event) => seen.push(event),
                Err(_) => break,
            }
        }
        panic!(
            "the serenity client never reported {wanted:?}; it reported {seen:?}; gateway: {}; withheld: {:?}",
            fake.gateway_summary(),
            fake.withheld()
        );
    }

    #[test]
    fn fake_discord_runs_a_real_serenity_client() {
        let fake = FakeDiscord::start();
        fake.add_user("2001", "Ada");
        fake.add_channel("3001", ChannelKind::Text, "support");
        let (tx, rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let http = serenity_http(&fake, FakeDiscord::TOKEN);
        let client = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let intents = GatewayIntents::GUILDS
                    | GatewayIntents::GUILD_MESSAGES
                    | GatewayIntents::DIRECT_MESSAGES
                    | GatewayIntents::MESSAGE_CONTENT;
                let mut client = ClientBuilder::new_with_http(http, intents)
                    .event_handler(Bot(Mutex::new(tx)))
                    .await
                    .expect("client");
                let manager = client.shard_manager.clone();
                tokio::select! {
                    res = client.start() => if let Err(e) = res { eprintln!("serenity client stopped: {e}") },
                    _ = stopped => manager.shutdown_all().await,
                }
            });
        });

        let ready = expect(&rx, "ready", &fake);
        assert_eq!(ready, "ready relaydesk commands 1");
        fake.wait_connected(Duration::from_secs(5));
        assert_eq!(fake.identifies(), 1);
        assert_eq!(fake.gateway_intents(), Some(ALL_INTENTS));
        assert_eq!(
            fake.gateway_connections(),
            vec![("/gateway".to_string(), "v=10".to_string())]
        );
        assert_eq!(fake.requests("GET", "/gateway").len(), 1);

        fake.dm("2001", "hello bot");
        expect(&rx, "message hello bot", &fake);
        let dm = fake.dm_channel("2001");

        // Buttons: the bot posts, its own message comes back, a press updates the message.
        fake.guild_message("3001", "2001", "buttons", false);
        expect(&rx, "message buttons", &fake);
        let pick = fake.wait_posted(
            "3001",
            |p| p.content == "pick one",
            Duration::from_secs(10),
            "saying \"pick one\"",
        );
        expect(&rx, "own pick one", &fake);
        let press = fake.press("3001", &pick.id, "2001", "claim");
        assert_eq!(expect(&rx, "component", &fake), "component claim true");
        assert_eq!(
            fake.wait_callback(&press, Duration::from_secs(5))["type"],
            7
        );
        let updated = fake.message(&pick.id).expect("message");
        assert_eq!(
            (updated.content.as_str(), updated.components.clone()),
            ("claimed by ada", json!([]))
        );

        // A slash command: deferred ephemerally, then the follow-up fills it in.
        let slash = fake.slash("3001", "2001", "ticket", Value::Null);
        assert_eq!(expect(&rx, "command", &fake), "command ticket true true");
        let callback = fake.wait_callback(&slash, Duration::from_secs(5));
        assert_eq!(
            (
                callback["type"].as_u64(),
                callback["data"]["flags"].as_u64()
            ),
            (Some(5), Some(64))
        );
        let token = fake.interaction_token(&slash);
        let followups = fake.followups(&token);
        assert_eq!(followups.len(), 1);
        assert_eq!(
            (followups[0].content.as_str(), followups[0].flags),
            ("ticket opened", FLAG_EPHEMERAL)
        );

        // A dropped connection: serenity RESUMEs and gets what it missed.
        fake.drop_gateway();
        fake.dm("2001", "while away");
        expect(&rx, "message while away", &fake);
        fake.wait_resumes(1, Duration::from_secs(10));
        assert!(fake.replayed() >= 1, "the DM was replayed, not sent live");
        assert_eq!(fake.identifies(), 1);
        assert_eq!(
            fake.resume_paths(),
            vec!["/gateway".to_string()],
            "serenity resumes at the URL it first got, not resume_gateway_url"
        );

        // Op 7 RECONNECT: another RESUME.
        fake.send_reconnect();
        fake.guild_message("3001", "2001", "after reconnect", true);
        expect(&rx, "message <@1000> after reconnect", &fake);
        fake.wait_resumes(2, Duration::from_secs(10));
        assert_eq!(fake.identifies(), 1);
        assert!(fake.posted(&dm).is_empty());

        // A close frame with 4000 (unknown error): serenity RESUMEs too.
        fake.close_gateway(4000);
        fake.dm("2001", "after close");
        expect(&rx, "message after close", &fake);
        fake.wait_resumes(3, Duration::from_secs(10));
        assert_eq!(fake.identifies(), 1);

        let _ = stop.send(());
        let _ = client.join();
    }
}
