//! The library entry point for applications: run `upgrade head` at start-up without
//! the command line, or compare the database with `schema.yaml` ([`Migrator::check`],
//! [`Migrator::diff`]).
//!
//! ```no_run
//! # async fn start() -> Result<(), Box<dyn std::error::Error>> {
//! let migrator = retort_engine::migrator::Migrator::from_config_file("retort.yaml")?;
//! let heads = migrator.upgrade("sqlite://app.db", "head").await?;
//! println!("database at {heads:?}");
//! # Ok(()) }
//! ```
//!
//! A multi-tenant application migrates its whole fleet (`targets:` in `retort.yaml`):
//!
//! ```no_run
//! # async fn start() -> Result<(), Box<dyn std::error::Error>> {
//! use retort_engine::fleet::FleetOptions;
//! let migrator = retort_engine::migrator::Migrator::from_config_file("retort.yaml")?;
//! let tenants = migrator.select_targets(&["tenant_*"])?;
//! let report = migrator.upgrade_fleet(&tenants, "head", FleetOptions::default()).await;
//! for t in report.targets.iter().filter(|t| t.error.is_some()) {
//!     eprintln!("{}: {}", t.name, t.error_summary().unwrap_or_default());
//! }
//! # Ok(()) }
//! ```

use std::path::Path;

use crate::autogenerate::{Autogenerate, AutogenerateError, Comparison};
use crate::config::{Config, ConfigError};
use crate::db::Connection;
use crate::fleet::{self, FleetCommand, FleetError, FleetOptions, FleetReport, Target};
use crate::project::{Project, ProjectLoadError};
use crate::runner::{self, Command, RunError};

/// Why a project could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MigratorError {
    /// The configuration is missing or wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Revision files or their graph have mistakes.
    #[error("invalid revision files:\n{0}")]
    Revisions(ProjectLoadError),
}

/// A loaded project, ready to migrate databases.
#[derive(Debug)]
pub struct Migrator {
    project: Project,
}

impl Migrator {
    /// Loads the project of a `retort.yaml` (relative paths resolve against its directory).
    pub fn from_config_file(path: impl AsRef<Path>) -> Result<Migrator, MigratorError> {
        let config = Config::load(path.as_ref(), &|name| std::env::var(name).ok())?;
        Migrator::from_config(config)
    }

    /// Uses an already loaded configuration.
    pub fn from_config(config: Config) -> Result<Migrator, MigratorError> {
        let project = Project::load_headers(config).map_err(MigratorError::Revisions)?;
        Ok(Migrator { project })
    }

    /// The configured database URL (`database_url`, else the SQLite default).
    pub fn configured_url(&self) -> String {
        self.project.config.url(None)
    }

    /// Applies revisions up to `target` (`head`, `heads`, an id, `+N`, …) and returns
    /// the version rows afterwards. Safe to call from several processes at once.
    pub async fn upgrade(&self, url: &str, target: &str) -> Result<Vec<String>, RunError> {
        runner::run(
            &self.project,
            url,
            &Command::Upgrade(target.to_string()),
            &mut |_| {},
        )
        .await
    }

    /// Reverts revisions down to `target` (`-1`, `base`, an id, …).
    pub async fn downgrade(&self, url: &str, target: &str) -> Result<Vec<String>, RunError> {
        runner::run(
            &self.project,
            url,
            &Command::Downgrade(target.to_string()),
            &mut |_| {},
        )
        .await
    }

    /// The version rows of the database (none: it is at base).
    pub async fn current(&self, url: &str) -> Result<Vec<String>, RunError> {
        runner::current(&self.project, url).await
    }

    /// Compares the database at `url` with the declared schema, as `retort check` does:
    /// fails with [`AutogenerateError::NotUpToDate`] unless the database is at head;
    /// otherwise the comparison, empty when the database matches. Connects once.
    pub async fn check(&self, url: &str) -> Result<Comparison, AutogenerateError> {
        let cmp = self.diff(url).await?;
        cmp.require_at_head(&self.project)?;
        Ok(cmp)
    }

    /// Compares the database at `url` with the declared schema, whatever revision it is
    /// at, as `retort diff` does: the upgrade, its derived downgrade, warnings and
    /// notes. Connects once.
    pub async fn diff(&self, url: &str) -> Result<Comparison, AutogenerateError> {
        let mut conn = Connection::connect_read_only(url).await?;
        let cmp = Autogenerate::compare(&self.project, &mut conn).await;
        conn.close().await;
        cmp
    }

    /// The loaded project.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Every target the configuration declares (`targets:`, then `targets_from:`).
    pub fn targets(&self) -> Result<Vec<Target>, FleetError> {
        fleet::load_targets(&self.project.config)
    }

    /// The declared targets matching any of `patterns` (names or globs like `tenant_*`).
    pub fn select_targets(&self, patterns: &[&str]) -> Result<Vec<Target>, FleetError> {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        fleet::select(&self.targets()?, &patterns, false)
    }

    /// Runs `command` on every target concurrently (see [`fleet::run`]); a failed
    /// target does not stop the others unless `options.fail_fast`.
    pub async fn run_fleet(
        &self,
        targets: &[Target],
        command: &FleetCommand,
        options: FleetOptions,
    ) -> FleetReport {
        fleet::run(&self.project, targets, command, options, &mut |_| {}).await
    }

    /// Upgrades every target to `revision`; targets already there are not touched.
    pub async fn upgrade_fleet(
        &self,
        targets: &[Target],
        revision: &str,
        options: FleetOptions,
    ) -> FleetReport {
        self.run_fleet(targets, &FleetCommand::Upgrade(revision.into()), options)
            .await
    }

    /// The head revisions of the project.
    pub fn heads(&self) -> Vec<String> {
        self.project
            .graph
            .heads()
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::TargetStatus;

    #[tokio::test]
    async fn upgrades_a_fleet_of_sqlite_tenants() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = tempfile::tempdir().unwrap();
        let versions = example.join("versions").display().to_string();
        let schema = example.join("schema.yaml").display().to_string();
        let mut yaml = format!("schema: {schema}\nversions: {versions}\ntargets:\n");
        for i in 0..5 {
            yaml.push_str(&format!("  tenant_{i}: sqlite://t{i}.db\n"));
        }
        yaml.push_str("  other: sqlite://other.db\n");
        let config = dir.path().join("retort.yaml");
        std::fs::write(&config, yaml).unwrap();
        let migrator = Migrator::from_config_file(&config).unwrap();
        let tenants = migrator.select_targets(&["tenant_*"]).unwrap();
        assert_eq!(tenants.len(), 5);
        let options = FleetOptions {
            jobs: 2,
            fail_fast: false,
        };
        let report = migrator.upgrade_fleet(&tenants, "head", options).await;
        assert!(report.all_ok(), "{report:?}");
        for t in &report.targets {
            assert!(t.changed && t.from.is_empty());
            assert_eq!(t.to, migrator.heads());
        }
        assert!(!dir.path().join("other.db").exists(), "not selected");
        let again = migrator.upgrade_fleet(&tenants, "head", options).await;
        assert!(again
            .targets
            .iter()
            .all(|t| !t.changed && t.status == TargetStatus::Ok));
    }

    #[tokio::test]
    async fn upgrades_the_example_project() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../retort.yaml");
        let migrator = Migrator::from_config_file(&config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("app.db").display());
        assert!(migrator.current(&url).await.unwrap().is_empty());
        let rows = migrator.upgrade(&url, "head").await.unwrap();
        assert_eq!(rows, migrator.heads());
        assert_eq!(
            migrator.upgrade(&url, "head").await.unwrap(),
            rows,
            "a second run changes nothing"
        );
        migrator.downgrade(&url, "base").await.unwrap();
        assert!(migrator.current(&url).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn an_application_compares_its_database_with_the_schema() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../retort.yaml");
        let migrator = Migrator::from_config_file(&config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("app.db").display());

        // At base: diff compares anyway; check refuses, naming where the database is.
        let diff = migrator.diff(&url).await.unwrap();
        assert!(diff.current.is_empty());
        assert!(diff
            .upgrade
            .iter()
            .any(|op| op.describe() == "create_table `users`"));
        assert_eq!(
            diff.downgrade,
            crate::ops::reverse_all(&diff.upgrade).unwrap(),
            "the downgrade is the upgrade reversed"
        );
        match migrator.check(&url).await {
            Err(AutogenerateError::NotUpToDate { current, heads }) => {
                assert!(current.is_empty());
                assert_eq!(heads, migrator.heads());
            }
            other => panic!("expected NotUpToDate, got {other:?}"),
        }

        // At head the example history matches its schema.yaml.
        migrator.upgrade(&url, "head").await.unwrap();
        let check = migrator.check(&url).await.unwrap();
        assert!(
            check.is_empty(),
            "{:?}",
            check
                .upgrade
                .iter()
                .map(|o| o.describe())
                .collect::<Vec<_>>()
        );
        assert!(check.downgrade.is_empty());
    }
}
