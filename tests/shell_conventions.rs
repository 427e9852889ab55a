//! Shell and terminal conventions: completion scripts, an example in every command's
//! `--help`, colour only on terminals (off with `NO_COLOR`), a progress bar only on a
//! terminal and never with `-q`, `-q` on every command, usage errors exit 2, `validate`
//! counting every error, and the warning about `sqlite:///NAME`.

mod common;

use std::path::Path;
use std::process::Command;

use common::{retort, retort_bin, temp_project, Run};

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(retort_bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RETORT_CONFIG")
        .env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("retort runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The subcommands `retort --help` lists.
fn subcommands() -> Vec<String> {
    let dir = temp_project();
    let help = retort(dir.path(), &["--help"]).stdout;
    let start = help.find("Commands:").expect("a Commands: section");
    help[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn completion_scripts_are_generated_for_every_shell() {
    let dir = temp_project();
    let commands = subcommands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = retort(dir.path(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.len() > 500, "{shell}: {}", run.stdout);
        for c in &commands {
            assert!(run.stdout.contains(c.as_str()), "{shell} completes `{c}`");
        }
        assert!(run.stdout.contains("rev-id"), "{shell} completes options");
    }
    assert_eq!(retort(dir.path(), &["completions", "tcsh"]).code, 2);
}

#[test]
fn bash_completion_script_loads_in_bash() {
    let dir = temp_project();
    let script = retort(dir.path(), &["completions", "bash"]).stdout;
    let file = dir.path().join("retort.bash");
    std::fs::write(&file, script).expect("write");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p retort", file.display()))
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("retort"));
}

#[test]
fn every_command_help_ends_with_an_example() {
    let dir = temp_project();
    let commands = subcommands();
    assert!(commands.len() >= 18, "{commands:?}");
    for c in commands {
        let run = retort(dir.path(), &[&c, "--help"]);
        assert_eq!(run.code, 0, "{c} --help");
        assert!(
            run.stdout.contains(&format!("Example:\n  retort {c}")),
            "`retort {c} --help` has no example:\n{}",
            run.stdout
        );
    }
}

#[test]
fn colour_only_when_forced_and_never_with_no_color() {
    let dir = temp_project();
    // No retort.yaml: an error.
    let piped = run_env(dir.path(), &["current"], &[]);
    assert_eq!(piped.code, 1);
    assert!(piped.stderr.starts_with("error: "), "{}", piped.stderr);
    assert!(!piped.stderr.contains('\x1b'), "no colour when piped");
    let forced = run_env(dir.path(), &["current"], &[("CLICOLOR_FORCE", "1")]);
    assert!(
        forced.stderr.contains("\x1b[1;31merror:\x1b[0m"),
        "{:?}",
        forced.stderr
    );
    let off = run_env(
        dir.path(),
        &["current"],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(
        !off.stderr.contains('\x1b'),
        "NO_COLOR wins: {:?}",
        off.stderr
    );
}

fn slow_project() -> tempfile::TempDir {
    let dir = temp_project();
    let d = dir.path();
    assert_eq!(retort(d, &["-q", "init", "."]).code, 0);
    std::fs::write(
        d.join("versions/slow01_slow.yaml"),
        "revision: slow01\ndown_revision: null\nmessage: slow\nupgrade:\n  - execute: \"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 12000000) SELECT count(*) FROM c\"\ndowngrade: []\n",
    )
    .expect("write");
    dir
}

/// Runs `retort ARGS` with a terminal on stdin/stdout/stderr (util-linux `script`);
/// `None` when `script` is not installed.
fn on_a_terminal(dir: &Path, args: &str) -> Option<String> {
    let probe = Command::new("script").arg("--version").output();
    if probe.is_err() {
        eprintln!("skipping the terminal check: `script` (util-linux) is not installed");
        return None;
    }
    let out = Command::new("script")
        .arg("-qec")
        .arg(format!("{} {args}", retort_bin().display()))
        .arg("/dev/null")
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn progress_bar_only_on_a_terminal_and_never_with_quiet() {
    let dir = slow_project();
    let piped = retort(dir.path(), &["upgrade", "head"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(!piped.stderr.contains("migrating"), "{}", piped.stderr);
    assert!(piped.stdout.contains("Running upgrade <base> -> slow01"));
    assert_eq!(retort(dir.path(), &["downgrade", "base"]).code, 0);
    let Some(tty) = on_a_terminal(dir.path(), "upgrade head") else {
        return;
    };
    assert!(tty.contains("migrating ("), "a bar on a terminal:\n{tty}");
    assert!(tty.contains("Running upgrade <base> -> slow01"), "{tty}");
    assert_eq!(retort(dir.path(), &["downgrade", "base"]).code, 0);
    let quiet = on_a_terminal(dir.path(), "-q upgrade head").expect("script");
    assert!(!quiet.contains("migrating"), "no bar with -q:\n{quiet}");
    assert!(!quiet.contains("Running upgrade"), "{quiet}");
}

#[test]
fn quiet_is_respected_by_init_and_list_templates() {
    let dir = temp_project();
    let run = retort(dir.path(), &["-q", "init", "p"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "", "init -q prints nothing");
    assert!(dir.path().join("p/retort.yaml").exists());
    let run = retort(&dir.path().join("p"), &["-q", "list-templates"]);
    assert_eq!(run.stdout, "yaml\nsql\n", "{}", run.stdout);
    let run = retort(&dir.path().join("p"), &["-q", "validate"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
}

#[test]
fn downgrade_relative_with_sql_is_a_usage_error() {
    let dir = temp_project();
    assert_eq!(retort(dir.path(), &["-q", "init", "."]).code, 0);
    let run = retort(dir.path(), &["downgrade", "-1", "--sql"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("FROM:TO"), "{}", run.stderr);
    assert!(run.stderr.contains("head:-1"), "{}", run.stderr);
}

#[test]
fn validate_counts_errors_and_reports_the_schema_despite_a_bad_config() {
    let dir = temp_project();
    let d = dir.path();
    std::fs::write(
        d.join("retort.yaml"),
        "databse_url: sqlite://x.db\nschema: s.yaml\n",
    )
    .expect("write");
    std::fs::write(
        d.join("s.yaml"),
        "tables:\n  t:\n    colums: {}\n  u:\n    columns:\n      id: {type: integer, nulable: false}\n",
    )
    .expect("write");
    let run = retort(d, &["validate"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("unknown key `databse_url`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("s.yaml:3:5"), "{}", run.stderr);
    assert!(run.stderr.contains("`nulable`"), "{}", run.stderr);
    let listed = run
        .stderr
        .lines()
        .filter(|l| l.contains("retort.yaml:") || l.contains("s.yaml:"))
        .count();
    assert!(
        run.stderr
            .trim_end()
            .ends_with(&format!("{listed} error(s)")),
        "the count matches the {listed} errors listed:\n{}",
        run.stderr
    );
    let json = retort(d, &["validate", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(listed));
}

#[test]
fn an_sqlalchemy_style_sqlite_url_is_warned_about() {
    let dir = temp_project();
    let d = dir.path();
    assert_eq!(retort(d, &["-q", "init", "."]).code, 0);
    let run = retort(d, &["--url", "sqlite:///app.db", "history"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: sqlite:///app.db names /app.db"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("sqlite://app.db"), "{}", run.stderr);
    for fine in ["sqlite://app.db", "sqlite:///tmp/app.db"] {
        let run = retort(d, &["--url", fine, "history"]);
        assert!(!run.stderr.contains("warning"), "{fine}: {}", run.stderr);
    }
    let run = retort(d, &["-q", "--url", "sqlite:///app.db", "history"]);
    assert!(!run.stderr.contains("warning"), "-q: {}", run.stderr);
}
