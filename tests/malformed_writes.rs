//! A corpus of malformed input to the commands that write revision files: bad revision
//! ids, bad branch labels, paths that would leave the versions directory, symlinks and
//! existing files at the target, `file_template` escapes, and templates that would let
//! a message inject keys. Each is refused with exit 1 and a message naming what was
//! refused, without a panic, and without changing the project or its SQLite database.
//! Messages that try to inject keys are written safely and read back as themselves.

mod common;

use std::path::Path;

use common::{assert_refused, copy_example_project, retort, temp_project, write};

/// A project at head on its SQLite database (inside the project, so the refusal checks
/// see the database too).
fn project() -> tempfile::TempDir {
    let dir = temp_project();
    copy_example_project(dir.path());
    let up = retort(dir.path(), &["upgrade", "head"]);
    assert_eq!(up.code, 0, "{}", up.all());
    dir
}

fn set_config(dir: &Path, key: &str, value: &str) {
    let path = dir.join("retort.yaml");
    let text = std::fs::read_to_string(&path).expect("config");
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with(&format!("{key}:")))
        .map(str::to_string)
        .collect();
    lines.push(format!("{key}: {value}"));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write config");
}

struct Case {
    name: &'static str,
    setup: fn(&Path),
    args: Vec<String>,
    needles: Vec<String>,
}

fn no_setup(_: &Path) {}

fn case(name: &'static str, args: &[&str], needles: &[&str]) -> Case {
    Case {
        name,
        setup: no_setup,
        args: args.iter().map(|s| s.to_string()).collect(),
        needles: needles.iter().map(|s| s.to_string()).collect(),
    }
}

fn with_setup(mut c: Case, setup: fn(&Path)) -> Case {
    c.setup = setup;
    c
}

fn corpus() -> Vec<Case> {
    let long = "a".repeat(256);
    let mut cases = Vec::new();
    // Revision ids, on `revision` (YAML and SQL templates) and `merge`.
    for (id, needle) in [
        ("*x", "`*`"),
        ("&x", "`&`"),
        ("null", "null"),
        ("~", "`~`"),
        ("head", "reserved"),
        ("base", "reserved"),
        ("heads", "reserved"),
        ("current", "reserved"),
        ("a@b", "`@`"),
        ("", "empty"),
        ("a\u{1}b", "control character"),
        ("a\rb", "control character"),
        ("../../X", "`/`"),
        ("/abs/path", "`/`"),
        ("..", "`.`"),
        ("a,b", "`,`"),
        ("None", "null"),
    ] {
        cases.push(case(
            "bad revision id",
            &["revision", "-m", "x", "--rev-id", id],
            &["--rev-id", needle, "nothing was written"],
        ));
    }
    cases.push(Case {
        name: "revision id over 255 characters",
        setup: no_setup,
        args: vec![
            "revision".into(),
            "-m".into(),
            "x".into(),
            "--rev-id".into(),
            long.clone(),
        ],
        needles: vec!["--rev-id".into(), "256 characters".into()],
    });
    cases.push(case(
        "bad revision id, SQL template",
        &["revision", "-m", "x", "--template", "sql", "--rev-id", "*x"],
        &["--rev-id", "`*`"],
    ));
    cases.push(case(
        "bad revision id on merge",
        &["merge", "heads", "-m", "x", "--rev-id", "../escape"],
        &["--rev-id", "`/`"],
    ));
    // Branch labels.
    for (label, needle) in [
        ("*x", "`*`"),
        ("&x", "`&`"),
        ("null", "null"),
        ("head", "reserved"),
        ("heads", "reserved"),
        ("a@b", "`@`"),
        ("", "empty"),
        ("a\u{7}", "control character"),
        ("a,b", "`,`"),
        ("a b", "` `"),
    ] {
        cases.push(case(
            "bad branch label",
            &["revision", "-m", "x", "--branch-label", label],
            &["--branch-label", needle, "nothing was written"],
        ));
    }
    cases.push(Case {
        name: "branch label over 255 characters",
        setup: no_setup,
        args: vec![
            "revision".into(),
            "-m".into(),
            "x".into(),
            "--branch-label".into(),
            long,
        ],
        needles: vec!["--branch-label".into(), "256 characters".into()],
    });
    cases.push(case(
        "bad branch label on merge, SQL",
        &["merge", "heads", "-m", "x", "--branch-label", "~"],
        &["--branch-label", "`~`"],
    ));
    // Paths outside the versions directory.
    cases.push(case(
        "version path outside the configured directories",
        &["revision", "-m", "x", "--version-path", "/tmp"],
        &["--version-path", "not one of the configured"],
    ));
    cases.push(case(
        "version path above the project",
        &["revision", "-m", "x", "--version-path", ".."],
        &["--version-path", "not one of the configured"],
    ));
    cases.push(with_setup(
        case(
            "file_template climbing out",
            &["revision", "-m", "x", "--rev-id", "abc"],
            &["file_template", "../abc", "path separator"],
        ),
        |d| set_config(d, "file_template", "\"../{rev}\""),
    ));
    cases.push(with_setup(
        case(
            "file_template absolute",
            &["revision", "-m", "x", "--rev-id", "abc"],
            &["file_template", "/tmp/abc", "path separator"],
        ),
        |d| set_config(d, "file_template", "\"/tmp/{rev}\""),
    ));
    cases.push(with_setup(
        case(
            "file_template with a sub-directory",
            &["revision", "-m", "x", "--rev-id", "abc"],
            &["file_template", "sub/abc", "path separator"],
        ),
        |d| set_config(d, "file_template", "\"sub/{rev}\""),
    ));
    cases.push(with_setup(
        case(
            "file_template with ..",
            &["revision", "-m", "x", "--rev-id", "abc"],
            &["file_template", "`..`"],
        ),
        |d| set_config(d, "file_template", "\"{rev}..{slug}\""),
    ));
    // Something already at the target path.
    cases.push(with_setup(
        case(
            "symlink to a directory outside at the target",
            &["revision", "-m", "x", "--rev-id", "abc"],
            &["abc_x.yaml", "symlink", "not overwriting"],
        ),
        |d| {
            write(&d.join("outside/keep.txt"), "keep me\n");
            std::os::unix::fs::symlink(d.join("outside"), d.join("versions/abc_x.yaml"))
                .expect("symlink");
        },
    ));
    cases.push(with_setup(
        case(
            "dangling symlink at the target",
            &["revision", "-m", "x", "--rev-id", "abc"],
            &["abc_x.yaml", "not overwriting"],
        ),
        |d| {
            std::os::unix::fs::symlink(d.join("nowhere/new.yaml"), d.join("versions/abc_x.yaml"))
                .expect("symlink");
        },
    ));
    cases.push(with_setup(
        case(
            "existing file at the target",
            &["revision", "-m", "x", "--rev-id", "abc", "--template", "sql"],
            &["abc_x.sql", "not overwriting"],
        ),
        |d| {
            write(
                &d.join("versions/abc_x.sql"),
                "-- someone else's\n-- revision: zzz\n-- down_revision: 4d5e6f708192\n\n-- +upgrade\n\n-- +downgrade\n",
            )
        },
    ));
    // A user template that writes the message raw cannot let it inject keys.
    cases.push(with_setup(
        case(
            "user template writing the message raw",
            &[
                "revision",
                "-m",
                "x\nupgrade: [{execute: \"DELETE FROM accounts\"}]",
                "--template",
                "templates/raw.tera",
            ],
            &["templates/raw.tera", "nothing was written"],
        ),
        |d| {
            write(
                &d.join("templates/raw.tera"),
                "revision: {{ revision }}\ndown_revision: {{ down_revision_yaml }}\nmessage: {{ message }}\nupgrade: []\ndowngrade: []\n",
            )
        },
    ));
    cases
}

#[test]
fn malformed_writes_are_refused_and_change_nothing() {
    let cases = corpus();
    assert!(cases.len() >= 25, "{} cases", cases.len());
    let dir = project();
    for c in &cases {
        let scratch = temp_project();
        copy_dir(dir.path(), scratch.path());
        (c.setup)(scratch.path());
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let needles: Vec<&str> = c.needles.iter().map(String::as_str).collect();
        let run = assert_refused(scratch.path(), &args, &needles);
        assert!(
            run.stdout.trim().is_empty(),
            "{}: printed a result: {}",
            c.name,
            run.stdout
        );
        // The database is untouched too (the snapshot covers it) and still where it was.
        let current = retort(scratch.path(), &["current"]);
        assert!(
            current.stdout.contains("4d5e6f708192"),
            "{}: {}",
            c.name,
            current.all()
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("read dir") {
        let p = e.expect("entry").path();
        let target = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy");
        }
    }
}

/// Messages that once injected keys or operations are written quoted: the file reads back
/// as the same message, and its only operations are the ones retort wrote.
#[test]
fn injected_messages_read_back_as_themselves() {
    let dir = project();
    let evil = [
        "x\rupgrade: [{execute: \"DELETE FROM accounts\"}]",
        "x\nupgrade: [{execute: \"DELETE FROM accounts\"}]",
        "x\r\n-- +upgrade\nDELETE FROM accounts;",
        "revision: other",
        "-- +downgrade",
        "# not a comment: \"quoted\" 'single' \\ back\tslash \u{7} \u{2028} end",
        "  leading and trailing  ",
        "null",
    ];
    for (i, message) in evil.iter().enumerate() {
        for template in ["yaml", "sql"] {
            let id = format!("evil{i}{template}");
            let run = retort(
                dir.path(),
                &[
                    "revision",
                    &format!("--message={message}"),
                    "--rev-id",
                    &id,
                    "--template",
                    template,
                ],
            );
            assert_eq!(run.code, 0, "{message:?} {template}: {}", run.all());
            let show = retort(dir.path(), &["--format", "json", "show", &id]);
            assert_eq!(show.code, 0, "{}", show.all());
            let json: serde_json::Value =
                serde_json::from_str(show.stdout.trim()).expect("show JSON");
            assert_eq!(json["message"], *message, "{template}: {}", show.stdout);
            let sql = retort(dir.path(), &["upgrade", "--sql", "head"]);
            assert_eq!(sql.code, 0, "{}", sql.all());
            let statements: Vec<&str> = sql
                .stdout
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect();
            assert!(
                !statements
                    .iter()
                    .any(|l| l.contains("DELETE FROM accounts")),
                "{message:?} {template} injected an operation:\n{}",
                sql.stdout
            );
        }
    }
    let up = retort(dir.path(), &["upgrade", "head"]);
    assert_eq!(up.code, 0, "{}", up.all());
}
