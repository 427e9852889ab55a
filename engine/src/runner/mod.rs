//! The runner: applies revisions while keeping the version table, inside the
//! transactions SPEC §6 prescribes, under a lock; or prints the SQL it would run.

pub mod checksum;
pub mod lock;
mod lock_timeout;
pub mod runlog;
mod sink;
mod start;
pub mod version_table;

use std::fmt;
use std::future::Future;
use std::time::Instant;

use crate::backend::RenderContext;
use crate::config::Config;
use crate::db::{Connection, DbError};
use crate::dialect::Dialect;
use crate::project::Project;
use crate::script::graph::{apply_changes, Direction, Step, VersionChange};

use sink::{Executor, Printer, StatementSink};

mod statements;

pub use statements::{known_enums, operations, EnumHistory, Operations};

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

    /// A failure of `revision` (when a revision was running), saying `message`.
    fn in_revision(message: impl Into<String>, revision: Option<&str>) -> RunError {
        RunErrorData {
            revision: revision.map(str::to_string),
            message: message.into(),
            ..RunErrorData::default()
        }
        .into()
    }
}

/// A revision's progress line: its description and how long it took.
fn progress_line(description: &str, took: std::time::Duration) -> String {
    format!("{description} ({} ms)", took.as_millis())
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

/// The checks before a run ([`crate::validate::check_before_run`]) of the revisions
/// `steps` run: nothing runs when one of them has a mistake.
fn check_steps(project: &Project, dialect: Dialect, steps: &[Step]) -> Result<(), RunError> {
    let mut seen = std::collections::HashSet::new();
    let files: Vec<&crate::script::RevisionFile> = steps
        .iter()
        .filter(|step| seen.insert(step.revision.as_str()))
        .filter_map(|step| project.file(&step.revision))
        .collect();
    let problems = crate::validate::check_before_run(project, Some(dialect), &files);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(RunError::plain(format!(
            "the revision files have mistakes; nothing was run:\n{problems}"
        )))
    }
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
    let mut conn = connect_read_only(url).await?;
    let rows = version_rows(&mut conn, project).await;
    conn.close().await;
    rows
}

/// [`current`], and on the same connection the revisions the run log shows unfinished
/// (what `retort current` warns about; reading them may fail on its own).
pub async fn current_and_unfinished(
    project: &Project,
    url: &str,
) -> Result<
    (
        Vec<String>,
        Result<Vec<runlog::Unfinished>, runlog::RunLogError>,
    ),
    RunError,
> {
    let mut conn = connect_read_only(url).await?;
    let rows = version_rows(&mut conn, project).await;
    let unfinished = match &rows {
        Ok(_) => runlog::unfinished(&mut conn, project)
            .await
            .map_err(|message| runlog::RunLogError {
                table: project.config.log_table.clone(),
                message,
            }),
        Err(_) => Ok(Vec::new()),
    };
    conn.close().await;
    Ok((rows?, unfinished))
}

async fn connect_read_only(url: &str) -> Result<Connection, RunError> {
    Connection::connect_read_only(url)
        .await
        .map_err(|e| RunError::plain(e.to_string()))
}

async fn version_rows(conn: &mut Connection, project: &Project) -> Result<Vec<String>, RunError> {
    version_table::read(conn, &project.config.version_table)
        .await
        .map_err(|e| RunError::plain(e.to_string()))
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
    run_with(project, url, command, RunOptions::default(), progress).await
}

/// Called under the run's lock, before anything runs, with the applied revisions whose
/// files changed since they ran (by the run log's checksums); an `Err` (its message)
/// stops the run.
pub type OnChanged<'a> = &'a mut dyn FnMut(&[checksum::ChangedRevision]) -> Result<(), String>;

/// A connection being opened in the background while the caller does other work (reads
/// the revision files), and the run started on it where it can be ([`start::ahead`]):
/// see [`EarlyConnection::start`].
pub struct EarlyConnection(tokio::task::JoinHandle<Result<Early, DbError>>);

/// What an [`EarlyConnection`] got done.
struct Early {
    conn: Connection,
    started: Option<start::Started>,
}

impl EarlyConnection {
    /// Starts connecting to `url`, unless connecting may create the database (SQLite: a
    /// run checks what it would do before it creates the file), then starts the run
    /// `config` describes. It progresses while the caller awaits something else on the
    /// runtime; dropped unfinished, its connection closes (and with it its lock).
    pub fn start(url: &str, config: &Config) -> Option<EarlyConnection> {
        let dialect = Dialect::from_url(url)?;
        if dialect.backend().connecting_creates_database() {
            return None;
        }
        let url = url.to_string();
        let config = config.clone();
        Some(EarlyConnection(tokio::spawn(async move {
            let mut conn = Connection::connect(&url).await?;
            let started = start::ahead(&mut conn, &config).await;
            Ok(Early { conn, started })
        })))
    }

    /// The connection and the run started on it, or why it could not be made.
    async fn finish(self, url: &str) -> Result<Early, DbError> {
        self.0.await.unwrap_or_else(|e| {
            Err(DbError::Connect {
                url: crate::db::mask_url(url),
                reason: format!("connecting stopped: {e}"),
            })
        })
    }
}

/// What an online run does besides its command.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// The run's connection, opened while the caller read the revision files (else the
    /// run connects to its URL itself).
    pub connection: Option<EarlyConnection>,
    /// First run the rest of the revision an interrupted run left unfinished (see
    /// [`crate::runner::runlog`]), which must be the plan's first step.
    pub resume: bool,
    /// Compare the applied revisions with their checksums, on the run's own
    /// connection, and report the changed ones here.
    pub on_changed: Option<OnChanged<'a>>,
}

/// [`run`] with [`RunOptions`].
pub async fn run_with(
    project: &Project,
    url: &str,
    command: &Command,
    mut options: RunOptions<'_>,
    progress: Progress<'_>,
) -> Result<Vec<String>, RunError> {
    // A SQLite database that does not exist yet is at base: what would run is checked
    // before connecting creates its file, so that a refused run leaves no file behind.
    let mut checked = None;
    if let (Some(file), Some(dialect)) = (lock::sqlite_file(url), Dialect::from_url(url)) {
        if !file.exists() {
            let steps = plan(project, &[], command)?;
            check_steps(project, dialect, &steps)?;
            checked = Some(steps);
        }
    }
    let early = options.connection.take();
    let connected = match early {
        Some(early) => early.finish(url).await,
        None => Connection::connect(url).await.map(|conn| Early {
            conn,
            started: None,
        }),
    };
    let Early { mut conn, started } = connected.map_err(|e| RunError::plain(e.to_string()))?;
    let dialect = conn.dialect();
    let (held, started) = match started {
        Some(s) => (s.lock, Some((s.in_transaction, s.start))),
        None => {
            let table = project.config.version_table.clone();
            let held = lock::acquire(&mut conn, url, &table, &mut |m| progress(m))
                .await
                .map_err(RunError::plain)?;
            for sql in dialect.backend().run_prologue() {
                conn.execute(sql)
                    .await
                    .map_err(|e| RunError::plain(e.to_string()))?;
            }
            (held, None)
        }
    };
    let result = run_locked(
        project, &mut conn, command, options, checked, started, progress,
    )
    .await;
    for sql in dialect.backend().run_epilogue() {
        let _ = conn.execute(sql).await;
    }
    lock::release(&mut conn, held).await;
    conn.close().await;
    result
}

/// [`start::per_migration`] for `project`.
fn per_migration(project: &Project, dialect: Dialect) -> bool {
    start::per_migration(&project.config, dialect)
}

/// The run under its lock; `checked`: the steps [`check_steps`] passed already (the
/// plan of a SQLite file that did not exist), not checked again if the plan is the same;
/// `started`: whether the run's transaction is open, and what it read, when the run was
/// started ahead ([`start::ahead`]).
async fn run_locked(
    project: &Project,
    conn: &mut Connection,
    command: &Command,
    options: RunOptions<'_>,
    checked: Option<Vec<Step>>,
    started: Option<(bool, start::RunStart)>,
    progress: Progress<'_>,
) -> Result<Vec<String>, RunError> {
    let RunOptions {
        resume, on_changed, ..
    } = options;
    let table = &project.config.version_table;
    let mut sink = Executor::batching(conn);
    let whole_run_transaction = !per_migration(project, sink.dialect());
    let first_reads = match started {
        Some((in_transaction, read)) => {
            debug_assert_eq!(in_transaction, whole_run_transaction);
            if in_transaction {
                sink.adopt_transaction();
            }
            read
        }
        None => {
            if whole_run_transaction {
                sink.begin().await?;
            }
            // Read only now, under the lock (and inside the run's transaction).
            match start::read(sink.conn, &project.config, on_changed.is_some()).await {
                Ok(r) => r,
                Err(e) => {
                    sink.rollback().await;
                    return Err(e);
                }
            }
        }
    };
    let start::RunStart {
        mut rows,
        log_columns,
        file_sums,
        unfinished,
    } = first_reads;
    if let Some(on_changed) = on_changed {
        let reported = match checksum::changed_revisions_with(
            project,
            sink.conn,
            &rows,
            &log_columns,
            file_sums,
        )
        .await
        {
            Ok(changed) => on_changed(&changed),
            Err(e) => Err(format!(
                "checking the checksums of applied revisions failed: {e}"
            )),
        };
        if let Err(message) = reported {
            sink.rollback().await;
            return Err(RunError::plain(message));
        }
    }
    let dialect = sink.dialect();
    let steps = match check_rows(project, &rows, table)
        .and_then(|_| plan(project, &rows, command))
        .and_then(|steps| {
            if checked.as_ref() == Some(&steps) {
                return Ok(steps);
            }
            check_steps(project, dialect, &steps).map(|_| steps)
        }) {
        Ok(s) => s,
        Err(e) => {
            sink.rollback().await;
            return Err(e);
        }
    };
    // Run log hook "run starting": an unfinished revision stops the run (or is resumed).
    let resume_at = match crate::runner::runlog::check_before_run(
        sink.conn, project, unfinished, &rows, &steps, resume,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            sink.rollback().await;
            return Err(RunError::plain(e));
        }
    };
    if steps.is_empty() {
        if sink.in_transaction() {
            sink.commit_unchecked().await?;
        }
        return Ok(rows);
    }
    if let Err(e) = version_table::ensure(sink.conn, table).await {
        sink.rollback().await;
        return Err(RunError::plain(e.to_string()));
    }
    if let Err(e) =
        crate::runner::checksum::ensure_log_table(sink.conn, &project.config.log_table).await
    {
        sink.rollback().await;
        return Err(RunError::plain(e.to_string()));
    }
    let mut ctx = RenderContext::default();
    run_steps(
        project, &mut sink, &steps, &mut rows, &mut ctx, resume_at, progress,
    )
    .await?;
    Ok(rows)
}

/// What state the database is left in when `step` fails.
fn failure_outcome(
    dialect: Dialect,
    per_migration: bool,
    step: &Step,
    file: &crate::script::RevisionFile,
    txn_open: bool,
    last_good: &[String],
) -> String {
    let at = if last_good.is_empty() {
        "<base>".to_string()
    } else {
        last_good.join(", ")
    };
    if !dialect.backend().transactional_ddl() {
        format!(
            "MySQL commits DDL as it runs: revision {} may be partly applied; the version table is at {at}. The run log records how far it got: fix the cause, then `--resume` runs the rest (or fix by hand and `retort stamp`).",
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
}

/// The run loop, the same online and offline: walks `steps` from `rows`, opening and
/// committing transactions (per run, per migration, none for revisions that run
/// outside one, SQLite's atomic groups), sending each revision's statements with its
/// lock timeout, then the version-table changes and the run-log record. `rows` and
/// `ctx` (the schema model the rendering uses) are kept current. A transaction the
/// caller opened for the whole run is committed at the end.
async fn run_steps<S: StatementSink>(
    project: &Project,
    sink: &mut S,
    steps: &[Step],
    rows: &mut Vec<String>,
    ctx: &mut RenderContext,
    mut resume_at: Option<crate::runner::runlog::Resume>,
    progress: Progress<'_>,
) -> Result<(), RunError> {
    let dialect = sink.dialect();
    let table = &project.config.version_table;
    let transactional = dialect.backend().transactional_ddl();
    let per_migration = per_migration(project, dialect);
    let mut history = EnumHistory::new(project);
    let mut last_good = rows.clone();
    for step in steps {
        let Some(file) = project.file(&step.revision) else {
            sink.rollback().await;
            return Err(RunError::plain(format!(
                "revision {} has no file",
                step.revision
            )));
        };
        let started = Instant::now();
        let outside = outside_transaction(project, file, step.direction, dialect);
        if outside && sink.in_transaction() {
            sink.commit().await?;
            last_good = rows.clone();
        }
        if per_migration && !outside && transactional {
            sink.begin().await?;
            if let Err(e) = sink.check_rows_unchanged(table, rows).await {
                sink.rollback().await;
                return Err(e);
            }
        }
        let description = describe_step(project, step);
        sink.announce(&description);
        // The enums as the history defines them where this step starts (a downgrade
        // that cannot say how to take an enum value back still leaves them right).
        ctx.schema.enums = history.enums_at(rows);
        // SQLite can make every rendered operation atomic even here (see run_body).
        let atomic_ops = outside && dialect.backend().atomic_operations_outside_transactions();
        // Run log hook "revision starting" (inside the revision's transaction, if any).
        if let Err(msg) = sink
            .log_start(project, file, step.direction, resume_at.take())
            .await
        {
            let mut e = RunError::plain(msg);
            e.revision = Some(step.revision.clone());
            e.outcome = Some(failure_outcome(
                dialect,
                per_migration,
                step,
                file,
                sink.in_transaction(),
                &last_good,
            ));
            sink.rollback().await;
            return Err(e);
        }
        let mut done =
            lock_timeout::run_step(project, file, step.direction, sink, ctx, atomic_ops).await;
        for notice in sink.log_notices() {
            progress(&notice);
        }
        if done.is_err() {
            sink.log_failed().await;
        }
        if done.is_ok() {
            for change in &step.changes {
                if let Err(e) = sink
                    .version_change(Some(&step.revision), table, change)
                    .await
                {
                    done = Err(e);
                    break;
                }
            }
        }
        if done.is_ok() {
            // The step succeeded: run log hook "revision done", with its checksum.
            if let Err(e) = sink.log_finish(project, file, &description, started).await {
                done = Err(e);
            }
        }
        if done.is_ok() && sink.in_transaction() && (per_migration || outside) {
            // Committing sends what the sink held back of this revision.
            done = sink.commit().await;
        }
        if let Err(mut e) = done {
            e.outcome = Some(failure_outcome(
                dialect,
                per_migration,
                step,
                file,
                sink.in_transaction(),
                &last_good,
            ));
            sink.rollback().await;
            report_finished(sink, progress);
            return Err(e);
        }
        apply_changes(rows, &step.changes).map_err(|e| RunError::plain(e.to_string()))?;
        rows.sort();
        if !per_migration && !sink.in_transaction() {
            sink.begin().await?;
        }
        if per_migration {
            last_good = rows.clone();
        }
        report_finished(sink, progress);
    }
    if sink.in_transaction() {
        if let Err(mut e) = sink.commit().await {
            sink.rollback().await;
            report_finished(sink, progress);
            e.outcome =
                Some("The run was rolled back: the database is as it was before the run.".into());
            return Err(e);
        }
    }
    report_finished(sink, progress);
    Ok(())
}

/// Prints the progress lines of the revisions whose statements have run.
fn report_finished<S: StatementSink>(sink: &mut S, progress: Progress<'_>) {
    for line in sink.take_finished() {
        progress(&line);
    }
}

/// `stamp`: sets the version table to `targets` without running revisions.
pub async fn stamp(
    project: &Project,
    url: &str,
    targets: &[String],
    purge: bool,
) -> Result<Vec<String>, RunError> {
    stamp_with_progress(project, url, targets, purge, &mut |_| {}).await
}

/// [`stamp`], saying on `progress` which unfinished revisions of the run log it closed.
pub async fn stamp_with_progress(
    project: &Project,
    url: &str,
    targets: &[String],
    purge: bool,
    progress: Progress<'_>,
) -> Result<Vec<String>, RunError> {
    let mut conn = Connection::connect(url)
        .await
        .map_err(|e| RunError::plain(e.to_string()))?;
    let table = project.config.version_table.clone();
    let held = lock::acquire(&mut conn, url, &table, &mut |_| {})
        .await
        .map_err(RunError::plain)?;
    let result = stamp_locked(project, &mut conn, &table, targets, purge, progress).await;
    lock::release(&mut conn, held).await;
    conn.close().await;
    result
}

async fn stamp_locked(
    project: &Project,
    conn: &mut Connection,
    table: &str,
    targets: &[String],
    purge: bool,
    progress: Progress<'_>,
) -> Result<Vec<String>, RunError> {
    let mut sink = Executor::new(conn);
    if sink.dialect().backend().transactional_ddl() {
        sink.begin().await?;
    }
    let inner = async {
        version_table::ensure(sink.conn, table)
            .await
            .map_err(|e| RunError::plain(e.to_string()))?;
        let mut rows = version_table::read(sink.conn, table)
            .await
            .map_err(|e| RunError::plain(e.to_string()))?;
        if purge {
            let sql = format!("DELETE FROM {}", sink.dialect().backend().quote(table));
            sink.conn
                .execute(&sql)
                .await
                .map_err(|e| RunError::plain(e.to_string()))?;
            rows.clear();
        } else {
            check_rows(project, &rows, table)?;
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
            sink.version_change(None, table, change).await?;
        }
        apply_changes(&mut rows, &changes).map_err(|e| RunError::plain(e.to_string()))?;
        rows.sort();
        // The run log: unfinished revisions are closed (fixed by hand), the stamp logged.
        let logged = if rows.is_empty() {
            vec!["<base>".to_string()]
        } else {
            rows.clone()
        };
        for notice in crate::runner::runlog::stamped(sink.conn, project, &logged)
            .await
            .map_err(RunError::plain)?
        {
            progress(&notice);
        }
        Ok::<_, RunError>(rows)
    }
    .await;
    match inner {
        Ok(rows) => {
            if sink.in_transaction() {
                sink.commit().await?;
            }
            Ok(rows)
        }
        Err(e) => {
            sink.rollback().await;
            Err(e)
        }
    }
}

/// Offline mode: the SQL script `command` would run, starting from `start` rows
/// (base when `None`), for `dialect`; no connection is made. The script comes from the
/// same run loop as an online run, with a [`Printer`] in place of the connection.
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
    check_steps(project, dialect, &steps)?;
    let mut ctx = replay(project, &rows)?;
    let mut sink = Printer::new(dialect);
    for sql in dialect.backend().run_prologue() {
        sink.write(sql);
    }
    if !per_migration(project, dialect) {
        resolve_now(sink.begin())?;
    }
    if start.is_none() {
        sink.write(&version_table::create_sql(dialect, table));
        // The run log exists as online; offline runs record no checksums in it.
        sink.write(&crate::runner::checksum::log_table_sql(
            dialect,
            &project.config.log_table,
        ));
    }
    resolve_now(run_steps(
        project,
        &mut sink,
        &steps,
        &mut rows,
        &mut ctx,
        None,
        &mut |_| {},
    ))?;
    for sql in dialect.backend().run_epilogue() {
        sink.write(sql);
    }
    Ok(sink.out)
}

/// The result of a future that never waits (the run loop over a [`Printer`], which
/// does no I/O and never retries).
fn resolve_now<T>(future: impl Future<Output = Result<T, RunError>>) -> Result<T, RunError> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(result) => result,
        std::task::Poll::Pending => Err(RunError::plain(
            "the offline script could not be written without waiting, which it never should; please report this as a retort bug",
        )),
    }
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

/// The schema as the upgrades from base to `rows` built it, for offline rendering:
/// each operation's effect applied in place, nothing rendered.
fn replay(project: &Project, rows: &[String]) -> Result<RenderContext, RunError> {
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
                for op in operations(project, file, Direction::Up)?.iter() {
                    let _ = ctx.apply(op);
                }
            }
        }
    }
    Ok(ctx)
}
