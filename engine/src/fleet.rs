//! Fleets: one command over many databases (targets). Targets come from `targets:` and
//! `targets_from:` in `retort.yaml`; they are selected by name or glob, and a command
//! runs on each of them concurrently (at most `jobs` at a time), each target in its own
//! connection, lock and transaction exactly as for a single database.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};

use crate::autogenerate::Autogenerate;
use crate::config::{glob_match, is_target_name, Config, TargetsSource};
use crate::db::{mask_url, redact, Connection};
use crate::dialect::Dialect;
use crate::project::Project;
use crate::reflect::UnmodelledObject;
use crate::runner::{self, Command};

/// How many targets run at once unless told otherwise.
pub const DEFAULT_JOBS: usize = 4;

/// One database of a fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its name (from `targets:` or a `targets_from` line).
    pub name: String,
    /// Its URL (absolute SQLite paths; never print it unmasked).
    pub url: String,
    /// PostgreSQL only: the schema its session runs in.
    pub schema: Option<String>,
}

impl Target {
    /// The URL the target's sessions use: with `schema`, the session's `search_path`
    /// is that schema, so the version table and unqualified tables live there.
    pub fn session_url(&self) -> String {
        match (&self.schema, Dialect::from_url(&self.url)) {
            (Some(schema), Some(d)) => d
                .backend()
                .session_schema_url(&self.url, schema)
                .unwrap_or_else(|| self.url.clone()),
            _ => self.url.clone(),
        }
    }

    /// The URL with its password masked, and the schema if there is one, for messages.
    pub fn display_url(&self) -> String {
        match &self.schema {
            Some(s) => format!("{} (schema {s})", mask_url(&self.url)),
            None => mask_url(&self.url),
        }
    }

    /// `message` with this target's password masked wherever a URL of it appears.
    fn redact(&self, message: &str) -> String {
        redact(&redact(message, &self.session_url()), &self.url)
    }
}

/// Why targets could not be listed or selected.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// Lines of `targets_from` that are not targets.
    #[error("targets_from has mistakes:\n{}", .mistakes.iter().map(|m| m.to_string()).collect::<Vec<_>>().join("\n"))]
    TargetsFrom {
        /// Each mistake, naming its line.
        mistakes: Vec<TargetLineMistake>,
    },
    /// The `targets_from` file could not be read.
    #[error("cannot read targets_from file {}: {error}", .path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        error: std::io::Error,
    },
    /// The `targets_from` command could not be started.
    #[error("cannot run targets_from command `{command}`: {error}")]
    RunCommand {
        /// The command.
        command: String,
        /// The I/O failure.
        error: std::io::Error,
    },
    /// The `targets_from` command exited unsuccessfully.
    #[error("targets_from command `{command}` failed ({status}){}", if .stderr.is_empty() { String::new() } else { format!(": {}", .stderr) })]
    CommandFailed {
        /// The command.
        command: String,
        /// How it exited.
        status: String,
        /// The first line of what it printed on stderr (may be empty).
        stderr: String,
    },
    /// The `targets_from` command printed something that is not UTF-8.
    #[error("targets_from command `{command}` printed text that is not UTF-8")]
    NotUtf8 {
        /// The command.
        command: String,
    },
    /// The configuration declares no targets.
    #[error("no targets are declared; add `targets:` (name: {{url, schema}}) or `targets_from:` to retort.yaml")]
    NoTargets,
    /// A `--target` pattern matches no declared target.
    #[error("no target matches `{pattern}`; declared targets: {}{}", .declared.iter().take(10).cloned().collect::<Vec<_>>().join(", "), if .declared.len() > 10 { ", …" } else { "" })]
    NoMatch {
        /// The pattern.
        pattern: String,
        /// The declared target names.
        declared: Vec<String>,
    },
}

/// One line of `targets_from` that is not a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {problem}")]
pub struct TargetLineMistake {
    /// Where: `FILE:LINE`, or `line N of the output of `COMMAND``.
    pub at: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Every target the configuration declares: `targets:` first, then the lines of
/// `targets_from` (a file, or a command's output), in order. A relative SQLite path is
/// relative to the config file's directory.
pub fn load_targets(config: &Config) -> Result<Vec<Target>, FleetError> {
    let mut targets: Vec<Target> = config
        .targets
        .iter()
        .map(|t| Target {
            name: t.name.clone(),
            url: config.absolute_url(t.url.clone()),
            schema: t.schema.clone(),
        })
        .collect();
    let Some(source) = &config.targets_from else {
        return Ok(targets);
    };
    let (text, origin) = read_source(source, &config.dir)?;
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = origin.at(n + 1);
        match parse_target_line(line) {
            Ok(t) if targets.iter().any(|x| x.name == t.name) => {
                errors.push(TargetLineMistake {
                    at,
                    problem: format!(
                        "target `{}` is declared twice; target names must be unique",
                        t.name
                    ),
                });
            }
            Ok(mut t) => {
                t.url = config.absolute_url(t.url);
                targets.push(t);
            }
            Err(problem) => errors.push(TargetLineMistake { at, problem }),
        }
    }
    if errors.is_empty() {
        Ok(targets)
    } else {
        Err(FleetError::TargetsFrom { mistakes: errors })
    }
}

/// Where the lines of `targets_from` came from, for messages.
enum Origin {
    File(String),
    Command(String),
}

impl Origin {
    fn at(&self, line: usize) -> String {
        match self {
            Origin::File(f) => format!("{f}:{line}"),
            Origin::Command(c) => format!("line {line} of the output of `{c}`"),
        }
    }
}

fn read_source(source: &TargetsSource, dir: &Path) -> Result<(String, Origin), FleetError> {
    match source {
        TargetsSource::File(path) => std::fs::read_to_string(path)
            .map(|t| (t, Origin::File(path.display().to_string())))
            .map_err(|error| FleetError::ReadFile {
                path: path.clone(),
                error,
            }),
        TargetsSource::Command(cmd) => {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .current_dir(dir)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|error| FleetError::RunCommand {
                    command: cmd.clone(),
                    error,
                })?;
            if !out.status.success() {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let why = stderr.lines().next().unwrap_or("").trim();
                return Err(FleetError::CommandFailed {
                    command: cmd.clone(),
                    status: out.status.to_string(),
                    stderr: why.to_string(),
                });
            }
            let text = String::from_utf8(out.stdout).map_err(|_| FleetError::NotUtf8 {
                command: cmd.clone(),
            })?;
            Ok((text, Origin::Command(cmd.clone())))
        }
    }
}

/// Parses `name url [schema]`.
fn parse_target_line(line: &str) -> Result<Target, String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (name, url, schema) = match fields[..] {
        [name, url] => (name, url, None),
        [name, url, schema] => (name, url, Some(schema)),
        _ => {
            return Err(format!(
                "expected `name url [schema]`, found {} field(s)",
                fields.len()
            ))
        }
    };
    if !is_target_name(name) {
        return Err(format!(
            "target name `{name}` must be letters, digits, `_`, `-` or `.`"
        ));
    }
    let Some(dialect) = Dialect::from_url(url) else {
        return Err(format!(
            "target `{name}`: unsupported URL {}; use sqlite://, postgres:// or mysql://",
            mask_url(url)
        ));
    };
    if let Some(s) = schema {
        if !crate::schema::is_identifier(s) {
            return Err(format!(
                "target `{name}`: schema must be a plain identifier, got `{s}`"
            ));
        }
        if !dialect.backend().has_session_schema() {
            return Err(format!(
                "target `{name}`: a schema is supported on PostgreSQL only (its URL is {})",
                mask_url(url)
            ));
        }
    }
    Ok(Target {
        name: name.to_string(),
        url: url.to_string(),
        schema: schema.map(str::to_string),
    })
}

/// The targets named by `patterns` (names or globs such as `tenant_*`), or all of them
/// with `all`, in declared order. A pattern matching nothing is an error.
pub fn select(
    targets: &[Target],
    patterns: &[String],
    all: bool,
) -> Result<Vec<Target>, FleetError> {
    if targets.is_empty() {
        return Err(FleetError::NoTargets);
    }
    if all {
        return Ok(targets.to_vec());
    }
    let mut chosen = vec![false; targets.len()];
    for p in patterns {
        let mut any = false;
        for (i, t) in targets.iter().enumerate() {
            if glob_match(p, &t.name) {
                chosen[i] = true;
                any = true;
            }
        }
        if !any {
            return Err(FleetError::NoMatch {
                pattern: p.clone(),
                declared: targets.iter().map(|t| t.name.clone()).collect(),
            });
        }
    }
    Ok(targets
        .iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(t, _)| t.clone())
        .collect())
}

/// What to run on every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetCommand {
    /// `upgrade REV`.
    Upgrade(String),
    /// `downgrade REV`.
    Downgrade(String),
    /// `stamp REV... [--purge]`.
    Stamp {
        /// The revisions to stamp.
        revisions: Vec<String>,
        /// Empty the version table first.
        purge: bool,
    },
    /// `current`: read the version rows.
    Current,
    /// `check`: compare each live schema with `schema.yaml` at head.
    Check,
}

/// How a fleet runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FleetOptions {
    /// At most this many targets at once (at least 1).
    pub jobs: usize,
    /// Start no further target once one has failed.
    pub fail_fast: bool,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            jobs: DEFAULT_JOBS,
            fail_fast: false,
        }
    }
}

/// How one target fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    /// The command succeeded.
    Ok,
    /// The command failed; see the report's error.
    Failed,
    /// Not started: another target failed and `fail_fast` was set.
    Skipped,
}

/// What `check` found on one target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckFindings {
    /// Revisions not yet applied (the schema is compared only at head).
    pub pending: Vec<String>,
    /// The operations autogenerate would produce, described.
    pub operations: Vec<String>,
    /// The target's objects that retort does not model (views, triggers, …), which
    /// the comparison cannot see.
    pub unmodelled: Vec<UnmodelledObject>,
}

impl CheckFindings {
    /// True when the target is at head and its schema matches `schema.yaml`.
    pub fn matches(&self) -> bool {
        self.pending.is_empty() && self.operations.is_empty()
    }
}

/// The result of the command on one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetReport {
    /// The target's name.
    pub name: String,
    /// Its URL, password masked, with its schema.
    pub display_url: String,
    /// The version rows before.
    pub from: Vec<String>,
    /// The version rows after (equal to `from` when nothing ran or it failed).
    pub to: Vec<String>,
    /// Whether anything was run or stamped.
    pub changed: bool,
    /// How long the target took.
    pub duration: Duration,
    /// Success, failure, or not started.
    pub status: TargetStatus,
    /// The full error of a failed target (passwords masked).
    pub error: Option<String>,
    /// For `check`: what differs.
    pub check: Option<CheckFindings>,
}

impl TargetReport {
    /// The error's first line, with the reason when the first line only says where
    /// (`revision X, operation Y failed:` followed by the database's message).
    pub fn error_summary(&self) -> Option<String> {
        let err = self.error.as_deref()?;
        let mut lines = err.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or("").to_string();
        Some(match lines.next() {
            Some(next) if first.ends_with(':') => format!("{first} {next}"),
            _ => first,
        })
    }
}

/// Something that happened during a fleet run, for live progress.
#[derive(Debug)]
pub enum FleetEvent<'a> {
    /// A target started.
    Started(&'a str),
    /// A target finished (or was skipped).
    Finished(&'a TargetReport),
}

/// The results of a fleet run, one per target in the order they were given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FleetReport {
    /// One report per target.
    pub targets: Vec<TargetReport>,
}

impl FleetReport {
    /// How many targets have `status`.
    pub fn count(&self, status: TargetStatus) -> usize {
        self.targets.iter().filter(|t| t.status == status).count()
    }

    /// True when every target succeeded.
    pub fn all_ok(&self) -> bool {
        self.targets.iter().all(|t| t.status == TargetStatus::Ok)
    }

    /// Successful targets grouped by their version rows (sorted; empty is base), the
    /// largest group first.
    pub fn groups(&self) -> Vec<(Vec<String>, Vec<&str>)> {
        let mut groups: Vec<(Vec<String>, Vec<&str>)> = Vec::new();
        for t in self.targets.iter().filter(|t| t.status == TargetStatus::Ok) {
            let mut rows = t.to.clone();
            rows.sort();
            match groups.iter_mut().find(|(r, _)| *r == rows) {
                Some((_, names)) => names.push(&t.name),
                None => groups.push((rows, vec![&t.name])),
            }
        }
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        groups
    }

    /// For `check`: the targets whose schema differs (or that are not at head), with
    /// their operation counts.
    pub fn differing(&self) -> Vec<(&str, &CheckFindings)> {
        self.targets
            .iter()
            .filter(|t| t.status == TargetStatus::Ok)
            .filter_map(|t| t.check.as_ref().map(|c| (t.name.as_str(), c)))
            .filter(|(_, c)| !c.matches())
            .collect()
    }
}

/// Runs `command` on every target, at most `options.jobs` at a time, and reports each.
/// A failed target does not stop the others unless `options.fail_fast`. A target
/// already where the command would take it is not touched (no lock, no write).
pub async fn run(
    project: &Project,
    targets: &[Target],
    command: &FleetCommand,
    options: FleetOptions,
    on_event: &mut dyn FnMut(FleetEvent<'_>),
) -> FleetReport {
    let failed = Cell::new(false);
    let events = RefCell::new(on_event);
    let (failed, events) = (&failed, &events);
    let tasks = targets.iter().enumerate().map(|(i, target)| async move {
        let report = if options.fail_fast && failed.get() {
            TargetReport {
                name: target.name.clone(),
                display_url: target.display_url(),
                from: Vec::new(),
                to: Vec::new(),
                changed: false,
                duration: Duration::ZERO,
                status: TargetStatus::Skipped,
                error: None,
                check: None,
            }
        } else {
            (events.borrow_mut())(FleetEvent::Started(&target.name));
            let report = run_target(project, target, command).await;
            if report.status == TargetStatus::Failed {
                failed.set(true);
            }
            report
        };
        (events.borrow_mut())(FleetEvent::Finished(&report));
        (i, report)
    });
    let mut slots: Vec<Option<TargetReport>> = vec![None; targets.len()];
    let mut running = stream::iter(tasks).buffer_unordered(options.jobs.max(1));
    while let Some((i, report)) = running.next().await {
        slots[i] = Some(report);
    }
    FleetReport {
        targets: slots.into_iter().flatten().collect(),
    }
}

/// What a successful command did on one target.
struct Done {
    to: Vec<String>,
    changed: bool,
    check: Option<CheckFindings>,
}

async fn run_target(project: &Project, target: &Target, command: &FleetCommand) -> TargetReport {
    let start = Instant::now();
    let url = target.session_url();
    let mut from = Vec::new();
    let result = async {
        from = runner::current(project, &url)
            .await
            .map_err(|e| e.to_string())?;
        apply(project, target, &url, &from, command).await
    }
    .await;
    let (to, changed, check, status, error) = match result {
        Ok(done) => (done.to, done.changed, done.check, TargetStatus::Ok, None),
        Err(e) => (
            from.clone(),
            false,
            None,
            TargetStatus::Failed,
            Some(target.redact(&e)),
        ),
    };
    TargetReport {
        name: target.name.clone(),
        display_url: target.display_url(),
        from,
        to,
        changed,
        duration: start.elapsed(),
        status,
        error,
        check,
    }
}

async fn apply(
    project: &Project,
    target: &Target,
    url: &str,
    from: &[String],
    command: &FleetCommand,
) -> Result<Done, String> {
    let unchanged = || Done {
        to: from.to_vec(),
        changed: false,
        check: None,
    };
    let graph = &project.graph;
    match command {
        FleetCommand::Current => Ok(unchanged()),
        FleetCommand::Upgrade(rev) | FleetCommand::Downgrade(rev) => {
            let (plan, run_command) = match command {
                FleetCommand::Upgrade(_) => {
                    (graph.plan_upgrade(from, rev), Command::Upgrade(rev.clone()))
                }
                _ => (
                    graph.plan_downgrade(from, rev),
                    Command::Downgrade(rev.clone()),
                ),
            };
            if plan.map_err(|e| e.to_string())?.is_empty() {
                return Ok(unchanged());
            }
            ensure_schema(target).await?;
            let to = runner::run(project, url, &run_command, &mut |_| {})
                .await
                .map_err(|e| e.to_string())?;
            Ok(Done {
                to,
                changed: true,
                check: None,
            })
        }
        FleetCommand::Stamp { revisions, purge } => {
            if !purge
                && graph
                    .plan_stamp(from, revisions)
                    .map_err(|e| e.to_string())?
                    .is_empty()
            {
                return Ok(unchanged());
            }
            ensure_schema(target).await?;
            let to = runner::stamp(project, url, revisions, *purge)
                .await
                .map_err(|e| e.to_string())?;
            Ok(Done {
                to,
                changed: true,
                check: None,
            })
        }
        FleetCommand::Check => {
            let pending: Vec<String> = graph
                .plan_upgrade(from, "heads")
                .map_err(|e| format!("cannot tell which revisions are pending: {e}"))?
                .into_iter()
                .map(|s| s.revision)
                .collect();
            let (operations, unmodelled) = if pending.is_empty() {
                let mut conn = Connection::connect_read_only(url)
                    .await
                    .map_err(|e| e.to_string())?;
                let comparison = Autogenerate::compare(project, &mut conn).await;
                conn.close().await;
                let comparison = comparison.map_err(|e| e.to_string())?;
                let operations = comparison.upgrade.iter().map(|op| op.describe()).collect();
                (operations, comparison.unmodelled)
            } else {
                (Vec::new(), Vec::new())
            };
            Ok(Done {
                check: Some(CheckFindings {
                    pending,
                    operations,
                    unmodelled,
                }),
                ..unchanged()
            })
        }
    }
}

/// Creates a target's schema when it names one that does not exist yet.
async fn ensure_schema(target: &Target) -> Result<(), String> {
    let Some(schema) = &target.schema else {
        return Ok(());
    };
    let Some(sql) =
        Dialect::from_url(&target.url).and_then(|d| d.backend().create_schema_sql(schema))
    else {
        return Ok(());
    };
    let mut conn = Connection::connect(&target.url)
        .await
        .map_err(|e| e.to_string())?;
    let res = conn.execute(&sql).await;
    conn.close().await;
    res.map(|_| ())
        .map_err(|e| format!("cannot create schema {schema}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str) -> Target {
        Target {
            name: name.into(),
            url: format!("sqlite:///tmp/{name}.db"),
            schema: None,
        }
    }

    #[test]
    fn selection_by_name_and_glob_keeps_declared_order() {
        let all: Vec<Target> = ["tenant_b", "tenant_a", "admin"]
            .into_iter()
            .map(target)
            .collect();
        let names = |v: Vec<Target>| v.into_iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(
            names(select(&all, &["admin".into(), "tenant_*".into()], false).unwrap()),
            ["tenant_b", "tenant_a", "admin"]
        );
        assert_eq!(names(select(&all, &[], true).unwrap()).len(), 3);
        let err = select(&all, &["nope_*".into()], false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no target matches `nope_*`"), "{err}");
        assert!(err.contains("tenant_b, tenant_a, admin"), "{err}");
        let err = select(&[], &[], true).unwrap_err().to_string();
        assert!(err.contains("no targets are declared"), "{err}");
    }

    #[test]
    fn fleet_errors_name_the_line_and_pattern() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("retort.yaml"),
            "targets_from: targets.txt\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("targets.txt"),
            "a sqlite://a.db\n# comment\na sqlite://b.db\nlonely\n",
        )
        .unwrap();
        let config =
            crate::config::Config::load(&dir.path().join("retort.yaml"), &|_| None).unwrap();
        let err = load_targets(&config).unwrap_err();
        let file = dir.path().join("targets.txt").display().to_string();
        let FleetError::TargetsFrom { mistakes } = &err else {
            panic!("{err}");
        };
        assert_eq!(mistakes.len(), 2);
        assert_eq!(mistakes[0].at, format!("{file}:3"));
        assert_eq!(
            err.to_string(),
            format!("targets_from has mistakes:\n{file}:3: target `a` is declared twice; target names must be unique\n{file}:4: expected `name url [schema]`, found 1 field(s)")
        );
        std::fs::remove_file(dir.path().join("targets.txt")).unwrap();
        let err = load_targets(&config).unwrap_err();
        assert!(matches!(&err, FleetError::ReadFile { path, .. } if path.ends_with("targets.txt")));
        assert!(err
            .to_string()
            .starts_with(&format!("cannot read targets_from file {file}: ")));

        let many: Vec<Target> = (0..11).map(|i| target(&format!("t{i}"))).collect();
        let err = select(&many, &["x".into()], false).unwrap_err();
        assert!(matches!(&err, FleetError::NoMatch { pattern, .. } if pattern == "x"));
        assert_eq!(
            err.to_string(),
            "no target matches `x`; declared targets: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, …"
        );
    }

    #[test]
    fn target_lines() {
        let t = parse_target_line("t1 postgres://u:pw@h/db tenant_1").unwrap();
        assert_eq!(t.schema.as_deref(), Some("tenant_1"));
        assert_eq!(
            t.session_url(),
            "postgres://u:pw@h/db?options[search_path]=%22tenant_1%22"
        );
        assert_eq!(t.display_url(), "postgres://u:***@h/db (schema tenant_1)");
        let err = parse_target_line("t1 sqlite://a.db s1").unwrap_err();
        assert!(err.contains("PostgreSQL only"), "{err}");
        let err = parse_target_line("t1").unwrap_err();
        assert!(err.contains("expected `name url [schema]`"), "{err}");
        let err = parse_target_line("t* sqlite://a.db").unwrap_err();
        assert!(err.contains("target name `t*`"), "{err}");
    }

    #[test]
    fn error_summary_joins_the_reason() {
        let mut r = TargetReport {
            name: "a".into(),
            display_url: String::new(),
            from: vec![],
            to: vec![],
            changed: false,
            duration: Duration::ZERO,
            status: TargetStatus::Failed,
            error: Some("revision abc (v/abc.yaml), operation create_table failed:\n  table t already exists\n  SQL: CREATE TABLE t".into()),
            check: None,
        };
        assert_eq!(
            r.error_summary().unwrap(),
            "revision abc (v/abc.yaml), operation create_table failed: table t already exists"
        );
        r.error = Some("cannot connect to x: refused".into());
        assert_eq!(r.error_summary().unwrap(), "cannot connect to x: refused");
    }
}
