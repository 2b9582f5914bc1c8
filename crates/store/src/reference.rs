//! The bare-driver reference of `relaydesk bench engine --reference`: the statements
//! the engine and the dispatcher run for a relayed message, with the same SQL on the
//! same schema, straight through rusqlite on one thread.

use std::time::{Duration, Instant};

use relaydesk_core::store::StoreError;
use relaydesk_core::Millis;

use crate::lite::{self, execute, fetch, sqlite_error};
use crate::rows::{LatestRow, OutboxRow};
use crate::stmt::{stmt, Stmt};
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
            relay(&conn, &claim, people.max(1), messages, batch.max(1))
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
) -> Result<Duration, StoreError> {
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
        begin(conn)?;
        for j in sent..sent + n {
            let person = j % people;
            let (user, channel, id) = (
                format!("U{person}"),
                format!("dm-{person}"),
                format!("reference-{j}"),
            );
            let (name, text) = (format!("Person {person}"), format!("bench {j}"));
            execute(
                conn,
                &stmt(tx::REMEMBER_INBOUND)
                    .bind("chat")
                    .bind(&channel)
                    .bind(&id)
                    .bind(at),
            )?;
            let latest = stmt(&known).bind("chat").bind(&user).bind(at);
            let conv = fetch::<LatestRow>(conn, &latest, 1)?
                .pop()
                .ok_or_else(|| StoreError::query(format!("{user} has no conversation")))?
                .conversation
                .into_conversation()?;
            let conversation_id = conv.id;
            let agent = conv.agent_address.unwrap_or(conv.user_address);
            let message = one(
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
            one(
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
        commit(conn)?;
        sent += n;
        // The dispatcher: claim what is due, post it, mark it delivered.
        loop {
            let at = now();
            begin(conn)?;
            let claimed = stmt(claim)
                .bind("reference")
                .bind(at + 60_000)
                .bind(at)
                .bind("chat,desk")
                .bind(64i64);
            let ids: Vec<i64> = fetch::<OutboxRow>(conn, &claimed, usize::MAX)?
                .iter()
                .map(|r| r.id)
                .collect();
            commit(conn)?;
            if ids.is_empty() {
                break;
            }
            let platform_ids: Vec<String> = ids.iter().map(|id| format!("p{id}")).collect();
            let mut mark = stmt(tx::mark_delivered_sql(ids.len())).bind(now());
            for (id, platform) in ids.iter().zip(&platform_ids) {
                mark = mark.bind(*id).bind(platform);
            }
            execute(conn, &mark)?;
        }
    }
    Ok(started.elapsed())
}

/// Runs `s` and reads the first column of its first row.
fn one(conn: &rusqlite::Connection, s: &Stmt<'_>) -> Result<i64, StoreError> {
    let found = fetch::<(i64,)>(conn, s, 1)?.pop();
    found
        .map(|(v,)| v)
        .ok_or_else(|| StoreError::query("the statement returned no row"))
}

fn begin(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sqlite_error)
}

fn commit(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    conn.execute_batch("COMMIT").map_err(sqlite_error)
}
