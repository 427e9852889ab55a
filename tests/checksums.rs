//! Checksums of applied revisions (issue 14 item 3): the run log records each applied
//! revision's checksum; editing an applied revision's operations is reported by
//! `upgrade`, `current -v` and `validate --url` (an error with `--strict` or
//! `strict: true`); reformatting it is not.

mod common;

use std::path::Path;

use common::*;

const YAML_BASE: &str = "# create items\n#\n# Revision ID: aaaa00000001\nrevision: aaaa00000001\ndown_revision: null\nmessage: create items\nupgrade:\n  - create_table:\n      name: items\n      columns:\n        id: {type: integer, primary_key: true}\n        name: {type: varchar(50), nullable: false}\ndowngrade:\n  - drop_table: {name: items}\n";

/// The same meaning: comments, key order, flow vs block style, quoting, CRLF.
const YAML_REFORMATTED: &str = "# a different comment\r\nrevision: 'aaaa00000001'\r\nmessage: create items\r\ndown_revision: null\r\ndowngrade:\r\n- drop_table:\r\n    name: items   # trailing comment\r\nupgrade:\r\n- create_table:\r\n    columns:\r\n      id:\r\n        primary_key: true\r\n        type: integer\r\n      name: {nullable: false, type: \"varchar(50)\"}\r\n    name: items\r\n";

/// A changed meaning: the column is wider.
const YAML_EDITED: &str = "revision: aaaa00000001\ndown_revision: null\nmessage: create items\nupgrade:\n  - create_table:\n      name: items\n      columns:\n        id: {type: integer, primary_key: true}\n        name: {type: varchar(80), nullable: false}\ndowngrade:\n  - drop_table: {name: items}\n";

const SQL_BASE: &str = "-- create items\n--\n-- revision: aaaa00000001\n-- down_revision:\n\n-- +upgrade\nCREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);\n\n-- +downgrade\nDROP TABLE items;\n";

const SQL_REFORMATTED: &str = "-- create the items table\r\n--\r\n-- revision: aaaa00000001\r\n-- down_revision:\r\n\r\n-- +upgrade\r\n-- the table\r\nCREATE TABLE items (\r\n    id   INTEGER PRIMARY KEY,  -- key\r\n    name VARCHAR(50) NOT NULL /* required */\r\n);\r\n\r\n-- +downgrade\r\nDROP TABLE items;\r\n";

const SQL_EDITED: &str = "-- create items\n--\n-- revision: aaaa00000001\n-- down_revision:\n\n-- +upgrade\nCREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(80) NOT NULL);\n\n-- +downgrade\nDROP TABLE items;\n";

fn project(dir: &Path, file: &str, text: &str, strict: bool) {
    write(
        &dir.join("retort.yaml"),
        &format!("schema: schema.yaml\nversions: versions\nstrict: {strict}\n"),
    );
    write(&dir.join("schema.yaml"), "tables: {}\n");
    write(&dir.join("versions").join(file), text);
}

async fn log_rows(b: &Backend) -> Vec<Vec<Option<String>>> {
    b.query("SELECT revision, direction, checksum, duration_ms, retort_version FROM retort_log ORDER BY ended_at")
        .await
}

/// Applies `base`, then replaces the file with `other`; returns the outputs of
/// `upgrade head`, `current -v` and `validate --url`.
async fn after_rewrite(test: &str, file: &str, base: &str, other: &str, expect_changed: bool) {
    let dir = temp_project();
    let d = dir.path();
    project(d, file, base, false);
    for b in backends(test, d).await {
        b.ok(d, &["--url", &b.url, "upgrade", "head"]);
        let log = log_rows(&b).await;
        assert_eq!(log.len(), 1, "{}: {log:?}", b.name);
        assert_eq!(log[0][0].as_deref(), Some("aaaa00000001"), "{}", b.name);
        assert_eq!(log[0][1].as_deref(), Some("up"), "{}", b.name);
        assert_eq!(log[0][2].as_deref().map(str::len), Some(64), "{}", b.name);
        write(&d.join("versions").join(file), other);
        let runs = [
            b.run(d, &["--url", &b.url, "upgrade", "head"]),
            b.run(d, &["--url", &b.url, "current", "-v"]),
            b.run(d, &["--url", &b.url, "validate"]),
        ];
        for run in &runs {
            assert_eq!(run.code, 0, "{}: {}", b.name, run.all());
            assert_eq!(
                run.stderr.contains("aaaa00000001")
                    && run.stderr.contains("changed since it was applied"),
                expect_changed,
                "{}: {}",
                b.name,
                run.all()
            );
        }
        if expect_changed {
            // Strict: the same finding is an error, and upgrade runs nothing.
            for args in [
                vec!["--url", &b.url, "--strict", "upgrade", "head"],
                vec!["--url", &b.url, "--strict", "current", "-v"],
                vec!["--url", &b.url, "--strict", "validate"],
            ] {
                let run = b.run(d, &args);
                assert_eq!(run.code, 1, "{}: {args:?}: {}", b.name, run.all());
                assert!(run.all().contains("aaaa00000001"), "{}", run.all());
                assert!(run.all().contains(file), "{}", run.all());
            }
            project(d, file, other, true);
            let run = b.run(d, &["--url", &b.url, "upgrade", "head"]);
            assert_eq!(run.code, 1, "{}: strict: true: {}", b.name, run.all());
            // Back to the original text: nothing to report.
            project(d, file, base, true);
            b.ok(d, &["--url", &b.url, "upgrade", "head"]);
            project(d, file, base, false);
        }
        b.ok(d, &["--url", &b.url, "downgrade", "base"]);
        let log = log_rows(&b).await;
        assert_eq!(log.len(), 2, "{}: {log:?}", b.name);
        assert_eq!(log[1][1].as_deref(), Some("down"), "{}", b.name);
        write(&d.join("versions").join(file), base);
        b.drop().await;
    }
}

#[tokio::test]
async fn editing_an_applied_yaml_revision_is_reported() {
    after_rewrite(
        "ck_yaml_edit",
        "aaaa00000001_items.yaml",
        YAML_BASE,
        YAML_EDITED,
        true,
    )
    .await;
}

#[tokio::test]
async fn reformatting_an_applied_yaml_revision_is_not_reported() {
    after_rewrite(
        "ck_yaml_fmt",
        "aaaa00000001_items.yaml",
        YAML_BASE,
        YAML_REFORMATTED,
        false,
    )
    .await;
}

#[tokio::test]
async fn editing_an_applied_sql_revision_is_reported() {
    after_rewrite(
        "ck_sql_edit",
        "aaaa00000001_items.sql",
        SQL_BASE,
        SQL_EDITED,
        true,
    )
    .await;
}

#[tokio::test]
async fn reformatting_an_applied_sql_revision_is_not_reported() {
    after_rewrite(
        "ck_sql_fmt",
        "aaaa00000001_items.sql",
        SQL_BASE,
        SQL_REFORMATTED,
        false,
    )
    .await;
}

#[tokio::test]
async fn the_run_log_is_not_part_of_the_schema() {
    let dir = temp_project();
    let d = dir.path();
    project(d, "aaaa00000001_items.yaml", YAML_BASE, false);
    write(
        &d.join("schema.yaml"),
        "tables:\n  items:\n    columns:\n      id: {type: integer, primary_key: true}\n      name: {type: varchar(50), nullable: false}\n",
    );
    for b in backends("ck_not_schema", d).await {
        b.ok(d, &["--url", &b.url, "upgrade", "head"]);
        assert!(b.tables().await.contains(&"retort_log".to_string()));
        let run = b.run(d, &["--url", &b.url, "check"]);
        assert_eq!(run.code, 0, "{}: {}", b.name, run.all());
        b.drop().await;
    }
}

/// A second revision on top of YAML_BASE, creating `posts`.
const YAML_SECOND: &str = "revision: bbbb00000002\ndown_revision: aaaa00000001\nmessage: create posts\nupgrade:\n  - create_table:\n      name: posts\n      columns:\n        id: {type: integer, primary_key: true}\ndowngrade:\n  - drop_table: {name: posts}\n";

/// YAML_SECOND with an operation missing its columns.
const YAML_SECOND_BROKEN: &str = "revision: bbbb00000002\ndown_revision: aaaa00000001\nmessage: create posts\nupgrade:\n  - create_table:\n      name: posts\ndowngrade:\n  - drop_table: {name: posts}\n";

/// YAML_BASE with an operation that does not exist.
const YAML_BASE_BROKEN: &str = "revision: aaaa00000001\ndown_revision: null\nmessage: create items\nupgrade:\n  - create_tabel: {name: items}\ndowngrade:\n  - drop_table: {name: items}\n";

/// A run reads the operations of the revisions it runs, not of those already applied
/// (issue 13): a pending revision with a mistake runs nothing, while a mistake in an
/// applied one does not stop a run; that revision is reported as changed.
#[tokio::test]
async fn a_run_checks_the_revisions_it_runs_and_reports_broken_applied_ones() {
    let dir = temp_project();
    let d = dir.path();
    project(d, "aaaa00000001_items.yaml", YAML_BASE, false);
    for b in backends("ck_pending_only", d).await {
        b.ok(d, &["upgrade", "head"]);
        let second = d.join("versions/bbbb00000002_posts.yaml");
        write(&second, YAML_SECOND_BROKEN);
        let run = b.run(d, &["upgrade", "head"]);
        assert_eq!(run.code, 1, "{}: {}", b.name, run.all());
        assert!(run.all().contains("nothing was run"), "{}", run.all());
        assert!(
            run.all().contains("bbbb00000002_posts.yaml:"),
            "{}",
            run.all()
        );
        assert!(
            !b.tables().await.contains(&"posts".to_string()),
            "{}",
            b.name
        );
        write(&second, YAML_SECOND);
        b.ok(d, &["upgrade", "head"]);
        // The applied base revision broken: a run at head still runs (nothing to do),
        // reporting it.
        write(
            &d.join("versions/aaaa00000001_items.yaml"),
            YAML_BASE_BROKEN,
        );
        let run = b.ok(d, &["upgrade", "head"]);
        assert!(
            run.stderr.contains("aaaa00000001")
                && run.stderr.contains("changed since it was applied"),
            "{}: {}",
            b.name,
            run.all()
        );
        // Going down through it needs its operations: refused, naming the mistake.
        let run = b.run(d, &["downgrade", "base"]);
        assert_eq!(run.code, 1, "{}: {}", b.name, run.all());
        assert!(run.all().contains("create_tabel"), "{}", run.all());
        assert!(
            b.tables().await.contains(&"posts".to_string()),
            "{}",
            b.name
        );
        write(&d.join("versions/aaaa00000001_items.yaml"), YAML_BASE);
        std::fs::remove_file(&second).unwrap();
        b.drop().await;
    }
}

/// Rows of a run log made before the file checksum column existed (or written without
/// it) are still compared by the checksum of meaning, and the next run that applies a
/// revision adds the column back.
#[tokio::test]
async fn a_run_log_without_file_checksums_is_still_compared() {
    let dir = temp_project();
    let d = dir.path();
    project(d, "aaaa00000001_items.yaml", YAML_BASE, false);
    for b in backends("ck_legacy_log", d).await {
        b.ok(d, &["upgrade", "head"]);
        b.query("ALTER TABLE retort_log DROP COLUMN file_checksum")
            .await;
        let file = d.join("versions/aaaa00000001_items.yaml");
        write(&file, YAML_REFORMATTED);
        let run = b.ok(d, &["upgrade", "head"]);
        assert!(
            !run.stderr.contains("changed since"),
            "{}: {}",
            b.name,
            run.all()
        );
        write(&file, YAML_EDITED);
        let run = b.ok(d, &["upgrade", "head"]);
        assert!(
            run.stderr.contains("changed since it was applied"),
            "{}: {}",
            b.name,
            run.all()
        );
        write(&file, YAML_BASE);
        write(&d.join("versions/bbbb00000002_posts.yaml"), YAML_SECOND);
        b.ok(d, &["upgrade", "head"]);
        let sums = b
            .query("SELECT revision, file_checksum FROM retort_log ORDER BY revision")
            .await;
        assert_eq!(sums.len(), 2, "{}: {sums:?}", b.name);
        assert_eq!(
            sums[0][1], None,
            "{}: the old row keeps no file checksum",
            b.name
        );
        assert_eq!(
            sums[1][1].as_deref().map(str::len),
            Some(64),
            "{}: {sums:?}",
            b.name
        );
        std::fs::remove_file(d.join("versions/bbbb00000002_posts.yaml")).unwrap();
        b.drop().await;
    }
}
