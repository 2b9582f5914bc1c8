//! The engine's transactions, the dispatcher's claims and its delivery marks on SQLite,
//! run on the calling thread.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement
//! to it and back, two thread wake-ups per statement. A transaction here runs its
//! statements on the caller's thread instead, through a rusqlite connection to the same
//! file: a statement costs what SQLite costs. The statements are microseconds (the
//! write-ahead log is not synced at commit), so running them on an async thread is
//! fine.
//!
//! Transactions here take turns on this connection's lock, an async one, held from begin
//! to end. The store's sqlx connection writes only off the hot path (the console, the
//! web side, retries); when both want to write, SQLite's lock makes one wait.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use relaydesk_core::store::StoreError;
use rusqlite::ErrorCode;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::stmt::{Row, Stmt};

/// How long a transaction waits for another process's write to end.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// The rusqlite connection the engine's transactions run on.
pub(crate) struct Lite {
    conn: Arc<Mutex<rusqlite::Connection>>,
    pub(crate) path: std::path::PathBuf,
}

impl Lite {
    /// Opens `path` (which sqlx has created and set to write-ahead logging) with the
    /// pragmas sqlx's connection has.
    pub(crate) fn open(path: &Path) -> Result<Lite, StoreError> {
        let conn = connect(path).and_then(|conn| {
            // Waiting is done off the async threads (see `LiteTx::begin`).
            conn.busy_timeout(Duration::ZERO)?;
            Ok(conn)
        });
        let conn = conn
            .map_err(|e| StoreError::unavailable(format!("cannot open {}: {e}", path.display())))?;
        Ok(Lite {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }
}

/// A connection to `path` with the pragmas of the store's sqlx connection.
pub(crate) fn connect(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "wal_autocheckpoint", 65536)?;
    conn.busy_timeout(BUSY_WAIT)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

/// An open SQLite transaction; dropped without commit, it rolls back.
pub(crate) struct LiteTx {
    conn: OwnedMutexGuard<rusqlite::Connection>,
    open: bool,
}

impl LiteTx {
    /// Takes the connection, then SQLite's write lock. When another connection holds
    /// that lock, the wait happens on a blocking thread.
    pub(crate) async fn begin(db: &Lite) -> Result<LiteTx, StoreError> {
        let conn = db.conn.clone().lock_owned().await;
        if !conn.is_autocommit() {
            // A begin given up while it waited on the blocking thread may have begun
            // after all, with no one left to end it.
            conn.execute_batch("ROLLBACK").map_err(sqlite_error)?;
        }
        let conn = match conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => conn,
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
                tokio::task::spawn_blocking(move || {
                    conn.busy_timeout(BUSY_WAIT)?;
                    let began = conn.execute_batch("BEGIN IMMEDIATE");
                    conn.busy_timeout(Duration::ZERO)?;
                    began.map(|()| conn)
                })
                .await
                .map_err(|e| StoreError::unavailable(format!("waiting for SQLite: {e}")))?
                .map_err(sqlite_error)?
            }
            Err(e) => return Err(sqlite_error(e)),
        };
        Ok(LiteTx { conn, open: true })
    }

    /// Runs `s`; returns how many rows it changed.
    pub(crate) fn execute(&self, s: &Stmt<'_>) -> Result<u64, StoreError> {
        execute(&self.conn, s)
    }

    /// Runs `s` and reads up to `limit` rows.
    pub(crate) fn fetch<T: Row>(&self, s: &Stmt<'_>, limit: usize) -> Result<Vec<T>, StoreError> {
        fetch(&self.conn, s, limit)
    }

    pub(crate) fn commit(mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT").map_err(sqlite_error)?;
        self.open = false;
        Ok(())
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        if self.open {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(error = %e, "cannot roll back a SQLite transaction");
            }
        }
    }
}

/// A rusqlite error as the store's.
pub(crate) fn sqlite_error(e: rusqlite::Error) -> StoreError {
    let message = match &e {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    };
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) if message.starts_with("UNIQUE") => {
            StoreError::Unique {
                message: "unique".into(),
                source: Some(Box::new(e)),
            }
        }
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure,
        ) => StoreError::Unavailable {
            message,
            source: Some(Box::new(e)),
        },
        _ => StoreError::Query {
            message,
            source: Some(Box::new(e)),
        },
    }
}

/// Runs `s` on `conn`; returns how many rows it changed.
pub(crate) fn execute(conn: &rusqlite::Connection, s: &Stmt<'_>) -> Result<u64, StoreError> {
    tracing::trace!(target: "relaydesk_store::sql", "{}", s.sql);
    let run = || -> rusqlite::Result<u64> {
        let mut st = conn.prepare_cached(&s.sql)?;
        s.bind_sqlite(&mut st)?;
        Ok(st.raw_execute()? as u64)
    };
    run().map_err(sqlite_error)
}

/// Runs `s` on `conn` and reads up to `limit` rows.
pub(crate) fn fetch<T: Row>(
    conn: &rusqlite::Connection,
    s: &Stmt<'_>,
    limit: usize,
) -> Result<Vec<T>, StoreError> {
    tracing::trace!(target: "relaydesk_store::sql", "{}", s.sql);
    let run = || -> rusqlite::Result<Vec<T>> {
        let mut st = conn.prepare_cached(&s.sql)?;
        s.bind_sqlite(&mut st)?;
        let mut rows = st.raw_query();
        let mut out = Vec::new();
        while out.len() < limit {
            match rows.next()? {
                Some(row) => out.push(T::from_sqlite(row)?),
                None => break,
            }
        }
        Ok(out)
    };
    run().map_err(sqlite_error)
}
