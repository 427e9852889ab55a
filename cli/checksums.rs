//! Reporting applied revisions whose files changed since they ran (checksums in the run log).

use anyhow::{anyhow, Result};
use retort_engine::project::Project;
use retort_engine::runner::checksum::{changed_revisions_at, ChangedRevision};

use crate::args::Cli;

/// Whether changed applied revisions are errors: `--strict` or `strict: true`.
pub fn strict(cli: &Cli, project: &Project) -> bool {
    cli.strict || project.config.strict
}

/// The applied revisions of the database at `url` whose files changed since they ran.
pub async fn changed(project: &Project, url: &str) -> Result<Vec<ChangedRevision>> {
    changed_revisions_at(project, url)
        .await
        .map_err(|e| anyhow!("checking the checksums of applied revisions failed: {e}"))
}

/// Prints each changed revision as a warning on stderr; in strict mode, fails instead.
pub fn report(cli: &Cli, project: &Project, changed: &[ChangedRevision]) -> Result<()> {
    if changed.is_empty() {
        return Ok(());
    }
    if strict(cli, project) {
        let lines: Vec<String> = changed.iter().map(|c| format!("  {c}")).collect();
        return Err(anyhow!(
            "{} applied revision(s) changed since they ran (strict mode):\n{}",
            changed.len(),
            lines.join("\n")
        ));
    }
    for c in changed {
        eprintln!("warning: {c}");
    }
    Ok(())
}
