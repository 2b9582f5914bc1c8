//! Wiring: the sink adapters hand events to, and running adapters with the dispatcher
//! until shutdown.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::adapter::{ChannelAdapter, Inbound, InboundSink, SinkError};
use crate::dispatch::Dispatcher;
use crate::engine::{Engine, Handled};
use crate::store::Store;

/// The [`InboundSink`] that hands events to the engine.
pub struct EngineSink {
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    progress: Arc<Notify>,
}

impl EngineSink {
    /// `progress` is the dispatcher's progress signal.
    pub fn new(engine: Arc<Engine>, store: Arc<dyn Store>, progress: Arc<Notify>) -> Arc<EngineSink> {
        Arc::new(EngineSink { engine, store, progress })
    }
}

#[async_trait]
impl InboundSink for EngineSink {
    async fn submit(&self, event: Inbound) -> Result<(), SinkError> {
        match self.engine.handle(&event).await {
            Ok(Handled::Duplicate) => {
                tracing::info!(id = %event.id, address = %event.address, "already handled; skipped");
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, id = %event.id, address = %event.address, "message not stored");
                Err(SinkError(Box::new(e)))
            }
        }
    }

    async fn settled(&self, adapter: &str) {
        // Bounded: a row waiting out a long backoff must not hang a caller for ever.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let progressed = self.progress.notified();
            match self.store.pending(adapter).await {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the outbox");
                    return;
                }
            }
            if tokio::time::timeout_at(deadline, progressed).await.is_err() {
                return;
            }
        }
    }
}

/// Runs the adapters and the dispatcher until `shutdown`; then stops intake, lets the
/// dispatcher drain and returns. An adapter that stops by itself stops everything.
pub async fn run(
    adapters: Vec<Arc<dyn ChannelAdapter>>,
    sink: Arc<dyn InboundSink>,
    dispatcher: Arc<Dispatcher>,
    shutdown: CancellationToken,
) -> Result<(), crate::adapter::AdapterError> {
    let intake = shutdown.child_token();
    let delivery = CancellationToken::new();
    let dispatching = tokio::spawn(dispatcher.run(delivery.clone()));
    let mut receivers = tokio::task::JoinSet::new();
    for adapter in adapters {
        let (sink, stop) = (sink.clone(), intake.clone());
        receivers.spawn(async move { adapter.run(sink, stop).await });
    }
    let mut outcome = Ok(());
    if let Some(first) = receivers.join_next().await {
        // Either shutdown was asked for, or an adapter stopped: stop the others.
        if let Ok(Err(e)) = first {
            tracing::error!(error = %e, "adapter stopped");
            outcome = Err(e);
        }
        intake.cancel();
        while let Some(done) = receivers.join_next().await {
            if let Ok(Err(e)) = done {
                tracing::error!(error = %e, "adapter stopped");
            }
        }
    }
    delivery.cancel();
    let _ = dispatching.await;
    outcome
}
