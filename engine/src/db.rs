//! Connections by URL to SQLite, PostgreSQL and MySQL/MariaDB, with passwords masked
//! in every message and connection failures reduced to one clear line.

use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Connection as _, Row};

use crate::dialect::Dialect;

/// A URL with its password replaced by `***`, for messages.
pub fn mask_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &rest[at..]),
        None => url.to_string(),
    }
}

/// The password in a URL, if any (percent-decoded), so that messages can be scrubbed of it.
pub fn url_password(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    let (_, pw) = userinfo.split_once(':')?;
    (!pw.is_empty()).then(|| percent_decode(pw))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Replaces every occurrence of the URL's password (raw and decoded) in `text` with `***`.
pub fn redact(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &mask_url(url));
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
        if let Some((_, raw)) = authority
            .rfind('@')
            .and_then(|at| authority[..at].split_once(':'))
        {
            if !raw.is_empty() {
                out = out.replace(raw, "***");
            }
        }
    }
    if let Some(pw) = url_password(url) {
        out = out.replace(&pw, "***");
    }
    out
}

/// A database failure, with the masked URL or the statement it concerns.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL's scheme or form is not understood.
    #[error("unsupported database URL {0}: use sqlite://PATH, sqlite::memory:, postgres://USER:PASSWORD@HOST:PORT/DB or mysql://USER:PASSWORD@HOST:PORT/DB")]
    BadUrl(String),
    /// Connecting failed.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The masked URL.
        url: String,
        /// One line saying why.
        reason: String,
    },
    /// A statement failed.
    #[error("{message}\n  SQL: {sql}")]
    Statement {
        /// The statement.
        sql: String,
        /// The database's message.
        message: String,
    },
}

/// An open connection to one of the three backends.
pub enum Connection {
    /// SQLite.
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    Postgres(PgConnection),
    /// MySQL or MariaDB.
    MySql(MySqlConnection),
}

/// One result row, every value as text (`None` for NULL).
pub type TextRow = Vec<Option<String>>;

impl Connection {
    /// Connects to `url`. SQLite files are created when missing.
    pub async fn connect(url: &str) -> Result<Connection, DbError> {
        let dialect = Dialect::from_url(url).ok_or_else(|| DbError::BadUrl(mask_url(url)))?;
        let masked = mask_url(url);
        let fail = |reason: String| DbError::Connect {
            url: masked.clone(),
            reason: redact(&reason, url),
        };
        match dialect {
            Dialect::Sqlite => {
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|e| fail(e.to_string()))?
                    .create_if_missing(true)
                    .busy_timeout(Duration::from_secs(60));
                SqliteConnection::connect_with(&opts)
                    .await
                    .map(Connection::Sqlite)
                    .map_err(|e| fail(connect_reason(&e, dialect)))
            }
            Dialect::Postgres => {
                let normalized = url.replacen("postgresql://", "postgres://", 1);
                let opts =
                    PgConnectOptions::from_str(&normalized).map_err(|e| fail(e.to_string()))?;
                connect_with_timeout(PgConnection::connect_with(&opts))
                    .await
                    .map(Connection::Postgres)
                    .map_err(|e| fail(connect_reason(&e, dialect)))
            }
            Dialect::MySql => {
                let normalized = url.replacen("mariadb://", "mysql://", 1);
                let opts =
                    MySqlConnectOptions::from_str(&normalized).map_err(|e| fail(e.to_string()))?;
                connect_with_timeout(MySqlConnection::connect_with(&opts))
                    .await
                    .map(Connection::MySql)
                    .map_err(|e| fail(connect_reason(&e, dialect)))
            }
        }
    }

    /// The backend this connection talks to.
    pub fn dialect(&self) -> Dialect {
        match self {
            Connection::Sqlite(_) => Dialect::Sqlite,
            Connection::Postgres(_) => Dialect::Postgres,
            Connection::MySql(_) => Dialect::MySql,
        }
    }

    /// Runs one or more statements (no parameters); returns the rows affected.
    pub async fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        let res = match self {
            Connection::Sqlite(c) => q.execute(c).await.map(|r| r.rows_affected()),
            Connection::Postgres(c) => q.execute(c).await.map(|r| r.rows_affected()),
            Connection::MySql(c) => q.execute(c).await.map(|r| r.rows_affected()),
        };
        res.map_err(|e| statement_error(sql, &e))
    }

    /// Runs a query and returns every row with every value as text.
    pub async fn query(&mut self, sql: &str) -> Result<Vec<TextRow>, DbError> {
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        let res = match self {
            Connection::Sqlite(c) => q
                .fetch_all(c)
                .await
                .map(|rows| rows.iter().map(row_text).collect()),
            Connection::Postgres(c) => q
                .fetch_all(c)
                .await
                .map(|rows| rows.iter().map(row_text).collect()),
            Connection::MySql(c) => q
                .fetch_all(c)
                .await
                .map(|rows| rows.iter().map(row_text).collect()),
        };
        res.map_err(|e| statement_error(sql, &e))
    }

    /// Closes the connection cleanly.
    pub async fn close(self) {
        let _ = match self {
            Connection::Sqlite(c) => c.close().await,
            Connection::Postgres(c) => c.close().await,
            Connection::MySql(c) => c.close().await,
        };
    }
}

async fn connect_with_timeout<T>(
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match tokio::time::timeout(Duration::from_secs(20), fut).await {
        Ok(r) => r,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "timed out after 20 s",
        ))),
    }
}

fn statement_error(sql: &str, e: &sqlx::Error) -> DbError {
    let message = match e {
        sqlx::Error::Database(d) => match d.code() {
            Some(code) => format!("{} (code {code})", d.message()),
            None => d.message().to_string(),
        },
        other => other.to_string(),
    };
    DbError::Statement {
        sql: sql.trim().to_string(),
        message,
    }
}

/// One line saying why a connection failed, without driver internals.
fn connect_reason(e: &sqlx::Error, dialect: Dialect) -> String {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            let message = d.message();
            // MySQL reports SQLSTATE codes here, so its messages are matched as well.
            let auth = matches!(code.as_str(), "28P01" | "28000" | "1045")
                || (dialect == Dialect::MySql && message.starts_with("Access denied for user"));
            let unknown_db = (dialect == Dialect::Postgres && code == "3D000")
                || (dialect == Dialect::MySql
                    && (code == "1049" || message.starts_with("Unknown database")));
            if auth {
                "authentication failed: check the user name and password".into()
            } else if unknown_db {
                format!("unknown database: {message}")
            } else {
                message.to_string()
            }
        }
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => {
                "connection refused: is the server running, and on that host and port?".into()
            }
            std::io::ErrorKind::TimedOut => "host unreachable: the connection timed out".into(),
            _ => format!("host unreachable: {io}"),
        },
        other => {
            let s = other.to_string();
            s.lines().next().unwrap_or("").to_string()
        }
    }
}

fn row_text<R: Row>(row: &R) -> TextRow
where
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i32>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    (0..row.len())
        .map(|i| {
            if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                return v;
            }
            if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                return v.map(|x| x.to_string());
            }
            if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
                return v.map(|x| x.to_string());
            }
            if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
                return v.map(|x| x.to_string());
            }
            if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                return v.map(|x| x.to_string());
            }
            if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
                return v.map(|x| String::from_utf8_lossy(&x).into_owned());
            }
            row.try_get_unchecked::<Option<String>, _>(i).ok().flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_url("postgres://u:secret@127.0.0.1:1/x"),
            "postgres://u:***@127.0.0.1:1/x"
        );
        assert_eq!(mask_url("mysql://u@h/x"), "mysql://u@h/x");
        assert_eq!(mask_url("sqlite://a.db"), "sqlite://a.db");
        assert_eq!(
            mask_url("postgres://u:p%40ss@h/x?sslmode=disable"),
            "postgres://u:***@h/x?sslmode=disable"
        );
        assert_eq!(
            url_password("postgres://u:p%40ss@h/x").as_deref(),
            Some("p@ss")
        );
        let url = "postgres://u:p%40ss@h/x";
        assert_eq!(redact("bad p@ss and p%40ss", url), "bad *** and ***");
    }

    #[tokio::test]
    async fn sqlite_memory_round_trip() {
        let mut c = Connection::connect("sqlite::memory:").await.unwrap();
        c.execute(
            "CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (NULL, NULL)",
        )
        .await
        .unwrap();
        let rows = c.query("SELECT a, b FROM t ORDER BY a").await.unwrap();
        assert_eq!(
            rows,
            vec![vec![None, None], vec![Some("1".into()), Some("x".into())]]
        );
        let err = c
            .execute("SELECT * FROM nope")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no such table") && err.contains("SQL: SELECT * FROM nope"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn refused_connection_is_one_clear_line() {
        let err = Connection::connect("postgres://u:secret@127.0.0.1:1/x")
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("secret"), "{err}");
        assert!(err.contains("connection refused"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
