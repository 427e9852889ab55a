//! The run log's progress rows: a revision run is logged BEFORE its first statement
//! (status `running`, `statements_done = 0`), its count is raised after each statement
//! that succeeded, and the row is closed (status `done`, end time, duration, checksum)
//! with the version-table update. Where DDL commits as it runs (MySQL/MariaDB), or a
//! revision runs outside a transaction, a run that was killed or failed mid-revision
//! therefore leaves a `running` (or `failed`) row behind, and the next run knows which
//! revision was interrupted and at which statement.
//!
//! Hooks the runner calls (one place each):
//! - [`check_before_run`]: under the run lock, once the version rows are read and the
//!   plan made: refuses while a revision is unfinished, unless `--resume` continues it.
//! - [`RevisionLog::start`]: before a revision's first statement ("revision starting").
//! - [`RevisionLog::statement_done`]: after each statement of the revision succeeded
//!   ("statement n done"); [`RevisionLog::skip_next`] before each, for `--resume`.
//! - [`RevisionLog::finish`]: after the version-table update ("revision done");
//!   [`RevisionLog::failed`] when a statement failed.
//!
//! `stamp` closes unfinished rows ("abandoned by stamp") and logs itself ([`stamped`]).
//!
//! Where DDL is transactional (SQLite, PostgreSQL) the row is written once, complete,
//! when the revision is done (inside its transaction where it has one): a `running` row
//! there could never be seen, and a killed run leaves no row at all.

use crate::db::Connection;
use crate::dialect::Dialect;
use crate::project::Project;
use crate::runner::checksum::{applied_revisions, file_checksum, revision_checksum};
use crate::script::graph::{Direction, Step};
use crate::script::RevisionFile;

/// Status of a revision that started and has not finished.
const RUNNING: &str = "running";
/// Status of a revision whose statement failed (the ones before it stay applied where
/// DDL is not transactional).
const FAILED: &str = "failed";
/// Status of a revision whose first statement failed: nothing of it took effect, so it
/// needs no resuming (fix the cause and run again).
const FAILED_CLEANLY: &str = "failed at statement 1";
/// Status of a finished revision, or a stamp.
const DONE: &str = "done";
/// Status of an unfinished revision closed by `stamp` after fixing by hand.
const ABANDONED: &str = "abandoned by stamp";

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The progress columns, added to a run log table created before they existed.
const PROGRESS_COLUMNS: [(&str, &str); 2] = [
    ("statements_done", "BIGINT NOT NULL DEFAULT 0"),
    ("status", "VARCHAR(40) NOT NULL DEFAULT 'done'"),
];

/// The column of the file checksum ([`crate::runner::checksum::file_checksum`]), added
/// to a run log table created before it existed; rows written before have none.
pub(crate) const FILE_CHECKSUM_COLUMN: (&str, &str) = ("file_checksum", "VARCHAR(64)");

/// The run log table's column names, in lower case.
pub(crate) async fn column_names(
    conn: &mut Connection,
    table: &str,
) -> Result<Vec<String>, String> {
    let sql = conn.dialect().backend().column_names_sql(table);
    let rows = conn
        .query(&sql)
        .await
        .map_err(|e| format!("reading the columns of the run log table {table} failed: {e}"))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .map(|n| n.to_ascii_lowercase())
        .collect())
}

/// True when `names` (a run log table's columns) include the progress columns.
pub(crate) fn progress_columns_in(names: &[String]) -> bool {
    PROGRESS_COLUMNS
        .iter()
        .all(|(c, _)| names.iter().any(|n| n == c))
}

/// Adds the progress columns to a run log table that lacks them (one made by an earlier
/// retort); the table must exist.
pub(crate) async fn ensure_progress_columns(
    conn: &mut Connection,
    table: &str,
) -> Result<(), String> {
    let names = column_names(conn, table).await?;
    let b = conn.dialect().backend();
    for (column, definition) in PROGRESS_COLUMNS.into_iter().chain([FILE_CHECKSUM_COLUMN]) {
        if names.iter().any(|n| n == column) {
            continue;
        }
        let sql = format!(
            "ALTER TABLE {} ADD COLUMN {column} {definition}",
            b.quote(table)
        );
        conn.execute(&sql).await.map_err(|e| {
            format!("adding column {column} to the run log table {table} failed: {e}")
        })?;
    }
    Ok(())
}

/// A revision the run log shows started and not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    /// The revision id.
    pub revision: String,
    /// `up` or `down`.
    pub direction: String,
    /// When it started.
    pub started_at: String,
    /// How many of its statements are known to have succeeded.
    pub statements_done: u64,
    /// True when statement `statements_done + 1` failed (so it did not take effect);
    /// false when the run was killed while it ran (so it may or may not have).
    pub failed: bool,
    /// The retort version that ran it.
    pub retort_version: String,
}

impl Unfinished {
    fn direction(&self) -> Direction {
        if self.direction == "down" {
            Direction::Down
        } else {
            Direction::Up
        }
    }

    fn word(&self) -> &'static str {
        match self.direction() {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        }
    }

    /// One paragraph: which revision, which direction, which statement, and what is
    /// known about that statement.
    pub fn describe(&self, project: &Project) -> String {
        let file = project
            .file(&self.revision)
            .map(|f| format!(" ({})", f.path.display()))
            .unwrap_or_default();
        let next = self.statements_done + 1;
        let state = if self.failed {
            format!("statement {next} failed (it did not take effect)")
        } else {
            format!("the run stopped during statement {next} (it may or may not have been applied: a statement the server received can finish after its client died)")
        };
        format!(
            "the {} of revision {}{file} started at {} (retort {}) did not finish: it was interrupted at statement {next}. Statements 1 to {} ran; {state}; the statements after it did not run",
            self.word(),
            self.revision,
            self.started_at,
            self.retort_version,
            self.statements_done,
        )
    }

    /// The two ways forward, as lines of advice.
    pub fn ways_forward(&self, project: &Project) -> String {
        let parents = project
            .file(&self.revision)
            .map(|f| f.down_revisions.join(" "))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "base".to_string());
        let (finished, undone) = match self.direction() {
            Direction::Up => (self.revision.clone(), parents.clone()),
            Direction::Down => (parents.clone(), self.revision.clone()),
        };
        let statements = match self.direction() {
            Direction::Up => format!("{}:{}", parents.replace(' ', ","), self.revision),
            Direction::Down => format!("{}:{}", self.revision, parents.replace(' ', ",")),
        };
        format!(
            "Either:\n  - run it on: `retort {} --resume TARGET` runs statement {} again and then the rest (statement {} counts as done when the database answers that its change is already there, e.g. `Duplicate column name`); or\n  - fix the database by hand, then `retort stamp {finished}` (the revision's change complete) or `retort stamp {undone}` (undone), which closes this log entry.\nTo see the statements, numbered as here: `retort {} {statements} --sql`.",
            self.word(),
            self.statements_done + 1,
            self.statements_done + 1,
            self.word(),
        )
    }
}

/// The unfinished rows of the run log (none when the table or its progress columns do
/// not exist).
pub(crate) async fn unfinished(
    conn: &mut Connection,
    project: &Project,
) -> Result<Vec<Unfinished>, String> {
    let table = &project.config.log_table;
    let columns = column_names(conn, table).await?;
    read_unfinished(conn, table, &columns).await
}

/// [`unfinished`] in the run log table `table`, knowing its `columns` (read in the
/// same transaction).
pub(crate) async fn read_unfinished(
    conn: &mut Connection,
    table: &str,
    columns: &[String],
) -> Result<Vec<Unfinished>, String> {
    // No columns: no table.
    if !progress_columns_in(columns) {
        return Ok(Vec::new());
    }
    let b = conn.dialect().backend();
    let sql = format!(
        "SELECT revision, direction, started_at, statements_done, status, retort_version FROM {} WHERE status IN ({}, {}) ORDER BY started_at",
        b.quote(table),
        b.literal(RUNNING),
        b.literal(FAILED)
    );
    let rows = conn
        .query(&sql)
        .await
        .map_err(|e| format!("reading the run log table {table} failed: {e}\n  SQL: {sql}"))?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut it = r.into_iter().map(Option::unwrap_or_default);
            let mut next = || it.next().unwrap_or_default();
            Unfinished {
                revision: next(),
                direction: next(),
                started_at: next(),
                statements_done: next().parse().unwrap_or(0),
                failed: next() == FAILED,
                retort_version: next(),
            }
        })
        .collect())
}

/// Reading the run log failed (the message names the table and the SQL).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct RunLogError {
    /// The run log table.
    pub table: String,
    /// What failed.
    pub message: String,
}

async fn set_status(
    conn: &mut Connection,
    table: &str,
    row: &Unfinished,
    status: &str,
) -> Result<(), String> {
    let b = conn.dialect().backend();
    let now = chrono::Utc::now();
    let sql = format!(
        "UPDATE {} SET status = {}, ended_at = {} WHERE revision = {} AND direction = {} AND started_at = {} AND status IN ({}, {})",
        b.quote(table),
        b.literal(status),
        b.literal(&timestamp(now)),
        b.literal(&row.revision),
        b.literal(&row.direction),
        b.literal(&row.started_at),
        b.literal(RUNNING),
        b.literal(FAILED)
    );
    conn.execute(&sql)
        .await
        .map(|_| ())
        .map_err(|e| format!("updating the run log table {table} failed: {e}\n  SQL: {sql}"))
}

/// Where `--resume` picks an interrupted revision up.
#[derive(Debug, Clone)]
pub struct Resume {
    row: Unfinished,
}

/// Hook "run starting": called under the run lock with the [`read_unfinished`] rows,
/// the version rows and the plan. Closes an unfinished row whose revision the version
/// table already shows finished (a run killed between its version update and closing
/// its log row); refuses while another is unfinished, unless `resume` and the plan
/// starts with that revision in the same direction, in which case that is where the run
/// picks up.
pub(crate) async fn check_before_run(
    conn: &mut Connection,
    project: &Project,
    unfinished: Vec<Unfinished>,
    rows: &[String],
    steps: &[Step],
    resume: bool,
) -> Result<Option<Resume>, String> {
    let table = &project.config.log_table;
    let mut applied: Option<Vec<String>> = None;
    let mut open = Vec::new();
    for row in unfinished {
        let is_applied = applied
            .get_or_insert_with(|| applied_revisions(project, rows))
            .contains(&row.revision);
        let finished = match row.direction() {
            Direction::Up => is_applied,
            Direction::Down => !is_applied,
        };
        if finished {
            set_status(conn, table, &row, DONE).await?;
        } else {
            open.push(row);
        }
    }
    let Some(row) = open.into_iter().next() else {
        if resume {
            return Err(
                "--resume: the run log shows no interrupted revision to resume; run without --resume".into(),
            );
        }
        return Ok(None);
    };
    let at = if rows.is_empty() {
        "<base>".to_string()
    } else {
        rows.join(", ")
    };
    if !resume {
        return Err(format!(
            "{}. The version table is at {at}. Nothing was run.\n{}",
            row.describe(project),
            row.ways_forward(project)
        ));
    }
    match steps.first() {
        Some(step) if step.revision == row.revision && step.direction == row.direction() => {
            Ok(Some(Resume { row }))
        }
        _ => Err(format!(
            "--resume continues the interrupted {} of revision {}, but this command does not start with it; run `retort {} --resume TARGET` with a target through it. ({}.)",
            row.word(),
            row.revision,
            row.word(),
            row.describe(project)
        )),
    }
}

/// The log of one revision run: its row in the run log, and how far it got.
#[derive(Debug)]
pub struct RevisionLog {
    table: String,
    revision: String,
    direction: &'static str,
    started_at: String,
    /// Statements done so far (counting those done by the interrupted run).
    done: u64,
    /// Statements still to skip (done by the interrupted run).
    skip: u64,
    /// Resuming a killed run: the first statement run may already have taken effect.
    uncertain_next: bool,
    /// What the user should be told (taken by the runner after the revision ran).
    notices: Vec<String>,
    /// Whether the `running` row exists (else the row is written when done).
    row_written: bool,
}

impl RevisionLog {
    /// Hook "revision starting": logs the revision as running, before its first
    /// statement (or, resuming, takes over the interrupted run's row).
    pub(crate) async fn start(
        conn: &mut Connection,
        project: &Project,
        file: &RevisionFile,
        direction: Direction,
        resume: Option<Resume>,
    ) -> Result<RevisionLog, String> {
        if let Some(Resume { row }) = resume {
            let table = project.config.log_table.clone();
            if row.revision == file.id && row.direction() == direction {
                let b = conn.dialect().backend();
                let sql = format!(
                    "UPDATE {} SET status = {} WHERE revision = {} AND direction = {} AND started_at = {}",
                    b.quote(&table),
                    b.literal(RUNNING),
                    b.literal(&row.revision),
                    b.literal(&row.direction),
                    b.literal(&row.started_at)
                );
                conn.execute(&sql).await.map_err(|e| {
                    format!("updating the run log table {table} failed: {e}\n  SQL: {sql}")
                })?;
                let notice = format!(
                    "Resuming the {} of revision {} at statement {}",
                    row.word(),
                    row.revision,
                    row.statements_done + 1
                );
                return Ok(RevisionLog {
                    table,
                    revision: row.revision,
                    direction: direction_word(direction),
                    started_at: row.started_at,
                    done: row.statements_done,
                    skip: row.statements_done,
                    uncertain_next: !row.failed,
                    notices: vec![notice],
                    row_written: true,
                });
            }
        }
        // Where DDL is transactional the revision is logged once, when done: inside a
        // transaction a `running` row and its progress could never be seen (they commit
        // with the revision or roll back with it), so one INSERT at the end leaves the
        // same row with fewer round trips; outside one (`transactional: false`) a rerun
        // starts the revision over (SQLite makes each of its operations atomic there).
        let (log, insert) = Self::opening(conn.dialect(), project, file, direction)?;
        if let Some((sql, context)) = insert {
            conn.execute(&sql)
                .await
                .map_err(|e| format!("{context}: {e}\n  SQL: {sql}"))?;
        }
        Ok(log)
    }

    /// Hook "revision starting" for a run that sends the row later, with the revision's
    /// first statements: the log of a revision that starts now (not resuming), and the
    /// INSERT of its `running` row with what to say if it fails (none where the row is
    /// written when the revision is done).
    pub(crate) fn opening(
        dialect: Dialect,
        project: &Project,
        file: &RevisionFile,
        direction: Direction,
    ) -> Result<(RevisionLog, Option<(String, String)>), String> {
        let mut log = RevisionLog {
            table: project.config.log_table.clone(),
            revision: file.id.clone(),
            direction: direction_word(direction),
            started_at: timestamp(chrono::Utc::now()),
            done: 0,
            skip: 0,
            uncertain_next: false,
            notices: Vec::new(),
            row_written: false,
        };
        let insert = log.opening_sql(dialect, project, file)?;
        Ok((log, insert))
    }

    /// The INSERT of the `running` row where DDL is not transactional (marking the row
    /// written), with what to say if it fails.
    fn opening_sql(
        &mut self,
        dialect: Dialect,
        project: &Project,
        file: &RevisionFile,
    ) -> Result<Option<(String, String)>, String> {
        if !Self::writes_at_start(dialect, false) {
            return Ok(None);
        }
        let b = dialect.backend();
        let checksum = revision_checksum(project, file).map_err(|e| e.to_string())?;
        let sql = format!(
            "INSERT INTO {} (revision, direction, checksum, file_checksum, started_at, ended_at, duration_ms, retort_version, statements_done, status) VALUES ({}, {}, {}, {}, {}, '', 0, {}, 0, {})",
            b.quote(&self.table),
            b.literal(&file.id),
            b.literal(self.direction),
            b.literal(&checksum),
            b.literal(&file_checksum(project, file)),
            b.literal(&self.started_at),
            b.literal(env!("CARGO_PKG_VERSION")),
            b.literal(RUNNING)
        );
        let context = format!(
            "logging the start of revision {} in the run log table {} failed",
            file.id, self.table
        );
        self.row_written = true;
        Ok(Some((sql, context)))
    }

    /// True when [`RevisionLog::start`] writes to the run log (resuming, or where DDL is
    /// not transactional); otherwise the row is written once, when the revision is done.
    pub(crate) fn writes_at_start(dialect: Dialect, resuming: bool) -> bool {
        resuming || !dialect.backend().transactional_ddl()
    }

    /// The notices gathered so far (resuming, a statement found already applied).
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// Called before each statement: true when the interrupted run already did it (the
    /// statement is then not run, and counts as done already).
    pub fn skip_next(&mut self) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
            true
        } else {
            false
        }
    }

    /// True for the first statement run when resuming a killed run: it may have taken
    /// effect after the client died, so an "already there" error from the database
    /// means it did (see [`RevisionLog::took_effect_before`]).
    pub fn next_is_uncertain(&self) -> bool {
        self.uncertain_next && self.skip == 0
    }

    /// The uncertain statement failed with `message`, which says its change is already
    /// there: it counts as done (the caller then calls [`RevisionLog::statement_done`]).
    pub fn took_effect_before(&mut self, message: &str) {
        self.uncertain_next = false;
        self.notices.push(format!(
            "Statement {} of revision {} had taken effect before the run was interrupted (the database answers: {}); continuing after it",
            self.done + 1,
            self.revision,
            message.lines().next().unwrap_or(message)
        ));
    }

    /// True when this log writes nothing until the revision is done (no `running` row,
    /// nothing to skip or to find already done): its statements may be sent together.
    pub(crate) fn is_quiet(&self) -> bool {
        !self.row_written && self.is_fresh()
    }

    /// True when nothing is left to skip or to find already done (not resuming): each
    /// statement runs, and its run-log update ([`RevisionLog::counted`]) may go with it.
    pub(crate) fn is_fresh(&self) -> bool {
        self.skip == 0 && !self.uncertain_next
    }

    /// Counts one more statement as done, and returns the run-log update recording
    /// that (with what to say if it fails), if the row is written yet.
    pub(crate) fn counted(&mut self, dialect: Dialect) -> Option<(String, String)> {
        self.count_quietly();
        self.row_written.then(|| self.progress_sql(dialect))
    }

    /// The update of the row's count of statements done, and what to say if it fails.
    fn progress_sql(&self, dialect: Dialect) -> (String, String) {
        let sql = self.update_sql(dialect, &format!("statements_done = {}", self.done));
        let context = format!(
            "recording statement {} of revision {} in the run log table {} failed",
            self.done, self.revision, self.table
        );
        (sql, context)
    }

    /// Counts one more statement as done, writing nothing (for a quiet log, see
    /// [`RevisionLog::is_quiet`]).
    pub(crate) fn count_quietly(&mut self) {
        self.uncertain_next = false;
        self.done += 1;
    }

    /// Hook "statement n done": records that one more statement succeeded.
    pub(crate) async fn statement_done(&mut self, conn: &mut Connection) -> Result<(), String> {
        let Some((sql, context)) = self.counted(conn.dialect()) else {
            return Ok(());
        };
        conn.execute(&sql)
            .await
            .map(|_| ())
            .map_err(|e| format!("{context}: {e}\n  SQL: {sql}"))
    }

    /// How many statements are done (for a lock-timeout retry that rolls some back).
    pub fn statements_done(&self) -> u64 {
        self.done
    }

    /// Goes back to `done` statements (a retry rolled the later ones back, and their
    /// log updates with them).
    pub fn rewind_to(&mut self, done: u64) {
        self.done = done;
    }

    fn update_sql(&self, dialect: Dialect, set: &str) -> String {
        let b = dialect.backend();
        format!(
            "UPDATE {} SET {set} WHERE revision = {} AND direction = {} AND started_at = {}",
            b.quote(&self.table),
            b.literal(&self.revision),
            b.literal(self.direction),
            b.literal(&self.started_at)
        )
    }

    /// Hook "revision done", first half: the revision's checksums, computed now (the
    /// row is written by [`RevisionLog::finish_sql`] once its statements have run).
    pub(crate) fn close(
        self,
        project: &Project,
        file: &RevisionFile,
    ) -> Result<ClosingLog, String> {
        Ok(ClosingLog {
            checksum: revision_checksum(project, file).map_err(|e| e.to_string())?,
            file_checksum: file_checksum(project, file),
            log: self,
        })
    }

    /// Records that the next statement failed (best effort: the failure being reported
    /// matters more). A failure before any statement succeeded leaves nothing to resume,
    /// and the row is closed.
    pub async fn failed(&self, conn: &mut Connection) {
        if !self.row_written {
            return;
        }
        let b = conn.dialect().backend();
        let status = if self.done == 0 {
            FAILED_CLEANLY
        } else {
            FAILED
        };
        let sql = self.update_sql(conn.dialect(), &format!("status = {}", b.literal(status)));
        let _ = conn.execute(&sql).await;
    }
}

/// A revision's log, done running, with its checksums: what its closing row needs
/// besides its end time.
#[derive(Debug)]
pub(crate) struct ClosingLog {
    log: RevisionLog,
    checksum: String,
    file_checksum: String,
}

/// The start of the INSERT of finished rows into the run log table `table`.
pub(crate) fn insert_head(dialect: Dialect, table: &str) -> String {
    format!(
        "INSERT INTO {} (revision, direction, checksum, file_checksum, started_at, ended_at, duration_ms, retort_version, statements_done, status)",
        dialect.backend().quote(table)
    )
}

impl ClosingLog {
    /// The run log table.
    pub(crate) fn table(&self) -> &str {
        &self.log.table
    }

    /// The values of the revision's finished row, as a parenthesised list for
    /// [`insert_head`] (for a quiet log, whose row is not written yet).
    pub(crate) fn row_values(
        &self,
        dialect: Dialect,
        ended: chrono::DateTime<chrono::Utc>,
        took: std::time::Duration,
    ) -> String {
        let log = &self.log;
        let b = dialect.backend();
        format!(
            "({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            b.literal(&log.revision),
            b.literal(log.direction),
            b.literal(&self.checksum),
            b.literal(&self.file_checksum),
            b.literal(&log.started_at),
            b.literal(&timestamp(ended)),
            took.as_millis(),
            b.literal(env!("CARGO_PKG_VERSION")),
            log.done,
            b.literal(DONE)
        )
    }

    /// The revision id.
    pub(crate) fn revision(&self) -> &str {
        &self.log.revision
    }

    /// True when the log wrote nothing yet (see [`RevisionLog::is_quiet`]).
    pub(crate) fn is_quiet(&self) -> bool {
        self.log.is_quiet()
    }

    /// Hook "revision done", second half: the statement that closes the row with the
    /// end time, the time its statements took and its checksums (to run after the
    /// version-table update, in its transaction where there is one), and what to say
    /// if it fails.
    pub(crate) fn finish_sql(
        &self,
        dialect: Dialect,
        ended: chrono::DateTime<chrono::Utc>,
        took: std::time::Duration,
    ) -> (String, String) {
        let log = &self.log;
        let b = dialect.backend();
        let duration = took.as_millis();
        let sql = if !log.row_written {
            format!(
                "{} VALUES {}",
                insert_head(dialect, &log.table),
                self.row_values(dialect, ended, took)
            )
        } else {
            log.update_sql(
                dialect,
                &format!(
                    "status = {}, ended_at = {}, duration_ms = {duration}, checksum = {}, file_checksum = {}",
                    b.literal(DONE),
                    b.literal(&timestamp(ended)),
                    b.literal(&self.checksum),
                    b.literal(&self.file_checksum)
                ),
            )
        };
        let context = format!(
            "recording revision {} in the run log table {} failed",
            log.revision, log.table
        );
        (sql, context)
    }
}

/// `stamp`: closes unfinished rows ("abandoned by stamp": the user fixed the database
/// by hand) and logs one stamp row per target. Returns a notice per closed row.
pub(crate) async fn stamped(
    conn: &mut Connection,
    project: &Project,
    targets: &[String],
) -> Result<Vec<String>, String> {
    let table = &project.config.log_table;
    crate::runner::checksum::ensure_log_table(conn, table)
        .await
        .map_err(|e| e.to_string())?;
    ensure_progress_columns(conn, table).await?;
    let mut notices = Vec::new();
    for row in unfinished(conn, project).await? {
        set_status(conn, table, &row, ABANDONED).await?;
        notices.push(format!(
            "Closed the unfinished {} of revision {} in the run log (interrupted at statement {}): abandoned by stamp",
            row.word(),
            row.revision,
            row.statements_done + 1
        ));
    }
    let b = conn.dialect().backend();
    let now = timestamp(chrono::Utc::now());
    for target in targets {
        let checksum = project
            .file(target)
            .and_then(|f| revision_checksum(project, f).ok())
            .unwrap_or_default();
        let sql = format!(
            "INSERT INTO {} (revision, direction, checksum, started_at, ended_at, duration_ms, retort_version, statements_done, status) VALUES ({}, 'stamp', {}, {}, {}, 0, {}, 0, {})",
            b.quote(table),
            b.literal(target),
            b.literal(&checksum),
            b.literal(&now),
            b.literal(&now),
            b.literal(env!("CARGO_PKG_VERSION")),
            b.literal(DONE)
        );
        conn.execute(&sql).await.map_err(|e| {
            format!("logging the stamp in the run log table {table} failed: {e}\n  SQL: {sql}")
        })?;
    }
    Ok(notices)
}
