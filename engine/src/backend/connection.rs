//! Connections by URL to SQLite, PostgreSQL and MySQL/MariaDB, with passwords masked
//! in every message and connection failures reduced to one clear line. Each backend
//! opens its own connections ([`super::Backend::open`]) and says what its connection
//! errors mean; [`crate::db`] re-exports what is public here.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::mysql::MySqlConnection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use sqlx::{AssertSqlSafe, Connection as _, Row};

use super::Backend;
use crate::backend::dialect::Dialect;

/// The future a backend's [`Backend::open`] returns.
pub type ConnectFuture<'a> = Pin<Box<dyn Future<Output = Result<Connection, DbError>> + Send + 'a>>;

/// Query parameters whose values are passwords (`?password=...` is honoured by the
/// PostgreSQL driver).
const PASSWORD_PARAMS: &[&str] = &["password", "pass", "passwd", "pwd", "sslpassword"];

/// The parts of a database URL that matter for masking, found by position.
struct UrlParts {
    /// Byte range of the password in the authority (between the user's `:` and the `@`).
    password: Option<std::ops::Range<usize>>,
    /// Byte ranges of the values of password query parameters.
    params: Vec<std::ops::Range<usize>>,
}

/// True for text that can be a host, optionally with a port or an IPv6 literal.
fn plausible_host(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']' | '%' | ',')
        })
}

/// Splits `url` into user information, host and query by position. The password may
/// contain unencoded `/`, `?`, `:` or `@`: the user information ends at the last `@`
/// that is followed by a plausible host.
fn url_parts(url: &str) -> Option<UrlParts> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let at = rest
        .match_indices('@')
        .map(|(i, _)| i)
        .rfind(|&i| {
            let after = &rest[i + 1..];
            let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
            plausible_host(&after[..host_end])
        })
        .or_else(|| rest.rfind('@'));
    let mut password = None;
    let mut host_start = 0;
    if let Some(at) = at {
        host_start = at + 1;
        let userinfo = &rest[..at];
        if let Some(colon) = userinfo.find(':') {
            if colon + 1 < at {
                password = Some(start + colon + 1..start + at);
            }
        }
    }
    let mut params = Vec::new();
    if let Some(q) = rest[host_start..].find('?') {
        let query_start = start + host_start + q + 1;
        let mut pos = query_start;
        for pair in url[query_start..].split(['&', '#']) {
            if let Some((k, v)) = pair.split_once('=') {
                let key = percent_decode(k).to_ascii_lowercase();
                if PASSWORD_PARAMS.contains(&key.as_str()) && !v.is_empty() {
                    let v_start = pos + k.len() + 1;
                    params.push(v_start..v_start + v.len());
                }
            }
            pos += pair.len() + 1;
        }
    }
    Some(UrlParts { password, params })
}

/// A URL with its password (in the user information and in password query parameters)
/// replaced by `***`, for messages. Nothing else in the URL changes.
pub fn mask_url(url: &str) -> String {
    let Some(parts) = url_parts(url) else {
        return url.to_string();
    };
    let mut ranges: Vec<std::ops::Range<usize>> = parts.password.into_iter().collect();
    ranges.extend(parts.params);
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(url.len());
    let mut pos = 0;
    for r in ranges {
        if r.start < pos {
            continue;
        }
        out.push_str(&url[pos..r.start]);
        out.push_str("***");
        pos = r.end;
    }
    out.push_str(&url[pos..]);
    out
}

/// The passwords in a URL (user information and password query parameters), raw and
/// percent-decoded.
fn url_passwords(url: &str) -> Vec<String> {
    let Some(parts) = url_parts(url) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in parts.password.into_iter().chain(parts.params) {
        let raw = url[r].to_string();
        let decoded = percent_decode(&raw);
        if decoded != raw {
            out.push(decoded);
        }
        out.push(raw);
    }
    out
}

/// The password in a URL's user information, if any (percent-decoded).
pub fn url_password(url: &str) -> Option<String> {
    let r = url_parts(url)?.password?;
    Some(percent_decode(&url[r]))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Passwords shorter than this are never searched for as plain text: a short password
/// also occurs in ordinary words, and replacing it there would garble the message and
/// reveal it.
const MIN_SCRUBBED_PASSWORD: usize = 8;

/// `text` with every occurrence of `url` (and the forms retort hands to the drivers)
/// replaced by its masked form. As a last guard against a driver that echoes the
/// password, a password of 8 or more characters that is not part of the rest of the
/// URL is also replaced where it still occurs.
pub fn redact(text: &str, url: &str) -> String {
    let masked = mask_url(url);
    let mut out = text.to_string();
    let mut forms = vec![url.to_string()];
    for (from, to) in [("postgresql://", "postgres://"), ("mariadb://", "mysql://")] {
        if url.starts_with(from) {
            forms.push(url.replacen(from, to, 1));
        }
    }
    for form in forms {
        if form != mask_url(&form) {
            out = out.replace(&form, &mask_url(&form));
        }
    }
    for pw in url_passwords(url) {
        if pw.chars().count() >= MIN_SCRUBBED_PASSWORD && !masked.contains(&pw) {
            out = out.replace(&pw, "***");
        }
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

/// A statement of a batch ([`Connection::execute_batch`]) that ran.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StatementDone {
    /// The rows it changed (inserted, updated or deleted).
    pub(crate) changed: u64,
    /// When its result arrived.
    pub(crate) at: std::time::Instant,
}

/// What a batch ([`Connection::execute_batch`]) did: each statement's result, or the
/// failure that stopped it.
pub(crate) type BatchOutcome = Result<Vec<StatementDone>, BatchFailure>;

/// A statement of a batch ([`Connection::execute_batch`]) failed.
#[derive(Debug)]
pub(crate) struct BatchFailure {
    /// Index of the failed statement in the batch; the statements before it ran.
    pub(crate) index: usize,
    /// The statement's error (message and SQL).
    pub(crate) error: DbError,
    /// The statements before it.
    pub(crate) done: Vec<StatementDone>,
}

/// The text of one request running `statements` (each exactly one SQL statement) in
/// order.
pub(crate) fn request_text(statements: &[&str]) -> String {
    let mut text = String::with_capacity(statements.iter().map(|s| s.len() + 3).sum());
    for sql in statements {
        // A newline first ends a trailing `--` comment before the separator.
        text.push_str(sql);
        text.push_str("\n;\n");
    }
    text
}

/// Checks one request of a batch: `request` (part of `statements`) gave the results in
/// `done` from `before` on, and `error` if one of them failed. The failure names the
/// statement that failed; a request whose results do not match its statements one to
/// one (a statement that was not exactly one) fails too.
pub(crate) fn request_outcome(
    statements: &[&str],
    request: &[&str],
    before: usize,
    done: &mut Vec<StatementDone>,
    error: Option<sqlx::Error>,
) -> Result<(), BatchFailure> {
    let index = done.len();
    match error {
        None if index - before == request.len() => Ok(()),
        None => Err(BatchFailure {
            index: index.min(statements.len().saturating_sub(1)),
            error: DbError::Statement {
                sql: request.join(";\n"),
                message: format!(
                    "{} statements sent together gave {} results; each must be exactly one SQL statement",
                    request.len(),
                    index - before
                ),
            },
            done: std::mem::take(done),
        }),
        Some(e) => Err(BatchFailure {
            index,
            error: statement_error(statements.get(index).copied().unwrap_or_default(), &e),
            done: std::mem::take(done),
        }),
    }
}

/// An open connection to one of the three backends.
pub enum Connection {
    /// SQLite.
    Sqlite(SqliteConnection),
    /// PostgreSQL.
    Postgres(PgConnection),
    /// MySQL or MariaDB.
    MySql(MySqlConnection),
    /// SQLite, lent to the thread running a batch ([`Connection::start_batch`]); it
    /// comes back before the connection is used again.
    SqliteBusy(super::sqlite::batch::BatchInFlight),
    /// SQLite, lost with a batch's thread that stopped before handing it back: every
    /// use fails (and the open transaction, if any, is gone with it).
    SqliteLost,
}

/// The failure of every use of a [`Connection::SqliteLost`].
fn lost(sql: &str) -> DbError {
    DbError::Statement {
        sql: sql.to_string(),
        message: "the SQLite connection was lost: the thread running a batch of statements stopped before handing it back".into(),
    }
}

/// The environment variable naming a file to which every connection opened appends one
/// line, its masked URL: a diagnostic (how many connections does a command open?) that
/// the tests use to hold each command to one connection.
pub const CONNECTION_LOG_ENV: &str = "RETORT_CONNECTION_LOG";

fn log_connection(url: &str) {
    let Some(path) = std::env::var_os(CONNECTION_LOG_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    use std::io::Write;
    // Best effort: a diagnostic never fails the command.
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{}", mask_url(url));
    }
}

/// One result row, every value as text (`None` for NULL).
pub type TextRow = Vec<Option<String>>;

impl Connection {
    /// Connects to `url`. SQLite files are created when missing.
    pub async fn connect(url: &str) -> Result<Connection, DbError> {
        Self::open(url, true).await
    }

    /// Connects to `url` for a command that only reads: a SQLite database file that does
    /// not exist is not created, and reads as an empty database.
    pub async fn connect_read_only(url: &str) -> Result<Connection, DbError> {
        Self::open(url, false).await
    }

    async fn open(url: &str, create: bool) -> Result<Connection, DbError> {
        let conn = Self::open_backend(url, create).await?;
        log_connection(url);
        Ok(conn)
    }

    async fn open_backend(url: &str, create: bool) -> Result<Connection, DbError> {
        let dialect = Dialect::from_url(url).ok_or_else(|| DbError::BadUrl(mask_url(url)))?;
        dialect.backend().open(url, create).await
    }

    /// The backend this connection talks to.
    pub fn dialect(&self) -> Dialect {
        match self {
            Connection::Sqlite(_) | Connection::SqliteBusy(_) | Connection::SqliteLost => {
                Dialect::Sqlite
            }
            Connection::Postgres(_) => Dialect::Postgres,
            Connection::MySql(_) => Dialect::MySql,
        }
    }

    /// Lends a SQLite connection to a thread of its own that runs `statements` as
    /// [`Connection::execute_batch`] does, while the caller goes on (renders the next
    /// ones); [`Connection::land_batch`] takes it back with the outcome. On the servers,
    /// or while a batch runs, nothing starts and the statements come back.
    pub(crate) fn start_batch(&mut self, statements: Vec<String>) -> Result<(), Vec<String>> {
        match std::mem::replace(self, Connection::SqliteLost) {
            Connection::Sqlite(c) => {
                *self = Connection::SqliteBusy(super::sqlite::batch::start(c, statements));
                Ok(())
            }
            other => {
                *self = other;
                Err(statements)
            }
        }
    }

    /// Waits for the batch [`Connection::start_batch`] started and takes the connection
    /// back; returns the batch's statements and outcome (none when no batch ran).
    pub(crate) async fn land_batch(&mut self) -> Option<(Vec<String>, BatchOutcome)> {
        if !matches!(self, Connection::SqliteBusy(_)) {
            return None;
        }
        let Connection::SqliteBusy(run) = std::mem::replace(self, Connection::SqliteLost) else {
            return None;
        };
        match run.finish().await {
            Ok((conn, statements, outcome)) => {
                *self = Connection::Sqlite(conn);
                Some((statements, outcome))
            }
            Err(failure) => Some((Vec::new(), Err(failure))),
        }
    }

    /// Takes back a connection lent to a batch before another use (a failure of the
    /// batch is this use's failure).
    async fn settle(&mut self, sql: &str) -> Result<(), DbError> {
        if let Some((_, Err(failure))) = self.land_batch().await {
            return Err(failure.error);
        }
        if matches!(self, Connection::SqliteLost) {
            return Err(lost(sql));
        }
        Ok(())
    }

    /// Runs one or more statements (no parameters); returns the rows affected.
    pub async fn execute(&mut self, sql: &str) -> Result<u64, DbError> {
        self.settle(sql).await?;
        let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        let res = match self {
            Connection::Sqlite(c) => q.execute(c).await.map(|r| r.rows_affected()),
            Connection::Postgres(c) => q.execute(c).await.map(|r| r.rows_affected()),
            Connection::MySql(c) => q.execute(c).await.map(|r| r.rows_affected()),
            Connection::SqliteBusy(_) | Connection::SqliteLost => return Err(lost(sql)),
        };
        res.map_err(|e| statement_error(sql, &e))
    }

    /// Runs `statements`, each exactly one SQL statement, in order and with as few
    /// hand-overs as the driver allows (SQLite: a few requests for the whole list, see
    /// [`super::sqlite::batch`]; MySQL: a few round trips, see [`super::mysql::batch`];
    /// PostgreSQL: one round trip each); returns the rows
    /// each changed and when each finished. Stops at the first that fails.
    pub(crate) async fn execute_batch(&mut self, statements: &[&str]) -> BatchOutcome {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let first = statements[0];
        if let Err(error) = self.settle(first).await {
            return Err(BatchFailure {
                index: 0,
                error,
                done: Vec::new(),
            });
        }
        let c = match self {
            Connection::Sqlite(c) => {
                return super::sqlite::batch::execute_batch(c, statements).await
            }
            Connection::MySql(c) => return super::mysql::batch::execute_batch(c, statements).await,
            Connection::Postgres(c) => c,
            Connection::SqliteBusy(_) | Connection::SqliteLost => {
                return Err(BatchFailure {
                    index: 0,
                    error: lost(first),
                    done: Vec::new(),
                })
            }
        };
        let mut done = Vec::with_capacity(statements.len());
        for (index, sql) in statements.iter().enumerate() {
            let q = sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
            match q.execute(&mut *c).await {
                Ok(r) => done.push(StatementDone {
                    changed: r.rows_affected(),
                    at: std::time::Instant::now(),
                }),
                Err(e) => {
                    return Err(BatchFailure {
                        index,
                        error: statement_error(sql, &e),
                        done,
                    })
                }
            }
        }
        Ok(done)
    }

    /// Runs a query and returns every row with every value as text.
    pub async fn query(&mut self, sql: &str) -> Result<Vec<TextRow>, DbError> {
        self.settle(sql).await?;
        let q = || sqlx::raw_sql(AssertSqlSafe(sql.to_string()));
        let res = match self {
            Connection::Sqlite(c) => return super::sqlite::direct::query(c, sql).await,
            Connection::Postgres(c) => q()
                .fetch_all(c)
                .await
                .map(|rows| rows.iter().map(row_text).collect()),
            Connection::MySql(c) => q()
                .fetch_all(c)
                .await
                .map(|rows| rows.iter().map(row_text).collect()),
            Connection::SqliteBusy(_) | Connection::SqliteLost => return Err(lost(sql)),
        };
        res.map_err(|e| statement_error(sql, &e))
    }

    /// Closes the connection cleanly.
    pub async fn close(mut self) {
        let _ = self.settle("").await;
        let _ = match self {
            Connection::Sqlite(c) => c.close().await,
            Connection::Postgres(c) => c.close().await,
            Connection::MySql(c) => c.close().await,
            Connection::SqliteBusy(_) | Connection::SqliteLost => Ok(()),
        };
    }
}

/// A connection failure to `url`: its masked URL and `reason` with passwords redacted.
pub(crate) fn connect_failure(url: &str, reason: &str) -> DbError {
    DbError::Connect {
        url: mask_url(url),
        reason: redact(reason, url),
    }
}

/// Waits at most 20 seconds for a server connection.
pub(crate) async fn connect_with_timeout<T>(
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

/// The error of statement `sql` that failed with `e`.
pub(crate) fn statement_error(sql: &str, e: &sqlx::Error) -> DbError {
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

/// One line saying why a connection to `backend` failed, without driver internals.
pub(crate) fn connect_reason(e: &sqlx::Error, backend: &dyn Backend) -> String {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            let message = d.message();
            if backend.is_auth_failure(&code, message) {
                "authentication failed: check the user name and password".into()
            } else if backend.is_unknown_database(&code, message) {
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
        assert_eq!(
            redact(&format!("cannot reach {url}"), url),
            "cannot reach postgres://u:***@h/x"
        );
    }

    #[test]
    fn masks_every_password_form_by_position() {
        for (url, want) in [
            (
                "postgres://u@h:5432/db?password=secretPW1&sslmode=disable",
                "postgres://u@h:5432/db?password=***&sslmode=disable",
            ),
            ("postgresql://u:secret/PW1@h/db", "postgresql://u:***@h/db"),
            ("mysql://u:sec?retPW1@h:3306/db", "mysql://u:***@h:3306/db"),
            ("mysql://u:a@b@h/db", "mysql://u:***@h/db"),
            (
                "postgres://u:o@localhost/postgres",
                "postgres://u:***@localhost/postgres",
            ),
            ("mariadb://u@h/db?PWD=x%20y", "mariadb://u@h/db?PWD=***"),
            ("sqlite://p:q.db", "sqlite://p:q.db"),
            ("sqlite::memory:", "sqlite::memory:"),
        ] {
            assert_eq!(mask_url(url), want, "{url}");
        }
        // A short password is not searched for as text: the message stays readable.
        let url = "postgres://u:o@host/db";
        let msg = format!("cannot connect to {url}: connection refused");
        assert_eq!(
            redact(&msg, url),
            "cannot connect to postgres://u:***@host/db: connection refused"
        );
        // A password that is also the host name leaves the host alone.
        let url = "postgres://u:localhost@localhost/db";
        assert_eq!(mask_url(url), "postgres://u:***@localhost/db");
        assert_eq!(
            redact(&format!("at {url}"), url),
            "at postgres://u:***@localhost/db"
        );
        // A driver echoing a long password on its own is still scrubbed.
        let url = "postgresql://u:secretPW1@h/db";
        assert_eq!(
            redact("bad secretPW1 in postgres://u:secretPW1@h/db", url),
            "bad *** in postgres://u:***@h/db"
        );
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

    /// SQLite's rows read through its C API read as sqlx's rows do, value by value.
    #[tokio::test]
    async fn sqlite_rows_read_directly_match_sqlx() {
        let mut c = Connection::connect("sqlite::memory:").await.unwrap();
        c.execute(
            "CREATE TABLE v (a, b INTEGER, c REAL, d TEXT, e BLOB, f BOOLEAN, g VARCHAR(5));
             INSERT INTO v VALUES
               (1, -7, 1.5, 'x', x'414243', 1, 'é'),
               (NULL, NULL, NULL, NULL, NULL, NULL, NULL),
               (2.0, 9223372036854775807, 1e300, '', x'', 0, 12),
               ('text', '12', -0.25, 'line
break', x'ff00', 'yes', 3.5)",
        )
        .await
        .unwrap();
        let sql = "SELECT a, b, c, d, e, f, g, typeof(a), a + 1, NULL FROM v ORDER BY rowid";
        let direct = c.query(sql).await.unwrap();
        let Connection::Sqlite(inner) = &mut c else {
            unreachable!()
        };
        let through_sqlx: Vec<TextRow> = sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
            .fetch_all(inner)
            .await
            .unwrap()
            .iter()
            .map(row_text)
            .collect();
        assert_eq!(direct, through_sqlx);
        assert_eq!(direct.len(), 4);
        // Several statements: the rows of each, in order.
        let rows = c
            .query("CREATE TABLE w (x); INSERT INTO w VALUES (1); SELECT x FROM w; SELECT 2")
            .await
            .unwrap();
        assert_eq!(rows, vec![vec![Some("1".into())], vec![Some("2".into())]]);
        // Errors read as sqlx words them.
        let err = c.query("SELECT * FROM nope").await.unwrap_err().to_string();
        assert_eq!(
            err,
            "no such table: nope (code 1)\n  SQL: SELECT * FROM nope"
        );
        assert_eq!(c.query("  ").await.unwrap(), Vec::<TextRow>::new());
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
