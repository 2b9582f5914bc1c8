//! The bare-driver reference of `relaydesk bench engine --reference`: the statements
//! the engine and the dispatcher run for a relayed message, with the same SQL on the
//! same schema, straight through rusqlite on one thread.

use std::time::{Duration, Instant};

use relaydesk_core::store::StoreError;
use relaydesk_core::Millis;

use crate::lite::{self, sqlite_error};
use crate::rows::LatestRow;
use crate::stmt::{stmt, FromSqlite};
use crate::{tx, SqlStore};

impl SqlStore {
    /// Relays `messages` more messages from the benchmark's people `U0`…, each to
    /// their ticket's thread, `batch` to a transaction: for each, what the engine runs
    /// (remember it, read the person and conversation, store it, queue its copy), then
    /// per batch what the dispatcher runs (claim the copies, mark them delivered).
    /// Returns how long that took. Only on SQLite, on a database the benchmark filled.
    pub async fn sqlite_reference(
        &self,
        people: usize,
        messages: usize,
        batch: usize,
    ) -> Result<Duration, StoreError> {
        let path = self.sqlite()?.path.clone();
        let claim = self.claim_sql();
        tokio::task::spawn_blocking(move || {
            let conn = lite::connect(&path).map_err(sqlite_error)?;
            relay(&conn, &claim, people.max(1), messages, batch.max(1)).map_err(sqlite_error)
        })
        .await
        .map_err(|e| StoreError::query(format!("the reference stopped: {e}")))?
    }
}

fn relay(
    conn: &rusqlite::Connection,
    claim: &str,
    people: usize,
    messages: usize,
    batch: usize,
) -> rusqlite::Result<Duration> {
    let known = tx::known_person_sql("");
    let now = || -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as Millis)
            .unwrap_or_default()
    };
    let started = Instant::now();
    let mut sent = 0;
    while sent < messages {
        let n = batch.min(messages - sent);
        let at = now();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for j in sent..sent + n {
            let person = j % people;
            let (user, channel, id) = (
                format!("U{person}"),
                format!("dm-{person}"),
                format!("reference-{j}"),
            );
            let (name, text) = (format!("Person {person}"), format!("bench {j}"));
            run(
                conn,
                &stmt(tx::REMEMBER_INBOUND)
                    .bind("chat")
                    .bind(&channel)
                    .bind(&id)
                    .bind(at),
            )?;
            let latest = stmt(&known).bind("chat").bind(&user).bind(at);
            let mut st = conn.prepare_cached(&latest.sql)?;
            latest.bind_sqlite(&mut st)?;
            let mut rows = st.raw_query();
            let row = rows.next()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            let conv = LatestRow::from_sqlite(row)?
                .conversation
                .into_conversation()
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            drop(rows);
            let conversation_id = conv.id;
            let agent = conv.agent_address.unwrap_or(conv.user_address);
            let message: i64 = one(
                conn,
                &stmt(tx::INSERT_MESSAGE)
                    .bind(conversation_id)
                    .bind("user")
                    .bind(&name)
                    .bind(&text)
                    .bind("chat")
                    .bind(&channel)
                    .bind(&id)
                    .bind("[]")
                    .bind(at),
            )?;
            let key = format!("{channel}:{id}@{at}#1");
            let _: i64 = one(
                conn,
                &stmt(tx::ENQUEUE)
                    .bind(conversation_id)
                    .bind(message)
                    .bind(None::<i64>)
                    .bind(&agent.adapter)
                    .bind(&agent.channel)
                    .bind(&agent.thread)
                    .bind("relay")
                    .bind(&text)
                    .bind(&name)
                    .bind("[]")
                    .bind(&key)
                    .bind(at)
                    .bind("[]")
                    .bind("post")
                    .bind(None::<i64>),
            )?;
        }
        conn.execute_batch("COMMIT")?;
        sent += n;
        // The dispatcher: claim what is due, post it, mark it delivered.
        loop {
            let at = now();
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let claimed = stmt(claim)
                .bind("reference")
                .bind(at + 60_000)
                .bind(at)
                .bind("chat,desk")
                .bind(64i64);
            let mut st = conn.prepare_cached(&claimed.sql)?;
            claimed.bind_sqlite(&mut st)?;
            let ids: Vec<i64> = st
                .raw_query()
                .mapped(|r| r.get::<_, i64>("id"))
                .collect::<rusqlite::Result<_>>()?;
            conn.execute_batch("COMMIT")?;
            if ids.is_empty() {
                break;
            }
            let platform_ids: Vec<String> = ids.iter().map(|id| format!("p{id}")).collect();
            let mut mark = stmt(tx::mark_delivered_sql(ids.len())).bind(now());
            for (id, platform) in ids.iter().zip(&platform_ids) {
                mark = mark.bind(*id).bind(platform);
            }
            run(conn, &mark)?;
        }
    }
    Ok(started.elapsed())
}

fn run(conn: &rusqlite::Connection, s: &crate::stmt::Stmt<'_>) -> rusqlite::Result<usize> {
    let mut st = conn.prepare_cached(&s.sql)?;
    s.bind_sqlite(&mut st)?;
    st.raw_execute()
}

fn one<T: rusqlite::types::FromSql>(
    conn: &rusqlite::Connection,
    s: &crate::stmt::Stmt<'_>,
) -> rusqlite::Result<T> {
    let mut st = conn.prepare_cached(&s.sql)?;
    s.bind_sqlite(&mut st)?;
    let mut rows = st.raw_query();
    rows.next()?
        .ok_or(rusqlite::Error::QueryReturnedNoRows)?
        .get(0)
}
