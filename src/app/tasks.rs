//! The loops that run beside the engine. Each ends when `shutdown` is cancelled, and
//! its caller joins it.

use std::sync::Arc;
use std::time::Duration;

use relaydesk_core::phrasing::Phrasings;
use relaydesk_core::Engine;
use relaydesk_kb::LiveHelpCenter;
use tokio_util::sync::CancellationToken;

/// The engine's timers every minute and at start, until `shutdown`.
pub async fn timers(engine: Arc<Engine>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        match engine.tick(engine.clock().now()).await {
            Ok(ticked) if ticked.closed > 0 => {
                tracing::info!(closed = ticked.closed, "closed solved tickets")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "timers failed; will try again"),
        }
    }
}

/// Picks up changed help-center articles and learned phrasings every `every_secs`
/// (never when 0), until `shutdown`.
pub async fn reload_helpcenter(
    helpcenter: Arc<LiveHelpCenter>,
    phrasings: Arc<dyn Phrasings>,
    every_secs: u64,
    shutdown: CancellationToken,
) {
    if every_secs == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(every_secs));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        learn_phrasings(phrasings.as_ref(), &helpcenter).await;
        let live = helpcenter.clone();
        if let Ok(Some(errors)) =
            tokio::task::spawn_blocking(move || live.reload_if_changed()).await
        {
            for e in errors {
                tracing::warn!(path = %e.path.display(), error = %e.message, "help-center article skipped");
            }
            tracing::info!(
                articles = helpcenter.current().articles().len(),
                "help center reloaded"
            );
        }
    }
}

/// Hands the phrasings the desk taught (`kb_phrasing`) to the help center, which indexes
/// them at its next reload when they changed. A store error keeps the ones it has.
pub async fn learn_phrasings(store: &dyn Phrasings, helpcenter: &LiveHelpCenter) {
    match store.phrasings().await {
        Ok(learned) => helpcenter.set_phrasings(
            learned
                .into_iter()
                .map(|p| (p.article_id, p.question))
                .collect(),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the learned phrasings; the help center keeps the ones it has")
        }
    }
}

/// Cancels `shutdown` on SIGINT or SIGTERM; ends when `shutdown` is cancelled anyway.
pub async fn stop_on_signals(shutdown: CancellationToken) {
    tokio::select! {
        _ = shutdown.cancelled() => return,
        _ = signal() => {}
    }
    tracing::info!("stopping: no new messages are taken; delivering what is due");
    shutdown.cancel();
}

/// SIGINT or SIGTERM.
async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
