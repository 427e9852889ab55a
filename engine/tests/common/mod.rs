//! Fresh databases for the engine's live tests: a temporary SQLite file always, and a
//! new PostgreSQL / MySQL database when `RETORT_TEST_POSTGRES_URL` /
//! `RETORT_TEST_MYSQL_URL` are set (required with `RETORT_TEST_REQUIRE_ALL=1`).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use retort_engine::db::Connection;
use retort_engine::dialect::Dialect;

/// A fresh database for one test; dropped by [`Db::finish`].
pub struct Db {
    pub conn: Connection,
    /// (admin URL, database name) for PostgreSQL/MySQL, to drop it afterwards.
    server: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name() -> String {
    format!(
        "rt_engine_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// `url` with its database (the path) replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let cut = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{db}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh database on `dialect`, or `None` (with a message) when its server is not
/// configured. Panics when it is required but missing.
pub async fn fresh(dialect: Dialect) -> Option<Db> {
    let var = match dialect {
        Dialect::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("live.db").display());
            let conn = Connection::connect(&url).await.expect("sqlite connects");
            return Some(Db {
                conn,
                server: None,
                _dir: Some(dir),
            });
        }
        Dialect::Postgres => "RETORT_TEST_POSTGRES_URL",
        Dialect::MySql => "RETORT_TEST_MYSQL_URL",
    };
    let Some(server) = std::env::var(var).ok().filter(|v| !v.is_empty()) else {
        assert!(
            std::env::var("RETORT_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
            "{var} is unset but RETORT_TEST_REQUIRE_ALL=1: {dialect} must be tested"
        );
        eprintln!("skipping {dialect}: {var} is unset (run through scripts/with-databases.sh)");
        return None;
    };
    let name = unique_name();
    let mut admin = Connection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("{dialect} from {var}: {e}"));
    let create = match dialect {
        Dialect::Postgres => format!("CREATE DATABASE \"{name}\""),
        _ => format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
    };
    admin.execute(&create).await.expect("create database");
    admin.close().await;
    let conn = Connection::connect(&with_database(&server, &name))
        .await
        .expect("connect to the fresh database");
    Some(Db {
        conn,
        server: Some((server, name)),
        _dir: None,
    })
}

impl Db {
    pub async fn run(&mut self, statements: &[&str]) {
        for s in statements {
            self.conn
                .execute(s)
                .await
                .unwrap_or_else(|e| panic!("setup failed: {e}"));
        }
    }

    pub async fn finish(self) {
        self.conn.close().await;
        if let Some((server, name)) = self.server {
            let dialect = Dialect::from_url(&server).expect("dialect");
            if let Ok(mut admin) = Connection::connect(&server).await {
                let sql = match dialect {
                    Dialect::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS `{name}`"),
                };
                let _ = admin.execute(&sql).await;
                admin.close().await;
            }
        }
    }
}
