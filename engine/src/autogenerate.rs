//! Autogenerate as a library: load the declared schema, reflect the live database over
//! one connection, compare them ([`Autogenerate::compare`]), derive the downgrade by
//! reversing the upgrade, and write the differences as a revision file through the
//! project's template ([`render_revision`]) or as `schema.yaml` ([`reflect_to_yaml`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use retort_engine::autogenerate::Autogenerate;
//! use retort_engine::config::Config;
//! use retort_engine::db::Connection;
//! use retort_engine::project::Project;
//!
//! let config = Config::load("retort.yaml".as_ref(), &|name| std::env::var(name).ok())?;
//! let project = Project::load(config)?;
//! let mut conn = Connection::connect_read_only(&project.config.url(None)).await?;
//! let comparison = Autogenerate::compare(&project, &mut conn).await;
//! conn.close().await;
//! for op in &comparison?.upgrade {
//!     println!("{}", op.describe());
//! }
//! # Ok(()) }
//! ```

use std::path::PathBuf;

use crate::backend::{render, RenderContext, RenderError};
use crate::compare::{compare, resolve_inline_enums};
use crate::db::{Connection, DbError};
use crate::dialect::Dialect;
use crate::ops::{write_operations, NotReversible, Operation};
use crate::project::{NewRevisionError, NewRevisionRequest, Project};
use crate::reflect::{reflect_schema, unmodelled_objects, ReflectError, ReflectOptions};
use crate::schema::{
    inline_enum_values, load_schema, schema_to_yaml, ColumnType, EnumType, Schema,
};
use crate::script::graph::GraphError;
use crate::script::TemplateChoice;
use crate::yaml::Diagnostics;

/// Why autogenerate (compare, render, reflect) failed.
#[derive(Debug, thiserror::Error)]
pub enum AutogenerateError {
    /// Connecting to the database failed.
    #[error(transparent)]
    Connect(#[from] DbError),
    /// `schema.yaml` has mistakes (each with file:line:col).
    #[error("the declared schema has mistakes:\n{0}")]
    Schema(Diagnostics),
    /// Reading the database's schema failed.
    #[error(transparent)]
    Reflect(#[from] ReflectError),
    /// Reading the version table failed.
    #[error("reading the version table `{table}` failed: {source}")]
    VersionTable {
        /// The version table.
        table: String,
        /// The database's failure.
        source: DbError,
    },
    /// The database is not at the head revision(s): autogenerate would compare against a
    /// schema the revision history has not reached.
    #[error(
        "Target database is not up to date: it is at {}, the head is {}. Run `retort upgrade heads` first, then autogenerate again",
        show_revisions(current),
        show_revisions(heads)
    )]
    NotUpToDate {
        /// The database's version rows.
        current: Vec<String>,
        /// The project's heads.
        heads: Vec<String>,
    },
    /// The version rows do not fit the revision graph.
    #[error("cannot tell which revisions are pending: {0}")]
    Graph(#[from] GraphError),
    /// An upgrade operation does not carry what its reverse needs (a bug in comparison).
    #[error("cannot derive the downgrade: {0}")]
    NotReversible(#[from] NotReversible),
    /// An operation has no SQL on the backend.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Writing the revision file failed.
    #[error("writing the revision failed: {0}")]
    Revision(Box<NewRevisionError>),
}

fn show_revisions(v: &[String]) -> String {
    if v.is_empty() {
        "<base>".to_string()
    } else {
        v.join(", ")
    }
}

/// A comparison of the project's declared schema with one live database.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The declared schema (tables filtered by include/exclude).
    pub declared: Schema,
    /// The reflected schema (inline enums resolved to named ones).
    pub reflected: Schema,
    /// The backend.
    pub dialect: Dialect,
    /// The database's version rows (sorted; empty: at base).
    pub current: Vec<String>,
    /// Operations that bring the database to the declared schema.
    pub upgrade: Vec<Operation>,
    /// Their reverse: each upgrade operation's reverse, in reverse order.
    pub downgrade: Vec<Operation>,
    /// Destructive upgrade operations: (index into `upgrade`, warning).
    pub warnings: Vec<(usize, String)>,
    /// Other things worth saying: declared renames, possible renames, what is not changed.
    pub notes: Vec<String>,
}

impl Comparison {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.upgrade.is_empty()
    }

    /// The revisions an `upgrade heads` would run from the database's revision.
    pub fn pending(&self, project: &Project) -> Result<Vec<String>, AutogenerateError> {
        pending_revisions(project, &self.current)
    }

    /// Fails with [`AutogenerateError::NotUpToDate`] unless the database is at the
    /// project's heads.
    pub fn require_at_head(&self, project: &Project) -> Result<(), AutogenerateError> {
        require_at_head(project, &self.current)
    }

    /// The upgrade as YAML operation lines, each destructive one under a `# WARNING`.
    pub fn upgrade_yaml(&self, project: &Project) -> String {
        operations_yaml(project, &self.upgrade, &self.warnings)
    }

    /// The downgrade as YAML operation lines.
    pub fn downgrade_yaml(&self, project: &Project) -> String {
        operations_yaml(project, &self.downgrade, &[])
    }

    /// The upgrade as SQL on the database's backend, starting from the reflected schema.
    pub fn upgrade_sql(&self) -> Result<String, AutogenerateError> {
        operations_sql(
            &self.upgrade,
            &self.warnings,
            self.dialect,
            &self.reflected,
            &self.declared.enums,
        )
    }

    /// The downgrade as SQL, starting from the declared schema.
    pub fn downgrade_sql(&self) -> Result<String, AutogenerateError> {
        operations_sql(
            &self.downgrade,
            &[],
            self.dialect,
            &self.declared,
            &self.declared.enums,
        )
    }
}

/// Autogenerate's entry points. Each works over a connection the caller opened, so a
/// command connects once whatever it reads.
pub struct Autogenerate;

impl Autogenerate {
    /// Compares the project's declared schema with the database behind `conn`: reads the
    /// version rows and the schema, resolves inline enums (MySQL, SQLite) from the
    /// revision history up to the database's revision (see [`resolve_inline_enums`]),
    /// compares, and derives the downgrade by reversing the upgrade.
    pub async fn compare(
        project: &Project,
        conn: &mut Connection,
    ) -> Result<Comparison, AutogenerateError> {
        let declared = declared_schema(project)?;
        let dialect = conn.dialect();
        let current = Autogenerate::version_rows(project, conn).await?;
        let mut reflected = Autogenerate::reflect(project, conn).await?;
        if !dialect.backend().has_enum_types() {
            let history = crate::runner::known_enums(project, &current);
            resolve_inline_enums(&declared, &mut reflected, history, dialect);
        }
        let mut diff = compare(&declared, &reflected, dialect, &project.config.compare);
        let options = ReflectOptions::from_config(&project.config);
        for o in unmodelled_objects(conn, &options).await? {
            diff.notes.push(format!(
                "the database has {o}, which retort does not model: changes to it are not seen, and a database built from schema.yaml will not have it"
            ));
        }
        let downgrade = diff.downgrade()?;
        Ok(Comparison {
            declared,
            reflected,
            dialect,
            current,
            upgrade: diff.upgrade,
            downgrade,
            warnings: diff.warnings,
            notes: diff.notes,
        })
    }

    /// The version rows of the database behind `conn`, sorted (empty: at base).
    pub async fn version_rows(
        project: &Project,
        conn: &mut Connection,
    ) -> Result<Vec<String>, AutogenerateError> {
        let table = &project.config.version_table;
        let mut rows = crate::runner::version_table::read(conn, table)
            .await
            .map_err(|source| AutogenerateError::VersionTable {
                table: table.clone(),
                source,
            })?;
        rows.sort();
        Ok(rows)
    }

    /// Reflects the database behind `conn` (version table and excluded tables left out).
    pub async fn reflect(
        project: &Project,
        conn: &mut Connection,
    ) -> Result<Schema, AutogenerateError> {
        let options = ReflectOptions::from_config(&project.config);
        Ok(reflect_schema(conn, &options).await?)
    }
}

/// The revisions an `upgrade heads` would run from the version rows `current`.
pub fn pending_revisions(
    project: &Project,
    current: &[String],
) -> Result<Vec<String>, AutogenerateError> {
    let steps = project.graph.plan_upgrade(current, "heads")?;
    Ok(steps.into_iter().map(|s| s.revision).collect())
}

/// Fails with [`AutogenerateError::NotUpToDate`] unless the version rows `current` are
/// exactly the project's heads (autogenerate compares only a database at head).
pub fn require_at_head(project: &Project, current: &[String]) -> Result<(), AutogenerateError> {
    let mut heads: Vec<String> = project
        .graph
        .heads()
        .into_iter()
        .map(str::to_string)
        .collect();
    heads.sort();
    let mut rows = current.to_vec();
    rows.sort();
    if rows == heads {
        Ok(())
    } else {
        Err(AutogenerateError::NotUpToDate {
            current: rows,
            heads,
        })
    }
}

/// Loads the declared schema (tables filtered by include/exclude), with an error listing
/// every mistake.
pub fn declared_schema(project: &Project) -> Result<Schema, AutogenerateError> {
    let (mut schema, _) = load_schema(&project.config.schema, &project.config.naming_convention)
        .map_err(AutogenerateError::Schema)?;
    schema
        .tables
        .retain(|t| project.config.table_included(&t.name));
    Ok(schema)
}

/// Writes a revision file for `comparison` through the template `req` names (else the
/// project's): YAML operations, or SQL for the database's backend with a `sql` template.
/// `req.upgrade` and `req.downgrade` are filled in; returns the file's path.
pub fn render_revision(
    project: &Project,
    comparison: &Comparison,
    mut req: NewRevisionRequest,
) -> Result<PathBuf, AutogenerateError> {
    let choice = TemplateChoice::parse(req.template.as_deref().unwrap_or(&project.config.template));
    if choice.is_sql() {
        req.upgrade = comparison.upgrade_sql()?;
        req.downgrade = comparison.downgrade_sql()?;
    } else {
        req.upgrade = comparison.upgrade_yaml(project);
        req.downgrade = comparison.downgrade_yaml(project);
    }
    project
        .create_revision(&req)
        .map_err(|e| AutogenerateError::Revision(Box::new(e)))
}

/// The schema of the database behind `conn` as `schema.yaml` (to adopt an existing
/// database): inline enums (MySQL, SQLite) become named enums, so that the file reads
/// back and compares equal.
pub async fn reflect_to_yaml(
    project: &Project,
    conn: &mut Connection,
) -> Result<String, AutogenerateError> {
    let schema = Autogenerate::reflect(project, conn).await?;
    let options = ReflectOptions::from_config(&project.config);
    let unmodelled = unmodelled_objects(conn, &options).await?;
    let mut out = String::new();
    if !unmodelled.is_empty() {
        out.push_str(
            "# Not modelled by retort (left as they are, never compared or created):
",
        );
        for o in &unmodelled {
            out.push_str(&format!("#   {o}\n"));
        }
    }
    out.push_str(&reflected_yaml(project, &schema));
    Ok(out)
}

/// YAML operation lines for a revision, with a `# WARNING` comment above each destructive one.
pub fn operations_yaml(
    project: &Project,
    ops: &[Operation],
    warnings: &[(usize, String)],
) -> String {
    let mut out = String::new();
    for (i, op) in ops.iter().enumerate() {
        for (_, w) in warnings.iter().filter(|(at, _)| *at == i) {
            out.push_str(&format!("  # WARNING: {w}\n"));
        }
        out.push_str(&write_operations(
            std::slice::from_ref(op),
            2,
            &project.config.naming_convention,
        ));
    }
    out
}

/// SQL for `ops` on `dialect`, starting from `schema`; destructive statements get a warning comment.
pub fn operations_sql(
    ops: &[Operation],
    warnings: &[(usize, String)],
    dialect: Dialect,
    schema: &Schema,
    declared_enums: &[EnumType],
) -> Result<String, AutogenerateError> {
    let mut ctx = RenderContext::new(schema.clone());
    for e in declared_enums {
        if ctx.schema.enum_type(&e.name).is_none() {
            ctx.schema.enums.push(e.clone());
        }
    }
    let mut out = String::new();
    for (i, op) in ops.iter().enumerate() {
        for (_, w) in warnings.iter().filter(|(at, _)| *at == i) {
            out.push_str(&format!("-- WARNING: {w}\n"));
        }
        for sql in render(op, dialect, &ctx)? {
            out.push_str(sql.trim_end_matches(';'));
            out.push_str(";\n");
        }
        let _ = ctx.apply(op);
    }
    Ok(out.trim_end().to_string())
}

/// The reflected schema as `schema.yaml`: inline enums (MySQL, SQLite) become named
/// enums, so that the file reads back and compares equal.
pub fn reflected_yaml(project: &Project, reflected: &Schema) -> String {
    let mut schema = reflected.clone();
    let mut named: Vec<EnumType> = schema.enums.clone();
    for t in &mut schema.tables {
        for c in &mut t.columns {
            let ColumnType::Custom(spelling) = &c.ty else {
                continue;
            };
            let Some(values) = inline_enum_values(spelling) else {
                continue;
            };
            let existing = named
                .iter()
                .find(|e| e.values == values)
                .map(|e| e.name.clone());
            let name = existing.unwrap_or_else(|| {
                let mut name = format!("{}_{}", t.name, c.name)
                    .chars()
                    .map(|ch| {
                        if ch.is_ascii_alphanumeric() {
                            ch.to_ascii_lowercase()
                        } else {
                            '_'
                        }
                    })
                    .collect::<String>();
                if !name.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
                    name.insert(0, 'e');
                }
                while named.iter().any(|e| e.name == name) {
                    name.push('_');
                }
                named.push(EnumType {
                    name: name.clone(),
                    values,
                });
                name
            });
            c.ty = ColumnType::Enum(name);
        }
    }
    schema.enums = named;
    schema_to_yaml(&schema, &project.config.naming_convention)
}
