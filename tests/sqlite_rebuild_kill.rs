//! Issue 9 item 6: SQLite table rebuilds are atomic even in `transactional: false`
//! revisions. The real binary is killed (`SIGKILL`) at seeded random moments while it
//! upgrades through a non-transactional revision that rebuilds a table with rows,
//! indexes and foreign keys (both ways); every trial must leave no `_retort_tmp_*`
//! table, no missing table, index, foreign key or row, and the next `upgrade head` must
//! complete with everything in place.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{retort, retort_bin, temp_project, write};
use retort_engine::db::Connection;

const ROWS: u32 = 20_000;
const TRIALS: u32 = 24;
const SEED: u64 = 0x5eed_0009_0006;

const REV1: &str = "k1k1k1k1";
const REV2: &str = "k2k2k2k2";

fn project(dir: &Path) {
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    write(
        &dir.join("versions/k1.yaml"),
        &format!(
            r#"revision: {REV1}
down_revision: null
message: tables with rows
upgrade:
  - create_table: {{name: owners, columns: {{id: {{type: integer, primary_key: true}}, name: {{type: text}}}}}}
  - create_table:
      name: items
      columns:
        id: {{type: integer, primary_key: true}}
        owner_id: {{type: integer, nullable: false, foreign_key: {{references: owners.id, on_delete: cascade}}}}
        qty: {{type: integer}}
        note: {{type: text}}
      indexes:
        - {{name: ix_items_owner, columns: [owner_id]}}
        - {{name: ix_items_qty_note, columns: [qty, note]}}
  - create_table:
      name: tags
      columns:
        id: {{type: integer, primary_key: true}}
        item_id: {{type: integer, foreign_key: {{references: items.id}}}}
  - execute: "INSERT INTO owners (id, name) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT x, 'o' || x FROM c"
  - execute: "INSERT INTO items (id, owner_id, qty, note) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {ROWS}) SELECT x, 1 + x % 100, x % 1000, 'a note for row ' || x FROM c"
  - execute: "INSERT INTO tags (id, item_id) SELECT id, id FROM items WHERE id % 10 = 0"
downgrade:
  - drop_table: {{name: tags}}
  - drop_table: {{name: items}}
  - drop_table: {{name: owners}}
"#
        ),
    );
    write(
        &dir.join("versions/k2.yaml"),
        &format!(
            r#"revision: {REV2}
down_revision: {REV1}
message: rebuild items outside a transaction
transactional: false
upgrade:
  - alter_column: {{table: items, name: qty, nullable: false, existing_type: integer}}
  - create_check_constraint: {{name: ck_items_qty, table: items, expr: "qty >= 0"}}
  - alter_column: {{table: items, name: note, type: varchar(200), existing_type: text}}
  - create_index: {{name: ix_items_note, table: items, columns: [note]}}
downgrade:
  - drop_index: {{name: ix_items_note, table: items}}
  - alter_column: {{table: items, name: note, type: text, existing_type: varchar(200)}}
  - drop_constraint: {{name: ck_items_qty, table: items, type: check}}
  - alter_column: {{table: items, name: qty, nullable: true, existing_type: integer}}
"#
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

async fn query(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut conn = Connection::connect(url).await.expect("connect");
    let rows = conn
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await;
    rows
}

async fn names(url: &str, sql: &str) -> Vec<String> {
    let mut v: Vec<String> = query(url, sql)
        .await
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    v.sort();
    v
}

async fn count(url: &str, sql: &str) -> u64 {
    names(url, sql)
        .await
        .first()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Everything that must hold whatever moment the run was killed at; returns the
/// version rows. `when` names the trial in failure messages.
async fn assert_whole(url: &str, when: &str) -> Vec<String> {
    let objects = names(url, "SELECT type || ' ' || name FROM sqlite_master").await;
    assert!(
        !objects.iter().any(|o| o.contains("_retort_tmp_")),
        "{when}: leftover temporary table: {objects:?}"
    );
    for must in [
        "table owners",
        "table items",
        "table tags",
        "index ix_items_owner",
        "index ix_items_qty_note",
    ] {
        assert!(
            objects.iter().any(|o| o == must),
            "{when}: {must} is missing: {objects:?}"
        );
    }
    assert_eq!(
        count(url, "SELECT count(*) FROM items").await,
        u64::from(ROWS),
        "{when}: rows"
    );
    assert_eq!(
        count(url, "SELECT count(*) FROM tags").await,
        u64::from(ROWS / 10),
        "{when}: rows of the referring table"
    );
    assert_eq!(
        names(
            url,
            "SELECT \"table\" FROM pragma_foreign_key_list('items')"
        )
        .await,
        ["owners"],
        "{when}: items' foreign key"
    );
    assert_eq!(
        names(url, "SELECT \"table\" FROM pragma_foreign_key_list('tags')").await,
        ["items"],
        "{when}: the foreign key referring to items"
    );
    assert_eq!(
        names(url, "PRAGMA integrity_check").await,
        ["ok"],
        "{when}: integrity"
    );
    assert!(
        query(url, "PRAGMA foreign_key_check").await.is_empty(),
        "{when}: foreign keys"
    );
    let rows = names(url, "SELECT version_num FROM retort_version").await;
    assert!(
        rows == [REV1] || rows == [REV2],
        "{when}: version rows {rows:?}"
    );
    if rows == [REV2] {
        assert_at_rev2(url, &objects, when).await;
    }
    rows
}

/// What revision 2 made must all be there when the version table says so.
async fn assert_at_rev2(url: &str, objects: &[String], when: &str) {
    assert!(
        objects.iter().any(|o| o == "index ix_items_note"),
        "{when}: ix_items_note is missing: {objects:?}"
    );
    let sql = names(url, "SELECT sql FROM sqlite_master WHERE name = 'items'").await;
    assert!(
        sql.first().is_some_and(|s| s.contains("ck_items_qty")),
        "{when}: the check constraint is missing: {sql:?}"
    );
    assert_eq!(
        names(
            url,
            "SELECT \"notnull\" FROM pragma_table_info('items') WHERE name = 'qty'"
        )
        .await,
        ["1"],
        "{when}: qty NOT NULL"
    );
}

/// Runs `retort ARGS --url URL`, killing it with SIGKILL after `after` (if still running).
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

#[tokio::test]
async fn killing_a_non_transactional_rebuild_leaves_nothing_behind() {
    let dir = temp_project();
    let p = dir.path();
    project(p);
    let base = p.join("base.db");
    let base_url = format!("sqlite://{}", base.display());
    let r = retort(p, &["upgrade", REV1, "--url", &base_url]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_whole(&base_url, "base").await;

    // How long the upgrade through the rebuilds takes, unkilled (and the downgrade).
    let probe = p.join("probe.db");
    std::fs::copy(&base, &probe).expect("copy");
    let probe_url = format!("sqlite://{}", probe.display());
    let started = Instant::now();
    let r = retort(p, &["upgrade", "head", "--url", &probe_url]);
    let up = started.elapsed();
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(assert_whole(&probe_url, "unkilled upgrade").await, [REV2]);
    let started = Instant::now();
    let r = retort(p, &["downgrade", REV1, "--url", &probe_url]);
    let down = started.elapsed();
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(assert_whole(&probe_url, "unkilled downgrade").await, [REV1]);

    eprintln!("unkilled: upgrade {up:?}, downgrade {down:?}");
    let mut rng = Rng(SEED);
    let mut killed = 0;
    for trial in 0..TRIALS {
        // Even trials kill an upgrade from revision 1; odd ones a downgrade from 2.
        let upgrade = trial % 2 == 0;
        let db = p.join(format!("trial{trial}.db"));
        let url = format!("sqlite://{}", db.display());
        if upgrade {
            std::fs::copy(&base, &db).expect("copy");
        } else {
            std::fs::copy(&probe, &db).expect("copy");
            let r = retort(p, &["upgrade", "head", "--url", &url]);
            assert_eq!(r.code, 0, "{}", r.all());
        }
        let span = if upgrade { up } else { down };
        let after = span.mul_f64(0.05 + 0.95 * rng.next_f64());
        let args: &[&str] = if upgrade {
            &["upgrade", "head"]
        } else {
            &["downgrade", REV1]
        };
        let when = format!(
            "trial {trial} (seed {SEED:#x}): {} killed after {after:?} of {span:?}",
            args.join(" ")
        );
        if run_and_kill(p, &url, args, after) {
            killed += 1;
        }
        assert_whole(&url, &when).await;

        // The next run completes, in either direction.
        let r = retort(p, &[args[0], args[1], "--url", &url]);
        assert_eq!(r.code, 0, "{when}: the next run: {}", r.all());
        let rows = assert_whole(&url, &format!("{when}, then run again")).await;
        assert_eq!(rows, [if upgrade { REV2 } else { REV1 }], "{when}");
        if !upgrade {
            let r = retort(p, &["upgrade", "head", "--url", &url]);
            assert_eq!(r.code, 0, "{when}: upgrade after: {}", r.all());
            assert_eq!(assert_whole(&url, &when).await, [REV2]);
        }
        let _ = std::fs::remove_file(&db);
    }
    assert!(
        killed >= TRIALS / 2,
        "only {killed} of {TRIALS} runs were still running when killed; the test proves little"
    );
}

#[tokio::test]
async fn a_failing_rebuild_outside_a_transaction_rolls_back_whole() {
    let dir = temp_project();
    let p = dir.path();
    project(p);
    // A third revision whose second rebuild fails on the rows (qty < 0 holds for none).
    write(
        &p.join("versions/k3.yaml"),
        &format!(
            "revision: k3k3k3k3\ndown_revision: {REV2}\nmessage: bad check\ntransactional: false\nupgrade:\n  - alter_column: {{table: items, name: note, type: varchar(300), existing_type: varchar(200)}}\n  - create_check_constraint: {{name: ck_items_negative, table: items, expr: \"qty < 0\"}}\ndowngrade: []\n"
        ),
    );
    let url = format!("sqlite://{}", p.join("fail.db").display());
    let r = retort(p, &["upgrade", REV2, "--url", &url]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = retort(p, &["upgrade", "head", "--url", &url]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("k3k3k3k3") && r.all().contains("ck_items_negative"),
        "{}",
        r.all()
    );
    assert!(r.all().contains("rolled back"), "{}", r.all());
    assert_eq!(assert_whole(&url, "after the failure").await, [REV2]);
    let sql = names(&url, "SELECT sql FROM sqlite_master WHERE name = 'items'").await;
    assert!(
        sql.first()
            .is_some_and(|s| s.to_lowercase().contains("varchar(200)")),
        "the first rebuild was rolled back with the second: {sql:?}"
    );
}

#[test]
fn offline_sql_shows_the_rebuild_transaction() {
    let dir = temp_project();
    let p = dir.path();
    project(p);
    let r = retort(
        p,
        &[
            "upgrade",
            &format!("{REV1}:{REV2}"),
            "--sql",
            "--url",
            "sqlite://offline.db",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let out = &r.stdout;
    let begin = out.find("BEGIN;").expect("a BEGIN");
    let tmp = out.find("_retort_tmp_items").expect("a rebuild");
    let version = out.find(&format!("'{REV2}'")).expect("the version update");
    let commit = out.rfind("COMMIT;").expect("a COMMIT");
    assert!(
        begin < tmp && tmp < version && version < commit,
        "the rebuilds and the version update share one transaction:\n{out}"
    );
}

#[tokio::test]
async fn execute_operations_still_run_outside_any_transaction() {
    let dir = temp_project();
    let p = dir.path();
    project(p);
    // VACUUM cannot run inside a transaction: it works between two atomic rebuilds.
    write(
        &p.join("versions/k3.yaml"),
        &format!(
            "revision: k3k3k3k3\ndown_revision: {REV2}\nmessage: vacuum between rebuilds\ntransactional: false\nupgrade:\n  - alter_column: {{table: items, name: note, type: varchar(300), existing_type: varchar(200)}}\n  - execute: VACUUM\n  - alter_column: {{table: items, name: qty, type: bigint, existing_type: integer}}\ndowngrade: []\n"
        ),
    );
    let url = format!("sqlite://{}", p.join("vacuum.db").display());
    let r = retort(p, &["upgrade", "head", "--url", &url]);
    assert_eq!(r.code, 0, "{}", r.all());
    let objects = names(&url, "SELECT type || ' ' || name FROM sqlite_master").await;
    assert!(
        !objects.iter().any(|o| o.contains("_retort_tmp_")),
        "{objects:?}"
    );
    assert_eq!(
        names(&url, "SELECT version_num FROM retort_version").await,
        ["k3k3k3k3"]
    );
    let sql = names(
        &url,
        "SELECT lower(sql) FROM sqlite_master WHERE name = 'items'",
    )
    .await;
    assert!(
        sql.first()
            .is_some_and(|s| s.contains("varchar(300)") && s.contains("bigint")),
        "{sql:?}"
    );
}
