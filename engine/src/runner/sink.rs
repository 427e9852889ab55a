//! Where the run loop sends its statements: [`Executor`] runs them on a live
//! connection, [`Printer`] writes them into the offline SQL script. The loop itself
//! (in the parent module) is the same for both, so online and offline runs cannot
//! drift apart.

use crate::backend::connection::{BatchFailure, BatchOutcome};
use crate::backend::{render, render_live, Batching, RenderContext, RenderError};
use crate::db::{Connection, DbError};
use crate::dialect::Dialect;
use crate::ops::Operation;
use crate::project::Project;
use crate::script::graph::{Direction, VersionChange};
use crate::script::RevisionFile;

use super::{progress_line, version_table, RunError, RunErrorData};
use std::time::{Duration, Instant};

use crate::runner::runlog::{self, ClosingLog, Resume, RevisionLog};

/// Where a statement of a revision's body comes from: named when it fails.
#[derive(Debug, Clone)]
pub(crate) struct StatementOrigin {
    /// The revision id.
    pub(crate) revision: String,
    /// Its file.
    pub(crate) file: String,
    /// The operation that rendered it (YAML revisions).
    pub(crate) operation: Option<String>,
    /// True when retort rendered it (exactly one statement); false for SQL the user
    /// wrote (an SQL revision's statements, an `execute` operation), which is sent on
    /// its own, as written.
    pub(crate) rendered: bool,
}

impl StatementOrigin {
    /// The run error for `sql` of this origin failing with `e`.
    pub(crate) fn error(&self, sql: &str, e: DbError) -> RunError {
        let message = match e {
            DbError::Statement { message, .. } => message,
            other => other.to_string(),
        };
        RunErrorData {
            revision: Some(self.revision.clone()),
            file: Some(self.file.clone()),
            operation: self.operation.clone(),
            sql: Some(sql.to_string()),
            message,
            outcome: None,
        }
        .into()
    }
}

/// The destination of a run's statements, with the transaction it keeps open.
pub(crate) trait StatementSink {
    /// The backend the statements are for.
    fn dialect(&self) -> Dialect;
    /// True when statements really run (and can fail, be retried, be rolled back).
    fn executes(&self) -> bool;
    /// Whether a transaction is open.
    fn in_transaction(&self) -> bool;
    /// Sends one of the run's own statements (lock timeouts, savepoints).
    async fn control(&mut self, sql: &str) -> Result<(), RunError>;
    /// Sends one statement of a revision's body (it may be held back to go with the
    /// next ones: see [`Executor`]).
    async fn statement(&mut self, sql: &str, origin: StatementOrigin) -> Result<(), RunError>;
    /// Sends what is held back; a failure names the statement that failed.
    async fn flush(&mut self) -> Result<(), RunError>;
    /// Renders `op` (online against the live tables, offline from `ctx` alone).
    async fn render(
        &mut self,
        op: &Operation,
        ctx: &RenderContext,
    ) -> Result<Vec<String>, RenderError>;
    /// Opens a transaction.
    async fn begin(&mut self) -> Result<(), RunError>;
    /// Commits the open transaction (online, after the backend's pre-commit check).
    async fn commit(&mut self) -> Result<(), RunError>;
    /// Rolls back the open transaction, if any.
    async fn rollback(&mut self);
    /// Announces the step about to run (a comment in the script).
    fn announce(&mut self, description: &str);
    /// Updates the version table (for `revision`, when a revision runs).
    async fn version_change(
        &mut self,
        revision: Option<&str>,
        table: &str,
        change: &VersionChange,
    ) -> Result<(), RunError>;
    /// Run log hook "revision starting" (online only: the script records none): writes
    /// the revision's `running` row before its first statement (inside its transaction
    /// where there is one); with `resume`, continues the unfinished row instead.
    async fn log_start(
        &mut self,
        project: &Project,
        file: &RevisionFile,
        direction: Direction,
        resume: Option<Resume>,
    ) -> Result<(), String>;
    /// How many statements of the current revision the run log counts as done.
    fn log_mark(&self) -> u64;
    /// Forgets the statements counted after `mark` (their savepoint was rolled back).
    fn log_rewind(&mut self, mark: u64);
    /// What the run log has to say to the user (e.g. a resumed statement found done).
    fn log_notices(&mut self) -> Vec<String>;
    /// Run log hook "revision failed": records how far it got.
    async fn log_failed(&mut self);
    /// Run log hook "revision done": closes the row with the revision's checksum, and
    /// reports `description` with its duration once its statements have run (see
    /// [`StatementSink::take_finished`]).
    async fn log_finish(
        &mut self,
        project: &Project,
        file: &RevisionFile,
        description: &str,
        started: Instant,
    ) -> Result<(), RunError>;
    /// The progress lines of the revisions whose statements have run since the last
    /// call, in order (`description (N ms)`).
    fn take_finished(&mut self) -> Vec<String>;
    /// Checks that nobody moved the version table away from `rows` (online, under a
    /// file lock, at the start of each migration's transaction).
    async fn check_rows_unchanged(&mut self, table: &str, rows: &[String]) -> Result<(), RunError>;
}

/// A statement held back by an [`Executor`], with what to say if it fails.
struct Pending {
    sql: String,
    kind: PendingKind,
}

impl Pending {
    /// A run-log write `(sql, context)` of `revision`.
    fn log_write((sql, context): (String, String), revision: &str) -> Pending {
        Pending {
            sql,
            kind: PendingKind::LogWrite {
                revision: revision.to_string(),
                context,
            },
        }
    }

    /// The statements of a batch back together with their kinds.
    fn rejoin(statements: Vec<String>, kinds: Vec<PendingKind>) -> Vec<Pending> {
        statements
            .into_iter()
            .zip(kinds)
            .map(|(sql, kind)| Pending { sql, kind })
            .collect()
    }
}

/// What a held-back statement is, for its error and its check.
enum PendingKind {
    /// A statement of a revision's body.
    Body(StatementOrigin),
    /// A version-table change (of `revision`); an UPDATE or DELETE must touch one row.
    VersionChange {
        revision: Option<String>,
        table: String,
        change: VersionChange,
    },
    /// A write to the run log for `revision`, and what to say if it fails.
    LogWrite { revision: String, context: String },
}

impl PendingKind {
    /// The run error for `sql` failing with `error`.
    fn error(self, sql: &str, error: DbError) -> RunError {
        match self {
            PendingKind::Body(origin) => origin.error(sql, error),
            PendingKind::VersionChange { revision, .. } => {
                RunError::in_revision(error.to_string(), revision.as_deref())
            }
            PendingKind::LogWrite { revision, context } => {
                RunError::in_revision(format!("{context}: {error}"), Some(&revision))
            }
        }
    }

    /// Checks the rows `sql` changed (a version-table change must touch one).
    fn check(&self, sql: &str, changed: u64) -> Result<(), RunError> {
        let PendingKind::VersionChange {
            revision,
            table,
            change,
        } = self
        else {
            return Ok(());
        };
        version_table::check_changed(table, change, sql, changed)
            .map_err(|message| RunError::in_revision(message, revision.as_deref()))
    }
}

/// A revision whose statements are all held back: its run-log row and progress line
/// wait for them to run.
struct WaitingRevision {
    /// How many held-back statements there are up to its last one.
    end: usize,
    log: Option<ClosingLog>,
    description: String,
    /// When the run loop started it.
    started: Instant,
}

/// How many statements of a revision are held back at most before they are sent
/// ([`Batching::Revision`]).
const REVISION_REQUEST_LIMIT: usize = 256;

/// A batch running on its own thread ([`Executor::start_pending`]): what its
/// statements are, and the revisions it finishes.
struct InFlight {
    kinds: Vec<PendingKind>,
    waiting: Vec<WaitingRevision>,
    sent: Instant,
    sent_utc: chrono::DateTime<chrono::Utc>,
}

/// How many run-log rows one INSERT writes.
const LOG_ROWS_PER_INSERT: usize = 200;

/// The fewest and most statements held back before they are sent at a revision's end.
const BATCH_LIMITS: (usize, usize) = (8, 4096);
/// A batch that ran faster than this doubles the next one; slower than
/// [`SLOW_BATCH`] halves it. Batches run while the next ones are rendered, except the
/// last (sent at the commit), and progress lines wait for their batch: short ones keep
/// both waits short, and the thread each batch starts costs well under a millisecond.
const FAST_BATCH: Duration = Duration::from_millis(10);
const SLOW_BATCH: Duration = Duration::from_millis(40);

/// Runs the statements on a connection.
///
/// A batching executor (the one `upgrade` and `downgrade` use) holds statements back
/// where the backend allows ([`crate::backend::Backend::statement_batching`]):
/// - [`Batching::Transaction`]: inside a transaction, the statements that revisions'
///   operations render and their version-table changes go to the database together,
///   several revisions at a time, at a revision's end once enough are held back: the
///   batch size adapts so that a batch takes about 50-250 ms, as the progress lines
///   wait for their batch. Each revision's run-log row is written once its statements
///   have run, with the time they took.
/// - [`Batching::Revision`]: a revision's `running` row, its rendered statements each
///   followed by the run-log update counting it, and its version-table change go in
///   one request, sent at the version-table change; its row is closed after the
///   change was checked.
///
/// Held statements are sent before anything else is (SQL the user wrote, a read of the
/// database, a savepoint, the end of the transaction). Held back or not, a failure
/// names the statement that failed.
pub(crate) struct Executor<'c> {
    pub(crate) conn: &'c mut Connection,
    open: bool,
    /// The run log row of the revision running now.
    log: Option<RevisionLog>,
    /// Whether and how statements may be held back.
    batching: Batching,
    /// The statements held back, in order.
    pending: Vec<Pending>,
    /// The revisions whose statements are all among `pending`, in order.
    waiting: Vec<WaitingRevision>,
    /// How many statements may be held back before a revision's end sends them.
    batch_limit: usize,
    /// Progress lines of revisions done, not yet taken.
    finished: Vec<String>,
    /// The batch running on its own thread, if any.
    in_flight: Option<InFlight>,
}

impl<'c> Executor<'c> {
    /// An executor over `conn`, with no transaction open, that sends each statement
    /// at once.
    pub(crate) fn new(conn: &'c mut Connection) -> Self {
        Executor {
            conn,
            open: false,
            log: None,
            batching: Batching::None,
            pending: Vec::new(),
            waiting: Vec::new(),
            batch_limit: BATCH_LIMITS.0,
            finished: Vec::new(),
            in_flight: None,
        }
    }

    /// Takes over the transaction already open on its connection (begun before the
    /// executor existed), as [`StatementSink::begin`] would have opened it.
    pub(crate) fn adopt_transaction(&mut self) {
        self.open = true;
    }

    /// An executor over `conn` that holds statements back where it can (see above).
    pub(crate) fn batching(conn: &'c mut Connection) -> Self {
        Executor {
            batching: conn.dialect().backend().statement_batching(),
            ..Executor::new(conn)
        }
    }

    /// True when the next statement may be held back: inside a transaction, with a
    /// run log that writes nothing per statement ([`Batching::Transaction`]); with a
    /// run log that is not resuming ([`Batching::Revision`]).
    fn holds_back(&self) -> bool {
        match self.batching {
            Batching::None => false,
            Batching::Transaction => {
                self.open && self.log.as_ref().is_none_or(RevisionLog::is_quiet)
            }
            Batching::Revision => self.log.as_ref().is_none_or(RevisionLog::is_fresh),
        }
    }

    /// Folds `change` into the last held-back version-table change when it continues
    /// it (`a -> b` then `b -> c` is `a -> c`; inserting `b` then `b -> c` inserts
    /// `c`; `a -> b` then deleting `b` deletes `a`): a chain of revisions then updates
    /// the version table once. Nothing held back reads the version table in between.
    /// True when folded.
    fn merge_version_change(
        &mut self,
        revision: Option<&str>,
        table: &str,
        change: &VersionChange,
    ) -> bool {
        let dialect = self.dialect();
        let Some(last) = self
            .pending
            .iter_mut()
            .rev()
            .find(|p| matches!(p.kind, PendingKind::VersionChange { .. }))
        else {
            return false;
        };
        let PendingKind::VersionChange {
            revision: last_revision,
            table: last_table,
            change: last_change,
        } = &mut last.kind
        else {
            return false;
        };
        if last_table != table {
            return false;
        }
        let merged = match (&*last_change, change) {
            (
                VersionChange::Update {
                    from: first,
                    to: middle,
                },
                VersionChange::Update { from, to },
            ) if middle == from => VersionChange::Update {
                from: first.clone(),
                to: to.clone(),
            },
            (VersionChange::Insert(middle), VersionChange::Update { from, to })
                if middle == from =>
            {
                VersionChange::Insert(to.clone())
            }
            (
                VersionChange::Update {
                    from: first,
                    to: middle,
                },
                VersionChange::Delete(gone),
            ) if middle == gone => VersionChange::Delete(first.clone()),
            _ => return false,
        };
        last.sql = version_table::change_sql(dialect, table, &merged);
        *last_change = merged;
        *last_revision = revision.map(str::to_string);
        true
    }

    /// Forgets what is held back (the transaction is being rolled back).
    fn drop_pending(&mut self) {
        self.pending.clear();
        self.waiting.clear();
    }

    /// Sends the held-back statements (after the batch in flight, if any, is done),
    /// then the run-log rows of the revisions they finish; their progress lines go to
    /// `finished`.
    async fn send_pending(&mut self) -> Result<(), RunError> {
        self.land().await?;
        if self.pending.is_empty() && self.waiting.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let waiting = std::mem::take(&mut self.waiting);
        let statements: Vec<&str> = pending.iter().map(|p| p.sql.as_str()).collect();
        let sent = Instant::now();
        let sent_utc = chrono::Utc::now();
        let outcome = self.conn.execute_batch(&statements).await;
        self.batch_done(pending, waiting, sent, sent_utc, outcome)
            .await
    }

    /// Starts sending the held-back statements on a thread of their own where the
    /// connection allows ([`Connection::start_batch`]: SQLite), so that the run renders
    /// the next revisions while they run; their results are taken in before anything
    /// else reaches the database ([`Executor::land`]). Elsewhere, sends them.
    async fn start_pending(&mut self) -> Result<(), RunError> {
        self.land().await?;
        if self.pending.is_empty() {
            return self.send_pending().await;
        }
        let (statements, kinds): (Vec<String>, Vec<PendingKind>) =
            std::mem::take(&mut self.pending)
                .into_iter()
                .map(|p| (p.sql, p.kind))
                .unzip();
        let in_flight = InFlight {
            kinds,
            waiting: std::mem::take(&mut self.waiting),
            sent: Instant::now(),
            sent_utc: chrono::Utc::now(),
        };
        match self.conn.start_batch(statements) {
            Ok(()) => {
                self.in_flight = Some(in_flight);
                Ok(())
            }
            Err(statements) => {
                // Not lent: sent here, whose failure names the statement.
                self.pending = Pending::rejoin(statements, in_flight.kinds);
                self.waiting = in_flight.waiting;
                self.send_pending().await
            }
        }
    }

    /// Takes in the results of the batch in flight, if any (see
    /// [`Executor::start_pending`]).
    async fn land(&mut self) -> Result<(), RunError> {
        let Some(in_flight) = self.in_flight.take() else {
            return Ok(());
        };
        let (statements, outcome) = self.conn.land_batch().await.unwrap_or_else(|| {
            (
                Vec::new(),
                Err(BatchFailure {
                    index: 0,
                    error: DbError::Statement {
                        sql: String::new(),
                        message: "a batch of statements went missing".into(),
                    },
                    done: Vec::new(),
                }),
            )
        });
        let pending = Pending::rejoin(statements, in_flight.kinds);
        self.batch_done(
            pending,
            in_flight.waiting,
            in_flight.sent,
            in_flight.sent_utc,
            outcome,
        )
        .await
    }

    /// Forgets what is held back and the results of a batch in flight (the transaction
    /// is being rolled back).
    async fn discard_pending(&mut self) {
        self.drop_pending();
        if self.in_flight.take().is_some() {
            let _ = self.conn.land_batch().await;
        }
    }

    /// What follows a batch `pending` sent at `sent`: the revisions of `waiting` it
    /// finished get their run-log rows and progress lines; a failure names its
    /// statement.
    async fn batch_done(
        &mut self,
        pending: Vec<Pending>,
        waiting: Vec<WaitingRevision>,
        sent: Instant,
        sent_utc: chrono::DateTime<chrono::Utc>,
        outcome: BatchOutcome,
    ) -> Result<(), RunError> {
        let ran = match &outcome {
            Ok(done) => done.as_slice(),
            Err(failure) => failure.done.as_slice(),
        };
        let took = ran.last().map_or(Duration::ZERO, |d| d.at - sent);
        self.batch_limit = if took < FAST_BATCH {
            (self.batch_limit * 2).min(BATCH_LIMITS.1)
        } else if took > SLOW_BATCH {
            (self.batch_limit / 2).max(BATCH_LIMITS.0)
        } else {
            self.batch_limit
        };
        // The revisions whose statements all ran: their rows and progress lines.
        let dialect = self.conn.dialect();
        let mut rows: Vec<(String, String)> = Vec::new();
        let mut log_table = String::new();
        let mut previous = sent;
        for w in waiting {
            if w.end > ran.len() {
                break;
            }
            let at = w
                .end
                .checked_sub(1)
                .map_or(previous, |i| ran[i].at)
                .max(previous);
            let started = w.started.max(previous).min(at);
            let took_here = at - started;
            previous = at;
            if let Some(log) = &w.log {
                let ended = sent_utc + chrono::Duration::from_std(at - sent).unwrap_or_default();
                rows.push((
                    log.row_values(dialect, ended, took_here),
                    log.revision().to_string(),
                ));
                log_table = log.table().to_string();
            }
            self.finished.push(progress_line(&w.description, took_here));
        }
        if let Err(failure) = outcome {
            if self.batching == Batching::Revision {
                self.log_stopped(pending.get(failure.index..).unwrap_or_default())
                    .await;
            }
            let Some(p) = pending.into_iter().nth(failure.index) else {
                return Err(RunError::plain(failure.error.to_string()));
            };
            return Err(p.kind.error(&p.sql, failure.error));
        }
        for (p, done) in pending.iter().zip(ran) {
            p.kind.check(&p.sql, done.changed)?;
        }
        if rows.is_empty() {
            return Ok(());
        }
        // The rows go in a few INSERTs of many rows each.
        let head = runlog::insert_head(dialect, &log_table);
        let inserts: Vec<(String, String)> = rows
            .chunks(LOG_ROWS_PER_INSERT)
            .map(|chunk| {
                let values: Vec<&str> = chunk.iter().map(|r| r.0.as_str()).collect();
                let first = &chunk[0].1;
                let last = &chunk[chunk.len() - 1].1;
                let named = if first == last {
                    format!("revision {first}")
                } else {
                    format!("revisions {first} to {last}")
                };
                (format!("{head} VALUES {}", values.join(", ")), named)
            })
            .collect();
        let statements: Vec<&str> = inserts.iter().map(|r| r.0.as_str()).collect();
        if let Err(failure) = self.conn.execute_batch(&statements).await {
            let named = inserts
                .get(failure.index)
                .map_or(String::new(), |i| i.1.clone());
            return Err(RunError::plain(format!(
                "recording {named} in the run log table {log_table} failed: {}",
                failure.error
            )));
        }
        Ok(())
    }

    /// A revision's request stopped at the first of `rest` ([`Batching::Revision`]): its
    /// run log counts only the statements before that one and, unless the failure was
    /// the version-table change (its statements all ran), records the failure.
    async fn log_stopped(&mut self, rest: &[Pending]) {
        if let Some(PendingKind::VersionChange { .. }) = rest.first().map(|p| &p.kind) {
            return;
        }
        let not_run = rest
            .iter()
            .filter(|p| matches!(p.kind, PendingKind::Body(_)))
            .count() as u64;
        if let Some(mut log) = self.log.take() {
            log.rewind_to(log.statements_done().saturating_sub(not_run));
            log.failed(self.conn).await;
        }
    }

    /// Commits without the backend's pre-commit check: for a run that changed no table
    /// of the schema (nothing to run), where the check could only find what was
    /// there before.
    pub(crate) async fn commit_unchecked(&mut self) -> Result<(), RunError> {
        self.send_pending().await?;
        self.conn
            .execute("COMMIT")
            .await
            .map_err(|e| RunError::plain(e.to_string()))?;
        self.open = false;
        Ok(())
    }

    /// Runs the backend's check before a commit (SQLite's foreign keys, switched off
    /// for the run).
    async fn foreign_key_check(&mut self) -> Result<(), RunError> {
        let Some(check) = self.conn.dialect().backend().pre_commit_check_sql() else {
            return Ok(());
        };
        let rows = self
            .conn
            .query(check)
            .await
            .map_err(|e| RunError::plain(e.to_string()))?;
        if rows.is_empty() {
            return Ok(());
        }
        let sample: Vec<String> = rows
            .iter()
            .take(5)
            .map(|r| {
                format!(
                    "table {} rowid {} -> {}",
                    r.first().cloned().flatten().unwrap_or_default(),
                    r.get(1).cloned().flatten().unwrap_or_default(),
                    r.get(2).cloned().flatten().unwrap_or_default()
                )
            })
            .collect();
        Err(RunError::plain(format!(
            "{check} found {} row(s) that break foreign keys, e.g. {}",
            rows.len(),
            sample.join("; ")
        )))
    }
}

impl StatementSink for Executor<'_> {
    fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    fn executes(&self) -> bool {
        true
    }

    fn in_transaction(&self) -> bool {
        self.open
    }

    async fn control(&mut self, sql: &str) -> Result<(), RunError> {
        self.send_pending().await?;
        self.conn
            .execute(sql)
            .await
            .map(|_| ())
            .map_err(|e| RunError::plain(format!("{e}\n  SQL: {sql}")))
    }

    /// Runs one statement of a revision and counts it in the run log (the one place
    /// where "statement n of revision R succeeded" is known); skips it when resuming a
    /// run that did it already. When resuming a killed run, the statement it was killed
    /// in counts as done if the database answers that its change is already there.
    async fn statement(&mut self, sql: &str, origin: StatementOrigin) -> Result<(), RunError> {
        if origin.rendered && self.holds_back() {
            // Counted now: the count goes into the run-log update held back right
            // behind this statement (which the server runs only if it succeeded), or
            // into the row written when the revision is done.
            let dialect = self.dialect();
            let progress = self.log.as_mut().and_then(|log| log.counted(dialect));
            let count = progress.map(|write| Pending::log_write(write, &origin.revision));
            self.pending.push(Pending {
                sql: sql.to_string(),
                kind: PendingKind::Body(origin),
            });
            self.pending.extend(count);
            if self.batching == Batching::Revision && self.pending.len() >= REVISION_REQUEST_LIMIT {
                self.send_pending().await?;
            }
            return Ok(());
        }
        self.send_pending().await?;
        let Some(log) = self.log.as_mut() else {
            return self
                .conn
                .execute(sql)
                .await
                .map(|_| ())
                .map_err(|e| origin.error(sql, e));
        };
        if log.skip_next() {
            return Ok(());
        }
        let uncertain = log.next_is_uncertain();
        match self.conn.execute(sql).await {
            Ok(_) => {}
            Err(DbError::Statement { message, .. })
                if uncertain && self.conn.dialect().backend().is_already_in_effect(&message) =>
            {
                log.took_effect_before(&message);
            }
            Err(e) => return Err(origin.error(sql, e)),
        }
        log.statement_done(self.conn).await.map_err(|message| {
            origin.error(
                sql,
                DbError::Statement {
                    sql: sql.to_string(),
                    message,
                },
            )
        })
    }

    async fn flush(&mut self) -> Result<(), RunError> {
        self.send_pending().await
    }

    async fn render(
        &mut self,
        op: &Operation,
        ctx: &RenderContext,
    ) -> Result<Vec<String>, RenderError> {
        debug_assert!(
            (self.pending.is_empty() && self.in_flight.is_none())
                || !crate::backend::render_reads_database(op, ctx, self.dialect()),
            "statements held back while rendering reads the database"
        );
        render_live(op, self.conn, ctx).await
    }

    async fn begin(&mut self) -> Result<(), RunError> {
        self.send_pending().await?;
        let sql = self.conn.dialect().backend().begin_sql();
        self.conn
            .execute(sql)
            .await
            .map_err(|e| RunError::plain(e.to_string()))?;
        self.open = true;
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), RunError> {
        self.send_pending().await?;
        self.foreign_key_check().await?;
        self.commit_unchecked().await
    }

    async fn rollback(&mut self) {
        self.discard_pending().await;
        if self.open {
            let _ = self.conn.execute("ROLLBACK").await;
            self.open = false;
        }
    }

    fn announce(&mut self, _description: &str) {}

    async fn version_change(
        &mut self,
        revision: Option<&str>,
        table: &str,
        change: &VersionChange,
    ) -> Result<(), RunError> {
        if self.holds_back() {
            if self.merge_version_change(revision, table, change) {
                return Ok(());
            }
            self.pending.push(Pending {
                sql: version_table::change_sql(self.dialect(), table, change),
                kind: PendingKind::VersionChange {
                    revision: revision.map(str::to_string),
                    table: table.to_string(),
                    change: change.clone(),
                },
            });
            if self.batching == Batching::Revision {
                // The revision's request ends here: its row is closed once the
                // change is known to have touched the expected row.
                self.send_pending().await?;
            }
            return Ok(());
        }
        self.send_pending().await?;
        version_table::apply(self.conn, table, change)
            .await
            .map_err(|message| RunError::in_revision(message, revision))
    }

    async fn log_start(
        &mut self,
        project: &Project,
        file: &RevisionFile,
        direction: Direction,
        resume: Option<Resume>,
    ) -> Result<(), String> {
        if RevisionLog::writes_at_start(self.dialect(), resume.is_some()) {
            self.send_pending().await.map_err(|e| e.to_string())?;
        }
        if self.batching == Batching::Revision && resume.is_none() {
            // The `running` row goes in the revision's request, before its statements.
            let (log, insert) = RevisionLog::opening(self.dialect(), project, file, direction)?;
            self.pending
                .extend(insert.map(|write| Pending::log_write(write, &file.id)));
            self.log = Some(log);
            return Ok(());
        }
        self.log = Some(RevisionLog::start(self.conn, project, file, direction, resume).await?);
        Ok(())
    }

    fn log_mark(&self) -> u64 {
        self.log.as_ref().map_or(0, RevisionLog::statements_done)
    }

    fn log_rewind(&mut self, mark: u64) {
        if let Some(log) = self.log.as_mut() {
            log.rewind_to(mark);
        }
    }

    fn log_notices(&mut self) -> Vec<String> {
        self.log
            .as_mut()
            .map(RevisionLog::take_notices)
            .unwrap_or_default()
    }

    async fn log_failed(&mut self) {
        self.discard_pending().await;
        if let Some(log) = self.log.take() {
            log.failed(self.conn).await;
        }
    }

    async fn log_finish(
        &mut self,
        project: &Project,
        file: &RevisionFile,
        description: &str,
        started: Instant,
    ) -> Result<(), RunError> {
        let in_revision = |message: String| RunError::in_revision(message, Some(&file.id));
        let log = match self.log.take() {
            Some(log) => Some(log.close(project, file).map_err(in_revision)?),
            None => None,
        };
        if self.batching == Batching::Transaction
            && self.holds_back()
            && log.as_ref().is_none_or(ClosingLog::is_quiet)
        {
            self.waiting.push(WaitingRevision {
                end: self.pending.len(),
                log,
                description: description.to_string(),
                started,
            });
            if self.pending.len() >= self.batch_limit {
                self.start_pending().await?;
            }
            return Ok(());
        }
        self.send_pending().await?;
        let took = started.elapsed();
        if let Some(log) = log {
            let (sql, context) = log.finish_sql(self.dialect(), chrono::Utc::now(), took);
            self.conn
                .execute(&sql)
                .await
                .map_err(|e| in_revision(format!("{context}: {e}")))?;
        }
        self.finished.push(progress_line(description, took));
        Ok(())
    }

    fn take_finished(&mut self) -> Vec<String> {
        std::mem::take(&mut self.finished)
    }

    async fn check_rows_unchanged(&mut self, table: &str, rows: &[String]) -> Result<(), RunError> {
        self.send_pending().await?;
        if self.conn.dialect().backend().run_lock("", table).is_some() {
            // A session lock holds other runs off; only a file lock needs the check.
            return Ok(());
        }
        let now = version_table::read(self.conn, table)
            .await
            .map_err(|e| RunError::plain(e.to_string()))?;
        if now != rows {
            return Err(RunError::plain(format!(
                "the version table changed while this run was waiting (now {}); another retort run is migrating this database — run again when it has finished",
                now.join(", ")
            )));
        }
        Ok(())
    }
}

/// Writes the statements into an SQL script.
pub(crate) struct Printer {
    dialect: Dialect,
    open: bool,
    /// Progress lines not yet taken.
    finished: Vec<String>,
    /// The script so far.
    pub(crate) out: String,
}

impl Printer {
    /// An empty script for `dialect`.
    pub(crate) fn new(dialect: Dialect) -> Self {
        Printer {
            dialect,
            open: false,
            finished: Vec::new(),
            out: String::new(),
        }
    }

    /// Writes one of the run's own statements.
    pub(crate) fn write(&mut self, sql: &str) {
        self.out.push_str(sql.trim_end().trim_end_matches(';'));
        self.out.push_str(";\n\n");
    }
}

impl StatementSink for Printer {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn executes(&self) -> bool {
        false
    }

    fn in_transaction(&self) -> bool {
        self.open
    }

    async fn control(&mut self, sql: &str) -> Result<(), RunError> {
        self.out
            .push_str(&self.dialect.backend().offline_statement(sql));
        Ok(())
    }

    async fn statement(&mut self, sql: &str, _origin: StatementOrigin) -> Result<(), RunError> {
        self.out
            .push_str(&self.dialect.backend().offline_statement(sql));
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), RunError> {
        Ok(())
    }

    async fn render(
        &mut self,
        op: &Operation,
        ctx: &RenderContext,
    ) -> Result<Vec<String>, RenderError> {
        render(op, self.dialect, ctx)
    }

    async fn begin(&mut self) -> Result<(), RunError> {
        self.write("BEGIN");
        self.open = true;
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), RunError> {
        self.write("COMMIT");
        self.open = false;
        Ok(())
    }

    async fn rollback(&mut self) {}

    fn announce(&mut self, description: &str) {
        self.out.push_str(&format!("-- {description}\n\n"));
    }

    async fn version_change(
        &mut self,
        _revision: Option<&str>,
        table: &str,
        change: &VersionChange,
    ) -> Result<(), RunError> {
        let sql = version_table::change_sql(self.dialect, table, change);
        self.write(&sql);
        Ok(())
    }

    async fn log_start(
        &mut self,
        _project: &Project,
        _file: &RevisionFile,
        _direction: Direction,
        _resume: Option<Resume>,
    ) -> Result<(), String> {
        Ok(())
    }

    fn log_mark(&self) -> u64 {
        0
    }

    fn log_rewind(&mut self, _mark: u64) {}

    fn log_notices(&mut self) -> Vec<String> {
        Vec::new()
    }

    async fn log_failed(&mut self) {}

    async fn log_finish(
        &mut self,
        _project: &Project,
        _file: &RevisionFile,
        description: &str,
        started: Instant,
    ) -> Result<(), RunError> {
        self.finished
            .push(progress_line(description, started.elapsed()));
        Ok(())
    }

    fn take_finished(&mut self) -> Vec<String> {
        std::mem::take(&mut self.finished)
    }

    async fn check_rows_unchanged(
        &mut self,
        _table: &str,
        _rows: &[String],
    ) -> Result<(), RunError> {
        Ok(())
    }
}
