//! The web side's tables: sign-in links, sessions, submissions; and a requester's
//! tickets, found by email across the web and the chat identities verified with it.

use async_trait::async_trait;
use relaydesk_core::store::StoreError;
use relaydesk_core::web::{RequesterTicket, WebStore, WEB};
use relaydesk_core::{Millis, State};

use crate::{db_error, Db, SqlStore};

#[async_trait]
impl WebStore for SqlStore {
    async fn add_signin(
        &self,
        token_hash: &str,
        email: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "insert into web_signin (token_hash, email, expires_at, created_at)
                   values ($1, $2, $3, $4)";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(token_hash).bind(email)
            .bind(expires_at).bind(now).execute(pool).await.map(drop))
        .map_err(db_error)
    }

    async fn use_signin(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<String>, StoreError> {
        // One statement: two clicks at once use it once.
        let sql = "update web_signin set used_at = $2
                   where token_hash = $1 and used_at is null and expires_at > $2
                   returning email";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(token_hash).bind(now)
            .fetch_optional(pool).await)
        .map_err(db_error)
    }

    async fn signins_since(&self, email: &str, since: Millis) -> Result<i64, StoreError> {
        let sql = "select count(*) from web_signin where email = $1 and created_at >= $2";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(email).bind(since)
            .fetch_one(pool).await)
        .map_err(db_error)
    }

    async fn add_session(
        &self,
        token_hash: &str,
        email: &str,
        expires_at: Millis,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "insert into web_session (token_hash, email, expires_at, created_at)
                   values ($1, $2, $3, $4)";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(token_hash).bind(email)
            .bind(expires_at).bind(now).execute(pool).await.map(drop))
        .map_err(db_error)
    }

    async fn session(&self, token_hash: &str, now: Millis) -> Result<Option<String>, StoreError> {
        let sql = "select email from web_session where token_hash = $1 and expires_at > $2";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(token_hash).bind(now)
            .fetch_optional(pool).await)
        .map_err(db_error)
    }

    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let sql = "delete from web_session where token_hash = $1";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(token_hash).execute(pool).await.map(drop))
            .map_err(db_error)
    }

    async fn record_submission(
        &self,
        email: &str,
        ip: &str,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "insert into web_submission (email, ip, created_at) values ($1, $2, $3)";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(email).bind(ip).bind(now)
            .execute(pool).await.map(drop))
        .map_err(db_error)
    }

    async fn submissions_since(
        &self,
        email: &str,
        ip: &str,
        since: Millis,
    ) -> Result<(i64, i64), StoreError> {
        let sql = "select
                     (select count(*) from web_submission where email = $1 and created_at >= $3),
                     (select count(*) from web_submission where ip = $2 and created_at >= $3)";
        on_pool!(&self.db, pool => sqlx::query_as(sql).bind(email).bind(ip).bind(since)
            .fetch_one(pool).await)
        .map_err(db_error)
    }

    async fn requester_tickets(&self, email: &str) -> Result<Vec<RequesterTicket>, StoreError> {
        self.tickets_of_requester(email, None).await
    }

    async fn requester_ticket(
        &self,
        email: &str,
        number: i64,
    ) -> Result<Option<RequesterTicket>, StoreError> {
        let found = self.tickets_of_requester(email, Some(number)).await?;
        Ok(found.into_iter().next())
    }
}

impl SqlStore {
    /// The requester's tickets, or the one numbered `number`: those of their web
    /// identity and of every identity verified with the address.
    async fn tickets_of_requester(
        &self,
        email: &str,
        number: Option<i64>,
    ) -> Result<Vec<RequesterTicket>, StoreError> {
        let sql = format!(
            "select c.ticket_number, c.id, {}, c.state, c.user_adapter, c.updated_at
             from conversation c join person p on p.id = c.person_id
             where c.ticket_number is not null and ($3 is null or c.ticket_number = $3)
               and ((p.platform = $1 and p.platform_user_id = $2) or lower(p.verified_email) = $2)
             order by c.updated_at desc, c.id desc limit 500",
            crate::rows::SUBJECT
        );
        type Row = (i64, i64, String, String, String, i64);
        let rows: Vec<Row> = on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(WEB)
            .bind(email).bind(number).fetch_all(pool).await)
        .map_err(db_error)?;
        rows.into_iter()
            .map(
                |(number, conversation_id, subject, state, channel, updated_at)| {
                    Ok(RequesterTicket {
                        number,
                        conversation_id,
                        subject,
                        state: State::parse(&state).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown conversation state `{state}`"))
                        })?,
                        channel,
                        updated_at,
                    })
                },
            )
            .collect()
    }
}
