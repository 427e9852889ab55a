//! A revision's `lock_timeout` and `lock_retries`: each statement waits at most that
//! long for a lock, and a revision that timed out is retried (where it runs inside a
//! transaction, from a savepoint) with a growing pause in between.

use std::time::Duration;

use crate::backend::RenderContext;
use crate::db::Connection;
use crate::project::Project;
use crate::runlog::RevisionLog;
use crate::script::graph::Direction;
use crate::script::RevisionFile;

use super::{statements, RunError, Txn};

const SAVEPOINT: &str = "retort_lock_retry";

async fn exec(conn: &mut Connection, sql: &str) -> Result<(), RunError> {
    conn.execute(sql)
        .await
        .map(|_| ())
        .map_err(|e| RunError::plain(format!("{e}\n  SQL: {sql}")))
}

/// Runs one direction of `file` with its lock timeout set (and reset afterwards),
/// retrying up to `lock_retries` times after a lock timeout when a transaction is open.
/// `sqlite_atomic`: make SQLite's operations atomic outside the run's transaction (see
/// [`statements::run_revision`]). `log` counts the statements done in the run log.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_step(
    project: &Project,
    file: &RevisionFile,
    direction: Direction,
    conn: &mut Connection,
    ctx: &mut RenderContext,
    txn: &mut Txn,
    sqlite_atomic: bool,
    log: &mut RevisionLog,
) -> Result<(), RunError> {
    let d = conn.dialect();
    let timeout_sql = file
        .lock_timeout
        .and_then(|ms| d.backend().lock_timeout_sql(ms));
    if let Some(sql) = &timeout_sql {
        exec(conn, sql).await?;
    }
    let retry_here = file.lock_retries > 0 && txn.open;
    let mut attempt = 0;
    let result = loop {
        let saved = ctx.clone();
        let saved_done = log.statements_done();
        if retry_here {
            exec(conn, &format!("SAVEPOINT {SAVEPOINT}")).await?;
        }
        let atomic = sqlite_atomic.then_some(&mut *txn);
        match statements::run_revision(project, file, direction, conn, ctx, atomic, log).await {
            Ok(()) => {
                if retry_here {
                    exec(conn, &format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                }
                break Ok(());
            }
            Err(e)
                if retry_here
                    && attempt < file.lock_retries
                    && d.backend().is_lock_timeout(&e.message) =>
            {
                exec(conn, &format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")).await?;
                *ctx = saved;
                log.rewind_to(saved_done);
                attempt += 1;
                let pause = 200u64.saturating_mul(1 << attempt.min(5)).min(5000);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            Err(mut e) => {
                if let Some(ms) = file
                    .lock_timeout
                    .filter(|_| d.backend().is_lock_timeout(&e.message))
                {
                    e.message.push_str(&format!(
                        "\n  (lock_timeout {ms} ms; tried {} time(s){})",
                        attempt + 1,
                        if file.lock_retries > 0 && !retry_here {
                            "; lock_retries applies only where the revision runs inside a transaction"
                        } else {
                            ""
                        }
                    ));
                }
                break Err(e);
            }
        }
    };
    if timeout_sql.is_some() {
        if let Some(reset) = d.backend().lock_timeout_reset_sql() {
            let done = exec(conn, &reset).await;
            if result.is_ok() {
                done?;
            }
        }
    }
    result
}
