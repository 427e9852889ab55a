//! Autogenerate: load the declared schema, reflect the live database, compare them,
//! and write the differences as revision text (YAML operations or SQL).

use crate::backend::{render, RenderContext};
use crate::compare::{compare, resolve_inline_enums, Diff};
use crate::db::Connection;
use crate::dialect::Dialect;
use crate::ops::{write_operations, Operation};
use crate::project::Project;
use crate::reflect::{reflect_schema, ReflectOptions};
use crate::schema::{
    inline_enum_values, load_schema, schema_to_yaml, ColumnType, EnumType, Schema,
};

/// A comparison of the project's declared schema with one live database.
#[derive(Debug)]
pub struct Comparison {
    /// The declared schema (tables filtered by include/exclude).
    pub declared: Schema,
    /// The reflected schema.
    pub reflected: Schema,
    /// The backend.
    pub dialect: Dialect,
    /// What differs.
    pub diff: Diff,
}

/// Loads the declared schema, with an error listing every mistake.
pub fn declared_schema(project: &Project) -> Result<Schema, String> {
    let (mut schema, _) = load_schema(&project.config.schema, &project.config.naming_convention)
        .map_err(|d| format!("the declared schema has mistakes:\n{d}"))?;
    schema
        .tables
        .retain(|t| project.config.table_included(&t.name));
    Ok(schema)
}

/// Reflects the database at `url` (version table and excluded tables left out).
pub async fn reflect_database(project: &Project, conn: &mut Connection) -> Result<Schema, String> {
    let options = ReflectOptions::from_config(&project.config);
    reflect_schema(conn, &options)
        .await
        .map_err(|e| format!("reflecting the database failed: {e}"))
}

/// Compares the declared schema with the database at `url`. Where enums are inline
/// (MySQL, SQLite), the database's enums are those the revision history defines up to
/// its current revision, completed from its columns (see [`resolve_inline_enums`]).
pub async fn compare_with_database(project: &Project, url: &str) -> Result<Comparison, String> {
    let declared = declared_schema(project)?;
    let mut conn = Connection::connect_read_only(url)
        .await
        .map_err(|e| e.to_string())?;
    let dialect = conn.dialect();
    let reflected = reflect_database(project, &mut conn).await;
    let rows = if dialect.backend().has_enum_types() {
        Ok(Vec::new())
    } else {
        crate::runner::version_table::read(&mut conn, &project.config.version_table)
            .await
            .map_err(|e| format!("reading the version table failed: {e}"))
    };
    conn.close().await;
    let mut reflected = reflected?;
    let history = crate::runner::known_enums(project, &rows?);
    resolve_inline_enums(&declared, &mut reflected, history, dialect);
    let diff = compare(&declared, &reflected, dialect, &project.config.compare);
    Ok(Comparison {
        declared,
        reflected,
        dialect,
        diff,
    })
}

/// The database's version rows must be exactly the heads before autogenerate.
pub async fn require_at_head(project: &Project, url: &str) -> Result<(), String> {
    let rows = crate::runner::current(project, url)
        .await
        .map_err(|e| e.to_string())?;
    let mut heads: Vec<String> = project
        .graph
        .heads()
        .into_iter()
        .map(str::to_string)
        .collect();
    heads.sort();
    if rows == heads {
        return Ok(());
    }
    let show = |v: &[String]| {
        if v.is_empty() {
            "<base>".to_string()
        } else {
            v.join(", ")
        }
    };
    Err(format!(
        "Target database is not up to date: it is at {}, the head is {}. Run `retort upgrade head` first, then autogenerate again",
        show(&rows),
        show(&heads)
    ))
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
) -> Result<String, String> {
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
        for sql in render(op, dialect, &ctx).map_err(|e| e.to_string())? {
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
