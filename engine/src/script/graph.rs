//! The revision graph: a pure, I/O-free model of a migration history.
//!
//! A [`RevisionGraph`] is built from [`RevisionNode`]s (one per migration
//! script) and answers every question the command layer needs: heads, bases,
//! history, identifier resolution and the upgrade / downgrade / stamp plans,
//! including the exact changes to the version table that each step makes.
//!
//! The semantics follow Alembic (`alembic.script.revision.RevisionMap` and
//! `alembic.runtime.migration.HeadMaintainer`).
//!
//! # Terminology
//!
//! * A revision's *parents* are its `down_revisions`; its *dependencies* are
//!   its resolved `depends_on` entries.  Both kinds of edge count for
//!   "ancestor" / "descendant" unless stated otherwise.
//! * A *head* has no revision naming it as a down revision (dependencies do
//!   not count); a *base* has no down revisions.
//! * The *normalized down revisions* of a revision are its parents followed by
//!   its dependencies, minus every entry that is an ancestor of another entry.
//!   They drive the version-table maintenance, in the role of Alembic's
//!   `_normalized_down_revisions` (which prunes only redundant dependencies;
//!   here a redundant down_revision is pruned too).
//! * *Lineage*: revision `x` shares lineage with `y` when `x` is an ancestor
//!   or a descendant of `y` (or `y` itself), following parents only.  A branch
//!   label selects the lineage of the revision carrying it.
//!
//! # Identifiers
//!
//! A full id; a unique id prefix of at least four characters; a branch label
//! (the labelled revision); `head`; `heads`; `base`; `current`;
//! `LABEL@head`, `LABEL@heads`, `LABEL@base`, `LABEL@REV` (REV restricted to
//! the branch); relative forms `+N`, `-N`, `REV+N`, `REV-N`, `LABEL@+N`,
//! `LABEL@-N`, `LABEL@head-N`, `base+N`, `heads-N`, ...  The part before the
//! first `@` may also be a revision id (or prefix) instead of a label.
//!
//! # Deterministic order
//!
//! * `heads`, `bases`, `branch_points`, `children` and
//!   `heads_resolving_dependencies` are sorted by id (byte-wise).
//! * All revisions are put in one global topological order when the graph is
//!   built: a depth-first Kahn traversal that starts from the revisions
//!   without parents or dependencies in ascending id order and, after
//!   emitting a revision, continues with whichever of its children /
//!   dependents just became ready (ascending id) before returning to older
//!   pending work.  This runs each branch to its end before starting the next.
//!   Upgrade plans use this order restricted to the revisions to run;
//!   downgrade plans and `history` use its reverse.
//! * Within a step: a merge deletes every merged row but the last (in
//!   normalized-down order: down_revisions as declared, then depends_on as
//!   declared) and updates the last one; an un-merge inserts every restored
//!   row but the last and updates the reverted revision to the last.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// Identifiers with a special meaning; they can be neither ids nor labels.
const RESERVED: [&str; 4] = ["head", "heads", "base", "current"];

/// Minimum length of a partial (prefix) revision identifier.
const MIN_PREFIX: usize = 4;

/// One revision as the graph sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionNode {
    /// The revision id.
    pub id: String,
    /// Parent revision ids; empty for a base, more than one for a merge.
    pub down_revisions: Vec<String>,
    /// Extra dependencies: ids, unique id prefixes, or branch labels.
    pub depends_on: Vec<String>,
    /// Branch labels carried by this revision.
    pub branch_labels: Vec<String>,
    /// The revision message.
    pub message: String,
    /// Where the revision came from (a file path); used in error messages.
    pub source: String,
}

/// Whether a step runs a revision's upgrade or its downgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Run the revision's upgrade.
    Up,
    /// Run the revision's downgrade.
    Down,
}

/// One change to the version table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VersionChange {
    /// Insert a new row.
    Insert(String),
    /// Replace the row `from` by `to`.
    Update {
        /// The existing row.
        from: String,
        /// Its new value.
        to: String,
    },
    /// Delete a row.
    Delete(String),
}

/// One migration step of a plan: a revision to run and the version-table
/// changes to make after running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The revision id.
    pub revision: String,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// Version-table changes, in the order they must be executed.
    pub changes: Vec<VersionChange>,
}

/// Everything that can go wrong when building a graph, resolving an
/// identifier, planning, or applying version-table changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// Two revisions share an id.
    DuplicateId {
        /// The id.
        id: String,
        /// Source of the revision that was kept.
        first_source: String,
        /// Source of the revision that was rejected.
        second_source: String,
    },
    /// A revision id is not acceptable.
    InvalidId {
        /// The offending id.
        id: String,
        /// Where it was declared.
        source: String,
        /// Why it is rejected.
        reason: String,
    },
    /// A branch label is not acceptable.
    InvalidLabel {
        /// The offending label.
        label: String,
        /// The revision carrying it.
        id: String,
        /// Where it was declared.
        source: String,
        /// Why it is rejected.
        reason: String,
    },
    /// Two revisions carry the same branch label.
    DuplicateLabel {
        /// The label.
        label: String,
        /// The revision that keeps the label.
        first_id: String,
        /// Its source.
        first_source: String,
        /// The revision whose label is rejected.
        second_id: String,
        /// Its source.
        second_source: String,
    },
    /// A branch label is equal to the id of another revision.
    LabelIsRevisionId {
        /// The label.
        label: String,
        /// The revision carrying the label.
        id: String,
        /// Its source.
        source: String,
        /// Source of the revision whose id the label repeats.
        other_source: String,
    },
    /// A down_revision names no revision.
    MissingDownRevision {
        /// The revision naming it.
        id: String,
        /// Its source.
        source: String,
        /// The id that could not be found.
        missing: String,
    },
    /// A depends_on entry names no revision or label.
    MissingDependency {
        /// The revision naming it.
        id: String,
        /// Its source.
        source: String,
        /// The entry that could not be resolved.
        missing: String,
    },
    /// A depends_on entry is a prefix of several revision ids.
    AmbiguousDependency {
        /// The revision naming it.
        id: String,
        /// Its source.
        source: String,
        /// The ambiguous entry.
        reference: String,
        /// The matching ids.
        candidates: Vec<String>,
    },
    /// Revisions that lie on a cycle through down_revisions and/or depends_on.
    Cycle {
        /// `(id, source)` of each revision on the cycle, sorted by id.
        revisions: Vec<(String, String)>,
    },
    /// An identifier is malformed.
    InvalidIdentifier {
        /// The identifier.
        ident: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No revision or branch matches an identifier.
    NotFound {
        /// The identifier.
        ident: String,
    },
    /// A prefix matches several revisions.
    AmbiguousPrefix {
        /// The prefix.
        prefix: String,
        /// All matching ids, sorted.
        candidates: Vec<String>,
    },
    /// The part before `@` names no branch.
    NoSuchBranch {
        /// The branch name.
        label: String,
    },
    /// A revision was qualified with a branch it is not part of.
    NotInBranch {
        /// The revision id.
        revision: String,
        /// The branch name.
        branch: String,
    },
    /// `head` (or `LABEL@head`, ...) matches several heads.
    MultipleHeads {
        /// The identifier as given.
        argument: String,
        /// The matching heads.
        heads: Vec<String>,
    },
    /// An identifier that must name one revision names several.
    AmbiguousTarget {
        /// The identifier as given.
        argument: String,
        /// The revisions it names.
        candidates: Vec<String>,
    },
    /// A relative identifier walks past the end of the graph.
    RelativeTooFar {
        /// The signed relative part as written, e.g. `-5`.
        relative: String,
        /// The number of steps requested.
        steps: u64,
    },
    /// A relative walk reaches a branch point or merge point.
    AmbiguousWalk {
        /// The relative part as written.
        relative: String,
        /// Where the walk stood (`base` for the root).
        from: String,
        /// The revisions it could continue to.
        candidates: Vec<String>,
    },
    /// `+N` with several current revisions.
    AmbiguousUpgrade,
    /// `-N` with several current revisions.
    AmbiguousDowngrade {
        /// The candidate starting revisions.
        revisions: Vec<String>,
    },
    /// A downgrade target that is not applied.
    InvalidDowngradeTarget {
        /// The target as given.
        target: String,
    },
    /// A downgrade target that is applied only as another branch's dependency, so
    /// that nothing descends from it to revert.
    DowngradeTargetOnlyDependency {
        /// The target as given.
        target: String,
        /// The applied revisions that depend on it directly.
        dependants: Vec<String>,
        /// The commands that would revert those dependants.
        undo: Vec<String>,
    },
    /// A `START:END` history range whose ends are not related.
    RangeNotAncestor {
        /// The start as given.
        start: String,
        /// The end as given.
        end: String,
    },
    /// A version-table row names no revision.
    UnknownCurrentRevision {
        /// The row.
        id: String,
    },
    /// A change needs a version-table row that is absent.
    MissingRow {
        /// The row.
        id: String,
    },
    /// A change would create a version-table row that already exists.
    DuplicateRow {
        /// The row.
        id: String,
    },
}

fn join(items: &[String]) -> String {
    items.join(", ")
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::DuplicateId {
                id,
                first_source,
                second_source,
            } => write!(
                f,
                "Revision {id} is present more than once: in {first_source} and in {second_source}"
            ),
            GraphError::InvalidId { id, source, reason } => {
                write!(
                    f,
                    "Invalid revision identifier '{id}' in {source}: {reason}"
                )
            }
            GraphError::InvalidLabel {
                label,
                id,
                source,
                reason,
            } => write!(
                f,
                "Invalid branch label '{label}' on revision {id} in {source}: {reason}"
            ),
            GraphError::DuplicateLabel {
                label,
                first_id,
                first_source,
                second_id,
                second_source,
            } => write!(
                f,
                "Branch name '{label}' in revision {second_id} ({second_source}) already used by revision {first_id} ({first_source})"
            ),
            GraphError::LabelIsRevisionId {
                label,
                id,
                source,
                other_source,
            } => write!(
                f,
                "Branch name '{label}' in revision {id} ({source}) is already the id of the revision in {other_source}"
            ),
            GraphError::MissingDownRevision {
                id,
                source,
                missing,
            } => write!(
                f,
                "Revision {missing} referenced as down_revision of {id} in {source} is not present"
            ),
            GraphError::MissingDependency {
                id,
                source,
                missing,
            } => write!(
                f,
                "Revision or branch {missing} referenced in depends_on of {id} in {source} is not present"
            ),
            GraphError::AmbiguousDependency {
                id,
                source,
                reference,
                candidates,
            } => write!(
                f,
                "depends_on entry '{reference}' of {id} in {source} matches several revisions: {}",
                quoted(candidates)
            ),
            GraphError::Cycle { revisions } => {
                let listed: Vec<String> = revisions
                    .iter()
                    .map(|(id, source)| format!("{id} ({source})"))
                    .collect();
                write!(f, "Cycle is detected in revisions: {}", join(&listed))
            }
            GraphError::InvalidIdentifier { ident, reason } => {
                write!(f, "Invalid revision identifier '{ident}': {reason}")
            }
            GraphError::NotFound { ident } => {
                write!(f, "No such revision or branch '{ident}'")?;
                if ident.chars().count() < MIN_PREFIX {
                    write!(
                        f,
                        "; please ensure at least four characters are present for partial revision identifier matches"
                    )?;
                }
                Ok(())
            }
            GraphError::AmbiguousPrefix { prefix, candidates } => write!(
                f,
                "Multiple revisions start with '{prefix}': {}",
                quoted(candidates)
            ),
            GraphError::NoSuchBranch { label } => write!(f, "No such branch: '{label}'"),
            GraphError::NotInBranch { revision, branch } => {
                write!(
                    f,
                    "Revision {revision} is not a member of branch '{branch}'"
                )
            }
            GraphError::MultipleHeads { argument, heads } => write!(
                f,
                "Multiple head revisions are present for given argument '{argument}'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads (heads: {})",
                join(heads)
            ),
            GraphError::AmbiguousTarget {
                argument,
                candidates,
            } => write!(
                f,
                "Identifier '{argument}' refers to several revisions ({}); a single revision is required here",
                join(candidates)
            ),
            GraphError::RelativeTooFar { relative, steps } => write!(
                f,
                "Relative revision {relative} didn't produce {steps} migrations"
            ),
            GraphError::AmbiguousWalk {
                relative,
                from,
                candidates,
            } => write!(
                f,
                "Ambiguous walk for relative revision {relative}: from {from} it could continue to any of {}",
                join(candidates)
            ),
            GraphError::AmbiguousUpgrade => {
                write!(f, "Ambiguous upgrade from multiple current revisions")
            }
            GraphError::AmbiguousDowngrade { revisions } => write!(
                f,
                "Ambiguous downgrade from multiple current revisions ({}); use '<branchname>@-N' or an explicit revision",
                join(revisions)
            ),
            GraphError::InvalidDowngradeTarget { target } => write!(
                f,
                "Destination {target} is not a valid downgrade target from current head(s)"
            ),
            GraphError::DowngradeTargetOnlyDependency {
                target,
                dependants,
                undo,
            } => write!(
                f,
                "Destination {target} is not a valid downgrade target from current head(s): nothing descends from it through down_revision, it is applied only because {} depend(s) on it, and a downgrade never reverts another branch; to revert them, run {}",
                join(dependants),
                undo.join(" or ")
            ),
            GraphError::RangeNotAncestor { start, end } => write!(
                f,
                "Requested range {start}:{end} does not refer to ancestor/descendant revisions along the same branch"
            ),
            GraphError::UnknownCurrentRevision { id } => write!(
                f,
                "Can't locate revision identified by '{id}' (found in the version table)"
            ),
            GraphError::MissingRow { id } => {
                write!(f, "The version table has no row '{id}' to change")
            }
            GraphError::DuplicateRow { id } => {
                write!(f, "The version table already has a row '{id}'")
            }
        }
    }
}

impl std::error::Error for GraphError {}

/// Which edges a traversal follows.
#[derive(Clone, Copy)]
enum Edges {
    /// Towards parents (down_revisions only).
    Down,
    /// Towards parents and dependencies.
    DownAndDeps,
    /// Towards children (down_revisions only).
    Up,
    /// Towards children and dependents.
    UpAndDeps,
}

/// A position in the graph for relative walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pos {
    /// Before every revision.
    Base,
    /// A revision (node index).
    Rev(usize),
}

/// A relative part of an identifier (`+N` / `-N`, optionally after a symbol).
struct Rel<'a> {
    symbol: Option<&'a str>,
    up: bool,
    steps: u64,
    text: &'a str,
}

/// A parsed identifier: `[label@]body`, where body may be relative.
struct Ident<'a> {
    label: Option<&'a str>,
    body: &'a str,
    rel: Option<Rel<'a>>,
}

/// An absolute identifier after resolution.
enum Plain {
    /// A set of revisions; empty means base.
    Revs(Vec<usize>),
    /// `LABEL@base`: the base of the branch of the given revision.
    BranchBase(usize),
}

/// A version-table change on node indices.
#[derive(Clone, Copy)]
enum Change {
    Insert(usize),
    Update(usize, usize),
    Delete(usize),
}

/// The version-table rows during a simulation.
struct Rows {
    list: Vec<usize>,
    present: Vec<bool>,
}

impl Rows {
    fn new(size: usize, rows: &[usize]) -> Self {
        let mut present = vec![false; size];
        for &r in rows {
            present[r] = true;
        }
        Rows {
            list: rows.to_vec(),
            present,
        }
    }

    fn apply(&mut self, graph: &RevisionGraph, change: Change) -> Result<(), GraphError> {
        let missing = |i: usize| GraphError::MissingRow {
            id: graph.nodes[i].id.clone(),
        };
        let duplicate = |i: usize| GraphError::DuplicateRow {
            id: graph.nodes[i].id.clone(),
        };
        match change {
            Change::Insert(r) => {
                if self.present[r] {
                    return Err(duplicate(r));
                }
                self.present[r] = true;
                self.list.push(r);
            }
            Change::Update(from, to) => {
                if !self.present[from] {
                    return Err(missing(from));
                }
                if from != to && self.present[to] {
                    return Err(duplicate(to));
                }
                self.present[from] = false;
                self.present[to] = true;
                for slot in self.list.iter_mut() {
                    if *slot == from {
                        *slot = to;
                    }
                }
            }
            Change::Delete(r) => {
                if !self.present[r] {
                    return Err(missing(r));
                }
                self.present[r] = false;
                self.list.retain(|&x| x != r);
            }
        }
        Ok(())
    }
}

/// Reusable buffers for the upward searches of a simulation.
struct Search {
    seen: Vec<bool>,
    touched: Vec<usize>,
    stack: Vec<usize>,
}

impl Search {
    fn new(size: usize) -> Self {
        Search {
            seen: vec![false; size],
            touched: Vec::new(),
            stack: Vec::new(),
        }
    }
}

/// A validated, immutable revision graph.
#[derive(Debug, Clone)]
pub struct RevisionGraph {
    nodes: Vec<RevisionNode>,
    by_id: HashMap<String, usize>,
    by_label: HashMap<String, usize>,
    /// Node indices sorted by id.
    sorted: Vec<usize>,
    /// Position of each node in `sorted`.
    rank: Vec<usize>,
    /// down_revisions as node indices, declared order, deduplicated.
    parents: Vec<Vec<usize>>,
    /// Resolved depends_on entries that are not also parents.
    deps: Vec<Vec<usize>>,
    /// parents followed by deps.
    all_parents: Vec<Vec<usize>>,
    /// all_parents minus those that are ancestors of another entry.
    normalized: Vec<Vec<usize>>,
    /// Children through down_revisions, sorted by id.
    children: Vec<Vec<usize>>,
    /// Children and dependents, sorted by id.
    all_children: Vec<Vec<usize>>,
    /// Global topological order (parents and dependencies first).
    order: Vec<usize>,
}

pub(crate) fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("a revision identifier must not be empty".to_string());
    }
    if id.chars().any(char::is_whitespace) {
        return Some("whitespace is not allowed".to_string());
    }
    let bad: Vec<String> = ['-', ':', '@', '+']
        .iter()
        .filter(|c| id.contains(**c))
        .map(|c| format!("'{c}'"))
        .collect();
    if !bad.is_empty() {
        return Some(format!("character(s) {} not allowed", bad.join(", ")));
    }
    if RESERVED.contains(&id) {
        return Some(format!("'{id}' is a reserved word"));
    }
    None
}

pub(crate) fn label_problem(label: &str) -> Option<String> {
    if label.is_empty() {
        return Some("a branch label must not be empty".to_string());
    }
    if label.chars().any(char::is_whitespace) {
        return Some("whitespace is not allowed".to_string());
    }
    if label.contains('@') || label.contains(':') {
        return Some("the characters '@' and ':' are not allowed".to_string());
    }
    if RESERVED.contains(&label) {
        return Some(format!("'{label}' is a reserved word"));
    }
    None
}

fn push_unique(list: &mut Vec<usize>, item: usize) {
    if !list.contains(&item) {
        list.push(item);
    }
}

impl RevisionGraph {
    /// Builds and validates a graph.
    ///
    /// Reports, all at once: duplicate ids (naming both sources), invalid ids
    /// (empty, whitespace, any of `@ - + :`, or a reserved word such as
    /// `head`), invalid or duplicate branch labels (naming both revisions),
    /// labels equal to another revision's id, down_revisions and depends_on
    /// entries that name nothing (naming the source and the missing id), and
    /// cycles through down_revisions and/or depends_on (naming every revision
    /// and source on the cycle).  When an id is duplicated, the first node is
    /// kept and later ones are ignored for the remaining checks.
    ///
    /// down_revisions must be exact ids; depends_on entries may be exact ids,
    /// branch labels, or unique id prefixes of at least four characters.
    pub fn new(nodes: Vec<RevisionNode>) -> Result<Self, Vec<GraphError>> {
        let mut errors = Vec::new();
        let mut kept: Vec<RevisionNode> = Vec::with_capacity(nodes.len());
        let mut by_id: HashMap<String, usize> = HashMap::with_capacity(nodes.len());

        for node in nodes {
            if let Some(reason) = id_problem(&node.id) {
                errors.push(GraphError::InvalidId {
                    id: node.id.clone(),
                    source: node.source.clone(),
                    reason,
                });
            }
            if let Some(&first) = by_id.get(&node.id) {
                errors.push(GraphError::DuplicateId {
                    id: node.id.clone(),
                    first_source: kept[first].source.clone(),
                    second_source: node.source.clone(),
                });
                continue;
            }
            by_id.insert(node.id.clone(), kept.len());
            kept.push(node);
        }
        let nodes = kept;
        let size = nodes.len();

        let mut sorted: Vec<usize> = (0..size).collect();
        sorted.sort_by(|&a, &b| nodes[a].id.cmp(&nodes[b].id));
        let mut rank = vec![0; size];
        for (pos, &i) in sorted.iter().enumerate() {
            rank[i] = pos;
        }

        let mut by_label: HashMap<String, usize> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            let mut own: HashSet<&str> = HashSet::new();
            for label in &node.branch_labels {
                if !own.insert(label.as_str()) {
                    continue;
                }
                if let Some(reason) = label_problem(label) {
                    errors.push(GraphError::InvalidLabel {
                        label: label.clone(),
                        id: node.id.clone(),
                        source: node.source.clone(),
                        reason,
                    });
                    continue;
                }
                if let Some(&other) = by_id.get(label) {
                    if other != i {
                        errors.push(GraphError::LabelIsRevisionId {
                            label: label.clone(),
                            id: node.id.clone(),
                            source: node.source.clone(),
                            other_source: nodes[other].source.clone(),
                        });
                        continue;
                    }
                }
                if let Some(&first) = by_label.get(label) {
                    errors.push(GraphError::DuplicateLabel {
                        label: label.clone(),
                        first_id: nodes[first].id.clone(),
                        first_source: nodes[first].source.clone(),
                        second_id: node.id.clone(),
                        second_source: node.source.clone(),
                    });
                    continue;
                }
                by_label.insert(label.clone(), i);
            }
        }

        let mut parents: Vec<Vec<usize>> = vec![Vec::new(); size];
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); size];
        for (i, node) in nodes.iter().enumerate() {
            for down in &node.down_revisions {
                match by_id.get(down) {
                    Some(&p) => push_unique(&mut parents[i], p),
                    None => errors.push(GraphError::MissingDownRevision {
                        id: node.id.clone(),
                        source: node.source.clone(),
                        missing: down.clone(),
                    }),
                }
            }
            for dep in &node.depends_on {
                let found = if let Some(&d) = by_id.get(dep) {
                    Some(d)
                } else if let Some(&d) = by_label.get(dep) {
                    Some(d)
                } else {
                    let matches = if dep.chars().count() >= MIN_PREFIX {
                        prefix_range(&nodes, &sorted, dep)
                    } else {
                        Vec::new()
                    };
                    match matches.len() {
                        0 => {
                            errors.push(GraphError::MissingDependency {
                                id: node.id.clone(),
                                source: node.source.clone(),
                                missing: dep.clone(),
                            });
                            None
                        }
                        1 => Some(matches[0]),
                        _ => {
                            errors.push(GraphError::AmbiguousDependency {
                                id: node.id.clone(),
                                source: node.source.clone(),
                                reference: dep.clone(),
                                candidates: matches.iter().map(|&m| nodes[m].id.clone()).collect(),
                            });
                            None
                        }
                    }
                };
                if let Some(d) = found {
                    if !parents[i].contains(&d) {
                        push_unique(&mut deps[i], d);
                    }
                }
            }
        }

        let all_parents: Vec<Vec<usize>> = (0..size)
            .map(|i| {
                let mut all = parents[i].clone();
                all.extend(deps[i].iter().copied());
                all
            })
            .collect();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); size];
        let mut all_children: Vec<Vec<usize>> = vec![Vec::new(); size];
        for i in 0..size {
            for &p in &parents[i] {
                children[p].push(i);
                all_children[p].push(i);
            }
            for &d in &deps[i] {
                all_children[d].push(i);
            }
        }
        for list in children.iter_mut().chain(all_children.iter_mut()) {
            list.sort_by_key(|&c| rank[c]);
        }

        let order = topological_order(&all_parents, &all_children, &rank);
        if order.len() < size {
            let mut emitted = vec![false; size];
            for &i in &order {
                emitted[i] = true;
            }
            let remaining: Vec<usize> = sorted.iter().copied().filter(|&i| !emitted[i]).collect();
            for component in cyclic_components(&remaining, &emitted, &all_parents) {
                let mut revisions: Vec<(String, String)> = component
                    .iter()
                    .map(|&i| (nodes[i].id.clone(), nodes[i].source.clone()))
                    .collect();
                revisions.sort();
                errors.push(GraphError::Cycle { revisions });
            }
        }

        if !errors.is_empty() {
            return Err(errors);
        }

        let mut position = vec![0; size];
        for (pos, &i) in order.iter().enumerate() {
            position[i] = pos;
        }
        let normalized: Vec<Vec<usize>> = all_parents
            .iter()
            .map(|ups| {
                if ups.len() < 2 {
                    return ups.clone();
                }
                ups.iter()
                    .copied()
                    .filter(|&p| {
                        !ups.iter()
                            .any(|&q| q != p && is_ancestor(&all_parents, &position, p, q))
                    })
                    .collect()
            })
            .collect();

        Ok(RevisionGraph {
            nodes,
            by_id,
            by_label,
            sorted,
            rank,
            parents,
            deps,
            all_parents,
            normalized,
            children,
            all_children,
            order,
        })
    }

    /// Number of revisions.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph has no revisions.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The revision with exactly this id.
    pub fn get(&self, id: &str) -> Option<&RevisionNode> {
        self.by_id.get(id).map(|&i| &self.nodes[i])
    }

    /// Revisions that no revision names as a down_revision (depends_on does
    /// not count), sorted by id.
    pub fn heads(&self) -> Vec<&str> {
        self.ids(&self.head_indices())
    }

    /// Revisions without down_revisions, sorted by id.
    pub fn bases(&self) -> Vec<&str> {
        self.ids(&self.base_indices())
    }

    /// Revisions that are the down_revision of more than one revision, sorted
    /// by id.
    pub fn branch_points(&self) -> Vec<&str> {
        let found: Vec<usize> = self
            .sorted
            .iter()
            .copied()
            .filter(|&i| self.children[i].len() > 1)
            .collect();
        self.ids(&found)
    }

    /// Revisions naming `id` as a down_revision, sorted by id; empty when
    /// `id` is unknown.
    pub fn children(&self, id: &str) -> Vec<&str> {
        match self.by_id.get(id) {
            Some(&i) => self.ids(&self.children[i]),
            None => Vec::new(),
        }
    }

    /// Heads on which no other revision depends (through depends_on), i.e.
    /// `heads --resolve-dependencies`; sorted by id.  A head that another
    /// head needs is implied by that head and therefore left out.
    pub fn heads_resolving_dependencies(&self) -> Vec<&str> {
        self.ids(&self.real_head_indices())
    }

    /// The normalized down revisions of `id` (down_revisions then depends_on,
    /// without entries that are ancestors of other entries); empty when `id`
    /// is unknown.
    pub fn normalized_down_revisions(&self, id: &str) -> Vec<&str> {
        match self.by_id.get(id) {
            Some(&i) => self.ids(&self.normalized[i]),
            None => Vec::new(),
        }
    }

    /// The resolved depends_on ids of `id` (excluding entries that are also
    /// down_revisions); empty when `id` is unknown.
    pub fn dependencies(&self, id: &str) -> Vec<&str> {
        match self.by_id.get(id) {
            Some(&i) => self.ids(&self.deps[i]),
            None => Vec::new(),
        }
    }

    /// All revisions, newest first (reverse of the global topological order).
    pub fn history(&self) -> Vec<&RevisionNode> {
        self.order.iter().rev().map(|&i| &self.nodes[i]).collect()
    }

    /// `history -r START:END`, newest first.
    ///
    /// `start` defaults to `base`, `end` to `heads`.  The result holds the
    /// ancestors-or-self of END that are descendants-or-self of START
    /// (descendants following down_revisions only, like Alembic); every START
    /// revision must be an ancestor-or-self of END.  `current` names the
    /// current rows.  A bare `-N` start walks down from END, a bare `+N` end
    /// walks up from START; other relative identifiers are relative to the
    /// current rows.  Walks that run out of revisions stop at the last one
    /// (history never fails for walking too far).
    pub fn history_range(
        &self,
        start: Option<&str>,
        end: Option<&str>,
        current: &[String],
    ) -> Result<Vec<&RevisionNode>, GraphError> {
        let rows = self.current_rows(current)?;
        let start_text = start.unwrap_or("base");
        let end_text = end.unwrap_or("heads");
        let start_ident = self.parse_ident(start_text)?;
        let end_ident = self.parse_ident(end_text)?;
        let start_bare_down = matches!(&start_ident.rel, Some(r) if r.symbol.is_none() && !r.up);
        let end_bare_up = matches!(&end_ident.rel, Some(r) if r.symbol.is_none() && r.up);
        if start_bare_down && end_bare_up {
            return Err(GraphError::InvalidIdentifier {
                ident: format!("{start_text}:{end_text}"),
                reason: "the start and the end of a range cannot both be relative to each other"
                    .to_string(),
            });
        }
        let (end_set, start_set) = if start_bare_down {
            let (_, end_set) = self.resolve_parsed(&end_ident, end_text, &rows, true)?;
            let (_, start_set) = self.resolve_parsed(&start_ident, start_text, &end_set, true)?;
            (end_set, start_set)
        } else {
            let (_, start_set) = self.resolve_parsed(&start_ident, start_text, &rows, true)?;
            let base_rows = if end_bare_up { &start_set } else { &rows };
            let (_, end_set) = self.resolve_parsed(&end_ident, end_text, base_rows, true)?;
            (end_set, start_set)
        };

        let required = self.reach(&end_set, Edges::DownAndDeps);
        let include: Vec<bool> = if start_set.is_empty() {
            required
        } else {
            if start_set.iter().any(|&s| !required[s]) {
                return Err(GraphError::RangeNotAncestor {
                    start: start_text.to_string(),
                    end: end_text.to_string(),
                });
            }
            let below = self.reach(&start_set, Edges::DownAndDeps);
            let above = self.reach(&start_set, Edges::Up);
            let mut is_start = vec![false; self.len()];
            for &s in &start_set {
                is_start[s] = true;
            }
            (0..self.len())
                .map(|i| required[i] && above[i] && (!below[i] || is_start[i]))
                .collect()
        };
        Ok(self
            .order
            .iter()
            .rev()
            .filter(|&&i| include[i])
            .map(|&i| &self.nodes[i])
            .collect())
    }

    /// Resolves one identifier to zero or more revision ids (zero meaning
    /// base), given the current version-table rows.
    ///
    /// Relative identifiers with `+` resolve like an upgrade target, those
    /// with `-` like a downgrade target.  `LABEL@base` resolves to no
    /// revision (the base of that branch).
    pub fn resolve(&self, ident: &str, current: &[String]) -> Result<Vec<String>, GraphError> {
        let rows = self.current_rows(current)?;
        let parsed = self.parse_ident(ident)?;
        let (_, revs) = self.resolve_parsed(&parsed, ident, &rows, false)?;
        Ok(self.owned_ids(&revs))
    }

    /// Plans `upgrade TARGET` from the current rows.
    ///
    /// Runs every revision that is an ancestor-or-self of the target(s)
    /// (through down_revisions and depends_on) and not yet applied, parents
    /// and dependencies first.  A target that is already applied yields an
    /// empty plan.
    pub fn plan_upgrade(&self, current: &[String], target: &str) -> Result<Vec<Step>, GraphError> {
        let rows = self.current_rows(current)?;
        let parsed = self.parse_ident(target)?;
        let targets = self.upgrade_targets(&parsed, target, &rows, false)?;
        let have = self.reach(&rows, Edges::DownAndDeps);
        let need = self.reach(&targets, Edges::DownAndDeps);
        let todo: Vec<usize> = self
            .order
            .iter()
            .copied()
            .filter(|&i| need[i] && !have[i])
            .collect();
        self.simulate(&todo, Direction::Up, &rows)
    }

    /// Plans `downgrade TARGET` from the current rows.
    ///
    /// Reverts every applied revision that descends (through down_revisions or
    /// depends_on) from the target, children first.  With a branch-qualified
    /// target (`LABEL@...`, or a bare `-N`, which is restricted to the lineage
    /// of the single current row), only the target's children that share
    /// lineage with the branch are reverted, with their descendants.  `base`
    /// reverts everything; `LABEL@base` reverts everything descending from the
    /// bases of that branch.
    pub fn plan_downgrade(
        &self,
        current: &[String],
        target: &str,
    ) -> Result<Vec<Step>, GraphError> {
        let rows = self.current_rows(current)?;
        let parsed = self.parse_ident(target)?;
        let (pos, branch) = self.downgrade_target(&parsed, target, &rows, false)?;
        let applied = self.reach(&rows, Edges::DownAndDeps);
        let roots: Vec<usize> = match pos {
            Pos::Base => {
                let mut roots = self.base_indices();
                if let Some(b) = branch {
                    let below = self.reach(&[b], Edges::Down);
                    roots.retain(|&r| below[r]);
                }
                roots
            }
            Pos::Rev(t) => {
                if !applied[t] {
                    return Err(GraphError::InvalidDowngradeTarget {
                        target: target.to_string(),
                    });
                }
                // Only the target's down_revision children are roots (Alembic's
                // `nextrev`): a revision that merely depends_on the target stays.
                let mut roots = self.children[t].clone();
                if let Some(b) = branch {
                    let lineage = self.lineage(b, false);
                    roots.retain(|&r| lineage[r]);
                }
                roots
            }
        };
        let doomed = self.reach(&roots, Edges::UpAndDeps);
        let todo: Vec<usize> = self
            .order
            .iter()
            .rev()
            .copied()
            .filter(|&i| doomed[i] && applied[i])
            .collect();
        if let Pos::Rev(t) = pos {
            if todo.is_empty() && !rows.contains(&t) {
                // Applied only because something depends on it: reverting to it would
                // mean reverting revisions that do not descend from it.
                let dependants: Vec<usize> = self
                    .sorted
                    .iter()
                    .copied()
                    .filter(|&i| applied[i] && self.deps[i].contains(&t))
                    .collect();
                let undo: Vec<String> = dependants
                    .iter()
                    .map(|&d| match self.parents[d].first() {
                        Some(&p) => format!("`retort downgrade {}`", self.nodes[p].id),
                        None => format!("`retort downgrade {}@base`", self.nodes[d].id),
                    })
                    .collect();
                return Err(GraphError::DowngradeTargetOnlyDependency {
                    target: target.to_string(),
                    dependants: self.owned_ids(&dependants),
                    undo,
                });
            }
        }
        self.simulate(&todo, Direction::Down, &rows)
    }

    /// Plans `stamp TARGET...`: the version-table changes that take the
    /// current rows to the rows for the targets, without running anything.
    ///
    /// Targets are processed in order.  A target naming no revision (`base`)
    /// deletes every row (`LABEL@base`: the rows sharing lineage, through
    /// depends_on too, with that branch).  For each other destination that is
    /// not already a row: the rows that are ancestors or descendants of it
    /// are merged into it (all deleted but the last one in version-table
    /// order, which is updated to the destination); when no row is related
    /// the destination is inserted.  An empty `targets` list changes nothing.
    /// For `stamp --purge`, pass `current = []`.
    pub fn plan_stamp(
        &self,
        current: &[String],
        targets: &[String],
    ) -> Result<Vec<VersionChange>, GraphError> {
        let rows = self.current_rows(current)?;
        let mut state = Rows::new(self.len(), &rows);
        let mut done = vec![false; self.len()];
        let mut changes = Vec::new();
        for target in targets {
            let parsed = self.parse_ident(target)?;
            let (branch, revs) = self.resolve_parsed(&parsed, target, &rows, false)?;
            if revs.is_empty() {
                let lineage = branch.map(|b| self.lineage(b, true));
                let doomed: Vec<usize> = state
                    .list
                    .iter()
                    .copied()
                    .filter(|&r| lineage.as_ref().is_none_or(|l| l[r]))
                    .collect();
                for r in doomed {
                    let change = Change::Delete(r);
                    state.apply(self, change)?;
                    changes.push(self.public_change(change));
                }
                continue;
            }
            for dest in revs {
                if done[dest] || state.present[dest] {
                    continue;
                }
                done[dest] = true;
                let below = self.reach(&[dest], Edges::DownAndDeps);
                let above = self.reach(&[dest], Edges::UpAndDeps);
                let related: Vec<usize> = state
                    .list
                    .iter()
                    .copied()
                    .filter(|&r| below[r] || above[r])
                    .collect();
                let step: Vec<Change> = match related.split_last() {
                    None => vec![Change::Insert(dest)],
                    Some((&last, rest)) => rest
                        .iter()
                        .map(|&r| Change::Delete(r))
                        .chain(std::iter::once(Change::Update(last, dest)))
                        .collect(),
                };
                for change in step {
                    state.apply(self, change)?;
                    changes.push(self.public_change(change));
                }
            }
        }
        Ok(changes)
    }

    // ----- internals: traversal -------------------------------------------------

    fn edges(&self, i: usize, edges: Edges) -> &[usize] {
        match edges {
            Edges::Down => &self.parents[i],
            Edges::DownAndDeps => &self.all_parents[i],
            Edges::Up => &self.children[i],
            Edges::UpAndDeps => &self.all_children[i],
        }
    }

    /// Everything reachable from `starts` (inclusive) along `edges`.
    fn reach(&self, starts: &[usize], edges: Edges) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<usize> = Vec::new();
        for &s in starts {
            if !seen[s] {
                seen[s] = true;
                stack.push(s);
            }
        }
        while let Some(i) = stack.pop() {
            for &n in self.edges(i, edges) {
                if !seen[n] {
                    seen[n] = true;
                    stack.push(n);
                }
            }
        }
        seen
    }

    /// Revisions sharing lineage with `b`: its ancestors and descendants.
    fn lineage(&self, b: usize, with_deps: bool) -> Vec<bool> {
        let (down, up) = if with_deps {
            (Edges::DownAndDeps, Edges::UpAndDeps)
        } else {
            (Edges::Down, Edges::Up)
        };
        let below = self.reach(&[b], down);
        let above = self.reach(&[b], up);
        below.iter().zip(above).map(|(&x, y)| x || y).collect()
    }

    fn head_indices(&self) -> Vec<usize> {
        self.sorted
            .iter()
            .copied()
            .filter(|&i| self.children[i].is_empty())
            .collect()
    }

    fn real_head_indices(&self) -> Vec<usize> {
        self.sorted
            .iter()
            .copied()
            .filter(|&i| self.all_children[i].is_empty())
            .collect()
    }

    fn base_indices(&self) -> Vec<usize> {
        self.sorted
            .iter()
            .copied()
            .filter(|&i| self.parents[i].is_empty())
            .collect()
    }

    fn ids(&self, list: &[usize]) -> Vec<&str> {
        list.iter().map(|&i| self.nodes[i].id.as_str()).collect()
    }

    fn owned_ids(&self, list: &[usize]) -> Vec<String> {
        list.iter().map(|&i| self.nodes[i].id.clone()).collect()
    }

    fn sorted_by_id(&self, mut list: Vec<usize>) -> Vec<usize> {
        list.sort_by_key(|&i| self.rank[i]);
        list
    }

    /// Applied revisions (ancestors-or-self of `rows`) without an applied
    /// child, sorted by id.
    fn applied_tips(&self, rows: &[usize]) -> Vec<usize> {
        let applied = self.reach(rows, Edges::DownAndDeps);
        self.sorted
            .iter()
            .copied()
            .filter(|&i| applied[i] && !self.children[i].iter().any(|&c| applied[c]))
            .collect()
    }

    // ----- internals: identifiers ----------------------------------------------

    /// Validates and deduplicates version-table rows.
    fn current_rows(&self, current: &[String]) -> Result<Vec<usize>, GraphError> {
        let mut rows = Vec::with_capacity(current.len());
        let mut seen = vec![false; self.len()];
        for id in current {
            match self.by_id.get(id) {
                Some(&i) => {
                    if !seen[i] {
                        seen[i] = true;
                        rows.push(i);
                    }
                }
                None => return Err(GraphError::UnknownCurrentRevision { id: id.clone() }),
            }
        }
        Ok(rows)
    }

    fn parse_ident<'a>(&self, ident: &'a str) -> Result<Ident<'a>, GraphError> {
        let invalid = |reason: &str| GraphError::InvalidIdentifier {
            ident: ident.to_string(),
            reason: reason.to_string(),
        };
        if ident.is_empty() {
            return Err(invalid("an identifier must not be empty"));
        }
        let (label, body) = match ident.split_once('@') {
            Some((l, b)) => {
                if l.is_empty() {
                    return Err(invalid("the branch name before '@' is missing"));
                }
                if b.is_empty() {
                    return Err(invalid("nothing follows '@'"));
                }
                (Some(l), b)
            }
            None => (None, ident),
        };
        let exact = self.by_id.contains_key(body) || self.by_label.contains_key(body);
        if !exact {
            if let Some(pos) = body.rfind(['+', '-']) {
                let digits = &body[pos + 1..];
                if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                    let steps: u64 = digits
                        .parse()
                        .map_err(|_| invalid("the relative step count is too large"))?;
                    let symbol = if pos == 0 { None } else { Some(&body[..pos]) };
                    if steps == 0 {
                        return Err(invalid("a relative step count must not be zero"));
                    }
                    return Ok(Ident {
                        label,
                        body,
                        rel: Some(Rel {
                            symbol,
                            up: body[pos..].starts_with('+'),
                            steps,
                            text: &body[pos..],
                        }),
                    });
                }
            }
        }
        Ok(Ident {
            label,
            body,
            rel: None,
        })
    }

    /// The revision named by the part before `@`: a label, an id, or a
    /// unique id prefix.
    fn resolve_branch(&self, label: &str) -> Result<usize, GraphError> {
        if let Some(&i) = self.by_label.get(label) {
            return Ok(i);
        }
        if let Some(&i) = self.by_id.get(label) {
            return Ok(i);
        }
        if label.chars().count() >= MIN_PREFIX {
            let matches = prefix_range(&self.nodes, &self.sorted, label);
            match matches.len() {
                0 => {}
                1 => return Ok(matches[0]),
                _ => {
                    return Err(GraphError::AmbiguousPrefix {
                        prefix: label.to_string(),
                        candidates: self.owned_ids(&matches),
                    });
                }
            }
        }
        Err(GraphError::NoSuchBranch {
            label: label.to_string(),
        })
    }

    /// One revision by exact id, label, or unique prefix, optionally
    /// restricted to a branch (name and lineage mask).
    fn lookup(&self, text: &str, branch: Option<(&str, &[bool])>) -> Result<usize, GraphError> {
        let check = |i: usize| match branch {
            Some((name, mask)) if !mask[i] => Err(GraphError::NotInBranch {
                revision: self.nodes[i].id.clone(),
                branch: name.to_string(),
            }),
            _ => Ok(i),
        };
        if let Some(&i) = self.by_id.get(text) {
            return check(i);
        }
        if let Some(&i) = self.by_label.get(text) {
            return check(i);
        }
        let not_found = || GraphError::NotFound {
            ident: text.to_string(),
        };
        if text.chars().count() < MIN_PREFIX {
            return Err(not_found());
        }
        let mut matches = prefix_range(&self.nodes, &self.sorted, text);
        if let Some((_, mask)) = branch {
            matches.retain(|&m| mask[m]);
        }
        match matches.len() {
            0 => Err(not_found()),
            1 => Ok(matches[0]),
            _ => Err(GraphError::AmbiguousPrefix {
                prefix: text.to_string(),
                candidates: self.owned_ids(&matches),
            }),
        }
    }

    /// Resolves a non-relative body, optionally qualified by a branch.
    fn resolve_plain(
        &self,
        body: &str,
        label: Option<&str>,
        rows: &[usize],
        argument: &str,
    ) -> Result<Plain, GraphError> {
        let branch = match label {
            Some(l) => Some((l, self.resolve_branch(l)?)),
            None => None,
        };
        let mask = branch.map(|(_, b)| self.lineage(b, false));
        let in_branch = |i: &usize| mask.as_ref().is_none_or(|m| m[*i]);
        match body {
            "heads" => Ok(Plain::Revs(if branch.is_some() {
                self.head_indices().into_iter().filter(in_branch).collect()
            } else {
                self.real_head_indices()
            })),
            "head" => {
                let heads: Vec<usize> = self.head_indices().into_iter().filter(in_branch).collect();
                if heads.len() > 1 {
                    return Err(GraphError::MultipleHeads {
                        argument: argument.to_string(),
                        heads: self.owned_ids(&heads),
                    });
                }
                Ok(Plain::Revs(heads))
            }
            "base" => Ok(match branch {
                Some((_, b)) => Plain::BranchBase(b),
                None => Plain::Revs(Vec::new()),
            }),
            "current" => Ok(Plain::Revs(
                rows.iter().copied().filter(in_branch).collect(),
            )),
            _ => {
                let restrict = match (branch, mask.as_deref()) {
                    (Some((name, _)), Some(m)) => Some((name, m)),
                    _ => None,
                };
                Ok(Plain::Revs(vec![self.lookup(body, restrict)?]))
            }
        }
    }

    /// A single position from an absolute identifier (used as a walk start
    /// or downgrade target).
    fn single_pos(&self, plain: Plain, argument: &str) -> Result<Pos, GraphError> {
        match plain {
            Plain::BranchBase(_) => Ok(Pos::Base),
            Plain::Revs(revs) => match revs.as_slice() {
                [] => Ok(Pos::Base),
                [one] => Ok(Pos::Rev(*one)),
                _ => Err(if argument == "heads" || argument.ends_with("@heads") {
                    GraphError::MultipleHeads {
                        argument: argument.to_string(),
                        heads: self.owned_ids(&revs),
                    }
                } else {
                    GraphError::AmbiguousTarget {
                        argument: argument.to_string(),
                        candidates: self.owned_ids(&revs),
                    }
                }),
            },
        }
    }

    /// Walks `rel.steps` steps up (children, filtered by `mask`) or down
    /// (down_revisions, reaching `base` below a base revision).
    fn walk(
        &self,
        start: Pos,
        rel: &Rel<'_>,
        mask: Option<&[bool]>,
        clamp: bool,
    ) -> Result<Pos, GraphError> {
        let mut at = start;
        let mut taken: u64 = 0;
        while taken < rel.steps {
            let next: Vec<Pos> = if rel.up {
                let candidates = match at {
                    Pos::Base => self.base_indices(),
                    Pos::Rev(r) => self.children[r].clone(),
                };
                candidates
                    .into_iter()
                    .filter(|&c| mask.is_none_or(|m| m[c]))
                    .map(Pos::Rev)
                    .collect()
            } else {
                match at {
                    Pos::Base => Vec::new(),
                    Pos::Rev(r) if self.parents[r].is_empty() => vec![Pos::Base],
                    Pos::Rev(r) => self.parents[r].iter().map(|&p| Pos::Rev(p)).collect(),
                }
            };
            match next.as_slice() {
                [] => {
                    if clamp {
                        return Ok(at);
                    }
                    return Err(GraphError::RelativeTooFar {
                        relative: rel.text.to_string(),
                        steps: rel.steps,
                    });
                }
                [one] => at = *one,
                several => {
                    return Err(GraphError::AmbiguousWalk {
                        relative: rel.text.to_string(),
                        from: match at {
                            Pos::Base => "base".to_string(),
                            Pos::Rev(r) => self.nodes[r].id.clone(),
                        },
                        candidates: several
                            .iter()
                            .map(|p| match p {
                                Pos::Base => "base".to_string(),
                                Pos::Rev(r) => self.nodes[*r].id.clone(),
                            })
                            .collect(),
                    });
                }
            }
            taken += 1;
        }
        Ok(at)
    }

    fn branch_of(&self, ident: &Ident<'_>) -> Result<Option<usize>, GraphError> {
        ident.label.map(|l| self.resolve_branch(l)).transpose()
    }

    /// The walk start and result for a relative identifier with a symbol
    /// (`REV+N`, `LABEL@head-N`, `base+N`, ...).
    fn walk_from_symbol(
        &self,
        ident: &Ident<'_>,
        rel: &Rel<'_>,
        symbol: &str,
        rows: &[usize],
        clamp: bool,
    ) -> Result<Pos, GraphError> {
        let start_plain = self.resolve_plain(symbol, ident.label, rows, symbol)?;
        let start = self.single_pos(start_plain, symbol)?;
        let mask = match (rel.up, self.branch_of(ident)?) {
            (true, Some(b)) => Some(self.lineage(b, false)),
            _ => None,
        };
        self.walk(start, rel, mask.as_deref(), clamp)
    }

    /// Target revisions of an upgrade (empty: nothing).
    fn upgrade_targets(
        &self,
        ident: &Ident<'_>,
        text: &str,
        rows: &[usize],
        clamp: bool,
    ) -> Result<Vec<usize>, GraphError> {
        let Some(rel) = &ident.rel else {
            return Ok(
                match self.resolve_plain(ident.body, ident.label, rows, text)? {
                    Plain::Revs(revs) => revs,
                    Plain::BranchBase(_) => Vec::new(),
                },
            );
        };
        let pos = match rel.symbol {
            Some(symbol) => self.walk_from_symbol(ident, rel, symbol, rows, clamp)?,
            None => {
                if !rel.up {
                    return Err(GraphError::RelativeTooFar {
                        relative: rel.text.to_string(),
                        steps: rel.steps,
                    });
                }
                let branch = self.branch_of(ident)?;
                let mask = branch.map(|b| self.lineage(b, false));
                let starts: Vec<Pos> = match &mask {
                    None if rows.is_empty() => vec![Pos::Base],
                    None => rows.iter().map(|&r| Pos::Rev(r)).collect(),
                    Some(m) => {
                        let on_branch: Vec<usize> =
                            rows.iter().copied().filter(|&r| m[r]).collect();
                        let picked = if on_branch.is_empty() {
                            let applied = self.reach(rows, Edges::DownAndDeps);
                            self.sorted
                                .iter()
                                .copied()
                                .filter(|&i| {
                                    applied[i]
                                        && m[i]
                                        && !self.children[i].iter().any(|&c| applied[c] && m[c])
                                })
                                .collect()
                        } else {
                            on_branch
                        };
                        if picked.is_empty() {
                            vec![Pos::Base]
                        } else {
                            picked.into_iter().map(Pos::Rev).collect()
                        }
                    }
                };
                let start = match starts.as_slice() {
                    [one] => *one,
                    _ => return Err(GraphError::AmbiguousUpgrade),
                };
                self.walk(start, rel, mask.as_deref(), clamp)?
            }
        };
        Ok(match pos {
            Pos::Base => Vec::new(),
            Pos::Rev(r) => vec![r],
        })
    }

    /// Target position of a downgrade, and the branch restricting it.
    fn downgrade_target(
        &self,
        ident: &Ident<'_>,
        text: &str,
        rows: &[usize],
        clamp: bool,
    ) -> Result<(Pos, Option<usize>), GraphError> {
        let branch = self.branch_of(ident)?;
        let Some(rel) = &ident.rel else {
            return match self.resolve_plain(ident.body, ident.label, rows, text)? {
                Plain::BranchBase(b) => Ok((Pos::Base, Some(b))),
                plain => Ok((self.single_pos(plain, text)?, branch)),
            };
        };
        if let Some(symbol) = rel.symbol {
            let pos = self.walk_from_symbol(ident, rel, symbol, rows, clamp)?;
            return Ok((pos, branch));
        }
        let too_far = || GraphError::RelativeTooFar {
            relative: rel.text.to_string(),
            steps: rel.steps,
        };
        if rel.up {
            return Err(too_far());
        }
        let (start, branch) = match branch {
            Some(b) => {
                let mask = self.lineage(b, false);
                let mut on_branch: Vec<usize> = rows.iter().copied().filter(|&r| mask[r]).collect();
                if on_branch.is_empty() {
                    on_branch = self
                        .applied_tips(rows)
                        .into_iter()
                        .filter(|&r| mask[r])
                        .collect();
                }
                match on_branch.as_slice() {
                    [] => return Err(too_far()),
                    [one] => (*one, Some(b)),
                    _ => {
                        return Err(GraphError::AmbiguousDowngrade {
                            revisions: self.owned_ids(&self.sorted_by_id(on_branch)),
                        });
                    }
                }
            }
            None => match rows {
                [] => return Err(too_far()),
                [one] => (*one, Some(*one)),
                _ => {
                    return Err(GraphError::AmbiguousDowngrade {
                        revisions: self.owned_ids(&self.sorted_by_id(rows.to_vec())),
                    });
                }
            },
        };
        let pos = self.walk(Pos::Rev(start), rel, None, clamp)?;
        Ok((pos, branch))
    }

    /// Resolves any identifier to (branch, revisions); `+` relative forms
    /// resolve as upgrade targets, `-` forms as downgrade targets.
    fn resolve_parsed(
        &self,
        ident: &Ident<'_>,
        text: &str,
        rows: &[usize],
        clamp: bool,
    ) -> Result<(Option<usize>, Vec<usize>), GraphError> {
        match &ident.rel {
            None => match self.resolve_plain(ident.body, ident.label, rows, text)? {
                Plain::Revs(revs) => Ok((self.branch_of(ident)?, revs)),
                Plain::BranchBase(b) => Ok((Some(b), Vec::new())),
            },
            Some(rel) if rel.up => Ok((
                self.branch_of(ident)?,
                self.upgrade_targets(ident, text, rows, clamp)?,
            )),
            Some(_) => {
                let (pos, branch) = self.downgrade_target(ident, text, rows, clamp)?;
                Ok((
                    branch,
                    match pos {
                        Pos::Base => Vec::new(),
                        Pos::Rev(r) => vec![r],
                    },
                ))
            }
        }
    }

    // ----- internals: version-table maintenance -----------------------------------

    fn public_change(&self, change: Change) -> VersionChange {
        let id = |i: usize| self.nodes[i].id.clone();
        match change {
            Change::Insert(r) => VersionChange::Insert(id(r)),
            Change::Update(from, to) => VersionChange::Update {
                from: id(from),
                to: id(to),
            },
            Change::Delete(r) => VersionChange::Delete(id(r)),
        }
    }

    /// Whether `d` is an ancestor-or-self of a row accepted by `other`.
    ///
    /// Every revision on a path from `d` up to a row is an ancestor of that
    /// row and therefore applied, so the search only visits applied
    /// revisions; this keeps it short however many rows there are.
    fn covered(
        &self,
        search: &mut Search,
        applied: &[bool],
        d: usize,
        other: impl Fn(usize) -> bool,
    ) -> bool {
        let mut found = false;
        search.stack.push(d);
        search.seen[d] = true;
        search.touched.push(d);
        while let Some(i) = search.stack.pop() {
            if other(i) {
                found = true;
                break;
            }
            for &c in &self.all_children[i] {
                if applied[c] && !search.seen[c] {
                    search.seen[c] = true;
                    search.touched.push(c);
                    search.stack.push(c);
                }
            }
        }
        for &i in &search.touched {
            search.seen[i] = false;
        }
        search.touched.clear();
        search.stack.clear();
        found
    }

    /// HeadMaintainer, upgrade of `rev`.
    fn upgrade_changes(
        &self,
        rev: usize,
        state: &Rows,
        applied: &[bool],
        search: &mut Search,
    ) -> Vec<Change> {
        let down = &self.normalized[rev];
        let present: Vec<usize> = down.iter().copied().filter(|&d| state.present[d]).collect();
        if present.is_empty() {
            return vec![Change::Insert(rev)];
        }
        if down.len() > 1 && present.len() > 1 {
            let other = |r: usize| state.present[r] && !down.contains(&r);
            let merged: Vec<usize> = present
                .iter()
                .copied()
                .filter(|&d| !self.covered(search, applied, d, other))
                .collect();
            return match merged.split_last() {
                None => vec![Change::Insert(rev)],
                Some((&last, rest)) => rest
                    .iter()
                    .map(|&d| Change::Delete(d))
                    .chain(std::iter::once(Change::Update(last, rev)))
                    .collect(),
            };
        }
        vec![Change::Update(present[0], rev)]
    }

    /// HeadMaintainer, downgrade of `rev`.
    fn downgrade_changes(
        &self,
        rev: usize,
        state: &Rows,
        applied: &[bool],
        search: &mut Search,
    ) -> Result<Vec<Change>, GraphError> {
        if !state.present[rev] {
            return Err(GraphError::MissingRow {
                id: self.nodes[rev].id.clone(),
            });
        }
        let down = &self.normalized[rev];
        if down.is_empty() {
            return Ok(vec![Change::Delete(rev)]);
        }
        let other = |r: usize| r != rev && state.present[r];
        let restore: Vec<usize> = down
            .iter()
            .copied()
            .filter(|&d| !self.covered(search, applied, d, other))
            .collect();
        Ok(match restore.split_last() {
            None => vec![Change::Delete(rev)],
            Some((&last, rest)) => rest
                .iter()
                .map(|&d| Change::Insert(d))
                .chain(std::iter::once(Change::Update(rev, last)))
                .collect(),
        })
    }

    /// Runs HeadMaintainer over `todo` from `rows`, producing the steps.
    fn simulate(
        &self,
        todo: &[usize],
        direction: Direction,
        rows: &[usize],
    ) -> Result<Vec<Step>, GraphError> {
        let mut state = Rows::new(self.len(), rows);
        let mut applied = self.reach(rows, Edges::DownAndDeps);
        let mut search = Search::new(self.len());
        let mut steps = Vec::with_capacity(todo.len());
        for &rev in todo {
            let changes = match direction {
                Direction::Up => self.upgrade_changes(rev, &state, &applied, &mut search),
                Direction::Down => self.downgrade_changes(rev, &state, &applied, &mut search)?,
            };
            for &change in &changes {
                state.apply(self, change)?;
            }
            applied[rev] = direction == Direction::Up;
            steps.push(Step {
                revision: self.nodes[rev].id.clone(),
                direction,
                changes: changes.into_iter().map(|c| self.public_change(c)).collect(),
            });
        }
        Ok(steps)
    }
}

/// Applies version-table changes to `rows`, in order.
///
/// Fails, leaving `rows` untouched, when an Update or Delete names an absent
/// row, or an Insert or Update would duplicate an existing row.  Inserted rows
/// are appended; updated rows keep their place.
pub fn apply_changes(rows: &mut Vec<String>, changes: &[VersionChange]) -> Result<(), GraphError> {
    // Validate the whole list first, tracking rows touched by earlier changes
    // in `overlay` (latest entry wins), so that failure leaves `rows` as is.
    let mut overlay: Vec<(&str, bool)> = Vec::new();
    let present =
        |overlay: &[(&str, bool)], id: &str| match overlay.iter().rev().find(|(n, _)| *n == id) {
            Some(&(_, here)) => here,
            None => rows.iter().any(|r| r == id),
        };
    for change in changes {
        match change {
            VersionChange::Insert(id) => {
                if present(&overlay, id) {
                    return Err(GraphError::DuplicateRow { id: id.clone() });
                }
                overlay.push((id, true));
            }
            VersionChange::Update { from, to } => {
                if !present(&overlay, from) {
                    return Err(GraphError::MissingRow { id: from.clone() });
                }
                if from != to && present(&overlay, to) {
                    return Err(GraphError::DuplicateRow { id: to.clone() });
                }
                overlay.push((from, false));
                overlay.push((to, true));
            }
            VersionChange::Delete(id) => {
                if !present(&overlay, id) {
                    return Err(GraphError::MissingRow { id: id.clone() });
                }
                overlay.push((id, false));
            }
        }
    }
    for change in changes {
        match change {
            VersionChange::Insert(id) => rows.push(id.clone()),
            VersionChange::Update { from, to } => {
                if let Some(slot) = rows.iter_mut().find(|r| *r == from) {
                    slot.clone_from(to);
                }
            }
            VersionChange::Delete(id) => {
                if let Some(at) = rows.iter().position(|r| r == id) {
                    rows.remove(at);
                }
            }
        }
    }
    Ok(())
}

/// Node indices whose id starts with `prefix`, sorted by id.
fn prefix_range(nodes: &[RevisionNode], sorted: &[usize], prefix: &str) -> Vec<usize> {
    let start = sorted.partition_point(|&i| nodes[i].id.as_str() < prefix);
    sorted[start..]
        .iter()
        .copied()
        .take_while(|&i| nodes[i].id.starts_with(prefix))
        .collect()
}

/// Depth-first Kahn traversal; see the module documentation.  Revisions on or
/// behind a cycle are left out.
fn topological_order(
    all_parents: &[Vec<usize>],
    all_children: &[Vec<usize>],
    rank: &[usize],
) -> Vec<usize> {
    let size = all_parents.len();
    let mut waiting: Vec<usize> = all_parents.iter().map(Vec::len).collect();
    let mut roots: Vec<usize> = (0..size).filter(|&i| waiting[i] == 0).collect();
    roots.sort_by_key(|&i| std::cmp::Reverse(rank[i]));
    let mut stack = roots;
    let mut order = Vec::with_capacity(size);
    while let Some(i) = stack.pop() {
        order.push(i);
        let mut ready: Vec<usize> = Vec::new();
        for &c in &all_children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(c);
            }
        }
        ready.sort_by_key(|&c| std::cmp::Reverse(rank[c]));
        stack.extend(ready);
    }
    order
}

/// Whether `p` is a strict ancestor of `q` (through parents and
/// dependencies), searching only revisions placed after `p`.
fn is_ancestor(all_parents: &[Vec<usize>], position: &[usize], p: usize, q: usize) -> bool {
    let floor = position[p];
    let mut seen: HashSet<usize> = HashSet::new();
    let mut stack = vec![q];
    while let Some(i) = stack.pop() {
        for &n in &all_parents[i] {
            if n == p {
                return true;
            }
            if position[n] > floor && seen.insert(n) {
                stack.push(n);
            }
        }
    }
    false
}

/// Strongly connected components (iterative Tarjan) of the subgraph of
/// `remaining` nodes, keeping only those that contain a cycle.
fn cyclic_components(
    remaining: &[usize],
    emitted: &[bool],
    all_parents: &[Vec<usize>],
) -> Vec<Vec<usize>> {
    let size = all_parents.len();
    let mut index: Vec<Option<usize>> = vec![None; size];
    let mut low = vec![0; size];
    let mut on_stack = vec![false; size];
    let mut stack: Vec<usize> = Vec::new();
    let mut counter = 0;
    let mut components = Vec::new();
    for &root in remaining {
        if index[root].is_some() {
            continue;
        }
        index[root] = Some(counter);
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        let mut calls: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&(v, next)) = calls.last() {
            let edges = &all_parents[v];
            if next < edges.len() {
                if let Some(top) = calls.last_mut() {
                    top.1 += 1;
                }
                let w = edges[next];
                if emitted[w] {
                    continue;
                }
                match index[w] {
                    None => {
                        index[w] = Some(counter);
                        low[w] = counter;
                        counter += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        calls.push((w, 0));
                    }
                    Some(iw) if on_stack[w] => low[v] = low[v].min(iw),
                    Some(_) => {}
                }
                continue;
            }
            calls.pop();
            if let Some(&(u, _)) = calls.last() {
                low[u] = low[u].min(low[v]);
            }
            if Some(low[v]) == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                let looped = component.len() > 1 || all_parents[v].contains(&v);
                if looped {
                    components.push(component);
                }
            }
        }
    }
    components
}

#[path = "graph_parity.rs"]
mod parity;
pub use parity::GraphRefusal;

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
