//! Issue 9 item 5 through the binary on SQLite, PostgreSQL and MariaDB: `downgrade T`
//! reverts only what descends from T through `down_revision` (and what depends on
//! that), never a branch that merely `depends_on` T; with nothing left to revert while
//! such a dependant is applied it refuses, as Alembic does. Online and `--sql`.

mod common;

use common::{backends, retort, temp_project, write, Backend};

/// A YAML revision creating (and dropping on downgrade) table `t_<id>`.
fn revision(id: &str, down: Option<&str>, deps: &[&str], extra_column: &str) -> String {
    format!(
        "revision: {id}\ndown_revision: {}\ndepends_on: [{}]\nbranch_labels: []\nmessage: rev {id}\nupgrade:\n  - create_table: {{name: t_{id}, columns: {{id: {{type: integer, primary_key: true}}{extra_column}}}}}\ndowngrade:\n  - drop_table: {{name: t_{id}}}\n",
        down.unwrap_or("null"),
        deps.join(", ")
    )
}

/// A project with two roots: a1 -> a2 ; b1 (a base, depends_on a1, with a foreign key
/// to a1's table).
fn two_roots() -> tempfile::TempDir {
    let dir = temp_project();
    let p = dir.path();
    write(
        &p.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    write(&p.join("schema.yaml"), "tables: {}\n");
    write(
        &p.join("versions/a1.yaml"),
        &revision("aaa1", None, &[], ""),
    );
    write(
        &p.join("versions/a2.yaml"),
        &revision("aaa2", Some("aaa1"), &[], ""),
    );
    write(
        &p.join("versions/b1.yaml"),
        &revision(
            "bbb1",
            None,
            &["aaa1"],
            ", a_id: {type: integer, foreign_key: {references: t_aaa1.id}}",
        ),
    );
    dir
}

async fn rows(b: &Backend) -> Vec<String> {
    let mut v: Vec<String> = b
        .query("SELECT version_num FROM retort_version")
        .await
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    v.sort();
    v
}

async fn user_tables(b: &Backend) -> Vec<String> {
    b.tables()
        .await
        .into_iter()
        .filter(|t| t.starts_with("t_"))
        .collect()
}

#[tokio::test]
async fn downgrade_to_a_dependency_keeps_the_dependant_branch() {
    let dir = two_roots();
    let p = dir.path();
    for b in backends("downgrade_dep_keeps", p).await {
        b.ok(p, &["upgrade", "heads"]);
        assert_eq!(rows(&b).await, ["aaa2", "bbb1"], "{}", b.name);

        let out = b.ok(p, &["downgrade", "aaa1"]).all();
        assert!(
            out.contains("Running downgrade aaa2 -> aaa1"),
            "{}: {out}",
            b.name
        );
        assert!(
            !out.contains("bbb1"),
            "{}: the dependant must not be reverted: {out}",
            b.name
        );
        assert_eq!(
            user_tables(&b).await,
            ["t_aaa1", "t_bbb1"],
            "{}: b1's table survives",
            b.name
        );
        // a1 stays implied by b1, so a2's row is deleted, not turned into a1 (Alembic).
        assert_eq!(rows(&b).await, ["bbb1"], "{}", b.name);

        // Nothing descends from a1 any more, but b1 depends on it: refused, nothing changes.
        let r = b.run(p, &["downgrade", "aaa1"]);
        assert_eq!(r.code, 1, "{}: {}", b.name, r.all());
        assert!(
            r.all()
                .contains("Destination aaa1 is not a valid downgrade target from current head(s)")
                && r.all().contains("bbb1"),
            "{}: {}",
            b.name,
            r.all()
        );
        assert!(!r.all().contains("panicked"), "{}", b.name);
        assert_eq!(rows(&b).await, ["bbb1"], "{}", b.name);
        assert_eq!(user_tables(&b).await, ["t_aaa1", "t_bbb1"], "{}", b.name);

        // The suggested command reverts b1 and leaves a1 as the row.
        b.ok(p, &["downgrade", "bbb1@base"]);
        assert_eq!(rows(&b).await, ["aaa1"], "{}", b.name);
        assert_eq!(user_tables(&b).await, ["t_aaa1"], "{}", b.name);

        b.ok(p, &["upgrade", "heads"]);
        b.ok(p, &["downgrade", "base"]);
        assert!(rows(&b).await.is_empty(), "{}", b.name);
        assert!(user_tables(&b).await.is_empty(), "{}", b.name);
        b.drop().await;
    }
}

#[test]
fn downgrade_to_a_dependency_offline_sql() {
    let dir = two_roots();
    let p = dir.path();
    for url in [
        "sqlite:///nonexistent/dir/x.db",
        "postgresql://u@h/db",
        "mysql://u@h/db",
    ] {
        let r = retort(p, &["downgrade", "heads:aaa1", "--sql", "--url", url]);
        assert_eq!(r.code, 0, "{url}: {}", r.all());
        let out = &r.stdout;
        assert!(
            out.contains("DROP TABLE") && out.contains("t_aaa2"),
            "{url}: {out}"
        );
        assert!(!out.contains("t_bbb1"), "{url}: b1 must stay: {out}");
        assert!(
            out.contains("DELETE FROM") && out.contains("'aaa2'"),
            "{url}: a2's row goes: {out}"
        );
        assert!(!out.contains("UPDATE"), "{url}: {out}");

        let r = retort(p, &["downgrade", "bbb1:aaa1", "--sql", "--url", url]);
        assert_eq!(r.code, 1, "{url}: {}", r.all());
        assert!(
            r.all()
                .contains("Destination aaa1 is not a valid downgrade target from current head(s)"),
            "{url}: {}",
            r.all()
        );
    }
}
