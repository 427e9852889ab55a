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

/// What `revision` and `merge` are asked to create.
#[derive(Debug, Clone, Default)]
pub struct NewRevisionRequest {
    /// The message.
    pub message: String,
    /// `--head`: the parent (`head` when absent; `base` starts a new root).
    pub head: Option<String>,
    /// `--splice`: allow a parent that is not a head.
    pub splice: bool,
    /// Parents given explicitly (a merge); overrides `head`.
    pub merge_of: Vec<String>,
    /// `--branch-label`.
    pub branch_labels: Vec<String>,
    /// `--depends-on`: ids, prefixes or labels.
    pub depends_on: Vec<String>,
    /// `--rev-id`.
    pub rev_id: Option<String>,
    /// `--version-path`.
    pub version_path: Option<PathBuf>,
    /// `--template`.
    pub template: Option<String>,
    /// The operations (YAML lines) or SQL for the upgrade, when known (autogenerate).
    pub upgrade: String,
    /// The same for the downgrade.
    pub downgrade: String,
}

impl Project {
    /// Works out the parents of a new revision the way Alembic does.
    fn parents_for(&self, req: &NewRevisionRequest) -> Result<Vec<String>, String> {
        if !req.merge_of.is_empty() {
            let mut parents: Vec<String> = Vec::new();
            for r in &req.merge_of {
                for id in self.graph.resolve(r, &[]).map_err(|e| e.to_string())? {
                    if !parents.contains(&id) {
                        parents.push(id);
                    }
                }
            }
            if parents.len() < 2 {
                return Err(format!(
                    "a merge needs at least two revisions; {} resolved to {}",
                    req.merge_of.join(" "),
                    if parents.is_empty() {
                        "none".to_string()
                    } else {
                        parents.join(", ")
                    }
                ));
            }
            self.graph.check_merge(&parents, req.splice)?;
            return Ok(parents);
        }
        let head = req.head.as_deref().unwrap_or("head");
        if head == "base" || (head == "head" && self.graph.is_empty()) {
            return Ok(Vec::new());
        }
        let heads = self.graph.heads();
        if head == "head" && heads.len() > 1 {
            return Err(format!(
                "Multiple heads are present ({}); please specify the head revision on which the new revision should be based with --head, or perform a merge (`retort merge heads -m MSG`)",
                heads.join(", ")
            ));
        }
        let ids = self.graph.resolve(head, &[]).map_err(|e| e.to_string())?;
        if ids.len() != 1 {
            return Err(format!(
                "--head {head} must name exactly one revision, not {}",
                ids.len()
            ));
        }
        let id = ids[0].clone();
        if !heads.contains(&id.as_str()) && !req.splice {
            return Err(format!(
                "Revision {id} is not a head revision; please specify --splice to create a new branch from this revision"
            ));
        }
        Ok(vec![id])
    }

    /// Writes a new revision file and returns its path.
    pub fn create_revision(&self, req: &NewRevisionRequest) -> Result<PathBuf, String> {
        use crate::script::{
            branch_label_problem, file_name, file_name_problem, generate_rev_id, render_revision,
            rev_id_problem, RevisionTemplateInput, TemplateChoice,
        };
        if req.message.contains('\0') {
            return Err("the message contains a NUL character; nothing was written".to_string());
        }
        let id = match &req.rev_id {
            Some(id) => {
                if let Some(why) = rev_id_problem(id) {
                    return Err(format!(
                        "--rev-id `{}` is invalid and refused: {why}; nothing was written",
                        id.escape_debug()
                    ));
                }
                id.clone()
            }
            None => loop {
                let id = generate_rev_id();
                if self.graph.get(&id).is_none() {
                    break id;
                }
            },
        };
        if let Some(existing) = self.file(&id) {
            return Err(format!(
                "revision {id} already exists in {}",
                existing.path.display()
            ));
        }
        for label in &req.branch_labels {
            if let Some(why) = branch_label_problem(label) {
                return Err(format!(
                    "--branch-label `{}` is invalid and refused: {why}; nothing was written",
                    label.escape_debug()
                ));
            }
        }
        let down_revisions = self.parents_for(req)?;
        for label in &req.branch_labels {
            if let Some(f) = self.files.iter().find(|f| f.branch_labels.contains(label)) {
                return Err(format!(
                    "branch label `{label}` is already used by revision {} ({})",
                    f.id,
                    f.path.display()
                ));
            }
        }
        let mut depends_on = Vec::new();
        for dep in &req.depends_on {
            let is_label = self.files.iter().any(|f| f.branch_labels.contains(dep));
            if is_label {
                depends_on.push(dep.clone());
                continue;
            }
            let ids = self
                .graph
                .resolve(dep, &[])
                .map_err(|e| format!("--depends-on {dep}: {e}"))?;
            depends_on.extend(ids);
        }
        let dir = match &req.version_path {
            Some(p) => {
                let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
                let known = self
                    .config
                    .versions
                    .iter()
                    .any(|v| std::path::absolute(v).map(|a| a == abs).unwrap_or(false));
                if !known {
                    return Err(format!(
                        "--version-path {} is not one of the configured `versions` directories ({})",
                        p.display(),
                        self.config.versions.iter().map(|v| v.display().to_string()).collect::<Vec<_>>().join(", ")
                    ));
                }
                abs
            }
            None => self
                .config
                .versions
                .first()
                .cloned()
                .unwrap_or_else(|| self.config.dir.join("versions")),
        };
        let choice =
            TemplateChoice::parse(req.template.as_deref().unwrap_or(&self.config.template));
        let now = chrono::Utc::now();
        let input = RevisionTemplateInput {
            revision: id.clone(),
            down_revisions,
            branch_labels: req.branch_labels.clone(),
            depends_on,
            message: req.message.clone(),
            create_date: now,
            transactional: true,
            upgrade: req.upgrade.clone(),
            downgrade: req.downgrade.clone(),
        };
        let stem = file_name(&self.config.file_template, &id, &req.message, now);
        if let Some(why) = file_name_problem(&self.config.file_template, &stem) {
            return Err(format!("{why}; nothing was written"));
        }
        let name = format!("{stem}.{}", choice.extension());
        let text = render_revision(&choice, &input).map_err(|e| e.to_string())?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(format!(
                "{} already exists (as a file, directory or symlink); not overwriting it, nothing was written",
                path.display()
            ));
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}; nothing was written", path.display()))?;
        std::io::Write::write_all(&mut out, text.as_bytes()).map_err(|e| {
            let _ = std::fs::remove_file(&path);
            format!("cannot write {}: {e}", path.display())
        })?;
        Ok(path)
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
