//! `drop_enum_value` (the reverse of `add_enum_value`): its YAML form, its effect on the
//! schema and its SQL on every backend.

use std::path::Path;

use retort_engine::backend::{render, RenderContext};
use retort_engine::dialect::Dialect;
use retort_engine::ops::{apply_to_schema, parse_operations, reverse, write_operations, Operation};
use retort_engine::schema::{parse_schema_text, NamingConvention};
use retort_engine::yaml::Diagnostics;

const SCHEMA: &str = r#"
enums:
  mood: [happy, "it's fine", sad]
tables:
  users:
    columns:
      id: {type: integer, primary_key: true}
      mood: {type: enum(mood), server_default: "'happy'"}
"#;

fn parse_one(yaml: &str) -> Operation {
    let nc = NamingConvention::default();
    let node = retort_engine::yaml::parse(yaml).expect("yaml");
    let mut diags = Diagnostics::default();
    let mut ops = parse_operations(Path::new("ops.yaml"), &node, &nc, &mut diags);
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(ops.len(), 1);
    ops.remove(0)
}

#[test]
fn drop_enum_value_parses_writes_applies_and_reverses_add_enum_value() {
    let nc = NamingConvention::default();
    let op = parse_one("- drop_enum_value: {name: mood, value: \"it's fine\"}\n");
    assert_eq!(
        op,
        Operation::DropEnumValue {
            name: "mood".into(),
            value: "it's fine".into(),
            position: None,
        }
    );
    let written = write_operations(std::slice::from_ref(&op), 0, &nc);
    assert_eq!(parse_one(&written), op, "{written}");
    let add = parse_one("- add_enum_value: {name: mood, value: \"it's fine\", before: sad}\n");
    assert_eq!(reverse(&add).expect("reversible"), op);
    assert!(reverse(&op).is_err(), "where the value stood is unknown");

    let mut schema = parse_schema_text(Path::new("s.yaml"), SCHEMA, &nc).unwrap();
    apply_to_schema(&op, &mut schema).unwrap();
    assert_eq!(
        schema.enum_type("mood").unwrap().values,
        vec!["happy", "sad"]
    );
    apply_to_schema(&add, &mut schema).unwrap();
    assert_eq!(
        schema.enum_type("mood").unwrap().values,
        vec!["happy", "it's fine", "sad"]
    );
    let missing = apply_to_schema(
        &Operation::DropEnumValue {
            name: "mood".into(),
            value: "nope".into(),
            position: None,
        },
        &mut schema,
    );
    assert!(missing.unwrap_err().to_string().contains("no value `nope`"));
}

#[test]
fn drop_enum_value_redefines_the_columns_on_every_backend() {
    let nc = NamingConvention::default();
    let schema = parse_schema_text(Path::new("s.yaml"), SCHEMA, &nc).unwrap();
    let ctx = RenderContext::new(schema);
    let op = parse_one("- drop_enum_value: {name: mood, value: \"it's fine\"}\n");

    let sqlite = render(&op, Dialect::Sqlite, &ctx).unwrap().join(";\n");
    assert!(
        sqlite.contains("CHECK (\"mood\" IN ('happy', 'sad'))") && sqlite.contains("DROP TABLE"),
        "{sqlite}"
    );
    let mysql = render(&op, Dialect::MySql, &ctx).unwrap().join(";\n");
    assert!(
        mysql.contains("MODIFY COLUMN `mood` ENUM('happy', 'sad')"),
        "{mysql}"
    );
    let pg = render(&op, Dialect::Postgres, &ctx).unwrap();
    assert_eq!(pg.len(), 1, "one DO block");
    assert!(
        pg[0].starts_with("DO $retort$")
            && pg[0].contains("ALTER TYPE \"mood\" RENAME TO \"mood_retort_old\"")
            && pg[0].contains("e.enumlabel <> 'it''s fine'")
            && pg[0].contains("DROP TYPE \"mood_retort_old\""),
        "{}",
        pg[0]
    );
    // Without the enum in the context, MySQL and SQLite say what the revision lacks.
    let empty = RenderContext::default();
    let err = render(&op, Dialect::Sqlite, &empty)
        .unwrap_err()
        .to_string();
    assert!(err.contains("create_enum"), "{err}");
}
