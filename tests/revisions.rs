//! Issue 3 through the binary: revision files, templates, the graph commands and
//! validation of the revision graph. (The graph's planning semantics are unit-tested
//! in `engine/src/script/graph_tests.rs`.)

mod common;

use std::path::Path;

use common::{retort, write};

fn project() -> tempfile::TempDir {
    let dir = common::temp_project_with_config();
    write(&dir.path().join("schema.yaml"), "tables: {}\n");
    dir
}

fn rev(dir: &Path, args: &[&str]) -> common::Run {
    let mut all = vec!["revision"];
    all.extend_from_slice(args);
    let run = retort(dir, &all);
    assert_eq!(run.code, 0, "revision {args:?}: {}", run.all());
    run
}

fn revision_file(id: &str, down: &str, extra: &str) -> String {
    format!("revision: {id}\ndown_revision: {down}\n{extra}message: rev {id}\nupgrade: []\ndowngrade: []\n")
}

#[test]
fn revision_creates_linear_history_and_refuses_a_second_head() {
    let dir = project();
    let first = rev(
        dir.path(),
        &["-m", "create users", "--rev-id", "a1a1a1a1a1a1"],
    );
    assert!(
        first
            .stdout
            .contains("versions/a1a1a1a1a1a1_create_users.yaml"),
        "{}",
        first.stdout
    );
    rev(dir.path(), &["-m", "add email", "--rev-id", "b2b2b2b2b2b2"]);
    let text =
        std::fs::read_to_string(dir.path().join("versions/b2b2b2b2b2b2_add_email.yaml")).unwrap();
    assert!(text.contains("down_revision: a1a1a1a1a1a1"), "{text}");
    assert!(
        text.contains("# Revision ID: b2b2b2b2b2b2") && text.contains("# Create Date: "),
        "{text}"
    );
    // A generated id is 12 lowercase hex digits.
    let gen = rev(dir.path(), &["-q", "-m", "third"]);
    let name = Path::new(gen.stdout.trim())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_string();
    let id = &name[..12];
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{name}"
    );
    // Branching from a non-head needs --splice.
    let refused = retort(dir.path(), &["revision", "-m", "x", "--head", "a1a1"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("is not a head revision; please specify --splice"),
        "{}",
        refused.stderr
    );
    rev(
        dir.path(),
        &[
            "-m",
            "side",
            "--head",
            "a1a1",
            "--splice",
            "--branch-label",
            "side",
            "--rev-id",
            "c3c3c3c3c3c3",
        ],
    );
    // Two heads now: a plain revision is refused, naming both.
    let two = retort(dir.path(), &["revision", "-m", "y"]);
    assert_eq!(two.code, 1);
    assert!(
        two.stderr.contains("Multiple heads are present") && two.stderr.contains("c3c3c3c3c3c3"),
        "{}",
        two.stderr
    );
    // LABEL@head picks the branch.
    rev(
        dir.path(),
        &[
            "-m",
            "on side",
            "--head",
            "side@head",
            "--rev-id",
            "d4d4d4d4d4d4",
        ],
    );
    let heads = retort(dir.path(), &["heads"]);
    assert!(
        heads.stdout.contains("d4d4d4d4d4d4 (side) (head)"),
        "{}",
        heads.stdout
    );
    // Bad ids and labels in use are refused.
    let bad = retort(
        dir.path(),
        &["revision", "-m", "z", "--head", "d4d4", "--rev-id", "a-b"],
    );
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("invalid"), "{}", bad.stderr);
    let dup = retort(
        dir.path(),
        &[
            "revision",
            "-m",
            "z",
            "--head",
            "d4d4",
            "--branch-label",
            "side",
        ],
    );
    assert_eq!(dup.code, 1);
    assert!(dup.stderr.contains("already used"), "{}", dup.stderr);
}

#[test]
fn merge_depends_on_and_graph_views() {
    let dir = project();
    rev(dir.path(), &["-m", "base", "--rev-id", "aaaa00000001"]);
    rev(
        dir.path(),
        &[
            "-m",
            "left",
            "--rev-id",
            "bbbb00000001",
            "--branch-label",
            "left",
        ],
    );
    rev(
        dir.path(),
        &[
            "-m",
            "right",
            "--head",
            "aaaa",
            "--splice",
            "--rev-id",
            "cccc00000001",
        ],
    );
    let branches = retort(dir.path(), &["branches"]);
    assert!(
        branches
            .stdout
            .contains("<base> -> aaaa00000001 (branchpoint), base"),
        "{}",
        branches.stdout
    );
    assert!(
        branches
            .stdout
            .contains("  -> bbbb00000001 (left) (head), left"),
        "{}",
        branches.stdout
    );
    let merged = retort(
        dir.path(),
        &["merge", "heads", "-m", "join", "--rev-id", "dddd00000001"],
    );
    assert_eq!(merged.code, 0, "{}", merged.all());
    let text = std::fs::read_to_string(dir.path().join("versions/dddd00000001_join.yaml")).unwrap();
    assert!(
        text.contains("down_revision: [bbbb00000001, cccc00000001]"),
        "{text}"
    );
    rev(
        dir.path(),
        &[
            "-m",
            "after",
            "--depends-on",
            "left",
            "--rev-id",
            "eeee00000001",
        ],
    );
    let history = retort(dir.path(), &["history"]);
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(
        lines[0], "dddd00000001 (left) -> eeee00000001 (left) (head), after",
        "{}",
        history.stdout
    );
    assert_eq!(
        lines[1],
        "bbbb00000001, cccc00000001 -> dddd00000001 (left) (mergepoint), join"
    );
    assert_eq!(
        lines.last().copied(),
        Some("<base> -> aaaa00000001 (branchpoint), base")
    );
    let ranged = retort(dir.path(), &["history", "-r", "dddd00000001:"]);
    assert_eq!(ranged.stdout.lines().count(), 2, "{}", ranged.stdout);
    let show = retort(dir.path(), &["show", "eeee"]);
    assert!(
        show.stdout.contains("Also depends on: left")
            && show.stdout.contains("revision: eeee00000001"),
        "{}",
        show.stdout
    );
    let json = retort(dir.path(), &["--format", "json", "heads"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v[0]["revision"], "eeee00000001");
    let ambiguous = retort(dir.path(), &["show", "aaa"]);
    assert_eq!(ambiguous.code, 1, "{}", ambiguous.all());
}

#[test]
fn sql_template_and_own_template() {
    let dir = project();
    rev(
        dir.path(),
        &[
            "-m",
            "plain sql",
            "--template",
            "sql",
            "--rev-id",
            "5a5a5a5a5a5a",
        ],
    );
    let text =
        std::fs::read_to_string(dir.path().join("versions/5a5a5a5a5a5a_plain_sql.sql")).unwrap();
    assert!(text.starts_with("-- plain sql\n"), "{text}");
    assert!(
        text.contains("-- +upgrade") && text.contains("-- +downgrade"),
        "{text}"
    );
    write(
        &dir.path().join("templates/mine.tera"),
        "# {{ message }} (house style)\nrevision: {{ revision }}\ndown_revision: {{ down_revision_yaml }}\nmessage: {{ message_yaml }}\nupgrade:{{ upgrade }}\ndowngrade:{{ downgrade }}\n",
    );
    let list = retort(dir.path(), &["list-templates"]);
    assert!(
        list.stdout.contains("yaml")
            && list.stdout.contains("sql")
            && list.stdout.contains("mine.tera"),
        "{}",
        list.stdout
    );
    rev(
        dir.path(),
        &[
            "-m",
            "house",
            "--template",
            "templates/mine.tera",
            "--rev-id",
            "6b6b6b6b6b6b",
        ],
    );
    let text =
        std::fs::read_to_string(dir.path().join("versions/6b6b6b6b6b6b_house.yaml")).unwrap();
    assert!(text.starts_with("# house (house style)"), "{text}");
    assert!(text.contains("down_revision: \"5a5a5a5a5a5a\""), "{text}");
    let history = retort(dir.path(), &["history"]);
    assert!(
        history
            .stdout
            .starts_with("5a5a5a5a5a5a -> 6b6b6b6b6b6b (head), house"),
        "{}",
        history.stdout
    );
}

#[test]
fn validate_names_the_file_for_graph_errors() {
    for (case, files) in [
        (
            "cycle",
            vec![
                ("a.yaml", revision_file("aaaa", "bbbb", "")),
                ("b.yaml", revision_file("bbbb", "aaaa", "")),
            ],
        ),
        (
            "duplicate",
            vec![
                ("a.yaml", revision_file("aaaa", "null", "")),
                ("a2.yaml", revision_file("aaaa", "null", "")),
            ],
        ),
        (
            "missing parent",
            vec![
                ("a.yaml", revision_file("aaaa", "null", "")),
                ("b.yaml", revision_file("bbbb", "zzzz", "")),
            ],
        ),
    ] {
        let dir = project();
        for (name, text) in &files {
            write(&dir.path().join("versions").join(name), text);
        }
        let run = retort(dir.path(), &["validate"]);
        assert_eq!(run.code, 1, "{case}: {}", run.all());
        let named = match case {
            "cycle" => run.stderr.contains("a.yaml") && run.stderr.contains("b.yaml"),
            "duplicate" => run.stderr.contains("a2.yaml"),
            _ => run.stderr.contains("b.yaml") && run.stderr.contains("zzzz"),
        };
        assert!(
            named,
            "{case}: the message must name the file(s): {}",
            run.stderr
        );
    }
    let dir = project();
    write(
        &dir.path().join("versions/bad.yaml"),
        "revision: aaaa\ndown_revison: null\nupgrade: []\ndowngrade: []\n",
    );
    let run = retort(dir.path(), &["validate"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("bad.yaml:2:1: unknown key `down_revison`"),
        "{}",
        run.stderr
    );
}

#[test]
fn history_of_a_5000_revision_chain() {
    let dir = project();
    let versions = dir.path().join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    let id = |i: usize| format!("{:012x}", 0x1000_0000_0000usize + i);
    for i in 0..5000 {
        let down = if i == 0 {
            "null".to_string()
        } else {
            id(i - 1)
        };
        std::fs::write(
            versions.join(format!("{}_r.yaml", id(i))),
            revision_file(&id(i), &down, ""),
        )
        .unwrap();
    }
    let run = retort(dir.path(), &["history"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5000);
    assert_eq!(
        lines[0],
        format!("{} -> {} (head), rev {}", id(4998), id(4999), id(4999))
    );
    assert_eq!(lines[4999], format!("<base> -> {}, rev {}", id(0), id(0)));
    let heads = retort(dir.path(), &["heads"]);
    assert_eq!(heads.stdout.trim(), format!("{} (head)", id(4999)));
}

#[test]
fn edit_opens_the_file_in_editor() {
    let dir = project();
    rev(dir.path(), &["-m", "to edit", "--rev-id", "7c7c7c7c7c7c"]);
    let script = dir.path().join("editor.sh");
    write(&script, "#!/bin/sh\necho '# edited' >> \"$1\"\n");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = std::process::Command::new(common::retort_bin())
        .args(["edit", "7c7c"])
        .current_dir(dir.path())
        .env("EDITOR", &script)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text =
        std::fs::read_to_string(dir.path().join("versions/7c7c7c7c7c7c_to_edit.yaml")).unwrap();
    assert!(text.ends_with("# edited\n"), "{text}");
}

#[test]
fn validate_checks_operations_in_revision_files() {
    let dir = project();
    write(
        &dir.path().join("versions/ops.yaml"),
        "revision: aaaa\ndown_revision: null\nmessage: x\nupgrade:\n  - create_tabel: {name: t}\n  - add_column: {table: t, name: c}\ndowngrade:\n  - drop_table: {nme: t}\n",
    );
    let run = retort(dir.path(), &["validate"]);
    assert_eq!(run.code, 1, "{}", run.all());
    for needle in ["ops.yaml:5:", "create_tabel", "ops.yaml:6:", "ops.yaml:8:"] {
        assert!(
            run.stderr.contains(needle),
            "missing {needle}: {}",
            run.stderr
        );
    }
}
