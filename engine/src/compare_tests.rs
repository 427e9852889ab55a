use std::path::Path;

use super::*;
use crate::schema::{parse_schema_text, NamingConvention};

fn schema(text: &str) -> Schema {
    parse_schema_text(Path::new("s.yaml"), text, &NamingConvention::default()).unwrap()
}

fn kinds(ops: &[Operation]) -> Vec<String> {
    ops.iter().map(|o| o.describe()).collect()
}

const BASE: &str = r#"
enums:
  status: [new, done]
tables:
  users:
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false, unique: true}
      name: {type: varchar(100), server_default: "'anon'"}
  posts:
    columns:
      id: {type: integer, primary_key: true}
      user_id: {type: integer, nullable: false, foreign_key: {references: users.id, on_delete: cascade}}
      status: {type: enum(status), nullable: false, server_default: "'new'"}
    indexes:
      - {columns: [user_id, status]}
    checks:
      - {name: ck_posts_id, expr: "id > 0"}
"#;

#[test]
fn identical_schemas_give_nothing_on_every_dialect() {
    let s = schema(BASE);
    for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
        let diff = compare(&s, &s, d, &CompareOptions::default());
        assert!(diff.is_empty(), "{d}: {:?}", kinds(&diff.upgrade));
    }
}

#[test]
fn new_tables_come_parents_first_and_downgrade_mirrors() {
    let declared = schema(BASE);
    let diff = compare(
        &declared,
        &Schema::default(),
        Dialect::Postgres,
        &CompareOptions::default(),
    );
    assert_eq!(
        kinds(&diff.upgrade),
        vec![
            "create_enum `status`",
            "create_table `users`",
            "create_table `posts`"
        ]
    );
    assert_eq!(
        kinds(&diff.downgrade().unwrap()),
        vec![
            "drop_table `posts`",
            "drop_table `users`",
            "drop_enum `status`"
        ]
    );
    let back = compare(
        &Schema::default(),
        &declared,
        Dialect::Postgres,
        &CompareOptions::default(),
    );
    assert_eq!(
        kinds(&back.upgrade),
        vec![
            "drop_table `posts`",
            "drop_table `users`",
            "drop_enum `status`"
        ]
    );
    assert_eq!(back.warnings.len(), 2, "{:?}", back.warnings);
}

#[test]
fn foreign_key_cycles_are_split_out() {
    let declared = schema(
        "tables:\n  a:\n    columns:\n      id: {type: integer, primary_key: true}\n      b_id: {type: integer, foreign_key: b.id}\n  b:\n    columns:\n      id: {type: integer, primary_key: true}\n      a_id: {type: integer, foreign_key: a.id}\n",
    );
    let diff = compare(
        &declared,
        &Schema::default(),
        Dialect::Postgres,
        &CompareOptions::default(),
    );
    assert_eq!(
        kinds(&diff.upgrade),
        vec![
            "create_table `a`",
            "create_table `b`",
            "create_foreign_key `fk_a_b_id_b` on `a`"
        ]
    );
    assert_eq!(
        kinds(&diff.downgrade().unwrap())[0],
        "drop_constraint `fk_a_b_id_b` on `a`"
    );
}

#[test]
fn column_changes_carry_existing_values_and_reverse() {
    let old = schema(BASE);
    let new = schema(&BASE.replace(
        "name: {type: varchar(100), server_default: \"'anon'\"}",
        "name: {type: varchar(50), nullable: false}",
    ));
    let diff = compare(&new, &old, Dialect::Postgres, &CompareOptions::default());
    assert_eq!(diff.upgrade.len(), 1, "{:?}", kinds(&diff.upgrade));
    let Operation::AlterColumn(a) = &diff.upgrade[0] else {
        panic!("{:?}", diff.upgrade)
    };
    assert_eq!(a.ty, Some(ColumnType::Varchar(Some(50))));
    assert_eq!(a.nullable, Some(false));
    assert_eq!(a.server_default, Some(None));
    assert_eq!(a.existing_type, Some(ColumnType::Varchar(Some(100))));
    assert_eq!(a.existing_server_default, Some(Some("'anon'".into())));
    let Operation::AlterColumn(b) = &diff.downgrade().unwrap()[0] else {
        panic!()
    };
    assert_eq!(b.ty, Some(ColumnType::Varchar(Some(100))));
    assert_eq!(b.nullable, Some(true));
    assert_eq!(b.server_default, Some(Some("'anon'".into())));
    assert!(
        diff.warnings[0].1.contains("narrows `users.name`"),
        "{:?}",
        diff.warnings
    );
}

#[test]
fn renames_are_renames_and_lookalikes_get_a_hint() {
    let old = schema(BASE);
    let renamed = BASE
        .replace("  users:\n", "  people:\n    renamed_from: users\n")
        .replace("references: users.id", "references: people.id")
        .replace(
            "name: {type: varchar(100)",
            "full_name: {renamed_from: name, type: varchar(100)",
        );
    let new = schema(&renamed);
    let diff = compare(&new, &old, Dialect::Sqlite, &CompareOptions::default());
    let k = kinds(&diff.upgrade);
    assert!(
        k.contains(&"rename_table `users` to `people`".to_string()),
        "{k:?}"
    );
    assert!(
        k.contains(&"alter_column `people`.`name`".to_string()),
        "{k:?}"
    );
    assert!(
        !k.iter().any(|x| x.starts_with("drop_column")
            || x.starts_with("add_column")
            || x.starts_with("drop_table")),
        "{k:?}"
    );
    assert!(
        diff.notes.iter().any(|n| n.contains("renamed to `people`")),
        "{:?}",
        diff.notes
    );
    let swapped =
        schema(&BASE.replace("name: {type: varchar(100)", "nickname: {type: varchar(100)"));
    let diff = compare(&swapped, &old, Dialect::Sqlite, &CompareOptions::default());
    assert!(
        diff.notes
            .iter()
            .any(|n| n.contains("did you mean to rename?")),
        "{:?}",
        diff.notes
    );
    assert_eq!(
        kinds(&diff.upgrade),
        vec![
            "add_column `users`.`nickname`",
            "drop_column `users`.`name`"
        ]
    );
}

#[test]
fn mysql_unique_index_equals_unique_constraint() {
    let declared = schema("tables:\n  t:\n    columns:\n      id: {type: integer, primary_key: true}\n      e: {type: varchar(10), unique: true, index: true}\n");
    let mut reflected = declared.clone();
    let ix = reflected.tables[0].indexes.remove(0);
    reflected.tables[0].unique.push(UniqueConstraint {
        name: ix.name,
        columns: ix.columns,
    });
    assert!(compare(
        &declared,
        &reflected,
        Dialect::MySql,
        &CompareOptions::default()
    )
    .is_empty());
    assert!(!compare(
        &declared,
        &reflected,
        Dialect::Postgres,
        &CompareOptions::default()
    )
    .is_empty());
}

#[test]
fn enum_values_are_added_in_place_on_postgres() {
    let old = schema(BASE);
    let new = schema(&BASE.replace(
        "status: [new, done]",
        "status: [new, review, done, archived]",
    ));
    let diff = compare(&new, &old, Dialect::Postgres, &CompareOptions::default());
    assert_eq!(
        diff.upgrade,
        vec![
            Operation::AddEnumValue {
                name: "status".into(),
                value: "review".into(),
                position: Some(EnumValuePosition::Before("done".into()))
            },
            Operation::AddEnumValue {
                name: "status".into(),
                value: "archived".into(),
                position: None
            },
        ]
    );
    assert_eq!(
        kinds(&diff.downgrade().unwrap()),
        vec![
            "drop_enum_value `archived` from `status`",
            "drop_enum_value `review` from `status`"
        ]
    );
    // Enums are compared by name on every backend (the columns keep enum(status)).
    let mysql = compare(&new, &old, Dialect::MySql, &CompareOptions::default());
    assert_eq!(mysql.upgrade, diff.upgrade);
}

#[test]
fn catalog_spellings_are_not_changes() {
    let declared = schema(BASE);
    let mut reflected = declared.clone();
    let users = &mut reflected.tables[0];
    users.columns[1].ty = ColumnType::Custom("character varying(255)".into());
    users.columns[2].server_default = Some("'anon'::character varying".into());
    users.indexes.clear();
    let posts = &mut reflected.tables[1];
    posts.checks[0].expr = "((id > 0))".into();
    posts.foreign_keys[0].name = "posts_user_id_fkey".into();
    posts.columns[2].server_default = Some("'new'::status".into());
    let diff = compare(
        &declared,
        &reflected,
        Dialect::Postgres,
        &CompareOptions::default(),
    );
    assert!(diff.is_empty(), "{:?}", kinds(&diff.upgrade));
    let off = CompareOptions {
        types: false,
        server_defaults: false,
        comments: false,
    };
    reflected.tables[0].columns[1].ty = ColumnType::Text;
    reflected.tables[0].columns[2].server_default = None;
    assert!(compare(&declared, &reflected, Dialect::Postgres, &off).is_empty());
}
