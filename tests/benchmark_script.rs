//! Issue 13: the benchmark (`bench/run.sh`, `bench/bench.py`) takes long and installs
//! Alembic, so CI does not run it. These tests hold the parts of it that decide what
//! its report says: the fixtures it times are revisions retort runs (and `check` finds
//! its wide schema equal to the database built from it, on every backend), and the
//! targets table calls a target met only within its limit.

mod common;

use std::path::Path;
use std::process::Command;

use common::{backends, retort, temp_project};

/// Runs `code` in Python with `bench/bench.py` importable as `bench`; returns stdout.
fn python(code: &str) -> String {
    let bench_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench");
    let out = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sys\nsys.path.insert(0, {:?})\nimport bench\n{code}",
            bench_dir.display().to_string()
        ))
        .output()
        .expect("python3 runs (the benchmark needs it)");
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_benchmark_chain_is_a_chain_of_revisions_retort_runs() {
    let dir = temp_project();
    python(&format!(
        "from pathlib import Path\nd = Path({:?})\nbench.write_retort_project(d)\nfor i in range(30):\n    (d / 'versions' / f'{{bench.rev_id(i)}}_table_{{i}}.yaml').write_text(bench.chain_retort_revision(i))\n",
        dir.path().display().to_string()
    ));
    let up = retort(dir.path(), &["upgrade", "head", "-q"]);
    assert_eq!(up.code, 0, "{}", up.all());
    let current = retort(dir.path(), &["current"]);
    assert!(
        current.stdout.contains("00000000001e (head)"),
        "{}",
        current.all()
    );
    let script = retort(dir.path(), &["upgrade", "head", "--sql"]);
    for needle in [
        "CREATE TABLE \"t29\"",
        "REFERENCES \"t28\"",
        "CREATE INDEX \"ix_t29_name\"",
    ] {
        assert!(script.stdout.contains(needle), "{needle}: {}", script.all());
    }
    let down = retort(dir.path(), &["downgrade", "base", "-q"]);
    assert_eq!(down.code, 0, "{}", down.all());
}

#[tokio::test]
async fn check_finds_the_benchmark_wide_schema_equal_to_its_revision() {
    let dir = temp_project();
    python(&format!(
        "from pathlib import Path\nd = Path({:?})\nbench.write_retort_project(d, bench.wide_schema(12))\n(d / 'versions' / 'wide.yaml').write_text(bench.wide_revision(12))\n",
        dir.path().display().to_string()
    ));
    for b in backends("bench_wide", dir.path()).await {
        b.ok(dir.path(), &["upgrade", "head", "-q"]);
        let check = b.ok(dir.path(), &["check"]);
        assert!(
            check.stdout.contains("No changes detected"),
            "{}: {}",
            b.name,
            check.all()
        );
        b.drop().await;
    }
}

#[test]
fn the_targets_table_calls_a_target_met_only_within_its_limit() {
    let table = python(
        r#"
S = lambda seconds, mib=10: bench.Stat(seconds, seconds, int(mib * 1024), 5)
R = bench.Row
rows = [
    R("upgrade", "upgrade head", "sqlite", 1000, "revisions", {"retort": S(0.30), "client": S(0.25)}),
    R("upgrade", "upgrade head", "sqlite", 4000, "revisions", {"retort": S(3.0), "client": S(2.9)}),
    R("upgrade", "upgrade head", "postgres", 1000, "revisions", {"retort": S(1.6), "client": S(1.0)}),
    R("graph", "history", "-", 5000, "revisions", {"retort": S(0.05)}),
    R("graph", "no-op upgrade head", "postgres", 1000, "revisions", {"retort": S(0.031)}),
    R("check", "check (no differences)", "sqlite", 200, "tables", {"retort": S(0.04, 50)}),
]
print(bench.targets_table(rows, ["sqlite", "postgres"]))
"#,
    );
    let line = |start: &str| -> String {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| {start} |")))
            .unwrap_or_else(|| panic!("no line {start:?} in\n{table}"))
            .to_string()
    };
    let cases = [
        (
            "upgrade head, 1,000 revisions, SQLite: retort ÷ sqlite3",
            "1.20×",
            "yes",
        ),
        (
            "upgrade head, 1,000 revisions, PostgreSQL: retort ÷ psql",
            "1.60×",
            "**no**",
        ),
        (
            "upgrade head, SQLite: 4,000 revisions ÷ 1,000 revisions",
            "10.00×",
            "**no**",
        ),
        ("history over 5,000 revisions", "0.050 s", "yes"),
        (
            "no-op upgrade head at 1,000 revisions, PostgreSQL",
            "0.031 s",
            "**no**",
        ),
        ("check, 200 tables, SQLite", "0.040 s", "yes"),
        (
            "check, 200 tables, SQLite: retort peak memory",
            "50.0 MiB",
            "**no**",
        ),
        ("check, 10,000 tables, SQLite", "not run at this size", "—"),
    ];
    for (target, measured, met) in cases {
        let l = line(target);
        assert!(
            l.ends_with(&format!("| {measured} | {met} |")),
            "{target}: {l}"
        );
    }
}
