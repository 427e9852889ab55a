//! Issue 12 item 9: the config file is found the way cargo finds `Cargo.toml` — `-c`,
//! else `$RETORT_CONFIG`, else `retort.yaml` in the current directory or the nearest
//! parent — and without one every command but `init`, `list-templates` and `--help`
//! refuses. Relative paths in the config (versions, schema, a relative `sqlite://` URL)
//! are relative to the config file's directory, like Alembic's `%(here)s`.

mod common;

use std::path::Path;

use retort_engine::db::Connection;

use common::{assert_refused, backends, retort, retort_with_env, temp_project, write, Run};

const SCHEMA: &str = "tables:\n  items:\n    columns:\n      id: {type: integer, primary_key: true}\n      name: {type: varchar(40), nullable: false}\n";

/// No directory above `dir` holds a retort.yaml (else the test would prove nothing).
fn assert_no_config_above(dir: &Path) {
    for d in dir.ancestors() {
        assert!(
            !d.join("retort.yaml").exists(),
            "{} exists; this test needs a directory without a retort.yaml above it",
            d.join("retort.yaml").display()
        );
    }
}

// Alembic refuses every command but `init` and `list_templates` when it finds no
// alembic.ini ("No config file 'alembic.ini' found"); it never runs on defaults. Cargo
// says "could not find `Cargo.toml` in DIR or any parent directory". retort does both:
// exit 1, a hint to run `retort init`, and nothing written (no stray retort.db, no
// versions/ directory).
#[test]
fn without_a_config_every_command_but_init_and_list_templates_refuses() {
    let dir = temp_project();
    let sub = dir.path().join("nested/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    assert_no_config_above(&sub);
    let commands: &[&[&str]] = &[
        &["upgrade", "head"],
        &["upgrade", "head", "--sql"],
        &["downgrade", "base"],
        &["revision", "-m", "first"],
        &["revision", "--autogenerate", "-m", "first"],
        &["merge", "heads", "-m", "m"],
        &["current"],
        &["history"],
        &["heads"],
        &["branches"],
        &["show", "head"],
        &["edit", "head"],
        &["stamp", "head"],
        &["check"],
        &["diff"],
        &["reflect"],
        &["validate"],
        &["-v", "current"],
    ];
    let want = format!("no retort.yaml found in {} or its parents", sub.display());
    for args in commands {
        assert_refused(&sub, args, &[&want, "run `retort init`"]);
    }
    // --url does not make a project either.
    assert_refused(
        &sub,
        &["upgrade", "head", "--url", "sqlite://x.db"],
        &[&want],
    );

    for args in [
        &["list-templates"][..],
        &["--help"],
        &["upgrade", "--help"],
        &["help", "revision"],
    ] {
        let run = retort(&sub, args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.all());
    }
    let run = retort(&sub, &["list-templates"]);
    assert!(run.stdout.contains("yaml"), "{}", run.all());
    let run = retort(&sub, &["init"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(sub.join("retort.yaml").is_file());
    let run = retort(&sub, &["validate"]);
    assert_eq!(run.code, 0, "{}", run.all());
}

/// A project at `root` whose database is `url` (written into retort.yaml as is).
fn project(root: &Path, url: &str) {
    write(
        &root.join("retort.yaml"),
        &format!("database_url: {url}\nversions: migrations\nschema: db/schema.yaml\n"),
    );
    write(&root.join("db/schema.yaml"), SCHEMA);
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    std::fs::create_dir_all(root.join("src/deep")).unwrap();
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let run = retort(dir, args);
    assert_eq!(
        run.code,
        0,
        "retort {args:?} in {}: {}",
        dir.display(),
        run.all()
    );
    run
}

// Cargo run from a subdirectory uses the package's Cargo.toml and its paths; Alembic's
// `%(here)s` makes paths in alembic.ini relative to the ini file. So from src/deep:
// revisions go to the project's migrations/, the schema is the project's, a relative
// `sqlite://` URL names a file next to retort.yaml, and `-v` says which config and
// database (password masked) the command uses.
#[tokio::test]
async fn a_subdirectory_uses_the_project_config_and_its_relative_paths() {
    let root = temp_project();
    for b in backends("config_subdir", root.path()).await {
        let dir = root.path().join(b.name);
        let url = if b.name == "sqlite" {
            "sqlite://data/app.db".to_string()
        } else {
            b.url.clone()
        };
        std::fs::create_dir_all(dir.join("data")).unwrap();
        project(&dir, &url);
        let deep = dir.join("src/deep");
        let made = ok(&deep, &["revision", "--autogenerate", "-m", "items"]);
        let files: Vec<_> = std::fs::read_dir(dir.join("migrations"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(files.len(), 1, "{}: {}", b.name, made.all());
        assert!(!deep.join("versions").exists() && !deep.join("migrations").exists());
        ok(&deep, &["upgrade", "head"]);
        if b.name == "sqlite" {
            let file = dir.join("data/app.db");
            assert!(file.is_file());
            assert!(!deep.join("data").exists() && !deep.join("retort.db").exists());
            let mut conn = Connection::connect(&format!("sqlite://{}", file.display()))
                .await
                .unwrap();
            let rows = conn
                .query("SELECT name FROM sqlite_master WHERE name = 'items'")
                .await
                .unwrap();
            conn.close().await;
            assert_eq!(rows.len(), 1, "items is in data/app.db");
        } else {
            assert!(
                b.tables().await.contains(&"items".to_string()),
                "{}",
                b.name
            );
        }
        ok(&deep, &["check"]);

        let run = ok(&deep, &["-v", "current"]);
        let config_line = format!("Using config {}", dir.join("retort.yaml").display());
        assert!(
            run.all().contains(&config_line),
            "{}: {}",
            b.name,
            run.all()
        );
        let db_line = if b.name == "sqlite" {
            format!(
                "Using database sqlite://{}",
                dir.join("data/app.db").display()
            )
        } else {
            format!("Using database {}", retort_engine::db::mask_url(&b.url))
        };
        assert!(run.all().contains(&db_line), "{}: {}", b.name, run.all());
        if let Some(pw) = retort_engine::db::url_password(&b.url).filter(|p| !p.is_empty()) {
            assert!(
                !run.all().contains(&format!(":{pw}@")),
                "{}: password printed",
                b.name
            );
            assert!(run.all().contains("***"), "{}: {}", b.name, run.all());
        }
        // The flag is global: after the subcommand too, on any command.
        let run = ok(&deep, &["history", "-v"]);
        assert!(run.all().contains(&config_line), "{}", run.all());
        let run = ok(&deep, &["upgrade", "head", "--verbose"]);
        assert!(run.all().contains(&db_line), "{}", run.all());
        let quiet = ok(&deep, &["heads"]);
        assert!(!quiet.all().contains("Using config"), "{}", quiet.all());
        b.drop().await;
    }
}

// Alembic: `-c FILE` beats `$ALEMBIC_CONFIG`, which beats ./alembic.ini; a named file
// that does not exist is an error, never a fallback to another file.
#[test]
fn explicit_config_then_environment_then_search() {
    let dir = temp_project();
    let root = dir.path();
    for name in ["a", "b", "c"] {
        write(
            &root.join(name).join("retort.yaml"),
            &format!("database_url: sqlite://{name}.db\n"),
        );
        write(&root.join(name).join("schema.yaml"), "tables: {}\n");
    }
    let in_c = root.join("c/sub");
    std::fs::create_dir_all(&in_c).unwrap();
    let used = |run: &Run| -> String {
        assert_eq!(run.code, 0, "{}", run.all());
        run.all()
            .lines()
            .find_map(|l| l.strip_prefix("Using config "))
            .unwrap_or_default()
            .to_string()
    };
    let found = used(&retort(&in_c, &["-v", "heads"]));
    assert!(found.ends_with("c/retort.yaml"), "{found}");
    let env_run = retort_with_env(
        &in_c,
        &["-v", "heads"],
        &[("RETORT_CONFIG", "../../b/retort.yaml")],
    );
    assert!(
        used(&env_run).ends_with("b/retort.yaml"),
        "{}",
        env_run.all()
    );
    let both = retort_with_env(
        &in_c,
        &["-v", "-c", "../../a/retort.yaml", "heads"],
        &[("RETORT_CONFIG", "../../b/retort.yaml")],
    );
    assert!(used(&both).ends_with("a/retort.yaml"), "{}", both.all());
    let db = retort_with_env(
        &in_c,
        &["-v", "heads"],
        &[("RETORT_CONFIG", "../../b/retort.yaml")],
    );
    assert!(
        db.all().contains(&format!(
            "Using database sqlite://{}",
            root.join("b/b.db").display()
        )),
        "{}",
        db.all()
    );

    let missing = retort_with_env(&in_c, &["heads"], &[("RETORT_CONFIG", "nope.yaml")]);
    assert_eq!(missing.code, 1, "{}", missing.all());
    assert!(missing.stderr.contains("nope.yaml"), "{}", missing.stderr);
    let missing = retort(&in_c, &["-c", "nope.yaml", "heads"]);
    assert_eq!(missing.code, 1, "{}", missing.all());
    assert!(missing.stderr.contains("nope.yaml"), "{}", missing.stderr);
}
