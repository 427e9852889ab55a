//! Where the run loop sends its statements: [`Executor`] runs them on a live
//! connection, [`Printer`] writes them into the offline SQL script. The loop itself
//! (in the parent module) is the same for both, so online and offline runs cannot
//! drift apart.

use crate::backend::{render, render_live, RenderContext, RenderError};
use crate::db::{Connection, DbError};
use crate::dialect::Dialect;
use crate::ops::Operation;
use crate::project::Project;
use crate::script::graph::{Direction, VersionChange};
use crate::script::RevisionFile;

use super::{version_table, RunError};
use crate::runner::runlog::{Resume, RevisionLog};

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
    /// Sends one statement of a revision's body.
    async fn statement(&mut self, sql: &str) -> Result<(), DbError>;
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
    /// Updates the version table.
    async fn version_change(&mut self, table: &str, change: &VersionChange) -> Result<(), String>;
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
    /// Run log hook "revision done": closes the row with the revision's checksum.
    async fn log_finish(&mut self, project: &Project, file: &RevisionFile) -> Result<(), String>;
    /// Checks that nobody moved the version table away from `rows` (online, under a
    /// file lock, at the start of each migration's transaction).
    async fn check_rows_unchanged(&mut self, table: &str, rows: &[String]) -> Result<(), RunError>;
}

/// Runs the statements on a connection.
pub(crate) struct Executor<'c> {
    pub(crate) conn: &'c mut Connection,
    open: bool,
    /// The run log row of the revision running now.
    log: Option<RevisionLog>,
}

impl<'c> Executor<'c> {
    /// An executor over `conn`, with no transaction open.
    pub(crate) fn new(conn: &'c mut Connection) -> Self {
        Executor {
            conn,
            open: false,
            log: None,
        }
    }

    /// Commits without the backend's pre-commit check: for a run that changed no table
    /// of the schema (nothing to run), where the check could only find what was
    /// there before.
    pub(crate) async fn commit_unchecked(&mut self) -> Result<(), RunError> {
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
    async fn statement(&mut self, sql: &str) -> Result<(), DbError> {
        let Some(log) = self.log.as_mut() else {
            return self.conn.execute(sql).await.map(|_| ());
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
            Err(e) => return Err(e),
        }
        log.statement_done(self.conn)
            .await
            .map_err(|message| DbError::Statement {
                sql: sql.to_string(),
                message,
            })
    }

    async fn render(
        &mut self,
        op: &Operation,
        ctx: &RenderContext,
    ) -> Result<Vec<String>, RenderError> {
        render_live(op, self.conn, ctx).await
    }

    async fn begin(&mut self) -> Result<(), RunError> {
        let sql = self.conn.dialect().backend().begin_sql();
        self.conn
            .execute(sql)
            .await
            .map_err(|e| RunError::plain(e.to_string()))?;
        self.open = true;
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), RunError> {
        self.foreign_key_check().await?;
        self.commit_unchecked().await
    }

    async fn rollback(&mut self) {
        if self.open {
            let _ = self.conn.execute("ROLLBACK").await;
            self.open = false;
        }
    }

    fn announce(&mut self, _description: &str) {}

    async fn version_change(&mut self, table: &str, change: &VersionChange) -> Result<(), String> {
        version_table::apply(self.conn, table, change).await
    }

    async fn log_start(
        &mut self,
        project: &Project,
        file: &RevisionFile,
        direction: Direction,
        resume: Option<Resume>,
    ) -> Result<(), String> {
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
        if let Some(log) = self.log.take() {
            log.failed(self.conn).await;
        }
    }

    async fn log_finish(&mut self, project: &Project, file: &RevisionFile) -> Result<(), String> {
        match self.log.take() {
            Some(log) => log.finish(self.conn, project, file).await,
            None => Ok(()),
        }
    }

    async fn check_rows_unchanged(&mut self, table: &str, rows: &[String]) -> Result<(), RunError> {
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
    /// The script so far.
    pub(crate) out: String,
}

impl Printer {
    /// An empty script for `dialect`.
    pub(crate) fn new(dialect: Dialect) -> Self {
        Printer {
            dialect,
            open: false,
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

    async fn statement(&mut self, sql: &str) -> Result<(), DbError> {
        self.out
            .push_str(&self.dialect.backend().offline_statement(sql));
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

    async fn version_change(&mut self, table: &str, change: &VersionChange) -> Result<(), String> {
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

    async fn log_finish(&mut self, _project: &Project, _file: &RevisionFile) -> Result<(), String> {
        Ok(())
    }

    async fn check_rows_unchanged(
        &mut self,
        _table: &str,
        _rows: &[String],
    ) -> Result<(), RunError> {
        Ok(())
    }
}
