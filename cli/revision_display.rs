//! How revisions are printed by `history`, `heads`, `branches`, `show` and `current`,
//! with Alembic's markers in Alembic's order.

use std::collections::{BTreeMap, HashSet};

use retort_engine::project::Project;

/// Whether a revision identifier (`current`, `LABEL@current`, `current+1`, ...) needs
/// the database's current revisions to resolve.
pub fn mentions_current(ident: &str) -> bool {
    let body = ident.rsplit_once('@').map_or(ident, |(_, b)| b);
    body == "current" || body.starts_with("current+") || body.starts_with("current-")
}

/// Everything needed to print revisions of one project: branch names along branches
/// (computed once) and the database's current revisions (for `(current)`).
pub struct Revisions<'a> {
    project: &'a Project,
    names: BTreeMap<&'a str, Vec<&'a str>>,
    current: HashSet<String>,
}

impl<'a> Revisions<'a> {
    /// Prepares printing for `project`; `current` marks revisions `(current)`.
    pub fn new(project: &'a Project, current: &[String]) -> Self {
        Revisions {
            project,
            names: project.graph.branch_names(),
            current: current.iter().cloned().collect(),
        }
    }

    fn is_head(&self, id: &str) -> bool {
        self.project.graph.children(id).is_empty()
    }

    /// ` (feat)`: the branch names shown on `id` (labels run along their branch).
    fn labels(&self, id: &str) -> String {
        match self.names.get(id) {
            Some(n) => format!(" ({})", n.join(", ")),
            None => String::new(),
        }
    }

    /// ` (head)`, ` (effective head)` (a head other revisions depend on), ` (current)`.
    fn head_markers(&self, id: &str) -> String {
        let mut out = String::new();
        if self.project.graph.is_real_head(id) {
            out.push_str(" (head)");
        } else if self.is_head(id) {
            out.push_str(" (effective head)");
        }
        if self.current.contains(id) {
            out.push_str(" (current)");
        }
        out
    }

    /// ` (branchpoint)`, ` (mergepoint)`.
    fn tree_markers(&self, id: &str) -> String {
        let mut out = String::new();
        if self.project.graph.children(id).len() > 1 {
            out.push_str(" (branchpoint)");
        }
        if self.parents(id).len() > 1 {
            out.push_str(" (mergepoint)");
        }
        out
    }

    fn parents(&self, id: &str) -> Vec<String> {
        self.project
            .graph
            .get(id)
            .map(|n| n.down_revisions.clone())
            .unwrap_or_default()
    }

    fn parents_text(&self, id: &str) -> String {
        let parents = self.parents(id);
        if parents.is_empty() {
            "<base>".to_string()
        } else {
            parents.join(", ")
        }
    }

    fn message(&self, id: &str) -> String {
        self.project
            .graph
            .get(id)
            .map(|n| n.message.clone())
            .unwrap_or_default()
    }

    fn depends_on(&self, id: &str) -> Vec<String> {
        self.project
            .graph
            .get(id)
            .map(|n| n.depends_on.clone())
            .unwrap_or_default()
    }

    /// A `history` line: `PARENT (DEPENDENCY) -> REV (label) (head) (current)
    /// (branchpoint) (mergepoint), message`.
    pub fn history_line(&self, id: &str) -> String {
        let deps = self.depends_on(id);
        let deps = if deps.is_empty() {
            String::new()
        } else {
            format!(" ({})", deps.join(", "))
        };
        format!(
            "{}{deps} -> {id}{}{}{}, {}",
            self.parents_text(id),
            self.labels(id),
            self.head_markers(id),
            self.tree_markers(id),
            self.message(id)
        )
    }

    /// A `history --graph` line: `REV (label) (head) (current) (branchpoint)
    /// (mergepoint), message`, then `(depends on DEP)` for dependencies.
    pub fn graph_line(&self, id: &str) -> String {
        let deps = self.depends_on(id);
        let deps = if deps.is_empty() {
            String::new()
        } else {
            format!(" (depends on {})", deps.join(", "))
        };
        format!(
            "{id}{}{}{}, {}{deps}",
            self.labels(id),
            self.head_markers(id),
            self.tree_markers(id),
            self.message(id)
        )
    }

    /// A `heads` line: `REV (label) (head)` or `REV (label) (effective head)`.
    pub fn head_line(&self, id: &str) -> String {
        format!("{id}{}{}", self.labels(id), self.head_markers(id))
    }

    /// A `current` line: `REV (label) (head) (branchpoint) (mergepoint)`.
    pub fn current_line(&self, id: &str) -> String {
        format!(
            "{id}{}{}{}",
            self.labels(id),
            self.head_markers(id),
            self.tree_markers(id)
        )
    }

    /// A `branches` child line: `  -> REV (label) (head), message`.
    pub fn child_line(&self, id: &str) -> String {
        format!(
            "  -> {id}{}{}{}, {}",
            self.labels(id),
            self.head_markers(id),
            self.tree_markers(id),
            self.message(id)
        )
    }

    /// The verbose form (`-v`, `show`): Alembic's log entry plus the file's header.
    pub fn long_entry(&self, id: &str) -> String {
        let Some(node) = self.project.graph.get(id) else {
            return id.to_string();
        };
        let mut out = format!(
            "Rev: {id}{}{}{}\n",
            if self.is_head(id) { " (head)" } else { "" },
            self.tree_markers(id),
            if self.current.contains(id) {
                " (current)"
            } else {
                ""
            }
        );
        if node.down_revisions.len() > 1 {
            out.push_str(&format!("Merges: {}\n", self.parents_text(id)));
        } else {
            out.push_str(&format!("Parent: {}\n", self.parents_text(id)));
        }
        if !node.depends_on.is_empty() {
            out.push_str(&format!(
                "Also depends on: {}\n",
                node.depends_on.join(", ")
            ));
        }
        let children = self.project.graph.children(id);
        if children.len() > 1 {
            out.push_str(&format!("Branches into: {}\n", children.join(", ")));
        }
        if let Some(names) = self.names.get(id) {
            out.push_str(&format!("Branch names: {}\n", names.join(", ")));
        }
        if let Some(file) = self.project.file(id) {
            out.push_str(&format!("Path: {}\n", file.path.display()));
            out.push_str(&format!("\n    {}\n\n", file.message));
            out.push_str(&format!(
                "    Revision ID: {id}\n    Revises: {}\n",
                self.parents_text(id)
            ));
            if let Some(d) = &file.create_date {
                out.push_str(&format!("    Create Date: {d}\n"));
            }
        }
        out
    }

    /// One revision as a JSON object.
    pub fn json(&self, id: &str) -> serde_json::Value {
        let node = self.project.graph.get(id);
        let names: Vec<&str> = self.names.get(id).cloned().unwrap_or_default();
        serde_json::json!({
            "revision": id,
            "down_revisions": node.map(|n| n.down_revisions.clone()).unwrap_or_default(),
            "branch_labels": node.map(|n| n.branch_labels.clone()).unwrap_or_default(),
            "branch_names": names,
            "depends_on": node.map(|n| n.depends_on.clone()).unwrap_or_default(),
            "message": node.map(|n| n.message.clone()).unwrap_or_default(),
            "head": self.is_head(id),
            "effective_head": self.is_head(id) && !self.project.graph.is_real_head(id),
            "branchpoint": self.project.graph.children(id).len() > 1,
            "mergepoint": self.parents(id).len() > 1,
            "current": self.current.contains(id),
            "path": self.project.file(id).map(|f| f.path.display().to_string()),
        })
    }

    /// Several revisions as a JSON array.
    pub fn json_list(&self, ids: &[String]) -> serde_json::Value {
        serde_json::Value::Array(ids.iter().map(|id| self.json(id)).collect())
    }
}
