//! relaydesk's store on SQLite (the default) or PostgreSQL (to scale out), behind
//! core's [`Store`] port. One SQL text serves both dialects; only locking differs.

mod lite;
mod live;
mod reference;
mod rows;
mod stmt;
mod tx;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relaydesk_core::adapter::OutboundKind;
use relaydesk_core::store::{
    AnswerRecord, CatchUp, ConversationDetail, ConversationSummary, DeliveryRecord, EmailQueue,
    EmailRow, OutboxItem, OutboxQueue, Receipt, Reports, Satisfaction, Store, StoreError,
    TicketSummary, Tx, WaitingChannel,
};
use relaydesk_core::{Millis, State};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use tokio_util::sync::CancellationToken;

use rows::{ConversationRow, DeliveryRow, MessageRow, OutboxRow, PersonRow, SummaryRow};

/// The state and platform message id of outbox row `$1`.
const PARENT_STATE: &str = "select state, platform_message_id from outbox where id = $1";

/// The channel PostgreSQL processes wake each other on.
const OUTBOX_CHANNEL: &str = "relaydesk_outbox";

pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool this is: the same tokens compile
/// once per dialect.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

// After `on_pool!`, which they use.
mod phrasing;
mod status;
mod web;

/// A SQLite or PostgreSQL store.
pub struct SqlStore {
    db: Db,
    /// The connection the engine's transactions run on (SQLite).
    lite: Option<lite::Lite>,
    /// For the dispatcher's bookkeeping: the same pool on SQLite, a pool that does
    /// not wait for the disk on PostgreSQL.
    outbox: Db,
    /// The outbox listener and the worker's liveness lock (PostgreSQL), stopped and
    /// joined by [`SqlStore::close`].
    tasks: std::sync::Mutex<Vec<(CancellationToken, tokio::task::JoinHandle<()>)>>,
    /// Sends the NOTIFY that wakes other processes' dispatchers (PostgreSQL).
    wake: Arc<OutboxWake>,
    /// The liveness locks held, per worker.
    workers: std::sync::Mutex<
        std::collections::HashMap<String, (CancellationToken, tokio::task::JoinHandle<()>)>,
    >,
}

/// New outbox rows to announce to other processes. The NOTIFY is sent after the commit,
/// not by a trigger inside the transaction: PostgreSQL commits a transaction that has
/// queued a notification under a lock for the whole cluster, which kept concurrent
/// commits from being flushed together.
#[derive(Debug, Default)]
pub(crate) struct OutboxWake {
    pending: std::sync::atomic::AtomicBool,
    poked: tokio::sync::Notify,
}

impl OutboxWake {
    /// Asks for a NOTIFY; those asked for while one is being sent share the next.
    pub(crate) fn poke(&self) {
        self.pending
            .store(true, std::sync::atomic::Ordering::Release);
        self.poked.notify_one();
    }
}

/// How often SQLite's write-ahead log is checkpointed, off the engine's connection.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

impl SqlStore {
    /// Connects to `url` (`sqlite://path`, `postgres://…`) and applies the migrations.
    /// SQLite files (and their folder) are created when missing.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        let store = SqlStore::connect_without_migrating(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without touching the schema.
    pub async fn connect_without_migrating(url: &str) -> Result<SqlStore, StoreError> {
        let shown = redact_url(url);
        let unavailable = |e: sqlx::Error| {
            StoreError::unavailable(format!("cannot open {shown}: {}", describe(&e)))
        };
        let (db, outbox, checkpoints, lite) = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::unavailable(format!("bad database url {shown}: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // The log is checkpointed from a connection of its own (see
                // `start_checkpoints`); this is only the backstop should that stop.
                .pragma("wal_autocheckpoint", "65536");
            if let Some(dir) = options
                .get_filename()
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::unavailable(format!(
                        "cannot create the folder {} for {shown}: {e}",
                        dir.display()
                    ))
                })?;
            }
            // One connection: SQLite has one writer anyway, and queueing in the pool is
            // fairer and faster than SQLite's sleeping busy handler.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone())
                .await
                .map_err(unavailable)?;
            let lite = lite::Lite::open(options.get_filename())?;
            (
                Db::Sqlite(pool.clone()),
                Db::Sqlite(pool),
                Some(options),
                Some(lite),
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::unavailable(format!("bad database url {shown}: {e}")))?;
            let connect = |size: u32, options: PgConnectOptions| {
                PgPoolOptions::new()
                    .max_connections(size)
                    // A connection is checked when it comes back to the pool; checking
                    // it again before each use would cost a round trip per transaction.
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
            };
            let pool = connect(16, options.clone()).await.map_err(unavailable)?;
            // Delivery bookkeeping may skip waiting for the disk: losing the last
            // marks in a crash only means those messages are sent again, which the
            // outbox allows anyway; the engine's own commits stay synchronous.
            let relaxed = options.options([("synchronous_commit", "off")]);
            let outbox = connect(4, relaxed).await.map_err(unavailable)?;
            (Db::Postgres(pool), Db::Postgres(outbox), None, None)
        } else {
            return Err(StoreError::unavailable(format!(
                "unsupported database url {shown}: use sqlite://path/to/file.db or postgres://user@host/db"
            )));
        };
        let wake = Arc::new(OutboxWake::default());
        let store = SqlStore {
            wake: wake.clone(),
            db,
            lite,
            outbox,
            tasks: std::sync::Mutex::new(Vec::new()),
            workers: std::sync::Mutex::new(std::collections::HashMap::new()),
        };
        if let Some(options) = checkpoints {
            store.start_checkpoints(options);
        }
        if let Db::Postgres(pool) = &store.outbox {
            store.start_notifier(pool.clone(), wake);
        }
        Ok(store)
    }

    /// Sends `NOTIFY relaydesk_outbox` after commits that enqueued rows: one at a time,
    /// so that the commits of a busy moment share one (see [`OutboxWake`]).
    fn start_notifier(&self, pool: sqlx::PgPool, wake: Arc<OutboxWake>) {
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.cancelled() => return,
                    _ = wake.poked.notified() => {}
                }
                while wake
                    .pending
                    .swap(false, std::sync::atomic::Ordering::AcqRel)
                {
                    let sent = sqlx::query("select pg_notify($1, '')")
                        .bind(OUTBOX_CHANNEL)
                        .execute(&pool)
                        .await;
                    if let Err(e) = sent {
                        // The dispatchers also look on their own every few seconds.
                        tracing::warn!(error = %describe(&e), "cannot notify the dispatchers of new outbox rows");
                    }
                }
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((stop, task));
    }

    /// Checkpoints SQLite's write-ahead log from a connection of its own, every
    /// [`CHECKPOINT_EVERY`]: the engine's connection then never stops to copy the log
    /// into the database, which took it tens of milliseconds every few thousand
    /// messages (the p99 of `bench engine` at 1,000 messages a second: 50–58 ms with
    /// checkpoints on the engine's connection, about 10 ms without).
    fn start_checkpoints(&self, options: SqliteConnectOptions) {
        use sqlx::Connection;
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut conn: Option<sqlx::SqliteConnection> = None;
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stopped.cancelled() => break,
                    _ = tick.tick() => {}
                }
                if conn.is_none() {
                    match sqlx::SqliteConnection::connect_with(&options).await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            tracing::warn!(error = %describe(&e), "cannot open the checkpoint connection");
                            continue;
                        }
                    }
                }
                if let Some(c) = conn.as_mut() {
                    if let Err(e) = sqlx::query("pragma wal_checkpoint(passive)")
                        .execute(&mut *c)
                        .await
                    {
                        tracing::warn!(error = %describe(&e), "checkpoint failed");
                        conn = None;
                    }
                }
            }
            if let Some(c) = conn {
                let _ = c.close().await;
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((stop, task));
    }

    /// Applies the dialect's pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let result = match &self.db {
            Db::Sqlite(pool) => sqlx::migrate!("../../migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("../../migrations/postgres").run(pool).await,
        };
        result.map_err(|e| StoreError::query(format!("migration failed: {e}")))
    }

    /// `sqlite` or `postgres`.
    pub fn dialect(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Stops the outbox listener and closes both pools, waiting for the connections in
    /// use to be given back; any call after it fails. For shutdown, once the engine and
    /// the dispatcher have stopped.
    pub async fn close(&self) {
        let mut tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        tasks.extend(
            std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()))
                .into_values(),
        );
        for (stop, task) in tasks {
            stop.cancel();
            let _ = task.await;
        }
        on_pool!(&self.db, pool => pool.close().await);
        on_pool!(&self.outbox, pool => pool.close().await)
    }

    /// The claim's statement: `$1` worker, `$2` lease end, `$3` now, `$4` the adapters
    /// (comma-separated), `$5` the limit.
    fn claim_sql(&self) -> String {
        // The channels held by a row that is claimed or put off are a small set, read
        // from a partial index and hashed once; the candidates are checked against it,
        // so a backlog of pending rows is read once, not once per candidate.
        format!(
            "update outbox set claimed_by = $1, claimed_until = $2, updated_at = $3,
                in_doubt = case when claimed_until is null then in_doubt else 1 end
             where id in (
                select o.id from outbox o
                where o.state = 'pending' and {adapter_in} and o.next_attempt_at <= $3
                  and (o.claimed_until is null or o.claimed_until <= $3)
                  and (o.parent_id is null
                       or exists (select 1 from outbox p where p.id = o.parent_id and p.state <> 'pending'))
                  and (o.target_id is null
                       or exists (select 1 from outbox p where p.id = o.target_id and p.state <> 'pending'))
                  and (o.adapter, o.channel) not in (
                    select e.adapter, e.channel from outbox e
                    where e.state = 'pending' and (e.claimed_until is not null or e.next_attempt_at > e.created_at)
                      and (e.next_attempt_at > $3 or e.claimed_until > $3))
                order by o.id limit $5{lock})
             returning {OUTBOX_COLUMNS}",
            lock = self.lock_clause(),
            adapter_in = self.adapter_in("o.adapter", "$4"),
        )
    }

    /// How the database runs a claim of up to `limit` rows for `adapters` at `now`: on
    /// PostgreSQL the plan as run (`explain analyze`, JSON; nothing is claimed), on
    /// SQLite the query plan. For telling whether a backlog slows claims down.
    pub async fn explain_claim(
        &self,
        adapters: &[String],
        now: Millis,
        limit: i64,
    ) -> Result<String, StoreError> {
        let adapters = adapters.join(",");
        match &self.outbox {
            Db::Sqlite(pool) => {
                let sql = format!("explain query plan {}", self.claim_sql());
                let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&sql)
                    .bind("explain")
                    .bind(now)
                    .bind(now)
                    .bind(&adapters)
                    .bind(limit)
                    .fetch_all(pool)
                    .await
                    .map_err(db_error)?;
                Ok(rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n"))
            }
            Db::Postgres(pool) => {
                let sql = format!("explain analyze {}", self.claim_sql());
                let mut tx = pool.begin().await.map_err(db_error)?;
                let plan: Vec<String> = sqlx::query_scalar(&sql)
                    .bind("explain")
                    .bind(now)
                    .bind(now)
                    .bind(&adapters)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error)?;
                tx.rollback().await.map_err(db_error)?;
                Ok(plan.join("\n"))
            }
        }
    }

    /// `column` is one of the comma-separated names bound at `param`.
    fn adapter_in(&self, column: &str, param: &str) -> String {
        match self.db {
            Db::Sqlite(_) => format!("instr(',' || {param} || ',', ',' || {column} || ',') > 0"),
            Db::Postgres(_) => format!("{column} = any(string_to_array({param}, ','))"),
        }
    }

    fn lock_clause(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " for update skip locked",
        }
    }
}

/// The url with any password replaced, fit for logs and errors: the one in the user
/// part and any `password=` parameter.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    // The user part ends at the last `@`: a password may itself hold `/` or `@`.
    let shown = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{userinfo}@{host}"),
        },
        None => format!("{scheme}://{rest}"),
    };
    let Some(query) = query else { return shown };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => p.to_string(),
        })
        .collect();
    format!("{shown}?{}", params.join("&"))
}

fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => format!("{io}"),
        sqlx::Error::PoolTimedOut => "timed out connecting".into(),
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    }
}

pub(crate) fn db_error(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable {
            message: describe(&e),
            source: Some(Box::new(e)),
        },
        sqlx::Error::Database(ref db) if db.is_unique_violation() => StoreError::Unique {
            message: db.constraint().unwrap_or("unique").to_string(),
            source: Some(Box::new(e)),
        },
        other => StoreError::Query {
            message: describe(&other),
            source: Some(Box::new(other)),
        },
    }
}

const OUTBOX_COLUMNS: &str =
    "id, conversation_id, parent_id, adapter, channel, thread, kind, body, sender, choices, files, action, target_id, idempotency_key, attempts, in_doubt, created_at";

#[async_trait]
impl Store for SqlStore {
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError> {
        Ok(Box::new(self.begin_sql().await?))
    }

    async fn solved_before(&self, before: Millis, limit: i64) -> Result<Vec<i64>, StoreError> {
        let sql = "select id from conversation where state = 'solved' and solved_at < $1
                   order by solved_at limit $2";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(before).bind(limit).fetch_all(pool).await)
            .map_err(db_error)
    }

    async fn idle_before(&self, before: Millis, limit: i64) -> Result<Vec<i64>, StoreError> {
        let sql = "select id from conversation where state = 'bot' and updated_at < $1
                   order by updated_at limit $2";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(before).bind(limit).fetch_all(pool).await)
            .map_err(db_error)
    }

    async fn away_due(&self, now: Millis, limit: i64) -> Result<Vec<i64>, StoreError> {
        let sql =
            "select conversation_id from away_notice where due_at <= $1 order by due_at limit $2";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(now).bind(limit).fetch_all(pool).await)
            .map_err(db_error)
    }

    async fn forget_inbound(&self, before: Millis) -> Result<u64, StoreError> {
        let sql = "delete from inbound_seen where created_at < $1";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(before).execute(pool).await.map(|r| r.rows_affected()))
            .map_err(db_error)
    }
}

#[async_trait]
impl EmailQueue for SqlStore {
    async fn claim_email(
        &self,
        now: Millis,
        lease: Millis,
    ) -> Result<Option<EmailRow>, StoreError> {
        // A `sending` row whose claim ran out belongs to a process that stopped
        // mid-send: the server may have taken it, so it is not sent again.
        let sql = "update email set status = 'failed',
                     last_error = 'interrupted while sending; it may have been delivered, so it is not sent again'
                   where status = 'sending' and due_at <= $1";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(now).execute(pool).await.map(drop))
            .map_err(db_error)?;
        let sql = format!(
            "update email set status = 'sending', due_at = $1, attempts = attempts + 1
             where id = (select id from email
                         where status = 'pending' and due_at <= $2
                         order by due_at, id limit 1{})
             returning {}",
            self.lock_clause(),
            rows::EMAIL_COLUMNS
        );
        let row: Option<rows::EmailDbRow> = on_pool!(&self.db, pool => sqlx::query_as(&sql)
            .bind(now + lease).bind(now).fetch_optional(pool).await)
        .map_err(db_error)?;
        Ok(row.map(EmailRow::from))
    }

    async fn email_sent(&self, id: i64, now: Millis) -> Result<(), StoreError> {
        let sql = "update email set status = 'sent', sent_at = $1, last_error = null
                   where id = $2 and status = 'sending'";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(now).bind(id).execute(pool).await.map(drop))
            .map_err(db_error)
    }

    async fn email_retry(&self, id: i64, at: Millis, error: &str) -> Result<(), StoreError> {
        let sql = "update email set status = 'pending', due_at = $1, last_error = $2
                   where id = $3 and status = 'sending'";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(at).bind(error).bind(id).execute(pool).await.map(drop))
            .map_err(db_error)
    }

    async fn email_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        let sql = "update email set status = 'failed', last_error = $1 where id = $2 and status = 'sending'";
        on_pool!(&self.db, pool => sqlx::query(sql).bind(error).bind(id).execute(pool).await.map(drop))
            .map_err(db_error)
    }

    async fn emails(&self, limit: i64) -> Result<Vec<EmailRow>, StoreError> {
        let sql = format!(
            "select {} from email order by id desc limit $1",
            rows::EMAIL_COLUMNS
        );
        let found: Vec<rows::EmailDbRow> = on_pool!(&self.db, pool => sqlx::query_as(&sql)
            .bind(limit).fetch_all(pool).await)
        .map_err(db_error)?;
        Ok(found.into_iter().map(EmailRow::from).collect())
    }

    async fn unsubscribe(&self, token: &str, now: Millis) -> Result<Option<String>, StoreError> {
        let sql = "update email_optout set unsubscribed_at = coalesce(unsubscribed_at, $1)
                   where token = $2 returning email";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(now).bind(token).fetch_optional(pool).await)
            .map_err(db_error)
    }
}

#[async_trait]
impl OutboxQueue for SqlStore {
    async fn claim(
        &self,
        adapters: &[String],
        worker: &str,
        now: Millis,
        lease: Millis,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = self.claim_sql();
        let adapters = adapters.join(",");
        let claim = stmt::stmt(&sql)
            .bind(worker)
            .bind(now + lease)
            .bind(now)
            .bind(&adapters)
            .bind(limit);
        // The states of the rows the claimed ones go under or change.
        let linked = |rows: &[OutboxRow]| -> Vec<i64> {
            rows.iter()
                .flat_map(|r| [r.parent_id, r.target_id])
                .flatten()
                .collect()
        };
        let mut states: HashMap<i64, Option<(String, Option<String>)>> = HashMap::new();
        let mut rows: Vec<OutboxRow> = match &self.outbox {
            Db::Sqlite(_) => {
                // The claim and its rows' parents, as one job.
                let tx = lite::LiteTx::begin(self.sqlite()?).await?;
                let rows = tx.fetch(&claim, usize::MAX)?;
                for id in linked(&rows) {
                    let state = tx.fetch(&stmt::stmt(PARENT_STATE).bind(id), 1)?.pop();
                    states.insert(id, state);
                }
                tx.commit()?;
                rows
            }
            Db::Postgres(pool) => {
                // Claims for an adapter take turns: a claim running beside another would
                // not yet see the other's rows as claimed, and could overtake them. Locks
                // are taken in name order, so processes with other sets cannot deadlock.
                let mut tx = pool.begin().await.map_err(db_error)?;
                let mut names: Vec<&str> = adapters.split(',').collect();
                names.sort_unstable();
                for name in names {
                    sqlx::query("select pg_advisory_xact_lock(hashtext($1))")
                        .bind(format!("relaydesk-claim:{name}"))
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error)?;
                }
                let rows = sqlx::query_as_with(&claim.sql, claim.pg_arguments()?)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_error)?;
                tx.commit().await.map_err(db_error)?;
                for id in linked(&rows) {
                    let state = sqlx::query_as(PARENT_STATE)
                        .bind(id)
                        .fetch_optional(pool)
                        .await
                        .map_err(db_error)?;
                    states.insert(id, state);
                }
                rows
            }
        };
        rows.sort_by_key(|r| r.id);
        let state_of = |id: Option<i64>| {
            id.map(|id| match states.get(&id) {
                Some(Some((state, message_id))) => {
                    Ok((rows::parse_delivery_state(state)?, message_id.clone()))
                }
                _ => Err(StoreError::query(format!("outbox row {id} is missing"))),
            })
            .transpose()
        };
        rows.into_iter()
            .map(|row| {
                let (parent, target) = (state_of(row.parent_id)?, state_of(row.target_id)?);
                row.into_item(parent, target)
            })
            .collect()
    }

    async fn delivered(&self, receipts: &[Receipt], now: Millis) -> Result<(), StoreError> {
        // A card's message is the ticket's thread. It is linked before the row is marked,
        // so a crash in between at worst posts the card again.
        let link = "update conversation set agent_thread = $1, updated_at = $2
                    where id = (select conversation_id from outbox where id = $3 and action = 'post')";
        let mut statements: Vec<stmt::Stmt> = receipts
            .iter()
            .filter(|r| r.kind == OutboundKind::TicketCard)
            .map(|r| {
                let thread = r.thread.as_ref().unwrap_or(&r.platform_message_id);
                stmt::stmt(link).bind(thread).bind(now).bind(r.id)
            })
            .collect();
        let mut mark = stmt::stmt(tx::mark_delivered_sql(receipts.len())).bind(now);
        for r in receipts {
            mark = mark.bind(r.id).bind(&r.platform_message_id);
        }
        statements.push(mark);
        match &self.outbox {
            Db::Sqlite(_) => {
                // The links and the marks, as one job.
                let tx = lite::LiteTx::begin(self.sqlite()?).await?;
                for s in &statements {
                    tx.execute(s)?;
                }
                tx.commit()
            }
            Db::Postgres(pool) => {
                for s in &statements {
                    sqlx::query_with(&s.sql, s.pg_arguments()?)
                        .execute(pool)
                        .await
                        .map_err(db_error)?;
                }
                Ok(())
            }
        }
    }

    async fn retry(
        &self,
        id: i64,
        at: Millis,
        failure: Option<&str>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let sql = "update outbox set next_attempt_at = $1, claimed_until = null, updated_at = $2,
                   attempts = attempts + $3, last_error = coalesce($4, last_error),
                   in_doubt = case when $3 = 1 then 1 else in_doubt end
                   where id = $5 and state = 'pending'";
        let counted: i64 = failure.is_some().into();
        on_pool!(&self.outbox, pool => sqlx::query(sql).bind(at).bind(now).bind(counted).bind(failure).bind(id).execute(pool).await.map(|_| ()))
            .map_err(db_error)?;
        Ok(())
    }

    async fn failed(&self, id: i64, error: &str, now: Millis) -> Result<(), StoreError> {
        let sql = "update outbox set state = 'failed', last_error = $1, attempts = attempts + 1,
                   claimed_until = null, updated_at = $2 where id = $3 and state = 'pending'";
        on_pool!(&self.outbox, pool => sqlx::query(sql).bind(error).bind(now).bind(id).execute(pool).await.map(|_| ())).map_err(db_error)?;
        Ok(())
    }

    async fn pending(&self, adapter: &str) -> Result<i64, StoreError> {
        let sql = "select count(*) from outbox where state = 'pending' and adapter = $1";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(adapter).fetch_one(pool).await)
            .map_err(db_error)
    }

    async fn join(&self, worker: &str) -> Result<(), StoreError> {
        let Db::Postgres(pool) = &self.outbox else {
            return Ok(());
        };
        if self
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(worker)
        {
            return Ok(());
        }
        let conn = live::lock(pool, worker).await?;
        let stop = CancellationToken::new();
        let task = tokio::spawn(live::hold(
            pool.clone(),
            worker.to_string(),
            conn,
            stop.clone(),
        ));
        let previous = self
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(worker.to_string(), (stop, task));
        if let Some((stop, _)) = previous {
            stop.cancel();
        }
        Ok(())
    }

    async fn leave(&self, worker: &str) {
        let held = self
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(worker);
        if let Some((stop, task)) = held {
            stop.cancel();
            let _ = task.await;
        }
    }

    async fn take_over(&self, worker: &str, now: Millis) -> Result<u64, StoreError> {
        let Db::Postgres(pool) = &self.outbox else {
            return Ok(0);
        };
        sqlx::query(live::TAKE_OVER)
            .bind(worker)
            .bind(now)
            .bind(i64::from(live::CLASS))
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_error)
    }

    async fn renew(&self, worker: &str, now: Millis, lease: Millis) -> Result<(), StoreError> {
        let sql = "update outbox set claimed_until = $1
                   where claimed_by = $2 and state = 'pending' and claimed_until is not null";
        on_pool!(&self.outbox, pool => sqlx::query(sql).bind(now + lease).bind(worker).execute(pool).await.map(|_| ()))
            .map_err(db_error)
    }

    async fn release(
        &self,
        worker: &str,
        in_flight: &[i64],
        now: Millis,
    ) -> Result<u64, StoreError> {
        let in_flight = in_flight
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "update outbox set claimed_by = null, claimed_until = null, updated_at = $1,
                in_doubt = case when {in_flight} then 1 else in_doubt end
             where claimed_by = $3 and state = 'pending' and claimed_until is not null",
            in_flight = self.adapter_in("cast(id as text)", "$2"),
        );
        on_pool!(&self.outbox, pool => sqlx::query(&sql).bind(now).bind(&in_flight).bind(worker).execute(pool).await.map(|r| r.rows_affected()))
            .map_err(db_error)
    }

    async fn watch_outbox(&self, wake: Arc<tokio::sync::Notify>) -> Result<(), StoreError> {
        let Db::Postgres(pool) = &self.db else {
            return Ok(());
        };
        let mut listener = PgListener::connect_with(pool).await.map_err(db_error)?;
        listener.listen(OUTBOX_CHANNEL).await.map_err(db_error)?;
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    _ = stopped.cancelled() => return,
                    received = listener.recv() => received,
                };
                match received {
                    Ok(_) => wake.notify_one(),
                    Err(e) => {
                        // The listener reconnects on the next recv; wake anyway, in case
                        // a notification was lost meanwhile.
                        tracing::warn!(error = %e, "outbox listener interrupted");
                        wake.notify_one();
                        tokio::select! {
                            _ = stopped.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        }
                    }
                }
            }
        });
        self.tasks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((stop, task));
        Ok(())
    }
}

#[async_trait]
impl Reports for SqlStore {
    async fn waiting_channels(&self) -> Result<Vec<WaitingChannel>, StoreError> {
        let sql = "select o.adapter, o.channel, count(*) as waiting, min(o.created_at) as oldest,
                   max(o.attempts) as attempts, min(o.next_attempt_at) as next_attempt_at,
                   (select h.last_error from outbox h
                    where h.state = 'pending' and h.adapter = o.adapter and h.channel = o.channel
                    order by h.attempts desc, h.id limit 1) as last_error
                   from outbox o where o.state = 'pending'
                   group by o.adapter, o.channel
                   order by max(o.attempts) desc, min(o.created_at) limit 100";
        type Row = (String, String, i64, i64, i64, i64, Option<String>);
        let rows: Vec<Row> = on_pool!(&self.db, pool => sqlx::query_as(sql).fetch_all(pool).await)
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(
                |(adapter, channel, waiting, oldest, attempts, next_attempt_at, last_error)| {
                    WaitingChannel {
                        to: relaydesk_core::Address {
                            adapter,
                            channel,
                            thread: None,
                        },
                        waiting,
                        oldest,
                        attempts,
                        last_error,
                        next_attempt_at,
                    }
                },
            )
            .collect())
    }

    async fn catch_up(&self, adapter: &str) -> Result<CatchUp, StoreError> {
        let places = "select user_channel, user_thread from conversation
                      where user_adapter = $1 and state <> 'closed'
                      union
                      select agent_channel, agent_thread from conversation
                      where agent_adapter = $1 and agent_channel is not null and state <> 'closed'
                      limit 10000";
        let rows: Vec<(String, Option<String>)> =
            on_pool!(&self.db, pool => sqlx::query_as(places).bind(adapter).fetch_all(pool).await)
                .map_err(db_error)?;
        // Numeric ids only (not `edit:…`, `press:…`), compared as numbers.
        let newest = "select message_id from inbound_seen
                      where adapter = $1 and message_id <> '' and message_id not like '%:%'
                      order by length(message_id) desc, message_id desc limit 1";
        let after: Option<(String,)> = on_pool!(&self.db, pool => sqlx::query_as(newest).bind(adapter).fetch_optional(pool).await)
            .map_err(db_error)?;
        Ok(CatchUp {
            places: rows
                .into_iter()
                .map(|(channel, thread)| relaydesk_core::Address {
                    adapter: adapter.to_string(),
                    channel,
                    thread,
                })
                .collect(),
            after: after.map(|(id,)| id),
        })
    }

    async fn list_conversations(&self, limit: i64) -> Result<Vec<ConversationSummary>, StoreError> {
        let sql = "select c.id, c.state, c.ticket_number, c.queue, p.display_name, p.platform, c.updated_at,
                   (select count(*) from message m where m.conversation_id = c.id) as messages
                   from conversation c join person p on p.id = c.person_id
                   order by c.id desc limit $1";
        let rows: Vec<SummaryRow> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).bind(limit).fetch_all(pool).await)
                .map_err(db_error)?;
        rows.into_iter().map(SummaryRow::into_summary).collect()
    }

    async fn tickets(
        &self,
        queue: Option<&str>,
        state: Option<State>,
        limit: i64,
    ) -> Result<Vec<TicketSummary>, StoreError> {
        let sql = format!(
            "select c.ticket_number, c.id, c.queue, c.state, c.priority, c.assignee, c.updated_at,
                     p.display_name, p.platform, {} as subject
                   from conversation c join person p on p.id = c.person_id
                   where c.ticket_number is not null
                     and ($1 is null or c.queue = $1) and ($2 is null or c.state = $2)
                   order by case c.priority when 'critical' then 0 when 'high' then 1 when 'normal' then 2
                     when 'low' then 3 else 4 end, c.id
                   limit $3",
            rows::SUBJECT
        );
        let state = state.map(State::as_str);
        let rows: Vec<rows::TicketRow> = on_pool!(&self.db, pool => sqlx::query_as(&sql)
            .bind(queue).bind(state).bind(limit).fetch_all(pool).await)
        .map_err(db_error)?;
        rows.into_iter()
            .map(rows::TicketRow::into_summary)
            .collect()
    }

    async fn ticket_conversation(&self, number: i64) -> Result<Option<i64>, StoreError> {
        let sql = "select id from conversation where ticket_number = $1";
        on_pool!(&self.db, pool => sqlx::query_scalar(sql).bind(number).fetch_optional(pool).await)
            .map_err(db_error)
    }

    async fn conversation(&self, id: i64) -> Result<Option<ConversationDetail>, StoreError> {
        let sql = format!(
            "select {} from conversation where id = $1",
            rows::CONVERSATION_COLUMNS
        );
        let row: Option<ConversationRow> =
            on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
                .map_err(db_error)?;
        let Some(row) = row else { return Ok(None) };
        let conversation = row.into_conversation()?;
        let sql = "select platform, platform_user_id, display_name, verified_email from person where id = $1";
        let person: PersonRow = on_pool!(&self.db, pool => sqlx::query_as(sql).bind(conversation.user_id).fetch_one(pool).await)
            .map_err(db_error)?;
        let sql = format!(
            "select {} from message where conversation_id = $1 order by id",
            rows::MESSAGE_COLUMNS
        );
        let messages: Vec<MessageRow> =
            on_pool!(&self.db, pool => sqlx::query_as(&sql).bind(id).fetch_all(pool).await)
                .map_err(db_error)?;
        let sql = "select id, adapter, channel, thread, kind, state, attempts, platform_message_id, last_error
                   from outbox where conversation_id = $1 order by id";
        let deliveries: Vec<DeliveryRow> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await)
                .map_err(db_error)?;
        let sql = "select question, articles, feedback, created_at from kb_answer where conversation_id = $1 order by id";
        let answers: Vec<(String, String, Option<String>, i64)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await)
                .map_err(db_error)?;
        let answers = answers
            .into_iter()
            .map(|(question, articles, feedback, created_at)| {
                let articles = serde_json::from_str(&articles)
                    .map_err(|e| StoreError::Corrupt(format!("stored answer articles: {e}")))?;
                Ok(AnswerRecord {
                    question,
                    articles,
                    feedback,
                    created_at,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let triage: Vec<(String, Option<String>, Option<String>)> =
            on_pool!(&self.db, pool => sqlx::query_as(rows::TRIAGE_ANSWERS).bind(id).fetch_all(pool).await)
                .map_err(db_error)?;
        let sql = "select rating, comment from satisfaction where conversation_id = $1";
        let satisfaction: Option<(i32, Option<String>)> =
            on_pool!(&self.db, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await)
                .map_err(db_error)?;
        Ok(Some(ConversationDetail {
            triage: rows::triage_answers(triage),
            satisfaction: satisfaction.map(|(rating, comment)| Satisfaction {
                rating: u8::try_from(rating).unwrap_or_default(),
                comment,
            }),
            answers,
            conversation,
            person: person.into(),
            messages: messages
                .into_iter()
                .map(MessageRow::into_message)
                .collect::<Result<_, _>>()?,
            deliveries: deliveries
                .into_iter()
                .map(DeliveryRow::into_record)
                .collect::<Result<Vec<DeliveryRecord>, _>>()?,
        }))
    }
}

impl SqlStore {
    /// The connection SQLite transactions run on.
    fn sqlite(&self) -> Result<&lite::Lite, StoreError> {
        self.lite.as_ref().ok_or_else(|| {
            StoreError::unavailable("the SQLite store has no connection for transactions")
        })
    }

    /// A write transaction; on SQLite it takes the write lock at once, so that it never
    /// fails half-way for another writer.
    async fn begin_sql(&self) -> Result<tx::SqlTx, StoreError> {
        Ok(match &self.db {
            Db::Sqlite(_) => tx::SqlTx::sqlite(lite::LiteTx::begin(self.sqlite()?).await?),
            Db::Postgres(pool) => {
                tx::SqlTx::postgres(pool.begin().await.map_err(db_error)?, self.wake.clone())
            }
        })
    }

    /// Gives back every claim on the outbox, in doubt. Only for a database one process
    /// owns (SQLite), at start: a claim left by a crash would otherwise hold its channel
    /// until its lease ran out, and what it was sending may have gone out. Returns how
    /// many rows were claimed.
    pub async fn release_claims(&self) -> Result<u64, StoreError> {
        let sql = "update outbox set claimed_by = null, claimed_until = null, in_doubt = 1
                   where state = 'pending' and claimed_until is not null";
        on_pool!(&self.outbox, pool => sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()))
            .map_err(db_error)
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_shown() {
        assert_eq!(
            redact_url("postgres://bob:s3cret@db:5432/app"),
            "postgres://bob:***@db:5432/app"
        );
        assert_eq!(redact_url("postgres://bob@db/app"), "postgres://bob@db/app");
        assert_eq!(
            redact_url("sqlite://data/relaydesk.db"),
            "sqlite://data/relaydesk.db"
        );
    }
}
