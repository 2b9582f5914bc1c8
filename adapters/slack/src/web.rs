//! Slack's Web API as the adapter uses it: posting, changing and removing messages,
//! uploading files, and who people are.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use relaydesk_core::adapter::{FileRef, SendError};
use relaydesk_core::Person;
use secrecy::{ExposeSecret, SecretString};
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use crate::ids;

/// The HTTPS (or plain HTTP) connector every Slack call goes through.
pub type Connector = SlackClientHyperConnector<HttpsConnector<HttpConnector>>;

/// The `event_type` of the metadata every message relaydesk posts carries, with the
/// outbox row's key as `key`: how a message posted just before a crash is found again.
pub const METADATA_EVENT: &str = "relaydesk_outbox";

/// How many of a channel's (or thread's) latest messages are searched for a message
/// posted before a crash.
const LOOKBACK: u16 = 100;

/// How long what `users.info` said about someone is trusted.
const PERSON_TTL: Duration = Duration::from_secs(600);

/// A Slack Web API client with the bot token, and caches of people and DM channels.
pub struct Web {
    /// The slack-morphism client.
    pub client: Arc<SlackClient<Connector>>,
    token: SlackApiToken,
    files: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    /// Hosts whose file links need the bot token (Slack's own file host).
    file_hosts: Vec<String>,
    trusted_teams: HashSet<String>,
    people: Mutex<HashMap<String, (Person, Instant)>>,
    dms: Mutex<HashMap<String, String>>,
}

/// Why the Web API could not be reached or refused.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("the HTTPS client could not be built: {0}")]
    /// The TLS roots could not be loaded.
    Tls(String),
    #[error("Slack's API address `{0}` is not a URL")]
    /// `[slack] api_url` is not a URL.
    BadUrl(String),
}

impl Web {
    /// `api_url` may be plain `http://` (proxies, tests).
    pub fn new(
        api_url: &str,
        bot_token: &SecretString,
        trusted_teams: &[String],
    ) -> Result<Web, WebError> {
        let https = || https_connector().map_err(WebError::Tls);
        let api = url::Url::parse(api_url).map_err(|_| WebError::BadUrl(api_url.into()))?;
        let connector =
            Connector::with_connector(https()?).with_slack_api_url(api_url.trim_end_matches('/'));
        let mut file_hosts = vec!["files.slack.com".to_string()];
        file_hosts.extend(api.host_str().map(str::to_string));
        Ok(Web {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(SlackApiTokenValue(bot_token.expose_secret().to_string())),
            files: Client::builder(TokioExecutor::new()).build(https()?),
            file_hosts,
            trusted_teams: trusted_teams.iter().cloned().collect(),
            people: Mutex::new(HashMap::new()),
            dms: Mutex::new(HashMap::new()),
        })
    }

    /// A session with the bot token.
    pub fn session(&self) -> SlackClientSession<'_, Connector> {
        self.client.open_session(&self.token)
    }

    /// The bot's own user id and team, from `auth.test`.
    pub async fn whoami(&self) -> Result<SlackApiAuthTestResponse, SlackClientError> {
        self.session().auth_test().await
    }

    /// Who a Slack user is. Members of a trusted workspace whose email Slack returns
    /// count as verified. When Slack cannot say (scope missing, outage), the user id
    /// stands in for the name and nothing is verified.
    pub async fn person(&self, user: &str) -> Person {
        if let Some((p, at)) = lock(&self.people).get(user) {
            if at.elapsed() < PERSON_TTL {
                return p.clone();
            }
        }
        let req = SlackApiUsersInfoRequest::new(SlackUserId(user.to_string()));
        let person = match self.session().users_info(&req).await {
            Ok(info) => person_of(&info.user, &self.trusted_teams),
            Err(e) => {
                tracing::warn!(user, error = %describe(&e), "users.info failed; the person is shown by their id");
                return person_by_id(user);
            }
        };
        lock(&self.people).insert(user.to_string(), (person.clone(), Instant::now()));
        person
    }

    /// The direct-message channel with a user.
    pub async fn dm(&self, user: &str) -> Result<String, SlackClientError> {
        if let Some(channel) = lock(&self.dms).get(user) {
            return Ok(channel.clone());
        }
        let req =
            SlackApiConversationsOpenRequest::new().with_users(vec![SlackUserId(user.to_string())]);
        let channel = self.session().conversations_open(&req).await?.channel.id.0;
        lock(&self.dms).insert(user.to_string(), channel.clone());
        Ok(channel)
    }

    /// Posts `content` in `channel` (in `thread`); returns the message's `ts`.
    pub async fn post(
        &self,
        channel: &str,
        thread: Option<&str>,
        content: SlackMessageContent,
    ) -> Result<String, SendError> {
        let mut req = SlackApiChatPostMessageRequest::new(SlackChannelId(channel.into()), content);
        req.thread_ts = thread.map(|t| SlackTs(t.into()));
        let res = self.session().chat_post_message(&req).await;
        res.map(|r| r.ts.0).map_err(send_error)
    }

    /// The `ts` of the message relaydesk posted as outbox row `key`, if it is among the
    /// latest messages of `channel` (of `thread`, for a reply).
    pub async fn find_posted(
        &self,
        channel: &str,
        thread: Option<&str>,
        key: &str,
    ) -> Result<Option<String>, SendError> {
        let session = self.session();
        let messages = match thread {
            Some(thread) => {
                // slack-morphism's request for conversations.replies has no
                // `include_all_metadata`, without which Slack leaves metadata out.
                let limit = LOOKBACK.to_string();
                let params = vec![
                    ("channel", Some(channel)),
                    ("ts", Some(thread)),
                    ("limit", Some(limit.as_str())),
                    ("include_all_metadata", Some("true")),
                ];
                let replies: SlackApiConversationsRepliesResponse = session
                    .http_session_api
                    .http_get("conversations.replies", &params, None)
                    .await
                    .map_err(send_error)?;
                replies.messages
            }
            None => {
                let req = SlackApiConversationsHistoryRequest::new()
                    .with_channel(SlackChannelId(channel.into()))
                    .with_limit(LOOKBACK)
                    .with_include_all_metadata(true);
                session
                    .conversations_history(&req)
                    .await
                    .map_err(send_error)?
                    .messages
            }
        };
        Ok(messages
            .into_iter()
            .find(|m| {
                m.content.metadata.as_ref().is_some_and(|meta| {
                    meta.event_type == METADATA_EVENT
                        && meta
                            .event_payload
                            .as_ref()
                            .and_then(|p| p.get("key"))
                            .is_some_and(|k| k == key)
                })
            })
            .map(|m| m.origin.ts.0))
    }

    /// Replaces the message `ts` with `content`; returns its `ts`.
    pub async fn update(
        &self,
        channel: &str,
        ts: &str,
        content: SlackMessageContent,
    ) -> Result<String, SendError> {
        let req = SlackApiChatUpdateRequest::new(
            SlackChannelId(channel.into()),
            content,
            SlackTs(ts.into()),
        );
        let res = self.session().chat_update(&req).await;
        res.map(|r| r.ts.0).map_err(send_error)
    }

    /// Removes the message `ts`; returns its `ts`.
    pub async fn delete(&self, channel: &str, ts: &str) -> Result<String, SendError> {
        let req =
            SlackApiChatDeleteRequest::new(SlackChannelId(channel.into()), SlackTs(ts.into()));
        match self.session().chat_delete(&req).await {
            Ok(_) => Ok(ts.to_string()),
            // Already gone: what was asked for is done.
            Err(SlackClientError::ApiError(e)) if e.code == "message_not_found" => Ok(ts.into()),
            Err(e) => Err(send_error(e)),
        }
    }

    /// Copies a file into a channel (files upload v2): download, upload, share. Files
    /// over `max_bytes` are not copied: the caller links them instead.
    pub async fn upload(
        &self,
        channel: &str,
        thread: Option<&str>,
        file: &FileRef,
        comment: Option<String>,
        max_bytes: u64,
        files_dir: &std::path::Path,
    ) -> Result<Upload, SendError> {
        let bytes = match self.download(&file.url, max_bytes, files_dir).await? {
            Some(bytes) => bytes,
            None => return Ok(Upload::TooLarge),
        };
        let session = self.session();
        let url = session
            .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
                file.name.clone(),
                bytes.len(),
            ))
            .await
            .map_err(send_error)?;
        let mime = file
            .mime
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into());
        session
            .files_upload_via_url(&SlackApiFilesUploadViaUrlRequest::new(
                url.upload_url,
                bytes.to_vec(),
                mime,
            ))
            .await
            .map_err(send_error)?;
        let mut complete =
            SlackApiFilesCompleteUploadExternalRequest::new(vec![SlackApiFilesComplete::new(
                url.file_id.clone(),
            )
            .with_title(file.name.clone())])
            .with_channel_id(SlackChannelId(channel.into()));
        complete.thread_ts = thread.map(|t| SlackTs(t.into()));
        complete.initial_comment = comment;
        session
            .files_complete_upload_external(&complete)
            .await
            .map_err(send_error)?;
        Ok(Upload::Shared(url.file_id.0))
    }

    /// The file's bytes, or `None` when it is larger than `max_bytes`.
    async fn download(
        &self,
        url: &str,
        max_bytes: u64,
        files_dir: &std::path::Path,
    ) -> Result<Option<Bytes>, SendError> {
        if let Some(kept) = relaydesk_core::files::read(url, files_dir, max_bytes).await {
            return kept
                .map(|bytes| bytes.map(Bytes::from))
                .map_err(SendError::Permanent);
        }
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| SendError::Permanent(format!("file link `{url}` is not a URL")))?;
        let mut req = hyper::Request::get(uri.clone());
        if uri
            .host()
            .is_some_and(|h| self.file_hosts.iter().any(|f| f == h))
        {
            req = req.header(
                "authorization",
                format!("Bearer {}", self.token.token_value.0),
            );
        }
        let req = req
            .body(Empty::new())
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let res = self
            .files
            .request(req)
            .await
            .map_err(|e| SendError::Transient(format!("file download: {e}")))?;
        let status = res.status();
        if status.is_server_error() {
            return Err(SendError::Transient(format!(
                "file download: HTTP {status}"
            )));
        }
        if !status.is_success() {
            return Err(SendError::Permanent(format!(
                "file download: HTTP {status}"
            )));
        }
        let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
        match Limited::new(res.into_body(), limit).collect().await {
            Ok(body) => Ok(Some(body.to_bytes())),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => Ok(None),
            Err(e) => Err(SendError::Transient(format!("file download: {e}"))),
        }
    }
}

/// What became of a file.
pub enum Upload {
    /// Shared in the channel; the Slack file id.
    Shared(String),
    /// Larger than the limit: not copied.
    TooLarge,
}

/// The metadata that marks a message as outbox row `key`.
pub fn metadata(key: &str) -> SlackMessageMetadata {
    SlackMessageMetadata {
        event_type: METADATA_EVENT.into(),
        event_payload: Some(HashMap::from([("key".to_string(), key.to_string())])),
    }
}

/// HTTPS, or plain HTTP for proxies and tests, with the system's roots.
pub(crate) fn https_connector() -> Result<HttpsConnector<HttpConnector>, String> {
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| e.to_string())?
        .https_or_http()
        .enable_http1()
        .build())
}

/// A Slack user known only by their id (Slack could not say more, or need not).
pub(crate) fn person_by_id(user: &str) -> Person {
    Person {
        platform: ids::NAME.into(),
        id: user.into(),
        display_name: user.into(),
        verified_email: None,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A Slack user as relaydesk knows people.
pub fn person_of(user: &SlackUser, trusted_teams: &HashSet<String>) -> Person {
    let profile = user.profile.as_ref();
    let nonempty = |s: Option<&String>| s.filter(|s| !s.trim().is_empty()).cloned();
    let display_name = nonempty(profile.and_then(|p| p.display_name.as_ref()))
        .or_else(|| nonempty(profile.and_then(|p| p.real_name.as_ref())))
        .or_else(|| nonempty(user.real_name.as_ref()))
        .or_else(|| nonempty(user.name.as_ref()))
        .unwrap_or_else(|| user.id.0.clone());
    let verified_email = relaydesk_core::desk::identity::vouched_email(
        user.team_id.as_ref().map(|t| t.0.as_str()),
        trusted_teams,
        profile.and_then(|p| p.email.as_ref()).map(|e| e.0.as_str()),
    );
    Person {
        platform: ids::NAME.into(),
        id: user.id.0.clone(),
        display_name,
        verified_email,
    }
}

/// How a failed call should be treated by the dispatcher.
pub fn send_error(e: SlackClientError) -> SendError {
    match e {
        SlackClientError::RateLimitError(r) => SendError::RateLimited {
            retry_after: r.retry_after.unwrap_or(Duration::from_secs(1)),
        },
        SlackClientError::ApiError(a) => match a.code.as_str() {
            "ratelimited" => SendError::RateLimited {
                retry_after: Duration::from_secs(1),
            },
            "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => {
                SendError::Transient(a.code)
            }
            _ => SendError::Permanent(a.code),
        },
        SlackClientError::HttpError(h) if h.status_code.is_client_error() => {
            SendError::Permanent(format!("HTTP {}", h.status_code))
        }
        // No answer at all: refused, reset, unresolvable.
        SlackClientError::HttpProtocolError(_) => SendError::Unreachable(describe(&e)),
        other => SendError::Transient(describe(&other)),
    }
}

/// A Slack error in one line, without response bodies (they can echo message text).
pub fn describe(e: &SlackClientError) -> String {
    match e {
        SlackClientError::ApiError(a) => format!("Slack refused: {}", a.code),
        SlackClientError::HttpError(h) => format!("HTTP {}", h.status_code),
        SlackClientError::RateLimitError(_) => "rate limited".into(),
        SlackClientError::HttpProtocolError(_) => "Slack could not be reached".into(),
        SlackClientError::EndOfStream(_) => "Slack closed the connection".into(),
        SlackClientError::ProtocolError(_) => "Slack's answer could not be read".into(),
        SlackClientError::SocketModeProtocolError(s) => format!("Socket Mode: {}", s.message),
        SlackClientError::SystemError(s) => {
            format!(
                "system error: {}",
                s.message.as_deref().unwrap_or("unknown")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_trusted_workspaces_verify() {
        let user: SlackUser = serde_json::from_value(serde_json::json!({
            "id": "U1", "team_id": "T1", "name": "ada", "real_name": "Ada Lovelace",
            "profile": {"display_name": "", "real_name": "Ada Lovelace", "email": "ada@example.com"}
        }))
        .unwrap();
        let trusted = HashSet::from(["T1".to_string()]);
        let p = person_of(&user, &trusted);
        assert_eq!(p.display_name, "Ada Lovelace");
        assert_eq!(p.verified_email.as_deref(), Some("ada@example.com"));
        assert_eq!(person_of(&user, &HashSet::new()).verified_email, None);
    }
}
