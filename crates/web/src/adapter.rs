//! The adapter of web requesters (`web:<email>`). What the engine says to them is
//! already in the transcript they read in My activity, and agents' replies reach them
//! by email through the engine's away emails; so a delivery here only acknowledges.

use std::sync::Arc;

use async_trait::async_trait;
use relaydesk_core::adapter::{
    AdapterError, Capabilities, ChannelAdapter, Delivered, InboundSink, Outbound, SendError,
};
use relaydesk_core::web::WEB;
use tokio_util::sync::CancellationToken;

/// The web requesters' adapter.
#[derive(Debug, Default)]
pub struct WebAdapter;

/// What the web side can do: any length in one piece, edits (the transcript is read
/// from the store), no chat to link to.
pub const CAPABILITIES: Capabilities = Capabilities {
    max_len: 1_000_000,
    edits: true,
    finds_in_doubt: true,
    chat_link: None,
};

#[async_trait]
impl ChannelAdapter for WebAdapter {
    fn name(&self) -> &str {
        WEB
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn run(
        &self,
        sink: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError> {
        // Nothing arrives here: the web's requests come through the pages, which are
        // up as long as this process is.
        sink.connection(WEB, relaydesk_core::health::Connection::Connected);
        shutdown.cancelled().await;
        Ok(())
    }

    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError> {
        Ok(Delivered::message(format!("web-{}", message.id)))
    }
}
