//! Rendering against a live database: what the render context lacks is read from the
//! catalog. On SQLite that is the current definition of a table to rebuild
//! (`sqlite_master` plus `PRAGMA table_xinfo`/`index_list`/`index_xinfo`/
//! `foreign_key_list`), with the views and triggers around it; on MySQL the current
//! definition of a column to `MODIFY` and the foreign keys of a column to drop.

use super::render::{render_with, RenderContext, RenderError};
use super::sqlite::ddl::{index_where, parse_create_table};
use super::sqlite::rebuild::{SqliteLive, SqliteTableExtras, TEMP_PREFIX};
use crate::db::{Connection, DbError};
use crate::dialect::Dialect;
use crate::ops::{ConstraintKind, Operation};
use crate::schema::{
    CheckConstraint, Column, ColumnType, EnumType, FkAction, ForeignKey, Index, PrimaryKey, Table,
    UniqueConstraint,
};

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
/// - PostgreSQL needs nothing beyond the operation.
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
        Dialect::Postgres => render_with(op, dialect, ctx, None).map(|r| r.statements),
        Dialect::MySql => {
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
            let mut ctx2 = ctx.clone();
            for name in tables {
                if ctx2.schema.table(&name).is_some() {
                    continue;
                }
                if let Some(t) = read_mysql_table(conn, &name, &ctx.schema.enums)
                    .await
                    .map_err(|e| {
                        fail(format!(
                            "reading table `{name}` from the database failed: {e}"
                        ))
                    })?
                {
                    ctx2.schema.tables.push(t);
                }
            }
            let mut statements = render_with(op, dialect, &ctx2, None).map(|r| r.statements)?;
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
            let tables: Vec<String> = match op {
                Operation::AlterColumn(_)
                | Operation::AddColumn { .. }
                | Operation::DropColumn { .. }
                | Operation::CreateUniqueConstraint { .. }
                | Operation::CreateForeignKey { .. }
                | Operation::CreateCheckConstraint { .. }
                | Operation::CreatePrimaryKey { .. }
                | Operation::DropConstraint { .. } => {
                    op.table().map(|t| vec![t.to_string()]).unwrap_or_default()
                }
                Operation::AddEnumValue { .. } | Operation::DropEnumValue { .. } => {
                    sqlite_table_names(conn)
                        .await
                        .map_err(|e| fail(e.to_string()))?
                }
                _ => Vec::new(),
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
                ctx2.schema
                    .tables
                    .retain(|t| !t.name.eq_ignore_ascii_case(&table.name));
                live.tables.push((table.name.clone(), extras));
                ctx2.schema.tables.push(table);
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

fn cell(row: &Row0, i: usize) -> Option<String> {
    row.get(i).cloned().flatten()
}

type Row0 = Vec<Option<String>>;

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

/// Reads one SQLite table into the schema model (`None` when there is no such table).
/// Enum columns are recognised by their `CHECK ("col" IN (…))` against `enums`. Fails
/// when the table uses features the model (and so a rebuild) cannot carry, such as
/// `COLLATE`, generated columns, `WITHOUT ROWID` or `ON CONFLICT` clauses.
pub async fn read_sqlite_table(
    conn: &mut Connection,
    name: &str,
    enums: &[EnumType],
) -> Result<Option<Table>, String> {
    Ok(read_sqlite_table_full(conn, name, enums)
        .await?
        .map(|(t, _)| t))
}

fn lit(s: &str) -> String {
    Dialect::Sqlite.backend().literal(s)
}

async fn read_sqlite_table_full(
    conn: &mut Connection,
    name: &str,
    enums: &[EnumType],
) -> Result<Option<(Table, SqliteTableExtras)>, String> {
    let e = |e: DbError| e.to_string();
    let rows = conn
        .query(&format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name = {} COLLATE NOCASE",
            lit(name)
        ))
        .await
        .map_err(e)?;
    let Some((name, sql)) = rows.first().and_then(|r| Some((cell(r, 0)?, cell(r, 1)?))) else {
        return Ok(None);
    };
    let parsed = parse_create_table(&sql)
        .map_err(|m| format!("cannot read the definition of table `{name}`: {m}"))?;
    if !parsed.unsupported.is_empty() {
        return Err(format!(
            "table `{name}` uses {}, which retort's SQLite table rebuild cannot reproduce; make this change with an execute operation instead",
            parsed.unsupported.join(", ")
        ));
    }
    let mut extras = SqliteTableExtras {
        autoincrement_keyword: parsed.columns.iter().any(|c| c.autoincrement_keyword),
        ..SqliteTableExtras::default()
    };
    let mut table = Table {
        name: name.clone(),
        ..Table::default()
    };

    // Columns.
    let cols = conn
        .query(&format!(
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo({}) ORDER BY cid",
            lit(&name)
        ))
        .await
        .map_err(e)?;
    let mut pk: Vec<(i64, String)> = Vec::new();
    let mut checks = parsed.checks.clone();
    for r in &cols {
        let Some(cname) = cell(r, 0) else { continue };
        if cell(r, 5).is_some_and(|h| h != "0") {
            return Err(format!("table `{name}` has the generated or hidden column `{cname}`, which retort's SQLite table rebuild cannot reproduce"));
        }
        let declared = cell(r, 1).unwrap_or_default();
        let mut ty = if declared.trim().is_empty() {
            ColumnType::Custom(String::new())
        } else {
            ColumnType::parse(&declared).unwrap_or_else(|_| ColumnType::Custom(declared.clone()))
        };
        let pk_pos: i64 = cell(r, 4).and_then(|p| p.parse().ok()).unwrap_or(0);
        if pk_pos > 0 {
            pk.push((pk_pos, cname.clone()));
        }
        // An enum column: VARCHAR with CHECK ("col" IN (values)) of a known enum.
        if matches!(ty, ColumnType::Varchar(None)) {
            let r = super::render::Renderer {
                b: &super::sqlite::SqliteBackend,
                ctx: &RenderContext::default(),
                live: None,
                rebuilt: false,
            };
            // The values of a column CHECK written exactly as retort writes enum checks.
            let enum_check_values = |expr: &str| -> Option<Vec<String>> {
                let inner = expr.split_once(" IN (")?.1.strip_suffix(')')?;
                let values = crate::schema::inline_enum_values(&format!("enum({inner})"))?;
                (r.sqlite_enum_check(&cname, &values) == expr).then_some(values)
            };
            let found = checks.iter().position(|c| {
                c.column
                    .as_deref()
                    .is_some_and(|cc| cc.eq_ignore_ascii_case(&cname))
                    && c.name.is_none()
                    && enum_check_values(&c.expr).is_some()
            });
            if let Some(i) = found {
                let expr = checks.remove(i).expr;
                if let Some(values) = enum_check_values(&expr) {
                    ty = match enums.iter().find(|en| en.values == values) {
                        Some(en) => ColumnType::Enum(en.name.clone()),
                        None => ColumnType::Custom(crate::schema::inline_enum_spelling(&values)),
                    };
                }
            }
        }
        let parsed_col = parsed
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&cname));
        let inline_pk = parsed_col.is_some_and(|c| c.primary_key);
        table.columns.push(Column {
            name: cname,
            autoincrement: inline_pk && declared.trim().eq_ignore_ascii_case("INTEGER"),
            ty,
            nullable: cell(r, 2).as_deref() != Some("1") && pk_pos == 0,
            server_default: cell(r, 3),
            comment: None,
            renamed_from: None,
        });
    }
    pk.sort();
    if !pk.is_empty() {
        table.primary_key = Some(PrimaryKey {
            name: parsed.primary_key_name.clone(),
            columns: pk.into_iter().map(|(_, c)| c).collect(),
        });
    }
    if table
        .primary_key
        .as_ref()
        .is_none_or(|p| p.columns.len() != 1)
    {
        for c in &mut table.columns {
            c.autoincrement = false;
        }
    }

    // Indexes and unique constraints.
    let list = conn
        .query(&format!(
            "SELECT name, \"unique\", origin FROM pragma_index_list({}) ORDER BY seq DESC",
            lit(&name)
        ))
        .await
        .map_err(e)?;
    for r in &list {
        let (Some(iname), Some(origin)) = (cell(r, 0), cell(r, 2)) else {
            continue;
        };
        let info = conn
            .query(&format!(
                "SELECT name FROM pragma_index_xinfo({}) WHERE key = 1 ORDER BY seqno",
                lit(&iname)
            ))
            .await
            .map_err(e)?;
        let columns: Vec<String> = info
            .iter()
            .map(|r| cell(r, 0).unwrap_or_else(|| "<expression>".into()))
            .collect();
        match origin.as_str() {
            "u" => {
                let uname = parsed
                    .uniques
                    .iter()
                    .find(|(_, c)| same_names(c, &columns))
                    .and_then(|(n, _)| n.clone())
                    .unwrap_or_default();
                if !table
                    .unique
                    .iter()
                    .any(|u| same_names(&u.columns, &columns))
                {
                    table.unique.push(UniqueConstraint {
                        name: uname,
                        columns,
                    });
                }
            }
            "c" => {
                let isql = conn
                    .query(&format!(
                        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = {}",
                        lit(&iname)
                    ))
                    .await
                    .map_err(e)?;
                let isql = isql.first().and_then(|r| cell(r, 0)).unwrap_or_default();
                table.indexes.push(Index {
                    name: iname.clone(),
                    columns,
                    unique: cell(r, 1).as_deref() == Some("1"),
                    where_clause: index_where(&isql),
                });
                extras.index_sql.push((iname, isql));
            }
            _ => {}
        }
    }

    // Foreign keys.
    let fks = conn
        .query(&format!(
            "SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list({}) ORDER BY id, seq",
            lit(&name)
        ))
        .await
        .map_err(e)?;
    let mut grouped: Vec<(String, ForeignKey, String, String)> = Vec::new();
    for r in &fks {
        let id = cell(r, 0).unwrap_or_default();
        let (Some(parent), Some(from)) = (cell(r, 2), cell(r, 3)) else {
            continue;
        };
        if grouped.last().is_none_or(|(g, ..)| *g != id) {
            grouped.push((
                id.clone(),
                ForeignKey {
                    name: String::new(),
                    columns: Vec::new(),
                    referred_table: parent,
                    referred_columns: Vec::new(),
                    on_delete: None,
                    on_update: None,
                },
                cell(r, 6).unwrap_or_default(),
                cell(r, 5).unwrap_or_default(),
            ));
        }
        if let Some((_, fk, _, _)) = grouped.last_mut() {
            fk.columns.push(from);
            if let Some(to) = cell(r, 4) {
                fk.referred_columns.push(to);
            }
        }
    }
    // The pragma lists keys last-declared first; the text gives names and written actions.
    grouped.reverse();
    for (_, mut fk, on_delete, on_update) in grouped {
        let declared = parsed.foreign_keys.iter().find(|p| {
            same_names(&p.columns, &fk.columns)
                && p.referred_table.eq_ignore_ascii_case(&fk.referred_table)
        });
        match declared {
            Some(p) => {
                fk.name = p.name.clone().unwrap_or_default();
                fk.on_delete = p.on_delete;
                fk.on_update = p.on_update;
                if p.referred_columns.is_empty() {
                    fk.referred_columns.clear();
                }
                fk.referred_table = p.referred_table.clone();
            }
            None => {
                let act = |s: &str| FkAction::parse(s).filter(|a| *a != FkAction::NoAction);
                fk.on_delete = act(&on_delete);
                fk.on_update = act(&on_update);
            }
        }
        if fk.referred_columns.len() != fk.columns.len() {
            fk.referred_columns.clear();
        }
        table.foreign_keys.push(fk);
    }

    // Checks left after the enum ones.
    for c in checks {
        table.checks.push(CheckConstraint {
            name: c.name.unwrap_or_default(),
            expr: c.expr,
        });
    }

    // Tables referring to this one.
    let children = conn
        .query(&format!(
            "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = {} COLLATE NOCASE",
            lit(&name)
        ))
        .await
        .map_err(e)?;
    extras.children = children
        .iter()
        .filter_map(|r| cell(r, 0))
        .filter(|c| !c.eq_ignore_ascii_case(&name))
        .collect();
    Ok(Some((table, extras)))
}

fn same_names(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

// ---- MySQL / MariaDB --------------------------------------------------------------

async fn mysql_table_names(conn: &mut Connection) -> Result<Vec<String>, DbError> {
    let rows = conn
        .query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME")
        .await?;
    Ok(rows.iter().filter_map(|r| cell(r, 0)).collect())
}

/// The values of a MySQL `enum('a','b''c')` column type.
fn mysql_enum_values(column_type: &str) -> Option<Vec<String>> {
    let inner = column_type.strip_prefix("enum(")?.strip_suffix(')')?;
    let chars: Vec<char> = inner.chars().collect();
    let mut values = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\'' {
            return None;
        }
        i += 1;
        let mut v = String::new();
        loop {
            match chars.get(i) {
                None => return None,
                Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                    v.push('\'');
                    i += 2;
                }
                Some('\'') => {
                    i += 1;
                    break;
                }
                Some('\\') if chars.get(i + 1) == Some(&'\\') => {
                    v.push('\\');
                    i += 2;
                }
                Some(c) => {
                    v.push(*c);
                    i += 1;
                }
            }
        }
        values.push(v);
        if chars.get(i) == Some(&',') {
            i += 1;
        }
    }
    Some(values)
}

/// Reads a MySQL/MariaDB table's columns (types verbatim, enums recognised against
/// `enums`), indexes and foreign keys: enough to restate a column in `MODIFY COLUMN`,
/// drop a column's foreign keys, and keep foreign keys served by an index.
async fn read_mysql_table(
    conn: &mut Connection,
    name: &str,
    enums: &[EnumType],
) -> Result<Option<Table>, DbError> {
    let version = conn.query("SELECT VERSION()").await?;
    let mariadb = version
        .first()
        .and_then(|r| cell(r, 0))
        .is_some_and(|v| v.to_ascii_lowercase().contains("mariadb"));
    let l = |s: &str| Dialect::MySql.backend().literal(s);
    let cols = conn
        .query(&format!(
            "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} ORDER BY ORDINAL_POSITION",
            l(name)
        ))
        .await?;
    if cols.is_empty() {
        return Ok(None);
    }
    let mut table = Table {
        name: name.to_string(),
        ..Table::default()
    };
    for r in &cols {
        let Some(cname) = cell(r, 0) else { continue };
        let column_type = cell(r, 1).unwrap_or_default();
        let extra = cell(r, 4).unwrap_or_default().to_ascii_lowercase();
        let ty = match mysql_enum_values(&column_type) {
            Some(values) => match enums.iter().find(|e| e.values == values) {
                Some(e) => ColumnType::Enum(e.name.clone()),
                None => ColumnType::Custom(column_type.clone()),
            },
            None => ColumnType::Custom(column_type.clone()),
        };
        let default = match cell(r, 3) {
            None => None,
            Some(d) if mariadb => (d != "NULL").then_some(d),
            Some(d) if extra.contains("default_generated") => {
                if d.to_ascii_uppercase().starts_with("CURRENT_TIMESTAMP") {
                    Some(d)
                } else {
                    Some(format!("({d})"))
                }
            }
            Some(d) => Some(Dialect::MySql.backend().literal(&d)),
        };
        table.columns.push(Column {
            name: cname,
            ty,
            nullable: cell(r, 2).as_deref() == Some("YES"),
            server_default: default,
            autoincrement: extra.contains("auto_increment"),
            comment: cell(r, 5).filter(|c| !c.is_empty()),
            renamed_from: None,
        });
    }
    let fks = conn
        .query(&format!(
            "SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
            l(name)
        ))
        .await?;
    for r in &fks {
        let (Some(fname), Some(col), Some(rt), Some(rc)) =
            (cell(r, 0), cell(r, 1), cell(r, 2), cell(r, 3))
        else {
            continue;
        };
        match table.foreign_keys.iter_mut().find(|f| f.name == fname) {
            Some(f) => {
                f.columns.push(col);
                f.referred_columns.push(rc);
            }
            None => table.foreign_keys.push(ForeignKey {
                name: fname,
                columns: vec![col],
                referred_table: rt,
                referred_columns: vec![rc],
                on_delete: None,
                on_update: None,
            }),
        }
    }
    let stats = conn
        .query(&format!(
            "SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {} ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            l(name)
        ))
        .await?;
    for r in &stats {
        let (Some(iname), Some(col)) = (cell(r, 0), cell(r, 1)) else {
            continue;
        };
        let unique = cell(r, 2).as_deref() == Some("0");
        if iname == "PRIMARY" {
            table
                .primary_key
                .get_or_insert_with(|| PrimaryKey {
                    name: None,
                    columns: Vec::new(),
                })
                .columns
                .push(col);
        } else if unique {
            match table.unique.iter_mut().find(|u| u.name == iname) {
                Some(u) => u.columns.push(col),
                None => table.unique.push(UniqueConstraint {
                    name: iname,
                    columns: vec![col],
                }),
            }
        } else {
            match table.indexes.iter_mut().find(|i| i.name == iname) {
                Some(i) => i.columns.push(col),
                None => table.indexes.push(Index {
                    name: iname,
                    columns: vec![col],
                    unique: false,
                    where_clause: None,
                }),
            }
        }
    }
    Ok(Some(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_enum_types_are_read() {
        assert_eq!(
            mysql_enum_values("enum('a','it''s','x,y')"),
            Some(vec!["a".to_string(), "it's".into(), "x,y".into()])
        );
        assert_eq!(mysql_enum_values("varchar(5)"), None);
    }
}
