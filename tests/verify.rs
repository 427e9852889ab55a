//! `retort verify` (issue 14 item 4): passes on the example project, fails naming the
//! revision whose downgrade leaves a column behind, refuses a non-empty scratch
//! database unless `--reset`, and wants a single head (or named heads).

mod common;

use common::*;

const BASE: &str = "revision: aaaa00000001\ndown_revision: null\nmessage: create items\nupgrade:\n  - create_table:\n      name: items\n      columns:\n        id: {type: integer, primary_key: true}\ndowngrade:\n  - drop_table: {name: items}\n";

/// Its downgrade forgets to drop the column it adds.
const LEAKY: &str = "revision: bbbb00000002\ndown_revision: aaaa00000001\nmessage: add items.note\nupgrade:\n  - add_column: {table: items, name: note, type: varchar(40)}\ndowngrade: []\n";

const SCHEMA: &str = "tables:\n  items:\n    columns:\n      id: {type: integer, primary_key: true}\n      note: {type: varchar(40)}\n";

fn leaky_project(dir: &std::path::Path) {
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    write(&dir.join("schema.yaml"), SCHEMA);
    write(&dir.join("versions/aaaa00000001_items.yaml"), BASE);
    write(&dir.join("versions/bbbb00000002_note.yaml"), LEAKY);
}

#[tokio::test]
async fn verify_passes_on_the_example_project() {
    let dir = temp_project();
    let d = dir.path();
    copy_example_project(d);
    for b in backends("verify_example", d).await {
        let run = b.run(d, &["--url", &b.url, "verify"]);
        assert_eq!(run.code, 0, "{}: {}", b.name, run.all());
        for needle in [
            "PASS  upgrade 1a2b3c4d5e6f",
            "PASS  autogenerate at head",
            "PASS  downgrade 4d5e6f708192",
            "PASS  downgrade 1a2b3c4d5e6f",
            "PASS  upgrade to 4d5e6f708192",
            "all 10 checks passed",
        ] {
            assert!(
                run.stdout.contains(needle),
                "{}: {needle}: {}",
                b.name,
                run.all()
            );
        }
        // It leaves the scratch database at head.
        let rows = b.query("SELECT version_num FROM retort_version").await;
        assert_eq!(
            rows,
            vec![vec![Some("4d5e6f708192".to_string())]],
            "{}",
            b.name
        );
        b.drop().await;
    }
}

#[tokio::test]
async fn verify_fails_naming_the_revision_whose_downgrade_leaves_a_column() {
    let dir = temp_project();
    let d = dir.path();
    leaky_project(d);
    for b in backends("verify_leaky", d).await {
        let run = b.run(d, &["--url", &b.url, "verify"]);
        assert_eq!(run.code, 1, "{}: {}", b.name, run.all());
        let all = run.all();
        assert!(
            all.contains("FAIL  downgrade bbbb00000002 (add items.note) restores the schema"),
            "{}: {all}",
            b.name
        );
        assert!(
            all.contains("after downgrading revision bbbb00000002") && all.contains("note"),
            "{}: the first difference names the column: {all}",
            b.name
        );
        assert!(
            all.contains("PASS  upgrade bbbb00000002"),
            "{}: {all}",
            b.name
        );
        assert!(all.contains("verify failed"), "{}: {all}", b.name);
        // JSON report: the failed check names the revision.
        let again = b.run(
            d,
            &["--url", &b.url, "--format", "json", "verify", "--reset"],
        );
        assert_eq!(again.code, 1, "{}: {}", b.name, again.all());
        let v: serde_json::Value = serde_json::from_str(again.stdout.trim()).expect("json");
        assert_eq!(v["passed"], false);
        let failed: Vec<&serde_json::Value> = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["passed"] == false)
            .collect();
        assert_eq!(failed.len(), 1, "{}: {v}", b.name);
        assert_eq!(failed[0]["revision"], "bbbb00000002");
        b.drop().await;
    }
}

#[tokio::test]
async fn verify_refuses_a_non_empty_scratch_database_without_reset() {
    let dir = temp_project();
    let d = dir.path();
    leaky_project(d);
    for b in backends("verify_nonempty", d).await {
        b.ok(d, &["--url", &b.url, "upgrade", "aaaa00000001"]);
        let run = b.run(d, &["--url", &b.url, "verify"]);
        assert_eq!(run.code, 1, "{}: {}", b.name, run.all());
        assert!(run.all().contains("is not empty"), "{}", run.all());
        assert!(run.all().contains("--reset"), "{}", run.all());
        assert!(
            !run.all().contains("PASS"),
            "{}: nothing ran: {}",
            b.name,
            run.all()
        );
        // Untouched: still at the first revision, the table still there.
        let rows = b.query("SELECT version_num FROM retort_version").await;
        assert_eq!(rows, vec![vec![Some("aaaa00000001".to_string())]]);
        // Fix the leaky downgrade; --reset empties the database and verify passes.
        write(
            &d.join("versions/bbbb00000002_note.yaml"),
            &LEAKY.replace(
                "downgrade: []",
                "downgrade:\n  - drop_column: {table: items, name: note}",
            ),
        );
        let run = b.run(d, &["--url", &b.url, "verify", "--reset"]);
        assert_eq!(run.code, 0, "{}: {}", b.name, run.all());
        b.drop().await;
    }
}

#[test]
fn verify_wants_a_single_head_or_named_heads() {
    let dir = temp_project();
    let d = dir.path();
    leaky_project(d);
    write(
        &d.join("versions/cccc00000003_other.yaml"),
        "revision: cccc00000003\ndown_revision: aaaa00000001\nmessage: other branch\nupgrade: []\ndowngrade: []\n",
    );
    let url = format!("sqlite://{}", d.join("scratch.db").display());
    assert_refused(
        d,
        &["--url", &url, "verify"],
        &[
            "several heads",
            "bbbb00000002",
            "cccc00000003",
            "retort merge",
        ],
    );
}
