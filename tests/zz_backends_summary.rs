//! A test binary without the libtest harness (`harness = false` in Cargo.toml), so that
//! cargo does not capture what it prints: one line at the end of `cargo test` saying
//! which database backends the tests ran against and which they skipped. Under
//! `RETORT_TEST_REQUIRE_ALL=1` a skipped backend makes it fail.

/// The summary line for the given environment lookup.
fn summary(env: &dyn Fn(&str) -> Option<String>) -> (String, bool) {
    let mut tested = vec!["SQLite"];
    let mut skipped = Vec::new();
    for (name, var) in [
        ("PostgreSQL", "RETORT_TEST_POSTGRES_URL"),
        ("MySQL/MariaDB", "RETORT_TEST_MYSQL_URL"),
    ] {
        match env(var) {
            Some(v) if !v.is_empty() => tested.push(name),
            _ => skipped.push(format!("{name} ({var} unset)")),
        }
    }
    if skipped.is_empty() {
        return (
            format!(
                "retort backends: tested {}; none skipped",
                tested.join(", ")
            ),
            true,
        );
    }
    (
        format!(
            "retort backends: tested {}; SKIPPED {} -- run `scripts/with-databases.sh cargo test --workspace` to test them",
            tested.join(", "),
            skipped.join(", ")
        ),
        false,
    )
}

fn main() {
    let (line, all) = summary(&|v| std::env::var(v).ok());
    println!("\n{line}\n");
    let require_all = std::env::var("RETORT_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1");
    if require_all && !all {
        eprintln!("RETORT_TEST_REQUIRE_ALL=1 but a backend was skipped");
        std::process::exit(1);
    }
    let (none, _) = summary(&|_| None);
    assert!(none.contains("SKIPPED PostgreSQL"), "{none}");
    let (every, ok) = summary(&|_| Some("x".into()));
    assert!(ok && every.contains("none skipped"), "{every}");
}
