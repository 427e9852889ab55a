//! Per-backend facts: quoting, literals, how each portable type is spelled, and what
//! each backend can and cannot do in place.

use std::fmt;

use crate::schema::{ColumnType, Schema};

/// One of the three supported backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite (the embedded default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Dialect {
    /// The dialect a URL's scheme names.
    pub fn from_url(url: &str) -> Option<Dialect> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Dialect::Sqlite),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            _ => None,
        }
    }

    /// The name used in revision files (`dialect:`) and messages.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
        }
    }

    /// Parses a `dialect:` value.
    pub fn parse(s: &str) -> Option<Dialect> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Some(Dialect::Sqlite),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            _ => None,
        }
    }

    /// Quotes an identifier so that reserved words, mixed case, spaces and hyphens work.
    pub fn quote(self, ident: &str) -> String {
        match self {
            Dialect::MySql => format!("`{}`", ident.replace('`', "``")),
            _ => format!("\"{}\"", ident.replace('"', "\"\"")),
        }
    }

    /// A comma-separated list of quoted identifiers.
    pub fn quote_list(self, idents: &[String]) -> String {
        idents
            .iter()
            .map(|i| self.quote(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A string literal.
    pub fn literal(self, s: &str) -> String {
        match self {
            Dialect::MySql => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// The longest identifier the backend keeps intact, as [`Dialect::identifier_length`]
    /// counts it: PostgreSQL 63 bytes (it silently truncates longer names), MySQL 64
    /// characters (it rejects longer names); `None` for SQLite, which has no limit.
    pub fn max_identifier_length(self) -> Option<usize> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(63),
            Dialect::MySql => Some(64),
        }
    }

    /// The length of `ident` as this backend measures it (bytes on PostgreSQL,
    /// characters elsewhere).
    pub fn identifier_length(self, ident: &str) -> usize {
        match self {
            Dialect::Postgres => ident.len(),
            _ => ident.chars().count(),
        }
    }

    /// How the backend's identifier limit reads in messages, e.g. "PostgreSQL allows 63 bytes".
    pub fn identifier_limit_text(self) -> String {
        match (self, self.max_identifier_length()) {
            (Dialect::Postgres, Some(n)) => format!("PostgreSQL allows at most {n} bytes"),
            (Dialect::MySql, Some(n)) => format!("MySQL allows at most {n} characters"),
            _ => "SQLite has no limit".to_string(),
        }
    }

    /// True when DDL runs inside transactions (and so BEGIN/COMMIT wrap a run).
    pub fn transactional_ddl(self) -> bool {
        !matches!(self, Dialect::MySql)
    }

    /// True when ALTER TABLE can change a column in place (false: SQLite rebuilds the table).
    pub fn can_alter_column(self) -> bool {
        !matches!(self, Dialect::Sqlite)
    }

    /// True when constraints can be added or dropped with ALTER TABLE.
    pub fn can_alter_constraints(self) -> bool {
        !matches!(self, Dialect::Sqlite)
    }

    /// True when enums are named types of their own (`CREATE TYPE … AS ENUM`).
    pub fn has_enum_types(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// True when the backend stores table and column comments.
    pub fn has_comments(self) -> bool {
        !matches!(self, Dialect::Sqlite)
    }

    /// True when partial indexes (`WHERE`) are supported.
    pub fn has_partial_indexes(self) -> bool {
        !matches!(self, Dialect::MySql)
    }

    /// How a portable type is spelled on this backend. `schema` supplies enum values
    /// (needed inline on MySQL); `column` names the column (SQLite's enum CHECK).
    pub fn type_sql(self, ty: &ColumnType, schema: Option<&Schema>) -> Result<String, String> {
        use ColumnType as T;
        Ok(match (self, ty) {
            (_, T::SmallInt) => "SMALLINT".into(),
            (Dialect::MySql, T::Integer) => "INT".into(),
            (_, T::Integer) => "INTEGER".into(),
            (_, T::BigInt) => "BIGINT".into(),
            (Dialect::MySql, T::Boolean) => "BOOL".into(),
            (_, T::Boolean) => "BOOLEAN".into(),
            (Dialect::MySql, T::Real) => "FLOAT".into(),
            (_, T::Real) => "REAL".into(),
            (Dialect::Postgres, T::Double) => "DOUBLE PRECISION".into(),
            (_, T::Double) => "DOUBLE".into(),
            (d, T::Numeric { precision, scale }) => {
                let name = if d == Dialect::MySql {
                    "DECIMAL"
                } else {
                    "NUMERIC"
                };
                match (precision, scale) {
                    (Some(p), Some(s)) => format!("{name}({p},{s})"),
                    (Some(p), None) => format!("{name}({p})"),
                    _ => name.into(),
                }
            }
            (Dialect::MySql, T::Varchar(None)) => {
                return Err("MySQL needs a length for varchar: write varchar(N)".into())
            }
            (_, T::Varchar(Some(n))) => format!("VARCHAR({n})"),
            (_, T::Varchar(None)) => "VARCHAR".into(),
            (_, T::Char(Some(n))) => format!("CHAR({n})"),
            (_, T::Char(None)) => "CHAR(1)".into(),
            (_, T::Text) => "TEXT".into(),
            (Dialect::Postgres, T::Blob) => "BYTEA".into(),
            (Dialect::MySql, T::Blob) => "LONGBLOB".into(),
            (_, T::Blob) => "BLOB".into(),
            (_, T::Date) => "DATE".into(),
            (_, T::Time) => "TIME".into(),
            (Dialect::MySql, T::Timestamp) | (Dialect::MySql, T::TimestampTz) => "DATETIME".into(),
            (Dialect::Postgres, T::TimestampTz) => "TIMESTAMP WITH TIME ZONE".into(),
            (Dialect::Postgres, T::Timestamp) => "TIMESTAMP WITHOUT TIME ZONE".into(),
            (_, T::Timestamp) => "TIMESTAMP".into(),
            (_, T::TimestampTz) => "TIMESTAMPTZ".into(),
            (Dialect::Postgres, T::Jsonb) => "JSONB".into(),
            (_, T::Json) | (_, T::Jsonb) => "JSON".into(),
            (Dialect::Postgres, T::Uuid) => "UUID".into(),
            (_, T::Uuid) => "CHAR(36)".into(),
            (Dialect::Postgres, T::Enum(name)) => self.quote(name),
            (Dialect::MySql, T::Enum(name)) => {
                let values = schema
                    .and_then(|s| s.enum_type(name))
                    .map(|e| e.values.clone())
                    .ok_or_else(|| {
                        format!("enum `{name}` is not declared, so its values are unknown on MySQL")
                    })?;
                let lits: Vec<String> = values.iter().map(|v| self.literal(v)).collect();
                format!("ENUM({})", lits.join(", "))
            }
            (Dialect::Sqlite, T::Enum(_)) => "VARCHAR".into(),
            (_, T::Custom(s)) => s.to_ascii_uppercase(),
        })
    }
}

// Capabilities used by lint, verify and the lock-timeout option (kept together so that
// they can move into the backend objects as one piece).
impl Dialect {
    /// The catalog query listing every base table of the connection's schema/database.
    pub fn catalog_tables_sql(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            Dialect::Postgres => "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
            Dialect::MySql => "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name",
        }
    }

    /// The catalog query listing the user-defined types (enums) of the connection's
    /// schema, where the backend has them.
    pub fn catalog_types_sql(self) -> Option<&'static str> {
        match self {
            Dialect::Postgres => Some("SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = current_schema() AND t.typtype = 'e' ORDER BY t.typname"),
            Dialect::Sqlite | Dialect::MySql => None,
        }
    }

    /// Statements that empty a database of `tables` and `types` (for `verify --reset`),
    /// whatever foreign keys connect them.
    pub fn reset_statements(self, tables: &[String], types: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Dialect::Sqlite => out.push("PRAGMA foreign_keys = OFF".to_string()),
            Dialect::MySql => out.push("SET FOREIGN_KEY_CHECKS = 0".to_string()),
            Dialect::Postgres => {}
        }
        let cascade = if self == Dialect::Postgres {
            " CASCADE"
        } else {
            ""
        };
        for t in tables {
            out.push(format!("DROP TABLE IF EXISTS {}{cascade}", self.quote(t)));
        }
        for t in types {
            out.push(format!("DROP TYPE IF EXISTS {}{cascade}", self.quote(t)));
        }
        match self {
            Dialect::Sqlite => out.push("PRAGMA foreign_keys = ON".to_string()),
            Dialect::MySql => out.push("SET FOREIGN_KEY_CHECKS = 1".to_string()),
            Dialect::Postgres => {}
        }
        out
    }

    /// True when `CREATE INDEX CONCURRENTLY` builds an index without blocking writes.
    pub fn has_concurrent_index(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// True when foreign keys and checks can be added `NOT VALID` and validated later.
    pub fn has_not_valid_constraints(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// True when adding an index locks writes to the table unless built another way
    /// (PostgreSQL without `CONCURRENTLY`; MySQL/InnoDB builds indexes in place; SQLite
    /// locks the whole database for any write anyway).
    pub fn index_build_blocks_writes(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// True when an `ALTER TABLE` that cannot be done `ALGORITHM=INSTANT/INPLACE` copies
    /// the whole table under a lock that blocks writes (MySQL/MariaDB).
    pub fn alter_may_copy_table(self) -> bool {
        matches!(self, Dialect::MySql)
    }

    /// True when most column type changes rewrite the table under an ACCESS EXCLUSIVE
    /// lock (PostgreSQL; MySQL's table copy is [`Dialect::alter_may_copy_table`], and
    /// SQLite locks the whole database for any change anyway).
    pub fn type_change_rewrites_table(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// True when `SET NOT NULL` scans the whole table under an exclusive lock unless a
    /// validated `CHECK (col IS NOT NULL)` proves it first (PostgreSQL 12+).
    pub fn set_not_null_scans_table(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// True when `ADD COLUMN … DEFAULT volatile_expression` rewrites the table.
    pub fn volatile_default_rewrites_table(self) -> bool {
        matches!(self, Dialect::Postgres)
    }

    /// The statement that bounds how long this session waits for a lock, or `None`.
    pub fn lock_timeout_sql(self, millis: u64) -> Option<String> {
        match self {
            Dialect::Postgres => Some(format!("SET lock_timeout = '{millis}ms'")),
            // lock_wait_timeout is in whole seconds (at least 1).
            Dialect::MySql => Some(format!(
                "SET SESSION lock_wait_timeout = {}",
                millis.div_ceil(1000).max(1)
            )),
            Dialect::Sqlite => Some(format!("PRAGMA busy_timeout = {millis}")),
        }
    }

    /// The statement that restores the session's default lock timeout.
    pub fn lock_timeout_reset_sql(self) -> Option<String> {
        match self {
            Dialect::Postgres => Some("SET lock_timeout = DEFAULT".to_string()),
            Dialect::MySql => Some("SET SESSION lock_wait_timeout = DEFAULT".to_string()),
            Dialect::Sqlite => Some("PRAGMA busy_timeout = 60000".to_string()),
        }
    }

    /// True when a database error message says a lock could not be had in time.
    pub fn is_lock_timeout(self, message: &str) -> bool {
        let m = message.to_ascii_lowercase();
        match self {
            Dialect::Postgres => m.contains("lock timeout") || m.contains("55p03"),
            Dialect::MySql => m.contains("lock wait timeout") || m.contains("1205"),
            Dialect::Sqlite => m.contains("database is locked") || m.contains("(code 5)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_quoting() {
        assert_eq!(Dialect::from_url("postgresql://x"), Some(Dialect::Postgres));
        assert_eq!(Dialect::from_url("mariadb://x"), Some(Dialect::MySql));
        assert_eq!(Dialect::from_url("sqlite::memory:"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::from_url("oracle://x"), None);
        assert_eq!(Dialect::MySql.quote("a`b"), "`a``b`");
        assert_eq!(Dialect::Postgres.quote("reply-to"), "\"reply-to\"");
        assert_eq!(Dialect::MySql.literal("it's \\"), "'it''s \\\\'");
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
            for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
                assert!(d.type_sql(&ty, Some(&schema)).is_ok(), "{t} on {d}");
            }
        }
        assert_eq!(
            Dialect::MySql
                .type_sql(&ColumnType::Enum("mood".into()), Some(&schema))
                .unwrap(),
            "ENUM('a', 'b')"
        );
    }
}
