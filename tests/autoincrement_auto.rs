//! Issue 12 item 5: a single-column integer primary key autoincrements unless
//! `autoincrement: false` says otherwise — SQLAlchemy's `autoincrement="auto"` — in
//! schema.yaml and in revision files, on SQLite, PostgreSQL and MariaDB.

mod common;

use std::path::Path;

use common::{backends, temp_project, write, Backend, Run};
use retort_engine::db::Connection;

const SCHEMA: &str = r#"tables:
  implicit:
    columns:
      id: {type: integer, primary_key: true}
      v: text
  implicit_big:
    columns:
      id: {type: bigint, primary_key: true}
      v: text
  explicit_true:
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      v: text
  explicit_false:
    columns:
      id: {type: integer, primary_key: true, autoincrement: false}
      v: text
  composite:
    columns:
      a: integer
      b: integer
      v: text
    primary_key: [a, b]
  text_key:
    columns:
      code: {type: varchar(10), primary_key: true}
      v: text
  child:
    columns:
      id: {type: integer, primary_key: true, foreign_key: implicit.id}
      v: text
"#;

fn project(dir: &Path, b: &Backend, schema: &str) {
    write(
        &dir.join("retort.yaml"),
        &format!("database_url: {}\n", b.url),
    );
    write(&dir.join("schema.yaml"), schema);
    std::fs::create_dir_all(dir.join("versions")).unwrap();
}

fn ok(dir: &Path, b: &Backend, args: &[&str]) -> Run {
    let run = common::retort(dir, args);
    assert_eq!(run.code, 0, "{}: retort {args:?}: {}", b.name, run.all());
    run
}

/// Runs one INSERT in strict mode (MariaDB's default; set so that a missing key value
/// is an error there rather than a warning), returning the database's answer.
async fn insert(b: &Backend, sql: &str) -> Result<u64, String> {
    let mut conn = Connection::connect(&b.url).await.expect("connect");
    if b.name == "mysql" {
        conn.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
            .await
            .expect("strict mode");
    }
    let r = conn.execute(sql).await.map_err(|e| e.to_string());
    conn.close().await;
    r
}

// SQLAlchemy: Column(Integer, primary_key=True) alone in its table's key autoincrements
// ("auto": SERIAL on PostgreSQL, AUTO_INCREMENT on MySQL, the rowid alias on SQLite), for
// Integer, SmallInteger and BigInteger; autoincrement=False turns it off; a composite
// key, a non-integer key or a key column with a ForeignKey does not autoincrement.
// Alembic autogenerate on an empty database, upgrade, then check: no differences; a
// database reflected back into metadata compares equal too.
#[tokio::test]
async fn implicit_auto_keys_autoincrement_everywhere_and_round_trip() {
    let root = temp_project();
    for b in backends("autoincrement_auto", root.path()).await {
        let dir = root.path().join(b.name);
        project(&dir, &b, SCHEMA);
        ok(&dir, &b, &["revision", "--autogenerate", "-m", "keys"]);
        let revision = std::fs::read_dir(dir.join("versions"))
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .next()
            .expect("one revision");
        assert!(
            revision.contains("autoincrement: false"),
            "{}: explicit false is kept in the revision:\n{revision}",
            b.name
        );
        ok(&dir, &b, &["upgrade", "head"]);
        ok(&dir, &b, &["check"]);

        for table in ["implicit", "implicit_big", "explicit_true"] {
            insert(&b, &format!("INSERT INTO {table} (v) VALUES ('x')"))
                .await
                .unwrap_or_else(|e| panic!("{}: insert into {table} without id: {e}", b.name));
            insert(&b, &format!("INSERT INTO {table} (v) VALUES ('y')"))
                .await
                .unwrap_or_else(|e| panic!("{}: second insert into {table}: {e}", b.name));
            let ids = b
                .query(&format!("SELECT id FROM {table} ORDER BY id"))
                .await;
            assert_eq!(ids.len(), 2, "{}: {table}: {ids:?}", b.name);
            assert_ne!(ids[0], ids[1], "{}: {table}: {ids:?}", b.name);
        }
        // The child's key is a foreign key: never auto.
        let child = insert(&b, "INSERT INTO child (v) VALUES ('x')").await;
        let explicit_false = insert(&b, "INSERT INTO explicit_false (v) VALUES ('x')").await;
        let composite = insert(&b, "INSERT INTO composite (v) VALUES ('x')").await;
        // On SQLite too: `autoincrement: false` is spelled `INT`, which is not the rowid.
        assert!(
            explicit_false.is_err(),
            "{}: explicit false generated a key",
            b.name
        );
        assert!(
            child.is_err(),
            "{}: a foreign-key key generated a value",
            b.name
        );
        assert!(
            composite.is_err(),
            "{}: a composite key generated a value",
            b.name
        );

        // Reflect → schema.yaml → validate → check: zero operations.
        let reflected = ok(&dir, &b, &["reflect"]).stdout;
        assert!(
            reflected.contains("autoincrement: false"),
            "{}: a plain integer key is written as such:\n{reflected}",
            b.name
        );
        write(&dir.join("schema.yaml"), &reflected);
        ok(&dir, &b, &["validate"]);
        let check = common::retort(&dir, &["check"]);
        assert_eq!(
            check.code,
            0,
            "{}: reflected schema differs:\n{}\n{reflected}",
            b.name,
            check.all()
        );
        b.drop().await;
    }
}

/// `CREATE TABLE legacy` with a plain (non-generated) integer key, as an existing
/// database may have one.
fn legacy_ddl(backend: &str) -> &'static str {
    match backend {
        // BIGINT: an INTEGER key would be SQLite's rowid alias.
        "sqlite" => "CREATE TABLE legacy (id BIGINT NOT NULL PRIMARY KEY, v TEXT)",
        _ => "CREATE TABLE legacy (id INTEGER NOT NULL PRIMARY KEY, v TEXT)",
    }
}

// Adopting a database whose key is a plain integer: reflection (retort's
// `reflect`) states `autoincrement: false` for that key, so that a database built from
// the reflected schema has a plain key too — inserts without the key still fail there.
#[tokio::test]
async fn a_plain_integer_key_in_an_existing_database_stays_plain() {
    let root = temp_project();
    for b in backends("autoincrement_legacy", root.path()).await {
        let dir = root.path().join(b.name);
        project(&dir, &b, "tables: {}\n");
        let mut conn = Connection::connect(&b.url).await.expect("connect");
        conn.execute(legacy_ddl(b.name))
            .await
            .expect("legacy table");
        conn.close().await;

        let reflected = ok(&dir, &b, &["reflect"]).stdout;
        assert!(
            reflected.contains("primary_key: true, autoincrement: false"),
            "{}:\n{reflected}",
            b.name
        );
        write(&dir.join("schema.yaml"), &reflected);
        ok(&dir, &b, &["validate"]);
        ok(&dir, &b, &["check"]);

        // Declared the way it was written before "auto": still no operations.
        let old_style = "tables:\n  legacy:\n    columns:\n      id: {type: bigint, primary_key: true}\n      v: text\n";
        let old_style = if b.name == "sqlite" {
            old_style.to_string()
        } else {
            old_style.replace("bigint", "integer")
        };
        write(&dir.join("schema.yaml"), &old_style);
        // Declared the way it was written before "auto", the key now autoincrements as
        // declared, and adding that is an operation (issue 11; SQLite's INTEGER key is
        // the rowid whatever was declared, so there is nothing to change there).
        let check = b.run(&dir, &["check"]);
        if b.name == "sqlite" {
            assert_eq!(check.code, 0, "{}", check.all());
        } else {
            assert!(
                check.code == 1 && check.stdout.contains("alter_column `legacy`.`id`"),
                "{}: {}",
                b.name,
                check.all()
            );
        }

        // A fresh database built from the reflected schema keeps the key plain.
        write(&dir.join("schema.yaml"), &reflected);
        let mut conn = Connection::connect(&b.url).await.expect("connect");
        conn.execute("DROP TABLE legacy")
            .await
            .expect("drop legacy");
        conn.close().await;
        ok(&dir, &b, &["revision", "--autogenerate", "-m", "legacy"]);
        ok(&dir, &b, &["upgrade", "head"]);
        ok(&dir, &b, &["check"]);
        let r = insert(&b, "INSERT INTO legacy (v) VALUES ('x')").await;
        assert!(r.is_err(), "{}: the plain key generated a value", b.name);
        b.drop().await;
    }
}

// Alembic: a migration script with op.create_table("t", Column("id", Integer,
// primary_key=True)) creates an autoincrementing key on every backend. A revision file
// written before "auto" existed now does the same; `autoincrement: false` opts out.
#[tokio::test]
async fn revision_files_get_auto_keys_too() {
    let root = temp_project();
    for b in backends("autoincrement_revision", root.path()).await {
        let dir = root.path().join(b.name);
        project(&dir, &b, "tables: {}\n");
        write(
            &dir.join("versions/aaaaaaaaaaaa_keys.yaml"),
            "revision: aaaaaaaaaaaa\ndown_revision: null\nmessage: keys\nupgrade:\n  - create_table: {name: auto_key, columns: {id: {type: integer, primary_key: true}, v: text}}\n  - create_table: {name: small_key, columns: {id: {type: smallint, primary_key: true}, v: text}}\n  - create_table: {name: plain_key, columns: {id: {type: integer, primary_key: true, autoincrement: false}, v: text}}\ndowngrade:\n  - drop_table: {name: plain_key}\n  - drop_table: {name: small_key}\n  - drop_table: {name: auto_key}\n",
        );
        let sql = ok(&dir, &b, &["upgrade", "head", "--sql"]).stdout;
        let want = match b.name {
            "postgres" => "GENERATED BY DEFAULT AS IDENTITY",
            "mysql" => "AUTO_INCREMENT",
            _ => "INTEGER PRIMARY KEY",
        };
        assert!(sql.contains(want), "{}:\n{sql}", b.name);
        ok(&dir, &b, &["upgrade", "head"]);
        for table in ["auto_key", "small_key"] {
            insert(&b, &format!("INSERT INTO {table} (v) VALUES ('x')"))
                .await
                .unwrap_or_else(|e| panic!("{}: {table}: {e}", b.name));
        }
        let plain = insert(&b, "INSERT INTO plain_key (v) VALUES ('x')").await;
        // `autoincrement: false` is no rowid alias on SQLite either (it is spelled `INT`).
        assert!(plain.is_err(), "{}: {plain:?}", b.name);
        b.drop().await;
    }
}
