//! Commands over revision files and their graph: revision, merge, history, heads,
//! branches, show, edit, list-templates.

use std::collections::HashSet;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use retort_engine::project::{NewRevisionRequest, Project};
use retort_engine::script::list_templates;

use crate::args::{Cli, Format};

/// The `(head)`, `(branchpoint)`, `(mergepoint)`, `(current)` markers and labels after an id.
fn flags(project: &Project, id: &str, current: &HashSet<String>) -> String {
    let mut out = String::new();
    if let Some(node) = project.graph.get(id) {
        if !node.branch_labels.is_empty() {
            out.push_str(&format!(" ({})", node.branch_labels.join(", ")));
        }
        if node.down_revisions.len() > 1 {
            out.push_str(" (mergepoint)");
        }
    }
    if project.graph.children(id).len() > 1 {
        out.push_str(" (branchpoint)");
    }
    if project.graph.heads().contains(&id) {
        out.push_str(" (head)");
    }
    if current.contains(id) {
        out.push_str(" (current)");
    }
    out
}

fn parents_text(parents: &[String]) -> String {
    if parents.is_empty() {
        "<base>".to_string()
    } else {
        parents.join(", ")
    }
}

/// `PARENT -> REV (head), message`.
fn short_line(project: &Project, id: &str, current: &HashSet<String>) -> String {
    let (parents, message) = project
        .graph
        .get(id)
        .map(|n| (n.down_revisions.clone(), n.message.clone()))
        .unwrap_or_default();
    format!(
        "{} -> {id}{}, {message}",
        parents_text(&parents),
        flags(project, id, current)
    )
}

/// The verbose, multi-line form of one revision.
fn long_entry(project: &Project, id: &str, current: &HashSet<String>) -> String {
    let Some(node) = project.graph.get(id) else {
        return id.to_string();
    };
    let mut out = format!("Rev: {id}{}\n", flags(project, id, current));
    if node.down_revisions.len() > 1 {
        out.push_str(&format!("Merges: {}\n", node.down_revisions.join(", ")));
    } else {
        out.push_str(&format!("Parent: {}\n", parents_text(&node.down_revisions)));
    }
    let children = project.graph.children(id);
    if children.len() > 1 {
        out.push_str(&format!("Branches into: {}\n", children.join(", ")));
    }
    if !node.branch_labels.is_empty() {
        out.push_str(&format!(
            "Branch names: {}\n",
            node.branch_labels.join(", ")
        ));
    }
    if !node.depends_on.is_empty() {
        out.push_str(&format!("Depends on: {}\n", node.depends_on.join(", ")));
    }
    if let Some(file) = project.file(id) {
        out.push_str(&format!("Path: {}\n", file.path.display()));
        out.push_str(&format!("\n    {}\n\n", file.message));
        out.push_str(&format!(
            "    Revision ID: {id}\n    Revises: {}\n",
            parents_text(&file.down_revisions)
        ));
        if let Some(d) = &file.create_date {
            out.push_str(&format!("    Create Date: {d}\n"));
        }
    }
    out
}

fn json_entry(project: &Project, id: &str, current: &HashSet<String>) -> serde_json::Value {
    let node = project.graph.get(id);
    serde_json::json!({
        "revision": id,
        "down_revisions": node.map(|n| n.down_revisions.clone()).unwrap_or_default(),
        "branch_labels": node.map(|n| n.branch_labels.clone()).unwrap_or_default(),
        "depends_on": node.map(|n| n.depends_on.clone()).unwrap_or_default(),
        "message": node.map(|n| n.message.clone()).unwrap_or_default(),
        "head": project.graph.heads().contains(&id),
        "current": current.contains(id),
        "path": project.file(id).map(|f| f.path.display().to_string()),
    })
}

fn print_entries(
    cli: &Cli,
    project: &Project,
    ids: &[String],
    verbose: bool,
    current: &HashSet<String>,
) {
    if cli.format == Format::Json {
        let items: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| json_entry(project, id, current))
            .collect();
        println!("{}", serde_json::Value::Array(items));
        return;
    }
    for id in ids {
        if verbose {
            println!("{}", long_entry(project, id, current));
        } else {
            println!("{}", short_line(project, id, current));
        }
    }
}

/// `list-templates`.
pub fn list(project_dir: &std::path::Path) -> Result<ExitCode> {
    println!("Available templates:\n");
    for (name, what) in list_templates(Some(&project_dir.join("templates"))) {
        println!("  {name} - {what}");
    }
    println!("\nUse one with `retort revision --template NAME -m MSG`, or set `template:` in retort.yaml.");
    Ok(ExitCode::SUCCESS)
}

/// `revision` (without autogenerate) and `merge`.
pub fn create(project: &Project, req: &NewRevisionRequest, quiet: bool) -> Result<ExitCode> {
    let path = project.create_revision(req).map_err(|e| anyhow!(e))?;
    if quiet {
        println!("{}", path.display());
    } else {
        println!("Generating {} ... done", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `history`.
pub fn history(
    cli: &Cli,
    project: &Project,
    range: Option<&str>,
    verbose: bool,
    current: &HashSet<String>,
) -> Result<ExitCode> {
    let current_rows: Vec<String> = current.iter().cloned().collect();
    let nodes = match range {
        None => project.graph.history(),
        Some(r) => {
            let (start, end) = r.split_once(':').ok_or_else(|| {
                anyhow!("history range must be START:END (either side may be empty), got `{r}`")
            })?;
            let start = Some(start).filter(|s| !s.is_empty());
            let end = Some(end).filter(|s| !s.is_empty());
            project
                .graph
                .history_range(start, end, &current_rows)
                .map_err(|e| anyhow!(e.to_string()))?
        }
    };
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    if cli.format == Format::Text && !verbose {
        // One buffered write: history of thousands of revisions stays fast.
        let mut out = String::with_capacity(ids.len() * 64);
        for id in &ids {
            out.push_str(&short_line(project, id, current));
            out.push('\n');
        }
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    print_entries(cli, project, &ids, verbose, current);
    Ok(ExitCode::SUCCESS)
}

/// `heads`.
pub fn heads(
    cli: &Cli,
    project: &Project,
    verbose: bool,
    resolve_dependencies: bool,
) -> Result<ExitCode> {
    let ids: Vec<String> = if resolve_dependencies {
        project.graph.heads_resolving_dependencies()
    } else {
        project.graph.heads()
    }
    .into_iter()
    .map(str::to_string)
    .collect();
    if cli.format == Format::Text && !verbose {
        for id in &ids {
            println!("{id}{}", flags(project, id, &HashSet::new()));
        }
        return Ok(ExitCode::SUCCESS);
    }
    print_entries(cli, project, &ids, verbose, &HashSet::new());
    Ok(ExitCode::SUCCESS)
}

/// `branches`.
pub fn branches(cli: &Cli, project: &Project, verbose: bool) -> Result<ExitCode> {
    let none = HashSet::new();
    let points: Vec<String> = project
        .graph
        .branch_points()
        .into_iter()
        .map(str::to_string)
        .collect();
    if cli.format == Format::Json {
        print_entries(cli, project, &points, verbose, &none);
        return Ok(ExitCode::SUCCESS);
    }
    for id in &points {
        if verbose {
            println!("{}", long_entry(project, id, &none));
        } else {
            println!("{}", short_line(project, id, &none));
        }
        for child in project.graph.children(id) {
            let message = project
                .graph
                .get(child)
                .map(|n| n.message.clone())
                .unwrap_or_default();
            println!("  -> {child}{}, {message}", flags(project, child, &none));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn resolve_one(project: &Project, rev: &str) -> Result<String> {
    let ids = project
        .graph
        .resolve(rev, &[])
        .map_err(|e| anyhow!(e.to_string()))?;
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(anyhow!("`{rev}` names no revision")),
        many => Err(anyhow!(
            "`{rev}` names several revisions: {}; name one",
            many.join(", ")
        )),
    }
}

/// `show REV`.
pub fn show(cli: &Cli, project: &Project, rev: &str) -> Result<ExitCode> {
    let id = resolve_one(project, rev)?;
    let none = HashSet::new();
    if cli.format == Format::Json {
        println!("{}", json_entry(project, &id, &none));
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", long_entry(project, &id, &none));
    if let Some(file) = project.file(&id) {
        let text = std::fs::read_to_string(&file.path)
            .map_err(|e| anyhow!("cannot read {}: {e}", file.path.display()))?;
        println!("\n{text}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `edit REV`: opens the file in `$EDITOR` (or `$VISUAL`).
pub fn edit(project: &Project, rev: &str) -> Result<ExitCode> {
    let id = resolve_one(project, rev)?;
    let file = project
        .file(&id)
        .ok_or_else(|| anyhow!("revision {id} has no file"))?;
    let editor = std::env::var("EDITOR")
        .or_else(|_| std::env::var("VISUAL"))
        .ok()
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| {
            anyhow!(
                "set $EDITOR (e.g. EDITOR=vi) to edit {}",
                file.path.display()
            )
        })?;
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(&file.path)
        .status()
        .map_err(|e| anyhow!("cannot start editor `{editor}`: {e}"))?;
    if !status.success() {
        return Err(anyhow!("editor `{editor}` exited with {status}"));
    }
    Ok(ExitCode::SUCCESS)
}
