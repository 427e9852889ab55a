//! The name of a backend: the small `Copy` value carried in URLs, revision files
//! (`dialect:`) and messages. Everything a backend does lives behind
//! [`Dialect::backend`] in [`crate::backend`].

use std::fmt;

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
    /// Every backend, in the order messages list them.
    pub const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql];

    /// The dialect a URL's scheme names.
    pub fn from_url(url: &str) -> Option<Dialect> {
        Dialect::parse(url.split(':').next()?)
    }

    /// The name used in revision files (`dialect:`) and messages.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
        }
    }

    /// Parses a `dialect:` value (or a URL scheme).
    pub fn parse(s: &str) -> Option<Dialect> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Some(Dialect::Sqlite),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_dialects() {
        assert_eq!(Dialect::from_url("postgresql://x"), Some(Dialect::Postgres));
        assert_eq!(Dialect::from_url("mariadb://x"), Some(Dialect::MySql));
        assert_eq!(Dialect::from_url("sqlite::memory:"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::from_url("oracle://x"), None);
        for d in Dialect::ALL {
            assert_eq!(Dialect::parse(d.name()), Some(d));
        }
    }
}
