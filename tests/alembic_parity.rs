//! retort's revision commands next to Alembic 1.20's (issue 12): each test names the
//! Alembic behaviour it follows. The graph used by most tests mirrors the one the
//! behaviour was checked on with Alembic:
//!
//! ```text
//! aaaa00000001 (base) ─┬─ bbbb00000002 ── eeee00000005 (depends on dddd00000004)
//!                      └─ cccc00000003 [feat] ── dddd00000004
//! ```

mod common;

use common::{assert_refused, backends, retort, temp_project, write, Backend, Run};
use std::path::Path;

const A: &str = "aaaa00000001";
const B: &str = "bbbb00000002";
const C: &str = "cccc00000003";
const D: &str = "dddd00000004";
const E: &str = "eeee00000005";

/// A revision file with an empty upgrade/downgrade unless `upgrade` gives operations.
fn revision(dir: &Path, id: &str, down: &[&str], labels: &[&str], deps: &[&str], msg: &str) {
    revision_ops(dir, id, down, labels, deps, msg, "[]", "[]");
}

#[allow(clippy::too_many_arguments)]
fn revision_ops(
    dir: &Path,
    id: &str,
    down: &[&str],
    labels: &[&str],
    deps: &[&str],
    msg: &str,
    upgrade: &str,
    downgrade: &str,
) {
    let down = match down {
        [] => "null".to_string(),
        [one] => one.to_string(),
        many => format!("[{}]", many.join(", ")),
    };
    write(
        &dir.join("versions").join(format!("{id}_{msg}.yaml")),
        &format!(
            "revision: {id}\ndown_revision: {down}\nbranch_labels: [{}]\ndepends_on: [{}]\nmessage: {msg}\nupgrade: {upgrade}\ndowngrade: {downgrade}\n",
            labels.join(", "),
            deps.join(", ")
        ),
    );
}

/// The project of the module comment, with an empty schema.
fn graph_project() -> tempfile::TempDir {
    let dir = temp_project();
    let p = dir.path();
    write(
        &p.join("retort.yaml"),
        "database_url: sqlite://parity.db\nschema: schema.yaml\nversions: versions\n",
    );
    write(&p.join("schema.yaml"), "tables: {}\n");
    revision(p, A, &[], &[], &[], "base");
    revision(p, B, &[A], &[], &[], "two");
    revision(p, C, &[A], &["feat"], &[], "feat1");
    revision(p, D, &[C], &[], &[], "feat2");
    revision(p, E, &[B], &[], &[D], "dep");
    dir
}

fn lines(run: &Run) -> Vec<&str> {
    run.stdout.lines().collect()
}

async fn version_rows(b: &Backend) -> Vec<String> {
    let mut rows: Vec<String> = b
        .query("SELECT version_num FROM retort_version")
        .await
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn history_range_with_current_reads_the_database() {
    // Alembic: `history -r :current` / `-r current:` run env.py and substitute the
    // database's revisions for `current`, with or without `-i`.
    let dir = graph_project();
    for b in backends("parity_history_current", dir.path()).await {
        b.ok(dir.path(), &["upgrade", "feat@head", "-q"]);
        let to_current = b.ok(dir.path(), &["history", "-r", ":current"]);
        assert_eq!(
            lines(&to_current),
            vec![
                format!("{C} -> {D} (feat) (effective head), feat2"),
                format!("{A} -> {C} (feat), feat1"),
                format!("<base> -> {A} (branchpoint), base"),
            ],
            "{}: {}",
            b.name,
            to_current.all()
        );
        let from_current = b.ok(dir.path(), &["history", "-r", "current:"]);
        assert_eq!(
            lines(&from_current),
            vec![format!("{C} -> {D} (feat) (effective head), feat2")],
            "{}: {}",
            b.name,
            from_current.all()
        );
        let marked = b.ok(dir.path(), &["history", "-r", ":current", "-i"]);
        assert_eq!(
            lines(&marked)[0],
            format!("{C} -> {D} (feat) (effective head) (current), feat2"),
            "{}",
            b.name
        );
        b.drop().await;
    }
}

#[test]
fn merge_refuses_non_heads_and_never_adds_a_head() {
    // Alembic 1.18.5+: `merge` of a revision that is not a head fails with "Revision X
    // is not a head revision; please specify --splice"; retort also never writes a merge
    // that would leave more heads than before.
    let dir = graph_project();
    let p = dir.path();
    assert_refused(
        p,
        &["merge", A, E, "-m", "m"],
        &[&format!(
            "Revision {A} is not a head revision; use --splice"
        )],
    );
    assert_refused(
        p,
        &["merge", "--splice", C, B, "-m", "m"],
        &["would add a head", "dddd00000004, eeee00000005"],
    );
    assert_refused(
        p,
        &["merge", "--splice", A, B, "-m", "m"],
        &[&format!("Revision {A} is an ancestor of {B}")],
    );
    let merged = retort(
        p,
        &["merge", D, E, "-m", "join", "--rev-id", "ffff00000006"],
    );
    assert_eq!(merged.code, 0, "{}", merged.all());
    let heads = retort(p, &["heads"]);
    assert_eq!(
        lines(&heads),
        vec!["ffff00000006 (feat) (head)"],
        "{}",
        heads.all()
    );
}

#[tokio::test]
async fn show_current_heads_and_base() {
    // Alembic: `show current` reads the database; `show heads` shows the heads; `show
    // base` prints nothing and succeeds; `show REV` never connects.
    let dir = graph_project();
    let p = dir.path();
    let base = retort(p, &["show", "base"]);
    assert_eq!((base.code, base.stdout.as_str()), (0, ""), "{}", base.all());
    let heads = retort(p, &["show", "heads"]);
    assert_eq!(heads.code, 0, "{}", heads.all());
    assert!(
        heads.stdout.contains(&format!("Rev: {D} (head)"))
            && heads.stdout.contains(&format!("Rev: {E} (head)")),
        "{}",
        heads.stdout
    );
    let offline = retort(
        p,
        &[
            "show",
            C,
            "--url",
            "postgresql://nobody:secret@127.0.0.1:9/none",
        ],
    );
    assert_eq!(
        offline.code,
        0,
        "show REV must not connect: {}",
        offline.all()
    );
    for b in backends("parity_show_current", p).await {
        let none = b.ok(p, &["show", "current"]);
        assert_eq!(none.stdout, "", "{}", b.name);
        b.ok(p, &["upgrade", "feat@head", "-q"]);
        let current = b.ok(p, &["show", "current"]);
        assert!(
            current
                .stdout
                .starts_with(&format!("Rev: {D} (head)\nParent: {C}\n"))
                && current.stdout.contains("Branch names: feat"),
            "{}: {}",
            b.name,
            current.stdout
        );
        b.drop().await;
    }
}

#[tokio::test]
async fn branch_labels_run_along_their_branch() {
    // Alembic (`RevisionMap._add_branches`, `Script._head_only`): a label is shown on
    // every revision of its branch, as `REV (label) (head)`; `(effective head)` marks a
    // head others depend on; markers come as labels, head, current, branchpoint,
    // mergepoint; history shows `PARENT (DEPENDENCY) -> REV` and `-v` "Also depends on".
    let dir = graph_project();
    let p = dir.path();
    let heads = retort(p, &["heads"]);
    assert_eq!(
        lines(&heads),
        vec![
            format!("{D} (feat) (effective head)"),
            format!("{E} (head)")
        ],
        "{}",
        heads.all()
    );
    let history = retort(p, &["history"]);
    assert_eq!(
        lines(&history),
        vec![
            format!("{B} ({D}) -> {E} (head), dep"),
            format!("{C} -> {D} (feat) (effective head), feat2"),
            format!("{A} -> {C} (feat), feat1"),
            format!("{A} -> {B}, two"),
            format!("<base> -> {A} (branchpoint), base"),
        ],
        "{}",
        history.all()
    );
    let verbose = retort(p, &["history", "-v"]);
    assert!(
        verbose.stdout.contains(&format!(
            "Rev: {E} (head)\nParent: {B}\nAlso depends on: {D}\n"
        )),
        "{}",
        verbose.stdout
    );
    for id in [C, D] {
        let show = retort(p, &["show", id]);
        assert!(
            show.stdout.contains("Branch names: feat"),
            "{}",
            show.stdout
        );
    }
    let show_b = retort(p, &["show", B]);
    assert!(!show_b.stdout.contains("Branch names"), "{}", show_b.stdout);
    for b in backends("parity_labels_current", p).await {
        b.ok(p, &["upgrade", "feat@head", "-q"]);
        let current = b.ok(p, &["current"]);
        assert_eq!(
            current.stdout.trim_end(),
            format!("{D} (feat) (effective head)"),
            "{}",
            b.name
        );
        b.drop().await;
    }
}

#[tokio::test]
async fn upgrade_refuses_overlapping_version_rows() {
    // Alembic: a version table holding a revision and its ancestor makes `upgrade` fail
    // with "Requested revision X overlaps with other requested revisions Y".
    let dir = graph_project();
    let p = dir.path();
    for b in backends("parity_overlap", p).await {
        b.ok(p, &["upgrade", C, "-q"]);
        let mut conn = retort_engine::db::Connection::connect(&b.url)
            .await
            .expect("connect");
        conn.execute(&format!(
            "INSERT INTO retort_version (version_num) VALUES ('{A}')"
        ))
        .await
        .expect("insert the ancestor row");
        conn.close().await;
        let refused = b.run(p, &["upgrade", "heads"]);
        assert_eq!(refused.code, 1, "{}: {}", b.name, refused.all());
        assert!(
            refused.stderr.contains(&format!(
                "Requested revision {C} overlaps with other requested revisions {A}"
            )),
            "{}: {}",
            b.name,
            refused.all()
        );
        assert_eq!(version_rows(&b).await, vec![A.to_string(), C.to_string()]);
        b.drop().await;
    }
}

#[tokio::test]
async fn offline_scripts_and_stamp_targets() {
    // Alembic: `stamp --sql` is one transaction like every offline script where DDL is
    // transactional; `+0`/`-0` are errors ("Relative revision 0 didn't produce 0
    // migrations"), and so are `base+0`/`head-0`; an upgrade range that goes backwards
    // is an error, as is a downgrade range that goes forwards ("not a valid downgrade
    // target"); `stamp A B` with B a descendant of A is refused (Alembic would write
    // both rows, which its own upgrade then refuses as overlapping).
    let dir = graph_project();
    let p = dir.path();
    for url in ["sqlite://x.db", "postgresql://u:p@127.0.0.1:9/x"] {
        let stamp = retort(p, &["stamp", "heads", "--sql", "--url", url]);
        assert_eq!(stamp.code, 0, "{url}: {}", stamp.all());
        assert!(
            stamp.stdout.starts_with("BEGIN;") && stamp.stdout.trim_end().ends_with("COMMIT;"),
            "{url}: {}",
            stamp.stdout
        );
    }
    let mysql = retort(
        p,
        &[
            "stamp",
            "heads",
            "--sql",
            "--url",
            "mysql://u:p@127.0.0.1:9/x",
        ],
    );
    assert!(!mysql.stdout.contains("BEGIN"), "{}", mysql.stdout);
    assert_refused(
        p,
        &["upgrade", &format!("{D}:base"), "--sql"],
        &["goes backwards", "downgrade"],
    );
    assert_refused(
        p,
        &["upgrade", &format!("{D}:{A}"), "--sql"],
        &["goes backwards"],
    );
    let forward = retort(p, &["upgrade", &format!("{A}:{D}"), "--sql"]);
    assert_eq!(forward.code, 0, "{}", forward.all());
    for zero in ["+0", "base+0", "feat@head-0", &format!("{A}+0")] {
        assert_refused(
            p,
            &["upgrade", zero, "--sql"],
            &["a relative step count must not be zero"],
        );
    }
    for b in backends("parity_stamp_targets", p).await {
        let r = b.run(p, &["stamp", A, C]);
        assert_eq!(r.code, 1, "{}: {}", b.name, r.all());
        assert!(
            r.stderr.contains(&format!("{C} is a descendant of {A}")),
            "{}: {}",
            b.name,
            r.all()
        );
        b.ok(p, &["stamp", C]);
        assert_eq!(version_rows(&b).await, vec![C.to_string()], "{}", b.name);
        b.drop().await;
    }
}

/// A project whose two revisions create `t` and add `t.note`; schema.yaml declares both.
fn schema_project() -> tempfile::TempDir {
    let dir = temp_project();
    let p = dir.path();
    write(
        &p.join("retort.yaml"),
        "database_url: sqlite://parity.db\nschema: schema.yaml\nversions: versions\n",
    );
    write(
        &p.join("schema.yaml"),
        "tables:\n  t:\n    columns:\n      id: {type: integer, primary_key: true}\n      note: {type: varchar(50)}\n",
    );
    revision_ops(
        p,
        A,
        &[],
        &[],
        &[],
        "create",
        "\n  - create_table: {name: t, columns: {id: {type: integer, primary_key: true}}}",
        "\n  - drop_table: {name: t}",
    );
    revision_ops(
        p,
        B,
        &[A],
        &[],
        &[],
        "note",
        "\n  - add_column: {table: t, name: note, type: varchar(50)}",
        "\n  - drop_column: {table: t, name: note}",
    );
    dir
}

#[tokio::test]
async fn check_refuses_a_database_not_at_head() {
    // Alembic: `check` on a database behind its heads fails with "Target database is
    // not up to date." instead of comparing the schema.
    let dir = schema_project();
    let p = dir.path();
    for b in backends("parity_check", p).await {
        b.ok(p, &["upgrade", A, "-q"]);
        let behind = b.run(p, &["check"]);
        assert_eq!(behind.code, 1, "{}: {}", b.name, behind.all());
        assert!(
            behind.stdout.contains("Target database is not up to date")
                && behind.stdout.contains(B)
                && !behind.stdout.contains("would be generated"),
            "{}: {}",
            b.name,
            behind.all()
        );
        let json = b.run(p, &["check", "--format", "json"]);
        assert_eq!(json.code, 1, "{}", b.name);
        let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
        assert_eq!(v["up_to_date"], false);
        assert_eq!(v["pending"], serde_json::json!([B]));
        b.ok(p, &["upgrade", "head", "-q"]);
        let at_head = b.ok(p, &["check"]);
        assert!(at_head.stdout.contains("No changes detected"), "{}", b.name);
        b.drop().await;
    }
}

#[tokio::test]
async fn format_json_only_where_it_does_something() {
    // Alembic has no JSON output; retort accepts `--format json` on the read commands
    // and refuses it as a usage error (exit 2) elsewhere, where it would be ignored.
    let dir = schema_project();
    let p = dir.path();
    for args in [
        &["upgrade", "head"][..],
        &["downgrade", "base"],
        &["stamp", "head"],
        &["merge", "heads", "-m", "m"],
        &["revision", "-m", "x"],
        &["reflect"],
        &["list-templates"],
        &["edit", "head"],
        &["init", "elsewhere"],
    ] {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let r = retort(p, &all);
        assert_eq!(r.code, 2, "{all:?}: {}", r.all());
        assert!(r.stderr.contains("--format json"), "{}", r.stderr);
    }
    assert!(!p.join("elsewhere").exists());
    for args in [
        &["heads"][..],
        &["branches"],
        &["history"],
        &["history", "-v"],
        &["show", A],
        &["show", "heads"],
        &["validate"],
    ] {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let r = retort(p, &all);
        assert_eq!(r.code, 0, "{all:?}: {}", r.all());
        serde_json::from_str::<serde_json::Value>(&r.stdout)
            .unwrap_or_else(|e| panic!("{all:?} is not JSON ({e}): {}", r.stdout));
    }
    for b in backends("parity_json", p).await {
        b.ok(p, &["upgrade", A, "-q"]);
        let current = b.ok(p, &["current", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&current.stdout).expect("JSON");
        assert_eq!(v[0]["revision"], A, "{}", b.name);
        let diff = b.ok(p, &["diff", "--sql", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&diff.stdout).expect("JSON");
        let sql = v["sql"].as_str().unwrap_or_default().to_lowercase();
        assert!(
            sql.contains("add") && sql.contains("note"),
            "{}: {}",
            b.name,
            diff.stdout
        );
        assert_eq!(
            v["operations"].as_array().map(Vec::len),
            Some(1),
            "{}",
            b.name
        );
        b.drop().await;
    }
}
