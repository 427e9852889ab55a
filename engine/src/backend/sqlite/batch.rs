//! Running a list of statements on a SQLite connection in one hand-over.
//!
//! sqlx runs each SQLite statement on its connection's worker thread, so every
//! statement sent through it costs two thread hand-overs (there and back), and a run
//! sends thousands of small DDL statements: the hand-overs cost more than SQLite's own
//! work. A batch instead takes the connection's handle from the worker once
//! (sqlx's `lock_handle`) and runs its statements one after another through SQLite's C
//! API, as `sqlite3` runs a script: prepare, step to the end, finalize.
//!
//! Each statement of a batch must be exactly one SQL statement (no comment-only text,
//! no script): that is how a failure is attributed. The runner batches only the
//! statements retort renders itself, and sends SQL written by a user on its own.

use std::time::Instant;

use sqlx::sqlite::SqliteConnection;

use super::direct::RawDb;

use crate::backend::connection::{
    statement_error, BatchFailure, BatchOutcome, DbError, StatementDone,
};

/// A batch running on a thread of its own with the connection lent to it
/// ([`crate::db::Connection::start_batch`]).
pub struct BatchInFlight {
    done: tokio::sync::oneshot::Receiver<Landed>,
}

/// What a batch's thread hands back: the connection, the statements and the outcome.
type Landed = (SqliteConnection, Vec<String>, BatchOutcome);

/// Runs `statements` on `conn` on a thread of its own, so that the caller's work and
/// SQLite's overlap.
pub(crate) fn start(conn: SqliteConnection, statements: Vec<String>) -> BatchInFlight {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let run = move || {
        let mut conn = conn;
        let outcome = match tokio::runtime::Builder::new_current_thread().build() {
            Ok(rt) => rt.block_on(async {
                let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
                execute_batch(&mut conn, &refs).await
            }),
            Err(e) => Err(BatchFailure {
                index: 0,
                error: DbError::Statement {
                    sql: statements.first().cloned().unwrap_or_default(),
                    message: format!("starting the thread's runtime for a batch failed: {e}"),
                },
                done: Vec::new(),
            }),
        };
        let _ = tx.send((conn, statements, outcome));
    };
    // A thread that cannot start drops the connection with `run`: its next use then
    // reports it lost (and the open transaction rolls back with it).
    let _ = std::thread::Builder::new()
        .name("retort-sqlite-batch".into())
        .spawn(run);
    BatchInFlight { done: rx }
}

impl BatchInFlight {
    /// Waits for the batch; the connection comes back with its statements and outcome.
    pub(crate) async fn finish(self) -> Result<Landed, BatchFailure> {
        self.done.await.map_err(|_| BatchFailure {
            index: 0,
            error: DbError::Statement {
                sql: String::new(),
                message: "the thread running a batch of statements stopped before handing the connection back".into(),
            },
            done: Vec::new(),
        })
    }
}

/// Runs `statements` (each exactly one SQL statement) in order on `conn`; returns the
/// rows each changed (as SQLite counts them, for INSERT, UPDATE and DELETE) and when
/// it finished. Stops at the first that fails.
///
/// The statements run on the calling thread, which holds the connection's handle
/// until the last has finished.
pub(crate) async fn execute_batch(
    conn: &mut SqliteConnection,
    statements: &[&str],
) -> Result<Vec<StatementDone>, BatchFailure> {
    let mut handle = match conn.lock_handle().await {
        Ok(handle) => handle,
        Err(e) => {
            return Err(BatchFailure {
                index: 0,
                error: statement_error(statements.first().copied().unwrap_or_default(), &e),
                done: Vec::new(),
            })
        }
    };
    let db = RawDb::new(&mut handle);
    let mut done = Vec::with_capacity(statements.len());
    for (index, sql) in statements.iter().enumerate() {
        match db.run(sql) {
            Ok(changed) => done.push(StatementDone {
                changed,
                at: Instant::now(),
            }),
            Err(message) => {
                return Err(BatchFailure {
                    index,
                    error: DbError::Statement {
                        sql: sql.trim().to_string(),
                        message,
                    },
                    done,
                })
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection as _;

    async fn memory() -> SqliteConnection {
        SqliteConnection::connect("sqlite::memory:").await.unwrap()
    }

    #[tokio::test]
    async fn runs_every_statement_and_counts_changed_rows() {
        let mut conn = memory().await;
        let changed = execute_batch(
            &mut conn,
            &[
                "CREATE TABLE t (a INTEGER) -- a comment at the end",
                "INSERT INTO t VALUES (1), (2), (3)",
                "UPDATE t SET a = a + 1 WHERE a > 1",
                "DELETE FROM t WHERE a = 1",
            ],
        )
        .await
        .unwrap();
        let changed: Vec<u64> = changed.iter().map(|d| d.changed).collect();
        assert_eq!(changed, vec![0, 3, 2, 1]);
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT a FROM t ORDER BY a")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows, vec![(3,), (4,)]);
    }

    #[tokio::test]
    async fn names_the_statement_that_failed_and_runs_none_after_it() {
        let mut conn = memory().await;
        let err = execute_batch(
            &mut conn,
            &[
                "CREATE TABLE t (a INTEGER PRIMARY KEY)",
                "INSERT INTO t VALUES (1)",
                "INSERT INTO t VALUES (1)",
                "CREATE TABLE u (b INTEGER)",
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(err.index, 2);
        assert_eq!(err.done.len(), 2);
        let text = err.error.to_string();
        assert!(
            text.contains("UNIQUE constraint failed: t.a (code 1555)")
                && text.ends_with("SQL: INSERT INTO t VALUES (1)"),
            "{text}"
        );
        let rows: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows, vec![("t".to_string(),)]);
        // A syntax error is found when its statement is prepared, after the others ran.
        let err = execute_batch(
            &mut conn,
            &["INSERT INTO t VALUES (2)", "CREAT TABLE x (a)"],
        )
        .await
        .unwrap_err();
        assert_eq!(err.index, 1);
        assert!(
            err.error.to_string().contains("syntax error"),
            "{}",
            err.error
        );
        // The connection is usable afterwards.
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT count(*) FROM t")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows, vec![(2,)]);
    }

    #[tokio::test]
    async fn a_long_batch_names_the_failure_and_finishes_without_it() {
        let mut conn = memory().await;
        let n = 517;
        let fail_at = 259;
        let statements: Vec<String> = (0..n)
            .map(|i| {
                if i == fail_at {
                    "INSERT INTO nowhere VALUES (1)".to_string()
                } else {
                    format!("CREATE TABLE t{i} (a INTEGER)")
                }
            })
            .collect();
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        let err = execute_batch(&mut conn, &refs).await.unwrap_err();
        assert_eq!(err.index, fail_at);
        assert_eq!(err.done.len(), fail_at);
        assert!(
            err.error.to_string().contains("no such table: nowhere"),
            "{}",
            err.error
        );
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT count(*) FROM sqlite_master")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows, vec![(fail_at as i64,)]);
        let mut conn = memory().await;
        let all: Vec<&str> = refs
            .iter()
            .copied()
            .filter(|s| !s.starts_with("INSERT"))
            .collect();
        let done = execute_batch(&mut conn, &all).await.unwrap();
        assert_eq!(done.len(), n - 1);
    }

    #[tokio::test]
    async fn text_that_is_not_one_statement_each_is_refused_before_it_runs() {
        let mut conn = memory().await;
        for (text, index) in [
            ("-- only a comment", 1),
            ("   ", 1),
            ("CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER)", 1),
            ("CREATE TABLE a (x INTEGER); garbage", 1),
        ] {
            let err = execute_batch(&mut conn, &["SELECT 1", text])
                .await
                .unwrap_err();
            assert_eq!((err.index, err.done.len()), (index, 1), "{text}");
            assert!(
                err.error.to_string().contains("exactly one SQL statement"),
                "{}",
                err.error
            );
        }
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT count(*) FROM sqlite_master")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert_eq!(rows, vec![(0,)]);
        // A statement followed by a comment or a semicolon is one statement.
        let done = execute_batch(
            &mut conn,
            &["CREATE TABLE a (x INTEGER); -- the end", "SELECT 1;  "],
        )
        .await
        .unwrap();
        assert_eq!(done.len(), 2);
    }

    #[tokio::test]
    async fn errors_read_as_they_do_one_by_one() {
        let mut conn = memory().await;
        let mut ours = crate::db::Connection::Sqlite(memory().await);
        let sql = "SELECT * FROM nope";
        let one_by_one = ours.execute(sql).await.unwrap_err().to_string();
        let here = execute_batch(&mut conn, &["SELECT 1", sql])
            .await
            .unwrap_err();
        assert_eq!(here.error.to_string(), one_by_one);
    }

    fn owned(statements: &[&str]) -> Vec<String> {
        statements.iter().map(|s| s.to_string()).collect()
    }

    #[tokio::test]
    async fn a_batch_lent_to_its_thread_comes_back_with_its_statements_and_results() {
        let mut conn = crate::db::Connection::Sqlite(memory().await);
        let statements = owned(&[
            "CREATE TABLE t (a INTEGER PRIMARY KEY)",
            "INSERT INTO t VALUES (1), (2)",
            "DELETE FROM t WHERE a = 2",
        ]);
        assert!(conn.start_batch(statements.clone()).is_ok());
        // A second batch cannot start while the first holds the connection.
        assert_eq!(
            conn.start_batch(owned(&["SELECT 1"])),
            Err(owned(&["SELECT 1"]))
        );
        let (back, outcome) = conn.land_batch().await.expect("a batch ran");
        assert_eq!(back, statements);
        let changed: Vec<u64> = outcome.unwrap().iter().map(|d| d.changed).collect();
        assert_eq!(changed, vec![0, 2, 1]);
        assert!(conn.land_batch().await.is_none());
        let rows = conn.query("SELECT a FROM t").await.unwrap();
        assert_eq!(rows, vec![vec![Some("1".to_string())]]);
    }

    #[tokio::test]
    async fn a_lent_batch_that_failed_names_its_statement_and_the_next_use_waits_for_it() {
        let mut conn = crate::db::Connection::Sqlite(memory().await);
        let statements = owned(&[
            "CREATE TABLE t (a INTEGER PRIMARY KEY)",
            "INSERT INTO t VALUES (1)",
            "INSERT INTO t VALUES (1)",
            "CREATE TABLE u (b INTEGER)",
        ]);
        assert!(conn.start_batch(statements).is_ok());
        let (_, outcome) = conn.land_batch().await.expect("a batch ran");
        let failure = outcome.unwrap_err();
        assert_eq!((failure.index, failure.done.len()), (2, 2));
        assert!(failure
            .error
            .to_string()
            .contains("UNIQUE constraint failed"));
        // A use of the connection while a batch runs waits for it first; the batch's
        // failure is that use's.
        assert!(conn
            .start_batch(owned(&["INSERT INTO t VALUES (1)"]))
            .is_ok());
        let err = conn.query("SELECT count(*) FROM t").await.unwrap_err();
        assert!(
            err.to_string().contains("UNIQUE constraint failed"),
            "{err}"
        );
        let rows = conn.query("SELECT count(*) FROM t").await.unwrap();
        assert_eq!(rows, vec![vec![Some("1".to_string())]]);
    }
}
