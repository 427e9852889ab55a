//! SQLite: no identifier limit, enums as `VARCHAR` plus a `CHECK`, and table rebuilds
//! for what `ALTER TABLE` cannot do.

pub mod ddl;
pub mod rebuild;

use super::Backend;
use crate::dialect::Dialect;

/// The SQLite backend.
pub(crate) struct SqliteBackend;

impl Backend for SqliteBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn has_comments(&self) -> bool {
        false
    }

    fn identifier_limit_text(&self) -> String {
        "SQLite has no limit".to_string()
    }
}
