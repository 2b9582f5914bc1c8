//! The gateway: events converted and handed to the engine, in order per channel. serenity
//! reconnects and resumes by itself; interactions are answered within Discord's three
//! seconds (deferred first, then followed up once the engine has the event).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use relaydesk_core::adapter::{Content, Inbound, InboundSink};
use relaydesk_core::desk::choice::CONTACT;
use relaydesk_core::health::Connection;
use relaydesk_core::i18n;
use relaydesk_core::Person;
use serde_json::{json, Value};
use serenity::all::{
    ApplicationId, ChannelId, ChannelType, ClientBuilder, CommandDataOptionValue,
    CommandInteraction, ComponentInteraction, ComponentInteractionDataKind, ConnectionStage,
    Context, EventHandler, GuildId, Interaction, InteractionId, Message, MessageId,
    MessageUpdateEvent, Permissions, Ready, ResumedEvent, ShardStageUpdateEvent,
};
use serenity::http::{LightMethod, Request, Route};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_util::sync::CancellationToken;

use crate::convert::{self, Event, Incoming, Place};
use crate::send::{channel_info, dm_channel};
use crate::{ids, intents, lock, Shared};

/// How long an interaction's first answer may wait for a rate limit: Discord drops the
/// interaction after three seconds.
const FIRST_ANSWER: Duration = Duration::from_secs(2);
/// The follow-up has fifteen minutes.
const FOLLOW_UP: Duration = Duration::from_secs(60);

pub(crate) async fn run(
    shared: Arc<Shared>,
    sink: Arc<dyn InboundSink>,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let handler = Handler(Arc::new(Intake {
        shared: shared.clone(),
        sink,
        lanes: Mutex::default(),
    }));
    let mut client = ClientBuilder::new_with_http(shared.rest.gateway_http(), intents())
        .event_handler(handler)
        .await
        .map_err(|e| format!("cannot set up the gateway client: {e}"))?;
    let manager = client.shard_manager.clone();
    let stop = tokio::spawn(async move {
        shutdown.cancelled().await;
        manager.shutdown_all().await;
    });
    let result = client.start().await;
    stop.abort();
    result.map_err(|e| match e {
        serenity::Error::Gateway(serenity::gateway::GatewayError::InvalidAuthentication) => {
            "Discord refused DISCORD_TOKEN; check the bot token".to_string()
        }
        serenity::Error::Gateway(serenity::gateway::GatewayError::DisallowedGatewayIntents) => {
            "Discord refused the gateway intents: enable the Message Content intent under Bot in the developer portal".to_string()
        }
        e => format!("the gateway stopped: {e}"),
    })
}

/// The language of Discord's client, for what the bot says privately to someone it has
/// not heard write yet.
fn lang_of(locale: &str) -> relaydesk_core::text::Lang {
    relaydesk_core::text::Lang::from_tag(locale).unwrap_or(relaydesk_core::text::Lang::En)
}

/// What serenity calls: each event is queued on its channel's lane at once, so that the
/// task serenity spawned for it ends, and what waits is only the event itself.
struct Handler(Arc<Intake>);

/// An event waiting on its channel's lane.
enum Job {
    Message(Box<Message>, bool),
    Edit(Box<MessageUpdateEvent>),
    Delete(ChannelId, MessageId, Option<GuildId>),
    Component(Box<ComponentInteraction>),
}

/// A lane with nothing to do for this long ends (a new event starts another).
const LANE_IDLE: Duration = Duration::from_secs(30);

struct Intake {
    shared: Arc<Shared>,
    sink: Arc<dyn InboundSink>,
    /// One lane per channel: its events are handed on one at a time, in order.
    lanes: Mutex<HashMap<String, UnboundedSender<Job>>>,
}

impl Intake {
    /// Queues `job` on `channel`'s lane, starting the lane if it has none.
    fn enqueue(self: &Arc<Self>, channel: String, job: Job) {
        let mut lanes = lock(&self.lanes);
        let job = match lanes.get(&channel) {
            Some(lane) => match lane.send(job) {
                Ok(()) => return,
                Err(returned) => returned.0,
            },
            None => job,
        };
        let (lane, jobs) = unbounded_channel();
        let _ = lane.send(job);
        lanes.insert(channel.clone(), lane);
        tokio::spawn(self.clone().lane(channel, jobs));
    }

    async fn lane(self: Arc<Self>, channel: String, mut jobs: UnboundedReceiver<Job>) {
        loop {
            match tokio::time::timeout(LANE_IDLE, jobs.recv()).await {
                Ok(Some(job)) => self.run(job).await,
                Ok(None) => return,
                Err(_) => {
                    // Sends go through the map under its lock: nothing can slip in
                    // between this look and the removal.
                    let mut lanes = lock(&self.lanes);
                    if jobs.is_empty() {
                        lanes.remove(&channel);
                        return;
                    }
                }
            }
        }
    }

    async fn run(&self, job: Job) {
        match job {
            Job::Message(m, in_server) => self.on_message(*m, in_server).await,
            Job::Edit(e) => self.on_edit(*e).await,
            Job::Delete(channel, message, guild) => self.on_delete(channel, message, guild).await,
            Job::Component(c) => self.on_component(*c).await,
        }
    }

    fn bot_user(&self) -> String {
        lock(&self.shared.bot_user).clone().unwrap_or_default()
    }

    /// Where `channel` is, as the adapter treats messages there.
    async fn place(&self, channel: &str, in_server: bool) -> Option<Place> {
        if !in_server {
            return Some(Place::Direct);
        }
        let s = &self.shared.settings;
        if s.agent_channels.contains(channel) {
            return Some(Place::Agents {
                channel: channel.into(),
                thread: None,
            });
        }
        let info = match channel_info(&self.shared, channel).await {
            Ok(info) => info,
            Err(e) => {
                tracing::warn!(channel, error = %e, "cannot learn where a message was written; it is skipped");
                return None;
            }
        };
        let is_thread = matches!(
            info.kind,
            ChannelType::PublicThread | ChannelType::PrivateThread | ChannelType::NewsThread
        );
        let Some(parent) = info.parent.filter(|_| is_thread) else {
            return Some(Place::Server {
                channel: channel.into(),
                thread: None,
            });
        };
        if s.agent_channels.contains(&parent) {
            return Some(Place::Agents {
                channel: parent,
                thread: Some(channel.into()),
            });
        }
        if s.help_forums.contains(&parent) {
            return Some(Place::HelpPost {
                forum: parent,
                thread: channel.into(),
            });
        }
        if info.kind == ChannelType::PrivateThread && info.owner == Some(self.bot_user()) {
            return Some(Place::Fallback);
        }
        Some(Place::Server {
            channel: parent,
            thread: Some(channel.into()),
        })
    }

    fn person(&self, user: &str, name: &str) -> Person {
        Person {
            platform: ids::NAME.into(),
            id: user.into(),
            display_name: name.into(),
            verified_email: None,
        }
    }

    /// Hands one converted message on; returns whether it was taken.
    async fn submit(&self, mut incoming: Incoming, place: &Place) -> bool {
        for (i, file) in incoming.files.iter_mut().enumerate() {
            crate::send::keep(&self.shared, &incoming.id, i, file).await;
        }
        let mut channel = incoming.channel.clone();
        if *place == Place::Fallback {
            // Someone whose direct messages are closed, writing in their private thread:
            // the conversation is their direct messages all the same.
            match dm_channel(&self.shared, &incoming.user).await {
                Ok(dm) => {
                    let mut fallbacks = lock(&self.shared.fallbacks);
                    let f = fallbacks.entry(dm.clone()).or_default();
                    f.user.clone_from(&incoming.user);
                    f.name.clone_from(&incoming.name);
                    f.thread = Some(incoming.channel.clone());
                    channel = dm;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open a direct message; the message is skipped");
                    return false;
                }
            }
        }
        let private_address = if incoming.shared {
            match dm_channel(&self.shared, &incoming.user).await {
                Ok(dm) => Some(ids::address(dm, None)),
                Err(e) => {
                    tracing::warn!(error = %e, "could not open a direct message; the conversation stays in the channel");
                    None
                }
            }
        } else {
            None
        };
        let event = Inbound {
            id: incoming.id,
            address: ids::address(channel, incoming.thread),
            author: self.person(&incoming.user, &incoming.name),
            content: incoming.content,
            files: incoming.files,
            private_address,
        };
        match self.sink.submit(event).await {
            Ok(_) => true,
            Err(e) => {
                tracing::error!(error = %e, "a Discord event could not be stored");
                false
            }
        }
    }

    /// A new message; `in_server`: written in a server (the gateway says by its
    /// `guild_id`), not in a direct message.
    async fn on_message(&self, m: Message, in_server: bool) {
        let channel = m.channel_id.to_string();
        let Some(place) = self.place(&channel, in_server).await else {
            return;
        };
        match convert::message(&m, &place, &self.bot_user()) {
            Event::Incoming(incoming) => {
                self.submit(incoming, &place).await;
            }
            Event::HelpPost {
                forum,
                thread,
                user,
                text,
            } => {
                let nick = m.member.as_ref().and_then(|p| p.nick.as_deref());
                let incoming = Incoming {
                    id: m.id.to_string(),
                    channel: forum,
                    thread: Some(thread),
                    user,
                    name: convert::display_name(&m.author, nick),
                    content: Content::Post(text),
                    files: Vec::new(),
                    shared: true,
                };
                self.submit(incoming, &place).await;
            }
            Event::Skip(why) => tracing::debug!(message = %m.id, why, "Discord message skipped"),
        }
    }

    async fn on_edit(&self, event: MessageUpdateEvent) {
        let (Some(text), Some(edited)) = (&event.content, event.edited_timestamp) else {
            return; // an embed unfurled, a pin: not an edit of the words
        };
        let Some(author) = &event.author else {
            return;
        };
        if author.bot {
            return;
        }
        let channel = event.channel_id.to_string();
        let Some(place) = self.place(&channel, event.guild_id.is_some()).await else {
            return;
        };
        let bot = self.bot_user();
        let mentions = event.mentions.clone().unwrap_or_default();
        let (channel, thread) = match &place {
            Place::Direct | Place::Fallback => (channel, None),
            Place::Agents { channel, thread } => (channel.clone(), thread.clone()),
            _ => return,
        };
        let incoming = Incoming {
            id: ids::edit(&event.id.to_string(), &edited.unix_timestamp().to_string()),
            channel,
            thread,
            user: author.id.to_string(),
            name: convert::display_name(author, None),
            content: Content::Edited {
                id: event.id.to_string(),
                text: convert::from_discord(text, &mentions, &bot),
            },
            files: Vec::new(),
            shared: false,
        };
        self.submit(incoming, &place).await;
    }

    async fn on_delete(&self, channel_id: ChannelId, message: MessageId, guild: Option<GuildId>) {
        let channel = channel_id.to_string();
        let Some(place) = self.place(&channel, guild.is_some()).await else {
            return;
        };
        let (channel, thread) = match &place {
            Place::Direct => (channel, None),
            Place::Agents { channel, thread } => (channel.clone(), thread.clone()),
            _ => return,
        };
        let incoming = Incoming {
            id: ids::delete(&message.to_string()),
            channel,
            thread,
            user: String::new(),
            name: String::new(),
            content: Content::Deleted {
                id: message.to_string(),
            },
            files: Vec::new(),
            shared: false,
        };
        self.submit(incoming, &place).await;
    }

    /// Answers an interaction, waiting out a rate limit only as long as Discord waits.
    async fn respond(&self, interaction_id: InteractionId, token: &str, body: Value) -> bool {
        let req = Request::new(
            Route::InteractionResponse {
                interaction_id,
                token,
            },
            LightMethod::Post,
        )
        .body(serde_json::to_vec(&body).ok());
        match self
            .shared
            .rest
            .call_empty_patiently(req, FIRST_ANSWER)
            .await
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "could not answer an interaction");
                false
            }
        }
    }

    /// Changes the interaction's first answer (or, for a button, its message).
    async fn edit_original(&self, token: &str, body: Value) {
        let Some(application_id) = *lock(&self.shared.application) else {
            return;
        };
        let req = Request::new(
            Route::WebhookOriginalInteractionResponse {
                application_id,
                token,
            },
            LightMethod::Patch,
        )
        .body(serde_json::to_vec(&body).ok());
        if let Err(e) = self
            .shared
            .rest
            .call_patiently::<Value>(req, FOLLOW_UP)
            .await
        {
            tracing::warn!(error = %e, "could not follow an interaction up");
        }
    }

    async fn on_command(&self, c: CommandInteraction) {
        if c.data.name != ids::COMMAND {
            return;
        }
        let (id, token) = (c.id.to_string(), c.token.clone());
        let question = c
            .data
            .options
            .iter()
            .find_map(|o| match &o.value {
                CommandDataOptionValue::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        if !self
            .respond(c.id, &token, json!({"type": 5, "data": {"flags": 64}}))
            .await
        {
            return;
        }
        let user = c.user.id.to_string();
        let name = convert::member_name(&c.user, c.member.as_deref());
        let say = i18n::catalogue(relaydesk_core::text::detect_lang(&question));
        let dm = match dm_channel(&self.shared, &user).await {
            Ok(dm) => dm,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a direct message for /support");
                self.edit_original(&token, json!({"content": say.not_taken()}))
                    .await;
                return;
            }
        };
        let incoming = Incoming {
            id: ids::command(&id),
            channel: dm.clone(),
            thread: None,
            user,
            name,
            content: convert::command_content(&question),
            files: Vec::new(),
            shared: false,
        };
        let taken = self.submit(incoming, &Place::Direct).await;
        let reply = if !taken {
            say.not_taken()
        } else {
            say.answered_in_private()
        };
        self.edit_original(
            &token,
            json!({"content": reply, "allowed_mentions": {"parse": []}}),
        )
        .await;
    }

    async fn on_component(&self, c: ComponentInteraction) {
        let (id, token) = (c.id.to_string(), c.token.clone());
        let value = match &c.data.kind {
            ComponentInteractionDataKind::Button => c.data.custom_id.clone(),
            ComponentInteractionDataKind::StringSelect { values } => match values.first() {
                Some(v) => v.clone(),
                None => return,
            },
            _ => return,
        };
        let channel = c.channel_id.to_string();
        let user = c.user.id.to_string();
        let name = convert::member_name(&c.user, c.member.as_ref());
        let Some(place) = self.place(&channel, c.guild_id.is_some()).await else {
            return;
        };
        if let Place::Agents { .. } = place {
            // Acting on a ticket takes being able to see and write in the agent channel.
            let needed = Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES;
            let allowed = c
                .member
                .as_ref()
                .and_then(|m| m.permissions)
                .is_some_and(|p| p.contains(needed) || p.administrator());
            if !allowed {
                let refusal = i18n::agents().not_an_agent();
                self.respond(
                    c.id,
                    &token,
                    json!({"type": 4, "data": {"content": refusal, "flags": 64}}),
                )
                .await;
                return;
            }
        }
        if let Place::HelpPost { thread, .. } = &place {
            // Suggestions under a post are for its author.
            let author = channel_info(&self.shared, thread)
                .await
                .ok()
                .and_then(|i| i.owner);
            if author.as_deref() != Some(user.as_str()) {
                let say = i18n::catalogue(lang_of(&c.locale));
                self.respond(
                    c.id,
                    &token,
                    json!({"type": 4, "data": {"content": say.not_your_post(), "flags": 64}}),
                )
                .await;
                return;
            }
        }
        if !self.respond(c.id, &token, json!({"type": 6})).await {
            return;
        }
        let (to_channel, thread) = match &place {
            Place::Direct | Place::Fallback => (channel.clone(), None),
            Place::Agents { channel, thread } => (channel.clone(), thread.clone()),
            Place::Server { channel, thread } => (channel.clone(), thread.clone()),
            Place::HelpPost { forum, thread } => (forum.clone(), Some(thread.clone())),
        };
        let incoming = Incoming {
            id: ids::press(&id),
            channel: to_channel,
            thread,
            user,
            name,
            content: Content::Choice(value.clone()),
            files: Vec::new(),
            // From a public place, a handoff goes on in private.
            shared: matches!(place, Place::HelpPost { .. } | Place::Server { .. }),
        };
        let taken = self.submit(incoming, &place).await;
        if let (true, Place::HelpPost { forum, thread }) = (taken, &place) {
            if value == relaydesk_core::desk::choice::HELPED {
                self.tag_solved(forum, thread).await;
            }
        }
        // In private (and under a help post) the pressed message shows the choice made
        // instead of the buttons. Ticket cards are redrawn by the engine as the ticket
        // changes.
        if taken
            && matches!(
                place,
                Place::Direct | Place::Fallback | Place::HelpPost { .. }
            )
        {
            let label = convert::label_of(&c.message, &value).unwrap_or(value);
            let edit = convert::chosen(&c.message.content, &label);
            self.edit_original(&token, serde_json::to_value(edit).unwrap_or_default())
                .await;
        }
    }

    /// "This solved it" under a help post: the post gets the forum's `solved` tag, when
    /// the forum has one.
    async fn tag_solved(&self, forum: &str, thread: &str) {
        let Ok(info) = channel_info(&self.shared, forum).await else {
            return;
        };
        let Some(tag) = info.tags.get("solved") else {
            return;
        };
        let Some(channel_id) = ids::snowflake::<ChannelId>(thread) else {
            return;
        };
        // The post's own tags stay; `solved` is added.
        let get = Request::new(Route::Channel { channel_id }, LightMethod::Get);
        let mut tags: Vec<Value> = match self.shared.rest.call::<Value>(get).await {
            Ok(post) => post["applied_tags"].as_array().cloned().unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        if !tags.iter().any(|t| t == tag) {
            tags.push(json!(tag));
        }
        let req = Request::new(Route::Channel { channel_id }, LightMethod::Patch)
            .body(serde_json::to_vec(&json!({ "applied_tags": tags })).ok());
        if let Err(e) = self
            .shared
            .rest
            .call_patiently::<Value>(req, FOLLOW_UP)
            .await
        {
            tracing::warn!(thread, error = %e, "could not tag the post solved");
        }
    }

    /// "Contact support": the conversation starts in the person's direct messages, or in
    /// a private thread here when those are closed. Answered at once, not behind the
    /// panel channel's other events: everyone presses the same panel.
    async fn on_panel(&self, c: ComponentInteraction) {
        let (id, token) = (c.id.to_string(), c.token.clone());
        let user = c.user.id.to_string();
        let name = convert::member_name(&c.user, c.member.as_ref());
        if !self
            .respond(c.id, &token, json!({"type": 5, "data": {"flags": 64}}))
            .await
        {
            return;
        }
        let say = i18n::catalogue(lang_of(&c.locale));
        let dm = match dm_channel(&self.shared, &user).await {
            Ok(dm) => dm,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a direct message for the panel");
                self.edit_original(&token, json!({"content": say.not_taken()}))
                    .await;
                return;
            }
        };
        {
            let mut fallbacks = lock(&self.shared.fallbacks);
            let f = fallbacks.entry(dm.clone()).or_default();
            f.user.clone_from(&user);
            f.name.clone_from(&name);
            f.panel = Some(c.channel_id.to_string());
        }
        let incoming = Incoming {
            id: ids::press(&id),
            channel: dm,
            thread: None,
            user,
            name,
            content: Content::Choice(CONTACT.into()),
            files: Vec::new(),
            shared: false,
        };
        let reply = if self.submit(incoming, &Place::Direct).await {
            say.answered_in_private()
        } else {
            say.not_taken()
        };
        self.edit_original(&token, json!({"content": reply})).await;
    }

    async fn on_ready(self: &Arc<Self>, ready: Ready) {
        let bot = ready.user.id.to_string();
        let app = ready.application.id;
        tracing::info!(bot = %bot, user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord's gateway");
        *lock(&self.shared.bot_user) = Some(bot);
        *lock(&self.shared.application) = Some(app);
        self.register_commands(app).await;
        self.catch_up().await;
    }

    /// Messages written while the bot was away, in the direct messages and ticket
    /// threads of open conversations: fetched after the newest one stored, and handled
    /// once (a message handled before is recognised), in order.
    async fn catch_up(self: &Arc<Self>) {
        let c = self.sink.catch_up(ids::NAME).await;
        let Some(after) = c.after else {
            return;
        };
        let mut seen = std::collections::HashSet::new();
        let mut caught = 0;
        for place in c.places {
            let in_server = place.thread.is_some();
            let channel = place.thread.unwrap_or(place.channel);
            if !seen.insert(channel.clone()) {
                continue;
            }
            let Some(channel_id) = ids::snowflake(&channel) else {
                continue;
            };
            let req = Request::new(Route::ChannelMessages { channel_id }, LightMethod::Get).params(
                Some(vec![("after", after.clone()), ("limit", "100".into())]),
            );
            let mut missed: Vec<Message> = match self
                .shared
                .rest
                .call_patiently(req, FOLLOW_UP)
                .await
            {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(channel, error = %e, "cannot fetch what was written while away");
                    continue;
                }
            };
            missed.sort_by_key(|m| m.id);
            for m in missed {
                caught += 1;
                self.enqueue(
                    m.channel_id.to_string(),
                    Job::Message(Box::new(m), in_server),
                );
            }
        }
        if caught > 0 {
            tracing::info!(
                messages = caught,
                "caught up on messages written while away"
            );
        }
    }

    /// `/support [question]` in each of `guild_ids`.
    async fn register_commands(&self, application_id: ApplicationId) {
        let say = i18n::catalogue(relaydesk_core::text::Lang::En);
        let command = json!([{
            "name": ids::COMMAND,
            "type": 1,
            "description": say.command_description(),
            "options": [{
                "type": 3,
                "name": "question",
                "description": say.command_option(),
                "required": false,
            }],
        }]);
        for guild in &self.shared.settings.guild_ids {
            let Some(guild_id) = ids::snowflake(guild) else {
                tracing::warn!(
                    guild,
                    "[discord] guild_ids holds something that is not a server id"
                );
                continue;
            };
            let req = Request::new(
                Route::GuildCommands {
                    application_id,
                    guild_id,
                },
                LightMethod::Put,
            )
            .body(serde_json::to_vec(&command).ok());
            match self
                .shared
                .rest
                .call_patiently::<Value>(req, FOLLOW_UP)
                .await
            {
                Ok(_) => tracing::info!(guild, "/support registered"),
                Err(e) => tracing::warn!(guild, error = %e, "could not register /support"),
            }
        }
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn message(&self, _ctx: Context, m: Message) {
        let in_server = m.guild_id.is_some();
        self.0.enqueue(
            m.channel_id.to_string(),
            Job::Message(Box::new(m), in_server),
        );
    }

    async fn message_update(
        &self,
        _ctx: Context,
        _old: Option<Message>,
        _new: Option<Message>,
        event: MessageUpdateEvent,
    ) {
        self.0
            .enqueue(event.channel_id.to_string(), Job::Edit(Box::new(event)));
    }

    async fn message_delete(
        &self,
        _ctx: Context,
        channel: ChannelId,
        message: MessageId,
        guild: Option<GuildId>,
    ) {
        self.0
            .enqueue(channel.to_string(), Job::Delete(channel, message, guild));
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(c) => self.0.on_command(c).await,
            Interaction::Component(c) if c.data.custom_id == ids::PANEL => self.0.on_panel(c).await,
            Interaction::Component(c) => self
                .0
                .enqueue(c.channel_id.to_string(), Job::Component(Box::new(c))),
            _ => {}
        }
    }

    async fn ready(&self, _ctx: Context, ready: Ready) {
        self.0.sink.connection(ids::NAME, Connection::Connected);
        self.0.on_ready(ready).await;
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        tracing::info!("gateway session resumed");
        self.0.sink.connection(ids::NAME, Connection::Connected);
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        // serenity reconnects by itself; READY or RESUMED says when it is back.
        if event.new == ConnectionStage::Disconnected {
            let why = "the gateway connection to Discord was lost".to_string();
            self.0.sink.connection(ids::NAME, Connection::Down(why));
        }
    }
}
