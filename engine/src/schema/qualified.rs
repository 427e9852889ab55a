//! Schema-qualified table names. A table outside the default schema (PostgreSQL) is
//! named `schema.table` in the model, in `schema.yaml` and in revision files; a name
//! without a dot is in the default schema (the target's schema, or the first schema of
//! the search path). Only PostgreSQL has such schemas: MySQL/MariaDB and SQLite reject
//! qualified names (see [`crate::validate::check_qualified_names`]).

use super::Table;

/// Splits `schema.table` at its first dot into the schema (`None` when unqualified) and
/// the table name.
pub fn split_table_name(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((schema, table)) => (Some(schema), table),
        None => (None, name),
    }
}

/// The table name without its schema.
pub fn unqualified_name(name: &str) -> &str {
    split_table_name(name).1
}

/// `schema.table`, or `table` when `schema` is `None`.
pub fn qualified_name(schema: Option<&str>, table: &str) -> String {
    match schema {
        Some(s) => format!("{s}.{table}"),
        None => table.to_string(),
    }
}

/// `name` without the qualifier `default_schema.` (a table named in the default schema
/// is the same table as the unqualified name).
pub fn strip_default_schema(name: &str, default_schema: &str) -> String {
    match split_table_name(name) {
        (Some(s), t) if s == default_schema => t.to_string(),
        _ => name.to_string(),
    }
}

/// What is wrong with a table name's qualification (an empty part, or more than one
/// dot), as a message; `None` when it is fine.
pub fn qualified_name_problem(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2 {
        return Some(format!(
            "table name `{name}` has {} dots; write SCHEMA.TABLE (one dot) or TABLE",
            parts.len() - 1
        ));
    }
    if parts.len() == 2 && parts.iter().any(|p| p.trim().is_empty()) {
        return Some(format!(
            "table name `{name}` has an empty schema or table part; write SCHEMA.TABLE, e.g. `audit.events`"
        ));
    }
    None
}

impl Table {
    /// The table's schema, when its name is qualified (`audit` of `audit.events`).
    pub fn schema_name(&self) -> Option<&str> {
        split_table_name(&self.name).0
    }

    /// The table's name without its schema (`events` of `audit.events`).
    pub fn unqualified_name(&self) -> &str {
        unqualified_name(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_the_first_dot() {
        assert_eq!(split_table_name("audit.events"), (Some("audit"), "events"));
        assert_eq!(split_table_name("events"), (None, "events"));
        assert_eq!(unqualified_name("audit.events"), "events");
        assert_eq!(qualified_name(Some("a"), "t"), "a.t");
        assert_eq!(qualified_name(None, "t"), "t");
        assert_eq!(strip_default_schema("public.t", "public"), "t");
        assert_eq!(strip_default_schema("audit.t", "public"), "audit.t");
        assert!(qualified_name_problem("a.b").is_none());
        assert!(qualified_name_problem("a.b.c").unwrap().contains("2 dots"));
        assert!(qualified_name_problem(".b").unwrap().contains("empty"));
        let t = Table {
            name: "audit.events".into(),
            ..Table::default()
        };
        assert_eq!(t.schema_name(), Some("audit"));
        assert_eq!(t.unqualified_name(), "events");
    }
}
