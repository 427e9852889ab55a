//! Schema-qualified tables on PostgreSQL (issue 15, item 4): tables declared as
//! `audit.events` are created, reflected and compared, foreign keys cross schemas,
//! indexes live in their table's schema, `include_schemas` limits reflection and
//! comparison, autogenerate creates a missing schema, MySQL/MariaDB and SQLite refuse
//! qualified names before anything runs, and targets in different schemas of one
//! database take their run locks without waiting for each other.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_refused, retort, retort_bin, temp_project, write, Run};
use retort_engine::db::Connection;
use serde_json::Value;

/// Tables in two schemas (two of them called `events`, with indexes and keys of the same
/// names), foreign keys across the schemas both ways and within `audit`, an index and
/// comments on a table in `audit`.
const SCHEMA: &str = r#"tables:
  events:
    columns:
      id: {type: integer, primary_key: true}
      kind: {type: varchar(10)}
    indexes:
      - {columns: [kind, id]}
  users:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: varchar(100), nullable: false, index: true}
  reports:
    columns:
      id: {type: integer, primary_key: true}
      event_id: {type: bigint, foreign_key: audit.events.id}
  audit.events:
    comment: What happened
    columns:
      id: {type: bigint, primary_key: true}
      user_id: {type: integer, nullable: false, foreign_key: {references: users.id, on_delete: cascade}}
      kind: {type: varchar(20), nullable: false, comment: The kind}
    indexes:
      - {columns: [kind, id]}
  audit.details:
    columns:
      id: {type: integer, primary_key: true}
      event_id: {type: bigint, nullable: false}
    foreign_keys:
      - {columns: [event_id], references: {table: audit.events, columns: [id]}}
"#;

/// A fresh PostgreSQL database for one test (dropped by [`PgDb::drop`]).
struct PgDb {
    server: String,
    name: String,
    url: String,
}

impl PgDb {
    /// None (and a note) when `RETORT_TEST_POSTGRES_URL` is unset.
    async fn create(test: &str) -> Option<PgDb> {
        let Some(server) = std::env::var("RETORT_TEST_POSTGRES_URL")
            .ok()
            .filter(|s| !s.is_empty())
        else {
            assert!(
                std::env::var("RETORT_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
                "RETORT_TEST_POSTGRES_URL is unset but RETORT_TEST_REQUIRE_ALL=1"
            );
            eprintln!("skipping {test}: RETORT_TEST_POSTGRES_URL is unset");
            return None;
        };
        let name = format!("rt_pgschemas_{test}_{}", std::process::id());
        let mut conn = Connection::connect(&server)
            .await
            .expect("server reachable");
        conn.execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create database");
        conn.close().await;
        let (base, query) = server
            .split_once('?')
            .map_or((server.as_str(), None), |(b, q)| (b, Some(q)));
        let cut = base.rfind('/').expect("server URL has a database part");
        let url = match query {
            Some(q) => format!("{}/{name}?{q}", &base[..cut]),
            None => format!("{}/{name}", &base[..cut]),
        };
        Some(PgDb { server, name, url })
    }

    async fn exec(&self, sql: &str) {
        let mut conn = Connection::connect(&self.url).await.expect("connect");
        conn.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await;
    }

    /// The first column of every row of `sql`.
    async fn column(&self, sql: &str) -> Vec<String> {
        let mut conn = Connection::connect(&self.url).await.expect("connect");
        let rows = conn
            .query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await;
        rows.into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect()
    }

    async fn drop(&self) {
        let mut conn = Connection::connect(&self.server).await.expect("connect");
        let _ = conn
            .execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await;
        conn.close().await;
    }
}

/// A project at `dir` on `url` with `extra` config lines and `schema` as schema.yaml.
fn project(dir: &Path, url: &str, extra: &str, schema: &str) {
    write(
        &dir.join("retort.yaml"),
        &format!("database_url: \"{url}\"\nschema: schema.yaml\nversions: versions\n{extra}"),
    );
    write(&dir.join("schema.yaml"), schema);
    std::fs::create_dir_all(dir.join("versions")).unwrap();
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let run = retort(dir, args);
    assert_eq!(run.code, 0, "retort {args:?}:\n{}", run.all());
    run
}

/// The operations `check --format json` reports, described.
fn check_operations(dir: &Path) -> Vec<String> {
    let run = retort(dir, &["check", "--format", "json"]);
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("check --format json is not JSON ({e}):\n{}", run.all()));
    assert_eq!(v["up_to_date"], true, "{}", run.all());
    let ops: Vec<String> = v["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect();
    assert_eq!(run.code, i32::from(!ops.is_empty()), "{}", run.all());
    ops
}

#[tokio::test]
async fn qualified_tables_autogenerate_upgrade_reflect_check_downgrade() {
    let Some(db) = PgDb::create("roundtrip").await else {
        return;
    };
    let dir = temp_project();
    let dir = dir.path();
    project(dir, &db.url, "include_schemas: [public, audit]\n", SCHEMA);
    ok(dir, &["validate"]);

    // Autogenerate on an empty database: the missing schema is created first (and
    // dropped last on the way down), every name quoted part by part.
    ok(dir, &["revision", "--autogenerate", "-m", "init"]);
    let file = std::fs::read_dir(dir.join("versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("_init.yaml"))
        .expect("the revision file");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("CREATE SCHEMA IF NOT EXISTS \\\"audit\\\"")
            || text.contains("CREATE SCHEMA IF NOT EXISTS \"audit\""),
        "{text}"
    );
    assert!(text.contains("DROP SCHEMA IF EXISTS"), "{text}");
    assert!(text.contains("audit.events"), "{text}");
    let sql = ok(dir, &["upgrade", "head", "--sql"]).stdout;
    assert!(sql.contains("CREATE TABLE \"audit\".\"events\""), "{sql}");
    assert!(
        sql.contains("REFERENCES \"audit\".\"events\" (\"id\")"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE INDEX \"ix_events_kind_id\" ON \"audit\".\"events\""),
        "{sql}"
    );
    assert!(!sql.contains("\"audit.events\""), "{sql}");

    ok(dir, &["upgrade", "head"]);
    let tables = db
        .column("SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema IN ('public', 'audit') ORDER BY 1")
        .await;
    for t in [
        "audit.details",
        "audit.events",
        "public.events",
        "public.reports",
        "public.users",
        "public.retort_version",
    ] {
        assert!(tables.contains(&t.to_string()), "{t} in {tables:?}");
    }
    assert_eq!(
        db.column("SELECT schemaname || '.' || tablename FROM pg_indexes WHERE indexname = 'ix_events_kind_id' ORDER BY 1")
            .await,
        ["audit.events", "public.events"],
        "each index lives in its table's schema"
    );
    assert_eq!(
        db.column("SELECT n.nspname || '.' || con.conname FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE con.contype = 'f' ORDER BY 1")
            .await,
        [
            "audit.fk_details_event_id_events",
            "audit.fk_events_user_id_users",
            "public.fk_reports_event_id_events"
        ]
    );
    assert_eq!(check_operations(dir), Vec::<String>::new());

    // reflect writes the tables outside the default schema qualified; that file
    // validates and compares equal.
    let reflected = ok(dir, &["reflect"]).stdout;
    for needle in [
        "audit.events:",
        "audit.details:",
        "users:",
        "table: audit.events",
    ] {
        assert!(reflected.contains(needle), "{needle} in:\n{reflected}");
    }
    assert!(!reflected.contains("public."), "{reflected}");
    write(&dir.join("schema.yaml"), &reflected);
    ok(dir, &["validate"]);
    assert_eq!(check_operations(dir), Vec::<String>::new());

    // A hand-made index in `audit` is found, and the revision dropping it runs (the
    // index is named in its schema, which is not on the search path).
    db.exec("CREATE INDEX ix_by_hand ON audit.events (user_id)")
        .await;
    let ops = check_operations(dir);
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert!(
        ops[0].contains("drop_index") && ops[0].contains("ix_by_hand"),
        "{ops:?}"
    );
    ok(
        dir,
        &["revision", "--autogenerate", "-m", "drop_hand_index"],
    );
    ok(dir, &["upgrade", "head"]);
    assert!(db
        .column("SELECT indexname::text FROM pg_indexes WHERE indexname = 'ix_by_hand'")
        .await
        .is_empty());
    ok(dir, &["downgrade", "-1"]);
    assert_eq!(
        db.column("SELECT schemaname::text FROM pg_indexes WHERE indexname = 'ix_by_hand'")
            .await,
        ["audit"]
    );

    // All the way down: the tables and the schema autogenerate created are gone.
    ok(dir, &["downgrade", "base"]);
    assert!(db
        .column("SELECT nspname::text FROM pg_namespace WHERE nspname = 'audit'")
        .await
        .is_empty());
    assert!(db
        .column("SELECT table_name::text FROM information_schema.tables WHERE table_name IN ('users', 'reports', 'events', 'details')")
        .await
        .is_empty());
    db.drop().await;
}

#[tokio::test]
async fn include_schemas_limits_reflection_and_comparison() {
    let Some(db) = PgDb::create("include").await else {
        return;
    };
    db.exec("CREATE SCHEMA audit; CREATE SCHEMA other; CREATE TABLE users (id integer PRIMARY KEY); CREATE TABLE audit.events (id integer PRIMARY KEY, user_id integer REFERENCES users (id)); CREATE TABLE other.stray (id integer PRIMARY KEY)")
        .await;
    let dir = temp_project();
    let dir = dir.path();
    let declared = "tables:\n  users:\n    columns:\n      id: {type: integer, primary_key: true, autoincrement: false}\n  audit.events:\n    columns:\n      id: {type: integer, primary_key: true, autoincrement: false}\n      user_id: {type: integer, foreign_key: {references: users.id, name: events_user_id_fkey}}\n";

    // Without include_schemas, reflection reads the default schema and the schemas
    // schema.yaml names: none for a fresh project, `audit` here; never `other`.
    project(dir, &db.url, "", "tables: {}\n");
    let reflected = ok(dir, &["reflect"]).stdout;
    assert!(reflected.contains("users:"), "{reflected}");
    assert!(
        !reflected.contains("audit.") && !reflected.contains("stray"),
        "{reflected}"
    );
    project(dir, &db.url, "", declared);
    let reflected = ok(dir, &["reflect"]).stdout;
    assert!(reflected.contains("audit.events:"), "{reflected}");
    assert!(!reflected.contains("stray"), "{reflected}");
    assert_eq!(check_operations(dir), Vec::<String>::new());

    // include_schemas: [public, audit] reads those two; `other` stays out.
    project(dir, &db.url, "include_schemas: [public, audit]\n", declared);
    let reflected = ok(dir, &["reflect"]).stdout;
    assert!(reflected.contains("audit.events:"), "{reflected}");
    assert!(!reflected.contains("stray"), "{reflected}");
    assert_eq!(check_operations(dir), Vec::<String>::new());

    // Adding `other` brings its table into reflection and comparison.
    project(
        dir,
        &db.url,
        "include_schemas: [public, audit, other]\n",
        declared,
    );
    assert!(ok(dir, &["reflect"]).stdout.contains("other.stray:"));
    let ops = check_operations(dir);
    assert_eq!(ops.len(), 1, "{ops:?}");
    assert!(
        ops[0].contains("drop_table") && ops[0].contains("other.stray"),
        "{ops:?}"
    );

    // include_schemas: [public] leaves `audit` out of reflection, and declared tables of
    // schemas left out are not compared either.
    project(
        dir,
        &db.url,
        "include_schemas: [public]\n",
        &format!("{declared}  ignored.thing:\n    columns:\n      id: integer\n"),
    );
    let reflected = ok(dir, &["reflect"]).stdout;
    assert!(!reflected.contains("audit."), "{reflected}");
    let ops = check_operations(dir);
    assert_eq!(ops, Vec::<String>::new());
    db.drop().await;
}

/// Where `needle` is in `path`: `path:LINE:` (1-based).
fn line_of(path: &Path, needle: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let n = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} in {text}"));
    format!("{}:{}:", path.display(), n + 1)
}

/// MySQL/MariaDB and SQLite refuse schema-qualified names, in schema.yaml (validate,
/// check) and in revision files (validate, and upgrade before anything runs).
async fn refused_on(label: &str, url: &str, display: &str) {
    let dir = temp_project();
    let dir = dir.path();
    let schema = "tables:\n  users:\n    columns:\n      id: {type: integer, primary_key: true}\n  audit.events:\n    columns:\n      id: {type: integer, primary_key: true}\n";
    project(dir, url, "", schema);
    let at = line_of(&dir.join("schema.yaml"), "audit.events:");
    let fix = "write `events` without `audit.`";
    for args in [&["validate"][..], &["check"][..]] {
        let run = assert_refused(dir, args, &[&at, fix, display]);
        assert!(
            run.all().contains("schema-qualified"),
            "{label}: {}",
            run.all()
        );
    }

    write(
        &dir.join("schema.yaml"),
        "tables:\n  users:\n    columns:\n      id: {type: integer, primary_key: true}\n",
    );
    write(
        &dir.join("versions/a1_init.yaml"),
        "revision: a1\ndown_revision: null\nupgrade:\n  - create_table: {name: users, columns: {id: {type: integer, primary_key: true}}}\n  - add_column: {table: users, name: event_id, type: integer, foreign_key: audit.events.id}\ndowngrade:\n  - drop_table: {name: users}\n",
    );
    let at = line_of(&dir.join("versions/a1_init.yaml"), "add_column");
    assert_refused(dir, &["validate"], &[&at, fix, display]);
    let run = assert_refused(dir, &["upgrade", "head"], &[&at, fix, "nothing was run"]);
    assert!(
        !run.all().contains("Running upgrade"),
        "{label}: {}",
        run.all()
    );
}

#[tokio::test]
async fn sqlite_refuses_qualified_names() {
    let dbs = temp_project();
    let url = format!("sqlite://{}", dbs.path().join("app.db").display());
    refused_on("sqlite", &url, "SQLite").await;
    assert!(
        !dbs.path().join("app.db").exists(),
        "nothing touched the database"
    );
}

#[tokio::test]
async fn mysql_refuses_qualified_names() {
    let Some(server) = std::env::var("RETORT_TEST_MYSQL_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!("skipping mysql_refuses_qualified_names: RETORT_TEST_MYSQL_URL is unset");
        return;
    };
    let name = format!("rt_pgschemas_my_{}", std::process::id());
    let mut conn = Connection::connect(&server)
        .await
        .expect("server reachable");
    conn.execute(&format!("CREATE DATABASE `{name}`"))
        .await
        .unwrap();
    let (base, query) = server
        .split_once('?')
        .map_or((server.as_str(), None), |(b, q)| (b, Some(q)));
    let cut = base.rfind('/').unwrap();
    let url = match query {
        Some(q) => format!("{}/{name}?{q}", &base[..cut]),
        None => format!("{}/{name}", &base[..cut]),
    };
    refused_on("mysql", &url, "MySQL").await;
    let tables = conn
        .query(&format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{name}'"
        ))
        .await
        .unwrap();
    assert!(tables.is_empty(), "nothing ran: {tables:?}");
    let _ = conn.execute(&format!("DROP DATABASE `{name}`")).await;
    conn.close().await;
}

/// Two targets in different schemas of one database: each has its own version table
/// and its own run lock, so one target's long run does not hold the other up.
#[tokio::test]
async fn targets_in_two_schemas_take_their_run_locks_concurrently() {
    let Some(db) = PgDb::create("locks").await else {
        return;
    };
    let dir = temp_project();
    let dir = dir.path();
    write(
        &dir.join("retort.yaml"),
        &format!(
            "schema: schema.yaml\nversions: versions\ntargets:\n  slow: {{url: \"{0}\", schema: tenant_slow}}\n  fast: {{url: \"{0}\", schema: tenant_fast}}\n",
            db.url
        ),
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    // The revision sleeps only in tenant_slow's schema.
    write(
        &dir.join("versions/a1_init.yaml"),
        "revision: a1\ndown_revision: null\nupgrade:\n  - create_table: {name: things, columns: {id: {type: integer, primary_key: true}}}\n  - execute: \"SELECT pg_sleep(CASE WHEN current_schema() = 'tenant_slow' THEN 8 ELSE 0 END)\"\ndowngrade:\n  - drop_table: {name: things}\n",
    );
    let mut slow = Command::new(retort_bin())
        .args(["upgrade", "head", "--target", "slow"])
        .current_dir(dir)
        .env_remove("RETORT_CONFIG")
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the retort binary runs");
    // Wait until the slow run sleeps, holding its lock.
    let deadline = Instant::now() + Duration::from_secs(30);
    while db
        .column(&format!("SELECT pid::text FROM pg_stat_activity WHERE datname = '{}' AND query LIKE 'SELECT pg_sleep(CASE%'", db.name))
        .await
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the slow run never started sleeping");
        assert!(slow.try_wait().unwrap().is_none(), "the slow run ended early");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let start = Instant::now();
    let fast = retort(dir, &["upgrade", "head", "--target", "fast"]);
    let took = start.elapsed();
    assert_eq!(fast.code, 0, "{}", fast.all());
    assert!(
        !fast.all().contains("Waiting for another retort run"),
        "the fast target waited for the slow one's lock:\n{}",
        fast.all()
    );
    assert!(
        slow.try_wait().unwrap().is_none(),
        "the fast target finished only after the slow one ({took:?}):\n{}",
        fast.all()
    );
    let slow: Run = slow.wait_with_output().unwrap().into();
    assert_eq!(slow.code, 0, "{}", slow.all());
    // Each schema has its own version table, at head.
    assert_eq!(
        db.column("SELECT table_schema::text FROM information_schema.tables WHERE table_name = 'retort_version' ORDER BY 1")
            .await,
        ["tenant_fast", "tenant_slow"]
    );
    db.drop().await;
}
