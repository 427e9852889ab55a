//! The runner: applies revisions while keeping the version table, inside the
//! transactions SPEC §6 prescribes, under a lock; or prints the SQL it would run.

pub mod lock;
mod lock_timeout;
pub mod version_table;

use std::fmt;
use std::time::Instant;

use crate::backend::RenderContext;
use crate::db::Connection;
use crate::dialect::Dialect;
use crate::project::Project;
use crate::script::graph::{apply_changes, Direction, Step, VersionChange};

mod statements;

pub use statements::{known_enums, operations, EnumHistory};

/// What a failed run knows about the failure.
#[derive(Debug, Default)]
pub struct RunErrorData {
    /// The revision that failed, if the failure was in one.
    pub revision: Option<String>,
    /// Its file.
    pub file: Option<String>,
    /// The operation (for YAML revisions) that failed.
    pub operation: Option<String>,
    /// The SQL statement that failed.
    pub sql: Option<String>,
    /// What went wrong (the database's message, or ours).
    pub message: String,
    /// What state the database was left in.
    pub outcome: Option<String>,
}

/// A failed run, with everything needed to find and fix the problem.
#[derive(Debug)]
pub struct RunError(Box<RunErrorData>);

impl std::ops::Deref for RunError {
    type Target = RunErrorData;
    fn deref(&self) -> &RunErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for RunError {
    fn deref_mut(&mut self) -> &mut RunErrorData {
        &mut self.0
    }
}

impl From<RunErrorData> for RunError {
    fn from(data: RunErrorData) -> RunError {
        RunError(Box::new(data))
    }
}

impl RunError {
    fn plain(message: impl Into<String>) -> RunError {
        RunErrorData {
            message: message.into(),
            ..RunErrorData::default()
        }
        .into()
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rev) = &self.revision {
            write!(f, "revision {rev}")?;
            if let Some(file) = &self.file {
                write!(f, " ({file})")?;
            }
            if let Some(op) = &self.operation {
                write!(f, ", operation {op}")?;
            }
            writeln!(f, " failed:")?;
            write!(f, "  {}", self.message.replace('\n', "\n  "))?;
        } else {
            write!(f, "{}", self.message)?;
        }
        if let Some(sql) = &self.sql {
            if !self.message.contains("SQL: ") {
                write!(f, "\n  SQL: {sql}")?;
            }
        }
        if let Some(outcome) = &self.outcome {
            write!(f, "\n{outcome}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RunError {}

/// What a command asks the runner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `upgrade TARGET`.
    Upgrade(String),
    /// `downgrade TARGET`.
    Downgrade(String),
}

/// Progress reporting: one line per revision applied (suppressed with `-q`).
pub type Progress<'a> = &'a mut dyn FnMut(&str);

fn describe_step(project: &Project, step: &Step) -> String {
    let (word, from, to) = match step.direction {
        Direction::Up => {
            let parents = project
                .file(&step.revision)
                .map(|f| f.down_revisions.join(", "))
                .unwrap_or_default();
            (
                "upgrade",
                if parents.is_empty() {
                    "<base>".to_string()
                } else {
                    parents
                },
                step.revision.clone(),
            )
        }
        Direction::Down => {
            let parents = project
                .file(&step.revision)
                .map(|f| f.down_revisions.join(", "))
                .unwrap_or_default();
            (
                "downgrade",
                step.revision.clone(),
                if parents.is_empty() {
                    "<base>".to_string()
                } else {
                    parents
                },
            )
        }
    };
    let message = project
        .file(&step.revision)
        .map(|f| f.message.as_str())
        .unwrap_or("");
    format!(
        "Running {word} {from} -> {to}, {}",
        crate::script::escape_controls(message)
    )
}

fn plan(project: &Project, rows: &[String], command: &Command) -> Result<Vec<Step>, RunError> {
    if let Command::Upgrade(_) = command {
        project.graph.check_rows_overlap(rows).map_err(|e| {
            RunError::plain(format!(
                "{e}. Run `retort current` to see the rows and `retort stamp --purge REV` to reset the version table {} to the revision the database is really at",
                project.config.version_table
            ))
        })?;
    }
    let res = match command {
        Command::Upgrade(t) => project.graph.plan_upgrade(rows, t),
        Command::Downgrade(t) => project.graph.plan_downgrade(rows, t),
    };
    res.map_err(|e| RunError::plain(e.to_string()))
}

/// Checks that every version row names a known revision.
fn check_rows(project: &Project, rows: &[String], table: &str) -> Result<(), RunError> {
    let unknown: Vec<&String> = rows
        .iter()
        .filter(|r| project.graph.get(r).is_none())
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(RunError::plain(format!(
        "the version table {table} names revision(s) {} that no file in {} defines; if the database is right and the files moved on, run `retort stamp --purge REV` to reset it",
        unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
        project.config.versions.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )))
}

/// Whether a revision step runs outside any transaction: `transactional: false`, or an
/// operation the backend cannot run inside one (`create_index` with `concurrently: true`
/// on PostgreSQL). Only meaningful where DDL is transactional.
fn outside_transaction(
    project: &Project,
    file: &crate::script::RevisionFile,
    direction: Direction,
    dialect: Dialect,
) -> bool {
    dialect.backend().transactional_ddl()
        && (!file.transactional
            || operations(project, file, direction).is_ok_and(|ops| {
                ops.iter()
                    .any(|op| op.is_concurrent_index() && dialect.backend().has_concurrent_index())
            }))
}

/// Reads the current version rows (read-only: never creates the table, nor a SQLite file).
pub async fn current(project: &Project, url: &str) -> Result<Vec<String>, RunError> {
    let mut conn = Connection::connect_read_only(url)
        .await
        .map_err(|e| RunError::plain(e.to_string()))?;
    let rows = version_table::read(&mut conn, &project.config.version_table)
        .await
        .map_err(|e| RunError::plain(e.to_string()))?;
    conn.close().await;
    Ok(rows)
}

/// Whether the runner's connection has a transaction open.
pub(crate) struct Txn {
    open: bool,
}

async fn begin(conn: &mut Connection, txn: &mut Txn) -> Result<(), RunError> {
    let sql = conn.dialect().backend().begin_sql();
    conn.execute(sql)
        .await
        .map_err(|e| RunError::plain(e.to_string()))?;
    txn.open = true;
    Ok(())
}

/// Runs the backend's check before a commit (SQLite's foreign keys, switched off for
/// the run).
async fn foreign_key_check(conn: &mut Connection) -> Result<(), RunError> {
    let Some(check) = conn.dialect().backend().pre_commit_check_sql() else {
        return Ok(());
    };
    let rows = conn
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

async fn commit(conn: &mut Connection, txn: &mut Txn) -> Result<(), RunError> {
    foreign_key_check(conn).await?;
    conn.execute("COMMIT")
        .await
        .map_err(|e| RunError::plain(e.to_string()))?;
    txn.open = false;
    Ok(())
}

async fn rollback(conn: &mut Connection, txn: &mut Txn) {
    if txn.open {
        let _ = conn.execute("ROLLBACK").await;
        txn.open = false;
    }
}

/// Runs `upgrade`/`downgrade` against the database at `url`; returns the final rows.
/// Enum values come from the revision history ([`EnumHistory`]), never from
/// `schema.yaml`.
pub async fn run(
    project: &Project,
    url: &str,
    command: &Command,
    progress: Progress<'_>,
) -> Result<Vec<String>, RunError> {
    let mut conn = Connection::connect(url)
        .await
        .map_err(|e| RunError::plain(e.to_string()))?;
    let table = project.config.version_table.clone();
    let held = lock::acquire(&mut conn, url, &table, &mut |m| progress(m))
        .await
        .map_err(RunError::plain)?;
    let dialect = conn.dialect();
    for sql in dialect.backend().run_prologue() {
        conn.execute(sql)
            .await
            .map_err(|e| RunError::plain(e.to_string()))?;
    }
    let result = run_locked(project, &mut conn, command, progress).await;
    for sql in dialect.backend().run_epilogue() {
        let _ = conn.execute(sql).await;
    }
    lock::release(&mut conn, &table, held).await;
    conn.close().await;
    result
}

async fn run_locked(
    project: &Project,
    conn: &mut Connection,
    command: &Command,
    progress: Progress<'_>,
) -> Result<Vec<String>, RunError> {
    let dialect = conn.dialect();
    let table = &project.config.version_table;
    let per_migration =
        project.config.transaction_per_migration || !dialect.backend().transactional_ddl();
    let mut txn = Txn { open: false };
    if !per_migration {
        begin(conn, &mut txn).await?;
    }
    // Read the rows only now, under the lock (and inside the run's transaction).
    let mut rows = match version_table::read(conn, table).await {
        Ok(r) => r,
        Err(e) => {
            rollback(conn, &mut txn).await;
            return Err(RunError::plain(e.to_string()));
        }
    };
    let steps = match check_rows(project, &rows, table).and_then(|_| plan(project, &rows, command))
    {
        Ok(s) => s,
        Err(e) => {
            rollback(conn, &mut txn).await;
            return Err(e);
        }
    };
    if steps.is_empty() {
        if txn.open {
            commit(conn, &mut txn).await?;
        }
        return Ok(rows);
    }
    if let Err(e) = version_table::ensure(conn, table).await {
        rollback(conn, &mut txn).await;
        return Err(RunError::plain(e.to_string()));
    }
    if let Err(e) = crate::checksum::ensure_log_table(conn, &project.config.log_table).await {
        rollback(conn, &mut txn).await;
        return Err(RunError::plain(e.to_string()));
    }
    let mut ctx = RenderContext::default();
    let mut history = EnumHistory::new(project);
    let mut last_good = rows.clone();
    for step in &steps {
        // The enums as the history defines them where this step starts (a downgrade
        // that cannot say how to take an enum value back still leaves them right).
        ctx.schema.enums = history.enums_at(&rows);
        let Some(file) = project.file(&step.revision) else {
            rollback(conn, &mut txn).await;
            return Err(RunError::plain(format!(
                "revision {} has no file",
                step.revision
            )));
        };
        let started = Instant::now();
        let started_at = chrono::Utc::now();
        let outside = outside_transaction(project, file, step.direction, dialect);
        if outside && txn.open {
            commit(conn, &mut txn).await?;
            last_good = rows.clone();
        }
        if per_migration && !outside && dialect.backend().transactional_ddl() {
            begin(conn, &mut txn).await?;
            if dialect.backend().run_lock("", table).is_none() {
                // No session lock (a file lock): make sure nobody moved the rows meanwhile.
                let now = version_table::read(conn, table)
                    .await
                    .map_err(|e| RunError::plain(e.to_string()))?;
                if now != rows {
                    rollback(conn, &mut txn).await;
                    return Err(RunError::plain(format!(
                        "the version table changed while this run was waiting (now {}); another retort run is migrating this database — run again when it has finished",
                        now.join(", ")
                    )));
                }
            }
        }
        let outcome = |txn_open: bool, last_good: &[String]| -> String {
            let at = if last_good.is_empty() {
                "<base>".to_string()
            } else {
                last_good.join(", ")
            };
            if !dialect.backend().transactional_ddl() {
                format!(
                    "MySQL commits DDL as it runs: revision {} may be partly applied; the version table is at {at}. Check the database before running again.",
                    step.revision
                )
            } else if txn_open && !per_migration {
                "The run was rolled back: the database is as it was before the run.".to_string()
            } else if txn_open {
                format!(
                    "Revision {} was rolled back; the database is at {at}.",
                    step.revision
                )
            } else if dialect.backend().atomic_operations_outside_transactions()
                && matches!(file.body, crate::script::RevisionBody::Yaml { .. })
            {
                format!("Revision {} ran outside a transaction (transactional: false): its operations since the last execute were rolled back together, and earlier ones stay applied; the version table is at {at}.", step.revision)
            } else {
                format!("Revision {} ran outside a transaction and may be partly applied; the version table is at {at}.", step.revision)
            }
        };
        // SQLite can make every rendered operation atomic even here (see run_revision).
        let sqlite_atomic = outside && dialect.backend().atomic_operations_outside_transactions();
        if let Err(mut e) = lock_timeout::run_step(
            project,
            file,
            step.direction,
            conn,
            &mut ctx,
            &mut txn,
            sqlite_atomic,
        )
        .await
        {
            e.outcome = Some(outcome(txn.open, &last_good));
            rollback(conn, &mut txn).await;
            return Err(e);
        }
        for change in &step.changes {
            if let Err(msg) = version_table::apply(conn, table, change).await {
                let mut e = RunError::plain(msg);
                e.revision = Some(step.revision.clone());
                e.outcome = Some(outcome(txn.open, &last_good));
                rollback(conn, &mut txn).await;
                return Err(e);
            }
        }
        // The step succeeded: record it in the run log, with the revision's checksum.
        if let Err(msg) =
            crate::checksum::record_step(conn, project, file, step.direction, started_at).await
        {
            let mut e = RunError::plain(msg.to_string());
            e.revision = Some(step.revision.clone());
            e.outcome = Some(outcome(txn.open, &last_good));
            rollback(conn, &mut txn).await;
            return Err(e);
        }
        apply_changes(&mut rows, &step.changes).map_err(|e| RunError::plain(e.to_string()))?;
        rows.sort();
        if txn.open && (per_migration || outside) {
            commit(conn, &mut txn).await?;
        }
        if !per_migration && !txn.open {
            begin(conn, &mut txn).await?;
        }
        if per_migration || !dialect.backend().transactional_ddl() {
            last_good = rows.clone();
        }
        progress(&format!(
            "{} ({} ms)",
            describe_step(project, step),
            started.elapsed().as_millis()
        ));
    }
    if txn.open {
        if let Err(mut e) = commit(conn, &mut txn).await {
            rollback(conn, &mut txn).await;
            e.outcome =
                Some("The run was rolled back: the database is as it was before the run.".into());
            return Err(e);
        }
    }
    Ok(rows)
}

/// `stamp`: sets the version table to `targets` without running revisions.
pub async fn stamp(
    project: &Project,
    url: &str,
    targets: &[String],
    purge: bool,
) -> Result<Vec<String>, RunError> {
    let mut conn = Connection::connect(url)
        .await
        .map_err(|e| RunError::plain(e.to_string()))?;
    let table = project.config.version_table.clone();
    let held = lock::acquire(&mut conn, url, &table, &mut |_| {})
        .await
        .map_err(RunError::plain)?;
    let result = async {
        let mut txn = Txn { open: false };
        if conn.dialect().backend().transactional_ddl() {
            begin(&mut conn, &mut txn).await?;
        }
        let inner = async {
            version_table::ensure(&mut conn, &table)
                .await
                .map_err(|e| RunError::plain(e.to_string()))?;
            let mut rows = version_table::read(&mut conn, &table)
                .await
                .map_err(|e| RunError::plain(e.to_string()))?;
            if purge {
                conn.execute(&format!(
                    "DELETE FROM {}",
                    conn.dialect().backend().quote(&table)
                ))
                .await
                .map_err(|e| RunError::plain(e.to_string()))?;
                rows.clear();
            } else {
                check_rows(project, &rows, &table)?;
            }
            project
                .graph
                .check_stamp_targets(&rows, targets)
                .map_err(|e| RunError::plain(e.to_string()))?;
            let changes = project
                .graph
                .plan_stamp(&rows, targets)
                .map_err(|e| RunError::plain(e.to_string()))?;
            for change in &changes {
                version_table::apply(&mut conn, &table, change)
                    .await
                    .map_err(RunError::plain)?;
            }
            apply_changes(&mut rows, &changes).map_err(|e| RunError::plain(e.to_string()))?;
            rows.sort();
            Ok::<_, RunError>(rows)
        }
        .await;
        match inner {
            Ok(rows) => {
                if txn.open {
                    commit(&mut conn, &mut txn).await?;
                }
                Ok(rows)
            }
            Err(e) => {
                rollback(&mut conn, &mut txn).await;
                Err(e)
            }
        }
    }
    .await;
    lock::release(&mut conn, &table, held).await;
    conn.close().await;
    result
}

/// Offline mode: the SQL script `command` would run, starting from `start` rows
/// (base when `None`), for `dialect`; no connection is made.
pub fn offline_script(
    project: &Project,
    dialect: Dialect,
    start: Option<&str>,
    command: &Command,
) -> Result<String, RunError> {
    let table = &project.config.version_table;
    let mut rows: Vec<String> = match start {
        None => Vec::new(),
        Some(s) => project
            .graph
            .resolve(s, &[])
            .map_err(|e| RunError::plain(e.to_string()))?,
    };
    if let (Some(s), Command::Upgrade(t)) = (start, command) {
        project
            .graph
            .check_upgrade_range(s, &rows, t)
            .map_err(|e| RunError::plain(e.to_string()))?;
    }
    let steps = plan(project, &rows, command)?;
    let per_migration = project.config.transaction_per_migration;
    let mut out = String::new();
    let stmt = |out: &mut String, sql: &str| {
        out.push_str(sql.trim_end().trim_end_matches(';'));
        out.push_str(";\n\n");
    };
    let mut ctx = replay(project, &rows, dialect)?;
    let mut history = EnumHistory::new(project);
    for sql in dialect.backend().run_prologue() {
        stmt(&mut out, sql);
    }
    let transactional = dialect.backend().transactional_ddl();
    let mut open = false;
    if transactional && !per_migration {
        stmt(&mut out, "BEGIN");
        open = true;
    }
    if start.is_none() {
        stmt(&mut out, &version_table::create_sql(dialect, table));
        // The run log exists as online; offline runs record no checksums in it.
        stmt(
            &mut out,
            &crate::checksum::log_table_sql(dialect, &project.config.log_table),
        );
    }
    for step in &steps {
        let file = project
            .file(&step.revision)
            .ok_or_else(|| RunError::plain(format!("revision {} has no file", step.revision)))?;
        let outside = outside_transaction(project, file, step.direction, dialect);
        if outside && open {
            stmt(&mut out, "COMMIT");
            open = false;
        }
        if transactional && per_migration && !outside {
            stmt(&mut out, "BEGIN");
            open = true;
        }
        out.push_str(&format!("-- {}\n\n", describe_step(project, step)));
        ctx.schema.enums = history.enums_at(&rows);
        let atomic_ops = outside && dialect.backend().atomic_operations_outside_transactions();
        let (body, group_open) = statements::offline_statements(
            project,
            file,
            step.direction,
            dialect,
            &mut ctx,
            atomic_ops,
        )?;
        open = open || group_open;
        let timeout = file
            .lock_timeout
            .and_then(|ms| dialect.backend().lock_timeout_sql(ms));
        let body: Vec<String> = match &timeout {
            Some(set) => std::iter::once(set.clone())
                .chain(body)
                .chain(dialect.backend().lock_timeout_reset_sql())
                .collect(),
            None => body,
        };
        for sql in body {
            out.push_str(&dialect.backend().offline_statement(&sql));
        }
        for change in &step.changes {
            stmt(&mut out, &version_table::change_sql(dialect, table, change));
        }
        apply_changes(&mut rows, &step.changes).map_err(|e| RunError::plain(e.to_string()))?;
        if open && (per_migration || outside) {
            stmt(&mut out, "COMMIT");
            open = false;
        }
        if transactional && !per_migration && !open {
            stmt(&mut out, "BEGIN");
            open = true;
        }
    }
    if open {
        stmt(&mut out, "COMMIT");
    }
    for sql in dialect.backend().run_epilogue() {
        stmt(&mut out, sql);
    }
    Ok(out)
}

/// Offline `stamp`: the version-table statements only.
pub fn offline_stamp(
    project: &Project,
    dialect: Dialect,
    start: Option<&str>,
    targets: &[String],
    purge: bool,
) -> Result<String, RunError> {
    let table = &project.config.version_table;
    let mut out = String::new();
    // Like every other offline script: one transaction where DDL is transactional.
    let transactional = dialect.backend().transactional_ddl();
    if transactional {
        out.push_str("BEGIN;\n\n");
    }
    let rows: Vec<String> = match start {
        None => {
            out.push_str(&format!(
                "{};\n\n",
                version_table::create_sql(dialect, table)
            ));
            Vec::new()
        }
        Some(s) => project
            .graph
            .resolve(s, &[])
            .map_err(|e| RunError::plain(e.to_string()))?,
    };
    project
        .graph
        .check_stamp_targets(&rows, targets)
        .map_err(|e| RunError::plain(e.to_string()))?;
    let rows = if purge {
        out.push_str(&format!(
            "DELETE FROM {};\n\n",
            dialect.backend().quote(table)
        ));
        Vec::new()
    } else {
        rows
    };
    let changes: Vec<VersionChange> = project
        .graph
        .plan_stamp(&rows, targets)
        .map_err(|e| RunError::plain(e.to_string()))?;
    for change in &changes {
        out.push_str(&format!(
            "{};\n\n",
            version_table::change_sql(dialect, table, change)
        ));
    }
    if transactional {
        out.push_str("COMMIT;\n\n");
    }
    Ok(out)
}

/// The schema as the upgrades from base to `rows` built it, for offline rendering.
fn replay(project: &Project, rows: &[String], dialect: Dialect) -> Result<RenderContext, RunError> {
    let mut ctx = RenderContext::default();
    let mut have: Vec<String> = Vec::new();
    for r in rows {
        let steps = project
            .graph
            .plan_upgrade(&have, r)
            .map_err(|e| RunError::plain(e.to_string()))?;
        for step in &steps {
            apply_changes(&mut have, &step.changes).map_err(|e| RunError::plain(e.to_string()))?;
            if let Some(file) = project.file(&step.revision) {
                statements::offline_statements(
                    project,
                    file,
                    Direction::Up,
                    dialect,
                    &mut ctx,
                    false,
                )?;
            }
        }
    }
    Ok(ctx)
}
