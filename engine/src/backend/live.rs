//! Rendering against a live database: what the render context lacks is read from the
//! catalog. On SQLite that is the current definition of a table to rebuild
//! (`sqlite_master` plus `PRAGMA table_xinfo`/`index_list`/`index_xinfo`/
//! `foreign_key_list`), with the views and triggers around it; on MySQL the current
//! definition of a column to `MODIFY` and the foreign keys of a column to drop.

use super::connection::{Connection, DbError, TextRow};
use super::reader::{name_inline_enums, ReflectError, TableScope};
use super::render::{render_with, RenderContext, RenderError};
use super::sqlite::ddl::{parse_create_table, DdlError};
use super::sqlite::rebuild::{SqliteLive, SqliteTableExtras, TEMP_PREFIX};
use super::sqlite::SqliteBackend;
use super::Backend;
use crate::backend::dialect::Dialect;
use crate::ops::{ConstraintKind, Operation};
use crate::schema::{EnumType, Table};

/// What SQLite's live rendering of an operation reads from the database.
enum SqliteLiveRead<'o> {
    /// Nothing: the context is enough.
    Nothing,
    /// The definition of this table (the operations that may rebuild it).
    Table(&'o str),
    /// Every table (the enum value changes, whose CHECKs may be anywhere).
    AllTables,
}

fn sqlite_live_read(op: &Operation) -> SqliteLiveRead<'_> {
    match op {
        Operation::AlterColumn(_)
        | Operation::AddColumn { .. }
        | Operation::DropColumn { .. }
        | Operation::CreateUniqueConstraint { .. }
        | Operation::CreateForeignKey { .. }
        | Operation::CreateCheckConstraint { .. }
        | Operation::CreatePrimaryKey { .. }
        | Operation::DropConstraint { .. } => op
            .table()
            .map_or(SqliteLiveRead::Nothing, SqliteLiveRead::Table),
        Operation::AddEnumValue { .. } | Operation::DropEnumValue { .. } => {
            SqliteLiveRead::AllTables
        }
        _ => SqliteLiveRead::Nothing,
    }
}

/// True when [`render_live`] may read the MySQL/MariaDB database to render `op` with
/// `ctx` (which [`render_live`] follows, so the two cannot disagree).
fn mysql_reads_database(op: &Operation, ctx: &RenderContext) -> bool {
    let unknown = |table: &str| ctx.schema.table(table).is_none();
    match op {
        Operation::CreateIndex { table, .. } => {
            unknown(table) || mysql_expression_index(op, ctx).is_some()
        }
        Operation::AlterColumn(a) => unknown(&a.table),
        Operation::DropColumn { table, .. } | Operation::DropIndex { table, .. } => unknown(table),
        Operation::DropConstraint { table, kind, .. } => {
            *kind == ConstraintKind::ForeignKey || unknown(table)
        }
        Operation::AddEnumValue { .. } | Operation::DropEnumValue { .. } => true,
        _ => mysql_expression_index(op, ctx).is_some(),
    }
}

/// True when [`render_live`] may read the database to render `op` with `ctx` on
/// `dialect`: the statements before it must then have run. Exact for SQLite and
/// MySQL/MariaDB (the backends that send statements together); true for every
/// operation on PostgreSQL.
pub fn render_reads_database(op: &Operation, ctx: &RenderContext, dialect: Dialect) -> bool {
    match dialect {
        Dialect::Sqlite => !matches!(sqlite_live_read(op), SqliteLiveRead::Nothing),
        Dialect::MySql => mysql_reads_database(op, ctx),
        Dialect::Postgres => true,
    }
}

/// Like [`super::render`], but fills in what the context lacks from the live database
/// behind `conn` (whose dialect is used):
///
/// - SQLite: for the operations that may rebuild a table (`alter_column`, `add_column`,
///   `drop_column`, `create_unique_constraint`, `create_foreign_key`,
///   `create_check_constraint`, `create_primary_key`, `drop_constraint`,
///   `add_enum_value`) the table's current definition is read from the database (it
///   replaces the context's), with the views and triggers that must be recreated around
///   the rebuild. A rebuild is refused while `PRAGMA foreign_keys` is on (see
///   [`super::sqlite::rebuild`] for the contract).
/// - MySQL/MariaDB: for `alter_column`, `drop_column` and `add_enum_value` the table's
///   columns and foreign keys are read from `information_schema` (when the context does
///   not have the table), so that `MODIFY COLUMN` restates the column faithfully, a
///   dropped column's foreign keys are dropped first, and the columns using an enum are
///   found.
/// - PostgreSQL reads the table of an `alter_column` that stops autoincrementing (an
///   identity is dropped, an owned sequence's default and the sequence are dropped).
///
/// Reading the catalog does not change the database.
pub async fn render_live(
    op: &Operation,
    conn: &mut Connection,
    ctx: &RenderContext,
) -> Result<Vec<String>, RenderError> {
    let dialect = conn.dialect();
    let fail = |message: String| RenderError {
        operation: op.describe(),
        dialect,
        message,
    };
    match dialect {
        Dialect::Postgres => {
            // Stopping a column's autoincrement drops its identity or its owned sequence:
            // the table says which. The context is copied only to add that table.
            let mut read: Option<RenderContext> = None;
            if let Operation::AlterColumn(a) = op {
                if a.autoincrement == Some(false) && ctx.schema.table(&a.table).is_none() {
                    if let Some(t) = read_live_table(conn, &a.table, &ctx.schema.enums)
                        .await
                        .map_err(|e| {
                            fail(format!(
                                "reading table `{}` from the database failed: {e}",
                                a.table
                            ))
                        })?
                    {
                        read.get_or_insert_with(|| ctx.clone())
                            .schema
                            .tables
                            .push(t);
                    }
                }
            }
            render_with(op, dialect, read.as_ref().unwrap_or(ctx), None).map(|r| r.statements)
        }
        Dialect::MySql if !mysql_reads_database(op, ctx) => {
            render_with(op, dialect, ctx, None).map(|r| r.statements)
        }
        Dialect::MySql => {
            // The context is copied only when a table must be added to it: that of a
            // `create_index` (its entries that are columns are quoted as columns, the
            // others are expressions), or those the operation changes.
            let mut read: Option<RenderContext> = None;
            if let Operation::CreateIndex { table, .. } = op {
                if ctx.schema.table(table).is_none() {
                    if let Ok(Some(t)) = read_live_table(conn, table, &ctx.schema.enums).await {
                        read.get_or_insert_with(|| ctx.clone())
                            .schema
                            .tables
                            .push(t);
                    }
                }
            }
            if let Some(ix) = mysql_expression_index(op, read.as_ref().unwrap_or(ctx)) {
                let version = conn
                    .query("SELECT VERSION()")
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                let version = version.first().and_then(|r| cell(r, 0)).unwrap_or_default();
                if !mysql_has_expression_indexes(&version) {
                    return Err(fail(format!(
                        "index `{}` has an expression part ({}), and this server ({version}) has no expression indexes (MariaDB has none; MySQL from 8.0.13); index a generated column instead",
                        ix.name,
                        ix.columns
                            .iter()
                            .filter(|c| super::mysql::is_expression_part(c, None))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            let tables: Vec<String> = match op {
                Operation::AlterColumn(a) => vec![a.table.clone()],
                Operation::DropColumn { table, .. }
                | Operation::DropIndex { table, .. }
                | Operation::DropConstraint { table, .. } => vec![table.clone()],
                Operation::AddEnumValue { .. } | Operation::DropEnumValue { .. } => {
                    mysql_table_names(conn)
                        .await
                        .map_err(|e| fail(e.to_string()))?
                }
                _ => Vec::new(),
            };
            for name in tables {
                if read.as_ref().unwrap_or(ctx).schema.table(&name).is_some() {
                    continue;
                }
                if let Some(t) = read_live_table(conn, &name, &ctx.schema.enums)
                    .await
                    .map_err(|e| {
                        fail(format!(
                            "reading table `{name}` from the database failed: {e}"
                        ))
                    })?
                {
                    read.get_or_insert_with(|| ctx.clone())
                        .schema
                        .tables
                        .push(t);
                }
            }
            let mut statements = render_with(op, dialect, read.as_ref().unwrap_or(ctx), None)
                .map(|r| r.statements)?;
            if let Operation::DropConstraint {
                name,
                table,
                kind: ConstraintKind::ForeignKey,
                ..
            } = op
            {
                // MySQL keeps the index it made for a foreign key after the key is dropped;
                // it carries the key's name, so it goes with the key.
                let sql = format!(
                    "SELECT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = {} AND index_name = {} LIMIT 1",
                    dialect.backend().literal(table),
                    dialect.backend().literal(name)
                );
                let found = conn.query(&sql).await.map_err(|e| fail(e.to_string()))?;
                if !found.is_empty() {
                    statements.push(format!(
                        "ALTER TABLE {} DROP INDEX {}",
                        dialect.backend().quote(table),
                        dialect.backend().quote(name)
                    ));
                }
            }
            Ok(statements)
        }
        Dialect::Sqlite => {
            let tables: Vec<String> = match sqlite_live_read(op) {
                SqliteLiveRead::Table(t) => vec![t.to_string()],
                SqliteLiveRead::AllTables => sqlite_table_names(conn)
                    .await
                    .map_err(|e| fail(e.to_string()))?,
                SqliteLiveRead::Nothing => Vec::new(),
            };
            if tables.is_empty() {
                return render_with(op, dialect, ctx, None).map(|r| r.statements);
            }
            let mut ctx2 = ctx.clone();
            let mut live = read_sqlite_surroundings(conn)
                .await
                .map_err(|e| fail(e.to_string()))?;
            for name in &tables {
                let read = read_sqlite_table_full(conn, name, &ctx.schema.enums)
                    .await
                    .map_err(|e| {
                        fail(format!(
                            "reading table `{name}` from the database failed: {e}"
                        ))
                    })?;
                let Some((table, extras)) = read else {
                    if !matches!(op, Operation::AddEnumValue { .. })
                        && ctx.schema.table(name).is_none()
                    {
                        return Err(fail(format!("table `{name}` does not exist")));
                    }
                    continue;
                };
                live.tables.push((table.name.clone(), extras));
                ctx2.replace_table(table);
            }
            let rendered = render_with(op, dialect, &ctx2, Some(&live))?;
            if rendered.rebuilt {
                let on = conn
                    .query("PRAGMA foreign_keys")
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                if on
                    .first()
                    .and_then(|r| r.first())
                    .cloned()
                    .flatten()
                    .as_deref()
                    == Some("1")
                {
                    return Err(fail(
                        "this rebuilds the table, which needs PRAGMA foreign_keys=OFF set before BEGIN (with foreign keys on, dropping the old table would run ON DELETE actions in the tables referring to it); turn foreign keys off for the migration and run PRAGMA foreign_key_check before COMMIT".into(),
                    ));
                }
            }
            Ok(rendered.statements)
        }
    }
}

/// Runs `PRAGMA foreign_key_check` on a SQLite connection and describes every
/// violation (`table rowid N violates its foreign key to parent`); empty: none. The
/// runner calls this before `COMMIT` when it ran with foreign keys off.
pub async fn sqlite_foreign_key_violations(conn: &mut Connection) -> Result<Vec<String>, DbError> {
    let rows = conn
        .query(super::sqlite::rebuild::FOREIGN_KEY_CHECK)
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let cell = |i: usize| r.get(i).cloned().flatten().unwrap_or_else(|| "?".into());
            format!(
                "row {} of table `{}` violates its foreign key to `{}`",
                cell(1),
                cell(0),
                cell(2)
            )
        })
        .collect())
}

fn cell(row: &TextRow, i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

/// Why reading a live table for rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum LiveReadError {
    /// The schema reader failed.
    #[error(transparent)]
    Read(#[from] ReflectError),
    /// A catalog query failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The `CREATE TABLE` text in `sqlite_master` could not be read.
    #[error("cannot read the definition of table `{table}`: {source}")]
    Definition {
        /// The table.
        table: String,
        /// What the parser found.
        source: DdlError,
    },
    /// The table uses features a SQLite rebuild cannot carry.
    #[error("table `{table}` uses {features}, which retort's SQLite table rebuild cannot reproduce; make this change with an execute operation instead")]
    Unsupported {
        /// The table.
        table: String,
        /// The features, comma-separated.
        features: String,
    },
    /// The table has a hidden column (of a virtual table).
    #[error("table `{table}` has the hidden column `{column}`, which retort's SQLite table rebuild cannot reproduce")]
    HiddenColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
}

async fn sqlite_table_names(conn: &mut Connection) -> Result<Vec<String>, DbError> {
    let rows = conn
        .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| cell(r, 0))
        .filter(|n| !n.starts_with(TEMP_PREFIX))
        .collect())
}

/// Views and triggers, and (per table, filled later) the tables referring to it.
async fn read_sqlite_surroundings(conn: &mut Connection) -> Result<SqliteLive, DbError> {
    let rows = conn
        .query("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY rowid")
        .await?;
    let mut live = SqliteLive::default();
    for r in &rows {
        let (Some(kind), Some(name), Some(on), Some(sql)) =
            (cell(r, 0), cell(r, 1), cell(r, 2), cell(r, 3))
        else {
            continue;
        };
        if kind == "view" {
            live.views.push((name, sql));
        } else {
            live.triggers.push((name, on, sql));
        }
    }
    Ok(live)
}

/// Reads one table with the backend's schema reader (the one reflection uses), with
/// inline enum columns named after the declared enum of the same values in `enums`
/// (`None` when there is no such table).
pub async fn read_live_table(
    conn: &mut Connection,
    name: &str,
    enums: &[EnumType],
) -> Result<Option<Table>, LiveReadError> {
    let backend = conn.dialect().backend();
    let (schema, _) = backend.read_schema(conn, TableScope::One(name)).await?;
    Ok(schema.tables.into_iter().next().map(|mut t| {
        name_inline_enums(&mut t, enums);
        t
    }))
}

/// Reads one SQLite table into the schema model (`None` when there is no such table),
/// as [`read_live_table`] does. Fails when the table uses features the model (and so a
/// rebuild) cannot carry, such as `STRICT` or `ON CONFLICT` clauses.
pub async fn read_sqlite_table(
    conn: &mut Connection,
    name: &str,
    enums: &[EnumType],
) -> Result<Option<Table>, LiveReadError> {
    Ok(read_sqlite_table_full(conn, name, enums)
        .await?
        .map(|(t, _)| t))
}

fn lit(s: &str) -> String {
    SqliteBackend.literal(s)
}

/// [`read_live_table`] plus what a rebuild needs beyond the model: the `CREATE INDEX`
/// texts, whether the rowid alias says `AUTOINCREMENT`, and the tables referring to it.
async fn read_sqlite_table_full(
    conn: &mut Connection,
    name: &str,
    enums: &[EnumType],
) -> Result<Option<(Table, SqliteTableExtras)>, LiveReadError> {
    let Some(table) = read_live_table(conn, name, enums).await? else {
        return Ok(None);
    };
    let name = table.name.clone();
    let rows = conn
        .query(&format!(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = {}",
            lit(&name)
        ))
        .await?;
    let sql = rows.first().and_then(|r| cell(r, 0)).unwrap_or_default();
    let parsed = parse_create_table(&sql).map_err(|source| LiveReadError::Definition {
        table: name.clone(),
        source,
    })?;
    if !parsed.unsupported.is_empty() {
        return Err(LiveReadError::Unsupported {
            table: name,
            features: parsed.unsupported.join(", "),
        });
    }
    let hidden = conn
        .query(&format!(
            "SELECT name FROM pragma_table_xinfo({}) WHERE hidden = 1 ORDER BY cid",
            lit(&name)
        ))
        .await?;
    if let Some(column) = hidden.first().and_then(|r| cell(r, 0)) {
        return Err(LiveReadError::HiddenColumn {
            table: name,
            column,
        });
    }
    let index_sql = conn
        .query(&format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = {} COLLATE NOCASE AND sql IS NOT NULL ORDER BY rowid",
            lit(&name)
        ))
        .await?
        .iter()
        .filter_map(|r| Some((cell(r, 0)?, cell(r, 1)?)))
        .collect();
    let children = conn
        .query(&format!(
            "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = {} COLLATE NOCASE",
            lit(&name)
        ))
        .await?
        .iter()
        .filter_map(|r| cell(r, 0))
        .filter(|c| !c.eq_ignore_ascii_case(&name))
        .collect();
    let extras = SqliteTableExtras {
        index_sql,
        autoincrement_keyword: parsed.columns.iter().any(|c| c.autoincrement_keyword),
        children,
    };
    Ok(Some((table, extras)))
}

// ---- MySQL / MariaDB --------------------------------------------------------------

/// The first index `op` creates that has an expression part (an entry that is not a
/// column of its table, as `ctx` knows the table).
fn mysql_expression_index<'o>(
    op: &'o Operation,
    ctx: &RenderContext,
) -> Option<&'o crate::schema::Index> {
    let has_expr = |ix: &crate::schema::Index, columns: Option<&[crate::schema::Column]>| {
        ix.columns
            .iter()
            .any(|c| super::mysql::is_expression_part(c, columns))
    };
    match op {
        Operation::CreateIndex { index, table, .. } => {
            let columns = ctx.schema.table(table).map(|t| t.columns.as_slice());
            Some(index).filter(|ix| has_expr(ix, columns))
        }
        Operation::CreateTable(t) => t.indexes.iter().find(|ix| has_expr(ix, Some(&t.columns))),
        _ => None,
    }
}

/// True when the server (its `VERSION()`) indexes expressions: MySQL 8.0.13 and later.
fn mysql_has_expression_indexes(version: &str) -> bool {
    if version.to_ascii_lowercase().contains("mariadb") {
        return false;
    }
    let v: Vec<u32> = version
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    (
        v.first().copied().unwrap_or(0),
        v.get(1).copied().unwrap_or(0),
        v.get(2).copied().unwrap_or(0),
    ) >= (8, 0, 13)
}

async fn mysql_table_names(conn: &mut Connection) -> Result<Vec<String>, DbError> {
    let rows = conn
        .query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
        .await?;
    Ok(rows.iter().filter_map(|r| cell(r, 0)).collect())
}
