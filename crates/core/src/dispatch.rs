//! The dispatcher: delivers outbox rows through the adapters, at least once, in order
//! per channel, honouring rate limits, and records what the platform answered.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::adapter::{Action, ChannelAdapter, Outbound, OutboundKind, SendError};
use crate::clock::Clock;
use crate::engine::Engine;
use crate::store::{DeliveryState, OutboxItem, Receipt, RowAction, Store, StoreError};
use crate::types::Millis;

/// Dispatcher tuning; the defaults suit production.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// How long a claimed row is ours before another dispatcher may take it.
    pub lease: Millis,
    /// Rows claimed at once per adapter.
    pub batch: i64,
    /// Temporary failures tolerated before a row is marked failed.
    pub max_attempts: i64,
    /// After shutdown, how long to keep delivering what is due.
    pub drain_for: Duration,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            lease: 60_000,
            batch: 64,
            max_attempts: 10,
            drain_for: Duration::from_secs(10),
        }
    }
}

/// What became of one row.
enum Outcome {
    Delivered(Receipt),
    /// Failed for good: recorded already.
    Settled,
    /// Rate limited or failed for now: recorded, tried again then, and the channel
    /// waits until then.
    HoldUntil(Millis),
}

/// Delivers the outbox through a set of adapters.
pub struct Dispatcher {
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    adapters: Vec<Arc<dyn ChannelAdapter>>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    progress: Arc<Notify>,
    worker: String,
    settings: DispatchSettings,
}

impl Dispatcher {
    /// Delivers what `engine` enqueues, through `adapters`. `progress` is notified (all
    /// waiters) after every batch; `worker` names this dispatcher in its claims. A
    /// message to a person that fails for good is reported to the ticket's agents.
    pub fn new(
        engine: Arc<Engine>,
        adapters: Vec<Arc<dyn ChannelAdapter>>,
        progress: Arc<Notify>,
        worker: String,
        settings: DispatchSettings,
    ) -> Arc<Dispatcher> {
        Arc::new(Dispatcher {
            store: engine.store().clone(),
            clock: engine.clock().clone(),
            wake: engine.wake().clone(),
            engine,
            adapters,
            progress,
            worker,
            settings,
        })
    }

    /// Delivers until `shutdown` is cancelled, then keeps delivering what is due for
    /// up to `drain_for` and returns.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut drain_until = None;
        loop {
            if shutdown.is_cancelled() && drain_until.is_none() {
                drain_until = Some(tokio::time::Instant::now() + self.settings.drain_for);
            }
            if drain_until.is_some_and(|d| tokio::time::Instant::now() >= d) {
                tracing::warn!("stopping with deliveries still due; they go out at the next start");
                return;
            }
            let (claimed, retry_at) = match self.clone().round().await {
                Ok(round) => round,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the outbox");
                    (0, Some(self.clock.now() + 1000))
                }
            };
            self.progress.notify_waiters();
            if claimed as i64 >= self.settings.batch || (drain_until.is_some() && claimed > 0) {
                continue;
            }
            if drain_until.is_some() {
                return;
            }
            // New rows wake us; retries we scheduled are waited for; anything else (other
            // processes' retries, expired leases) is found by polling every second.
            let pause = retry_at.map_or(1000, |at| (at - self.clock.now()).clamp(1, 1000));
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(pause as u64)) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }

    /// Claims one batch across the adapters and delivers it; returns how many rows it
    /// claimed and the earliest retry it scheduled.
    async fn round(self: Arc<Self>) -> Result<(usize, Option<Millis>), StoreError> {
        let now = self.clock.now();
        let names: Vec<String> = self.adapters.iter().map(|a| a.name().to_string()).collect();
        let rows = self
            .store
            .claim(
                &names,
                &self.worker,
                now,
                self.settings.lease,
                self.settings.batch,
            )
            .await?;
        let claimed = rows.len();
        // One task per channel: order holds within a channel, channels go in parallel.
        let mut by_channel: HashMap<(String, String), Vec<OutboxItem>> = HashMap::new();
        for row in rows {
            by_channel
                .entry((row.to.adapter.clone(), row.to.channel.clone()))
                .or_default()
                .push(row);
        }
        let mut tasks = JoinSet::new();
        for ((adapter, _), rows) in by_channel {
            let Some(adapter) = self.adapters.iter().find(|a| a.name() == adapter).cloned() else {
                continue;
            };
            let this = self.clone();
            tasks.spawn(async move { this.deliver_in_order(adapter.as_ref(), rows).await });
        }
        let mut retry_at: Option<Millis> = None;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(Some(at))) => retry_at = Some(retry_at.map_or(at, |r| r.min(at))),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "could not record a delivery"),
                Err(e) => tracing::error!(error = %e, "a delivery task failed"),
            }
        }
        Ok((claimed, retry_at))
    }

    /// Delivers a channel's rows in order and records the deliveries together; returns
    /// the earliest retry it scheduled.
    async fn deliver_in_order(
        &self,
        adapter: &dyn ChannelAdapter,
        rows: Vec<OutboxItem>,
    ) -> Result<Option<Millis>, StoreError> {
        let mut receipts = Vec::with_capacity(rows.len());
        let outcome = self.send_in_order(adapter, rows, &mut receipts).await;
        // Whatever happened after, what was sent is recorded, so it is not sent again.
        if !receipts.is_empty() {
            self.store.delivered(&receipts, self.clock.now()).await?;
        }
        outcome
    }

    async fn send_in_order(
        &self,
        adapter: &dyn ChannelAdapter,
        rows: Vec<OutboxItem>,
        receipts: &mut Vec<Receipt>,
    ) -> Result<Option<Millis>, StoreError> {
        let mut rows = rows.into_iter();
        while let Some(row) = rows.next() {
            match self.deliver(adapter, row).await? {
                // A card is the ticket's thread: agents can answer under it at once, so
                // it is linked at once rather than with the rest of the batch.
                Outcome::Delivered(receipt) if receipt.kind == OutboundKind::TicketCard => {
                    self.store.delivered(&[receipt], self.clock.now()).await?;
                }
                Outcome::Delivered(receipt) => receipts.push(receipt),
                Outcome::Settled => {}
                Outcome::HoldUntil(until) => {
                    // A retry later for this row: what is behind it in the channel waits
                    // too, so that the channel stays in order.
                    for rest in rows.by_ref() {
                        self.store
                            .retry(rest.id, until, None, self.clock.now())
                            .await?;
                    }
                    return Ok(Some(until));
                }
            }
        }
        Ok(None)
    }

    /// Tries one row; records failures and retries, and returns what became of it.
    async fn deliver(
        &self,
        adapter: &dyn ChannelAdapter,
        row: OutboxItem,
    ) -> Result<Outcome, StoreError> {
        let mut to = row.to.clone();
        match &row.parent {
            None => {}
            Some((DeliveryState::Delivered, Some(thread))) => to.thread = Some(thread.clone()),
            Some((state, _)) => {
                let error = format!(
                    "the thread it belongs in could not be started ({})",
                    state.as_str()
                );
                self.store.failed(row.id, &error, self.clock.now()).await?;
                return Ok(Outcome::Settled);
            }
        }
        let action = match (row.action, &row.target) {
            (RowAction::Post, _) => Action::Post,
            (RowAction::Update(_), Some((DeliveryState::Delivered, Some(id)))) => Action::Update {
                message_id: id.clone(),
            },
            (RowAction::Delete(_), Some((DeliveryState::Delivered, Some(id)))) => Action::Delete {
                message_id: id.clone(),
            },
            (action, _) => {
                // What it would change was never posted: there is nothing to change.
                let error = format!(
                    "nothing to {}: the message was never posted",
                    action.as_str()
                );
                self.store.failed(row.id, &error, self.clock.now()).await?;
                return Ok(Outcome::Settled);
            }
        };
        let message = Outbound {
            id: row.id,
            to,
            action,
            idempotency_key: row.idempotency_key,
            payload: row.payload,
        };
        let result = adapter.send(&message).await;
        let now = self.clock.now();
        match result {
            Ok(delivered) => {
                return Ok(Outcome::Delivered(Receipt {
                    id: row.id,
                    kind: message.payload.kind,
                    platform_message_id: delivered.message_id,
                    thread: delivered.thread,
                }))
            }
            Err(SendError::RateLimited { retry_after }) => {
                let at = now + retry_after.as_millis() as Millis;
                tracing::info!(to = %message.to, retry_after_ms = retry_after.as_millis() as u64, "rate limited");
                self.store.retry(row.id, at, None, now).await?;
                return Ok(Outcome::HoldUntil(at));
            }
            Err(SendError::Transient(error)) if row.attempts + 1 < self.settings.max_attempts => {
                let backoff = 1000i64 << row.attempts.clamp(0, 8);
                tracing::warn!(to = %message.to, %error, attempt = row.attempts + 1, "delivery failed; will retry");
                self.store
                    .retry(row.id, now + backoff, Some(&error), now)
                    .await?;
                return Ok(Outcome::HoldUntil(now + backoff));
            }
            Err(SendError::Transient(error)) | Err(SendError::Permanent(error)) => {
                tracing::error!(to = %message.to, %error, "delivery failed for good");
                self.store.failed(row.id, &error, now).await?;
                if message.action != Action::Post {
                    return Ok(Outcome::Settled);
                }
                if let Err(e) = self
                    .engine
                    .delivery_failed(row.conversation_id, &message.to, &error)
                    .await
                {
                    tracing::error!(error = %e, "could not tell the agents about a failed delivery");
                }
            }
        }
        Ok(Outcome::Settled)
    }
}
