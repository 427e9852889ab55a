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
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON, for scripts.
    Json,
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
    Init {
        /// Where to create the project.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The default template for new revisions.
        #[arg(long, value_enum, default_value_t = InitTemplate::Yaml)]
        template: InitTemplate,
    },
    /// Check retort.yaml and schema.yaml without a database; report every error.
    Validate,
    /// List the available revision templates.
    ListTemplates,
    /// Write a new revision file and print its path.
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
    Check,
    /// Print the operations (or the SQL) autogenerate would produce, writing nothing.
    Diff {
        /// Print SQL for the database's backend instead of operations.
        #[arg(long)]
        sql: bool,
    },
    /// Print the live database's schema in schema.yaml form.
    Reflect,
    /// Write a merge revision over the given revisions (or `heads`).
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
    },
    /// Show the head revisions.
    Heads {
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
        /// Leave out heads that other heads depend on.
        #[arg(long)]
        resolve_dependencies: bool,
    },
    /// Show the branch points.
    Branches {
        /// Show each revision in full.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show one revision in full.
    Show {
        /// The revision.
        rev: String,
    },
    /// Open a revision file in $EDITOR.
    Edit {
        /// The revision.
        rev: String,
    },
    /// Apply revisions up to TARGET (head, heads, an id, +N, LABEL@head, ...).
    Upgrade {
        /// Where to go; with --sql, FROM:TO is accepted and needs no database.
        #[arg(allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline mode).
        #[arg(long)]
        sql: bool,
    },
    /// Revert revisions down to TARGET (-N, base, an id, LABEL@-N, ...).
    Downgrade {
        /// Where to go; with --sql, give FROM:TO.
        #[arg(allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline mode).
        #[arg(long)]
        sql: bool,
    },
    /// Set the version table to the given revisions without running them.
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
    /// Prove the revision history on a scratch database: upgrade one revision at a time,
    /// compare with schema.yaml, downgrade one at a time checking each restores the schema.
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
    Current {
        /// Show each revision's details.
        #[arg(short, long)]
        verbose: bool,
    },
}

impl Command {
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
}
