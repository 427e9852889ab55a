//! `lint`: checks each operation of a revision, per backend, against named rules
//! ([`rules::RULES`]): destructive changes, changes that depend on the data, changes
//! that lock tables (PostgreSQL, MySQL/MariaDB) and changes that break code still
//! running. Each finding names the file and line, the rule, the backend, what happens
//! and the safer way.
//!
//! A revision silences one rule on one operation with a comment on the operation's
//! line or on the comment lines right above it, stating the reason:
//!
//! ```yaml
//!   # retort-lint: allow pg-index-not-concurrent: the table holds 12 rows
//!   - create_index: {name: ix_t_a, table: t, columns: [a]}
//! ```
//!
//! (`-- retort-lint: allow RULE: REASON` in SQL revisions). A directive without a reason
//! silences nothing and is itself an error.

pub mod rules;

use std::path::PathBuf;

use crate::dialect::Dialect;
use crate::ops::Operation;
use crate::project::Project;
use crate::script::graph::Direction;
use crate::script::{RevisionBody, RevisionFile};
use crate::yaml::NodeValue;

pub use rules::{Category, Rule, RULES};

/// How bad a finding is: errors make `lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Exit 1.
    Error,
    /// Reported; exit 0.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The revision file.
    pub file: PathBuf,
    /// The line of the operation (or statement).
    pub line: usize,
    /// The revision id.
    pub revision: String,
    /// The rule's id.
    pub rule: &'static str,
    /// The backend it applies to (`None`: every backend).
    pub backend: Option<Dialect>,
    /// Error or warning.
    pub severity: Severity,
    /// What happens.
    pub message: String,
    /// The safer way.
    pub fix: String,
}

impl Finding {
    /// The backend's name, or `any`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.map(Dialect::name).unwrap_or("any")
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}[{}] {}: {} Safer: {}",
            self.file.display(),
            self.line,
            self.severity.name(),
            self.rule,
            self.backend_name(),
            self.message,
            self.fix
        )
    }
}

/// One operation to lint, with where it is written.
#[derive(Debug, Clone)]
pub struct Located {
    /// The operation.
    pub op: Operation,
    /// Its line in the file.
    pub line: usize,
}

/// A `retort-lint: allow RULE: REASON` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allow {
    line: usize,
    rule: String,
    reason: String,
}

fn allow_directives(text: &str) -> Vec<Allow> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let Some(pos) = l.find("retort-lint:") else {
            continue;
        };
        let rest = l[pos + "retort-lint:".len()..].trim();
        let Some(rest) = rest.strip_prefix("allow") else {
            continue;
        };
        let (rule, reason) = match rest.trim().split_once(':') {
            Some((r, why)) => (r.trim(), why.trim()),
            None => (rest.trim(), ""),
        };
        out.push(Allow {
            line: i + 1,
            rule: rule.to_string(),
            reason: reason.to_string(),
        });
    }
    out
}

/// Whether `line` is a comment line (YAML `#` or SQL `--`), or blank.
fn is_comment_line(l: &str) -> bool {
    let t = l.trim();
    t.starts_with('#') || t.starts_with("--")
}

/// The directives that apply to the operation at `line`: on that line, or on the
/// comment lines right above it.
fn directives_for<'a>(allows: &'a [Allow], lines: &[&str], line: usize) -> Vec<&'a Allow> {
    let mut first = line;
    while first > 1 && lines.get(first - 2).is_some_and(|l| is_comment_line(l)) {
        first -= 1;
    }
    allows
        .iter()
        .filter(|a| a.line >= first && a.line <= line)
        .collect()
}

/// Why revisions could not be linted.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
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
    /// A revision id given to lint has no file in the project.
    #[error("revision {revision} has no file")]
    NoFile {
        /// The revision.
        revision: String,
    },
}

/// The upgrade operations of a revision with their lines (YAML), or statements
/// recognised in a SQL revision.
fn located_operations(project: &Project, file: &RevisionFile) -> Result<Vec<Located>, LintError> {
    match &file.body {
        RevisionBody::Yaml { upgrade, .. } => {
            let ops = crate::runner::operations(project, file, Direction::Up).map_err(|e| {
                LintError::Operations {
                    revision: file.id.clone(),
                    file: file.path.clone(),
                    message: e.message.clone(),
                }
            })?;
            let lines: Vec<usize> = match &upgrade.value {
                NodeValue::Seq(items) => items.iter().map(|n| n.span.line).collect(),
                _ => Vec::new(),
            };
            Ok(ops
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, op)| Located {
                    op,
                    line: lines.get(i).copied().unwrap_or(upgrade.span.line),
                })
                .collect())
        }
        RevisionBody::Sql { upgrade, .. } => Ok(rules::sql_operations(file, upgrade)),
    }
}

/// Lints one revision's upgrade for `backends`. Findings silenced by a directive with
/// a reason are left out; a directive without a reason is an error finding.
pub fn lint_revision(
    project: &Project,
    file: &RevisionFile,
    backends: &[Dialect],
) -> Result<Vec<Finding>, LintError> {
    let ops = located_operations(project, file)?;
    let raw = rules::check(project, file, &ops, backends);
    let text = std::fs::read_to_string(&file.path).unwrap_or_default();
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let allows = allow_directives(&text);
    let mut out = Vec::new();
    for f in raw {
        let here = directives_for(&allows, &lines, f.line);
        if here
            .iter()
            .any(|a| a.rule == f.rule && !a.reason.is_empty())
        {
            continue;
        }
        out.push(f);
    }
    for a in &allows {
        if a.reason.is_empty() {
            out.push(Finding {
                file: file.path.clone(),
                line: a.line,
                revision: file.id.clone(),
                rule: "allow-without-reason",
                backend: None,
                severity: Severity::Error,
                message: format!("`retort-lint: allow {}` states no reason, so it silences nothing.", a.rule),
                fix: format!("write the reason after a colon: `retort-lint: allow {}: WHY THIS IS SAFE HERE`.", a.rule),
            });
        } else if !RULES.iter().any(|r| r.id == a.rule) {
            out.push(Finding {
                file: file.path.clone(),
                line: a.line,
                revision: file.id.clone(),
                rule: "allow-unknown-rule",
                backend: None,
                severity: Severity::Error,
                message: format!("`retort-lint: allow {}` names no lint rule.", a.rule),
                fix: format!(
                    "use one of: {}.",
                    RULES.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    out.sort_by(|a, b| (a.line, a.rule).cmp(&(b.line, b.rule)));
    Ok(out)
}

/// Lints the revisions `ids` (in the given order).
pub fn lint(
    project: &Project,
    ids: &[String],
    backends: &[Dialect],
) -> Result<Vec<Finding>, LintError> {
    let mut out = Vec::new();
    for id in ids {
        let file = project.file(id).ok_or_else(|| LintError::NoFile {
            revision: id.clone(),
        })?;
        out.extend(lint_revision(project, file, backends)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lint_errors_name_the_revision() {
        let dir = tempfile::tempdir().unwrap();
        crate::project::init_project(dir.path(), "yaml").unwrap();
        std::fs::write(
            dir.path().join("versions/abc123_x.yaml"),
            "revision: abc123\ndown_revision: null\nupgrade:\n  - no_such_operation: {name: t}\ndowngrade: []\n",
        )
        .unwrap();
        let config =
            crate::config::Config::load(&dir.path().join("retort.yaml"), &|_| None).unwrap();
        let project = Project::load(config).unwrap();
        let err = lint(&project, &["zzz999".to_string()], &[]).unwrap_err();
        assert_eq!(err.to_string(), "revision zzz999 has no file");
        let err = lint(&project, &["abc123".to_string()], &[]).unwrap_err();
        assert!(
            matches!(&err, LintError::Operations { revision, file, .. } if revision == "abc123" && file.ends_with("abc123_x.yaml"))
        );
        assert!(err.to_string().contains("no_such_operation"), "{err}");
        assert!(err.to_string().contains("abc123_x.yaml"), "{err}");
    }

    #[test]
    fn directives_need_a_reason_and_sit_above_or_on_the_line() {
        let text = "upgrade:\n  # retort-lint: allow drop-table: nothing reads it\n  # more\n  - drop_table: {name: t}\n  - drop_table: {name: u}  # retort-lint: allow drop-table\n";
        let allows = allow_directives(text);
        assert_eq!(allows.len(), 2);
        assert_eq!(allows[0].rule, "drop-table");
        assert_eq!(allows[0].reason, "nothing reads it");
        assert_eq!(allows[1].reason, "");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(directives_for(&allows, &lines, 4).len(), 1);
        assert_eq!(directives_for(&allows, &lines, 5)[0].line, 5);
    }
}
