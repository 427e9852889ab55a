//! PostgreSQL: named enum types, `COMMENT ON`, identity columns, transactional DDL
//! and advisory locks.

use super::{shared_type_sql, Backend, TypeSqlError};
use crate::dialect::Dialect;
use crate::schema::{ColumnType, Schema};

/// The PostgreSQL backend.
pub(crate) struct PostgresBackend;

impl Backend for PostgresBackend {
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
}
