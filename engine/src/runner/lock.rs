//! Serialising concurrent runs against one database: an advisory lock on PostgreSQL,
//! `GET_LOCK` on MySQL, and on SQLite an OS lock on the database file (held for the
//! whole run, so that revisions run outside a transaction, or in one transaction each,
//! are serialised too; on Linux it is independent of SQLite's own locks).

use crate::db::Connection;
use crate::dialect::Dialect;

/// How long a runner waits for another run's lock before giving up.
const WAIT_SECONDS: u32 = 3600;

/// A stable 64-bit key for the database and version table.
fn lock_key(database: &str, table: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("retort:{database}:{table}").bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// The lock's name on MySQL (at most 64 characters).
fn mysql_lock_name(database: &str, table: &str) -> String {
    let name = format!("retort.{database}.{table}");
    if name.len() <= 64 {
        name
    } else {
        format!("retort.{:016x}", lock_key(database, table) as u64)
    }
}

async fn database_name(conn: &mut Connection) -> Result<String, String> {
    let sql = match conn.dialect() {
        Dialect::Postgres => "SELECT current_database()",
        Dialect::MySql => "SELECT DATABASE()",
        Dialect::Sqlite => return Ok(String::new()),
    };
    let rows = conn.query(sql).await.map_err(|e| e.to_string())?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_default())
}

fn first_value(rows: Vec<Vec<Option<String>>>) -> Option<String> {
    rows.into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
}

/// Takes the run lock, saying so on `notice` when another run holds it and we wait.
pub async fn acquire(
    conn: &mut Connection,
    url: &str,
    table: &str,
    notice: &mut dyn FnMut(&str),
) -> Result<RunLock, String> {
    if conn.dialect() == Dialect::Sqlite {
        return Ok(RunLock {
            file: lock_sqlite_file(url, notice).await?,
        });
    }
    acquire_server_lock(conn, table, notice).await?;
    Ok(RunLock { file: None })
}

/// A held run lock; [`release`] gives it back (dropping it releases a SQLite file lock).
#[derive(Debug)]
pub struct RunLock {
    file: Option<std::fs::File>,
}

/// The database file of a SQLite URL (none for in-memory databases).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
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
    table: &str,
    notice: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let db = database_name(conn).await?;
    match conn.dialect() {
        Dialect::Sqlite => Ok(()),
        Dialect::Postgres => {
            let key = lock_key(&db, table);
            let got = first_value(
                conn.query(&format!("SELECT pg_try_advisory_lock({key})"))
                    .await
                    .map_err(|e| e.to_string())?,
            );
            if got.as_deref() == Some("true") {
                return Ok(());
            }
            notice(&format!(
                "Waiting for another retort run on database {db} to finish (advisory lock {key})"
            ));
            conn.execute(&format!("SELECT pg_advisory_lock({key})"))
                .await
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Dialect::MySql => {
            let name = Dialect::MySql
                .backend()
                .literal(&mysql_lock_name(&db, table));
            let got = first_value(
                conn.query(&format!("SELECT GET_LOCK({name}, 0)"))
                    .await
                    .map_err(|e| e.to_string())?,
            );
            if got.as_deref() == Some("1") {
                return Ok(());
            }
            notice(&format!(
                "Waiting for another retort run on database {db} to finish (GET_LOCK {name})"
            ));
            let got = first_value(
                conn.query(&format!("SELECT GET_LOCK({name}, {WAIT_SECONDS})"))
                    .await
                    .map_err(|e| e.to_string())?,
            );
            if got.as_deref() == Some("1") {
                Ok(())
            } else {
                Err(format!("gave up waiting {WAIT_SECONDS} s for the lock {name} held by another retort run"))
            }
        }
    }
}

/// Releases the run lock (best effort: closing the connection releases it too).
pub async fn release(conn: &mut Connection, table: &str, lock: RunLock) {
    drop(lock.file);
    let Ok(db) = database_name(conn).await else {
        return;
    };
    let sql = match conn.dialect() {
        Dialect::Sqlite => return,
        Dialect::Postgres => format!("SELECT pg_advisory_unlock({})", lock_key(&db, table)),
        Dialect::MySql => format!(
            "SELECT RELEASE_LOCK({})",
            Dialect::MySql
                .backend()
                .literal(&mysql_lock_name(&db, table))
        ),
    };
    let _ = conn.query(&sql).await;
}
