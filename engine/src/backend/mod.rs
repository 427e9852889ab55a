//! One object per backend: everything retort knows about SQLite, PostgreSQL and
//! MySQL/MariaDB lives behind the [`Backend`] trait, with one implementation per
//! backend (`backend/sqlite`, `backend/postgres`, `backend/mysql`), in the spirit of
//! Alembic's `DefaultImpl` subclasses. Code outside this module asks
//! [`Dialect::backend`] and does not branch on which backend it is.
//!
//! The trait's default methods hold what the backends share (double-quoted
//! identifiers, standard string literals, the portable type spellings); each backend
//! overrides what it does differently.

mod live;
mod mysql;
mod postgres;
mod render;
#[cfg(test)]
mod render_tests;
pub mod sqlite;

pub use live::{read_sqlite_table, render_live, sqlite_foreign_key_violations};
pub use render::{render, render_all, RenderContext, RenderError};

use crate::dialect::Dialect;
use crate::schema::{ColumnType, Schema};

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

/// What one backend knows and does. Get one with [`Dialect::backend`].
pub trait Backend: Sync {
    /// The dialect this backend implements.
    fn dialect(&self) -> Dialect;

    /// Quotes an identifier so that reserved words, mixed case, spaces and hyphens work.
    fn quote(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
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

    /// True when the backend stores table and column comments.
    fn has_comments(&self) -> bool {
        true
    }

    /// How a portable type is spelled on this backend. `schema` supplies enum values
    /// (needed inline on MySQL).
    fn type_sql(&self, ty: &ColumnType, _schema: Option<&Schema>) -> Result<String, TypeSqlError> {
        Ok(shared_type_sql(ty))
    }
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
