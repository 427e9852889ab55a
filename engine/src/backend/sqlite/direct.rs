//! Statements run through SQLite's C API on the handle of a sqlx connection.
//!
//! sqlx runs each SQLite statement on its connection's worker thread and passes every
//! result row back through a channel: two thread hand-overs per statement, and one
//! wake-up per row. A run sends thousands of small statements, and reads the run log's
//! rows, so the hand-overs cost more than SQLite's own work. Here the caller takes the
//! handle from the worker once (sqlx's `lock_handle`) and runs statements on its own
//! thread, as `sqlite3` runs a script: prepare, step to the end, finalize.

use std::ffi::{c_char, c_int, CStr};
use std::ptr::{null, null_mut};

use libsqlite3_sys as ffi;
use sqlx::sqlite::{LockedSqliteHandle, SqliteConnection};

use crate::backend::connection::{statement_error, DbError, TextRow};

/// Runs `sql` (any number of statements) on `conn` and returns their rows, each value
/// as text: integers and reals in Rust's spelling, text and blobs as (lossily decoded)
/// UTF-8, NULL as `None`.
pub(crate) async fn query(conn: &mut SqliteConnection, sql: &str) -> Result<Vec<TextRow>, DbError> {
    let mut handle = conn
        .lock_handle()
        .await
        .map_err(|e| statement_error(sql, &e))?;
    let db = RawDb::new(&mut handle);
    db.query(sql).map_err(|message| DbError::Statement {
        sql: sql.trim().to_string(),
        message,
    })
}

/// A SQLite database handle that the caller holds exclusively (taken from sqlx's
/// worker with `lock_handle`) for as long as this value is used.
pub(crate) struct RawDb<'h> {
    db: *mut ffi::sqlite3,
    _held: std::marker::PhantomData<&'h mut ()>,
}

/// A prepared statement, finalized when dropped.
struct Prepared(*mut ffi::sqlite3_stmt);

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: the statement came from `sqlite3_prepare_v2` and is finalized once;
        // finalizing a null pointer is a no-op.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

impl<'h> RawDb<'h> {
    /// The handle held by `handle`, for as long as it is held.
    pub(crate) fn new(handle: &'h mut LockedSqliteHandle<'_>) -> RawDb<'h> {
        RawDb {
            db: handle.as_raw_handle().as_ptr(),
            _held: std::marker::PhantomData,
        }
    }

    /// Runs `sql`, exactly one statement, to its end; the rows it changed.
    pub(crate) fn run(&self, sql: &str) -> Result<u64, String> {
        let (statement, tail) = self.prepare(sql)?;
        let Some(statement) = statement else {
            return Err(not_one_statement(sql));
        };
        if !tail.trim().is_empty() && self.prepare(tail).map_or(true, |(s, _)| s.is_some()) {
            return Err(not_one_statement(sql));
        }
        loop {
            // SAFETY: `statement` is a live prepared statement of this handle.
            match unsafe { ffi::sqlite3_step(statement.0) } {
                ffi::SQLITE_ROW => continue,
                ffi::SQLITE_DONE => break,
                _ => return Err(self.error()),
            }
        }
        // SAFETY: the handle is live and held by this thread. As sqlx reports it: the
        // rows changed by the last INSERT, UPDATE or DELETE to finish.
        let changed = unsafe { ffi::sqlite3_changes64(self.db) };
        Ok(u64::try_from(changed).unwrap_or(0))
    }

    /// The rows of the statements of `sql` (see [`query`]).
    fn query(&self, sql: &str) -> Result<Vec<TextRow>, String> {
        let mut rows = Vec::new();
        let mut rest = sql;
        loop {
            let (statement, tail) = self.prepare(rest)?;
            let Some(statement) = statement else {
                return Ok(rows);
            };
            loop {
                // SAFETY: `statement` is a live prepared statement of this handle.
                match unsafe { ffi::sqlite3_step(statement.0) } {
                    ffi::SQLITE_ROW => rows.push(row_text(&statement)),
                    ffi::SQLITE_DONE => break,
                    _ => return Err(self.error()),
                }
            }
            rest = tail;
        }
    }

    /// Prepares the first statement of `sql` (none if it holds only comments and
    /// white space); the text after it.
    fn prepare<'a>(&self, sql: &'a str) -> Result<(Option<Prepared>, &'a str), String> {
        let len = c_int::try_from(sql.len())
            .map_err(|_| format!("a statement of {} bytes is too long for SQLite", sql.len()))?;
        let mut statement = null_mut();
        let mut tail: *const c_char = null();
        // SAFETY: `sql` is valid for `len` bytes (SQLite reads no further and needs no
        // terminating NUL); `statement` and `tail` are written by SQLite.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(self.db, sql.as_ptr().cast(), len, &mut statement, &mut tail)
        };
        let prepared = Prepared(statement);
        if rc != ffi::SQLITE_OK {
            return Err(self.error());
        }
        // SQLite's tail points into `sql`, at or before its end, on a character boundary
        // (the end of a statement).
        let used = if tail.is_null() {
            sql.len()
        } else {
            (tail as usize)
                .saturating_sub(sql.as_ptr() as usize)
                .min(sql.len())
        };
        let rest = sql.get(used..).unwrap_or_default();
        Ok(((!statement.is_null()).then_some(prepared), rest))
    }

    /// The handle's last error, as sqlx words it: the message and the extended code.
    fn error(&self) -> String {
        // SAFETY: the handle is live; the message is copied before any other call.
        unsafe {
            let code = ffi::sqlite3_extended_errcode(self.db);
            let message = ffi::sqlite3_errmsg(self.db);
            let message = if message.is_null() {
                "<error message unavailable>".into()
            } else {
                CStr::from_ptr(message).to_string_lossy().into_owned()
            };
            format!("{message} (code {code})")
        }
    }
}

fn not_one_statement(sql: &str) -> String {
    format!(
        "a statement sent in a batch must be exactly one SQL statement, and `{}` is not",
        sql.trim()
    )
}

/// The current row of `statement`, each value as text (see [`query`]).
fn row_text(statement: &Prepared) -> TextRow {
    // SAFETY: `statement` has a current row (its last step gave SQLITE_ROW); each
    // value's bytes are copied before the next call on the statement.
    unsafe {
        let columns = ffi::sqlite3_column_count(statement.0);
        (0..columns)
            .map(|i| match ffi::sqlite3_column_type(statement.0, i) {
                ffi::SQLITE_NULL => None,
                ffi::SQLITE_INTEGER => Some(ffi::sqlite3_column_int64(statement.0, i).to_string()),
                ffi::SQLITE_FLOAT => Some(ffi::sqlite3_column_double(statement.0, i).to_string()),
                _ => {
                    let text = ffi::sqlite3_column_blob(statement.0, i).cast::<u8>();
                    let len =
                        usize::try_from(ffi::sqlite3_column_bytes(statement.0, i)).unwrap_or(0);
                    if text.is_null() || len == 0 {
                        Some(String::new())
                    } else {
                        let bytes = std::slice::from_raw_parts(text, len);
                        Some(String::from_utf8_lossy(bytes).into_owned())
                    }
                }
            })
            .collect()
    }
}
