//! Why retort reads live schemas with its own catalog queries instead of sea-schema 0.18's
//! discovery: this test builds one small table per backend with features retort models
//! (check constraints, plain and partial indexes, comments, collations) and records which
//! of them sea-schema's discovery returns at all. The README's "Dependencies" section
//! quotes the result; the test fails if sea-schema starts returning a feature (so the
//! README can be updated) or stops returning the basics.
//!
//! SQLite always runs; PostgreSQL and MariaDB run when `RETORT_TEST_POSTGRES_URL` /
//! `RETORT_TEST_MYSQL_URL` are set (required with `RETORT_TEST_REQUIRE_ALL=1`).

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{Connection as _, Executor as _};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A feature and the text that appears in discovery's output if it was read.
struct Probe {
    feature: &'static str,
    needle: &'static str,
    /// Whether sea-schema 0.18 is known to return it.
    discovered: bool,
}

/// Asserts each probe against the debug form of what discovery returned, and prints the
/// measured table.
fn assert_probes(backend: &str, discovered: &str, probes: &[Probe]) {
    assert!(
        discovered.contains("gap_t") && discovered.contains("email"),
        "{backend}: discovery did not even return the table: {discovered}"
    );
    for p in probes {
        let found = discovered.contains(p.needle);
        eprintln!(
            "sea-schema 0.18 on {backend}: {:<40} {}",
            p.feature,
            if found { "returned" } else { "MISSING" }
        );
        assert_eq!(
            found,
            p.discovered,
            "{backend}: sea-schema {} the {} ({:?}); update the README's Dependencies section",
            if found {
                "now returns"
            } else {
                "no longer returns"
            },
            p.feature,
            p.needle
        );
    }
}

fn server_url(var: &str) -> Option<String> {
    match std::env::var(var).ok().filter(|v| !v.is_empty()) {
        Some(url) => Some(url),
        None => {
            assert!(
                std::env::var("RETORT_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
                "{var} is unset but RETORT_TEST_REQUIRE_ALL=1"
            );
            eprintln!("skipping: {var} is unset (run through scripts/with-databases.sh)");
            None
        }
    }
}

/// `url` with its database (the path) replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let cut = url[after_scheme..]
        .find(['/', '?'])
        .map_or(url.len(), |i| after_scheme + i);
    format!("{}/{db}", &url[..cut])
}

fn unique_name() -> String {
    format!(
        "rt_gap_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

#[tokio::test(flavor = "current_thread")]
async fn sqlite_discovery_misses_checks_collations_and_partial_predicates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("gap.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("sqlite pool");
    for sql in [
        "CREATE TABLE gap_t (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE, \
         n INTEGER CONSTRAINT ck_gap_positive CHECK (n > 41))",
        "CREATE INDEX ix_gap_email ON gap_t (email)",
        "CREATE INDEX ix_gap_partial ON gap_t (n) WHERE n > 100",
    ] {
        pool.execute(sql).await.expect("setup");
    }
    let schema = sea_schema::sqlite::discovery::SchemaDiscovery::new(pool.clone())
        .discover()
        .await
        .expect("sea-schema discovery runs on SQLite");
    let text = format!("{schema:?}");
    assert_probes(
        "SQLite",
        &text,
        &[
            Probe {
                feature: "index",
                needle: "ix_gap_email",
                discovered: true,
            },
            Probe {
                feature: "partial index predicate",
                needle: "n > 100",
                discovered: false,
            },
            Probe {
                feature: "check constraint",
                needle: "n > 41",
                discovered: false,
            },
            Probe {
                feature: "column collation",
                needle: "NOCASE",
                discovered: false,
            },
        ],
    );
    pool.close().await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_discovery_misses_indexes_comments_and_partial_predicates() {
    let Some(server) = server_url("RETORT_TEST_POSTGRES_URL") else {
        return;
    };
    let name = unique_name();
    let mut admin = sqlx::PgConnection::connect(&server).await.expect("admin");
    admin
        .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE \"{name}\""
        ))))
        .await
        .expect("create database");
    let pool = sqlx::PgPool::connect(&with_database(&server, &name))
        .await
        .expect("pool");
    for sql in [
        "CREATE TABLE gap_t (id INTEGER PRIMARY KEY, email TEXT, \
         n INTEGER CONSTRAINT ck_gap_positive CHECK (n > 41))",
        "CREATE INDEX ix_gap_email ON gap_t (email)",
        "CREATE UNIQUE INDEX ux_gap_partial ON gap_t (n) WHERE n > 100",
        "COMMENT ON TABLE gap_t IS 'gap table remark'",
        "COMMENT ON COLUMN gap_t.email IS 'gap column remark'",
    ] {
        pool.execute(sql).await.expect("setup");
    }
    let schema = sea_schema::postgres::discovery::SchemaDiscovery::new(pool.clone(), "public")
        .discover()
        .await
        .expect("sea-schema discovery runs on PostgreSQL");
    let text = format!("{schema:?}");
    pool.close().await;
    admin
        .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        ))))
        .await
        .expect("drop database");
    assert_probes(
        "PostgreSQL",
        &text,
        &[
            Probe {
                feature: "check constraint",
                needle: "41",
                discovered: true,
            },
            Probe {
                feature: "non-unique index",
                needle: "ix_gap_email",
                discovered: false,
            },
            Probe {
                feature: "partial unique index predicate",
                needle: "100",
                discovered: false,
            },
            Probe {
                feature: "table comment",
                needle: "gap table remark",
                discovered: false,
            },
            Probe {
                feature: "column comment",
                needle: "gap column remark",
                discovered: false,
            },
        ],
    );
}

#[tokio::test(flavor = "current_thread")]
async fn mysql_discovery_misses_check_constraints() {
    let Some(server) = server_url("RETORT_TEST_MYSQL_URL") else {
        return;
    };
    let name = unique_name();
    let mut admin = sqlx::MySqlConnection::connect(&server)
        .await
        .expect("admin");
    admin
        .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4"
        ))))
        .await
        .expect("create database");
    let pool = sqlx::MySqlPool::connect(&with_database(&server, &name))
        .await
        .expect("pool");
    for sql in [
        "CREATE TABLE gap_t (id INTEGER PRIMARY KEY, email VARCHAR(100) COLLATE utf8mb4_bin, \
         n INTEGER, CONSTRAINT ck_gap_positive CHECK (n > 41)) COMMENT 'gap table remark'",
        "CREATE INDEX ix_gap_email ON gap_t (email(10))",
    ] {
        pool.execute(sql).await.expect("setup");
    }
    let schema = sea_schema::mysql::discovery::SchemaDiscovery::new(pool.clone(), &name)
        .discover()
        .await
        .expect("sea-schema discovery runs on MariaDB");
    let text = format!("{schema:?}");
    pool.close().await;
    admin
        .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS `{name}`"
        ))))
        .await
        .expect("drop database");
    assert_probes(
        "MariaDB",
        &text,
        &[
            Probe {
                feature: "index",
                needle: "ix_gap_email",
                discovered: true,
            },
            Probe {
                feature: "table comment",
                needle: "gap table remark",
                discovered: true,
            },
            Probe {
                feature: "check constraint",
                needle: "ck_gap_positive",
                discovered: false,
            },
        ],
    );
}
