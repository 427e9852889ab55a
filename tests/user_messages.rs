//! Messages that once exposed internals now speak to users, and commands that only read
//! never create a SQLite database file.

mod common;

use common::{retort, temp_project, write};

fn init_project() -> tempfile::TempDir {
    let dir = temp_project();
    let init = retort(dir.path(), &["init", "."]);
    assert_eq!(init.code, 0, "{}", init.all());
    dir
}

#[test]
fn sqlite_alter_column_on_a_missing_table_says_it_does_not_exist() {
    let dir = init_project();
    write(
        &dir.path().join("versions/a_x.yaml"),
        "revision: a\ndown_revision: null\nupgrade:\n  - alter_column: {table: nosuch, name: c, nullable: false}\ndowngrade: []\n",
    );
    let run = retort(dir.path(), &["upgrade", "head"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("table `nosuch` does not exist"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("render context"), "{}", run.stderr);
    assert!(run.stderr.contains("revision a"), "{}", run.stderr);
}

#[test]
fn an_empty_enum_asks_for_a_value_not_a_column() {
    let dir = init_project();
    write(
        &dir.path().join("schema.yaml"),
        "enums:\n  mood: []\ntables:\n  t:\n    columns:\n      id: {type: integer, primary_key: true}\n",
    );
    let run = retort(dir.path(), &["validate"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("schema.yaml:2:")
            && run
                .stderr
                .contains("enum `mood` must list at least one value"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("column"), "{}", run.stderr);
}

#[test]
fn a_sqlite_url_at_a_file_that_is_not_a_database_names_the_file() {
    let dir = init_project();
    write(
        &dir.path().join("notes.txt"),
        &"these are notes, not a database\n".repeat(20),
    );
    for cmd in [&["current"][..], &["upgrade", "head"], &["reflect"]] {
        let mut args = cmd.to_vec();
        args.extend(["--url", "sqlite://notes.txt"]);
        let run = retort(dir.path(), &args);
        assert_eq!(run.code, 1, "{}", run.all());
        assert!(
            run.stderr
                .contains("notes.txt is not a SQLite database (file is not a database)"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("SQL: SELECT"), "{}", run.stderr);
    }
    let text = std::fs::read_to_string(dir.path().join("notes.txt")).expect("notes");
    assert!(text.starts_with("these are notes"));
}

#[test]
fn read_only_commands_never_create_a_sqlite_file() {
    let dir = init_project();
    let db = dir.path().join("missing.db");
    let url = format!("sqlite://{}", db.display());
    for cmd in [
        &["current"][..],
        &["current", "-v"],
        &["--format", "json", "current"],
        &["history", "-i"],
        &["check"],
        &["diff"],
        &["diff", "--sql"],
        &["reflect"],
        &["heads"],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--url", &url]);
        let run = retort(dir.path(), &args);
        assert!(
            !run.all().contains("panicked"),
            "{args:?} panicked: {}",
            run.all()
        );
        assert!(
            !db.exists(),
            "`retort {}` created {}: {}",
            args.join(" "),
            db.display(),
            run.all()
        );
    }
    // The default database of a fresh project is not created by reading either.
    let run = retort(dir.path(), &["current"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!dir.path().join("retort.db").exists());
    // A command that writes still creates it.
    let up = retort(dir.path(), &["upgrade", "head", "--url", &url]);
    assert_eq!(up.code, 0, "{}", up.all());
    assert!(db.exists());
}

#[test]
fn a_run_against_a_server_reports_its_revision_files_before_its_connection() {
    // `upgrade` and `downgrade` start connecting to a server while they read the
    // revision files: what the user is told, and in which order, must not change.
    let dir = init_project();
    let p = dir.path();
    for url in [
        "postgres://u:secret@127.0.0.1:1/x",
        "mysql://u:secret@127.0.0.1:1/x",
    ] {
        write(
            &p.join("versions/a_x.yaml"),
            "revision: a\ndown_revision: null\nupgrade: []\ndowngrade: []\n",
        );
        for command in ["upgrade", "downgrade"] {
            let target = if command == "upgrade" { "head" } else { "base" };
            let run = retort(p, &[command, target, "--url", url]);
            assert_eq!(run.code, 1, "{}", run.all());
            assert!(
                run.stderr.contains("cannot connect to") && run.stderr.contains("u:***@"),
                "{url} {command}: {}",
                run.stderr
            );
            assert!(!run.stderr.contains("secret"), "{}", run.stderr);
        }
        // A broken revision file is reported, and the unreachable server is not.
        write(&p.join("versions/a_x.yaml"), "revision: [unclosed\n");
        let run = retort(p, &["upgrade", "head", "--url", url]);
        assert_eq!(run.code, 1, "{}", run.all());
        assert!(
            run.stderr.contains("invalid revision files") && run.stderr.contains("a_x.yaml"),
            "{url}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("cannot connect"),
            "{url}: {}",
            run.stderr
        );
    }
}
