//! The command line (SPEC §7), parsed with clap.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// retort: schema migrations for SQLite, PostgreSQL and MySQL/MariaDB.
#[derive(Debug, Parser)]
#[command(name = "retort", version, about, long_about = None)]
pub struct Cli {
    /// The config file (default: $RETORT_CONFIG, else ./retort.yaml).
    #[arg(short, long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The database URL, overriding `database_url` in the config.
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Print only what was asked for: no progress lines.
    #[arg(short, long, global = true)]
    pub quiet: bool,
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
    /// Show the revision(s) the database is at.
    Current {
        /// Show each revision's details.
        #[arg(short, long)]
        verbose: bool,
    },
}
