//! Commands built on comparing schema.yaml with the database: revision --autogenerate,
//! check, diff, reflect.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use retort_engine::autogenerate::{
    compare_with_database, operations_sql, operations_yaml, reflect_database, reflected_yaml,
    require_at_head,
};
use retort_engine::db::Connection;
use retort_engine::ops::Operation;
use retort_engine::project::{NewRevisionRequest, Project};
use retort_engine::script::TemplateChoice;

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

/// `revision --autogenerate`.
pub async fn revision(
    cli: &Cli,
    project: &Project,
    mut req: NewRevisionRequest,
    allow_empty: bool,
) -> Result<ExitCode> {
    let url = project.config.url(cli.url.as_deref());
    require_at_head(project, &url)
        .await
        .map_err(|e| anyhow!(e))?;
    let cmp = compare_with_database(project, &url)
        .await
        .map_err(|e| anyhow!(e))?;
    print_notes(cli.quiet, &cmp.diff.notes, &cmp.diff.warnings);
    if cmp.diff.is_empty() && !allow_empty {
        println!("No changes detected");
        return Ok(ExitCode::SUCCESS);
    }
    let choice = TemplateChoice::parse(req.template.as_deref().unwrap_or(&project.config.template));
    let down_warnings: Vec<(usize, String)> = Vec::new();
    if choice.is_sql() {
        req.upgrade = operations_sql(
            &cmp.diff.upgrade,
            &cmp.diff.warnings,
            cmp.dialect,
            &cmp.reflected,
            &cmp.declared.enums,
        )
        .map_err(|e| anyhow!(e))?;
        req.downgrade = operations_sql(
            &cmp.diff.downgrade,
            &down_warnings,
            cmp.dialect,
            &cmp.declared,
            &cmp.declared.enums,
        )
        .map_err(|e| anyhow!(e))?;
    } else {
        req.upgrade = operations_yaml(project, &cmp.diff.upgrade, &cmp.diff.warnings);
        req.downgrade = operations_yaml(project, &cmp.diff.downgrade, &down_warnings);
    }
    if !cli.quiet {
        for op in &cmp.diff.upgrade {
            eprintln!("Detected {}", op.describe());
        }
    }
    crate::revisions::create(project, &req, cli.quiet)
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

/// The revisions an `upgrade heads` would run from the database's current revisions.
async fn pending_revisions(project: &Project, url: &str) -> Result<Vec<String>> {
    let rows = retort_engine::runner::current(project, url)
        .await
        .map_err(|e| anyhow!(e))?;
    let steps = project
        .graph
        .plan_upgrade(&rows, "heads")
        .map_err(|e| anyhow!("cannot tell which revisions are pending: {e}"))?;
    Ok(steps.into_iter().map(|s| s.revision).collect())
}

/// `check`. Like Alembic's, it compares only a database that is at head: otherwise it
/// exits 1 with "Target database is not up to date" and the pending revisions.
pub async fn check(cli: &Cli, project: &Project) -> Result<ExitCode> {
    let url = project.config.url(cli.url.as_deref());
    let pending = pending_revisions(project, &url).await?;
    if !pending.is_empty() {
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
    let cmp = compare_with_database(project, &url)
        .await
        .map_err(|e| anyhow!(e))?;
    if cli.format == Format::Json {
        let ops = ops_json(project, &cmp.diff.upgrade, false);
        let warnings: Vec<&String> = cmp.diff.warnings.iter().map(|(_, w)| w).collect();
        println!(
            "{}",
            serde_json::json!({"up_to_date": true, "operations": ops, "warnings": warnings, "notes": cmp.diff.notes})
        );
    } else if cmp.diff.is_empty() {
        println!("No changes detected");
    } else {
        println!(
            "{} operation(s) would be generated:",
            cmp.diff.upgrade.len()
        );
        for op in &cmp.diff.upgrade {
            println!("  {}", op.describe());
        }
        print_notes(cli.quiet, &cmp.diff.notes, &cmp.diff.warnings);
    }
    Ok(if cmp.diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `diff [--sql]`.
pub async fn diff(cli: &Cli, project: &Project, sql: bool) -> Result<ExitCode> {
    let url = project.config.url(cli.url.as_deref());
    let cmp = compare_with_database(project, &url)
        .await
        .map_err(|e| anyhow!(e))?;
    if cli.format == Format::Json {
        let ops = ops_json(project, &cmp.diff.upgrade, true);
        let mut out = serde_json::json!({"operations": ops});
        if sql {
            out["sql"] = operations_sql(
                &cmp.diff.upgrade,
                &cmp.diff.warnings,
                cmp.dialect,
                &cmp.reflected,
                &cmp.declared.enums,
            )
            .map_err(|e| anyhow!(e))?
            .into();
        }
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    if cmp.diff.is_empty() {
        println!("No changes detected");
        return Ok(ExitCode::SUCCESS);
    }
    if sql {
        let text = operations_sql(
            &cmp.diff.upgrade,
            &cmp.diff.warnings,
            cmp.dialect,
            &cmp.reflected,
            &cmp.declared.enums,
        )
        .map_err(|e| anyhow!(e))?;
        println!("{text}");
    } else {
        print!(
            "upgrade:\n{}",
            operations_yaml(project, &cmp.diff.upgrade, &cmp.diff.warnings)
        );
        print!(
            "downgrade:\n{}",
            operations_yaml(project, &cmp.diff.downgrade, &[])
        );
    }
    print_notes(cli.quiet, &cmp.diff.notes, &[]);
    Ok(ExitCode::SUCCESS)
}

/// `reflect`.
pub async fn reflect(cli: &Cli, project: &Project) -> Result<ExitCode> {
    let url = project.config.url(cli.url.as_deref());
    let mut conn = Connection::connect_read_only(&url).await?;
    let schema = reflect_database(project, &mut conn).await;
    conn.close().await;
    let schema = schema.map_err(|e| anyhow!(e))?;
    print!("{}", reflected_yaml(project, &schema));
    Ok(ExitCode::SUCCESS)
}
