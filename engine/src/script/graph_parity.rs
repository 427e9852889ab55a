//! Questions about the revision graph that the commands answer the way Alembic does:
//! branch labels along their branch, real and effective heads, and the checks that keep
//! `merge`, `stamp` and `upgrade` from writing a version table Alembic would refuse.

use std::collections::BTreeMap;

use super::{Edges, RevisionGraph};

/// A merge, stamp, upgrade range or version-table state the graph refuses, the way
/// Alembic would (or where Alembic would silently do something surprising).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphRefusal {
    /// A version-table row is an ancestor of another row.
    #[error("Requested revision {row} overlaps with other requested revisions {}: the version table holds {row} and its ancestor(s) {}", .ancestors.join(", "), .ancestors.join(", "))]
    RowsOverlap {
        /// The row that descends from the others.
        row: String,
        /// The rows that are its ancestors.
        ancestors: Vec<String>,
    },
    /// A merge parent is not a head (and `--splice` was not given).
    #[error("Revision {parent} is not a head revision; use --splice to merge it anyway, or merge head revisions (`retort heads` lists them: {})", .heads.join(", "))]
    MergeParentNotHead {
        /// The parent.
        parent: String,
        /// The current heads.
        heads: Vec<String>,
    },
    /// One merge parent is an ancestor of another.
    #[error("Revision {ancestor} is an ancestor of {descendant}: a merge of the two joins nothing; merge head revisions (`retort heads` lists them: {})", .heads.join(", "))]
    MergeOfAncestor {
        /// The parent that is an ancestor.
        ancestor: String,
        /// The parent that descends from it.
        descendant: String,
        /// The current heads.
        heads: Vec<String>,
    },
    /// A spliced merge of revisions none of which is a head.
    #[error("None of {} is a head revision: this merge would add a head ({} now) instead of joining heads; include at least one head (`retort heads` lists them: {})", .parents.join(", "), .heads.len(), .heads.join(", "))]
    MergeAddsHead {
        /// The merge parents.
        parents: Vec<String>,
        /// The current heads.
        heads: Vec<String>,
    },
    /// `stamp` of two targets where one descends from the other.
    #[error("cannot stamp {} together with {}: {descendant} is a descendant of {ancestor}, and the version table holds only heads; stamp {descendant} alone (`retort stamp {descendant}`)", named(.ancestor_target, .ancestor), named(.descendant_target, .descendant))]
    StampAncestor {
        /// The target as written that resolved to `ancestor`.
        ancestor_target: String,
        /// The older revision.
        ancestor: String,
        /// The target as written that resolved to `descendant`.
        descendant_target: String,
        /// The newer revision.
        descendant: String,
    },
    /// An offline `upgrade FROM:TO` whose TO is older than FROM.
    #[error("the range {start_text}:{target} goes backwards: {target} is older than {start_text} ({}); an upgrade moves towards the heads. To print the SQL that reverts these revisions, use `retort downgrade {start_text}:{target} --sql`", .start.join(", "))]
    RangeBackwards {
        /// FROM as written.
        start_text: String,
        /// The revisions FROM resolved to.
        start: Vec<String>,
        /// TO as written.
        target: String,
    },
}

/// A stamp target as written, with the id it resolved to when that differs.
fn named(target: &str, id: &str) -> String {
    if target == id {
        id.to_string()
    } else {
        format!("{target} ({id})")
    }
}

impl RevisionGraph {
    /// The branch names shown on each revision, by id (revisions without any are left
    /// out), each list sorted.
    ///
    /// Like Alembic's `RevisionMap._add_branches`: a label applies to the revision
    /// carrying it and to every descendant (through down_revisions). When those
    /// descendants form one line, the label also runs down from the tip of that line
    /// through the labelled revision and its ancestors, stopping at the first revision
    /// that is a branch point (counting dependants) or a merge point.
    pub fn branch_names(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut names: Vec<Vec<&str>> = vec![Vec::new(); self.len()];
        for labelled in 0..self.len() {
            let labels = &self.nodes[labelled].branch_labels;
            if labels.is_empty() {
                continue;
            }
            let above = self.reach(&[labelled], Edges::Up);
            let line = (0..self.len())
                .filter(|&i| above[i])
                .all(|i| self.children[i].len() <= 1);
            let tip = (0..self.len()).find(|&i| above[i] && self.children[i].is_empty());
            let mut marked = above;
            if let (true, Some(tip)) = (line, tip) {
                let mut at = tip;
                loop {
                    if self.all_children[at].len() > 1 || self.parents[at].len() > 1 {
                        break;
                    }
                    marked[at] = true;
                    match self.parents[at].as_slice() {
                        [one] => at = *one,
                        _ => break,
                    }
                }
            }
            for (i, on) in marked.iter().enumerate() {
                if *on {
                    for l in labels {
                        if !names[i].contains(&l.as_str()) {
                            names[i].push(l.as_str());
                        }
                    }
                }
            }
        }
        names
            .into_iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty())
            .map(|(i, mut n)| {
                n.sort_unstable();
                (self.nodes[i].id.as_str(), n)
            })
            .collect()
    }

    /// Whether `id` is a head that nothing depends on either (Alembic's `(head)`);
    /// a head that other revisions depend on is an `(effective head)`.
    pub fn is_real_head(&self, id: &str) -> bool {
        self.by_id
            .get(id)
            .is_some_and(|&i| self.all_children[i].is_empty())
    }

    /// Whether `ancestor` is a strict ancestor of `id` (through down_revisions and
    /// depends_on); false when either is unknown.
    pub fn is_ancestor_of(&self, ancestor: &str, id: &str) -> bool {
        match (self.by_id.get(ancestor), self.by_id.get(id)) {
            (Some(&a), Some(&i)) if a != i => self.reach(&[i], Edges::DownAndDeps)[a],
            _ => false,
        }
    }

    /// Refuses version-table rows where one row is an ancestor of another, with
    /// Alembic's "Requested revision X overlaps with other requested revisions Y".
    pub fn check_rows_overlap(&self, rows: &[String]) -> Result<(), GraphRefusal> {
        let indices: Vec<usize> = rows
            .iter()
            .filter_map(|r| self.by_id.get(r).copied())
            .collect();
        // One traversal from every row's parents and dependencies: the strict ancestors.
        let parents: Vec<usize> = indices
            .iter()
            .flat_map(|&i| self.all_parents[i].iter().copied())
            .collect();
        let below = self.reach(&parents, Edges::DownAndDeps);
        let Some(&ancestor) = indices.iter().find(|&&i| below[i]) else {
            return Ok(());
        };
        let above = self.reach(&[ancestor], Edges::UpAndDeps);
        let row = indices
            .iter()
            .find(|&&i| i != ancestor && above[i])
            .map_or("?", |&i| self.nodes[i].id.as_str());
        let below_row: Vec<&str> = rows
            .iter()
            .filter(|other| self.is_ancestor_of(other, row))
            .map(String::as_str)
            .collect();
        Err(GraphRefusal::RowsOverlap {
            row: row.to_string(),
            ancestors: below_row.iter().map(|r| r.to_string()).collect(),
        })
    }

    /// Refuses a merge of `parents` (resolved ids) that Alembic would refuse or that
    /// would leave more heads than there are now: a parent that is not a head (unless
    /// `splice`), a parent that is an ancestor (through down_revisions) of another, or
    /// (with `splice`) a merge of revisions none of which is a head.
    pub fn check_merge(&self, parents: &[String], splice: bool) -> Result<(), GraphRefusal> {
        let heads = self.heads();
        let owned_heads = || heads.iter().map(|h| h.to_string()).collect::<Vec<_>>();
        if !splice {
            if let Some(p) = parents.iter().find(|p| !heads.contains(&p.as_str())) {
                return Err(GraphRefusal::MergeParentNotHead {
                    parent: p.clone(),
                    heads: owned_heads(),
                });
            }
        }
        let index = |id: &str| self.by_id.get(id).copied();
        for a in parents {
            let Some(ai) = index(a) else { continue };
            for b in parents {
                let Some(bi) = index(b) else { continue };
                if ai != bi && self.reach(&[bi], Edges::Down)[ai] {
                    return Err(GraphRefusal::MergeOfAncestor {
                        ancestor: a.clone(),
                        descendant: b.clone(),
                        heads: owned_heads(),
                    });
                }
            }
        }
        let merged_heads = parents
            .iter()
            .filter(|p| heads.contains(&p.as_str()))
            .count();
        if merged_heads == 0 {
            return Err(GraphRefusal::MergeAddsHead {
                parents: parents.to_vec(),
                heads: owned_heads(),
            });
        }
        Ok(())
    }

    /// Refuses `stamp A B` where one target is an ancestor of another: the version
    /// table holds heads only, so Alembic's silent choice of the descendant is made
    /// explicit. Targets that do not resolve are left for the stamp plan to report.
    pub fn check_stamp_targets(
        &self,
        current: &[String],
        targets: &[String],
    ) -> Result<(), GraphRefusal> {
        let resolved: Vec<(&String, Vec<String>)> = targets
            .iter()
            .filter_map(|t| self.resolve(t, current).ok().map(|ids| (t, ids)))
            .collect();
        for (ta, ids_a) in &resolved {
            for (tb, ids_b) in &resolved {
                for a in ids_a {
                    if let Some(b) = ids_b.iter().find(|b| self.is_ancestor_of(a, b)) {
                        return Err(GraphRefusal::StampAncestor {
                            ancestor_target: ta.to_string(),
                            ancestor: a.clone(),
                            descendant_target: tb.to_string(),
                            descendant: b.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Refuses an offline `upgrade FROM:TO` whose TO is older than FROM (a downgrade
    /// written as an upgrade), instead of printing an empty script.
    /// `start_text` is FROM as the user wrote it, `start` the rows it resolved to.
    pub fn check_upgrade_range(
        &self,
        start_text: &str,
        start: &[String],
        target: &str,
    ) -> Result<(), GraphRefusal> {
        if start.is_empty() {
            return Ok(());
        }
        let Ok(targets) = self.resolve(target, start) else {
            return Ok(());
        };
        let backwards = if targets.is_empty() {
            true
        } else {
            targets
                .iter()
                .any(|t| start.iter().any(|s| self.is_ancestor_of(t, s)))
        };
        if backwards {
            return Err(GraphRefusal::RangeBackwards {
                start_text: start_text.to_string(),
                start: start.to_vec(),
                target: target.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "graph_parity_tests.rs"]
mod tests;
