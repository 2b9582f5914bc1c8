//! The dispatcher: delivers outbox rows through the adapters, at least once, in order
//! per channel, honouring rate limits, and records what the platform answered.
//!
//! One loop claims what is due; each channel with claimed rows gets a task of its own,
//! so a channel that hangs or is rate limited holds only itself. Each delivery is
//! recorded right after its send (the marks of all channels share one statement), so a
//! crash can repeat at most the one send in flight per channel; a row that comes back
//! after a crash is marked in doubt, for adapters that can look for it before posting
//! again.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::adapter::{Action, ChannelAdapter, Outbound, OutboundKind, SendError};
use crate::clock::Clock;
use crate::engine::Engine;
use crate::health::DeliveryFailure;
use crate::store::{DeliveryState, OutboxItem, Receipt, RowAction, Store, StoreError};
use crate::types::Millis;

/// Dispatcher tuning; the defaults suit production.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// How long a claim lasts unless renewed; renewed every third of it while the
    /// process lives.
    pub lease: Millis,
    /// Rows claimed at once.
    pub batch: i64,
    /// How long one send may take before it counts as a temporary failure; shorter
    /// than the lease.
    pub send_timeout: Duration,
    /// The longest wait between two tries of a row that keeps failing.
    pub max_backoff: Millis,
    /// Failed tries of a message to a person after which the ticket's agents are told
    /// that replies are waiting.
    pub delayed_after: i64,
    /// After shutdown, how long to keep delivering what is due and let the sends under
    /// way finish.
    pub drain_for: Duration,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            lease: 60_000,
            batch: 64,
            send_timeout: Duration::from_secs(30),
            max_backoff: 300_000,
            delayed_after: 3,
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

/// Deliveries of one channel that may be sent but not yet recorded, where the adapter
/// finds what it sent before.
const MARK_WINDOW: usize = 32;

/// A channel, as the dispatcher keeps them apart.
type Channel = (String, String);

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
    /// Rows being sent right now: given back in doubt if shutdown cuts them short.
    in_flight: Mutex<HashSet<i64>>,
}

impl Dispatcher {
    /// Delivers what `engine` enqueues, through `adapters`. `progress` is notified (all
    /// waiters) as deliveries are recorded; `worker` names this dispatcher in its
    /// claims. A message to a person that fails for good is reported to the ticket's
    /// agents.
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
            in_flight: Mutex::new(HashSet::new()),
        })
    }

    /// Delivers until `shutdown` is cancelled, then keeps delivering what is due for
    /// up to `drain_for`, lets the sends under way finish, gives back what it still
    /// holds, and returns.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        if let Err(e) = self.store.join(&self.worker).await {
            tracing::error!(error = %e, "cannot show other processes that this one is alive");
        }
        let (marks, marking) = Marks::start(self.clone());
        let stop_sending = CancellationToken::new();
        let mut channels: HashMap<Channel, (u64, mpsc::UnboundedSender<Vec<OutboxItem>>)> =
            HashMap::new();
        let mut tasks: JoinSet<(Channel, u64, Option<Millis>)> = JoinSet::new();
        let mut generation = 0u64;
        let mut retry_at: Option<Millis> = None;
        let mut drain_until = None;
        let mut next_renew = self.clock.now() + self.settings.lease / 3;
        let mut next_takeover = 0;
        loop {
            if shutdown.is_cancelled() && drain_until.is_none() {
                drain_until = Some(tokio::time::Instant::now() + self.settings.drain_for);
            }
            if drain_until.is_some_and(|d| tokio::time::Instant::now() >= d) {
                tracing::warn!("stopping with deliveries still due; they go out at the next start");
                break;
            }
            let now = self.clock.now();
            if now >= next_takeover {
                next_takeover = now + 1000;
                match self.store.take_over(&self.worker, now).await {
                    Ok(0) => {}
                    Ok(rows) => {
                        tracing::info!(rows, "took over deliveries of a process that stopped")
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot check for stopped processes"),
                }
            }
            if now >= next_renew {
                next_renew = now + self.settings.lease / 3;
                if let Err(e) = self
                    .store
                    .renew(&self.worker, now, self.settings.lease)
                    .await
                {
                    tracing::warn!(error = %e, "cannot renew the claims being sent");
                }
            }
            let claimed = match self.claim(now).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the outbox");
                    retry_at = Some(now + 1000);
                    Vec::new()
                }
            };
            let full = claimed.len() as i64 >= self.settings.batch;
            for (channel, rows) in by_channel(claimed) {
                // A channel still sending takes its next rows itself, in order.
                let rows = match channels.get(&channel) {
                    Some((_, queue)) => match queue.send(rows) {
                        Ok(()) => continue,
                        Err(mpsc::error::SendError(rows)) => rows,
                    },
                    None => rows,
                };
                let Some(adapter) = self.adapter(&channel.0) else {
                    continue;
                };
                let (queue, queued) = mpsc::unbounded_channel();
                let _ = queue.send(rows);
                generation += 1;
                channels.insert(channel.clone(), (generation, queue));
                let (this, marks, stop) = (self.clone(), marks.clone(), stop_sending.clone());
                let id = generation;
                tasks.spawn(async move {
                    let retry = this.send_channel(adapter, queued, marks, stop).await;
                    (channel, id, retry)
                });
            }
            self.progress.notify_waiters();
            if full {
                continue;
            }
            if drain_until.is_some() && tasks.is_empty() {
                break;
            }
            // New rows wake us, and so does a channel that is done; retries we
            // scheduled are waited for; anything else (other processes' retries, a
            // process that stopped) is found by polling every second.
            let pause = retry_at
                .take()
                .map_or(1000, |at| (at - self.clock.now()).clamp(1, 1000));
            let finished = tokio::select! {
                _ = self.wake.notified() => {
                    // Commits come in bursts: let the others of this one land, so that
                    // one claim takes them together.
                    tokio::task::yield_now().await;
                    None
                }
                Some(done) = tasks.join_next() => Some(done),
                _ = tokio::time::sleep(Duration::from_millis(pause as u64)) => None,
                _ = shutdown.cancelled(), if drain_until.is_none() => None,
            };
            // Every channel done by now is handled before the next claim, which then
            // finds all their channels free at once.
            for done in finished
                .into_iter()
                .chain(std::iter::from_fn(|| tasks.try_join_next()))
            {
                match done {
                    Ok((channel, id, retry)) => {
                        if channels.get(&channel).is_some_and(|(g, _)| *g == id) {
                            channels.remove(&channel);
                        }
                        if let Some(at) = retry {
                            retry_at = Some(retry_at.map_or(at, |r: Millis| r.min(at)));
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "a delivery task failed"),
                }
            }
        }
        // The sends under way finish (within the drain time); nothing new starts.
        stop_sending.cancel();
        drop(channels);
        let deadline = drain_until.unwrap_or_else(tokio::time::Instant::now);
        let finished = tokio::time::timeout_at(deadline, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!("sends still under way at shutdown are given back, in doubt");
            tasks.abort_all();
        }
        drop(marks);
        let _ = tokio::time::timeout_at(deadline, marking).await;
        let in_flight: Vec<i64> = lock(&self.in_flight).iter().copied().collect();
        match self
            .store
            .release(&self.worker, &in_flight, self.clock.now())
            .await
        {
            Ok(0) => {}
            Ok(rows) => tracing::info!(rows, "deliveries not yet sent go out at the next start"),
            Err(e) => tracing::warn!(error = %e, "cannot give back the deliveries not yet sent"),
        }
        self.store.leave(&self.worker).await;
        self.progress.notify_waiters();
    }

    async fn claim(&self, now: Millis) -> Result<Vec<OutboxItem>, StoreError> {
        let names: Vec<String> = self.adapters.iter().map(|a| a.name().to_string()).collect();
        self.store
            .claim(
                &names,
                &self.worker,
                now,
                self.settings.lease,
                self.settings.batch,
            )
            .await
    }

    fn adapter(&self, name: &str) -> Option<Arc<dyn ChannelAdapter>> {
        self.adapters.iter().find(|a| a.name() == name).cloned()
    }

    /// Sends one channel's rows in order, as they are queued, until none are left or
    /// the channel must wait; returns when it may be tried again.
    async fn send_channel(
        &self,
        adapter: Arc<dyn ChannelAdapter>,
        mut queued: mpsc::UnboundedReceiver<Vec<OutboxItem>>,
        marks: Marks,
        stop: CancellationToken,
    ) -> Option<Millis> {
        // Where the adapter finds what it sent before, the next send need not wait for
        // the last one to be recorded.
        let window = if adapter.capabilities().finds_in_doubt {
            MARK_WINDOW
        } else {
            1
        };
        let mut recording: VecDeque<(i64, oneshot::Receiver<()>)> = VecDeque::new();
        let mut hold: Option<Millis> = None;
        loop {
            let rows = match queued.try_recv() {
                Ok(rows) => rows,
                Err(_) => {
                    self.recorded(&mut recording, 0).await;
                    // Nothing more will be queued here; what was, is still taken.
                    queued.close();
                    match queued.recv().await {
                        Some(rows) => rows,
                        None => return hold,
                    }
                }
            };
            for row in rows {
                let (id, now) = (row.id, self.clock.now());
                if let Some(until) = hold {
                    // Behind a row that waits: this one waits too, so the channel
                    // stays in order.
                    self.record(self.store.retry(id, until, None, now).await);
                    continue;
                }
                if stop.is_cancelled() {
                    self.record(self.store.retry(id, now, None, now).await);
                    continue;
                }
                lock(&self.in_flight).insert(id);
                match self.deliver(adapter.as_ref(), row).await {
                    Ok(Outcome::Delivered(receipt)) => match marks.mark(receipt) {
                        Some(done) => {
                            recording.push_back((id, done));
                            self.recorded(&mut recording, window - 1).await;
                        }
                        None => hold = Some(self.clock.now() + 1000),
                    },
                    Ok(Outcome::Settled) => {
                        lock(&self.in_flight).remove(&id);
                    }
                    Ok(Outcome::HoldUntil(until)) => {
                        lock(&self.in_flight).remove(&id);
                        hold = Some(until);
                    }
                    Err(e) => {
                        // The send's result could not be recorded: the row stays
                        // claimed, in flight, and goes back in doubt at shutdown.
                        tracing::error!(error = %e, row = id, "could not record a delivery");
                        hold = Some(self.clock.now() + 1000);
                    }
                }
            }
        }
    }

    /// Waits until at most `left` of the channel's deliveries are still being recorded.
    async fn recorded(&self, recording: &mut VecDeque<(i64, oneshot::Receiver<()>)>, left: usize) {
        while recording.len() > left {
            let Some((id, done)) = recording.pop_front() else {
                return;
            };
            if done.await.is_ok() {
                lock(&self.in_flight).remove(&id);
            }
        }
    }

    fn record(&self, result: Result<(), StoreError>) {
        if let Err(e) = result {
            tracing::error!(error = %e, "could not put a delivery off");
        }
    }

    /// Tries one row; records failures and retries, and returns what became of it.
    async fn deliver(
        &self,
        adapter: &dyn ChannelAdapter,
        row: OutboxItem,
    ) -> Result<Outcome, StoreError> {
        let (written_at, name) = (row.created_at, adapter.name());
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
            in_doubt: row.in_doubt,
            payload: row.payload,
        };
        let timeout = self.settings.send_timeout;
        let result = match tokio::time::timeout(timeout, adapter.send(&message)).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Transient(format!(
                "no answer within {} s",
                timeout.as_secs()
            ))),
        };
        let now = self.clock.now();
        let health = self.engine.health();
        let error = match result {
            Ok(delivered) => {
                health.delivered(name, now);
                metrics::counter!("relaydesk_messages_sent_total", "adapter" => name.to_string())
                    .increment(1);
                if message.payload.kind == OutboundKind::Relay && message.action == Action::Post {
                    // From the event's arrival (the row is written in its turn) to the
                    // copy on the other side.
                    let seconds = (now - written_at).max(0) as f64 / 1000.0;
                    metrics::histogram!("relaydesk_relay_latency_seconds").record(seconds);
                }
                return Ok(Outcome::Delivered(Receipt {
                    id: row.id,
                    kind: message.payload.kind,
                    platform_message_id: delivered.message_id,
                    thread: delivered.thread,
                }));
            }
            Err(SendError::RateLimited { retry_after }) => {
                retried(name);
                let at = now + retry_after.as_millis() as Millis;
                tracing::info!(to = %message.to, retry_after_ms = retry_after.as_millis() as u64, "rate limited");
                self.store.retry(row.id, at, None, now).await?;
                return Ok(Outcome::HoldUntil(at));
            }
            Err(e @ (SendError::Transient(_) | SendError::Unreachable(_))) => {
                // Tried again for as long as it takes: the platform is down, not the
                // message wrong.
                let (error, unreachable) = match e {
                    SendError::Unreachable(why) => (why, true),
                    SendError::Transient(why) => (why, false),
                    other => (other.to_string(), false),
                };
                let failure = if unreachable {
                    DeliveryFailure::Unreachable(&error)
                } else {
                    DeliveryFailure::Temporary(&error)
                };
                health.delivery_failed(name, failure, now);
                failed(name);
                retried(name);
                let attempt = row.attempts + 1;
                let at = now + backoff(row.attempts, self.settings.max_backoff);
                tracing::warn!(to = %message.to, %error, attempt, retry_in_ms = at - now, "delivery failed; will retry");
                self.store.retry(row.id, at, Some(&error), now).await?;
                if attempt == self.settings.delayed_after {
                    self.report(
                        self.engine
                            .delivery_delayed(row.conversation_id, row.id, &message.to, &error)
                            .await,
                    );
                }
                return Ok(Outcome::HoldUntil(at));
            }
            Err(SendError::Permanent(error)) => error,
        };
        tracing::error!(to = %message.to, %error, "delivery failed for good");
        health.delivery_failed(name, DeliveryFailure::Permanent, now);
        failed(name);
        self.store.failed(row.id, &error, now).await?;
        if message.action == Action::Post {
            self.report(
                self.engine
                    .delivery_failed(row.conversation_id, &message.to, &error)
                    .await,
            );
        }
        Ok(Outcome::Settled)
    }

    fn report(&self, told: Result<(), crate::engine::EngineError>) {
        if let Err(e) = told {
            tracing::error!(error = %e, "could not tell anyone about a delivery problem");
        }
    }
}

fn failed(adapter: &str) {
    metrics::counter!("relaydesk_delivery_failures_total", "adapter" => adapter.to_string())
        .increment(1);
}

fn retried(adapter: &str) {
    metrics::counter!("relaydesk_delivery_retries_total", "adapter" => adapter.to_string())
        .increment(1);
}

/// The wait before the next try of a row that failed `attempts` times before: one
/// second, doubling, at most `max`.
fn backoff(attempts: i64, max: Millis) -> Millis {
    (1000i64 << attempts.clamp(0, 20)).min(max.max(1000))
}

fn by_channel(rows: Vec<OutboxItem>) -> Vec<(Channel, Vec<OutboxItem>)> {
    let mut order: Vec<(Channel, Vec<OutboxItem>)> = Vec::new();
    for row in rows {
        let channel = (row.to.adapter.clone(), row.to.channel.clone());
        match order.iter_mut().find(|(c, _)| *c == channel) {
            Some((_, rows)) => rows.push(row),
            None => order.push((channel, vec![row])),
        }
    }
    order
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records deliveries as they happen: every channel's task hands its receipts over and
/// waits for them to be stored (before its next send, unless the adapter finds what it
/// sent before); what arrives together is stored in one statement.
#[derive(Clone)]
struct Marks(mpsc::UnboundedSender<(Receipt, oneshot::Sender<()>)>);

impl Marks {
    fn start(dispatcher: Arc<Dispatcher>) -> (Marks, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<(Receipt, oneshot::Sender<()>)>();
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < 256 {
                    match rx.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let receipts: Vec<Receipt> = batch.iter().map(|(r, _)| r.clone()).collect();
                let mut wait = Duration::from_millis(100);
                // A send that happened is recorded, whatever it takes: otherwise it
                // would be sent again.
                while let Err(e) = dispatcher
                    .store
                    .delivered(&receipts, dispatcher.clock.now())
                    .await
                {
                    tracing::error!(error = %e, rows = receipts.len(), "cannot record deliveries; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                for (_, done) in batch {
                    let _ = done.send(());
                }
                dispatcher.progress.notify_waiters();
            }
        });
        (Marks(tx), task)
    }

    /// Hands `receipt` over; the answer comes once it is stored. `None` when marks are
    /// no longer taken (shutdown).
    fn mark(&self, receipt: Receipt) -> Option<oneshot::Receiver<()>> {
        let (done, stored) = oneshot::channel();
        self.0.send((receipt, done)).ok()?;
        Some(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(0, 300_000), 1000);
        assert_eq!(backoff(3, 300_000), 8000);
        assert_eq!(backoff(9, 300_000), 300_000);
        assert_eq!(backoff(1000, 300_000), 300_000);
    }
}
