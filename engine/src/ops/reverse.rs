//! The reverse of each operation, where its fields make it derivable.

use std::fmt;

use super::{AlterColumn, ConstraintKind, Operation};
use crate::schema::Column;

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
/// when `op` does not carry what the reverse needs:
///
/// - `drop_column` needs `existing_type` (`existing_nullable` defaults to true and
///   `existing_server_default` to none, as in Alembic);
/// - `alter_column` needs the `existing_*` of everything it changes: `existing_type` for
///   `type`, `existing_nullable` for `nullable`, `existing_server_default` (possibly
///   `null`) for `server_default`, `existing_comment` (possibly `null`) for `comment`;
/// - `add_enum_value` reverses to `drop_enum_value`;
/// - `drop_table`, `drop_index`, `drop_constraint`, `drop_enum`, `drop_enum_value`
///   (where the value went is not part of it), `execute` and `bulk_insert` are never
///   reversible by themselves.
pub fn reverse(op: &Operation) -> Result<Operation, NotReversible> {
    Ok(match op {
        Operation::CreateTable(t) => Operation::DropTable {
            name: t.name.clone(),
        },
        Operation::DropTable { .. } => {
            return Err(not(
                op,
                "the table's definition is not part of the operation; write the downgrade's create_table by hand",
            ))
        }
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
        },
        Operation::DropColumn {
            table,
            name,
            existing_type,
            existing_nullable,
            existing_server_default,
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
                    ..Column::default()
                },
                foreign_key: None,
            }
        }
        Operation::AlterColumn(a) => Operation::AlterColumn(reverse_alter(op, a)?),
        Operation::CreateIndex { table, index, .. } => Operation::DropIndex {
            name: index.name.clone(),
            table: table.clone(),
        },
        Operation::DropIndex { .. } => {
            return Err(not(
                op,
                "the index's columns are not part of the operation; write the downgrade's create_index by hand",
            ))
        }
        Operation::CreateUniqueConstraint { table, constraint } => Operation::DropConstraint {
            name: constraint.name.clone(),
            table: table.clone(),
            kind: ConstraintKind::Unique,
        },
        Operation::CreateForeignKey {
            table, foreign_key, ..
        } => Operation::DropConstraint {
            name: foreign_key.name.clone(),
            table: table.clone(),
            kind: ConstraintKind::ForeignKey,
        },
        Operation::CreateCheckConstraint { table, check, .. } => Operation::DropConstraint {
            name: check.name.clone(),
            table: table.clone(),
            kind: ConstraintKind::Check,
        },
        Operation::CreatePrimaryKey { table, name, .. } => Operation::DropConstraint {
            name: name.clone(),
            table: table.clone(),
            kind: ConstraintKind::Primary,
        },
        Operation::DropConstraint { kind, .. } => {
            let create = match kind {
                ConstraintKind::Unique => "create_unique_constraint",
                ConstraintKind::ForeignKey => "create_foreign_key",
                ConstraintKind::Check => "create_check_constraint",
                ConstraintKind::Primary => "create_primary_key",
            };
            return Err(not(
                op,
                format!("the constraint's definition is not part of the operation; write the downgrade's {create} by hand"),
            ));
        }
        Operation::CreateEnum(e) => Operation::DropEnum {
            name: e.name.clone(),
        },
        Operation::DropEnum { .. } => {
            return Err(not(
                op,
                "the enum's values are not part of the operation; write the downgrade's create_enum by hand",
            ))
        }
        Operation::AddEnumValue { name, value, .. } => Operation::DropEnumValue {
            name: name.clone(),
            value: value.clone(),
        },
        Operation::DropEnumValue { .. } => {
            return Err(not(
                op,
                "where the value stood is not part of the operation; write the downgrade's add_enum_value (with before/after) by hand",
            ))
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
        existing_autoincrement: a.existing_autoincrement,
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
