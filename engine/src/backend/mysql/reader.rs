//! MySQL/MariaDB reflection: the tables of `DATABASE()` from `information_schema`, in
//! six queries (server version, tables, columns, index columns, foreign-key columns,
//! checks) for all tables at once. Rows are grouped by exact names in Rust, since
//! `information_schema` sorts names case-insensitively.

use std::collections::HashMap;

use super::MySqlBackend;
use crate::backend::reader::{
    cell, custom, need, sized_type, split_type, Catalog, ReflectError, TableIndex, TableScope,
    UnmodelledKind, UnmodelledObject, UnmodelledResult,
};
use crate::backend::Backend;
use crate::schema::inline_enum_values;
use crate::schema::{
    CheckConstraint, Column, ColumnType, FkAction, ForeignKey, GeneratedColumn, Index, IndexKind,
    PrimaryKey, Schema, Table, TableOptions, UniqueConstraint,
};

/// What the server is.
struct Server {
    mariadb: bool,
    /// `information_schema.CHECK_CONSTRAINTS` exists (MariaDB 10.2+, MySQL 8.0.16+).
    has_checks: bool,
    /// Functional index parts, `STATISTICS.EXPRESSION` (MySQL 8.0.13+; MariaDB has none).
    has_expression_indexes: bool,
}

impl Server {
    fn from_version(version: &str) -> Server {
        let mariadb = version.to_ascii_lowercase().contains("mariadb");
        let nums: Vec<u32> = version
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|n| n.parse().unwrap_or(0))
            .collect();
        let v = (
            nums.first().copied().unwrap_or(0),
            nums.get(1).copied().unwrap_or(0),
            nums.get(2).copied().unwrap_or(0),
        );
        let has_checks = if mariadb {
            v >= (10, 2, 0)
        } else {
            v >= (8, 0, 16)
        };
        Server {
            mariadb,
            has_checks,
            has_expression_indexes: !mariadb && v >= (8, 0, 13),
        }
    }
}

pub(crate) async fn read(
    cat: &mut Catalog<'_>,
    scope: TableScope<'_>,
) -> Result<Schema, ReflectError> {
    let version = cat
        .query(
            "SELECT VERSION(), @@character_set_database, @@collation_database, \
                    @@default_storage_engine",
        )
        .await?;
    let first = version.first();
    let setting = |i: usize| {
        first
            .and_then(|r| cell(r, i))
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let server = Server::from_version(&setting(0));
    let database = Defaults {
        charset: setting(1),
        collation: setting(2),
    };
    let default_engine = setting(3);

    // One table: every query is narrowed to it (`only("k.TABLE_NAME")`).
    let only = |column: &str| match scope.only() {
        Some(name) => format!(" AND {column} = {}", MySqlBackend.literal(name)),
        None => String::new(),
    };
    // Each collation's character set, and each character set's default collation (in
    // lower case), read once: joined to the tables and columns views in SQL, the server
    // scans these views again for every row.
    let mut charset_of_collation: HashMap<String, String> = HashMap::new();
    let mut default_collation: HashMap<String, String> = HashMap::new();
    for r in cat
        .query(
            "SELECT co.COLLATION_NAME, co.CHARACTER_SET_NAME, cs.DEFAULT_COLLATE_NAME \
             FROM information_schema.COLLATIONS co \
             JOIN information_schema.CHARACTER_SETS cs \
               ON cs.CHARACTER_SET_NAME = co.CHARACTER_SET_NAME",
        )
        .await?
    {
        let lower = |i: usize| cell(&r, i).map(str::to_ascii_lowercase);
        if let (Some(collation), Some(charset)) = (lower(0), lower(1)) {
            if let Some(default) = lower(2) {
                default_collation.insert(charset.clone(), default);
            }
            charset_of_collation.insert(collation, charset);
        }
    }
    let mut tables = Vec::new();
    let mut table_defaults: HashMap<String, Defaults> = HashMap::new();
    for r in cat
        .query(&format!(
            "SELECT t.TABLE_NAME, t.TABLE_COMMENT, t.ENGINE, t.TABLE_COLLATION, t.CREATE_OPTIONS \
             FROM information_schema.TABLES t \
             WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'{}",
            only("t.TABLE_NAME")
        ))
        .await?
    {
        let name = need(&r, 0, "table name")?;
        if scope.includes(name) {
            let lower = |i: usize| cell(&r, i).map(str::to_ascii_lowercase);
            let collation = lower(3).unwrap_or_default();
            let charset = charset_of_collation
                .get(&collation)
                .cloned()
                .unwrap_or_else(|| charset_of(&collation));
            let (options_charset, options_collation) = relative_collation(
                &database,
                &charset,
                &collation,
                default_collation.get(&charset).map(String::as_str),
            );
            table_defaults.insert(name.to_string(), Defaults { charset, collation });
            tables.push(Table {
                name: name.to_string(),
                comment: cell(&r, 1).filter(|c| !c.is_empty()).map(str::to_string),
                options: TableOptions {
                    engine: cell(&r, 2)
                        .filter(|e| !e.eq_ignore_ascii_case(&default_engine))
                        .map(str::to_string),
                    charset: options_charset,
                    collation: options_collation,
                    row_format: lower(4).as_deref().and_then(row_format),
                    ..TableOptions::default()
                },
                ..Table::default()
            });
        }
    }

    let col_rows = cat
        .query(&format!(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_DEFAULT, c.IS_NULLABLE, c.DATA_TYPE, \
                    c.COLUMN_TYPE, c.EXTRA, c.COLUMN_COMMENT, c.CHARACTER_SET_NAME, \
                    c.COLLATION_NAME, c.GENERATION_EXPRESSION \
             FROM information_schema.COLUMNS c \
             WHERE c.TABLE_SCHEMA = DATABASE(){} \
             ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
            only("c.TABLE_NAME")
        ))
        .await?;
    let by_name = TableIndex::new(&tables);
    for r in &col_rows {
        let table = need(r, 0, "table name")?;
        let Some(t) = by_name.get(&mut tables, table) else {
            continue;
        };
        let lower = |i: usize| cell(r, i).map(str::to_ascii_lowercase);
        let extra = cell(r, 6).unwrap_or_default().to_ascii_lowercase();
        // `VIRTUAL GENERATED` / `STORED GENERATED` in EXTRA; no default then.
        let generated = cell(r, 10)
            .filter(|e| !e.is_empty() && extra.contains("generated"))
            .map(|expr| GeneratedColumn {
                expr: expr.to_string(),
                stored: extra.contains("stored"),
            });
        let (charset, collation) = match (lower(8), lower(9), table_defaults.get(table)) {
            (Some(charset), Some(collation), Some(defaults)) => relative_collation(
                defaults,
                &charset,
                &collation,
                default_collation.get(&charset).map(String::as_str),
            ),
            _ => (None, None),
        };
        let data_type = cell(r, 4).unwrap_or_default().to_ascii_lowercase();
        t.columns.push(Column {
            name: need(r, 1, "column name")?.to_string(),
            ty: mysql_type(need(r, 5, "column type")?),
            nullable: cell(r, 3).is_some_and(|n| n.eq_ignore_ascii_case("YES")),
            server_default: if generated.is_some() {
                None
            } else {
                with_on_update(default(&server, cell(r, 2), &data_type, &extra), &extra)
            },
            autoincrement: extra.contains("auto_increment"),
            comment: cell(r, 7).filter(|c| !c.is_empty()).map(str::to_string),
            renamed_from: None,
            charset,
            collation,
            generated,
            ..Default::default()
        });
    }

    // Foreign keys: their rules, then their columns, one row each. Two queries joined
    // here: the server joins these two views by scanning one for every row of the
    // other (seconds at a few thousand keys).
    let mut rules: HashMap<(String, String), (Option<String>, Option<String>)> = HashMap::new();
    for r in cat
        .query(&format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE \
             FROM information_schema.REFERENTIAL_CONSTRAINTS \
             WHERE CONSTRAINT_SCHEMA = DATABASE(){}",
            only("TABLE_NAME")
        ))
        .await?
    {
        let key = (
            need(&r, 0, "table name")?.to_string(),
            need(&r, 1, "constraint name")?.to_string(),
        );
        rules.insert(
            key,
            (
                cell(&r, 2).map(str::to_string),
                cell(&r, 3).map(str::to_string),
            ),
        );
    }
    let fk_rows = cat
        .query(&format!(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, \
                    k.REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE k \
             WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL{} \
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            only("k.TABLE_NAME")
        ))
        .await?;
    let mut fk_at: HashMap<(String, String), usize> = HashMap::new();
    for r in &fk_rows {
        let table = need(r, 0, "table name")?;
        let name = need(r, 1, "constraint name")?;
        let Some(t) = by_name.get(&mut tables, table) else {
            continue;
        };
        let key = (table.to_string(), name.to_string());
        // A key without its rules row is one the join left out before: skip it.
        let Some((on_update, on_delete)) = rules.get(&key) else {
            continue;
        };
        let at = *fk_at.entry(key).or_insert_with(|| {
            t.foreign_keys.push(ForeignKey {
                name: name.to_string(),
                columns: vec![],
                referred_table: cell(r, 3).unwrap_or_default().to_string(),
                referred_columns: vec![],
                on_delete: action(on_delete.as_deref()),
                on_update: action(on_update.as_deref()),
                ..Default::default()
            });
            t.foreign_keys.len() - 1
        });
        let fk = &mut t.foreign_keys[at];
        fk.columns
            .push(need(r, 2, "foreign key column")?.to_string());
        fk.referred_columns
            .push(cell(r, 4).unwrap_or_default().to_string());
    }

    // Index columns: PRIMARY, unique indexes (reported as unique constraints unless they
    // have details a constraint cannot hold), others.
    let index_rows = cat
        .query(&format!(
            "SELECT TABLE_NAME, INDEX_NAME, CAST(NON_UNIQUE AS CHAR), COLUMN_NAME, \
                    CAST(SUB_PART AS CHAR), INDEX_TYPE, COLLATION, {} \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE(){} \
             ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            if server.has_expression_indexes {
                "EXPRESSION"
            } else {
                "NULL"
            },
            only("TABLE_NAME")
        ))
        .await?;
    let mut indexes: Vec<(String, Index)> = Vec::new();
    let mut index_at: HashMap<(String, String), usize> = HashMap::new();
    let mut with_expression: std::collections::HashSet<(String, String)> = Default::default();
    for r in &index_rows {
        let table = need(r, 0, "table name")?.to_string();
        let name = need(r, 1, "index name")?.to_string();
        let at = *index_at
            .entry((table.clone(), name.clone()))
            .or_insert_with(|| {
                let kind = match cell(r, 5).map(str::to_ascii_uppercase).as_deref() {
                    Some("FULLTEXT") => Some(IndexKind::Fulltext),
                    Some("SPATIAL") => Some(IndexKind::Spatial),
                    _ => None,
                };
                let using = cell(r, 5)
                    .filter(|t| t.eq_ignore_ascii_case("HASH"))
                    .map(|_| "hash".to_string());
                indexes.push((
                    table.clone(),
                    Index {
                        name: name.clone(),
                        unique: cell(r, 2) == Some("0"),
                        kind,
                        using,
                        ..Default::default()
                    },
                ));
                indexes.len() - 1
            });
        let ix = &mut indexes[at].1;
        let part = match (cell(r, 3), cell(r, 7)) {
            (Some(col), _) => col.to_string(),
            (None, Some(expr)) => {
                with_expression.insert((table.clone(), name.clone()));
                expr.to_string()
            }
            (None, None) => {
                return Err(ReflectError::Catalog(format!(
                    "index `{name}` of table `{table}` has a part that is neither a column nor an expression"
                )))
            }
        };
        if let Some(n) = cell(r, 4).and_then(|n| n.parse::<u32>().ok()) {
            ix.lengths.insert(part.clone(), n);
        }
        if cell(r, 6) == Some("D") {
            ix.descending.push(part.clone());
        }
        ix.columns.push(part);
    }
    for (table, ix) in indexes {
        let Some(t) = by_name.get(&mut tables, &table) else {
            continue;
        };
        let plain = ix.lengths.is_empty()
            && ix.descending.is_empty()
            && ix.kind.is_none()
            && ix.using.is_none()
            && !with_expression.contains(&(table.clone(), ix.name.clone()));
        if ix.name == "PRIMARY" {
            t.primary_key = Some(PrimaryKey {
                name: None,
                columns: ix.columns,
            });
        } else if ix.unique && plain {
            t.unique.push(UniqueConstraint {
                name: ix.name,
                columns: ix.columns,
            });
        } else if ix.unique
            || !t
                .foreign_keys
                .iter()
                .any(|fk| is_foreign_key_index(&table, fk, &ix.name, &ix.columns))
        {
            t.indexes.push(ix);
        }
    }

    if server.has_checks {
        let sql = if server.mariadb {
            format!(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE \
             FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE(){}",
                only("TABLE_NAME")
            )
        } else {
            format!(
                "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE \
             FROM information_schema.TABLE_CONSTRAINTS tc \
             JOIN information_schema.CHECK_CONSTRAINTS cc \
               ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA \
              AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
             WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'{}",
                only("tc.TABLE_NAME")
            )
        };
        for r in cat.query(&sql).await? {
            let Some(t) = by_name.get(&mut tables, need(&r, 0, "table name")?) else {
                continue;
            };
            let name = need(&r, 1, "check name")?;
            let expr = need(&r, 2, "check expression")?;
            if server.mariadb && mariadb_json_check(t, name, expr) {
                continue;
            }
            t.checks.push(CheckConstraint {
                name: name.to_string(),
                expr: expr.to_string(),
            });
        }
    }

    Ok(Schema {
        enums: vec![],
        tables,
        ..Default::default()
    })
}

/// What `DATABASE()` has that retort does not model: views, MariaDB system-versioned
/// tables, triggers, stored procedures and functions, events, and the partitioning of
/// partitioned tables (whose columns are modelled). Sequences are not listed here.
pub(crate) async fn unmodelled(cat: &mut Catalog<'_>) -> UnmodelledResult {
    let mut out = Vec::new();
    for r in cat
        .query(
            "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('VIEW', 'SYSTEM VERSIONED')",
        )
        .await?
    {
        let kind = match need(&r, 1, "table type")? {
            "VIEW" => UnmodelledKind::View,
            _ => UnmodelledKind::SystemVersionedTable,
        };
        out.push(UnmodelledObject::new(kind, need(&r, 0, "table name")?));
    }
    for r in cat
        .query(
            "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS \
             WHERE TRIGGER_SCHEMA = DATABASE()",
        )
        .await?
    {
        out.push(UnmodelledObject::on(
            UnmodelledKind::Trigger,
            need(&r, 0, "trigger name")?,
            need(&r, 1, "trigger table")?,
        ));
    }
    for r in cat
        .query(
            "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES \
             WHERE ROUTINE_SCHEMA = DATABASE()",
        )
        .await?
    {
        let kind = match need(&r, 0, "routine type")? {
            "FUNCTION" => UnmodelledKind::Function,
            _ => UnmodelledKind::Procedure,
        };
        out.push(UnmodelledObject::new(kind, need(&r, 1, "routine name")?));
    }
    for r in cat
        .query("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE()")
        .await?
    {
        out.push(UnmodelledObject::new(
            UnmodelledKind::Event,
            need(&r, 0, "event name")?,
        ));
    }
    for r in cat
        .query(
            "SELECT DISTINCT TABLE_NAME FROM information_schema.PARTITIONS \
             WHERE TABLE_SCHEMA = DATABASE() AND PARTITION_NAME IS NOT NULL",
        )
        .await?
    {
        out.push(UnmodelledObject::new(
            UnmodelledKind::Partitioning,
            need(&r, 0, "table name")?,
        ));
    }
    Ok(out)
}

/// True for the index MySQL creates for a foreign key that no index covered: named
/// after the constraint, or after its first column when the constraint was unnamed (and
/// so got a generated `<table>_ibfk_<n>` name).
fn is_foreign_key_index(table: &str, fk: &ForeignKey, name: &str, columns: &[String]) -> bool {
    let generated = fk
        .name
        .strip_prefix(table)
        .and_then(|rest| rest.strip_prefix("_ibfk_"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    fk.columns == columns
        && (fk.name == name || (generated && fk.columns.first().is_some_and(|c| c == name)))
}

/// MariaDB's JSON is `longtext` plus a check named after the column,
/// `json_valid(`col`)`: when `name`/`expr` is that, the column becomes `Json` and the
/// check is not a user check (true is returned).
fn mariadb_json_check(t: &mut Table, name: &str, expr: &str) -> bool {
    let Some(col) = t.columns.iter_mut().find(|c| c.name == name) else {
        return false;
    };
    let expected = format!("json_valid({})", MySqlBackend.quote(&col.name));
    let is_json_check = expr.trim().eq_ignore_ascii_case(&expected);
    if is_json_check && col.ty == ColumnType::Custom("longtext".into()) {
        col.ty = ColumnType::Json;
        // JSON is utf8mb4_bin by definition.
        if col.collation.as_deref().is_none_or(|c| c == "utf8mb4_bin")
            && col.charset.as_deref().is_none_or(|c| c == "utf8mb4")
        {
            col.collation = None;
            col.charset = None;
        }
        return true;
    }
    false
}

/// The column default as MariaDB spells it (see the module documentation of `reflect`).
fn default(server: &Server, value: Option<&str>, data_type: &str, extra: &str) -> Option<String> {
    let value = value?;
    if server.mariadb {
        return (value != "NULL").then(|| value.to_string());
    }
    // MySQL 8 reports literals unquoted and expressions as DEFAULT_GENERATED.
    let numeric = matches!(
        data_type,
        "tinyint"
            | "smallint"
            | "mediumint"
            | "int"
            | "integer"
            | "bigint"
            | "decimal"
            | "numeric"
            | "float"
            | "double"
            | "real"
            | "bit"
            | "year"
    );
    if extra.contains("default_generated") || numeric {
        Some(value.to_string())
    } else {
        Some(MySqlBackend.literal(value))
    }
}

/// The `row_format=` of a table's `CREATE_OPTIONS` (stated only when the table was
/// created with one).
fn row_format(create_options: &str) -> Option<String> {
    create_options
        .split_whitespace()
        .find_map(|o| o.strip_prefix("row_format="))
        .map(str::to_string)
}

/// A character set and collation in effect (lower case).
struct Defaults {
    charset: String,
    collation: String,
}

/// The character set a collation belongs to: its name up to the first `_`
/// (`utf8mb4_bin` → `utf8mb4`; `binary` is its own).
fn charset_of(collation: &str) -> String {
    collation.split('_').next().unwrap_or(collation).to_string()
}

/// A table's or column's `(charset, collation)` as `schema.yaml` states it: nothing when
/// it is `inherited` (the database's defaults for a table, the table's for a column);
/// the charset alone when the collation is that charset's default (`charset_default`),
/// which is what the charset alone gives; else the collation (with the charset when
/// that differs too).
fn relative_collation(
    inherited: &Defaults,
    charset: &str,
    collation: &str,
    charset_default: Option<&str>,
) -> (Option<String>, Option<String>) {
    if charset == inherited.charset && collation == inherited.collation {
        (None, None)
    } else if Some(collation) == charset_default {
        (Some(charset.to_string()), None)
    } else {
        (
            (charset != inherited.charset).then(|| charset.to_string()),
            Some(collation.to_string()),
        )
    }
}

/// `ON UPDATE CURRENT_TIMESTAMP` (reported in `EXTRA`) is kept in the default's text,
/// where `DEFAULT … ON UPDATE …` renders it back: `current_timestamp() ON UPDATE
/// current_timestamp()`, or `NULL ON UPDATE …` for a column without a default.
fn with_on_update(default: Option<String>, extra: &str) -> Option<String> {
    let Some(at) = extra.find("on update ") else {
        return default;
    };
    let expr = extra[at + "on update ".len()..].trim();
    Some(format!(
        "{} ON UPDATE {expr}",
        default.as_deref().unwrap_or("NULL")
    ))
}

/// `REFERENTIAL_CONSTRAINTS` rules; `RESTRICT` and `NO ACTION` (alike in InnoDB, and what
/// the catalog says for an unspecified action) are `None`.
fn action(rule: Option<&str>) -> Option<FkAction> {
    FkAction::parse(rule?).filter(|a| !matches!(a, FkAction::Restrict | FkAction::NoAction))
}

/// The portable type for a `COLUMN_TYPE` where it is exact; else `Custom`, in a
/// spelling `schema.yaml` reads back as the same type: integer display widths dropped
/// (kept with `zerofill`, where they matter), `unsigned`/`zerofill` kept, MySQL's
/// `TIMESTAMP` as `timestamp(0)` and `BLOB` as `blob(65535)` (plain `timestamp` and
/// `blob` are the portable types, which MySQL spells `DATETIME` and `LONGBLOB`).
fn mysql_type(s: &str) -> ColumnType {
    let folded = match custom(s) {
        ColumnType::Custom(f) => f,
        _ => return custom(s),
    };
    let mut words: Vec<&str> = folded.split(' ').collect();
    let mut modifiers = Vec::new();
    while let Some(last) = words.last().copied() {
        if !matches!(last, "unsigned" | "zerofill" | "signed") || words.len() == 1 {
            break;
        }
        words.pop();
        if last != "signed" {
            modifiers.insert(0, last);
        }
    }
    let core = words.join(" ");
    let (base, args) = split_type(&core);
    let plain = args.is_none();
    let width_only = args.as_ref().is_none_or(|a| {
        a.len() == 1 && !a[0].is_empty() && a[0].bytes().all(|b| b.is_ascii_digit())
    });
    let integer = matches!(
        base.as_str(),
        "tinyint" | "smallint" | "mediumint" | "int" | "bigint"
    );
    if !modifiers.is_empty() {
        let zerofill = modifiers.contains(&"zerofill");
        let head = if integer && width_only && !zerofill {
            base.clone()
        } else {
            core.clone()
        };
        return ColumnType::Custom(format!("{head} {}", modifiers.join(" ")));
    }
    match base.as_str() {
        "tinyint" if args.as_deref() == Some(&["1".to_string()]) => ColumnType::Boolean,
        "smallint" if width_only => ColumnType::SmallInt,
        "int" if width_only => ColumnType::Integer,
        "bigint" if width_only => ColumnType::BigInt,
        "tinyint" | "mediumint" if width_only => ColumnType::Custom(base.clone()),
        "float" if plain => ColumnType::Real,
        "double" if plain => ColumnType::Double,
        "text" if plain => ColumnType::Text,
        "longblob" if plain => ColumnType::Blob,
        "blob" if plain => ColumnType::Custom("blob(65535)".into()),
        "date" if plain => ColumnType::Date,
        "time" if plain => ColumnType::Time,
        "datetime" if plain => ColumnType::Timestamp,
        "timestamp" if plain => ColumnType::Custom("timestamp(0)".into()),
        "json" if plain => ColumnType::Json,
        "decimal" | "varchar" | "char" => sized_type(&base, &args).unwrap_or_else(|| custom(s)),
        "enum" => inline_enum_values(s)
            .map(|v| ColumnType::Custom(crate::schema::inline_enum_spelling(&v)))
            .unwrap_or_else(|| custom(s)),
        _ => custom(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types() {
        for (spelling, ty) in [
            ("int(11)", ColumnType::Integer),
            ("int", ColumnType::Integer),
            (
                "int(10) unsigned",
                ColumnType::Custom("int unsigned".into()),
            ),
            (
                "bigint(20) unsigned",
                ColumnType::Custom("bigint unsigned".into()),
            ),
            (
                "int(5) unsigned zerofill",
                ColumnType::Custom("int(5) unsigned zerofill".into()),
            ),
            (
                "decimal(10,2) unsigned",
                ColumnType::Custom("decimal(10,2) unsigned".into()),
            ),
            ("float(10,3)", ColumnType::Custom("float(10,3)".into())),
            ("double(10,2)", ColumnType::Custom("double(10,2)".into())),
            ("blob", ColumnType::Custom("blob(65535)".into())),
            ("tinyblob", ColumnType::Custom("tinyblob".into())),
            ("mediumtext", ColumnType::Custom("mediumtext".into())),
            ("timestamp(3)", ColumnType::Custom("timestamp(3)".into())),
            ("bigint(20)", ColumnType::BigInt),
            ("smallint(6)", ColumnType::SmallInt),
            ("tinyint(1)", ColumnType::Boolean),
            ("tinyint(4)", ColumnType::Custom("tinyint".into())),
            ("mediumint(9)", ColumnType::Custom("mediumint".into())),
            (
                "decimal(10,2)",
                ColumnType::Numeric {
                    precision: Some(10),
                    scale: Some(2),
                },
            ),
            ("varchar(255)", ColumnType::Varchar(Some(255))),
            ("char(36)", ColumnType::Char(Some(36))),
            ("longblob", ColumnType::Blob),
            ("datetime", ColumnType::Timestamp),
            ("datetime(6)", ColumnType::Custom("datetime(6)".into())),
            ("timestamp", ColumnType::Custom("timestamp(0)".into())),
            ("longtext", ColumnType::Custom("longtext".into())),
            (
                "enum('a','b''c')",
                ColumnType::Custom("enum('a','b''c')".into()),
            ),
            ("ENUM('a', 'b')", ColumnType::Custom("enum('a','b')".into())),
        ] {
            assert_eq!(mysql_type(spelling), ty, "{spelling}");
            // What reflect writes reads back as the same type, which compares equal
            // to the catalog's spelling.
            let written = ColumnType::parse(&ty.to_string()).unwrap();
            assert_eq!(written, ty, "{spelling}");
            assert_eq!(
                crate::normalize::canonical_type(crate::dialect::Dialect::MySql, &ty, false, &[]),
                crate::normalize::canonical_type_sql(crate::dialect::Dialect::MySql, spelling),
                "{spelling}"
            );
        }
    }

    #[test]
    fn actions_and_defaults() {
        assert_eq!(action(Some("RESTRICT")), None);
        assert_eq!(action(Some("NO ACTION")), None);
        assert_eq!(action(Some("SET NULL")), Some(FkAction::SetNull));
        let maria = Server::from_version("10.11.19-MariaDB-0+deb12u1");
        assert!(maria.mariadb && maria.has_checks);
        assert_eq!(default(&maria, Some("NULL"), "int", ""), None);
        assert_eq!(
            default(&maria, Some("'NULL'"), "varchar", "").as_deref(),
            Some("'NULL'")
        );
        let mysql = Server::from_version("8.0.36");
        assert!(!mysql.mariadb && mysql.has_checks);
        assert!(!Server::from_version("5.7.44").has_checks);
        assert_eq!(
            default(&mysql, Some("it's"), "varchar", "").as_deref(),
            Some("'it''s'")
        );
        assert_eq!(default(&mysql, Some("0"), "int", "").as_deref(), Some("0"));
        assert_eq!(
            default(
                &mysql,
                Some("CURRENT_TIMESTAMP"),
                "datetime",
                "default_generated"
            )
            .as_deref(),
            Some("CURRENT_TIMESTAMP")
        );
    }
}
