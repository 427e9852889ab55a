//! Terminal conventions: colour only on a terminal (never when piped or with
//! `NO_COLOR` set; `CLICOLOR_FORCE=1` forces it), and a progress bar for long runs.

use std::io::IsTerminal;
use std::time::Duration;

/// Which stream a text is written to.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Whether colour is used on `stream`: `NO_COLOR` (any non-empty value) turns it off,
/// `CLICOLOR_FORCE` (non-empty, not `0`) turns it on, otherwise only on a terminal.
pub fn colour_on(stream: Stream) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if set("CLICOLOR_FORCE") {
        return true;
    }
    match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    }
}

/// A colour (SGR code).
#[derive(Debug, Clone, Copy)]
pub enum Colour {
    /// Errors.
    Red,
    /// Heads.
    Green,
    /// Revision ids.
    Yellow,
}

/// `text` in `colour` when colour is on for `stream`, else unchanged.
pub fn paint(stream: Stream, colour: Colour, text: &str) -> String {
    if !colour_on(stream) {
        return text.to_string();
    }
    let code = match colour {
        Colour::Red => "1;31",
        Colour::Green => "32",
        Colour::Yellow => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// A progress bar on stderr for `upgrade`/`downgrade`: shown only when stderr is a
/// terminal, the output is not quiet, and the run lasts longer than a second. It
/// spins during a long revision (a `bulk_insert`, a table rebuild) and names the
/// revision being run.
pub struct RunProgress {
    bar: Option<indicatif::ProgressBar>,
}

impl RunProgress {
    /// Starts the (still hidden) bar; `enabled` is false for `-q` and JSON output.
    pub fn start(enabled: bool) -> RunProgress {
        if !enabled || !std::io::stderr().is_terminal() {
            return RunProgress { bar: None };
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} migrating ({elapsed}): {pos} revision(s) done {msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        let shown = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            if !shown.is_finished() {
                shown.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
        });
        RunProgress { bar: Some(bar) }
    }

    /// Prints a progress line (`Running upgrade …`) above the bar and advances it.
    pub fn line(&self, line: &str) {
        match &self.bar {
            Some(bar) => {
                bar.suspend(|| println!("{line}"));
                if line.starts_with("Running ") {
                    bar.inc(1);
                    bar.set_message(line.trim_start_matches("Running ").to_string());
                }
            }
            None => println!("{line}"),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
