//! Wiring: the sink adapters hand events to, and running adapters with the dispatcher
//! until shutdown.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::adapter::{Accepted, ChannelAdapter, Inbound, InboundSink, SinkError};
use crate::dispatch::Dispatcher;
use crate::engine::{Engine, EngineError, Handled};
use crate::store::Store;

/// The [`InboundSink`] that hands events to the engine.
pub struct EngineSink {
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    progress: Arc<Notify>,
    /// Events are batched (they were until [`EngineSink::close`] took the batcher).
    batching: bool,
    /// The batching task and the way to it; taken by [`EngineSink::close`].
    batcher: Mutex<Option<Batcher>>,
}

struct Batcher {
    queue: mpsc::Sender<Pending>,
    task: JoinHandle<()>,
}

type Pending = (Inbound, oneshot::Sender<Result<Handled, EngineError>>);

impl EngineSink {
    /// `progress` is the dispatcher's progress signal. With `batch` above 1, events
    /// that arrive together are handled up to `batch` to a transaction: that suits a
    /// single-writer database (SQLite); with 1, each event has its own transaction and
    /// they run side by side (PostgreSQL).
    pub fn new(
        engine: Arc<Engine>,
        store: Arc<dyn Store>,
        progress: Arc<Notify>,
        batch: usize,
    ) -> Arc<EngineSink> {
        let batcher = (batch > 1).then(|| {
            let (queue, rx) = mpsc::channel(batch * 4);
            let task = tokio::spawn(run_batches(engine.clone(), rx, batch));
            Batcher { queue, task }
        });
        Arc::new(EngineSink {
            engine,
            store,
            progress,
            batching: batcher.is_some(),
            batcher: Mutex::new(batcher),
        })
    }

    /// Takes no more events: waits for those queued to be handled and for the batching
    /// task to end. Later submissions are refused as [`EngineError::Stopped`].
    pub async fn close(&self) {
        let batcher = self
            .batcher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(Batcher { queue, task }) = batcher {
            drop(queue);
            let _ = task.await;
        }
    }

    async fn handle(&self, event: Inbound) -> Result<Handled, EngineError> {
        let queue = self
            .batcher
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|b| b.queue.clone());
        let Some(queue) = queue else {
            if self.batching {
                return Err(EngineError::Stopped);
            }
            return self.engine.handle(&event).await;
        };
        let (reply, answer) = oneshot::channel();
        if queue.send((event, reply)).await.is_err() {
            return Err(EngineError::Stopped);
        }
        answer.await.unwrap_or(Err(EngineError::Stopped))
    }
}

/// Handles queued events, as many together as are waiting (up to `batch`).
async fn run_batches(engine: Arc<Engine>, mut queue: mpsc::Receiver<Pending>, batch: usize) {
    let mut waiting = Vec::with_capacity(batch);
    while queue.recv_many(&mut waiting, batch).await > 0 {
        let (events, replies): (Vec<Inbound>, Vec<_>) = waiting.drain(..).unzip();
        match engine.handle_batch(&events).await {
            Ok(handled) => {
                for (reply, h) in replies.into_iter().zip(handled) {
                    let _ = reply.send(Ok(h));
                }
            }
            Err(e) if events.len() == 1 => {
                let _ = replies.into_iter().next().map(|r| r.send(Err(e)));
            }
            Err(_) => {
                // Nothing was stored: find out event by event which one fails.
                for (reply, event) in replies.into_iter().zip(&events) {
                    let _ = reply.send(engine.handle(event).await);
                }
            }
        }
    }
}

#[async_trait]
impl InboundSink for EngineSink {
    async fn submit(&self, event: Inbound) -> Result<Accepted, SinkError> {
        let (id, address) = (event.id.clone(), event.address.clone());
        let health = self.engine.health();
        health.event_received(&address.adapter, self.engine.clock().now());
        let received = || {
            metrics::counter!("relaydesk_messages_received_total", "adapter" => address.adapter.clone())
                .increment(1)
        };
        match self.handle(event).await {
            Ok(Handled::Duplicate) => {
                tracing::info!(%id, %address, "already handled; skipped");
                Ok(Accepted::Duplicate)
            }
            Ok(Handled::Done) => {
                received();
                Ok(Accepted::Handled)
            }
            Ok(Handled::Ignored) => {
                received();
                Ok(Accepted::Ignored)
            }
            Err(e) => {
                tracing::error!(error = %e, %id, %address, "message not stored");
                Err(SinkError(Box::new(e)))
            }
        }
    }

    async fn catch_up(&self, adapter: &str) -> crate::store::CatchUp {
        match self.store.catch_up(adapter).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, adapter, "cannot read where to catch up from");
                crate::store::CatchUp::default()
            }
        }
    }

    fn connection(&self, adapter: &str, state: crate::health::Connection) {
        self.engine.health().set_connection(adapter, state);
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

/// Runs the adapters and the dispatcher until `shutdown`; then stops intake, handles
/// what was queued, lets the dispatcher drain what that wrote, and returns. An adapter
/// that stops by itself stops everything.
pub async fn run(
    adapters: Vec<Arc<dyn ChannelAdapter>>,
    sink: Arc<EngineSink>,
    dispatcher: Arc<Dispatcher>,
    shutdown: CancellationToken,
) -> Result<(), crate::adapter::AdapterError> {
    let intake = shutdown.child_token();
    let delivery = CancellationToken::new();
    let dispatching = tokio::spawn(dispatcher.run(delivery.clone()));
    let mut receivers = tokio::task::JoinSet::new();
    for adapter in &adapters {
        sink.engine.health().register(adapter.name());
    }
    for adapter in adapters {
        let (sink, stop): (Arc<dyn InboundSink>, _) = (sink.clone(), intake.clone());
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
    sink.close().await;
    delivery.cancel();
    let _ = dispatching.await;
    outcome
}
