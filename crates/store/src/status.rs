//! The status read model (tickets by state, the outbox's backlog, recent delivery
//! failures, the database's health) and the incident table.

use async_trait::async_trait;
use relaydesk_core::status::{Incident, Incidents, StatusReports};
use relaydesk_core::store::StoreError;
use relaydesk_core::{Millis, State};

use crate::{db_error, Db, SqlStore};

#[async_trait]
impl StatusReports for SqlStore {
    async fn ticket_counts(&self) -> Result<Vec<(State, i64)>, StoreError> {
        let sql = "select state, count(*) from conversation
                   where ticket_number is not null group by state";
        let rows: Vec<(String, i64)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).fetch_all(pool).await)
                .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .filter_map(|(state, n)| Some((State::parse(&state)?, n)))
            .collect())
    }

    async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        let sql = "select count(*) from outbox where state = 'pending'";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).fetch_one(pool).await).map_err(db_error)
    }

    async fn delivery_failures_since(&self, since: Millis) -> Result<i64, StoreError> {
        // A row put off after a failure keeps its error until it is delivered; one
        // that failed for good is `failed`.
        let sql = "select count(*) from outbox
                   where updated_at >= $1
                     and (state = 'failed' or (state = 'pending' and last_error is not null))";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(since).fetch_one(pool).await)
            .map_err(db_error)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let one: i32 =
            on_pool!(&self.db, pool => sqlx::query_scalar("select 1").fetch_one(pool).await)
                .map_err(db_error)?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    async fn migrations_applied(&self) -> Result<bool, StoreError> {
        let known: Vec<i64> = match &self.db {
            Db::Sqlite(_) => sqlx::migrate!("../../migrations/sqlite")
                .iter()
                .map(|m| m.version)
                .collect(),
            Db::Postgres(_) => sqlx::migrate!("../../migrations/postgres")
                .iter()
                .map(|m| m.version)
                .collect(),
        };
        let sql = "select version from _sqlx_migrations where success order by version";
        let applied: Vec<i64> =
            on_pool!(&self.db, pool => sqlx::query_scalar(sql).fetch_all(pool).await)
                .map_err(db_error)?;
        Ok(applied == known)
    }
}

#[async_trait]
impl Incidents for SqlStore {
    async fn open_incident(&self, text: &str, now: Millis) -> Result<(), StoreError> {
        let update = "update incident set text = $1, updated_at = $2 where closed_at is null";
        let insert = "insert into incident (text, opened_at, created_at, updated_at)
                      values ($1, $2, $2, $2)";
        // Two processes opening at once: the index lets one insert; the other then
        // finds it open and replaces its text.
        for _ in 0..2 {
            let updated = on_pool!(&self.db, pool => sqlx::query(update).bind(text).bind(now)
                .execute(pool).await.map(|r| r.rows_affected()))
            .map_err(db_error)?;
            if updated > 0 {
                return Ok(());
            }
            let inserted = on_pool!(&self.db, pool => sqlx::query(insert).bind(text).bind(now)
                .execute(pool).await.map(drop))
            .map_err(db_error);
            match inserted {
                Ok(_) => return Ok(()),
                Err(StoreError::Unique { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::query("could not open the incident; try again"))
    }

    async fn close_incident(&self, now: Millis) -> Result<bool, StoreError> {
        let sql = "update incident set closed_at = $1, updated_at = $1 where closed_at is null";
        let closed = on_pool!(&self.db, pool => sqlx::query(sql).bind(now)
            .execute(pool).await.map(|r| r.rows_affected()))
        .map_err(db_error)?;
        Ok(closed > 0)
    }

    async fn open_incident_now(&self) -> Result<Option<Incident>, StoreError> {
        let sql = "select text, opened_at from incident where closed_at is null";
        let row: Option<(String, i64)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).fetch_optional(pool).await)
                .map_err(db_error)?;
        Ok(row.map(|(text, opened_at)| Incident { text, opened_at }))
    }
}
