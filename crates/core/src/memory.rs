//! An adapter that lives in memory, for tests and benchmarks.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::adapter::{
    Action, AdapterError, Capabilities, ChannelAdapter, Delivered, InboundSink, Outbound, SendError,
};

/// Records what it is asked to send; can be told to fail the next sends.
pub struct MemoryAdapter {
    name: String,
    capabilities: Capabilities,
    sent: Mutex<Vec<(Instant, Outbound, String)>>,
    failures: Mutex<VecDeque<SendError>>,
    next_id: AtomicU64,
    sent_signal: Notify,
    observer: Option<Observer>,
}

/// Called with every message as it is delivered.
pub type Observer = Box<dyn Fn(&Outbound) + Send + Sync>;

impl MemoryAdapter {
    /// An adapter named `name` that can do what `capabilities` says.
    pub fn new(name: &str, capabilities: Capabilities) -> Arc<MemoryAdapter> {
        Self::build(name, capabilities, None)
    }

    /// An adapter that also calls `observer` with every message it delivers.
    pub fn observed(
        name: &str,
        capabilities: Capabilities,
        observer: Observer,
    ) -> Arc<MemoryAdapter> {
        Self::build(name, capabilities, Some(observer))
    }

    fn build(
        name: &str,
        capabilities: Capabilities,
        observer: Option<Observer>,
    ) -> Arc<MemoryAdapter> {
        Arc::new(MemoryAdapter {
            name: name.to_string(),
            capabilities,
            sent: Mutex::new(Vec::new()),
            failures: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(1),
            sent_signal: Notify::new(),
            observer,
        })
    }

    /// The next sends fail with these errors, in order.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = SendError>) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(errors);
    }

    /// Everything delivered so far, with the id each got.
    pub fn sent(&self) -> Vec<(Outbound, String)> {
        self.lock_sent()
            .iter()
            .map(|(_, o, id)| (o.clone(), id.clone()))
            .collect()
    }

    /// Everything delivered so far, with when it was delivered.
    pub fn sent_at(&self) -> Vec<(Instant, Outbound)> {
        self.lock_sent()
            .iter()
            .map(|(at, o, _)| (*at, o.clone()))
            .collect()
    }

    /// How many messages it has delivered.
    pub fn sent_count(&self) -> usize {
        self.lock_sent().len()
    }

    /// Waits until at least `n` messages were delivered, or `timeout` passes.
    pub async fn wait_for(&self, n: usize, timeout: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let signal = self.sent_signal.notified();
            if self.sent_count() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, signal).await.is_err() {
                return self.sent_count() >= n;
            }
        }
    }

    fn lock_sent(&self) -> std::sync::MutexGuard<'_, Vec<(Instant, Outbound, String)>> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl ChannelAdapter for MemoryAdapter {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    async fn run(
        &self,
        _sink: Arc<dyn InboundSink>,
        shutdown: CancellationToken,
    ) -> Result<(), AdapterError> {
        shutdown.cancelled().await;
        Ok(())
    }

    async fn send(&self, message: &Outbound) -> Result<Delivered, SendError> {
        if message.action != Action::Post && !self.capabilities.edits {
            return Err(SendError::Permanent(format!(
                "{} cannot change or remove a posted message",
                self.name
            )));
        }
        if let Some(error) = self
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
        {
            return Err(error);
        }
        let id = format!("m{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        self.lock_sent()
            .push((Instant::now(), message.clone(), id.clone()));
        if let Some(observe) = &self.observer {
            observe(message);
        }
        self.sent_signal.notify_waiters();
        Ok(Delivered::message(id))
    }
}
