//! Writing the schema model in the `schema.yaml` form (used by `reflect` and by
//! `create_table` operations in revision files).

use super::naming::NamingConvention;
use super::{autoincrement_auto, Schema, Table};
use crate::yaml::scalar;

/// `{k: v, …}` from already-rendered values. An empty `name` is left out (a reflected
/// constraint SQLite keeps no name for), so that the naming convention names it on reading.
pub(crate) fn flow_map(entries: &[(&str, String)]) -> String {
    let inner: Vec<String> = entries
        .iter()
        .filter(|(k, v)| !(*k == "name" && v == "\"\""))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// `[a, b]` with each item written as a scalar.
pub(crate) fn flow_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| scalar(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// The whole schema as `schema.yaml` text.
pub fn schema_to_yaml(schema: &Schema, naming: &NamingConvention) -> String {
    let mut out = String::new();
    if !schema.enums.is_empty() {
        out.push_str("enums:\n");
        for e in &schema.enums {
            out.push_str(&format!(
                "  {}: {}\n",
                scalar(&e.name),
                flow_list(&e.values)
            ));
        }
    }
    out.push_str("tables:");
    if schema.tables.is_empty() {
        out.push_str(" {}\n");
        return out;
    }
    out.push('\n');
    for t in &schema.tables {
        out.push_str(&format!("  {}:\n", scalar(&t.name)));
        out.push_str(&table_body_to_yaml(t, naming, 4));
    }
    out
}

/// A table's body (everything under its name) as block YAML indented by `indent` spaces.
pub fn table_body_to_yaml(t: &Table, naming: &NamingConvention, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::new();
    if let Some(c) = &t.comment {
        out.push_str(&format!("{pad}comment: {}\n", scalar(c)));
    }
    if let Some(r) = &t.renamed_from {
        out.push_str(&format!("{pad}renamed_from: {}\n", scalar(r)));
    }
    let single_pk = t
        .primary_key
        .as_ref()
        .filter(|pk| pk.columns.len() == 1)
        .map(|pk| pk.columns[0].clone());
    out.push_str(&format!("{pad}columns:\n"));
    for c in &t.columns {
        let mut e: Vec<(&str, String)> = vec![("type", scalar(&c.ty.to_string()))];
        let in_pk = t.is_primary_key_column(&c.name);
        if single_pk.as_deref() == Some(c.name.as_str()) {
            e.push(("primary_key", "true".into()));
        }
        if c.autoincrement {
            e.push(("autoincrement", "true".into()));
        } else if autoincrement_auto(t, c) {
            e.push(("autoincrement", "false".into()));
        }
        if !in_pk && !c.nullable {
            e.push(("nullable", "false".into()));
        }
        if let Some(d) = &c.server_default {
            e.push(("server_default", scalar(d)));
        }
        if let Some(cm) = &c.comment {
            e.push(("comment", scalar(cm)));
        }
        if let Some(r) = &c.renamed_from {
            e.push(("renamed_from", scalar(r)));
        }
        out.push_str(&format!("{pad}  {}: {}\n", scalar(&c.name), flow_map(&e)));
    }
    if let Some(pk) = &t.primary_key {
        let conventional = NamingConvention::apply(&naming.pk, &t.name, &pk.columns, "", "");
        let named = pk.name.as_ref().filter(|n| **n != conventional);
        if pk.columns.len() > 1 || named.is_some() {
            let mut e = Vec::new();
            if let Some(n) = named {
                e.push(("name", scalar(n)));
            }
            e.push(("columns", flow_list(&pk.columns)));
            out.push_str(&format!("{pad}primary_key: {}\n", flow_map(&e)));
        }
    }
    if !t.indexes.is_empty() {
        out.push_str(&format!("{pad}indexes:\n"));
        for ix in &t.indexes {
            let mut e = vec![
                ("name", scalar(&ix.name)),
                ("columns", flow_list(&ix.columns)),
            ];
            if ix.unique {
                e.push(("unique", "true".into()));
            }
            if let Some(w) = &ix.where_clause {
                e.push(("where", scalar(w)));
            }
            out.push_str(&format!("{pad}  - {}\n", flow_map(&e)));
        }
    }
    if !t.unique.is_empty() {
        out.push_str(&format!("{pad}unique:\n"));
        for u in &t.unique {
            let e = [
                ("name", scalar(&u.name)),
                ("columns", flow_list(&u.columns)),
            ];
            out.push_str(&format!("{pad}  - {}\n", flow_map(&e)));
        }
    }
    if !t.foreign_keys.is_empty() {
        out.push_str(&format!("{pad}foreign_keys:\n"));
        for fk in &t.foreign_keys {
            let refs = flow_map(&[
                ("table", scalar(&fk.referred_table)),
                ("columns", flow_list(&fk.referred_columns)),
            ]);
            let mut e = vec![
                ("name", scalar(&fk.name)),
                ("columns", flow_list(&fk.columns)),
                ("references", refs),
            ];
            if let Some(a) = fk.on_delete {
                e.push(("on_delete", scalar(a.as_str())));
            }
            if let Some(a) = fk.on_update {
                e.push(("on_update", scalar(a.as_str())));
            }
            out.push_str(&format!("{pad}  - {}\n", flow_map(&e)));
        }
    }
    if !t.checks.is_empty() {
        out.push_str(&format!("{pad}checks:\n"));
        for ck in &t.checks {
            let e = [("name", scalar(&ck.name)), ("expr", scalar(&ck.expr))];
            out.push_str(&format!("{pad}  - {}\n", flow_map(&e)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::parse_schema_text;
    use super::*;
    use std::path::Path;

    #[test]
    fn written_schema_reads_back_identical() {
        let text = r#"
enums:
  mood: [happy, "so-so", "it's fine"]
tables:
  "order":
    comment: "Orders: all of them"
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      "reply-to": {type: varchar(20), nullable: false, server_default: "'a, b'"}
      mood: {type: enum(mood), comment: "how it went"}
      price: numeric(10,2)
    indexes:
      - {name: ix_partial, columns: [price], where: "price > 0", unique: true}
    unique:
      - {columns: ["reply-to", mood]}
    checks:
      - {expr: "price >= 0"}
  line:
    columns:
      order_id: {type: integer}
      n: {type: integer}
    primary_key: {name: custom_pk, columns: [order_id, n]}
    foreign_keys:
      - {columns: [order_id], references: {table: order, columns: [id]}, on_delete: set null, on_update: cascade}
"#;
        let nc = NamingConvention::default();
        let a = parse_schema_text(Path::new("a.yaml"), text, &nc).unwrap();
        let written = schema_to_yaml(&a, &nc);
        let b = parse_schema_text(Path::new("b.yaml"), &written, &nc)
            .unwrap_or_else(|e| panic!("{e}\n{written}"));
        assert_eq!(a, b, "{written}");
    }
}
