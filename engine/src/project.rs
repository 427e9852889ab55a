//! A project on disk: `retort init` creates one; [`Project::load`] reads its
//! configuration, revision files and revision graph.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::ops::{parse_operations, Operation};
use crate::script::graph::Direction;
use crate::script::graph::{GraphError, GraphRefusal, RevisionGraph, RevisionNode};
use crate::script::RevisionBody;
use crate::script::{load_revision_files, load_revision_headers, RevisionFile, TemplateError};
use crate::yaml::Diagnostics;

/// Why a project's revisions could not be loaded: every problem, each naming its file.
#[derive(Debug, thiserror::Error)]
pub enum ProjectLoadError {
    /// Revision files that do not read (each with file:line:col).
    #[error("{0}")]
    Files(Diagnostics),
    /// Revisions whose graph is wrong (duplicate ids, unknown parents, cycles, ...).
    #[error("{}", join_lines(.0))]
    Graph(Vec<GraphError>),
}

impl ProjectLoadError {
    /// Every problem as one line (or block) of text, in order.
    pub fn problems(&self) -> Vec<String> {
        match self {
            ProjectLoadError::Files(d) => d.0.iter().map(|x| x.to_string()).collect(),
            ProjectLoadError::Graph(errs) => errs.iter().map(|e| e.to_string()).collect(),
        }
    }
}

/// Why `revision` or `merge` wrote no revision file.
#[derive(Debug, thiserror::Error)]
pub enum NewRevisionError {
    /// The message contains a NUL character.
    #[error("the message contains a NUL character; nothing was written")]
    NulInMessage,
    /// `--rev-id` is not an acceptable id.
    #[error("--rev-id `{}` is invalid and refused: {reason}; nothing was written", .id.escape_debug())]
    InvalidRevId {
        /// The id given.
        id: String,
        /// Why it is refused.
        reason: String,
    },
    /// A revision with this id exists already.
    #[error("revision {id} already exists in {}", .path.display())]
    RevisionExists {
        /// The id.
        id: String,
        /// The existing revision's file.
        path: PathBuf,
    },
    /// `--branch-label` is not an acceptable label.
    #[error("--branch-label `{}` is invalid and refused: {reason}; nothing was written", .label.escape_debug())]
    InvalidBranchLabel {
        /// The label given.
        label: String,
        /// Why it is refused.
        reason: String,
    },
    /// Another revision carries the branch label already.
    #[error("branch label `{label}` is already used by revision {id} ({})", .path.display())]
    BranchLabelInUse {
        /// The label.
        label: String,
        /// The revision carrying it.
        id: String,
        /// That revision's file.
        path: PathBuf,
    },
    /// A parent (`--head` or a merge revision) does not resolve.
    #[error(transparent)]
    Resolve(#[from] GraphError),
    /// A merge resolved to fewer than two revisions.
    #[error("a merge needs at least two revisions; {} resolved to {}", .requested.join(" "), if .resolved.is_empty() { "none".to_string() } else { .resolved.join(", ") })]
    MergeTooSmall {
        /// The revisions as given.
        requested: Vec<String>,
        /// The ids they resolved to.
        resolved: Vec<String>,
    },
    /// The merge is refused by the graph.
    #[error(transparent)]
    Merge(#[from] GraphRefusal),
    /// No `--head` was given and there are several heads.
    #[error("Multiple heads are present ({}); please specify the head revision on which the new revision should be based with --head, or perform a merge (`retort merge heads -m MSG`)", .heads.join(", "))]
    MultipleHeads {
        /// The heads.
        heads: Vec<String>,
    },
    /// `--head` resolved to none or several revisions.
    #[error("--head {head} must name exactly one revision, not {count}")]
    HeadNotOne {
        /// `--head` as given.
        head: String,
        /// How many revisions it resolved to.
        count: usize,
    },
    /// `--head` names a revision that is not a head, without `--splice`.
    #[error("Revision {id} is not a head revision; please specify --splice to create a new branch from this revision")]
    NotAHead {
        /// The revision.
        id: String,
    },
    /// A `--depends-on` value does not resolve.
    #[error("--depends-on {dependency}: {error}")]
    DependsOn {
        /// The value given.
        dependency: String,
        /// Why it does not resolve.
        error: Box<GraphError>,
    },
    /// `--version-path` is not a configured versions directory.
    #[error("--version-path {} is not one of the configured `versions` directories ({})", .path.display(), show_paths(.configured))]
    UnknownVersionPath {
        /// The path given.
        path: PathBuf,
        /// The configured directories.
        configured: Vec<PathBuf>,
    },
    /// The file name the `file_template` produced is not usable.
    #[error("{reason}; nothing was written")]
    FileName {
        /// Why.
        reason: String,
    },
    /// The template failed or rendered something that does not read back.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The versions directory could not be created.
    #[error("cannot create {}: {error}", .path.display())]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// The I/O failure.
        error: std::io::Error,
    },
    /// Something exists at the new file's path.
    #[error("{} already exists (as a file, directory or symlink); not overwriting it, nothing was written", .path.display())]
    FileExists {
        /// The path.
        path: PathBuf,
    },
    /// The new file could not be created.
    #[error("cannot create {}: {error}; nothing was written", .path.display())]
    CreateFile {
        /// The path.
        path: PathBuf,
        /// The I/O failure.
        error: std::io::Error,
    },
    /// The new file could not be written (it was removed again).
    #[error("cannot write {}: {error}", .path.display())]
    WriteFile {
        /// The path.
        path: PathBuf,
        /// The I/O failure.
        error: std::io::Error,
    },
}

/// Why `init` created nothing (or stopped part way).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// One of the files or directories exists already.
    #[error("{} already exist(s); init never overwrites. Remove it or choose another directory", show_paths(.existing))]
    AlreadyExists {
        /// The existing paths.
        existing: Vec<PathBuf>,
    },
    /// The project directory could not be created.
    #[error("cannot create directory {}: {error}", .path.display())]
    CreateDirectory {
        /// The directory.
        path: PathBuf,
        /// The I/O failure.
        error: std::io::Error,
    },
    /// `retort.yaml` or `schema.yaml` could not be written.
    #[error("cannot write {}: {error}", .path.display())]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        error: std::io::Error,
    },
    /// `versions/` could not be created.
    #[error("cannot create {}: {error}", .path.display())]
    CreateVersions {
        /// The directory.
        path: PathBuf,
        /// The I/O failure.
        error: std::io::Error,
    },
}

fn join_lines<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A loaded project: its configuration, every revision file, and their graph.
#[derive(Debug)]
pub struct Project {
    /// The configuration.
    pub config: Config,
    /// Every revision file, in directory order.
    pub files: Vec<RevisionFile>,
    /// The revision graph built from the files.
    pub graph: RevisionGraph,
    /// The position in `files` of the first file of each id.
    by_id: HashMap<String, usize>,
    /// Each file's operations, parsed once per direction (by position in `files`).
    parsed: Mutex<HashMap<(usize, Direction), Arc<ParsedOperations>>>,
    /// Each file's checksum, computed once (by position in `files`).
    checksums: Mutex<HashMap<usize, String>>,
    /// The bodies of files a header-only load deferred, read once (by position in `files`).
    bodies: Mutex<HashMap<usize, Result<Arc<RevisionBody>, Diagnostics>>>,
}

/// A revision's body: the one loaded with the file, or one read later for a file whose
/// body a header-only load deferred.
#[derive(Debug)]
pub enum FileBody<'a> {
    /// Read with the file.
    Loaded(&'a RevisionBody),
    /// Read when first asked for.
    Read(Arc<RevisionBody>),
}

impl std::ops::Deref for FileBody<'_> {
    type Target = RevisionBody;
    fn deref(&self) -> &RevisionBody {
        match self {
            FileBody::Loaded(body) => body,
            FileBody::Read(body) => body,
        }
    }
}

/// One direction of a YAML revision's operations as parsed, with the mistakes found
/// (empty for SQL revisions).
#[derive(Debug, Default)]
pub struct ParsedOperations {
    /// The operations that parsed.
    pub operations: Vec<Operation>,
    /// Every mistake, with file:line:col.
    pub mistakes: Diagnostics,
}

impl Project {
    /// Reads every revision file and builds the graph. Errors list every problem,
    /// each naming its file.
    pub fn load(config: Config) -> Result<Project, ProjectLoadError> {
        let files = load_revision_files(&config.versions).map_err(ProjectLoadError::Files)?;
        Self::from_files(config, files)
    }

    /// [`Project::load`] reading only the headers (see [`load_revision_headers`]): for
    /// commands that need the revision graph (`history`, `heads`, `branches`,
    /// `current`) and for runs, which need the operations of the revisions they run
    /// only. A YAML file's operations are read when first asked for
    /// ([`Project::body`], [`Project::parsed_operations`]).
    pub fn load_headers(config: Config) -> Result<Project, ProjectLoadError> {
        let files = load_revision_headers(&config.versions).map_err(ProjectLoadError::Files)?;
        Self::from_files(config, files)
    }

    fn from_files(config: Config, files: Vec<RevisionFile>) -> Result<Project, ProjectLoadError> {
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
        let graph = RevisionGraph::new(nodes).map_err(ProjectLoadError::Graph)?;
        let mut by_id = HashMap::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            by_id.entry(f.id.clone()).or_insert(i);
        }
        Ok(Project {
            config,
            files,
            graph,
            by_id,
            parsed: Mutex::default(),
            checksums: Mutex::default(),
            bodies: Mutex::default(),
        })
    }

    /// `file`'s body, read now (once per run) when a header-only load deferred it;
    /// `Err` holds the mistakes of a file whose body does not read.
    pub fn body<'a>(&self, file: &'a RevisionFile) -> Result<FileBody<'a>, Diagnostics> {
        if !file.body_deferred {
            return Ok(FileBody::Loaded(&file.body));
        }
        let read = |file: &RevisionFile| file.read_body().map(Arc::new);
        let result = match self.position(file) {
            None => read(file),
            Some(at) => {
                let cached = self.lock_bodies().get(&at).cloned();
                cached.unwrap_or_else(|| {
                    let result = read(file);
                    self.lock_bodies().insert(at, result.clone());
                    result
                })
            }
        };
        result.map(FileBody::Read)
    }

    fn lock_bodies(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<usize, Result<Arc<RevisionBody>, Diagnostics>>> {
        self.bodies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The file of revision `id`.
    pub fn file(&self, id: &str) -> Option<&RevisionFile> {
        match self.by_id.get(id) {
            Some(&i) if self.files.get(i).is_some_and(|f| f.id == id) => self.files.get(i),
            // `files` was changed after loading: look it up the slow way.
            _ => self.files.iter().find(|f| f.id == id),
        }
    }

    /// The position of `file` in `files`, when it is one of them (not a copy).
    fn position(&self, file: &RevisionFile) -> Option<usize> {
        let size = std::mem::size_of::<RevisionFile>().max(1);
        let start = self.files.as_ptr() as usize;
        let offset = (file as *const RevisionFile as usize).checked_sub(start)?;
        let at = offset / size;
        (offset % size == 0 && at < self.files.len()).then_some(at)
    }

    /// Reads and parses the operations of `files` (both directions) ahead of their use,
    /// on several threads when there are many: the results are cached like
    /// [`Project::parsed_operations`]'s.
    pub fn parse_ahead(&self, files: &[&RevisionFile]) {
        let threads = crate::script::threads_for(files.len());
        if threads < 2 {
            return;
        }
        let parse = |part: &[&RevisionFile]| {
            for file in part.iter().filter(|f| !f.is_sql()) {
                for direction in [Direction::Up, Direction::Down] {
                    self.parsed_operations(file, direction);
                }
            }
        };
        let chunk = files.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let mut parts = files.chunks(chunk);
            let mine = parts.next().unwrap_or_default();
            let others: Vec<_> = parts.map(|part| scope.spawn(move || parse(part))).collect();
            parse(mine);
            for other in others {
                // A parser panic is a bug; the checks that follow meet it again and
                // report it, so it is not re-raised here.
                let _ = other.join();
            }
        });
    }

    /// One direction of `file`'s operations, parsed with the project's naming
    /// convention; parsed once per run for a file of this project (every caller, from
    /// the checks before a run to the checksums, shares the result).
    pub fn parsed_operations(
        &self,
        file: &RevisionFile,
        direction: Direction,
    ) -> Arc<ParsedOperations> {
        let parse = || {
            let body = match self.body(file) {
                Ok(body) => body,
                Err(mistakes) => {
                    return ParsedOperations {
                        operations: Vec::new(),
                        mistakes,
                    }
                }
            };
            let RevisionBody::Yaml { upgrade, downgrade } = &*body else {
                return ParsedOperations::default();
            };
            let node = match direction {
                Direction::Up => upgrade,
                Direction::Down => downgrade,
            };
            let mut mistakes = Diagnostics::default();
            let operations = parse_operations(
                &file.path,
                node,
                &self.config.naming_convention,
                &mut mistakes,
            );
            ParsedOperations {
                operations,
                mistakes,
            }
        };
        let Some(at) = self.position(file) else {
            return Arc::new(parse());
        };
        if let Some(done) = self.lock_parsed().get(&(at, direction)) {
            return Arc::clone(done);
        }
        let parsed = Arc::new(parse());
        self.lock_parsed()
            .insert((at, direction), Arc::clone(&parsed));
        parsed
    }

    fn lock_parsed(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(usize, Direction), Arc<ParsedOperations>>> {
        self.parsed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `file`'s checksum, computed by `compute` the first time it is asked for (a file
    /// that is not one of this project's is computed every time).
    pub(crate) fn cached_checksum<E>(
        &self,
        file: &RevisionFile,
        compute: impl FnOnce() -> Result<String, E>,
    ) -> Result<String, E> {
        let Some(at) = self.position(file) else {
            return compute();
        };
        let lock = || self.checksums.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sum) = lock().get(&at) {
            return Ok(sum.clone());
        }
        let sum = compute()?;
        lock().insert(at, sum.clone());
        Ok(sum)
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
    fn parents_for(&self, req: &NewRevisionRequest) -> Result<Vec<String>, NewRevisionError> {
        if !req.merge_of.is_empty() {
            let mut parents: Vec<String> = Vec::new();
            for r in &req.merge_of {
                for id in self.graph.resolve(r, &[])? {
                    if !parents.contains(&id) {
                        parents.push(id);
                    }
                }
            }
            if parents.len() < 2 {
                return Err(NewRevisionError::MergeTooSmall {
                    requested: req.merge_of.clone(),
                    resolved: parents,
                });
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
            return Err(NewRevisionError::MultipleHeads {
                heads: heads.iter().map(|h| h.to_string()).collect(),
            });
        }
        let ids = self.graph.resolve(head, &[])?;
        if ids.len() != 1 {
            return Err(NewRevisionError::HeadNotOne {
                head: head.to_string(),
                count: ids.len(),
            });
        }
        let id = ids[0].clone();
        if !heads.contains(&id.as_str()) && !req.splice {
            return Err(NewRevisionError::NotAHead { id });
        }
        Ok(vec![id])
    }

    /// Writes a new revision file and returns its path.
    pub fn create_revision(&self, req: &NewRevisionRequest) -> Result<PathBuf, NewRevisionError> {
        use crate::script::{
            branch_label_problem, file_name, file_name_problem, generate_rev_id, render_revision,
            rev_id_problem, RevisionTemplateInput, TemplateChoice,
        };
        if req.message.contains('\0') {
            return Err(NewRevisionError::NulInMessage);
        }
        let id = match &req.rev_id {
            Some(id) => {
                if let Some(why) = rev_id_problem(id) {
                    return Err(NewRevisionError::InvalidRevId {
                        id: id.clone(),
                        reason: why.to_string(),
                    });
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
            return Err(NewRevisionError::RevisionExists {
                id,
                path: existing.path.clone(),
            });
        }
        for label in &req.branch_labels {
            if let Some(why) = branch_label_problem(label) {
                return Err(NewRevisionError::InvalidBranchLabel {
                    label: label.clone(),
                    reason: why.to_string(),
                });
            }
        }
        let down_revisions = self.parents_for(req)?;
        for label in &req.branch_labels {
            if let Some(f) = self.files.iter().find(|f| f.branch_labels.contains(label)) {
                return Err(NewRevisionError::BranchLabelInUse {
                    label: label.clone(),
                    id: f.id.clone(),
                    path: f.path.clone(),
                });
            }
        }
        let mut depends_on = Vec::new();
        for dep in &req.depends_on {
            let is_label = self.files.iter().any(|f| f.branch_labels.contains(dep));
            if is_label {
                depends_on.push(dep.clone());
                continue;
            }
            let ids =
                self.graph
                    .resolve(dep, &[])
                    .map_err(|error| NewRevisionError::DependsOn {
                        dependency: dep.clone(),
                        error: Box::new(error),
                    })?;
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
                    return Err(NewRevisionError::UnknownVersionPath {
                        path: p.clone(),
                        configured: self.config.versions.clone(),
                    });
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
            return Err(NewRevisionError::FileName {
                reason: why.to_string(),
            });
        }
        let name = format!("{stem}.{}", choice.extension());
        let text = render_revision(&choice, &input)?;
        std::fs::create_dir_all(&dir).map_err(|error| NewRevisionError::CreateDirectory {
            path: dir.clone(),
            error,
        })?;
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_ok() {
            return Err(NewRevisionError::FileExists { path });
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|error| NewRevisionError::CreateFile {
                path: path.clone(),
                error,
            })?;
        std::io::Write::write_all(&mut out, text.as_bytes()).map_err(|error| {
            let _ = std::fs::remove_file(&path);
            NewRevisionError::WriteFile {
                path: path.clone(),
                error,
            }
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
pub fn init_project(dir: &Path, template: &str) -> Result<InitReport, InitError> {
    let config = dir.join("retort.yaml");
    let schema = dir.join("schema.yaml");
    let versions = dir.join("versions");
    let existing: Vec<PathBuf> = [&config, &schema, &versions]
        .into_iter()
        .filter(|p| p.exists())
        .cloned()
        .collect();
    if !existing.is_empty() {
        return Err(InitError::AlreadyExists { existing });
    }
    std::fs::create_dir_all(dir).map_err(|error| InitError::CreateDirectory {
        path: dir.to_path_buf(),
        error,
    })?;
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|error| InitError::WriteFile {
            path: path.to_path_buf(),
            error,
        })
    };
    write(&config, &CONFIG_TEXT.replace("{template}", template))?;
    write(&schema, SCHEMA_TEXT)?;
    std::fs::create_dir(&versions).map_err(|error| InitError::CreateVersions {
        path: versions.clone(),
        error,
    })?;
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

    fn new_project(dir: &Path) -> Project {
        init_project(dir, "yaml").unwrap();
        let config = Config::load(&dir.join("retort.yaml"), &|_| None).unwrap();
        Project::load(config).unwrap()
    }

    #[test]
    fn init_refusal_names_the_existing_files() {
        let dir = tempfile::tempdir().unwrap();
        init_project(dir.path(), "sql").unwrap();
        let err = init_project(dir.path(), "yaml").unwrap_err();
        let config = dir.path().join("retort.yaml");
        assert!(matches!(&err, InitError::AlreadyExists { existing } if existing[0] == config));
        assert_eq!(
            err.to_string(),
            format!(
                "{}, {}, {} already exist(s); init never overwrites. Remove it or choose another directory",
                config.display(),
                dir.path().join("schema.yaml").display(),
                dir.path().join("versions").display()
            )
        );
    }

    #[test]
    fn new_revision_errors_name_the_revision_and_option() {
        let dir = tempfile::tempdir().unwrap();
        let project = new_project(dir.path());
        let bad_id = NewRevisionRequest {
            message: "m".into(),
            rev_id: Some("a b".into()),
            ..Default::default()
        };
        let err = project.create_revision(&bad_id).unwrap_err();
        assert!(matches!(&err, NewRevisionError::InvalidRevId { id, .. } if id == "a b"));
        assert!(err
            .to_string()
            .starts_with("--rev-id `a b` is invalid and refused: "));
        assert!(err.to_string().ends_with("; nothing was written"));

        let first = NewRevisionRequest {
            message: "m".into(),
            rev_id: Some("aaaa1111".into()),
            ..Default::default()
        };
        let path = project.create_revision(&first).unwrap();
        let project = Project::load(project.config.clone()).unwrap();
        let err = project.create_revision(&first).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("revision aaaa1111 already exists in {}", path.display())
        );

        let unknown_dep = NewRevisionRequest {
            message: "m".into(),
            depends_on: vec!["zzzz".into()],
            ..Default::default()
        };
        let err = project.create_revision(&unknown_dep).unwrap_err();
        assert!(
            matches!(&err, NewRevisionError::DependsOn { dependency, .. } if dependency == "zzzz")
        );
        assert!(err.to_string().starts_with("--depends-on zzzz: "));

        let merge = NewRevisionRequest {
            message: "m".into(),
            merge_of: vec!["aaaa1111".into()],
            ..Default::default()
        };
        assert_eq!(
            project.create_revision(&merge).unwrap_err().to_string(),
            "a merge needs at least two revisions; aaaa1111 resolved to aaaa1111"
        );
    }

    #[test]
    fn load_errors_name_each_file() {
        let dir = tempfile::tempdir().unwrap();
        let project = new_project(dir.path());
        let versions = dir.path().join("versions");
        std::fs::write(
            versions.join("a.yaml"),
            "revision: aaaa1111\ndown_revision: bbbb2222\nupgrade: []\ndowngrade: []\n",
        )
        .unwrap();
        let err = Project::load(project.config.clone()).unwrap_err();
        assert!(matches!(err, ProjectLoadError::Graph(_)));
        assert_eq!(err.problems().len(), 1);
        assert!(err.to_string().contains("bbbb2222"), "{err}");
        assert!(err.to_string().contains("a.yaml"), "{err}");
        std::fs::write(versions.join("b.yaml"), "revision: [\n").unwrap();
        let err = Project::load(project.config.clone()).unwrap_err();
        assert!(matches!(err, ProjectLoadError::Files(_)));
        assert!(err.to_string().contains("b.yaml:"), "{err}");
    }
}
