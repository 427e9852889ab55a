//! MySQL and MariaDB: backquoted identifiers, inline `ENUM(…)`, `MODIFY COLUMN`,
//! non-transactional DDL and named locks.

pub(crate) mod batch;
mod reader;

use sea_query::MysqlQueryBuilder;

use super::render::{build_sea, plain_default, Res};
use super::{
    run_lock_key, shared_type_sql, sized, Backend, Renderer, RunLockSql, SeaStatement,
    TypeSqlError, LOCK_WAIT_SECONDS,
};
use crate::backend::dialect::Dialect;
use crate::ops::{AlterColumn, ConstraintKind};
use crate::schema::{
    Column, ColumnType, FkAction, ForeignKey, Index, NameKind, Schema, Table, TableOptions,
};

/// The MySQL/MariaDB backend.
pub(crate) struct MySqlBackend;

impl Backend for MySqlBackend {
    fn statement_batching(&self) -> super::Batching {
        super::Batching::Revision
    }

    fn column_names_sql(&self, table: &str) -> String {
        format!(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = {}",
            self.literal(table)
        )
    }

    fn open<'a>(&'a self, url: &'a str, create: bool) -> super::connection::ConnectFuture<'a> {
        let _ = create;
        Box::pin(async move {
            use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
            use sqlx::Connection as _;
            use std::str::FromStr;
            let fail = |reason: String| super::connection::connect_failure(url, &reason);
            let normalized = url.replacen("mariadb://", "mysql://", 1);
            let opts =
                MySqlConnectOptions::from_str(&normalized).map_err(|e| fail(e.to_string()))?;
            super::connection::connect_with_timeout(MySqlConnection::connect_with(&opts))
                .await
                .map(super::connection::Connection::MySql)
                .map_err(|e| fail(super::connection::connect_reason(&e, self)))
        })
    }

    // MySQL reports SQLSTATE codes at connection time, so its messages are matched too.
    fn is_auth_failure(&self, code: &str, message: &str) -> bool {
        matches!(code, "28P01" | "28000" | "1045") || message.starts_with("Access denied for user")
    }

    fn is_unknown_database(&self, code: &str, message: &str) -> bool {
        code == "1049" || message.starts_with("Unknown database")
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
        "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name"
    }

    fn reset_statements(&self, tables: &[String], types: &[String]) -> Vec<String> {
        let _ = types;
        let mut out = vec!["SET FOREIGN_KEY_CHECKS = 0".to_string()];
        out.extend(
            tables
                .iter()
                .map(|t| format!("DROP TABLE IF EXISTS {}", self.quote(t))),
        );
        out.push("SET FOREIGN_KEY_CHECKS = 1".to_string());
        out
    }

    fn alter_may_copy_table(&self) -> bool {
        true
    }

    fn lock_timeout_sql(&self, millis: u64) -> Option<String> {
        // lock_wait_timeout is in whole seconds (at least 1).
        Some(format!(
            "SET SESSION lock_wait_timeout = {}",
            millis.div_ceil(1000).max(1)
        ))
    }

    fn lock_timeout_reset_sql(&self) -> Option<String> {
        Some("SET SESSION lock_wait_timeout = DEFAULT".to_string())
    }

    fn is_already_in_effect(&self, message: &str) -> bool {
        let m = message.to_ascii_lowercase();
        [
            "duplicate column name",
            "duplicate key name",
            "already exists",
            "multiple primary key defined",
            "duplicate foreign key constraint name",
            "check that it exists",
            "check that column/key exists",
            "unknown column",
            "unknown table",
            "doesn't exist",
        ]
        .iter()
        .any(|n| m.contains(n))
    }

    fn is_lock_timeout(&self, message: &str) -> bool {
        let m = message.to_ascii_lowercase();
        m.contains("lock wait timeout") || m.contains("1205")
    }

    fn dialect(&self) -> Dialect {
        Dialect::MySql
    }

    fn quote(&self, ident: &str) -> String {
        format!("`{}`", ident.replace('`', "``"))
    }

    /// Backslashes escape in MySQL string literals, so they are doubled too.
    fn literal(&self, s: &str) -> String {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
    }

    /// MySQL rejects names longer than 64 characters.
    fn max_identifier_length(&self) -> Option<usize> {
        Some(64)
    }

    fn identifier_limit_text(&self) -> String {
        "MySQL allows at most 64 characters".to_string()
    }

    fn transactional_ddl(&self) -> bool {
        false
    }

    fn type_sql(&self, ty: &ColumnType, schema: Option<&Schema>) -> Result<String, TypeSqlError> {
        use ColumnType as T;
        Ok(match ty {
            T::Integer => "INT".into(),
            T::Boolean => "BOOL".into(),
            T::Real => "FLOAT".into(),
            T::Numeric { precision, scale } => sized("DECIMAL", *precision, *scale),
            T::Varchar(None) => return Err(TypeSqlError::VarcharNeedsLength),
            T::Blob => "LONGBLOB".into(),
            T::Timestamp | T::TimestampTz => "DATETIME".into(),
            T::Enum(name) => {
                let values = schema
                    .and_then(|s| s.enum_type(name))
                    .ok_or_else(|| TypeSqlError::UnknownEnum(name.clone()))?;
                let lits: Vec<String> = values.values.iter().map(|v| self.literal(v)).collect();
                format!("ENUM({})", lits.join(", "))
            }
            other => shared_type_sql(other),
        })
    }

    fn display_name(&self) -> &'static str {
        "MySQL/MariaDB"
    }

    fn canonical_type_name(&self, squashed: &str, _base: &str, _args: Option<&str>) -> String {
        canonical_mysql_type(squashed)
    }

    fn boolean_alias(&self) -> Option<&'static str> {
        Some("tinyint(1)")
    }

    fn default_primary_key_name(&self, _table: &str) -> String {
        "PRIMARY".to_string()
    }

    fn unique_index_is_constraint(&self) -> bool {
        true
    }

    fn reported_fk_action(&self, action: FkAction) -> FkAction {
        match action {
            FkAction::Restrict => FkAction::NoAction,
            other => other,
        }
    }

    fn database_name_sql(&self) -> Option<&'static str> {
        Some("SELECT DATABASE()")
    }

    /// A named lock (`GET_LOCK`), at most 64 characters long.
    fn run_lock(&self, database: &str, table: &str) -> Option<RunLockSql> {
        let mut name = format!("retort.{database}.{table}");
        if name.len() > 64 {
            name = format!("retort.{:016x}", run_lock_key(database, table) as u64);
        }
        let name = self.literal(&name);
        Some(RunLockSql {
            try_sql: format!("SELECT GET_LOCK({name}, 0)"),
            taken: "1",
            wait_sql: format!("SELECT GET_LOCK({name}, {LOCK_WAIT_SECONDS})"),
            wait_can_give_up: true,
            describe: format!("GET_LOCK {name}"),
            release_sql: format!("SELECT RELEASE_LOCK({name})"),
        })
    }

    fn table_exists_sql(&self, table: &str) -> String {
        format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = {}",
            self.literal(table)
        )
    }

    /// The mysql client cuts at every `;` unless told otherwise.
    fn offline_statement(&self, sql: &str) -> String {
        let inner = crate::sqltext::has_inner_semicolon(sql);
        let sql = sql.trim_end().trim_end_matches(';');
        if inner {
            format!("DELIMITER //\n{sql}\n//\nDELIMITER ;\n\n")
        } else {
            format!("{sql};\n\n")
        }
    }

    fn has_partial_indexes(&self) -> bool {
        false
    }

    /// Index, unique and check names are per table; InnoDB keeps foreign key names per
    /// database.
    fn schema_wide_name(&self, kind: NameKind) -> bool {
        kind == NameKind::ForeignKey
    }

    fn sea_sql(&self, stmt: SeaStatement<'_>) -> String {
        build_sea(MysqlQueryBuilder, stmt)
    }

    /// `enum(NAME)` spells its values inline: `ENUM('a', 'b')`.
    fn column_type(&self, r: &Renderer<'_>, ty: &ColumnType, _rowid: bool) -> Res<String> {
        match ty {
            ColumnType::Enum(name) => {
                let lits: Vec<String> = r.enum_values(name)?.iter().map(|v| r.lit(v)).collect();
                Ok(format!("ENUM({})", lits.join(", ")))
            }
            other => r.portable_col_type(other),
        }
    }

    /// MySQL 8 needs parentheses around anything but a literal, `CURRENT_TIMESTAMP` and
    /// friends (MariaDB accepts both forms).
    fn bare_default(&self, expr: &str) -> bool {
        let upper = expr.trim().to_ascii_uppercase();
        upper.contains(" ON UPDATE ")
            || plain_default(expr)
            || [
                "CURRENT_TIMESTAMP",
                "CURRENT_DATE",
                "CURRENT_TIME",
                "LOCALTIME",
                "NOW(",
            ]
            .iter()
            .any(|p| upper.starts_with(p))
    }

    fn column_constraints(
        &self,
        r: &Renderer<'_>,
        col: &Column,
        _rowid: bool,
        _autoincrement_keyword: bool,
    ) -> Res<String> {
        let mut s = String::new();
        if let Some(c) = &col.charset {
            s.push_str(&format!(" CHARACTER SET {c}"));
        }
        if let Some(c) = &col.collation {
            s.push_str(&format!(" COLLATE {c}"));
        }
        match &col.generated {
            // MariaDB refuses NOT NULL and DEFAULT on generated columns.
            Some(g) => s.push_str(&format!(
                " GENERATED ALWAYS AS ({}) {}",
                g.expr,
                if g.stored { "STORED" } else { "VIRTUAL" }
            )),
            None => s.push_str(&r.null_and_default(col)),
        }
        if col.autoincrement {
            s.push_str(" AUTO_INCREMENT");
        }
        if let Some(c) = &col.comment {
            s.push_str(&format!(" COMMENT {}", r.lit(c)));
        }
        Ok(s)
    }

    fn fk_action(&self, what: &str, action: FkAction) -> Res<String> {
        if action == FkAction::SetDefault {
            return Err(format!(
                "MySQL/MariaDB (InnoDB) does not support {what} SET DEFAULT; use set null, cascade, restrict or no action"
            ));
        }
        Ok(format!(" {what} {}", action.sql()))
    }

    /// MySQL's primary key is always called `PRIMARY`.
    fn primary_key_name<'n>(&self, _declared: Option<&'n str>) -> &'n str {
        ""
    }

    /// `CREATE [UNIQUE|FULLTEXT|SPATIAL] INDEX … (k(191) DESC, (expr)) [USING HASH]`.
    fn create_index(
        &self,
        r: &Renderer<'_>,
        table: &str,
        ix: &Index,
        _concurrently: bool,
    ) -> Option<Res<String>> {
        let columns = r.table(table).map(|t| t.columns.as_slice());
        Some(mysql_index_sql(r, table, ix, columns))
    }

    /// The table, then its indexes (whose entries are columns of `t`, else expressions).
    fn create_table(&self, r: &mut Renderer<'_>, t: &Table) -> Res<Vec<String>> {
        let mut out = vec![r.create_table_sql(t, None, false)?];
        for ix in &t.indexes {
            out.push(mysql_index_sql(r, &t.name, ix, Some(&t.columns))?);
        }
        Ok(out)
    }

    /// An index as InnoDB keeps it: no operator classes or `INCLUDE` (not MySQL's), a
    /// method only where it is not the B-tree (InnoDB builds `USING HASH` as a B-tree;
    /// FULLTEXT and SPATIAL indexes have their own), a prefix length only on columns of
    /// the index, `descending` in column order.
    fn comparable_index(&self, index: &Index) -> Index {
        let mut ix = index.clone();
        ix.opclasses.clear();
        ix.include.clear();
        ix.using = None;
        ix.lengths.retain(|c, _| index.columns.contains(c));
        ix.descending = index
            .columns
            .iter()
            .filter(|c| index.descending.contains(c))
            .cloned()
            .collect();
        ix.columns = ix
            .columns
            .iter()
            .map(|c| {
                if Index::is_expression(c) {
                    crate::normalize::canonical_predicate(c)
                } else {
                    c.clone()
                }
            })
            .collect();
        ix
    }

    fn has_table_options(&self) -> bool {
        true
    }

    fn fk_deferral_sql(&self, fk: &ForeignKey) -> Res<String> {
        if fk.deferrable || fk.initially_deferred {
            return Err(format!(
                "foreign key `{}` is deferrable, and MySQL/MariaDB check foreign keys at once; remove `deferrable`/`initially`",
                fk.name
            ));
        }
        Ok(String::new())
    }

    fn comparable_deferral(&self, _fk: &ForeignKey) -> (bool, bool) {
        (false, false)
    }

    fn schema_problems(&self, schema: &Schema) -> Vec<String> {
        schema
            .tables
            .iter()
            .flat_map(|t| {
                t.foreign_keys
                    .iter()
                    .filter_map(|fk| self.fk_deferral_sql(fk).err())
                    .map(move |p| format!("table `{}`: {p}", t.name))
            })
            .collect()
    }

    fn alter_table_options(
        &self,
        r: &Renderer<'_>,
        table: &str,
        set: &TableOptions,
    ) -> Res<Vec<String>> {
        let word = |what: &str, v: &str| -> Res<String> {
            if v.eq_ignore_ascii_case("default") && what != "engine" {
                Ok("DEFAULT".to_string())
            } else if !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                Ok(v.to_string())
            } else {
                Err(format!(
                    "table `{table}`: {what} {v:?} is not a name (letters, digits and _ only)"
                ))
            }
        };
        let mut parts = Vec::new();
        if let Some(e) = &set.engine {
            parts.push(format!("ENGINE = {}", word("engine", e)?));
        }
        if let Some(c) = &set.charset {
            parts.push(format!("DEFAULT CHARACTER SET = {}", word("charset", c)?));
        }
        if let Some(c) = &set.collation {
            parts.push(format!("COLLATE = {}", word("collation", c)?));
        }
        if let Some(f) = &set.row_format {
            parts.push(format!(
                "ROW_FORMAT = {}",
                word("row_format", f)?.to_ascii_uppercase()
            ));
        }
        Ok(vec![format!(
            "ALTER TABLE {} {}",
            r.qt(table),
            parts.join(", ")
        )])
    }

    fn table_options_sql(&self, r: &Renderer<'_>, t: &Table) -> String {
        let mut s = String::new();
        if let Some(e) = &t.options.engine {
            s.push_str(&format!(" ENGINE={e}"));
        }
        if let Some(c) = &t.options.charset {
            s.push_str(&format!(" DEFAULT CHARSET={c}"));
        }
        if let Some(c) = &t.options.collation {
            s.push_str(&format!(" COLLATE={c}"));
        }
        if let Some(f) = &t.options.row_format {
            s.push_str(&format!(" ROW_FORMAT={}", f.to_ascii_uppercase()));
        }
        if let Some(c) = &t.comment {
            s.push_str(&format!(" COMMENT = {}", r.lit(c)));
        }
        s
    }

    /// The collation in effect, as far as the schema says: the column's, else (a charset
    /// alone) that charset's default, else the table's, else the database's. `utf8` is
    /// `utf8mb3`, as the server reports it.
    fn comparable_collation(
        &self,
        table: &Table,
        col: &Column,
    ) -> (Option<String>, Option<String>) {
        if !has_collation(&col.ty) {
            return (None, None);
        }
        let effective = |charset: &Option<String>, collation: &Option<String>| {
            let collation = collation.as_deref().map(mysql_charset_name);
            let charset = charset.as_deref().map(mysql_charset_name).or_else(|| {
                collation
                    .as_deref()
                    .map(|c| c.split('_').next().unwrap_or(c).to_string())
            });
            match (charset, collation) {
                (Some(cs), Some(co)) => Some((cs, co)),
                (Some(cs), None) => Some((cs.clone(), format!("{cs} default"))),
                _ => None,
            }
        };
        let (charset, collation) = effective(&col.charset, &col.collation)
            .or_else(|| effective(&table.options.charset, &table.options.collation))
            .unwrap_or_else(|| ("database default".into(), "database default".into()));
        (Some(charset), Some(collation))
    }

    /// MySQL refuses to drop a column a foreign key uses: those keys are dropped first
    /// (PostgreSQL does so by itself).
    fn drop_column(&self, r: &mut Renderer<'_>, table: &str, name: &str) -> Res<Vec<String>> {
        let mut out = Vec::new();
        if let Some(t) = r.table(table) {
            for fk in &t.foreign_keys {
                if fk.columns.iter().any(|c| c == name) && !fk.name.is_empty() {
                    out.push(r.alter(table, &format!("DROP FOREIGN KEY {}", r.q(&fk.name))));
                }
            }
        }
        out.push(r.alter(table, &format!("DROP COLUMN {}", r.q(name))));
        Ok(out)
    }

    fn alter_column(&self, r: &mut Renderer<'_>, a: &AlterColumn) -> Res<Vec<String>> {
        let mut out = Vec::new();
        // `ALTER COLUMN … SET DEFAULT` cannot say `ON UPDATE`: such defaults go by MODIFY.
        let on_update = |d: &Option<Option<String>>| {
            d.iter()
                .flatten()
                .any(|d| d.to_ascii_uppercase().contains(" ON UPDATE "))
        };
        if a.ty.is_some()
            || on_update(&a.server_default)
            || on_update(&a.existing_server_default)
            || a.nullable.is_some()
            || a.comment.is_some()
            || a.collation.is_some()
            || a.charset.is_some()
            || a.autoincrement.is_some()
        {
            let col = full_column(r, a)?;
            out.push(r.alter(
                &a.table,
                &format!("MODIFY COLUMN {}", r.column_def(&col, false, false)?),
            ));
        } else if let Some(d) = &a.server_default {
            let rest = match d {
                Some(d) => format!("SET DEFAULT {}", r.default_sql(d)),
                None => "DROP DEFAULT".into(),
            };
            out.push(r.alter(&a.table, &format!("ALTER COLUMN {} {rest}", r.q(&a.name))));
        }
        if let Some(n) = &a.new_name {
            out.push(r.alter(
                &a.table,
                &format!("RENAME COLUMN {} TO {}", r.q(&a.name), r.q(n)),
            ));
        }
        Ok(out)
    }

    fn drop_index(&self, r: &Renderer<'_>, table: &str, name: &str) -> Vec<String> {
        let mut out = keep_foreign_key_indexes(r, table, name);
        out.push(format!("DROP INDEX {} ON {}", r.q(name), r.q(table)));
        out
    }

    fn drop_constraint(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        name: &str,
        kind: ConstraintKind,
    ) -> Res<Vec<String>> {
        let mut out = match kind {
            ConstraintKind::Unique => keep_foreign_key_indexes(r, table, name),
            ConstraintKind::Primary => keep_foreign_key_indexes(r, table, "PRIMARY"),
            _ => Vec::new(),
        };
        let rest = match kind {
            ConstraintKind::Unique => format!("DROP INDEX {}", r.q(name)),
            ConstraintKind::ForeignKey => format!("DROP FOREIGN KEY {}", r.q(name)),
            ConstraintKind::Check => format!("DROP CONSTRAINT {}", r.q(name)),
            ConstraintKind::Primary => "DROP PRIMARY KEY".into(),
        };
        out.push(r.alter(table, &rest));
        Ok(out)
    }

    /// `MODIFY COLUMN` with the enum's new values.
    fn redefine_enum_columns(
        &self,
        r: &mut Renderer<'_>,
        t: &Table,
        ty: &ColumnType,
    ) -> Res<Vec<String>> {
        let mut out = Vec::new();
        for c in t.columns.iter().filter(|c| c.ty == *ty) {
            out.push(r.alter(
                &t.name,
                &format!("MODIFY COLUMN {}", r.column_def(c, false, false)?),
            ));
        }
        Ok(out)
    }

    fn table_comment(
        &self,
        r: &Renderer<'_>,
        table: &str,
        comment: &Option<String>,
    ) -> Vec<String> {
        vec![r.alter(
            table,
            &format!("COMMENT = {}", r.lit(comment.as_deref().unwrap_or(""))),
        )]
    }

    fn insert_default_values(&self, quoted_table: &str) -> String {
        format!("INSERT INTO {quoted_table} () VALUES ()")
    }
}
/// True for the types whose values have a character set and collation.
fn has_collation(ty: &ColumnType) -> bool {
    match ty {
        ColumnType::Varchar(_)
        | ColumnType::Char(_)
        | ColumnType::Text
        | ColumnType::Uuid
        | ColumnType::Enum(_) => true,
        ColumnType::Custom(s) => {
            let base = s.split(['(', ' ']).next().unwrap_or_default();
            matches!(
                base,
                "tinytext"
                    | "text"
                    | "mediumtext"
                    | "longtext"
                    | "varchar"
                    | "char"
                    | "character"
                    | "nchar"
                    | "nvarchar"
                    | "enum"
                    | "set"
            )
        }
        _ => false,
    }
}

/// A charset or collation name as the server reports it: lower case, `utf8` as
/// `utf8mb3`.
fn mysql_charset_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    match lower.strip_prefix("utf8") {
        Some("") => "utf8mb3".into(),
        Some(rest) if rest.starts_with('_') => format!("utf8mb3{rest}"),
        _ => lower,
    }
}

/// `CREATE INDEX` on MySQL/MariaDB, with the index's kind, prefix lengths, `DESC`,
/// expressions (MySQL 8.0.13+: `((expr))`) and method.
/// True when index entry `entry` is an expression: not a column of the table (where its
/// `columns` are known) and written like one ([`Index::is_expression`]); a column may be
/// called `reply-to`.
pub(crate) fn is_expression_part(entry: &str, columns: Option<&[Column]>) -> bool {
    Index::is_expression(entry) && !columns.is_some_and(|cols| cols.iter().any(|c| c.name == entry))
}

fn mysql_index_sql(
    r: &Renderer<'_>,
    table: &str,
    ix: &Index,
    columns: Option<&[Column]>,
) -> Res<String> {
    r.nonempty(&ix.columns, &format!("index `{}`", ix.name))?;
    if let Some(w) = &ix.where_clause {
        return Err(format!(
            "index `{}` is partial (where: {w}), and MySQL/MariaDB have no partial indexes; drop `where`, or create this index with a dialect-specific execute",
            ix.name
        ));
    }
    let kind = match (ix.kind, ix.unique) {
        (Some(k), false) => format!("{} ", k.sql()),
        (Some(k), true) => {
            return Err(format!(
                "index `{}` is {} and unique; MySQL/MariaDB {} indexes cannot be unique",
                ix.name,
                k.as_str(),
                k.sql()
            ))
        }
        (None, true) => "UNIQUE ".into(),
        (None, false) => String::new(),
    };
    let parts: Vec<String> = ix
        .columns
        .iter()
        .map(|c| {
            let mut part = if is_expression_part(c, columns) {
                format!("({c})")
            } else {
                r.q(c)
            };
            if let Some(n) = ix.lengths.get(c) {
                part.push_str(&format!("({n})"));
            }
            if ix.descending.contains(c) {
                part.push_str(" DESC");
            }
            part
        })
        .collect();
    let mut sql = format!(
        "CREATE {kind}INDEX {} ON {} ({})",
        r.q(&ix.name),
        r.q(table),
        parts.join(", ")
    );
    match ix.using.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("btree") => {}
        Some("hash") => sql.push_str(" USING HASH"),
        Some(other) => {
            return Err(format!(
                "index `{}` uses `{other}`, which MySQL/MariaDB do not have; use btree or hash (or kind: fulltext / spatial)",
                ix.name
            ))
        }
    }
    Ok(sql)
}

/// The one spelling of a MySQL/MariaDB type (lower case, single-spaced) that every
/// spelling of the same type shares: integer display widths go (unless `zerofill`),
/// `zerofill` implies `unsigned`, `timestamp(0)` is `timestamp`, `blob(n)`/`text(n)` are
/// the size class MySQL picks, aliases become the names the catalog reports.
pub(crate) fn canonical_mysql_type(squashed: &str) -> String {
    let mut words: Vec<&str> = squashed.split(' ').collect();
    let mut unsigned = false;
    let mut zerofill = false;
    while let Some(last) = words.last() {
        match *last {
            "unsigned" => unsigned = true,
            "zerofill" => zerofill = true,
            "signed" => {}
            _ => break,
        }
        words.pop();
    }
    unsigned |= zerofill;
    let core = words.join(" ");
    let (base, args) = match core.find('(') {
        Some(i) if core.ends_with(')') => (core[..i].trim(), Some(&core[i + 1..core.len() - 1])),
        _ => (core.as_str(), None),
    };
    let with = |name: &str| match args {
        Some(a) => format!("{name}({a})"),
        None => name.to_string(),
    };
    let size = || args.and_then(|a| a.trim().parse::<u64>().ok());
    let zero_precision = args.is_some_and(|a| a.trim() == "0");
    let integer = |name: &str| {
        if zerofill {
            with(name)
        } else {
            name.to_string()
        }
    };
    let mut out = match base {
        "int" | "integer" => integer("int"),
        "bigint" => integer("bigint"),
        "smallint" => integer("smallint"),
        "mediumint" => integer("mediumint"),
        "tinyint" if args == Some("1") && !unsigned => "bool".into(),
        "bool" | "boolean" => "bool".into(),
        "tinyint" => integer("tinyint"),
        // float(p): p up to 24 is FLOAT, up to 53 DOUBLE; float(m,d) stays.
        "float" => match (args, size()) {
            (Some(_), Some(p)) if p > 24 => "double".into(),
            (Some(_), Some(_)) => "float".into(),
            _ => with("float"),
        },
        "double" | "double precision" | "real" => with("double"),
        "decimal" | "numeric" | "dec" | "fixed" => match args {
            None => "decimal(10,0)".into(),
            Some(a) if !a.contains(',') => format!("decimal({a},0)"),
            Some(a) => format!("decimal({a})"),
        },
        "char" | "character" => match args {
            Some(a) => format!("char({a})"),
            None => "char(1)".into(),
        },
        "varchar" | "character varying" => with("varchar"),
        "json" | "jsonb" => "json".into(),
        "timestamp" | "datetime" | "time" if zero_precision => base.to_string(),
        "blob" | "text" if args.is_some() => {
            let prefix = match size() {
                Some(n) if n < 256 => "tiny",
                Some(n) if n < 65_536 => "",
                Some(n) if n < 16_777_216 => "medium",
                _ => "long",
            };
            format!("{prefix}{base}")
        }
        _ => with(base),
    };
    if unsigned {
        out.push_str(" unsigned");
    }
    if zerofill {
        out.push_str(" zerofill");
    }
    out
}

/// `MODIFY COLUMN` restates the whole column: the operation's new values, else its
/// `existing_*`, else the context's column. Without a known type it fails.
fn full_column(r: &Renderer<'_>, a: &AlterColumn) -> Res<Column> {
    let known = r.table(&a.table).and_then(|t| t.column(&a.name));
    let ty = a
        .ty
        .clone()
        .or_else(|| a.existing_type.clone())
        .or_else(|| known.map(|c| c.ty.clone()))
        .ok_or_else(|| {
            format!(
                "MySQL's MODIFY COLUMN restates the whole column, and the type of `{}`.`{}` is unknown; add `existing_type` (and existing_nullable, existing_server_default, existing_comment) to the operation, or render it with render_live against the database",
                a.table, a.name
            )
        })?;
    Ok(Column {
        name: a.name.clone(),
        ty,
        nullable: a
            .nullable
            .or(a.existing_nullable)
            .or(known.map(|c| c.nullable))
            .unwrap_or(true),
        server_default: a
            .server_default
            .clone()
            .or_else(|| a.existing_server_default.clone())
            .or_else(|| known.map(|c| c.server_default.clone()))
            .flatten(),
        autoincrement: a
            .autoincrement
            .or(a.existing_autoincrement)
            .or(known.map(|c| c.autoincrement))
            .unwrap_or(false),
        comment: a
            .comment
            .clone()
            .or_else(|| a.existing_comment.clone())
            .or_else(|| known.map(|c| c.comment.clone()))
            .flatten(),
        renamed_from: None,
        collation: a
            .collation
            .clone()
            .or_else(|| a.existing_collation.clone())
            .or_else(|| known.map(|c| c.collation.clone()))
            .flatten(),
        charset: a
            .charset
            .clone()
            .or_else(|| a.existing_charset.clone())
            .or_else(|| known.map(|c| c.charset.clone()))
            .flatten(),
        ..Default::default()
    })
}
/// MySQL needs an index for every foreign key and uses any index that starts with the
/// key's columns, dropping the one it made for the key itself. Before dropping index or
/// constraint `dropped` (`PRIMARY`: the primary key), make the key its own index again
/// (named after the key, as MySQL would) when no other index would serve it; otherwise
/// MySQL refuses the drop. Needs the table in the context (or render_live); without
/// it, nothing is added.
fn keep_foreign_key_indexes(r: &Renderer<'_>, table: &str, dropped: &str) -> Vec<String> {
    let Some(t) = r.table(table) else {
        return Vec::new();
    };
    let mut keys: Vec<(&str, &[String])> = Vec::new();
    if let Some(pk) = &t.primary_key {
        keys.push(("PRIMARY", &pk.columns));
    }
    keys.extend(
        t.indexes
            .iter()
            .map(|i| (i.name.as_str(), i.columns.as_slice())),
    );
    keys.extend(
        t.unique
            .iter()
            .map(|u| (u.name.as_str(), u.columns.as_slice())),
    );
    let is_dropped = |n: &str| n == dropped;
    let Some((_, dropped_cols)) = keys.iter().find(|(n, _)| is_dropped(n)) else {
        return Vec::new();
    };
    let starts_with = |cols: &[String], prefix: &[String]| {
        cols.len() >= prefix.len() && cols[..prefix.len()] == *prefix
    };
    let mut out = Vec::new();
    for fk in &t.foreign_keys {
        if fk.columns.is_empty() || !starts_with(dropped_cols, &fk.columns) {
            continue;
        }
        let served = keys
            .iter()
            .any(|(n, cols)| !is_dropped(n) && starts_with(cols, &fk.columns));
        if !served {
            out.push(format!(
                "CREATE INDEX {} ON {} ({})",
                r.q(&fk.name),
                r.q(table),
                r.ql(&fk.columns)
            ));
        }
    }
    out
}
