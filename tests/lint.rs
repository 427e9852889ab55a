//! `retort lint` (issue 14 item 1): each rule fires on a revision that triggers it and
//! not on a safer one, on the backends where it applies; findings name file:line, rule
//! and backend; errors exit 1, warnings 0; a stated reason silences one rule on one
//! operation. Also the safer forms retort renders itself: `concurrently`, `not_valid` +
//! `validate_constraint`, and `lock_timeout`.

mod common;

use std::path::Path;

use common::*;

const BASE: &str = "revision: aaaa00000001\ndown_revision: null\nmessage: base\nupgrade:\n  - create_table:\n      name: p\n      columns:\n        id: {type: integer, primary_key: true}\n  - create_table:\n      name: t\n      columns:\n        id: {type: integer, primary_key: true}\n        a: {type: varchar(20)}\n        b: {type: integer, nullable: false, server_default: '0'}\n        p_id: {type: integer}\ndowngrade:\n  - drop_table: {name: t}\n  - drop_table: {name: p}\n";

fn project(dir: &Path, ops: &str) {
    write(
        &dir.join("retort.yaml"),
        "database_url: sqlite://app.db\nschema: schema.yaml\nversions: versions\n",
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    write(&dir.join("versions/aaaa00000001_base.yaml"), BASE);
    write(
        &dir.join("versions/bbbb00000002_change.yaml"),
        &format!(
            "revision: bbbb00000002\ndown_revision: aaaa00000001\nmessage: change\nupgrade:\n{ops}downgrade: []\n"
        ),
    );
}

/// The rule ids `lint` reports for the second revision on `backend`.
fn rules_for(ops: &str, backend: &str) -> Vec<String> {
    let dir = temp_project();
    project(dir.path(), ops);
    let run = retort(
        dir.path(),
        &[
            "--format",
            "json",
            "lint",
            "bbbb00000002",
            "--backend",
            backend,
        ],
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.all());
    let v: serde_json::Value =
        serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.all()));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

const ALL: &[&str] = &["sqlite", "postgres", "mysql"];

/// (rule, backends where it applies, triggering ops, safer ops)
const CASES: &[(&str, &[&str], &str, &str)] = &[
    (
        "drop-table",
        ALL,
        "  - drop_table: {name: t}\n",
        "  - create_table: {name: tmp, columns: {id: {type: integer, primary_key: true}}}\n  - drop_table: {name: tmp}\n",
    ),
    (
        "drop-column",
        ALL,
        "  - drop_column: {table: t, name: a}\n",
        "  - add_column: {table: t, name: c, type: integer}\n",
    ),
    (
        "narrow-type",
        ALL,
        "  - alter_column: {table: t, name: a, type: varchar(10), existing_type: varchar(20)}\n",
        "  - alter_column: {table: t, name: a, type: varchar(40), existing_type: varchar(20)}\n",
    ),
    (
        "drop-default-not-null",
        ALL,
        "  - alter_column: {table: t, name: b, server_default: null, existing_nullable: false}\n",
        "  - alter_column: {table: t, name: a, server_default: null, existing_nullable: true}\n",
    ),
    (
        "add-not-null-without-default",
        ALL,
        "  - add_column: {table: t, name: c, type: integer, nullable: false}\n",
        "  - add_column: {table: t, name: c, type: integer, nullable: false, server_default: '0'}\n",
    ),
    (
        "add-unique",
        ALL,
        "  - create_unique_constraint: {name: uq_t_a, table: t, columns: [a]}\n",
        "  - create_index: {name: ix_t_a, table: t, columns: [a], concurrently: true}\n",
    ),
    (
        "pg-index-not-concurrent",
        &["postgres"],
        "  - create_index: {name: ix_t_a, table: t, columns: [a]}\n",
        "  - create_index: {name: ix_t_a, table: t, columns: [a], concurrently: true}\n",
    ),
    (
        "pg-type-change-rewrite",
        &["postgres"],
        "  - alter_column: {table: t, name: b, type: bigint, existing_type: integer}\n",
        "  - alter_column: {table: t, name: a, type: varchar(40), existing_type: varchar(20)}\n",
    ),
    (
        "pg-constraint-not-valid",
        &["postgres"],
        "  - create_foreign_key: {name: fk_t_p, table: t, columns: [p_id], referred_table: p, referred_columns: [id]}\n",
        "  - create_foreign_key: {name: fk_t_p, table: t, columns: [p_id], referred_table: p, referred_columns: [id], not_valid: true}\n  - validate_constraint: {name: fk_t_p, table: t}\n",
    ),
    (
        "pg-volatile-default",
        &["postgres"],
        "  - add_column: {table: t, name: r, type: double, server_default: random()}\n",
        "  - add_column: {table: t, name: r, type: double, server_default: '0'}\n",
    ),
    (
        "pg-set-not-null",
        &["postgres"],
        "  - alter_column: {table: t, name: a, nullable: false, existing_type: varchar(20)}\n",
        "  - create_check_constraint: {name: ck_t_a_nn, table: t, expr: a IS NOT NULL, not_valid: true}\n  - validate_constraint: {name: ck_t_a_nn, table: t}\n  - alter_column: {table: t, name: a, nullable: false, existing_type: varchar(20)}\n",
    ),
    (
        "mysql-alter-copies-table",
        &["mysql"],
        "  - alter_column: {table: t, name: b, type: bigint, existing_type: integer}\n",
        "  - alter_column: {table: t, name: a, type: varchar(40), existing_type: varchar(20)}\n",
    ),
    (
        "rename-table",
        ALL,
        "  - rename_table: {name: t, new_name: t2}\n",
        "  - create_table: {name: tmp, columns: {id: {type: integer, primary_key: true}}}\n  - rename_table: {name: tmp, new_name: tmp2}\n",
    ),
    (
        "rename-column",
        ALL,
        "  - alter_column: {table: t, name: a, new_name: aa}\n",
        "  - alter_column: {table: t, name: a, comment: the a column}\n",
    ),
];

#[test]
fn each_rule_fires_on_a_triggering_revision_and_not_on_a_safer_one() {
    for (rule, applies, trigger, safe) in CASES {
        for backend in ALL {
            let found = rules_for(trigger, backend);
            assert_eq!(
                found.iter().any(|r| r == rule),
                applies.contains(backend),
                "{rule} on {backend} for\n{trigger}found {found:?}"
            );
            let found = rules_for(safe, backend);
            assert!(
                !found.iter().any(|r| r == rule),
                "{rule} on {backend} for the safer\n{safe}found {found:?}"
            );
        }
    }
}

#[test]
fn findings_name_file_line_rule_backend_and_fix_and_errors_exit_1() {
    let dir = temp_project();
    let d = dir.path();
    project(
        d,
        "  - create_index: {name: ix_t_a, table: t, columns: [a]}\n  - drop_column: {table: t, name: a}\n",
    );
    let run = retort(d, &["lint", "bbbb00000002", "--backend", "postgres"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.all());
    assert!(
        lines[0].contains("bbbb00000002_change.yaml:5: warning[pg-index-not-concurrent] postgres:")
            && lines[0].contains("Safer: write `concurrently: true`"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("bbbb00000002_change.yaml:6: error[drop-column] any:"),
        "{}",
        lines[1]
    );
    // Warnings only: exit 0.
    project(
        d,
        "  - create_index: {name: ix_t_a, table: t, columns: [a]}\n",
    );
    let run = retort(d, &["lint", "bbbb00000002", "--backend", "postgres"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("pg-index-not-concurrent"),
        "{}",
        run.all()
    );
}

#[test]
fn a_stated_reason_silences_one_rule_on_one_operation() {
    let dir = temp_project();
    let d = dir.path();
    project(
        d,
        "  # retort-lint: allow drop-column: nothing reads t.a since release 4.2\n  - drop_column: {table: t, name: a}\n  - drop_column: {table: t, name: p_id}\n",
    );
    let run = retort(d, &["lint", "bbbb00000002", "--backend", "sqlite"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        !run.stdout.contains(":6:"),
        "the silenced operation: {}",
        run.all()
    );
    assert!(
        run.stdout.contains(":7: error[drop-column]"),
        "{}",
        run.all()
    );
    // Without a reason nothing is silenced, and the directive itself is an error.
    project(
        d,
        "  # retort-lint: allow drop-column\n  - drop_column: {table: t, name: a}\n",
    );
    let run = retort(d, &["lint", "bbbb00000002", "--backend", "sqlite"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains(":6: error[drop-column]"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains(":5: error[allow-without-reason]"),
        "{}",
        run.all()
    );
}

#[test]
fn sql_revisions_are_linted_too() {
    let dir = temp_project();
    let d = dir.path();
    project(d, "  []\n");
    std::fs::remove_file(d.join("versions/bbbb00000002_change.yaml")).unwrap();
    write(
        &d.join("versions/bbbb00000002_change.sql"),
        "-- change\n-- revision: bbbb00000002\n-- down_revision: aaaa00000001\n\n-- +upgrade\nCREATE INDEX ix_t_a ON t (a);\nCREATE INDEX CONCURRENTLY ix_t_b ON t (b);\nALTER TABLE t DROP COLUMN p_id;\n\n-- +downgrade\nSELECT 1;\n",
    );
    let run = retort(d, &["lint", "bbbb00000002", "--backend", "postgres"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains(".sql:6: warning[pg-index-not-concurrent]"),
        "{}",
        run.all()
    );
    assert!(!run.stdout.contains(":7:"), "{}", run.all());
    assert!(
        run.stdout.contains(".sql:8: error[drop-column]"),
        "{}",
        run.all()
    );
}

#[tokio::test]
async fn lint_defaults_to_the_revisions_not_yet_applied() {
    let dir = temp_project();
    let d = dir.path();
    project(d, "  - drop_column: {table: t, name: a}\n");
    for b in backends("lint_pending", d).await {
        // The base revision drops nothing; the pending one does.
        let run = b.run(d, &["--url", &b.url, "lint"]);
        assert_eq!(run.code, 1, "{}: {}", b.name, run.all());
        assert!(run.stdout.contains("drop-column"), "{}", run.all());
        b.ok(d, &["--url", &b.url, "upgrade", "head"]);
        let run = b.run(d, &["--url", &b.url, "lint"]);
        assert_eq!(run.code, 0, "{}: nothing pending: {}", b.name, run.all());
        assert!(run.stdout.trim().is_empty(), "{}", run.all());
        // --all lints every revision, applied or not.
        let run = b.run(d, &["--url", &b.url, "lint", "--all"]);
        assert_eq!(run.code, 1, "{}", run.all());
        b.drop().await;
    }
}

/// `concurrently: true` runs on PostgreSQL (outside a transaction, although the
/// revision is transactional) and is ignored elsewhere; `not_valid: true` adds the key
/// without checking existing rows on PostgreSQL, and `validate_constraint` checks them.
#[tokio::test]
async fn concurrently_and_not_valid_run() {
    let dir = temp_project();
    let d = dir.path();
    project(
        d,
        "  - execute: \"INSERT INTO t (id, a, b, p_id) VALUES (1, 'x', 0, NULL)\"\n  - create_index: {name: ix_t_a, table: t, columns: [a], concurrently: true}\n  - create_foreign_key: {name: fk_t_p, table: t, columns: [p_id], referred_table: p, referred_columns: [id], not_valid: true}\n  - create_check_constraint: {name: ck_t_b, table: t, expr: b >= 0, not_valid: true}\n  - validate_constraint: {name: fk_t_p, table: t}\n  - validate_constraint: {name: ck_t_b, table: t}\n",
    );
    for b in backends("lint_options", d).await {
        b.ok(d, &["--url", &b.url, "upgrade", "head"]);
        let sql = b
            .ok(
                d,
                &["--url", &b.url, "upgrade", "--sql", "aaaa00000001:head"],
            )
            .stdout;
        if b.name == "postgres" {
            assert!(
                sql.contains("CREATE INDEX CONCURRENTLY \"ix_t_a\""),
                "{sql}"
            );
            assert!(sql.contains("NOT VALID"), "{sql}");
            assert!(sql.contains("VALIDATE CONSTRAINT \"fk_t_p\""), "{sql}");
            // The revision ran outside the run's transaction: COMMIT before it.
            let at = sql.find("CONCURRENTLY").unwrap();
            assert!(sql[..at].contains("COMMIT"), "{sql}");
            let idx = b
                .query("SELECT indexname FROM pg_indexes WHERE indexname = 'ix_t_a'")
                .await;
            assert_eq!(idx.len(), 1);
            let valid = b
                .query("SELECT conname, convalidated::text FROM pg_constraint WHERE conname IN ('fk_t_p', 'ck_t_b') ORDER BY conname")
                .await;
            assert_eq!(
                valid,
                vec![
                    vec![Some("ck_t_b".into()), Some("true".into())],
                    vec![Some("fk_t_p".into()), Some("true".into())]
                ]
            );
        } else {
            assert!(!sql.contains("CONCURRENTLY"), "{}: {sql}", b.name);
            assert!(!sql.contains("NOT VALID"), "{}: {sql}", b.name);
            assert!(!sql.contains("VALIDATE"), "{}: {sql}", b.name);
        }
        b.drop().await;
    }
}

/// On PostgreSQL, a NOT VALID key is added over rows that break it; validating it fails.
#[tokio::test]
async fn not_valid_skips_existing_rows_until_validated_on_postgres() {
    let dir = temp_project();
    let d = dir.path();
    project(
        d,
        "  - execute: \"INSERT INTO t (id, a, b, p_id) VALUES (1, 'x', 0, 99)\"\n  - create_foreign_key: {name: fk_t_p, table: t, columns: [p_id], referred_table: p, referred_columns: [id], not_valid: true}\n",
    );
    write(
        &d.join("versions/cccc00000003_validate.yaml"),
        "revision: cccc00000003\ndown_revision: bbbb00000002\nmessage: validate\nupgrade:\n  - validate_constraint: {name: fk_t_p, table: t}\ndowngrade: []\n",
    );
    for b in backends("lint_not_valid", d).await {
        if b.name != "postgres" {
            continue;
        }
        b.ok(d, &["--url", &b.url, "upgrade", "bbbb00000002"]);
        let run = b.run(d, &["--url", &b.url, "upgrade", "head"]);
        assert_eq!(run.code, 1, "{}", run.all());
        assert!(run.all().contains("VALIDATE CONSTRAINT"), "{}", run.all());
        assert!(run.all().contains("cccc00000003"), "{}", run.all());
        b.drop().await;
    }
}

/// `lock_timeout` sets the backend's lock timeout for the revision's statements only.
#[tokio::test]
async fn lock_timeout_applies_to_the_revisions_statements() {
    let dir = temp_project();
    let d = dir.path();
    project(d, "  []\n");
    for b in backends("lint_lock_timeout", d).await {
        let probe = match b.name {
            "postgres" => "SELECT current_setting('lock_timeout')",
            "mysql" => "SELECT CAST(@@SESSION.lock_wait_timeout AS CHAR)",
            _ => "SELECT CAST(timeout AS TEXT) FROM pragma_busy_timeout",
        };
        let rev = |id: &str, parent: &str, extra: &str, table: &str| {
            format!(
                "revision: {id}\ndown_revision: {parent}\nmessage: probe\n{extra}upgrade:\n  - execute: \"CREATE TABLE {table} AS {probe}\"\ndowngrade: []\n"
            )
        };
        write(
            &d.join("versions/bbbb00000002_change.yaml"),
            &rev(
                "bbbb00000002",
                "aaaa00000001",
                "lock_timeout: 3s\nlock_retries: 2\n",
                "probe_in",
            ),
        );
        write(
            &d.join("versions/cccc00000003_after.yaml"),
            &rev("cccc00000003", "bbbb00000002", "", "probe_after"),
        );
        b.ok(d, &["--url", &b.url, "upgrade", "head"]);
        let inside = b.query("SELECT * FROM probe_in").await;
        let after = b.query("SELECT * FROM probe_after").await;
        let inside = inside[0][0].clone().unwrap_or_default();
        let after = after[0][0].clone().unwrap_or_default();
        match b.name {
            "postgres" => assert_eq!(inside, "3s"),
            "mysql" => assert_eq!(inside, "3"),
            _ => assert_eq!(inside, "3000"),
        }
        assert_ne!(inside, after, "{}: reset after the revision", b.name);
        let sql = b
            .ok(
                d,
                &[
                    "--url",
                    &b.url,
                    "upgrade",
                    "--sql",
                    "aaaa00000001:bbbb00000002",
                ],
            )
            .stdout;
        assert!(
            sql.contains(match b.name {
                "postgres" => "SET lock_timeout = '3000ms'",
                "mysql" => "SET SESSION lock_wait_timeout = 3",
                _ => "PRAGMA busy_timeout = 3000",
            }),
            "{}: {sql}",
            b.name
        );
        b.drop().await;
    }
}
