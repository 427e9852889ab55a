//! Operations → the YAML of revision files (SPEC §4), in a form that
//! [`super::parse_operations`] reads back as exactly the same operations.

use super::{AlterColumn, ConstraintDefinition, EnumValuePosition, InsertValue, Operation};
use crate::schema::{
    column_detail_fields, foreign_key_detail_fields, index_detail_fields, sequence_option_fields,
    table_body_to_yaml, ColumnType, ForeignKey, NamingConvention,
};
use crate::yaml::scalar;

/// Writes operations as a YAML list, each item `- OPERATION: {FIELDS}` indented by
/// `indent` spaces (a `create_table` and a `bulk_insert` span several lines). Every line
/// ends with a newline; no operations give the empty string (write `upgrade: []` then).
/// `naming` decides which index and constraint names can be left implicit in a
/// `create_table` body (those the naming convention regenerates identically).
pub fn write_operations(ops: &[Operation], indent: usize, naming: &NamingConvention) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for op in ops {
        write_one(&mut out, op, &pad, indent, naming);
    }
    out
}

fn flow(entries: &[(&str, String)]) -> String {
    let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| scalar(s)).collect();
    format!("[{}]", inner.join(", "))
}

fn ty(t: &ColumnType) -> String {
    scalar(&t.to_string())
}

fn opt_null(v: &Option<String>) -> String {
    match v {
        Some(s) => scalar(s),
        None => "null".into(),
    }
}

fn write_one(
    out: &mut String,
    op: &Operation,
    pad: &str,
    indent: usize,
    naming: &NamingConvention,
) {
    let kind = op.kind();
    let line = |out: &mut String, fields: &[(&str, String)]| {
        out.push_str(&format!("{pad}- {kind}: {}\n", flow(fields)));
    };
    match op {
        Operation::CreateTable(t) => {
            out.push_str(&format!("{pad}- {kind}:\n"));
            out.push_str(&format!("{pad}    name: {}\n", scalar(&t.name)));
            out.push_str(&table_body_to_yaml(t, naming, indent + 4));
        }
        Operation::DropTable {
            name,
            existing: None,
        } => line(out, &[("name", scalar(name))]),
        Operation::DropTable {
            name,
            existing: Some(t),
        } => {
            out.push_str(&format!("{pad}- {kind}:\n"));
            out.push_str(&format!("{pad}    name: {}\n", scalar(name)));
            out.push_str(&table_body_to_yaml(t, naming, indent + 4));
        }
        Operation::RenameTable { name, new_name } => line(
            out,
            &[("name", scalar(name)), ("new_name", scalar(new_name))],
        ),
        Operation::AddColumn {
            table,
            column,
            foreign_key,
        } => {
            let mut f = vec![
                ("table", scalar(table)),
                ("name", scalar(&column.name)),
                ("type", ty(&column.ty)),
            ];
            if !column.nullable {
                f.push(("nullable", "false".into()));
            }
            if let Some(d) = &column.server_default {
                f.push(("server_default", scalar(d)));
            }
            if column.autoincrement {
                f.push(("autoincrement", "true".into()));
            }
            if let Some(c) = &column.comment {
                f.push(("comment", scalar(c)));
            }
            f.extend(column_detail_fields(column));
            if let Some(fk) = foreign_key {
                f.push(("foreign_key", column_fk(fk, table, naming)));
            }
            line(out, &f);
        }
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
            let mut f = vec![("table", scalar(table)), ("name", scalar(name))];
            if let Some(t) = existing_type {
                f.push(("existing_type", ty(t)));
            }
            if let Some(n) = existing_nullable {
                f.push(("existing_nullable", n.to_string()));
            }
            if let Some(d) = existing_server_default {
                f.push(("existing_server_default", scalar(d)));
            }
            if let Some(c) = existing_comment {
                f.push(("existing_comment", scalar(c)));
            }
            if let Some(a) = existing_autoincrement {
                f.push(("existing_autoincrement", a.to_string()));
            }
            if let Some(c) = existing_collation {
                f.push(("existing_collation", scalar(c)));
            }
            if let Some(c) = existing_charset {
                f.push(("existing_charset", scalar(c)));
            }
            line(out, &f);
        }
        Operation::AlterColumn(a) => line(out, &alter_fields(a)),
        Operation::CreateIndex {
            table,
            index,
            concurrently,
        } => {
            let mut f = vec![
                ("name", scalar(&index.name)),
                ("table", scalar(table)),
                ("columns", list(&index.columns)),
            ];
            if index.unique {
                f.push(("unique", "true".into()));
            }
            if let Some(w) = &index.where_clause {
                f.push(("where", scalar(w)));
            }
            f.extend(index_detail_fields(index));
            if *concurrently {
                f.push(("concurrently", "true".into()));
            }
            line(out, &f);
        }
        Operation::DropIndex {
            name,
            table,
            existing,
        } => {
            let mut f = vec![("name", scalar(name)), ("table", scalar(table))];
            if let Some(index) = existing {
                f.push(("columns", list(&index.columns)));
                if index.unique {
                    f.push(("unique", "true".into()));
                }
                if let Some(w) = &index.where_clause {
                    f.push(("where", scalar(w)));
                }
                f.extend(index_detail_fields(index));
            }
            line(out, &f);
        }
        Operation::CreateUniqueConstraint { table, constraint } => line(
            out,
            &[
                ("name", scalar(&constraint.name)),
                ("table", scalar(table)),
                ("columns", list(&constraint.columns)),
            ],
        ),
        Operation::CreateForeignKey {
            table,
            foreign_key: fk,
            not_valid,
        } => {
            let mut f = vec![("name", scalar(&fk.name))];
            if fk.name.is_empty() {
                f.clear();
            }
            f.extend([
                ("table", scalar(table)),
                ("columns", list(&fk.columns)),
                ("referred_table", scalar(&fk.referred_table)),
                ("referred_columns", list(&fk.referred_columns)),
            ]);
            if let Some(a) = fk.on_delete {
                f.push(("on_delete", scalar(a.as_str())));
            }
            if let Some(a) = fk.on_update {
                f.push(("on_update", scalar(a.as_str())));
            }
            f.extend(foreign_key_detail_fields(fk));
            if *not_valid {
                f.push(("not_valid", "true".into()));
            }
            line(out, &f);
        }
        Operation::CreateCheckConstraint {
            table,
            check,
            not_valid,
        } => {
            let mut f = vec![
                ("name", scalar(&check.name)),
                ("table", scalar(table)),
                ("expr", scalar(&check.expr)),
            ];
            if *not_valid {
                f.push(("not_valid", "true".into()));
            }
            line(out, &f)
        }
        Operation::ValidateConstraint { name, table } => {
            line(out, &[("name", scalar(name)), ("table", scalar(table))])
        }
        Operation::CreatePrimaryKey {
            table,
            name,
            columns,
        } => line(
            out,
            &[
                ("name", scalar(name)),
                ("table", scalar(table)),
                ("columns", list(columns)),
            ],
        ),
        Operation::DropConstraint {
            name,
            table,
            kind: k,
            existing,
        } => {
            // An unnamed foreign key is named by its definition (below).
            let mut f = vec![("name", scalar(name))];
            if name.is_empty() {
                f.clear();
            }
            f.push(("table", scalar(table)));
            f.push(("type", k.as_str().to_string()));
            match existing {
                None => {}
                Some(ConstraintDefinition::Unique(columns))
                | Some(ConstraintDefinition::Primary(columns)) => {
                    f.push(("columns", list(columns)))
                }
                Some(ConstraintDefinition::Check(expr)) => f.push(("expr", scalar(expr))),
                Some(ConstraintDefinition::ForeignKey(fk)) => {
                    f.push(("columns", list(&fk.columns)));
                    f.push(("referred_table", scalar(&fk.referred_table)));
                    f.push(("referred_columns", list(&fk.referred_columns)));
                    if let Some(a) = fk.on_delete {
                        f.push(("on_delete", scalar(a.as_str())));
                    }
                    if let Some(a) = fk.on_update {
                        f.push(("on_update", scalar(a.as_str())));
                    }
                }
            }
            line(out, &f);
        }
        Operation::CreateEnum(e) => line(
            out,
            &[("name", scalar(&e.name)), ("values", list(&e.values))],
        ),
        Operation::DropEnum { name, values } => {
            let mut f = vec![("name", scalar(name))];
            if let Some(values) = values {
                f.push(("values", list(values)));
            }
            line(out, &f);
        }
        Operation::AddEnumValue {
            name,
            value,
            position,
        } => {
            let mut f = vec![("name", scalar(name)), ("value", scalar(value))];
            match position {
                Some(EnumValuePosition::Before(v)) => f.push(("before", scalar(v))),
                Some(EnumValuePosition::After(v)) => f.push(("after", scalar(v))),
                None => {}
            }
            line(out, &f);
        }
        Operation::DropEnumValue {
            name,
            value,
            position,
        } => {
            let mut f = vec![("name", scalar(name)), ("value", scalar(value))];
            match position {
                Some(EnumValuePosition::Before(v)) => f.push(("before", scalar(v))),
                Some(EnumValuePosition::After(v)) => f.push(("after", scalar(v))),
                None => {}
            }
            line(out, &f);
        }
        Operation::CreateSequence(s) | Operation::DropSequence(s) => {
            let mut f = vec![("name", scalar(&s.name))];
            f.extend(sequence_option_fields(s));
            line(out, &f);
        }
        Operation::AlterTableOptions {
            table,
            set,
            existing,
        } => {
            let mut f = vec![("table", scalar(table))];
            for (options, prefix) in [(set, ""), (existing, "existing_")] {
                for (key, value) in [
                    ("engine", &options.engine),
                    ("charset", &options.charset),
                    ("collation", &options.collation),
                    ("row_format", &options.row_format),
                ] {
                    if let Some(v) = value {
                        let k: &'static str = match (prefix, key) {
                            ("", k) => k,
                            (_, "engine") => "existing_engine",
                            (_, "charset") => "existing_charset",
                            (_, "collation") => "existing_collation",
                            _ => "existing_row_format",
                        };
                        f.push((k, scalar(v)));
                    }
                }
            }
            line(out, &f);
        }
        Operation::CreateTableComment {
            table,
            comment,
            existing_comment,
        } => {
            let mut f = vec![("table", scalar(table)), ("comment", opt_null(comment))];
            if let Some(e) = existing_comment {
                f.push(("existing_comment", scalar(e)));
            }
            line(out, &f);
        }
        Operation::Execute { sql, dialect } => match dialect {
            None => out.push_str(&format!("{pad}- {kind}: {}\n", scalar(sql))),
            Some(d) => line(
                out,
                &[("sql", scalar(sql)), ("dialect", d.name().to_string())],
            ),
        },
        Operation::BulkInsert { table, rows } => {
            out.push_str(&format!("{pad}- {kind}:\n"));
            out.push_str(&format!("{pad}    table: {}\n", scalar(table)));
            if rows.is_empty() {
                out.push_str(&format!("{pad}    rows: []\n"));
            } else {
                out.push_str(&format!("{pad}    rows:\n"));
                for row in rows {
                    let cells: Vec<String> = row
                        .iter()
                        .map(|(c, v)| format!("{}: {}", scalar(c), value(v)))
                        .collect();
                    out.push_str(&format!("{pad}      - {{{}}}\n", cells.join(", ")));
                }
            }
        }
    }
}

fn value(v: &InsertValue) -> String {
    match v {
        InsertValue::Null => "null".into(),
        InsertValue::Bool(b) => b.to_string(),
        InsertValue::Number(n) => n.clone(),
        InsertValue::Text(s) => scalar(s),
    }
}

/// The column-level `foreign_key` of `add_column`; the name is left out when the naming
/// convention gives it back.
fn column_fk(fk: &ForeignKey, table: &str, naming: &NamingConvention) -> String {
    let referred_column = fk.referred_columns.first().cloned().unwrap_or_default();
    let references = if referred_column.contains('.') || fk.referred_table.is_empty() {
        flow(&[
            ("table", scalar(&fk.referred_table)),
            ("column", scalar(&referred_column)),
        ])
    } else {
        scalar(&format!("{}.{}", fk.referred_table, referred_column))
    };
    let conventional =
        NamingConvention::apply(&naming.fk, table, &fk.columns, &fk.referred_table, "");
    let mut f = vec![("references", references)];
    if fk.name != conventional {
        f.push(("name", scalar(&fk.name)));
    }
    if let Some(a) = fk.on_delete {
        f.push(("on_delete", scalar(a.as_str())));
    }
    if let Some(a) = fk.on_update {
        f.push(("on_update", scalar(a.as_str())));
    }
    flow(&f)
}

fn alter_fields(a: &AlterColumn) -> Vec<(&'static str, String)> {
    let mut f = vec![("table", scalar(&a.table)), ("name", scalar(&a.name))];
    if let Some(n) = &a.new_name {
        f.push(("new_name", scalar(n)));
    }
    if let Some(t) = &a.ty {
        f.push(("type", ty(t)));
    }
    if let Some(n) = a.nullable {
        f.push(("nullable", n.to_string()));
    }
    if let Some(d) = &a.server_default {
        f.push(("server_default", opt_null(d)));
    }
    if let Some(c) = &a.comment {
        f.push(("comment", opt_null(c)));
    }
    if let Some(t) = &a.existing_type {
        f.push(("existing_type", ty(t)));
    }
    if let Some(n) = a.existing_nullable {
        f.push(("existing_nullable", n.to_string()));
    }
    if let Some(d) = &a.existing_server_default {
        f.push(("existing_server_default", opt_null(d)));
    }
    if let Some(c) = &a.existing_comment {
        f.push(("existing_comment", opt_null(c)));
    }
    if let Some(n) = a.existing_autoincrement {
        f.push(("existing_autoincrement", n.to_string()));
    }
    if let Some(n) = a.autoincrement {
        f.push(("autoincrement", n.to_string()));
    }
    for (key, value) in [
        ("collation", &a.collation),
        ("charset", &a.charset),
        ("existing_collation", &a.existing_collation),
        ("existing_charset", &a.existing_charset),
    ] {
        if let Some(v) = value {
            f.push((key, opt_null(v)));
        }
    }
    f
}
