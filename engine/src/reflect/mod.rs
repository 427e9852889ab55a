//! Reflection: a live database → the schema model ([`Schema`]).
//!
//! [`reflect_schema`] reads the catalog of the connection's current schema
//! (PostgreSQL: `current_schema()`; MySQL/MariaDB: `DATABASE()`; SQLite: `main`, without
//! its internal `sqlite_*` tables) in a fixed, small number of batched catalog queries
//! (PostgreSQL 5, MySQL/MariaDB 6, SQLite 5), whatever the number of tables.
//!
//! # The contract (what comparison has to normalise)
//!
//! Reflection reports what the catalog says, with only the mechanical clean-up listed
//! here. Everything is sorted deterministically: tables and enums by name, columns in
//! ordinal order, indexes and constraints by name (then by columns).
//!
//! ## Types
//! A catalog type becomes a portable [`ColumnType`] only where the mapping is exact;
//! anything else is [`ColumnType::Custom`] holding the catalog spelling in lower case.
//! - PostgreSQL (`format_type` spelling): `integer` `bigint` `smallint` `boolean` `real`
//!   `double precision` `numeric[(p,s)]` `character varying[(n)]` `character(n)` `text`
//!   `bytea`→`Blob` `date` `time without time zone` `timestamp without time zone`
//!   `timestamp with time zone` `json` `jsonb` `uuid`. `numeric(p)` is reported as
//!   `numeric(p,0)` (that is what PostgreSQL keeps). A column of an enum type of the
//!   current schema is [`ColumnType::Enum`]`(type name)`, and every enum type of the
//!   schema is listed in [`Schema::enums`] (values in their sort order).
//! - MySQL/MariaDB (`COLUMN_TYPE`): `smallint` `int` `bigint` (with or without a display
//!   width such as `int(11)`) → `SmallInt`/`Integer`/`BigInt`; `tinyint(1)`→`Boolean`;
//!   `float`→`Real`; `double`→`Double`; `decimal(p,s)`→`Numeric`; `varchar(n)`;
//!   `char(n)` (so `uuid`, rendered `char(36)`, comes back as `Char(Some(36))`); `text`;
//!   `longblob`→`Blob`; `date`; `time`; `datetime`→`Timestamp` (both `timestamp` and
//!   `timestamptz` render as `datetime`); `json`→`Json`, and on MariaDB a `longtext`
//!   column carrying MariaDB's own `CHECK (json_valid(`col`))` → `Json` (that check is
//!   not reported). The rest is `Custom`, spelled so that `schema.yaml` reads it back as
//!   the same type: integer display widths dropped unless `zerofill` (`int unsigned`,
//!   `tinyint`, `int(5) unsigned zerofill`), MySQL's `TIMESTAMP` as `timestamp(0)` and
//!   `BLOB` as `blob(65535)` (plain `timestamp` and `blob` being the portable types),
//!   `decimal(10,2) unsigned`, `datetime(6)`, `float(10,3)`, `mediumtext` as reported.
//!   Inline enums are `Custom("enum('a','b')")` in the canonical spelling of
//!   [`crate::schema::inline_enum_spelling`]. A table's engine, charset and collation are
//!   reported where they differ from the server's default engine and the database's
//!   charset/collation, a column's charset/collation where they differ from its table's
//!   (the charset alone when the collation is that charset's default).
//! - SQLite (the declared type of `PRAGMA table_info`): exactly the spellings
//!   [`crate::dialect::crate::backend::Backend::type_sql`] produces — `INTEGER` `BIGINT` `SMALLINT`
//!   `BOOLEAN` `REAL` `DOUBLE` `NUMERIC[(p[,s])]` `VARCHAR[(n)]` `CHAR(n)` `TEXT` `BLOB`
//!   `DATE` `TIME` `TIMESTAMP` `TIMESTAMPTZ` `JSON` (any case, spaces ignored) — map to
//!   portable types (`CHAR(36)` stays `Char(Some(36))`); anything else is `Custom` in lower
//!   case (a column declared without a type is `Custom("")`). A `VARCHAR`/`TEXT` column
//!   with a column-level, unnamed `CHECK ("col" IN ('a', 'b'))` — how retort renders an
//!   enum column there — is reported as `Custom("enum('a','b')")` (the same canonical
//!   spelling as MySQL) and that check is **not** listed in [`Table::checks`].
//!
//! ## Nullability and autoincrement
//! `nullable` is the catalog's flag. `autoincrement` is true for a PostgreSQL identity
//! column or a column whose default is `nextval(…)` (serial; no `server_default` is then
//! reported), for MySQL `auto_increment`, and for SQLite's rowid alias (a single-column
//! primary key declared exactly `INTEGER`, in a rowid table); the rowid alias is
//! reported `nullable: false`, as it can never hold NULL. A single-column integer key
//! that does not autoincrement is written back (by [`crate::schema::schema_to_yaml`]) with
//! `autoincrement: false`, since leaving the flag out means "auto"
//! ([`crate::schema::autoincrement_auto`]).
//!
//! ## Defaults
//! `server_default` is the catalog's default expression text, unchanged except:
//! - PostgreSQL: `pg_get_expr(adbin)` as is (`'pending'::script_status`,
//!   `CURRENT_TIMESTAMP`, `now()`, `0`, `true`); generated columns report no default.
//! - MariaDB: `COLUMN_DEFAULT` as is (literals quoted: `'pending'`, numbers as stored:
//!   `0.00`, `current_timestamp()`, booleans `1`/`0`); the string `NULL` means no default
//!   (a default of the string 'NULL' is `'NULL'`, quoted). MySQL 8, which reports string
//!   literals unquoted, has them quoted here the same way, so both read alike.
//!   `ON UPDATE …` (MySQL's `EXTRA`) follows the default in the same text:
//!   `current_timestamp() ON UPDATE current_timestamp()` (`NULL ON UPDATE …` without one).
//! - SQLite: `dflt_value` of `PRAGMA table_info` as is (`'pending'`, `CURRENT_TIMESTAMP`,
//!   `0`, an expression as written, possibly parenthesised; `NULL` for `DEFAULT NULL`).
//!
//! ## Keys, indexes and constraints
//! - Primary key: its columns in key order; `name` where the backend keeps one
//!   (PostgreSQL always; MySQL never — always `None`; SQLite only when the `CREATE TABLE`
//!   declared `CONSTRAINT name PRIMARY KEY`).
//! - [`Table::indexes`] never lists the indexes behind the primary key or unique
//!   constraints (PostgreSQL: indexes owned by a constraint; SQLite: `sqlite_autoindex_*`).
//!   PostgreSQL expression columns of an index appear as their expression text.
//!   `where_clause` is PostgreSQL's `pg_get_expr(indpred)` (parenthesised, with casts) or
//!   the text after `WHERE` in SQLite's `CREATE INDEX` as written.
//! - MySQL/MariaDB cannot tell a unique constraint from a unique index: **every unique
//!   index other than PRIMARY is reported as a unique constraint** in [`Table::unique`]
//!   unless it has details a constraint cannot hold (prefix lengths, `DESC`, a method,
//!   expressions), then as a unique index; comparison must treat a declared unique index and a declared
//!   unique constraint with the same columns as equal there. MySQL also creates an index
//!   for a foreign key that no index covers, named after the constraint (after its first
//!   column when the constraint was unnamed and so got a `<table>_ibfk_<n>` name): a
//!   non-unique index with exactly that name and the foreign key's columns is not
//!   reported (a user index of that very name and columns is indistinguishable from it).
//!   Functional (expression) indexes of MySQL 8 are not reported.
//! - Unique constraints: PostgreSQL `contype = 'u'`; SQLite the `PRAGMA index_list`
//!   entries of origin `u`, named from the `CREATE TABLE` text where it says
//!   `CONSTRAINT name UNIQUE`. **An unnamed SQLite constraint (unique, foreign key,
//!   check) is reported with an empty name**: SQLite keeps none.
//! - Foreign keys: columns and referred columns in key order. The backend's default
//!   action is reported as `None`: PostgreSQL and SQLite `NO ACTION` → `None` (`RESTRICT`
//!   and the others as `Some`); on MySQL/MariaDB `RESTRICT` **and** `NO ACTION` → `None`,
//!   because InnoDB treats them alike and the catalog reports an unspecified action as
//!   `RESTRICT` (MariaDB) or `NO ACTION` (MySQL 8), so a declared `restrict`/`no action`
//!   must compare equal to `None` there. SQLite names come from the `CREATE TABLE` text
//!   (`CONSTRAINT name FOREIGN KEY …` or a column's `CONSTRAINT name REFERENCES …`); a
//!   `REFERENCES t` without columns is reported with `t`'s primary-key columns, and
//!   referred names written in another case are reported as the table and columns are
//!   named. A foreign key to a table left out by the filter is still reported.
//! - Checks: PostgreSQL `pg_get_expr(conbin)` (deparsed: parenthesised, with casts);
//!   MySQL/MariaDB `CHECK_CLAUSE` (identifiers in backticks); SQLite the text between
//!   the parentheses of `CHECK (…)` in the `CREATE TABLE`, as written, table-level and
//!   column-level alike (except the enum checks above).
//! - Comments: PostgreSQL `obj_description`/`col_description`; MySQL `TABLE_COMMENT` /
//!   `COLUMN_COMMENT` (empty means none). SQLite has none.
//!
//! ## What is not modelled
//! Views, triggers, routines and the other objects listed by
//! [`crate::backend::UnmodelledKind`] are never reported as tables; SQLite's virtual
//! tables (FTS, R-Tree) and the shadow tables holding their data are left out too.
//! [`reflect_unmodelled`] lists them, so that `reflect` and `check` can say so.
//!
//! The readers themselves live in the backends (`backend/*/reader.rs`, reached through
//! [`crate::backend::Backend::read_schema`]); the runner reads single tables with them.

pub use crate::backend::ReflectError;
use crate::backend::TableScope;
pub use crate::backend::{UnmodelledKind, UnmodelledObject};
use crate::db::Connection;
use crate::schema::Schema;

/// Which tables reflection reads. The version table is always left out; a filter (such as
/// the config's `table_included`) can leave out more.
pub struct ReflectOptions<'a> {
    version_table: String,
    log_table: String,
    filter: Option<TableFilter<'a>>,
    schemas: Vec<String>,
}

/// A predicate on table names: true keeps the table.
pub type TableFilter<'a> = Box<dyn Fn(&str) -> bool + Send + Sync + 'a>;

impl Default for ReflectOptions<'_> {
    /// Every table except `retort_version` and the run log `retort_log`.
    fn default() -> Self {
        ReflectOptions::new("retort_version")
    }
}

impl<'a> ReflectOptions<'a> {
    /// Every table except the version table `version_table`.
    pub fn new(version_table: impl Into<String>) -> Self {
        ReflectOptions {
            version_table: version_table.into(),
            log_table: "retort_log".into(),
            filter: None,
            schemas: Vec::new(),
        }
    }

    /// Also leaves out every table for which `include` returns false, e.g.
    /// `ReflectOptions::new(&config.version_table).with_filter(|t| config.table_included(t))`.
    pub fn with_filter(mut self, include: impl Fn(&str) -> bool + Send + Sync + 'a) -> Self {
        self.filter = Some(Box::new(include));
        self
    }

    /// PostgreSQL: also reads the tables of these schemas besides the default one,
    /// named `schema.table` (the default schema's own name is ignored here).
    pub fn with_schemas(mut self, schemas: Vec<String>) -> Self {
        self.schemas = schemas;
        self
    }

    /// What a project's config selects: its `include_tables`/`exclude_tables` and
    /// `include_schemas`, without its version table.
    pub fn from_config(config: &'a crate::config::Config) -> Self {
        let mut options = ReflectOptions::new(config.version_table.clone())
            .with_filter(move |t| config.table_included(t))
            .with_schemas(config.include_schemas.clone());
        options.log_table = config.log_table.clone();
        options
    }

    /// The version table's name.
    pub fn version_table(&self) -> &str {
        &self.version_table
    }

    /// True when `table` is reflected.
    pub fn includes(&self, table: &str) -> bool {
        table != self.version_table
            && table != self.log_table
            && self.filter.as_ref().is_none_or(|f| f(table))
    }
}

/// How a reflection went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReflectStats {
    /// The number of catalog queries sent.
    pub queries: usize,
}

/// Reads the schema of the connection's database (see the module documentation for
/// what is reported and how).
pub async fn reflect_schema(
    conn: &mut Connection,
    options: &ReflectOptions<'_>,
) -> Result<Schema, ReflectError> {
    Ok(reflect_schema_with_stats(conn, options).await?.0)
}

/// [`reflect_schema`], also saying how many catalog queries it took.
pub async fn reflect_schema_with_stats(
    conn: &mut Connection,
    options: &ReflectOptions<'_>,
) -> Result<(Schema, ReflectStats), ReflectError> {
    let include = |t: &str| options.includes(t);
    let backend = conn.dialect().backend();
    let scope = if options.schemas.is_empty() {
        TableScope::All(&include)
    } else {
        TableScope::AllIn(&options.schemas, &include)
    };
    let (mut schema, queries) = backend.read_schema(conn, scope).await?;
    finish(&mut schema);
    Ok((schema, ReflectStats { queries }))
}

/// The objects of the connection's database that retort does not model (views,
/// triggers, routines, …), sorted by kind and name. Those on a table the options leave
/// out, and relations (views, partitions, …) whose own name they leave out, are not
/// listed.
pub async fn reflect_unmodelled(
    conn: &mut Connection,
    options: &ReflectOptions<'_>,
) -> Result<Vec<UnmodelledObject>, ReflectError> {
    let backend = conn.dialect().backend();
    let mut objects = backend.read_unmodelled(conn).await?;
    objects.retain(|o| {
        o.table.as_deref().is_none_or(|t| options.includes(t))
            && (!o.kind.is_relation() || options.includes(&o.name))
    });
    objects.sort();
    objects.dedup();
    Ok(objects)
}

/// Sorts everything that has no order of its own.
fn finish(schema: &mut Schema) {
    schema.enums.sort_by(|a, b| a.name.cmp(&b.name));
    schema.tables.sort_by(|a, b| a.name.cmp(&b.name));
    for t in &mut schema.tables {
        t.indexes
            .sort_by(|a, b| (&a.name, &a.columns).cmp(&(&b.name, &b.columns)));
        t.unique
            .sort_by(|a, b| (&a.name, &a.columns).cmp(&(&b.name, &b.columns)));
        t.foreign_keys.sort_by(|a, b| {
            (&a.name, &a.columns, &a.referred_table).cmp(&(&b.name, &b.columns, &b.referred_table))
        });
        t.checks
            .sort_by(|a, b| (&a.name, &a.expr).cmp(&(&b.name, &b.expr)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_filter_tables() {
        let opts = ReflectOptions::new("ver");
        assert!(!opts.includes("ver"));
        assert!(opts.includes("users"));
        let excluded = ["tmp".to_string()];
        let opts = ReflectOptions::new("ver").with_filter(|t| !excluded.iter().any(|e| e == t));
        assert!(!opts.includes("tmp"));
        assert!(!opts.includes("ver"));
        assert!(opts.includes("users"));
        assert_eq!(opts.version_table(), "ver");
        assert!(!ReflectOptions::default().includes("retort_version"));

        let mut config = crate::config::Config::defaults(std::path::Path::new("."));
        config.version_table = "ver".into();
        config.exclude_tables = vec!["tmp_*".into()];
        let opts = ReflectOptions::from_config(&config);
        assert!(!opts.includes("ver"));
        assert!(!opts.includes("tmp_x"));
        assert!(opts.includes("users"));
    }
}
