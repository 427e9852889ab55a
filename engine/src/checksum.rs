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

use crate::db::Connection;
use crate::dialect::Dialect;
use crate::ops::write_operations;
use crate::project::Project;
use crate::runner::version_table;
use crate::script::graph::{apply_changes, Direction};
use crate::script::{RevisionBody, RevisionFile};
use crate::sqltext::split_statements;

/// The checksum (SHA-256, hex) of a revision's meaning.
pub fn revision_checksum(project: &Project, file: &RevisionFile) -> Result<String, String> {
    let mut canon = String::new();
    canon.push_str(&format!("transactional: {}\n", file.transactional));
    match &file.body {
        RevisionBody::Yaml { .. } => {
            for (name, direction) in [("upgrade", Direction::Up), ("downgrade", Direction::Down)] {
                let ops = crate::runner::operations(project, file, direction)
                    .map_err(|e| e.message.clone())?;
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
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// The CREATE TABLE statement of the run log table. `status` is `running` (and
/// `ended_at` empty) from before a revision's first statement until it is done, with
/// `statements_done` counting its statements that succeeded (see [`crate::runlog`]).
pub fn log_table_sql(dialect: Dialect, table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (revision VARCHAR(255) NOT NULL, direction VARCHAR(10) NOT NULL, checksum VARCHAR(64) NOT NULL, started_at VARCHAR(40) NOT NULL, ended_at VARCHAR(40) NOT NULL, duration_ms BIGINT NOT NULL, retort_version VARCHAR(40) NOT NULL, statements_done BIGINT NOT NULL DEFAULT 0, status VARCHAR(40) NOT NULL DEFAULT 'done')",
        dialect.backend().quote(table)
    )
}

/// Creates the run log table when missing (and adds the progress columns to one an
/// earlier retort made).
pub async fn ensure_log_table(conn: &mut Connection, table: &str) -> Result<(), String> {
    let sql = log_table_sql(conn.dialect(), table);
    conn.execute(&sql)
        .await
        .map(|_| ())
        .map_err(|e| format!("creating the run log table {table} failed: {e}\n  SQL: {sql}"))?;
    crate::runlog::ensure_progress_columns(conn, table).await
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
) -> Result<Vec<ChangedRevision>, String> {
    let table = &project.config.log_table;
    let rows = version_table::read(conn, &project.config.version_table)
        .await
        .map_err(|e| format!("reading the version table failed: {e}"))?;
    if rows.is_empty()
        || !version_table::exists(conn, table)
            .await
            .map_err(|e| e.to_string())?
    {
        return Ok(Vec::new());
    }
    let d = conn.dialect();
    let sql = format!(
        "SELECT revision, checksum, ended_at FROM {} WHERE direction = 'up'{}",
        d.backend().quote(table),
        if crate::runlog::has_progress_columns(conn, table).await? {
            " AND status = 'done'"
        } else {
            ""
        }
    );
    let log = conn
        .query(&sql)
        .await
        .map_err(|e| format!("reading the run log table {table} failed: {e}\n  SQL: {sql}"))?;
    let mut latest: HashMap<String, (String, String)> = HashMap::new();
    for row in log {
        let mut it = row.into_iter();
        let (Some(Some(rev)), Some(Some(sum)), Some(Some(at))) = (it.next(), it.next(), it.next())
        else {
            continue;
        };
        match latest.get(&rev) {
            Some((_, seen)) if *seen >= at => {}
            _ => {
                latest.insert(rev, (sum, at));
            }
        }
    }
    let mut out = Vec::new();
    for rev in applied_revisions(project, &rows) {
        let (Some((recorded, at)), Some(file)) = (latest.get(&rev), project.file(&rev)) else {
            continue;
        };
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

/// [`changed_revisions`] of the database at `url`, read-only.
pub async fn changed_revisions_at(
    project: &Project,
    url: &str,
) -> Result<Vec<ChangedRevision>, String> {
    let mut conn = Connection::connect_read_only(url)
        .await
        .map_err(|e| e.to_string())?;
    let res = changed_revisions(project, &mut conn).await;
    conn.close().await;
    res
}

#[cfg(test)]
mod tests {
    use super::normalize_sql;

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
