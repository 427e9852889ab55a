//! PostgreSQL: named enum types, `COMMENT ON`, identity columns, transactional DDL
//! and advisory locks.

mod reader;

use sea_query::PostgresQueryBuilder;

use super::render::{build_sea, Res};
use super::{
    run_lock_key, shared_type_sql, Backend, Renderer, RunLockSql, SeaStatement, TypeSqlError,
};
use crate::backend::dialect::Dialect;
use crate::ops::{AlterColumn, ConstraintKind, EnumValuePosition};
use crate::schema::{Column, ColumnType, EnumType, ForeignKey, Index, Schema, Sequence, Table};

/// The PostgreSQL backend.
pub(crate) struct PostgresBackend;

impl Backend for PostgresBackend {
    fn column_names_sql(&self, table: &str) -> String {
        // The catalog itself rather than information_schema: a connection's first query
        // of `information_schema.columns` costs several milliseconds (a run asks before
        // it does anything else).
        format!(
            "SELECT a.attname::text FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = {} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            self.literal(table)
        )
    }

    fn open<'a>(&'a self, url: &'a str, create: bool) -> super::connection::ConnectFuture<'a> {
        let _ = create;
        Box::pin(async move {
            use sqlx::postgres::{PgConnectOptions, PgConnection};
            use sqlx::Connection as _;
            use std::str::FromStr;
            let fail = |reason: String| super::connection::connect_failure(url, &reason);
            let normalized = url.replacen("postgresql://", "postgres://", 1);
            let opts = PgConnectOptions::from_str(&normalized).map_err(|e| fail(e.to_string()))?;
            super::connection::connect_with_timeout(PgConnection::connect_with(&opts))
                .await
                .map(super::connection::Connection::Postgres)
                .map_err(|e| fail(super::connection::connect_reason(&e, self)))
        })
    }

    fn is_unknown_database(&self, code: &str, message: &str) -> bool {
        let _ = message;
        code == "3D000"
    }

    fn read_schema<'a>(
        &'a self,
        conn: &'a mut super::connection::Connection,
        scope: super::TableScope<'a>,
    ) -> super::ReadFuture<'a> {
        Box::pin(async move {
            let mut cat = super::reader::Catalog::new(conn);
            let schema = reader::read(&mut cat, scope).await?;
            Ok((schema, cat.queries))
        })
    }

    fn read_unmodelled<'a>(
        &'a self,
        conn: &'a mut super::connection::Connection,
    ) -> super::UnmodelledFuture<'a> {
        Box::pin(async move {
            let mut cat = super::reader::Catalog::new(conn);
            reader::unmodelled(&mut cat).await
        })
    }

    fn catalog_tables_sql(&self) -> &'static str {
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
    }

    fn catalog_types_sql(&self) -> Option<&'static str> {
        Some("SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = current_schema() AND t.typtype = 'e' ORDER BY t.typname")
    }

    fn reset_statements(&self, tables: &[String], types: &[String]) -> Vec<String> {
        let mut out: Vec<String> = tables
            .iter()
            .map(|t| format!("DROP TABLE IF EXISTS {} CASCADE", self.quote(t)))
            .collect();
        out.extend(
            types
                .iter()
                .map(|t| format!("DROP TYPE IF EXISTS {} CASCADE", self.quote(t))),
        );
        out
    }

    fn has_concurrent_index(&self) -> bool {
        true
    }

    fn has_not_valid_constraints(&self) -> bool {
        true
    }

    fn index_build_blocks_writes(&self) -> bool {
        true
    }

    fn type_change_rewrites_table(&self) -> bool {
        true
    }

    fn set_not_null_scans_table(&self) -> bool {
        true
    }

    fn volatile_default_rewrites_table(&self) -> bool {
        true
    }

    fn lock_timeout_sql(&self, millis: u64) -> Option<String> {
        Some(format!("SET lock_timeout = '{millis}ms'"))
    }

    fn lock_timeout_reset_sql(&self) -> Option<String> {
        Some("SET lock_timeout = DEFAULT".to_string())
    }

    fn is_already_in_effect(&self, message: &str) -> bool {
        ["42701", "42P07", "42710", "42703", "42P01", "42704"]
            .iter()
            .any(|code| message.contains(&format!("(code {code})")))
    }

    fn is_lock_timeout(&self, message: &str) -> bool {
        let m = message.to_ascii_lowercase();
        m.contains("lock timeout") || m.contains("55p03")
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    /// PostgreSQL silently truncates names longer than 63 bytes.
    fn max_identifier_length(&self) -> Option<usize> {
        Some(63)
    }

    fn identifier_length(&self, ident: &str) -> usize {
        ident.len()
    }

    fn identifier_limit_text(&self) -> String {
        "PostgreSQL allows at most 63 bytes".to_string()
    }

    fn has_enum_types(&self) -> bool {
        true
    }

    fn has_session_schema(&self) -> bool {
        true
    }

    fn session_schema_url(&self, url: &str, schema: &str) -> Option<String> {
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(format!("{url}{sep}options[search_path]=%22{schema}%22"))
    }

    fn create_schema_sql(&self, schema: &str) -> Option<String> {
        Some(format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            self.quote(schema)
        ))
    }

    fn type_sql(&self, ty: &ColumnType, _schema: Option<&Schema>) -> Result<String, TypeSqlError> {
        use ColumnType as T;
        Ok(match ty {
            T::Double => "DOUBLE PRECISION".into(),
            T::Blob => "BYTEA".into(),
            T::TimestampTz => "TIMESTAMP WITH TIME ZONE".into(),
            T::Timestamp => "TIMESTAMP WITHOUT TIME ZONE".into(),
            T::Jsonb => "JSONB".into(),
            T::Uuid => "UUID".into(),
            T::Enum(name) => self.quote(name),
            other => shared_type_sql(other),
        })
    }

    fn display_name(&self) -> &'static str {
        "PostgreSQL"
    }

    /// Array dimensions are one `[]` (PostgreSQL ignores declared sizes and counts); a
    /// precision may stand before the time zone (`timestamp(3) without time zone`).
    fn canonical_type_name(&self, squashed: &str, _base: &str, _args: Option<&str>) -> String {
        let (element, dims) = squashed.split_at(squashed.find('[').unwrap_or(squashed.len()));
        let array = !dims.is_empty();
        let (base, args) = match element.split_once('(') {
            Some((head, rest)) => match rest.split_once(')') {
                Some((inner, tail)) if tail.trim().is_empty() => {
                    (head.trim().to_string(), Some(inner.trim()))
                }
                Some((inner, tail)) => (
                    format!("{} {}", head.trim(), tail.trim()),
                    Some(inner.trim()),
                ),
                None => (element.trim().to_string(), None),
            },
            None => (element.trim().to_string(), None),
        };
        let with = |name: &str| match args {
            Some(a) => format!("{name}({a})"),
            None => name.to_string(),
        };
        let name = match base.as_str() {
            "int" | "int4" | "integer" | "serial" | "serial4" => "integer".to_string(),
            "int8" | "bigint" | "bigserial" | "serial8" => "bigint".to_string(),
            "int2" | "smallint" | "smallserial" | "serial2" => "smallint".to_string(),
            "bool" | "boolean" => "boolean".to_string(),
            "float4" | "real" => "real".to_string(),
            "float8" | "double precision" | "double" => "double precision".to_string(),
            "decimal" | "numeric" => match args {
                Some(a) if !a.contains(',') => format!("numeric({a},0)"),
                _ => with("numeric"),
            },
            "varchar" | "character varying" => with("varchar"),
            "char" | "character" | "bpchar" => match args {
                Some(a) => format!("char({a})"),
                None => "char(1)".to_string(),
            },
            "timestamp" | "timestamp without time zone" => with("timestamp"),
            "timestamptz" | "timestamp with time zone" => with("timestamptz"),
            "time" | "time without time zone" => with("time"),
            "timetz" | "time with time zone" => with("timetz"),
            _ => with(&base),
        };
        if array {
            format!("{name}[]")
        } else {
            name
        }
    }

    fn default_primary_key_name(&self, table: &str) -> String {
        format!("{table}_pkey")
    }

    /// The database and the current schema: each schema has its own version table, so
    /// each has its own run lock.
    fn database_name_sql(&self) -> Option<&'static str> {
        Some("SELECT current_database() || '.' || coalesce(current_schema(), '')")
    }

    fn default_schema_sql(&self) -> Option<&'static str> {
        Some("SELECT current_schema()")
    }

    fn schema_names_sql(&self) -> Option<&'static str> {
        Some("SELECT nspname::text FROM pg_catalog.pg_namespace ORDER BY 1")
    }

    fn drop_schema_sql(&self, schema: &str) -> Option<String> {
        Some(format!("DROP SCHEMA IF EXISTS {}", self.quote(schema)))
    }

    /// A session-level advisory lock.
    fn run_lock(&self, database: &str, table: &str) -> Option<RunLockSql> {
        let key = run_lock_key(database, table);
        Some(RunLockSql {
            try_sql: format!("SELECT pg_try_advisory_lock({key})"),
            taken: "true",
            wait_sql: format!("SELECT pg_advisory_lock({key})"),
            wait_can_give_up: false,
            describe: format!("advisory lock {key}"),
            release_sql: format!("SELECT pg_advisory_unlock({key})"),
        })
    }

    fn table_exists_sql(&self, table: &str) -> String {
        // The relation kinds information_schema.tables lists (tables, partitioned
        // tables, views, foreign tables), from the catalog (see column_names_sql).
        format!(
            "SELECT c.relname::text FROM pg_catalog.pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = {} AND c.relkind IN ('r', 'p', 'v', 'f')",
            self.literal(table)
        )
    }

    fn sea_sql(&self, stmt: SeaStatement<'_>) -> String {
        build_sea(PostgresQueryBuilder, stmt)
    }

    fn column_type(&self, r: &Renderer<'_>, ty: &ColumnType, _rowid: bool) -> Res<String> {
        if ty.inline_enum().is_some() {
            return Err(format!(
                "{ty} is an inline enum, which PostgreSQL does not have; declare a named enum under `enums:` and use enum(NAME)"
            ));
        }
        r.portable_col_type(ty)
    }

    /// `COLLATE`, then a generated column's expression or the identity, then `NOT NULL`
    /// and the default (for a column with an owned sequence: `nextval` of it).
    fn column_constraints(
        &self,
        r: &Renderer<'_>,
        col: &Column,
        _rowid: bool,
        _autoincrement_keyword: bool,
    ) -> Res<String> {
        let mut s = String::new();
        if let Some(c) = &col.collation {
            s.push_str(&format!(" COLLATE {}", collation_sql(r, c)));
        }
        if let Some(g) = &col.generated {
            if !g.stored {
                return Err(format!(
                    "column `{}` is a virtual generated column, and PostgreSQL has only stored ones; write `generated: {{expr: \"{}\", stored: true}}`",
                    col.name, g.expr
                ));
            }
            s.push_str(&format!(" GENERATED ALWAYS AS ({}) STORED", g.expr));
        } else if col.autoincrement && col.sequence.is_none() {
            s.push_str(if col.identity_always {
                " GENERATED ALWAYS AS IDENTITY"
            } else {
                " GENERATED BY DEFAULT AS IDENTITY"
            });
        }
        match (&col.sequence, col.autoincrement) {
            (Some(seq), true) => {
                if !col.nullable {
                    s.push_str(" NOT NULL");
                }
                s.push_str(&format!(" DEFAULT {}", nextval_sql(r, seq)));
            }
            _ => s.push_str(&r.null_and_default(col)),
        }
        Ok(s)
    }

    /// `[USING method] (key [opclass] [DESC], …) [INCLUDE (…)]`.
    fn fk_deferral_sql(&self, fk: &ForeignKey) -> Res<String> {
        Ok(match (fk.deferrable, fk.initially_deferred) {
            (_, true) => " DEFERRABLE INITIALLY DEFERRED".to_string(),
            (true, false) => " DEFERRABLE".to_string(),
            (false, false) => String::new(),
        })
    }

    fn index_body_sql(&self, r: &Renderer<'_>, _known: Option<&Table>, ix: &Index) -> Res<String> {
        let mut s = String::new();
        if let Some(m) = &ix.using {
            s.push_str(&format!("USING {} ", m.to_ascii_lowercase()));
        }
        let keys: Vec<String> = ix
            .columns
            .iter()
            .map(|c| {
                let mut k = index_key(r, c);
                if let Some(op) = ix.opclasses.get(c) {
                    k.push(' ');
                    k.push_str(op);
                }
                if ix.descending.contains(c) {
                    k.push_str(" DESC");
                }
                k
            })
            .collect();
        s.push_str(&format!("({})", keys.join(", ")));
        if !ix.include.is_empty() {
            s.push_str(&format!(" INCLUDE ({})", r.ql(&ix.include)));
        }
        Ok(s)
    }

    /// The btree method and default operator classes are dropped (PostgreSQL reports
    /// neither unless asked); `lengths` and `kind` are not PostgreSQL's.
    fn comparable_index(&self, index: &Index) -> Index {
        let mut ix = index.clone();
        if ix
            .using
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("btree"))
        {
            ix.using = None;
        }
        ix.using = ix.using.map(|m| m.to_ascii_lowercase());
        ix.opclasses.retain(|_, op| !op.is_empty());
        ix.lengths.clear();
        ix.kind = None;
        ix.columns = ix.columns.iter().map(|c| comparable_key(c)).collect();
        ix.descending = ix.descending.iter().map(|c| comparable_key(c)).collect();
        ix.opclasses = ix
            .opclasses
            .iter()
            .map(|(c, op)| (comparable_key(c), op.to_ascii_lowercase()))
            .collect();
        ix
    }

    fn comparable_autoincrement(&self, col: &Column) -> (bool, Option<String>, bool) {
        (
            col.autoincrement,
            col.sequence.clone().filter(|_| col.autoincrement),
            col.autoincrement && col.sequence.is_none() && col.identity_always,
        )
    }

    fn has_sequences(&self) -> bool {
        true
    }

    fn create_sequence(&self, r: &Renderer<'_>, s: &Sequence) -> Res<Vec<String>> {
        let mut sql = format!("CREATE SEQUENCE {}", r.q(&s.name));
        for (word, value) in [
            ("INCREMENT BY", s.increment),
            ("MINVALUE", s.min_value),
            ("MAXVALUE", s.max_value),
            ("START WITH", s.start),
            ("CACHE", s.cache),
        ] {
            if let Some(v) = value {
                sql.push_str(&format!(" {word} {v}"));
            }
        }
        if s.cycle {
            sql.push_str(" CYCLE");
        }
        Ok(vec![sql])
    }

    fn drop_sequence(&self, r: &Renderer<'_>, name: &str) -> Res<Vec<String>> {
        Ok(vec![format!("DROP SEQUENCE {}", r.q(name))])
    }

    fn concurrent_index_keyword(&self) -> &'static str {
        "CONCURRENTLY "
    }

    /// The owned sequences, `CREATE TABLE`, its indexes, the sequences' `OWNED BY`, then
    /// `COMMENT ON` for the table and its columns.
    fn check_index(&self, index: &Index) -> Res<()> {
        match index.kind {
            Some(k) => Err(format!(
                "index `{}` is {}, a MySQL/MariaDB index kind PostgreSQL does not have; use `using: gin` with a tsvector expression instead, or drop `kind`",
                index.name,
                k.as_str()
            )),
            None => Ok(()),
        }
    }

    fn schema_problems(&self, schema: &Schema) -> Vec<String> {
        schema
            .tables
            .iter()
            .flat_map(|t| {
                mysql_only_details(t)
                    .into_iter()
                    .map(move |p| format!("table `{}`: {p}", t.name))
            })
            .collect()
    }

    fn create_table(&self, r: &mut Renderer<'_>, t: &Table) -> Res<Vec<String>> {
        if let Some(p) = mysql_only_details(t).into_iter().next() {
            return Err(p);
        }
        let owned: Vec<&Column> = t
            .columns
            .iter()
            .filter(|c| c.autoincrement && c.sequence.is_some())
            .collect();
        let mut out = Vec::new();
        for c in &owned {
            out.push(create_owned_sequence(r, c)?);
        }
        out.extend(r.create_table_and_indexes(t)?);
        for c in &owned {
            out.push(sequence_owned_by(r, &t.name, c));
        }
        if let Some(c) = &t.comment {
            out.push(format!(
                "COMMENT ON TABLE {} IS {}",
                r.qt(&t.name),
                r.lit(c)
            ));
        }
        for c in &t.columns {
            if c.comment.is_some() {
                out.push(column_comment(r, &t.name, &c.name, &c.comment));
            }
        }
        Ok(out)
    }

    fn add_column(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        col: &Column,
        fk: Option<&ForeignKey>,
    ) -> Res<Vec<String>> {
        if col.charset.is_some() {
            return Err(format!(
                "column `{}`: `charset` is a MySQL/MariaDB column option PostgreSQL does not have; remove it (a `collation` is kept)",
                col.name
            ));
        }
        let owned = col.autoincrement && col.sequence.is_some();
        let mut out = Vec::new();
        if owned {
            out.push(create_owned_sequence(r, col)?);
        }
        out.push(r.alter(
            table,
            &format!("ADD COLUMN {}", r.column_def(col, false, false)?),
        ));
        if owned {
            out.push(sequence_owned_by(r, table, col));
        }
        if let Some(fk) = fk {
            out.push(r.add_constraint(table, &fk.name, &r.fk_clause(fk, false)?));
        }
        if col.comment.is_some() {
            out.push(column_comment(r, table, &col.name, &col.comment));
        }
        Ok(out)
    }

    fn alter_column(&self, r: &mut Renderer<'_>, a: &AlterColumn) -> Res<Vec<String>> {
        let col = r.q(&a.name);
        let mut out = Vec::new();
        let alter = |rest: String| r.alter(&a.table, &format!("ALTER COLUMN {col} {rest}"));
        if a.autoincrement == Some(false) {
            out.extend(stop_autoincrement(r, a));
        }
        if let Some(None) = &a.server_default {
            out.push(alter("DROP DEFAULT".into()));
        }
        if let Some(ty) = &a.ty {
            let t = r.col_type(ty, false)?;
            out.push(alter(format!("TYPE {t} USING {col}::{t}")));
        }
        match a.nullable {
            Some(true) => out.push(alter("DROP NOT NULL".into())),
            Some(false) => out.push(alter("SET NOT NULL".into())),
            None => {}
        }
        if let Some(Some(d)) = &a.server_default {
            out.push(alter(format!("SET DEFAULT {d}")));
        }
        if a.autoincrement == Some(true) {
            let had_default = matches!(a.existing_server_default, Some(Some(_)))
                && !matches!(a.server_default, Some(None));
            if had_default {
                out.push(alter("DROP DEFAULT".into()));
            }
            if a.nullable.is_none() && a.existing_nullable != Some(false) {
                out.push(alter("SET NOT NULL".into()));
            }
            out.push(alter("ADD GENERATED BY DEFAULT AS IDENTITY".into()));
            // The identity continues after the values the column already holds.
            out.push(format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), coalesce(max({col}), 0) + 1, false) FROM {}",
                r.lit(&r.q(&a.table)),
                r.lit(&a.name),
                r.q(&a.table)
            ));
        }
        if let Some(c) = &a.comment {
            out.push(column_comment(r, &a.table, &a.name, c));
        }
        if let Some(n) = &a.new_name {
            out.push(r.alter(&a.table, &format!("RENAME COLUMN {col} TO {}", r.q(n))));
        }
        Ok(out)
    }

    fn drop_constraint(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        name: &str,
        _kind: ConstraintKind,
    ) -> Res<Vec<String>> {
        Ok(vec![
            r.alter(table, &format!("DROP CONSTRAINT {}", r.q(name)))
        ])
    }

    fn create_enum(&self, r: &Renderer<'_>, e: &EnumType) -> Vec<String> {
        let lits: Vec<String> = e.values.iter().map(|v| r.lit(v)).collect();
        vec![format!(
            "CREATE TYPE {} AS ENUM ({})",
            r.q(&e.name),
            lits.join(", ")
        )]
    }

    fn drop_enum(&self, r: &Renderer<'_>, name: &str) -> Vec<String> {
        vec![format!("DROP TYPE {}", r.q(name))]
    }

    /// `ALTER TYPE … ADD VALUE`: before PostgreSQL 12 it cannot run inside a
    /// transaction block, and the new value cannot be used in the same transaction.
    fn add_enum_value(
        &self,
        r: &mut Renderer<'_>,
        name: &str,
        value: &str,
        position: Option<&EnumValuePosition>,
    ) -> Res<Vec<String>> {
        let mut s = format!("ALTER TYPE {} ADD VALUE {}", r.q(name), r.lit(value));
        match position {
            Some(EnumValuePosition::Before(v)) => s.push_str(&format!(" BEFORE {}", r.lit(v))),
            Some(EnumValuePosition::After(v)) => s.push_str(&format!(" AFTER {}", r.lit(v))),
            None => {}
        }
        Ok(vec![s])
    }

    /// PostgreSQL cannot remove a value from an enum type: the type is renamed, created
    /// again without the value, every column using it converted (defaults dropped and
    /// restored), and the old type dropped, in one `DO` block that finds the values and
    /// the columns in the catalog.
    fn drop_enum_value(&self, r: &mut Renderer<'_>, name: &str, value: &str) -> Res<Vec<String>> {
        let ty = r.q(name);
        let old = r.q(&format!("{name}_retort_old"));
        let (ty_lit, old_lit) = (r.lit(&ty), r.lit(&old));
        let val = r.lit(value);
        let block = [
            "DO $retort$".to_string(),
            "DECLARE".into(),
            "    r record;".into(),
            "    vals text;".into(),
            "BEGIN".into(),
            "    SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) INTO vals".into(),
            format!("        FROM pg_enum e WHERE e.enumtypid = {ty_lit}::regtype AND e.enumlabel <> {val};"),
            "    IF vals IS NULL THEN".into(),
            format!("        RAISE EXCEPTION 'enum %: cannot remove %, its only value', {ty_lit}, {val};"),
            "    END IF;".into(),
            format!("    ALTER TYPE {ty} RENAME TO {old};"),
            format!("    EXECUTE format('CREATE TYPE %s AS ENUM (%s)', {ty_lit}, vals);"),
            "    FOR r IN SELECT a.attrelid::regclass::text AS tbl, quote_ident(a.attname) AS col,".into(),
            "            pg_get_expr(d.adbin, d.adrelid) AS def".into(),
            "        FROM pg_attribute a".into(),
            "        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum".into(),
            format!("        WHERE a.atttypid = {old_lit}::regtype AND a.attnum > 0 AND NOT a.attisdropped"),
            "    LOOP".into(),
            "        EXECUTE format('ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT', r.tbl, r.col);".into(),
            format!("        EXECUTE format('ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::text::%s', r.tbl, r.col, {ty_lit}, r.col, {ty_lit});"),
            "        IF r.def IS NOT NULL THEN".into(),
            "            EXECUTE format('ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s', r.tbl, r.col, regexp_replace(r.def, '::[^:]+$', ''));".into(),
            "        END IF;".into(),
            "    END LOOP;".into(),
            format!("    DROP TYPE {old};"),
            "END".into(),
            "$retort$".into(),
        ];
        Ok(vec![block.join("\n")])
    }

    fn table_comment(
        &self,
        r: &Renderer<'_>,
        table: &str,
        comment: &Option<String>,
    ) -> Vec<String> {
        vec![format!(
            "COMMENT ON TABLE {} IS {}",
            r.qt(table),
            r.comment_lit(comment)
        )]
    }
}

/// Statements that stop `a`'s column autoincrementing: `DROP IDENTITY`, or for a column
/// with an owned sequence `DROP DEFAULT` and `DROP SEQUENCE`; where the render context
/// does not know the column, both ways, the sequence found in the catalog.
fn stop_autoincrement(r: &Renderer<'_>, a: &AlterColumn) -> Vec<String> {
    let col = r.q(&a.name);
    let alter = |rest: &str| r.alter(&a.table, &format!("ALTER COLUMN {col} {rest}"));
    match r.table(&a.table).and_then(|t| t.column(&a.name)) {
        Some(c) => match &c.sequence {
            Some(seq) => vec![alter("DROP DEFAULT"), format!("DROP SEQUENCE {}", r.q(seq))],
            None => vec![alter("DROP IDENTITY")],
        },
        None => vec![
            alter("DROP IDENTITY IF EXISTS"),
            [
                "DO $retort$".to_string(),
                format!(
                    "DECLARE seq text := pg_get_serial_sequence({}, {});",
                    r.lit(&r.q(&a.table)),
                    r.lit(&a.name)
                ),
                "BEGIN".into(),
                "    IF seq IS NOT NULL THEN".into(),
                format!("        {};", alter("DROP DEFAULT")),
                "        EXECUTE 'DROP SEQUENCE ' || seq;".into(),
                "    END IF;".into(),
                "END".into(),
                "$retort$".into(),
            ]
            .join("\n"),
        ],
    }
}

/// `CREATE SEQUENCE` for a column's owned sequence, of the column's integer type (as
/// `serial` makes it).
fn create_owned_sequence(r: &Renderer<'_>, col: &Column) -> Res<String> {
    let seq = col.sequence.as_deref().unwrap_or_default();
    let mut sql = format!("CREATE SEQUENCE {}", r.q(seq));
    if matches!(col.ty, ColumnType::Integer | ColumnType::SmallInt) {
        sql.push_str(&format!(" AS {}", r.col_type(&col.ty, false)?));
    }
    Ok(sql)
}

/// `ALTER SEQUENCE … OWNED BY table.column`: the sequence goes with the column.
fn sequence_owned_by(r: &Renderer<'_>, table: &str, col: &Column) -> String {
    format!(
        "ALTER SEQUENCE {} OWNED BY {}.{}",
        r.q(col.sequence.as_deref().unwrap_or_default()),
        r.q(table),
        r.q(&col.name)
    )
}

/// `nextval('seq'::regclass)` as PostgreSQL stores it (the name quoted inside the
/// literal only where it needs quotes).
fn nextval_sql(r: &Renderer<'_>, seq: &str) -> String {
    let plain = crate::schema::is_identifier(seq) && !seq.chars().any(|c| c.is_ascii_uppercase());
    let name = if plain { seq.to_string() } else { r.q(seq) };
    format!("nextval({}::regclass)", r.lit(&name))
}

/// A collation after `COLLATE`: quoted (PostgreSQL collation names are case-sensitive
/// and often hold `-` or `.`), unless written quoted already.
fn collation_sql(r: &Renderer<'_>, c: &str) -> String {
    if c.starts_with('"') && c.ends_with('"') && c.len() > 1 {
        c.to_string()
    } else {
        r.q(c)
    }
}

/// An index key: a column quoted, an expression (an entry with a parenthesis, as
/// `pg_get_indexdef` reports every expression; column names may hold spaces or `-`) in
/// parentheses.
fn index_key(r: &Renderer<'_>, entry: &str) -> String {
    if entry.contains('(') {
        if entry.starts_with('(') && entry.ends_with(')') {
            entry.to_string()
        } else {
            format!("({entry})")
        }
    } else {
        r.q(entry)
    }
}

/// An index key as compared: expressions without casts, quotes, parentheses and case.
fn comparable_key(entry: &str) -> String {
    if entry.contains('(') {
        crate::normalize::canonical_predicate(entry)
    } else {
        entry.to_string()
    }
}

/// `COMMENT ON COLUMN` (`NULL` removes the comment).
fn column_comment(r: &Renderer<'_>, table: &str, column: &str, comment: &Option<String>) -> String {
    format!(
        "COMMENT ON COLUMN {}.{} IS {}",
        r.qt(table),
        r.q(column),
        r.comment_lit(comment)
    )
}

/// What a table declares that only MySQL/MariaDB have (table options, column charsets),
/// one message each: PostgreSQL refuses them rather than drop them silently.
fn mysql_only_details(t: &Table) -> Vec<String> {
    let mut out = Vec::new();
    for (key, set) in [
        ("engine", t.options.engine.is_some()),
        ("charset", t.options.charset.is_some()),
        ("collation", t.options.collation.is_some()),
        ("row_format", t.options.row_format.is_some()),
    ] {
        if set {
            out.push(format!(
                "`{key}` is a MySQL/MariaDB table option, which PostgreSQL does not have; remove it"
            ));
        }
    }
    for ix in t.indexes.iter().filter(|ix| ix.kind.is_some()) {
        out.push(format!(
            "index `{}`: `kind` is a MySQL/MariaDB index kind PostgreSQL does not have; use `using: gin` with a tsvector expression instead, or drop `kind`",
            ix.name
        ));
    }
    for c in t.columns.iter().filter(|c| c.charset.is_some()) {
        out.push(format!(
            "column `{}`: `charset` is a MySQL/MariaDB column option PostgreSQL does not have; remove it (a `collation` is kept)",
            c.name
        ));
    }
    out
}
