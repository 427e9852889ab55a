//! The model-level effect of each operation, so that a caller (the runner, offline SQL)
//! can keep a running [`Schema`] as it applies operations and pass it to rendering.

use super::{
    expr_mentions, rename_identifier_in_expr, ConstraintDefinition, ConstraintKind,
    EnumValuePosition, Operation,
};
use crate::schema::{EnumType, ForeignKey, PrimaryKey, Schema, Table, TableIndex};

/// An operation that contradicts the schema model it is applied to (a missing or
/// duplicate table, column, index, constraint, enum or enum value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaApplyError(pub String);

impl From<String> for SchemaApplyError {
    fn from(message: String) -> Self {
        SchemaApplyError(message)
    }
}

/// Applies the model-level effect of `op` to `schema`, in place (every check is made
/// before anything changes, so on error `schema` is left unchanged and the error says
/// what is wrong). `execute` and `bulk_insert` do not change the model (the effect of
/// arbitrary SQL is unknown).
///
/// Dropping a column also drops the indexes and constraints that use it (as PostgreSQL
/// does); renaming a table or column follows the rename into indexes, constraints,
/// check expressions and the foreign keys of other tables.
pub fn apply_to_schema(op: &Operation, schema: &mut Schema) -> Result<(), SchemaApplyError> {
    apply(op, schema, &TableIndex::none()).map_err(SchemaApplyError)
}

/// [`apply_to_schema`], finding tables through `index` (which describes
/// `schema.tables`), and keeping it up to date.
pub(crate) fn apply_indexed(
    op: &Operation,
    schema: &mut Schema,
    index: &mut TableIndex,
) -> Result<(), SchemaApplyError> {
    let at = match op {
        Operation::DropTable { name, .. } | Operation::RenameTable { name, .. } => {
            index.position(&schema.tables, name)
        }
        _ => None,
    };
    apply(op, schema, index).map_err(SchemaApplyError)?;
    match op {
        Operation::CreateTable(_) => index.pushed(&schema.tables),
        Operation::DropTable { name, .. } => index.removed(name, at, &schema.tables),
        Operation::RenameTable { name, new_name } => {
            index.renamed(name, new_name, at, &schema.tables)
        }
        _ => {}
    }
    Ok(())
}

fn table_mut<'a>(
    schema: &'a mut Schema,
    tables: &TableIndex,
    name: &str,
) -> Result<&'a mut Table, String> {
    tables
        .position(&schema.tables, name)
        .and_then(|at| schema.tables.get_mut(at))
        .ok_or_else(|| format!("table `{name}` does not exist"))
}

/// Applies `op` to `schema`; every arm checks everything before its first change.
fn apply(op: &Operation, schema: &mut Schema, tables: &TableIndex) -> Result<(), String> {
    match op {
        Operation::CreateTable(t) => {
            if tables.position(&schema.tables, &t.name).is_some() {
                return Err(format!("table `{}` already exists", t.name));
            }
            schema.tables.push(t.clone());
        }
        Operation::DropTable { name, .. } => {
            let before = schema.tables.len();
            schema.tables.retain(|t| t.name != *name);
            if schema.tables.len() == before {
                return Err(format!("table `{name}` does not exist"));
            }
        }
        Operation::RenameTable { name, new_name } => {
            if tables.position(&schema.tables, new_name).is_some() {
                return Err(format!("table `{new_name}` already exists"));
            }
            table_mut(schema, tables, name)?.name = new_name.clone();
            for t in &mut schema.tables {
                for fk in &mut t.foreign_keys {
                    if fk.referred_table == *name {
                        fk.referred_table = new_name.clone();
                    }
                }
            }
        }
        Operation::AddColumn {
            table,
            column,
            foreign_key,
        } => {
            let t = table_mut(schema, tables, table)?;
            if t.column(&column.name).is_some() {
                return Err(format!("column `{table}`.`{}` already exists", column.name));
            }
            t.columns.push(column.clone());
            if let Some(fk) = foreign_key {
                t.foreign_keys.push(fk.clone());
            }
        }
        Operation::DropColumn { table, name, .. } => {
            let t = table_mut(schema, tables, table)?;
            if t.column(name).is_none() {
                return Err(format!("column `{table}`.`{name}` does not exist"));
            }
            drop_column(t, name);
        }
        Operation::AlterColumn(a) => {
            {
                let t = table_mut(schema, tables, &a.table)?;
                if let Some(n) = &a.new_name {
                    if n != &a.name && t.column(n).is_some() {
                        return Err(format!("column `{}`.`{n}` already exists", a.table));
                    }
                }
                let Some(col) = t.columns.iter_mut().find(|c| c.name == a.name) else {
                    return Err(format!("column `{}`.`{}` does not exist", a.table, a.name));
                };
                if let Some(ty) = &a.ty {
                    col.ty = ty.clone();
                }
                if let Some(n) = a.nullable {
                    col.nullable = n;
                }
                if let Some(d) = &a.server_default {
                    col.server_default = d.clone();
                }
                if let Some(c) = &a.comment {
                    col.comment = c.clone();
                }
                if let Some(on) = a.autoincrement {
                    col.autoincrement = on;
                    if !on {
                        col.sequence = None;
                        col.identity_always = false;
                    }
                }
                if let Some(c) = &a.collation {
                    col.collation = c.clone();
                }
                if let Some(c) = &a.charset {
                    col.charset = c.clone();
                }
            }
            if let Some(new_name) = &a.new_name {
                rename_column(schema, &a.table, &a.name, new_name);
            }
        }
        Operation::CreateIndex { table, index, .. } => {
            let t = table_mut(schema, tables, table)?;
            check_columns(t, &index.columns)?;
            if t.indexes.iter().any(|i| i.name == index.name) {
                return Err(format!(
                    "index `{}` already exists on `{table}`",
                    index.name
                ));
            }
            t.indexes.push(index.clone());
        }
        Operation::DropIndex { name, table, .. } => {
            let t = table_mut(schema, tables, table)?;
            let before = t.indexes.len();
            t.indexes.retain(|i| i.name != *name);
            if t.indexes.len() == before {
                return Err(format!("index `{name}` does not exist on `{table}`"));
            }
        }
        Operation::CreateUniqueConstraint { table, constraint } => {
            let t = table_mut(schema, tables, table)?;
            check_columns(t, &constraint.columns)?;
            if t.unique.iter().any(|u| u.name == constraint.name) {
                return Err(format!(
                    "unique constraint `{}` already exists on `{table}`",
                    constraint.name
                ));
            }
            t.unique.push(constraint.clone());
        }
        Operation::CreateForeignKey {
            table, foreign_key, ..
        } => {
            let t = table_mut(schema, tables, table)?;
            check_columns(t, &foreign_key.columns)?;
            if t.foreign_keys.iter().any(|f| f.name == foreign_key.name) {
                return Err(format!(
                    "foreign key `{}` already exists on `{table}`",
                    foreign_key.name
                ));
            }
            t.foreign_keys.push(foreign_key.clone());
        }
        Operation::CreateCheckConstraint { table, check, .. } => {
            let t = table_mut(schema, tables, table)?;
            if t.checks.iter().any(|c| c.name == check.name) {
                return Err(format!(
                    "check constraint `{}` already exists on `{table}`",
                    check.name
                ));
            }
            t.checks.push(check.clone());
        }
        Operation::CreatePrimaryKey {
            table,
            name,
            columns,
        } => {
            let t = table_mut(schema, tables, table)?;
            check_columns(t, columns)?;
            if t.primary_key.is_some() {
                return Err(format!("table `{table}` already has a primary key"));
            }
            for c in &mut t.columns {
                if columns.contains(&c.name) {
                    c.nullable = false;
                }
            }
            t.primary_key = Some(PrimaryKey {
                name: Some(name.clone()),
                columns: columns.clone(),
            });
        }
        Operation::DropConstraint {
            name,
            table,
            kind,
            existing,
        } => {
            let t = table_mut(schema, tables, table)?;
            let found = match (kind, existing) {
                (ConstraintKind::ForeignKey, Some(ConstraintDefinition::ForeignKey(fk)))
                    if name.is_empty() =>
                {
                    remove_unnamed_foreign_key(t, fk)
                }
                _ => false,
            } || match kind {
                ConstraintKind::Unique => remove_named(&mut t.unique, name, |u| &u.name),
                ConstraintKind::ForeignKey if name.is_empty() => false,
                ConstraintKind::ForeignKey => remove_named(&mut t.foreign_keys, name, |f| &f.name),
                ConstraintKind::Check => remove_named(&mut t.checks, name, |c| &c.name),
                ConstraintKind::Primary => {
                    // A table has at most one primary key; some backends do not keep its name.
                    let had = t.primary_key.is_some();
                    if had {
                        t.primary_key = None;
                        for c in &mut t.columns {
                            c.autoincrement = false;
                        }
                    }
                    had
                }
            };
            if !found {
                return Err(format!(
                    "{kind} constraint `{name}` does not exist on `{table}`"
                ));
            }
        }
        Operation::CreateEnum(e) => {
            if schema.enum_type(&e.name).is_some() {
                return Err(format!("enum `{}` already exists", e.name));
            }
            schema.enums.push(e.clone());
        }
        Operation::DropEnum { name, .. } => {
            let before = schema.enums.len();
            schema.enums.retain(|e| e.name != *name);
            if schema.enums.len() == before {
                return Err(format!("enum `{name}` does not exist"));
            }
        }
        Operation::AddEnumValue {
            name,
            value,
            position,
        } => {
            let e = schema
                .enums
                .iter_mut()
                .find(|e| e.name == *name)
                .ok_or_else(|| format!("enum `{name}` does not exist"))?;
            *e = with_value(e, value, position.as_ref())?;
        }
        Operation::DropEnumValue { name, value, .. } => {
            let e = schema
                .enums
                .iter_mut()
                .find(|e| e.name == *name)
                .ok_or_else(|| format!("enum `{name}` does not exist"))?;
            *e = without_value(e, value)?;
        }
        Operation::CreateTableComment { table, comment, .. } => {
            table_mut(schema, tables, table)?.comment = comment.clone();
        }
        Operation::AlterTableOptions { table, set, .. } => {
            let options = &mut table_mut(schema, tables, table)?.options;
            for (slot, value) in [
                (&mut options.engine, &set.engine),
                (&mut options.charset, &set.charset),
                (&mut options.collation, &set.collation),
                (&mut options.row_format, &set.row_format),
            ] {
                if let Some(v) = value {
                    // `default`: back to the database's default, which the model leaves out.
                    *slot = (!v.eq_ignore_ascii_case("default")).then(|| v.clone());
                }
            }
        }
        Operation::CreateSequence(s) => {
            if schema.sequence(&s.name).is_some() {
                return Err(format!("sequence `{}` already exists", s.name));
            }
            schema.sequences.push(s.clone());
        }
        Operation::DropSequence(s) => {
            let before = schema.sequences.len();
            schema.sequences.retain(|q| q.name != s.name);
            if schema.sequences.len() == before {
                return Err(format!("sequence `{}` does not exist", s.name));
            }
        }
        Operation::Execute { .. }
        | Operation::BulkInsert { .. }
        | Operation::ValidateConstraint { .. } => {}
    }
    Ok(())
}

/// `e` with `value` added at `position` (the end when none).
pub(crate) fn with_value(
    e: &EnumType,
    value: &str,
    position: Option<&EnumValuePosition>,
) -> Result<EnumType, String> {
    if e.values.iter().any(|v| v == value) {
        return Err(format!("enum `{}` already has the value `{value}`", e.name));
    }
    let index = match position {
        None => e.values.len(),
        Some(EnumValuePosition::Before(v) | EnumValuePosition::After(v)) => {
            let i = e
                .values
                .iter()
                .position(|x| x == v)
                .ok_or_else(|| format!("enum `{}` has no value `{v}`", e.name))?;
            if matches!(position, Some(EnumValuePosition::After(_))) {
                i + 1
            } else {
                i
            }
        }
    };
    let mut out = e.clone();
    out.values.insert(index, value.to_string());
    Ok(out)
}

/// `e` without `value`.
pub(crate) fn without_value(e: &EnumType, value: &str) -> Result<EnumType, String> {
    if !e.values.iter().any(|v| v == value) {
        return Err(format!("enum `{}` has no value `{value}`", e.name));
    }
    if e.values.len() == 1 {
        return Err(format!(
            "`{value}` is the only value of enum `{}`, and an enum needs at least one; drop the enum instead",
            e.name
        ));
    }
    let mut out = e.clone();
    out.values.retain(|v| v != value);
    Ok(out)
}

fn check_columns(t: &Table, columns: &[String]) -> Result<(), String> {
    for c in columns {
        if t.column(c).is_none() {
            return Err(format!("column `{}`.`{c}` does not exist", t.name));
        }
    }
    Ok(())
}

/// Removes the first unnamed foreign key of `t` with `fk`'s columns and referred
/// table and columns (how an unnamed key is named); true when there was one.
pub(crate) fn remove_unnamed_foreign_key(t: &mut Table, fk: &ForeignKey) -> bool {
    let same = |f: &ForeignKey| {
        f.name.is_empty()
            && f.columns == fk.columns
            && f.referred_table.eq_ignore_ascii_case(&fk.referred_table)
            && (fk.referred_columns.is_empty() || f.referred_columns == fk.referred_columns)
    };
    match t.foreign_keys.iter().position(same) {
        Some(i) => {
            t.foreign_keys.remove(i);
            true
        }
        None => false,
    }
}

fn remove_named<T>(list: &mut Vec<T>, name: &str, name_of: impl Fn(&T) -> &String) -> bool {
    let before = list.len();
    list.retain(|x| name_of(x) != name);
    list.len() != before
}

/// Removes a column and everything that uses it.
pub(crate) fn drop_column(t: &mut Table, name: &str) {
    let uses = |cols: &[String]| cols.iter().any(|c| c == name);
    t.columns.retain(|c| c.name != name);
    if t.primary_key.as_ref().is_some_and(|pk| uses(&pk.columns)) {
        t.primary_key = None;
    }
    t.indexes.retain(|i| {
        !uses(&i.columns)
            && !i
                .where_clause
                .as_deref()
                .is_some_and(|w| expr_mentions(w, name))
    });
    t.unique.retain(|u| !uses(&u.columns));
    t.foreign_keys.retain(|f| !uses(&f.columns));
    t.checks.retain(|c| !expr_mentions(&c.expr, name));
}

/// Renames a column of `table` everywhere the model mentions it.
pub(crate) fn rename_column(schema: &mut Schema, table: &str, old: &str, new: &str) {
    let fix = |cols: &mut Vec<String>| {
        for c in cols.iter_mut() {
            if c == old {
                *c = new.to_string();
            }
        }
    };
    for t in &mut schema.tables {
        if t.name == table {
            for c in &mut t.columns {
                if c.name == old {
                    c.name = new.to_string();
                }
            }
            if let Some(pk) = &mut t.primary_key {
                fix(&mut pk.columns);
            }
            for i in &mut t.indexes {
                fix(&mut i.columns);
                if let Some(w) = &mut i.where_clause {
                    *w = rename_identifier_in_expr(w, old, new);
                }
            }
            for u in &mut t.unique {
                fix(&mut u.columns);
            }
            for f in &mut t.foreign_keys {
                fix(&mut f.columns);
                if f.referred_table == table {
                    fix(&mut f.referred_columns);
                }
            }
            for c in &mut t.checks {
                c.expr = rename_identifier_in_expr(&c.expr, old, new);
            }
        } else {
            for f in &mut t.foreign_keys {
                if f.referred_table == table {
                    fix(&mut f.referred_columns);
                }
            }
        }
    }
}
