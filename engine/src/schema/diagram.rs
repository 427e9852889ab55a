//! Entity-relationship diagrams of a [`Schema`]: Mermaid `erDiagram` ([`to_mermaid`])
//! and Graphviz ([`to_dot`]). Used by `reflect --format mermaid|dot` (a live database)
//! and `reflect --from-schema` (the declared `schema.yaml`).

use super::{Schema, Table};

/// `PK`, `FK`, `UK` markers of a column, comma-separated (Mermaid's key list).
fn keys(table: &Table, column: &str) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if table.is_primary_key_column(column) {
        keys.push("PK");
    }
    if table
        .foreign_keys
        .iter()
        .any(|fk| fk.columns.iter().any(|c| c == column))
    {
        keys.push("FK");
    }
    let single = |cols: &[String]| cols.len() == 1 && cols[0] == column;
    if table.unique.iter().any(|u| single(&u.columns))
        || table
            .indexes
            .iter()
            .any(|i| i.unique && i.where_clause.is_none() && single(&i.columns))
    {
        keys.push("UK");
    }
    keys
}

/// A name Mermaid accepts as an entity or attribute: letters, digits, `_`, `-`
/// (anything else becomes `_`); `types` also keeps `(`, `)`, `[` and `]`.
fn mermaid_word(s: &str, types: bool) -> String {
    let mut w: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric()
                || c == '_'
                || c == '-'
                || (types && matches!(c, '(' | ')' | '[' | ']'))
            {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !w.starts_with(|c: char| c.is_ascii_alphabetic()) {
        w.insert(0, if types { 't' } else { '_' });
    }
    w
}

/// The schema as a Mermaid `erDiagram`: one entity per table with its columns
/// (`type name PK, FK, UK "comment"`) and one relationship per foreign key, labelled
/// with the key's name (`o|` when the referring columns may be NULL).
pub fn to_mermaid(schema: &Schema) -> String {
    let mut out = String::from("erDiagram\n");
    for t in &schema.tables {
        out.push_str(&format!("  {} {{\n", mermaid_word(&t.name, false)));
        for c in &t.columns {
            let ty = mermaid_word(&c.ty.to_string(), true);
            let mut line = format!("    {ty} {}", mermaid_word(&c.name, false));
            let k = keys(t, &c.name);
            if !k.is_empty() {
                line.push(' ');
                line.push_str(&k.join(", "));
            }
            if let Some(comment) = &c.comment {
                line.push_str(&format!(" \"{}\"", comment.replace('"', "'")));
            }
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("  }\n");
    }
    for t in &schema.tables {
        for fk in &t.foreign_keys {
            let optional = fk
                .columns
                .iter()
                .any(|c| t.column(c).is_none_or(|col| col.nullable));
            let parent_end = if optional { "|o" } else { "||" };
            out.push_str(&format!(
                "  {} {parent_end}--o{{ {} : \"{}\"\n",
                mermaid_word(&fk.referred_table, false),
                mermaid_word(&t.name, false),
                fk.name.replace('"', "'")
            ));
        }
    }
    out
}

/// Text safe inside a Graphviz record field.
fn record_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The schema as a Graphviz `digraph` of record nodes (table name, then one field per
/// column with its type and keys) and one edge per foreign key, from the referring
/// column to the referred one, labelled with the key's name.
pub fn to_dot(schema: &Schema) -> String {
    let mut out = String::from(
        "digraph schema {\n  rankdir=LR;\n  node [shape=record, fontname=\"monospace\"];\n",
    );
    for (ti, t) in schema.tables.iter().enumerate() {
        let mut fields = vec![format!("<table> {}", record_text(&t.name))];
        for (ci, c) in t.columns.iter().enumerate() {
            let k = keys(t, &c.name);
            let k = if k.is_empty() {
                String::new()
            } else {
                format!(" {}", k.join(","))
            };
            let null = if c.nullable { "" } else { " NOT NULL" };
            fields.push(format!(
                "<c{ci}> {} : {}{null}{k}\\l",
                record_text(&c.name),
                record_text(&c.ty.to_string())
            ));
        }
        out.push_str(&format!("  t{ti} [label=\"{{{}}}\"];\n", fields.join("|")));
    }
    let table_index = |name: &str| schema.tables.iter().position(|t| t.name == name);
    for (ti, t) in schema.tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            let Some(ri) = table_index(&fk.referred_table) else {
                continue;
            };
            let referred = &schema.tables[ri];
            let from = fk
                .columns
                .first()
                .and_then(|c| t.columns.iter().position(|x| &x.name == c))
                .map_or("table".to_string(), |i| format!("c{i}"));
            let to = fk
                .referred_columns
                .first()
                .and_then(|c| referred.columns.iter().position(|x| &x.name == c))
                .map_or("table".to_string(), |i| format!("c{i}"));
            out.push_str(&format!(
                "  t{ti}:{from} -> t{ri}:{to} [label={}];\n",
                super::super::script::graph_draw::dot_quote(&fk.name)
            ));
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::schema::{parse_schema_text, NamingConvention};

    const SCHEMA: &str = r#"
tables:
  users:
    columns:
      id: {type: integer, primary_key: true}
      email: {type: varchar(255), nullable: false, unique: true, comment: "login"}
  orders:
    columns:
      id: {type: integer, primary_key: true}
      user_id: {type: integer, nullable: false, foreign_key: {references: users.id}}
      price: {type: "numeric(10,2)"}
"#;

    fn schema() -> Schema {
        parse_schema_text(
            Path::new("schema.yaml"),
            SCHEMA,
            &NamingConvention::default(),
        )
        .expect("schema")
    }

    #[test]
    fn mermaid_lists_entities_columns_and_relationships() {
        let m = to_mermaid(&schema());
        assert!(m.starts_with("erDiagram\n"), "{m}");
        assert!(m.contains("  users {\n    integer id PK\n"), "{m}");
        assert!(m.contains("varchar(255) email UK \"login\""), "{m}");
        assert!(
            m.contains("numeric_10_2_ price") || m.contains("numeric(10_2) price"),
            "{m}"
        );
        assert!(
            m.contains("  users ||--o{ orders : \"fk_orders_user_id_users\""),
            "{m}"
        );
    }

    #[test]
    fn dot_has_one_record_per_table_and_an_edge_per_foreign_key() {
        let d = to_dot(&schema());
        assert_eq!(d.matches("[label=\"{<table>").count(), 2, "{d}");
        assert!(
            d.contains("t1:c1 -> t0:c0 [label=\"fk_orders_user_id_users\"]"),
            "{d}"
        );
    }
}
