//! Commands built on comparing schema.yaml with the database: revision --autogenerate,
//! check, diff, reflect. Each opens one connection; the work is the engine's
//! (`retort_engine::autogenerate`), this module handles arguments and printing.

use std::process::ExitCode;

use anyhow::Result;
use retort_engine::autogenerate::{
    operations_yaml, pending_revisions, reflect_to_yaml, render_revision, require_at_head,
    unmodelled_warning, Autogenerate, Comparison,
};
use retort_engine::db::Connection;
use retort_engine::ops::Operation;
use retort_engine::project::{NewRevisionRequest, Project};

use crate::args::{Cli, Format};

fn print_notes(quiet: bool, notes: &[String], warnings: &[(usize, String)]) {
    if quiet {
        return;
    }
    for n in notes {
        eprintln!("note: {n}");
    }
    for (_, w) in warnings {
        eprintln!("WARNING: {w}");
    }
}

/// One warning per database object retort does not model, which `command` cannot see
/// (not with `-q`).
fn warn_unmodelled(quiet: bool, cmp: &Comparison, command: &str) {
    if quiet {
        return;
    }
    for o in &cmp.unmodelled {
        eprintln!("warning: {}", unmodelled_warning(o, command));
    }
}

/// The command's one connection to the database.
async fn connect(cli: &Cli, project: &Project) -> Result<Connection> {
    let url = project.config.url(cli.url.as_deref());
    Ok(Connection::connect_read_only(&url).await?)
}

/// Compares over `conn` and closes it.
async fn compare_and_close(project: &Project, mut conn: Connection) -> Result<Comparison> {
    let cmp = Autogenerate::compare(project, &mut conn).await;
    conn.close().await;
    Ok(cmp?)
}

/// `revision --autogenerate`.
pub async fn revision(
    cli: &Cli,
    project: &Project,
    req: NewRevisionRequest,
    allow_empty: bool,
) -> Result<ExitCode> {
    let mut conn = connect(cli, project).await?;
    let at_head = match Autogenerate::version_rows(project, &mut conn).await {
        Ok(rows) => require_at_head(project, &rows),
        Err(e) => Err(e),
    };
    if let Err(e) = at_head {
        conn.close().await;
        return Err(e.into());
    }
    let cmp = compare_and_close(project, conn).await?;
    warn_unmodelled(cli.quiet, &cmp, "autogenerate");
    print_notes(cli.quiet, &cmp.notes, &cmp.warnings);
    if cmp.is_empty() && !allow_empty {
        if !cli.quiet {
            println!("No changes detected");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !cli.quiet {
        for op in &cmp.upgrade {
            eprintln!("Detected {}", op.describe());
        }
    }
    let path = render_revision(project, &cmp, req)?;
    if cli.quiet {
        println!("{}", path.display());
    } else {
        println!("Generating {} ... done", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Operations as JSON objects (`operation`, `description`, and with `yaml` their YAML form).
fn ops_json(project: &Project, ops: &[Operation], yaml: bool) -> Vec<serde_json::Value> {
    ops.iter()
        .map(|op| {
            let mut v = serde_json::json!({"operation": op.kind(), "description": op.describe()});
            if yaml {
                v["yaml"] = operations_yaml(project, std::slice::from_ref(op), &[])
                    .trim_end()
                    .into();
            }
            v
        })
        .collect()
}

/// `check`. Like Alembic's, it compares only a database that is at head: otherwise it
/// exits 1 with "Target database is not up to date" and the pending revisions.
pub async fn check(cli: &Cli, project: &Project) -> Result<ExitCode> {
    let mut conn = connect(cli, project).await?;
    let pending = match Autogenerate::version_rows(project, &mut conn).await {
        Ok(rows) => pending_revisions(project, &rows),
        Err(e) => Err(e),
    };
    let pending = match pending {
        Ok(p) => p,
        Err(e) => {
            conn.close().await;
            return Err(e.into());
        }
    };
    if !pending.is_empty() {
        conn.close().await;
        if cli.format == Format::Json {
            println!(
                "{}",
                serde_json::json!({"up_to_date": false, "pending": pending, "operations": []})
            );
        } else {
            println!(
                "Target database is not up to date: {} revision(s) pending: {}",
                pending.len(),
                pending.join(", ")
            );
            eprintln!("Run `retort upgrade heads` first, then `retort check` compares the schema.");
        }
        return Ok(ExitCode::from(1));
    }
    let cmp = compare_and_close(project, conn).await?;
    warn_unmodelled(cli.quiet, &cmp, "check");
    if cli.format == Format::Json {
        let ops = ops_json(project, &cmp.upgrade, false);
        let warnings: Vec<&String> = cmp.warnings.iter().map(|(_, w)| w).collect();
        let unmodelled: Vec<String> = cmp.unmodelled.iter().map(|o| o.to_string()).collect();
        println!(
            "{}",
            serde_json::json!({"up_to_date": true, "operations": ops, "warnings": warnings, "notes": cmp.notes, "not_modelled": unmodelled})
        );
    } else if cmp.is_empty() {
        if !cli.quiet {
            println!("No changes detected");
        }
        print_notes(cli.quiet, &cmp.notes, &[]);
    } else {
        println!("{} operation(s) would be generated:", cmp.upgrade.len());
        for op in &cmp.upgrade {
            println!("  {}", op.describe());
        }
        print_notes(cli.quiet, &cmp.notes, &cmp.warnings);
    }
    Ok(if cmp.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `diff [--sql]`.
pub async fn diff(cli: &Cli, project: &Project, sql: bool) -> Result<ExitCode> {
    let conn = connect(cli, project).await?;
    let cmp = compare_and_close(project, conn).await?;
    warn_unmodelled(cli.quiet, &cmp, "diff");
    if cli.format == Format::Json {
        let ops = ops_json(project, &cmp.upgrade, true);
        let mut out = serde_json::json!({"operations": ops});
        if sql {
            out["sql"] = cmp.upgrade_sql()?.into();
        }
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    if cmp.is_empty() {
        if !cli.quiet {
            println!("No changes detected");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if sql {
        println!("{}", cmp.upgrade_sql()?);
    } else {
        print!("upgrade:\n{}", cmp.upgrade_yaml(project));
        print!("downgrade:\n{}", cmp.downgrade_yaml(project));
    }
    print_notes(cli.quiet, &cmp.notes, &[]);
    Ok(ExitCode::SUCCESS)
}

/// `reflect`.
pub async fn reflect(cli: &Cli, project: &Project) -> Result<ExitCode> {
    let mut conn = connect(cli, project).await?;
    let yaml = reflect_to_yaml(project, &mut conn).await;
    conn.close().await;
    print!("{}", yaml?);
    Ok(ExitCode::SUCCESS)
}
