//! Issue 10, item 1: revisions are self-contained. Enum values come from the revision
//! history, never from today's `schema.yaml`; autogenerate writes enum operations on
//! every backend, so a revision generated on SQLite builds the same schema on
//! PostgreSQL and MariaDB; offline scripts work straight out of `retort init`.

mod common;

use std::path::Path;

use common::{backends, copy_example_project, retort, temp_project, write, Backend};

/// History step 1: an enum and a table using it.
const V1: &str = r#"enums:
  level: [low, high]
tables:
  item:
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      level: {type: enum(level), nullable: false, server_default: "'low'"}
"#;

/// Step 2: the enum gains a value in the middle.
fn v2() -> String {
    V1.replace("[low, high]", "[low, mid, high]")
}

/// Step 3: an unrelated column.
fn v3() -> String {
    format!("{}      note: varchar(20)\n", v2())
}

/// Step 4: the enum and its column are gone from `schema.yaml`.
const V4: &str = r#"tables:
  item:
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      note: varchar(20)
"#;

/// A project straight out of `retort init`, with `schema` as its declared schema.
fn project(schema: &str) -> tempfile::TempDir {
    let dir = temp_project();
    let r = retort(dir.path(), &["-q", "init", "."]);
    assert_eq!(r.code, 0, "init: {}", r.all());
    write(&dir.path().join("schema.yaml"), schema);
    dir
}

/// `revision --autogenerate` against `url`; returns the new file's text.
fn autogenerate(dir: &Path, url: &str, message: &str) -> String {
    let before: Vec<_> = revision_files(dir);
    let r = retort(
        dir,
        &["revision", "--autogenerate", "-m", message, "--url", url],
    );
    assert_eq!(r.code, 0, "autogenerate {message}: {}", r.all());
    let new: Vec<_> = revision_files(dir)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert_eq!(new.len(), 1, "one new revision: {}", r.all());
    std::fs::read_to_string(&new[0]).expect("revision file")
}

fn revision_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("versions"))
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// The version rows.
async fn rows(b: &Backend) -> Vec<String> {
    b.query("SELECT version_num FROM retort_version")
        .await
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

/// The values the database allows in `table.column`, read from the catalog (PostgreSQL
/// enum labels, the MySQL `enum(...)` column type, the SQLite column CHECK); `None`
/// when the column does not exist.
async fn enum_values(b: &Backend, table: &str, column: &str) -> Option<Vec<String>> {
    let list = |inner: &str| -> Vec<String> {
        inner
            .split(',')
            .map(|v| v.trim().trim_matches('\'').to_string())
            .collect()
    };
    match b.name {
        "postgres" => {
            let exists = b.query(&format!("SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' AND column_name = '{column}'")).await;
            if exists.is_empty() {
                return None;
            }
            Some(
                b.query(&format!(
                    "SELECT e.enumlabel::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                     JOIN pg_enum e ON e.enumtypid = a.atttypid \
                     WHERE c.relname = '{table}' AND a.attname = '{column}' AND c.relnamespace = current_schema()::regnamespace \
                     ORDER BY e.enumsortorder"
                ))
                .await
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect(),
            )
        }
        "mysql" => {
            let ty = b.query(&format!("SELECT column_type FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}' AND column_name = '{column}'")).await;
            let ty = ty.first()?.first()?.clone()?;
            let inner = ty.strip_prefix("enum(")?.strip_suffix(')')?;
            Some(list(inner))
        }
        _ => {
            let cols = b
                .query(&format!(
                    "SELECT name FROM pragma_table_info('{table}') WHERE name = '{column}'"
                ))
                .await;
            if cols.is_empty() {
                return None;
            }
            let sql = b
                .query(&format!(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
                ))
                .await;
            let sql = sql.first()?.first()?.clone()?;
            let marker = format!("\"{column}\" IN (");
            let start = sql.find(&marker)? + marker.len();
            let end = start + sql[start..].find(')')?;
            Some(list(&sql[start..end]))
        }
    }
}

/// The PostgreSQL enum types (empty elsewhere).
async fn enum_types(b: &Backend) -> Vec<String> {
    if b.name != "postgres" {
        return Vec::new();
    }
    b.query("SELECT typname::text FROM pg_type WHERE typtype = 'e' AND typnamespace = current_schema()::regnamespace ORDER BY 1")
        .await
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

/// Tables, columns (name, type as the catalog spells it, nullability, default) and the
/// values of enum columns: what must be equal between two databases of one backend.
async fn catalog(b: &Backend) -> Vec<String> {
    let sql = match b.name {
        "postgres" => "SELECT table_name || '.' || column_name || ' ' || udt_name || ' ' || is_nullable || ' ' || coalesce(column_default, '-') FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position".to_string(),
        "mysql" => "SELECT CONCAT(table_name, '.', column_name, ' ', column_type, ' ', is_nullable, ' ', coalesce(column_default, '-')) FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position".to_string(),
        _ => "SELECT m.name || '.' || p.name || ' ' || p.type || ' ' || p.\"notnull\" || ' ' || coalesce(p.dflt_value, '-') FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid".to_string(),
    };
    let mut out: Vec<String> = b
        .query(&sql)
        .await
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    for line in out.clone() {
        let Some((table, rest)) = line.split_once('.') else {
            continue;
        };
        let column = rest.split(' ').next().unwrap_or("");
        if let Some(values) = enum_values(b, table, column).await {
            if !values.is_empty() {
                out.push(format!("{table}.{column} values {values:?}"));
            }
        }
    }
    out.extend(enum_types(b).await.into_iter().map(|t| format!("type {t}")));
    out
}

/// `diff` finds nothing: the database is exactly the declared schema. (`check` would
/// refuse a database below head, as Alembic's does, so `diff` is used at every step.)
fn assert_clean(dir: &Path, b: &Backend, what: &str) {
    let r = b.run(dir, &["--format", "json", "diff"]);
    assert_eq!(r.code, 0, "{}: {what}: diff: {}", b.name, r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("diff JSON");
    let ops = v["operations"].as_array().cloned().unwrap_or_default();
    assert!(ops.is_empty(), "{}: {what}: diff found {ops:?}", b.name);
}

#[tokio::test]
async fn a_revision_autogenerated_on_sqlite_builds_the_same_schema_everywhere() {
    let dir = project(V1);
    let sqlite_db = format!("sqlite://{}", dir.path().join("gen.db").display());
    let text = autogenerate(dir.path(), &sqlite_db, "items");
    assert!(
        text.contains("create_enum: {name: level, values: [low, high]}")
            && text.contains("drop_enum: {name: level}"),
        "the revision carries its enum:\n{text}"
    );
    let fresh = backends("portable_fresh", dir.path()).await;
    let native = backends("portable_native", dir.path()).await;
    for (b, n) in fresh.iter().zip(&native) {
        b.ok(dir.path(), &["upgrade", "head"]);
        assert_clean(dir.path(), b, "the SQLite-generated revision");
        assert_eq!(
            enum_values(b, "item", "level").await,
            Some(vec!["low".to_string(), "high".to_string()]),
            "{}",
            b.name
        );
        // The same schema autogenerated against this backend itself.
        let own = project(V1);
        autogenerate(own.path(), &n.url, "items");
        n.ok(own.path(), &["upgrade", "head"]);
        assert_eq!(catalog(b).await, catalog(n).await, "{}", b.name);
        // A second autogenerate finds nothing (no spurious create_enum).
        let again = b.ok(dir.path(), &["revision", "--autogenerate", "-m", "again"]);
        assert!(
            again.stdout.contains("No changes detected"),
            "{}: {}",
            b.name,
            again.all()
        );
        b.ok(dir.path(), &["downgrade", "base"]);
        assert_eq!(
            b.tables().await,
            vec!["retort_log", "retort_version"],
            "{}",
            b.name
        );
        assert!(enum_types(b).await.is_empty(), "{}: enum dropped", b.name);
        b.drop().await;
        n.drop().await;
    }
}

/// Writes the four-step history (autogenerated against SQLite, the default) and leaves
/// `schema.yaml` at the last step, without the enum.
fn history_project() -> (tempfile::TempDir, Vec<String>) {
    let dir = project(V1);
    let db = format!("sqlite://{}", dir.path().join("gen.db").display());
    let mut texts = Vec::new();
    for (i, schema) in [V1.to_string(), v2(), v3(), V4.to_string()]
        .iter()
        .enumerate()
    {
        write(&dir.path().join("schema.yaml"), schema);
        texts.push(autogenerate(dir.path(), &db, &format!("step {}", i + 1)));
        let r = retort(dir.path(), &["upgrade", "head", "--url", &db]);
        assert_eq!(r.code, 0, "{}", r.all());
    }
    assert!(
        texts[1].contains("add_enum_value: {name: level, value: mid, before: high}")
            && texts[1].contains("drop_enum_value: {name: level, value: mid}"),
        "{}",
        texts[1]
    );
    assert!(
        texts[3].contains("drop_enum: {name: level, values: [low, mid, high]}"),
        "the upgrade's drop_enum carries the values its reverse re-creates:\n{}",
        texts[3]
    );
    assert!(
        texts[3].contains("create_enum: {name: level, values: [low, mid, high]}"),
        "the downgrade restores the enum with the values of its time:\n{}",
        texts[3]
    );
    (dir, texts)
}

/// The values of `item.level` at steps 0 (base) to 4.
fn expected_at(step: usize) -> Option<Vec<String>> {
    let v = |s: &[&str]| Some(s.iter().map(|x| x.to_string()).collect());
    match step {
        1 => v(&["low", "high"]),
        2 | 3 => v(&["low", "mid", "high"]),
        _ => None,
    }
}

#[tokio::test]
async fn replaying_history_builds_each_revision_with_the_enum_values_of_its_time() {
    let (dir, _) = history_project();
    for b in backends("replay_online", dir.path()).await {
        for step in 1..=4 {
            b.ok(dir.path(), &["upgrade", "+1"]);
            assert_eq!(
                enum_values(&b, "item", "level").await,
                expected_at(step),
                "{}: after upgrading to step {step}",
                b.name
            );
        }
        assert!(enum_types(&b).await.is_empty(), "{}", b.name);
        assert_clean(dir.path(), &b, "at head");
        for step in (0..4).rev() {
            b.ok(dir.path(), &["downgrade", "-1"]);
            assert_eq!(
                enum_values(&b, "item", "level").await,
                expected_at(step),
                "{}: after downgrading to step {step}",
                b.name
            );
            if step == 1 {
                // drop_enum_value left exactly step 1's schema (default included).
                write(&dir.path().join("schema.yaml"), V1);
                assert_clean(dir.path(), &b, "downgraded to step 1");
                write(&dir.path().join("schema.yaml"), V4);
            }
        }
        assert_eq!(
            b.tables().await,
            vec!["retort_log", "retort_version"],
            "{}",
            b.name
        );
        b.ok(dir.path(), &["upgrade", "head"]);
        assert_clean(dir.path(), &b, "upgrade head in one run");
        b.drop().await;
    }
}

#[tokio::test]
async fn offline_scripts_build_each_revision_with_the_enum_values_of_its_time() {
    let (dir, _) = history_project();
    let heads = retort(dir.path(), &["history"]);
    // Oldest first: `history` prints newest first, `PARENT -> REV ...`.
    let mut revs: Vec<String> = heads
        .stdout
        .lines()
        .filter_map(|l| l.split(" -> ").nth(1))
        .filter_map(|r| r.split([' ', ',']).next())
        .map(str::to_string)
        .collect();
    revs.reverse();
    assert_eq!(revs.len(), 4, "{}", heads.all());
    for b in backends("replay_offline", dir.path()).await {
        let mut from = "base".to_string();
        for (i, rev) in revs.iter().enumerate() {
            let range = format!("{from}:{rev}");
            let script = b.ok(dir.path(), &["upgrade", &range, "--sql"]).stdout;
            let file = dir.path().join(format!("{}_up_{i}.sql", b.name));
            std::fs::write(&file, &script).unwrap();
            b.apply_script(&file);
            assert_eq!(rows(&b).await, vec![rev.clone()], "{}", b.name);
            assert_eq!(
                enum_values(&b, "item", "level").await,
                expected_at(i + 1),
                "{}: offline upgrade to step {}\n{script}",
                b.name,
                i + 1
            );
            from = rev.clone();
        }
        for i in (0..4).rev() {
            let to = if i == 0 { "base" } else { &revs[i - 1] };
            let range = format!("{}:{to}", revs[i]);
            let script = b.ok(dir.path(), &["downgrade", &range, "--sql"]).stdout;
            let file = dir.path().join(format!("{}_down_{i}.sql", b.name));
            std::fs::write(&file, &script).unwrap();
            b.apply_script(&file);
            assert_eq!(
                enum_values(&b, "item", "level").await,
                expected_at(i),
                "{}: offline downgrade to step {i}\n{script}",
                b.name
            );
        }
        assert_eq!(
            b.tables().await,
            vec!["retort_log", "retort_version"],
            "{}",
            b.name
        );
        b.drop().await;
    }
}

#[test]
fn offline_scripts_work_straight_out_of_init() {
    let dir = temp_project();
    assert_eq!(retort(dir.path(), &["-q", "init", "."]).code, 0);
    let urls = ["sqlite://app.db", "postgres://h/db", "mysql://h/db"];
    let both = |dir: &Path, what: &str| {
        for url in urls {
            for args in [
                ["downgrade", "head:base", "--sql", "--url", url],
                ["upgrade", "base:head", "--sql", "--url", url],
            ] {
                let r = retort(dir, &args);
                assert_eq!(r.code, 0, "{what}: {args:?}: {}", r.all());
            }
        }
    };
    both(dir.path(), "no revisions");
    // A revision autogenerated against SQLite (the default database of `init`).
    let r = retort(dir.path(), &["revision", "--autogenerate", "-m", "initial"]);
    assert_eq!(r.code, 0, "{}", r.all());
    both(dir.path(), "an autogenerated revision");
    let pg = retort(
        dir.path(),
        &["upgrade", "base:head", "--sql", "--url", "postgres://h/db"],
    );
    assert!(
        pg.stdout
            .contains("CREATE TYPE \"account_status\" AS ENUM ('active', 'suspended')"),
        "{}",
        pg.stdout
    );
    let my = retort(
        dir.path(),
        &["downgrade", "head:base", "--sql", "--url", "mysql://h/db"],
    );
    assert!(my.stdout.contains("DROP TABLE"), "{}", my.stdout);
    // An empty revision on top, and the enum gone from schema.yaml: nothing changes.
    let r = retort(dir.path(), &["revision", "-m", "empty"]);
    assert_eq!(r.code, 0, "{}", r.all());
    write(&dir.path().join("schema.yaml"), "tables: {}\n");
    both(dir.path(), "revisions added, schema.yaml emptied");
}

#[tokio::test]
async fn the_example_projects_revisions_still_upgrade_and_downgrade() {
    let dir = temp_project();
    copy_example_project(dir.path());
    // The runner must not need schema.yaml: take its enums away.
    let schema = std::fs::read_to_string(dir.path().join("schema.yaml")).unwrap();
    for b in backends("example_revisions", dir.path()).await {
        write(&dir.path().join("schema.yaml"), "tables: {}\n");
        b.ok(dir.path(), &["upgrade", "head"]);
        b.ok(dir.path(), &["downgrade", "base"]);
        b.ok(dir.path(), &["upgrade", "head"]);
        write(&dir.path().join("schema.yaml"), &schema);
        assert_clean(dir.path(), &b, "the example history builds schema.yaml");
        assert_eq!(
            enum_values(&b, "scripts", "status").await,
            Some(
                ["pending", "running", "completed", "failed"]
                    .map(String::from)
                    .to_vec()
            ),
            "{}",
            b.name
        );
        b.ok(dir.path(), &["downgrade", "base"]);
        assert_eq!(
            b.tables().await,
            vec!["retort_log", "retort_version"],
            "{}",
            b.name
        );
        b.drop().await;
    }
}
