//! The dispatcher: delivers outbox rows through the adapters, at least once, in order
//! per channel, honouring rate limits, and records what the platform answered.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::adapter::{ChannelAdapter, Outbound, SendError};
use crate::clock::Clock;
use crate::store::{DeliveryState, OutboxItem, Store, StoreError};
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
        DispatchSettings { lease: 60_000, batch: 64, max_attempts: 10, drain_for: Duration::from_secs(10) }
    }
}

/// Delivers the outbox through a set of adapters.
pub struct Dispatcher {
    store: Arc<dyn Store>,
    adapters: Vec<Arc<dyn ChannelAdapter>>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    progress: Arc<Notify>,
    worker: String,
    settings: DispatchSettings,
}

impl Dispatcher {
    /// `wake` is notified when there is new work; `progress` is notified (all waiters)
    /// after every batch. `worker` names this dispatcher in its claims.
    pub fn new(
        store: Arc<dyn Store>,
        adapters: Vec<Arc<dyn ChannelAdapter>>,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
        progress: Arc<Notify>,
        worker: String,
        settings: DispatchSettings,
    ) -> Arc<Dispatcher> {
        Arc::new(Dispatcher { store, adapters, clock, wake, progress, worker, settings })
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
            let mut delivered_any = false;
            let mut store_down = false;
            for adapter in &self.adapters {
                match self.clone().round(adapter.clone()).await {
                    Ok(n) => delivered_any |= n > 0,
                    Err(e) => {
                        tracing::error!(error = %e, adapter = adapter.name(), "cannot read the outbox");
                        store_down = true;
                    }
                }
            }
            self.progress.notify_waiters();
            if delivered_any {
                continue;
            }
            if drain_until.is_some() {
                return;
            }
            let pause = if store_down { Duration::from_secs(1) } else { self.idle_pause().await };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.cancelled() => {}
            }
        }
    }

    /// How long to sleep when nothing is due: until the next retry, at most a second.
    /// Never less than 20 ms: a row can look due while it waits behind another one.
    async fn idle_pause(&self) -> Duration {
        let now = self.clock.now();
        let mut pause_ms: Millis = 1000;
        for adapter in &self.adapters {
            if let Ok(Some(at)) = self.store.next_due(adapter.name()).await {
                pause_ms = pause_ms.min(at - now);
            }
        }
        Duration::from_millis(pause_ms.clamp(20, 1000) as u64)
    }

    /// Claims one batch for `adapter` and delivers it; returns how many rows it claimed.
    async fn round(self: Arc<Self>, adapter: Arc<dyn ChannelAdapter>) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let rows = self.store.claim(adapter.name(), &self.worker, now, self.settings.lease, self.settings.batch).await?;
        let claimed = rows.len();
        if claimed == 0 {
            return Ok(0);
        }
        // One task per channel: order holds within a channel, channels go in parallel.
        let mut by_channel: HashMap<String, Vec<OutboxItem>> = HashMap::new();
        for row in rows {
            by_channel.entry(row.to.channel.clone()).or_default().push(row);
        }
        let mut tasks = JoinSet::new();
        for (_, rows) in by_channel {
            let (this, adapter) = (self.clone(), adapter.clone());
            tasks.spawn(async move { this.deliver_in_order(adapter.as_ref(), rows).await });
        }
        while let Some(done) = tasks.join_next().await {
            if let Ok(Err(e)) = done {
                tracing::error!(error = %e, "could not record a delivery");
            }
        }
        Ok(claimed)
    }

    async fn deliver_in_order(&self, adapter: &dyn ChannelAdapter, rows: Vec<OutboxItem>) -> Result<(), StoreError> {
        let mut rows = rows.into_iter();
        while let Some(row) = rows.next() {
            if let Some(hold_until) = self.deliver(adapter, row).await? {
                // The channel is rate limited: what is behind waits too, in order.
                for rest in rows.by_ref() {
                    self.store.retry(rest.id, hold_until, None, self.clock.now()).await?;
                }
            }
        }
        Ok(())
    }

    /// Delivers one row; returns the time the channel is held until when rate limited.
    async fn deliver(&self, adapter: &dyn ChannelAdapter, row: OutboxItem) -> Result<Option<Millis>, StoreError> {
        let mut to = row.to.clone();
        match &row.parent {
            None => {}
            Some((DeliveryState::Delivered, Some(thread))) => to.thread = Some(thread.clone()),
            Some((state, _)) => {
                let error = format!("the thread it belongs in could not be started ({})", state.as_str());
                self.store.failed(row.id, &error, self.clock.now()).await?;
                return Ok(None);
            }
        }
        let message = Outbound {
            id: row.id,
            to,
            kind: row.kind,
            text: row.text,
            sender: row.sender,
            choices: row.choices,
            idempotency_key: row.idempotency_key,
        };
        let result = adapter.send(&message).await;
        let now = self.clock.now();
        match result {
            Ok(delivered) => self.store.delivered(row.id, message.kind, &delivered.message_id, now).await?,
            Err(SendError::RateLimited { retry_after }) => {
                let at = now + retry_after.as_millis() as Millis;
                tracing::info!(to = %message.to, retry_after_ms = retry_after.as_millis() as u64, "rate limited");
                self.store.retry(row.id, at, None, now).await?;
                return Ok(Some(at));
            }
            Err(SendError::Transient(error)) if row.attempts + 1 < self.settings.max_attempts => {
                let backoff = 1000i64 << row.attempts.clamp(0, 8);
                tracing::warn!(to = %message.to, %error, attempt = row.attempts + 1, "delivery failed; will retry");
                self.store.retry(row.id, now + backoff, Some(&error), now).await?;
            }
            Err(SendError::Transient(error)) | Err(SendError::Permanent(error)) => {
                tracing::error!(to = %message.to, %error, "delivery failed for good");
                self.store.failed(row.id, &error, now).await?;
            }
        }
        Ok(None)
    }
}
