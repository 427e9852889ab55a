//! The runner and reflection read a live table with the same reader: for every table
//! of a database created by retort's own operations, `read_live_table` (what the runner
//! reads before a SQLite rebuild or a MySQL `MODIFY COLUMN`) answers exactly the table
//! `reflect_schema` reports, except that inline enum columns are named after the declared
//! enum they match.
//!
//! SQLite always runs (a temporary file). PostgreSQL and MySQL/MariaDB run when
//! `RETORT_TEST_POSTGRES_URL` / `RETORT_TEST_MYSQL_URL` are set; each test creates and
//! drops its own database. With `RETORT_TEST_REQUIRE_ALL=1` a missing URL is a failure.

use retort_engine::backend::{read_live_table, render_all, RenderContext};
use retort_engine::dialect::Dialect;
use retort_engine::ops::Operation;
use retort_engine::reflect::{reflect_schema, ReflectOptions};
use retort_engine::schema::{parse_schema_text, ColumnType, NamingConvention, Schema, Table};

// ---- databases ------------------------------------------------------------------------

mod common;

use common::fresh;

// ---- the test -------------------------------------------------------------------------

const DECLARED: &str = r#"
enums:
  mood: [happy, "it's fine"]
tables:
  users:
    comment: Registered users
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false, unique: true, comment: login}
      mood: {type: enum(mood), nullable: false, server_default: "'happy'"}
      payload: {type: json}
      score: {type: "decimal(10,2)", server_default: "0"}
    indexes:
      - {columns: [mood]}
      - {name: ix_users_email_score, columns: [email, score], unique: true}
    checks:
      - {name: ck_users_email, expr: "email <> ''"}
  scripts:
    columns:
      id: {type: bigint, primary_key: true, autoincrement: true}
      user_id: {type: integer, nullable: false, foreign_key: {references: users.id, on_delete: cascade}}
      title: {type: varchar(40)}
    unique:
      - {name: uq_scripts_user_title, columns: [user_id, title]}
"#;

/// Lists without an order of their own, sorted as reflection sorts them.
fn sorted(mut t: Table) -> Table {
    t.indexes
        .sort_by(|a, b| (&a.name, &a.columns).cmp(&(&b.name, &b.columns)));
    t.unique
        .sort_by(|a, b| (&a.name, &a.columns).cmp(&(&b.name, &b.columns)));
    t.foreign_keys.sort_by(|a, b| {
        (&a.name, &a.columns, &a.referred_table).cmp(&(&b.name, &b.columns, &b.referred_table))
    });
    t.checks
        .sort_by(|a, b| (&a.name, &a.expr).cmp(&(&b.name, &b.expr)));
    t
}

async fn one_table_reads_as_reflection_does(dialect: Dialect) {
    let Some(mut db) = fresh(dialect).await else {
        return;
    };
    let declared = parse_schema_text(
        std::path::Path::new("schema.yaml"),
        DECLARED,
        &NamingConvention::default(),
    )
    .expect("schema parses");
    let mut ops: Vec<Operation> = declared
        .enums
        .iter()
        .cloned()
        .map(Operation::CreateEnum)
        .collect();
    ops.extend(declared.tables.iter().cloned().map(Operation::CreateTable));
    let mut ctx = RenderContext::new(Schema::default());
    let statements = render_all(&ops, dialect, &mut ctx).expect("renders");
    for s in statements.iter().flatten() {
        db.run(&[s.as_str()]).await;
    }

    let reflected = reflect_schema(&mut db.conn, &ReflectOptions::default())
        .await
        .expect("reflects");
    assert_eq!(reflected.tables.len(), 2, "{dialect}");
    for table in &reflected.tables {
        // Without enums to name: exactly the reflected table.
        let live = read_live_table(&mut db.conn, &table.name, &[])
            .await
            .unwrap_or_else(|e| panic!("{dialect}: reading {}: {e}", table.name))
            .unwrap_or_else(|| panic!("{dialect}: {} not found", table.name));
        assert_eq!(&sorted(live), table, "{dialect}: {}", table.name);
    }

    // With the declared enums, an inline enum column is named after its enum.
    let users = read_live_table(&mut db.conn, "users", &declared.enums)
        .await
        .expect("reads users")
        .expect("users exists");
    assert_eq!(
        users.column("mood").expect("mood").ty,
        ColumnType::Enum("mood".into()),
        "{dialect}"
    );
    let mut expected = reflected.table("users").expect("users").clone();
    if let Some(c) = expected.columns.iter_mut().find(|c| c.name == "mood") {
        c.ty = ColumnType::Enum("mood".into());
    }
    assert_eq!(sorted(users), expected, "{dialect}");

    let missing = read_live_table(&mut db.conn, "no_such_table", &declared.enums).await;
    db.finish().await;
    assert!(missing.expect("reads").is_none(), "{dialect}");
}

#[tokio::test]
async fn sqlite_reads_one_table_as_reflection_does() {
    one_table_reads_as_reflection_does(Dialect::Sqlite).await;
}

#[tokio::test]
async fn postgres_reads_one_table_as_reflection_does() {
    one_table_reads_as_reflection_does(Dialect::Postgres).await;
}

#[tokio::test]
async fn mysql_reads_one_table_as_reflection_does() {
    one_table_reads_as_reflection_does(Dialect::MySql).await;
}
