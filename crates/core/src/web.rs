//! The web side's port: what "My activity" and the request form keep (sign-in links,
//! sessions, submissions) and the requester's tickets they list. A requester on the
//! web is an email address: their web tickets, and the tickets of every chat identity
//! verified with that address.

use async_trait::async_trait;

use crate::store::StoreError;
use crate::types::{Millis, State};

/// The adapter name of people who wrote through the web form: their address is
/// `web:<email>`, and what is said to them they read in "My activity" or by email.
pub const WEB: &str = "web";

/// A requester's ticket, as "My activity" lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequesterTicket {
    /// The ticket number.
    pub number: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// Its subject, or the first words the person wrote.
    pub subject: String,
    /// Where it stands.
    pub state: State,
    /// Where it was opened: `web`, `slack`, `discord`, `console`.
    pub channel: String,
    /// When it last changed.
    pub updated_at: Millis,
}

/// What the web side keeps, and the requester's tickets.
#[async_trait]
pub trait WebStore: Send + Sync {
    /// Keeps a sign-in link for `email` (lower case), by its token's hash.
    async fn add_signin(
        &self,
        token_hash: &str,
        email: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// Uses the sign-in link whose token hashes to `token_hash`: its email, the first
    /// time and before it expires; `None` otherwise.
    async fn use_signin(&self, token_hash: &str, now: Millis)
        -> Result<Option<String>, StoreError>;

    /// Sign-in links made for `email` since `since`.
    async fn signins_since(&self, email: &str, since: Millis) -> Result<i64, StoreError>;

    /// Keeps a signed-in session for `email`, by its token's hash.
    async fn add_session(
        &self,
        token_hash: &str,
        email: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<(), StoreError>;

    /// The email of the session whose token hashes to `token_hash`, while it lasts.
    async fn session(&self, token_hash: &str, now: Millis) -> Result<Option<String>, StoreError>;

    /// Ends a session (signing out).
    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Records a request taken from `email` (lower case) and `ip`.
    async fn record_submission(&self, email: &str, ip: &str, now: Millis)
        -> Result<(), StoreError>;

    /// Requests taken since `since`: from `email`, and from `ip`.
    async fn submissions_since(
        &self,
        email: &str,
        ip: &str,
        since: Millis,
    ) -> Result<(i64, i64), StoreError>;

    /// The tickets of the requester `email` (lower case), newest first (500 at most).
    async fn requester_tickets(&self, email: &str) -> Result<Vec<RequesterTicket>, StoreError>;

    /// The requester's ticket `number`; `None` when it is not theirs.
    async fn requester_ticket(
        &self,
        email: &str,
        number: i64,
    ) -> Result<Option<RequesterTicket>, StoreError>;
}
