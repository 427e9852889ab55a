//! Checksums of what a revision means (not how it is formatted), and the run log table
//! (`retort_log` by default) that records one row per applied or reverted revision with
//! its checksum, so that a revision file edited after it ran can be reported.
//!
//! The meaning of a YAML revision is its parsed operations (both directions) written
//! back in the one canonical form [`write_operations`] produces, plus its
//! `transactional` flag: comments, key order, quoting, line endings and indentation do
//! not change it. The meaning of a SQL revision is its statements with comments
//! removed and whitespace reduced to what separates two words, outside quotes.

use std::collections::HashMap;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::db::{Connection, DbError, TextRow};
use crate::dialect::Dialect;
use crate::ops::write_operations;
use crate::project::Project;
use crate::runner::version_table;
use crate::script::graph::{apply_changes, Direction};
use crate::script::{RevisionBody, RevisionFile};
use crate::sqltext::split_statements;

/// Why a checksum could not be computed, or the run log not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ChecksumError {
    /// A YAML revision's operations do not read.
    #[error("{message}")]
    Operations {
        /// The revision.
        revision: String,
        /// Its file.
        file: PathBuf,
        /// What is wrong (naming the file and operation).
        message: String,
    },
    /// `CREATE TABLE` of the run log failed.
    #[error("creating the run log table {table} failed: {error}\n  SQL: {sql}")]
    CreateLogTable {
        /// The run log table.
        table: String,
        /// The statement.
        sql: String,
        /// The database's failure.
        error: Box<DbError>,
    },
    /// Adding the progress columns to an older run log table failed.
    #[error("{message}")]
    ProgressColumns {
        /// The run log table.
        table: String,
        /// What failed, with the SQL.
        message: String,
    },
    /// Inserting a revision's row into the run log failed.
    #[error(
        "recording revision {revision} in the run log table {table} failed: {error}\n  SQL: {sql}"
    )]
    RecordStep {
        /// The revision.
        revision: String,
        /// The run log table.
        table: String,
        /// The statement.
        sql: String,
        /// The database's failure.
        error: Box<DbError>,
    },
    /// Reading the version table failed.
    #[error("reading the version table failed: {error}")]
    ReadVersionTable {
        /// The version table.
        table: String,
        /// The database's failure.
        error: Box<DbError>,
    },
    /// Reading the run log failed.
    #[error("reading the run log table {table} failed: {error}\n  SQL: {sql}")]
    ReadLogTable {
        /// The run log table.
        table: String,
        /// The statement.
        sql: String,
        /// The database's failure.
        error: Box<DbError>,
    },
    /// Connecting to the database failed.
    #[error("{0}")]
    Connect(Box<DbError>),
}

/// The checksum (SHA-256, hex) of a revision's meaning.
pub fn revision_checksum(project: &Project, file: &RevisionFile) -> Result<String, ChecksumError> {
    project.cached_checksum(file, || compute_checksum(project, file))
}

/// The checksum (SHA-256, hex) of a revision file's text as read, together with the
/// project's naming convention (which the meaning of unnamed constraints depends on).
/// Equal file checksums imply equal checksums of meaning, so a run compares this one
/// first and reads the operations only of a file whose text changed.
pub fn file_checksum(project: &Project, file: &RevisionFile) -> String {
    file_checksum_from(file_checksum_start(project), file)
}

/// The part of [`file_checksum`] every file of `project` shares.
fn file_checksum_start(project: &Project) -> Sha256 {
    let mut hash = Sha256::new();
    hash.update(b"retort file checksum 1\n");
    hash.update(format!("{:?}\n", project.config.naming_convention).as_bytes());
    hash
}

fn file_checksum_from(mut start: Sha256, file: &RevisionFile) -> String {
    start.update(file.source.as_bytes());
    hex(&start.finalize())
}

fn compute_checksum(project: &Project, file: &RevisionFile) -> Result<String, ChecksumError> {
    let mut canon = String::new();
    canon.push_str(&format!("transactional: {}\n", file.transactional));
    match &file.body {
        RevisionBody::Yaml { .. } => {
            for (name, direction) in [("upgrade", Direction::Up), ("downgrade", Direction::Down)] {
                let ops = crate::runner::operations(project, file, direction).map_err(|e| {
                    ChecksumError::Operations {
                        revision: file.id.clone(),
                        file: file.path.clone(),
                        message: e.message.clone(),
                    }
                })?;
                canon.push_str(name);
                canon.push_str(":\n");
                canon.push_str(&write_operations(
                    &ops,
                    2,
                    &project.config.naming_convention,
                ));
            }
        }
        RevisionBody::Sql { upgrade, downgrade } => {
            for (name, text) in [("upgrade", upgrade), ("downgrade", downgrade)] {
                canon.push_str(name);
                canon.push_str(":\n");
                for statement in split_statements(text) {
                    let s = normalize_sql(&statement);
                    let s = s.trim_end_matches(';');
                    if !s.is_empty() {
                        canon.push_str(s);
                        canon.push_str(";\n");
                    }
                }
            }
        }
    }
    Ok(hex(&Sha256::digest(canon.as_bytes())))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '.' || c == '@' || c == '#'
}

/// SQL text without comments, with whitespace outside quotes kept only where it
/// separates two words (as a single space).
pub fn normalize_sql(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::new();
    let mut pending_space = false;
    let mut i = 0;
    let push = |out: &mut String, pending: &mut bool, text: &str| {
        if *pending {
            if let (Some(a), Some(b)) = (out.chars().last(), text.chars().next()) {
                if is_word(a) && is_word(b) {
                    out.push(' ');
                }
            }
            *pending = false;
        }
        out.push_str(text);
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            pending_space = true;
            i += 1;
        } else if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            pending_space = true;
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i = (i + 2).min(chars.len());
            pending_space = true;
        } else if c == '\'' || c == '"' || c == '`' {
            let start = i;
            i += 1;
            while i < chars.len() {
                if chars[i] == c {
                    if chars.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                if chars[i] == '\\' && c == '\'' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let text: String = chars[start..i].iter().collect();
            push(&mut out, &mut pending_space, &text);
        } else if let Some(tag) = dollar_tag(&chars, i) {
            let start = i;
            i += tag.len();
            let tag_chars: Vec<char> = tag.chars().collect();
            while i < chars.len() && !chars[i..].starts_with(&tag_chars) {
                i += 1;
            }
            i = (i + tag_chars.len()).min(chars.len());
            let text: String = chars[start..i].iter().collect();
            push(&mut out, &mut pending_space, &text);
        } else {
            push(&mut out, &mut pending_space, &c.to_string());
            i += 1;
        }
    }
    out
}

/// A PostgreSQL dollar-quote opening tag (`$$`, `$body$`) at `i`.
fn dollar_tag(chars: &[char], i: usize) -> Option<String> {
    if chars.get(i) != Some(&'$') || (i > 0 && is_word(chars[i - 1])) {
        return None;
    }
    let mut j = i + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        j += 1;
    }
    (chars.get(j) == Some(&'$')).then(|| chars[i..=j].iter().collect())
}

/// The CREATE TABLE statement of the run log table. A row is found by its revision,
/// direction and start time (the progress updates of a revision running where DDL is
/// not transactional): the UNIQUE constraint makes that a key, and its index keeps each
/// update from reading the whole log.
pub fn log_table_sql(dialect: Dialect, table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (revision VARCHAR(255) NOT NULL, direction VARCHAR(10) NOT NULL, checksum VARCHAR(64) NOT NULL, started_at VARCHAR(40) NOT NULL, ended_at VARCHAR(40) NOT NULL, duration_ms BIGINT NOT NULL, retort_version VARCHAR(40) NOT NULL, statements_done BIGINT NOT NULL DEFAULT 0, status VARCHAR(40) NOT NULL DEFAULT 'done', file_checksum VARCHAR(64), UNIQUE (revision, direction, started_at))",
        dialect.backend().quote(table)
    )
}

/// Creates the run log table when missing (and adds the progress columns to one an
/// earlier retort made; see [`crate::runner::runlog`]).
pub async fn ensure_log_table(conn: &mut Connection, table: &str) -> Result<(), ChecksumError> {
    let sql = log_table_sql(conn.dialect(), table);
    if let Err(error) = conn.execute(&sql).await {
        return Err(ChecksumError::CreateLogTable {
            table: table.to_string(),
            sql,
            error: Box::new(error),
        });
    }
    crate::runner::runlog::ensure_progress_columns(conn, table)
        .await
        .map_err(|message| ChecksumError::ProgressColumns {
            table: table.to_string(),
            message,
        })
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Records one revision step that succeeded (called after its version-table update, in
/// the same transaction where there is one).
pub async fn record_step(
    conn: &mut Connection,
    project: &Project,
    file: &RevisionFile,
    direction: Direction,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<(), ChecksumError> {
    let d = conn.dialect();
    let table = &project.config.log_table;
    let checksum = revision_checksum(project, file)?;
    let ended = chrono::Utc::now();
    let duration = (ended - started).num_milliseconds().max(0);
    let sql = format!(
        "INSERT INTO {} (revision, direction, checksum, started_at, ended_at, duration_ms, retort_version) VALUES ({}, {}, {}, {}, {}, {duration}, {})",
        d.backend().quote(table),
        d.backend().literal(&file.id),
        d.backend().literal(match direction {
            Direction::Up => "up",
            Direction::Down => "down",
        }),
        d.backend().literal(&checksum),
        d.backend().literal(&timestamp(started)),
        d.backend().literal(&timestamp(ended)),
        d.backend().literal(env!("CARGO_PKG_VERSION")),
    );
    match conn.execute(&sql).await {
        Ok(_) => Ok(()),
        Err(error) => Err(ChecksumError::RecordStep {
            revision: file.id.clone(),
            table: table.clone(),
            sql,
            error: Box::new(error),
        }),
    }
}

/// An applied revision whose file no longer means what it meant when it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedRevision {
    /// The revision id.
    pub revision: String,
    /// Its file.
    pub file: PathBuf,
    /// The checksum recorded when it was applied.
    pub recorded: String,
    /// The checksum of the file as it is now (or why it cannot be computed).
    pub now: String,
    /// When it was applied.
    pub applied_at: String,
}

impl std::fmt::Display for ChangedRevision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "revision {} ({}) changed since it was applied at {}: checksum {} recorded, {} now. An applied revision's operations should not be edited; put the change in a new revision (`retort revision`), or restore the file",
            self.revision,
            self.file.display(),
            self.applied_at,
            short(&self.recorded),
            short(&self.now)
        )
    }
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// The revisions applied at `rows`: every revision an upgrade from base to them runs.
pub fn applied_revisions(project: &Project, rows: &[String]) -> Vec<String> {
    let mut have: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        let Ok(steps) = project.graph.plan_upgrade(&have, r) else {
            continue;
        };
        for step in steps {
            if apply_changes(&mut have, &step.changes).is_err() {
                break;
            }
            out.push(step.revision);
        }
    }
    out
}

/// The applied revisions (at the database's current rows) whose files changed since
/// they ran, by the checksums in the run log. Revisions applied before the run log
/// existed (or stamped) have no checksum and are not reported.
pub async fn changed_revisions(
    project: &Project,
    conn: &mut Connection,
) -> Result<Vec<ChangedRevision>, ChecksumError> {
    let rows = version_table::read(conn, &project.config.version_table)
        .await
        .map_err(|error| ChecksumError::ReadVersionTable {
            table: project.config.version_table.clone(),
            error: Box::new(error),
        })?;
    changed_revisions_at_rows(project, conn, &rows).await
}

/// [`changed_revisions`] for a caller that has read the version rows already (a run,
/// under its lock).
pub async fn changed_revisions_at_rows(
    project: &Project,
    conn: &mut Connection,
    rows: &[String],
) -> Result<Vec<ChangedRevision>, ChecksumError> {
    let table = &project.config.log_table;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let columns = crate::runner::runlog::column_names(conn, table)
        .await
        .map_err(|message| ChecksumError::ProgressColumns {
            table: table.clone(),
            message,
        })?;
    changed_revisions_with(project, conn, rows, &columns, None).await
}

/// The run log's `up` rows a checksum check reads: the finished ones, where the table
/// records a status.
fn applied_rows_filter(columns: &[String]) -> String {
    let finished_only = crate::runner::runlog::progress_columns_in(columns);
    format!(
        "direction = 'up'{}",
        if finished_only {
            " AND status = 'done'"
        } else {
            ""
        }
    )
}

/// The first read of a checksum check (see [`changed_revisions_with`]): the revision
/// and file checksum of each applied `up` row of the run log table `table` with
/// `columns`, given the version table's `rows`. `None` when there is nothing to read:
/// no revision applied, no run log table (no columns), or one without file checksums.
pub(crate) async fn read_file_sums(
    conn: &mut Connection,
    table: &str,
    rows: &[String],
    columns: &[String],
) -> Result<Option<Vec<TextRow>>, ChecksumError> {
    let file_column = crate::runner::runlog::FILE_CHECKSUM_COLUMN.0;
    if rows.is_empty() || !columns.iter().any(|c| c == file_column) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT revision, {file_column} FROM {} WHERE {}",
        conn.dialect().backend().quote(table),
        applied_rows_filter(columns)
    );
    read_log(conn, table, sql).await.map(Some)
}

/// [`changed_revisions_at_rows`], knowing the run log table's `columns` (read in the
/// same transaction; none when there is no such table) and, if it read them already,
/// what [`read_file_sums`] gives (read here otherwise).
pub(crate) async fn changed_revisions_with(
    project: &Project,
    conn: &mut Connection,
    rows: &[String],
    columns: &[String],
    file_sums_read: Option<Vec<TextRow>>,
) -> Result<Vec<ChangedRevision>, ChecksumError> {
    let table = &project.config.log_table;
    if rows.is_empty() || columns.is_empty() {
        // No columns: no run log table.
        return Ok(Vec::new());
    }
    let file_column = crate::runner::runlog::FILE_CHECKSUM_COLUMN.0;
    let with_file_checksum = columns.iter().any(|c| c == file_column);
    let start = file_checksum_start(project);
    let file_sums: HashMap<&str, String> = project
        .files
        .iter()
        .map(|f| (f.id.as_str(), file_checksum_from(start.clone(), f)))
        .collect();
    let b = conn.dialect().backend();
    let mut filter = applied_rows_filter(columns);
    let applied = applied_revisions(project, rows);
    if with_file_checksum && !file_sums.is_empty() {
        // First only the revisions with a row whose file checksum is no current
        // file's: usually none, and then no more needs reading. The rows' file
        // checksums are compared here: sent to the server as a list of literals, a
        // thousand of them took PostgreSQL longer to parse than the rows take to read.
        let current: std::collections::HashSet<&str> =
            file_sums.values().map(String::as_str).collect();
        let recorded = match file_sums_read {
            Some(read) => read,
            None => read_file_sums(conn, table, rows, columns)
                .await?
                .unwrap_or_default(),
        };
        let suspects: std::collections::HashSet<String> = recorded
            .into_iter()
            .filter_map(|row| {
                let mut it = row.into_iter();
                let revision = it.next().flatten()?;
                match it.next().flatten() {
                    Some(sum) if current.contains(sum.as_str()) => None,
                    _ => Some(revision),
                }
            })
            .collect();
        let ids: Vec<String> = applied
            .iter()
            .filter(|rev| suspects.contains(*rev))
            .map(|rev| b.literal(rev))
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        filter.push_str(&format!(" AND revision IN ({})", ids.join(", ")));
    }
    let sql = format!(
        "SELECT revision, checksum, ended_at{} FROM {} WHERE {filter}",
        if with_file_checksum {
            format!(", {file_column}")
        } else {
            String::new()
        },
        b.quote(table),
    );
    let log = read_log(conn, table, sql).await?;
    // Per revision, its latest `up` row: (checksum, ended_at, file checksum).
    let mut latest: HashMap<String, (String, String, Option<String>)> = HashMap::new();
    for row in log {
        let mut it = row.into_iter();
        let (Some(Some(rev)), Some(Some(sum)), Some(Some(at))) = (it.next(), it.next(), it.next())
        else {
            continue;
        };
        let file_sum = it.next().flatten();
        match latest.get(&rev) {
            Some((_, seen, _)) if *seen >= at => {}
            _ => {
                latest.insert(rev, (sum, at, file_sum));
            }
        }
    }
    let mut out = Vec::new();
    for rev in applied {
        let (Some((recorded, at, recorded_file)), Some(file)) =
            (latest.get(&rev), project.file(&rev))
        else {
            continue;
        };
        // The same text (and naming convention) means the same operations.
        if recorded_file.is_some()
            && recorded_file.as_deref() == file_sums.get(rev.as_str()).map(String::as_str)
        {
            continue;
        }
        let now = revision_checksum(project, file).unwrap_or_else(|e| format!("unreadable ({e})"));
        if &now != recorded {
            out.push(ChangedRevision {
                revision: rev.clone(),
                file: file.path.clone(),
                recorded: recorded.clone(),
                now,
                applied_at: at.clone(),
            });
        }
    }
    Ok(out)
}

/// The rows of a query on the run log table `table`.
async fn read_log(
    conn: &mut Connection,
    table: &str,
    sql: String,
) -> Result<Vec<TextRow>, ChecksumError> {
    match conn.query(&sql).await {
        Ok(rows) => Ok(rows),
        Err(error) => Err(ChecksumError::ReadLogTable {
            table: table.to_string(),
            sql,
            error: Box::new(error),
        }),
    }
}

/// [`changed_revisions`] of the database at `url`, read-only.
pub async fn changed_revisions_at(
    project: &Project,
    url: &str,
) -> Result<Vec<ChangedRevision>, ChecksumError> {
    let mut conn = Connection::connect_read_only(url)
        .await
        .map_err(|e| ChecksumError::Connect(Box::new(e)))?;
    let res = changed_revisions(project, &mut conn).await;
    conn.close().await;
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::project::{init_project, NewRevisionRequest};

    #[tokio::test]
    async fn run_log_errors_name_the_revision_table_and_sql() {
        let dir = tempfile::tempdir().unwrap();
        init_project(dir.path(), "sql").unwrap();
        let config = Config::load(&dir.path().join("retort.yaml"), &|_| None).unwrap();
        let project = Project::load(config.clone()).unwrap();
        let req = NewRevisionRequest {
            message: "m".into(),
            rev_id: Some("abc123".into()),
            ..Default::default()
        };
        project.create_revision(&req).unwrap();
        let project = Project::load(config).unwrap();
        let file = project.file("abc123").unwrap();
        let mut conn = Connection::connect("sqlite::memory:").await.unwrap();
        let err = record_step(&mut conn, &project, file, Direction::Up, chrono::Utc::now())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ChecksumError::RecordStep { revision, table, .. } if revision == "abc123" && table == "retort_log")
        );
        let text = err.to_string();
        assert!(
            text.starts_with("recording revision abc123 in the run log table retort_log failed: "),
            "{text}"
        );
        assert!(text.contains("\n  SQL: INSERT INTO "), "{text}");
        ensure_log_table(&mut conn, "retort_log").await.unwrap();
        record_step(&mut conn, &project, file, Direction::Up, chrono::Utc::now())
            .await
            .unwrap();
        conn.close().await;
        let err = changed_revisions_at(&project, "nosuch://x")
            .await
            .unwrap_err();
        assert!(matches!(err, ChecksumError::Connect(_)));
        assert!(
            err.to_string().starts_with("unsupported database URL"),
            "{err}"
        );
    }

    #[test]
    fn formatting_does_not_change_normalized_sql() {
        let a = "CREATE TABLE t (\r\n  id INTEGER, -- the key\n  name TEXT /* c */\n);";
        assert_eq!(
            normalize_sql(a),
            normalize_sql("CREATE  TABLE t(id INTEGER,name TEXT);")
        );
        assert_ne!(
            normalize_sql(a),
            normalize_sql("CREATE TABLE t (id INTEGER);")
        );
        assert_ne!(
            normalize_sql("SELECT 'a  b'"),
            normalize_sql("SELECT 'a b'")
        );
        assert_ne!(
            normalize_sql("SELECT 1 AS x"),
            normalize_sql("SELECT 1 AS y")
        );
        assert_eq!(normalize_sql("SELECT $$ a -- b $$"), "SELECT $$ a -- b $$");
    }
}
