//! Passwords never reach output: every command that takes a database URL, over every
//! form a password can take in a URL (user information with `/` `?` `@` in it,
//! percent-encoded, `?password=`), from `--url`, from `retort.yaml` and from `${VAR}`,
//! against unreachable servers and against the real test servers (as a user that does
//! not exist, so authentication fails).

mod common;

use std::path::Path;
use std::process::Command;

use common::{copy_example_project, retort_bin, temp_project, Run};

const SECRET: &str = "secretPW1";

/// Every command that touches a database, with and without JSON output.
const COMMANDS: &[&[&str]] = &[
    &["current"],
    &["current", "-v"],
    &["--format", "json", "current"],
    &["upgrade", "head"],
    &["downgrade", "base"],
    &["stamp", "head"],
    &["check"],
    &["diff"],
    &["diff", "--sql"],
    &["reflect"],
    &["history", "-i"],
    &["--format", "json", "history", "-i"],
    &["revision", "--autogenerate", "-m", "x"],
    &["upgrade", "--sql", "head"],
    &["stamp", "--sql", "head"],
];

/// The URLs with the secret as password, in every form, for a server at `host_port`.
fn url_forms(scheme: &str, host_port: &str, user: &str) -> Vec<String> {
    vec![
        format!("{scheme}://{user}:{SECRET}@{host_port}/retort"),
        format!("{scheme}://{user}@{host_port}/retort?password={SECRET}"),
        format!("{scheme}://{user}@{host_port}/retort?sslmode=disable&password={SECRET}"),
        format!("{scheme}://{user}:{SECRET}/x@{host_port}/retort"),
        format!("{scheme}://{user}:{SECRET}?x@{host_port}/retort"),
        format!("{scheme}://{user}:{SECRET}@x@{host_port}/retort"),
        format!("{scheme}://{user}:{SECRET}%2Fx@{host_port}/retort"),
    ]
}

fn host_port(url: &str) -> Option<String> {
    let rest = &url[url.find("://")? + 3..];
    let rest = &rest[rest.rfind('@').map_or(0, |i| i + 1)..];
    Some(rest[..rest.find(['/', '?']).unwrap_or(rest.len())].to_string())
}

/// Every scheme and server to try: unreachable ports always, the real servers when the
/// test environment names them.
fn targets() -> Vec<(String, String)> {
    let mut out = vec![
        ("postgres".to_string(), "127.0.0.1:1".to_string()),
        ("postgresql".to_string(), "127.0.0.1:1".to_string()),
        ("mysql".to_string(), "127.0.0.1:1".to_string()),
        ("mariadb".to_string(), "127.0.0.1:1".to_string()),
    ];
    for (var, schemes) in [
        ("RETORT_TEST_POSTGRES_URL", ["postgres"]),
        ("RETORT_TEST_MYSQL_URL", ["mariadb"]),
    ] {
        if let Some(hp) = std::env::var(var).ok().as_deref().and_then(host_port) {
            for s in schemes {
                out.push((s.to_string(), hp.clone()));
            }
        } else {
            eprintln!("skipping the real server for {var}: unset");
        }
    }
    out
}

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(retort_bin());
    cmd.args(args)
        .current_dir(dir)
        .env_remove("RETORT_CONFIG")
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the retort binary runs").into()
}

fn assert_no_secret(run: &Run, what: &str) {
    let all = run.all();
    for leak in [SECRET, "secretPW1%2Fx", "secretPW1/x"] {
        assert!(!all.contains(leak), "{what} printed the password:\n{all}");
    }
    assert!(
        !all.contains("panicked"),
        "{what} panicked instead of failing cleanly:\n{all}"
    );
}

#[test]
fn no_command_prints_a_password_given_with_url() {
    let dir = temp_project();
    copy_example_project(dir.path());
    let mut checked = 0;
    for (scheme, hp) in targets() {
        let user = if hp.ends_with(":1") { "u" } else { "nouser_h2" };
        for (i, url) in url_forms(&scheme, &hp, user).into_iter().enumerate() {
            // Every command with the first form; a rotating third of them with the others.
            for (j, cmd) in COMMANDS.iter().enumerate() {
                if i > 0 && (i + j) % 3 != 0 {
                    continue;
                }
                let mut args: Vec<&str> = cmd.to_vec();
                args.extend(["--url", &url]);
                let run = run_env(dir.path(), &args, &[]);
                assert_no_secret(&run, &format!("retort {}", args.join(" ")));
                checked += 1;
            }
        }
    }
    assert!(checked >= 4 * (COMMANDS.len() + 6 * 4));
}

#[test]
fn failures_name_the_server_and_read_normally() {
    let dir = temp_project();
    copy_example_project(dir.path());
    // A one-letter password that occurs in the message and the host name.
    let run = run_env(
        dir.path(),
        &["current", "--url", "postgres://u:o@localhost:1/postgres"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains(
            "cannot connect to postgres://u:***@localhost:1/postgres: connection refused"
        ),
        "{}",
        run.stderr
    );
    // A query-parameter password is masked and the rest of the URL kept.
    let run = run_env(
        dir.path(),
        &[
            "current",
            "--url",
            &format!("postgres://u@127.0.0.1:1/db?password={SECRET}&sslmode=disable"),
        ],
        &[],
    );
    assert!(
        run.stderr
            .contains("postgres://u@127.0.0.1:1/db?password=***&sslmode=disable"),
        "{}",
        run.stderr
    );
    if let Ok(server) = std::env::var("RETORT_TEST_POSTGRES_URL") {
        let hp = host_port(&server).expect("host and port");
        let run = run_env(
            dir.path(),
            &[
                "current",
                "--url",
                &format!("postgres://nouser_h2:{SECRET}@{hp}/retort"),
            ],
            &[],
        );
        assert!(
            run.stderr.contains("authentication failed"),
            "{}",
            run.stderr
        );
        assert_no_secret(&run, "current against the real server");
    }
}

#[test]
fn no_command_prints_a_password_from_the_config_or_the_environment() {
    for (scheme, hp) in targets() {
        let user = if hp.ends_with(":1") { "u" } else { "nouser_h2" };
        for (i, url) in url_forms(&scheme, &hp, user).into_iter().enumerate() {
            for from_env in [false, true] {
                let dir = temp_project();
                copy_example_project(dir.path());
                let config = std::fs::read_to_string(dir.path().join("retort.yaml"))
                    .expect("example config");
                let value = if from_env {
                    "${H2_SECRET_URL}".to_string()
                } else {
                    format!("\"{url}\"")
                };
                let config: String = config
                    .lines()
                    .map(|l| {
                        if l.starts_with("database_url:") {
                            format!("database_url: {value}")
                        } else {
                            l.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                std::fs::write(dir.path().join("retort.yaml"), config).expect("write config");
                let commands = [
                    &["current", "-v"][..],
                    &["upgrade", "head"],
                    &["--format", "json", "check"],
                    &["history", "-i"],
                    &["validate"],
                    &["upgrade", "--sql", "head"],
                ];
                // Two commands per form and source, rotating through all of them.
                for k in 0..2 {
                    let cmd = commands[(2 * i + k + usize::from(from_env)) % commands.len()];
                    let run = run_env(dir.path(), cmd, &[("H2_SECRET_URL", &url)]);
                    assert_no_secret(
                        &run,
                        &format!(
                            "retort {} with {} {url}",
                            cmd.join(" "),
                            if from_env { "${VAR} =" } else { "retort.yaml" }
                        ),
                    );
                }
            }
        }
    }
}
