//! Unit tests of the Alembic-parity queries.

use crate::script::graph::{GraphRefusal, RevisionGraph, RevisionNode};

fn rev(id: &str, down: &[&str], labels: &[&str], deps: &[&str]) -> RevisionNode {
    RevisionNode {
        id: id.to_string(),
        down_revisions: down.iter().map(|s| s.to_string()).collect(),
        depends_on: deps.iter().map(|s| s.to_string()).collect(),
        branch_labels: labels.iter().map(|s| s.to_string()).collect(),
        message: id.to_string(),
        source: format!("{id}.yaml"),
    }
}

fn build(nodes: Vec<RevisionNode>) -> RevisionGraph {
    RevisionGraph::new(nodes).expect("valid graph")
}

fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn labelled(g: &RevisionGraph) -> Vec<(String, Vec<String>)> {
    g.branch_names()
        .into_iter()
        .map(|(id, n)| (id.to_string(), n.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn a_label_on_one_line_runs_down_to_the_base() {
    // Alembic's _add_branches: descendants, then from the tip down while no branch or
    // merge point is met.
    let g = build(vec![
        rev("a", &[], &[], &[]),
        rev("b", &["a"], &["x"], &[]),
        rev("c", &["b"], &[], &[]),
    ]);
    let all: Vec<(String, Vec<String>)> = ["a", "b", "c"]
        .iter()
        .map(|id| (id.to_string(), strs(&["x"])))
        .collect();
    assert_eq!(labelled(&g), all);
}

#[test]
fn a_label_stops_at_the_branch_point_below_it() {
    let g = build(vec![
        rev("a", &[], &[], &[]),
        rev("b", &["a"], &[], &[]),
        rev("c", &["a"], &["x"], &[]),
        rev("d", &["c"], &[], &[]),
    ]);
    assert_eq!(
        labelled(&g),
        vec![
            ("c".to_string(), strs(&["x"])),
            ("d".to_string(), strs(&["x"]))
        ]
    );
}

#[test]
fn a_label_with_branching_descendants_stays_on_them() {
    let g = build(vec![
        rev("a", &[], &[], &[]),
        rev("b", &["a"], &["x"], &[]),
        rev("c", &["b"], &[], &[]),
        rev("d", &["b"], &[], &[]),
    ]);
    let names: Vec<String> = labelled(&g).into_iter().map(|(id, _)| id).collect();
    assert_eq!(names, strs(&["b", "c", "d"]));
}

#[test]
fn a_dependant_makes_a_real_branch_point_that_stops_the_label() {
    // a -> b [x] -> c; d depends on a: a is a real branch point, so not labelled.
    let g = build(vec![
        rev("a", &[], &[], &[]),
        rev("b", &["a"], &["x"], &[]),
        rev("c", &["b"], &[], &[]),
        rev("d", &[], &[], &["a"]),
    ]);
    let names: Vec<String> = labelled(&g).into_iter().map(|(id, _)| id).collect();
    assert_eq!(names, strs(&["b", "c"]));
    assert!(!g.is_real_head("a") && g.is_real_head("c") && g.is_real_head("d"));
}

#[test]
fn merges_join_heads_only() {
    // a -> b -> d and a -> c -> e: heads d, e.
    let g = build(vec![
        rev("a", &[], &[], &[]),
        rev("b", &["a"], &[], &[]),
        rev("c", &["a"], &[], &[]),
        rev("d", &["b"], &[], &[]),
        rev("e", &["c"], &[], &[]),
    ]);
    assert!(g.check_merge(&strs(&["d", "e"]), false).is_ok());
    let not_head = g
        .check_merge(&strs(&["b", "e"]), false)
        .unwrap_err()
        .to_string();
    assert!(not_head.contains("Revision b is not a head revision; use --splice"));
    assert!(g.check_merge(&strs(&["b", "e"]), true).is_ok());
    assert!(g
        .check_merge(&strs(&["b", "c"]), true)
        .unwrap_err()
        .to_string()
        .contains("would add a head"));
    assert!(g
        .check_merge(&strs(&["b", "d"]), true)
        .unwrap_err()
        .to_string()
        .contains("b is an ancestor of d"));
}

#[test]
fn overlapping_rows_stamp_targets_and_backwards_ranges() {
    let g = build(vec![
        rev("a", &[], &[], &[]),
        rev("b", &["a"], &[], &[]),
        rev("c", &["b"], &[], &[]),
        rev("z", &[], &[], &[]),
    ]);
    assert!(g.check_rows_overlap(&strs(&["c", "z"])).is_ok());
    assert!(g
        .check_rows_overlap(&strs(&["a", "c"]))
        .unwrap_err()
        .to_string()
        .starts_with("Requested revision c overlaps with other requested revisions a"));
    assert!(g.check_stamp_targets(&[], &strs(&["c", "z"])).is_ok());
    assert!(g
        .check_stamp_targets(&[], &strs(&["a", "c"]))
        .unwrap_err()
        .to_string()
        .contains("c is a descendant of a"));
    assert!(g.check_upgrade_range("a", &strs(&["a"]), "c").is_ok());
    assert!(g.check_upgrade_range("c", &strs(&["c"]), "c").is_ok());
    assert!(g.check_upgrade_range("c", &strs(&["c"]), "a").is_err());
    assert!(g.check_upgrade_range("c", &strs(&["c"]), "base").is_err());
    for zero in ["+0", "-0", "base+0", "heads-0", "c-0", "a+0"] {
        assert!(g.resolve(zero, &strs(&["c"])).is_err(), "{zero}");
    }
}

#[test]
fn overlap_check_of_many_rows() {
    let mut nodes = Vec::new();
    for i in 0..3000 {
        let base = format!("w{i:05}a");
        nodes.push(rev(&base, &[], &[], &[]));
        nodes.push(rev(&format!("w{i:05}b"), &[base.as_str()], &[], &[]));
    }
    let g = build(nodes);
    let heads: Vec<String> = g.heads().into_iter().map(str::to_string).collect();
    assert!(g.check_rows_overlap(&heads).is_ok());
    let mut overlapping = heads.clone();
    overlapping.push("w02999a".to_string());
    assert!(g
        .check_rows_overlap(&overlapping)
        .unwrap_err()
        .to_string()
        .starts_with("Requested revision w02999b overlaps with other requested revisions w02999a"));
}

#[test]
fn refusals_carry_the_revisions_and_keep_their_messages() {
    let g = build(vec![
        rev("a", &[], &[], &[]),
        rev("b", &["a"], &[], &[]),
        rev("c", &["b"], &[], &[]),
        rev("z", &[], &[], &[]),
    ]);
    let overlap = g.check_rows_overlap(&strs(&["a", "c"])).unwrap_err();
    assert_eq!(
        overlap,
        GraphRefusal::RowsOverlap {
            row: "c".into(),
            ancestors: strs(&["a"]),
        }
    );
    assert_eq!(
        overlap.to_string(),
        "Requested revision c overlaps with other requested revisions a: the version table holds c and its ancestor(s) a"
    );
    let not_head = g.check_merge(&strs(&["b", "z"]), false).unwrap_err();
    assert_eq!(
        not_head.to_string(),
        "Revision b is not a head revision; use --splice to merge it anyway, or merge head revisions (`retort heads` lists them: c, z)"
    );
    let stamp = g.check_stamp_targets(&[], &strs(&["b", "c"])).unwrap_err();
    assert_eq!(
        stamp.to_string(),
        "cannot stamp b together with c: c is a descendant of b, and the version table holds only heads; stamp c alone (`retort stamp c`)"
    );
    let range = g.check_upgrade_range("c", &strs(&["c"]), "a").unwrap_err();
    assert_eq!(
        range,
        GraphRefusal::RangeBackwards {
            start_text: "c".into(),
            start: strs(&["c"]),
            target: "a".into(),
        }
    );
    assert!(range
        .to_string()
        .starts_with("the range c:a goes backwards: a is older than c (c);"));
}
