//! Issue 11 on SQLite: vendor DDL loaded with the `sqlite3` client, then `reflect` →
//! `validate` → `check` (0 operations), and the fixpoint (autogenerate on an empty
//! database → `upgrade` → the catalog keeps the detail → `downgrade base`), one test per
//! defect, each with the smallest DDL that shows it.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs SQL with the `sqlite3` client on database file `db`, answering its output.
fn sqlite3(db: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .args(["-bail", &db.display().to_string(), sql])
        .output()
        .expect("the sqlite3 client runs");
    assert!(
        out.status.success(),
        "sqlite3 {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Like [`sqlite3`], answering whether the statement failed.
fn sqlite3_fails(db: &Path, sql: &str) -> bool {
    !Command::new("sqlite3")
        .args(["-bail", &db.display().to_string(), sql])
        .output()
        .expect("the sqlite3 client runs")
        .status
        .success()
}

fn url(db: &Path) -> String {
    format!("sqlite://{}", db.display())
}

fn run(dir: &Path, db: &Path, args: &[&str]) -> Run {
    let u = url(db);
    let mut all = args.to_vec();
    all.extend(["--url", &u]);
    retort(dir, &all)
}

fn ok(dir: &Path, db: &Path, args: &[&str]) -> Run {
    let r = run(dir, db, args);
    assert_eq!(r.code, 0, "retort {args:?}: {}", r.all());
    r
}

/// A project whose vendor database `v.db` holds `ddl`; reflect writes schema.yaml,
/// validate accepts it and check finds nothing. Answers (project, vendor db, empty db).
fn adopted(dir: &Path, ddl: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    std::fs::create_dir_all(dir.join("versions")).expect("mkdir versions");
    let vendor = dir.join("v.db");
    let empty = dir.join("e.db");
    sqlite3(&vendor, ddl);
    let r = ok(dir, &vendor, &["-q", "reflect"]);
    write(&dir.join("schema.yaml"), &r.stdout);
    let v = retort(dir, &["-q", "validate"]);
    assert_eq!(v.code, 0, "validate: {}\n{}", v.all(), r.stdout);
    let c = run(dir, &vendor, &["check"]);
    assert_eq!(
        c.code,
        0,
        "check on the vendor database: {}\n{}",
        c.all(),
        r.stdout
    );
    assert!(!c.all().contains("narrows"), "{}", c.all());
    (vendor, empty)
}

/// autogenerate on the empty database → upgrade → check clean.
fn build_empty(dir: &Path, empty: &Path) {
    ok(
        dir,
        empty,
        &["-q", "revision", "--autogenerate", "-m", "all"],
    );
    ok(dir, empty, &["-q", "upgrade", "head"]);
    let c = run(dir, empty, &["check"]);
    assert_eq!(c.code, 0, "check after the fixpoint upgrade: {}", c.all());
}

fn downgrade_base(dir: &Path, db: &Path) {
    ok(dir, db, &["-q", "downgrade", "base"]);
    assert_eq!(
        sqlite3(
            db,
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'retort%' AND name NOT LIKE 'sqlite%'"
        ),
        "0"
    );
}

/// Per column of `table`: name, affinity, notnull, pk, hidden.
fn columns(db: &Path, table: &str) -> String {
    sqlite3(
        db,
        &format!(
            "SELECT name, CASE WHEN upper(type) LIKE '%INT%' THEN 'INTEGER' WHEN upper(type) LIKE '%CHAR%' OR upper(type) LIKE '%CLOB%' OR upper(type) LIKE '%TEXT%' THEN 'TEXT' WHEN upper(type) LIKE '%BLOB%' OR type = '' THEN 'BLOB' WHEN upper(type) LIKE '%REAL%' OR upper(type) LIKE '%FLOA%' OR upper(type) LIKE '%DOUB%' THEN 'REAL' ELSE 'NUMERIC' END, \"notnull\", pk, hidden FROM pragma_table_xinfo('{table}')"
        ),
    )
}

/// The table's `CREATE TABLE` text.
fn table_sql(db: &Path, table: &str) -> String {
    sqlite3(
        db,
        &format!("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
    )
}

/// Whether `table` has an index backing its primary key (no rowid alias).
fn pk_index(db: &Path, table: &str) -> String {
    sqlite3(
        db,
        &format!("SELECT count(*) FROM pragma_index_list('{table}') WHERE origin = 'pk'"),
    )
}

#[test]
fn declared_type_synonyms_compare_equal_and_keep_their_affinity_and_rowid_status() {
    let tmp = temp_project();
    let dir = tmp.path();
    let (vendor, empty) = adopted(
        dir,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a INT, b INT4, c INT8, d BOOL, e DOUBLE PRECISION, f FLOAT, g int(11), h bigint(20), i int(5), j varchar(255), k DATETIME);
         CREATE TABLE k (id INT PRIMARY KEY, v TEXT);",
    );
    let yaml = std::fs::read_to_string(dir.join("schema.yaml")).unwrap();
    assert!(
        !yaml.contains("int(11)") && !yaml.contains("bigint(20)"),
        "{yaml}"
    );
    build_empty(dir, &empty);
    for t in ["t", "k"] {
        assert_eq!(columns(&vendor, t), columns(&empty, t), "table {t}");
        assert_eq!(
            pk_index(&vendor, t),
            pk_index(&empty, t),
            "rowid alias of {t}"
        );
    }
    // `INT PRIMARY KEY` is not the rowid alias: a text key stays text.
    sqlite3(&empty, "INSERT INTO k VALUES ('x', 'y')");
    downgrade_base(dir, &empty);
}

#[test]
fn key_columns_keep_their_declared_nullability() {
    let tmp = temp_project();
    let dir = tmp.path();
    let (vendor, empty) = adopted(
        dir,
        "CREATE TABLE a (id integer NOT NULL PRIMARY KEY, x TEXT);
         CREATE TABLE b (id INTEGER PRIMARY KEY, x TEXT);
         CREATE TABLE c (k TEXT PRIMARY KEY, v TEXT);
         CREATE TABLE d (k TEXT NOT NULL PRIMARY KEY, v TEXT);
         CREATE TABLE e (u text, p datetime, PRIMARY KEY (u, p));",
    );
    build_empty(dir, &empty);
    for t in ["a", "b", "c", "d", "e"] {
        assert_eq!(columns(&vendor, t), columns(&empty, t), "table {t}");
    }
    // SQLite lets a text key declared without NOT NULL hold NULL, as the vendor's does.
    sqlite3(&empty, "INSERT INTO c VALUES (NULL, 'x')");
    assert!(sqlite3_fails(&empty, "INSERT INTO d VALUES (NULL, 'x')"));
    downgrade_base(dir, &empty);
}

#[test]
fn collate_nocase_is_kept_and_changes_to_its_table_work() {
    let tmp = temp_project();
    let dir = tmp.path();
    let (vendor, empty) = adopted(
        dir,
        "CREATE TABLE domains (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL COLLATE NOCASE, note TEXT);
         CREATE UNIQUE INDEX name_index ON domains (name);
         CREATE INDEX note_binary ON domains (note COLLATE NOCASE);",
    );
    let yaml = std::fs::read_to_string(dir.join("schema.yaml")).unwrap();
    assert!(yaml.contains("collation: NOCASE"), "{yaml}");
    build_empty(dir, &empty);
    assert!(table_sql(&empty, "domains").contains("COLLATE NOCASE"));
    // Two domains differing only in case are the same domain.
    sqlite3(&empty, "INSERT INTO domains (name) VALUES ('Example.com')");
    assert!(sqlite3_fails(
        &empty,
        "INSERT INTO domains (name) VALUES ('example.COM')"
    ));
    assert_eq!(
        sqlite3(
            &empty,
            "SELECT group_concat(coll) FROM pragma_index_xinfo('note_binary') WHERE key = 1"
        ),
        "NOCASE"
    );
    downgrade_base(dir, &empty);

    // Changes to the vendor's table: an added column (ADD COLUMN) and a column made NOT
    // NULL (a table rebuild); COLLATE survives both.
    let yaml = yaml.replace(
        "      note: {type: text}\n",
        "      note: {type: text, nullable: false, server_default: \"''\"}\n      extra: {type: integer}\n",
    );
    write(&dir.join("schema.yaml"), &yaml);
    ok(dir, &vendor, &["stamp", "head"]);
    ok(
        dir,
        &vendor,
        &["-q", "revision", "--autogenerate", "-m", "change"],
    );
    ok(dir, &vendor, &["-q", "upgrade", "head"]);
    let c = run(dir, &vendor, &["check"]);
    assert_eq!(c.code, 0, "{}", c.all());
    let sql = table_sql(&vendor, "domains");
    assert!(
        sql.contains("COLLATE NOCASE") && sql.contains("extra"),
        "{sql}"
    );
}

#[test]
fn an_unnamed_foreign_key_is_dropped_by_a_revision_that_reads_back() {
    let tmp = temp_project();
    let dir = tmp.path();
    let (vendor, _) = adopted(
        dir,
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));",
    );
    let yaml = std::fs::read_to_string(dir.join("schema.yaml")).unwrap();
    let kept: Vec<&str> = yaml
        .lines()
        .filter(|l| !l.contains("foreign_keys:") && !l.contains("references:"))
        .collect();
    write(&dir.join("schema.yaml"), &(kept.join("\n") + "\n"));
    ok(dir, &vendor, &["stamp", "head"]);
    let path = ok(
        dir,
        &vendor,
        &["-q", "revision", "--autogenerate", "-m", "drop fk"],
    )
    .stdout
    .trim()
    .to_string();
    let revision = std::fs::read_to_string(dir.join(&path)).unwrap();
    assert!(revision.contains("drop_constraint"), "{revision}");
    assert!(!revision.contains("name: \"\""), "{revision}");
    let v = retort(dir, &["-q", "validate"]);
    assert_eq!(
        v.code,
        0,
        "the revision reads back: {}\n{revision}",
        v.all()
    );
    ok(dir, &vendor, &["-q", "upgrade", "head"]);
    assert_eq!(
        sqlite3(&vendor, "SELECT count(*) FROM pragma_foreign_key_list('c')"),
        "0"
    );
    assert_eq!(run(dir, &vendor, &["check"]).code, 0);
    ok(dir, &vendor, &["-q", "downgrade", "-1"]);
    assert_eq!(
        sqlite3(
            &vendor,
            "SELECT \"table\" || '.' || \"to\" FROM pragma_foreign_key_list('c')"
        ),
        "p.id"
    );
}

#[test]
fn table_options_generated_columns_and_index_details_round_trip() {
    let tmp = temp_project();
    let dir = tmp.path();
    let (vendor, empty) = adopted(
        dir,
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, first TEXT, last TEXT,
             full TEXT GENERATED ALWAYS AS (first || ' ' || last) VIRTUAL,
             len INTEGER GENERATED ALWAYS AS (length(email)) STORED,
             created INTEGER);
         CREATE INDEX users_created ON users (created DESC, email);
         CREATE UNIQUE INDEX users_email ON users (lower(email));
         CREATE TABLE tags (name TEXT PRIMARY KEY, user_id INTEGER REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED) WITHOUT ROWID;",
    );
    build_empty(dir, &empty);
    let users = table_sql(&empty, "users");
    assert!(users.contains("AUTOINCREMENT"), "{users}");
    assert!(
        users.contains("GENERATED ALWAYS AS (first || ' ' || last) VIRTUAL"),
        "{users}"
    );
    assert!(
        users.contains("GENERATED ALWAYS AS (length(email)) STORED"),
        "{users}"
    );
    assert_eq!(columns(&vendor, "users"), columns(&empty, "users"));
    let tags = table_sql(&empty, "tags");
    assert!(tags.ends_with("WITHOUT ROWID"), "{tags}");
    assert!(tags.contains("DEFERRABLE INITIALLY DEFERRED"), "{tags}");
    let index = |db: &Path, name: &str| {
        sqlite3(
            db,
            &format!("SELECT group_concat(coalesce(name, '<expr>') || ' ' || desc, ', ') FROM pragma_index_xinfo('{name}') WHERE key = 1"),
        )
    };
    assert_eq!(index(&empty, "users_created"), "created 1, email 0");
    assert_eq!(index(&vendor, "users_email"), index(&empty, "users_email"));
    assert!(sqlite3(
        &empty,
        "SELECT sql FROM sqlite_master WHERE name = 'users_email'"
    )
    .contains("(lower(email))"));
    // A deferred key is checked at commit: a child row may come before its parent.
    sqlite3(
        &empty,
        "PRAGMA foreign_keys = ON; BEGIN; INSERT INTO tags VALUES ('a', 7); INSERT INTO users (id, email) VALUES (7, 'x'); COMMIT;",
    );
    downgrade_base(dir, &empty);
}

#[test]
fn index_methods_and_kinds_sqlite_lacks_are_refused_by_validate() {
    let tmp = temp_project();
    let dir = tmp.path();
    write(
        &dir.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\ndatabase_url: sqlite://db.sqlite\n",
    );
    std::fs::create_dir_all(dir.join("versions")).expect("mkdir versions");
    write(
        &dir.join("schema.yaml"),
        "tables:\n  t:\n    columns:\n      id: integer\n      body: text\n    primary_key: [id]\n    indexes:\n      - {name: t_body, columns: [body], using: gin}\n      - {name: t_ft, columns: [body], kind: fulltext}\n",
    );
    let r = retort(dir, &["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("index `t_body` uses method `gin`"),
        "{}",
        r.all()
    );
    assert!(r.all().contains("index `t_ft` is FULLTEXT"), "{}", r.all());
}
