//! Pins the SQL text of every operation on every backend. The expected output lives in
//! `tests/snapshots/ops_sql.txt`; run with `RETORT_UPDATE_SNAPSHOTS=1` to rewrite it,
//! then review the diff.

use std::path::{Path, PathBuf};

use retort_engine::backend::{render, RenderContext};
use retort_engine::dialect::Dialect;
use retort_engine::ops::{parse_operations, write_operations};
use retort_engine::schema::{parse_schema_text, NamingConvention};
use retort_engine::yaml::Diagnostics;

const SCHEMA: &str = r#"
enums:
  mood: [happy, "it's fine"]
tables:
  users:
    comment: Registered users
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false}
      mood: {type: enum(mood), server_default: "'happy'"}
    indexes:
      - {name: ix_users_email, columns: [email]}
  order:
    columns:
      id: {type: bigint, primary_key: true, autoincrement: false}  # a plain key: rebuilt as BIGINT
      user_id: {type: integer, foreign_key: {references: users.id, on_delete: cascade}}
      "reply-to": {type: text, comment: "who to reply to"}
      MixedCase: {type: "numeric(10,2)", nullable: false, server_default: "0"}
    checks:
      - {name: ck_order_positive, expr: "\"MixedCase\" >= 0"}
"#;

/// One operation per item, covering every kind and the interesting variants.
const OPS: &str = r#"
- create_table:
    name: group
    comment: "Groups: all of them"
    columns:
      id: {type: bigint, primary_key: true, autoincrement: true}
      name: {type: varchar(50), nullable: false, unique: true, comment: "it's the name"}
      mood: {type: enum(mood), nullable: false, server_default: "'happy'"}
      owner: {type: integer, foreign_key: {references: users.id, on_delete: set null, on_update: cascade}}
      created: {type: timestamptz, nullable: false, server_default: CURRENT_TIMESTAMP}
      data: {type: jsonb}
      token: {type: uuid}
      price: {type: "decimal(10,2)", server_default: "lower('x')"}
    indexes:
      - {columns: [owner, created]}
      - {name: ix_group_big, columns: [price], where: "price > 100"}
    checks:
      - {name: ck_group_price, expr: "price >= 0"}
- create_table:
    name: select
    columns:
      a: {type: integer}
      b: {type: text}
    primary_key: {name: pk_select, columns: [a, b]}
- drop_table: {name: order}
- rename_table: {name: order, new_name: "has space"}
- add_column: {table: users, name: "reply-to", type: varchar(20), nullable: false, server_default: "'x'", comment: "a \"quoted\" comment"}
- add_column: {table: order, name: group_id, type: integer, foreign_key: {references: users.id, name: fk_order_group, on_delete: cascade}}
- add_column: {table: users, name: seen, type: timestamp, server_default: CURRENT_TIMESTAMP}
- add_column: {table: users, name: mood2, type: enum(mood)}
- add_column: {table: users, name: code, type: varchar(10), server_default: "upper('a')"}
- add_column: {table: users, name: n, type: integer, nullable: false}
- drop_column: {table: order, name: "reply-to", existing_type: text}
- drop_column: {table: order, name: user_id}
- alter_column: {table: users, name: email, type: text, existing_type: varchar(255), existing_nullable: false}
- alter_column: {table: users, name: email, nullable: true, existing_type: varchar(255), existing_nullable: false}
- alter_column: {table: users, name: mood, server_default: null, existing_server_default: "'happy'"}
- alter_column: {table: users, name: mood, server_default: "'it''s fine'"}
- alter_column: {table: users, name: email, new_name: MixedCase}
- alter_column: {table: order, name: "reply-to", comment: "new comment"}
- alter_column: {table: order, name: MixedCase, new_name: user, type: "numeric(12,2)", nullable: true}
- alter_column: {table: nowhere, name: x, comment: "c"}
- create_index: {name: ix_order_user, table: order, columns: [user_id, MixedCase]}
- create_index: {name: uq_order_reply, table: order, columns: ["reply-to"], unique: true, where: "\"reply-to\" IS NOT NULL", concurrently: true}
- drop_index: {name: ix_users_email, table: users}
- create_unique_constraint: {name: uq_users_email, table: users, columns: [email]}
- create_foreign_key: {name: fk_order_users, table: order, columns: [id], referred_table: users, referred_columns: [id], on_delete: restrict}
- create_foreign_key: {name: fk_x, table: order, columns: [id], referred_table: users, referred_columns: [id], on_update: set default}
- create_check_constraint: {name: ck_users_email, table: users, expr: "email LIKE '%@%'"}
- create_primary_key: {name: pk_order2, table: order, columns: [id, user_id]}
- drop_constraint: {name: ck_order_positive, table: order, type: check}
- drop_constraint: {name: fk_order_user_id_users, table: order, type: foreignkey}
- drop_constraint: {name: uq_missing, table: order, type: unique}
- drop_constraint: {name: pk_order, table: order, type: primary}
- create_enum: {name: status, values: [new, "it's, odd", "back\\slash"]}
- drop_enum: {name: mood}
- add_enum_value: {name: mood, value: sad, before: happy}
- add_enum_value: {name: mood, value: "so-so"}
- add_enum_value: {name: unknown, value: x}
- create_table_comment: {table: users, comment: "Users' table"}
- create_table_comment: {table: users, comment: null, existing_comment: Registered users}
- execute: "UPDATE users SET email = lower(email)"
- execute: {sql: "VACUUM", dialect: sqlite}
- bulk_insert:
    table: users
    rows:
      - {id: 1, email: "a@b.c", mood: happy}
      - {id: 2, email: "it's \"quoted\"\nnew line\\", mood: null}
      - {email: "10", id: -3.5e2}
      - {}
"#;

fn snapshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/ops_sql.txt")
}

fn render_everything() -> String {
    let nc = NamingConvention::default();
    let schema = parse_schema_text(Path::new("schema.yaml"), SCHEMA, &nc).expect("schema parses");
    let ctx = RenderContext::new(schema);
    let node = retort_engine::yaml::parse(OPS).expect("yaml");
    let mut diags = Diagnostics::default();
    let ops = parse_operations(Path::new("ops.yaml"), &node, &nc, &mut diags);
    assert!(diags.is_empty(), "{diags}");
    let mut out = String::new();
    out.push_str(
        "# Generated by engine/tests/ops_snapshots.rs; RETORT_UPDATE_SNAPSHOTS=1 rewrites it.\n",
    );
    for (i, op) in ops.iter().enumerate() {
        out.push_str(&format!("\n### {}. {}\n", i + 1, op.describe()));
        out.push_str("--- yaml\n");
        out.push_str(&write_operations(std::slice::from_ref(op), 0, &nc));
        for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
            out.push_str(&format!("--- {d}\n"));
            match render(op, d, &ctx) {
                Ok(stmts) if stmts.is_empty() => out.push_str("(nothing)\n"),
                Ok(stmts) => {
                    for s in stmts {
                        out.push_str(&s);
                        out.push_str(";\n");
                    }
                }
                Err(e) => out.push_str(&format!("ERROR: {e}\n")),
            }
        }
    }
    out
}

#[test]
fn operation_sql_matches_the_snapshot() {
    let actual = render_everything();
    let path = snapshot_path();
    if std::env::var("RETORT_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &actual).expect("write snapshot");
        eprintln!("rewrote {}", path.display());
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with RETORT_UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| actual.lines().count().min(expected.lines().count()));
        let show = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(3))
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "rendered SQL differs from {} at line {}:\n--- expected\n{}\n--- actual\n{}\n\nIf the change is intended, run with RETORT_UPDATE_SNAPSHOTS=1 and review the diff.",
            path.display(),
            first + 1,
            show(&expected),
            show(&actual)
        );
    }
}
