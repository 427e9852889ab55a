//! Issue 6 through the binary on SQLite, PostgreSQL and MariaDB: autogenerate finds
//! every real change once and nothing else.

mod common;

use std::path::Path;

use common::{backends, temp_project, write, Backend};

/// Every type and feature of SPEC §3 (the partial index is left out on MySQL, which has none).
fn fixture(backend: &str) -> String {
    let partial = if backend == "mysql" {
        ""
    } else {
        "      - {name: ix_order_big, columns: [total], where: \"total > 1000\"}\n"
    };
    format!(
        r#"enums:
  mood: [happy, "so-so", sad]
tables:
  user:
    comment: "Users: everyone"
    columns:
      id: {{type: integer, primary_key: true, autoincrement: true}}
      email: {{type: varchar(255), nullable: false, unique: true, index: true}}
      mood: {{type: enum(mood), nullable: false, server_default: "'happy'"}}
      small: {{type: smallint, server_default: "0"}}
      big: bigint
      flag: {{type: boolean, nullable: false, server_default: "false"}}
      ratio: real
      score: double
      price: {{type: "numeric(10,2)", server_default: "0"}}
      code: char(3)
      bio: {{type: text, comment: free text}}
      avatar: blob
      born: date
      wakes: time
      seen: timestamp
      created: {{type: timestamptz, nullable: false, server_default: CURRENT_TIMESTAMP}}
      prefs: json
      extra: jsonb
      token: uuid
      "reply-to": varchar(100)
  order:
    columns:
      id: {{type: bigint, primary_key: true, autoincrement: true}}
      user_id: {{type: integer, nullable: false, foreign_key: {{references: user.id, on_delete: cascade, on_update: cascade}}}}
      total: {{type: "numeric(12,2)", nullable: false}}
      status: {{type: varchar(20), nullable: false, server_default: "'new'"}}
    indexes:
      - {{columns: [user_id, status]}}
{partial}    unique:
      - {{columns: [user_id, id]}}
    checks:
      - {{name: ck_order_total, expr: "total >= 0"}}
  line:
    columns:
      order_id: {{type: bigint, nullable: false}}
      n: {{type: integer, nullable: false}}
      MixedCase: text
    primary_key: [order_id, n]
    foreign_keys:
      - {{columns: [order_id], references: {{table: order, columns: [id]}}, on_delete: restrict}}
"#
    )
}

fn run(dir: &Path, b: &Backend, args: &[&str]) -> common::Run {
    b.run(dir, args)
}

fn ok(dir: &Path, b: &Backend, args: &[&str]) -> common::Run {
    b.ok(dir, args)
}

/// The operations `check` lists (exit 1), or none (exit 0).
fn check_ops(dir: &Path, b: &Backend) -> Vec<String> {
    let r = run(dir, b, &["check"]);
    match r.code {
        0 => {
            assert!(r.stdout.contains("No changes detected"), "{}", r.all());
            Vec::new()
        }
        1 => r
            .stdout
            .lines()
            .skip(1)
            .map(|l| l.trim().to_string())
            .collect(),
        _ => panic!("{}: check failed: {}", b.name, r.all()),
    }
}

/// The operations `diff` finds (what `check` lists when the database is at head; below
/// head `check` refuses to compare, as Alembic's does).
fn diff_ops(dir: &Path, b: &Backend) -> Vec<String> {
    let r = run(dir, b, &["--format", "json", "diff"]);
    assert_eq!(r.code, 0, "{}: diff failed: {}", b.name, r.all());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("diff JSON");
    v["operations"]
        .as_array()
        .map(|ops| {
            ops.iter()
                .map(|o| o["description"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn user_tables(b: &Backend) -> Vec<String> {
    // The run log (retort_log) is bookkeeping, like the version table's row history.
    let mut t = b.tables().await;
    t.retain(|n| n != "retort_log");
    t
}

#[tokio::test]
async fn every_type_and_feature_round_trips_with_no_false_positives() {
    let root = temp_project();
    for b in backends("fixture", root.path()).await {
        let dir = common::temp_project_with_config();
        write(&dir.path().join("schema.yaml"), &fixture(b.name));
        let gen = ok(
            dir.path(),
            &b,
            &["revision", "--autogenerate", "-m", "everything"],
        );
        assert!(gen.stdout.contains("Generating"), "{}", gen.all());
        ok(dir.path(), &b, &["upgrade", "head"]);
        assert_eq!(
            check_ops(dir.path(), &b),
            Vec::<String>::new(),
            "{}: false positives",
            b.name
        );
        let again = ok(
            dir.path(),
            &b,
            &["revision", "--autogenerate", "-m", "nothing"],
        );
        assert!(
            again.stdout.contains("No changes detected"),
            "{}",
            again.all()
        );
        let files = std::fs::read_dir(dir.path().join("versions"))
            .unwrap()
            .count();
        assert_eq!(files, 1, "no file is written when nothing differs");
        ok(dir.path(), &b, &["downgrade", "base"]);
        assert_eq!(user_tables(&b).await, vec!["retort_version"], "{}", b.name);
        if b.name == "postgres" {
            assert!(
                b.query("SELECT typname FROM pg_type WHERE typtype = 'e'")
                    .await
                    .is_empty(),
                "enum dropped"
            );
        }
        ok(dir.path(), &b, &["upgrade", "head"]);
        assert_eq!(
            check_ops(dir.path(), &b),
            Vec::<String>::new(),
            "{}",
            b.name
        );
        b.drop().await;
    }
}

const BASE: &str = r#"enums:
  level: [low, high]
tables:
  item:
    comment: Things
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      name: {type: varchar(50), nullable: false}
      descr: {type: text, comment: about it}
      level: {type: enum(level), nullable: false, server_default: "'low'"}
      qty: {type: integer, nullable: false, server_default: "1"}
      owner_id: integer
    indexes:
      - {name: ix_item_name, columns: [name]}
  owner:
    columns:
      id: {type: integer, primary_key: true}
      item_id: {type: integer, foreign_key: {references: item.id, on_delete: cascade}}
  note:
    columns:
      id: {type: integer, primary_key: true}
"#;

struct Change {
    name: &'static str,
    apply: fn(&str) -> String,
    expect: &'static [&'static str],
    skip: &'static [&'static str],
}

fn changes() -> Vec<Change> {
    vec![
        Change {
            name: "add table",
            apply: |s| {
                format!("{s}  tag:\n    columns:\n      id: {{type: integer, primary_key: true}}\n")
            },
            expect: &["create_table `tag`"],
            skip: &[],
        },
        Change {
            name: "drop table",
            apply: |s| {
                s.replace(
                    "  note:\n    columns:\n      id: {type: integer, primary_key: true}\n",
                    "",
                )
            },
            expect: &["drop_table `note`"],
            skip: &[],
        },
        Change {
            name: "add column",
            apply: |s| {
                s.replace("      owner_id: integer\n", "      owner_id: integer\n      extra: {type: varchar(10), server_default: \"'x'\"}\n")
            },
            expect: &["add_column `item`.`extra`"],
            skip: &[],
        },
        Change {
            name: "drop column",
            apply: |s| s.replace("      descr: {type: text, comment: about it}\n", ""),
            expect: &["drop_column `item`.`descr`"],
            skip: &[],
        },
        Change {
            name: "type",
            apply: |s| s.replace("name: {type: varchar(50)", "name: {type: varchar(120)"),
            expect: &["alter_column `item`.`name`"],
            skip: &[],
        },
        Change {
            name: "nullability",
            apply: |s| {
                s.replace(
                    "      owner_id: integer\n",
                    "      owner_id: {type: integer, nullable: false, server_default: \"0\"}\n",
                )
            },
            expect: &["alter_column `item`.`owner_id`"],
            skip: &[],
        },
        Change {
            name: "default",
            apply: |s| s.replace("server_default: \"1\"", "server_default: \"5\""),
            expect: &["alter_column `item`.`qty`"],
            skip: &[],
        },
        Change {
            name: "column comment",
            apply: |s| s.replace("comment: about it", "comment: all about it"),
            expect: &["alter_column `item`.`descr`"],
            skip: &["sqlite"],
        },
        Change {
            name: "table comment",
            apply: |s| s.replace("comment: Things", "comment: Stuff"),
            expect: &["create_table_comment on `item`"],
            skip: &["sqlite"],
        },
        Change {
            name: "add index",
            apply: |s| {
                s.replace("      - {name: ix_item_name, columns: [name]}\n", "      - {name: ix_item_name, columns: [name]}\n      - {name: ix_item_qty, columns: [qty, level]}\n")
            },
            expect: &["create_index `ix_item_qty` on `item`"],
            skip: &[],
        },
        Change {
            name: "drop index",
            apply: |s| {
                s.replace(
                    "    indexes:\n      - {name: ix_item_name, columns: [name]}\n",
                    "",
                )
            },
            expect: &["drop_index `ix_item_name` on `item`"],
            skip: &[],
        },
        Change {
            name: "unique index",
            apply: |s| {
                s.replace(
                    "{name: ix_item_name, columns: [name]}",
                    "{name: ix_item_name, columns: [name], unique: true}",
                )
            },
            expect: &[
                "drop_index `ix_item_name` on `item`",
                "create_index `ix_item_name` on `item`",
            ],
            skip: &[],
        },
        Change {
            name: "partial index",
            apply: |s| {
                s.replace("      - {name: ix_item_name, columns: [name]}\n", "      - {name: ix_item_name, columns: [name]}\n      - {name: ix_item_big, columns: [qty], where: \"qty > 100\"}\n")
            },
            expect: &["create_index `ix_item_big` on `item`"],
            skip: &["mysql"],
        },
        Change {
            name: "unique constraint",
            apply: |s| {
                s.replace(
                    "    indexes:\n",
                    "    unique:\n      - {columns: [name, level]}\n    indexes:\n",
                )
            },
            expect: &["create_unique_constraint `uq_item_name_level` on `item`"],
            skip: &[],
        },
        Change {
            name: "foreign key",
            apply: |s| {
                s.replace(
                    "      owner_id: integer\n",
                    "      owner_id: {type: integer, foreign_key: note.id}\n",
                )
            },
            expect: &["create_foreign_key `fk_item_owner_id_note` on `item`"],
            skip: &[],
        },
        Change {
            name: "foreign key actions",
            apply: |s| {
                s.replace(
                    "on_delete: cascade}",
                    "on_delete: set null, on_update: cascade}",
                )
            },
            expect: &[
                "drop_constraint `fk_owner_item_id_item` on `owner`",
                "create_foreign_key `fk_owner_item_id_item` on `owner`",
            ],
            skip: &[],
        },
        Change {
            name: "check",
            apply: |s| {
                s.replace("      - {name: ix_item_name, columns: [name]}\n", "      - {name: ix_item_name, columns: [name]}\n    checks:\n      - {name: ck_item_qty, expr: \"qty >= 0\"}\n")
            },
            expect: &["create_check_constraint `ck_item_qty` on `item`"],
            skip: &[],
        },
        Change {
            name: "rename column",
            apply: |s| {
                s.replace(
                    "      descr: {type: text",
                    "      description: {renamed_from: descr, type: text",
                )
            },
            expect: &["alter_column `item`.`descr`"],
            skip: &[],
        },
        Change {
            name: "rename table",
            apply: |s| s.replace("  note:\n", "  memo:\n    renamed_from: note\n"),
            expect: &["rename_table `note` to `memo`"],
            skip: &[],
        },
    ]
}

#[tokio::test]
async fn each_single_change_is_found_applied_and_reversed() {
    let root = temp_project();
    let all = changes();
    for b in backends("single_changes", root.path()).await {
        let dir = common::temp_project_with_config();
        write(&dir.path().join("schema.yaml"), BASE);
        ok(
            dir.path(),
            &b,
            &["revision", "--autogenerate", "-m", "base"],
        );
        ok(dir.path(), &b, &["upgrade", "head"]);
        assert_eq!(
            check_ops(dir.path(), &b),
            Vec::<String>::new(),
            "{}: base has false positives",
            b.name
        );
        for change in &all {
            if change.skip.contains(&b.name) {
                eprintln!(
                    "{}: `{}` does not apply to this backend",
                    b.name, change.name
                );
                continue;
            }
            let what = format!("{} / {}", b.name, change.name);
            write(&dir.path().join("schema.yaml"), &(change.apply)(BASE));
            assert_ne!(
                (change.apply)(BASE),
                BASE,
                "{what}: the change must change the schema"
            );
            let found = check_ops(dir.path(), &b);
            assert_eq!(
                found, change.expect,
                "{what}: check reports exactly the change"
            );
            ok(
                dir.path(),
                &b,
                &["revision", "--autogenerate", "-m", change.name],
            );
            ok(dir.path(), &b, &["upgrade", "head"]);
            assert_eq!(
                check_ops(dir.path(), &b),
                Vec::<String>::new(),
                "{what}: clean after upgrade"
            );
            ok(dir.path(), &b, &["downgrade", "-1"]);
            assert_eq!(
                diff_ops(dir.path(), &b),
                found,
                "{what}: after downgrade, check reports the change again"
            );
            // Back to the base schema, and drop the revision so the next change starts clean.
            write(&dir.path().join("schema.yaml"), BASE);
            assert_eq!(
                check_ops(dir.path(), &b),
                Vec::<String>::new(),
                "{what}: downgrade restored the base"
            );
            let head = run(dir.path(), &b, &["heads"]).stdout;
            let id = head.split_whitespace().next().unwrap_or("").to_string();
            let show = run(dir.path(), &b, &["show", &id]);
            let path = show
                .stdout
                .lines()
                .find_map(|l| l.strip_prefix("Path: "))
                .unwrap_or("")
                .to_string();
            std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{what}: remove {path}: {e}"));
        }
        b.drop().await;
    }
}

#[tokio::test]
async fn enum_values_added_are_found() {
    let root = temp_project();
    for b in backends("enum_values", root.path()).await {
        let dir = common::temp_project_with_config();
        write(&dir.path().join("schema.yaml"), BASE);
        ok(
            dir.path(),
            &b,
            &["revision", "--autogenerate", "-m", "base"],
        );
        ok(dir.path(), &b, &["upgrade", "head"]);
        write(
            &dir.path().join("schema.yaml"),
            &BASE.replace("level: [low, high]", "level: [low, mid, high]"),
        );
        let found = check_ops(dir.path(), &b);
        // Enum changes are enum operations on every backend (issue 10).
        let expected = "add_enum_value `mid` to `level`";
        assert_eq!(found, vec![expected.to_string()], "{}", b.name);
        ok(dir.path(), &b, &["revision", "--autogenerate", "-m", "mid"]);
        ok(dir.path(), &b, &["upgrade", "head"]);
        assert_eq!(
            check_ops(dir.path(), &b),
            Vec::<String>::new(),
            "{}",
            b.name
        );
        ok(dir.path(), &b, &["downgrade", "-1"]);
        assert_eq!(diff_ops(dir.path(), &b), found, "{}", b.name);
        b.drop().await;
    }
}

#[tokio::test]
async fn autogenerate_refuses_a_database_behind_head() {
    let root = temp_project();
    for b in backends("behind_head", root.path()).await {
        let dir = common::temp_project_with_config();
        write(&dir.path().join("schema.yaml"), BASE);
        ok(
            dir.path(),
            &b,
            &["revision", "--autogenerate", "-m", "base"],
        );
        let r = run(
            dir.path(),
            &b,
            &["revision", "--autogenerate", "-m", "more"],
        );
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(
            r.stderr.contains("Target database is not up to date")
                && r.stderr.contains("upgrade head"),
            "{}",
            r.stderr
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("versions"))
                .unwrap()
                .count(),
            1,
            "nothing written"
        );
        b.drop().await;
    }
}

fn hand_written_ddl(backend: &str) -> Vec<&'static str> {
    match backend {
        "postgres" => vec![
            "CREATE TYPE color AS ENUM ('red', 'green')",
            "CREATE TABLE customers (id SERIAL PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE, name TEXT DEFAULT 'anon', active BOOLEAN NOT NULL DEFAULT TRUE, balance NUMERIC(12,2) DEFAULT 0, color color DEFAULT 'red', joined TIMESTAMPTZ NOT NULL DEFAULT now(), meta JSONB, CONSTRAINT ck_balance CHECK (balance >= 0))",
            "CREATE INDEX customers_name_idx ON customers (name)",
            "CREATE INDEX customers_active_idx ON customers (joined) WHERE active",
            "CREATE TABLE invoices (id BIGSERIAL PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE, amount NUMERIC(10,2) NOT NULL, note VARCHAR(50), issued DATE DEFAULT CURRENT_DATE)",
            "COMMENT ON TABLE invoices IS 'Money owed'",
            "COMMENT ON COLUMN invoices.note IS 'free text'",
        ],
        "mysql" => vec![
            "CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE, name VARCHAR(100) DEFAULT 'anon', active TINYINT(1) NOT NULL DEFAULT 1, balance DECIMAL(12,2) DEFAULT 0, color ENUM('red','green') DEFAULT 'red', joined DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, meta JSON, CONSTRAINT ck_balance CHECK (balance >= 0))",
            "CREATE INDEX customers_name_idx ON customers (name)",
            "CREATE TABLE invoices (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer_id INT NOT NULL, amount DECIMAL(10,2) NOT NULL, note VARCHAR(50) COMMENT 'free text', issued DATE, CONSTRAINT fk_inv_customer FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE) COMMENT 'Money owed'",
        ],
        _ => vec![
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE, name TEXT DEFAULT 'anon', active BOOLEAN NOT NULL DEFAULT 1, balance NUMERIC(12,2) DEFAULT 0, joined TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT ck_balance CHECK (balance >= 0))",
            "CREATE INDEX customers_name_idx ON customers (name)",
            "CREATE INDEX customers_active_idx ON customers (joined) WHERE active",
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE, amount NUMERIC(10,2) NOT NULL, note VARCHAR(50), issued DATE)",
        ],
    }
}

#[tokio::test]
async fn reflect_adopts_a_hand_built_database() {
    let root = temp_project();
    for b in backends("reflect_adopt", root.path()).await {
        let dir = common::temp_project_with_config();
        for sql in hand_written_ddl(b.name) {
            b.query(sql).await;
        }
        let r = ok(dir.path(), &b, &["reflect"]);
        assert!(
            r.stdout.contains("customers:") && r.stdout.contains("invoices:"),
            "{}: {}",
            b.name,
            r.stdout
        );
        write(&dir.path().join("schema.yaml"), &r.stdout);
        let v = ok(dir.path(), &b, &["validate"]);
        assert!(v.stdout.contains("2 tables"), "{}", v.stdout);
        assert_eq!(
            check_ops(dir.path(), &b),
            Vec::<String>::new(),
            "{}: reflected schema must compare equal\n{}",
            b.name,
            r.stdout
        );
        b.drop().await;
    }
}

#[tokio::test]
async fn example_project_history_builds_exactly_its_schema() {
    let root = temp_project();
    for b in backends("example_project", root.path()).await {
        let dir = temp_project();
        common::copy_example_project(dir.path());
        let up = ok(dir.path(), &b, &["upgrade", "head"]);
        assert_eq!(up.stdout.lines().count(), 4, "{}", up.stdout);
        assert_eq!(
            check_ops(dir.path(), &b),
            Vec::<String>::new(),
            "{}: the example history must build schema.yaml exactly",
            b.name
        );
        ok(dir.path(), &b, &["downgrade", "-1"]);
        assert_eq!(diff_ops(dir.path(), &b).len(), 4, "{}", b.name);
        ok(dir.path(), &b, &["downgrade", "base"]);
        assert_eq!(user_tables(&b).await, vec!["retort_version"]);
        b.drop().await;
    }
}

#[tokio::test]
async fn warnings_hints_json_sql_and_table_filters() {
    let root = temp_project();
    for b in backends("warnings_hints", root.path()).await {
        let dir = common::temp_project_with_config();
        write(&dir.path().join("schema.yaml"), BASE);
        ok(
            dir.path(),
            &b,
            &["revision", "--autogenerate", "-m", "base"],
        );
        ok(dir.path(), &b, &["upgrade", "head"]);
        // Destructive: drop a column, narrow a type; plus a lookalike drop/add pair.
        let changed = BASE
            .replace("      descr: {type: text, comment: about it}\n", "")
            .replace("name: {type: varchar(50)", "name: {type: varchar(20)")
            .replace("      owner_id: integer\n", "      holder_id: integer\n");
        write(&dir.path().join("schema.yaml"), &changed);
        let check = run(dir.path(), &b, &["check"]);
        assert_eq!(check.code, 1);
        assert!(
            check.stderr.contains("WARNING: drops column `item.descr`"),
            "{}: {}",
            b.name,
            check.stderr
        );
        assert!(
            check.stderr.contains("WARNING: narrows `item.name`"),
            "{}",
            check.stderr
        );
        assert!(
            check.stderr.contains("did you mean to rename?")
                && check.stderr.contains("renamed_from: owner_id"),
            "{}",
            check.stderr
        );
        let json = ok(dir.path(), &b, &["--format", "json", "diff"]);
        let v: serde_json::Value =
            serde_json::from_str(&json.stdout).expect("diff --format json is JSON");
        let kinds: Vec<&str> = v["operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["operation"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"drop_column")
                && kinds.contains(&"add_column")
                && kinds.contains(&"alter_column"),
            "{kinds:?}"
        );
        let cj = run(dir.path(), &b, &["--format", "json", "check"]);
        assert_eq!(cj.code, 1);
        let v: serde_json::Value =
            serde_json::from_str(&cj.stdout).expect("check --format json is JSON");
        assert_eq!(v["warnings"].as_array().unwrap().len(), 3, "{}", cj.stdout);
        let sql = ok(dir.path(), &b, &["diff", "--sql"]);
        assert!(
            sql.stdout.contains("-- WARNING: drops column `item.descr`"),
            "{}: {}",
            b.name,
            sql.stdout
        );
        assert!(
            sql.stdout.to_ascii_uppercase().contains("ALTER TABLE")
                || sql.stdout.contains("CREATE TABLE"),
            "{}",
            sql.stdout
        );
        let gen = ok(
            dir.path(),
            &b,
            &["revision", "--autogenerate", "-m", "destructive"],
        );
        let path = gen
            .stdout
            .trim()
            .strip_prefix("Generating ")
            .and_then(|p| p.strip_suffix(" ... done"))
            .unwrap()
            .to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("  # WARNING: drops column `item.descr` and its data\n  - drop_column:"),
            "{text}"
        );
        // A declared rename is a rename, and it says so.
        write(
            &dir.path().join("schema.yaml"),
            &changed.replace(
                "      holder_id: integer\n",
                "      holder_id: {type: integer, renamed_from: owner_id}\n",
            ),
        );
        std::fs::remove_file(&path).unwrap();
        let renamed = run(dir.path(), &b, &["check"]);
        assert!(
            renamed.stdout.contains("alter_column `item`.`owner_id`")
                && !renamed.stdout.contains("add_column"),
            "{}",
            renamed.stdout
        );
        assert!(
            renamed
                .stderr
                .contains("is renamed to `holder_id` (renamed_from)"),
            "{}",
            renamed.stderr
        );
        // include_tables / exclude_tables: an excluded table is neither created nor dropped.
        write(
            &dir.path().join("schema.yaml"),
            &format!(
                "{BASE}  scratch:\n    columns:\n      id: {{type: integer, primary_key: true}}\n"
            ),
        );
        write(
            &dir.path().join("retort.yaml"),
            "exclude_tables: [scratch, note]\n",
        );
        assert_eq!(
            check_ops(dir.path(), &b),
            Vec::<String>::new(),
            "{}: excluded tables are ignored",
            b.name
        );
        write(
            &dir.path().join("retort.yaml"),
            "include_tables: [\"it*\"]\n",
        );
        write(
            &dir.path().join("schema.yaml"),
            &BASE.replace(
                "  note:\n    columns:\n      id: {type: integer, primary_key: true}\n",
                "",
            ),
        );
        assert_eq!(
            check_ops(dir.path(), &b),
            Vec::<String>::new(),
            "{}: only included tables are compared",
            b.name
        );
        b.drop().await;
    }
}
