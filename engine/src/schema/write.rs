//! Writing the schema model in the `schema.yaml` form (used by `reflect` and by
//! `create_table` operations in revision files).

use super::naming::NamingConvention;
use super::{autoincrement_auto, Column, ForeignKey, Index, Schema, Sequence, Table};
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

/// A column's `collation`, `charset`, `identity`, `sequence` and `generated` fields, as
/// written in `schema.yaml` and in `add_column`.
pub(crate) fn column_detail_fields(c: &Column) -> Vec<(&'static str, String)> {
    let mut e = Vec::new();
    if let Some(v) = &c.collation {
        e.push(("collation", scalar(v)));
    }
    if let Some(v) = &c.charset {
        e.push(("charset", scalar(v)));
    }
    if c.identity_always {
        e.push(("identity", "always".into()));
    }
    if let Some(v) = &c.sequence {
        e.push(("sequence", scalar(v)));
    }
    if let Some(g) = &c.generated {
        let mut ge = vec![("expr", scalar(&g.expr))];
        if g.stored {
            ge.push(("stored", "true".into()));
        }
        e.push(("generated", flow_map(&ge)));
    }
    e
}

/// An index's `lengths`, `descending`, `opclasses`, `using`, `include` and `kind`
/// fields, as written in `schema.yaml`, `create_index` and `drop_index`.
/// A sequence's options that are set (`start`, `increment`, `min_value`, `max_value`,
/// `cache`, `cycle`), as written in `schema.yaml` and in `create_sequence`.
pub(crate) fn sequence_option_fields(sq: &Sequence) -> Vec<(&'static str, String)> {
    let mut e: Vec<(&str, String)> = Vec::new();
    for (key, value) in [
        ("start", sq.start),
        ("increment", sq.increment),
        ("min_value", sq.min_value),
        ("max_value", sq.max_value),
        ("cache", sq.cache),
    ] {
        if let Some(v) = value {
            e.push((key, v.to_string()));
        }
    }
    if sq.cycle {
        e.push(("cycle", "true".into()));
    }
    e
}

pub(crate) fn index_detail_fields(ix: &Index) -> Vec<(&'static str, String)> {
    let mut e = Vec::new();
    if !ix.lengths.is_empty() {
        let l: Vec<(&str, String)> = ix
            .lengths
            .iter()
            .map(|(c, n)| (c.as_str(), n.to_string()))
            .collect();
        e.push(("lengths", flow_map_keys(&l)));
    }
    if !ix.descending.is_empty() {
        e.push(("descending", flow_list(&ix.descending)));
    }
    if !ix.opclasses.is_empty() {
        let o: Vec<(&str, String)> = ix
            .opclasses
            .iter()
            .map(|(c, v)| (c.as_str(), scalar(v)))
            .collect();
        e.push(("opclasses", flow_map_keys(&o)));
    }
    if let Some(u) = &ix.using {
        e.push(("using", scalar(u)));
    }
    if !ix.include.is_empty() {
        e.push(("include", flow_list(&ix.include)));
    }
    if let Some(k) = ix.kind {
        e.push(("kind", k.as_str().into()));
    }
    e
}

/// A foreign key's `deferrable` and `initially` fields.
pub(crate) fn foreign_key_detail_fields(fk: &ForeignKey) -> Vec<(&'static str, String)> {
    let mut e = Vec::new();
    if fk.deferrable {
        e.push(("deferrable", "true".into()));
    }
    if fk.initially_deferred {
        e.push(("initially", "deferred".into()));
    }
    e
}

/// `{k: v, …}` whose keys are names that may need quoting (column names, expressions).
fn flow_map_keys(entries: &[(&str, String)]) -> String {
    let inner: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}: {v}", scalar(k)))
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
    if !schema.sequences.is_empty() {
        out.push_str("sequences:\n");
        for sq in &schema.sequences {
            out.push_str(&format!(
                "  {}: {}\n",
                scalar(&sq.name),
                flow_map(&sequence_option_fields(sq))
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
    for (key, value) in [
        ("engine", &t.options.engine),
        ("charset", &t.options.charset),
        ("collation", &t.options.collation),
        ("row_format", &t.options.row_format),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("{pad}{key}: {}\n", scalar(v)));
        }
    }
    if t.options.sqlite_autoincrement {
        out.push_str(&format!("{pad}sqlite_autoincrement: true\n"));
    }
    if t.options.without_rowid {
        out.push_str(&format!("{pad}without_rowid: true\n"));
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
        if c.autoincrement && c.sequence.is_none() {
            e.push(("autoincrement", "true".into()));
        } else if !c.autoincrement && autoincrement_auto(t, c) {
            e.push(("autoincrement", "false".into()));
        }
        if !in_pk && !c.nullable {
            e.push(("nullable", "false".into()));
        } else if in_pk && c.nullable {
            e.push(("nullable", "true".into()));
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
        e.extend(column_detail_fields(c));
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
            e.extend(index_detail_fields(ix));
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
            e.extend(foreign_key_detail_fields(fk));
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
sequences:
  plain_seq: {}
  tuned_seq: {start: 100, increment: -2, min_value: -1000, max_value: 1000, cache: 5, cycle: true}
tables:
  "order":
    comment: "Orders: all of them"
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      "reply-to": {type: varchar(20), nullable: false, server_default: "'a, b'"}
      mood: {type: enum(mood), comment: "how it went"}
      price: numeric(10,2)
      note: {type: text, collation: utf8mb4_bin, charset: utf8mb4}
      total: {type: integer, generated: {expr: "price * 2", stored: true}}
      half: {type: integer, generated: "price / 2"}
    indexes:
      - {name: ix_partial, columns: [price], where: "price > 0", unique: true}
      - {name: ix_details, columns: [mood, "lower(\"reply-to\")"], lengths: {mood: 10}, descending: [mood], opclasses: {"lower(\"reply-to\")": text_pattern_ops}, using: gin, include: [price]}
      - {name: ix_text, columns: [mood], kind: fulltext}
    unique:
      - {columns: ["reply-to", mood]}
    checks:
      - {expr: "price >= 0"}
  line:
    columns:
      order_id: {type: integer}
      n: {type: integer}
    primary_key: {name: custom_pk, columns: [order_id, n]}
    engine: MyISAM
    charset: latin1
    collation: latin1_bin
    foreign_keys:
      - {columns: [order_id], references: {table: order, columns: [id]}, on_delete: set null, on_update: cascade, deferrable: true, initially: deferred}
  counter:
    sqlite_autoincrement: true
    without_rowid: true
    columns:
      id: {type: bigint, primary_key: true, identity: always}
  serial:
    columns:
      id: {type: integer, primary_key: true, sequence: serial_id_seq}
      n: {type: integer, sequence: serial_n_seq}
"#;
        let nc = NamingConvention::default();
        let a = parse_schema_text(Path::new("a.yaml"), text, &nc).unwrap();
        let written = schema_to_yaml(&a, &nc);
        let b = parse_schema_text(Path::new("b.yaml"), &written, &nc)
            .unwrap_or_else(|e| panic!("{e}\n{written}"));
        assert_eq!(a, b, "{written}");
    }
}
