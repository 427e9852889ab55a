//! The reverse of each operation, where its fields make it derivable.

use std::fmt;

use super::{AlterColumn, ConstraintDefinition, ConstraintKind, Operation};
use crate::schema::{
    CheckConstraint, Column, EnumType, ForeignKey, TableOptions, UniqueConstraint,
};

/// An operation that cannot be reversed from its own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReversible {
    /// The operation, as [`Operation::describe`] gives it.
    pub operation: String,
    /// Why, and what to add or write instead.
    pub reason: String,
}

impl fmt::Display for NotReversible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cannot be reversed: {}", self.operation, self.reason)
    }
}

impl std::error::Error for NotReversible {}

fn not(op: &Operation, reason: impl Into<String>) -> NotReversible {
    NotReversible {
        operation: op.describe(),
        reason: reason.into(),
    }
}

fn missing(op: &Operation, fields: &[&str], why: &str) -> NotReversible {
    let list: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    not(
        op,
        format!(
            "{} {} missing ({why}); add {} to the operation, or write the downgrade by hand",
            list.join(" and "),
            if fields.len() == 1 { "is" } else { "are" },
            if fields.len() == 1 { "it" } else { "them" }
        ),
    )
}

/// The operation that undoes `op`. Fails, naming the operation and the missing field,
/// when `op` does not carry what the reverse needs. As in Alembic, an operation that
/// drops something carries what re-creates it:
///
/// - `drop_table` needs its definition (`create_table`'s fields);
/// - `drop_column` needs `existing_type` (`existing_nullable` defaults to true, the
///   other `existing_*` to none, as in Alembic);
/// - `drop_index` needs `columns` (with `unique` and `where`);
/// - `drop_constraint` needs the definition of its type: `columns` (unique, primary),
///   `columns`/`referred_table`/`referred_columns` (foreignkey), `expr` (check);
/// - `drop_enum` needs `values`; `drop_enum_value` needs `before` or `after` (where
///   the value stood);
/// - `alter_column` needs the `existing_*` of everything it changes: `existing_type` for
///   `type`, `existing_nullable` for `nullable`, `existing_server_default` (possibly
///   `null`) for `server_default`, `existing_comment` (possibly `null`) for `comment`;
/// - `execute` and `bulk_insert` are never reversible by themselves.
///
/// The reverse of a `create_*` is the plain drop (the definition is in the operation it
/// undoes); the reverse of `add_column` keeps the column's `existing_*`.
pub fn reverse(op: &Operation) -> Result<Operation, NotReversible> {
    Ok(match op {
        Operation::CreateTable(t) => Operation::DropTable {
            name: t.name.clone(),
            existing: None,
        },
        Operation::DropTable { name, existing } => match existing {
            Some(t) => {
                let mut t = t.clone();
                t.name = name.clone();
                Operation::CreateTable(t)
            }
            None => {
                return Err(missing(
                    op,
                    &["columns"],
                    "the table's definition, in create_table's fields, is needed to create it again",
                ))
            }
        },
        Operation::RenameTable { name, new_name } => Operation::RenameTable {
            name: new_name.clone(),
            new_name: name.clone(),
        },
        Operation::AddColumn { table, column, .. } => Operation::DropColumn {
            table: table.clone(),
            name: column.name.clone(),
            existing_type: Some(column.ty.clone()),
            existing_nullable: Some(column.nullable),
            existing_server_default: column.server_default.clone(),
            existing_comment: column.comment.clone(),
            existing_autoincrement: column.autoincrement.then_some(true),
            existing_collation: column.collation.clone(),
            existing_charset: column.charset.clone(),
        },
        Operation::DropColumn {
            table,
            name,
            existing_type,
            existing_nullable,
            existing_server_default,
            existing_comment,
            existing_autoincrement,
            existing_collation,
            existing_charset,
        } => {
            let Some(ty) = existing_type else {
                return Err(missing(
                    op,
                    &["existing_type"],
                    "the dropped column's type is needed to add it back",
                ));
            };
            Operation::AddColumn {
                table: table.clone(),
                column: Column {
                    name: name.clone(),
                    ty: ty.clone(),
                    nullable: existing_nullable.unwrap_or(true),
                    server_default: existing_server_default.clone(),
                    autoincrement: existing_autoincrement.unwrap_or(false),
                    comment: existing_comment.clone(),
                    collation: existing_collation.clone(),
                    charset: existing_charset.clone(),
                    ..Column::default()
                },
                foreign_key: None,
            }
        }
        Operation::AlterColumn(a) => Operation::AlterColumn(reverse_alter(op, a)?),
        Operation::CreateIndex { table, index, .. } => Operation::DropIndex {
            name: index.name.clone(),
            table: table.clone(),
            existing: None,
        },
        Operation::DropIndex {
            name,
            table,
            existing,
        } => match existing {
            Some(index) => {
                let mut index = index.clone();
                index.name = name.clone();
                Operation::CreateIndex {
                    table: table.clone(),
                    index,
                    concurrently: false,
                }
            }
            None => {
                return Err(missing(
                    op,
                    &["columns"],
                    "the index's columns (and `unique`, `where`) are needed to create it again",
                ))
            }
        },
        Operation::CreateUniqueConstraint { table, constraint } => Operation::DropConstraint {
            name: constraint.name.clone(),
            table: table.clone(),
            kind: ConstraintKind::Unique,
            existing: None,
        },
        Operation::CreateForeignKey {
            table, foreign_key, ..
        } => Operation::DropConstraint {
            name: foreign_key.name.clone(),
            table: table.clone(),
            kind: ConstraintKind::ForeignKey,
            existing: None,
        },
        Operation::CreateCheckConstraint { table, check, .. } => Operation::DropConstraint {
            name: check.name.clone(),
            table: table.clone(),
            kind: ConstraintKind::Check,
            existing: None,
        },
        Operation::CreatePrimaryKey { table, name, .. } => Operation::DropConstraint {
            name: name.clone(),
            table: table.clone(),
            kind: ConstraintKind::Primary,
            existing: None,
        },
        Operation::DropConstraint {
            name,
            table,
            kind,
            existing,
        } => match existing {
            Some(definition) if definition.kind() == *kind => {
                recreate_constraint(name, table, definition)
            }
            _ => {
                let fields: &[&str] = match kind {
                    ConstraintKind::Unique | ConstraintKind::Primary => &["columns"],
                    ConstraintKind::ForeignKey => {
                        &["columns", "referred_table", "referred_columns"]
                    }
                    ConstraintKind::Check => &["expr"],
                };
                return Err(missing(
                    op,
                    fields,
                    "the constraint's definition is needed to create it again",
                ));
            }
        },
        Operation::CreateEnum(e) => Operation::DropEnum {
            name: e.name.clone(),
            values: None,
        },
        Operation::DropEnum { name, values } => match values {
            Some(values) => Operation::CreateEnum(EnumType {
                name: name.clone(),
                values: values.clone(),
            }),
            None => {
                return Err(missing(
                    op,
                    &["values"],
                    "the enum's values are needed to create it again",
                ))
            }
        },
        Operation::AddEnumValue { name, value, .. } => Operation::DropEnumValue {
            name: name.clone(),
            value: value.clone(),
            position: None,
        },
        Operation::DropEnumValue {
            name,
            value,
            position: Some(position),
        } => Operation::AddEnumValue {
            name: name.clone(),
            value: value.clone(),
            position: Some(position.clone()),
        },
        Operation::DropEnumValue { position: None, .. } => {
            return Err(not(
                op,
                "where the value stood is not part of the operation; add `before: NEXT_VALUE` (or `after: PREVIOUS_VALUE`) to it, or write the downgrade's add_enum_value by hand",
            ))
        }
        Operation::CreateSequence(s) => Operation::DropSequence(s.clone()),
        Operation::DropSequence(s) => Operation::CreateSequence(s.clone()),
        Operation::AlterTableOptions {
            table,
            set,
            existing,
        } => {
            // Each option set goes back to what it was; the charset, collation and row
            // format go back to the database's `default` when nothing else is known (the
            // engine has no such word).
            let back = |new: &Option<String>, old: &Option<String>| new.as_ref().and(old.clone());
            let back_or_default = |new: &Option<String>, old: &Option<String>| {
                new.as_ref()
                    .and(old.clone().or_else(|| Some("default".to_string())))
            };
            if set.engine.is_some() && existing.engine.is_none() {
                return Err(not(
                    op,
                    "the engine before is not part of the operation; add `existing_engine`, or write the downgrade by hand",
                ));
            }
            let undo = TableOptions {
                engine: back(&set.engine, &existing.engine),
                charset: back_or_default(&set.charset, &existing.charset),
                collation: back_or_default(&set.collation, &existing.collation),
                row_format: back_or_default(&set.row_format, &existing.row_format),
                ..TableOptions::default()
            };
            if undo.is_default() {
                return Err(not(
                    op,
                    "the options before are not part of the operation; add their `existing_*` fields, or write the downgrade by hand",
                ));
            }
            let redo = TableOptions {
                engine: undo.engine.as_ref().and(set.engine.clone()),
                charset: undo.charset.as_ref().and(set.charset.clone()),
                collation: undo.collation.as_ref().and(set.collation.clone()),
                row_format: undo.row_format.as_ref().and(set.row_format.clone()),
                ..TableOptions::default()
            };
            Operation::AlterTableOptions {
                table: table.clone(),
                set: undo,
                existing: redo,
            }
        }
        Operation::CreateTableComment {
            table,
            comment,
            existing_comment,
        } => Operation::CreateTableComment {
            table: table.clone(),
            comment: existing_comment.clone(),
            existing_comment: comment.clone(),
        },
        Operation::ValidateConstraint { .. } => {
            return Err(not(
                op,
                "validating a constraint changes nothing to take back; leave it out of the downgrade",
            ))
        }
        Operation::Execute { .. } => {
            return Err(not(
                op,
                "arbitrary SQL has no known reverse; write the downgrade's SQL by hand",
            ))
        }
        Operation::BulkInsert { .. } => {
            return Err(not(
                op,
                "inserted rows are not removed automatically; write the downgrade's DELETE by hand (execute)",
            ))
        }
    })
}

/// The `create_*` operation that re-creates a dropped constraint named `name` on `table`.
fn recreate_constraint(name: &str, table: &str, definition: &ConstraintDefinition) -> Operation {
    let (name, table) = (name.to_string(), table.to_string());
    match definition {
        ConstraintDefinition::Unique(columns) => Operation::CreateUniqueConstraint {
            table,
            constraint: UniqueConstraint {
                name,
                columns: columns.clone(),
            },
        },
        ConstraintDefinition::ForeignKey(fk) => Operation::CreateForeignKey {
            table,
            foreign_key: ForeignKey { name, ..fk.clone() },
            not_valid: false,
        },
        ConstraintDefinition::Check(expr) => Operation::CreateCheckConstraint {
            table,
            check: CheckConstraint {
                name,
                expr: expr.clone(),
            },
            not_valid: false,
        },
        ConstraintDefinition::Primary(columns) => Operation::CreatePrimaryKey {
            table,
            name,
            columns: columns.clone(),
        },
    }
}

fn reverse_alter(op: &Operation, a: &AlterColumn) -> Result<AlterColumn, NotReversible> {
    let mut need = Vec::new();
    if a.ty.is_some() && a.existing_type.is_none() {
        need.push("existing_type");
    }
    if a.nullable.is_some() && a.existing_nullable.is_none() {
        need.push("existing_nullable");
    }
    if a.server_default.is_some() && a.existing_server_default.is_none() {
        need.push("existing_server_default");
    }
    if a.comment.is_some() && a.existing_comment.is_none() {
        need.push("existing_comment");
    }
    if a.collation.is_some() && a.existing_collation.is_none() {
        need.push("existing_collation");
    }
    if a.charset.is_some() && a.existing_charset.is_none() {
        need.push("existing_charset");
    }
    if !need.is_empty() {
        return Err(missing(
            op,
            &need,
            "the reverse must restore the value from before the change; `null` is fine where there was none",
        ));
    }
    // Whatever is not changed stays "existing" in the reverse too.
    let (ty, existing_type) = swap(&a.ty, &a.existing_type);
    let (nullable, existing_nullable) = swap(&a.nullable, &a.existing_nullable);
    let (server_default, existing_server_default) =
        swap(&a.server_default, &a.existing_server_default);
    let (comment, existing_comment) = swap(&a.comment, &a.existing_comment);
    let (collation, existing_collation) = swap(&a.collation, &a.existing_collation);
    let (charset, existing_charset) = swap(&a.charset, &a.existing_charset);
    Ok(AlterColumn {
        table: a.table.clone(),
        name: a.final_name().to_string(),
        new_name: a.new_name.as_ref().map(|_| a.name.clone()),
        ty,
        nullable,
        server_default,
        comment,
        existing_type,
        existing_nullable,
        existing_server_default,
        existing_comment,
        existing_autoincrement: a.autoincrement.or(a.existing_autoincrement),
        autoincrement: a.autoincrement.map(|on| !on),
        collation,
        charset,
        existing_collation,
        existing_charset,
    })
}

/// For one field of `alter_column`: (the reverse's new value, the reverse's existing value).
fn swap<T: Clone>(new: &Option<T>, old: &Option<T>) -> (Option<T>, Option<T>) {
    if new.is_some() {
        (old.clone(), new.clone())
    } else {
        (None, old.clone())
    }
}

/// The reverse of a list of operations: each reversed, in reverse order. Fails at the
/// first operation that is not reversible.
pub fn reverse_all(ops: &[Operation]) -> Result<Vec<Operation>, NotReversible> {
    ops.iter().rev().map(reverse).collect()
}
