//! A revision's `lock_timeout` and `lock_retries`: each statement waits at most that
//! long for a lock, and a revision that timed out is retried (where it runs inside a
//! transaction, from a savepoint) with a growing pause in between.

use std::time::Duration;

use crate::backend::RenderContext;
use crate::project::Project;
use crate::script::graph::Direction;
use crate::script::RevisionFile;

use super::sink::StatementSink;
use super::{statements, RunError};

const SAVEPOINT: &str = "retort_lock_retry";

/// Runs one direction of `file` with its lock timeout set (and reset afterwards),
/// retrying up to `lock_retries` times after a lock timeout when a transaction is open
/// and the statements really run. `atomic_ops`: make SQLite's operations atomic
/// outside the run's transaction (see [`statements::run_body`]).
pub(crate) async fn run_step<S: StatementSink>(
    project: &Project,
    file: &RevisionFile,
    direction: Direction,
    sink: &mut S,
    ctx: &mut RenderContext,
    atomic_ops: bool,
) -> Result<(), RunError> {
    let d = sink.dialect();
    let timeout_sql = file
        .lock_timeout
        .and_then(|ms| d.backend().lock_timeout_sql(ms));
    if let Some(sql) = &timeout_sql {
        sink.control(sql).await?;
    }
    let retry_here = file.lock_retries > 0 && sink.in_transaction() && sink.executes();
    let mut attempt = 0;
    let result = loop {
        // Only a step that may be retried needs the model as it was before it.
        let saved = retry_here.then(|| ctx.clone());
        let saved_done = sink.log_mark();
        if retry_here {
            sink.control(&format!("SAVEPOINT {SAVEPOINT}")).await?;
        }
        // A step that may be retried sends what its body left held back now, so that a
        // lock timeout shows here.
        let ran = match statements::run_body(project, file, direction, sink, ctx, atomic_ops).await
        {
            Ok(()) if retry_here => sink.flush().await,
            other => other,
        };
        match ran {
            Ok(()) => {
                if retry_here {
                    sink.control(&format!("RELEASE SAVEPOINT {SAVEPOINT}"))
                        .await?;
                }
                break Ok(());
            }
            Err(e)
                if retry_here
                    && attempt < file.lock_retries
                    && d.backend().is_lock_timeout(&e.message) =>
            {
                sink.control(&format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}"))
                    .await?;
                if let Some(saved) = saved {
                    *ctx = saved;
                }
                sink.log_rewind(saved_done);
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
            let done = sink.control(&reset).await;
            if result.is_ok() {
                done?;
            }
        }
    }
    result
}
