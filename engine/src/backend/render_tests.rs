//! Round trips, reverses, and a property test over random operation sequences.

use std::path::Path;

use super::render::*;
use super::sqlite::rebuild as sqlite_rebuild;
use crate::ops::*;
use crate::schema::{
    parse_schema_text, CheckConstraint, Column, ColumnType, EnumType, FkAction, ForeignKey, Index,
    NamingConvention, PrimaryKey, Schema, Table, UniqueConstraint,
};
use crate::yaml::Diagnostics;

const ODD: &[&str] = &[
    "order",
    "user",
    "select",
    "group",
    "MixedCase",
    "reply-to",
    "has space",
];

fn nc() -> NamingConvention {
    NamingConvention::default()
}

fn round_trip(ops: &[Operation]) -> Vec<Operation> {
    let text = format!("upgrade:\n{}", write_operations(ops, 2, &nc()));
    let node = crate::yaml::parse(&text).unwrap_or_else(|e| panic!("{e:?} in\n{text}"));
    let list = node.get("upgrade").cloned().unwrap_or(crate::yaml::Node {
        value: crate::yaml::NodeValue::Null,
        span: Default::default(),
    });
    let mut d = Diagnostics::default();
    let back = parse_operations(Path::new("r.yaml"), &list, &nc(), &mut d);
    assert!(d.is_empty(), "{d}\nin:\n{text}");
    assert_eq!(
        back, ops,
        "round trip changed the operations; text:\n{text}"
    );
    back
}

fn table(name: &str) -> Table {
    let q = crate::yaml::quoted;
    let text = format!(
        r#"
enums: {{mood: [a, "b'c"]}}
tables:
  {n}:
    comment: "a: b, c"
    columns:
      id: {{type: integer, primary_key: true, autoincrement: true}}
      {n}: {{type: varchar(20), nullable: false, server_default: "'x, y'", comment: "quote \" and 'single'"}}
      mood: {{type: enum(mood)}}
      parent: {{type: integer, foreign_key: {{references: {r}, on_delete: set null}}}}
    indexes:
      - {{name: {ix}, columns: [{n}], where: {w}, unique: true}}
    unique:
      - {{columns: [mood, parent]}}
    checks:
      - {{name: ck, expr: "id > 0"}}
"#,
        n = q(name),
        r = q(&format!("{name}.id")),
        ix = q(&format!("ix {name}")),
        w = q(&format!("\"{}\" <> ''", name.replace('"', "\"\""))),
    );
    let s = parse_schema_text(Path::new("s.yaml"), &text, &nc())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    s.tables.into_iter().next().expect("one table")
}

/// One operation of every kind, with odd names and awkward strings.
fn every_kind(name: &str) -> Vec<Operation> {
    let s = |x: &str| x.to_string();
    vec![
        Operation::CreateTable(table(name)),
        Operation::DropTable {
            name: s(name),
            existing: None,
        },
        Operation::DropTable {
            name: s(name),
            existing: Some(table(name)),
        },
        Operation::RenameTable {
            name: s(name),
            new_name: format!("{name}2"),
        },
        Operation::AddColumn {
            table: s(name),
            column: Column {
                name: s(name),
                ty: ColumnType::parse("numeric(10,2)").expect("type"),
                nullable: false,
                server_default: Some(s("'1,5: yes'")),
                autoincrement: false,
                comment: Some(s("multi\nline \"comment\"")),
                renamed_from: None,
                ..Default::default()
            },
            foreign_key: Some(ForeignKey {
                name: s("fk odd"),
                columns: vec![s(name)],
                referred_table: s(name),
                referred_columns: vec![s("id")],
                on_delete: Some(FkAction::Cascade),
                on_update: Some(FkAction::NoAction),
                ..Default::default()
            }),
        },
        Operation::AddColumn {
            table: s(name),
            column: Column {
                name: s("n"),
                ty: ColumnType::BigInt,
                nullable: true,
                autoincrement: true,
                ..Column::default()
            },
            foreign_key: Some(ForeignKey {
                name: NamingConvention::apply(&nc().fk, name, &[s("n")], "a.b", ""),
                columns: vec![s("n")],
                referred_table: s("a.b"),
                referred_columns: vec![s("c.d")],
                on_delete: None,
                on_update: None,
                ..Default::default()
            }),
        },
        Operation::DropColumn {
            table: s(name),
            name: s(name),
            existing_type: Some(ColumnType::Enum(s("mood"))),
            existing_nullable: Some(false),
            existing_server_default: Some(s("'a'")),
            existing_comment: Some(s("it's \"odd\"")),
            existing_autoincrement: None,
            existing_collation: None,
            existing_charset: None,
        },
        Operation::DropColumn {
            table: s(name),
            name: s("x"),
            existing_type: Some(ColumnType::BigInt),
            existing_nullable: Some(false),
            existing_server_default: None,
            existing_comment: None,
            existing_autoincrement: Some(true),
            existing_collation: Some(s("utf8mb4_bin")),
            existing_charset: None,
        },
        Operation::DropColumn {
            table: s(name),
            name: s("x"),
            existing_type: None,
            existing_nullable: None,
            existing_server_default: None,
            existing_comment: None,
            existing_autoincrement: None,
            existing_collation: None,
            existing_charset: None,
        },
        Operation::AlterColumn(AlterColumn {
            table: s(name),
            name: s(name),
            new_name: Some(format!("{name} new")),
            ty: Some(ColumnType::Text),
            nullable: Some(true),
            server_default: Some(None),
            comment: Some(Some(s("c: d"))),
            existing_type: Some(ColumnType::Varchar(Some(3))),
            existing_nullable: Some(false),
            existing_server_default: Some(Some(s("'z'"))),
            existing_comment: Some(None),
            existing_autoincrement: Some(false),
            ..AlterColumn::default()
        }),
        Operation::AlterColumn(AlterColumn {
            table: s(name),
            name: s(name),
            server_default: Some(Some(s("null"))),
            ..AlterColumn::default()
        }),
        Operation::CreateIndex {
            table: s(name),
            index: Index {
                name: format!("ix_{name}"),
                columns: vec![s(name), s("true")],
                unique: true,
                where_clause: Some(s("a > 0, b")),
                ..Default::default()
            },
            concurrently: true,
        },
        Operation::DropIndex {
            name: format!("ix_{name}"),
            table: s(name),
            existing: None,
        },
        Operation::DropIndex {
            name: format!("ix_{name}"),
            table: s(name),
            existing: Some(Index {
                name: format!("ix_{name}"),
                columns: vec![s(name), s("b")],
                unique: true,
                where_clause: Some(s("a > 0, b")),
                ..Default::default()
            }),
        },
        Operation::CreateUniqueConstraint {
            table: s(name),
            constraint: UniqueConstraint {
                name: s("uq"),
                columns: vec![s(name)],
            },
        },
        Operation::CreateForeignKey {
            table: s(name),
            foreign_key: ForeignKey {
                name: s("fk"),
                columns: vec![s("a"), s(name)],
                referred_table: s(name),
                referred_columns: vec![s("b"), s("c")],
                on_delete: Some(FkAction::SetDefault),
                on_update: Some(FkAction::Restrict),
                ..Default::default()
            },
            not_valid: true,
        },
        Operation::CreateCheckConstraint {
            table: s(name),
            check: CheckConstraint {
                name: s(name),
                expr: s("\"x\" IN ('a', 'b')"),
            },
            not_valid: true,
        },
        Operation::ValidateConstraint {
            table: s(name),
            name: s("fk"),
        },
        Operation::CreatePrimaryKey {
            table: s(name),
            name: s("pk"),
            columns: vec![s(name), s("id")],
        },
        Operation::DropConstraint {
            name: s(name),
            table: s(name),
            kind: ConstraintKind::Unique,
            existing: None,
        },
        Operation::DropConstraint {
            name: s(name),
            table: s(name),
            kind: ConstraintKind::ForeignKey,
            existing: None,
        },
        Operation::DropConstraint {
            name: s(name),
            table: s(name),
            kind: ConstraintKind::Check,
            existing: None,
        },
        Operation::DropConstraint {
            name: s(name),
            table: s(name),
            kind: ConstraintKind::Primary,
            existing: None,
        },
        Operation::DropConstraint {
            name: s(name),
            table: s(name),
            kind: ConstraintKind::Unique,
            existing: Some(ConstraintDefinition::Unique(vec![s(name), s("b")])),
        },
        Operation::DropConstraint {
            name: s(name),
            table: s(name),
            kind: ConstraintKind::ForeignKey,
            existing: Some(ConstraintDefinition::ForeignKey(ForeignKey {
                name: s(name),
                columns: vec![s("a"), s(name)],
                referred_table: s(name),
                referred_columns: vec![s("b"), s("c")],
                on_delete: Some(FkAction::SetNull),
                on_update: None,
                ..Default::default()
            })),
        },
        Operation::DropConstraint {
            name: s(name),
            table: s(name),
            kind: ConstraintKind::Check,
            existing: Some(ConstraintDefinition::Check(s("\"x\" IN ('a', 'b')"))),
        },
        Operation::DropConstraint {
            name: s(name),
            table: s(name),
            kind: ConstraintKind::Primary,
            existing: Some(ConstraintDefinition::Primary(vec![s("id")])),
        },
        Operation::CreateEnum(EnumType {
            name: s(name),
            values: vec![s("a"), s("it's"), s("1"), s("null"), s("")],
        }),
        Operation::DropEnum {
            name: s(name),
            values: None,
        },
        Operation::DropEnum {
            name: s(name),
            values: Some(vec![s("a"), s("it's"), s("")]),
        },
        Operation::AddEnumValue {
            name: s(name),
            value: s("x, y"),
            position: Some(EnumValuePosition::Before(s("a"))),
        },
        Operation::AddEnumValue {
            name: s(name),
            value: s("z"),
            position: Some(EnumValuePosition::After(s("true"))),
        },
        Operation::AddEnumValue {
            name: s(name),
            value: s("q"),
            position: None,
        },
        Operation::DropEnumValue {
            name: s(name),
            value: s("x, y"),
            position: Some(EnumValuePosition::After(s("a"))),
        },
        Operation::DropEnumValue {
            name: s(name),
            value: s("q"),
            position: None,
        },
        Operation::CreateTableComment {
            table: s(name),
            comment: Some(s("#not a comment")),
            existing_comment: Some(s("old")),
        },
        Operation::CreateTableComment {
            table: s(name),
            comment: None,
            existing_comment: None,
        },
        Operation::Execute {
            sql: s("UPDATE \"t\" SET a = 'b: c';\nSELECT 1"),
            dialect: None,
        },
        Operation::Execute {
            sql: s("SELECT 2"),
            dialect: Some(crate::backend::dialect::Dialect::MySql),
        },
        Operation::BulkInsert {
            table: s(name),
            rows: vec![
                vec![
                    (s(name), InsertValue::Number(s("-1.5e3"))),
                    (s("b"), InsertValue::Text(s("10"))),
                    (s("c"), InsertValue::Text(s("true"))),
                    (s("d"), InsertValue::Bool(false)),
                    (s("e"), InsertValue::Null),
                    (s("f"), InsertValue::Text(s("null"))),
                    (s("g"), InsertValue::Text(s("a\n\"b\"\\"))),
                ],
                vec![],
            ],
        },
        Operation::BulkInsert {
            table: s(name),
            rows: vec![],
        },
    ]
}

#[test]
fn every_operation_round_trips_through_yaml() {
    for name in ODD.iter().chain(&[
        "plain",
        "quote\"d",
        "colon: x",
        "comma, y",
        "new\nline",
        "'single'",
        "1",
    ]) {
        let ops = every_kind(name);
        round_trip(&ops);
        for op in &ops {
            round_trip(std::slice::from_ref(op));
        }
    }
    assert_eq!(write_operations(&[], 2, &nc()), "");
}

#[test]
fn the_spec_example_writes_as_documented() {
    let text = r#"
- create_table:
    name: users
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false}
    unique:
      - {name: uq_users_email, columns: [email]}
- create_index: {name: ix_users_email, table: users, columns: [email]}
"#;
    let node = crate::yaml::parse(text).expect("yaml");
    let mut d = Diagnostics::default();
    let ops = parse_operations(Path::new("x"), &node, &nc(), &mut d);
    assert!(d.is_empty());
    assert_eq!(write_operations(&ops, 0, &nc()), text.trim_start());
}

#[test]
fn reversible_operations_reverse() {
    for name in ODD {
        for op in every_kind(name) {
            match reverse(&op) {
                Ok(rev) => {
                    round_trip(std::slice::from_ref(&rev));
                    match (&op, &rev) {
                        (Operation::CreateTable(t), Operation::DropTable { name, existing }) => {
                            assert_eq!((&t.name, existing), (name, &None))
                        }
                        (Operation::RenameTable { .. }, Operation::RenameTable { .. })
                        | (Operation::AlterColumn(_), Operation::AlterColumn(_))
                        | (
                            Operation::CreateTableComment { .. },
                            Operation::CreateTableComment { .. },
                        )
                        | (Operation::AddColumn { .. }, Operation::DropColumn { .. })
                        | (Operation::DropColumn { .. }, Operation::AddColumn { .. })
                        | (Operation::DropEnumValue { .. }, Operation::AddEnumValue { .. })
                        | (Operation::DropTable { .. }, Operation::CreateTable(_))
                        | (Operation::DropIndex { .. }, Operation::CreateIndex { .. })
                        | (Operation::DropEnum { .. }, Operation::CreateEnum(_)) => {
                            let back = reverse(&rev).expect("the reverse reverses");
                            let expected = match (&op, &back) {
                                // add_column's foreign key goes with the column; the
                                // reverse's existing_* describe the column.
                                (
                                    Operation::AddColumn {
                                        table,
                                        column,
                                        foreign_key: Some(_),
                                    },
                                    _,
                                ) => Operation::AddColumn {
                                    table: table.clone(),
                                    column: column.clone(),
                                    foreign_key: None,
                                },
                                // A drop's reverse is the create; the create's reverse is
                                // the plain drop (its definition is in the create).
                                (Operation::DropTable { name, .. }, _) => Operation::DropTable {
                                    name: name.clone(),
                                    existing: None,
                                },
                                (Operation::DropIndex { name, table, .. }, _) => {
                                    Operation::DropIndex {
                                        name: name.clone(),
                                        table: table.clone(),
                                        existing: None,
                                    }
                                }
                                (Operation::DropEnum { name, .. }, _) => Operation::DropEnum {
                                    name: name.clone(),
                                    values: None,
                                },
                                (Operation::DropEnumValue { name, value, .. }, _) => {
                                    Operation::DropEnumValue {
                                        name: name.clone(),
                                        value: value.clone(),
                                        position: None,
                                    }
                                }
                                _ => op.clone(),
                            };
                            assert_eq!(back, expected, "reversing twice gives back the operation");
                        }
                        (
                            Operation::CreateIndex { index, .. },
                            Operation::DropIndex { name, .. },
                        ) => assert_eq!(&index.name, name),
                        (
                            Operation::DropConstraint {
                                existing: Some(def),
                                name,
                                ..
                            },
                            created,
                        ) => {
                            assert_eq!(def.kind().as_str(), {
                                let k = match created {
                                    Operation::CreateUniqueConstraint { .. } => "unique",
                                    Operation::CreateForeignKey { foreign_key, .. } => {
                                        assert_eq!(&foreign_key.name, name);
                                        "foreignkey"
                                    }
                                    Operation::CreateCheckConstraint { .. } => "check",
                                    Operation::CreatePrimaryKey { .. } => "primary",
                                    other => panic!("unexpected reverse {other:?}"),
                                };
                                k
                            });
                            assert_eq!(reverse(created).expect("drop").kind(), "drop_constraint");
                        }
                        (
                            Operation::CreateUniqueConstraint { .. },
                            Operation::DropConstraint {
                                kind: ConstraintKind::Unique,
                                ..
                            },
                        )
                        | (
                            Operation::CreateForeignKey { .. },
                            Operation::DropConstraint {
                                kind: ConstraintKind::ForeignKey,
                                ..
                            },
                        )
                        | (
                            Operation::CreateCheckConstraint { .. },
                            Operation::DropConstraint {
                                kind: ConstraintKind::Check,
                                ..
                            },
                        )
                        | (
                            Operation::CreatePrimaryKey { .. },
                            Operation::DropConstraint {
                                kind: ConstraintKind::Primary,
                                ..
                            },
                        )
                        | (Operation::CreateEnum(_), Operation::DropEnum { .. })
                        | (Operation::AddEnumValue { .. }, Operation::DropEnumValue { .. }) => {}
                        other => panic!("unexpected reverse {other:?}"),
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.starts_with(op.kind()), "{msg}");
                    assert!(
                        matches!(
                            op,
                            Operation::DropTable { existing: None, .. }
                                | Operation::DropEnumValue { position: None, .. }
                                | Operation::DropIndex { existing: None, .. }
                                | Operation::DropConstraint { existing: None, .. }
                                | Operation::DropEnum { values: None, .. }
                                | Operation::Execute { .. }
                                | Operation::BulkInsert { .. }
                                | Operation::ValidateConstraint { .. }
                                | Operation::DropColumn {
                                    existing_type: None,
                                    ..
                                }
                                | Operation::AlterColumn(_)
                        ),
                        "{op:?} should be reversible: {msg}"
                    );
                }
            }
        }
    }
}

#[test]
fn not_reversible_names_the_missing_field() {
    let drop = Operation::DropColumn {
        table: "order".into(),
        name: "reply-to".into(),
        existing_type: None,
        existing_nullable: Some(true),
        existing_server_default: None,
        existing_comment: None,
        existing_autoincrement: None,
        existing_collation: None,
        existing_charset: None,
    };
    let e = reverse(&drop).unwrap_err().to_string();
    assert!(
        e.contains("drop_column `order`.`reply-to`") && e.contains("`existing_type` is missing"),
        "{e}"
    );

    let alter = Operation::AlterColumn(AlterColumn {
        table: "t".into(),
        name: "c".into(),
        ty: Some(ColumnType::Text),
        server_default: Some(None),
        existing_server_default: Some(Some("1".into())),
        nullable: Some(false),
        ..AlterColumn::default()
    });
    let e = reverse(&alter).unwrap_err().to_string();
    assert!(
        e.contains("alter_column `t`.`c`")
            && e.contains("`existing_type` and `existing_nullable` are missing"),
        "{e}"
    );

    // Only the changed fields need their existing_* values.
    let rename = Operation::AlterColumn(AlterColumn {
        table: "t".into(),
        name: "c".into(),
        new_name: Some("d".into()),
        ..AlterColumn::default()
    });
    let Ok(Operation::AlterColumn(r)) = reverse(&rename) else {
        panic!()
    };
    assert_eq!((r.name.as_str(), r.new_name.as_deref()), ("d", Some("c")));

    for op in [
        Operation::DropTable {
            name: "t".into(),
            existing: None,
        },
        Operation::Execute {
            sql: "x".into(),
            dialect: None,
        },
        Operation::BulkInsert {
            table: "t".into(),
            rows: vec![],
        },
        Operation::DropEnum {
            name: "e".into(),
            values: None,
        },
    ] {
        let e = reverse(&op).unwrap_err().to_string();
        assert!(e.contains(op.kind()) && e.contains("by hand"), "{e}");
    }

    let ops = vec![
        Operation::CreateEnum(EnumType {
            name: "e".into(),
            values: vec!["a".into()],
        }),
        Operation::CreateTable(table("t")),
        Operation::RenameTable {
            name: "t".into(),
            new_name: "u".into(),
        },
    ];
    let rev = reverse_all(&ops).expect("reversible");
    assert_eq!(
        rev,
        vec![
            Operation::RenameTable {
                name: "u".into(),
                new_name: "t".into()
            },
            Operation::DropTable {
                name: "t".into(),
                existing: None,
            },
            Operation::DropEnum {
                name: "e".into(),
                values: None,
            },
        ]
    );
    let mut with_drop = ops.clone();
    with_drop.insert(
        1,
        Operation::DropTable {
            name: "x".into(),
            existing: None,
        },
    );
    assert!(reverse_all(&with_drop)
        .unwrap_err()
        .operation
        .contains("drop_table `x`"));
}

#[test]
fn apply_to_schema_tracks_the_model() {
    let mut s = Schema::default();
    let t = table("t");
    apply_to_schema(
        &Operation::CreateEnum(EnumType {
            name: "mood".into(),
            values: vec!["a".into()],
        }),
        &mut s,
    )
    .unwrap();
    apply_to_schema(&Operation::CreateTable(t.clone()), &mut s).unwrap();
    assert!(apply_to_schema(&Operation::CreateTable(t), &mut s).is_err());
    apply_to_schema(
        &Operation::AlterColumn(AlterColumn {
            table: "t".into(),
            name: "t".into(),
            new_name: Some("u".into()),
            nullable: Some(true),
            ..AlterColumn::default()
        }),
        &mut s,
    )
    .unwrap();
    let tt = s.table("t").unwrap();
    assert!(tt.column("u").unwrap().nullable);
    assert_eq!(tt.indexes[0].columns, vec!["u".to_string()]);
    assert_eq!(tt.indexes[0].where_clause.as_deref(), Some("\"u\" <> ''"));
    apply_to_schema(
        &Operation::RenameTable {
            name: "t".into(),
            new_name: "v".into(),
        },
        &mut s,
    )
    .unwrap();
    assert_eq!(s.tables[0].foreign_keys[0].referred_table, "v");
    apply_to_schema(
        &Operation::DropColumn {
            table: "v".into(),
            name: "parent".into(),
            existing_type: None,
            existing_nullable: None,
            existing_server_default: None,
            existing_comment: None,
            existing_autoincrement: None,
            existing_collation: None,
            existing_charset: None,
        },
        &mut s,
    )
    .unwrap();
    assert!(s.tables[0].foreign_keys.is_empty() && s.tables[0].unique.is_empty());
    apply_to_schema(
        &Operation::AddEnumValue {
            name: "mood".into(),
            value: "z".into(),
            position: Some(EnumValuePosition::Before("a".into())),
        },
        &mut s,
    )
    .unwrap();
    assert_eq!(s.enums[0].values, vec!["z".to_string(), "a".into()]);
    let before = s.clone();
    assert!(apply_to_schema(
        &Operation::DropIndex {
            name: "nope".into(),
            table: "v".into(),
            existing: None,
        },
        &mut s
    )
    .is_err());
    assert_eq!(s, before, "a failed apply leaves the schema alone");
}

// ---- property test -------------------------------------------------------------------

/// A tiny deterministic PRNG (xorshift64*).
/// A context's indexed lookups agree with scanning the schema, through any mix of
/// creating, renaming and dropping tables (first, middle and last), and operations that
/// fail.
#[test]
fn a_context_finds_its_tables_through_creates_renames_and_drops() {
    let mut rng = Rng(7);
    let mut ctx = RenderContext::default();
    let mut plain = Schema::default();
    let name = |i: usize| format!("t{i}");
    for step in 0..600 {
        let n = plain.tables.len();
        let op = match rng.below(5) {
            0 | 1 => Operation::CreateTable(Table {
                name: name(rng.below(40)),
                ..Table::default()
            }),
            2 if n > 0 => Operation::DropTable {
                name: plain.tables[rng.below(n)].name.clone(),
                existing: None,
            },
            3 if n > 0 => Operation::RenameTable {
                name: plain.tables[rng.below(n)].name.clone(),
                new_name: name(rng.below(40)),
            },
            _ => Operation::DropTable {
                name: name(rng.below(40)),
                existing: None,
            },
        };
        let indexed = ctx.apply(&op).is_ok();
        assert_eq!(
            indexed,
            apply_to_schema(&op, &mut plain).is_ok(),
            "step {step}: {op:?}"
        );
        assert_eq!(ctx.schema, plain, "step {step}");
        for i in 0..40 {
            assert_eq!(
                ctx.table(&name(i), crate::backend::dialect::Dialect::Postgres)
                    .map(|t| &t.name),
                plain.table(&name(i)).map(|t| &t.name),
                "step {step}, t{i}"
            );
        }
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn name(&mut self) -> String {
        const POOL: &[&str] = &[
            "order",
            "user",
            "select",
            "group",
            "MixedCase",
            "reply-to",
            "has space",
            "t",
            "a",
            "id",
            "x\"y",
            "back`tick",
            "it's",
            "é日",
            "true",
            "null",
            "1",
            "a.b",
        ];
        if self.chance(85) {
            self.pick(POOL).to_string()
        } else {
            self.text()
        }
    }
    fn text(&mut self) -> String {
        const CHARS: &[char] = &[
            'a', 'Z', '0', ' ', '\'', '"', '\\', ':', ',', '#', '-', '{', '}', '[', ']', '\n',
            '\t', '(', ')', ';', '`', 'é', '&', '*', '!', '%', '@', '?',
        ];
        let len = 1 + self.below(8);
        (0..len).map(|_| *self.pick(CHARS)).collect()
    }
    fn opt_text(&mut self) -> Option<String> {
        self.chance(50).then(|| self.text())
    }
    fn names(&mut self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for _ in 0..1 + self.below(3) {
            let n = self.name();
            if !out.contains(&n) {
                out.push(n);
            }
        }
        out
    }
    fn ty(&mut self) -> ColumnType {
        const TYPES: &[&str] = &[
            "smallint",
            "integer",
            "bigint",
            "boolean",
            "real",
            "double",
            "numeric(10,2)",
            "numeric",
            "varchar(20)",
            "varchar",
            "char(2)",
            "text",
            "blob",
            "date",
            "time",
            "timestamp",
            "timestamptz",
            "json",
            "jsonb",
            "uuid",
            "enum(mood)",
            "enum(nope)",
            "enum(MixedCase)",
            "inet",
            "integer[]",
            "bit varying(5)",
        ];
        let t: &str = self.pick::<&str>(TYPES);
        ColumnType::parse(t).expect("valid type")
    }
    fn action(&mut self) -> Option<FkAction> {
        const A: &[FkAction] = &[
            FkAction::Cascade,
            FkAction::Restrict,
            FkAction::SetNull,
            FkAction::SetDefault,
            FkAction::NoAction,
        ];
        self.chance(50).then(|| *self.pick(A))
    }
    fn fk(&mut self, columns: Vec<String>) -> ForeignKey {
        let referred_columns = columns.iter().map(|_| self.name()).collect();
        ForeignKey {
            name: self.name(),
            columns,
            referred_table: self.name(),
            referred_columns,
            on_delete: self.action(),
            on_update: self.action(),
            ..Default::default()
        }
    }
    fn column(&mut self, name: String) -> Column {
        Column {
            name,
            ty: self.ty(),
            nullable: self.chance(60),
            server_default: self.opt_text(),
            autoincrement: false,
            comment: self.opt_text(),
            renamed_from: None,
            ..Default::default()
        }
    }
    fn table(&mut self) -> Table {
        let mut t = Table {
            name: self.name(),
            comment: self.opt_text(),
            ..Table::default()
        };
        for n in self.names() {
            t.columns.push(self.column(n));
        }
        let cols: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        let some_cols = |r: &mut Rng| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for _ in 0..1 + r.below(2) {
                let c = r.pick(&cols).clone();
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            out
        };
        if self.chance(70) {
            let pk = some_cols(self);
            for c in &mut t.columns {
                if pk.contains(&c.name) {
                    c.nullable = false;
                    if pk.len() == 1 && c.ty.is_integer() && self.chance(60) {
                        c.autoincrement = true;
                    }
                }
            }
            t.primary_key = Some(PrimaryKey {
                name: Some(self.name()),
                columns: pk,
            });
        }
        let mut used = Vec::new();
        for _ in 0..self.below(3) {
            let name = self.name();
            if used.contains(&name) {
                continue;
            }
            used.push(name.clone());
            match self.below(4) {
                0 => t.indexes.push(Index {
                    name,
                    columns: some_cols(self),
                    unique: self.chance(50),
                    where_clause: self.opt_text(),
                    ..Default::default()
                }),
                1 => t.unique.push(UniqueConstraint {
                    name,
                    columns: some_cols(self),
                }),
                2 => {
                    let cols = some_cols(self);
                    let mut fk = self.fk(cols);
                    fk.name = name;
                    t.foreign_keys.push(fk);
                }
                _ => t.checks.push(CheckConstraint {
                    name,
                    expr: self.text(),
                }),
            }
        }
        t
    }
    fn value(&mut self) -> InsertValue {
        match self.below(4) {
            0 => InsertValue::Null,
            1 => InsertValue::Bool(self.chance(50)),
            2 => InsertValue::Number(
                self.pick(&["0", "-1", "2.50", ".5", "1e9", "+3"])
                    .to_string(),
            ),
            _ => InsertValue::Text(self.text()),
        }
    }
    fn op(&mut self) -> Operation {
        match self.below(19) {
            0 => Operation::CreateTable(self.table()),
            1 => {
                let existing = self.chance(50).then(|| self.table());
                Operation::DropTable {
                    name: existing
                        .as_ref()
                        .map_or_else(|| self.name(), |t| t.name.clone()),
                    existing,
                }
            }
            2 => Operation::RenameTable {
                name: self.name(),
                new_name: self.name(),
            },
            3 => {
                let cname = self.name();
                let mut column = self.column(cname);
                column.autoincrement = column.ty.is_integer() && self.chance(20);
                let foreign_key = self.chance(40).then(|| {
                    let mut fk = self.fk(vec![column.name.clone()]);
                    fk.referred_columns.truncate(1);
                    fk
                });
                Operation::AddColumn {
                    table: self.name(),
                    column,
                    foreign_key,
                }
            }
            4 => Operation::DropColumn {
                table: self.name(),
                name: self.name(),
                existing_type: self.chance(50).then(|| self.ty()),
                existing_nullable: self.chance(50).then(|| self.chance(50)),
                existing_server_default: self.opt_text(),
                existing_comment: self.opt_text(),
                existing_autoincrement: self.chance(20).then(|| self.chance(50)),
                existing_collation: self.chance(20).then(|| self.name()),
                existing_charset: self.chance(20).then(|| self.name()),
            },
            5 => {
                let mut a = AlterColumn {
                    table: self.name(),
                    name: self.name(),
                    new_name: self.chance(30).then(|| self.name()),
                    ty: self.chance(40).then(|| self.ty()),
                    nullable: self.chance(40).then(|| self.chance(50)),
                    server_default: self.chance(40).then(|| self.opt_text()),
                    comment: self.chance(30).then(|| self.opt_text()),
                    existing_type: self.chance(50).then(|| self.ty()),
                    existing_nullable: self.chance(50).then(|| self.chance(50)),
                    existing_server_default: self.chance(50).then(|| self.opt_text()),
                    existing_comment: self.chance(50).then(|| self.opt_text()),
                    existing_autoincrement: self.chance(20).then(|| self.chance(50)),
                    autoincrement: None,
                    collation: self.chance(20).then(|| self.opt_text()),
                    charset: self.chance(10).then(|| self.opt_text()),
                    existing_collation: self.chance(20).then(|| self.opt_text()),
                    existing_charset: self.chance(10).then(|| self.opt_text()),
                };
                // Without drawing more random numbers (which would change the sequences).
                a.autoincrement = a
                    .existing_autoincrement
                    .filter(|_| a.ty.is_none())
                    .map(|on| !on);
                if a.new_name.is_none() && !a.changes_definition() && a.comment.is_none() {
                    a.nullable = Some(true);
                }
                Operation::AlterColumn(a)
            }
            6 => Operation::CreateIndex {
                table: self.name(),
                index: Index {
                    name: self.name(),
                    columns: self.names(),
                    unique: self.chance(50),
                    where_clause: self.opt_text(),
                    ..Default::default()
                },
                concurrently: self.chance(20),
            },
            7 => {
                let name = self.name();
                let existing = self.chance(50).then(|| Index {
                    name: name.clone(),
                    columns: self.names(),
                    unique: self.chance(50),
                    where_clause: self.opt_text(),
                    ..Default::default()
                });
                Operation::DropIndex {
                    name,
                    table: self.name(),
                    existing,
                }
            }
            8 => Operation::CreateUniqueConstraint {
                table: self.name(),
                constraint: UniqueConstraint {
                    name: self.name(),
                    columns: self.names(),
                },
            },
            9 => {
                let cols = self.names();
                Operation::CreateForeignKey {
                    table: self.name(),
                    foreign_key: self.fk(cols),
                    not_valid: false,
                }
            }
            10 => Operation::CreateCheckConstraint {
                table: self.name(),
                check: CheckConstraint {
                    name: self.name(),
                    expr: Some(self.text())
                        .filter(|t| !t.trim().is_empty())
                        .unwrap_or_else(|| "1 = 1".into()),
                },
                not_valid: false,
            },
            11 => Operation::CreatePrimaryKey {
                table: self.name(),
                name: self.name(),
                columns: self.names(),
            },
            12 => {
                let name = self.name();
                let kind = *self.pick(&[
                    ConstraintKind::Unique,
                    ConstraintKind::ForeignKey,
                    ConstraintKind::Check,
                    ConstraintKind::Primary,
                ]);
                let existing = self.chance(50).then(|| match kind {
                    ConstraintKind::Unique => ConstraintDefinition::Unique(self.names()),
                    ConstraintKind::Primary => ConstraintDefinition::Primary(self.names()),
                    ConstraintKind::Check => ConstraintDefinition::Check(
                        Some(self.text())
                            .filter(|t| !t.trim().is_empty())
                            .unwrap_or_else(|| "1 = 1".into()),
                    ),
                    ConstraintKind::ForeignKey => {
                        let cols = self.names();
                        let mut fk = self.fk(cols);
                        fk.name = name.clone();
                        ConstraintDefinition::ForeignKey(fk)
                    }
                });
                Operation::DropConstraint {
                    name,
                    table: self.name(),
                    kind,
                    existing,
                }
            }
            13 => {
                let mut values: Vec<String> = Vec::new();
                for _ in 0..self.below(4) {
                    let v = self.text();
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
                Operation::CreateEnum(EnumType {
                    name: self.name(),
                    values,
                })
            }
            14 => {
                let name = self.name();
                let values = self.chance(50).then(|| {
                    let mut values: Vec<String> = Vec::new();
                    for _ in 0..self.below(4) {
                        let v = self.text();
                        if !values.contains(&v) {
                            values.push(v);
                        }
                    }
                    values
                });
                Operation::DropEnum { name, values }
            }
            15 => Operation::AddEnumValue {
                name: self.pick(&["mood", "MixedCase", "nope"]).to_string(),
                value: self.name(),
                position: match self.below(3) {
                    0 => None,
                    1 => Some(EnumValuePosition::Before(
                        self.pick(&["a", "b", "zz"]).to_string(),
                    )),
                    _ => Some(EnumValuePosition::After(
                        self.pick(&["a", "b", "zz"]).to_string(),
                    )),
                },
            },
            16 => Operation::CreateTableComment {
                table: self.name(),
                comment: self.opt_text(),
                existing_comment: self.opt_text(),
            },
            17 => Operation::Execute {
                sql: self.text(),
                dialect: self.chance(50).then(|| {
                    *self.pick(&[
                        crate::backend::dialect::Dialect::Sqlite,
                        crate::backend::dialect::Dialect::Postgres,
                        crate::backend::dialect::Dialect::MySql,
                    ])
                }),
            },
            _ => {
                let mut rows = Vec::new();
                for _ in 0..self.below(4) {
                    let mut row: Row = Vec::new();
                    for c in self.names() {
                        let v = self.value();
                        row.push((c, v));
                    }
                    rows.push(row);
                }
                Operation::BulkInsert {
                    table: self.name(),
                    rows,
                }
            }
        }
    }
}

/// A context that sometimes knows the tables the operations touch.
fn random_context(rng: &mut Rng) -> RenderContext {
    let mut schema = Schema {
        enums: vec![
            EnumType {
                name: "mood".into(),
                values: vec!["a".into(), "b".into()],
            },
            EnumType {
                name: "MixedCase".into(),
                values: vec!["it's".into()],
            },
        ],
        tables: Vec::new(),
        ..Default::default()
    };
    for _ in 0..rng.below(6) {
        let t = rng.table();
        if schema.table(&t.name).is_none() {
            schema.tables.push(t);
        }
    }
    RenderContext::new(schema)
}

#[test]
fn random_operation_sequences_never_panic() {
    use crate::backend::dialect::Dialect;
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let (mut ok, mut err) = (0usize, 0usize);
    for case in 0..3000 {
        let mut ctx = random_context(&mut rng);
        let ops: Vec<Operation> = (0..1 + rng.below(6)).map(|_| rng.op()).collect();
        for op in &ops {
            for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
                match render(op, d, &ctx) {
                    Ok(stmts) => {
                        ok += 1;
                        for s in &stmts {
                            assert!(
                                !s.trim().is_empty() || matches!(op, Operation::Execute { .. }),
                                "case {case}: empty statement for {op:?}"
                            );
                        }
                    }
                    Err(e) => {
                        err += 1;
                        let msg = e.to_string();
                        assert!(
                            msg.contains(op.kind()) && msg.contains(d.name()),
                            "case {case}: {msg}"
                        );
                    }
                }
            }
            let _ = reverse(op);
            let _ = ctx.apply(op);
        }
        // Every generated operation reads back identically (where it is valid YAML input).
        if case % 10 == 0 {
            let valid: Vec<Operation> = ops.into_iter().filter(yaml_valid).collect();
            round_trip(&valid);
        }
    }
    assert!(ok > 10_000 && err > 100, "ok {ok}, err {err}");
}

/// The generator also makes operations the YAML form rejects on purpose (e.g. an
/// autoincrement column that is not the whole primary key); those are skipped for the
/// round trip.
fn yaml_valid(op: &Operation) -> bool {
    match op {
        Operation::CreateTable(t)
        | Operation::DropTable {
            existing: Some(t), ..
        } => {
            let names_ok = t.columns.iter().all(|c| !c.name.trim().is_empty());
            let auto_ok = t.columns.iter().filter(|c| c.autoincrement).all(|c| {
                t.primary_key
                    .as_ref()
                    .is_some_and(|pk| pk.columns == [c.name.clone()])
            });
            let refs_ok = t.foreign_keys.iter().all(|f| !f.referred_table.is_empty());
            let fk_cols = t
                .foreign_keys
                .iter()
                .all(|f| f.referred_columns.len() == f.columns.len());
            names_ok && auto_ok && refs_ok && fk_cols
        }
        _ => true,
    }
}

#[test]
fn the_public_rebuild_copies_common_columns() {
    let old = table("t");
    let mut new = old.clone();
    new.columns.retain(|c| c.name != "parent");
    new.foreign_keys.clear();
    new.unique.clear();
    let ctx = RenderContext::new(Schema {
        enums: vec![EnumType {
            name: "mood".into(),
            values: vec!["a".into(), "b'c".into()],
        }],
        tables: vec![old.clone()],
        ..Default::default()
    });
    let stmts = sqlite_rebuild::rebuild_statements(&old, &new, &ctx).expect("renders");
    assert!(
        stmts[0].starts_with("CREATE TABLE \"_retort_tmp_t\" ("),
        "{stmts:#?}"
    );
    assert!(
        stmts[0].contains("CHECK (\"mood\" IN ('a', 'b''c'))"),
        "{stmts:#?}"
    );
    assert_eq!(stmts[1], "INSERT INTO \"_retort_tmp_t\" (\"id\", \"t\", \"mood\") SELECT \"id\", \"t\", \"mood\" FROM \"t\"");
    assert_eq!(stmts[2], "DROP TABLE \"t\"");
    assert_eq!(stmts[3], "ALTER TABLE \"_retort_tmp_t\" RENAME TO \"t\"");
    assert!(
        stmts[4].starts_with("CREATE UNIQUE INDEX \"ix t\" ON \"t\" (\"t\") WHERE"),
        "{stmts:#?}"
    );
    assert_eq!(stmts.len(), 5, "no foreign keys left to check: {stmts:#?}");
}

#[test]
fn what_drops_carry_is_checked_against_their_kind() {
    let text = r#"
- drop_constraint: {name: c, table: t, type: unique, expr: "a > 0"}
- drop_constraint: {name: f, table: t, type: foreignkey, columns: [a, b], referred_table: u, referred_columns: [id]}
- drop_index: {name: i, table: t, unique: true}
- drop_enum_value: {name: e, value: v, before: a, after: b}
- drop_table: {name: t, indexes: []}
"#;
    let node = crate::yaml::parse(text).expect("yaml");
    let mut d = Diagnostics::default();
    let ops = parse_operations(Path::new("r.yaml"), &node, &nc(), &mut d);
    let all = d.to_string();
    for needle in [
        "r.yaml:2:",
        "`expr` does not describe a unique constraint; it takes columns",
        "r.yaml:3:",
        "has 2 column(s) but 1 referred column(s)",
        "r.yaml:4:",
        "`unique` describes the dropped index and needs `columns` with it",
        "r.yaml:5:",
        "give `before` or `after`, not both",
        "r.yaml:6:",
        "unknown",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    assert!(ops.is_empty(), "{ops:?}");

    // A carried definition makes the drop reversible, back to exactly the dropped thing.
    let text = "- drop_constraint: {name: fk_a, table: t, type: foreignkey, columns: [a], referred_table: u, referred_columns: [id], on_delete: cascade}\n";
    let node = crate::yaml::parse(text).expect("yaml");
    let ops = parse_operations(Path::new("r.yaml"), &node, &nc(), &mut d);
    assert_eq!(
        reverse(&ops[0]).expect("reversible"),
        Operation::CreateForeignKey {
            table: "t".into(),
            foreign_key: ForeignKey {
                name: "fk_a".into(),
                columns: vec!["a".into()],
                referred_table: "u".into(),
                referred_columns: vec!["id".into()],
                on_delete: Some(FkAction::Cascade),
                on_update: None,
                ..Default::default()
            },
            not_valid: false,
        }
    );
}
