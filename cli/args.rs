//! The command line (SPEC §7), parsed with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// retort: schema migrations for SQLite, PostgreSQL and MySQL/MariaDB.
#[derive(Debug, Parser)]
#[command(name = "retort", version, about, long_about = None)]
pub struct Cli {
    /// The config file (default: $RETORT_CONFIG, else retort.yaml in the current
    /// directory or the nearest parent).
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The database URL, overriding `database_url` in the config.
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Print only what was asked for: no progress lines.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Also print which config file and database (password masked) the command uses.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Make an applied revision whose file changed since it ran an error, not a warning
    /// (upgrade, current, validate --url); same as `strict: true` in retort.yaml.
    #[arg(long, global = true)]
    pub strict: bool,
    /// Output format for commands that print data.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Run on this named target of `targets:`/`targets_from:` (repeatable; globs like
    /// `tenant_*`).
    #[arg(
        long = "target",
        global = true,
        value_name = "NAME",
        conflicts_with = "url"
    )]
    pub targets: Vec<String>,
    /// Run on every declared target.
    #[arg(long, global = true, conflicts_with = "url")]
    pub all_targets: bool,
    /// How many targets run at once (with --target/--all-targets).
    #[arg(long, global = true, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,
    /// Start no further target once one has failed.
    #[arg(long, global = true)]
    pub fail_fast: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether `--target` or `--all-targets` was given.
    pub fn selects_targets(&self) -> bool {
        self.all_targets || !self.targets.is_empty()
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON, for scripts.
    Json,
    /// Graphviz (`history`, `reflect`): pipe into `dot -Tsvg`.
    Dot,
    /// Mermaid (`history`, `reflect`), for Markdown.
    Mermaid,
}

/// Revision template choices for `init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitTemplate {
    /// Dialect-neutral YAML operations.
    Yaml,
    /// Plain SQL with -- +upgrade / -- +downgrade sections.
    Sql,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create retort.yaml, schema.yaml and versions/ in DIR (never overwrites).
    #[command(after_help = "Example:\n  retort init myproject --template yaml")]
    Init {
        /// Where to create the project.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The default template for new revisions.
        #[arg(long, value_enum, default_value_t = InitTemplate::Yaml)]
        template: InitTemplate,
    },
    /// Check retort.yaml and schema.yaml without a database; report every error.
    #[command(after_help = "Example:\n  retort validate --format json")]
    Validate,
    /// List the available revision templates.
    #[command(after_help = "Example:\n  retort list-templates")]
    ListTemplates,
    /// Write a new revision file and print its path.
    #[command(after_help = "Example:\n  retort revision --autogenerate -m \"add users\"")]
    Revision {
        /// The revision message.
        #[arg(short, long)]
        message: String,
        /// The parent revision (default: the head); `base` starts a new root.
        #[arg(long, value_name = "REV")]
        head: Option<String>,
        /// Allow a parent that is not a head, creating a new branch.
        #[arg(long)]
        splice: bool,
        /// A label for the new branch.
        #[arg(long, value_name = "LABEL")]
        branch_label: Vec<String>,
        /// A revision (id or label) this one depends on without merging; repeatable.
        #[arg(long, value_name = "REV")]
        depends_on: Vec<String>,
        /// Use this id instead of a generated one.
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// Write into this versions directory (one of those configured).
        #[arg(long, value_name = "DIR")]
        version_path: Option<PathBuf>,
        /// The template: yaml, sql, or a .tera file.
        #[arg(long, value_name = "T")]
        template: Option<String>,
        /// Fill in the operations by comparing schema.yaml with the database.
        #[arg(long)]
        autogenerate: bool,
        /// With --autogenerate: write a revision even when nothing differs.
        #[arg(long)]
        allow_empty: bool,
    },
    /// Exit 1 and list the operations if autogenerate would produce any.
    #[command(after_help = "Example:\n  retort check --url postgres://me@localhost/app")]
    Check,
    /// Print the operations (or the SQL) autogenerate would produce, writing nothing.
    #[command(after_help = "Example:\n  retort diff --sql")]
    Diff {
        /// Print SQL for the database's backend instead of operations.
        #[arg(long)]
        sql: bool,
    },
    /// Print the live database's schema in schema.yaml form.
    #[command(
        after_help = "Example:\n  retort reflect > schema.yaml   (or: retort reflect --format mermaid)"
    )]
    Reflect {
        /// Read schema.yaml instead of a database (e.g. with `--format mermaid`).
        #[arg(long)]
        from_schema: bool,
    },
    /// Write a merge revision over the given revisions (or `heads`).
    #[command(after_help = "Example:\n  retort merge heads -m \"merge feature branches\"")]
    Merge {
        /// The revisions to merge.
        #[arg(required = true, value_name = "REV")]
        revisions: Vec<String>,
        /// The revision message.
        #[arg(short, long)]
        message: String,
        /// A label for the merged branch.
        #[arg(long, value_name = "LABEL")]
        branch_label: Vec<String>,
        /// Use this id instead of a generated one.
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// Allow revisions that are not heads (at least one must still be a head).
        #[arg(long)]
        splice: bool,
    },
    /// Show the revision graph, newest first.
    #[command(
        after_help = "Example:\n  retort history --graph   (or: retort history --format dot | dot -Tsvg > history.svg)"
    )]
    History {
        /// A range START:END (either side may be left out).
        #[arg(
            short = 'r',
            long,
            value_name = "START:END",
            allow_hyphen_values = true
        )]
        rev_range: Option<String>,
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
        /// Mark the revisions the database is at (connects to it).
        #[arg(short = 'i', long)]
        indicate_current: bool,
        /// Draw the graph (branches, merges, dependencies) as `git log --graph` does.
        #[arg(short, long)]
        graph: bool,
    },
    /// Show the head revisions.
    #[command(after_help = "Example:\n  retort heads --verbose")]
    Heads {
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
        /// Leave out heads that other heads depend on.
        #[arg(long)]
        resolve_dependencies: bool,
    },
    /// Show the branch points.
    #[command(after_help = "Example:\n  retort branches")]
    Branches {
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show one revision in full.
    #[command(after_help = "Example:\n  retort show head")]
    Show {
        /// The revision.
        rev: String,
    },
    /// Open a revision file in $EDITOR.
    #[command(after_help = "Example:\n  retort edit head")]
    Edit {
        /// The revision.
        rev: String,
    },
    /// Apply revisions up to TARGET (head, heads, an id, +N, LABEL@head, ...).
    #[command(
        after_help = "Example:\n  retort upgrade head   (or: retort upgrade base:head --sql > upgrade.sql)"
    )]
    Upgrade {
        /// Where to go; with --sql, FROM:TO is accepted and needs no database.
        #[arg(allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline mode).
        #[arg(long)]
        sql: bool,
        /// Run the rest of the revision an interrupted run left unfinished first (see
        /// the run log), then go on to TARGET.
        #[arg(long, conflicts_with = "sql")]
        resume: bool,
    },
    /// Revert revisions down to TARGET (-N, base, an id, LABEL@-N, ...).
    #[command(
        after_help = "Example:\n  retort downgrade -1   (or: retort downgrade head:base --sql)"
    )]
    Downgrade {
        /// Where to go; with --sql, give FROM:TO.
        #[arg(allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline mode).
        #[arg(long)]
        sql: bool,
        /// Run the rest of the revision an interrupted run left unfinished first (see
        /// the run log), then go on to TARGET.
        #[arg(long, conflicts_with = "sql")]
        resume: bool,
    },
    /// Set the version table to the given revisions without running them.
    #[command(after_help = "Example:\n  retort stamp head")]
    Stamp {
        /// The revisions (e.g. head, an id, several heads).
        #[arg(required = true, value_name = "REV")]
        revisions: Vec<String>,
        /// Empty the version table first (e.g. when it names revisions that no longer exist).
        #[arg(long)]
        purge: bool,
        /// Print the SQL instead of running it (offline mode).
        #[arg(long)]
        sql: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Example:\n  retort completions bash > ~/.local/share/bash-completion/completions/retort"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Prove the revision history on a scratch database: upgrade one revision at a time,
    /// compare with schema.yaml, downgrade one at a time checking each restores the schema.
    #[command(
        after_help = "Example:\n  retort verify --url postgres://me@localhost/scratch --reset"
    )]
    Verify {
        /// The heads to verify (default: the single head).
        #[arg(value_name = "HEAD")]
        heads: Vec<String>,
        /// Drop everything in the scratch database first (it is refused when not empty).
        #[arg(long)]
        reset: bool,
    },
    /// Check revisions for operations that are destructive, data-dependent, lock tables
    /// or break code still running, per backend.
    #[command(after_help = "Example:\n  retort lint --all --backend postgres")]
    Lint {
        /// The revisions to check (default: those not yet applied).
        #[arg(value_name = "REV")]
        revisions: Vec<String>,
        /// Check every revision.
        #[arg(long)]
        all: bool,
        /// Check for this backend only (default: the database URL's backend, or all three
        /// without a database).
        #[arg(long, value_name = "BACKEND")]
        backend: Option<String>,
    },
    /// Show the revision(s) the database is at.
    #[command(after_help = "Example:\n  retort current --verbose")]
    Current {
        /// Show each revision's details.
        #[arg(short, long)]
        verbose: bool,
    },
}

impl Command {
    /// Whether this command may connect to a database (and so accepts `--target`).
    pub fn touches_database(&self) -> bool {
        match self {
            Command::Revision { autogenerate, .. } => *autogenerate,
            Command::Reflect { from_schema } => !*from_schema,
            Command::Check
            | Command::Diff { .. }
            | Command::History { .. }
            | Command::Show { .. }
            | Command::Upgrade { .. }
            | Command::Downgrade { .. }
            | Command::Stamp { .. }
            | Command::Current { .. }
            | Command::Verify { .. }
            | Command::Lint { .. } => true,
            _ => false,
        }
    }

    /// Whether `--format json` changes what this command prints (the read commands);
    /// elsewhere it is a usage error.
    pub fn prints_json(&self) -> bool {
        matches!(
            self,
            Command::Current { .. }
                | Command::Heads { .. }
                | Command::Branches { .. }
                | Command::History { .. }
                | Command::Show { .. }
                | Command::Check
                | Command::Diff { .. }
                | Command::Validate
                | Command::Verify { .. }
                | Command::Lint { .. }
        )
    }

    /// Whether `--format dot|mermaid` draws a picture for this command.
    pub fn draws_pictures(&self) -> bool {
        matches!(self, Command::History { .. } | Command::Reflect { .. })
    }
}
