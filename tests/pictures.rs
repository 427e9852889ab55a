//! Pictures: `history --graph` (pinned on a graph with two branches, a merge and a
//! dependency), `history --format dot|mermaid` (their nodes and edges), and
//! `reflect --format mermaid|dot` on every backend and from `schema.yaml`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{backends, retort, temp_project};

fn ok(dir: &Path, args: &[&str]) -> String {
    let run = retort(dir, args);
    assert_eq!(run.code, 0, "retort {args:?}: {}{}", run.stdout, run.stderr);
    run.stdout
}

/// users01 → orders01 and users01 → seed01 (branch `seed`), merged by merge01; an
/// independent root audit01 (branch `audit`) depends on orders01.
fn branched_project() -> tempfile::TempDir {
    let dir = temp_project();
    let d = dir.path();
    ok(d, &["-q", "init", "."]);
    ok(
        d,
        &[
            "-q",
            "revision",
            "-m",
            "create users",
            "--rev-id",
            "users01",
        ],
    );
    ok(
        d,
        &[
            "-q",
            "revision",
            "-m",
            "create orders",
            "--rev-id",
            "orders01",
        ],
    );
    ok(
        d,
        &[
            "-q",
            "revision",
            "-m",
            "seed admin",
            "--rev-id",
            "seed01",
            "--head",
            "users01",
            "--splice",
            "--branch-label",
            "seed",
        ],
    );
    ok(
        d,
        &[
            "-q",
            "merge",
            "heads",
            "-m",
            "merge seed",
            "--rev-id",
            "merge01",
        ],
    );
    ok(
        d,
        &[
            "-q",
            "revision",
            "-m",
            "audit log",
            "--rev-id",
            "audit01",
            "--head",
            "base",
            "--branch-label",
            "audit",
            "--depends-on",
            "orders01",
        ],
    );
    dir
}

#[test]
fn history_graph_draws_branches_merge_and_dependency() {
    let dir = branched_project();
    let out = ok(dir.path(), &["history", "--graph"]);
    let expected = "\
* merge01 (seed) (head) (mergepoint), merge seed
|\\
| * seed01 (seed), seed admin
| | * audit01 (audit) (head), audit log (depends on orders01)
* | orders01, create orders
|/
* users01 (branchpoint), create users
";
    assert_eq!(out, expected, "got:\n{out}");
    let piped = ok(dir.path(), &["history", "--graph"]);
    assert!(!piped.contains('\x1b'), "no colour when piped");
}

#[test]
fn history_graph_of_a_range_draws_only_that_range() {
    let dir = branched_project();
    let out = ok(
        dir.path(),
        &["history", "--graph", "-r", "orders01:merge01"],
    );
    assert!(out.contains("* merge01"), "{out}");
    assert!(out.contains("orders01"), "{out}");
    assert!(!out.contains("audit01"), "{out}");
}

/// Edges as (from, to) revision ids.
type Edges = BTreeSet<(String, String)>;

/// `"a" -> "b"` edges of a dot graph, split into solid and dashed.
fn dot_edges(dot: &str) -> (Edges, Edges) {
    let mut solid = BTreeSet::new();
    let mut dashed = BTreeSet::new();
    for line in dot.lines() {
        let Some((a, rest)) = line.trim().split_once(" -> ") else {
            continue;
        };
        let b = rest.split([' ', ';']).next().unwrap_or_default();
        let pair = (
            a.trim_matches('"').to_string(),
            b.trim_matches('"').to_string(),
        );
        if rest.contains("style=dashed") {
            dashed.insert(pair);
        } else {
            solid.insert(pair);
        }
    }
    (solid, dashed)
}

fn pairs(list: &[(&str, &str)]) -> Edges {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn history_dot_has_every_revision_and_edge() {
    let dir = branched_project();
    let dot = ok(dir.path(), &["history", "--format", "dot"]);
    assert!(dot.starts_with("digraph revisions {"), "{dot}");
    for id in ["users01", "orders01", "seed01", "merge01", "audit01"] {
        assert!(dot.contains(&format!("\"{id}\" [label=")), "{id} in\n{dot}");
    }
    let (solid, dashed) = dot_edges(&dot);
    assert_eq!(
        solid,
        pairs(&[
            ("users01", "orders01"),
            ("users01", "seed01"),
            ("orders01", "merge01"),
            ("seed01", "merge01"),
        ]),
        "{dot}"
    );
    assert_eq!(dashed, pairs(&[("orders01", "audit01")]), "{dot}");
}

#[test]
fn history_mermaid_has_every_revision_and_edge() {
    let dir = branched_project();
    let mm = ok(dir.path(), &["history", "--format", "mermaid"]);
    assert!(mm.starts_with("flowchart TD\n"), "{mm}");
    // Node keys → revision ids.
    let mut ids = std::collections::BTreeMap::new();
    for line in mm.lines() {
        if let Some((key, label)) = line.trim().split_once("[\"") {
            let id = label.split(['<', ' ', '"']).next().unwrap_or_default();
            ids.insert(key.to_string(), id.to_string());
        }
    }
    assert_eq!(ids.len(), 5, "{mm}");
    let mut solid = BTreeSet::new();
    let mut dashed = BTreeSet::new();
    for line in mm.lines() {
        let t = line.trim();
        if let Some((a, b)) = t.split_once(" --> ") {
            solid.insert((ids[a].clone(), ids[b].clone()));
        } else if let Some((a, b)) = t.split_once(" -.->|depends on| ") {
            dashed.insert((ids[a].clone(), ids[b].clone()));
        }
    }
    assert_eq!(
        solid,
        pairs(&[
            ("users01", "orders01"),
            ("users01", "seed01"),
            ("orders01", "merge01"),
            ("seed01", "merge01"),
        ]),
        "{mm}"
    );
    assert_eq!(dashed, pairs(&[("orders01", "audit01")]), "{mm}");
}

#[test]
fn format_dot_on_a_command_that_draws_nothing_is_a_usage_error() {
    let dir = branched_project();
    let run = retort(dir.path(), &["heads", "--format", "mermaid"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("only by history and reflect"),
        "{}",
        run.stderr
    );
}

const SCHEMA: &str = "\
tables:
  users:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: varchar(255), nullable: false, unique: true}
  orders:
    columns:
      id: {type: integer, primary_key: true}
      user_id: {type: integer, nullable: false, foreign_key: {references: users.id}}
      total: {type: \"numeric(10,2)\"}
";

fn assert_er_diagrams(dir: &Path, extra: &[&str]) {
    let mut args = vec!["reflect", "--format", "mermaid"];
    args.extend_from_slice(extra);
    let mm = ok(dir, &args);
    assert!(mm.starts_with("erDiagram\n"), "{mm}");
    assert!(mm.contains("  users {\n"), "{mm}");
    assert!(mm.contains("  orders {\n"), "{mm}");
    assert!(mm.contains(" id PK"), "{mm}");
    assert!(mm.contains(" user_id FK"), "{mm}");
    assert!(mm.contains(" email UK"), "{mm}");
    assert!(
        mm.contains("users ||--o{ orders : \"fk_orders_user_id_users\""),
        "{mm}"
    );
    assert!(
        !mm.contains("retort_version"),
        "the version table is not drawn:\n{mm}"
    );
    let mut args = vec!["reflect", "--format", "dot"];
    args.extend_from_slice(extra);
    let dot = ok(dir, &args);
    assert!(dot.starts_with("digraph schema {"), "{dot}");
    assert_eq!(dot.matches("[label=\"{<table> ").count(), 2, "{dot}");
    assert_eq!(dot.matches(" -> ").count(), 1, "{dot}");
    assert!(dot.contains("[label=\"fk_orders_user_id_users\"]"), "{dot}");
}

#[test]
fn reflect_from_schema_draws_without_a_database() {
    let dir = temp_project();
    ok(dir.path(), &["-q", "init", "."]);
    std::fs::write(dir.path().join("schema.yaml"), SCHEMA).expect("write");
    assert_er_diagrams(dir.path(), &["--from-schema"]);
    assert!(
        !dir.path().join("retort.db").exists(),
        "no database is created"
    );
}

#[tokio::test]
async fn reflect_draws_the_live_schema_on_every_backend() {
    let scratch = temp_project();
    for b in backends("reflect_diagram", scratch.path()).await {
        let dir = temp_project();
        let d = dir.path();
        ok(d, &["-q", "init", "."]);
        std::fs::write(d.join("schema.yaml"), SCHEMA).expect("write");
        ok(
            d,
            &["--url", &b.url, "revision", "--autogenerate", "-m", "init"],
        );
        ok(d, &["--url", &b.url, "upgrade", "head"]);
        assert_er_diagrams(d, &["--url", &b.url]);
        b.drop().await;
    }
}
