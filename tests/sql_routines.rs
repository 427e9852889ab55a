//! Issue 9 item 7 through the binary: SQL revisions holding triggers and routines
//! (SQLite `BEGIN … END` triggers, PostgreSQL `$$`/`$tag$` bodies, MariaDB
//! `DELIMITER`-free `BEGIN … END` blocks) run whole on each backend, the triggers fire,
//! and `upgrade --sql` prints every body whole.

mod common;

use common::{backends, retort, temp_project, write, Backend};

const SQLITE_TRIGGER: &str = "CREATE TRIGGER trg_items_audit AFTER INSERT ON items
BEGIN
  -- a comment; with BEGIN and END; in it
  INSERT INTO audit (item_id, msg) VALUES (NEW.id, 'inserted; begin end');
  UPDATE items SET note = CASE WHEN NEW.qty > 10 THEN 'big' ELSE 'small' END WHERE id = NEW.id;
END";

const POSTGRES_FUNCTION: &str =
    "CREATE FUNCTION items_audit() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  -- END; here is only a comment
  INSERT INTO audit (item_id, msg) VALUES (NEW.id, 'inserted; begin end');
  IF NEW.qty > 10 THEN NEW.note := 'big'; ELSE NEW.note := 'small'; END IF;
  RETURN NEW;
END;
$body$";

const POSTGRES_TWICE: &str =
    "CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RETURN x * 2; END; $$";

const POSTGRES_TRIGGER: &str = "CREATE TRIGGER trg_items_audit BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION items_audit()";

const MYSQL_TRIGGER: &str = "CREATE TRIGGER trg_items_audit BEFORE INSERT ON items FOR EACH ROW
BEGIN
  DECLARE n INT DEFAULT 0;
  /* END; in a comment */
  INSERT INTO audit (item_id, msg) VALUES (NEW.id, 'inserted; begin end');
  IF NEW.qty > 10 THEN
    SET NEW.note = 'big';
  ELSE
    SET NEW.note = 'small';
  END IF;
  lbl: WHILE n < 2 DO
    SET n = n + 1;
  END WHILE lbl;
END";

const MYSQL_TWICE: &str = "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC
BEGIN
  DECLARE r INT DEFAULT 0;
  CASE WHEN x > 0 THEN SET r = x * 2; ELSE SET r = 0; END CASE;
  RETURN r;
END";

const MYSQL_FILL: &str = "CREATE PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  fill_loop: LOOP
    SET i = i + 1;
    IF i > n THEN LEAVE fill_loop; END IF;
    REPEAT INSERT INTO audit (item_id, msg) VALUES (i, 'fill'); UNTIL TRUE END REPEAT;
  END LOOP fill_loop;
END";

/// The upgrade statements of the revision for `backend`, bodies included.
fn upgrade_statements(backend: &str) -> Vec<&'static str> {
    match backend {
        "sqlite" => vec![
            "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL, note TEXT)",
            "CREATE TABLE audit (item_id INTEGER, msg TEXT)",
            SQLITE_TRIGGER,
        ],
        "postgres" => vec![
            "CREATE TABLE items (id integer PRIMARY KEY, qty integer NOT NULL, note text)",
            "CREATE TABLE audit (item_id integer, msg text)",
            POSTGRES_FUNCTION,
            POSTGRES_TWICE,
            POSTGRES_TRIGGER,
        ],
        _ => vec![
            "CREATE TABLE items (id INT PRIMARY KEY, qty INT NOT NULL, note VARCHAR(20))",
            "CREATE TABLE audit (item_id INT, msg VARCHAR(100))",
            MYSQL_TRIGGER,
            MYSQL_TWICE,
            MYSQL_FILL,
        ],
    }
}

fn downgrade_sql(backend: &str) -> &'static str {
    match backend {
        "sqlite" => "DROP TRIGGER trg_items_audit;\nDROP TABLE audit;\nDROP TABLE items;\n",
        "postgres" => "DROP TRIGGER trg_items_audit ON items;\nDROP FUNCTION twice(integer);\nDROP FUNCTION items_audit();\nDROP TABLE audit;\nDROP TABLE items;\n",
        _ => "DROP PROCEDURE fill;\nDROP FUNCTION twice;\nDROP TRIGGER trg_items_audit;\nDROP TABLE audit;\nDROP TABLE items;\n",
    }
}

/// A project whose one SQL revision creates the tables, trigger and routines for `backend`.
fn project(backend: &str) -> tempfile::TempDir {
    let dir = temp_project();
    let p = dir.path();
    write(
        &p.join("retort.yaml"),
        "schema: schema.yaml\nversions: versions\n",
    );
    write(&p.join("schema.yaml"), "tables: {}\n");
    let upgrade = upgrade_statements(backend).join(";\n\n");
    write(
        &p.join("versions/r1_routines.sql"),
        &format!(
            "-- triggers and routines\n--\n-- revision: r1r1r1r1\n-- down_revision:\n-- branch_labels:\n-- depends_on:\n-- create_date: 2026-01-01 00:00:00+00:00\n\n-- +upgrade\n{upgrade};\n\n-- +downgrade\n{}",
            downgrade_sql(backend)
        ),
    );
    dir
}

async fn one(b: &Backend, sql: &str) -> String {
    b.query(sql)
        .await
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next().flatten())
        .unwrap_or_default()
}

#[tokio::test]
async fn sql_revision_triggers_and_routines_run_and_fire() {
    let scratch = temp_project();
    for b in backends("sql_routines", scratch.path()).await {
        let dir = project(b.name);
        let p = dir.path();
        let out = b.run(p, &["upgrade", "head"]);
        assert_eq!(out.code, 0, "{}: {}", b.name, out.all());

        b.query("INSERT INTO items (id, qty) VALUES (1, 20)").await;
        b.query("INSERT INTO items (id, qty) VALUES (2, 3)").await;
        assert_eq!(
            one(&b, "SELECT note FROM items WHERE id = 1").await,
            "big",
            "{}: the trigger fired",
            b.name
        );
        assert_eq!(
            one(&b, "SELECT note FROM items WHERE id = 2").await,
            "small"
        );
        assert_eq!(
            one(
                &b,
                "SELECT COUNT(*) FROM audit WHERE msg = 'inserted; begin end'"
            )
            .await,
            "2",
            "{}: the trigger's whole body ran",
            b.name
        );
        match b.name {
            "postgres" => assert_eq!(one(&b, "SELECT twice(21)").await, "42"),
            "mysql" => {
                assert_eq!(one(&b, "SELECT twice(21)").await, "42");
                b.query("CALL fill(3)").await;
                assert_eq!(
                    one(&b, "SELECT COUNT(*) FROM audit WHERE msg = 'fill'").await,
                    "3",
                    "the procedure's loop ran"
                );
            }
            _ => {}
        }

        let out = b.run(p, &["downgrade", "base"]);
        assert_eq!(out.code, 0, "{}: {}", b.name, out.all());
        assert!(
            !b.tables()
                .await
                .iter()
                .any(|t| t == "items" || t == "audit"),
            "{}",
            b.name
        );
        b.drop().await;
    }
}

#[test]
fn sql_revision_bodies_print_whole_offline() {
    for (backend, url) in [
        ("sqlite", "sqlite://offline.db"),
        ("postgres", "postgresql://u@h/db"),
        ("mysql", "mysql://u@h/db"),
    ] {
        let dir = project(backend);
        let r = retort(dir.path(), &["upgrade", "head", "--sql", "--url", url]);
        assert_eq!(r.code, 0, "{backend}: {}", r.all());
        for body in upgrade_statements(backend) {
            assert!(
                r.stdout.contains(body),
                "{backend}: --sql output lacks the whole statement\n{body}\n---- output:\n{}",
                r.stdout
            );
        }
        if backend == "mysql" {
            // Compound statements are fenced for the mysql client, which cuts at `;`.
            for body in [MYSQL_TRIGGER, MYSQL_TWICE, MYSQL_FILL] {
                assert!(
                    r.stdout
                        .contains(&format!("DELIMITER //\n{body}\n//\nDELIMITER ;")),
                    "{}",
                    r.stdout
                );
            }
        }
    }
}
