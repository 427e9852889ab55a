//! Running a revision's body: SQL sections statement by statement, or YAML operations
//! rendered for the connection's dialect one at a time (each rendered after the
//! previous one ran, since SQLite rebuilds and MySQL `MODIFY COLUMN` read the live
//! table); and the same rendering without a database for offline mode.

use std::collections::HashMap;

use crate::backend::{render, render_live, RenderContext};
use crate::db::{Connection, DbError};
use crate::dialect::Dialect;
use crate::ops::{parse_operations, Operation};
use crate::project::Project;
use crate::runlog::RevisionLog;
use crate::schema::{EnumType, Schema};
use crate::script::graph::{apply_changes, Direction};
use crate::script::{RevisionBody, RevisionFile};
use crate::sqltext::split_statements;
use crate::yaml::Diagnostics;

use super::{begin, commit, rollback, RunError, RunErrorData, Txn};

fn revision_error(file: &RevisionFile, message: String) -> RunError {
    RunErrorData {
        revision: Some(file.id.clone()),
        file: Some(file.path.display().to_string()),
        message,
        ..RunErrorData::default()
    }
    .into()
}

/// The operations of one direction of a YAML revision (empty for SQL revisions).
pub fn operations(
    project: &Project,
    file: &RevisionFile,
    direction: Direction,
) -> Result<Vec<Operation>, RunError> {
    let RevisionBody::Yaml { upgrade, downgrade } = &file.body else {
        return Ok(Vec::new());
    };
    let node = match direction {
        Direction::Up => upgrade,
        Direction::Down => downgrade,
    };
    let mut diags = Diagnostics::default();
    let ops = parse_operations(
        &file.path,
        node,
        &project.config.naming_convention,
        &mut diags,
    );
    if diags.is_empty() {
        Ok(ops)
    } else {
        Err(revision_error(
            file,
            format!("the revision file has mistakes:\n{diags}"),
        ))
    }
}

fn applies_here(op: &Operation, dialect: Dialect) -> bool {
    !matches!(op, Operation::Execute { dialect: Some(d), .. } if *d != dialect)
}

/// The enums as the revision history defines them: replays the `create_enum`,
/// `add_enum_value`, `drop_enum_value` and `drop_enum` operations of the upgrades from
/// base to a set of version rows, in graph order. This is where the runner takes enum
/// values from (MySQL's inline `ENUM(...)`, SQLite's CHECKs): never from `schema.yaml`,
/// so that a revision renders the same whatever the declared schema says today.
/// Each revision's operations are parsed once.
pub struct EnumHistory<'a> {
    project: &'a Project,
    parsed: HashMap<String, Vec<Operation>>,
}

impl<'a> EnumHistory<'a> {
    /// A history over `project`'s revisions.
    pub fn new(project: &'a Project) -> Self {
        EnumHistory {
            project,
            parsed: HashMap::new(),
        }
    }

    fn enum_operations(&mut self, revision: &str) -> &[Operation] {
        let project = self.project;
        self.parsed.entry(revision.to_string()).or_insert_with(|| {
            // A revision that does not parse defines nothing here; running it reports why.
            project
                .file(revision)
                .and_then(|file| operations(project, file, Direction::Up).ok())
                .unwrap_or_default()
                .into_iter()
                .filter(|op| {
                    matches!(
                        op,
                        Operation::CreateEnum(_)
                            | Operation::DropEnum { .. }
                            | Operation::AddEnumValue { .. }
                            | Operation::DropEnumValue { .. }
                    )
                })
                .collect()
        })
    }

    /// The enums (with their values) once the revisions up to `rows` have run.
    pub fn enums_at(&mut self, rows: &[String]) -> Vec<EnumType> {
        let mut schema = Schema::default();
        let mut have: Vec<String> = Vec::new();
        for r in rows {
            let Ok(steps) = self.project.graph.plan_upgrade(&have, r) else {
                continue;
            };
            for step in &steps {
                if apply_changes(&mut have, &step.changes).is_err() {
                    break;
                }
                for op in self.enum_operations(&step.revision) {
                    // An operation the history contradicts (e.g. a second create_enum)
                    // leaves the enums as they were.
                    let _ = crate::ops::apply_to_schema(op, &mut schema);
                }
            }
        }
        schema.enums
    }
}

/// The enums the revisions up to `rows` define (see [`EnumHistory`]).
pub fn known_enums(project: &Project, rows: &[String]) -> Vec<EnumType> {
    EnumHistory::new(project).enums_at(rows)
}

/// Runs one direction of a revision on a live connection.
///
/// With `atomic_ops` (a SQLite revision running outside the run's transaction), the
/// operations retort renders (everything but `execute`) are each made atomic, so that a
/// crash or kill can never leave a table rebuild half done: consecutive ones share one
/// transaction (`txn`), committed before the next `execute` operation, which runs as
/// written. A transaction still open at the end is left open in `txn` for the caller
/// to add the version-table update to and commit.
pub async fn run_revision(
    project: &Project,
    file: &RevisionFile,
    direction: Direction,
    conn: &mut Connection,
    ctx: &mut RenderContext,
    atomic_ops: Option<&mut Txn>,
    log: &mut RevisionLog,
) -> Result<(), RunError> {
    let fail = |op: Option<String>, sql: &str, e: DbError| {
        let message = match e {
            DbError::Statement { message, .. } => message,
            other => other.to_string(),
        };
        RunError::from(RunErrorData {
            revision: Some(file.id.clone()),
            file: Some(file.path.display().to_string()),
            operation: op,
            sql: Some(sql.to_string()),
            message,
            outcome: None,
        })
    };
    if let RevisionBody::Sql { upgrade, downgrade } = &file.body {
        let text = if direction == Direction::Up {
            upgrade
        } else {
            downgrade
        };
        for sql in split_statements(text) {
            run_counted(conn, log, &sql)
                .await
                .map_err(|e| fail(None, &sql, e))?;
        }
        return Ok(());
    }
    let dialect = conn.dialect();
    let mut group = atomic_ops;
    for (i, op) in operations(project, file, direction)?.iter().enumerate() {
        if !applies_here(op, dialect) {
            continue;
        }
        let label = format!("#{} {}", i + 1, op.describe());
        if let Some(txn) = group.as_deref_mut() {
            let atomic = !matches!(op, Operation::Execute { .. });
            let step = if atomic && !txn.open {
                begin(conn, txn).await
            } else if !atomic && txn.open {
                commit(conn, txn).await
            } else {
                Ok(())
            };
            if let Err(mut e) = step {
                rollback(conn, txn).await;
                e.revision = Some(file.id.clone());
                e.file = Some(file.path.display().to_string());
                e.operation = Some(label);
                return Err(e);
            }
        }
        let result = async {
            let statements = render_live(op, conn, ctx).await.map_err(|e| {
                let mut err = revision_error(file, e.message.clone());
                err.operation = Some(label.clone());
                err
            })?;
            for sql in &statements {
                run_counted(conn, log, sql)
                    .await
                    .map_err(|e| fail(Some(label.clone()), sql, e))?;
            }
            Ok::<_, RunError>(())
        }
        .await;
        if let Err(e) = result {
            if let Some(txn) = group.as_deref_mut() {
                rollback(conn, txn).await;
            }
            return Err(e);
        }
        let _ = ctx.apply(op);
    }
    Ok(())
}

/// Runs one statement of a revision and counts it in the run log (the one place where
/// "statement n of revision R succeeded" is known); skips it when resuming a run that
/// did it already. When resuming a killed run, the statement it was killed in counts as
/// done if the database answers that its change is already there.
async fn run_counted(
    conn: &mut Connection,
    log: &mut RevisionLog,
    sql: &str,
) -> Result<(), DbError> {
    if log.skip_next() {
        return Ok(());
    }
    let uncertain = log.next_is_uncertain();
    match conn.execute(sql).await {
        Ok(_) => {}
        Err(DbError::Statement { message, .. })
            if uncertain && conn.dialect().backend().is_already_in_effect(&message) =>
        {
            log.took_effect_before(&message);
        }
        Err(e) => return Err(e),
    }
    log.statement_done(conn)
        .await
        .map_err(|message| DbError::Statement {
            sql: sql.to_string(),
            message,
        })
}

/// The statements of one direction of a revision for `dialect`, without a database;
/// `ctx` is the schema as the revisions so far have built it, and is kept current.
/// With `atomic_ops`, `BEGIN`/`COMMIT` surround the rendered operations as
/// [`run_revision`] runs them; the second value says a transaction is left open.
pub fn offline_statements(
    project: &Project,
    file: &RevisionFile,
    direction: Direction,
    dialect: Dialect,
    ctx: &mut RenderContext,
    atomic_ops: bool,
) -> Result<(Vec<String>, bool), RunError> {
    if let RevisionBody::Sql { upgrade, downgrade } = &file.body {
        let text = if direction == Direction::Up {
            upgrade
        } else {
            downgrade
        };
        return Ok((split_statements(text), false));
    }
    let mut out = Vec::new();
    let mut open = false;
    for (i, op) in operations(project, file, direction)?.iter().enumerate() {
        if !applies_here(op, dialect) {
            continue;
        }
        if atomic_ops {
            let atomic = !matches!(op, Operation::Execute { .. });
            if atomic && !open {
                out.push("BEGIN".to_string());
            } else if !atomic && open {
                out.push("COMMIT".to_string());
            }
            open = atomic;
        }
        let statements = render(op, dialect, ctx).map_err(|e| {
            let mut err = revision_error(file, e.message.clone());
            err.operation = Some(format!("#{} {}", i + 1, op.describe()));
            err
        })?;
        out.extend(statements);
        let _ = ctx.apply(op);
    }
    Ok((out, open))
}
