//! The email outbox at work: every second (and at start) the engine writes the away
//! emails that are due, then each due row is claimed, sent, and marked. A temporary
//! failure is tried again with capped backoff; a permanent one is marked failed, logged,
//! and listed by `relaydesk emails`. A row is marked sent the moment the server accepts
//! it; one whose process stopped mid-send may have reached the server, so when its
//! claim runs out it is marked failed rather than sent twice.
//!
//! One-time codes are not rows: [`CodeSender`] sends them from memory, trying a few
//! times.

use std::sync::Arc;
use std::time::Duration;

use relaydesk_core::email::{CodeMailer, Letter};
use relaydesk_core::store::EmailRow;
use relaydesk_core::{Engine, Millis, Store};
use tokio_util::sync::CancellationToken;

use crate::mail::{Email, Mailer, SendError};

/// How long a claimed email is another process's to send.
const LEASE: Millis = 60_000;

/// Longest a send may take: well within the claim.
const SEND_LIMIT: Duration = Duration::from_secs(45);

/// How often the outbox is looked at.
const EVERY: Duration = Duration::from_secs(1);

/// Tries of a code email, and the wait before the first retry (doubled each time).
const CODE_TRIES: u32 = 4;
const CODE_RETRY: Duration = Duration::from_secs(1);

/// The outbox's loop, until `shutdown`.
pub async fn run(
    engine: Arc<Engine>,
    store: Arc<dyn Store>,
    mailer: Arc<Mailer>,
    max_backoff: Millis,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let now = engine.clock().now();
        if let Err(e) = engine.away_emails(now).await {
            tracing::warn!(error = %e, "away emails could not be written; will try again");
        }
        while !shutdown.is_cancelled() {
            let now = engine.clock().now();
            let row = match store.claim_email(now, LEASE).await {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the email outbox; will try again");
                    break;
                }
            };
            deliver(&*store, &mailer, row, now, max_backoff).await;
        }
    }
}

/// Sends one claimed row and records what became of it.
async fn deliver(store: &dyn Store, mailer: &Mailer, row: EmailRow, now: Millis, max: Millis) {
    let email = Email {
        to: row.to.clone(),
        subject: row.subject.clone(),
        text: row.text.clone(),
        html: row.html.clone(),
        message_id: format!("<email-{}@relaydesk>", row.id),
        unsubscribe: row.unsubscribe_url.clone(),
    };
    let sent = match tokio::time::timeout(SEND_LIMIT, mailer.send(&email)).await {
        Ok(sent) => sent,
        // Cut off mid-conversation: the server may have taken it.
        Err(_) => Err(SendError::Permanent(format!(
            "no answer within {} s; it may have been delivered, so it is not sent again",
            SEND_LIMIT.as_secs()
        ))),
    };
    let recorded = match sent {
        Ok(()) => {
            tracing::info!(email = row.id, "email sent");
            store.email_sent(row.id, now).await
        }
        Err(SendError::Temporary(error)) => {
            let wait = backoff(row.attempts, max);
            tracing::warn!(email = row.id, attempts = row.attempts, retry_in_ms = wait, %error, "email not sent; will try again");
            store.email_retry(row.id, now + wait, &error).await
        }
        Err(SendError::Permanent(error)) => {
            tracing::error!(email = row.id, %error, "email refused for good; `relaydesk emails` lists it");
            store.email_failed(row.id, &error).await
        }
    };
    if let Err(e) = recorded {
        // The claim runs out and the row is tried again: at least once.
        tracing::warn!(email = row.id, error = %e, "cannot record what became of an email");
    }
}

/// The wait after the `attempts`-th failure: 1 s, 2 s, 4 s… up to `max`.
fn backoff(attempts: i64, max: Millis) -> Millis {
    let exponent = attempts.clamp(1, 30) - 1;
    (1000_i64 << exponent).min(max)
}

/// Mails one-time codes from memory, in the background.
pub struct CodeSender {
    mailer: Arc<Mailer>,
}

impl CodeSender {
    /// Codes through `mailer`.
    pub fn new(mailer: Arc<Mailer>) -> CodeSender {
        CodeSender { mailer }
    }
}

impl CodeMailer for CodeSender {
    fn send_code(&self, to: String, letter: Letter) {
        let mailer = self.mailer.clone();
        tokio::spawn(async move {
            let email = Email {
                to,
                subject: letter.subject,
                text: letter.text,
                html: letter.html,
                message_id: format!(
                    "<code-{}@relaydesk>",
                    relaydesk_core::desk::identity::new_token()
                ),
                unsubscribe: None,
            };
            let mut wait = CODE_RETRY;
            for attempt in 1..=CODE_TRIES {
                match mailer.send(&email).await {
                    Ok(()) => {
                        tracing::info!("verification code sent");
                        return;
                    }
                    Err(SendError::Temporary(error)) if attempt < CODE_TRIES => {
                        tracing::warn!(attempt, %error, "verification code not sent; trying again");
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                    }
                    Err(error) => {
                        tracing::error!(%error, "verification code not sent; the person can ask for a new one");
                        return;
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let waits: Vec<i64> = (1..=6).map(|a| super::backoff(a, 10_000)).collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 10_000, 10_000]);
    }
}
