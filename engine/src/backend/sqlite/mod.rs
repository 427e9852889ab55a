//! SQLite: no identifier limit, enums as `VARCHAR` plus a `CHECK`, and table rebuilds
//! for what `ALTER TABLE` cannot do.

pub(crate) mod batch;
pub mod ddl;
pub(crate) mod direct;
pub(crate) mod reader;
pub mod rebuild;

use std::borrow::Cow;

use sea_query::SqliteQueryBuilder;

use super::render::{build_sea, plain_default, Res};
use super::{Backend, Renderer, SeaStatement};
use crate::backend::dialect::Dialect;
use crate::ops::{drop_column, rename_column, AlterColumn, ConstraintKind};
use crate::schema::{
    CheckConstraint, Column, ColumnType, ForeignKey, Index, PrimaryKey, Schema, Table,
    UniqueConstraint,
};
use rebuild::{children_of, rebuild_table, Rebuild};

/// The SQLite backend.
pub(crate) struct SqliteBackend;

impl Backend for SqliteBackend {
    fn statement_batching(&self) -> super::Batching {
        super::Batching::Transaction
    }

    fn connecting_creates_database(&self) -> bool {
        true
    }

    fn column_names_sql(&self, table: &str) -> String {
        format!(
            "SELECT name FROM pragma_table_info({})",
            self.literal(table)
        )
    }

    fn open<'a>(&'a self, url: &'a str, create: bool) -> super::connection::ConnectFuture<'a> {
        Box::pin(async move {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
            use sqlx::Connection as _;
            use std::str::FromStr;
            let fail = |reason: String| super::connection::connect_failure(url, &reason);
            let mut opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| fail(e.to_string()))?
                .create_if_missing(create)
                .busy_timeout(std::time::Duration::from_secs(60));
            let file = opts.get_filename().to_path_buf();
            let in_memory = file.as_os_str() == ":memory:" || url.contains("mode=memory");
            if !create && !in_memory && !file.exists() {
                opts = SqliteConnectOptions::from_str("sqlite::memory:")
                    .map_err(|e| fail(e.to_string()))?;
            }
            let mut conn = SqliteConnection::connect_with(&opts)
                .await
                .map_err(|e| fail(super::connection::connect_reason(&e, self)))?;
            // SQLite opens any file lazily; reading the schema header finds out now
            // whether the file is a database at all.
            if let Err(e) = sqlx::raw_sql("PRAGMA schema_version")
                .execute(&mut conn)
                .await
            {
                let why = match &e {
                    sqlx::Error::Database(d) => d.message().to_string(),
                    other => other.to_string(),
                };
                return Err(fail(format!(
                    "{} is not a SQLite database ({why}); point the URL at a SQLite database file, or at a path where one can be created",
                    file.display()
                )));
            }
            Ok(super::connection::Connection::Sqlite(conn))
        })
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
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    }

    fn reset_statements(&self, tables: &[String], types: &[String]) -> Vec<String> {
        let _ = types;
        let mut out = vec!["PRAGMA foreign_keys = OFF".to_string()];
        out.extend(
            tables
                .iter()
                .map(|t| format!("DROP TABLE IF EXISTS {}", self.quote(t))),
        );
        out.push("PRAGMA foreign_keys = ON".to_string());
        out
    }

    fn lock_timeout_sql(&self, millis: u64) -> Option<String> {
        Some(format!("PRAGMA busy_timeout = {millis}"))
    }

    fn lock_timeout_reset_sql(&self) -> Option<String> {
        Some("PRAGMA busy_timeout = 60000".to_string())
    }

    fn is_already_in_effect(&self, message: &str) -> bool {
        let m = message.to_ascii_lowercase();
        [
            "duplicate column name",
            "already exists",
            "no such column",
            "no such table",
            "no such index",
        ]
        .iter()
        .any(|n| m.contains(n))
    }

    fn is_lock_timeout(&self, message: &str) -> bool {
        let m = message.to_ascii_lowercase();
        m.contains("database is locked") || m.contains("(code 5)")
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn has_comments(&self) -> bool {
        false
    }

    fn identifier_limit_text(&self) -> String {
        "SQLite has no limit".to_string()
    }

    fn display_name(&self) -> &'static str {
        "SQLite"
    }

    /// Takes the write lock at once, so that a waiting run sees the rows as they are.
    fn begin_sql(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    /// Table rebuilds need foreign keys off (checked before each commit instead).
    fn run_prologue(&self) -> &'static [&'static str] {
        &["PRAGMA foreign_keys = OFF"]
    }

    fn run_epilogue(&self) -> &'static [&'static str] {
        &["PRAGMA foreign_keys = ON"]
    }

    fn pre_commit_check_sql(&self) -> Option<&'static str> {
        Some("PRAGMA foreign_key_check")
    }

    fn atomic_operations_outside_transactions(&self) -> bool {
        true
    }

    fn table_exists_sql(&self, table: &str) -> String {
        format!(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = {}",
            self.literal(table)
        )
    }

    fn default_primary_key_name(&self, table: &str) -> String {
        format!("pk_{table}")
    }

    fn rowid_is_integer(&self) -> bool {
        true
    }

    /// Only index names live in the database's namespace; constraint names are per
    /// table.
    fn schema_wide_name(&self, kind: crate::schema::NameKind) -> bool {
        kind == crate::schema::NameKind::Index
    }

    fn case_insensitive_names(&self) -> bool {
        true
    }

    fn sea_sql(&self, stmt: SeaStatement<'_>) -> String {
        build_sea(SqliteQueryBuilder, stmt)
    }

    /// The rowid alias is always `INTEGER` (`bigint` and `smallint` too); inline enums
    /// are `VARCHAR` plus a CHECK.
    fn column_type(&self, r: &Renderer<'_>, ty: &ColumnType, rowid: bool) -> Res<String> {
        if rowid {
            Ok("INTEGER".into())
        } else if ty.inline_enum().is_some() {
            Ok("VARCHAR".into())
        } else {
            r.portable_col_type(ty)
        }
    }

    /// Anything but a literal goes in parentheses.
    fn bare_default(&self, expr: &str) -> bool {
        plain_default(expr)
    }

    fn column_constraints(
        &self,
        r: &Renderer<'_>,
        col: &Column,
        rowid: bool,
        autoincrement_keyword: bool,
    ) -> Res<String> {
        let mut s = String::new();
        if rowid {
            s.push_str(" PRIMARY KEY");
            if autoincrement_keyword {
                s.push_str(" AUTOINCREMENT");
            }
        }
        // NOT NULL as declared, on the rowid alias too (where it changes nothing, but is
        // what the table says).
        if !col.nullable {
            s.push_str(" NOT NULL");
        }
        if let Some(c) = &col.collation {
            s.push_str(&format!(" COLLATE {}", collation_name(c)));
        }
        if let Some(g) = &col.generated {
            s.push_str(&format!(
                " GENERATED ALWAYS AS ({}) {}",
                g.expr.trim(),
                if g.stored { "STORED" } else { "VIRTUAL" }
            ));
        }
        if let Some(d) = &col.server_default {
            s.push_str(&format!(" DEFAULT {}", r.default_sql(d)));
        }
        let values = match &col.ty {
            ColumnType::Enum(name) => Some(r.enum_values(name)?),
            other => other.inline_enum(),
        };
        if let Some(values) = values {
            s.push_str(&format!(
                " CHECK ({})",
                r.sqlite_enum_check(&col.name, &values)
            ));
        }
        Ok(s)
    }

    /// A single-column autoincrement primary key is the rowid alias (there is none in a
    /// `WITHOUT ROWID` table).
    fn rowid_column<'t>(&self, t: &'t Table) -> Option<&'t str> {
        if t.options.without_rowid {
            return None;
        }
        let pk = t.primary_key.as_ref()?;
        let [only] = pk.columns.as_slice() else {
            return None;
        };
        t.column(only)
            .filter(|c| c.autoincrement)
            .map(|c| c.name.as_str())
    }

    /// An integer key column that must not become the rowid alias is spelled `INT`:
    /// SQLite makes any column declared exactly `INTEGER` that is the whole primary key
    /// of a rowid table an alias of the rowid (values then must be integers, and NULL
    /// assigns the next id), which `INT` (the same INTEGER affinity) does not.
    fn column_as_created<'c>(&self, t: &Table, c: &'c Column, rowid: bool) -> Cow<'c, Column> {
        let sole_key = t
            .primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.len() == 1 && pk.columns[0] == c.name);
        if !rowid && sole_key && !t.options.without_rowid && c.ty == ColumnType::Integer {
            let mut plain = c.clone();
            plain.ty = ColumnType::Custom("int".into());
            Cow::Owned(plain)
        } else {
            Cow::Borrowed(c)
        }
    }

    /// `WITHOUT ROWID`.
    fn table_options_sql(&self, _r: &Renderer<'_>, t: &Table) -> String {
        if t.options.without_rowid {
            " WITHOUT ROWID".into()
        } else {
            String::new()
        }
    }

    /// SQLite defers a foreign key only when it is `DEFERRABLE INITIALLY DEFERRED`;
    /// `DEFERRABLE` alone is kept as written (it acts as immediate).
    fn fk_deferral_sql(&self, fk: &ForeignKey) -> Res<String> {
        Ok(match (fk.deferrable, fk.initially_deferred) {
            (true, true) => " DEFERRABLE INITIALLY DEFERRED".into(),
            (true, false) => " DEFERRABLE".into(),
            (false, true) => {
                return Err(format!(
                "foreign key `{}` is initially deferred but not deferrable; add `deferrable: true`",
                fk.name
            ))
            }
            (false, false) => String::new(),
        })
    }

    /// Only a deferrable, initially deferred key acts deferred on SQLite.
    fn comparable_deferral(&self, fk: &ForeignKey) -> (bool, bool) {
        let deferred = fk.deferrable && fk.initially_deferred;
        (deferred, deferred)
    }

    /// SQLite ignores prefix lengths, operator classes and INCLUDE (the docs leave them
    /// out; retort documents them as other backends' details); B-tree is its only method.
    fn comparable_index(&self, index: &Index) -> Index {
        let mut ix = index.clone();
        ix.lengths.clear();
        ix.opclasses.clear();
        ix.include.clear();
        if ix.using.as_deref() == Some("btree") {
            ix.using = None;
        }
        ix
    }

    fn check_index(&self, index: &Index) -> Res<()> {
        match index_problem(index) {
            Some(p) => Err(p),
            None => Ok(()),
        }
    }

    fn schema_problems(&self, schema: &Schema) -> Vec<String> {
        let mut out = Vec::new();
        for t in &schema.tables {
            for ix in &t.indexes {
                if let Some(p) = index_problem(ix) {
                    out.push(format!("table `{}`: {p}", t.name));
                }
            }
            for (key, set) in [
                ("engine", t.options.engine.is_some()),
                ("charset", t.options.charset.is_some()),
                ("collation", t.options.collation.is_some()),
            ] {
                if set {
                    out.push(format!(
                        "table `{}`: `{key}` is a MySQL/MariaDB table option, which SQLite does not have; remove it",
                        t.name
                    ));
                }
            }
            for c in t.columns.iter().filter(|c| c.charset.is_some()) {
                out.push(format!(
                    "column `{}.{}`: `charset` is MySQL/MariaDB's, and SQLite has no per-column character set; remove it",
                    t.name, c.name
                ));
            }
            if t.options.sqlite_autoincrement && self.rowid_column(t).is_none() {
                out.push(format!(
                    "table `{}`: sqlite_autoincrement needs a single integer autoincrement primary key (the rowid alias){}",
                    t.name,
                    if t.options.without_rowid { ", which a WITHOUT ROWID table has not" } else { "" }
                ));
            }
        }
        out
    }

    /// The rowid alias's NOT NULL changes nothing (NULL assigns the next id either way),
    /// so it is not compared; every other column's is, key columns included (SQLite
    /// lets a key column declared without NOT NULL hold NULL).
    fn compares_nullability(
        &self,
        new: &Table,
        new_column: &Column,
        old: &Table,
        old_column: &Column,
    ) -> bool {
        !(self.rowid_column(new) == Some(new_column.name.as_str())
            && self.rowid_column(old) == Some(old_column.name.as_str()))
    }

    /// `ADD COLUMN` where SQLite allows it (nullable or with a constant default), else
    /// a rebuild.
    fn add_column(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        col: &Column,
        fk: Option<&ForeignKey>,
    ) -> Res<Vec<String>> {
        if col.autoincrement {
            return Err(
                "SQLite cannot add an autoincrement (INTEGER PRIMARY KEY) column to an existing table; create the table with it instead".into(),
            );
        }
        let needs_rebuild =
            (!col.nullable && col.server_default.is_none() && col.generated.is_none())
                || col.generated.as_ref().is_some_and(|g| g.stored)
                || col
                    .server_default
                    .as_deref()
                    .is_some_and(|d| !constant_default(d));
        if needs_rebuild && r.table(table).is_some() {
            return sqlite_change(r, table, "adding this column", |t| {
                t.columns.push(col.clone());
                if let Some(fk) = fk {
                    t.foreign_keys.push(fk.clone());
                }
                Ok(())
            });
        }
        let mut def = r.column_def(col, false, false)?;
        if let Some(fk) = fk {
            def.push_str(&format!(
                " {}{}",
                r.constraint_prefix(&fk.name),
                r.fk_clause(fk, true)?
            ));
        }
        Ok(vec![r.alter(table, &format!("ADD COLUMN {def}"))])
    }

    /// SQLite's DROP COLUMN refuses columns used by keys, indexes and checks: the table
    /// is rebuilt without them (as PostgreSQL drops them with the column).
    fn drop_column(&self, r: &mut Renderer<'_>, table: &str, name: &str) -> Res<Vec<String>> {
        let plain = r.alter(table, &format!("DROP COLUMN {}", r.q(name)));
        let Some(t) = r.table(table) else {
            return Ok(vec![plain]);
        };
        let mut reduced = t.clone();
        drop_column(&mut reduced, name);
        let only_column_gone = reduced.primary_key == t.primary_key
            && reduced.indexes == t.indexes
            && reduced.unique == t.unique
            && reduced.foreign_keys == t.foreign_keys
            && reduced.checks == t.checks;
        if only_column_gone {
            Ok(vec![plain])
        } else {
            let old = t.clone();
            rebuild(r, &old, &reduced)
        }
    }

    fn alter_column(&self, r: &mut Renderer<'_>, a: &AlterColumn) -> Res<Vec<String>> {
        let mut out = Vec::new();
        let rename = a.new_name.as_ref().filter(|n| **n != a.name);
        if let Some(n) = rename {
            out.push(r.alter(
                &a.table,
                &format!("RENAME COLUMN {} TO {}", r.q(&a.name), r.q(n)),
            ));
        }
        if !a.changes_definition() {
            // Only a rename and/or a comment (SQLite stores no comments).
            return Ok(out);
        }
        let old = r
            .known_table(
                &a.table,
                "on SQLite, altering a column rebuilds the table, which",
            )?
            .clone();
        let column = a.final_name().to_string();
        // The table as it is after the rename (SQLite's RENAME COLUMN already ran).
        let mut renamed = Schema {
            enums: Vec::new(),
            tables: vec![old.clone()],
            ..Default::default()
        };
        if let Some(n) = rename {
            rename_column(&mut renamed, &old.name, &a.name, n);
        }
        let Some(old) = renamed.tables.pop() else {
            return Err("internal: lost the table".into());
        };
        let mut new = old.clone();
        let Some(col) = new.columns.iter_mut().find(|c| c.name == column) else {
            return Err(format!("table `{}` has no column `{}`", old.name, a.name));
        };
        if let Some(t) = &a.ty {
            col.ty = t.clone();
            if !col.ty.is_integer() {
                col.autoincrement = false;
            }
        }
        if let Some(n) = a.nullable {
            col.nullable = n;
        }
        if let Some(d) = &a.server_default {
            col.server_default = d.clone();
        }
        if let Some(c) = &a.comment {
            col.comment = c.clone();
        }
        if let Some(on) = a.autoincrement {
            col.autoincrement = on;
        }
        out.extend(rebuild(r, &old, &new)?);
        Ok(out)
    }

    fn create_unique(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        u: &UniqueConstraint,
    ) -> Res<Vec<String>> {
        sqlite_change(r, table, "adding a unique constraint", |t| {
            t.unique.push(u.clone());
            Ok(())
        })
    }

    fn create_foreign_key(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        fk: &ForeignKey,
    ) -> Res<Vec<String>> {
        sqlite_change(r, table, "adding a foreign key", |t| {
            t.foreign_keys.push(fk.clone());
            Ok(())
        })
    }

    fn create_check(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        ck: &CheckConstraint,
    ) -> Res<Vec<String>> {
        sqlite_change(r, table, "adding a check constraint", |t| {
            t.checks.push(ck.clone());
            Ok(())
        })
    }

    fn create_primary_key(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        name: &str,
        columns: &[String],
    ) -> Res<Vec<String>> {
        sqlite_change(r, table, "adding a primary key", |t| {
            if t.primary_key.is_some() {
                return Err(format!(
                    "table `{}` already has a primary key; drop it first",
                    t.name
                ));
            }
            for c in &mut t.columns {
                if columns.contains(&c.name) {
                    c.nullable = false;
                }
            }
            t.primary_key = Some(PrimaryKey {
                name: Some(name.to_string()),
                columns: columns.to_vec(),
            });
            Ok(())
        })
    }

    fn drop_constraint(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        name: &str,
        kind: ConstraintKind,
    ) -> Res<Vec<String>> {
        sqlite_change(r, table, "dropping a constraint", |t| {
            let names = |v: Vec<&String>| -> String {
                let v: Vec<String> = v
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .map(|n| format!("`{n}`"))
                    .collect();
                if v.is_empty() {
                    "none".into()
                } else {
                    v.join(", ")
                }
            };
            match kind {
                ConstraintKind::Primary => {
                    let had = t.primary_key.take().is_some();
                    for c in &mut t.columns {
                        c.autoincrement = false;
                    }
                    if !had {
                        return Err(format!("table `{}` has no primary key", t.name));
                    }
                }
                ConstraintKind::Unique => {
                    let before = t.unique.len();
                    let known = names(t.unique.iter().map(|u| &u.name).collect());
                    t.unique.retain(|u| u.name != name);
                    if t.unique.len() == before {
                        return Err(format!(
                            "table `{}` has no unique constraint `{name}` (named ones: {known})",
                            t.name
                        ));
                    }
                }
                ConstraintKind::ForeignKey => {
                    let before = t.foreign_keys.len();
                    let known = names(t.foreign_keys.iter().map(|f| &f.name).collect());
                    t.foreign_keys.retain(|f| f.name != name);
                    if t.foreign_keys.len() == before {
                        return Err(format!(
                            "table `{}` has no foreign key `{name}` (named ones: {known})",
                            t.name
                        ));
                    }
                }
                ConstraintKind::Check => {
                    let before = t.checks.len();
                    let known = names(t.checks.iter().map(|c| &c.name).collect());
                    t.checks.retain(|c| c.name != name);
                    if t.checks.len() == before {
                        return Err(format!(
                            "table `{}` has no check constraint `{name}` (named ones: {known})",
                            t.name
                        ));
                    }
                }
            }
            Ok(())
        })
    }

    /// A rebuild without the unnamed key that has `fk`'s columns and referred table.
    fn drop_unnamed_foreign_key(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        fk: &ForeignKey,
    ) -> Res<Vec<String>> {
        sqlite_change(r, table, "dropping a foreign key", |t| {
            if crate::ops::apply::remove_unnamed_foreign_key(t, fk) {
                Ok(())
            } else {
                Err(format!(
                    "table `{}` has no unnamed foreign key on ({}) referring to `{}`",
                    t.name,
                    fk.columns.join(", "),
                    fk.referred_table
                ))
            }
        })
    }

    /// A rebuild of the table with the enum's new values in its CHECKs.
    fn redefine_enum_columns(
        &self,
        r: &mut Renderer<'_>,
        t: &Table,
        _ty: &ColumnType,
    ) -> Res<Vec<String>> {
        rebuild(r, t, t)
    }

    fn bool_literal(&self, b: bool) -> &'static str {
        if b {
            "1"
        } else {
            "0"
        }
    }
}

/// Why SQLite cannot create `index` as declared (`None`: it can).
fn index_problem(index: &Index) -> Option<String> {
    if let Some(kind) = index.kind {
        return Some(format!(
            "index `{}` is {}, which SQLite does not have (use an FTS5 virtual table through `execute`); remove `kind`",
            index.name,
            kind.sql()
        ));
    }
    match index.using.as_deref() {
        None | Some("btree") => None,
        Some(m) => Some(format!(
            "index `{}` uses method `{m}`, and SQLite has only B-tree indexes; remove `using`",
            index.name
        )),
    }
}

/// A collation name as SQLite's `COLLATE` takes it: bare when a plain word.
fn collation_name(c: &str) -> String {
    if !c.is_empty() && c.chars().all(|x| x.is_ascii_alphanumeric() || x == '_') {
        c.to_string()
    } else {
        SqliteBackend.quote(c)
    }
}

/// SQLite's affinity of a declared type, by the rules of "Determination Of Column
/// Affinity" in SQLite's documentation: all a declared type decides, apart from the
/// rowid alias (a key column declared exactly `INTEGER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

/// The affinity of declared type `declared`.
pub(crate) fn affinity(declared: &str) -> Affinity {
    let u = declared.to_ascii_uppercase();
    if u.contains("INT") {
        Affinity::Integer
    } else if u.contains("CHAR") || u.contains("CLOB") || u.contains("TEXT") {
        Affinity::Text
    } else if u.contains("BLOB") || u.trim().is_empty() {
        Affinity::Blob
    } else if u.contains("REAL") || u.contains("FLOA") || u.contains("DOUB") {
        Affinity::Real
    } else {
        Affinity::Numeric
    }
}

/// SQLite's `ADD COLUMN` refuses non-constant defaults.
fn constant_default(expr: &str) -> bool {
    let e = expr.trim();
    let upper = e.to_ascii_uppercase();
    !(upper.starts_with("CURRENT_") || e.starts_with('(') || !plain_default(e))
}

/// Statements that rebuild table `old` as `new`.
fn rebuild(r: &mut Renderer<'_>, old: &Table, new: &Table) -> Res<Vec<String>> {
    r.rebuilt = true;
    let children = children_of(r.ctx, &old.name);
    rebuild_table(r, &Rebuild { old, new, children })
}

/// A change done by rebuilding `table` after `change` is applied to its model.
fn sqlite_change(
    r: &mut Renderer<'_>,
    table: &str,
    why: &str,
    change: impl FnOnce(&mut Table) -> Res<()>,
) -> Res<Vec<String>> {
    let old = r
        .known_table(
            table,
            &format!("on SQLite, {why} rebuilds the table, which"),
        )?
        .clone();
    let mut new = old.clone();
    change(&mut new)?;
    rebuild(r, &old, &new)
}
