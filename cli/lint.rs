//! `lint`: risky operations in revisions, per backend.

use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};
use retort_engine::dialect::Dialect;
use retort_engine::lint::{self, Severity};
use retort_engine::project::Project;

use crate::args::{Cli, Format};

/// The backends to lint for: `--backend NAME|all`, else the database URL's backend.
fn backends(project: &Project, cli: &Cli, requested: Option<&str>) -> Result<Vec<Dialect>> {
    match requested {
        Some("all") => Ok(Dialect::ALL.to_vec()),
        Some(name) => Dialect::parse(name).map(|d| vec![d]).ok_or_else(|| {
            anyhow!("--backend {name}: not a backend; use sqlite, postgres, mysql or all")
        }),
        None => {
            let url = project.config.url(cli.url.as_deref());
            Dialect::from_url(&url).map(|d| vec![d]).ok_or_else(|| {
                anyhow!(
                    "cannot tell the backend from {}; pass --backend sqlite|postgres|mysql|all",
                    retort_engine::db::mask_url(&url)
                )
            })
        }
    }
}

/// The revisions to lint, in upgrade order.
async fn revisions(
    cli: &Cli,
    project: &Project,
    revs: &[String],
    all: bool,
) -> Result<Vec<String>> {
    if all {
        let steps = project
            .graph
            .plan_upgrade(&[], "heads")
            .map_err(|e| anyhow!("{e}"))?;
        return Ok(steps.into_iter().map(|s| s.revision).collect());
    }
    if !revs.is_empty() {
        let mut out = Vec::new();
        for r in revs {
            let ids = project
                .graph
                .resolve(r, &[])
                .map_err(|e| anyhow!("{r}: {e}"))?;
            if ids.is_empty() {
                bail!("{r} names no revision; give revision ids, or use --all");
            }
            out.extend(ids);
        }
        return Ok(out);
    }
    let url = project.config.url(cli.url.as_deref());
    let rows = retort_engine::runner::current(project, &url)
        .await
        .map_err(|e| anyhow!("{e}\n(lint checks the revisions the database has not applied yet; give revisions, or --all, to lint without a database)"))?;
    let steps = project
        .graph
        .plan_upgrade(&rows, "heads")
        .map_err(|e| anyhow!("{e}"))?;
    Ok(steps.into_iter().map(|s| s.revision).collect())
}

/// `lint [REV…] [--all] [--backend B]`: exit 1 when any finding is an error.
pub async fn lint(
    cli: &Cli,
    project: &Project,
    revs: &[String],
    all: bool,
    backend: Option<&str>,
) -> Result<ExitCode> {
    let backends = backends(project, cli, backend)?;
    let ids = revisions(cli, project, revs, all).await?;
    let findings = lint::lint(project, &ids, &backends)?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    if cli.format == Format::Json {
        let items: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "file": f.file.display().to_string(),
                    "line": f.line,
                    "revision": f.revision,
                    "rule": f.rule,
                    "backend": f.backend_name(),
                    "severity": f.severity.name(),
                    "message": f.message,
                    "fix": f.fix,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"revisions": ids, "findings": items, "errors": errors})
        );
    } else {
        for f in &findings {
            println!("{f}");
        }
        if !cli.quiet {
            let names: Vec<&str> = backends.iter().map(|d| d.name()).collect();
            eprintln!(
                "lint: {} revision(s) for {}: {} error(s), {} warning(s)",
                ids.len(),
                names.join(", "),
                errors,
                findings.len() - errors
            );
        }
    }
    Ok(ExitCode::from(u8::from(errors > 0)))
}
