//! Which dispatchers are alive, on PostgreSQL: each holds a session-level advisory lock
//! named after it for as long as its process runs. A process that dies loses its session
//! and with it the lock, so the others see at once that its claims are nobody's.

use std::time::Duration;

use relaydesk_core::store::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres};
use tokio_util::sync::CancellationToken;

use crate::db_error;

/// The first key of every relaydesk liveness lock; the second is the worker's name,
/// hashed.
pub(crate) const CLASS: i32 = 0x5244;

/// How often the held session is checked, and retaken if it was lost.
const CHECK: Duration = Duration::from_secs(5);

/// Claims of workers that hold no liveness lock go back to the queue, in doubt: the
/// worker may have sent them just before it died. `$1` is the caller (alive, whatever
/// the view says), `$2` the time, `$3` [`CLASS`].
pub(crate) const TAKE_OVER: &str =
    "update outbox set claimed_by = null, claimed_until = null, in_doubt = 1, updated_at = $2
     where state = 'pending' and claimed_until is not null and claimed_by <> $1
       and not exists (
         select 1 from pg_locks l
         where l.locktype = 'advisory' and l.granted and l.objsubid = 2
           and l.database = (select oid from pg_database where datname = current_database())
           and l.classid = ($3::bigint)::oid
           and l.objid = (hashtext(outbox.claimed_by)::bigint & 4294967295)::oid)";

/// A connection of its own holding `worker`'s lock.
pub(crate) async fn lock(pool: &PgPool, worker: &str) -> Result<sqlx::PgConnection, StoreError> {
    let mut conn: PoolConnection<Postgres> = pool.acquire().await.map_err(db_error)?;
    let taken: bool = sqlx::query_scalar("select pg_try_advisory_lock($1, hashtext($2))")
        .bind(CLASS)
        .bind(worker)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)?;
    if !taken {
        // Another live session uses the name: its claims are not taken over either way.
        tracing::warn!(worker, "another process uses this worker name");
    }
    Ok(conn.detach())
}

/// Keeps the session (and so the lock) open until `stop`; when the session is lost,
/// takes the lock again on a new one.
pub(crate) async fn hold(
    pool: PgPool,
    worker: String,
    mut conn: sqlx::PgConnection,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => {
                use sqlx::Connection;
                let _ = conn.close().await;
                return;
            }
            _ = tokio::time::sleep(CHECK) => {}
        }
        if sqlx::query("select 1").execute(&mut conn).await.is_ok() {
            continue;
        }
        tracing::warn!(
            worker,
            "lost the database session that shows this process alive; taking it again"
        );
        loop {
            match lock(&pool, &worker).await {
                Ok(new) => {
                    conn = new;
                    break;
                }
                Err(e) => {
                    tracing::warn!(worker, error = %e, "cannot show this process alive yet")
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(CHECK) => {}
            }
        }
    }
}
