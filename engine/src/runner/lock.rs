//! Serialising concurrent runs against one database: an advisory lock on PostgreSQL,
//! `GET_LOCK` on MySQL, and on SQLite an OS lock on the database file (held for the
//! whole run, so that revisions run outside a transaction, or in one transaction each,
//! are serialised too; on Linux it is independent of SQLite's own locks).

use crate::backend::{RunLockSql, LOCK_WAIT_SECONDS};
use crate::db::Connection;

async fn database_name(conn: &mut Connection) -> Result<String, String> {
    let Some(sql) = conn.dialect().backend().database_name_sql() else {
        return Ok(String::new());
    };
    let rows = conn.query(sql).await.map_err(|e| e.to_string())?;
    Ok(first_value(rows).unwrap_or_default())
}

fn first_value(rows: Vec<Vec<Option<String>>>) -> Option<String> {
    rows.into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
}

/// Takes the run lock, saying so on `notice` when another run holds it and we wait.
pub(crate) async fn acquire(
    conn: &mut Connection,
    url: &str,
    table: &str,
    notice: &mut dyn FnMut(&str),
) -> Result<RunLock, String> {
    let db = database_name(conn).await?;
    let Some(lock) = conn.dialect().backend().run_lock(&db, table) else {
        return Ok(RunLock {
            file: lock_sqlite_file(url, notice).await?,
            release_sql: None,
        });
    };
    acquire_server_lock(conn, &db, &lock, notice).await?;
    Ok(RunLock::server(lock))
}

/// Takes a database server's run lock if no other run holds it; `None` when one does,
/// or when the backend locks a file instead ([`acquire`] waits, or takes that).
pub(crate) async fn try_acquire(
    conn: &mut Connection,
    table: &str,
) -> Result<Option<RunLock>, String> {
    let db = database_name(conn).await?;
    let Some(lock) = conn.dialect().backend().run_lock(&db, table) else {
        return Ok(None);
    };
    Ok(try_server_lock(conn, &lock)
        .await?
        .then(|| RunLock::server(lock)))
}

/// Asks for a server's run lock without waiting: whether it was taken.
async fn try_server_lock(conn: &mut Connection, lock: &RunLockSql) -> Result<bool, String> {
    let got = first_value(conn.query(&lock.try_sql).await.map_err(|e| e.to_string())?);
    Ok(got.as_deref() == Some(lock.taken))
}

/// A held run lock; [`release`] gives it back (dropping it releases a SQLite file lock).
#[derive(Debug)]
pub struct RunLock {
    file: Option<std::fs::File>,
    /// What gives back a server's lock.
    release_sql: Option<String>,
}

impl RunLock {
    /// A server's lock, taken with `lock`.
    fn server(lock: RunLockSql) -> RunLock {
        RunLock {
            file: None,
            release_sql: Some(lock.release_sql),
        }
    }
}

/// The database file of a SQLite URL (none for in-memory databases).
pub(crate) fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

async fn lock_sqlite_file(
    url: &str,
    notice: &mut dyn FnMut(&str),
) -> Result<Option<std::fs::File>, String> {
    let Some(path) = sqlite_file(url) else {
        return Ok(None);
    };
    let file = std::fs::File::open(&path)
        .map_err(|e| format!("cannot open {} to lock it: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => return Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(format!("cannot lock {}: {e}", path.display()))
        }
    }
    notice(&format!(
        "Waiting for another retort run on {} to finish",
        path.display()
    ));
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|e| format!("waiting for the lock on {} failed: {e}", path.display()))?
        .map(Some)
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))
}

async fn acquire_server_lock(
    conn: &mut Connection,
    db: &str,
    lock: &RunLockSql,
    notice: &mut dyn FnMut(&str),
) -> Result<(), String> {
    if try_server_lock(conn, lock).await? {
        return Ok(());
    }
    notice(&format!(
        "Waiting for another retort run on database {db} to finish ({})",
        lock.describe
    ));
    let got = first_value(
        conn.query(&lock.wait_sql)
            .await
            .map_err(|e| e.to_string())?,
    );
    if !lock.wait_can_give_up || got.as_deref() == Some(lock.taken) {
        Ok(())
    } else {
        Err(format!(
            "gave up waiting {LOCK_WAIT_SECONDS} s for the lock ({}) held by another retort run",
            lock.describe
        ))
    }
}

/// Releases the run lock (best effort: closing the connection releases it too).
pub async fn release(conn: &mut Connection, lock: RunLock) {
    drop(lock.file);
    if let Some(sql) = lock.release_sql {
        let _ = conn.query(&sql).await;
    }
}
