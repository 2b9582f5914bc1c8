//! Delivering the engine's messages: posts, ticket posts and threads, edits, deletions,
//! files, and the private-thread fallback for closed direct messages.

use std::collections::HashMap;

use relaydesk_core::adapter::{Action, Body, Delivered, FileRef, Outbound, SendError};
use relaydesk_core::i18n;
use serde_json::{json, Value};
use serenity::all::{
    ButtonStyle, ChannelType, CreateActionRow, CreateAttachment, CreateButton, CreateMessage,
};
use serenity::http::{LightMethod, Multipart, MultipartUpload, Request, Route};

use crate::convert::{self, no_pings};
use crate::rest::RestError;
use crate::{ids, lock, ChannelInfo, Fallback, Shared};

/// Discord's error: the user does not take direct messages from the bot.
pub const DMS_CLOSED: i64 = 50007;
/// Discord's error: no such channel (here: a thread not started yet).
const UNKNOWN_CHANNEL: i64 = 10003;

/// A Discord id (`ChannelId`, `MessageId`, `UserId`) from its text.
fn snowflake<T: std::str::FromStr>(id: &str) -> Result<T, RestError> {
    ids::snowflake(id).ok_or_else(|| RestError::invalid(format!("`{id}` is not a Discord id")))
}

fn json_body(value: &impl serde::Serialize) -> Option<Vec<u8>> {
    serde_json::to_vec(value).ok()
}

/// What the adapter knows of `channel`, asking Discord the first time.
pub(crate) async fn channel_info(shared: &Shared, channel: &str) -> Result<ChannelInfo, RestError> {
    if let Some(info) = lock(&shared.channels).get(channel) {
        return Ok(info.clone());
    }
    let req = Request::new(
        Route::Channel {
            channel_id: snowflake(channel)?,
        },
        LightMethod::Get,
    );
    let v: Value = shared.rest.call(req).await?;
    let text = |v: &Value| v.as_str().map(str::to_string);
    let info = ChannelInfo {
        kind: ChannelType::from(v["type"].as_u64().unwrap_or(0) as u8),
        parent: text(&v["parent_id"]),
        owner: text(&v["owner_id"]),
        tags: v["available_tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| Some((t["name"].as_str()?.to_lowercase(), text(&t["id"])?)))
            .collect(),
    };
    lock(&shared.channels).insert(channel.to_string(), info.clone());
    Ok(info)
}

/// The direct-message channel with `user`, opening it the first time.
pub(crate) async fn dm_channel(shared: &Shared, user: &str) -> Result<String, RestError> {
    if let Some(dm) = lock(&shared.dms).get(user) {
        return Ok(dm.clone());
    }
    let req = Request::new(Route::UserMeDmChannels, LightMethod::Post)
        .body(json_body(&json!({ "recipient_id": user })));
    let v: Value = shared.rest.call(req).await?;
    let dm = v["id"]
        .as_str()
        .ok_or_else(|| RestError::other("Discord opened a direct message without an id"))?
        .to_string();
    lock(&shared.dms).insert(user.to_string(), dm.clone());
    lock(&shared.channels).insert(
        dm.clone(),
        ChannelInfo {
            kind: ChannelType::Private,
            parent: None,
            owner: None,
            tags: HashMap::new(),
        },
    );
    Ok(dm)
}

async fn post_json(shared: &Shared, channel: &str, body: Value) -> Result<Value, RestError> {
    let req = Request::new(
        Route::ChannelMessages {
            channel_id: snowflake(channel)?,
        },
        LightMethod::Post,
    )
    .body(json_body(&body));
    shared.rest.call(req).await
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// A message body with the row's nonce: Discord answers a repeat of it (a retry after a
/// lost answer, a restart after a crash) with the message it already made.
fn with_nonce(create: CreateMessage, row: i64) -> Value {
    let mut body = serde_json::to_value(create).unwrap_or_default();
    body["nonce"] = json!(format!("rd{row}"));
    body["enforce_nonce"] = json!(true);
    body
}

pub(crate) async fn send(shared: &Shared, message: &Outbound) -> Result<Delivered, SendError> {
    let result = match &message.action {
        Action::Post => post(shared, message).await,
        Action::Update { message_id } => update(shared, message, message_id).await,
        Action::Delete { message_id } => delete(shared, message, message_id).await,
    };
    result.map_err(RestError::into_send_error)
}

async fn post(shared: &Shared, message: &Outbound) -> Result<Delivered, RestError> {
    if let Body::Card { card, .. } = &message.payload.body {
        return post_card(shared, message, card).await;
    }
    let channel = &message.to.channel;
    let Some(thread) = &message.to.thread else {
        return post_in(shared, channel, message).await;
    };
    match post_in(shared, thread, message).await {
        // An answer to an @mention goes in a thread started on it, the first time.
        Err(e) if e.is_code(UNKNOWN_CHANNEL) || e.status == Some(404) => {
            let req = Request::new(
                Route::ChannelMessageThreads {
                    channel_id: snowflake(channel)?,
                    message_id: snowflake(thread)?,
                },
                LightMethod::Post,
            )
            .body(json_body(
                &json!({ "name": "Support", "auto_archive_duration": 1440 }),
            ));
            match shared.rest.call::<Value>(req).await {
                Ok(_) => post_in(shared, thread, message).await,
                // Where threads cannot be started (a direct message), a reply instead.
                Err(e) if e.status == Some(400) => reply(shared, channel, thread, message).await,
                Err(e) => Err(e),
            }
        }
        other => other,
    }
}

/// Posts in `channel` as a reply to its message `to`.
async fn reply(
    shared: &Shared,
    channel: &str,
    to: &str,
    message: &Outbound,
) -> Result<Delivered, RestError> {
    let mut body = with_nonce(convert::create_message(message), message.id);
    body["message_reference"] = json!({ "message_id": to, "fail_if_not_exists": false });
    let posted = post_json(shared, channel, body).await?;
    Ok(Delivered::message(id_of(&posted)))
}

/// Posts in one channel (or thread); a direct message that Discord refuses because the
/// person's direct messages are closed goes to their private thread instead.
async fn post_in(
    shared: &Shared,
    channel: &str,
    message: &Outbound,
) -> Result<Delivered, RestError> {
    let redirected = lock(&shared.fallbacks)
        .get(channel)
        .and_then(|f| f.thread.clone());
    let target = redirected.as_deref().unwrap_or(channel);
    match post_once(shared, target, message).await {
        Err(e) if e.is_code(DMS_CLOSED) && redirected.is_none() => {
            let thread = fallback_thread(shared, channel)
                .await
                .map_err(|why| RestError {
                    message: format!("{e}; {why}"),
                    ..e.clone()
                })?;
            post_once(shared, &thread, message).await
        }
        other => other,
    }
}

async fn post_once(
    shared: &Shared,
    channel: &str,
    message: &Outbound,
) -> Result<Delivered, RestError> {
    if let Body::File(file) = &message.payload.body {
        return post_file(shared, channel, message, file).await;
    }
    let body = with_nonce(convert::create_message(message), message.id);
    let posted = post_json(shared, channel, body).await?;
    Ok(Delivered::message(id_of(&posted)))
}

/// The private thread, in the panel's channel, where a person whose direct messages
/// are closed is answered.
async fn fallback_thread(shared: &Shared, dm: &str) -> Result<String, String> {
    let fallback = lock(&shared.fallbacks).get(dm).cloned();
    let Some(Fallback {
        user,
        name,
        panel: Some(panel),
        ..
    }) = fallback
    else {
        return Err("their direct messages are closed and they did not come from a panel".into());
    };
    let create = Request::new(
        Route::ChannelThreads {
            channel_id: snowflake(&panel).map_err(|e| e.to_string())?,
        },
        LightMethod::Post,
    )
    .body(json_body(&json!({
        "name": format!("Support · {name}").chars().take(100).collect::<String>(),
        "type": 12,
        "invitable": false,
        "auto_archive_duration": 10080,
    })));
    let thread: Value = shared.rest.call(create).await.map_err(|e| e.to_string())?;
    let thread = id_of(&thread);
    let add = Request::new(
        Route::ChannelThreadMember {
            channel_id: snowflake(&thread).map_err(|e| e.to_string())?,
            user_id: snowflake(&user).map_err(|e| e.to_string())?,
        },
        LightMethod::Put,
    );
    shared
        .rest
        .call_empty(add)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(user = %user, thread = %thread, "direct messages closed: the conversation goes on in a private thread");
    if let Some(f) = lock(&shared.fallbacks).get_mut(dm) {
        f.thread = Some(thread.clone());
    }
    Ok(thread)
}

/// A ticket card: a post of its own in a forum, or a message with a thread started on
/// it in a text channel. The thread is the ticket's.
async fn post_card(
    shared: &Shared,
    message: &Outbound,
    card: &relaydesk_core::adapter::TicketCard,
) -> Result<Delivered, RestError> {
    let channel = &message.to.channel;
    let info = channel_info(shared, channel).await?;
    let name = convert::thread_name(card);
    if info.kind == ChannelType::Private {
        // A direct message has no threads: the card is a message, and its replies
        // answer it.
        return post_once(shared, channel, message).await;
    }
    if info.kind == ChannelType::Forum {
        let mut body = json!({
            "name": name,
            "auto_archive_duration": 10080,
            "message": serde_json::to_value(convert::create_message(message)).unwrap_or_default(),
        });
        if let Some(tag) = info.tags.get(convert::state_tag(None)) {
            body["applied_tags"] = json!([tag]);
        }
        let req = Request::new(
            Route::ChannelForumPosts {
                channel_id: snowflake(channel)?,
            },
            LightMethod::Post,
        )
        .body(json_body(&body));
        let thread: Value = shared.rest.call(req).await?;
        let thread = id_of(&thread);
        remember_thread(shared, &thread, channel, ChannelType::PublicThread);
        // A forum post's first message has the post's id.
        return Ok(Delivered {
            message_id: thread.clone(),
            thread: Some(thread),
        });
    }
    let body = with_nonce(convert::create_message(message), message.id);
    let posted = post_json(shared, channel, body).await?;
    let card_id = id_of(&posted);
    let req = Request::new(
        Route::ChannelMessageThreads {
            channel_id: snowflake(channel)?,
            message_id: snowflake(&card_id)?,
        },
        LightMethod::Post,
    )
    .body(json_body(
        &json!({ "name": name, "auto_archive_duration": 10080 }),
    ));
    let thread: Value = shared.rest.call(req).await?;
    let thread = id_of(&thread);
    remember_thread(shared, &thread, channel, ChannelType::PublicThread);
    Ok(Delivered {
        message_id: card_id,
        thread: Some(thread),
    })
}

fn remember_thread(shared: &Shared, thread: &str, parent: &str, kind: ChannelType) {
    lock(&shared.channels).insert(
        thread.to_string(),
        ChannelInfo {
            kind,
            parent: Some(parent.to_string()),
            owner: lock(&shared.bot_user).clone(),
            tags: HashMap::new(),
        },
    );
}

/// Where a posted message lives: its thread, or for a forum's card the post it opens
/// (whose id is the card's).
async fn home_of(shared: &Shared, message: &Outbound, id: &str) -> Result<String, RestError> {
    if let Some(thread) = &message.to.thread {
        return Ok(thread.clone());
    }
    let channel = &message.to.channel;
    let info = channel_info(shared, channel).await?;
    Ok(if info.kind == ChannelType::Forum {
        id.to_string()
    } else {
        lock(&shared.fallbacks)
            .get(channel)
            .and_then(|f| f.thread.clone())
            .unwrap_or_else(|| channel.clone())
    })
}

async fn update(shared: &Shared, message: &Outbound, id: &str) -> Result<Delivered, RestError> {
    let home = home_of(shared, message, id).await?;
    let req = Request::new(
        Route::ChannelMessage {
            channel_id: snowflake(&home)?,
            message_id: snowflake(id)?,
        },
        LightMethod::Patch,
    )
    .body(json_body(&convert::edit_message(message)));
    let _: Value = shared.rest.call(req).await?;
    if let Body::Card { card, .. } = &message.payload.body {
        tag_ticket(
            shared,
            &message.to.channel,
            &home,
            card.status.as_ref().map(|s| s.state),
        )
        .await;
    }
    Ok(Delivered::message(id))
}

/// Applies the forum tag that says where the ticket stands, when the forum has one.
async fn tag_ticket(
    shared: &Shared,
    forum: &str,
    thread: &str,
    state: Option<relaydesk_core::types::State>,
) {
    let Ok(info) = channel_info(shared, forum).await else {
        return;
    };
    if info.kind != ChannelType::Forum || info.tags.is_empty() {
        return;
    }
    let Some(tag) = info.tags.get(convert::state_tag(state)) else {
        return;
    };
    // The post carries the one tag of where it stands.
    let req = match snowflake(thread) {
        Ok(id) => Request::new(Route::Channel { channel_id: id }, LightMethod::Patch)
            .body(json_body(&json!({ "applied_tags": [tag] }))),
        Err(_) => return,
    };
    if let Err(e) = shared.rest.call::<Value>(req).await {
        tracing::warn!(thread, error = %e, "could not tag the ticket's post");
    }
}

async fn delete(shared: &Shared, message: &Outbound, id: &str) -> Result<Delivered, RestError> {
    let home = home_of(shared, message, id).await?;
    let req = Request::new(
        Route::ChannelMessage {
            channel_id: snowflake(&home)?,
            message_id: snowflake(id)?,
        },
        LightMethod::Delete,
    );
    match shared.rest.call_empty(req).await {
        // Already gone: what was asked is done.
        Err(e) if e.status == Some(404) => {}
        other => other?,
    }
    Ok(Delivered::message(id))
}

/// A file copied over: uploaded when it is at most `max_file_bytes`, else linked.
async fn post_file(
    shared: &Shared,
    channel: &str,
    message: &Outbound,
    file: &FileRef,
) -> Result<Delivered, RestError> {
    let say = i18n::agents();
    let who = message
        .payload
        .sender
        .as_deref()
        .map(|w| format!("**{}**", convert::escape_name(w)));
    let max = shared.settings.max_file_bytes;
    let bytes = if file.size <= max {
        download(shared, &file.url, max).await?
    } else {
        None
    };
    let Some(bytes) = bytes else {
        let mb = max / (1024 * 1024);
        let text = format!(
            "📎 {}",
            say.file_too_large(who.as_deref(), &file.name, mb, &file.url)
        );
        let body = with_nonce(
            CreateMessage::new()
                .content(text)
                .allowed_mentions(no_pings()),
            message.id,
        );
        let posted = post_json(shared, channel, body).await?;
        return Ok(Delivered::message(id_of(&posted)));
    };
    let mut create = CreateMessage::new().allowed_mentions(no_pings());
    if let Some(who) = &who {
        create = create.content(say.file_sent(who));
    }
    let req = Request::new(
        Route::ChannelMessages {
            channel_id: snowflake(channel)?,
        },
        LightMethod::Post,
    )
    .multipart(Some(Multipart {
        upload: MultipartUpload::Attachments(vec![CreateAttachment::bytes(
            bytes,
            file.name.clone(),
        )]),
        fields: Vec::new(),
        payload_json: serde_json::to_string(&create).ok(),
    }));
    let posted: Value = shared.rest.call(req).await?;
    Ok(Delivered::message(id_of(&posted)))
}

/// Keeps an attachment that just arrived: Discord's links expire, so it is downloaded
/// now into the files folder and linked there. One too large to copy, or that cannot be
/// fetched now, keeps its link.
pub(crate) async fn keep(shared: &Shared, message: &str, index: usize, file: &mut FileRef) {
    let max = shared.settings.max_file_bytes;
    if file.size > max || file.url.starts_with("file://") {
        return;
    }
    let dir = &shared.settings.files_dir;
    let path = dir.join(relaydesk_core::files::name_for(message, index, &file.name));
    let kept = async {
        let bytes = download(shared, &file.url, max)
            .await
            .map_err(|e| e.to_string())?;
        let Some(bytes) = bytes else {
            return Ok(false);
        };
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| e.to_string())?;
        tokio::fs::write(&path, bytes)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(true)
    };
    match kept.await {
        Ok(true) => file.url = relaydesk_core::files::url_of(&path),
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(file = %file.name, error = %e, "could not keep an attachment; its link is relayed")
        }
    }
}

/// The file at `url` (a kept file, or a link), or `None` when it is larger than `max`
/// bytes.
async fn download(shared: &Shared, url: &str, max: u64) -> Result<Option<Vec<u8>>, RestError> {
    if let Some(kept) = relaydesk_core::files::read(url, &shared.settings.files_dir, max).await {
        return kept.map_err(RestError::invalid);
    }
    let mut response = reqwest::get(url)
        .await
        .map_err(|e| RestError::other(format!("the file could not be fetched: {e}")))?;
    if !response.status().is_success() {
        return Err(RestError {
            status: Some(response.status().as_u16()),
            ..RestError::other(format!("the file host answered {}", response.status()))
        });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| RestError::other(format!("the file download broke off: {e}")))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > max {
            return Ok(None);
        }
    }
    Ok(Some(bytes))
}

/// Posts the "Contact support" panel in `channel`.
pub(crate) async fn panel(shared: &Shared, channel: &str) -> Result<String, String> {
    let say = i18n::catalogue(relaydesk_core::text::Lang::En);
    let create = CreateMessage::new()
        .content(say.panel_text())
        .components(vec![CreateActionRow::Buttons(vec![CreateButton::new(
            ids::PANEL,
        )
        .label(say.panel_button())
        .style(ButtonStyle::Primary)])])
        .allowed_mentions(no_pings());
    let body = serde_json::to_value(create).unwrap_or_default();
    let posted = post_json(shared, channel, body)
        .await
        .map_err(|e| e.to_string())?;
    Ok(id_of(&posted))
}
