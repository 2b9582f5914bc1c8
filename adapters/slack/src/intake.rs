//! Events from either transport, converted and handed to the engine. An event is
//! acknowledged to Slack only after `submit` returns: a crash makes Slack send it again.

use std::collections::HashSet;
use std::sync::Arc;

use relaydesk_core::adapter::{Content, Inbound, InboundSink, SinkError};
use slack_morphism::prelude::*;

use crate::convert::{self, Context, Event, Incoming};
use crate::ids;
use crate::web::{self, Web};

pub(crate) struct Intake {
    pub web: Arc<Web>,
    pub sink: Arc<dyn InboundSink>,
    pub bot_user: String,
    pub agent_channels: HashSet<String>,
    pub help_channels: HashSet<String>,
}

/// A failure that must keep the event unacknowledged.
fn refused(message: String) -> SinkError {
    SinkError(message.into())
}

impl Intake {
    fn context(&self) -> Context<'_> {
        Context {
            bot_user: &self.bot_user,
            agent_channels: &self.agent_channels,
            help_channels: &self.help_channels,
        }
    }

    pub async fn push(&self, ev: &SlackPushEventCallback) -> Result<(), SinkError> {
        match convert::push_event(&ev.event, &self.context()) {
            Event::Incoming(incoming) => self.submit(incoming).await,
            Event::Skip(why) => {
                tracing::debug!(event = %ev.event_id.0, why, "Slack event skipped");
                Ok(())
            }
        }
    }

    pub async fn interaction(&self, ev: &SlackInteractionEvent) -> Result<(), SinkError> {
        let SlackInteractionEvent::BlockActions(actions) = ev else {
            let (kind, id) = convert::interaction_kind(ev);
            tracing::debug!(
                kind,
                id = id.unwrap_or("unknown"),
                why = "interaction kind relaydesk does not use",
                "Slack interaction skipped"
            );
            return Ok(());
        };
        let incoming = match convert::block_action(actions, &self.context()) {
            Event::Incoming(incoming) => incoming,
            Event::Skip(why) => {
                tracing::debug!(id = %actions.trigger_id.0, why, "Slack button press skipped");
                return Ok(());
            }
        };
        let channel = incoming.channel.clone();
        self.submit(incoming).await?;
        // In a direct message the pressed message shows the choice made instead of the
        // buttons. Ticket cards are redrawn by the engine as the ticket changes; in a
        // shared channel anyone can press, so the buttons stay for the one they were for.
        if ids::is_direct(&channel) {
            let message = actions.message.as_ref();
            let label = actions
                .actions
                .as_ref()
                .and_then(|a| a.first())
                .and_then(|a| {
                    // A button's own words, or the option chosen from a select menu.
                    a.text
                        .as_ref()
                        .or(a.selected_option.as_ref().map(|o| &o.text))
                })
                .map(|t| match t {
                    SlackBlockText::Plain(p) => p.text.clone(),
                    SlackBlockText::MarkDown(m) => m.text.clone(),
                })
                .unwrap_or_default();
            if let Some(m) = message {
                let text = m.content.text.clone().unwrap_or_default();
                let content = convert::chosen_content(&text, &label);
                if let Err(e) = self.web.update(&channel, &m.origin.ts.0, content).await {
                    tracing::warn!(error = %e, "could not show the choice made on the message");
                }
            }
        }
        Ok(())
    }

    /// `/support [question]` and `/support history`: answered in the person's direct
    /// messages. Returns a short reply for the place the command was typed, when that
    /// is not the direct messages.
    pub async fn command(&self, ev: &SlackCommandEvent) -> Result<Option<String>, SinkError> {
        let user = ev.user_id.0.clone();
        let dm = self.web.dm(&user).await.map_err(|e| {
            refused(format!(
                "could not open a direct message: {}",
                web::describe(&e)
            ))
        })?;
        let elsewhere = dm != ev.channel_id.0;
        let incoming = Incoming {
            id: ids::command(&ev.trigger_id.0),
            channel: dm,
            thread: None,
            user,
            content: convert::command_content(ev.text.as_deref()),
            files: Vec::new(),
            shared: false,
        };
        self.submit(incoming).await?;
        Ok(elsewhere.then(|| {
            convert::catalogue_for(ev.text.as_deref())
                .answered_in_private()
                .to_string()
        }))
    }

    async fn submit(&self, incoming: Incoming) -> Result<(), SinkError> {
        let author = match &incoming.content {
            // Edits and deletions find their message by id; who made them is not needed.
            Content::Edited { .. } | Content::Deleted { .. } => web::person_by_id(&incoming.user),
            _ => self.web.person(&incoming.user).await,
        };
        let private_address = if incoming.shared {
            match self.web.dm(&incoming.user).await {
                Ok(dm) => Some(ids::address(&dm, None)),
                Err(e) => {
                    tracing::warn!(error = %web::describe(&e), "could not open a direct message; the conversation stays in the channel");
                    None
                }
            }
        } else {
            None
        };
        let event = Inbound {
            id: incoming.id,
            address: ids::address(&incoming.channel, incoming.thread.as_deref()),
            author,
            content: incoming.content,
            files: incoming.files,
            private_address,
        };
        self.sink.submit(event).await.map(drop)
    }
}
