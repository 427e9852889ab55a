//! Running a list of statements on a SQLite connection in a few requests.
//!
//! sqlx runs each SQLite statement on its connection's worker thread, so every
//! statement sent on its own costs two thread hand-overs (there and back), and a run
//! sends thousands of small DDL statements: the hand-overs cost more than SQLite's own
//! work. Sent as one text (up to [`STATEMENTS_PER_REQUEST`] at a time), the statements
//! run on the worker one after another (as `sqlite3` runs a script) and their results
//! stream back, one per statement.
//!
//! That one result per statement is how a failure is attributed: the statements
//! before the failing one each reported their result. So every statement of a batch
//! must be exactly one SQL statement (no comment-only text, no script): the runner
//! batches only the statements retort renders itself, and sends SQL written by a user
//! on its own.

use std::time::{Duration, Instant};

use futures_util::{FutureExt, TryStreamExt};
use sqlx::sqlite::SqliteConnection;
use sqlx::AssertSqlSafe;

use crate::backend::connection::{
    request_outcome, request_text, BatchFailure, BatchOutcome, DbError, StatementDone,
};

/// A batch running on a thread of its own with the connection lent to it
/// ([`crate::db::Connection::start_batch`]).
pub struct BatchInFlight {
    done: tokio::sync::oneshot::Receiver<Landed>,
}

/// What a batch's thread hands back: the connection, the statements and the outcome.
type Landed = (SqliteConnection, Vec<String>, BatchOutcome);

/// Runs `statements` on `conn` on a thread of its own (with a runtime of its own for
/// the result timer), so that the caller's work and SQLite's overlap.
pub(crate) fn start(conn: SqliteConnection, statements: Vec<String>) -> BatchInFlight {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let run = move || {
        let mut conn = conn;
        let outcome = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
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

/// The first and the longest pause between two looks at a batch's results. The
/// longest is also how long SQLite may sit idle after a request's last statement before
/// the next request is sent.
const RESULT_POLL: (Duration, Duration) = (Duration::from_millis(1), Duration::from_millis(2));

/// How many statements go in one request. sqlx keeps every statement of a request
/// prepared until the request ends, and SQLite visits each prepared statement after
/// every schema change: a request of thousands of DDL statements is quadratic (one
/// revision creating 5,000 tables, 10,007 statements: 10.5 s in one request, 6.2-7.0 s
/// in requests of 32 to 512, 14 s one statement at a time).
const STATEMENTS_PER_REQUEST: usize = 256;

/// Runs `statements` (each exactly one SQL statement) in order on `conn`; returns the
/// rows each changed (as SQLite counts them, for INSERT, UPDATE and DELETE) and when
/// it finished. Stops at the first that fails.
pub(crate) async fn execute_batch(
    conn: &mut SqliteConnection,
    statements: &[&str],
) -> Result<Vec<StatementDone>, BatchFailure> {
    let mut done = Vec::with_capacity(statements.len());
    for request in statements.chunks(STATEMENTS_PER_REQUEST) {
        let before = done.len();
        let error = run_request(conn, request, &mut done).await;
        request_outcome(statements, request, before, &mut done, error)?;
    }
    Ok(done)
}

/// Sends `statements` as one text and collects a result per statement into `done`;
/// the error of the statement that failed, if one did.
async fn run_request(
    conn: &mut SqliteConnection,
    statements: &[&str],
    done: &mut Vec<StatementDone>,
) -> Option<sqlx::Error> {
    let text = request_text(statements);
    let mut results = sqlx::raw_sql(AssertSqlSafe(text)).execute_many(&mut *conn);
    // The results are collected on a short timer rather than as each arrives: waiting
    // for each would have the worker wake this thread once per statement, which costs
    // about as much as the hand-over the batch saves. The pause grows while a slow
    // statement runs.
    let mut pause = RESULT_POLL.0;
    let first = done.len();
    loop {
        // Once every statement has answered, only the end of the stream is left: it
        // follows at once, and is waited for rather than slept on.
        let next = if done.len() - first == statements.len() {
            Some(results.try_next().await)
        } else {
            results.try_next().now_or_never()
        };
        match next {
            Some(Ok(Some(result))) => {
                done.push(StatementDone {
                    changed: result.rows_affected(),
                    at: Instant::now(),
                });
                pause = RESULT_POLL.0;
            }
            Some(Ok(None)) => return None,
            Some(Err(e)) => return Some(e),
            None => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(RESULT_POLL.1);
            }
        }
    }
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
    async fn a_long_batch_goes_in_several_requests_and_still_names_the_failure() {
        let mut conn = memory().await;
        let n = STATEMENTS_PER_REQUEST * 2 + 5;
        let fail_at = STATEMENTS_PER_REQUEST + 3;
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
    async fn text_that_is_not_one_statement_each_is_refused() {
        let mut conn = memory().await;
        let err = execute_batch(&mut conn, &["SELECT 1", "-- only a comment"])
            .await
            .unwrap_err();
        assert!(
            err.error.to_string().contains("gave 1 results"),
            "{}",
            err.error
        );
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
