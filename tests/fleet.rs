//! Fleets (issue 15): `targets:` / `targets_from:`, `--target`/`--all-targets` fan-out
//! with `--jobs`, per-target summaries, re-runs that touch only what is behind, and
//! drift across the fleet — on 20 SQLite files, 10 PostgreSQL databases, 10 schemas in
//! one PostgreSQL database, and a few MariaDB databases.

mod common;

use std::path::Path;

use common::{copy_example_project, retort, temp_project, write, Run};
use retort_engine::db::Connection;
use retort_engine::fleet::Target;
use serde_json::Value;

const HEAD: &str = "4d5e6f708192";
const PARENT: &str = "3c4d5e6f7081";

/// Writes the example project with `targets` declared in `retort.yaml`.
fn project_with_targets(dir: &Path, targets: &[Target]) {
    copy_example_project(dir);
    let mut yaml = String::from("schema: schema.yaml\nversions: versions\ntargets:\n");
    for t in targets {
        match &t.schema {
            Some(s) => yaml.push_str(&format!(
                "  {}: {{url: \"{}\", schema: {s}}}\n",
                t.name, t.url
            )),
            None => yaml.push_str(&format!("  {}: \"{}\"\n", t.name, t.url)),
        }
    }
    write(&dir.join("retort.yaml"), &yaml);
}

async fn exec(target: &Target, sql: &str) {
    let mut conn = Connection::connect(&target.session_url())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", target.name));
    conn.execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", target.name));
    conn.close().await;
}

async fn version_rows(target: &Target) -> Vec<String> {
    let mut conn = Connection::connect_read_only(&target.session_url())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", target.name));
    let rows = conn
        .query("SELECT version_num FROM retort_version")
        .await
        .map(|rows| rows.into_iter().filter_map(|r| r[0].clone()).collect())
        .unwrap_or_default();
    conn.close().await;
    rows
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.all()))
}

fn by_name<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

/// The acceptance scenario on any fleet of at least three targets:
/// one target fails (a conflicting table made by hand), the others reach head, exit 1;
/// after fixing it a second run touches only that target; hand-made drift in two
/// targets is found by `check --all-targets`, and `current --all-targets` groups the
/// targets by revision.
async fn fleet_scenario(label: &str, targets: &[Target]) {
    assert!(targets.len() >= 3);
    let dir = temp_project();
    project_with_targets(dir.path(), targets);
    let n = targets.len();
    let broken = &targets[n / 2];
    exec(broken, "CREATE TABLE stocks (conflict INTEGER)").await;

    let run = retort(
        dir.path(),
        &["upgrade", "head", "--all-targets", "--jobs", "4"],
    );
    assert_eq!(run.code, 1, "{label}: {}", run.all());
    let broken_row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{} ", broken.name)))
        .unwrap_or_else(|| panic!("{label}: no row for {}: {}", broken.name, run.all()));
    assert!(
        broken_row.contains("failed: revision 2b3c4d5e6f70"),
        "{label}: {broken_row}"
    );
    assert!(broken_row.contains("stocks"), "{label}: {broken_row}");
    assert!(
        run.stdout
            .contains(&format!("{n} target(s): {} ok, 1 failed", n - 1)),
        "{label}: {}",
        run.all()
    );
    assert!(
        run.stderr
            .contains(&format!("error: target {}", broken.name)),
        "{label}: {}",
        run.all()
    );
    assert!(!run.all().contains(":secret") && !run.all().contains("password="));
    for t in targets {
        let rows = version_rows(t).await;
        if t.name == broken.name {
            assert_ne!(rows, [HEAD], "{label}: {} must not be at head", t.name);
        } else {
            assert_eq!(rows, [HEAD], "{label}: {}", t.name);
        }
    }

    // Fix it; the second run touches only the broken target.
    exec(broken, "DROP TABLE stocks").await;
    let run = retort(
        dir.path(),
        &[
            "upgrade",
            "head",
            "--all-targets",
            "--jobs",
            "4",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{label}: {}", run.all());
    let report = json(&run);
    assert_eq!(report["ok"], n, "{label}: {report}");
    for t in targets {
        let row = by_name(&report, &t.name);
        assert_eq!(row["to"], serde_json::json!([HEAD]), "{label}: {row}");
        assert_eq!(row["status"], "ok");
        assert_eq!(
            row["changed"],
            t.name == broken.name,
            "{label}: only {} is touched: {row}",
            broken.name
        );
        assert_eq!(version_rows(t).await, [HEAD], "{label}: {}", t.name);
    }

    // Hand-made drift in two targets.
    let (extra, widened) = (&targets[0], &targets[n - 1]);
    exec(extra, "CREATE TABLE drift_extra (id INTEGER)").await;
    exec(
        widened,
        "ALTER TABLE stocks ADD COLUMN drift_note VARCHAR(20)",
    )
    .await;
    let run = retort(dir.path(), &["check", "--all-targets"]);
    assert_eq!(run.code, 1, "{label}: {}", run.all());
    assert!(
        run.stdout
            .contains("2 target(s) differ from schema.yaml at head:"),
        "{label}: {}",
        run.all()
    );
    assert!(
        run.stdout
            .contains(&format!("  {}: 1 operation(s)", extra.name)),
        "{label}: {}",
        run.all()
    );
    assert!(
        run.stdout
            .contains(&format!("  {}: 1 operation(s)", widened.name)),
        "{label}: {}",
        run.all()
    );
    assert!(
        run.stdout.contains("drift_extra") && run.stdout.contains("drift_note"),
        "{label}: {}",
        run.all()
    );
    let report = json(&retort(
        dir.path(),
        &["check", "--all-targets", "--format", "json"],
    ));
    let mut differing: Vec<String> = report["differing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{}={}", d["name"].as_str().unwrap(), d["operations"]))
        .collect();
    differing.sort();
    let mut want = vec![format!("{}=1", extra.name), format!("{}=1", widened.name)];
    want.sort();
    assert_eq!(differing, want, "{label}: {report}");
    for t in &targets[1..n - 1] {
        assert_eq!(
            by_name(&report, &t.name)["matches"],
            true,
            "{label}: {report}"
        );
    }

    // One target moved back by hand: `current` groups by revision.
    let moved = &targets[1];
    let run = retort(dir.path(), &["downgrade", "-1", "--target", &moved.name]);
    assert_eq!(run.code, 0, "{label}: {}", run.all());
    assert_eq!(version_rows(moved).await, [PARENT], "{label}");
    let run = retort(dir.path(), &["current", "--all-targets"]);
    assert_eq!(run.code, 0, "{label}: {}", run.all());
    let others: Vec<&str> = targets
        .iter()
        .filter(|t| t.name != moved.name)
        .map(|t| t.name.as_str())
        .collect();
    assert!(
        run.stdout.contains(&format!(
            "{HEAD} (head) ({} target(s)): {}",
            n - 1,
            others.join(", ")
        )),
        "{label}: {}",
        run.all()
    );
    assert!(
        run.stdout
            .contains(&format!("{PARENT} (1 target(s)): {}", moved.name)),
        "{label}: {}",
        run.all()
    );
    let report = json(&retort(
        dir.path(),
        &["current", "--all-targets", "--format", "json"],
    ));
    assert_eq!(
        report["groups"].as_array().unwrap().len(),
        2,
        "{label}: {report}"
    );
    assert_eq!(
        report["groups"][1]["revisions"],
        serde_json::json!([PARENT])
    );
    assert_eq!(report["groups"][1]["at_head"], false);
}

fn sqlite_targets(dir: &Path, count: usize) -> Vec<Target> {
    (0..count)
        .map(|i| Target {
            name: format!("tenant_{i:02}"),
            url: format!(
                "sqlite://{}",
                dir.join(format!("tenant_{i:02}.db")).display()
            ),
            schema: None,
        })
        .collect()
}

#[tokio::test]
async fn twenty_sqlite_files() {
    let dbs = temp_project();
    fleet_scenario("sqlite", &sqlite_targets(dbs.path(), 20)).await;
}

/// Creates `count` fresh databases on the server at `var`; None when it is unset.
async fn server_databases(var: &str, prefix: &str, count: usize) -> Option<(String, Vec<String>)> {
    let server = std::env::var(var).ok().filter(|s| !s.is_empty())?;
    let mut conn = Connection::connect(&server)
        .await
        .expect("server reachable");
    let mut names = Vec::new();
    for i in 0..count {
        let name = format!("rt_fleet_{prefix}_{}_{i}", std::process::id());
        let q = if server.starts_with("postgres") {
            '"'
        } else {
            '`'
        };
        conn.execute(&format!("CREATE DATABASE {q}{name}{q}"))
            .await
            .expect("create database");
        names.push(name);
    }
    conn.close().await;
    Some((server, names))
}

async fn drop_databases(server: &str, names: &[String]) {
    let mut conn = Connection::connect(server).await.expect("server reachable");
    for name in names {
        let sql = if server.starts_with("postgres") {
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
        } else {
            format!("DROP DATABASE IF EXISTS `{name}`")
        };
        let _ = conn.execute(&sql).await;
    }
    conn.close().await;
}

fn with_database(server: &str, db: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let cut = base.rfind('/').expect("server URL has a database part");
    match query {
        Some(q) => format!("{}/{db}?{q}", &base[..cut]),
        None => format!("{}/{db}", &base[..cut]),
    }
}

#[tokio::test]
async fn ten_postgres_databases() {
    let Some((server, names)) = server_databases("RETORT_TEST_POSTGRES_URL", "pg", 10).await else {
        eprintln!("skipping: RETORT_TEST_POSTGRES_URL is unset");
        return;
    };
    let targets: Vec<Target> = names
        .iter()
        .enumerate()
        .map(|(i, db)| Target {
            name: format!("db_{i:02}"),
            url: with_database(&server, db),
            schema: None,
        })
        .collect();
    fleet_scenario("postgres databases", &targets).await;
    drop_databases(&server, &names).await;
}

#[tokio::test]
async fn three_mariadb_databases() {
    let Some((server, names)) = server_databases("RETORT_TEST_MYSQL_URL", "my", 3).await else {
        eprintln!("skipping: RETORT_TEST_MYSQL_URL is unset");
        return;
    };
    let targets: Vec<Target> = names
        .iter()
        .enumerate()
        .map(|(i, db)| Target {
            name: format!("shop_{i}"),
            url: with_database(&server, db),
            schema: None,
        })
        .collect();
    fleet_scenario("mariadb", &targets).await;
    drop_databases(&server, &names).await;
}

#[tokio::test]
async fn ten_postgres_schemas_in_one_database() {
    let Some((server, names)) = server_databases("RETORT_TEST_POSTGRES_URL", "schemas", 1).await
    else {
        eprintln!("skipping: RETORT_TEST_POSTGRES_URL is unset");
        return;
    };
    let url = with_database(&server, &names[0]);
    let targets: Vec<Target> = (0..10)
        .map(|i| Target {
            name: format!("tenant_{i:02}"),
            url: url.clone(),
            schema: Some(format!("tenant_{i:02}")),
        })
        .collect();
    // The broken target's schema exists before the run; the others are created by it.
    exec(
        &Target {
            schema: None,
            ..targets[5].clone()
        },
        "CREATE SCHEMA tenant_05",
    )
    .await;
    fleet_scenario("postgres schemas", &targets).await;
    // Everything lives in the tenants' schemas: the version table too, nothing in public.
    let mut conn = Connection::connect(&url).await.unwrap();
    let rows = conn
        .query("SELECT table_schema, count(*) FROM information_schema.tables WHERE table_name IN ('retort_version', 'users', 'stocks') GROUP BY table_schema ORDER BY table_schema")
        .await
        .unwrap();
    conn.close().await;
    let schemas: Vec<String> = rows
        .iter()
        .map(|r| format!("{}={}", r[0].as_deref().unwrap(), r[1].as_deref().unwrap()))
        .collect();
    let want: Vec<String> = (0..10).map(|i| format!("tenant_{i:02}=3")).collect();
    assert_eq!(schemas, want);
    drop_databases(&server, &names).await;
}

#[test]
fn targets_from_a_command_and_a_file_with_globs_and_jobs() {
    let dir = temp_project();
    copy_example_project(dir.path());
    write(
        &dir.path().join("retort.yaml"),
        "targets:\n  main: sqlite://main.db\ntargets_from: {command: \"for i in 1 2 3; do echo eu_$i sqlite://eu_$i.db; done; echo '# done'\"}\n",
    );
    let run = retort(
        dir.path(),
        &["upgrade", "head", "--target", "eu_*", "--jobs", "2"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("3 target(s): 3 ok, 0 failed"),
        "{}",
        run.all()
    );
    for i in 1..=3 {
        assert!(dir.path().join(format!("eu_{i}.db")).exists());
    }
    assert!(
        !dir.path().join("main.db").exists(),
        "main was not selected"
    );
    // A file source; its mistakes are reported with file:line.
    write(
        &dir.path().join("fleet.txt"),
        "# tenants\na sqlite://a.db\n\nb mysql://u@h/db extra_schema\nc\n",
    );
    write(&dir.path().join("retort.yaml"), "targets_from: fleet.txt\n");
    let run = retort(dir.path(), &["current", "--all-targets"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("fleet.txt:4: target `b`: a schema is supported on PostgreSQL only"),
        "{}",
        run.all()
    );
    assert!(
        run.stderr
            .contains("fleet.txt:5: expected `name url [schema]`"),
        "{}",
        run.all()
    );
    // A failing command says so.
    write(
        &dir.path().join("retort.yaml"),
        "targets_from: {command: \"echo nope >&2; exit 3\"}\n",
    );
    let run = retort(dir.path(), &["current", "--all-targets"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("targets_from command `echo nope >&2; exit 3` failed"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("nope"), "{}", run.all());
}

#[test]
fn selection_mistakes_and_usage() {
    let dir = temp_project();
    copy_example_project(dir.path());
    write(
        &dir.path().join("retort.yaml"),
        "database_url: sqlite://default.db\ntargets:\n  a: sqlite://a.db\n  b: {url: \"postgres://u:secretpw@127.0.0.1:1/x\", schema: s}\n",
    );
    let run = retort(dir.path(), &["upgrade", "head", "--target", "zz*"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("no target matches `zz*`; declared targets: a, b"),
        "{}",
        run.all()
    );
    // Commands without a database refuse the flags (usage, exit 2), as does --url with them.
    assert_eq!(retort(dir.path(), &["heads", "--all-targets"]).code, 2);
    assert_eq!(
        retort(
            dir.path(),
            &["upgrade", "head", "--target", "a", "--url", "sqlite://x.db"]
        )
        .code,
        2
    );
    assert_eq!(
        retort(
            dir.path(),
            &["upgrade", "head", "--all-targets", "--jobs", "0"]
        )
        .code,
        2
    );
    // A single-database command needs exactly one target.
    let run = retort(dir.path(), &["diff", "--all-targets"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("works on one database, but the selection names 2 targets (a, b)"),
        "{}",
        run.all()
    );
    // An unreachable target fails alone, password masked; the default database is untouched.
    let run = retort(dir.path(), &["upgrade", "head", "--all-targets"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(!run.all().contains("secretpw"), "{}", run.all());
    assert!(
        run.stderr
            .contains("error: target b (postgres://u:***@127.0.0.1:1/x (schema s))"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("2 target(s): 1 ok, 1 failed"),
        "{}",
        run.all()
    );
    assert!(!dir.path().join("default.db").exists());
    // --fail-fast with one job: after b fails nothing else starts.
    write(
        &dir.path().join("retort.yaml"),
        "targets:\n  b: postgres://u@127.0.0.1:1/x\n  c: sqlite://c.db\n",
    );
    let run = retort(
        dir.path(),
        &[
            "upgrade",
            "head",
            "--all-targets",
            "--jobs",
            "1",
            "--fail-fast",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains("c  <base> -> <base>  0.00s  skipped (--fail-fast)"),
        "{}",
        run.all()
    );
    assert!(!dir.path().join("c.db").exists());
    // The default target is used when no flag is given.
    let run = retort(dir.path(), &["upgrade", "head", "-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(dir.path().join("retort.db").exists());
}

#[test]
fn stamp_fans_out_and_skips_what_is_there() {
    let dir = temp_project();
    let dbs = temp_project();
    let targets = sqlite_targets(dbs.path(), 3);
    project_with_targets(dir.path(), &targets);
    let run = retort(dir.path(), &["stamp", PARENT, "--all-targets"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        run.stdout.matches(&format!("<base> -> {PARENT}")).count(),
        3,
        "{}",
        run.all()
    );
    let run = retort(
        dir.path(),
        &["stamp", PARENT, "--target", "tenant_0*", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let report = json(&run);
    assert!(
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["changed"] == false),
        "{report}"
    );
    let run = retort(dir.path(), &["stamp", "base", "--target", "tenant_01"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains(&format!("tenant_01  {PARENT} -> <base>")),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("1 target(s): 1 ok, 0 failed"),
        "{}",
        run.all()
    );
}
