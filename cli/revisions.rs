//! Commands over revision files and their graph: revision, merge, history, heads,
//! branches, show, edit, list-templates.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use retort_engine::project::{NewRevisionRequest, Project};
use retort_engine::script::list_templates;

use crate::args::{Cli, Format};
use crate::revision_display::Revisions;

fn print_entries(cli: &Cli, view: &Revisions<'_>, ids: &[String], verbose: bool) {
    if cli.format == Format::Json {
        println!("{}", view.json_list(ids));
        return;
    }
    for id in ids {
        if verbose {
            println!("{}", view.long_entry(id));
        } else {
            println!("{}", view.history_line(id));
        }
    }
}

/// `list-templates` (`-q`: only the names).
pub fn list(project_dir: &std::path::Path, quiet: bool) -> Result<ExitCode> {
    let templates = list_templates(Some(&project_dir.join("templates")));
    if quiet {
        for (name, _) in templates {
            println!("{name}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!("Available templates:\n");
    for (name, what) in templates {
        println!("  {name} - {what}");
    }
    println!("\nUse one with `retort revision --template NAME -m MSG`, or set `template:` in retort.yaml.");
    Ok(ExitCode::SUCCESS)
}

/// `revision` (without autogenerate) and `merge`.
pub fn create(project: &Project, req: &NewRevisionRequest, quiet: bool) -> Result<ExitCode> {
    let path = project.create_revision(req)?;
    if quiet {
        println!("{}", path.display());
    } else {
        println!("Generating {} ... done", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `history`; `current` holds the database's revisions (empty when not read), `marked`
/// those to mark `(current)` (with `-i`); `graph` (or `--format dot|mermaid`) draws it.
pub fn history(
    cli: &Cli,
    project: &Project,
    range: Option<&str>,
    verbose: bool,
    current: &[String],
    marked: &[String],
    graph: bool,
) -> Result<ExitCode> {
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
                .history_range(start, end, current)
                .map_err(|e| anyhow!(e.to_string()))?
        }
    };
    if (graph && cli.format == Format::Text) || matches!(cli.format, Format::Dot | Format::Mermaid)
    {
        crate::pictures::history(cli, project, &nodes, marked);
        return Ok(ExitCode::SUCCESS);
    }
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let view = Revisions::new(project, marked);
    if cli.format == Format::Text && !verbose {
        // One buffered write: history of thousands of revisions stays fast.
        let mut out = String::with_capacity(ids.len() * 64);
        for id in &ids {
            out.push_str(&view.history_line(id));
            out.push('\n');
        }
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    print_entries(cli, &view, &ids, verbose);
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
    let view = Revisions::new(project, &[]);
    if cli.format == Format::Text && !verbose {
        for id in &ids {
            println!("{}", view.head_line(id));
        }
        return Ok(ExitCode::SUCCESS);
    }
    print_entries(cli, &view, &ids, verbose);
    Ok(ExitCode::SUCCESS)
}

/// `branches`.
pub fn branches(cli: &Cli, project: &Project, verbose: bool) -> Result<ExitCode> {
    let view = Revisions::new(project, &[]);
    let points: Vec<String> = project
        .graph
        .branch_points()
        .into_iter()
        .map(str::to_string)
        .collect();
    if cli.format == Format::Json {
        print_entries(cli, &view, &points, verbose);
        return Ok(ExitCode::SUCCESS);
    }
    for id in &points {
        if verbose {
            println!("{}", view.long_entry(id));
        } else {
            println!("{}", view.history_line(id));
        }
        for child in project.graph.children(id) {
            println!("{}", view.child_line(child));
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

/// `show REV`: every revision REV names (`heads`: every head; `base`: none), in
/// full; `current` holds the database's revisions when REV needs them.
pub fn show(cli: &Cli, project: &Project, rev: &str, current: &[String]) -> Result<ExitCode> {
    let body = rev.rsplit_once('@').map_or(rev, |(_, b)| b);
    let several = matches!(body, "heads" | "base" | "current");
    let ids: Vec<String> = if rev == "heads" {
        project
            .graph
            .heads()
            .into_iter()
            .map(str::to_string)
            .collect()
    } else if several {
        project
            .graph
            .resolve(rev, current)
            .map_err(|e| anyhow!(e.to_string()))?
    } else {
        vec![resolve_one(project, rev)?]
    };
    let view = Revisions::new(project, &[]);
    if cli.format == Format::Json {
        if several {
            println!("{}", view.json_list(&ids));
        } else {
            println!("{}", view.json(&ids[0]));
        }
        return Ok(ExitCode::SUCCESS);
    }
    for id in &ids {
        print!("{}", view.long_entry(id));
        if let Some(file) = project.file(id) {
            let text = std::fs::read_to_string(&file.path)
                .map_err(|e| anyhow!("cannot read {}: {e}", file.path.display()))?;
            println!("\n{text}");
        }
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
