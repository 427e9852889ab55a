//! `--target NAME` / `--all-targets`: one command over a fleet of databases, with a live
//! progress line on terminals and one summary row per target (or JSON).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use retort_engine::autogenerate::unmodelled_warning;
use retort_engine::config::Config;
use retort_engine::dialect::Dialect;
use retort_engine::fleet::{
    self, FleetCommand, FleetEvent, FleetOptions, FleetReport, TargetReport, TargetStatus,
};
use retort_engine::project::Project;

use crate::args::{Cli, Command, Format};

/// The fan-out form of the command line, when it selects targets and the command runs
/// on each of them (`upgrade`, `downgrade`, `stamp` without `--sql`, `current`, `check`).
pub fn fleet_command(cli: &Cli) -> Option<FleetCommand> {
    if !cli.selects_targets() {
        return None;
    }
    match &cli.command {
        Command::Upgrade {
            target,
            sql: false,
            resume: false,
        } => Some(FleetCommand::Upgrade(target.clone())),
        Command::Downgrade {
            target,
            sql: false,
            resume: false,
        } => Some(FleetCommand::Downgrade(target.clone())),
        Command::Stamp {
            revisions,
            purge,
            sql: false,
        } => Some(FleetCommand::Stamp {
            revisions: revisions.clone(),
            purge: *purge,
        }),
        Command::Current { .. } => Some(FleetCommand::Current),
        Command::Check => Some(FleetCommand::Check),
        _ => None,
    }
}

/// For a command that works on one database, `--target` must select exactly one: its
/// URL (with its schema's session setting) becomes the database the command uses.
pub fn pin_single_target(cli: &Cli, config: &mut Config) -> Result<()> {
    if !cli.selects_targets() || fleet_command(cli).is_some() {
        return Ok(());
    }
    let targets = fleet::load_targets(config)?;
    let chosen = fleet::select(&targets, &cli.targets, cli.all_targets)?;
    match chosen.as_slice() {
        [one] => {
            config.database_url = Some(one.session_url());
            Ok(())
        }
        many => Err(anyhow!(
            "this command works on one database, but the selection names {} targets ({}); name one with --target NAME",
            many.len(),
            many.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Runs `command` on the selected targets and prints the summary.
pub async fn run(cli: &Cli, project: &Project, command: &FleetCommand) -> Result<ExitCode> {
    let declared = fleet::load_targets(&project.config)?;
    let targets = fleet::select(&declared, &cli.targets, cli.all_targets)?;
    if matches!(
        command,
        FleetCommand::Upgrade(_) | FleetCommand::Downgrade(_)
    ) {
        let mut dialects: Vec<Option<Dialect>> = Vec::new();
        for t in &targets {
            let d = Dialect::from_url(&t.url);
            if !dialects.contains(&d) {
                dialects.push(d);
            }
        }
        for d in dialects {
            let files: Vec<_> = project.files.iter().collect();
            let problems = retort_engine::validate::check_before_run(project, d, &files);
            if !problems.is_empty() {
                return Err(anyhow!(
                    "the revision files have mistakes; nothing was run:\n{problems}"
                ));
            }
        }
    }
    if cli.verbose {
        for t in &targets {
            eprintln!("Using target {} {}", t.name, t.display_url());
        }
    }
    let options = FleetOptions {
        jobs: usize::from(cli.jobs),
        fail_fast: cli.fail_fast,
    };
    let live = !cli.quiet && cli.format == Format::Text && std::io::stderr().is_terminal();
    let total = targets.len();
    let (mut done, mut failed, mut running) = (0usize, 0usize, 0usize);
    let mut on_event = |event: FleetEvent<'_>| {
        match event {
            FleetEvent::Started(_) => running += 1,
            FleetEvent::Finished(r) => {
                if r.status != TargetStatus::Skipped {
                    running -= 1;
                }
                done += 1;
                if r.status != TargetStatus::Ok {
                    failed += 1;
                }
            }
        }
        if live {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\r\x1b[2K[{done}/{total}] done, {failed} failed, {running} running"
            );
            let _ = err.flush();
        }
    };
    let report = fleet::run(project, &targets, command, options, &mut on_event).await;
    if live {
        eprint!("\r\x1b[2K");
    }
    if cli.format == Format::Json {
        println!("{}", json_report(project, command, &report));
    } else {
        print_text(cli, project, command, &report);
    }
    let differs = matches!(command, FleetCommand::Check) && !report.differing().is_empty();
    Ok(if report.all_ok() && !differs {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn revisions_text(project: &Project, rows: &[String]) -> String {
    if rows.is_empty() {
        return "<base>".into();
    }
    let heads = project.graph.heads();
    rows.iter()
        .map(|r| {
            if heads.contains(&r.as_str()) {
                format!("{r} (head)")
            } else {
                r.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn rows_text(rows: &[String]) -> String {
    if rows.is_empty() {
        "<base>".into()
    } else {
        rows.join(",")
    }
}

/// The last column of a target's summary row.
fn result_text(command: &FleetCommand, r: &TargetReport) -> String {
    match r.status {
        TargetStatus::Skipped => "skipped (--fail-fast)".into(),
        TargetStatus::Failed => format!("failed: {}", r.error_summary().unwrap_or_default()),
        TargetStatus::Ok => match (&r.check, command) {
            (Some(c), _) if !c.pending.is_empty() => {
                format!("not up to date: {} revision(s) pending", c.pending.len())
            }
            (Some(c), _) if !c.operations.is_empty() => {
                format!("differs: {} operation(s)", c.operations.len())
            }
            (Some(_), _) => "ok: matches schema.yaml".into(),
            (None, FleetCommand::Current) => "ok".into(),
            (None, _) if r.changed => "ok".into(),
            (None, _) => "ok (already there)".into(),
        },
    }
}

fn print_text(cli: &Cli, project: &Project, command: &FleetCommand, report: &FleetReport) {
    let width = report
        .targets
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0);
    if let FleetCommand::Current = command {
        for (rows, names) in report.groups() {
            println!(
                "{} ({} target(s)): {}",
                revisions_text(project, &rows),
                names.len(),
                names.join(", ")
            );
        }
    } else {
        for r in &report.targets {
            let moved = match command {
                FleetCommand::Check => rows_text(&r.from),
                _ => format!("{} -> {}", rows_text(&r.from), rows_text(&r.to)),
            };
            println!(
                "{:width$}  {moved}  {:.2}s  {}",
                r.name,
                r.duration.as_secs_f64(),
                result_text(command, r)
            );
        }
    }
    if let FleetCommand::Check = command {
        if !cli.quiet {
            for r in &report.targets {
                for o in r.check.iter().flat_map(|c| &c.unmodelled) {
                    eprintln!("warning: {}: {}", r.name, unmodelled_warning(o, "check"));
                }
            }
        }
        let differing = report.differing();
        if !differing.is_empty() {
            println!(
                "{} target(s) differ from schema.yaml at head:",
                differing.len()
            );
            for (name, c) in differing {
                if c.pending.is_empty() {
                    println!("  {name}: {} operation(s)", c.operations.len());
                    if !cli.quiet {
                        for op in &c.operations {
                            println!("    {op}");
                        }
                    }
                } else {
                    println!(
                        "  {name}: not up to date ({} revision(s) pending: {})",
                        c.pending.len(),
                        c.pending.join(", ")
                    );
                }
            }
        }
    }
    let failed: Vec<&TargetReport> = report
        .targets
        .iter()
        .filter(|t| t.status == TargetStatus::Failed)
        .collect();
    if let FleetCommand::Current = command {
        for r in &failed {
            println!(
                "{:width$}  failed: {}",
                r.name,
                r.error_summary().unwrap_or_default()
            );
        }
    }
    let skipped = report.count(TargetStatus::Skipped);
    println!(
        "{} target(s): {} ok, {} failed{}",
        report.targets.len(),
        report.count(TargetStatus::Ok),
        failed.len(),
        if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        }
    );
    for r in failed {
        eprintln!(
            "error: target {} ({}):\n  {}",
            r.name,
            r.display_url,
            r.error.as_deref().unwrap_or("").replace('\n', "\n  ")
        );
    }
}

fn json_report(
    project: &Project,
    command: &FleetCommand,
    report: &FleetReport,
) -> serde_json::Value {
    let name = match command {
        FleetCommand::Upgrade(_) => "upgrade",
        FleetCommand::Downgrade(_) => "downgrade",
        FleetCommand::Stamp { .. } => "stamp",
        FleetCommand::Current => "current",
        FleetCommand::Check => "check",
    };
    let targets: Vec<serde_json::Value> = report
        .targets
        .iter()
        .map(|r| {
            let mut v = serde_json::json!({
                "name": r.name,
                "url": r.display_url,
                "from": r.from,
                "to": r.to,
                "changed": r.changed,
                "duration_ms": u64::try_from(r.duration.as_millis()).unwrap_or(u64::MAX),
                "status": match r.status {
                    TargetStatus::Ok => "ok",
                    TargetStatus::Failed => "failed",
                    TargetStatus::Skipped => "skipped",
                },
                "error": r.error,
            });
            if let Some(c) = &r.check {
                v["up_to_date"] = c.pending.is_empty().into();
                v["pending"] = c.pending.clone().into();
                v["operations"] = c.operations.clone().into();
                v["matches"] = c.matches().into();
                v["not_modelled"] = c
                    .unmodelled
                    .iter()
                    .map(|o| o.to_string())
                    .collect::<Vec<_>>()
                    .into();
            }
            v
        })
        .collect();
    let mut out = serde_json::json!({
        "command": name,
        "targets": targets,
        "ok": report.count(TargetStatus::Ok),
        "failed": report.count(TargetStatus::Failed),
        "skipped": report.count(TargetStatus::Skipped),
    });
    match command {
        FleetCommand::Current => {
            let heads = project.graph.heads();
            out["groups"] = report
                .groups()
                .into_iter()
                .map(|(rows, names)| {
                    let is_head = rows.iter().all(|r| heads.contains(&r.as_str()));
                    serde_json::json!({"revisions": rows, "at_head": is_head && !rows.is_empty(), "targets": names})
                })
                .collect::<Vec<_>>()
                .into();
        }
        FleetCommand::Check => {
            out["differing"] = report
                .differing()
                .into_iter()
                .map(|(name, c)| {
                    serde_json::json!({"name": name, "operations": c.operations.len(), "pending": c.pending.len()})
                })
                .collect::<Vec<_>>()
                .into();
        }
        _ => {}
    }
    out
}
