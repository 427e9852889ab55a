//! A revision's body: SQL sections statement by statement, or YAML operations rendered
//! for the backend one at a time (each rendered after the previous one ran, since
//! SQLite rebuilds and MySQL `MODIFY COLUMN` read the live table), sent to a
//! [`StatementSink`] that runs or prints them; and the enum history the rendering needs.

use std::collections::HashMap;
use std::sync::Arc;

use crate::backend::RenderContext;
use crate::dialect::Dialect;
use crate::ops::Operation;
use crate::project::{ParsedOperations, Project};
use crate::schema::{EnumType, Schema};
use crate::script::graph::{apply_changes, Direction};
use crate::script::{RevisionBody, RevisionFile};
use crate::sqltext::split_statements;

use super::sink::{StatementOrigin, StatementSink};
use super::{RunError, RunErrorData};

fn revision_error(file: &RevisionFile, message: String) -> RunError {
    RunErrorData {
        revision: Some(file.id.clone()),
        file: Some(file.path.display().to_string()),
        message,
        ..RunErrorData::default()
    }
    .into()
}

/// The operations of one direction of a YAML revision (empty for SQL revisions),
/// parsed once per run and shared (see [`Project::parsed_operations`]).
pub fn operations(
    project: &Project,
    file: &RevisionFile,
    direction: Direction,
) -> Result<Operations, RunError> {
    let parsed = project.parsed_operations(file, direction);
    if parsed.mistakes.is_empty() {
        Ok(Operations(parsed))
    } else {
        Err(revision_error(
            file,
            format!("the revision file has mistakes:\n{}", parsed.mistakes),
        ))
    }
}

/// One direction of a revision's operations, shared with every other user in the run.
#[derive(Debug, Clone)]
pub struct Operations(Arc<ParsedOperations>);

impl std::ops::Deref for Operations {
    type Target = [Operation];
    fn deref(&self) -> &[Operation] {
        &self.0.operations
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
    /// The enums at single-row states already computed, by revision.
    at_revision: HashMap<String, Vec<EnumType>>,
}

impl<'a> EnumHistory<'a> {
    /// A history over `project`'s revisions.
    pub fn new(project: &'a Project) -> Self {
        EnumHistory {
            project,
            parsed: HashMap::new(),
            at_revision: HashMap::new(),
        }
    }

    fn enum_operations(&mut self, revision: &str) -> &[Operation] {
        let project = self.project;
        self.parsed.entry(revision.to_string()).or_insert_with(|| {
            // A revision that does not parse defines nothing here; running it reports why.
            project
                .file(revision)
                .and_then(|file| operations(project, file, Direction::Up).ok())
                .iter()
                .flat_map(|ops| ops.iter())
                .filter(|op| {
                    matches!(
                        op,
                        Operation::CreateEnum(_)
                            | Operation::DropEnum { .. }
                            | Operation::AddEnumValue { .. }
                            | Operation::DropEnumValue { .. }
                    )
                })
                .cloned()
                .collect()
        })
    }

    /// The revision `revision` extends by itself alone: its only parent when it has
    /// exactly one and no `depends_on`. Then its ancestors are its parent's plus itself,
    /// and it comes after all of them in the graph's order, so the enums at it are the
    /// enums at the parent with its own operations applied.
    fn sole_parent(&self, revision: &str) -> Option<&'a str> {
        let file = self.project.file(revision)?;
        match (file.down_revisions.as_slice(), file.depends_on.is_empty()) {
            ([parent], true) => Some(parent.as_str()),
            _ => None,
        }
    }

    /// The enums at the single row `revision`: walks down the chain of sole parents to
    /// a state already known (or one that must be replayed from base), then back up,
    /// remembering every state on the way; linear in the chain, once per run.
    fn enums_at_revision(&mut self, revision: &str) -> Vec<EnumType> {
        let mut chain: Vec<String> = Vec::new();
        let mut at = revision.to_string();
        let mut schema = Schema::default();
        loop {
            if let Some(known) = self.at_revision.get(&at) {
                schema.enums = known.clone();
                break;
            }
            chain.push(at.clone());
            match self.sole_parent(&at) {
                Some(parent) => at = parent.to_string(),
                None => {
                    let bottom = chain.pop().unwrap_or_default();
                    schema.enums = self.replay(std::slice::from_ref(&bottom));
                    self.at_revision.insert(bottom, schema.enums.clone());
                    break;
                }
            }
        }
        while let Some(rev) = chain.pop() {
            for op in self.enum_operations(&rev) {
                let _ = crate::ops::apply_to_schema(op, &mut schema);
            }
            self.at_revision.insert(rev, schema.enums.clone());
        }
        schema.enums
    }

    /// The enums (with their values) once the revisions up to `rows` have run.
    pub fn enums_at(&mut self, rows: &[String]) -> Vec<EnumType> {
        match rows {
            [] => Vec::new(),
            [one] if self.project.graph.get(one).is_some() => self.enums_at_revision(one),
            _ => self.replay(rows),
        }
    }

    /// The enums at `rows`, replayed from base.
    fn replay(&mut self, rows: &[String]) -> Vec<EnumType> {
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

/// Sends `sql`, from `operation` of `file`'s body (`rendered` by retort, or written by
/// the user), to `sink`; a failure names the revision, operation and SQL.
async fn send<S: StatementSink>(
    sink: &mut S,
    file: &RevisionFile,
    operation: Option<&str>,
    rendered: bool,
    sql: &str,
) -> Result<(), RunError> {
    let origin = StatementOrigin {
        revision: file.id.clone(),
        file: file.path.display().to_string(),
        operation: operation.map(str::to_string),
        rendered,
    };
    sink.statement(sql, origin).await
}

/// Sends one direction of a revision's body to `sink`: SQL sections statement by
/// statement, YAML operations rendered one at a time (each after the previous one ran,
/// since SQLite rebuilds and MySQL `MODIFY COLUMN` read the live table), keeping `ctx`
/// current.
///
/// With `atomic_ops` (a SQLite revision running outside the run's transaction), the
/// operations retort renders (everything but `execute`) are each made atomic, so that a
/// crash or kill can never leave a table rebuild half done: consecutive ones share one
/// transaction, committed before the next `execute` operation, which runs as written.
/// A transaction still open at the end is left open in `sink` for the caller to add
/// the version-table update to and commit.
pub(crate) async fn run_body<S: StatementSink>(
    project: &Project,
    file: &RevisionFile,
    direction: Direction,
    sink: &mut S,
    ctx: &mut RenderContext,
    atomic_ops: bool,
) -> Result<(), RunError> {
    if let RevisionBody::Sql { upgrade, downgrade } = &file.body {
        let text = if direction == Direction::Up {
            upgrade
        } else {
            downgrade
        };
        for sql in split_statements(text).iter() {
            send(sink, file, None, false, sql).await?;
        }
        return Ok(());
    }
    let dialect = sink.dialect();
    for (i, op) in operations(project, file, direction)?.iter().enumerate() {
        if !applies_here(op, dialect) {
            continue;
        }
        let label = format!("#{} {}", i + 1, op.describe());
        if atomic_ops {
            let atomic = !matches!(op, Operation::Execute { .. });
            let step = if atomic && !sink.in_transaction() {
                sink.begin().await
            } else if !atomic && sink.in_transaction() {
                sink.commit().await
            } else {
                Ok(())
            };
            if let Err(mut e) = step {
                sink.rollback().await;
                e.revision = Some(file.id.clone());
                e.file = Some(file.path.display().to_string());
                e.operation = Some(label);
                return Err(e);
            }
        }
        let result = async {
            if crate::backend::render_reads_database(op, ctx, dialect) {
                sink.flush().await?;
            }
            let statements = match sink.render(op, ctx).await {
                Ok(statements) => statements,
                Err(e) => {
                    // What the operations before this one rendered runs first, as it
                    // would have unheld: a failure there is the one to report.
                    sink.flush().await?;
                    let mut err = revision_error(file, e.message.clone());
                    err.operation = Some(label.clone());
                    return Err(err);
                }
            };
            let rendered = !matches!(op, Operation::Execute { .. });
            for sql in &statements {
                send(sink, file, Some(&label), rendered, sql).await?;
            }
            Ok::<_, RunError>(())
        }
        .await;
        if let Err(e) = result {
            if atomic_ops {
                sink.rollback().await;
            }
            return Err(e);
        }
        let _ = ctx.apply(op);
    }
    Ok(())
}
