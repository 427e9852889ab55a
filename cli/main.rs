//! The `retort` binary: parses the command line and hands the work to `retort_engine`.

mod args;
mod autogen;
mod checksums;
mod commands;
mod lint;
mod migrate;
mod revision_display;
mod revisions;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use args::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.format == args::Format::Json && !cli.command.prints_json() {
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--format json is accepted only by current, heads, branches, history, show, check, diff, validate, verify and lint",
            )
            .exit();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let url_hint = cli.url.clone();
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            let mut message = format!("{e:#}");
            if let Some(url) = &url_hint {
                message = retort_engine::db::redact(&message, url);
            }
            if let Some(url) = commands::configured_url() {
                message = retort_engine::db::redact(&message, &url);
            }
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
