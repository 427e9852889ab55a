//! One function per command; each loads what it needs and calls the engine.

use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::Result;
use retort_engine::config::{Config, ConfigError};
use retort_engine::db::mask_url;
use retort_engine::dialect::Dialect;
use retort_engine::project::{init_project, NewRevisionRequest, Project};
use retort_engine::schema::load_schema;
use retort_engine::script::graph::Direction;
use retort_engine::validate;

use crate::args::{Cli, Command, Format, InitTemplate};
use crate::revision_display::{mentions_current, Revisions};
use crate::{autogen, migrate, pictures, revisions};

static CONFIGURED_URL: OnceLock<String> = OnceLock::new();

/// The database URL from the loaded config, so that error output can mask its password.
pub fn configured_url() -> Option<String> {
    CONFIGURED_URL.get().cloned()
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    if let Some(command) = crate::fleet::fleet_command(&cli) {
        let project = load_project(&cli)?;
        return crate::fleet::run(&cli, &project, &command).await;
    }
    match &cli.command {
        Command::Init { dir, template } => init(dir, *template, cli.quiet),
        Command::Validate => validate(&cli).await,
        Command::Current { verbose } => current(&cli, *verbose).await,
        Command::ListTemplates => list_templates(&cli),
        Command::Revision {
            message,
            head,
            splice,
            branch_label,
            depends_on,
            rev_id,
            version_path,
            template,
            autogenerate,
            allow_empty,
        } => {
            let project = load_project(&cli)?;
            let req = NewRevisionRequest {
                message: message.clone(),
                head: head.clone(),
                splice: *splice,
                branch_labels: branch_label.clone(),
                depends_on: depends_on.clone(),
                rev_id: rev_id.clone(),
                version_path: version_path.clone(),
                template: template.clone(),
                ..NewRevisionRequest::default()
            };
            if *autogenerate {
                autogen::revision(&cli, &project, req, *allow_empty).await
            } else {
                revisions::create(&project, &req, cli.quiet)
            }
        }
        Command::Check => {
            let project = load_project(&cli)?;
            autogen::check(&cli, &project).await
        }
        Command::Diff { sql } => {
            let project = load_project(&cli)?;
            autogen::diff(&cli, &project, *sql).await
        }
        Command::Reflect { from_schema } => {
            let project = load_project(&cli)?;
            if *from_schema || cli.format != Format::Text {
                pictures::reflect(&cli, &project, *from_schema).await
            } else {
                autogen::reflect(&cli, &project).await
            }
        }
        Command::Completions { .. } => Ok(ExitCode::SUCCESS),
        Command::Merge {
            revisions: revs,
            message,
            branch_label,
            rev_id,
            splice,
        } => {
            let project = load_project(&cli)?;
            let req = NewRevisionRequest {
                message: message.clone(),
                merge_of: revs.clone(),
                splice: *splice,
                branch_labels: branch_label.clone(),
                rev_id: rev_id.clone(),
                ..NewRevisionRequest::default()
            };
            revisions::create(&project, &req, cli.quiet)
        }
        Command::History {
            rev_range,
            verbose,
            indicate_current,
            graph,
        } => {
            let project = load_project_headers(&cli)?;
            // Like Alembic: the database is read for -i and whenever the range names `current`.
            let names_current = rev_range
                .as_deref()
                .and_then(|r| r.split_once(':'))
                .is_some_and(|(a, b)| mentions_current(a) || mentions_current(b));
            let current = if *indicate_current || names_current {
                read_current(&cli, &project).await?
            } else {
                Vec::new()
            };
            let marked: &[String] = if *indicate_current { &current } else { &[] };
            revisions::history(
                &cli,
                &project,
                rev_range.as_deref(),
                *verbose,
                &current,
                marked,
                *graph,
            )
        }
        Command::Heads {
            verbose,
            resolve_dependencies,
        } => {
            let project = load_project_headers(&cli)?;
            revisions::heads(&cli, &project, *verbose, *resolve_dependencies)
        }
        Command::Branches { verbose } => {
            let project = load_project_headers(&cli)?;
            revisions::branches(&cli, &project, *verbose)
        }
        Command::Show { rev } => {
            let project = load_project(&cli)?;
            // Only `current` needs the database.
            let current = if mentions_current(rev) {
                read_current(&cli, &project).await?
            } else {
                Vec::new()
            };
            revisions::show(&cli, &project, rev, &current)
        }
        Command::Upgrade {
            target,
            sql,
            resume,
        } => {
            let (project, early) = load_project_for_run(&cli, *sql).await?;
            let done = migrate::migrate(&cli, &project, target, *sql, true, *resume, early).await;
            // The process ends now: freeing every parsed revision would only delay it.
            std::mem::forget(project);
            done
        }
        Command::Downgrade {
            target,
            sql,
            resume,
        } => {
            let (project, early) = load_project_for_run(&cli, *sql).await?;
            let done = migrate::migrate(&cli, &project, target, *sql, false, *resume, early).await;
            // The process ends now: freeing every parsed revision would only delay it.
            std::mem::forget(project);
            done
        }
        Command::Stamp {
            revisions: revs,
            purge,
            sql,
        } => {
            let project = load_project_headers(&cli)?;
            migrate::stamp(&cli, &project, revs, *purge, *sql).await
        }
        Command::Verify { heads, reset } => {
            let project = load_project(&cli)?;
            crate::verify::verify(&cli, &project, heads, *reset).await
        }
        Command::Lint {
            revisions: revs,
            all,
            backend,
        } => {
            let project = load_project(&cli)?;
            crate::lint::lint(&cli, &project, revs, *all, backend.as_deref()).await
        }
        Command::Edit { rev } => {
            let project = load_project(&cli)?;
            revisions::edit(&project, rev)
        }
    }
}

/// Loads the config (remembering its URL for masking) and the project's revisions.
fn load_project(cli: &Cli) -> Result<Project> {
    load_project_with(cli, Project::load)
}

/// [`load_project`] for the commands that need the revision graph and headers, and
/// the operations of only some revisions (read when needed; [`Project::load_headers`]).
fn load_project_headers(cli: &Cli) -> Result<Project> {
    load_project_with(cli, Project::load_headers)
}

fn load_project_with(
    cli: &Cli,
    load: fn(Config) -> Result<Project, retort_engine::project::ProjectLoadError>,
) -> Result<Project> {
    load(project_config(cli)?).map_err(invalid_revision_files)
}

/// [`load_project_headers`] for `upgrade` and `downgrade`: an online run against a
/// database server starts connecting first, and the revision files are read (on another
/// thread) while it does; the connection is the run's.
async fn load_project_for_run(
    cli: &Cli,
    offline: bool,
) -> Result<(Project, Option<retort_engine::runner::EarlyConnection>)> {
    let config = project_config(cli)?;
    let early = if offline {
        None
    } else {
        retort_engine::runner::EarlyConnection::start(&config.url(cli.url.as_deref()), &config)
    };
    let Some(early) = early else {
        // Nothing to overlap (offline, or SQLite): read them here.
        return Ok((
            Project::load_headers(config).map_err(invalid_revision_files)?,
            None,
        ));
    };
    let project = tokio::task::spawn_blocking(move || Project::load_headers(config))
        .await
        .map_err(|e| anyhow::anyhow!("reading the revision files stopped: {e}"))?
        .map_err(invalid_revision_files)?;
    Ok((project, Some(early)))
}

/// The project's configuration, with what `-v` and the checks on it say.
fn project_config(cli: &Cli) -> Result<Config> {
    let mut config = match Config::discover(cli.config.as_deref()) {
        Ok(c) => c,
        Err(ConfigError::Invalid(d)) => anyhow::bail!("invalid configuration:\n{d}"),
        Err(e) => return Err(e.into()),
    };
    crate::fleet::pin_single_target(cli, &mut config)?;
    remember_url(&config);
    announce_config(cli, &config);
    warn_ambiguous_sqlite_url(cli, &config);
    Ok(config)
}

fn invalid_revision_files(e: retort_engine::project::ProjectLoadError) -> anyhow::Error {
    anyhow::anyhow!("invalid revision files:\n{e}")
}

/// The database's current revisions (read-only).
async fn read_current(cli: &Cli, project: &Project) -> Result<Vec<String>> {
    let url = project.config.url(cli.url.as_deref());
    retort_engine::runner::current(project, &url)
        .await
        .map_err(|e| anyhow::anyhow!(e))
}

/// With `-v`, says on stderr which config file and database (password masked) are used.
fn announce_config(cli: &Cli, config: &Config) {
    if !cli.verbose {
        return;
    }
    let file = config
        .file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(none)".into());
    eprintln!("Using config {file}");
    if crate::fleet::fleet_command(cli).is_some() {
        return;
    }
    eprintln!(
        "Using database {}",
        mask_url(&config.url(cli.url.as_deref()))
    );
}

/// `list-templates`: works without a project; with one, also lists its `templates/`.
fn list_templates(cli: &Cli) -> Result<ExitCode> {
    let dir = match Config::discover(cli.config.as_deref()) {
        Ok(config) => {
            announce_config(cli, &config);
            config.dir
        }
        Err(ConfigError::NotFound(cwd)) => cwd,
        Err(ConfigError::Invalid(d)) => anyhow::bail!("invalid configuration:\n{d}"),
        Err(e) => return Err(e.into()),
    };
    revisions::list(&dir, cli.quiet)
}

async fn current(cli: &Cli, verbose: bool) -> Result<ExitCode> {
    // The checksums (`-v`, strict mode) need the operations; otherwise the headers do.
    let mut project = if verbose || cli.strict {
        load_project(cli)?
    } else {
        load_project_headers(cli)?
    };
    if !verbose && crate::checksums::strict(cli, &project) {
        project = load_project(cli)?;
    }
    let url = project.config.url(cli.url.as_deref());
    let (rows, unfinished) = retort_engine::runner::current_and_unfinished(&project, &url)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    crate::migrate::warn_unfinished(cli, &project, &rows, unfinished);
    let view = Revisions::new(&project, &[]);
    if cli.format == Format::Json {
        println!("{}", view.json_list(&rows));
        return Ok(ExitCode::SUCCESS);
    }
    if !cli.quiet && verbose {
        println!("Current revision(s) for {}:", mask_url(&url));
    }
    for r in &rows {
        if verbose {
            println!("{}", view.long_entry(r));
        } else {
            println!("{}", view.current_line(r));
        }
    }
    if verbose || crate::checksums::strict(cli, &project) {
        let changed = crate::checksums::changed(&project, &url).await?;
        crate::checksums::report(cli, &project, &changed)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Remembers the configured URL so that error output masks its password.
fn remember_url(config: &Config) {
    if let Some(url) = &config.database_url {
        let _ = CONFIGURED_URL.set(url.clone());
    }
}

fn init(dir: &std::path::Path, template: InitTemplate, quiet: bool) -> Result<ExitCode> {
    let name = match template {
        InitTemplate::Yaml => "yaml",
        InitTemplate::Sql => "sql",
    };
    let report = init_project(dir, name)?;
    if quiet {
        return Ok(ExitCode::SUCCESS);
    }
    for path in &report.created {
        println!("Created {}", path.display());
    }
    let cd = if dir == std::path::Path::new(".") {
        String::new()
    } else {
        format!("  cd {}\n", dir.display())
    };
    println!(
        "\nNext steps:\n{cd}  1. Edit schema.yaml to declare your tables.\n  2. retort validate\n  3. retort revision --autogenerate -m \"initial schema\"\n  4. retort upgrade head"
    );
    Ok(ExitCode::SUCCESS)
}

async fn validate(cli: &Cli) -> Result<ExitCode> {
    let json = cli.format == Format::Json;
    let config = match Config::discover(cli.config.as_deref()) {
        Ok(c) => c,
        Err(ConfigError::Invalid(d)) => {
            let mut errors: Vec<String> = d.0.iter().map(|x| x.to_string()).collect();
            errors.extend(schema_errors_despite_config(cli));
            if json {
                println!("{}", serde_json::json!({"valid": false, "errors": errors}));
            } else {
                for e in &errors {
                    eprintln!("{e}");
                }
                eprintln!("{} error(s)", errors.len());
            }
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    remember_url(&config);
    announce_config(cli, &config);
    warn_ambiguous_sqlite_url(cli, &config);
    let mut errors = Vec::new();
    let url = config.url(cli.url.as_deref());
    if Dialect::from_url(&url).is_none() {
        errors.push(format!(
            "database URL {} has an unsupported scheme; use sqlite://, postgres://, mysql:// or mariadb://",
            mask_url(&url)
        ));
    }
    let dialect = Dialect::from_url(&url);
    // Features only some backends have are refused when the target is known (a URL given
    // or configured), not for the default SQLite URL of a project that names none.
    let target = dialect.filter(|_| cli.url.is_some() || config.database_url.is_some());
    let mut findings = validate::Findings::default();
    validate::check_config(&config, dialect, &mut findings);
    let mut schema_enums = None;
    let tables = match load_schema(&config.schema, &config.naming_convention) {
        Ok((schema, source)) => {
            validate::check_identifier_lengths(&source.identifiers, dialect, &mut findings);
            validate::check_qualified_names(&source.identifiers, dialect, &mut findings.errors);
            validate::check_sequences(&source.identifiers, target, &mut findings.errors);
            validate::check_name_scopes(&source.identifiers, dialect, &mut findings);
            if let Some(d) = dialect {
                errors.extend(
                    d.backend()
                        .schema_problems(&schema)
                        .into_iter()
                        .map(|p| format!("{}: {p}", config.schema.display())),
                );
            }
            schema_enums = Some(
                schema
                    .enums
                    .iter()
                    .map(|e| e.name.clone())
                    .collect::<Vec<_>>(),
            );
            schema.tables.len()
        }
        Err(d) => {
            errors.extend(d.0.iter().map(|x| x.to_string()));
            0
        }
    };
    let revision_count = match Project::load(config.clone()) {
        Ok(project) => {
            let identifiers = validate::revision_identifiers(&project.files);
            validate::check_identifier_lengths(&identifiers, dialect, &mut findings);
            validate::check_qualified_names(&identifiers, dialect, &mut findings.errors);
            validate::check_sequences(&identifiers, target, &mut findings.errors);
            if let Some(enums) = &schema_enums {
                validate::check_revision_enums(&project.files, enums, &mut findings.errors);
            }
            for file in &project.files {
                for direction in [Direction::Up, Direction::Down] {
                    if let Err(e) = retort_engine::runner::operations(&project, file, direction) {
                        errors.push(e.message.clone());
                    }
                }
            }
            if cli.url.is_some() {
                // With --url: also the applied revisions whose files changed since they ran.
                match crate::checksums::changed(&project, &url).await {
                    Ok(changed) if crate::checksums::strict(cli, &project) => {
                        errors.extend(changed.iter().map(|c| c.to_string()));
                    }
                    Ok(changed) => {
                        for c in &changed {
                            eprintln!("warning: {c}");
                        }
                    }
                    // validate works without a database: unreachable is a note,
                    // except in strict mode, which promises the check was made.
                    Err(e) if crate::checksums::strict(cli, &project) => errors.push(e.to_string()),
                    Err(e) => eprintln!("note: applied revisions not checked: {e}"),
                }
            }
            project.files.len()
        }
        Err(e) => {
            errors.extend(e.problems());
            0
        }
    };
    findings.errors.sort();
    findings.warnings.sort();
    errors.extend(findings.errors.0.iter().map(|x| x.to_string()));
    for w in &findings.warnings.0 {
        eprintln!("{w}");
    }
    let config_name = config
        .file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "defaults (no retort.yaml)".into());
    if json {
        println!(
            "{}",
            serde_json::json!({
                "valid": errors.is_empty(),
                "errors": errors,
                "warnings": findings.warnings.0.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                "config": config_name,
                "schema": config.schema.display().to_string(),
                "tables": tables,
                "revisions": revision_count,
                "database_url": mask_url(&url),
            })
        );
        return Ok(ExitCode::from(u8::from(!errors.is_empty())));
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!("{} error(s)", errors.len());
        return Ok(ExitCode::from(1));
    }
    if !cli.quiet {
        println!("config: {config_name}: ok");
        println!("schema: {}: ok ({tables} tables)", config.schema.display());
        println!("revisions: ok ({revision_count} files)");
        println!("database URL: {}", mask_url(&url));
    }
    Ok(ExitCode::SUCCESS)
}

/// When retort.yaml has mistakes, `validate` still checks the schema it names (its
/// `schema:` key when that is a plain path, else `schema.yaml` beside it) with the
/// default naming convention, so that one run lists every mistake.
fn schema_errors_despite_config(cli: &Cli) -> Vec<String> {
    let Ok(cwd) = std::env::current_dir() else {
        return Vec::new();
    };
    let env = std::env::var_os("RETORT_CONFIG").map(std::path::PathBuf::from);
    let Ok(file) =
        retort_engine::config::find_config_file(cli.config.as_deref(), env.as_deref(), &cwd)
    else {
        return Vec::new();
    };
    let dir = file.parent().unwrap_or(&cwd).to_path_buf();
    let named = std::fs::read_to_string(&file)
        .ok()
        .and_then(|text| retort_engine::yaml::parse(&text).ok())
        .and_then(|root| {
            root.as_map()?
                .iter()
                .find_map(|(k, v)| match (k.as_str(), &v.value) {
                    (Some("schema"), retort_engine::yaml::NodeValue::Scalar { text, .. })
                        if !text.contains("${") =>
                    {
                        Some(text.clone())
                    }
                    _ => None,
                })
        });
    let schema = dir.join(named.unwrap_or_else(|| "schema.yaml".into()));
    if !schema.exists() {
        return Vec::new();
    }
    match load_schema(&schema, &Default::default()) {
        Ok(_) => Vec::new(),
        Err(d) => d.0.iter().map(|x| x.to_string()).collect(),
    }
}

/// The warning for `sqlite:///NAME` (a file in the root directory), which SQLAlchemy
/// users write for a relative `NAME`; `None` for every other URL.
pub fn ambiguous_sqlite_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite:///")?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.contains('/') {
        return None;
    }
    Some(format!(
        "warning: {url} names /{path} in the root directory; in SQLAlchemy the same URL means {path} relative to the current directory. For a file beside retort.yaml write sqlite://{path}; for an absolute path write sqlite:///DIR/{path}"
    ))
}

/// Prints [`ambiguous_sqlite_url`]'s warning for the URL in use (not with `-q`).
fn warn_ambiguous_sqlite_url(cli: &Cli, config: &Config) {
    if cli.quiet {
        return;
    }
    let raw = cli.url.clone().or_else(|| config.database_url.clone());
    if let Some(w) = raw.as_deref().and_then(ambiguous_sqlite_url) {
        eprintln!("{w}");
    }
}
