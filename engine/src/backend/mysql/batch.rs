//! Running a list of statements on a MySQL/MariaDB connection in few round trips.
//!
//! sqlx opens MySQL connections with multi-statement requests allowed: the server runs
//! the statements of one request in order, answers each, and runs none after the first
//! that fails. A run's DDL commits as it runs there, and the round trip of each small
//! statement (and of the run-log update after it) costs about as much as the statement
//! itself, so a revision goes in one request. The one answer per statement says which
//! statement failed; every statement must therefore be exactly one SQL statement.

use std::time::Instant;

use futures_util::TryStreamExt;
use sqlx::mysql::MySqlConnection;
use sqlx::AssertSqlSafe;

use crate::backend::connection::{request_outcome, request_text, BatchFailure, StatementDone};

/// How many statements go in one request (bounding its text: one revision creating
/// thousands of tables still streams its statements to the server as it renders them).
const STATEMENTS_PER_REQUEST: usize = 256;

/// Runs `statements` (each exactly one SQL statement) in order on `conn`; returns the
/// rows each changed and when its answer arrived. Stops at the first that fails.
pub(crate) async fn execute_batch(
    conn: &mut MySqlConnection,
    statements: &[&str],
) -> Result<Vec<StatementDone>, BatchFailure> {
    let mut done = Vec::with_capacity(statements.len());
    for request in statements.chunks(STATEMENTS_PER_REQUEST) {
        let before = done.len();
        let error = if let [one] = request {
            // One statement needs no separator (and so takes any text the server does).
            match sqlx::raw_sql(AssertSqlSafe(one.to_string()))
                .execute(&mut *conn)
                .await
            {
                Ok(r) => {
                    done.push(StatementDone {
                        changed: r.rows_affected(),
                        at: Instant::now(),
                    });
                    None
                }
                Err(e) => Some(e),
            }
        } else {
            let mut results =
                sqlx::raw_sql(AssertSqlSafe(request_text(request))).execute_many(&mut *conn);
            loop {
                match results.try_next().await {
                    Ok(Some(r)) => done.push(StatementDone {
                        changed: r.rows_affected(),
                        at: Instant::now(),
                    }),
                    Ok(None) => break None,
                    Err(e) => break Some(e),
                }
            }
        };
        request_outcome(statements, request, before, &mut done, error)?;
    }
    Ok(done)
}
