//! Issue 14 item 2: the run log survives crashes. On MariaDB (DDL commits as it runs),
//! the real binary is killed (`SIGKILL`) at seeded random moments during `upgrade head`
//! through revisions of several slow-ish statements; the next run must either complete
//! or name the interrupted revision and statement (never a bare DDL error), `--resume`
//! must complete it, and the schema must end exactly at head. On PostgreSQL and SQLite
//! (transactional DDL) a killed run leaves no unfinished log row. A failed statement,
//! `stamp` after fixing by hand, and `current`'s warning are checked too.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{backends, retort, retort_bin, temp_project, write};
use retort_engine::db::Connection;

const TRIALS: u32 = 20;
const SEED: u64 = 0x5eed_0014_0002;
const ROWS: u32 = 3_000;
/// At most this many runs are started to get [`TRIALS`] killed mid-run.
const ATTEMPTS: u32 = 30;

const REV1: &str = "r1r1r1r1";
const REV2: &str = "r2r2r2r2";
const REV3: &str = "r3r3r3r3";

/// Three revisions: a table with rows; then (YAML) several ALTERs on it; then (SQL)
/// several more. `rows` sets how many rows the first one inserts (from MariaDB's
/// sequence engine).
fn project(dir: &Path, rows: u32) {
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    write(
        &dir.join("versions/r1.yaml"),
        &format!(
            r#"revision: {REV1}
down_revision: null
message: a table with rows
upgrade:
  - create_table: {{name: items, columns: {{id: {{type: integer, primary_key: true, autoincrement: false}}, qty: {{type: integer}}, note: {{type: varchar(200)}}}}}}
  - execute: "INSERT INTO items (id, qty, note) SELECT seq, seq % 1000, CONCAT('a note for row ', seq) FROM seq_1_to_{rows}"
downgrade:
  - drop_table: {{name: items}}
"#
        ),
    );
    write(
        &dir.join("versions/r2.yaml"),
        &format!(
            r#"revision: {REV2}
down_revision: {REV1}
message: yaml alters
upgrade:
  - add_column: {{table: items, name: a, type: integer}}
  - alter_column: {{table: items, name: qty, type: bigint, existing_type: integer}}
  - create_index: {{name: ix_items_note, table: items, columns: [note]}}
  - add_column: {{table: items, name: b, type: varchar(20)}}
  - alter_column: {{table: items, name: note, type: text, existing_type: varchar(200)}}
downgrade:
  - alter_column: {{table: items, name: note, type: varchar(200), existing_type: text}}
  - drop_column: {{table: items, name: b}}
  - drop_index: {{name: ix_items_note, table: items}}
  - alter_column: {{table: items, name: qty, type: integer, existing_type: bigint}}
  - drop_column: {{table: items, name: a}}
"#
        ),
    );
    write(
        &dir.join("versions/r3.sql"),
        &format!(
            "-- sql alters\n--\n-- revision: {REV3}\n-- down_revision: {REV2}\n-- message: sql alters\n\n-- +upgrade\nALTER TABLE items ADD COLUMN c INT NULL;\nALTER TABLE items MODIFY qty INT NULL;\nCREATE INDEX ix_items_qty_a ON items (qty, a);\nALTER TABLE items ADD COLUMN d VARCHAR(10) NOT NULL DEFAULT 'x';\nALTER TABLE items MODIFY note VARCHAR(300) NULL;\n\n-- +downgrade\nALTER TABLE items MODIFY note TEXT NULL;\nALTER TABLE items DROP COLUMN d;\nDROP INDEX ix_items_qty_a ON items;\nALTER TABLE items MODIFY qty BIGINT NULL;\nALTER TABLE items DROP COLUMN c;\n"
        ),
    );
}

/// xorshift64*: a small seeded generator, so that a failing trial can be replayed.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs `retort ARGS --url URL`, killing it with SIGKILL after `after` (if still
/// running); true when it was killed.
fn run_and_kill(dir: &Path, url: &str, args: &[&str], after: Duration) -> bool {
    let mut child = Command::new(retort_bin())
        .args(args)
        .args(["--url", url, "-q"])
        .current_dir(dir)
        .env_remove("RETORT_CONFIG")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn retort");
    let started = Instant::now();
    while started.elapsed() < after {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = child.try_wait().expect("wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    killed
}

fn strings(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_else(|| "NULL".into()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

async fn query(url: &str, sql: &str) -> Vec<String> {
    let mut conn = Connection::connect(url).await.expect("connect");
    let rows = conn
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await;
    strings(rows)
}

/// `retort ARGS --url URL` in `dir`.
fn run(dir: &Path, url: &str, args: &[&str]) -> common::Run {
    let mut all = args.to_vec();
    all.extend(["--url", url]);
    retort(dir, &all)
}

fn ok(dir: &Path, url: &str, args: &[&str]) {
    let r = run(dir, url, args);
    assert_eq!(r.code, 0, "retort {args:?}: {}", r.all());
}

/// The MariaDB catalog of `items`: columns and indexes, in order.
async fn mysql_catalog(url: &str) -> Vec<String> {
    let mut out = query(url, "SELECT column_name, column_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'items' ORDER BY ordinal_position").await;
    out.extend(query(url, "SELECT index_name, seq_in_index, column_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'items' ORDER BY index_name, seq_in_index").await);
    out
}

async fn version_rows(url: &str) -> Vec<String> {
    query(url, "SELECT version_num FROM retort_version").await
}

/// The run log rows not closed (`running` or `failed`).
async fn unfinished_rows(url: &str) -> Vec<String> {
    query(url, "SELECT revision, direction, statements_done, status FROM retort_log WHERE status IN ('running', 'failed')").await
}

/// A fresh MariaDB database at revision 1 for one trial: (URL, server URL, name).
async fn trial_database(server: &str, base: &str, trial: u32) -> String {
    let name = format!("{base}_t{trial}");
    let mut conn = Connection::connect(server).await.expect("connect");
    conn.execute(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        .await
        .expect("create database");
    conn.close().await;
    let cut = server.rfind('/').expect("a database part");
    format!("{}/{name}", &server[..cut])
}

async fn drop_database(server: &str, url: &str) {
    let name = url.rsplit('/').next().unwrap_or_default();
    let mut conn = Connection::connect(server).await.expect("connect");
    let _ = conn
        .execute(&format!("DROP DATABASE IF EXISTS `{name}`"))
        .await;
    conn.close().await;
}

fn mysql_server() -> Option<String> {
    let url = std::env::var("RETORT_TEST_MYSQL_URL")
        .ok()
        .filter(|u| !u.is_empty() && !u.contains('?'));
    if url.is_none() {
        assert!(
            std::env::var("RETORT_TEST_REQUIRE_ALL").map_or(true, |v| v != "1"),
            "RETORT_TEST_MYSQL_URL is unset but RETORT_TEST_REQUIRE_ALL=1"
        );
        eprintln!("skipping: RETORT_TEST_MYSQL_URL is unset");
    }
    url
}

#[tokio::test]
async fn killed_mariadb_upgrades_are_detected_and_resumed() {
    let dir = temp_project();
    let p = dir.path();
    project(p, ROWS);
    let Some(server) = mysql_server() else {
        return;
    };
    let base = format!("rt_run_log_kill_{}", std::process::id());
    // The reference: head, unkilled; and how long the upgrade from revision 1 takes.
    let url = trial_database(&server, &base, 999).await;
    ok(p, &url, &["upgrade", REV1]);
    let at_rev1 = mysql_catalog(&url).await;
    let mut span = Duration::MAX;
    for _ in 0..2 {
        let started = Instant::now();
        ok(p, &url, &["upgrade", "head"]);
        span = span.min(started.elapsed());
        ok(p, &url, &["downgrade", REV1]);
        assert_eq!(mysql_catalog(&url).await, at_rev1);
    }
    ok(p, &url, &["upgrade", "head"]);
    let head = mysql_catalog(&url).await;
    assert_eq!(version_rows(&url).await, [REV3]);
    assert!(unfinished_rows(&url).await.is_empty());
    drop_database(&server, &url).await;
    eprintln!("unkilled upgrade {REV1} -> head: {span:?}");

    let mut rng = Rng(SEED);
    let (mut killed, mut refused) = (0, 0);
    for trial in 0..ATTEMPTS {
        if killed == TRIALS {
            break;
        }
        let url = trial_database(&server, &base, trial).await;
        ok(p, &url, &["upgrade", REV1]);
        // The unkilled run's time varies with the machine's load: kill within its first 80%.
        let after = span.mul_f64(0.02 + 0.78 * rng.next_f64());
        let when = format!("trial {trial} (seed {SEED:#x}): killed after {after:?} of {span:?}");
        if run_and_kill(p, &url, &["upgrade", "head"], after) {
            killed += 1;
        }
        // Never a revision claimed applied that was not: a version row at REV2 or
        // REV3 means all of REV2's changes are there.
        let rows = version_rows(&url).await;
        if rows == [REV2] || rows == [REV3] {
            let cat = mysql_catalog(&url).await;
            assert!(
                cat.iter().any(|c| c.starts_with("b varchar(20)"))
                    && cat
                        .iter()
                        .any(|c| c.starts_with("note text") || c.starts_with("note varchar(300)")),
                "{when}: the version table says {rows:?} but: {cat:?}"
            );
        }
        let next = run(p, &url, &["upgrade", "head"]);
        if next.code != 0 {
            refused += 1;
            let all = next.all();
            assert_eq!(next.code, 1, "{when}: {all}");
            assert!(
                all.contains("was interrupted at statement")
                    && (all.contains(REV2) || all.contains(REV3))
                    && all.contains("--resume")
                    && all.contains("retort stamp"),
                "{when}: the next run neither completed nor named the interrupted revision and statement:\n{all}"
            );
            let resumed = run(p, &url, &["upgrade", "head", "--resume"]);
            assert_eq!(resumed.code, 0, "{when}: --resume: {}", resumed.all());
        }
        assert_eq!(version_rows(&url).await, [REV3], "{when}");
        assert_eq!(
            mysql_catalog(&url).await,
            head,
            "{when}: the schema is not head"
        );
        let open = unfinished_rows(&url).await;
        assert!(open.is_empty(), "{when}: {open:?}");
        let count = query(&url, "SELECT count(*) FROM items").await;
        assert_eq!(count, [ROWS.to_string()], "{when}: rows");
        drop_database(&server, &url).await;
    }
    eprintln!("{killed} runs killed mid-run; {refused} next runs refused and resumed");
    assert_eq!(
        killed, TRIALS,
        "only {killed} of {ATTEMPTS} runs were still running when killed"
    );
    assert!(
        refused >= 3,
        "only {refused} of {TRIALS} kills left a revision unfinished; the test proves little"
    );
}

/// A project whose second revision's third statement fails until table `gate` exists.
fn failing_project(dir: &Path) {
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    write(
        &dir.join("versions/f1.sql"),
        "-- base\n--\n-- revision: f1f1f1f1\n-- down_revision:\n-- message: base\n\n-- +upgrade\nCREATE TABLE items (id INT PRIMARY KEY, qty INT);\n\n-- +downgrade\nDROP TABLE items;\n",
    );
    write(
        &dir.join("versions/f2.sql"),
        "-- gated\n--\n-- revision: f2f2f2f2\n-- down_revision: f1f1f1f1\n-- message: gated\n\n-- +upgrade\nALTER TABLE items ADD COLUMN a INT NULL;\nALTER TABLE items ADD COLUMN b INT NULL;\nINSERT INTO gate (id) VALUES (1);\nALTER TABLE items ADD COLUMN c INT NULL;\n\n-- +downgrade\nALTER TABLE items DROP COLUMN c;\nALTER TABLE items DROP COLUMN b;\nALTER TABLE items DROP COLUMN a;\n",
    );
}

#[tokio::test]
async fn a_failed_or_uncounted_statement_is_named_and_resumed_on_mariadb() {
    let dir = temp_project();
    let p = dir.path();
    failing_project(p);
    let Some(server) = mysql_server() else {
        return;
    };
    let base = format!("rt_run_log_fail_{}", std::process::id());
    let url = trial_database(&server, &base, 0).await;
    let r = run(p, &url, &["upgrade", "head"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(version_rows(&url).await, ["f1f1f1f1"]);
    assert_eq!(unfinished_rows(&url).await, ["f2f2f2f2 up 2 failed"]);

    // `current` warns; `upgrade` refuses, naming the revision and statement.
    let cur = run(p, &url, &["current"]);
    assert_eq!(cur.code, 0, "{}", cur.all());
    assert!(
        cur.stderr.contains("f2f2f2f2") && cur.stderr.contains("interrupted at statement 3"),
        "{}",
        cur.all()
    );
    let r = run(p, &url, &["upgrade", "head"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("upgrade of revision f2f2f2f2")
            && r.stderr.contains("interrupted at statement 3")
            && r.stderr
                .contains("statement 3 failed (it did not take effect)")
            && r.stderr.contains("--resume")
            && r.stderr.contains("retort stamp f2f2f2f2"),
        "{}",
        r.all()
    );
    // --resume with nothing fixed fails at the same statement, and says so again.
    let r = run(p, &url, &["upgrade", "head", "--resume"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("gate"), "{}", r.all());
    assert_eq!(unfinished_rows(&url).await, ["f2f2f2f2 up 2 failed"]);

    // A killed run whose statement 2 finished on the server but was not counted:
    // --resume runs it again, the database answers "Duplicate column name", and it
    // counts as done.
    query(
        &url,
        "UPDATE retort_log SET status = 'running', statements_done = 1 WHERE revision = 'f2f2f2f2'",
    )
    .await;
    query(&url, "CREATE TABLE gate (id INT)").await;
    let r = run(p, &url, &["upgrade", "head", "--resume"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.all()
            .contains("Statement 2 of revision f2f2f2f2 had taken effect"),
        "{}",
        r.all()
    );
    assert_eq!(version_rows(&url).await, ["f2f2f2f2"]);
    assert!(unfinished_rows(&url).await.is_empty());
    assert_eq!(query(&url, "SELECT count(*) FROM gate").await, ["1"]);
    let r = run(p, &url, &["upgrade", "head", "--resume"]);
    assert_eq!(r.code, 1, "--resume with nothing to resume: {}", r.all());
    assert!(r.all().contains("no interrupted revision"), "{}", r.all());

    // `stamp` after fixing by hand closes the unfinished row and is logged.
    query(&url, "DROP TABLE gate").await;
    ok(p, &url, &["downgrade", "f1f1f1f1"]);
    let r = run(p, &url, &["upgrade", "head"]);
    assert_eq!(r.code, 1, "{}", r.all());
    query(&url, "ALTER TABLE items ADD COLUMN c INT NULL").await;
    let r = run(p, &url, &["stamp", "f2f2f2f2"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("abandoned by stamp"), "{}", r.all());
    assert!(unfinished_rows(&url).await.is_empty());
    assert_eq!(
        query(
            &url,
            "SELECT revision, direction, status FROM retort_log WHERE direction = 'stamp'"
        )
        .await,
        ["f2f2f2f2 stamp done"]
    );
    assert_eq!(
        query(
            &url,
            "SELECT count(*) FROM retort_log WHERE status = 'abandoned by stamp'"
        )
        .await,
        ["1"]
    );
    let r = run(p, &url, &["upgrade", "head"]);
    assert_eq!(r.code, 0, "{}", r.all());
    drop_database(&server, &url).await;
}

/// Slow statements per transactional backend: PostgreSQL sleeps, SQLite fills a table.
fn transactional_project(dir: &Path, backend: &str) {
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    let slow = if backend == "postgres" {
        "SELECT pg_sleep(0.15);".to_string()
    } else {
        "INSERT INTO filler (x) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000) SELECT x FROM c;".to_string()
    };
    write(
        &dir.join("versions/t1.sql"),
        "-- base\n--\n-- revision: t1t1t1t1\n-- down_revision:\n-- message: base\n\n-- +upgrade\nCREATE TABLE items (id INT PRIMARY KEY);\nCREATE TABLE filler (x INT);\n\n-- +downgrade\nDROP TABLE filler;\nDROP TABLE items;\n",
    );
    for (i, col) in ["a", "b", "c"].iter().enumerate() {
        let (rev, parent) = (
            format!("t{}t{}t{}t{}", i + 2, i + 2, i + 2, i + 2),
            format!("t{}t{}t{}t{}", i + 1, i + 1, i + 1, i + 1),
        );
        write(
            &dir.join(format!("versions/t{}.sql", i + 2)),
            &format!("-- step\n--\n-- revision: {rev}\n-- down_revision: {parent}\n-- message: step\n\n-- +upgrade\nALTER TABLE items ADD COLUMN {col} INT;\n{slow}\nALTER TABLE items ADD COLUMN {col}2 INT;\n{slow}\n\n-- +downgrade\nALTER TABLE items DROP COLUMN {col}2;\nALTER TABLE items DROP COLUMN {col};\n"),
        );
    }
}

#[tokio::test]
async fn killed_runs_on_transactional_backends_leave_no_unfinished_rows() {
    let dir = temp_project();
    for b in backends("run_log_txn", dir.path())
        .await
        .into_iter()
        .filter(|b| b.name != "mysql")
    {
        let p = dir.path().join(b.name);
        transactional_project(&p, b.name);
        b.ok(&p, &["upgrade", "t1t1t1t1"]);
        let mut rng = Rng(SEED ^ 0x77);
        for trial in 0..4 {
            let after = Duration::from_millis(150 + (700.0 * rng.next_f64()) as u64);
            run_and_kill(&p, &b.url, &["upgrade", "head"], after);
            let open = strings(
                b.query("SELECT revision, status FROM retort_log WHERE status <> 'done'")
                    .await,
            );
            assert!(open.is_empty(), "{} trial {trial}: {open:?}", b.name);
            let r = b.run(&p, &["upgrade", "head"]);
            assert_eq!(r.code, 0, "{} trial {trial}: {}", b.name, r.all());
            b.ok(&p, &["downgrade", "t1t1t1t1"]);
        }
        b.drop().await;
    }
}
