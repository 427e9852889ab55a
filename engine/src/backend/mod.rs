//! One object per backend: everything retort knows about SQLite, PostgreSQL and
//! MySQL/MariaDB lives behind the [`Backend`] trait, with one implementation per
//! backend (`backend/sqlite`, `backend/postgres`, `backend/mysql`), in the spirit of
//! Alembic's `DefaultImpl` subclasses. Code outside this module asks
//! [`Dialect::backend`] and does not branch on which backend it is.
//!
//! The trait's default methods hold what the backends share (double-quoted
//! identifiers, standard string literals, the portable type spellings); each backend
//! overrides what it does differently.

pub mod connection;
pub mod dialect;
mod live;
mod mysql;
mod postgres;
pub mod reader;
mod render;
#[cfg(test)]
mod render_tests;
pub mod sqlite;

pub use live::{
    read_live_table, read_sqlite_table, render_live, render_reads_database,
    sqlite_foreign_key_violations, LiveReadError,
};
pub use reader::{
    name_inline_enums, ReadFuture, ReadResult, ReflectError, TableScope, UnmodelledFuture,
    UnmodelledKind, UnmodelledObject, UnmodelledResult,
};
pub use render::{render, render_all, RenderContext, RenderError, Renderer, SeaStatement};

use crate::backend::dialect::Dialect;
use crate::ops::{AlterColumn, ConstraintKind, EnumValuePosition};
use crate::schema::{
    CheckConstraint, Column, ColumnType, EnumType, FkAction, ForeignKey, Index, NameKind, Schema,
    Sequence, Table, TableOptions, UniqueConstraint,
};
use connection::{ConnectFuture, Connection};
use render::Res;

/// Why a portable type has no spelling on a backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeSqlError {
    /// MySQL has no unbounded `VARCHAR`.
    #[error("MySQL needs a length for varchar: write varchar(N)")]
    VarcharNeedsLength,
    /// An `enum(NAME)` whose values are not known (MySQL spells them inline).
    #[error("enum `{0}` is not declared, so its values are unknown on MySQL")]
    UnknownEnum(String),
}

/// How a run sends a revision's statements ([`Backend::statement_batching`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batching {
    /// Each statement on its own.
    None,
    /// Held back inside the run's transaction and sent several revisions at a time (a
    /// failure rolls them all back): SQLite, whose driver runs a list of statements in
    /// one hand-over to its worker thread.
    Transaction,
    /// Sent one revision at a time in one request, each statement followed by the
    /// run-log update that counts it and the version-table change last: the server
    /// runs a request's statements in order and stops at the first that fails, so the
    /// run log says exactly how far a revision got. MySQL/MariaDB, where DDL commits as
    /// it runs and each round trip costs about as much as a small DDL statement.
    Revision,
}

/// What one backend knows and does. Get one with [`Dialect::backend`].
pub trait Backend: Sync {
    /// The dialect this backend implements.
    fn dialect(&self) -> Dialect;

    /// Quotes an identifier so that reserved words, mixed case, spaces and hyphens work.
    fn quote(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    /// Quotes a table name: each part of `schema.table` on its own (`"audit"."events"`),
    /// never the dotted whole.
    fn quote_table(&self, name: &str) -> String {
        match crate::schema::split_table_name(name) {
            (Some(schema), table) => format!("{}.{}", self.quote(schema), self.quote(table)),
            (None, table) => self.quote(table),
        }
    }

    /// A comma-separated list of quoted identifiers.
    fn quote_list(&self, idents: &[String]) -> String {
        idents
            .iter()
            .map(|i| self.quote(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A string literal.
    fn literal(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    /// The longest identifier the backend keeps intact, as
    /// [`Backend::identifier_length`] counts it; `None` when there is no limit.
    fn max_identifier_length(&self) -> Option<usize> {
        None
    }

    /// The length of `ident` as this backend measures it (characters by default).
    fn identifier_length(&self, ident: &str) -> usize {
        ident.chars().count()
    }

    /// How the backend's identifier limit reads in messages, e.g. "PostgreSQL allows at
    /// most 63 bytes".
    fn identifier_limit_text(&self) -> String;

    /// True when DDL runs inside transactions (and so BEGIN/COMMIT wrap a run).
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// True when enums are named types of their own (`CREATE TYPE … AS ENUM`).
    fn has_enum_types(&self) -> bool {
        false
    }

    /// Whether the backend has schemas inside a database (PostgreSQL): a fleet target
    /// may name the schema its session runs in (the `search_path`), and tables may be
    /// named `schema.table`. Elsewhere qualified table names are rejected.
    fn has_session_schema(&self) -> bool {
        false
    }

    /// The query answering the session's default schema, where unqualified tables live
    /// (`None` where there are no schemas).
    fn default_schema_sql(&self) -> Option<&'static str> {
        None
    }

    /// The query listing every schema of the database (`None` where there are none).
    fn schema_names_sql(&self) -> Option<&'static str> {
        None
    }

    /// The statement dropping `schema` when it exists and is empty (where schemas exist).
    fn drop_schema_sql(&self, _schema: &str) -> Option<String> {
        None
    }

    /// `url` with the session's schema set to `schema`, so that unqualified tables and
    /// the version table live there; `None` where the backend has no such setting.
    fn session_schema_url(&self, _url: &str, _schema: &str) -> Option<String> {
        None
    }

    /// The statement creating `schema` when it does not exist yet (where schemas exist).
    fn create_schema_sql(&self, _schema: &str) -> Option<String> {
        None
    }

    /// Opens a connection to `url` (a URL of this backend); `create`: a SQLite database
    /// file that does not exist is created (else it reads as an empty database).
    fn open<'a>(&'a self, url: &'a str, create: bool) -> ConnectFuture<'a>;

    /// True when connecting may create the database (a SQLite file): a run checks what
    /// it would do first, and connects only then.
    fn connecting_creates_database(&self) -> bool {
        false
    }

    /// True when a connection error (the server's `code`, `message`) means the
    /// credentials were refused.
    fn is_auth_failure(&self, code: &str, message: &str) -> bool {
        let _ = message;
        matches!(code, "28P01" | "28000" | "1045")
    }

    /// True when a connection error means the database named in the URL does not exist.
    fn is_unknown_database(&self, code: &str, message: &str) -> bool {
        let _ = (code, message);
        false
    }

    /// Reads the tables `scope` selects (and, where enums are types of their own, every
    /// enum) from the live database behind `conn`, answering the schema and the number of
    /// catalog queries sent. Reflection reads the whole schema this way; the runner reads
    /// the one table an operation's SQL depends on, so both see the same model.
    fn read_schema<'a>(&'a self, conn: &'a mut Connection, scope: TableScope<'a>)
        -> ReadFuture<'a>;

    /// Lists the objects of the connection's schema/database that retort does not model
    /// (views, triggers, routines, …; see [`UnmodelledObject`]), whatever the project's
    /// table filter, in no particular order. Reflection leaves all of them out.
    fn read_unmodelled<'a>(&'a self, conn: &'a mut Connection) -> UnmodelledFuture<'a>;

    /// The catalog query listing every base table of the connection's schema/database.
    fn catalog_tables_sql(&self) -> &'static str;

    /// The catalog query listing the column names of `table` (one per row).
    fn column_names_sql(&self, table: &str) -> String;

    /// The catalog query listing the user-defined types (enums) of the connection's
    /// schema, where the backend has them.
    fn catalog_types_sql(&self) -> Option<&'static str> {
        None
    }

    /// Statements that empty a database of `tables` and `types` (for `verify --reset`),
    /// whatever foreign keys connect them.
    fn reset_statements(&self, tables: &[String], types: &[String]) -> Vec<String>;

    /// True when `CREATE INDEX CONCURRENTLY` builds an index without blocking writes.
    fn has_concurrent_index(&self) -> bool {
        false
    }

    /// True when foreign keys and checks can be added `NOT VALID` and validated later.
    fn has_not_valid_constraints(&self) -> bool {
        false
    }

    /// True when adding an index locks writes to the table unless built another way
    /// (PostgreSQL without `CONCURRENTLY`; InnoDB builds indexes in place; SQLite locks
    /// the whole database for any write anyway).
    fn index_build_blocks_writes(&self) -> bool {
        false
    }

    /// True when an `ALTER TABLE` that cannot be done `ALGORITHM=INSTANT/INPLACE` copies
    /// the whole table under a lock that blocks writes (MySQL/MariaDB).
    fn alter_may_copy_table(&self) -> bool {
        false
    }

    /// True when most column type changes rewrite the table under an exclusive lock.
    fn type_change_rewrites_table(&self) -> bool {
        false
    }

    /// True when `SET NOT NULL` scans the whole table under an exclusive lock unless a
    /// validated `CHECK (col IS NOT NULL)` proves it first.
    fn set_not_null_scans_table(&self) -> bool {
        false
    }

    /// True when `ADD COLUMN … DEFAULT volatile_expression` rewrites the table.
    fn volatile_default_rewrites_table(&self) -> bool {
        false
    }

    /// The statement that bounds how long this session waits for a lock.
    fn lock_timeout_sql(&self, millis: u64) -> Option<String>;

    /// The statement that restores the session's default lock timeout.
    fn lock_timeout_reset_sql(&self) -> Option<String>;

    /// True when a database error message says a lock could not be had in time.
    fn is_lock_timeout(&self, message: &str) -> bool;

    /// True when a database error message says a DDL statement's change is already in
    /// effect (the object exists, or is already gone): used only for the one statement
    /// an interrupted run may or may not have completed, when resuming it.
    fn is_already_in_effect(&self, _message: &str) -> bool {
        false
    }

    /// True when the backend stores table and column comments.
    fn has_comments(&self) -> bool {
        true
    }

    /// How a portable type is spelled on this backend. `schema` supplies enum values
    /// (needed inline on MySQL).
    fn type_sql(&self, ty: &ColumnType, _schema: Option<&Schema>) -> Result<String, TypeSqlError> {
        Ok(shared_type_sql(ty))
    }

    /// The backend's name in messages ("MySQL/MariaDB").
    fn display_name(&self) -> &'static str;

    /// True when table names compare case-insensitively (SQLite).
    fn case_insensitive_names(&self) -> bool {
        false
    }

    /// True when names of `kind` must be unique across the database (schema), not only
    /// within their table. By default names backed by an index (indexes, unique
    /// constraints, primary keys) are, as PostgreSQL keeps them.
    fn schema_wide_name(&self, kind: NameKind) -> bool {
        matches!(
            kind,
            NameKind::Index | NameKind::Unique | NameKind::PrimaryKey
        )
    }

    /// True when partial indexes (`WHERE`) are supported.
    fn has_partial_indexes(&self) -> bool {
        true
    }

    // ---- Normalisation for comparison ----

    /// The canonical spelling of a type this backend reports (`squashed`: lower-case,
    /// single-spaced; `base` and `args` its name and parenthesised arguments) — the
    /// spelling two types must share to count as the same.
    fn canonical_type_name(&self, squashed: &str, base: &str, args: Option<&str>) -> String {
        let _ = (base, args);
        squashed.to_string()
    }

    /// True when an autoincrementing integer key is always plain `INTEGER` (SQLite's
    /// rowid alias), whatever its declared size.
    fn rowid_is_integer(&self) -> bool {
        false
    }

    /// A custom type that is this backend's boolean (MySQL's `tinyint(1)`).
    fn boolean_alias(&self) -> Option<&'static str> {
        None
    }

    /// The name a primary key gets when none is declared (compared when names matter).
    fn default_primary_key_name(&self, table: &str) -> String;

    /// True when a unique index and a unique constraint are the same thing (MySQL).
    fn unique_index_is_constraint(&self) -> bool {
        false
    }

    /// The foreign-key action as the backend reports it back (MySQL reads `RESTRICT`
    /// as `NO ACTION`).
    fn reported_fk_action(&self, action: FkAction) -> FkAction {
        action
    }

    /// An index as this backend keeps it, for comparing a declared index with a
    /// reflected one: details the backend ignores are cleared, defaults spelled out by
    /// the database are dropped (the name is kept; comparison ignores it).
    fn comparable_index(&self, index: &Index) -> Index {
        let mut ix = index.clone();
        if ix.using.as_deref() == Some("btree") {
            ix.using = None;
        }
        ix
    }

    /// A column's `(charset, collation)` as this backend keeps it, for comparing a
    /// declared column with a reflected one (`table`: the column's table, whose defaults
    /// an unset value may inherit). By default both are compared as written.
    fn comparable_collation(
        &self,
        table: &Table,
        col: &Column,
    ) -> (Option<String>, Option<String>) {
        let _ = table;
        (col.charset.clone(), col.collation.clone())
    }

    /// A foreign key's deferral as this backend keeps it: `(deferrable, initially
    /// deferred)`.
    fn comparable_deferral(&self, fk: &ForeignKey) -> (bool, bool) {
        (fk.deferrable, fk.initially_deferred)
    }

    // ---- The run protocol: transactions, the run lock, the version table ----

    /// How a run may send statements together ([`Connection::execute_batch`]).
    fn statement_batching(&self) -> Batching {
        Batching::None
    }

    /// The statement that opens a run's transaction.
    fn begin_sql(&self) -> &'static str {
        "BEGIN"
    }

    /// Statements run (and printed by `--sql`) before anything else in a run.
    fn run_prologue(&self) -> &'static [&'static str] {
        &[]
    }

    /// Statements run (and printed by `--sql`) after everything else in a run.
    fn run_epilogue(&self) -> &'static [&'static str] {
        &[]
    }

    /// A query whose rows are problems that must stop a commit (SQLite's
    /// `PRAGMA foreign_key_check`, needed because foreign keys are off for the run).
    fn pre_commit_check_sql(&self) -> Option<&'static str> {
        None
    }

    /// True when a revision marked `transactional: false` still runs each rendered
    /// operation atomically in its own transaction (SQLite, whose table rebuilds must).
    fn atomic_operations_outside_transactions(&self) -> bool {
        false
    }

    /// The query naming the current database, and on PostgreSQL its current schema (scopes
    /// the run lock, so that targets in different schemas of one database do not wait
    /// for each other); `None`: no name.
    fn database_name_sql(&self) -> Option<&'static str> {
        None
    }

    /// The server-side run lock for `database` and version table `table`; `None`: the
    /// backend has no session lock and the runner locks the database file instead.
    fn run_lock(&self, database: &str, table: &str) -> Option<RunLockSql> {
        let _ = (database, table);
        None
    }

    /// A query returning a row when table `table` exists.
    fn table_exists_sql(&self, table: &str) -> String;

    /// One statement as `--sql` prints it.
    fn offline_statement(&self, sql: &str) -> String {
        format!("{};\n\n", sql.trim_end().trim_end_matches(';'))
    }

    // ---- DDL rendering: each operation, with the shared SQL as defaults ----

    /// Builds a sea-query statement with the backend's builder.
    fn sea_sql(&self, stmt: SeaStatement<'_>) -> String;

    /// The SQL type of a column (`rowid`: SQLite's `INTEGER PRIMARY KEY` column).
    fn column_type(&self, r: &Renderer<'_>, ty: &ColumnType, rowid: bool) -> Res<String> {
        let _ = rowid;
        r.portable_col_type(ty)
    }

    /// True when `expr` goes after DEFAULT as written (false: in parentheses).
    fn bare_default(&self, expr: &str) -> bool {
        let _ = expr;
        true
    }

    /// What follows a column's type: nullability, default, identity, comment, checks.
    fn column_constraints(
        &self,
        r: &Renderer<'_>,
        col: &Column,
        rowid: bool,
        autoincrement_keyword: bool,
    ) -> Res<String>;

    /// What follows a foreign key's actions for its deferral (` DEFERRABLE INITIALLY
    /// DEFERRED`), or "" (the default: backends render no deferral).
    fn fk_deferral_sql(&self, fk: &ForeignKey) -> Res<String> {
        let _ = fk;
        Ok(String::new())
    }

    /// Fails with the reason when the backend cannot create `index` as declared.
    fn check_index(&self, index: &Index) -> Res<()> {
        let _ = index;
        Ok(())
    }

    /// What the backend refuses in a declared schema, one message per problem (for
    /// `retort validate`, before any run).
    fn schema_problems(&self, schema: &Schema) -> Vec<String> {
        let _ = schema;
        Vec::new()
    }

    /// Column `c` of table `t` as `CREATE TABLE` writes it (`rowid`: it is SQLite's rowid
    /// alias); by default as declared.
    fn column_as_created<'c>(
        &self,
        t: &Table,
        c: &'c Column,
        rowid: bool,
    ) -> std::borrow::Cow<'c, Column> {
        let _ = (t, rowid);
        std::borrow::Cow::Borrowed(c)
    }

    /// True when the nullability of a column, as declared (`new_column` of `new`) and as
    /// it is (`old_column` of `old`), matters to the comparison. By default it does not
    /// for a column in both primary keys: the key makes it NOT NULL whatever was declared.
    fn compares_nullability(
        &self,
        new: &Table,
        new_column: &Column,
        old: &Table,
        old_column: &Column,
    ) -> bool {
        !(new.is_primary_key_column(&new_column.name)
            && old.is_primary_key_column(&old_column.name))
    }

    /// ` ON DELETE …` / ` ON UPDATE …` (`what`) for a foreign-key action.
    fn fk_action(&self, what: &str, action: FkAction) -> Res<String> {
        Ok(format!(" {what} {}", action.sql()))
    }

    /// The column rendered as SQLite's rowid alias (`INTEGER PRIMARY KEY`), if any.
    fn rowid_column<'t>(&self, t: &'t Table) -> Option<&'t str> {
        let _ = t;
        None
    }

    /// The name a primary key is created with (empty: unnamed).
    fn primary_key_name<'n>(&self, declared: Option<&'n str>) -> &'n str {
        declared.unwrap_or_default()
    }

    /// What follows `CREATE TABLE (…)` (MySQL's table `COMMENT =`).
    fn table_options_sql(&self, r: &Renderer<'_>, t: &Table) -> String {
        let _ = (r, t);
        String::new()
    }

    /// What follows `CREATE INDEX name ON table `: the keys in parentheses (columns
    /// quoted, expressions — entries with a parenthesis, as backends report them — in
    /// parentheses), and whatever the backend adds around them.
    fn index_body_sql(&self, r: &Renderer<'_>, known: Option<&Table>, ix: &Index) -> Res<String> {
        Ok(format!("({})", r.index_columns_sql(known, ix)))
    }

    /// The keyword that builds an index without blocking writes (`CONCURRENTLY `), or "".
    fn concurrent_index_keyword(&self) -> &'static str {
        ""
    }

    /// `CREATE INDEX` as this backend writes it, when it differs from the shared one
    /// (`None`: the shared one).
    fn create_index(
        &self,
        r: &Renderer<'_>,
        table: &str,
        ix: &Index,
        concurrently: bool,
    ) -> Option<Res<String>> {
        let _ = (r, table, ix, concurrently);
        None
    }

    /// `create_table`.
    fn create_table(&self, r: &mut Renderer<'_>, t: &Table) -> Res<Vec<String>> {
        r.create_table_and_indexes(t)
    }

    /// `add_column` (its foreign key already checked to be on the new column alone).
    fn add_column(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        col: &Column,
        fk: Option<&ForeignKey>,
    ) -> Res<Vec<String>> {
        let mut out = vec![r.alter(
            table,
            &format!("ADD COLUMN {}", r.column_def(col, false, false)?),
        )];
        if let Some(fk) = fk {
            out.push(r.add_constraint(table, &fk.name, &r.fk_clause(fk, false)?));
        }
        Ok(out)
    }

    /// `drop_column`.
    fn drop_column(&self, r: &mut Renderer<'_>, table: &str, name: &str) -> Res<Vec<String>> {
        Ok(vec![r.alter(table, &format!("DROP COLUMN {}", r.q(name)))])
    }

    /// `alter_column`.
    fn alter_column(&self, r: &mut Renderer<'_>, a: &AlterColumn) -> Res<Vec<String>>;

    /// `drop_index`.
    fn drop_index(&self, r: &Renderer<'_>, table: &str, name: &str) -> Vec<String> {
        vec![format!("DROP INDEX {}", r.q_beside(table, name))]
    }

    /// `create_unique_constraint` (columns checked non-empty).
    fn create_unique(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        u: &UniqueConstraint,
    ) -> Res<Vec<String>> {
        Ok(vec![r.add_constraint(
            table,
            &u.name,
            &format!("UNIQUE ({})", r.ql(&u.columns)),
        )])
    }

    /// `create_foreign_key` (its clause checked to render).
    fn create_foreign_key(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        fk: &ForeignKey,
    ) -> Res<Vec<String>> {
        Ok(vec![r.add_constraint(
            table,
            &fk.name,
            &r.fk_clause(fk, false)?,
        )])
    }

    /// `create_check_constraint`.
    fn create_check(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        ck: &CheckConstraint,
    ) -> Res<Vec<String>> {
        Ok(vec![r.add_constraint(
            table,
            &ck.name,
            &format!("CHECK ({})", ck.expr),
        )])
    }

    /// `create_primary_key` (columns checked non-empty).
    fn create_primary_key(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        name: &str,
        columns: &[String],
    ) -> Res<Vec<String>> {
        Ok(vec![r.add_constraint(
            table,
            self.primary_key_name(Some(name)),
            &format!("PRIMARY KEY ({})", r.ql(columns)),
        )])
    }

    /// `drop_constraint`.
    fn drop_constraint(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        name: &str,
        kind: ConstraintKind,
    ) -> Res<Vec<String>>;

    /// `drop_constraint` of a foreign key without a name, named by its definition `fk`.
    /// Only SQLite keeps keys without names; elsewhere every key has one.
    fn drop_unnamed_foreign_key(
        &self,
        r: &mut Renderer<'_>,
        table: &str,
        fk: &ForeignKey,
    ) -> Res<Vec<String>> {
        let _ = r;
        Err(format!(
            "the foreign key of table `{table}` on ({}) has no name, and {} drops foreign keys by name: give `name`",
            fk.columns.join(", "),
            self.display_name()
        ))
    }

    /// `create_enum` (nothing where enums are not types of their own).
    fn create_enum(&self, r: &Renderer<'_>, e: &EnumType) -> Vec<String> {
        let _ = (r, e);
        Vec::new()
    }

    /// `drop_enum` (nothing where enums are not types of their own).
    fn drop_enum(&self, r: &Renderer<'_>, name: &str) -> Vec<String> {
        let _ = (r, name);
        Vec::new()
    }

    /// `add_enum_value`: by default the columns using the enum are re-defined.
    fn add_enum_value(
        &self,
        r: &mut Renderer<'_>,
        name: &str,
        value: &str,
        position: Option<&EnumValuePosition>,
    ) -> Res<Vec<String>> {
        r.add_inline_enum_value(name, value, position)
    }

    /// `drop_enum_value`: by default the columns using the enum are re-defined.
    fn drop_enum_value(&self, r: &mut Renderer<'_>, name: &str, value: &str) -> Res<Vec<String>> {
        r.drop_inline_enum_value(name, value)
    }

    /// Re-defines the columns of `t` whose type is `ty` (an enum whose values changed;
    /// `r`'s context has the new values).
    fn redefine_enum_columns(
        &self,
        r: &mut Renderer<'_>,
        t: &Table,
        ty: &ColumnType,
    ) -> Res<Vec<String>> {
        let _ = (r, t);
        Err(format!(
            "internal: {} does not keep {ty} values in its columns",
            self.display_name()
        ))
    }

    /// True when the backend has standalone sequences (`create_sequence`).
    fn has_sequences(&self) -> bool {
        false
    }

    /// `create_sequence`; an error where the backend has no sequences.
    fn create_sequence(&self, r: &Renderer<'_>, s: &Sequence) -> Res<Vec<String>> {
        let _ = r;
        Err(no_sequences(self.display_name(), &s.name))
    }

    /// `drop_sequence`; an error where the backend has no sequences.
    fn drop_sequence(&self, r: &Renderer<'_>, name: &str) -> Res<Vec<String>> {
        let _ = r;
        Err(no_sequences(self.display_name(), name))
    }

    /// How a column autoincrements, as this backend tells the ways apart: whether it
    /// does, the sequence it owns (PostgreSQL `serial`) and whether its identity is
    /// `ALWAYS`. By default only the first.
    fn comparable_autoincrement(&self, col: &Column) -> (bool, Option<String>, bool) {
        (col.autoincrement, None, false)
    }

    /// True when tables have options (engine, default charset, …): MySQL/MariaDB.
    fn has_table_options(&self) -> bool {
        false
    }

    /// `alter_table_options`: only MySQL/MariaDB have table options.
    fn alter_table_options(
        &self,
        r: &Renderer<'_>,
        table: &str,
        set: &TableOptions,
    ) -> Res<Vec<String>> {
        let _ = (r, set);
        Err(format!(
            "cannot change the options of table `{table}`: engine, charset, collation and row format are MySQL/MariaDB table options, and {} has none",
            self.display_name()
        ))
    }

    /// `create_table_comment` (nothing where comments are not stored).
    fn table_comment(
        &self,
        r: &Renderer<'_>,
        table: &str,
        comment: &Option<String>,
    ) -> Vec<String> {
        let _ = (r, table, comment);
        Vec::new()
    }

    /// `INSERT` of a row of defaults into `quoted_table`.
    fn insert_default_values(&self, quoted_table: &str) -> String {
        format!("INSERT INTO {quoted_table} DEFAULT VALUES")
    }

    /// A boolean value in `bulk_insert`.
    fn bool_literal(&self, b: bool) -> &'static str {
        if b {
            "TRUE"
        } else {
            "FALSE"
        }
    }
}

/// Why a sequence cannot be created or dropped on a backend without sequences.
pub(crate) fn no_sequences(backend: &str, name: &str) -> String {
    format!(
        "sequence `{name}`: {backend} has no standalone sequences (they are PostgreSQL only); remove it, or use an autoincrement column"
    )
}

/// The SQL of a server-side run lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLockSql {
    /// Tries to take the lock without waiting.
    pub try_sql: String,
    /// What `try_sql` and `wait_sql` answer when the lock was taken.
    pub taken: &'static str,
    /// Waits for the lock.
    pub wait_sql: String,
    /// True when `wait_sql` can give up (and its answer must be checked).
    pub wait_can_give_up: bool,
    /// The lock as messages name it.
    pub describe: String,
    /// Releases the lock.
    pub release_sql: String,
}

/// How long a runner waits for another run's lock before giving up.
pub const LOCK_WAIT_SECONDS: u32 = 3600;

/// A stable 64-bit key for the database and version table.
pub(crate) fn run_lock_key(database: &str, table: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("retort:{database}:{table}").bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// The spellings most backends share; backends override the types they spell
/// differently before falling back to this.
pub(crate) fn shared_type_sql(ty: &ColumnType) -> String {
    use ColumnType as T;
    match ty {
        T::SmallInt => "SMALLINT".into(),
        T::Integer => "INTEGER".into(),
        T::BigInt => "BIGINT".into(),
        T::Boolean => "BOOLEAN".into(),
        T::Real => "REAL".into(),
        T::Double => "DOUBLE".into(),
        T::Numeric { precision, scale } => sized("NUMERIC", *precision, *scale),
        T::Varchar(Some(n)) => format!("VARCHAR({n})"),
        T::Varchar(None) => "VARCHAR".into(),
        T::Char(Some(n)) => format!("CHAR({n})"),
        T::Char(None) => "CHAR(1)".into(),
        T::Text => "TEXT".into(),
        T::Blob => "BLOB".into(),
        T::Date => "DATE".into(),
        T::Time => "TIME".into(),
        T::Timestamp => "TIMESTAMP".into(),
        T::TimestampTz => "TIMESTAMPTZ".into(),
        T::Json | T::Jsonb => "JSON".into(),
        T::Uuid => "CHAR(36)".into(),
        T::Enum(_) => "VARCHAR".into(),
        T::Custom(s) => s.to_ascii_uppercase(),
    }
}

/// `NAME`, `NAME(p)` or `NAME(p,s)`.
pub(crate) fn sized(name: &str, precision: Option<u32>, scale: Option<u32>) -> String {
    match (precision, scale) {
        (Some(p), Some(s)) => format!("{name}({p},{s})"),
        (Some(p), None) => format!("{name}({p})"),
        _ => name.into(),
    }
}

impl Dialect {
    /// The backend this dialect names.
    pub fn backend(self) -> &'static dyn Backend {
        match self {
            Dialect::Sqlite => &sqlite::SqliteBackend,
            Dialect::Postgres => &postgres::PostgresBackend,
            Dialect::MySql => &mysql::MySqlBackend,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_literals() {
        assert_eq!(Dialect::MySql.backend().quote("a`b"), "`a``b`");
        assert_eq!(
            Dialect::Postgres.backend().quote("reply-to"),
            "\"reply-to\""
        );
        assert_eq!(Dialect::MySql.backend().literal("it's \\"), "'it''s \\\\'");
        let pg = Dialect::Postgres.backend();
        assert_eq!(pg.quote_table("audit.events"), "\"audit\".\"events\"");
        assert_eq!(pg.quote_table("a\"b.c"), "\"a\"\"b\".\"c\"");
        assert_eq!(pg.quote_table("events"), "\"events\"");
        assert_eq!(Dialect::Sqlite.backend().literal("it's \\"), "'it''s \\'");
        for d in Dialect::ALL {
            assert_eq!(d.backend().dialect(), d);
        }
    }

    #[test]
    fn every_portable_type_renders_everywhere() {
        let schema = crate::schema::parse_schema_text(
            std::path::Path::new("s.yaml"),
            "enums: {mood: [a, b]}\ntables: {}\n",
            &Default::default(),
        )
        .unwrap();
        for t in [
            "smallint",
            "integer",
            "bigint",
            "boolean",
            "real",
            "double",
            "decimal(10,2)",
            "numeric",
            "varchar(5)",
            "char(2)",
            "text",
            "blob",
            "date",
            "time",
            "timestamp",
            "timestamptz",
            "json",
            "jsonb",
            "uuid",
            "enum(mood)",
            "inet",
        ] {
            let ty = ColumnType::parse(t).unwrap();
            for d in Dialect::ALL {
                assert!(
                    d.backend().type_sql(&ty, Some(&schema)).is_ok(),
                    "{t} on {d}"
                );
            }
        }
        assert_eq!(
            Dialect::MySql
                .backend()
                .type_sql(&ColumnType::Enum("mood".into()), Some(&schema))
                .unwrap(),
            "ENUM('a', 'b')"
        );
        assert_eq!(
            Dialect::MySql
                .backend()
                .type_sql(&ColumnType::Varchar(None), None),
            Err(TypeSqlError::VarcharNeedsLength)
        );
    }

    #[test]
    fn connection_errors_are_classified_by_the_backend() {
        let (pg, my, lite) = (
            Dialect::Postgres.backend(),
            Dialect::MySql.backend(),
            Dialect::Sqlite.backend(),
        );
        assert!(pg.is_auth_failure("28P01", "password authentication failed"));
        assert!(pg.is_unknown_database("3D000", "database \"x\" does not exist"));
        assert!(!pg.is_unknown_database("1049", "Unknown database 'x'"));
        assert!(my.is_auth_failure("28000", "Access denied for user 'u'@'h'"));
        assert!(my.is_auth_failure("HY000", "Access denied for user 'u'@'h'"));
        assert!(my.is_unknown_database("42000", "Unknown database 'x'"));
        assert!(my.is_unknown_database("1049", ""));
        assert!(!my.is_unknown_database("3D000", "no"));
        assert!(!lite.is_unknown_database("3D000", "no"));
    }

    #[test]
    fn identifier_limits() {
        let pg = Dialect::Postgres.backend();
        assert_eq!(pg.max_identifier_length(), Some(63));
        assert_eq!(pg.identifier_length("é"), 2);
        assert_eq!(Dialect::MySql.backend().identifier_length("é"), 1);
        assert_eq!(Dialect::Sqlite.backend().max_identifier_length(), None);
        assert_eq!(
            Dialect::MySql.backend().identifier_limit_text(),
            "MySQL allows at most 64 characters"
        );
    }
}
