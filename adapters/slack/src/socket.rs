//! Socket Mode: relaydesk opens a WebSocket to Slack (no public URL needed);
//! slack-morphism reconnects with backoff and acknowledges each envelope after its
//! callback returns, so an event that could not be stored is sent again.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use slack_morphism::prelude::*;
use tokio_util::sync::CancellationToken;

use relaydesk_core::health::Connection;

use crate::ids;
use crate::intake::Intake;
use crate::json;
use crate::web::Connector;

type Client = Arc<SlackClient<Connector>>;

pub(crate) async fn run(
    intake: Arc<Intake>,
    app_token: &SecretString,
    shutdown: CancellationToken,
) -> Result<(), String> {
    let env = SlackClientEventsListenerEnvironment::new(intake.web.client.clone())
        .with_error_handler(on_error)
        .with_user_state(intake.clone());
    let callbacks = SlackSocketModeListenerCallbacks::new()
        .with_hello_events(|_hello, _client, state| on_hello(state))
        .with_push_events(on_push)
        .with_interaction_events(on_interaction)
        .with_command_events(on_command);
    let config = SlackClientSocketModeConfig::new().with_max_connections_count(1);
    let listener = SlackClientSocketModeListener::new(&config, Arc::new(env), callbacks);
    let token = SlackApiToken::new(SlackApiTokenValue(app_token.expose_secret().to_string()));
    listener
        .listen_for(&token)
        .await
        .map_err(|e| format!("Socket Mode: {}", crate::web::describe(&e)))?;
    listener.start().await;
    tracing::info!("Slack Socket Mode started");
    shutdown.cancelled().await;
    listener.shutdown().await;
    Ok(())
}

async fn intake_of(state: &SlackClientEventsUserState) -> UserCallbackResult<Arc<Intake>> {
    let guard = state.read().await;
    let intake = guard.get_user_state::<Arc<Intake>>().cloned();
    intake.ok_or_else(|| "the Slack intake is not set up".into())
}

/// Slack greets every socket it opens: the connection is up.
async fn on_hello(state: SlackClientEventsUserState) {
    if let Ok(intake) = intake_of(&state).await {
        intake.sink.connection(ids::NAME, Connection::Connected);
    }
}

async fn on_push(
    ev: SlackPushEventCallback,
    _client: Client,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let intake = intake_of(&state).await?;
    intake.push(&ev).await.map_err(Into::into)
}

async fn on_interaction(
    ev: SlackInteractionEvent,
    _client: Client,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<SlackInteractionResponse> {
    let intake = intake_of(&state).await?;
    intake.interaction(&ev).await?;
    Ok(SlackInteractionResponse::Empty)
}

async fn on_command(
    ev: SlackCommandEvent,
    _client: Client,
    state: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let intake = intake_of(&state).await?;
    let content = match intake.command(&ev).await? {
        Some(reply) => SlackMessageContent::new().with_text(reply),
        None => SlackMessageContent::new(),
    };
    Ok(SlackCommandEventResponse::new(content)
        .with_response_type(SlackMessageResponseType::Ephemeral))
}

/// A failure of a callback leaves the envelope unacknowledged: Slack delivers it again.
/// A message slack-morphism cannot parse is acknowledged by it all the same (it would
/// not parse better the second time): it is logged with its ids and why, as the
/// Events API's refusal is.
fn on_error(
    err: Box<dyn std::error::Error + Send + Sync>,
    _client: Client,
    state: SlackClientEventsUserState,
) -> http::StatusCode {
    use slack_morphism::errors::{SlackClientError, SlackClientProtocolError};
    // A protocol error's text holds the whole envelope (message text included): only
    // its ids and why are logged. slack-morphism hands over a message it could not
    // parse as the bare protocol error, with the message; without one, it is an
    // acknowledgement that could not be written, and Slack sends the envelope again.
    let unparsed = match err.downcast_ref::<SlackClientError>() {
        Some(SlackClientError::ProtocolError(e)) => Some(e),
        _ => err.downcast_ref::<SlackClientProtocolError>(),
    };
    if let Some(e) = unparsed.filter(|e| e.json_body.is_some()) {
        let body = e.json_body.as_deref().unwrap_or_default().as_bytes();
        tracing::warn!(
            envelope = json::scan_id(body, "envelope_id"),
            id = json::scan_id(body, "event_id"),
            why = %json::Unreadable::of(&e.json_error),
            "unreadable Slack Socket Mode message skipped; it was acknowledged, so Slack will not send it again"
        );
        return http::StatusCode::OK;
    }
    if let Some(SlackClientError::SocketModeProtocolError(e)) = err.downcast_ref() {
        // The socket broke (slack-morphism says so before it reconnects); the next
        // hello says it is up again.
        tracing::warn!(error = %e.message, "Slack Socket Mode connection lost; reconnecting");
        if let Ok(intake) = state.try_read() {
            if let Some(intake) = intake.get_user_state::<Arc<Intake>>() {
                let why = "the Socket Mode connection to Slack was lost".to_string();
                intake.sink.connection(ids::NAME, Connection::Down(why));
            }
        }
        return http::StatusCode::INTERNAL_SERVER_ERROR;
    }
    let error = match err.downcast_ref::<SlackClientError>() {
        Some(e) => crate::web::describe(e),
        None => err.to_string(),
    };
    tracing::warn!(%error, "Slack event not acknowledged; Slack will send it again");
    http::StatusCode::INTERNAL_SERVER_ERROR
}
