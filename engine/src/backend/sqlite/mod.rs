//! SQLite: no identifier limit, enums as `VARCHAR` plus a `CHECK`, and table rebuilds
//! for what `ALTER TABLE` cannot do.

pub mod ddl;
pub(crate) mod reader;
pub mod rebuild;

use sea_query::SqliteQueryBuilder;

use super::render::{build_sea, plain_default, Res};
use super::{Backend, Renderer, SeaStatement};
use crate::backend::dialect::Dialect;
use crate::ops::{drop_column, rename_column, AlterColumn, ConstraintKind};
use crate::schema::{
    CheckConstraint, Column, ColumnType, ForeignKey, PrimaryKey, Schema, Table, UniqueConstraint,
};
use rebuild::{children_of, rebuild_table, Rebuild};

/// The SQLite backend.
pub(crate) struct SqliteBackend;

impl Backend for SqliteBackend {
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
        } else if !col.nullable {
            s.push_str(" NOT NULL");
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

    /// A single-column autoincrement primary key is the rowid alias.
    fn rowid_column<'t>(&self, t: &'t Table) -> Option<&'t str> {
        let pk = t.primary_key.as_ref()?;
        let [only] = pk.columns.as_slice() else {
            return None;
        };
        t.column(only)
            .filter(|c| c.autoincrement)
            .map(|c| c.name.as_str())
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
        let needs_rebuild = (!col.nullable && col.server_default.is_none())
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
