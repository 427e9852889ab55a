//! SQLite reflection: the `main` schema through the table-valued pragma functions
//! (`pragma_table_info`, `pragma_index_list`/`pragma_index_info`,
//! `pragma_foreign_key_list`) joined against `sqlite_master`, one query per kind for
//! all tables; names and checks, which the pragmas do not give, are read from the
//! `CREATE TABLE` / `CREATE INDEX` text.

use std::collections::{HashMap, HashSet};

use super::ddl::{
    enum_check_values, index_column_texts, index_where, parse_create_table, ParsedTable,
};
use crate::backend::reader::{
    cell, custom, need, sized_type, split_type, table_mut, truthy, Catalog, ReflectError,
    TableScope, UnmodelledKind, UnmodelledObject, UnmodelledResult,
};
use crate::schema::{
    CheckConstraint, Column, ColumnType, FkAction, ForeignKey, Index, PrimaryKey, Schema, Table,
    UniqueConstraint,
};

/// One index of `PRAGMA index_list` with its columns (`None` for an expression).
struct IndexRow {
    table: String,
    name: String,
    unique: bool,
    /// `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk` (primary key).
    origin: String,
    partial: bool,
    columns: Vec<Option<String>>,
}

/// Ordinary tables of `main`: not SQLite's own, not virtual tables (`rootpage` 0) and
/// not the shadow tables holding a virtual table's data (named `<virtual table>_<suffix>`
/// with one of the suffixes SQLite's built-in FTS3/4, FTS5 and R-Tree modules use).
const USER_TABLES: &str = concat!(
    "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.rootpage <> 0 ",
    "AND NOT EXISTS (SELECT 1 FROM main.sqlite_master v ",
    "WHERE v.type = 'table' AND v.rootpage = 0 AND lower(m.name) IN (",
    "lower(v.name) || '_content', lower(v.name) || '_segments', ",
    "lower(v.name) || '_segdir', lower(v.name) || '_docsize', lower(v.name) || '_stat', ",
    "lower(v.name) || '_data', lower(v.name) || '_idx', lower(v.name) || '_config', ",
    "lower(v.name) || '_node', lower(v.name) || '_rowid', lower(v.name) || '_parent'))"
);

/// The views, triggers and virtual tables of `main`: what SQLite has that retort does
/// not model.
pub(crate) async fn unmodelled(cat: &mut Catalog<'_>) -> UnmodelledResult {
    let rows = cat
        .query(
            "SELECT type, name, tbl_name FROM main.sqlite_master \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
               AND (type IN ('view', 'trigger') OR (type = 'table' AND rootpage = 0)) \
             ORDER BY type, name",
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let name = need(r, 1, "object name")?;
        out.push(match need(r, 0, "object type")? {
            "view" => UnmodelledObject::new(UnmodelledKind::View, name),
            "trigger" => {
                UnmodelledObject::on(UnmodelledKind::Trigger, name, need(r, 2, "trigger table")?)
            }
            _ => UnmodelledObject::new(UnmodelledKind::VirtualTable, name),
        });
    }
    Ok(out)
}

pub(crate) async fn read(
    cat: &mut Catalog<'_>,
    scope: TableScope<'_>,
) -> Result<Schema, ReflectError> {
    let table_rows = cat
        .query(&format!(
            "SELECT m.name, m.sql FROM main.sqlite_master m WHERE {USER_TABLES} ORDER BY m.name"
        ))
        .await?;
    let mut tables = Vec::new();
    let mut texts: HashMap<String, ParsedTable> = HashMap::new();
    for r in &table_rows {
        let name = need(r, 0, "table name")?;
        texts.insert(
            name.to_string(),
            // Unreadable text leaves names and checks out; the pragmas still say the rest.
            parse_create_table(cell(r, 1).unwrap_or_default()).unwrap_or_default(),
        );
        tables.push(Table {
            name: name.to_string(),
            ..Table::default()
        });
    }

    // Columns, and primary-key positions per table (kept for every table, so that a
    // `REFERENCES t` without columns can be resolved even to a filtered table).
    let col_rows = cat
        .query(&format!(
            "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk \
             FROM main.sqlite_master m JOIN pragma_table_info(m.name, 'main') p \
             WHERE {USER_TABLES} ORDER BY m.name, p.cid"
        ))
        .await?;
    let mut pk_positions: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for r in &col_rows {
        let table = need(r, 0, "table name")?;
        let name = need(r, 1, "column name")?;
        let declared = cell(r, 2).unwrap_or_default();
        if let Some(pos) = cell(r, 5).and_then(|p| p.parse::<i64>().ok()) {
            if pos > 0 {
                pk_positions
                    .entry(table.to_string())
                    .or_default()
                    .push((pos, name.to_string()));
            }
        }
        let Some(t) = table_mut(&mut tables, table) else {
            continue;
        };
        t.columns.push(Column {
            name: name.to_string(),
            ty: sqlite_type(declared),
            nullable: !truthy(cell(r, 3)),
            server_default: cell(r, 4).map(str::to_string),
            ..Column::default()
        });
    }
    let pk_columns = |table: &str| -> Vec<String> {
        let mut cols = pk_positions
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(table))
            .map(|(_, c)| c.clone())
            .unwrap_or_default();
        cols.sort();
        cols.into_iter().map(|(_, c)| c).collect()
    };

    // Indexes with their columns, and the text of those created by CREATE INDEX.
    let index_rows = cat
        .query(&format!(
            "SELECT m.name, il.name, il.\"unique\", il.origin, il.partial, ii.name \
             FROM main.sqlite_master m JOIN pragma_index_list(m.name, 'main') il \
             JOIN pragma_index_info(il.name, 'main') ii \
             WHERE {USER_TABLES} ORDER BY m.name, il.name, ii.seqno"
        ))
        .await?;
    let index_sql: HashMap<String, String> = cat
        .query("SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .await?
        .iter()
        .filter_map(|r| Some((cell(r, 0)?.to_string(), cell(r, 1)?.to_string())))
        .collect();
    let mut index_list: Vec<IndexRow> = Vec::new();
    for r in &index_rows {
        let table = need(r, 0, "table name")?;
        let name = need(r, 1, "index name")?;
        let column = cell(r, 5).map(str::to_string);
        match index_list.last_mut() {
            Some(last) if last.table == table && last.name == name => last.columns.push(column),
            _ => index_list.push(IndexRow {
                table: table.to_string(),
                name: name.to_string(),
                unique: truthy(cell(r, 2)),
                origin: cell(r, 3).unwrap_or("c").to_string(),
                partial: truthy(cell(r, 4)),
                columns: vec![column],
            }),
        }
    }

    let mut pk_index: HashSet<String> = HashSet::new();
    for IndexRow {
        table,
        name,
        unique,
        origin,
        partial,
        columns,
    } in index_list
    {
        if origin == "pk" {
            pk_index.insert(table);
            continue;
        }
        let Some(t) = table_mut(&mut tables, &table) else {
            continue;
        };
        let sql = index_sql.get(&name);
        // Expression columns have no name: take their text from CREATE INDEX.
        let elements = sql.map(|s| index_column_texts(s)).unwrap_or_default();
        let columns: Vec<String> = columns
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.or_else(|| elements.get(i).cloned()).unwrap_or_default())
            .collect();
        if origin == "u" {
            t.unique.push(UniqueConstraint {
                name: String::new(),
                columns,
            });
        } else {
            t.indexes.push(Index {
                name,
                columns,
                unique,
                where_clause: if partial {
                    sql.and_then(|s| index_where(s))
                } else {
                    None
                },
                ..Default::default()
            });
        }
    }

    // Foreign keys, one row per column.
    let fk_rows = cat
        .query(&format!(
            "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
             FROM main.sqlite_master m JOIN pragma_foreign_key_list(m.name, 'main') f \
             WHERE {USER_TABLES} ORDER BY m.name, f.id, f.seq"
        ))
        .await?;
    // (table, id, key, whether the referred columns were left implicit)
    let mut fks: Vec<(String, String, ForeignKey, bool)> = Vec::new();
    for r in &fk_rows {
        let table = need(r, 0, "table name")?;
        let id = need(r, 1, "foreign key id")?;
        let from = need(r, 3, "foreign key column")?;
        let to = cell(r, 4);
        match fks.last_mut() {
            Some(last) if last.0 == table && last.1 == id => {
                last.2.columns.push(from.to_string());
                last.2
                    .referred_columns
                    .push(to.unwrap_or_default().to_string());
                last.3 |= to.is_none();
            }
            _ => fks.push((
                table.to_string(),
                id.to_string(),
                ForeignKey {
                    name: String::new(),
                    columns: vec![from.to_string()],
                    referred_table: need(r, 2, "referred table")?.to_string(),
                    referred_columns: vec![to.unwrap_or_default().to_string()],
                    on_delete: action(cell(r, 6)),
                    on_update: action(cell(r, 5)),
                    ..Default::default()
                },
                to.is_none(),
            )),
        }
    }
    for (table, _, mut fk, implicit_columns) in fks {
        if implicit_columns {
            fk.referred_columns = pk_columns(&fk.referred_table);
        }
        // `REFERENCES` is written in any case: report the referred names as declared.
        if let Some(referred) = tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(&fk.referred_table))
        {
            fk.referred_table = referred.name.clone();
            for c in &mut fk.referred_columns {
                if let Some(actual) = referred
                    .columns
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(c))
                {
                    c.clone_from(&actual.name);
                }
            }
        }
        if let Some(t) = table_mut(&mut tables, &table) {
            t.foreign_keys.push(fk);
        }
    }

    for t in &mut tables {
        let text = texts.remove(&t.name).unwrap_or_default();
        let rowid_possible = !pk_index.contains(&t.name);
        finish_table(t, text, pk_columns(&t.name), rowid_possible);
    }
    tables.retain(|t| scope.includes(&t.name));
    Ok(Schema {
        enums: vec![],
        tables,
        ..Default::default()
    })
}

/// Primary key (and rowid alias), names of unique constraints and foreign keys, checks
/// and enum columns of one table. `rowid_possible`: no index backs the primary key.
fn finish_table(t: &mut Table, text: ParsedTable, pk: Vec<String>, rowid_possible: bool) {
    if !pk.is_empty() {
        if let [only] = pk.as_slice() {
            if rowid_possible {
                if let Some(c) = t
                    .columns
                    .iter_mut()
                    .find(|c| &c.name == only && c.ty == ColumnType::Integer)
                {
                    c.autoincrement = true;
                    c.nullable = false;
                }
            }
        }
        t.primary_key = Some(PrimaryKey {
            name: text.primary_key_name.clone(),
            columns: pk,
        });
    }

    let mut declared = text.uniques;
    for u in &mut t.unique {
        if let Some(i) = declared
            .iter()
            .position(|(_, cols)| same_names(cols, &u.columns))
        {
            u.name = declared.remove(i).0.unwrap_or_default();
        }
    }

    let mut declared = text.foreign_keys;
    for fk in &mut t.foreign_keys {
        if let Some(i) = declared.iter().position(|d| {
            same_names(&d.columns, &fk.columns)
                && d.referred_table.eq_ignore_ascii_case(&fk.referred_table)
        }) {
            fk.name = declared.remove(i).name.unwrap_or_default();
        }
    }

    for ck in text.checks {
        if ck.name.is_none() {
            if let Some(col) = ck.column.as_deref() {
                if let Some(c) = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(col))
                {
                    let textual = matches!(c.ty, ColumnType::Varchar(_) | ColumnType::Text);
                    if let Some(values) = enum_check_values(&ck.expr, &c.name).filter(|_| textual) {
                        c.ty = ColumnType::Custom(crate::schema::inline_enum_spelling(&values));
                        continue;
                    }
                }
            }
        }
        t.checks.push(CheckConstraint {
            name: ck.name.unwrap_or_default(),
            expr: ck.expr,
        });
    }
}

fn same_names(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// A pragma's ON DELETE/UPDATE; NO ACTION, the default, is `None`.
fn action(s: Option<&str>) -> Option<FkAction> {
    FkAction::parse(s?).filter(|a| *a != FkAction::NoAction)
}

/// The portable type for exactly what [`crate::backend::dialect::crate::backend::Backend::type_sql`] writes for
/// SQLite; anything else is `Custom` in lower case.
fn sqlite_type(declared: &str) -> ColumnType {
    let (base, args) = split_type(declared);
    let plain = args.is_none();
    match base.as_str() {
        "integer" if plain => ColumnType::Integer,
        "bigint" if plain => ColumnType::BigInt,
        "smallint" if plain => ColumnType::SmallInt,
        "boolean" if plain => ColumnType::Boolean,
        "real" if plain => ColumnType::Real,
        "double" if plain => ColumnType::Double,
        "text" if plain => ColumnType::Text,
        "blob" if plain => ColumnType::Blob,
        "date" if plain => ColumnType::Date,
        "time" if plain => ColumnType::Time,
        "timestamp" if plain => ColumnType::Timestamp,
        "timestamptz" if plain => ColumnType::TimestampTz,
        "json" if plain => ColumnType::Json,
        "numeric" | "varchar" | "char" => {
            sized_type(&base, &args).unwrap_or_else(|| custom(declared))
        }
        _ => custom(declared),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types() {
        for (decl, ty) in [
            ("INTEGER", ColumnType::Integer),
            ("integer", ColumnType::Integer),
            ("BIGINT", ColumnType::BigInt),
            (
                "NUMERIC(10, 2)",
                ColumnType::Numeric {
                    precision: Some(10),
                    scale: Some(2),
                },
            ),
            (
                "NUMERIC",
                ColumnType::Numeric {
                    precision: None,
                    scale: None,
                },
            ),
            ("VARCHAR", ColumnType::Varchar(None)),
            ("VARCHAR(20)", ColumnType::Varchar(Some(20))),
            ("CHAR(36)", ColumnType::Char(Some(36))),
            ("TIMESTAMPTZ", ColumnType::TimestampTz),
            ("INT", ColumnType::Custom("int".into())),
            ("DECIMAL(10,2)", ColumnType::Custom("decimal(10,2)".into())),
            ("CHAR", ColumnType::Custom("char".into())),
            (
                "Double  Precision",
                ColumnType::Custom("double precision".into()),
            ),
            ("", ColumnType::Custom(String::new())),
        ] {
            assert_eq!(sqlite_type(decl), ty, "{decl}");
        }
    }
}
