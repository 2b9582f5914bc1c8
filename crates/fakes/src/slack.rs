//! A fake Slack on 127.0.0.1 speaking the real wire protocols — the Web API, Socket Mode,
//! file upload v2, a `url_private` file host and `response_url`s — so that the real
//! slack-morphism client inside the `relaydesk` binary runs against it.
//!
//! The server runs on its own tokio runtime on a background thread; everything public
//! here is synchronous, for `#[test]` functions that drive child processes.
//!
//! Payloads built by [`block_action`] and [`slash_command`] carry a placeholder
//! `response_url`; [`FakeSlack::send_interaction`] and [`FakeSlack::send_command`] point it
//! at the fake, and [`FakeSlack::localize`] does the same for payloads sent over HTTP.
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// The scopes reported in `x-oauth-scopes` unless [`FakeSlack::set_scopes`] says otherwise.
pub const DEFAULT_SCOPES: &str = "chat:write,im:history,im:read,im:write,channels:history,groups:history,app_mentions:read,users:read,users:read.email,commands,files:read,files:write";
/// The app id in hello frames, event callbacks and interaction payloads.
pub const APP_ID: &str = "A1";
/// The (deprecated) verification token carried in payloads, as Slack still sends it.
pub const VERIFICATION_TOKEN: &str = "fake-verification-token";
/// Stands for the fake's address in `response_url`s built before the fake is known.
const PLACEHOLDER: &str = "http://fake-slack.invalid";
static SEQ: AtomicU64 = AtomicU64::new(1);

/// A message in a fake channel, as the bot posted it and later updated or deleted it.
#[derive(Debug, Clone, PartialEq)]
pub struct Posted {
    /// The message timestamp the fake assigned ("1700000000.000001", increasing).
    pub ts: String,
    /// The channel id as the client gave it.
    pub channel: String,
    /// The thread parent, for replies in a thread.
    pub thread_ts: Option<String>,
    /// The latest `text` (or a file share's `initial_comment`), "" if none.
    pub text: String,
    /// The latest Block Kit blocks as sent, if any.
    pub blocks: Option<Value>,
    /// Always the bot, `UBOT`.
    pub user: String,
    /// Deleted messages stay in [`FakeSlack::posted_all`] with this set; [`FakeSlack::posted`] hides them.
    pub deleted: bool,
    /// File objects shared with the message (`files.completeUploadExternal`), else empty.
    pub files: Vec<Value>,
    /// The latest post or update asked Slack to turn names in `text` into mentions
    /// (`link_names`, or `parse=full`): then `@here` in it notifies the channel.
    pub names_linked: bool,
    /// The message's `metadata`, as posted; Slack returns it to `conversations.history`
    /// and `conversations.replies` only when asked (`include_all_metadata`).
    pub metadata: Option<Value>,
}

struct Failure {
    status: u16,
    retry_after: Option<u64>,
    error: String,
}

enum Out {
    Text(String),
    Close,
}

struct Socket {
    tx: UnboundedSender<Out>,
    open: bool,
    hello: bool,
}

#[derive(Default)]
struct FakeState {
    base: String,
    scopes: String,
    users: HashMap<String, Value>,
    failures: HashMap<String, VecDeque<Failure>>,
    calls: Vec<(String, Value)>,
    messages: Vec<Posted>,
    pending_uploads: HashMap<String, (String, Option<Vec<u8>>)>,
    uploaded: Vec<(String, Vec<u8>)>,
    hosted: HashMap<String, Vec<u8>>,
    responses: Vec<Value>,
    sockets: Vec<Socket>,
    acks: Vec<Value>,
    counter: u64,
    /// Methods answering with this HTTP status on every call, until cleared.
    outages: HashMap<String, u16>,
    /// Methods whose answer comes this long after the call took effect.
    delays: HashMap<String, Duration>,
    /// Channels whose `chat.postMessage` calls hang until released.
    held: std::collections::HashSet<String>,
    /// Calls hanging right now, per channel.
    hanging: HashMap<String, usize>,
}

impl FakeState {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// A message timestamp, increasing with every call.
    fn new_ts(&mut self) -> String {
        let n = self.next();
        format!("{}.{:06}", 1_700_000_000 + n / 1_000_000, n % 1_000_000)
    }

    fn live_message(&mut self, p: &Map<String, Value>) -> Result<&mut Posted, String> {
        let (channel, ts) = (param(p, "channel"), param(p, "ts"));
        self.messages
            .iter_mut()
            .find(|m| {
                Some(m.channel.as_str()) == channel && Some(m.ts.as_str()) == ts && !m.deleted
            })
            .ok_or_else(|| "message_not_found".to_string())
    }
}

type Shared = Arc<Mutex<FakeState>>;

/// Locks the state, ignoring poisoning: a panicking test must not hide the server's state.
fn lock(state: &Shared) -> MutexGuard<'_, FakeState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The fake Slack server; dropping it stops the server and closes every socket.
pub struct FakeSlack {
    state: Shared,
    server: crate::Server,
}

impl FakeSlack {
    /// The bot's user id, as `auth.test` reports it.
    pub const BOT_USER: &'static str = "UBOT";
    /// The workspace id.
    pub const TEAM: &'static str = "T1";
    /// The bot's bot id.
    pub const BOT_ID: &'static str = "BBOT";

    /// Starts the fake on 127.0.0.1 on a free port.
    pub fn start() -> FakeSlack {
        let listener = crate::Server::bind("fake Slack");
        let port = listener.local_addr().expect("fake Slack: address").port();
        let state: Shared = Arc::new(Mutex::new(FakeState {
            base: format!("http://127.0.0.1:{port}"),
            scopes: DEFAULT_SCOPES.to_string(),
            ..FakeState::default()
        }));
        let app = Router::new()
            .route("/socket", get(socket))
            .route("/upload/{id}", post(upload))
            .route("/files/{name}", get(hosted_file))
            .route("/response/{id}", post(response_url))
            .fallback(web_api)
            .with_state(state.clone());
        let server = crate::Server::start("fake Slack", listener, app);
        FakeSlack { state, server }
    }

    /// The Web API base, `http://127.0.0.1:PORT/api/`. slack-morphism appends `/{method}`
    /// itself, so pass it without the trailing slash (the fake accepts `//` too).
    pub fn api_url(&self) -> String {
        format!("{}/api/", self.base_url())
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    /// Sets the `x-oauth-scopes` header sent on every Web API reply.
    pub fn set_scopes(&self, scopes: &str) {
        lock(&self.state).scopes = scopes.to_string();
    }

    /// Adds a user for `users.info`; `name` is also the display and real name.
    pub fn add_user(&self, id: &str, name: &str, email: Option<&str>, team: &str) {
        let mut profile = json!({"display_name": name, "real_name": name, "team": team});
        if let Some(email) = email {
            profile["email"] = json!(email);
        }
        let user = json!({"id": id, "team_id": team, "name": name, "real_name": name,
            "profile": profile, "is_bot": false, "deleted": false, "tz": "Europe/Berlin"});
        lock(&self.state).users.insert(id.to_string(), user);
    }

    /// The next call of `method` (e.g. "chat.postMessage", or "upload" for the upload URL)
    /// answers with this HTTP status (and `Retry-After`); calls queue up in order. A status
    /// of 200 answers `{"ok":false,"error":"fake_error"}`.
    pub fn fail_next(&self, method: &str, status: u16, retry_after_secs: Option<u64>) {
        let error = match status {
            429 => "ratelimited",
            200 => "fake_error",
            _ => "fatal_error",
        };
        self.queue_failure(
            method,
            Failure {
                status,
                retry_after: retry_after_secs,
                error: error.into(),
            },
        );
    }

    /// Every call of `method` answers HTTP `status` (e.g. 500) until [`FakeSlack::end_outage`].
    pub fn start_outage(&self, method: &str, status: u16) {
        lock(&self.state).outages.insert(method.to_string(), status);
    }

    /// `method` answers normally again.
    pub fn end_outage(&self, method: &str) {
        lock(&self.state).outages.remove(method);
    }

    /// Every call of `method` takes effect at once but is answered `delay` later.
    pub fn set_delay(&self, method: &str, delay: Duration) {
        lock(&self.state).delays.insert(method.to_string(), delay);
    }

    /// `chat.postMessage` calls to `channel` hang (nothing is posted) until
    /// [`FakeSlack::release_channel`].
    pub fn hold_channel(&self, channel: &str) {
        lock(&self.state).held.insert(channel.to_string());
    }

    /// How many `chat.postMessage` calls to `channel` are hanging right now.
    pub fn hanging(&self, channel: &str) -> usize {
        lock(&self.state).hanging.get(channel).copied().unwrap_or(0)
    }

    /// Lets the calls to `channel` through.
    pub fn release_channel(&self, channel: &str) {
        lock(&self.state).held.remove(channel);
    }

    /// The next call of `method` answers 200 `{"ok":false,"error":error}`.
    pub fn fail_next_with_error(&self, method: &str, error: &str) {
        self.queue_failure(
            method,
            Failure {
                status: 200,
                retry_after: None,
                error: error.into(),
            },
        );
    }

    fn queue_failure(&self, method: &str, failure: Failure) {
        lock(&self.state)
            .failures
            .entry(method.to_string())
            .or_default()
            .push_back(failure);
    }

    /// Every call of `method` so far, in order: parameters from query string and body in one
    /// object, plus `_token` (the bearer token), `_at_ms` (when it arrived, Unix ms),
    /// `_status` (when not 200) and `_error` (when
    /// answered `ok:false`).
    pub fn calls(&self, method: &str) -> Vec<Value> {
        let st = lock(&self.state);
        st.calls
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Waits for a call of `method` matching `pred`; panics after `timeout` listing the calls seen.
    pub fn wait_call(
        &self,
        method: &str,
        pred: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        self.wait_for(timeout, |st| {
            st.calls
                .iter()
                .find(|(m, v)| m == method && pred(v))
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Slack: no matching {method} call within {timeout:?}; calls so far: {:#?}",
                self.calls(method)
            )
        })
    }

    /// The messages currently in `channel` (updates applied, deleted ones left out), in post order.
    pub fn posted(&self, channel: &str) -> Vec<Posted> {
        self.posted_all(channel)
            .into_iter()
            .filter(|m| !m.deleted)
            .collect()
    }

    /// Like [`posted`](Self::posted) but keeping deleted messages (marked `deleted`).
    pub fn posted_all(&self, channel: &str) -> Vec<Posted> {
        lock(&self.state)
            .messages
            .iter()
            .filter(|m| m.channel == channel)
            .cloned()
            .collect()
    }

    /// Waits for a live message in `channel` matching `pred`; panics on timeout listing the channel.
    pub fn wait_posted(
        &self,
        channel: &str,
        pred: impl Fn(&Posted) -> bool,
        timeout: Duration,
    ) -> Posted {
        self.wait_for(timeout, |st| {
            st.messages
                .iter()
                .find(|m| m.channel == channel && !m.deleted && pred(m))
                .cloned()
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Slack: no matching message in {channel} within {timeout:?}; messages: {:#?}",
                self.posted_all(channel)
            )
        })
    }

    /// Files completed with `files.completeUploadExternal`: (file name given at
    /// `files.getUploadURLExternal`, bytes uploaded), in order.
    pub fn uploaded(&self) -> Vec<(String, Vec<u8>)> {
        lock(&self.state).uploaded.clone()
    }

    /// Serves `bytes` at the returned `http://127.0.0.1:PORT/files/{name}`, only to requests
    /// with `Authorization: Bearer xoxb-…` (401 otherwise), like Slack's `url_private`.
    pub fn host_file(&self, name: &str, bytes: Vec<u8>) -> String {
        lock(&self.state).hosted.insert(name.to_string(), bytes);
        format!("{}/files/{name}", self.base_url())
    }

    /// Bodies posted to `response_url`s (JSON; a form or text body as `{"_raw": …}`), in order.
    pub fn responses(&self) -> Vec<Value> {
        lock(&self.state).responses.clone()
    }

    /// Points placeholder `response_url`s in a payload from [`block_action`] or
    /// [`slash_command`] at this fake (for payloads posted over HTTP).
    pub fn localize(&self, payload: Value) -> Value {
        serde_json::from_str(&payload.to_string().replace(PLACEHOLDER, &self.base_url()))
            .unwrap_or(payload)
    }

    /// Waits until an open Socket Mode connection got its hello; panics on timeout.
    pub fn wait_connected(&self, timeout: Duration) {
        self.wait_for(timeout, |st| st.sockets.iter().any(|s| s.open && s.hello).then_some(()))
            .unwrap_or_else(|| panic!("fake Slack: no Socket Mode connection within {timeout:?} ({} opened so far, apps.connections.open calls: {:?})", self.connections(), self.calls("apps.connections.open")));
    }

    /// Waits until `n` websocket connections have been opened in total and the newest
    /// got its hello (so that what is sent next goes to it); panics on timeout.
    pub fn wait_connections(&self, n: usize, timeout: Duration) {
        self.wait_for(timeout, |st| {
            let newest = st.sockets.last().is_some_and(|s| s.open && s.hello);
            (st.sockets.len() >= n && newest).then_some(())
        })
        .unwrap_or_else(|| {
            panic!(
                "fake Slack: {} websocket connections within {timeout:?}, wanted {n}",
                self.connections()
            )
        });
    }

    /// How many websocket connections have been opened so far.
    pub fn connections(&self) -> usize {
        lock(&self.state).sockets.len()
    }

    /// Sends an inner event (e.g. from [`dm`]) in an `events_api` envelope with a new event
    /// id; returns the envelope id.
    pub fn send_event(&self, event: Value) -> String {
        let event_id = {
            let mut st = lock(&self.state);
            format!("Ev{:04X}{:06}", self.server.port, st.next())
        };
        self.send_event_with_id(event, &event_id)
    }

    /// Like [`send_event`](Self::send_event) with a given event id (Slack's redelivery);
    /// the envelope id is new.
    pub fn send_event_with_id(&self, event: Value, event_id: &str) -> String {
        self.send_envelope("events_api", event_callback(event, event_id))
    }

    /// Sends an `interactive` envelope (e.g. a [`block_action`] payload); returns its id.
    pub fn send_interaction(&self, payload: Value) -> String {
        self.send_envelope("interactive", payload)
    }

    /// Sends a `slash_commands` envelope (e.g. a [`slash_command`] payload); returns its id.
    pub fn send_command(&self, payload: Value) -> String {
        self.send_envelope("slash_commands", payload)
    }

    /// Sends Slack's `disconnect` message (`refresh_requested`) on the current socket; the
    /// client then opens a new connection.
    pub fn send_disconnect(&self) {
        self.send_frame(
            json!({"type": "disconnect", "reason": "refresh_requested",
            "debug_info": {"host": "fake-slack"}})
            .to_string(),
        );
    }

    fn send_envelope(&self, kind: &str, payload: Value) -> String {
        let payload = self.localize(payload);
        let accepts = kind == "slash_commands" || payload["type"] == "view_submission";
        let envelope_id = format!(
            "{:04x}{:04}-fake-envelope",
            self.server.port,
            lock(&self.state).next()
        );
        self.send_frame(
            json!({"envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": accepts, "retry_attempt": 0, "retry_reason": ""})
            .to_string(),
        );
        envelope_id
    }

    /// Sends `frame` as it is on the newest open socket, waiting up to 15 s for one (e.g.
    /// a reconnection): for text no `Value` can hold, such as an escaped lone surrogate.
    pub fn send_frame(&self, frame: String) {
        let sent = self.wait_for(Duration::from_secs(15), |st| {
            let socket = st.sockets.iter().rev().find(|s| s.open && s.hello)?;
            socket.tx.send(Out::Text(frame.clone())).ok()
        });
        if sent.is_none() {
            let opened = self.connections();
            panic!(
                "fake Slack: no open Socket Mode connection within 15 s ({opened} opened so far)"
            );
        }
    }

    /// The ack frame (`{"envelope_id":…, maybe "payload"}`) for an envelope, or None on timeout.
    pub fn wait_ack(&self, envelope_id: &str, timeout: Duration) -> Option<Value> {
        self.wait_for(timeout, |st| {
            st.acks
                .iter()
                .find(|a| a["envelope_id"] == envelope_id)
                .cloned()
        })
    }

    /// Every frame received from clients (acks), in order.
    pub fn acks(&self) -> Vec<Value> {
        lock(&self.state).acks.clone()
    }

    /// Closes the current websocket from the server side (close frame 1001).
    pub fn drop_socket(&self) {
        let mut st = lock(&self.state);
        if let Some(s) = st.sockets.iter_mut().rev().find(|s| s.open) {
            let _ = s.tx.send(Out::Close);
            s.open = false;
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

// ---- Web API ------------------------------------------------------------------------

async fn web_api(
    State(state): State<Shared>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(method) = uri
        .path()
        .strip_prefix("/api/")
        .map(|m| m.trim_start_matches('/').to_string())
    else {
        return (StatusCode::NOT_FOUND, "fake Slack: no such path").into_response();
    };
    let token = bearer(&headers);
    let mut params = Map::new();
    for (k, v) in parse_form(uri.query().unwrap_or("")) {
        params.insert(k, Value::String(v));
    }
    merge_body(&mut params, &headers, &body);
    params.insert("_token".into(), json!(token));
    params.insert("_at_ms".into(), json!(now_ms()));
    let channel = param(&params, "channel").unwrap_or_default().to_string();
    if method == "chat.postMessage" && lock(&state).held.contains(&channel) {
        *lock(&state).hanging.entry(channel.clone()).or_default() += 1;
        while lock(&state).held.contains(&channel) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        *lock(&state).hanging.entry(channel.clone()).or_default() -= 1;
    }
    let delay = lock(&state).delays.get(&method).copied();
    let response = answer_call(&state, method, &token, params);
    if let Some(delay) = delay {
        // The call took effect; only its answer is late.
        tokio::time::sleep(delay).await;
    }
    response
}

fn answer_call(
    state: &Shared,
    method: String,
    token: &str,
    mut params: Map<String, Value>,
) -> Response {
    let mut st = lock(state);
    let outage = st.outages.get(&method).copied();
    let (status, retry_after, reply) = match outage
        .map(|status| Failure {
            status,
            retry_after: None,
            error: "fatal_error".into(),
        })
        .or_else(|| st.failures.get_mut(&method).and_then(VecDeque::pop_front))
    {
        Some(f) => (
            f.status,
            f.retry_after,
            json!({"ok": false, "error": f.error}),
        ),
        None => match answer(&mut st, &method, token, &params) {
            Ok(mut v) => {
                v["ok"] = json!(true);
                (200, None, v)
            }
            Err(error) => (200, None, json!({"ok": false, "error": error})),
        },
    };
    if status != 200 {
        params.insert("_status".into(), json!(status));
    }
    if let Some(error) = reply.get("error") {
        params.insert("_error".into(), error.clone());
    }
    st.calls.push((method, Value::Object(params)));
    let mut response = json_reply(status, &reply);
    if let Ok(scopes) = st.scopes.parse() {
        response.headers_mut().insert("x-oauth-scopes", scopes);
    }

    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
    }
    response
}

fn answer(
    st: &mut FakeState,
    method: &str,
    token: &str,
    p: &Map<String, Value>,
) -> Result<Value, String> {
    let wanted = if method == "apps.connections.open" {
        "xapp-"
    } else {
        "xoxb-"
    };
    if !token.starts_with(wanted) {
        return Err("invalid_auth".into());
    }
    match method {
        "auth.test" => Ok(
            json!({"url": "https://fake.slack.com/", "team": "Fake", "user": "relaydesk",
            "team_id": FakeSlack::TEAM, "user_id": FakeSlack::BOT_USER, "bot_id": FakeSlack::BOT_ID}),
        ),
        "apps.connections.open" => {
            Ok(json!({"url": format!("{}/socket", st.base.replacen("http", "ws", 1))}))
        }
        "chat.postMessage" => post_message(st, p),
        "chat.update" => update_message(st, p),
        "chat.delete" => {
            let m = st.live_message(p)?;
            m.deleted = true;
            Ok(json!({"channel": m.channel, "ts": m.ts}))
        }
        "chat.postEphemeral" => Ok(json!({"message_ts": st.new_ts()})),
        "users.info" => {
            let user = param(p, "user").and_then(|u| st.users.get(u));
            user.map(|u| json!({"user": u}))
                .ok_or_else(|| "user_not_found".into())
        }
        "conversations.open" => {
            let user = match p.get("users") {
                Some(Value::Array(users)) => users.first().and_then(Value::as_str),
                Some(Value::String(users)) => users.split(',').next(),
                _ => None,
            };
            let user = user
                .filter(|u| !u.is_empty())
                .ok_or("users_list_not_supplied")?;
            Ok(json!({"channel": {"id": format!("D{user}")}, "already_open": false}))
        }
        "files.getUploadURLExternal" => {
            let name = param(p, "filename").ok_or("invalid_arguments")?.to_string();
            p.get("length").ok_or("invalid_arguments")?;
            let id = format!("F{:06}", st.next());
            st.pending_uploads.insert(id.clone(), (name, None));
            Ok(json!({"upload_url": format!("{}/upload/{id}", st.base), "file_id": id}))
        }
        "files.completeUploadExternal" => complete_upload(st, p),
        "conversations.history" | "conversations.replies" => {
            let channel = param(p, "channel").ok_or("channel_not_found")?;
            let parent = param(p, "ts");
            let limit = param(p, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(100usize);
            let metadata = param(p, "include_all_metadata") == Some("true");
            let mut found: Vec<Value> = st
                .messages
                .iter()
                .filter(|m| m.channel == channel && !m.deleted)
                .filter(|m| match (method, parent) {
                    ("conversations.replies", Some(ts)) => {
                        m.ts == ts || m.thread_ts.as_deref() == Some(ts)
                    }
                    _ => m.thread_ts.is_none(),
                })
                .map(|m| {
                    let mut v = message_json(m);
                    if let (true, Some(meta)) = (metadata, &m.metadata) {
                        v["metadata"] = meta.clone();
                    }
                    v
                })
                .collect();
            if method == "conversations.history" {
                // Newest first, as Slack lists a channel.
                found.reverse();
            }
            found.truncate(limit);
            Ok(json!({"messages": found, "has_more": false}))
        }
        _ => Err("unknown_method".into()),
    }
}

fn post_message(st: &mut FakeState, p: &Map<String, Value>) -> Result<Value, String> {
    let channel = param(p, "channel").ok_or("channel_not_found")?.to_string();
    let (text, blocks) = (param(p, "text"), json_param(p, "blocks"));
    if text.is_none() && blocks.is_none() && p.get("attachments").is_none() {
        return Err("no_text".into());
    }
    within_limits(text, blocks.as_ref())?;
    let message = Posted {
        ts: st.new_ts(),
        channel: channel.clone(),
        thread_ts: param(p, "thread_ts").map(str::to_string),
        text: text.unwrap_or_default().to_string(),
        blocks,
        user: FakeSlack::BOT_USER.into(),
        deleted: false,
        files: Vec::new(),
        names_linked: names_linked(p),
        metadata: json_param(p, "metadata"),
    };
    let reply = json!({"channel": channel, "ts": message.ts, "message": message_json(&message)});
    st.messages.push(message);
    Ok(reply)
}

fn update_message(st: &mut FakeState, p: &Map<String, Value>) -> Result<Value, String> {
    within_limits(param(p, "text"), json_param(p, "blocks").as_ref())?;
    let m = st.live_message(p)?;
    m.names_linked = names_linked(p);
    if let Some(text) = param(p, "text") {
        m.text = text.to_string();
    }
    if let Some(blocks) = json_param(p, "blocks") {
        m.blocks = Some(blocks);
    }
    Ok(json!({"channel": m.channel, "ts": m.ts, "text": m.text, "message": message_json(m)}))
}

fn complete_upload(st: &mut FakeState, p: &Map<String, Value>) -> Result<Value, String> {
    let requested = json_param(p, "files")
        .and_then(|f| f.as_array().cloned())
        .ok_or("invalid_arguments")?;
    let mut files = Vec::new();
    for f in &requested {
        let id = f["id"].as_str().unwrap_or_default();
        let Some((name, Some(bytes))) = st.pending_uploads.get(id).cloned() else {
            return Err("file_not_found".into());
        };
        let title = f["title"].as_str().unwrap_or(&name).to_string();
        let url = format!("{}/files/{id}-{name}", st.base);
        files.push(
            json!({"id": id, "name": name, "title": title, "user": FakeSlack::BOT_USER,
            "mimetype": "application/octet-stream", "size": bytes.len(), "url_private": url,
            "url_private_download": url}),
        );
        st.hosted.insert(format!("{id}-{name}"), bytes.clone());
        st.uploaded.push((name, bytes));
    }
    let channels = param(p, "channels").and_then(|c| c.split(',').next());
    if let Some(channel) = param(p, "channel_id").or(channels) {
        let message = Posted {
            ts: st.new_ts(),
            channel: channel.to_string(),
            thread_ts: param(p, "thread_ts").map(str::to_string),
            text: param(p, "initial_comment").unwrap_or_default().to_string(),
            blocks: json_param(p, "blocks"),
            user: FakeSlack::BOT_USER.into(),
            deleted: false,
            files: files.clone(),
            names_linked: false,
            metadata: None,
        };
        st.messages.push(message);
    }
    Ok(json!({"files": files}))
}

/// Slack's limits: 40,000 characters of `text`, 50 blocks, 3,000 characters in a
/// section's text.
fn within_limits(text: Option<&str>, blocks: Option<&Value>) -> Result<(), String> {
    if text.is_some_and(|t| t.chars().count() > 40_000) {
        return Err("msg_too_long".into());
    }
    let blocks = blocks
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let long_section = blocks.iter().any(|b| {
        b["type"] == "section" && b["text"]["text"].as_str().unwrap_or("").chars().count() > 3000
    });
    if blocks.len() > 50 || long_section {
        return Err("invalid_blocks".into());
    }
    Ok(())
}

/// Asked to link names: `link_names` true (or `1`), or `parse=full`.
fn names_linked(p: &Map<String, Value>) -> bool {
    let link_names = matches!(p.get("link_names"), Some(v) if *v == json!(true) || *v == json!("true") || *v == json!("1") || *v == json!(1));
    link_names || param(p, "parse") == Some("full")
}

fn message_json(m: &Posted) -> Value {
    let mut v = json!({"type": "message", "user": m.user, "bot_id": FakeSlack::BOT_ID,
        "app_id": APP_ID, "team": FakeSlack::TEAM, "text": m.text, "ts": m.ts});
    if let Some(blocks) = &m.blocks {
        v["blocks"] = blocks.clone();
    }
    if let Some(thread_ts) = &m.thread_ts {
        v["thread_ts"] = json!(thread_ts);
    }
    v
}

fn param<'a>(p: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    p.get(key).and_then(Value::as_str)
}

/// A parameter that is JSON in a JSON body but a JSON string in a form body.
fn json_param(p: &Map<String, Value>, key: &str) -> Option<Value> {
    match p.get(key)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        v => Some(v.clone()),
    }
}

fn merge_body(params: &mut Map<String, Value>, headers: &HeaderMap, body: &[u8]) {
    if body.is_empty() {
        return;
    }
    if header_str(headers, header::CONTENT_TYPE.as_str()).contains("form-urlencoded") {
        for (k, v) in parse_form(&String::from_utf8_lossy(body)) {
            params.insert(k, Value::String(v));
        }
    } else if let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) {
        params.extend(fields);
    } else {
        params.insert("_raw".into(), json!(String::from_utf8_lossy(body)));
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn bearer(headers: &HeaderMap) -> String {
    let auth = header_str(headers, header::AUTHORIZATION.as_str());
    auth.strip_prefix("Bearer ")
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn json_reply(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

// ---- uploads, file host, response_url ----------------------------------------------

async fn upload(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = header_str(&headers, header::CONTENT_TYPE.as_str());
    let bytes = body.to_vec(); // slack-morphism sends the raw bytes, not a multipart form
    let mut guard = lock(&state);
    let st = &mut *guard;
    let mut call = json!({"_file_id": id, "_bytes": bytes.len(), "_content_type": content_type, "_token": bearer(&headers)});
    let reply = if let Some(f) = st.failures.get_mut("upload").and_then(VecDeque::pop_front) {
        call["_status"] = json!(f.status);
        (
            StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            f.error,
        )
    } else if let Some(pending) = st.pending_uploads.get_mut(&id) {
        let reply = format!("OK - {}", bytes.len());
        pending.1 = Some(bytes);
        (StatusCode::OK, reply)
    } else {
        call["_status"] = json!(404);
        (StatusCode::NOT_FOUND, "file_not_found".to_string())
    };
    st.calls.push(("upload".into(), call));
    (reply.0, [(header::CONTENT_TYPE, "text/plain")], reply.1).into_response()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn hosted_file(
    State(state): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !bearer(&headers).starts_with("xoxb-") {
        return (StatusCode::UNAUTHORIZED, "not_authed").into_response();
    }
    match lock(&state).hosted.get(&name) {
        Some(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "file_not_found").into_response(),
    }
}

async fn response_url(State(state): State<Shared>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| json!({"_raw": String::from_utf8_lossy(&body)}));
    lock(&state).responses.push(body);
    json_reply(200, &json!({"ok": true}))
}

// ---- Socket Mode ---------------------------------------------------------------------

async fn socket(ws: WebSocketUpgrade, State(state): State<Shared>) -> Response {
    ws.on_upgrade(move |socket| run_socket(socket, state))
}

async fn run_socket(mut ws: WebSocket, state: Shared) {
    let (tx, mut rx) = unbounded_channel();
    let (index, open) = {
        let mut st = lock(&state);
        st.sockets.push(Socket {
            tx,
            open: true,
            hello: false,
        });
        (
            st.sockets.len() - 1,
            st.sockets.iter().filter(|s| s.open).count(),
        )
    };
    let hello = json!({"type": "hello", "num_connections": open, "connection_info": {"app_id": APP_ID},
        "debug_info": {"host": "fake-slack", "build_number": 1, "approximate_connection_time": 18060}});
    if ws
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_ok()
    {
        lock(&state).sockets[index].hello = true;
    }
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Text(frame)) => if ws.send(Message::Text(frame.into())).await.is_err() { break },
                _ => {
                    let close = CloseFrame { code: 1001, reason: "fake Slack dropped the socket".into() };
                    let _ = ws.send(Message::Close(Some(close))).await;
                    break;
                }
            },
            received = ws.recv() => match received {
                Some(Ok(Message::Text(text))) => {
                    let frame = serde_json::from_str(text.as_str()).unwrap_or_else(|_| json!({"_raw": text.as_str()}));
                    lock(&state).acks.push(frame);
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    lock(&state).sockets[index].open = false;
}

// ---- payload builders ------------------------------------------------------------------

fn client_msg_id(channel: &str, ts: &str) -> String {
    let mut hasher = DefaultHasher::new();
    (channel, ts).hash(&mut hasher);
    let h = hasher.finish();
    format!(
        "{:08x}-fa4e-4000-8000-{:012x}",
        h >> 32,
        h & 0xffff_ffff_ffff
    )
}

fn channel_name(channel: &str) -> &'static str {
    if channel.starts_with('D') {
        "directmessage"
    } else {
        "support"
    }
}

fn placeholder_response_url() -> String {
    format!(
        "{PLACEHOLDER}/response/R{:06}",
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

fn trigger_id() -> String {
    format!(
        "{}.{}.fake{:06}",
        now(),
        FakeSlack::TEAM,
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

fn user_message(
    kind: &str,
    user: &str,
    channel: &str,
    ts: &str,
    thread_ts: Option<&str>,
    text: &str,
) -> Value {
    let mut v = json!({"type": kind, "channel": channel, "user": user, "text": text, "ts": ts,
        "event_ts": ts, "team": FakeSlack::TEAM, "client_msg_id": client_msg_id(channel, ts)});
    if let Some(thread_ts) = thread_ts {
        v["thread_ts"] = json!(thread_ts);
    }
    v
}

/// A `message.im` event: a person's direct message to the bot.
pub fn dm(user: &str, channel: &str, ts: &str, text: &str) -> Value {
    let mut v = user_message("message", user, channel, ts, None, text);
    v["channel_type"] = json!("im");
    v
}

/// A `message.channels` event in a public channel, optionally in a thread.
pub fn channel_message(
    user: &str,
    channel: &str,
    ts: &str,
    thread_ts: Option<&str>,
    text: &str,
) -> Value {
    let mut v = user_message("message", user, channel, ts, thread_ts, text);
    v["channel_type"] = json!("channel");
    v
}

/// An `app_mention` event (put `<@UBOT>` in `text` yourself, as Slack does).
pub fn app_mention(
    user: &str,
    channel: &str,
    ts: &str,
    thread_ts: Option<&str>,
    text: &str,
) -> Value {
    user_message("app_mention", user, channel, ts, thread_ts, text)
}

/// A `message_changed` event: `user`'s message `ts_of_original` now reads `new_text`.
pub fn message_changed(
    channel: &str,
    channel_type: &str,
    ts_of_original: &str,
    user: &str,
    new_text: &str,
    event_ts: &str,
) -> Value {
    json!({"type": "message", "subtype": "message_changed", "hidden": true, "channel": channel,
        "channel_type": channel_type, "ts": event_ts, "event_ts": event_ts,
        "message": {"type": "message", "user": user, "text": new_text, "ts": ts_of_original,
            "client_msg_id": client_msg_id(channel, ts_of_original), "edited": {"user": user, "ts": event_ts}},
        "previous_message": {"type": "message", "user": user, "ts": ts_of_original,
            "client_msg_id": client_msg_id(channel, ts_of_original)}})
}

/// A `message_deleted` event for the message `deleted_ts`.
pub fn message_deleted(
    channel: &str,
    channel_type: &str,
    deleted_ts: &str,
    event_ts: &str,
) -> Value {
    json!({"type": "message", "subtype": "message_deleted", "hidden": true, "channel": channel,
        "channel_type": channel_type, "ts": event_ts, "event_ts": event_ts, "deleted_ts": deleted_ts,
        "previous_message": {"type": "message", "ts": deleted_ts}})
}

/// A `block_actions` interaction: `user` pressed the button `action_id` (with `value`) on the
/// bot's message `message_ts`.
pub fn block_action(
    user: &str,
    channel: &str,
    message_ts: &str,
    thread_ts: Option<&str>,
    action_id: &str,
    value: &str,
) -> Value {
    let mut message = json!({"type": "message", "user": FakeSlack::BOT_USER, "bot_id": FakeSlack::BOT_ID, "text": "", "ts": message_ts});
    let mut container = json!({"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": false});
    if let Some(thread_ts) = thread_ts {
        message["thread_ts"] = json!(thread_ts);
        container["thread_ts"] = json!(thread_ts);
    }
    json!({"type": "block_actions", "token": VERIFICATION_TOKEN, "api_app_id": APP_ID,
        "team": {"id": FakeSlack::TEAM, "domain": "fake"},
        "user": {"id": user, "username": user, "name": user, "team_id": FakeSlack::TEAM},
        "channel": {"id": channel, "name": channel_name(channel)}, "message": message,
        "container": container, "trigger_id": trigger_id(), "response_url": placeholder_response_url(),
        "is_enterprise_install": false,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "fake-block", "value": value,
            "text": {"type": "plain_text", "text": value, "emoji": true}, "action_ts": format!("{}.{:06}", now(), SEQ.fetch_add(1, Ordering::Relaxed))}]})
}

/// A choice made from a select menu (`static_select`) on a bot message.
pub fn select_action(
    user: &str,
    channel: &str,
    message_ts: &str,
    value: &str,
    label: &str,
) -> Value {
    let mut press = block_action(user, channel, message_ts, None, "relaydesk-select", value);
    press["actions"] = json!([{"type": "static_select", "action_id": "relaydesk-select", "block_id": "fake-block",
        "selected_option": {"text": {"type": "plain_text", "text": label, "emoji": true}, "value": value},
        "placeholder": null,
        "action_ts": format!("{}.{:06}", now(), SEQ.fetch_add(1, Ordering::Relaxed))}]);
    press
}

/// A `/support` slash command, as the form fields Slack sends (all strings).
pub fn slash_command(user: &str, channel: &str, text: &str) -> Value {
    json!({"token": VERIFICATION_TOKEN, "team_id": FakeSlack::TEAM, "team_domain": "fake",
        "channel_id": channel, "channel_name": channel_name(channel), "user_id": user, "user_name": user,
        "command": "/support", "text": text, "api_app_id": APP_ID, "is_enterprise_install": "false",
        "response_url": placeholder_response_url(), "trigger_id": trigger_id()})
}

/// The outer `event_callback` payload around an inner event (for Socket Mode and HTTP).
pub fn event_callback(event: Value, event_id: &str) -> Value {
    json!({"token": VERIFICATION_TOKEN, "team_id": FakeSlack::TEAM, "api_app_id": APP_ID,
        "event": event, "type": "event_callback", "event_id": event_id, "event_time": now(),
        "authorizations": [{"enterprise_id": null, "team_id": FakeSlack::TEAM, "user_id": FakeSlack::BOT_USER,
            "is_bot": true, "is_enterprise_install": false}],
        "is_ext_shared_channel": false, "event_context": format!("4-fake-{event_id}")})
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Unix time in seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

// ---- HTTP client side (Events API over HTTP) -----------------------------------------

/// `v0=` + hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}")), Slack's request signature.
pub fn slack_signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `body` signed as Slack does (`X-Slack-Retry-Num` when given); returns status and body.
pub fn signed_post(
    url: &str,
    body: &str,
    content_type: &str,
    secret: &str,
    timestamp: i64,
    retry_num: Option<u32>,
) -> (u16, String) {
    let (signature, ts) = (
        slack_signature(secret, timestamp, body),
        timestamp.to_string(),
    );
    let retry = retry_num.map(|n| n.to_string());
    let mut headers = vec![
        ("Content-Type", content_type),
        ("X-Slack-Request-Timestamp", ts.as_str()),
        ("X-Slack-Signature", signature.as_str()),
        ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)"),
    ];
    if let Some(retry) = &retry {
        headers.extend([
            ("X-Slack-Retry-Num", retry.as_str()),
            ("X-Slack-Retry-Reason", "http_timeout"),
        ]);
    }
    let reply = http_request("POST", url, &headers, body.as_bytes());
    (reply.status, reply.text())
}

/// [`signed_post`] of an event, signed now, to a server that may be down: the status,
/// or `None` when no answer came (as Slack sees a timeout, and sends it again).
pub fn try_post_event(url: &str, body: &str, secret: &str, retry_num: Option<u32>) -> Option<u16> {
    let timestamp = now();
    let (signature, ts) = (
        slack_signature(secret, timestamp, body),
        timestamp.to_string(),
    );
    let retry = retry_num.map(|n| n.to_string());
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("X-Slack-Request-Timestamp", ts.as_str()),
        ("X-Slack-Signature", signature.as_str()),
    ];
    if let Some(retry) = &retry {
        headers.extend([
            ("X-Slack-Retry-Num", retry.as_str()),
            ("X-Slack-Retry-Reason", "http_timeout"),
        ]);
    }
    try_http_request("POST", url, &headers, body.as_bytes())
        .ok()
        .map(|r| r.status)
}

/// Form-encodes a JSON object's fields (strings as they are, other values as JSON).
pub fn form_encode(fields: &Value) -> String {
    let fields = fields.as_object().cloned().unwrap_or_default();
    let pair = |(k, v): (String, Value)| {
        let v = v
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string());
        format!("{}={}", percent_encode(&k), percent_encode(&v))
    };
    fields.into_iter().map(pair).collect::<Vec<_>>().join("&")
}

/// The form body Slack posts for an interaction: `payload=<json>`.
pub fn interaction_form(payload: &Value) -> String {
    format!("payload={}", percent_encode(&payload.to_string()))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn parse_form(s: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let (b, mut out, mut i) = (s.as_bytes(), Vec::new(), 0);
        while i < b.len() {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
            match (b[i], hex) {
                (b'+', _) => out.push(b' '),
                (b'%', Some(byte)) => {
                    out.push(byte);
                    i += 2;
                }
                (c, _) => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    let pairs = s.split('&').filter(|p| !p.is_empty());
    pairs
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// A reply read by [`http_request`].
#[derive(Debug)]
pub struct HttpReply {
    /// The HTTP status code.
    pub status: u16,
    /// The headers, in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl HttpReply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The body as JSON (Null if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A plain HTTP/1.1 request (`Connection: close`) to an `http://` URL; panics if it cannot connect.
pub fn http_request(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpReply {
    try_http_request(method, url, headers, body)
        .unwrap_or_else(|e| panic!("http_request: {method} {url}: {e}"))
}

/// [`http_request`], with a failure to connect or to read a reply as an error: for a
/// server that may be down.
pub fn try_http_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<HttpReply, String> {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("http_request: not an http:// URL: {url}"));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut request = format!(
        "{method} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        if path.is_empty() { "/" } else { path },
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let mut raw = Vec::new();
    stream
        .write_all(request.as_bytes())
        .and_then(|_| stream.write_all(body))
        .and_then(|_| stream.read_to_end(&mut raw))
        .map_err(|e| e.to_string())?;
    let head_end = find(&raw, b"\r\n\r\n").ok_or_else(|| format!("no HTTP reply from {url}"))?;
    let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut reply = HttpReply {
        status,
        headers,
        body: raw[head_end + 4..].to_vec(),
    };
    if reply
        .header("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        reply.body = dechunk(&reply.body);
    }
    Ok(reply)
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = find(rest, b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..line_end])
            .split(';')
            .next()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let Some(size) = size.filter(|s| *s > 0) else {
            break;
        };
        let start = line_end + 2;
        let end = (start + size).min(rest.len());
        out.extend_from_slice(&rest[start..end]);
        rest = &rest[(end + 2).min(rest.len())..];
    }
    out
}

#[test]
fn fake_slack_speaks_web_api_and_socket_mode() {
    let fake = FakeSlack::start();
    let api = |method: &str, token: &str, body: &str| {
        let auth = format!("Bearer {token}");
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        // slack-morphism joins `{api}/{method}`, so the trailing slash gives `//`: both work.
        http_request(
            "POST",
            &format!("{}/{method}", fake.api_url()),
            &headers,
            body.as_bytes(),
        )
    };
    let auth = api("auth.test", "xoxb-1", "");
    assert_eq!(auth.json()["user_id"], "UBOT", "{}", auth.text());
    assert_eq!(auth.header("x-oauth-scopes"), Some(DEFAULT_SCOPES));
    assert!(auth
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    assert_eq!(api("auth.test", "", "").json()["error"], "invalid_auth");

    let posted = api(
        "chat.postMessage",
        "xoxb-1",
        r#"{"channel":"C1","text":"hi","thread_ts":"1.2"}"#,
    )
    .json();
    let update = json!({"channel": "C1", "ts": posted["ts"], "text": "edited"}).to_string();
    assert_eq!(
        api("chat.update", "xoxb-1", &update).json()["message"]["text"],
        "edited"
    );
    let messages = fake.posted("C1");
    assert_eq!(
        (
            messages.len(),
            messages[0].text.as_str(),
            messages[0].thread_ts.as_deref()
        ),
        (1, "edited", Some("1.2"))
    );
    fake.fail_next("chat.postMessage", 429, Some(3));
    let limited = api("chat.postMessage", "xoxb-1", "{}");
    assert_eq!(
        (limited.status, limited.header("retry-after")),
        (429, Some("3"))
    );
    assert_eq!(fake.calls("chat.postMessage")[1]["_status"], 429);

    // users.info and files.getUploadURLExternal are GETs with a query string.
    fake.add_user("U1", "ada", Some("ada@example.com"), "T1");
    let (bot, base) = ([("Authorization", "Bearer xoxb-1")], fake.api_url());
    let user = http_request("GET", &format!("{base}users.info?user=U1"), &bot, b"").json();
    assert_eq!(user["user"]["profile"]["email"], "ada@example.com");
    let url = http_request(
        "GET",
        &format!("{base}files.getUploadURLExternal?filename=a.txt&length=3"),
        &bot,
        b"",
    )
    .json();
    assert_eq!(
        http_request(
            "POST",
            url["upload_url"].as_str().unwrap_or_default(),
            &[],
            b"abc"
        )
        .status,
        200
    );
    let complete =
        json!({"files": [{"id": url["file_id"], "title": "A"}], "channel_id": "D1"}).to_string();
    let file = api("files.completeUploadExternal", "xoxb-1", &complete).json()["files"][0].clone();
    assert_eq!(
        fake.uploaded(),
        vec![("a.txt".to_string(), b"abc".to_vec())]
    );
    let file_url = file["url_private"].as_str().unwrap_or_default();
    assert_eq!(http_request("GET", file_url, &bot, b"").body, b"abc");
    assert_eq!(http_request("GET", file_url, &[], b"").status, 401);
    assert_eq!(
        api("apps.connections.open", "xapp-1", "{}").json()["url"],
        format!("ws://127.0.0.1:{}/socket", fake.server.port)
    );

    // Socket Mode, with a minimal hand-written websocket client.
    let mut ws = TcpStream::connect(("127.0.0.1", fake.server.port)).expect("connect");
    let upgrade = "GET /socket?debug_reconnects=true HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    ws.write_all(upgrade.as_bytes()).expect("upgrade");
    let (mut head, mut byte) = (Vec::new(), [0u8; 1]);
    while !head.ends_with(b"\r\n\r\n") {
        ws.read_exact(&mut byte).expect("handshake");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    fn read_frame(ws: &mut TcpStream) -> (u8, Value) {
        let mut h = [0u8; 2];
        ws.read_exact(&mut h).expect("frame header");
        let len = match h[1] & 0x7f {
            126 => {
                let mut l = [0u8; 2];
                ws.read_exact(&mut l).expect("frame length");
                u16::from_be_bytes(l) as usize
            }
            n => n as usize, // frames here stay below 64 KiB
        };
        let mut payload = vec![0; len];
        ws.read_exact(&mut payload).expect("frame payload");
        (
            h[0] & 0x0f,
            serde_json::from_slice(&payload).unwrap_or(Value::Null),
        )
    }
    assert_eq!(read_frame(&mut ws).1["type"], "hello");
    fake.wait_connected(Duration::from_secs(5));
    let id = fake.send_event(dm("U1", "D1", "1.1", "hi"));
    let envelope = read_frame(&mut ws).1;
    assert_eq!(
        (
            envelope["type"].as_str(),
            envelope["payload"]["event"]["text"].as_str()
        ),
        (Some("events_api"), Some("hi"))
    );
    let ack = json!({"envelope_id": id}).to_string();
    let mut frame = vec![0x81, 0x80 | ack.len() as u8, 0, 0, 0, 0]; // masked with a zero key
    frame.extend(ack.as_bytes());
    ws.write_all(&frame).expect("ack");
    assert_eq!(
        fake.wait_ack(&id, Duration::from_secs(5)),
        Some(json!({"envelope_id": id}))
    );
    fake.drop_socket();
    assert_eq!(read_frame(&mut ws).0, 0x8, "a close frame");
    assert_eq!(fake.connections(), 1);
}
