//! Pictures of the revision graph: a terminal drawing in the manner of `git log
//! --graph` ([`draw_ascii`]), Graphviz ([`to_dot`]) and Mermaid ([`to_mermaid`]).
//!
//! Edges run from a parent (`down_revision`) to its child; a dependency
//! (`depends_on`) is a dashed edge in the dot and Mermaid forms and a `depends on`
//! note in the terminal drawing.

use std::collections::HashSet;

use super::graph::{RevisionGraph, RevisionNode};

/// Draws `nodes` (newest first, as [`RevisionGraph::history`] returns them) as lanes
/// of `*`, `|`, `/` and `\`; `text(id)` gives what is printed after each revision's
/// `*`. Parents outside `nodes` (a `history -r` range) are not drawn.
pub fn draw_ascii(nodes: &[&RevisionNode], text: &dyn Fn(&RevisionNode) -> String) -> String {
    let shown: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let mut lanes: Vec<String> = Vec::new();
    let mut out = String::new();
    for node in nodes {
        let id = node.id.as_str();
        let mut at: Vec<usize> = (0..lanes.len()).filter(|&i| lanes[i] == id).collect();
        if at.is_empty() {
            lanes.push(id.to_string());
            at.push(lanes.len() - 1);
        }
        let col = at[0];
        if at.len() > 1 {
            // Several children wait for this revision: their lanes join before it.
            let kept: Vec<String> = lanes
                .iter()
                .enumerate()
                .filter(|(i, _)| !at[1..].contains(i))
                .map(|(_, l)| l.clone())
                .collect();
            let edges: Vec<(usize, usize)> = (0..lanes.len())
                .map(|i| {
                    let to = kept.iter().position(|l| *l == lanes[i]).unwrap_or(col);
                    (i, to)
                })
                .collect();
            draw_moves(&edges, &mut out);
            lanes = kept;
        }
        out.push_str(&node_row(lanes.len(), col));
        out.push(' ');
        out.push_str(&text(node));
        out.push('\n');
        let parents: Vec<&String> = node
            .down_revisions
            .iter()
            .filter(|p| shown.contains(p.as_str()))
            .collect();
        let mut next: Vec<String> = lanes
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != col)
            .map(|(_, l)| l.clone())
            .collect();
        let mut insert_at = col;
        for p in &parents {
            if !next.contains(p) {
                next.insert(insert_at, (*p).clone());
                insert_at += 1;
            }
        }
        let mut edges = Vec::new();
        for (i, lane) in lanes.iter().enumerate() {
            if i == col {
                for p in &parents {
                    if let Some(to) = next.iter().position(|l| l == *p) {
                        edges.push((i, to));
                    }
                }
            } else if let Some(to) = next.iter().position(|l| l == lane) {
                edges.push((i, to));
            }
        }
        let fans_out = parents.len() > 1;
        if fans_out || edges.iter().any(|(a, b)| a != b) {
            draw_moves(&edges, &mut out);
        }
        lanes = next;
        if lanes.is_empty() {
            // A root ends its line of history: keep the next line apart.
            out.push('\n');
        }
    }
    if out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The row of a revision: `*` in its lane, `|` in the others.
fn node_row(width: usize, col: usize) -> String {
    let mut row = String::new();
    for i in 0..width {
        row.push(if i == col { '*' } else { '|' });
        row.push(' ');
    }
    row.trim_end().to_string()
}

/// Rows that move each lane `(from, to)` one column per row until all arrive.
fn draw_moves(edges: &[(usize, usize)], out: &mut String) {
    let mut pos: Vec<usize> = edges.iter().map(|e| e.0).collect();
    let rows = edges
        .iter()
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(0)
        .max(1);
    for _ in 0..rows {
        let width = pos
            .iter()
            .chain(edges.iter().map(|e| &e.1))
            .max()
            .map_or(0, |m| m + 1);
        let mut row = vec![' '; width * 2 + 1];
        for (k, &(_, to)) in edges.iter().enumerate() {
            let p = pos[k];
            if to > p {
                row[2 * p + 1] = '\\';
                pos[k] = p + 1;
            } else if to < p {
                row[2 * p - 1] = '/';
                pos[k] = p - 1;
            } else if row[2 * p] == ' ' {
                row[2 * p] = '|';
            }
        }
        let line: String = row.into_iter().collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The graph (or the `nodes` of a range) as a Graphviz `digraph`: one box per
/// revision labelled with its id and message, solid edges parent → child, dashed
/// edges dependency → dependent, heads in bold.
pub fn to_dot(graph: &RevisionGraph, nodes: &[&RevisionNode]) -> String {
    let shown: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let mut out = String::from(
        "digraph revisions {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    for n in nodes.iter().rev() {
        let mut label = n.id.clone();
        if !n.branch_labels.is_empty() {
            label.push_str(&format!(" ({})", n.branch_labels.join(", ")));
        }
        label.push_str(&format!("\n{}", n.message));
        let style = if graph.children(&n.id).is_empty() {
            ", style=bold"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {} [label={}{style}];\n",
            dot_quote(&n.id),
            dot_quote(&label)
        ));
    }
    for n in nodes.iter().rev() {
        for p in n
            .down_revisions
            .iter()
            .filter(|p| shown.contains(p.as_str()))
        {
            out.push_str(&format!("  {} -> {};\n", dot_quote(p), dot_quote(&n.id)));
        }
        for d in n.depends_on.iter().filter(|d| shown.contains(d.as_str())) {
            out.push_str(&format!(
                "  {} -> {} [style=dashed, label=\"depends on\"];\n",
                dot_quote(d),
                dot_quote(&n.id)
            ));
        }
    }
    out.push_str("}\n");
    out
}

/// A Graphviz quoted string.
pub(crate) fn dot_quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// The graph (or the `nodes` of a range) as a Mermaid flowchart, oldest at the top:
/// `r0["id<br/>message"]` nodes, `-->` parent → child, `-.->|depends on|` for
/// dependencies.
pub fn to_mermaid(nodes: &[&RevisionNode]) -> String {
    let ordered: Vec<&&RevisionNode> = nodes.iter().rev().collect();
    let key = |id: &str| {
        ordered
            .iter()
            .position(|n| n.id == id)
            .map(|i| format!("r{i}"))
    };
    let mut out = String::from("flowchart TD\n");
    for (i, n) in ordered.iter().enumerate() {
        let mut label = n.id.clone();
        if !n.branch_labels.is_empty() {
            label.push_str(&format!(" ({})", n.branch_labels.join(", ")));
        }
        if !n.message.is_empty() {
            label.push_str(&format!("<br/>{}", n.message));
        }
        out.push_str(&format!("  r{i}[\"{}\"]\n", mermaid_text(&label)));
    }
    for n in &ordered {
        let Some(child) = key(&n.id) else { continue };
        for p in &n.down_revisions {
            if let Some(parent) = key(p) {
                out.push_str(&format!("  {parent} --> {child}\n"));
            }
        }
        for d in &n.depends_on {
            if let Some(dep) = key(d) {
                out.push_str(&format!("  {dep} -.->|depends on| {child}\n"));
            }
        }
    }
    out
}

/// Text safe inside a Mermaid `"…"` label.
pub(crate) fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parents: &[&str], deps: &[&str]) -> RevisionNode {
        RevisionNode {
            id: id.into(),
            down_revisions: parents.iter().map(|s| s.to_string()).collect(),
            depends_on: deps.iter().map(|s| s.to_string()).collect(),
            branch_labels: Vec::new(),
            message: format!("msg {id}"),
            source: format!("{id}.yaml"),
        }
    }

    fn fixture() -> RevisionGraph {
        RevisionGraph::new(vec![
            node("a", &[], &[]),
            node("b", &["a"], &[]),
            node("c", &["a"], &[]),
            node("d", &["b", "c"], &[]),
            node("e", &["d"], &[]),
            node("x", &[], &[]),
            node("y", &["x"], &["b"]),
        ])
        .expect("graph")
    }

    #[test]
    fn ascii_draws_branch_merge_and_separate_root() {
        let g = fixture();
        let nodes = g.history();
        let text = draw_ascii(&nodes, &|n| n.id.clone());
        let stars = text.lines().filter(|l| l.contains('*')).count();
        assert_eq!(stars, 7, "{text}");
        assert!(text.contains('\\'), "a merge fans out:\n{text}");
        assert!(text.contains('/'), "a branch point joins:\n{text}");
    }

    #[test]
    fn dot_and_mermaid_have_every_edge() {
        let g = fixture();
        let nodes = g.history();
        let dot = to_dot(&g, &nodes);
        for edge in ["\"a\" -> \"b\"", "\"b\" -> \"d\"", "\"c\" -> \"d\""] {
            assert!(dot.contains(edge), "{edge} in\n{dot}");
        }
        assert!(dot.contains("\"b\" -> \"y\" [style=dashed"), "{dot}");
        let mm = to_mermaid(&nodes);
        assert_eq!(mm.matches(" --> ").count(), 6, "{mm}");
        assert_eq!(mm.matches("-.->|depends on|").count(), 1, "{mm}");
    }
}
