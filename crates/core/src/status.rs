//! The status port: what the status page, `/readyz` and `/metrics` read from the
//! database (tickets by state, the outbox's backlog, recent delivery failures, whether
//! the database answers), and the incident an operator declares, stored so that every
//! process shows it.

use async_trait::async_trait;

use crate::store::StoreError;
use crate::types::{Millis, State};

/// The status read model.
#[async_trait]
pub trait StatusReports: Send + Sync {
    /// Tickets (conversations with a number) per state; states with none are left out.
    async fn ticket_counts(&self) -> Result<Vec<(State, i64)>, StoreError>;

    /// Outbox rows still waiting to be delivered.
    async fn outbox_backlog(&self) -> Result<i64, StoreError>;

    /// Outbox rows whose last try failed (for now or for good) at `since` or later.
    async fn delivery_failures_since(&self, since: Millis) -> Result<i64, StoreError>;

    /// The database answers a query.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Every migration this build knows is applied: `false` when the schema is
    /// behind (or ahead of) the code.
    async fn migrations_applied(&self) -> Result<bool, StoreError>;
}

/// An incident an operator declared (`relaydesk incident open`): shown as a banner on
/// the status page and the help center until it is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// What the operator wrote.
    pub text: String,
    /// When it was opened.
    pub opened_at: Millis,
}

/// The incident, kept in the database: at most one is open.
#[async_trait]
pub trait Incidents: Send + Sync {
    /// Opens an incident with `text`; when one is open already, its text becomes
    /// `text` (it keeps its opening time).
    async fn open_incident(&self, text: &str, now: Millis) -> Result<(), StoreError>;

    /// Closes the open incident; `false` when none was open.
    async fn close_incident(&self, now: Millis) -> Result<bool, StoreError>;

    /// The open incident, if there is one.
    async fn open_incident_now(&self) -> Result<Option<Incident>, StoreError>;
}
