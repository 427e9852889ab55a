//! Issue 5 through the binary on SQLite, PostgreSQL and MariaDB: the version table
//! through branches, merges and dependencies; transactions on failure; concurrent
//! runners; offline SQL; downgrade to base.

mod common;

use std::path::Path;

use common::{backends, retort, temp_project, write, Backend};

/// A YAML revision that creates (and on downgrade drops) table `t_<id>`, plus `extra` upgrade ops.
fn revision(id: &str, down: &[&str], deps: &[&str], labels: &[&str], extra: &str) -> String {
    let list = |xs: &[&str]| format!("[{}]", xs.join(", "));
    let down_yaml = match down {
        [] => "null".to_string(),
        [one] => one.to_string(),
        many => list(many),
    };
    format!(
        "revision: {id}\ndown_revision: {down_yaml}\ndepends_on: {}\nbranch_labels: {}\nmessage: rev {id}\nupgrade:\n  - create_table: {{name: t_{id}, columns: {{id: {{type: integer, primary_key: true}}}}}}\n{extra}downgrade:\n  - drop_table: {{name: t_{id}}}\n",
        list(deps),
        list(labels)
    )
}

fn put(dir: &Path, id: &str, text: &str) {
    write(&dir.join("versions").join(format!("{id}.yaml")), text);
}

fn run_ok(dir: &Path, b: &Backend, args: &[&str]) -> String {
    b.ok(dir, args).stdout
}

async fn rows(b: &Backend) -> Vec<String> {
    if !tables(b).await.contains(&"retort_version".to_string()) {
        return Vec::new();
    }
    let mut v: Vec<String> = b
        .query("SELECT version_num FROM retort_version")
        .await
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    v.sort();
    v
}

async fn tables(b: &Backend) -> Vec<String> {
    // The run log (retort_log) is bookkeeping, like the version table's row history.
    let mut t = b.tables().await;
    t.retain(|n| n != "retort_log");
    t
}

fn project() -> tempfile::TempDir {
    let dir = common::temp_project_with_config();
    write(&dir.path().join("schema.yaml"), "tables: {}\n");
    dir
}

#[tokio::test]
async fn linear_chain_relative_steps() {
    let dir = project();
    let ids = ["a0a0", "b0b0", "c0c0", "d0d0", "e0e0"];
    for (i, id) in ids.iter().enumerate() {
        let down: Vec<&str> = if i == 0 { vec![] } else { vec![ids[i - 1]] };
        put(dir.path(), id, &revision(id, &down, &[], &[], ""));
    }
    for b in backends("linear_chain_relative_steps", dir.path()).await {
        run_ok(dir.path(), &b, &["upgrade", "a0a0"]);
        let out = run_ok(dir.path(), &b, &["upgrade", "+2"]);
        assert!(
            out.contains("Running upgrade a0a0 -> b0b0, rev b0b0") && out.contains("b0b0 -> c0c0"),
            "{}: {out}",
            b.name
        );
        assert_eq!(rows(&b).await, vec!["c0c0"]);
        run_ok(dir.path(), &b, &["upgrade", "d0d0"]);
        let out = run_ok(dir.path(), &b, &["downgrade", "c0c0-2"]);
        let order: Vec<&str> = out
            .lines()
            .map(|l| l.split(',').next().unwrap_or(""))
            .collect();
        assert_eq!(
            order,
            vec![
                "Running downgrade d0d0 -> c0c0",
                "Running downgrade c0c0 -> b0b0",
                "Running downgrade b0b0 -> a0a0"
            ],
            "{}",
            b.name
        );
        assert_eq!(rows(&b).await, vec!["a0a0"]);
        assert_eq!(
            tables(&b).await,
            vec!["retort_version", "t_a0a0"],
            "{}",
            b.name
        );
        run_ok(dir.path(), &b, &["upgrade", "b0b0"]);
        let bad = retort(dir.path(), &["upgrade", "-2", "--url", &b.url]);
        assert_eq!(bad.code, 1);
        assert!(
            bad.stderr
                .contains("Relative revision -2 didn't produce 2 migrations"),
            "{}: {}",
            b.name,
            bad.stderr
        );
        let far = retort(dir.path(), &["downgrade", "-5", "--url", &b.url]);
        assert_eq!(far.code, 1);
        assert!(
            far.stderr
                .contains("Relative revision -5 didn't produce 5 migrations"),
            "{}",
            far.stderr
        );
        assert_eq!(
            rows(&b).await,
            vec!["b0b0"],
            "{}: a failed relative step moves nothing",
            b.name
        );
        // downgrade base leaves only an empty version table; upgrade head works again.
        run_ok(dir.path(), &b, &["downgrade", "base"]);
        assert!(rows(&b).await.is_empty());
        assert_eq!(tables(&b).await, vec!["retort_version"], "{}", b.name);
        run_ok(dir.path(), &b, &["upgrade", "head"]);
        assert_eq!(rows(&b).await, vec!["e0e0"]);
        let current = run_ok(dir.path(), &b, &["current"]);
        assert_eq!(current.trim(), "e0e0 (head)");
        b.drop().await;
    }
}

#[tokio::test]
async fn branches_and_merges_keep_one_row_per_head() {
    let dir = project();
    put(dir.path(), "a", &revision("aaaa", &[], &[], &[], ""));
    put(dir.path(), "b", &revision("bbbb", &["aaaa"], &[], &[], ""));
    put(
        dir.path(),
        "c1",
        &revision("c1c1", &["bbbb"], &[], &["c1branch"], ""),
    );
    put(dir.path(), "d1", &revision("d1d1", &["c1c1"], &[], &[], ""));
    put(
        dir.path(),
        "c2",
        &revision("c2c2", &["bbbb"], &[], &["c2branch"], ""),
    );
    put(dir.path(), "d2", &revision("d2d2", &["c2c2"], &[], &[], ""));
    for b in backends("branches_and_merges", dir.path()).await {
        run_ok(dir.path(), &b, &["upgrade", "aaaa"]);
        let out = run_ok(dir.path(), &b, &["upgrade", "heads"]);
        assert_eq!(out.lines().count(), 5, "{}: {out}", b.name);
        assert_eq!(rows(&b).await, vec!["d1d1", "d2d2"], "{}", b.name);
        run_ok(dir.path(), &b, &["downgrade", "c1branch@-1"]);
        assert_eq!(rows(&b).await, vec!["c1c1", "d2d2"], "{}", b.name);
        run_ok(dir.path(), &b, &["downgrade", "c2branch@-1"]);
        assert_eq!(rows(&b).await, vec!["c1c1", "c2c2"]);
        let amb = retort(dir.path(), &["upgrade", "+1", "--url", &b.url]);
        assert_eq!(amb.code, 1);
        assert!(
            amb.stderr
                .contains("Ambiguous upgrade from multiple current revisions"),
            "{}",
            amb.stderr
        );
        let head = retort(dir.path(), &["upgrade", "head", "--url", &b.url]);
        assert_eq!(head.code, 1);
        assert!(
            head.stderr.contains("heads") && head.stderr.contains("@head"),
            "{}",
            head.stderr
        );
        run_ok(dir.path(), &b, &["upgrade", "heads"]);
        b.drop().await;
    }
    // Now merge the branches and build on top.
    put(
        dir.path(),
        "e",
        &revision("eeee", &["d1d1", "d2d2"], &[], &[], ""),
    );
    put(dir.path(), "f", &revision("ffff", &["eeee"], &[], &[], ""));
    for b in backends("branches_and_merges_2", dir.path()).await {
        run_ok(dir.path(), &b, &["upgrade", "d1d1"]);
        run_ok(dir.path(), &b, &["upgrade", "d2d2"]);
        assert_eq!(rows(&b).await, vec!["d1d1", "d2d2"]);
        let out = run_ok(dir.path(), &b, &["upgrade", "eeee"]);
        assert!(
            out.contains("Running upgrade d1d1, d2d2 -> eeee"),
            "{}: {out}",
            b.name
        );
        assert_eq!(
            rows(&b).await,
            vec!["eeee"],
            "{}: the merge leaves one row",
            b.name
        );
        run_ok(dir.path(), &b, &["upgrade", "head"]);
        assert_eq!(rows(&b).await, vec!["ffff"]);
        let ambiguous = retort(dir.path(), &["downgrade", "-2", "--url", &b.url]);
        assert_eq!(
            ambiguous.code, 1,
            "{}: -2 through a merge has two ways down",
            b.name
        );
        run_ok(dir.path(), &b, &["downgrade", "d1d1"]);
        assert_eq!(
            rows(&b).await,
            vec!["d1d1", "d2d2"],
            "{}: un-merging restores two rows",
            b.name
        );
        run_ok(dir.path(), &b, &["downgrade", "base"]);
        assert!(rows(&b).await.is_empty());
        run_ok(dir.path(), &b, &["upgrade", "heads"]);
        assert_eq!(rows(&b).await, vec!["ffff"]);
        b.drop().await;
    }
}

#[tokio::test]
async fn depends_on_orders_without_merging() {
    let dir = project();
    put(dir.path(), "a1", &revision("a1a1", &[], &[], &[], ""));
    put(dir.path(), "a2", &revision("a2a2", &["a1a1"], &[], &[], ""));
    put(dir.path(), "b1", &revision("b1b1", &[], &[], &[], ""));
    put(
        dir.path(),
        "b2",
        &revision("b2b2", &["b1b1"], &["a2a2"], &[], ""),
    );
    put(dir.path(), "b3", &revision("b3b3", &["b2b2"], &[], &[], ""));
    let heads = retort(dir.path(), &["heads"]);
    assert!(
        heads.stdout.contains("a2a2") && heads.stdout.contains("b3b3"),
        "{}",
        heads.stdout
    );
    for b in backends("depends_on", dir.path()).await {
        let out = run_ok(dir.path(), &b, &["upgrade", "heads"]);
        let pos = |id: &str| {
            out.find(&format!("-> {id},"))
                .unwrap_or_else(|| panic!("{id} not run: {out}"))
        };
        assert!(
            pos("a1a1") < pos("b2b2") && pos("a2a2") < pos("b2b2"),
            "{}: {out}",
            b.name
        );
        assert_eq!(rows(&b).await, vec!["b3b3"], "{}", b.name);
        b.drop().await;
    }
}

#[tokio::test]
async fn a_failure_halfway_rolls_back_as_configured() {
    let dir = project();
    let ids = ["f1f1", "f2f2", "f3f3", "f4f4", "f5f5"];
    for (i, id) in ids.iter().enumerate() {
        let down: Vec<&str> = if i == 0 { vec![] } else { vec![ids[i - 1]] };
        let extra = if *id == "f3f3" {
            "  - execute: \"INSERT INTO no_such_table VALUES (1)\"\n"
        } else {
            ""
        };
        put(dir.path(), id, &revision(id, &down, &[], &[], extra));
    }
    for per_migration in [false, true] {
        write(
            &dir.path().join("retort.yaml"),
            &format!("transaction_per_migration: {per_migration}\n"),
        );
        for b in backends("failure_halfway", dir.path()).await {
            let r = retort(dir.path(), &["upgrade", "head", "--url", &b.url]);
            assert_eq!(r.code, 1, "{}: {}", b.name, r.all());
            assert!(
                r.stderr.contains("revision f3f3"),
                "{}: {}",
                b.name,
                r.stderr
            );
            assert!(
                r.stderr.contains("INSERT INTO no_such_table VALUES (1)"),
                "{}: {}",
                b.name,
                r.stderr
            );
            assert!(
                r.stderr.contains("#2 execute"),
                "{}: names the operation: {}",
                b.name,
                r.stderr
            );
            let t = tables(&b).await;
            match (b.name, per_migration) {
                ("mysql", _) => {
                    assert_eq!(
                        rows(&b).await,
                        vec!["f2f2"],
                        "mysql keeps complete revisions"
                    );
                    assert!(r.stderr.contains("may be partly applied"), "{}", r.stderr);
                    assert!(
                        t.contains(&"t_f3f3".to_string()),
                        "MySQL committed f3's DDL: {t:?}"
                    );
                }
                (_, false) => {
                    assert!(rows(&b).await.is_empty(), "{}: all or nothing", b.name);
                    assert!(
                        t.is_empty(),
                        "{}: nothing of the run remains, not even the version table: {t:?}",
                        b.name
                    );
                    assert!(r.stderr.contains("rolled back"), "{}", r.stderr);
                }
                (_, true) => {
                    assert_eq!(rows(&b).await, vec!["f2f2"], "{}", b.name);
                    assert_eq!(t, vec!["retort_version", "t_f1f1", "t_f2f2"], "{}", b.name);
                }
            }
            b.drop().await;
        }
    }
}

#[tokio::test]
async fn concurrent_runners_apply_each_revision_once() {
    let dir = project();
    let ids = ["c001", "c002", "c003", "c004", "c005"];
    for (i, id) in ids.iter().enumerate() {
        let down: Vec<&str> = if i == 0 { vec![] } else { vec![ids[i - 1]] };
        let mut extra = String::new();
        if i == 0 {
            extra.push_str("  - create_table: {name: runlog, columns: {rev: {type: varchar(20), nullable: false}}}\n");
        }
        extra.push_str(&format!(
            "  - bulk_insert: {{table: runlog, rows: [{{rev: {id}}}]}}\n"
        ));
        put(dir.path(), id, &revision(id, &down, &[], &[], &extra));
    }
    for b in backends("concurrent_runners", dir.path()).await {
        let children: Vec<_> = (0..8)
            .map(|_| {
                std::process::Command::new(common::retort_bin())
                    .args(["upgrade", "head", "--url", &b.url])
                    .current_dir(dir.path())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "{}: {}",
                b.name,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let log = b.query("SELECT rev FROM runlog ORDER BY rev").await;
        let log: Vec<String> = log
            .into_iter()
            .filter_map(|r| r.into_iter().next().flatten())
            .collect();
        assert_eq!(log, ids, "{}: every revision ran exactly once", b.name);
        assert_eq!(rows(&b).await, vec!["c005"]);
        b.drop().await;
    }
}

/// A catalog snapshot by catalog queries (not retort's reflection).
async fn catalog(b: &Backend) -> Vec<Vec<Option<String>>> {
    let queries: Vec<String> = match b.name {
        "sqlite" => {
            let mut q = Vec::new();
            for t in tables(b).await {
                q.push(format!("SELECT '{t}', name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{t}')"));
                q.push(format!("SELECT '{t}', name, \"unique\", partial FROM pragma_index_list('{t}') WHERE origin = 'c'"));
                q.push(format!("SELECT '{t}', \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('{t}')"));
            }
            q
        }
        "postgres" => vec![
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, ordinal_position".into(),
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1".into(),
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1".into(),
            "SELECT typname FROM pg_type WHERE typtype = 'e' ORDER BY 1".into(),
        ],
        _ => vec![
            "SELECT table_name, column_name, column_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY 1, ordinal_position".into(),
            "SELECT table_name, index_name, column_name, non_unique FROM information_schema.statistics WHERE table_schema = DATABASE() ORDER BY 1, 2, seq_in_index".into(),
            "SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_schema = DATABASE() ORDER BY 1, 2".into(),
        ],
    };
    let mut out = Vec::new();
    for q in queries {
        out.extend(b.query(&q).await);
    }
    out
}

#[tokio::test]
async fn offline_sql_builds_the_same_catalog() {
    let dir = project();
    write(
        &dir.path().join("versions/o1.yaml"),
        r#"revision: o1o1
down_revision: null
message: base tables
upgrade:
  - create_enum: {name: mood, values: [happy, sad]}
  - create_table:
      name: user
      comment: Odd name on purpose
      columns:
        id: {type: integer, primary_key: true, autoincrement: true}
        email: {type: varchar(100), nullable: false}
        mood: {type: enum(mood), nullable: false, server_default: "'happy'"}
        created: {type: timestamptz, nullable: false, server_default: CURRENT_TIMESTAMP}
      unique: [{name: uq_user_email, columns: [email]}]
  - create_table:
      name: order
      columns:
        id: {type: bigint, primary_key: true, autoincrement: true}
        user_id: {type: integer, nullable: false, foreign_key: {references: user.id, on_delete: cascade}}
        total: {type: "numeric(10,2)", nullable: false, server_default: "0"}
      checks: [{name: ck_order_total, expr: "total >= 0"}]
  - create_index: {name: ix_order_user_id, table: order, columns: [user_id]}
downgrade:
  - drop_index: {name: ix_order_user_id, table: order}
  - drop_table: {name: order}
  - drop_table: {name: user}
  - drop_enum: {name: mood}
"#,
    );
    write(
        &dir.path().join("versions/o2.yaml"),
        r#"revision: o2o2
down_revision: o1o1
message: alter things
upgrade:
  - add_column: {table: order, name: note, type: text}
  - alter_column: {table: user, name: email, type: varchar(200), existing_type: varchar(100), existing_nullable: false}
  - bulk_insert: {table: user, rows: [{email: "a@example.com"}]}
downgrade:
  - execute: "DELETE FROM \"user\""
  - alter_column: {table: user, name: email, type: varchar(100), existing_type: varchar(200), existing_nullable: false}
  - drop_column: {table: order, name: note, existing_type: text}
"#,
    );
    let online = backends("offline_online", dir.path()).await;
    let offline = backends("offline_script", dir.path()).await;
    for (on, off) in online.iter().zip(&offline) {
        run_ok(dir.path(), on, &["upgrade", "head"]);
        let script = run_ok(dir.path(), off, &["upgrade", "head", "--sql"]);
        if on.name != "mysql" {
            assert!(
                script.contains("BEGIN;") && script.contains("COMMIT;"),
                "{}: {script}",
                on.name
            );
        }
        assert!(
            script.contains("INSERT INTO"),
            "{}: version rows are in the script",
            on.name
        );
        let file = dir.path().join(format!("{}.sql", on.name));
        std::fs::write(&file, &script).unwrap();
        off.apply_script(&file);
        assert_eq!(
            catalog(on).await,
            catalog(off).await,
            "{}: offline and online catalogs differ\n{script}",
            on.name
        );
        assert_eq!(rows(off).await, vec!["o2o2"]);
        // Ranges need no database at all.
        let ranged = retort(
            dir.path(),
            &[
                "downgrade",
                "o2o2:base",
                "--sql",
                "--url",
                &format!("{}://nowhere/x", on.name),
            ],
        );
        assert_eq!(ranged.code, 0, "{}", ranged.all());
        assert!(ranged.stdout.contains("DELETE FROM"), "{}", ranged.stdout);
        on.drop().await;
        off.drop().await;
    }
}

#[tokio::test]
async fn stamp_sets_rows_without_running() {
    let dir = project();
    put(dir.path(), "s1", &revision("s1s1", &[], &[], &[], ""));
    put(dir.path(), "s2", &revision("s2s2", &["s1s1"], &[], &[], ""));
    for b in backends("stamp", dir.path()).await {
        run_ok(dir.path(), &b, &["stamp", "head"]);
        assert_eq!(rows(&b).await, vec!["s2s2"]);
        assert_eq!(
            tables(&b).await,
            vec!["retort_version"],
            "{}: stamp runs nothing",
            b.name
        );
        run_ok(dir.path(), &b, &["stamp", "s1s1"]);
        assert_eq!(rows(&b).await, vec!["s1s1"]);
        b.query("UPDATE retort_version SET version_num = 'gone'")
            .await;
        let r = retort(dir.path(), &["upgrade", "head", "--url", &b.url]);
        assert_eq!(r.code, 1);
        assert!(r.stderr.contains("stamp --purge"), "{}", r.stderr);
        run_ok(dir.path(), &b, &["stamp", "--purge", "s1s1"]);
        assert_eq!(rows(&b).await, vec!["s1s1"]);
        b.drop().await;
    }
}

/// What a run reads before it plans (on a server, while its revision files are still
/// being read) failing to read: the run stops with the reason, changes nothing, and
/// holds nothing; once the cause is gone the next run goes on.
#[tokio::test]
async fn a_run_log_that_cannot_be_read_stops_the_run_before_anything_runs() {
    let dir = project();
    put(dir.path(), "l1", &revision("l1l1", &[], &[], &[], ""));
    put(dir.path(), "l2", &revision("l2l2", &["l1l1"], &[], &[], ""));
    for b in backends("unreadable_run_log", dir.path()).await {
        run_ok(dir.path(), &b, &["upgrade", "l1l1"]);
        // The progress columns are there, so the run reads its unfinished rows, and
        // that read names a column that is not.
        b.query("ALTER TABLE retort_log DROP COLUMN retort_version")
            .await;
        for _ in 0..2 {
            let r = retort(dir.path(), &["upgrade", "head", "--url", &b.url]);
            assert_eq!(r.code, 1, "{}: {}", b.name, r.all());
            assert!(
                r.stderr
                    .contains("reading the run log table retort_log failed")
                    && r.stderr.contains("SELECT revision, direction, started_at"),
                "{}: the failed read is named with its SQL: {}",
                b.name,
                r.stderr
            );
            assert!(
                !r.all().contains("Waiting for another retort run"),
                "{}: {}",
                b.name,
                r.all()
            );
            assert_eq!(rows(&b).await, vec!["l1l1"], "{}: nothing ran", b.name);
            assert!(
                !tables(&b).await.contains(&"t_l2l2".to_string()),
                "{}",
                b.name
            );
        }
        b.query("ALTER TABLE retort_log ADD COLUMN retort_version VARCHAR(40) NOT NULL DEFAULT ''")
            .await;
        run_ok(dir.path(), &b, &["upgrade", "head"]);
        assert_eq!(rows(&b).await, vec!["l2l2"], "{}", b.name);
        b.drop().await;
    }
}

#[tokio::test]
async fn non_transactional_revision_and_waiting_runner() {
    let dir = project();
    put(dir.path(), "n1", &revision("n1n1", &[], &[], &[], ""));
    write(
        &dir.path().join("versions/n2.yaml"),
        "revision: n2n2\ndown_revision: n1n1\nmessage: concurrent index\ntransactional: false\nupgrade:\n  - create_index: {name: ix_t_n1n1_id, table: t_n1n1, columns: [id], concurrently: true}\ndowngrade:\n  - drop_index: {name: ix_t_n1n1_id, table: t_n1n1}\n",
    );
    write(
        &dir.path().join("versions/n3.yaml"),
        "revision: n3n3\ndown_revision: n2n2\nmessage: slow\nupgrade:\n  - execute: {sql: \"SELECT pg_sleep(2)\", dialect: postgres}\n  - execute: {sql: \"SELECT SLEEP(2)\", dialect: mysql}\n  - execute: {sql: \"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT count(*) FROM c\", dialect: sqlite}\ndowngrade: []\n",
    );
    for b in backends("non_transactional", dir.path()).await {
        // Two runners: the second starts while the first sleeps inside n3, and waits for it.
        let first = std::process::Command::new(common::retort_bin())
            .args(["upgrade", "head", "--url", &b.url])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        let second = retort(dir.path(), &["upgrade", "head", "--url", &b.url]);
        let first = first.wait_with_output().expect("first runner");
        assert!(first.status.success(), "{}", b.name);
        assert_eq!(second.code, 0, "{}: {}", b.name, second.all());
        assert!(
            second.stdout.contains("Waiting for another retort run"),
            "{}: the waiting runner says so: {}",
            b.name,
            second.all()
        );
        assert_eq!(rows(&b).await, vec!["n3n3"], "{}", b.name);
        let indexes = match b.name {
            "sqlite" => b.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'ix_t_n1n1_id'").await,
            "postgres" => b.query("SELECT indexname FROM pg_indexes WHERE indexname = 'ix_t_n1n1_id'").await,
            _ => b.query("SELECT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'ix_t_n1n1_id'").await,
        };
        assert_eq!(
            indexes.len(),
            1,
            "{}: the non-transactional revision ran",
            b.name
        );
        run_ok(dir.path(), &b, &["downgrade", "base"]);
        assert!(rows(&b).await.is_empty());
        b.drop().await;
    }
}

/// The README's first command on the example project: the default URL creates retort.db
/// next to retort.yaml; history, current and downgrade -1 behave as documented.
#[test]
fn example_project_with_its_default_database() {
    let dir = temp_project();
    common::copy_example_project(dir.path());
    let up = retort(dir.path(), &["upgrade", "head"]);
    assert_eq!(up.code, 0, "{}", up.all());
    assert!(
        up.stdout
            .starts_with("Running upgrade <base> -> 1a2b3c4d5e6f, users and scripts ("),
        "{}",
        up.stdout
    );
    assert!(
        dir.path().join("retort.db").is_file(),
        "the default URL creates retort.db beside retort.yaml"
    );
    let history = retort(dir.path(), &["history", "-i"]);
    assert_eq!(
        history.stdout.lines().next(),
        Some("3c4d5e6f7081 -> 4d5e6f708192 (head) (current), broker links and contract ids"),
        "{}",
        history.stdout
    );
    let down = retort(dir.path(), &["downgrade", "-1"]);
    assert!(
        down.stdout.starts_with(
            "Running downgrade 4d5e6f708192 -> 3c4d5e6f7081, broker links and contract ids"
        ),
        "{}",
        down.all()
    );
    assert_eq!(
        retort(dir.path(), &["current"]).stdout.trim(),
        "3c4d5e6f7081"
    );
    let check = retort(dir.path(), &["check"]);
    assert_eq!(
        check.code, 1,
        "one revision behind, check lists its changes"
    );
}
