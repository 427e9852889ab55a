//! Commands that move a database: upgrade, downgrade, stamp (online, or printing SQL offline).

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use retort_engine::dialect::Dialect;
use retort_engine::project::Project;
use retort_engine::runner::runlog::{RunLogError, Unfinished};
use retort_engine::runner::{self, Command as RunCommand};

use crate::args::Cli;
use crate::style::RunProgress;

/// The backend named by the URL's scheme (offline mode needs no connection).
fn dialect_of(url: &str) -> Result<Dialect> {
    Dialect::from_url(url).ok_or_else(|| {
        anyhow!(
            "cannot tell the backend from {}; use sqlite://, postgres:// or mysql://",
            retort_engine::db::mask_url(url)
        )
    })
}

/// `FROM:TO` → (Some(FROM), TO); `TO` → (None, TO). `base` as FROM means the empty database.
fn split_range(target: &str) -> (Option<&str>, &str) {
    match target.split_once(':') {
        Some((from, to)) if !from.is_empty() && from != "base" => (Some(from), to),
        Some((_, to)) => (None, to),
        None => (None, target),
    }
}

/// `upgrade` / `downgrade`.
pub async fn migrate(
    cli: &Cli,
    project: &Project,
    target: &str,
    sql: bool,
    up: bool,
    resume: bool,
    early: Option<runner::EarlyConnection>,
) -> Result<ExitCode> {
    let url = project.config.url(cli.url.as_deref());
    if sql {
        let dialect = dialect_of(&url)?;
        let (start, to) = split_range(target);
        if !up && !target.contains(':') {
            return Err(anyhow!("downgrade with --sql needs a range FROM:TO, e.g. `retort downgrade head:base --sql`"));
        }
        let command = if up {
            RunCommand::Upgrade(to.to_string())
        } else {
            RunCommand::Downgrade(to.to_string())
        };
        let script = runner::offline_script(project, dialect, start, &command)
            .map_err(|e| anyhow!(e.to_string()))?;
        print!("{script}");
        return Ok(ExitCode::SUCCESS);
    }
    let command = if up {
        RunCommand::Upgrade(target.to_string())
    } else {
        RunCommand::Downgrade(target.to_string())
    };
    let quiet = cli.quiet;
    let bar = RunProgress::start(!quiet && cli.format == crate::args::Format::Text);
    let mut progress = |line: &str| {
        if !quiet {
            bar.line(line);
        }
    };
    let mut on_changed = |changed: &[retort_engine::runner::checksum::ChangedRevision]| {
        crate::checksums::report(cli, project, changed).map_err(|e| e.to_string())
    };
    let options = runner::RunOptions {
        connection: early,
        resume,
        on_changed: Some(&mut on_changed),
    };
    let result = runner::run_with(project, &url, &command, options, &mut progress).await;
    bar.finish();
    result.map_err(|e| anyhow!(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

/// `stamp`.
pub async fn stamp(
    cli: &Cli,
    project: &Project,
    revisions: &[String],
    purge: bool,
    sql: bool,
) -> Result<ExitCode> {
    let url = project.config.url(cli.url.as_deref());
    if sql {
        let dialect = dialect_of(&url)?;
        let (start, targets): (Option<&str>, Vec<String>) = match revisions {
            [one] if one.contains(':') => {
                let (s, t) = split_range(one);
                (s, vec![t.to_string()])
            }
            _ => (None, revisions.to_vec()),
        };
        let script = runner::offline_stamp(project, dialect, start, &targets, purge)
            .map_err(|e| anyhow!(e.to_string()))?;
        print!("{script}");
        return Ok(ExitCode::SUCCESS);
    }
    let quiet = cli.quiet;
    let mut notices = |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    let rows = runner::stamp_with_progress(project, &url, revisions, purge, &mut notices)
        .await
        .map_err(|e| anyhow!(e.to_string()))?;
    if !cli.quiet {
        println!(
            "Stamped {}",
            if rows.is_empty() {
                "<base>".to_string()
            } else {
                rows.join(", ")
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `current`: warns on stderr about a revision the run log shows unfinished (a run
/// killed or failed mid-revision), naming it, its statement and the ways forward;
/// `unfinished` as [`runner::current_and_unfinished`] read it.
pub fn warn_unfinished(
    cli: &Cli,
    project: &Project,
    rows: &[String],
    unfinished: Result<Vec<Unfinished>, RunLogError>,
) {
    let unfinished = match unfinished {
        Ok(u) => u,
        Err(e) => {
            if cli.verbose {
                eprintln!("warning: could not read the run log: {e}");
            }
            return;
        }
    };
    let applied = retort_engine::runner::checksum::applied_revisions(project, rows);
    for row in unfinished {
        // A row the next run will close by itself (its version update went through).
        let finished = (row.direction == "up") == applied.contains(&row.revision);
        if finished {
            continue;
        }
        eprintln!(
            "warning: {}.\n{}",
            row.describe(project),
            row.ways_forward(project)
        );
    }
}
