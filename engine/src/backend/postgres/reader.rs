//! PostgreSQL reflection: the tables of `current_schema()` (and of the other schemas the
//! scope names, reported as `schema.table`) from `pg_catalog`, in six queries (tables,
//! columns, constraints, indexes, enums, standalone sequences) for all tables at once.
//! Every value is cast to text in SQL, so that decoding never depends on catalog types.
//! Enums and standalone sequences are those of the current schema.
//!
//! A column whose default is `nextval` of a sequence it owns (`pg_depend` type `a`,
//! what `serial` creates) is an autoincrement column with that `sequence`; a sequence
//! owned by no column is a standalone [`Sequence`], and a `nextval` default on it is
//! kept as the column's default, as written.

use crate::backend::reader::{
    cell, custom, need, sized_type, split_type, truthy, Catalog, ReflectError, TableIndex,
    TableScope, UnmodelledKind, UnmodelledObject, UnmodelledResult,
};
use crate::schema::{
    CheckConstraint, Column, ColumnType, EnumType, FkAction, ForeignKey, GeneratedColumn, Index,
    PrimaryKey, Schema, Sequence, Table, UniqueConstraint,
};

/// The oid of the current schema (NULL when `search_path` names no existing schema).
const NS: &str = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema())";

/// Ordinary and partitioned tables (not partitions) of the current schema and of
/// `others`.
fn tables_filter(alias: &str, others: &[&str]) -> String {
    let namespaces = if others.is_empty() {
        format!("{alias}.relnamespace = {NS}")
    } else {
        let names: Vec<String> = others
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "''")))
            .collect();
        format!(
            "({alias}.relnamespace = {NS} OR {alias}.relnamespace IN (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname IN ({})))",
            names.join(", ")
        )
    };
    format!("{namespaces} AND {alias}.relkind IN ('r', 'p') AND NOT {alias}.relispartition")
}

/// The name of the table `alias` as the model names it: bare in the current schema,
/// `schema.table` elsewhere.
fn table_name(alias: &str) -> String {
    format!(
        "CASE WHEN {alias}.relnamespace = {NS} THEN {alias}.relname::text \
         ELSE (SELECT nspname::text FROM pg_catalog.pg_namespace WHERE oid = {alias}.relnamespace) || '.' || {alias}.relname::text END"
    )
}

pub(crate) async fn read(
    cat: &mut Catalog<'_>,
    scope: TableScope<'_>,
) -> Result<Schema, ReflectError> {
    let c_tables = tables_filter("c", &scope.other_schemas());
    let (c_name, fc_name) = (table_name("c"), table_name("fc"));

    let mut tables = Vec::new();
    for r in cat
        .query(&format!(
            "SELECT {c_name}, obj_description(c.oid, 'pg_class') \
             FROM pg_catalog.pg_class c WHERE {c_tables} ORDER BY 1"
        ))
        .await?
    {
        let name = need(&r, 0, "table name")?;
        if scope.includes(name) {
            tables.push(Table {
                name: name.to_string(),
                comment: cell(&r, 1).map(str::to_string),
                ..Table::default()
            });
        }
    }

    let enum_rows = cat
        .query(&format!(
            "SELECT t.typname::text, e.enumlabel::text \
             FROM pg_catalog.pg_type t JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid \
             WHERE t.typnamespace = {NS} ORDER BY t.typname, e.enumsortorder"
        ))
        .await?;
    let mut enums: Vec<EnumType> = Vec::new();
    for r in &enum_rows {
        let name = need(r, 0, "enum name")?;
        let value = need(r, 1, "enum value")?.to_string();
        match enums.last_mut() {
            Some(e) if e.name == name => e.values.push(value),
            _ => enums.push(EnumType {
                name: name.to_string(),
                values: vec![value],
            }),
        }
    }

    let col_rows = cat
        .query(&format!(
            "SELECT {c_name}, a.attname::text, \
                    pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
                    pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, \
                    a.attgenerated::text, t.typtype::text, t.typname::text, \
                    (t.typnamespace = {NS})::text, col_description(c.oid, a.attnum), \
                    (SELECT s.relname::text FROM pg_catalog.pg_depend dep \
                     JOIN pg_catalog.pg_class s ON s.oid = dep.objid \
                     WHERE dep.classid = 'pg_catalog.pg_class'::regclass \
                       AND dep.refclassid = 'pg_catalog.pg_class'::regclass \
                       AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum \
                       AND dep.deptype = 'a' AND s.relkind = 'S' ORDER BY s.relname LIMIT 1), \
                    CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END \
             FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE {c_tables} AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY 1, a.attnum"
        ))
        .await?;
    let by_name = TableIndex::new(&tables);
    for r in &col_rows {
        let Some(t) = by_name.get(&mut tables, need(r, 0, "table name")?) else {
            continue;
        };
        let name = need(r, 1, "column name")?;
        let catalog_type = need(r, 2, "column type")?;
        let identity = cell(r, 5).map(str::trim).filter(|s| !s.is_empty());
        let generated = cell(r, 6)
            .is_some_and(|s| !s.trim().is_empty())
            .then(|| GeneratedColumn {
                expr: cell(r, 4).unwrap_or_default().to_string(),
                stored: true,
            });
        let mut default = cell(r, 4)
            .filter(|_| generated.is_none())
            .map(str::to_string);
        let sequence = cell(r, 11)
            .filter(|seq| {
                default
                    .as_deref()
                    .is_some_and(|d| nextval_of(d).as_deref() == Some(*seq))
            })
            .map(str::to_string);
        if sequence.is_some() {
            default = None;
        }
        let is_enum = cell(r, 7) == Some("e") && truthy(cell(r, 9));
        let ty = match cell(r, 8) {
            Some(enum_name) if is_enum => ColumnType::Enum(enum_name.to_string()),
            _ => pg_type(catalog_type),
        };
        t.columns.push(Column {
            name: name.to_string(),
            ty,
            nullable: !truthy(cell(r, 3)),
            server_default: default,
            autoincrement: identity.is_some() || sequence.is_some(),
            comment: cell(r, 10).map(str::to_string),
            renamed_from: None,
            identity_always: identity == Some("a"),
            sequence,
            generated,
            collation: cell(r, 12).map(str::to_string),
            ..Default::default()
        });
    }

    // Constraints, one row per column position (checks on no column have one row).
    let con_rows = cat
        .query(&format!(
            "SELECT {c_name}, con.conname::text, con.contype::text, k.ord::text, \
                    a.attname::text, {fc_name}, fa.attname::text, \
                    con.confdeltype::text, con.confupdtype::text, \
                    pg_catalog.pg_get_expr(con.conbin, con.conrelid), \
                    con.condeferrable::text, con.condeferred::text \
             FROM pg_catalog.pg_constraint con \
             JOIN pg_catalog.pg_class c ON c.oid = con.conrelid \
             LEFT JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) ON true \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
             LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid \
             LEFT JOIN pg_catalog.pg_attribute fa ON fa.attrelid = con.confrelid \
                  AND fa.attnum = con.confkey[k.ord::int] \
             WHERE {c_tables} AND con.contype IN ('p', 'u', 'f', 'c') \
             ORDER BY 1, 2, k.ord"
        ))
        .await?;
    let mut current: Option<(String, String)> = None;
    for r in &con_rows {
        let table = need(r, 0, "table name")?;
        let name = need(r, 1, "constraint name")?;
        let Some(t) = by_name.get(&mut tables, table) else {
            continue;
        };
        let first = current.as_ref() != Some(&(table.to_string(), name.to_string()));
        current = Some((table.to_string(), name.to_string()));
        let column = cell(r, 4).map(str::to_string);
        match need(r, 2, "constraint type")? {
            "p" => {
                if first {
                    t.primary_key = Some(PrimaryKey {
                        name: Some(name.to_string()),
                        columns: vec![],
                    });
                }
                if let (Some(pk), Some(col)) = (t.primary_key.as_mut(), column) {
                    pk.columns.push(col);
                }
            }
            "u" => {
                if first {
                    t.unique.push(UniqueConstraint {
                        name: name.to_string(),
                        columns: vec![],
                    });
                }
                if let (Some(u), Some(col)) = (t.unique.last_mut(), column) {
                    u.columns.push(col);
                }
            }
            "f" => {
                if first {
                    t.foreign_keys.push(ForeignKey {
                        name: name.to_string(),
                        columns: vec![],
                        referred_table: need(r, 5, "referred table")?.to_string(),
                        referred_columns: vec![],
                        on_delete: action(cell(r, 7)),
                        on_update: action(cell(r, 8)),
                        deferrable: truthy(cell(r, 10)),
                        initially_deferred: truthy(cell(r, 11)),
                    });
                }
                if let (Some(fk), Some(col)) = (t.foreign_keys.last_mut(), column) {
                    fk.columns.push(col);
                    fk.referred_columns
                        .push(cell(r, 6).unwrap_or_default().to_string());
                }
            }
            "c" if first => t.checks.push(CheckConstraint {
                name: name.to_string(),
                expr: need(r, 9, "check expression")?.to_string(),
            }),
            _ => {}
        }
    }

    // Indexes not owned by a constraint, one row per key or INCLUDE column: the method,
    // and per key its operator class (when not the type's default) and direction.
    let index_rows = cat
        .query(&format!(
            "SELECT {c_name}, i.relname::text, ix.indisunique::text, \
                    pg_catalog.pg_get_expr(ix.indpred, ix.indrelid), \
                    a.attname::text, pg_catalog.pg_get_indexdef(ix.indexrelid, k.ord::int, true), \
                    am.amname::text, (k.ord > ix.indnkeyatts)::text, \
                    CASE WHEN k.ord <= ix.indnkeyatts AND NOT opc.opcdefault \
                         THEN opc.opcname::text END, \
                    CASE WHEN k.ord <= ix.indnkeyatts \
                         THEN (ix.indoption[(k.ord - 1)::int] & 1 = 1)::text END \
             FROM pg_catalog.pg_index ix \
             JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid \
             JOIN pg_catalog.pg_am am ON am.oid = i.relam \
             CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = ix.indrelid \
                  AND a.attnum = k.attnum AND k.attnum <> 0 \
             LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = ix.indclass[(k.ord - 1)::int] \
             WHERE {c_tables} \
               AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con \
                               WHERE con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid \
                                 AND con.contype IN ('p', 'u', 'x')) \
             ORDER BY 1, 2, k.ord"
        ))
        .await?;
    let mut current: Option<(String, String)> = None;
    for r in &index_rows {
        let table = need(r, 0, "table name")?;
        let name = need(r, 1, "index name")?;
        let Some(t) = by_name.get(&mut tables, table) else {
            continue;
        };
        if current.as_ref() != Some(&(table.to_string(), name.to_string())) {
            t.indexes.push(Index {
                name: name.to_string(),
                columns: vec![],
                unique: truthy(cell(r, 2)),
                where_clause: cell(r, 3).map(str::to_string),
                using: cell(r, 6).filter(|m| *m != "btree").map(str::to_string),
                ..Default::default()
            });
            current = Some((table.to_string(), name.to_string()));
        }
        let column = cell(r, 4).or(cell(r, 5)).unwrap_or_default().to_string();
        if let Some(ix) = t.indexes.last_mut() {
            if truthy(cell(r, 7)) {
                ix.include.push(column);
                continue;
            }
            if let Some(op) = cell(r, 8) {
                ix.opclasses.insert(column.clone(), op.to_string());
            }
            if truthy(cell(r, 9)) {
                ix.descending.push(column.clone());
            }
            ix.columns.push(column);
        }
    }

    let sequences = match scope.only() {
        Some(_) => Vec::new(),
        None => standalone_sequences(cat).await?,
    };

    Ok(Schema {
        enums,
        sequences,
        tables,
    })
}

/// `NOT` an object that an extension created or that is part of another object (its
/// `pg_depend` entry of type `e` or `i`, such as a range type's constructor functions),
/// for the object `oid` of catalog `class`.
fn not_part_of_another(class: &str, oid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep \
         WHERE dep.classid = 'pg_catalog.{class}'::regclass AND dep.objid = {oid} \
           AND dep.objsubid = 0 AND dep.deptype IN ('e', 'i'))"
    )
}

/// What the current schema has that retort does not model, in one query: views,
/// materialized views, foreign tables, partitioning and partitions, table inheritance,
/// triggers (not internal ones, nor a partition's clones of its parent's), rules,
/// row-level security and its policies, functions, procedures and aggregates, domains,
/// composite, range and base types, and extensions. Objects an extension created are
/// left out (the extension is listed), and so are those that are part of another (a
/// range type's constructors). Sequences are not listed here.
pub(crate) async fn unmodelled(cat: &mut Catalog<'_>) -> UnmodelledResult {
    let class_member = not_part_of_another("pg_class", "c.oid");
    let proc_member = not_part_of_another("pg_proc", "p.oid");
    let type_member = not_part_of_another("pg_type", "t.oid");
    let rows = cat
        .query(&format!(
            "SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'matview' \
                    WHEN 'f' THEN 'foreign' ELSE 'partitioned' END, c.relname::text, NULL::text \
             FROM pg_catalog.pg_class c \
             WHERE c.relnamespace = {NS} AND c.relkind IN ('v', 'm', 'f', 'p') \
               AND NOT c.relispartition AND {class_member} \
             UNION ALL \
             SELECT CASE WHEN c.relispartition THEN 'partition' ELSE 'inherits' END, \
                    c.relname::text, pc.relname::text \
             FROM pg_catalog.pg_inherits i \
             JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid \
             JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent \
             WHERE c.relnamespace = {NS} AND c.relkind IN ('r', 'p', 'f') AND {class_member} \
             UNION ALL \
             SELECT 'trigger', tg.tgname::text, c.relname::text \
             FROM pg_catalog.pg_trigger tg JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid \
             WHERE c.relnamespace = {NS} AND NOT tg.tgisinternal \
               AND NOT (c.relispartition AND EXISTS ( \
                   SELECT 1 FROM pg_catalog.pg_inherits i \
                   JOIN pg_catalog.pg_trigger ptg ON ptg.tgrelid = i.inhparent \
                   WHERE i.inhrelid = c.oid AND ptg.tgname = tg.tgname)) \
             UNION ALL \
             SELECT 'rule', r.rulename::text, c.relname::text \
             FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class \
             WHERE c.relnamespace = {NS} AND r.rulename <> '_RETURN' \
             UNION ALL \
             SELECT 'policy', pol.polname::text, c.relname::text \
             FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid \
             WHERE c.relnamespace = {NS} \
             UNION ALL \
             SELECT 'rls', c.relname::text, NULL::text FROM pg_catalog.pg_class c \
             WHERE c.relnamespace = {NS} AND c.relrowsecurity \
             UNION ALL \
             SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' \
                    ELSE 'function' END, \
                    p.proname::text || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', \
                    NULL::text \
             FROM pg_catalog.pg_proc p WHERE p.pronamespace = {NS} AND {proc_member} \
             UNION ALL \
             SELECT CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite' \
                    WHEN 'r' THEN 'range' ELSE 'base' END, t.typname::text, NULL::text \
             FROM pg_catalog.pg_type t \
             WHERE t.typnamespace = {NS} AND {type_member} \
               AND (t.typtype IN ('d', 'r') \
                    OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class tc \
                        WHERE tc.oid = t.typrelid AND tc.relkind = 'c')) \
                    OR (t.typtype = 'b' AND t.typcategory <> 'A')) \
             UNION ALL \
             SELECT 'extension', e.extname::text, NULL::text FROM pg_catalog.pg_extension e \
             WHERE e.extnamespace = {NS}"
        ))
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let kind = match need(r, 0, "object kind")? {
            "view" => UnmodelledKind::View,
            "matview" => UnmodelledKind::MaterializedView,
            "foreign" => UnmodelledKind::ForeignTable,
            "partitioned" => UnmodelledKind::Partitioning,
            "partition" => UnmodelledKind::Partition,
            "inherits" => UnmodelledKind::Inheritance,
            "trigger" => UnmodelledKind::Trigger,
            "rule" => UnmodelledKind::Rule,
            "policy" => UnmodelledKind::Policy,
            "rls" => UnmodelledKind::RowLevelSecurity,
            "procedure" => UnmodelledKind::Procedure,
            "aggregate" => UnmodelledKind::Aggregate,
            "function" => UnmodelledKind::Function,
            "domain" => UnmodelledKind::Domain,
            "composite" => UnmodelledKind::CompositeType,
            "range" => UnmodelledKind::RangeType,
            "base" => UnmodelledKind::BaseType,
            "extension" => UnmodelledKind::Extension,
            other => {
                return Err(ReflectError::Catalog(format!(
                    "unknown object kind `{other}`"
                )))
            }
        };
        let name = need(r, 1, "object name")?;
        out.push(match cell(r, 2) {
            Some(table) => UnmodelledObject::on(kind, name, table),
            None => UnmodelledObject::new(kind, name),
        });
    }
    Ok(out)
}

/// The sequences of the current schema that no column owns, with the options that
/// differ from `CREATE SEQUENCE`'s defaults for a `bigint` sequence.
async fn standalone_sequences(cat: &mut Catalog<'_>) -> Result<Vec<Sequence>, ReflectError> {
    let rows = cat
        .query(&format!(
            "SELECT c.relname::text, s.seqstart::text, s.seqincrement::text, s.seqmin::text, \
                    s.seqmax::text, s.seqcache::text, s.seqcycle::text \
             FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid \
             WHERE c.relnamespace = {NS} AND NOT EXISTS ( \
                 SELECT 1 FROM pg_catalog.pg_depend d \
                 WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid \
                   AND d.deptype IN ('a', 'i')) \
             ORDER BY c.relname"
        ))
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let number = |i: usize, what: &str| -> Result<i64, ReflectError> {
            need(r, i, what)?.trim().parse().map_err(|_| {
                ReflectError::Catalog(format!("sequence {what} {:?} is not a number", cell(r, i)))
            })
        };
        let (start, increment, min, max, cache) = (
            number(1, "start")?,
            number(2, "increment")?,
            number(3, "minimum")?,
            number(4, "maximum")?,
            number(5, "cache")?,
        );
        let defaults = Sequence::defaults(increment);
        let differs = |v: i64, d: Option<i64>| (Some(v) != d).then_some(v);
        out.push(Sequence {
            name: need(r, 0, "sequence name")?.to_string(),
            start: differs(start, defaults.start),
            increment: differs(increment, defaults.increment),
            min_value: differs(min, defaults.min_value),
            max_value: differs(max, defaults.max_value),
            cache: differs(cache, defaults.cache),
            cycle: truthy(cell(r, 6)),
        });
    }
    Ok(out)
}

/// The sequence a default `nextval('name'::regclass)` (any casts, quotes or
/// parentheses around the name) takes values from, lower-cased unless quoted.
pub(crate) fn nextval_of(default: &str) -> Option<String> {
    let d = default.trim();
    let inner = d
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case("nextval("))
        .and_then(|_| d[8..].strip_suffix(')'))?;
    let start = inner.find('\'')?;
    let end = inner[start + 1..].find('\'')? + start + 1;
    let name = &inner[start + 1..end];
    Some(
        match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => name.to_ascii_lowercase(),
        },
    )
}

/// `pg_constraint.confdeltype`/`confupdtype`; `a` (NO ACTION, the default) is `None`.
fn action(code: Option<&str>) -> Option<FkAction> {
    match code?.trim() {
        "c" => Some(FkAction::Cascade),
        "r" => Some(FkAction::Restrict),
        "n" => Some(FkAction::SetNull),
        "d" => Some(FkAction::SetDefault),
        _ => None,
    }
}

/// The portable type for a `format_type` spelling where it is exact; else `Custom`.
fn pg_type(s: &str) -> ColumnType {
    let (base, args) = split_type(s);
    let plain = args.is_none();
    match base.as_str() {
        "integer" if plain => ColumnType::Integer,
        "bigint" if plain => ColumnType::BigInt,
        "smallint" if plain => ColumnType::SmallInt,
        "boolean" if plain => ColumnType::Boolean,
        "real" if plain => ColumnType::Real,
        "double precision" if plain => ColumnType::Double,
        "text" if plain => ColumnType::Text,
        "bytea" if plain => ColumnType::Blob,
        "date" if plain => ColumnType::Date,
        "time without time zone" if plain => ColumnType::Time,
        "timestamp without time zone" if plain => ColumnType::Timestamp,
        "timestamp with time zone" if plain => ColumnType::TimestampTz,
        "json" if plain => ColumnType::Json,
        "jsonb" if plain => ColumnType::Jsonb,
        "uuid" if plain => ColumnType::Uuid,
        "numeric" | "character varying" | "character" => {
            sized_type(&base, &args).unwrap_or_else(|| custom(s))
        }
        _ => written_type(s),
    }
}

/// A catalog spelling as `schema.yaml` takes it: the grammar's own form where it has one
/// (`timestamp(3) without time zone` is `timestamp(3)`, `character varying(20)[]` stays),
/// else the spelling folded to lower case.
fn written_type(s: &str) -> ColumnType {
    match ColumnType::parse(s) {
        Ok(ColumnType::Custom(c)) => ColumnType::Custom(c),
        _ => custom(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_types() {
        for (spelling, ty) in [
            ("integer", ColumnType::Integer),
            ("double precision", ColumnType::Double),
            (
                "numeric(10,2)",
                ColumnType::Numeric {
                    precision: Some(10),
                    scale: Some(2),
                },
            ),
            ("character varying(255)", ColumnType::Varchar(Some(255))),
            ("character varying", ColumnType::Varchar(None)),
            ("character(36)", ColumnType::Char(Some(36))),
            ("bpchar", ColumnType::Custom("bpchar".into())),
            ("timestamp with time zone", ColumnType::TimestampTz),
            (
                "timestamp(3) without time zone",
                ColumnType::Custom("timestamp(3)".into()),
            ),
            (
                "timestamp(0) with time zone",
                ColumnType::Custom("timestamptz(0)".into()),
            ),
            (
                "character varying(20)[]",
                ColumnType::Custom("character varying(20)[]".into()),
            ),
            ("integer[]", ColumnType::Custom("integer[]".into())),
            ("INET", ColumnType::Custom("inet".into())),
        ] {
            assert_eq!(pg_type(spelling), ty, "{spelling}");
        }
        assert_eq!(action(Some("a")), None);
        assert_eq!(
            nextval_of("nextval('users_seq'::regclass)").as_deref(),
            Some("users_seq")
        );
        assert_eq!(
            nextval_of("nextval(('collected_addresses_seq'::text)::regclass)").as_deref(),
            Some("collected_addresses_seq")
        );
        assert_eq!(
            nextval_of("nextval('\"Odd\"\"Seq\"'::regclass)").as_deref(),
            Some("Odd\"Seq")
        );
        assert_eq!(nextval_of("now()"), None);
        assert_eq!(action(Some("r")), Some(FkAction::Restrict));
    }
}
