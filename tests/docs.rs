//! The documentation in `docs/` is checked against the code so that it cannot drift:
//! every operation and every field of it (taken from the parser, not a hand-kept
//! list), every `retort.yaml` and `schema.yaml` key, the SQL each operation renders on
//! each backend (generated into `docs/operations.md`; `RETORT_UPDATE_DOCS=1` rewrites
//! it), and every shell command of the tutorial and of the README's quick start (run
//! against SQLite, and the tutorial's PostgreSQL part against PostgreSQL when
//! `RETORT_TEST_POSTGRES_URL` is set).

mod common;

use std::path::{Path, PathBuf};

use retort_engine::backend::{render, RenderContext};
use retort_engine::config::Config;
use retort_engine::dialect::Dialect;
use retort_engine::ops::{parse_operations, OPERATION_NAMES};
use retort_engine::schema::{parse_schema_text, NamingConvention};
use retort_engine::yaml::Diagnostics;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
}

/// The list after "expected one of: " in the first message mentioning `probe`.
fn expected_list(messages: &str, probe: &str) -> Vec<String> {
    let line = messages
        .lines()
        .find(|l| l.contains(probe) && l.contains("expected one of: "))
        .unwrap_or_else(|| panic!("no `expected one of` for {probe} in:\n{messages}"));
    let list = line.split("expected one of: ").nth(1).unwrap_or_default();
    list.split(',')
        .map(|s| s.trim().trim_end_matches(['.', ')']).to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The fields the parser accepts for `op`, read from its "unknown field" message.
fn operation_fields(op: &str) -> Vec<String> {
    let text = format!("- {op}: {{zz_no_such_field: 1}}\n");
    let node = retort_engine::yaml::parse(&text).expect("yaml");
    let mut diags = Diagnostics::default();
    parse_operations(
        Path::new("probe.yaml"),
        &node,
        &NamingConvention::default(),
        &mut diags,
    );
    expected_list(&diags.to_string(), "zz_no_such_field")
}

/// The text of `## `op`` up to the next `## ` heading.
fn section<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let start = doc.find(&format!("\n## {heading}\n"))? + 1;
    let body = &doc[start + 3..];
    let end = body.find("\n## ").map_or(body.len(), |i| i);
    Some(&doc[start..start + 3 + end])
}

#[test]
fn every_operation_and_every_field_is_documented() {
    let doc = read("docs/operations.md");
    let mut missing = Vec::new();
    for op in OPERATION_NAMES {
        let Some(text) = section(&doc, &format!("`{op}`")) else {
            missing.push(format!("no section `## `{op}`` in docs/operations.md"));
            continue;
        };
        for field in operation_fields(op) {
            if !text.contains(&format!("`{field}`")) {
                missing.push(format!("`{op}` does not document its field `{field}`"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_config_key_is_documented() {
    let dir = common::temp_project();
    let file = dir.path().join("retort.yaml");
    std::fs::write(
        &file,
        "zz_no_such_key: 1\nnaming_convention: {zz_no_such_nc: x}\ncompare: {zz_no_such_cmp: true}\n",
    )
    .expect("write");
    let err = match Config::load(&file, &|_| None) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("unknown keys were accepted"),
    };
    let doc = read("docs/configuration.md");
    let mut missing = Vec::new();
    for probe in ["zz_no_such_key", "zz_no_such_nc", "zz_no_such_cmp"] {
        for key in expected_list(&err, probe) {
            if !doc.contains(&format!("`{key}`")) {
                missing.push(format!("retort.yaml key `{key}` ({probe})"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented in docs/configuration.md: {missing:?}"
    );
}

#[test]
fn every_schema_key_is_documented() {
    let text = "tables:\n  t:\n    zz_no_such_table_key: 1\n    columns:\n      c: {type: integer, zz_no_such_column_key: 1}\n";
    let err = match parse_schema_text(Path::new("schema.yaml"), text, &NamingConvention::default())
    {
        Err(d) => d.to_string(),
        Ok(_) => panic!("unknown keys were accepted"),
    };
    let doc = read("docs/configuration.md");
    let mut missing = Vec::new();
    for probe in ["zz_no_such_table_key", "zz_no_such_column_key"] {
        for key in expected_list(&err, probe) {
            if !doc.contains(&format!("`{key}`")) {
                missing.push(format!("schema.yaml key `{key}` ({probe})"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented in docs/configuration.md: {missing:?}"
    );
}

const GENERATED_START: &str = "<!-- generated SQL";
const GENERATED_END: &str = "<!-- end of generated SQL -->";

/// `docs/operations.md` with every generated SQL block rendered afresh from the
/// examples: the first ```yaml block of the file is the schema the examples run
/// against; in each operation's section, the first ```yaml block is its example.
fn regenerate_operations_doc(doc: &str) -> String {
    let nc = NamingConvention::default();
    let schema_yaml = fenced_blocks(doc, "yaml")
        .into_iter()
        .next()
        .expect("docs/operations.md starts with the example schema in a ```yaml block");
    let schema = parse_schema_text(Path::new("docs/operations.md"), &schema_yaml, &nc)
        .unwrap_or_else(|d| panic!("the example schema in docs/operations.md: {d}"));
    let ctx = RenderContext::new(schema);
    let mut out = String::new();
    let mut rest = doc;
    while let Some(start) = rest.find(GENERATED_START) {
        let before = &rest[..start];
        out.push_str(before);
        let example = last_fenced_block(before, "yaml")
            .expect("a ```yaml example before each generated SQL block");
        let node = retort_engine::yaml::parse(&example).expect("example yaml");
        let mut diags = Diagnostics::default();
        let ops = parse_operations(Path::new("docs/operations.md"), &node, &nc, &mut diags);
        assert!(
            diags.is_empty(),
            "example in docs/operations.md:\n{example}\n{diags}"
        );
        out.push_str(
            "<!-- generated SQL: `RETORT_UPDATE_DOCS=1 cargo test --test docs` rewrites it -->\n",
        );
        for (d, name) in [
            (Dialect::Sqlite, "SQLite"),
            (Dialect::Postgres, "PostgreSQL"),
            (Dialect::MySql, "MySQL/MariaDB"),
        ] {
            out.push_str(&format!("\n{name}:\n\n```sql\n"));
            // Each example runs against the schema as the operations before it leave it.
            let mut ctx = ctx.clone();
            for op in &ops {
                let rendered = render(op, d, &ctx);
                let _ = ctx.apply(op);
                match rendered {
                    Ok(stmts) if stmts.is_empty() => out.push_str("-- (nothing)\n"),
                    Ok(stmts) => {
                        for s in stmts {
                            out.push_str(&s);
                            out.push_str(";\n");
                        }
                    }
                    Err(e) => out.push_str(&format!("-- error: {e}\n")),
                }
            }
            out.push_str("```\n");
        }
        let end = rest[start..]
            .find(GENERATED_END)
            .map(|i| start + i)
            .expect("every generated SQL block ends with its marker");
        out.push('\n');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The bodies of the fenced blocks whose info string is exactly `lang`.
fn fenced_blocks(doc: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match &mut current {
            None if line.trim_end() == format!("```{lang}") => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => blocks.push(current.take().unwrap_or_default()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    blocks
}

fn last_fenced_block(doc: &str, lang: &str) -> Option<String> {
    fenced_blocks(doc, lang).pop()
}

#[test]
fn operation_sql_in_the_docs_is_what_the_code_renders() {
    let path = repo().join("docs/operations.md");
    let doc = read("docs/operations.md");
    let fresh = regenerate_operations_doc(&doc);
    if std::env::var("RETORT_UPDATE_DOCS").as_deref() == Ok("1") {
        std::fs::write(&path, &fresh).expect("write docs/operations.md");
        return;
    }
    let blocks = doc.matches(GENERATED_START).count();
    assert!(
        blocks >= OPERATION_NAMES.len(),
        "docs/operations.md has {blocks} generated SQL blocks, fewer than the {} operations",
        OPERATION_NAMES.len()
    );
    if fresh != doc {
        let line = fresh
            .lines()
            .zip(doc.lines())
            .position(|(a, b)| a != b)
            .map_or(0, |i| i + 1);
        panic!(
            "the SQL in docs/operations.md differs from what the code renders (first at line {line}); run `RETORT_UPDATE_DOCS=1 cargo test --test docs` and review the diff"
        );
    }
}

/// Runs `script` with bash (`-e`: the first failing command fails the test) in `dir`,
/// with the built `retort` first on PATH.
fn run_shell(script: &str, dir: &Path, extra_env: &[(&str, &str)]) -> common::Run {
    let bin_dir = common::retort_bin()
        .parent()
        .expect("binary directory")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = std::process::Command::new("bash");
    cmd.arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("EDITOR", "true")
        .env_remove("RETORT_CONFIG")
        .env_remove("DATABASE_URL");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_script_runs(what: &str, script: &str, dir: &Path, env: &[(&str, &str)]) {
    let run = run_shell(script, dir, env);
    assert_eq!(
        run.code, 0,
        "{what} failed:\n--- script\n{script}\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
}

#[test]
fn every_command_of_the_tutorial_runs_on_sqlite() {
    let doc = read("docs/tutorial.md");
    let blocks = fenced_blocks(&doc, "sh");
    assert!(
        blocks.len() >= 5,
        "the tutorial has {} ```sh blocks",
        blocks.len()
    );
    let dir = common::temp_project();
    assert_script_runs(
        "docs/tutorial.md (SQLite)",
        &blocks.join("\n"),
        dir.path(),
        &[],
    );
    let db = dir.path().join("shop/shop.db");
    assert!(db.exists(), "the tutorial builds shop/shop.db");
}

#[tokio::test]
async fn the_tutorial_postgres_part_runs_on_postgres() {
    let doc = read("docs/tutorial.md");
    let scratch = common::temp_project();
    let backends = common::backends("tutorial_pg", scratch.path()).await;
    let Some(pg) = backends.iter().find(|b| b.name == "postgres") else {
        return;
    };
    let dir = common::temp_project();
    let mut script = fenced_blocks(&doc, "sh").join("\n");
    let pg_blocks = fenced_blocks(&doc, "sh postgres");
    assert!(!pg_blocks.is_empty(), "the tutorial has a PostgreSQL part");
    script.push('\n');
    script.push_str(&pg_blocks.join("\n"));
    assert_script_runs(
        "docs/tutorial.md (PostgreSQL)",
        &script,
        dir.path(),
        &[("PG_URL", &pg.url)],
    );
    for b in &backends {
        b.drop().await;
    }
}

#[test]
fn the_readme_quick_start_runs_on_sqlite() {
    let readme = read("README.md");
    let start = readme
        .find("## Quick start")
        .expect("README has a Quick start");
    let rest = &readme[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let blocks = fenced_blocks(&rest[..end], "sh");
    assert!(!blocks.is_empty(), "the quick start has a ```sh block");
    let dir = common::temp_project();
    assert_script_runs("README quick start", &blocks.join("\n"), dir.path(), &[]);
}

#[test]
fn the_readme_links_every_page_of_the_docs() {
    let readme = read("README.md");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo().join("docs")).expect("docs/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".md") && !readme.contains(&format!("docs/{name}")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "README.md does not link docs/{missing:?}"
    );
}
