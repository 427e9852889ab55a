//! MySQL and MariaDB: backquoted identifiers, inline `ENUM(…)`, `MODIFY COLUMN`,
//! non-transactional DDL and named locks.

use super::{shared_type_sql, sized, Backend, TypeSqlError};
use crate::dialect::Dialect;
use crate::schema::{ColumnType, Schema};

/// The MySQL/MariaDB backend.
pub(crate) struct MySqlBackend;

impl Backend for MySqlBackend {
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
}
