//! The `retort` binary: parses the command line and hands the work to `retort_engine`.

mod args;
mod autogen;
mod checksums;
mod commands;
mod fleet;
mod lint;
mod migrate;
mod pictures;
mod revision_display;
mod revisions;
mod style;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use args::Cli;

fn main() -> ExitCode {
    // Output piped into `head` and the like: end quietly when the reader goes away, as
    // other command-line tools do, instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    if cli.selects_targets() && !cli.command.touches_database() {
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--target and --all-targets are accepted only by commands that use a database",
            )
            .exit();
    }
    if cli.format == args::Format::Json
        && !cli.command.prints_json()
        && fleet::fleet_command(&cli).is_none()
    {
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--format json is accepted only by current, heads, branches, history, show, check, diff, validate, verify and lint",
            )
            .exit();
    }
    if matches!(cli.format, args::Format::Dot | args::Format::Mermaid)
        && !cli.command.draws_pictures()
    {
        use clap::CommandFactory;
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--format dot and --format mermaid are accepted only by history and reflect",
            )
            .exit();
    }
    if let args::Command::Downgrade {
        target, sql: true, ..
    } = &cli.command
    {
        if !target.contains(':') {
            use clap::CommandFactory;
            Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("downgrade with --sql needs a range FROM:TO (there is no database to read), e.g. `retort downgrade head:{target} --sql`"),
                )
                .exit();
        }
    }
    if let args::Command::Completions { shell } = &cli.command {
        use clap::CommandFactory;
        use std::io::Write;
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut Cli::command(), "retort", &mut script);
        // A closed pipe (`| head`) is not an error; anything else is.
        return match std::io::stdout().write_all(&script) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                eprintln!("error: cannot write the completion script: {e}");
                ExitCode::from(1)
            }
            _ => ExitCode::SUCCESS,
        };
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
            let label = style::paint(style::Stream::Stderr, style::Colour::Red, "error:");
            eprintln!("{label} {message}");
            ExitCode::from(1)
        }
    }
}
