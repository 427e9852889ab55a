//! Runs that send statements together (SQLite holds a run's rendered statements back
//! and sends several revisions at a time; MySQL/MariaDB send a revision, with its
//! run-log updates, in one request; PostgreSQL sends them one by one): the outcome, the
//! failure report, the version table, the run log and the progress lines must be the
//! same as statement by statement, on every backend.

mod common;

use std::path::Path;

use common::*;

/// Revision `i` of a chain: a table and an index on it; `broken` makes the index name
/// a column that does not exist (the revision's second operation fails).
fn revision(i: usize, broken: bool) -> String {
    let parent = if i == 1 {
        "null".to_string()
    } else {
        format!("'{:012x}'", i - 1)
    };
    let column = if broken { "missing" } else { "name" };
    format!(
        "revision: '{i:012x}'\ndown_revision: {parent}\nmessage: table {i}\nupgrade:\n  - create_table:\n      name: t{i}\n      columns:\n        id: {{type: integer, primary_key: true}}\n        name: {{type: varchar(40), nullable: false}}\n  - create_index: {{name: ix_t{i}, table: t{i}, columns: [{column}]}}\ndowngrade:\n  - drop_index: {{name: ix_t{i}, table: t{i}}}\n  - drop_table: {{name: t{i}}}\n"
    )
}

/// A project with no tables declared and no revision yet.
fn empty_project(dir: &Path) {
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
}

fn chain(dir: &Path, n: usize, broken: Option<usize>) {
    empty_project(dir);
    for i in 1..=n {
        write(
            &dir.join("versions").join(format!("{i:04}.yaml")),
            &revision(i, broken == Some(i)),
        );
    }
}

fn progress_lines(run: &Run) -> Vec<String> {
    run.all()
        .lines()
        .filter(|l| l.starts_with("Running "))
        .map(|l| l.split(" (").next().unwrap_or(l).to_string())
        .collect()
}

fn expected_lines(word: &str, steps: &[(String, String, usize)]) -> Vec<String> {
    steps
        .iter()
        .map(|(from, to, i)| format!("Running {word} {from} -> {to}, table {i}"))
        .collect()
}

fn id(i: usize) -> String {
    if i == 0 {
        "<base>".into()
    } else {
        format!("{i:012x}")
    }
}

#[tokio::test]
async fn a_long_chain_runs_and_logs_every_revision_in_order() {
    let dir = temp_project();
    let d = dir.path();
    let n = 300;
    chain(d, n, None);
    for b in backends("batched_chain", d).await {
        let up = b.ok(d, &["upgrade", "head"]);
        let steps: Vec<_> = (1..=n).map(|i| (id(i - 1), id(i), i)).collect();
        assert_eq!(
            progress_lines(&up),
            expected_lines("upgrade", &steps),
            "{}",
            b.name
        );
        let version = b.query("SELECT version_num FROM retort_version").await;
        assert_eq!(version, vec![vec![Some(id(n))]], "{}", b.name);
        let log = b
            .query("SELECT revision, direction, statements_done, status FROM retort_log ORDER BY started_at, revision")
            .await;
        assert_eq!(log.len(), n, "{}", b.name);
        for (i, row) in log.iter().enumerate() {
            assert_eq!(row[0].as_deref(), Some(id(i + 1).as_str()), "{}", b.name);
            assert_eq!(row[1].as_deref(), Some("up"), "{}", b.name);
            assert_eq!(row[2].as_deref(), Some("2"), "{}", b.name);
            assert_eq!(row[3].as_deref(), Some("done"), "{}", b.name);
        }
        // Part of the way down, then the rest: the version table follows each step.
        let down = b.ok(d, &["downgrade", &id(n - 120)]);
        let steps: Vec<_> = (n - 119..=n).rev().map(|i| (id(i), id(i - 1), i)).collect();
        assert_eq!(
            progress_lines(&down),
            expected_lines("downgrade", &steps),
            "{}",
            b.name
        );
        let version = b.query("SELECT version_num FROM retort_version").await;
        assert_eq!(version, vec![vec![Some(id(n - 120))]], "{}", b.name);
        assert_eq!(b.tables().await.len(), n - 120 + 2, "{}", b.name);
        b.ok(d, &["downgrade", "base"]);
        let version = b.query("SELECT version_num FROM retort_version").await;
        assert!(version.is_empty(), "{}: {version:?}", b.name);
        assert_eq!(
            b.tables().await,
            vec!["retort_log".to_string(), "retort_version".to_string()],
            "{}",
            b.name
        );
        let log = b
            .query("SELECT count(*) FROM retort_log WHERE direction = 'down'")
            .await;
        assert_eq!(log, vec![vec![Some(n.to_string())]], "{}", b.name);
        b.drop().await;
    }
}

#[tokio::test]
async fn a_failure_late_in_a_chain_names_its_revision_operation_and_statement() {
    let dir = temp_project();
    let d = dir.path();
    let n = 120;
    let broken = 97;
    chain(d, n, Some(broken));
    for b in backends("batched_failure", d).await {
        let run = b.run(d, &["upgrade", "head"]);
        let out = run.all();
        assert_ne!(run.code, 0, "{}: {out}", b.name);
        let file = format!("{broken:04}.yaml");
        assert!(
            out.contains(&format!("revision {}", id(broken)))
                && out.contains(&file)
                && out.contains("operation #2 create_index")
                && out.contains("SQL: CREATE INDEX")
                && out.contains(&format!("ix_t{broken}")),
            "{}: {out}",
            b.name
        );
        // No other revision is blamed.
        assert!(
            !out.contains(&format!("revision {} (", id(broken - 1))),
            "{}: {out}",
            b.name
        );
        let tables = b.tables().await;
        if b.name == "mysql" {
            // DDL commits as it runs: the revisions before the broken one stay applied.
            let version = b.query("SELECT version_num FROM retort_version").await;
            assert_eq!(version, vec![vec![Some(id(broken - 1))]], "{}", b.name);
            // The run log counts the statement that ran before the failing one (sent in
            // the same request) and records the failure.
            let log = b
                .query("SELECT revision, statements_done, status FROM retort_log WHERE status <> 'done'")
                .await;
            assert_eq!(
                log,
                vec![vec![
                    Some(id(broken)),
                    Some("1".to_string()),
                    Some("failed".to_string())
                ]],
                "{}",
                b.name
            );
            let done = b
                .query(
                    "SELECT count(*) FROM retort_log WHERE status = 'done' AND statements_done = 2",
                )
                .await;
            assert_eq!(
                done,
                vec![vec![Some((broken - 1).to_string())]],
                "{}",
                b.name
            );
        } else {
            // One transaction: nothing of the run is left, not even the version table.
            assert!(
                tables.iter().all(|t| !t.starts_with('t')),
                "{}: {tables:?}",
                b.name
            );
            assert!(
                !tables.contains(&"retort_version".to_string()),
                "{}",
                b.name
            );
        }
        b.drop().await;
    }
}

#[tokio::test]
async fn execute_operations_run_in_order_with_rendered_statements() {
    let dir = temp_project();
    let d = dir.path();
    empty_project(d);
    // Rendered statements before and after hand-written SQL: the SQL must see the
    // table created before it, and the index after it must see its rows' column.
    write(
        &d.join("versions").join("a.yaml"),
        "revision: aaaa00000001\ndown_revision: null\nmessage: mixed\nupgrade:\n  - create_table:\n      name: items\n      columns:\n        id: {type: integer, primary_key: true}\n        name: {type: varchar(40), nullable: true}\n  - execute: {sql: \"INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')\"}\n  - create_index: {name: ix_items_name, table: items, columns: [name], unique: true}\n  - execute: {sql: \"UPDATE items SET name = 'c' WHERE id = 2\"}\ndowngrade:\n  - drop_table: {name: items}\n",
    );
    for b in backends("batched_execute_order", d).await {
        b.ok(d, &["upgrade", "head"]);
        let rows = b.query("SELECT id, name FROM items ORDER BY id").await;
        assert_eq!(
            rows,
            vec![
                vec![Some("1".into()), Some("a".into())],
                vec![Some("2".into()), Some("c".into())]
            ],
            "{}",
            b.name
        );
        let log = b.query("SELECT statements_done FROM retort_log").await;
        assert_eq!(log, vec![vec![Some("4".to_string())]], "{}", b.name);
        b.drop().await;
    }
}

#[tokio::test]
async fn an_operation_that_cannot_render_runs_after_the_statements_before_it_on_mariadb() {
    let dir = temp_project();
    let d = dir.path();
    empty_project(d);
    // MySQL/MariaDB have no partial indexes: operation #3 fails as it is rendered, after
    // the two before it were rendered and held back to go in the revision's request.
    write(
        &d.join("versions").join("a.yaml"),
        "revision: aaaa00000001\ndown_revision: null\nmessage: partial\nupgrade:\n  - create_table:\n      name: items\n      columns:\n        id: {type: integer, primary_key: true}\n        name: {type: varchar(40), nullable: false}\n  - create_index: {name: ix_items_name, table: items, columns: [name]}\n  - create_index: {name: ix_items_part, table: items, columns: [name], where: \"id > 3\"}\ndowngrade:\n  - drop_table: {name: items}\n",
    );
    for b in backends("batched_render_failure", d).await {
        if b.name != "mysql" {
            b.drop().await;
            continue;
        }
        let run = b.run(d, &["upgrade", "head"]);
        let out = run.all();
        assert_eq!(run.code, 1, "{out}");
        assert!(
            out.contains("operation #3 create_index `ix_items_part`")
                && out.contains("no partial indexes"),
            "{out}"
        );
        // The two statements before it ran, and the run log counts them.
        assert!(b.tables().await.contains(&"items".to_string()), "{out}");
        let index = b
            .query("SELECT count(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'ix_items_name'")
            .await;
        assert_eq!(index, vec![vec![Some("1".to_string())]], "{out}");
        let log = b
            .query("SELECT statements_done, status FROM retort_log")
            .await;
        assert_eq!(
            log,
            vec![vec![Some("2".to_string()), Some("failed".to_string())]],
            "{out}"
        );
        b.drop().await;
    }
}
