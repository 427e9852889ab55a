//! Enums compared by name on every backend (issue 10): inline enums resolved from the
//! revision history and the columns.

use std::path::Path;

use super::*;
use crate::schema::{inline_enum_spelling, parse_schema_text, NamingConvention};

fn schema(text: &str) -> Schema {
    parse_schema_text(Path::new("s.yaml"), text, &NamingConvention::default()).unwrap()
}

fn kinds(ops: &[Operation]) -> Vec<String> {
    ops.iter().map(|o| o.describe()).collect()
}

const DECLARED: &str = r#"
enums:
  level: [low, mid, high]
tables:
  item:
    columns:
      id: {type: integer, primary_key: true}
      level: {type: enum(level), nullable: false}
"#;

/// `declared` as MySQL or SQLite reflect it: enum columns inline, no named enums.
fn as_inline(declared: &Schema) -> Schema {
    let mut s = declared.clone();
    for t in &mut s.tables {
        for c in &mut t.columns {
            if let ColumnType::Enum(name) = &c.ty {
                let values = &declared.enum_type(name).unwrap().values;
                c.ty = ColumnType::Custom(inline_enum_spelling(values));
            }
        }
    }
    s.enums.clear();
    s
}

fn level(values: &[&str]) -> EnumType {
    EnumType {
        name: "level".into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn diff_inline(declared: &Schema, db: &Schema, history: Vec<EnumType>, d: Dialect) -> Diff {
    let mut reflected = as_inline(db);
    resolve_inline_enums(declared, &mut reflected, history, d);
    compare(declared, &reflected, d, &CompareOptions::default())
}

#[test]
fn a_database_built_from_the_declaration_compares_equal_with_or_without_history() {
    let declared = schema(DECLARED);
    for d in [Dialect::Sqlite, Dialect::MySql] {
        let with = diff_inline(
            &declared,
            &declared,
            vec![level(&["low", "mid", "high"])],
            d,
        );
        assert!(with.is_empty(), "{d}: {:?}", kinds(&with.upgrade));
        let without = diff_inline(&declared, &declared, Vec::new(), d);
        assert!(without.is_empty(), "{d}: {:?}", kinds(&without.upgrade));
    }
}

#[test]
fn new_enums_are_created_on_every_backend() {
    let declared = schema(DECLARED);
    for d in [Dialect::Sqlite, Dialect::MySql, Dialect::Postgres] {
        let diff = compare(&declared, &Schema::default(), d, &CompareOptions::default());
        assert_eq!(
            kinds(&diff.upgrade),
            vec!["create_enum `level`", "create_table `item`"],
            "{d}"
        );
        assert_eq!(
            kinds(&diff.downgrade().unwrap()),
            vec!["drop_table `item`", "drop_enum `level`"],
            "{d}"
        );
    }
}

#[test]
fn added_values_are_enum_operations_not_column_changes() {
    let declared = schema(DECLARED);
    let before = schema(&DECLARED.replace("[low, mid, high]", "[low, high]"));
    for d in [Dialect::Sqlite, Dialect::MySql] {
        let diff = diff_inline(&declared, &before, vec![level(&["low", "high"])], d);
        assert_eq!(
            diff.upgrade,
            vec![Operation::AddEnumValue {
                name: "level".into(),
                value: "mid".into(),
                position: Some(EnumValuePosition::Before("high".into())),
            }],
            "{d}"
        );
        assert_eq!(
            diff.downgrade().unwrap(),
            vec![Operation::DropEnumValue {
                name: "level".into(),
                value: "mid".into(),
                position: None,
            }],
            "{d}"
        );
    }
}

#[test]
fn removed_values_are_dropped_with_a_warning_and_restored_in_place() {
    let declared = schema(&DECLARED.replace("[low, mid, high]", "[low, high, top]"));
    let db = schema(DECLARED);
    let diff = compare(
        &declared,
        &db,
        Dialect::Postgres,
        &CompareOptions::default(),
    );
    assert_eq!(
        kinds(&diff.upgrade),
        vec![
            "drop_enum_value `mid` from `level`",
            "add_enum_value `top` to `level`"
        ]
    );
    assert_eq!(diff.warnings.len(), 1, "{:?}", diff.warnings);
    assert_eq!(
        diff.downgrade().unwrap(),
        vec![
            Operation::DropEnumValue {
                name: "level".into(),
                value: "top".into(),
                position: None,
            },
            Operation::AddEnumValue {
                name: "level".into(),
                value: "mid".into(),
                position: Some(EnumValuePosition::Before("high".into())),
            },
        ]
    );
    let reordered = schema(&DECLARED.replace("[low, mid, high]", "[high, mid, low]"));
    let diff = compare(
        &reordered,
        &db,
        Dialect::Postgres,
        &CompareOptions::default(),
    );
    assert!(diff.is_empty() && diff.notes.len() == 1, "{diff:?}");
}

#[test]
fn enums_the_history_defines_and_the_declaration_dropped_are_dropped() {
    let declared =
        schema(&DECLARED.replace("      level: {type: enum(level), nullable: false}\n", ""));
    let declared = Schema {
        enums: Vec::new(),
        ..declared
    };
    let db = schema(DECLARED);
    for d in [Dialect::Sqlite, Dialect::MySql] {
        let diff = diff_inline(&declared, &db, vec![level(&["low", "mid", "high"])], d);
        assert_eq!(
            kinds(&diff.upgrade),
            vec!["drop_column `item`.`level`", "drop_enum `level`"],
            "{d}"
        );
        // The downgrade restores the column as enum(level), after the enum: portable.
        assert_eq!(
            kinds(&diff.downgrade().unwrap()),
            vec!["create_enum `level`", "add_column `item`.`level`"],
            "{d}"
        );
        let Operation::AddColumn { column, .. } = &diff.downgrade().unwrap()[1] else {
            panic!("{:?}", diff.downgrade().unwrap())
        };
        assert_eq!(column.ty, ColumnType::Enum("level".into()));
    }
}

#[test]
fn an_enum_unknown_to_the_history_whose_columns_differ_is_created() {
    // The columns hold other values than the declaration: the enum is created (with
    // its values, for the other backends) and the columns converted to it.
    let declared = schema(DECLARED);
    let db = schema(&DECLARED.replace("[low, mid, high]", "[low, high]"));
    let diff = diff_inline(&declared, &db, Vec::new(), Dialect::Sqlite);
    assert_eq!(
        kinds(&diff.upgrade),
        vec!["create_enum `level`", "alter_column `item`.`level`"]
    );
}
