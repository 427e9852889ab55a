//! A project on disk: `retort init` creates one; [`Project::load`] reads its
//! configuration, revision files and revision graph.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::script::graph::{RevisionGraph, RevisionNode};
use crate::script::{load_revision_files, RevisionFile};

/// A loaded project: its configuration, every revision file, and their graph.
#[derive(Debug)]
pub struct Project {
    /// The configuration.
    pub config: Config,
    /// Every revision file, in directory order.
    pub files: Vec<RevisionFile>,
    /// The revision graph built from the files.
    pub graph: RevisionGraph,
}

impl Project {
    /// Reads every revision file and builds the graph. Errors list every problem,
    /// each naming its file.
    pub fn load(config: Config) -> Result<Project, Vec<String>> {
        let files = load_revision_files(&config.versions)
            .map_err(|d| d.0.iter().map(|x| x.to_string()).collect::<Vec<_>>())?;
        let nodes = files
            .iter()
            .map(|f| RevisionNode {
                id: f.id.clone(),
                down_revisions: f.down_revisions.clone(),
                depends_on: f.depends_on.clone(),
                branch_labels: f.branch_labels.clone(),
                message: f.message.clone(),
                source: f.path.display().to_string(),
            })
            .collect();
        let graph = RevisionGraph::new(nodes)
            .map_err(|errs| errs.iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
        Ok(Project {
            config,
            files,
            graph,
        })
    }

    /// The file of revision `id`.
    pub fn file(&self, id: &str) -> Option<&RevisionFile> {
        self.files.iter().find(|f| f.id == id)
    }
}

/// The `retort.yaml` written by `init`; `{template}` is filled in.
const CONFIG_TEXT: &str = r#"# retort configuration. Every key is optional; shown here with its default.
# ${VAR} and ${VAR:-default} are replaced from the environment.
database_url: ${DATABASE_URL:-sqlite://retort.db}
schema: schema.yaml            # a file, or a directory of *.yaml files merged
versions: versions             # where revision files live
template: {template}               # yaml | sql | path to your own .tera file
file_template: "{rev}_{slug}"
version_table: retort_version
transaction_per_migration: false
naming_convention:
  ix: "ix_{table}_{columns}"
  uq: "uq_{table}_{columns}"
  fk: "fk_{table}_{columns}_{referred_table}"
  ck: "ck_{table}_{name}"
  pk: "pk_{table}"
compare: {types: true, server_defaults: true, comments: true}
include_tables: []
exclude_tables: []
"#;

/// The `schema.yaml` written by `init`: a small commented example.
const SCHEMA_TEXT: &str = r#"# Declared schema. `retort revision --autogenerate -m "..."` compares it with the
# database and writes a revision; `retort upgrade head` applies it.
#
# Types: smallint integer bigint boolean real double decimal(p,s) numeric(p,s)
# varchar(n) char(n) text blob date time timestamp timestamptz json jsonb uuid
# enum(NAME); anything else is passed to the database as written.
enums:
  account_status: [active, suspended]
tables:
  accounts:
    comment: People who can sign in
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false, unique: true}
      status: {type: enum(account_status), nullable: false, server_default: "'active'"}
      created_at: {type: timestamptz, nullable: false, server_default: CURRENT_TIMESTAMP}
      bio: text                    # shorthand: only a type
"#;

/// What `init` created.
#[derive(Debug)]
pub struct InitReport {
    /// The files and directories created, in order.
    pub created: Vec<PathBuf>,
}

/// Creates `retort.yaml`, `schema.yaml` and `versions/` in `dir` (created if missing).
/// Refuses, changing nothing, when any of the three already exists.
pub fn init_project(dir: &Path, template: &str) -> anyhow::Result<InitReport> {
    let config = dir.join("retort.yaml");
    let schema = dir.join("schema.yaml");
    let versions = dir.join("versions");
    let existing: Vec<String> = [&config, &schema, &versions]
        .iter()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        anyhow::bail!(
            "{} already exist(s); init never overwrites. Remove it or choose another directory",
            existing.join(", ")
        );
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create directory {}: {e}", dir.display()))?;
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
    };
    write(&config, &CONFIG_TEXT.replace("{template}", template))?;
    write(&schema, SCHEMA_TEXT)?;
    std::fs::create_dir(&versions)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", versions.display()))?;
    Ok(InitReport {
        created: vec![config, schema, versions],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::schema::load_schema;

    #[test]
    fn initial_files_are_valid() {
        let dir = tempfile::tempdir().unwrap();
        init_project(dir.path(), "sql").unwrap();
        let config = Config::load(&dir.path().join("retort.yaml"), &|_| None).unwrap();
        assert_eq!(config.template, "sql");
        assert_eq!(
            config.url(None),
            format!("sqlite://{}", dir.path().join("retort.db").display())
        );
        load_schema(&config.schema, &config.naming_convention).unwrap();
        assert!(init_project(dir.path(), "yaml").is_err());
    }
}
