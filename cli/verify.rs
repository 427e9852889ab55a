//! `verify`: the revision history proved on a scratch database.

use std::process::ExitCode;

use anyhow::{anyhow, Result};
use retort_engine::project::Project;
use retort_engine::verify::{self, Check, Options};

use crate::args::{Cli, Format};

fn line(c: &Check) -> String {
    let mut s = format!("{}  {}", if c.passed { "PASS" } else { "FAIL" }, c.name);
    if let Some(d) = &c.detail {
        s.push_str("\n      ");
        s.push_str(&d.replace('\n', "\n      "));
    }
    s
}

/// `verify [HEAD…] [--reset]`: exit 0 when every check passed, 1 otherwise.
pub async fn verify(
    cli: &Cli,
    project: &Project,
    heads: &[String],
    reset: bool,
) -> Result<ExitCode> {
    let url = project.config.url(cli.url.as_deref());
    let json = cli.format == Format::Json;
    let quiet = cli.quiet;
    let mut progress = |c: &Check| {
        if !json && (!quiet || !c.passed) {
            println!("{}", line(c));
        }
    };
    let options = Options {
        heads: heads.to_vec(),
        reset,
    };
    let report = verify::verify(project, &url, &options, &mut progress)
        .await
        .map_err(|e| anyhow!("verify: {e}"))?;
    let failed = report.checks.iter().filter(|c| !c.passed).count();
    if json {
        let checks: Vec<serde_json::Value> = report
            .checks
            .iter()
            .map(|c| {
                serde_json::json!({
                    "check": c.name,
                    "revision": c.revision,
                    "passed": c.passed,
                    "detail": c.detail,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"passed": report.passed(), "checks": checks})
        );
    } else if failed == 0 {
        if !quiet {
            println!("verify: all {} checks passed", report.checks.len());
        }
    } else {
        eprintln!(
            "verify failed: {failed} of {} check(s) failed",
            report.checks.len()
        );
    }
    Ok(ExitCode::from(u8::from(failed > 0)))
}
