use super::*;

// ----- helpers ------------------------------------------------------------------

fn rev(id: &str, down: &[&str]) -> RevisionNode {
    RevisionNode {
        id: id.to_string(),
        down_revisions: down.iter().map(|s| s.to_string()).collect(),
        depends_on: Vec::new(),
        branch_labels: Vec::new(),
        message: format!("revision {id}"),
        source: format!("versions/{id}.py"),
    }
}

fn with_deps(mut node: RevisionNode, deps: &[&str]) -> RevisionNode {
    node.depends_on = deps.iter().map(|s| s.to_string()).collect();
    node
}

fn with_labels(mut node: RevisionNode, labels: &[&str]) -> RevisionNode {
    node.branch_labels = labels.iter().map(|s| s.to_string()).collect();
    node
}

fn with_source(mut node: RevisionNode, source: &str) -> RevisionNode {
    node.source = source.to_string();
    node
}

fn build(nodes: Vec<RevisionNode>) -> RevisionGraph {
    match RevisionGraph::new(nodes) {
        Ok(g) => g,
        Err(errors) => panic!("graph should build: {errors:?}"),
    }
}

fn errors_of(nodes: Vec<RevisionNode>) -> Vec<GraphError> {
    match RevisionGraph::new(nodes) {
        Ok(_) => panic!("graph should not build"),
        Err(errors) => errors,
    }
}

fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn step_ids(steps: &[Step]) -> Vec<&str> {
    steps.iter().map(|s| s.revision.as_str()).collect()
}

fn ins(id: &str) -> VersionChange {
    VersionChange::Insert(id.to_string())
}

fn upd(from: &str, to: &str) -> VersionChange {
    VersionChange::Update {
        from: from.to_string(),
        to: to.to_string(),
    }
}

fn del(id: &str) -> VersionChange {
    VersionChange::Delete(id.to_string())
}

/// Applies every step's changes to `start` and returns the rows, sorted.
fn rows_after(start: &[&str], steps: &[Step]) -> Vec<String> {
    let mut rows = strs(start);
    for step in steps {
        apply_changes(&mut rows, &step.changes).expect("changes apply cleanly");
    }
    rows.sort();
    rows
}

fn rows_after_stamp(start: &[&str], changes: &[VersionChange]) -> Vec<String> {
    let mut rows = strs(start);
    apply_changes(&mut rows, changes).expect("stamp changes apply cleanly");
    rows.sort();
    rows
}

fn assert_all_direction(steps: &[Step], direction: Direction) {
    assert!(steps.iter().all(|s| s.direction == direction), "{steps:?}");
}

fn err_text<T: std::fmt::Debug>(result: Result<T, GraphError>) -> String {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(e) => e.to_string(),
    }
}

/// a -> b -> c -> d -> e
fn linear() -> RevisionGraph {
    build(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        rev("c", &["b"]),
        rev("d", &["c"]),
        rev("e", &["d"]),
    ])
}

/// a -> b, b -> c1 -> d1 (c1: c1branch), b -> c2 -> d2 (c2: c2branch)
fn branched() -> RevisionGraph {
    build(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        with_labels(rev("c1", &["b"]), &["c1branch"]),
        rev("d1", &["c1"]),
        with_labels(rev("c2", &["b"]), &["c2branch"]),
        rev("d2", &["c2"]),
    ])
}

/// branched() plus e merging d1 and d2, and f after e.
fn merged() -> RevisionGraph {
    build(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        with_labels(rev("c1", &["b"]), &["c1branch"]),
        rev("d1", &["c1"]),
        with_labels(rev("c2", &["b"]), &["c2branch"]),
        rev("d2", &["c2"]),
        rev("e", &["d1", "d2"]),
        rev("f", &["e"]),
    ])
}

/// a1 -> a2 ; b1 -> b2 (depends_on a2) -> b3
fn dependent() -> RevisionGraph {
    build(vec![
        rev("a1", &[]),
        rev("a2", &["a1"]),
        rev("b1", &[]),
        with_deps(rev("b2", &["b1"]), &["a2"]),
        rev("b3", &["b2"]),
    ])
}

const HEX: [&str; 5] = [
    "1a2b3c4d5e6f",
    "27c6a30d7c24",
    "3adcc9a56557",
    "4b1ae634e5cd",
    "53fffde5ad5a",
];

/// A linear chain with realistic 12-hex ids.
fn hex_chain() -> RevisionGraph {
    let mut nodes = vec![rev(HEX[0], &[])];
    for pair in HEX.windows(2) {
        nodes.push(rev(pair[1], &[pair[0]]));
    }
    build(nodes)
}

// ----- 1. linear chain ----------------------------------------------------------

#[test]
fn linear_upgrade_plus_two_from_a() {
    let g = linear();
    let steps = g.plan_upgrade(&strs(&["a"]), "+2").unwrap();
    assert_eq!(step_ids(&steps), ["b", "c"]);
    assert_all_direction(&steps, Direction::Up);
    assert_eq!(steps[0].changes, [upd("a", "b")]);
    assert_eq!(steps[1].changes, [upd("b", "c")]);
    assert_eq!(rows_after(&["a"], &steps), ["c"]);
}

#[test]
fn linear_downgrade_rev_minus_two_from_d() {
    let g = linear();
    let steps = g.plan_downgrade(&strs(&["d"]), "c-2").unwrap();
    assert_eq!(step_ids(&steps), ["d", "c", "b"]);
    assert_all_direction(&steps, Direction::Down);
    assert_eq!(steps[0].changes, [upd("d", "c")]);
    assert_eq!(steps[1].changes, [upd("c", "b")]);
    assert_eq!(steps[2].changes, [upd("b", "a")]);
    assert_eq!(rows_after(&["d"], &steps), ["a"]);
}

#[test]
fn linear_upgrade_minus_two_is_an_error() {
    let g = linear();
    let err = g.plan_upgrade(&strs(&["b"]), "-2").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Relative revision -2 didn't produce 2 migrations"
    );
    assert_eq!(
        err,
        GraphError::RelativeTooFar {
            relative: "-2".into(),
            steps: 2
        }
    );
}

#[test]
fn linear_upgrade_relative_past_the_head_is_an_error_not_a_partial_move() {
    let g = linear();
    assert_eq!(
        err_text(g.plan_upgrade(&strs(&["b"]), "+4")),
        "Relative revision +4 didn't produce 4 migrations"
    );
    let steps = g.plan_upgrade(&strs(&["b"]), "+3").unwrap();
    assert_eq!(step_ids(&steps), ["c", "d", "e"]);
}

#[test]
fn linear_downgrade_relative_past_base_is_an_error() {
    let g = linear();
    assert_eq!(
        err_text(g.plan_downgrade(&strs(&["c"]), "-5")),
        "Relative revision -5 didn't produce 5 migrations"
    );
    // c -> b -> a -> base is exactly three steps.
    let steps = g.plan_downgrade(&strs(&["c"]), "-3").unwrap();
    assert_eq!(step_ids(&steps), ["c", "b", "a"]);
    assert_eq!(steps[2].changes, [del("a")]);
    assert!(rows_after(&["c"], &steps).is_empty());
}

#[test]
fn linear_downgrade_minus_one_and_plus_is_rejected() {
    let g = linear();
    let steps = g.plan_downgrade(&strs(&["e"]), "-1").unwrap();
    assert_eq!(step_ids(&steps), ["e"]);
    assert_eq!(rows_after(&["e"], &steps), ["d"]);
    assert_eq!(
        err_text(g.plan_downgrade(&strs(&["c"]), "+1")),
        "Relative revision +1 didn't produce 1 migrations"
    );
    assert_eq!(
        err_text(g.plan_downgrade(&strs(&[]), "-1")),
        "Relative revision -1 didn't produce 1 migrations"
    );
}

#[test]
fn linear_full_upgrade_and_downgrade_with_hex_ids() {
    let g = hex_chain();
    let steps = g.plan_upgrade(&[], "head").unwrap();
    assert_eq!(step_ids(&steps), HEX);
    assert_eq!(steps[0].changes, [ins(HEX[0])]);
    for (i, step) in steps.iter().enumerate().skip(1) {
        assert_eq!(step.changes, [upd(HEX[i - 1], HEX[i])]);
    }
    assert_eq!(rows_after(&[], &steps), [HEX[4]]);

    let down = g.plan_downgrade(&strs(&[HEX[4]]), "base").unwrap();
    let mut reversed = HEX.to_vec();
    reversed.reverse();
    assert_eq!(step_ids(&down), reversed);
    assert_eq!(down[4].changes, [del(HEX[0])]);
    assert!(rows_after(&[HEX[4]], &down).is_empty());
}

#[test]
fn linear_upgrade_from_empty_and_to_applied_target() {
    let g = linear();
    let steps = g.plan_upgrade(&[], "+1").unwrap();
    assert_eq!(step_ids(&steps), ["a"]);
    assert_eq!(steps[0].changes, [ins("a")]);
    assert!(g.plan_upgrade(&strs(&["d"]), "b").unwrap().is_empty());
    assert!(g.plan_upgrade(&strs(&["e"]), "heads").unwrap().is_empty());
    assert!(g.plan_upgrade(&strs(&["c"]), "base").unwrap().is_empty());
    assert!(g.plan_upgrade(&strs(&["c"]), "current").unwrap().is_empty());
}

#[test]
fn linear_rev_plus_and_minus_targets() {
    let g = linear();
    let steps = g.plan_upgrade(&strs(&["a"]), "b+2").unwrap();
    assert_eq!(step_ids(&steps), ["b", "c", "d"]);
    let steps = g.plan_upgrade(&[], "e-3").unwrap();
    assert_eq!(step_ids(&steps), ["a", "b"]);
    // a-1 is base: nothing to upgrade; a-2 walks past base.
    assert!(g.plan_upgrade(&[], "a-1").unwrap().is_empty());
    assert_eq!(
        err_text(g.plan_upgrade(&[], "a-2")),
        "Relative revision -2 didn't produce 2 migrations"
    );
    assert_eq!(
        err_text(g.plan_downgrade(&strs(&["e"]), "d+2")),
        "Relative revision +2 didn't produce 2 migrations"
    );
    let steps = g.plan_downgrade(&strs(&["e"]), "b+1").unwrap();
    assert_eq!(step_ids(&steps), ["e", "d"]);
}

#[test]
fn linear_structure_queries() {
    let g = linear();
    assert_eq!(g.heads(), ["e"]);
    assert_eq!(g.bases(), ["a"]);
    assert!(g.branch_points().is_empty());
    assert_eq!(g.children("c"), ["d"]);
    assert!(g.children("e").is_empty());
    assert!(g.children("nope").is_empty());
    assert_eq!(g.get("c").map(|n| n.source.as_str()), Some("versions/c.py"));
    assert!(g.get("zz").is_none());
    assert_eq!(g.len(), 5);
    assert!(!g.is_empty());
    let history: Vec<&str> = g.history().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(history, ["e", "d", "c", "b", "a"]);
}

// ----- 2. branches --------------------------------------------------------------

#[test]
fn branched_upgrade_heads_from_empty() {
    let g = branched();
    let steps = g.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(step_ids(&steps), ["a", "b", "c1", "d1", "c2", "d2"]);
    assert_all_direction(&steps, Direction::Up);
    let expected = [
        vec![ins("a")],
        vec![upd("a", "b")],
        vec![upd("b", "c1")],
        vec![upd("c1", "d1")],
        vec![ins("c2")],
        vec![upd("c2", "d2")],
    ];
    for (step, want) in steps.iter().zip(expected.iter()) {
        assert_eq!(&step.changes, want, "step {}", step.revision);
    }
    assert_eq!(rows_after(&[], &steps), ["d1", "d2"]);
}

#[test]
fn branched_downgrade_label_minus_one() {
    let g = branched();
    let current = strs(&["d1", "d2"]);
    let steps = g.plan_downgrade(&current, "c1branch@-1").unwrap();
    assert_eq!(step_ids(&steps), ["d1"]);
    assert_eq!(steps[0].direction, Direction::Down);
    assert_eq!(steps[0].changes, [upd("d1", "c1")]);
    assert_eq!(rows_after(&["d1", "d2"], &steps), ["c1", "d2"]);
}

#[test]
fn branched_downgrade_label_minus_two_keeps_other_branch() {
    let g = branched();
    let steps = g
        .plan_downgrade(&strs(&["d1", "d2"]), "c1branch@-2")
        .unwrap();
    assert_eq!(step_ids(&steps), ["d1", "c1"]);
    assert_eq!(steps[0].changes, [upd("d1", "c1")]);
    // b is still needed by d2, so c1's row simply goes away.
    assert_eq!(steps[1].changes, [del("c1")]);
    assert_eq!(rows_after(&["d1", "d2"], &steps), ["d2"]);
}

#[test]
fn branched_upgrade_plus_one_from_two_heads_is_ambiguous() {
    let g = branched();
    let err = g.plan_upgrade(&strs(&["c1", "c2"]), "+1").unwrap_err();
    assert_eq!(err, GraphError::AmbiguousUpgrade);
    assert_eq!(
        err.to_string(),
        "Ambiguous upgrade from multiple current revisions"
    );
}

#[test]
fn branched_head_with_two_heads_is_an_error_naming_them() {
    let g = branched();
    let text = err_text(g.resolve("head", &[]));
    assert!(text.starts_with(
        "Multiple head revisions are present for given argument 'head'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads"
    ), "{text}");
    assert!(text.contains("d1") && text.contains("d2"), "{text}");
    assert!(matches!(
        g.plan_upgrade(&[], "head"),
        Err(GraphError::MultipleHeads { .. })
    ));
    assert!(matches!(
        g.plan_downgrade(&strs(&["d1", "d2"]), "head"),
        Err(GraphError::MultipleHeads { .. })
    ));
}

#[test]
fn branched_label_resolution() {
    let g = branched();
    assert_eq!(g.resolve("c1branch@head", &[]).unwrap(), ["d1"]);
    assert_eq!(g.resolve("c2branch@head", &[]).unwrap(), ["d2"]);
    assert_eq!(g.resolve("c1branch@heads", &[]).unwrap(), ["d1"]);
    assert_eq!(g.resolve("heads", &[]).unwrap(), ["d1", "d2"]);
    assert_eq!(g.resolve("c1branch", &[]).unwrap(), ["c1"]);
    assert_eq!(g.resolve("c1branch@d1", &[]).unwrap(), ["d1"]);
    assert_eq!(g.resolve("c1branch@b", &[]).unwrap(), ["b"]);
    assert!(g.resolve("c1branch@base", &[]).unwrap().is_empty());
    assert!(g.resolve("base", &[]).unwrap().is_empty());
    assert_eq!(
        err_text(g.resolve("c2branch@d1", &[])),
        "Revision d1 is not a member of branch 'c2branch'"
    );
    assert_eq!(
        err_text(g.resolve("nobranch@head", &[])),
        "No such branch: 'nobranch'"
    );
    // A revision id works in place of a label.
    assert_eq!(g.resolve("c2@head", &[]).unwrap(), ["d2"]);
    // b is the branch point: both heads share its lineage.
    assert!(matches!(
        g.resolve("b@head", &[]),
        Err(GraphError::MultipleHeads { .. })
    ));
}

#[test]
fn branched_upgrade_along_a_label() {
    let g = branched();
    let steps = g.plan_upgrade(&strs(&["b"]), "c1branch@+1").unwrap();
    assert_eq!(step_ids(&steps), ["c1"]);
    assert_eq!(rows_after(&["b"], &steps), ["c1"]);

    // c1branch not applied yet, but its trunk is (through c2): start at b.
    let steps = g.plan_upgrade(&strs(&["c2"]), "c1branch@+1").unwrap();
    assert_eq!(step_ids(&steps), ["c1"]);
    assert_eq!(steps[0].changes, [ins("c1")]);
    assert_eq!(rows_after(&["c2"], &steps), ["c1", "c2"]);

    let steps = g.plan_upgrade(&[], "c2branch@+2").unwrap();
    assert_eq!(step_ids(&steps), ["a", "b"]);

    let steps = g.plan_upgrade(&strs(&["c1", "c2"]), "c2branch@+1").unwrap();
    assert_eq!(step_ids(&steps), ["d2"]);
    assert_eq!(rows_after(&["c1", "c2"], &steps), ["c1", "d2"]);

    let steps = g.plan_upgrade(&strs(&["b"]), "c2branch@head").unwrap();
    assert_eq!(step_ids(&steps), ["c2", "d2"]);
}

#[test]
fn branched_upgrade_other_branch_opens_new_row() {
    let g = branched();
    let steps = g.plan_upgrade(&strs(&["d1"]), "d2").unwrap();
    assert_eq!(step_ids(&steps), ["c2", "d2"]);
    assert_eq!(steps[0].changes, [ins("c2")]);
    assert_eq!(steps[1].changes, [upd("c2", "d2")]);
    assert_eq!(rows_after(&["d1"], &steps), ["d1", "d2"]);
}

#[test]
fn branched_downgrade_to_branch_point() {
    let g = branched();
    let steps = g.plan_downgrade(&strs(&["d1", "d2"]), "b").unwrap();
    assert_eq!(step_ids(&steps), ["d2", "c2", "d1", "c1"]);
    assert_eq!(steps[0].changes, [upd("d2", "c2")]);
    assert_eq!(steps[1].changes, [del("c2")]);
    assert_eq!(steps[2].changes, [upd("d1", "c1")]);
    assert_eq!(steps[3].changes, [upd("c1", "b")]);
    assert_eq!(rows_after(&["d1", "d2"], &steps), ["b"]);
}

#[test]
fn branched_downgrade_minus_one_with_two_rows_is_ambiguous() {
    let g = branched();
    let err = g.plan_downgrade(&strs(&["d1", "d2"]), "-1").unwrap_err();
    assert!(matches!(err, GraphError::AmbiguousDowngrade { .. }));
    assert!(err.to_string().starts_with("Ambiguous downgrade"));
}

#[test]
fn branched_downgrade_label_base_reverts_that_lineage() {
    let g = branched();
    // c1 only: reverting c1branch down to its base reverts its whole lineage.
    let steps = g.plan_downgrade(&strs(&["d1"]), "c1branch@base").unwrap();
    assert_eq!(step_ids(&steps), ["d1", "c1", "b", "a"]);
    assert!(rows_after(&["d1"], &steps).is_empty());
}

#[test]
fn branched_structure_queries() {
    let g = branched();
    assert_eq!(g.heads(), ["d1", "d2"]);
    assert_eq!(g.bases(), ["a"]);
    assert_eq!(g.branch_points(), ["b"]);
    assert_eq!(g.children("b"), ["c1", "c2"]);
    assert_eq!(g.heads_resolving_dependencies(), ["d1", "d2"]);
    let history: Vec<&str> = g.history().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(history, ["d2", "c2", "d1", "c1", "b", "a"]);
}

// ----- 3. merges ------------------------------------------------------------------

#[test]
fn merge_upgrade_to_merge_point() {
    let g = merged();
    let steps = g.plan_upgrade(&strs(&["d1", "d2"]), "e").unwrap();
    assert_eq!(step_ids(&steps), ["e"]);
    assert_eq!(steps[0].changes, [del("d1"), upd("d2", "e")]);
    assert_eq!(rows_after(&["d1", "d2"], &steps), ["e"]);
}

#[test]
fn merge_upgrade_past_merge_point() {
    let g = merged();
    let steps = g.plan_upgrade(&strs(&["d1", "d2"]), "f").unwrap();
    assert_eq!(step_ids(&steps), ["e", "f"]);
    assert_eq!(steps[0].changes, [del("d1"), upd("d2", "e")]);
    assert_eq!(steps[1].changes, [upd("e", "f")]);
    assert_eq!(rows_after(&["d1", "d2"], &steps), ["f"]);
}

#[test]
fn merge_upgrade_heads_from_empty() {
    let g = merged();
    let steps = g.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(
        step_ids(&steps),
        ["a", "b", "c1", "d1", "c2", "d2", "e", "f"]
    );
    let expected = [
        vec![ins("a")],
        vec![upd("a", "b")],
        vec![upd("b", "c1")],
        vec![upd("c1", "d1")],
        vec![ins("c2")],
        vec![upd("c2", "d2")],
        vec![del("d1"), upd("d2", "e")],
        vec![upd("e", "f")],
    ];
    for (step, want) in steps.iter().zip(expected.iter()) {
        assert_eq!(&step.changes, want, "step {}", step.revision);
    }
    assert_eq!(rows_after(&[], &steps), ["f"]);
}

#[test]
fn merge_upgrade_with_one_side_missing() {
    let g = merged();
    // Only c1's side is applied: c2, d2 run first, then the merge.
    let steps = g.plan_upgrade(&strs(&["d1"]), "f").unwrap();
    assert_eq!(step_ids(&steps), ["c2", "d2", "e", "f"]);
    assert_eq!(steps[0].changes, [ins("c2")]);
    assert_eq!(steps[2].changes, [del("d1"), upd("d2", "e")]);
    assert_eq!(rows_after(&["d1"], &steps), ["f"]);
}

#[test]
fn merge_downgrade_to_one_parent_restores_both_rows() {
    let g = merged();
    let steps = g.plan_downgrade(&strs(&["f"]), "d1").unwrap();
    assert_eq!(step_ids(&steps), ["f", "e"]);
    assert_eq!(steps[0].changes, [upd("f", "e")]);
    assert_eq!(steps[1].changes, [ins("d1"), upd("e", "d2")]);
    assert_eq!(rows_after(&["f"], &steps), ["d1", "d2"]);
}

#[test]
fn merge_downgrade_through_merge_into_one_branch() {
    let g = merged();
    let steps = g.plan_downgrade(&strs(&["f"]), "c1").unwrap();
    assert_eq!(step_ids(&steps), ["f", "e", "d1"]);
    assert_eq!(steps[0].changes, [upd("f", "e")]);
    assert_eq!(steps[1].changes, [ins("d1"), upd("e", "d2")]);
    assert_eq!(steps[2].changes, [upd("d1", "c1")]);
    assert_eq!(rows_after(&["f"], &steps), ["c1", "d2"]);

    // Same target through the label: c1branch@c1.
    let again = g.plan_downgrade(&strs(&["f"]), "c1branch@c1").unwrap();
    assert_eq!(again, steps);
}

#[test]
fn merge_downgrade_to_branch_point() {
    let g = merged();
    let steps = g.plan_downgrade(&strs(&["f"]), "b").unwrap();
    assert_eq!(step_ids(&steps), ["f", "e", "d2", "c2", "d1", "c1"]);
    let expected = [
        vec![upd("f", "e")],
        vec![ins("d1"), upd("e", "d2")],
        vec![upd("d2", "c2")],
        vec![del("c2")],
        vec![upd("d1", "c1")],
        vec![upd("c1", "b")],
    ];
    for (step, want) in steps.iter().zip(expected.iter()) {
        assert_eq!(&step.changes, want, "step {}", step.revision);
    }
    assert_eq!(rows_after(&["f"], &steps), ["b"]);
}

#[test]
fn merge_downgrade_relative_and_walk_over_merge() {
    let g = merged();
    let steps = g.plan_downgrade(&strs(&["f"]), "-1").unwrap();
    assert_eq!(step_ids(&steps), ["f"]);
    assert_eq!(rows_after(&["f"], &steps), ["e"]);
    // Walking down from e must choose between d1 and d2.
    let err = g.plan_downgrade(&strs(&["f"]), "-2").unwrap_err();
    assert!(matches!(err, GraphError::AmbiguousWalk { .. }), "{err}");
    // All the way down.
    let steps = g.plan_downgrade(&strs(&["f"]), "base").unwrap();
    assert_eq!(steps.len(), 8);
    assert!(rows_after(&["f"], &steps).is_empty());
}

#[test]
fn merge_structure_queries() {
    let g = merged();
    assert_eq!(g.heads(), ["f"]);
    assert_eq!(g.normalized_down_revisions("e"), ["d1", "d2"]);
    let history: Vec<&str> = g.history().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(history, ["f", "e", "d2", "c2", "d1", "c1", "b", "a"]);
    assert_eq!(g.resolve("c1branch@head", &[]).unwrap(), ["f"]);
}

// ----- 4. depends_on ----------------------------------------------------------------

#[test]
fn depends_on_upgrade_heads_runs_dependency_first() {
    let g = dependent();
    let steps = g.plan_upgrade(&[], "heads").unwrap();
    let ids = step_ids(&steps);
    assert_eq!(ids, ["a1", "a2", "b1", "b2", "b3"]);
    let at = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert!(at("a1") < at("b2") && at("a2") < at("b2"));
    assert_eq!(steps[3].changes, [del("b1"), upd("a2", "b2")]);
    assert_eq!(rows_after(&[], &steps), ["b3"]);
}

#[test]
fn depends_on_heads_listing() {
    let g = dependent();
    assert_eq!(g.heads(), ["a2", "b3"]);
    assert_eq!(g.heads_resolving_dependencies(), ["b3"]);
    assert_eq!(g.bases(), ["a1", "b1"]);
    assert_eq!(g.dependencies("b2"), ["a2"]);
    assert_eq!(g.normalized_down_revisions("b2"), ["b1", "a2"]);
    // depends_on does not make a2 a branch point or give it children.
    assert!(g.children("a2").is_empty());
    assert!(matches!(
        g.resolve("head", &[]),
        Err(GraphError::MultipleHeads { .. })
    ));
    assert_eq!(g.resolve("heads", &[]).unwrap(), ["b3"]);
}

#[test]
fn depends_on_partial_upgrade_and_downgrade() {
    let g = dependent();
    let steps = g.plan_upgrade(&strs(&["b1"]), "a2").unwrap();
    assert_eq!(step_ids(&steps), ["a1", "a2"]);
    assert_eq!(rows_after(&["b1"], &steps), ["a2", "b1"]);

    let steps = g.plan_upgrade(&strs(&["a2", "b1"]), "b3").unwrap();
    assert_eq!(step_ids(&steps), ["b2", "b3"]);
    assert_eq!(steps[0].changes, [del("b1"), upd("a2", "b2")]);
    assert_eq!(rows_after(&["a2", "b1"], &steps), ["b3"]);

    // Downgrading a1 must take b2 and b3 (which need a2) with it.
    let steps = g.plan_downgrade(&strs(&["b3"]), "a1").unwrap();
    assert_eq!(step_ids(&steps), ["b3", "b2", "a2"]);
    assert_eq!(steps[0].changes, [upd("b3", "b2")]);
    assert_eq!(steps[1].changes, [ins("b1"), upd("b2", "a2")]);
    assert_eq!(steps[2].changes, [upd("a2", "a1")]);
    assert_eq!(rows_after(&["b3"], &steps), ["a1", "b1"]);

    let steps = g.plan_downgrade(&strs(&["b3"]), "-2").unwrap();
    assert_eq!(step_ids(&steps), ["b3", "b2"]);
    assert_eq!(rows_after(&["b3"], &steps), ["a2", "b1"]);

    let steps = g.plan_downgrade(&strs(&["b3"]), "base").unwrap();
    assert_eq!(steps.len(), 5);
    assert!(rows_after(&["b3"], &steps).is_empty());
}

#[test]
fn depends_on_by_label_and_prefix() {
    let g = build(vec![
        rev("aaaa0001", &[]),
        with_labels(rev("aaaa0002", &["aaaa0001"]), &["schema"]),
        rev("bbbb0001", &[]),
        with_deps(rev("bbbb0002", &["bbbb0001"]), &["schema"]),
        with_deps(rev("cccc0001", &[]), &["bbbb0002"]),
        with_deps(rev("cccc0002", &["cccc0001"]), &["aaaa0001"]),
    ]);
    assert_eq!(g.dependencies("bbbb0002"), ["aaaa0002"]);
    assert_eq!(g.dependencies("cccc0002"), ["aaaa0001"]);
    // aaaa0001 is already implied by cccc0001 (through bbbb0002 -> aaaa0002).
    assert_eq!(g.normalized_down_revisions("cccc0002"), ["cccc0001"]);
    let steps = g.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(steps.len(), 6);
    assert_eq!(rows_after(&[], &steps), ["cccc0002"]);

    let prefixed = build(vec![
        rev("abcdef01", &[]),
        with_deps(rev("bcdef012", &[]), &["abcd"]),
    ]);
    assert_eq!(prefixed.dependencies("bcdef012"), ["abcdef01"]);
}

#[test]
fn depends_on_stamp_follows_dependencies() {
    let g = dependent();
    let changes = g.plan_stamp(&strs(&["a2"]), &strs(&["b2"])).unwrap();
    assert_eq!(changes, [upd("a2", "b2")]);
    let changes = g.plan_stamp(&[], &strs(&["heads"])).unwrap();
    assert_eq!(changes, [ins("b3")]);
}

// ----- 5. validation -------------------------------------------------------------------

#[test]
fn validation_cycle_names_the_files() {
    let errors = errors_of(vec![
        rev("a", &[]),
        with_source(rev("x", &["y", "a"]), "versions/x_file.py"),
        with_source(rev("y", &["x"]), "versions/y_file.py"),
        rev("z", &["y"]),
    ]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let text = errors[0].to_string();
    assert!(matches!(errors[0], GraphError::Cycle { .. }));
    assert!(text.contains("versions/x_file.py"), "{text}");
    assert!(text.contains("versions/y_file.py"), "{text}");
    // z only hangs off the cycle; it is not part of it.
    assert!(!text.contains("versions/z.py"), "{text}");
}

#[test]
fn validation_cycle_through_depends_on_and_self_loop() {
    let errors = errors_of(vec![
        with_deps(rev("a", &[]), &["b"]),
        rev("b", &["a"]),
        rev("s", &["s"]),
    ]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(text
        .iter()
        .any(|t| t.contains("versions/a.py") && t.contains("versions/b.py")));
    assert!(text.iter().any(|t| t.contains("versions/s.py")));
}

#[test]
fn validation_duplicate_id_names_both_files() {
    let errors = errors_of(vec![
        with_source(rev("a", &[]), "one.py"),
        with_source(rev("a", &[]), "two.py"),
    ]);
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(text.contains("one.py") && text.contains("two.py"), "{text}");
}

#[test]
fn validation_missing_parent_names_file_and_id() {
    let errors = errors_of(vec![rev("a", &[]), rev("b", &["ghost"])]);
    assert_eq!(
        errors,
        [GraphError::MissingDownRevision {
            id: "b".into(),
            source: "versions/b.py".into(),
            missing: "ghost".into()
        }]
    );
    let text = errors[0].to_string();
    assert!(
        text.contains("versions/b.py") && text.contains("ghost"),
        "{text}"
    );
}

#[test]
fn validation_missing_dependency_names_file_and_id() {
    let errors = errors_of(vec![
        rev("a", &[]),
        with_deps(rev("b", &["a"]), &["nowhere"]),
    ]);
    assert_eq!(errors.len(), 1);
    assert!(matches!(errors[0], GraphError::MissingDependency { .. }));
    let text = errors[0].to_string();
    assert!(
        text.contains("versions/b.py") && text.contains("nowhere"),
        "{text}"
    );
}

#[test]
fn validation_ambiguous_dependency_prefix() {
    let errors = errors_of(vec![
        rev("abcd0001", &[]),
        rev("abcd0002", &[]),
        with_deps(rev("ffff0001", &[]), &["abcd"]),
    ]);
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(text.contains("versions/ffff0001.py"), "{text}");
    assert!(
        text.contains("abcd0001") && text.contains("abcd0002"),
        "{text}"
    );
}

#[test]
fn validation_duplicate_label_names_both_files() {
    let errors = errors_of(vec![
        with_labels(rev("a", &[]), &["shop"]),
        with_labels(rev("b", &["a"]), &["shop"]),
    ]);
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(
        text.contains("versions/a.py") && text.contains("versions/b.py"),
        "{text}"
    );
    assert!(text.contains("shop"), "{text}");
}

#[test]
fn validation_label_equal_to_other_id() {
    let errors = errors_of(vec![rev("a", &[]), with_labels(rev("b", &["a"]), &["a"])]);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().contains("versions/b.py"));
    // A label equal to the revision's own id is harmless.
    build(vec![with_labels(rev("a", &[]), &["a"])]);
}

#[test]
fn validation_invalid_ids_and_labels() {
    for bad in [
        "a-b", "a@b", "a+b", "a:b", "", "a b", "tab\tid", "head", "base",
    ] {
        let errors = errors_of(vec![with_source(rev(bad, &[]), "versions/bad.py")]);
        assert_eq!(errors.len(), 1, "{bad:?}: {errors:?}");
        assert!(matches!(errors[0], GraphError::InvalidId { .. }), "{bad:?}");
        assert!(errors[0].to_string().contains("versions/bad.py"), "{bad:?}");
    }
    for bad in ["", "x@y", "two words", "heads"] {
        let errors = errors_of(vec![with_labels(rev("a", &[]), &[bad])]);
        assert_eq!(errors.len(), 1, "{bad:?}");
        assert!(
            matches!(errors[0], GraphError::InvalidLabel { .. }),
            "{bad:?}"
        );
        assert!(errors[0].to_string().contains("versions/a.py"));
    }
    // Labels may contain dashes.
    let g = build(vec![
        rev("a", &[]),
        with_labels(rev("b", &["a"]), &["feature-2"]),
        rev("c", &["b"]),
    ]);
    assert_eq!(g.resolve("feature-2", &[]).unwrap(), ["b"]);
    assert_eq!(g.resolve("feature-2@head", &[]).unwrap(), ["c"]);
}

#[test]
fn validation_reports_every_error() {
    let errors = errors_of(vec![
        rev("a", &[]),
        with_source(rev("a", &[]), "again.py"),
        rev("b", &["missing"]),
        with_deps(rev("c", &["a"]), &["gone"]),
        rev("bad-id", &["a"]),
        rev("p", &["q"]),
        rev("q", &["p"]),
    ]);
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors
        .iter()
        .any(|e| matches!(e, GraphError::DuplicateId { .. })));
    assert!(errors
        .iter()
        .any(|e| matches!(e, GraphError::MissingDownRevision { .. })));
    assert!(errors
        .iter()
        .any(|e| matches!(e, GraphError::MissingDependency { .. })));
    assert!(errors
        .iter()
        .any(|e| matches!(e, GraphError::InvalidId { .. })));
    assert!(errors.iter().any(|e| matches!(e, GraphError::Cycle { .. })));
}

#[test]
fn validation_errors_are_std_errors() {
    fn takes_error(_: &dyn std::error::Error) {}
    let errors = errors_of(vec![rev("a", &["a"])]);
    takes_error(&errors[0]);
    assert!(RevisionGraph::new(Vec::new()).is_ok());
}

// ----- 6. scale --------------------------------------------------------------------------

fn chain_ids(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{:012x}", 0x5eed_0000_0000u64 + i as u64 * 7919))
        .collect()
}

#[test]
fn large_chain_plans_every_step() {
    let ids = chain_ids(5000);
    let mut nodes = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let down: Vec<&str> = if i == 0 {
            Vec::new()
        } else {
            vec![ids[i - 1].as_str()]
        };
        nodes.push(rev(id, &down));
    }
    // Feed the files in scrambled order: the graph must not care.
    nodes.reverse();
    let g = build(nodes);

    let history = g.history();
    assert_eq!(history.len(), 5000);
    assert_eq!(history[0].id, ids[4999]);
    assert_eq!(history[4999].id, ids[0]);

    let up = g.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(up.len(), 5000);
    assert_eq!(up[0].revision, ids[0]);
    assert_eq!(rows_after(&[], &up), [ids[4999].as_str()]);

    let down = g.plan_downgrade(&[ids[4999].clone()], "base").unwrap();
    assert_eq!(down.len(), 5000);

    let relative = g.plan_upgrade(&[], "base+4999").unwrap();
    assert_eq!(relative.len(), 4999);
    let relative = g.plan_downgrade(&[ids[4999].clone()], "-4999").unwrap();
    assert_eq!(relative.len(), 4999);
    let range = g
        .history_range(Some(&ids[10]), Some(&ids[4000]), &[])
        .unwrap();
    assert_eq!(range.len(), 3991);
    assert_eq!(g.heads(), [ids[4999].as_str()]);
}

#[test]
fn large_parallel_branches_plan_every_step() {
    let mut nodes = vec![rev("root", &[])];
    for branch in ["l", "r"] {
        for i in 0..2500 {
            let id = format!("{branch}{i:05}");
            let down = if i == 0 {
                "root".to_string()
            } else {
                format!("{branch}{:05}", i - 1)
            };
            nodes.push(rev(&id, &[down.as_str()]));
        }
    }
    nodes.push(rev("merge", &["l02499", "r02499"]));
    let g = build(nodes);
    let up = g.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(up.len(), 5002);
    assert_eq!(rows_after(&[], &up), ["merge"]);
    let down = g.plan_downgrade(&strs(&["merge"]), "base").unwrap();
    assert_eq!(down.len(), 5002);
    assert!(rows_after(&["merge"], &down).is_empty());
}

// ----- 7. identifier resolution --------------------------------------------------------------

fn prefixed() -> RevisionGraph {
    build(vec![
        rev("ab", &[]),
        rev("abcdef123456", &["ab"]),
        with_labels(rev("abcdef999999", &["abcdef123456"]), &["feature"]),
        rev("abd012345678", &["abcdef999999"]),
        rev("ffee00112233", &["abd012345678"]),
    ])
}

#[test]
fn prefix_resolution() {
    let g = prefixed();
    assert_eq!(g.resolve("abd0", &[]).unwrap(), ["abd012345678"]);
    assert_eq!(g.resolve("ffee00", &[]).unwrap(), ["ffee00112233"]);
    assert_eq!(g.resolve("ab", &[]).unwrap(), ["ab"]);
    let err = g.resolve("abcd", &[]).unwrap_err();
    assert_eq!(
        err,
        GraphError::AmbiguousPrefix {
            prefix: "abcd".into(),
            candidates: strs(&["abcdef123456", "abcdef999999"])
        }
    );
    assert!(err.to_string().contains("'abcdef123456', 'abcdef999999'"));
    let err = g.resolve("abd", &[]).unwrap_err();
    assert_eq!(
        err,
        GraphError::NotFound {
            ident: "abd".into()
        }
    );
    assert!(err.to_string().contains("at least four characters"));
    assert!(matches!(
        g.resolve("zzzz", &[]),
        Err(GraphError::NotFound { .. })
    ));
    // A label narrows an otherwise ambiguous prefix.
    let narrowed = build(vec![
        rev("base0001", &[]),
        with_labels(rev("abcd0001", &["base0001"]), &["left"]),
        with_labels(rev("abcd0002", &["base0001"]), &["right"]),
    ]);
    assert_eq!(narrowed.resolve("left@abcd", &[]).unwrap(), ["abcd0001"]);
    assert!(narrowed.resolve("abcd", &[]).is_err());
}

#[test]
fn relative_resolution() {
    let g = linear();
    assert_eq!(g.resolve("base+2", &[]).unwrap(), ["b"]);
    assert_eq!(g.resolve("a+1", &[]).unwrap(), ["b"]);
    assert_eq!(g.resolve("d-2", &[]).unwrap(), ["b"]);
    assert_eq!(g.resolve("head-1", &[]).unwrap(), ["d"]);
    assert_eq!(g.resolve("heads-4", &[]).unwrap(), ["a"]);
    assert!(g.resolve("heads-5", &[]).unwrap().is_empty());
    assert_eq!(g.resolve("+2", &strs(&["b"])).unwrap(), ["d"]);
    assert_eq!(
        g.resolve("-2", &strs(&["b"])).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(g.resolve("+1", &[]).unwrap(), ["a"]);
    assert_eq!(g.resolve("current", &strs(&["c"])).unwrap(), ["c"]);
    assert_eq!(g.resolve("current+1", &strs(&["c"])).unwrap(), ["d"]);
    assert!(g.resolve("current", &[]).unwrap().is_empty());
    assert_eq!(
        err_text(g.resolve("e+1", &[])),
        "Relative revision +1 didn't produce 1 migrations"
    );

    let hex = hex_chain();
    assert_eq!(hex.resolve("1a2b+1", &[]).unwrap(), [HEX[1]]);
    assert_eq!(hex.resolve("4b1a-2", &[]).unwrap(), [HEX[1]]);
    assert_eq!(
        hex.resolve(&format!("{}+3", HEX[0]), &[]).unwrap(),
        [HEX[3]]
    );
}

#[test]
fn label_relative_resolution() {
    let g = branched();
    let current = strs(&["c1", "c2"]);
    assert_eq!(g.resolve("c1branch@+1", &current).unwrap(), ["d1"]);
    assert_eq!(g.resolve("c2branch@+1", &current).unwrap(), ["d2"]);
    assert_eq!(g.resolve("c1branch@head-1", &[]).unwrap(), ["c1"]);
    assert_eq!(g.resolve("c2branch@head-2", &[]).unwrap(), ["b"]);
    assert_eq!(
        g.resolve("c1branch@-1", &strs(&["d1", "d2"])).unwrap(),
        ["c1"]
    );
    assert_eq!(g.resolve("c1branch@base+3", &[]).unwrap(), ["c1"]);
    assert_eq!(
        err_text(g.resolve("c1branch@-1", &strs(&["c2"]))),
        "Relative revision -1 didn't produce 1 migrations"
    );
    assert_eq!(
        err_text(g.resolve("c1branch@+3", &strs(&["c1", "c2"]))),
        "Relative revision +3 didn't produce 3 migrations"
    );
    // Walking up from b without a branch is ambiguous.
    assert!(matches!(
        g.resolve("b+1", &[]),
        Err(GraphError::AmbiguousWalk { .. })
    ));
    assert!(matches!(
        g.resolve("current", &strs(&["nope"])),
        Err(GraphError::UnknownCurrentRevision { .. })
    ));
}

#[test]
fn current_rows_must_exist() {
    let g = linear();
    let err = g.plan_upgrade(&strs(&["zzz"]), "heads").unwrap_err();
    assert_eq!(err, GraphError::UnknownCurrentRevision { id: "zzz".into() });
    assert!(g.plan_downgrade(&strs(&["zzz"]), "base").is_err());
    assert!(g.plan_stamp(&strs(&["zzz"]), &strs(&["a"])).is_err());
}

// ----- 8. downgrade targets and stamps ----------------------------------------------------

#[test]
fn downgrade_to_non_ancestor_is_rejected() {
    let g = branched();
    assert_eq!(
        err_text(g.plan_downgrade(&strs(&["d1"]), "c2")),
        "Destination c2 is not a valid downgrade target from current head(s)"
    );
    assert_eq!(
        err_text(g.plan_downgrade(&strs(&["c1"]), "d1")),
        "Destination d1 is not a valid downgrade target from current head(s)"
    );
    assert_eq!(
        err_text(g.plan_downgrade(&[], "a")),
        "Destination a is not a valid downgrade target from current head(s)"
    );
    // The current revision itself is a valid (empty) downgrade target.
    assert!(g.plan_downgrade(&strs(&["d1"]), "d1").unwrap().is_empty());
    assert!(g.plan_downgrade(&[], "base").unwrap().is_empty());
}

#[test]
fn stamp_head_from_empty_inserts() {
    let g = linear();
    let changes = g.plan_stamp(&[], &strs(&["head"])).unwrap();
    assert_eq!(changes, [ins("e")]);
    assert_eq!(rows_after_stamp(&[], &changes), ["e"]);
}

#[test]
fn stamp_to_ancestor_and_descendant_updates() {
    let g = linear();
    let changes = g.plan_stamp(&strs(&["d"]), &strs(&["b"])).unwrap();
    assert_eq!(changes, [upd("d", "b")]);
    let changes = g.plan_stamp(&strs(&["b"]), &strs(&["d"])).unwrap();
    assert_eq!(changes, [upd("b", "d")]);
    assert!(g
        .plan_stamp(&strs(&["d"]), &strs(&["d"]))
        .unwrap()
        .is_empty());
    let changes = g.plan_stamp(&strs(&["d"]), &strs(&["base"])).unwrap();
    assert_eq!(changes, [del("d")]);
    let changes = g.plan_stamp(&strs(&["d"]), &strs(&["-2"])).unwrap();
    assert_eq!(changes, [upd("d", "b")]);
}

#[test]
fn stamp_both_branch_heads() {
    let g = branched();
    let changes = g.plan_stamp(&[], &strs(&["heads"])).unwrap();
    assert_eq!(changes, [ins("d1"), ins("d2")]);
    assert_eq!(rows_after_stamp(&[], &changes), ["d1", "d2"]);

    let changes = g.plan_stamp(&strs(&["b"]), &strs(&["d1", "d2"])).unwrap();
    assert_eq!(changes, [upd("b", "d1"), ins("d2")]);
    assert_eq!(rows_after_stamp(&["b"], &changes), ["d1", "d2"]);

    let changes = g
        .plan_stamp(&strs(&["c1"]), &strs(&["c1branch@head", "c2branch@head"]))
        .unwrap();
    assert_eq!(changes, [upd("c1", "d1"), ins("d2")]);
}

#[test]
fn stamp_within_branches() {
    let g = branched();
    let current = strs(&["d1", "d2"]);
    let changes = g.plan_stamp(&current, &strs(&["c1"])).unwrap();
    assert_eq!(changes, [upd("d1", "c1")]);
    assert_eq!(rows_after_stamp(&["d1", "d2"], &changes), ["c1", "d2"]);

    let changes = g.plan_stamp(&current, &strs(&["b"])).unwrap();
    assert_eq!(changes, [del("d1"), upd("d2", "b")]);

    let changes = g.plan_stamp(&current, &strs(&["c1branch@base"])).unwrap();
    assert_eq!(changes, [del("d1")]);

    let changes = g.plan_stamp(&current, &strs(&["base"])).unwrap();
    assert_eq!(changes, [del("d1"), del("d2")]);

    let changes = g.plan_stamp(&strs(&["d2"]), &strs(&["c1"])).unwrap();
    assert_eq!(changes, [ins("c1")]);

    let g = merged();
    let changes = g.plan_stamp(&current, &strs(&["e"])).unwrap();
    assert_eq!(changes, [del("d1"), upd("d2", "e")]);
    let changes = g.plan_stamp(&strs(&["f"]), &strs(&["d1", "d2"])).unwrap();
    assert_eq!(changes, [upd("f", "d1"), ins("d2")]);
    assert_eq!(rows_after_stamp(&["f"], &changes), ["d1", "d2"]);
}

#[test]
fn stamp_purge_is_an_empty_start() {
    let g = branched();
    let changes = g.plan_stamp(&[], &strs(&["c1branch@head"])).unwrap();
    assert_eq!(changes, [ins("d1")]);
    assert!(g.plan_stamp(&[], &strs(&["base"])).unwrap().is_empty());
}

// ----- history ranges ------------------------------------------------------------------------

fn ids_of(nodes: &[&RevisionNode]) -> Vec<String> {
    nodes.iter().map(|n| n.id.clone()).collect()
}

#[test]
fn history_ranges_linear() {
    let g = linear();
    let r = |s: Option<&str>, e: Option<&str>, cur: &[&str]| {
        ids_of(&g.history_range(s, e, &strs(cur)).unwrap())
    };
    assert_eq!(r(None, None, &[]), ["e", "d", "c", "b", "a"]);
    assert_eq!(r(Some("b"), Some("d"), &[]), ["d", "c", "b"]);
    assert_eq!(r(None, Some("c"), &[]), ["c", "b", "a"]);
    assert_eq!(r(Some("c"), None, &[]), ["e", "d", "c"]);
    assert_eq!(r(Some("current"), None, &["d"]), ["e", "d"]);
    assert_eq!(r(None, Some("current"), &["b"]), ["b", "a"]);
    assert_eq!(r(Some("-2"), None, &[]), ["e", "d", "c"]);
    assert_eq!(r(Some("-9"), None, &[]), ["e", "d", "c", "b", "a"]);
    assert_eq!(r(Some("b"), Some("+2"), &[]), ["d", "c", "b"]);
    assert_eq!(r(Some("base"), Some("+2"), &[]), ["b", "a"]);
    assert_eq!(r(Some("c"), Some("+9"), &[]), ["e", "d", "c"]);
    assert!(r(None, Some("base"), &[]).is_empty());
    assert_eq!(
        err_text(g.history_range(Some("d"), Some("b"), &[])),
        "Requested range d:b does not refer to ancestor/descendant revisions along the same branch"
    );
    assert!(g.history_range(Some("-1"), Some("+1"), &[]).is_err());
}

#[test]
fn history_ranges_branched() {
    let g = branched();
    let r = |s: Option<&str>, e: Option<&str>| ids_of(&g.history_range(s, e, &[]).unwrap());
    assert_eq!(r(Some("b"), None), ["d2", "c2", "d1", "c1", "b"]);
    assert_eq!(r(Some("c1"), None), ["d1", "c1"]);
    assert_eq!(r(None, Some("c1branch@head")), ["d1", "c1", "b", "a"]);
    assert_eq!(
        r(Some("c2branch@base"), Some("c2branch@head")),
        ["d2", "c2", "b", "a"]
    );
    assert!(matches!(
        g.history_range(Some("c1"), Some("d2"), &[]),
        Err(GraphError::RangeNotAncestor { .. })
    ));
}

// ----- apply_changes ------------------------------------------------------------------------

#[test]
fn apply_changes_rules() {
    let mut rows = strs(&["a", "b"]);
    apply_changes(&mut rows, &[upd("a", "x"), ins("y"), del("b")]).unwrap();
    assert_eq!(rows, ["x", "y"]);

    let before = rows.clone();
    assert_eq!(
        apply_changes(&mut rows, &[del("y"), upd("nope", "z")]),
        Err(GraphError::MissingRow { id: "nope".into() })
    );
    assert_eq!(rows, before, "a failed apply leaves the rows untouched");
    assert_eq!(
        apply_changes(&mut rows, &[del("gone")]),
        Err(GraphError::MissingRow { id: "gone".into() })
    );
    assert_eq!(
        apply_changes(&mut rows, &[ins("x")]),
        Err(GraphError::DuplicateRow { id: "x".into() })
    );
    assert_eq!(
        apply_changes(&mut rows, &[upd("x", "y")]),
        Err(GraphError::DuplicateRow { id: "y".into() })
    );
    assert_eq!(rows, before);
}

// ----- robustness ---------------------------------------------------------------------------

#[test]
fn odd_identifiers_never_panic() {
    let graphs = [
        linear(),
        branched(),
        merged(),
        dependent(),
        prefixed(),
        build(Vec::new()),
    ];
    let idents = [
        "",
        "@",
        "@@",
        "+",
        "-",
        "+-1",
        "a@",
        "@head",
        "x@y@z",
        "c1branch@",
        "+0",
        "-0",
        "a+0",
        "+99999999999999999999999",
        "-18446744073709551615",
        "+18446744073709551615",
        "head+1",
        "heads-1",
        "base-1",
        "base+0",
        "current+1",
        "current-1",
        "é",
        " a",
        "a ",
        "c1branch@base-1",
        "c1branch@heads",
        "c1branch@current",
        "c1branch@+99",
        "c1branch@-99",
        "head",
        "heads",
        "base",
        "current",
        "a",
        "b",
        "e",
        "d1",
        "f",
        "b3",
        "abcd",
        "ab",
        "a:b",
        "b-1-1",
        "c1branch@head-9",
        "nope@+1",
        "c1@c2",
        "ffee@-1",
    ];
    let currents: [&[&str]; 7] = [
        &[],
        &["a"],
        &["d1", "d2"],
        &["f"],
        &["b3"],
        &["c"],
        &["a", "b"],
    ];
    for g in &graphs {
        for current in currents {
            let current = strs(current);
            for ident in idents {
                let _ = g.resolve(ident, &current);
                if let Ok(steps) = g.plan_upgrade(&current, ident) {
                    let mut rows = current.clone();
                    for step in &steps {
                        apply_changes(&mut rows, &step.changes).unwrap();
                    }
                }
                if let Ok(steps) = g.plan_downgrade(&current, ident) {
                    let mut rows = current.clone();
                    for step in &steps {
                        apply_changes(&mut rows, &step.changes).unwrap();
                    }
                }
                if let Ok(changes) = g.plan_stamp(&current, &strs(&[ident, "heads"])) {
                    let mut rows = current.clone();
                    apply_changes(&mut rows, &changes).unwrap();
                }
                let _ = g.history_range(Some(ident), None, &current);
                let _ = g.history_range(None, Some(ident), &current);
                let _ = g.history_range(Some(ident), Some(ident), &current);
            }
        }
    }
}

#[test]
fn round_trips_restore_the_rows() {
    // Upgrading to every revision and back to where we started restores the rows.
    for g in [linear(), branched(), merged(), dependent()] {
        let ids: Vec<String> = g.history().iter().map(|n| n.id.clone()).collect();
        for target in &ids {
            let up = g.plan_upgrade(&[], target).unwrap();
            let mut rows = Vec::new();
            for step in &up {
                apply_changes(&mut rows, &step.changes).unwrap();
            }
            let down = g.plan_downgrade(&rows, "base").unwrap();
            assert_eq!(down.len(), up.len(), "target {target}");
            for step in &down {
                apply_changes(&mut rows, &step.changes).unwrap();
            }
            assert!(rows.is_empty(), "target {target}: {rows:?}");
        }
    }
}

// ----- further semantics -----------------------------------------------------------------

#[test]
fn merge_skips_parent_already_covered_by_another_row() {
    // Inconsistent rows (d1 is below z) as left behind by a manual stamp:
    // the merge only consumes the parent that is not implied by another row.
    let g = build(vec![
        rev("a", &[]),
        rev("d1", &["a"]),
        rev("z", &["d1"]),
        rev("d2", &["a"]),
        rev("e", &["d1", "d2"]),
    ]);
    let steps = g.plan_upgrade(&strs(&["d1", "d2", "z"]), "e").unwrap();
    assert_eq!(step_ids(&steps), ["e"]);
    assert_eq!(steps[0].changes, [upd("d2", "e")]);
    assert_eq!(rows_after(&["d1", "d2", "z"], &steps), ["d1", "e", "z"]);
}

#[test]
fn relative_upgrade_counts_walk_steps_not_migrations() {
    let g = merged();
    // One step up from d1 is the merge e, which needs c2 and d2 as well.
    let steps = g.plan_upgrade(&strs(&["d1"]), "+1").unwrap();
    assert_eq!(step_ids(&steps), ["c2", "d2", "e"]);
    assert_eq!(rows_after(&["d1"], &steps), ["e"]);
}

#[test]
fn label_downgrade_on_a_branch_only_applied_as_dependency() {
    let g = build(vec![
        with_labels(rev("a1", &[]), &["alpha"]),
        rev("a2", &["a1"]),
        rev("b1", &[]),
        with_deps(rev("b2", &["b1"]), &["a2"]),
        rev("b3", &["b2"]),
    ]);
    // No row is on alpha's lineage; its applied tip (a2) is the start.
    assert_eq!(g.resolve("alpha@-1", &strs(&["b3"])).unwrap(), ["a1"]);
    let steps = g.plan_downgrade(&strs(&["b3"]), "alpha@-1").unwrap();
    assert_eq!(step_ids(&steps), ["b3", "b2", "a2"]);
    assert_eq!(rows_after(&["b3"], &steps), ["a1", "b1"]);
    // alpha@+1 from b1 only: alpha is not applied at all, so start from base.
    let steps = g.plan_upgrade(&strs(&["b1"]), "alpha@+1").unwrap();
    assert_eq!(step_ids(&steps), ["a1"]);
    assert_eq!(steps[0].changes, [ins("a1")]);
}

#[test]
fn independent_bases_with_labels() {
    let g = build(vec![
        with_labels(rev("n1", &[]), &["networking"]),
        rev("n2", &["n1"]),
        with_labels(rev("s1", &[]), &["shop"]),
        rev("s2", &["s1"]),
    ]);
    assert_eq!(g.bases(), ["n1", "s1"]);
    assert!(matches!(
        g.plan_upgrade(&[], "+1"),
        Err(GraphError::AmbiguousWalk { .. })
    ));
    let steps = g.plan_upgrade(&[], "shop@head").unwrap();
    assert_eq!(step_ids(&steps), ["s1", "s2"]);
    let steps = g.plan_upgrade(&strs(&["s2"]), "networking@+1").unwrap();
    assert_eq!(steps[0].changes, [ins("n1")]);
    let current = strs(&["n2", "s2"]);
    let steps = g.plan_downgrade(&current, "networking@base").unwrap();
    assert_eq!(step_ids(&steps), ["n2", "n1"]);
    assert_eq!(rows_after(&["n2", "s2"], &steps), ["s2"]);
    let changes = g.plan_stamp(&current, &strs(&["shop@base"])).unwrap();
    assert_eq!(changes, [del("s2")]);
    let steps = g.plan_downgrade(&current, "shop@-1").unwrap();
    assert_eq!(step_ids(&steps), ["s2"]);
}

#[test]
fn wide_graph_plans_every_step() {
    let mut nodes = Vec::new();
    for i in 0..2500 {
        let base = format!("w{i:05}a");
        let top = format!("w{i:05}b");
        nodes.push(rev(&base, &[]));
        nodes.push(rev(&top, &[base.as_str()]));
    }
    let g = build(nodes);
    assert_eq!(g.heads().len(), 2500);
    let up = g.plan_upgrade(&[], "heads").unwrap();
    assert_eq!(up.len(), 5000);
    let mut rows: Vec<String> = Vec::new();
    for step in &up {
        apply_changes(&mut rows, &step.changes).unwrap();
    }
    assert_eq!(rows.len(), 2500);
    let down = g.plan_downgrade(&rows, "base").unwrap();
    assert_eq!(down.len(), 5000);
    let history = g.history_range(Some("current"), None, &rows).unwrap();
    assert_eq!(history.len(), 2500);
}

#[test]
fn input_order_does_not_matter() {
    let nodes = vec![
        rev("a", &[]),
        rev("b", &["a"]),
        with_labels(rev("c1", &["b"]), &["c1branch"]),
        rev("d1", &["c1"]),
        with_labels(rev("c2", &["b"]), &["c2branch"]),
        rev("d2", &["c2"]),
        rev("e", &["d1", "d2"]),
        rev("f", &["e"]),
    ];
    let mut shuffled = nodes.clone();
    shuffled.reverse();
    shuffled.swap(1, 5);
    let (one, two) = (build(nodes), build(shuffled));
    let ids =
        |g: &RevisionGraph| -> Vec<String> { g.history().iter().map(|n| n.id.clone()).collect() };
    assert_eq!(ids(&one), ids(&two));
    assert_eq!(
        one.plan_upgrade(&[], "heads"),
        two.plan_upgrade(&[], "heads")
    );
    assert_eq!(
        one.plan_downgrade(&strs(&["f"]), "b"),
        two.plan_downgrade(&strs(&["f"]), "b")
    );
    assert_eq!(one.heads(), two.heads());
}

#[test]
fn stamp_with_no_targets_changes_nothing_and_duplicates_are_ignored() {
    let g = branched();
    assert!(g.plan_stamp(&strs(&["d1"]), &[]).unwrap().is_empty());
    let changes = g
        .plan_stamp(&[], &strs(&["d1", "d1", "c1branch@head"]))
        .unwrap();
    assert_eq!(changes, [ins("d1")]);
    // Duplicate version rows are treated as one.
    let steps = g.plan_downgrade(&strs(&["d1", "d1"]), "-1").unwrap();
    assert_eq!(step_ids(&steps), ["d1"]);
}

// ----- 9. downgrading to a dependency ------------------------------------------------------

/// Two roots: a1 -> a2 ; b1 (a base of its own, depends_on a1).
fn two_roots_with_dependency() -> RevisionGraph {
    build(vec![
        rev("a1", &[]),
        rev("a2", &["a1"]),
        with_deps(rev("b1", &[]), &["a1"]),
    ])
}

/// One root r with two branches: r -> a1 -> a2 ; r -> b1 -> b2 (depends_on a1).
fn mixed_with_dependency() -> RevisionGraph {
    build(vec![
        rev("r", &[]),
        rev("a1", &["r"]),
        rev("a2", &["a1"]),
        rev("b1", &["r"]),
        with_deps(rev("b2", &["b1"]), &["a1"]),
    ])
}

#[test]
fn downgrade_to_dependency_two_roots_keeps_the_dependant() {
    let g = two_roots_with_dependency();
    let steps = g.plan_upgrade(&[], "heads").unwrap();
    let current = rows_after(&[], &steps);
    assert_eq!(current, ["a2", "b1"]);

    // Only a2 descends from a1 through down_revision; b1 merely depends on a1.
    let steps = g.plan_downgrade(&current, "a1").unwrap();
    assert_all_direction(&steps, Direction::Down);
    assert_eq!(step_ids(&steps), ["a2"]);
    // a1 stays implied by b1, so a2's row goes rather than becoming a1 (Alembic).
    assert_eq!(steps[0].changes, [del("a2")]);
    let current = rows_after(&["a2", "b1"], &steps);
    assert_eq!(current, ["b1"]);

    // Nothing left to revert down to a1 while b1 is applied: refused, naming b1.
    let err = g.plan_downgrade(&current, "a1").unwrap_err();
    assert!(
        matches!(&err, GraphError::DowngradeTargetOnlyDependency { dependants, .. } if dependants == &strs(&["b1"])),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("Destination a1 is not a valid downgrade target from current head(s)"),
        "{text}"
    );
    assert!(text.contains("`retort downgrade b1@base`"), "{text}");

    // The suggested command works, and then a1 is the only row.
    let steps = g.plan_downgrade(&current, "b1@base").unwrap();
    assert_eq!(step_ids(&steps), ["b1"]);
    assert_eq!(steps[0].changes, [upd("b1", "a1")]);
    assert_eq!(rows_after(&["b1"], &steps), ["a1"]);

    // A target that is itself a row is an empty, valid downgrade.
    assert!(g.plan_downgrade(&strs(&["a1"]), "a1").unwrap().is_empty());
    // base still reverts everything, dependants first.
    let steps = g.plan_downgrade(&strs(&["a2", "b1"]), "base").unwrap();
    assert_eq!(step_ids(&steps), ["b1", "a2", "a1"]);
    assert!(rows_after(&["a2", "b1"], &steps).is_empty());
}

#[test]
fn downgrade_to_dependency_mixed_graph_keeps_the_dependant() {
    let g = mixed_with_dependency();
    let steps = g.plan_upgrade(&[], "heads").unwrap();
    let current = rows_after(&[], &steps);
    assert_eq!(current, ["a2", "b2"]);

    let steps = g.plan_downgrade(&current, "a1").unwrap();
    assert_eq!(step_ids(&steps), ["a2"]);
    assert_eq!(steps[0].changes, [del("a2")]);
    let after = rows_after(&["a2", "b2"], &steps);
    assert_eq!(after, ["b2"]);
    // a1 is still applied (b2 needs it): b2 is untouched, and a1 is not a valid target.
    assert!(matches!(
        g.plan_downgrade(&after, "a1"),
        Err(GraphError::DowngradeTargetOnlyDependency { .. })
    ));
    let text = err_text(g.plan_downgrade(&after, "a1"));
    assert!(text.contains("`retort downgrade b1`"), "{text}");

    // Downgrading the dependant's own branch restores a1 as a row.
    let steps = g.plan_downgrade(&after, "b1").unwrap();
    assert_eq!(step_ids(&steps), ["b2"]);
    assert_eq!(steps[0].changes, [ins("b1"), upd("b2", "a1")]);
    assert_eq!(rows_after(&["b2"], &steps), ["a1", "b1"]);

    // From both heads, downgrading b1 keeps the a branch whole.
    let steps = g.plan_downgrade(&current, "b1").unwrap();
    assert_eq!(step_ids(&steps), ["b2"]);
    assert_eq!(steps[0].changes, [upd("b2", "b1")]);
    assert_eq!(rows_after(&["a2", "b2"], &steps), ["a2", "b1"]);

    // Downgrading to the common root reverts both branches, dependant first.
    let steps = g.plan_downgrade(&strs(&["b2"]), "r").unwrap();
    let ids = step_ids(&steps);
    let at = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(at("b2") < at("a1") && at("b2") < at("b1"), "{ids:?}");
    assert_eq!(rows_after(&["b2"], &steps), ["r"]);
}

#[test]
fn downgrade_to_dependency_reverts_dependants_of_what_goes() {
    // b2 depends on a2: downgrading to a1 removes a2, so b2 (and b3) must go too.
    let g = dependent();
    let steps = g.plan_downgrade(&strs(&["a2", "b3"]), "a1").unwrap();
    assert_eq!(step_ids(&steps), ["b3", "b2", "a2"]);
    // b2 depends on a2 only: downgrading to a2 reverts nothing and is no error
    // when a2 is a row.
    assert!(g
        .plan_downgrade(&strs(&["a2", "b1"]), "a2")
        .unwrap()
        .is_empty());
    // From b3 alone, a2 is applied only as b2's dependency.
    assert!(matches!(
        g.plan_downgrade(&strs(&["b3"]), "a2"),
        Err(GraphError::DowngradeTargetOnlyDependency { .. })
    ));
}
