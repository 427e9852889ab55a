//! SQLite reflection: the `main` schema through the table-valued pragma functions
//! (`pragma_table_info`, `pragma_index_list`/`pragma_index_info`,
//! `pragma_foreign_key_list`) joined against `sqlite_master`, one query per kind for
//! all tables; names and checks, which the pragmas do not give, are read from the
//! `CREATE TABLE` / `CREATE INDEX` text.

use std::collections::{HashMap, HashSet};

use super::ddl::{enum_check_values, index_elements, index_where, parse_create_table, ParsedTable};
use crate::backend::reader::{
    cell, custom, need, sized_type, split_type, truthy, Catalog, ReflectError, TableIndex,
    TableScope, UnmodelledKind, UnmodelledObject, UnmodelledResult,
};
use crate::schema::{
    CheckConstraint, Column, ColumnType, FkAction, ForeignKey, GeneratedColumn, Index, PrimaryKey,
    Schema, Table, UniqueConstraint,
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
    /// Per column: sorted descending.
    descending: Vec<bool>,
}

/// The suffixes of the shadow tables SQLite's built-in FTS3/4, FTS5 and R-Tree modules
/// keep a virtual table's data in (`<virtual table>_<suffix>`).
const SHADOW_SUFFIXES: [&str; 11] = [
    "content", "segments", "segdir", "docsize", "stat", "data", "idx", "config", "node", "rowid",
    "parent",
];

/// The condition on `main.sqlite_master m` that selects the ordinary tables of `main`:
/// not SQLite's own, not virtual tables (`rootpage` 0) and not the shadow tables of
/// the `virtual_tables` (named as [`SHADOW_SUFFIXES`] say). The shadow names are
/// listed, not looked up per table, so that reading stays linear in the tables.
fn user_tables(virtual_tables: &[String]) -> String {
    let mut condition = String::from(
        "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.rootpage <> 0",
    );
    if !virtual_tables.is_empty() {
        // SQLite's lower() folds ASCII letters only.
        let shadows: Vec<String> = virtual_tables
            .iter()
            .flat_map(|v| {
                SHADOW_SUFFIXES
                    .iter()
                    .map(move |s| format!("'{}_{s}'", v.to_ascii_lowercase().replace('\'', "''")))
            })
            .collect();
        condition.push_str(&format!(
            " AND lower(m.name) NOT IN ({})",
            shadows.join(", ")
        ));
    }
    condition
}

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
    let virtual_tables: Vec<String> = cat
        .query("SELECT name FROM main.sqlite_master WHERE type = 'table' AND rootpage = 0")
        .await?
        .iter()
        .filter_map(|r| cell(r, 0).map(str::to_string))
        .collect();
    let user_tables = user_tables(&virtual_tables);
    let table_rows = cat
        .query(&format!(
            "SELECT m.name, m.sql FROM main.sqlite_master m WHERE {user_tables} ORDER BY m.name"
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

    // Columns (generated ones too: `table_xinfo`), and primary-key positions per table
    // (kept for every table, so that a `REFERENCES t` without columns can be resolved
    // even to a filtered table). Hidden columns of virtual tables (hidden = 1) are not
    // columns of a table retort manages.
    let col_rows = cat
        .query(&format!(
            "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk \
             FROM main.sqlite_master m JOIN pragma_table_xinfo(m.name, 'main') p \
             WHERE {user_tables} AND p.hidden <> 1 ORDER BY m.name, p.cid"
        ))
        .await?;
    let mut pk_positions: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    let by_name = TableIndex::new(&tables);
    for r in &col_rows {
        let table = need(r, 0, "table name")?;
        let name = need(r, 1, "column name")?;
        let declared = cell(r, 2).unwrap_or_default();
        if let Some(pos) = cell(r, 5).and_then(|p| p.parse::<i64>().ok()) {
            if pos > 0 {
                // By lower-case name: `REFERENCES` may spell the table in any case.
                pk_positions
                    .entry(table.to_ascii_lowercase())
                    .or_default()
                    .push((pos, name.to_string()));
            }
        }
        let Some(t) = by_name.get(&mut tables, table) else {
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
            .get(&table.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default();
        cols.sort();
        cols.into_iter().map(|(_, c)| c).collect()
    };

    // Indexes with their columns, and the text of those created by CREATE INDEX.
    let index_rows = cat
        .query(&format!(
            "SELECT m.name, il.name, il.\"unique\", il.origin, il.partial, ii.name, ii.\"desc\" \
             FROM main.sqlite_master m JOIN pragma_index_list(m.name, 'main') il \
             JOIN pragma_index_xinfo(il.name, 'main') ii \
             WHERE {user_tables} AND ii.key = 1 ORDER BY m.name, il.name, ii.seqno"
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
        let desc = truthy(cell(r, 6));
        match index_list.last_mut() {
            Some(last) if last.table == table && last.name == name => {
                last.columns.push(column);
                last.descending.push(desc);
            }
            _ => index_list.push(IndexRow {
                table: table.to_string(),
                name: name.to_string(),
                unique: truthy(cell(r, 2)),
                origin: cell(r, 3).unwrap_or("c").to_string(),
                partial: truthy(cell(r, 4)),
                columns: vec![column],
                descending: vec![desc],
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
        descending,
    } in index_list
    {
        if origin == "pk" {
            pk_index.insert(table);
            continue;
        }
        let Some(t) = by_name.get(&mut tables, &table) else {
            continue;
        };
        let sql = index_sql.get(&name);
        // Expression columns have no name, and a column with its own COLLATE is more
        // than its name: take their text from CREATE INDEX.
        let elements = sql.map(|s| index_elements(s)).unwrap_or_default();
        let columns: Vec<String> = columns
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let written = elements.get(i);
                match (c, written) {
                    (Some(_), Some(e)) if e.collate => e.text.clone(),
                    (Some(c), _) => c,
                    (None, Some(e)) => e.text.clone(),
                    (None, None) => String::new(),
                }
            })
            .collect();
        let descending: Vec<String> = columns
            .iter()
            .zip(&descending)
            .filter(|(_, d)| **d)
            .map(|(c, _)| c.clone())
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
                descending,
                ..Default::default()
            });
        }
    }

    // Foreign keys, one row per column.
    let fk_rows = cat
        .query(&format!(
            "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
             FROM main.sqlite_master m JOIN pragma_foreign_key_list(m.name, 'main') f \
             WHERE {user_tables} ORDER BY m.name, f.id, f.seq"
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
    let by_lower_name: HashMap<String, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.to_ascii_lowercase(), i))
        .collect();
    for (table, _, mut fk, implicit_columns) in fks {
        if implicit_columns {
            fk.referred_columns = pk_columns(&fk.referred_table);
        }
        // `REFERENCES` is written in any case: report the referred names as declared.
        if let Some(referred) = by_lower_name
            .get(&fk.referred_table.to_ascii_lowercase())
            .and_then(|&i| tables.get(i))
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
        if let Some(t) = by_name.get(&mut tables, &table) {
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
    // The rowid alias is the one integer key no index backs. Its nullability is kept as
    // declared (`INTEGER PRIMARY KEY` with or without NOT NULL), like any other key
    // column's: SQLite lets a non-integer key column declared without NOT NULL hold NULL.
    t.options.without_rowid = text.without_rowid;
    if !pk.is_empty() {
        if let [only] = pk.as_slice() {
            if rowid_possible && !text.without_rowid {
                if let Some(c) = t
                    .columns
                    .iter_mut()
                    .find(|c| &c.name == only && c.ty == ColumnType::Integer)
                {
                    c.autoincrement = true;
                    t.options.sqlite_autoincrement = text
                        .columns
                        .iter()
                        .any(|p| p.autoincrement_keyword && p.name.eq_ignore_ascii_case(only));
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

    for c in &mut t.columns {
        if let Some(p) = text
            .columns
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(&c.name))
        {
            c.collation.clone_from(&p.collation);
            c.generated = p
                .generated
                .clone()
                .map(|(expr, stored)| GeneratedColumn { expr, stored });
        }
    }

    let mut declared = text.foreign_keys;
    for fk in &mut t.foreign_keys {
        if let Some(i) = declared.iter().position(|d| {
            same_names(&d.columns, &fk.columns)
                && d.referred_table.eq_ignore_ascii_case(&fk.referred_table)
        }) {
            let d = declared.remove(i);
            fk.name = d.name.unwrap_or_default();
            fk.deferrable = d.deferrable;
            fk.initially_deferred = d.initially_deferred;
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

/// The model's type for a declared SQLite type: the portable type when SQLite treats
/// the declaration as that type (same affinity; a length or display width such as
/// `int(11)`, which SQLite ignores, is dropped), so that `validate` accepts it and it
/// compares equal to a declaration of that type; anything else is `Custom` in lower case.
fn sqlite_type(declared: &str) -> ColumnType {
    let (base, args) = split_type(declared);
    let plain = args.is_none();
    match base.as_str() {
        "integer" if plain => return ColumnType::Integer,
        "bigint" if plain => return ColumnType::BigInt,
        "smallint" if plain => return ColumnType::SmallInt,
        "boolean" if plain => return ColumnType::Boolean,
        "real" if plain => return ColumnType::Real,
        "double" if plain => return ColumnType::Double,
        "text" if plain => return ColumnType::Text,
        "blob" if plain => return ColumnType::Blob,
        "date" if plain => return ColumnType::Date,
        "time" if plain => return ColumnType::Time,
        "timestamp" if plain => return ColumnType::Timestamp,
        "timestamptz" if plain => return ColumnType::TimestampTz,
        "json" if plain => return ColumnType::Json,
        "numeric" | "varchar" | "char" => {
            return sized_type(&base, &args).unwrap_or_else(|| custom(declared))
        }
        _ => {}
    }
    let same_meaning = |t: &ColumnType| {
        !matches!(t, ColumnType::Custom(_) | ColumnType::Enum(_))
            && super::affinity(&crate::backend::shared_type_sql(t)) == super::affinity(declared)
    };
    // The portable type of the same affinity, from the whole spelling or its base name
    // (lengths mean nothing to SQLite); else the spelling as the grammar writes it.
    let whole = ColumnType::parse(declared);
    match (whole, ColumnType::parse(&base)) {
        (Ok(t), _) if same_meaning(&t) => t,
        (_, Ok(t)) if same_meaning(&t) => t,
        (Ok(ColumnType::Custom(c)), _) => ColumnType::Custom(c),
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
            ("INT", ColumnType::Integer),
            ("INT4", ColumnType::Custom("int4".into())),
            ("int(11)", ColumnType::Integer),
            ("bigint(20)", ColumnType::BigInt),
            ("BOOL", ColumnType::Boolean),
            ("FLOAT", ColumnType::Real),
            ("double(10,2)", ColumnType::Double),
            ("datetime", ColumnType::Custom("datetime".into())),
            ("tinyint(1)", ColumnType::Custom("tinyint(1)".into())),
            // UUID has NUMERIC affinity, the portable uuid's CHAR(36) TEXT: kept as written.
            ("UUID", ColumnType::Custom("uuid".into())),
            (
                "DECIMAL(10,2)",
                ColumnType::Numeric {
                    precision: Some(10),
                    scale: Some(2),
                },
            ),
            ("CHAR", ColumnType::Custom("char".into())),
            ("Double  Precision", ColumnType::Double),
            ("", ColumnType::Custom(String::new())),
        ] {
            assert_eq!(sqlite_type(decl), ty, "{decl}");
        }
    }
}
