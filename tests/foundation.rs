//! Issue 2: project layout, `init`, `validate`, configuration, URL masking, and
//! connections to all three backends through the real binary.

mod common;

use common::{backends, retort, temp_project, write};

fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        let rel = entry.strip_prefix(dir).unwrap().display().to_string();
        let bytes = if entry.is_file() {
            std::fs::read(&entry).unwrap()
        } else {
            b"<dir>".to_vec()
        };
        out.push((rel, bytes));
    }
    out.sort();
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn help_lists_only_implemented_commands() {
    let dir = temp_project();
    let run = retort(dir.path(), &["--help"]);
    assert_eq!(run.code, 0);
    let listed: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for cmd in &listed {
        if *cmd == "help" {
            continue;
        }
        let r = retort(dir.path(), &[cmd, "--help"]);
        assert_eq!(r.code, 0, "{cmd} --help: {}", r.all());
    }
    assert!(
        listed.contains(&"init") && listed.contains(&"validate"),
        "{listed:?}"
    );
}

#[test]
fn init_creates_project_and_never_overwrites() {
    let dir = temp_project();
    let run = retort(dir.path(), &["init", "demo"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let demo = dir.path().join("demo");
    assert!(demo.join("retort.yaml").is_file());
    assert!(demo.join("schema.yaml").is_file());
    assert!(demo.join("versions").is_dir());
    assert!(run.stdout.contains("Next steps"), "{}", run.stdout);
    std::fs::write(demo.join("schema.yaml"), "tables: {}\n# edited\n").unwrap();
    let before = snapshot(&demo);
    let again = retort(dir.path(), &["init", "demo"]);
    assert_eq!(again.code, 1, "{}", again.all());
    assert!(
        again.stderr.contains("never overwrites"),
        "{}",
        again.stderr
    );
    assert_eq!(snapshot(&demo), before, "a second init changed files");
    let fresh = retort(&demo, &["validate"]);
    assert_eq!(fresh.code, 0, "{}", fresh.all());
}

#[test]
fn init_sql_template_is_recorded() {
    let dir = temp_project();
    assert_eq!(retort(dir.path(), &["init", "--template", "sql"]).code, 0);
    let text = std::fs::read_to_string(dir.path().join("retort.yaml")).unwrap();
    assert!(text.contains("template: sql"), "{text}");
}

/// One schema per kind of mistake in the issue, each checked for its own message and position.
#[test]
fn validate_reports_every_mistake_with_position() {
    let dir = common::temp_project_with_config();
    let schema = r#"enums:
  color: [red, green]
tables:
  users:
    columns:
      id: {type: integer, primary_key: true, nullable: true}
      name: {type: varchar(oops), nulable: false}
      shade: {type: enum(colour)}
      team_id: {type: integer, foreign_key: teams.id}
      org_id: {type: integer, foreign_key: users.missing}
    indexes:
      - {name: ix_users_name, columns: [nme]}
    unique:
      - {columns: [ghost]}
  posts:
    columns:
      id: {type: integer, primary_key: true}
    indexes:
      - {name: ix_users_name, columns: [id]}
    checks:
      - {name: ix_users_name, expr: id > 0}
"#;
    write(&dir.path().join("schema.yaml"), schema);
    let run = retort(dir.path(), &["validate"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let err = run.stderr;
    let expected = [
        ("schema.yaml:7:20", "bad type for column `users.name`"),
        ("schema.yaml:7:35", "unknown key `nulable`"),
        ("schema.yaml:8:21", "unknown enum `colour`"),
        ("schema.yaml:9:", "refers to table `teams`"),
        ("schema.yaml:10:", "refers to column `users.missing`"),
        ("schema.yaml:12:", "names column `nme`"),
        ("schema.yaml:14:", "names column `ghost`"),
        // Names are unique per table (whether also across tables depends on the
        // backend: tests/fidelity_mysql.rs, validate's unit tests).
        (
            "schema.yaml:21:",
            "duplicate index or constraint name `ix_users_name` in table `posts`",
        ),
    ];
    for (pos, msg) in expected {
        assert!(
            err.lines().any(|l| l.contains(pos) && l.contains(msg)),
            "expected `{pos}` with `{msg}` in:\n{err}"
        );
    }
    assert!(
        err.contains(&format!("{} error(s)", expected.len())),
        "{err}"
    );
}

#[test]
fn validate_accepts_a_valid_schema_and_reports_config_errors() {
    let dir = common::temp_project_with_config();
    write(
        &dir.path().join("schema.yaml"),
        "tables:\n  t:\n    columns:\n      id: {type: integer, primary_key: true}\n      \"reply-to\": text\n",
    );
    let ok = retort(dir.path(), &["validate"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    write(
        &dir.path().join("retort.yaml"),
        "schema: schema.yaml\nverions: v\n",
    );
    let bad = retort(dir.path(), &["validate"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("retort.yaml:2:1: unknown key `verions`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn schema_directory_merges_and_rejects_a_table_defined_twice() {
    let dir = temp_project();
    write(&dir.path().join("retort.yaml"), "schema: model\n");
    write(
        &dir.path().join("model/a.yaml"),
        "tables:\n  a:\n    columns: {id: integer}\n",
    );
    write(
        &dir.path().join("model/b.yaml"),
        "tables:\n  b:\n    columns:\n      a_id: {type: integer, foreign_key: a.id}\n",
    );
    let ok = retort(dir.path(), &["validate"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert!(ok.stdout.contains("2 tables"), "{}", ok.stdout);
    write(
        &dir.path().join("model/c.yaml"),
        "tables:\n  a:\n    columns: {id: integer}\n",
    );
    let dup = retort(dir.path(), &["validate"]);
    assert_eq!(dup.code, 1);
    assert!(
        dup.stderr
            .contains("c.yaml:2:3: table `a` is defined twice"),
        "{}",
        dup.stderr
    );
}

#[test]
fn config_discovery_and_interpolation() {
    let dir = temp_project();
    write(
        &dir.path().join("conf/custom.yaml"),
        "database_url: ${RETORT_TEST_NOPE:-sqlite://x.db}\nschema: s.yaml\n",
    );
    write(&dir.path().join("conf/s.yaml"), "tables: {}\n");
    let run = retort(dir.path(), &["-c", "conf/custom.yaml", "validate"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("/conf/x.db"),
        "relative SQLite path resolves against the config dir: {}",
        run.stdout
    );
    let run = std::process::Command::new(common::retort_bin())
        .arg("validate")
        .current_dir(dir.path())
        .env("RETORT_CONFIG", "conf/custom.yaml")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let missing = retort(dir.path(), &["-c", "nope.yaml", "validate"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("nope.yaml not found"),
        "{}",
        missing.stderr
    );
}

#[test]
fn passwords_are_never_printed() {
    let dir = common::temp_project_with_config();
    write(&dir.path().join("schema.yaml"), "tables: {}\n");
    for args in [
        vec!["validate", "--url", "postgres://u:secret@127.0.0.1:1/x"],
        vec!["current", "--url", "postgres://u:secret@127.0.0.1:1/x"],
        vec!["current", "--url", "mysql://u:secret@127.0.0.1:1/x"],
    ] {
        let run = retort(dir.path(), &args);
        assert!(
            !run.all().contains("secret"),
            "{args:?} printed the password: {}",
            run.all()
        );
        assert!(run.all().contains("u:***@127.0.0.1"), "{}", run.all());
    }
    let refused = retort(
        dir.path(),
        &["current", "--url", "postgres://u:secret@127.0.0.1:1/x"],
    );
    assert_eq!(refused.code, 1);
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "one clear line: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("connection refused"),
        "{}",
        refused.stderr
    );
    write(
        &dir.path().join("retort.yaml"),
        "database_url: postgres://u:hunter2@127.0.0.1:1/x\n",
    );
    let from_config = retort(dir.path(), &["current"]);
    assert!(
        !from_config.all().contains("hunter2"),
        "{}",
        from_config.all()
    );
}

#[tokio::test]
async fn connects_to_every_backend() {
    let dir = common::temp_project_with_config();
    write(&dir.path().join("schema.yaml"), "tables: {}\n");
    for b in backends("connects_to_every_backend", dir.path()).await {
        let run = retort(dir.path(), &["current", "--url", &b.url]);
        assert_eq!(run.code, 0, "{}: {}", b.name, run.all());
        assert_eq!(
            run.stdout.trim(),
            "",
            "{}: a fresh database is at no revision",
            b.name
        );
        let tables = match b.name {
            "sqlite" => b.query("SELECT name FROM sqlite_master WHERE name = 'retort_version'").await,
            "postgres" => {
                b.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'retort_version'")
                    .await
            }
            _ => {
                b.query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'retort_version'")
                    .await
            }
        };
        assert!(
            tables.is_empty(),
            "{}: current must not create the version table",
            b.name
        );
        if let Some(bad) = b.with_password("wrong-pass") {
            let run = retort(dir.path(), &["current", "--url", &bad]);
            assert_eq!(run.code, 1, "{}", b.name);
            assert!(
                run.stderr.contains("authentication failed"),
                "{}: {}",
                b.name,
                run.stderr
            );
            assert!(
                !run.all().contains("wrong-pass"),
                "{}: {}",
                b.name,
                run.all()
            );
        }
        if b.name != "sqlite" {
            let unknown = b.url.replace("/rt_", "/nodb_");
            let run = retort(dir.path(), &["current", "--url", &unknown]);
            assert_eq!(run.code, 1);
            assert!(
                run.stderr.contains("unknown database"),
                "{}: {}",
                b.name,
                run.stderr
            );
        }
        b.drop().await;
    }
}
