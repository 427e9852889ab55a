//! The start of an online run: its lock, its transaction (where one spans the whole
//! run), and what it reads under them before it plans — the version table's rows, the
//! run log's columns, the file checksums the log recorded and its unfinished
//! revisions. None of it needs the revision files, so a run against a database server
//! starts while its files are still being read ([`super::EarlyConnection`]).

use crate::config::Config;
use crate::db::{Connection, TextRow};
use crate::dialect::Dialect;
use crate::runner::lock::{self, RunLock};
use crate::runner::runlog::{self, Unfinished};
use crate::runner::{checksum, version_table, RunError};

/// What a run reads under its lock before it plans (see [`read`]).
pub(crate) struct RunStart {
    /// The version table's rows, sorted.
    pub(crate) rows: Vec<String>,
    /// The run log table's columns (none: no run log table).
    pub(crate) log_columns: Vec<String>,
    /// The first read of the checksum check ([`checksum::read_file_sums`]), when it
    /// was read.
    pub(crate) file_sums: Option<Vec<TextRow>>,
    /// The revisions the run log shows unfinished.
    pub(crate) unfinished: Vec<Unfinished>,
}

/// Whether each migration gets its own transaction (always where DDL is not
/// transactional, so that nothing waits for a commit that changes nothing); else the
/// whole run is one.
pub(crate) fn per_migration(config: &Config, dialect: Dialect) -> bool {
    config.transaction_per_migration || !dialect.backend().transactional_ddl()
}

/// Reads [`RunStart`] on `conn`, under the run's lock and inside its transaction if it
/// has one; `checksums`: whether to read the recorded file checksums too.
pub(crate) async fn read(
    conn: &mut Connection,
    config: &Config,
    checksums: bool,
) -> Result<RunStart, RunError> {
    let rows = version_table::read(conn, &config.version_table)
        .await
        .map_err(|e| RunError::plain(e.to_string()))?;
    let log_columns = runlog::column_names(conn, &config.log_table)
        .await
        .map_err(RunError::plain)?;
    let file_sums = if checksums {
        checksum::read_file_sums(conn, &config.log_table, &rows, &log_columns)
            .await
            .map_err(|e| {
                RunError::plain(format!(
                    "checking the checksums of applied revisions failed: {e}"
                ))
            })?
    } else {
        None
    };
    let unfinished = runlog::read_unfinished(conn, &config.log_table, &log_columns)
        .await
        .map_err(RunError::plain)?;
    Ok(RunStart {
        rows,
        log_columns,
        file_sums,
        unfinished,
    })
}

/// A run started ahead of its revision files (see [`ahead`]).
pub(crate) struct Started {
    /// The run's lock.
    pub(crate) lock: RunLock,
    /// Whether a transaction for the whole run is open.
    pub(crate) in_transaction: bool,
    /// What the run read first.
    pub(crate) start: RunStart,
}

/// Starts a run on a fresh connection before its revision files are read: takes the
/// lock if no other run holds it, runs the backend's prologue, opens the run's
/// transaction (where it has one) and reads [`RunStart`] with the file checksums.
/// `None` when any of that does not simply work — the lock is held elsewhere, or a
/// statement fails: then nothing is left held or open, and the run does it all again
/// in order once its files are read, waiting for the lock and reporting failures as
/// usual.
pub(crate) async fn ahead(conn: &mut Connection, config: &Config) -> Option<Started> {
    let lock = lock::try_acquire(conn, &config.version_table)
        .await
        .ok()
        .flatten()?;
    let backend = conn.dialect().backend();
    let in_transaction = !per_migration(config, conn.dialect());
    let begin = in_transaction.then(|| backend.begin_sql());
    let mut opened = true;
    for sql in backend.run_prologue().iter().copied().chain(begin) {
        if conn.execute(sql).await.is_err() {
            opened = false;
            break;
        }
    }
    let start = if opened {
        read(conn, config, true).await.ok()
    } else {
        None
    };
    let Some(start) = start else {
        if in_transaction {
            let _ = conn.execute("ROLLBACK").await;
        }
        for sql in backend.run_epilogue() {
            let _ = conn.execute(sql).await;
        }
        lock::release(conn, lock).await;
        return None;
    };
    Some(Started {
        lock,
        in_transaction,
        start,
    })
}
