//! `verify`: proves on a scratch database that the revision history is sound. From an
//! empty database it upgrades base→head one revision at a time, checks that
//! autogenerate then finds nothing against the declared schema, downgrades one revision
//! at a time to base checking after each step that the schema is what it was before
//! that revision's upgrade, and upgrades to head again.

use std::collections::HashMap;

use crate::autogenerate::{Autogenerate, AutogenerateError};
use crate::compare::compare;
use crate::db::{mask_url, Connection, DbError};
use crate::ops::write_operations;
use crate::project::Project;
use crate::runner::{self, Command};
use crate::schema::Schema;
use crate::script::graph::{apply_changes, GraphError, Step};

/// Why `verify` could not run its checks (a failing check is in the [`Report`] instead).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Connecting to the scratch database failed.
    #[error("{0}")]
    Connect(Box<DbError>),
    /// Listing the scratch database's tables failed.
    #[error("listing the tables failed: {error}")]
    ListTables {
        /// The catalog query.
        sql: String,
        /// The database's failure.
        error: Box<DbError>,
    },
    /// Listing the scratch database's types failed.
    #[error("listing the types failed: {error}")]
    ListTypes {
        /// The catalog query.
        sql: String,
        /// The database's failure.
        error: Box<DbError>,
    },
    /// The scratch database holds tables or types, and `--reset` was not given.
    #[error("the scratch database {url} is not empty ({}); verify needs an empty database. Point --url at an empty scratch database, or pass --reset to drop everything in this one first", show_contents(.contents))]
    NotEmpty {
        /// The masked URL.
        url: String,
        /// What it holds (`table t`, `type e`).
        contents: Vec<String>,
    },
    /// Emptying the scratch database (`--reset`) failed.
    #[error("emptying the scratch database failed: {error}\n  SQL: {sql}")]
    Reset {
        /// The statement.
        sql: String,
        /// The database's failure.
        error: Box<DbError>,
    },
    /// Reading the scratch database's schema failed.
    #[error("{0}")]
    Reflect(Box<AutogenerateError>),
    /// A head given to verify does not resolve.
    #[error("{head}: {error}")]
    Head {
        /// The head as given.
        head: String,
        /// Why it does not resolve.
        error: Box<GraphError>,
    },
    /// The project has no revisions.
    #[error("there are no revisions to verify")]
    NoRevisions,
    /// Several heads and none named.
    #[error("there are several heads ({}); verify one history at a time: name the heads to verify (`retort verify HEAD…`), or merge them first (`retort merge heads -m MSG`)", .heads.join(", "))]
    SeveralHeads {
        /// The heads.
        heads: Vec<String>,
    },
    /// Planning the upgrade or downgrade walk failed.
    #[error("{0}")]
    Plan(GraphError),
}

/// At most eight of `contents`, then `…` when there are more.
fn show_contents(contents: &[String]) -> String {
    let shown: Vec<&str> = contents.iter().take(8).map(String::as_str).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if contents.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    )
}

/// One check of a verify run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked, e.g. `upgrade 1a2b3c4d5e6f` or `autogenerate at head`.
    pub name: String,
    /// The revision it concerns, if one.
    pub revision: Option<String>,
    /// Whether it passed.
    pub passed: bool,
    /// The first difference or error found, when it failed.
    pub detail: Option<String>,
}

/// Every check of a verify run, in the order made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    fn pass(&mut self, name: String, revision: Option<&str>) {
        self.checks.push(Check {
            name,
            revision: revision.map(str::to_string),
            passed: true,
            detail: None,
        });
    }

    fn fail(&mut self, name: String, revision: Option<&str>, detail: String) {
        self.checks.push(Check {
            name,
            revision: revision.map(str::to_string),
            passed: false,
            detail: Some(detail),
        });
    }
}

/// What `verify` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The heads to verify (empty: the single head).
    pub heads: Vec<String>,
    /// Empty a non-empty scratch database first (otherwise it is refused).
    pub reset: bool,
}

async fn connect(url: &str) -> Result<Connection, VerifyError> {
    Connection::connect(url)
        .await
        .map_err(|e| VerifyError::Connect(Box::new(e)))
}

/// Every table and type in the database at `url` (whatever the config's filters).
async fn contents(conn: &mut Connection) -> Result<(Vec<String>, Vec<String>), VerifyError> {
    let d = conn.dialect();
    let first = |rows: Vec<Vec<Option<String>>>| -> Vec<String> {
        rows.into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect()
    };
    let tables_sql = d.backend().catalog_tables_sql();
    let tables = first(
        conn.query(tables_sql)
            .await
            .map_err(|e| VerifyError::ListTables {
                sql: tables_sql.to_string(),
                error: Box::new(e),
            })?,
    );
    let types = match d.backend().catalog_types_sql() {
        Some(sql) => first(conn.query(sql).await.map_err(|e| VerifyError::ListTypes {
            sql: sql.to_string(),
            error: Box::new(e),
        })?),
        None => Vec::new(),
    };
    Ok((tables, types))
}

/// Refuses a non-empty scratch database, or empties it with `reset`.
async fn prepare_scratch(url: &str, reset: bool) -> Result<(), VerifyError> {
    let mut conn = connect(url).await?;
    let (tables, types) = contents(&mut conn).await?;
    if tables.is_empty() && types.is_empty() {
        conn.close().await;
        return Ok(());
    }
    if !reset {
        conn.close().await;
        let mut what: Vec<String> = tables.iter().map(|t| format!("table {t}")).collect();
        what.extend(types.iter().map(|t| format!("type {t}")));
        return Err(VerifyError::NotEmpty {
            url: mask_url(url),
            contents: what,
        });
    }
    for sql in conn.dialect().backend().reset_statements(&tables, &types) {
        if let Err(e) = conn.execute(&sql).await {
            return Err(VerifyError::Reset {
                sql,
                error: Box::new(e),
            });
        }
    }
    conn.close().await;
    Ok(())
}

async fn snapshot(project: &Project, url: &str) -> Result<Schema, VerifyError> {
    let mut conn = connect(url).await?;
    let res = Autogenerate::reflect(project, &mut conn).await;
    conn.close().await;
    res.map_err(|e| VerifyError::Reflect(Box::new(e)))
}

/// The first difference between the schema before a revision's upgrade and after its
/// downgrade, as the operation that would restore it.
fn first_difference(
    project: &Project,
    dialect_url: &str,
    before: &Schema,
    after: &Schema,
) -> Option<String> {
    let dialect = crate::dialect::Dialect::from_url(dialect_url)?;
    let diff = compare(before, after, dialect, &project.config.compare);
    let op = diff.upgrade.first()?;
    let text = write_operations(
        std::slice::from_ref(op),
        0,
        &project.config.naming_convention,
    );
    Some(format!(
        "{} difference(s); the first: the schema needs `{}` to be as before the upgrade",
        diff.upgrade.len(),
        text.trim().trim_start_matches("- ")
    ))
}

fn describe(project: &Project, revision: &str) -> String {
    match project.file(revision) {
        Some(f) if !f.message.is_empty() => format!("{revision} ({})", f.message),
        _ => revision.to_string(),
    }
}

/// The heads to verify: `requested`, or the single head.
fn heads(project: &Project, requested: &[String]) -> Result<Vec<String>, VerifyError> {
    if !requested.is_empty() {
        let mut out = Vec::new();
        for r in requested {
            let ids = project
                .graph
                .resolve(r, &[])
                .map_err(|error| VerifyError::Head {
                    head: r.clone(),
                    error: Box::new(error),
                })?;
            out.extend(ids);
        }
        return Ok(out);
    }
    let heads: Vec<String> = project
        .graph
        .heads()
        .into_iter()
        .map(str::to_string)
        .collect();
    match heads.len() {
        0 => Err(VerifyError::NoRevisions),
        1 => Ok(heads),
        _ => Err(VerifyError::SeveralHeads { heads }),
    }
}

/// A downgrade target that takes exactly `step` back from `rows`.
fn single_downgrade_target(project: &Project, rows: &[String], step: &Step) -> Option<String> {
    let mut candidates: Vec<String> = project
        .file(&step.revision)
        .map(|f| f.down_revisions.clone())
        .unwrap_or_default();
    candidates.push(format!("{}-1", step.revision));
    candidates.push("base".into());
    candidates.into_iter().find(|t| {
        project
            .graph
            .plan_downgrade(rows, t)
            .is_ok_and(|plan| plan.len() == 1 && plan[0].revision == step.revision)
    })
}

/// Runs `verify` against the scratch database at `url`; `progress` gets one line per
/// check as it is made.
pub async fn verify(
    project: &Project,
    url: &str,
    options: &Options,
    progress: &mut dyn FnMut(&Check),
) -> Result<Report, VerifyError> {
    let targets = heads(project, &options.heads)?;
    prepare_scratch(url, options.reset).await?;
    let mut report = Report::default();
    let mut quiet = |_: &str| {};
    macro_rules! record {
        ($report:expr) => {
            if let Some(c) = $report.checks.last() {
                progress(c);
            }
        };
    }

    // 1. Upgrade base → head, one revision at a time.
    let mut rows: Vec<String> = Vec::new();
    let mut before_upgrade: HashMap<String, Schema> = HashMap::new();
    for target in &targets {
        let steps = project
            .graph
            .plan_upgrade(&rows, target)
            .map_err(VerifyError::Plan)?;
        for step in steps {
            let rev = step.revision.clone();
            before_upgrade.insert(rev.clone(), snapshot(project, url).await?);
            let name = format!("upgrade {}", describe(project, &rev));
            match runner::run(project, url, &Command::Upgrade(rev.clone()), &mut quiet).await {
                Ok(now) => {
                    apply_changes(&mut rows, &step.changes).map_err(VerifyError::Plan)?;
                    rows.sort();
                    if now != rows {
                        report.fail(
                            name,
                            Some(&rev),
                            format!(
                                "the version table is at {} instead of {}",
                                now.join(", "),
                                rows.join(", ")
                            ),
                        );
                        record!(report);
                        return Ok(report);
                    }
                    report.pass(name, Some(&rev));
                    record!(report);
                }
                Err(e) => {
                    report.fail(name, Some(&rev), e.to_string());
                    record!(report);
                    return Ok(report);
                }
            }
        }
    }

    // 2. At head, autogenerate finds nothing against schema.yaml.
    let name = "autogenerate at head finds no differences with the declared schema".to_string();
    let compared = match connect(url).await {
        Ok(mut conn) => {
            let c = Autogenerate::compare(project, &mut conn).await;
            conn.close().await;
            c.map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    match compared {
        Ok(c) if c.upgrade.is_empty() => report.pass(name, None),
        Ok(c) => {
            let first = write_operations(&c.upgrade[..1], 0, &project.config.naming_convention);
            report.fail(
                name,
                None,
                format!(
                    "{} operation(s); the first: `{}` (the declared schema and the revisions disagree: add a revision, or fix schema.yaml)",
                    c.upgrade.len(),
                    first.trim().trim_start_matches("- ")
                ),
            );
        }
        Err(e) => report.fail(name, None, e),
    }
    record!(report);

    // 3. Downgrade head → base, one revision at a time, each restoring the schema.
    let steps = project
        .graph
        .plan_downgrade(&rows, "base")
        .map_err(VerifyError::Plan)?;
    for step in steps {
        let rev = step.revision.clone();
        let name = format!("downgrade {} restores the schema", describe(project, &rev));
        let Some(target) = single_downgrade_target(project, &rows, &step) else {
            report.fail(
                name,
                Some(&rev),
                format!(
                    "no downgrade target takes back revision {rev} alone from {}",
                    rows.join(", ")
                ),
            );
            record!(report);
            return Ok(report);
        };
        if let Err(e) = runner::run(project, url, &Command::Downgrade(target), &mut quiet).await {
            report.fail(name, Some(&rev), e.to_string());
            record!(report);
            return Ok(report);
        }
        apply_changes(&mut rows, &step.changes).map_err(VerifyError::Plan)?;
        rows.sort();
        let after = snapshot(project, url).await?;
        let before = before_upgrade.get(&rev).cloned().unwrap_or_default();
        match first_difference(project, url, &before, &after) {
            None => report.pass(name, Some(&rev)),
            Some(diff) => report.fail(
                name,
                Some(&rev),
                format!("after downgrading revision {rev} the schema differs from before its upgrade: {diff}"),
            ),
        }
        record!(report);
    }

    // 4. Upgrade to head again.
    for target in &targets {
        let name = format!("upgrade to {} again", describe(project, target));
        match runner::run(project, url, &Command::Upgrade(target.clone()), &mut quiet).await {
            Ok(_) => report.pass(name, Some(target)),
            Err(e) => {
                let rev = e.revision.clone();
                report.fail(name, rev.as_deref().or(Some(target)), e.to_string());
            }
        }
        record!(report);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::project::{init_project, NewRevisionRequest};

    fn project(dir: &std::path::Path) -> Project {
        let config = Config::load(&dir.join("retort.yaml"), &|_| None).unwrap();
        Project::load(config).unwrap()
    }

    #[tokio::test]
    async fn verify_errors_name_the_database_and_heads() {
        let dir = tempfile::tempdir().unwrap();
        init_project(dir.path(), "yaml").unwrap();
        let url = format!("sqlite://{}", dir.path().join("scratch.db").display());
        let err = verify(&project(dir.path()), &url, &Options::default(), &mut |_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, VerifyError::NoRevisions));
        assert_eq!(err.to_string(), "there are no revisions to verify");

        let req = NewRevisionRequest {
            message: "m".into(),
            rev_id: Some("abc123".into()),
            ..Default::default()
        };
        project(dir.path()).create_revision(&req).unwrap();
        let mut conn = Connection::connect(&url).await.unwrap();
        for i in 0..9 {
            conn.execute(&format!("CREATE TABLE t{i} (id INTEGER)"))
                .await
                .unwrap();
        }
        conn.close().await;
        let err = verify(&project(dir.path()), &url, &Options::default(), &mut |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(&err, VerifyError::NotEmpty { contents, .. } if contents.len() == 9),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("the scratch database {} is not empty (table t0, table t1, table t2, table t3, table t4, table t5, table t6, table t7, …); verify needs an empty database. Point --url at an empty scratch database, or pass --reset to drop everything in this one first", mask_url(&url))
        );
        let options = Options {
            heads: vec!["nosuch".into()],
            reset: false,
        };
        let err = verify(&project(dir.path()), &url, &options, &mut |_| {})
            .await
            .unwrap_err();
        assert!(matches!(&err, VerifyError::Head { head, .. } if head == "nosuch"));
        assert!(err.to_string().starts_with("nosuch: "), "{err}");
    }
}
