//! Revision-file YAML → operations, reporting every mistake with file:line:col.

use std::collections::HashSet;
use std::path::Path;

use super::{
    AlterColumn, ConstraintDefinition, ConstraintKind, EnumValuePosition, InsertValue, Operation,
    Row,
};
use crate::dialect::Dialect;
use crate::schema::{
    column_details_from_node, foreign_key_details_from_node, index_details_from_node,
    sequence_from_node, table_from_node, CheckConstraint, Column, ColumnType, EnumType, FkAction,
    ForeignKey, Index, NamingConvention, TableOptions, UniqueConstraint, INDEX_DETAIL_KEYS,
};
use crate::yaml::{closest, Diagnostics, Node, NodeValue, Span};

/// Every operation name, in the order of SPEC §4.
pub const OPERATION_NAMES: &[&str] = &[
    "create_table",
    "drop_table",
    "rename_table",
    "add_column",
    "drop_column",
    "alter_column",
    "create_index",
    "drop_index",
    "create_unique_constraint",
    "create_foreign_key",
    "create_check_constraint",
    "validate_constraint",
    "create_primary_key",
    "drop_constraint",
    "create_enum",
    "drop_enum",
    "add_enum_value",
    "drop_enum_value",
    "create_sequence",
    "drop_sequence",
    "alter_table_options",
    "create_table_comment",
    "execute",
    "bulk_insert",
];

const ADD_COLUMN_KEYS: &[&str] = &[
    "table",
    "name",
    "type",
    "nullable",
    "server_default",
    "autoincrement",
    "comment",
    "foreign_key",
    "collation",
    "charset",
    "identity",
    "sequence",
    "generated",
];
const ALTER_COLUMN_KEYS: &[&str] = &[
    "table",
    "name",
    "new_name",
    "type",
    "nullable",
    "server_default",
    "comment",
    "existing_type",
    "existing_nullable",
    "existing_server_default",
    "existing_comment",
    "existing_autoincrement",
    "autoincrement",
    "collation",
    "charset",
    "existing_collation",
    "existing_charset",
];

/// Parses the operations of a revision file's `upgrade` or `downgrade` list: a YAML list
/// of one-key mappings `OPERATION: {FIELDS}` (and the bare `- execute: "SQL"`). `null`
/// is an empty list. Every mistake is pushed to `diags` with file:line:col; operations
/// with mistakes are left out of the result, the others are returned.
pub fn parse_operations(
    file: &Path,
    node: &Node,
    naming: &NamingConvention,
    diags: &mut Diagnostics,
) -> Vec<Operation> {
    let mut p = Parser {
        file,
        naming,
        diags,
    };
    let items = match &node.value {
        NodeValue::Null => return Vec::new(),
        NodeValue::Seq(items) => items,
        _ => {
            p.err(
                node.span,
                format!(
                    "operations must be a list (`- create_table: {{…}}`), found {}",
                    node.kind_name()
                ),
            );
            return Vec::new();
        }
    };
    let mut ops = Vec::new();
    for item in items {
        let before = p.diags.0.len();
        let op = p.operation(item);
        if p.diags.0.len() == before {
            if let Some(op) = op {
                ops.push(op);
            }
        }
    }
    ops
}

struct Parser<'a> {
    file: &'a Path,
    naming: &'a NamingConvention,
    diags: &'a mut Diagnostics,
}

/// Is `text` (an unquoted scalar) a number as `bulk_insert` understands it?
pub(crate) fn is_number(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let digits = |x: &str| x.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        }
    };
    mantissa_ok && exponent_ok
}

impl Parser<'_> {
    fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(self.file, span, msg);
    }

    fn operation(&mut self, item: &Node) -> Option<Operation> {
        let Some(entries) = item.as_map() else {
            let hint = match item.as_str() {
                Some(s) if OPERATION_NAMES.contains(&s) => {
                    format!("; write `- {s}: {{…}}` with its fields")
                }
                _ => String::new(),
            };
            self.err(
                item.span,
                format!(
                    "an operation must be a one-key mapping `OPERATION: {{FIELDS}}`, found {}{hint}",
                    item.kind_name()
                ),
            );
            return None;
        };
        if entries.len() != 1 {
            let keys: Vec<&str> = entries.iter().filter_map(|(k, _)| k.as_str()).collect();
            self.err(
                item.span,
                format!(
                    "an operation must be a one-key mapping `OPERATION: {{FIELDS}}`, found {} keys ({}); check the indentation of its fields",
                    entries.len(),
                    keys.join(", ")
                ),
            );
            return None;
        }
        let (key, body) = &entries[0];
        let Some(name) = key.as_str() else {
            self.err(
                key.span,
                "an operation's name must be a plain word such as `create_table`",
            );
            return None;
        };
        if name == "execute" {
            if let NodeValue::Scalar { text, .. } = &body.value {
                return Some(Operation::Execute {
                    sql: text.clone(),
                    dialect: None,
                });
            }
        }
        if !OPERATION_NAMES.contains(&name) {
            let hint = closest(name, OPERATION_NAMES)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            self.err(
                key.span,
                format!(
                    "unknown operation `{name}`{hint}; expected one of: {}",
                    OPERATION_NAMES.join(", ")
                ),
            );
            return None;
        }
        if body.as_map().is_none() {
            self.err(
                body.span,
                format!(
                    "the fields of `{name}` must be a mapping, found {}",
                    body.kind_name()
                ),
            );
            return None;
        }
        let what = format!("`{name}`");
        match name {
            "create_table" => self.create_table(body),
            "drop_table" => self.drop_table(body, &what),
            "rename_table" => {
                self.fields(body, &what, &["name", "new_name"]);
                let name = self.req_name(body, "name", &what);
                let new_name = self.req_name(body, "new_name", &what);
                Some(Operation::RenameTable {
                    name: name?,
                    new_name: new_name?,
                })
            }
            "add_column" => self.add_column(body, &what),
            "drop_column" => {
                self.fields(
                    body,
                    &what,
                    &[
                        "table",
                        "name",
                        "existing_type",
                        "existing_nullable",
                        "existing_server_default",
                        "existing_comment",
                        "existing_autoincrement",
                        "existing_collation",
                        "existing_charset",
                    ],
                );
                let table = self.req_name(body, "table", &what);
                let name = self.req_name(body, "name", &what);
                let existing_type = self.opt_type(body, "existing_type", &what);
                let existing_nullable = self.opt_bool(body, "existing_nullable", &what);
                let existing_server_default = self.opt_str(body, "existing_server_default", &what);
                let existing_comment = self.opt_str(body, "existing_comment", &what);
                let existing_autoincrement = self.opt_bool(body, "existing_autoincrement", &what);
                let existing_collation = self.opt_str(body, "existing_collation", &what);
                let existing_charset = self.opt_str(body, "existing_charset", &what);
                Some(Operation::DropColumn {
                    table: table?,
                    name: name?,
                    existing_type,
                    existing_nullable,
                    existing_server_default,
                    existing_comment,
                    existing_autoincrement,
                    existing_collation,
                    existing_charset,
                })
            }
            "alter_column" => self.alter_column(body, &what),
            "create_index" => {
                self.fields(
                    body,
                    &what,
                    &[
                        &[
                            "name",
                            "table",
                            "columns",
                            "unique",
                            "where",
                            "concurrently",
                        ][..],
                        INDEX_DETAIL_KEYS,
                    ]
                    .concat(),
                );
                let name = self.req_name(body, "name", &what);
                let table = self.req_name(body, "table", &what);
                let columns = self.req_names(body, "columns", &what);
                let unique = self.opt_bool(body, "unique", &what).unwrap_or(false);
                let where_clause = self.opt_str(body, "where", &what);
                let concurrently = self.opt_bool(body, "concurrently", &what).unwrap_or(false);
                let mut index = Index {
                    name: name?,
                    columns: columns?,
                    unique,
                    where_clause,
                    ..Default::default()
                };
                index_details_from_node(self.file, None, &mut index, body, self.diags);
                Some(Operation::CreateIndex {
                    table: table?,
                    index,
                    concurrently,
                })
            }
            "validate_constraint" => {
                self.fields(body, &what, &["name", "table"]);
                let name = self.req_name(body, "name", &what);
                let table = self.req_name(body, "table", &what);
                Some(Operation::ValidateConstraint {
                    name: name?,
                    table: table?,
                })
            }
            "drop_index" => {
                self.fields(
                    body,
                    &what,
                    &[
                        &["name", "table", "columns", "unique", "where"][..],
                        INDEX_DETAIL_KEYS,
                    ]
                    .concat(),
                );
                let name = self.req_name(body, "name", &what);
                let table = self.req_name(body, "table", &what);
                let existing = if body.get("columns").is_some() {
                    let columns = self.req_names(body, "columns", &what);
                    let unique = self.opt_bool(body, "unique", &what).unwrap_or(false);
                    let where_clause = self.opt_str(body, "where", &what);
                    let mut index = Index {
                        name: name.clone().unwrap_or_default(),
                        columns: columns?,
                        unique,
                        where_clause,
                        ..Default::default()
                    };
                    index_details_from_node(self.file, None, &mut index, body, self.diags);
                    Some(index)
                } else {
                    for key in ["unique", "where"].iter().chain(INDEX_DETAIL_KEYS) {
                        if let Some(n) = body.get(key) {
                            self.err(
                                n.span,
                                format!("{what}: `{key}` describes the dropped index and needs `columns` with it"),
                            );
                        }
                    }
                    None
                };
                Some(Operation::DropIndex {
                    name: name?,
                    table: table?,
                    existing,
                })
            }
            "create_unique_constraint" => {
                self.fields(body, &what, &["name", "table", "columns"]);
                let name = self.req_name(body, "name", &what);
                let table = self.req_name(body, "table", &what);
                let columns = self.req_names(body, "columns", &what);
                Some(Operation::CreateUniqueConstraint {
                    table: table?,
                    constraint: UniqueConstraint {
                        name: name?,
                        columns: columns?,
                    },
                })
            }
            "create_foreign_key" => {
                self.fields(
                    body,
                    &what,
                    &[
                        "name",
                        "table",
                        "columns",
                        "referred_table",
                        "not_valid",
                        "referred_columns",
                        "on_delete",
                        "on_update",
                        "deferrable",
                        "initially",
                    ],
                );
                // An unnamed key (SQLite keeps keys without names) leaves `name` out.
                let name = if body.get("name").is_some_and(|n| !n.is_null()) {
                    self.req_name(body, "name", &what)
                } else {
                    Some(String::new())
                };
                let table = self.req_name(body, "table", &what);
                let columns = self.req_names(body, "columns", &what);
                let referred_table = self.req_name(body, "referred_table", &what);
                let referred_columns = self.req_names(body, "referred_columns", &what);
                let on_delete = self.opt_action(body, "on_delete", &what);
                let on_update = self.opt_action(body, "on_update", &what);
                if let (Some(c), Some(r)) = (&columns, &referred_columns) {
                    if c.len() != r.len() {
                        self.err(
                            body.span,
                            format!(
                                "{what} has {} column(s) but {} referred column(s); they pair up one to one",
                                c.len(),
                                r.len()
                            ),
                        );
                    }
                }
                let not_valid = self.opt_bool(body, "not_valid", &what).unwrap_or(false);
                Some(Operation::CreateForeignKey {
                    not_valid,
                    table: table?,
                    foreign_key: ForeignKey {
                        name: name?,
                        columns: columns?,
                        referred_table: referred_table?,
                        referred_columns: referred_columns?,
                        on_delete,
                        on_update,
                        ..Default::default()
                    },
                })
                .map(|mut op| {
                    if let Operation::CreateForeignKey { foreign_key, .. } = &mut op {
                        foreign_key_details_from_node(self.file, foreign_key, body, self.diags);
                    }
                    op
                })
            }
            "create_check_constraint" => {
                self.fields(body, &what, &["name", "table", "expr", "not_valid"]);
                let name = self.req_name(body, "name", &what);
                let table = self.req_name(body, "table", &what);
                let expr = self.req_name(body, "expr", &what).filter(|e| {
                    let blank = e.trim().is_empty();
                    if blank {
                        let span = body.get("expr").map_or(body.span, |n| n.span);
                        self.err(span, format!("`expr` of {what} must not be empty"));
                    }
                    !blank
                });
                let not_valid = self.opt_bool(body, "not_valid", &what).unwrap_or(false);
                Some(Operation::CreateCheckConstraint {
                    not_valid,
                    table: table?,
                    check: CheckConstraint {
                        name: name?,
                        expr: expr?,
                    },
                })
            }
            "create_primary_key" => {
                self.fields(body, &what, &["name", "table", "columns"]);
                let name = self.req_name(body, "name", &what);
                let table = self.req_name(body, "table", &what);
                let columns = self.req_names(body, "columns", &what);
                Some(Operation::CreatePrimaryKey {
                    table: table?,
                    name: name?,
                    columns: columns?,
                })
            }
            "drop_constraint" => {
                self.fields(
                    body,
                    &what,
                    &[
                        "name",
                        "table",
                        "type",
                        "columns",
                        "referred_table",
                        "referred_columns",
                        "on_delete",
                        "on_update",
                        "expr",
                    ],
                );
                // An unnamed foreign key (SQLite keeps keys without names) is named by
                // its definition instead: `name` left out, `columns` and `referred_table`
                // given.
                let unnamed_fk = body.get("name").is_none_or(|n| n.is_null())
                    && body
                        .get("type")
                        .and_then(|n| n.as_str())
                        .and_then(ConstraintKind::parse)
                        == Some(ConstraintKind::ForeignKey);
                let name = if unnamed_fk {
                    Some(String::new())
                } else {
                    self.req_name(body, "name", &what)
                };
                let table = self.req_name(body, "table", &what);
                let kind = match self.req_name(body, "type", &what) {
                    None => None,
                    Some(t) => match ConstraintKind::parse(&t) {
                        Some(k) => Some(k),
                        None => {
                            let span = body.get("type").map_or(body.span, |n| n.span);
                            self.err(
                                span,
                                format!(
                                    "{what}: `type` `{t}` is not a constraint type; use unique, foreignkey, check or primary"
                                ),
                            );
                            None
                        }
                    },
                };
                let kind = kind?;
                let existing = self.constraint_definition(body, kind, &what)?;
                if unnamed_fk && existing.is_none() {
                    self.err(
                        body.span,
                        format!("{what} needs `name`, or for an unnamed foreign key its definition: `columns`, `referred_table` and `referred_columns`"),
                    );
                    return None;
                }
                Some(Operation::DropConstraint {
                    name: name?,
                    table: table?,
                    kind,
                    existing,
                })
            }
            "create_enum" => {
                self.fields(body, &what, &["name", "values"]);
                let name = self.req_name(body, "name", &what);
                let values = self.enum_values(body, &what);
                Some(Operation::CreateEnum(EnumType {
                    name: name?,
                    values: values?,
                }))
            }
            "drop_enum" => {
                self.fields(body, &what, &["name", "values"]);
                let name = self.req_name(body, "name", &what);
                let values = match body.get("values") {
                    None => None,
                    Some(_) => Some(self.enum_values(body, &what)?),
                };
                Some(Operation::DropEnum {
                    name: name?,
                    values,
                })
            }
            "add_enum_value" => {
                self.fields(body, &what, &["name", "value", "before", "after"]);
                let name = self.req_name(body, "name", &what);
                let value = self.req_name(body, "value", &what);
                let position = self.enum_position(body, &what);
                Some(Operation::AddEnumValue {
                    name: name?,
                    value: value?,
                    position,
                })
            }
            "drop_enum_value" => {
                self.fields(body, &what, &["name", "value", "before", "after"]);
                let name = self.req_name(body, "name", &what);
                let value = self.req_name(body, "value", &what);
                let position = self.enum_position(body, &what);
                Some(Operation::DropEnumValue {
                    name: name?,
                    value: value?,
                    position,
                })
            }
            "create_sequence" | "drop_sequence" => {
                let seq_name = self.req_name(body, "name", &what);
                let sequence = sequence_from_node(
                    self.file,
                    seq_name.as_deref().unwrap_or("?"),
                    body,
                    &["name"],
                    self.diags,
                );
                seq_name?;
                Some(if name == "create_sequence" {
                    Operation::CreateSequence(sequence)
                } else {
                    Operation::DropSequence(sequence)
                })
            }
            "create_table_comment" => {
                self.fields(body, &what, &["table", "comment", "existing_comment"]);
                let table = self.req_name(body, "table", &what);
                let comment = match body.get("comment") {
                    None => {
                        self.err(
                            body.span,
                            format!(
                                "{what} needs `comment` (a string, or null to drop the comment)"
                            ),
                        );
                        None
                    }
                    Some(n) if n.is_null() => Some(None),
                    Some(n) => self.string(n, &format!("`comment` of {what}")).map(Some),
                };
                let existing_comment = self.opt_str(body, "existing_comment", &what);
                Some(Operation::CreateTableComment {
                    table: table?,
                    comment: comment?,
                    existing_comment,
                })
            }
            "alter_table_options" => self.alter_table_options(body, &what),
            "execute" => {
                self.fields(body, &what, &["sql", "dialect"]);
                let sql = self.req_string(body, "sql", &what);
                let dialect = match self.opt_str(body, "dialect", &what) {
                    None => None,
                    Some(d) => {
                        match Dialect::parse(&d) {
                            Some(d) => Some(d),
                            None => {
                                let span = body.get("dialect").map_or(body.span, |n| n.span);
                                self.err(
                                span,
                                format!("{what}: unknown dialect `{d}`; use sqlite, postgres or mysql"),
                            );
                                None
                            }
                        }
                    }
                };
                Some(Operation::Execute { sql: sql?, dialect })
            }
            "bulk_insert" => self.bulk_insert(body, &what),
            _ => None,
        }
    }

    fn create_table(&mut self, body: &Node) -> Option<Operation> {
        let what = "`create_table`";
        let name = self.req_name(body, "name", what);
        let table = table_from_node(
            self.file,
            name.as_deref().unwrap_or("?"),
            body,
            self.naming,
            &["name"],
            self.diags,
        );
        name?;
        Some(Operation::CreateTable(table))
    }

    /// `drop_table`: `name`, and optionally the dropped table's definition in
    /// `create_table`'s fields (which makes it reversible).
    fn drop_table(&mut self, body: &Node, what: &str) -> Option<Operation> {
        let name = self.req_name(body, "name", what);
        let has_definition = body.get("columns").is_some();
        if !has_definition {
            self.fields(body, what, &["name", "columns"]);
        }
        let existing = has_definition.then(|| {
            table_from_node(
                self.file,
                name.as_deref().unwrap_or("?"),
                body,
                self.naming,
                &["name"],
                self.diags,
            )
        });
        Some(Operation::DropTable {
            name: name?,
            existing,
        })
    }

    /// `before` / `after` of `add_enum_value` and `drop_enum_value`.
    fn enum_position(&mut self, body: &Node, what: &str) -> Option<EnumValuePosition> {
        let before = self.opt_str(body, "before", what);
        let after = self.opt_str(body, "after", what);
        match (before, after) {
            (Some(_), Some(_)) => {
                self.err(
                    body.span,
                    format!("{what}: give `before` or `after`, not both"),
                );
                None
            }
            (Some(b), None) => Some(EnumValuePosition::Before(b)),
            (None, Some(a)) => Some(EnumValuePosition::After(a)),
            (None, None) => None,
        }
    }

    /// The optional definition `drop_constraint` carries for its `type`: `columns`
    /// (unique, primary), `columns`/`referred_table`/`referred_columns` and the actions
    /// (foreignkey), `expr` (check). Fields of another type are mistakes. `None` from
    /// the outer option: a mistake was reported.
    fn constraint_definition(
        &mut self,
        body: &Node,
        kind: ConstraintKind,
        what: &str,
    ) -> Option<Option<ConstraintDefinition>> {
        let own: &[&str] = match kind {
            ConstraintKind::Unique | ConstraintKind::Primary => &["columns"],
            ConstraintKind::ForeignKey => &[
                "columns",
                "referred_table",
                "referred_columns",
                "on_delete",
                "on_update",
            ],
            ConstraintKind::Check => &["expr"],
        };
        let mut ok = true;
        for key in [
            "columns",
            "referred_table",
            "referred_columns",
            "on_delete",
            "on_update",
            "expr",
        ] {
            if let (Some(n), false) = (body.get(key), own.contains(&key)) {
                self.err(
                    n.span,
                    format!(
                        "{what}: `{key}` does not describe a {kind} constraint; it takes {}",
                        own.join(", ")
                    ),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        if !own.iter().any(|k| body.get(k).is_some()) {
            return Some(None);
        }
        Some(Some(match kind {
            ConstraintKind::Unique => {
                ConstraintDefinition::Unique(self.req_names(body, "columns", what)?)
            }
            ConstraintKind::Primary => {
                ConstraintDefinition::Primary(self.req_names(body, "columns", what)?)
            }
            ConstraintKind::Check => {
                ConstraintDefinition::Check(self.req_name(body, "expr", what)?)
            }
            ConstraintKind::ForeignKey => {
                let columns = self.req_names(body, "columns", what);
                let referred_table = self.req_name(body, "referred_table", what);
                let referred_columns = self.req_names(body, "referred_columns", what);
                let on_delete = self.opt_action(body, "on_delete", what);
                let on_update = self.opt_action(body, "on_update", what);
                let (columns, referred_columns) = (columns?, referred_columns?);
                if columns.len() != referred_columns.len() {
                    self.err(
                        body.span,
                        format!(
                            "{what} has {} column(s) but {} referred column(s); they pair up one to one",
                            columns.len(),
                            referred_columns.len()
                        ),
                    );
                    return None;
                }
                ConstraintDefinition::ForeignKey(ForeignKey {
                    name: body
                        .get("name")
                        .and_then(|n| n.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    columns,
                    referred_table: referred_table?,
                    referred_columns,
                    on_delete,
                    on_update,
                    ..Default::default()
                })
            }
        }))
    }

    fn add_column(&mut self, body: &Node, what: &str) -> Option<Operation> {
        self.fields(body, what, ADD_COLUMN_KEYS);
        let table = self.req_name(body, "table", what);
        let name = self.req_name(body, "name", what);
        let ty = match body.get("type") {
            None => {
                self.err(body.span, format!("{what} needs `type`"));
                None
            }
            Some(_) => self.opt_type(body, "type", what),
        };
        let nullable = self.opt_bool(body, "nullable", what).unwrap_or(true);
        let autoincrement = self.opt_bool(body, "autoincrement", what).unwrap_or(false);
        if let (true, Some(t)) = (autoincrement, &ty) {
            if !t.is_integer() {
                let span = body.get("autoincrement").map_or(body.span, |n| n.span);
                self.err(
                    span,
                    format!("{what}: autoincrement needs an integer type (smallint, integer, bigint), not {t}"),
                );
            }
        }
        let server_default = self.opt_str(body, "server_default", what);
        let comment = self.opt_str(body, "comment", what);
        let (table, name, ty) = (table?, name?, ty?);
        let foreign_key = match body.get("foreign_key").filter(|n| !n.is_null()) {
            None => None,
            Some(n) => Some(self.column_foreign_key(n, &table, &name, what)?),
        };
        let mut column = Column {
            name,
            ty,
            nullable,
            server_default,
            autoincrement,
            comment,
            renamed_from: None,
            ..Default::default()
        };
        column_details_from_node(self.file, &mut column, body, self.diags);
        Some(Operation::AddColumn {
            table,
            column,
            foreign_key,
        })
    }

    /// `foreign_key: TABLE.COLUMN` or `{references: TABLE.COLUMN | {table, column}, name, on_delete, on_update}`.
    fn column_foreign_key(
        &mut self,
        node: &Node,
        table: &str,
        column: &str,
        what: &str,
    ) -> Option<ForeignKey> {
        let fwhat = format!("`foreign_key` of {what}");
        let (refs, name, on_delete, on_update) = match &node.value {
            NodeValue::Scalar { .. } => (node, None, None, None),
            NodeValue::Map(_) => {
                self.fields(
                    node,
                    &fwhat,
                    &["references", "name", "on_delete", "on_update"],
                );
                let name = self.opt_str(node, "name", &fwhat);
                let on_delete = self.opt_action(node, "on_delete", &fwhat);
                let on_update = self.opt_action(node, "on_update", &fwhat);
                match node.get("references") {
                    Some(r) => (r, name, on_delete, on_update),
                    None => {
                        self.err(
                            node.span,
                            format!("{fwhat} needs `references` (TABLE.COLUMN)"),
                        );
                        return None;
                    }
                }
            }
            _ => {
                self.err(
                    node.span,
                    format!(
                        "{fwhat} must be TABLE.COLUMN or a mapping, found {}",
                        node.kind_name()
                    ),
                );
                return None;
            }
        };
        let (referred_table, referred_column) = match &refs.value {
            NodeValue::Scalar { text, .. } => match text.rsplit_once('.') {
                Some((t, c)) if !t.is_empty() && !c.is_empty() => (t.to_string(), c.to_string()),
                _ => {
                    self.err(
                        refs.span,
                        format!("`references` of {fwhat} must be TABLE.COLUMN, got `{text}`"),
                    );
                    return None;
                }
            },
            NodeValue::Map(_) => {
                let rwhat = format!("`references` of {fwhat}");
                self.fields(refs, &rwhat, &["table", "column"]);
                let t = self.req_name(refs, "table", &rwhat);
                let c = self.req_name(refs, "column", &rwhat);
                (t?, c?)
            }
            _ => {
                self.err(
                    refs.span,
                    format!("`references` of {fwhat} must be TABLE.COLUMN or {{table, column}}"),
                );
                return None;
            }
        };
        let columns = vec![column.to_string()];
        let name = name.unwrap_or_else(|| {
            NamingConvention::apply(&self.naming.fk, table, &columns, &referred_table, "")
        });
        Some(ForeignKey {
            name,
            columns,
            referred_table,
            referred_columns: vec![referred_column],
            on_delete,
            on_update,
            ..Default::default()
        })
    }

    /// `alter_table_options`: `table`, then `engine`, `charset`, `collation`,
    /// `row_format` and their `existing_*`.
    fn alter_table_options(&mut self, body: &Node, what: &str) -> Option<Operation> {
        let keys = ["engine", "charset", "collation", "row_format"];
        let mut allowed = vec!["table".to_string()];
        for k in keys {
            allowed.push(k.to_string());
            allowed.push(format!("existing_{k}"));
        }
        self.fields(
            body,
            what,
            &allowed.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let table = self.req_name(body, "table", what);
        let mut set = TableOptions::default();
        let mut existing = TableOptions::default();
        for (options, prefix) in [(&mut set, ""), (&mut existing, "existing_")] {
            options.engine = self.opt_str(body, &format!("{prefix}engine"), what);
            options.charset = self.opt_str(body, &format!("{prefix}charset"), what);
            options.collation = self.opt_str(body, &format!("{prefix}collation"), what);
            options.row_format = self.opt_str(body, &format!("{prefix}row_format"), what);
        }
        if set.is_default() {
            self.err(
                body.span,
                format!("{what} changes nothing: give at least one of engine, charset, collation, row_format"),
            );
            return None;
        }
        Some(Operation::AlterTableOptions {
            table: table?,
            set,
            existing,
        })
    }

    fn alter_column(&mut self, body: &Node, what: &str) -> Option<Operation> {
        self.fields(body, what, ALTER_COLUMN_KEYS);
        let table = self.req_name(body, "table", what);
        let name = self.req_name(body, "name", what);
        let a = AlterColumn {
            table: table.unwrap_or_default(),
            name: name.unwrap_or_default(),
            new_name: self.opt_name(body, "new_name", what),
            ty: self.opt_type(body, "type", what),
            nullable: self.opt_bool(body, "nullable", what),
            server_default: self.nullable_str(body, "server_default", what),
            comment: self.nullable_str(body, "comment", what),
            existing_type: self.opt_type(body, "existing_type", what),
            existing_nullable: self.opt_bool(body, "existing_nullable", what),
            existing_server_default: self.nullable_str(body, "existing_server_default", what),
            existing_comment: self.nullable_str(body, "existing_comment", what),
            existing_autoincrement: self.opt_bool(body, "existing_autoincrement", what),
            autoincrement: self.opt_bool(body, "autoincrement", what),
            collation: self.nullable_str(body, "collation", what),
            charset: self.nullable_str(body, "charset", what),
            existing_collation: self.nullable_str(body, "existing_collation", what),
            existing_charset: self.nullable_str(body, "existing_charset", what),
        };
        if a.new_name.is_none()
            && a.ty.is_none()
            && a.nullable.is_none()
            && a.server_default.is_none()
            && a.comment.is_none()
            && a.autoincrement.is_none()
            && a.collation.is_none()
            && a.charset.is_none()
        {
            self.err(
                body.span,
                format!("{what} changes nothing: give at least one of new_name, type, nullable, server_default, comment, autoincrement, collation, charset"),
            );
        }
        Some(Operation::AlterColumn(a))
    }

    fn enum_values(&mut self, body: &Node, what: &str) -> Option<Vec<String>> {
        let Some(node) = body.get("values") else {
            self.err(body.span, format!("{what} needs `values` (a list)"));
            return None;
        };
        let Some(items) = node.as_seq() else {
            self.err(
                node.span,
                format!(
                    "`values` of {what} must be a list, found {}",
                    node.kind_name()
                ),
            );
            return None;
        };
        let mut values = Vec::new();
        let mut seen = HashSet::new();
        for item in items {
            let Some(v) = self.string(item, &format!("a value of {what}")) else {
                continue;
            };
            if !seen.insert(v.clone()) {
                self.err(item.span, format!("duplicate value `{v}` in {what}"));
            }
            values.push(v);
        }
        Some(values)
    }

    fn bulk_insert(&mut self, body: &Node, what: &str) -> Option<Operation> {
        self.fields(body, what, &["table", "rows"]);
        let table = self.req_name(body, "table", what);
        let rows_node = match body.get("rows") {
            None => {
                self.err(
                    body.span,
                    format!("{what} needs `rows` (a list of column → value mappings)"),
                );
                return None;
            }
            Some(n) => n,
        };
        let items: &[Node] = match &rows_node.value {
            NodeValue::Null => &[],
            NodeValue::Seq(items) => items,
            _ => {
                self.err(
                    rows_node.span,
                    format!(
                        "`rows` of {what} must be a list of mappings, found {}",
                        rows_node.kind_name()
                    ),
                );
                return None;
            }
        };
        let mut rows = Vec::new();
        for item in items {
            let rwhat = format!("a row of {what}");
            let Some(entries) = item.as_map() else {
                self.err(
                    item.span,
                    format!(
                        "{rwhat} must be a mapping of column → value, found {}",
                        item.kind_name()
                    ),
                );
                continue;
            };
            let mut row: Row = Vec::new();
            for (k, v) in entries {
                let Some(col) = self.string(k, "a column name") else {
                    continue;
                };
                if row.iter().any(|(c, _)| *c == col) {
                    self.err(k.span, format!("duplicate column `{col}` in {rwhat}"));
                    continue;
                }
                let value = match &v.value {
                    NodeValue::Null => InsertValue::Null,
                    NodeValue::Scalar { text, quoted: true } => InsertValue::Text(text.clone()),
                    NodeValue::Scalar {
                        text,
                        quoted: false,
                    } => {
                        if let Some(b) = v.as_bool() {
                            InsertValue::Bool(b)
                        } else if is_number(text) {
                            InsertValue::Number(text.clone())
                        } else {
                            InsertValue::Text(text.clone())
                        }
                    }
                    _ => {
                        self.err(
                            v.span,
                            format!(
                                "the value of `{col}` in {rwhat} must be a scalar (string, number, boolean or null), found {}; write JSON as a quoted string",
                                v.kind_name()
                            ),
                        );
                        continue;
                    }
                };
                row.push((col, value));
            }
            rows.push(row);
        }
        Some(Operation::BulkInsert {
            table: table?,
            rows,
        })
    }

    // ---- field helpers -------------------------------------------------------------

    /// Checks that `node` is a mapping with known, distinct keys.
    fn fields(&mut self, node: &Node, what: &str, allowed: &[&str]) {
        let Some(entries) = node.as_map() else {
            self.err(
                node.span,
                format!("{what} must be a mapping, found {}", node.kind_name()),
            );
            return;
        };
        let mut seen: Vec<(&str, Span)> = Vec::new();
        for (k, _) in entries {
            let Some(key) = k.as_str() else {
                self.err(k.span, format!("keys of {what} must be field names"));
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == key) {
                let line = first.line;
                self.err(
                    k.span,
                    format!("duplicate field `{key}` in {what} (first at line {line})"),
                );
                continue;
            }
            seen.push((key, k.span));
            if !allowed.contains(&key) {
                let hint = closest(key, allowed)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                self.err(
                    k.span,
                    format!(
                        "unknown field `{key}` in {what}{hint}; expected one of: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            NodeValue::Scalar { text, .. } => Some(text.clone()),
            _ => {
                self.err(
                    node.span,
                    format!("{what} must be a string, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    /// A required string field (may be empty).
    fn req_string(&mut self, body: &Node, key: &str, what: &str) -> Option<String> {
        match body.get(key) {
            None => {
                self.err(body.span, format!("{what} needs `{key}`"));
                None
            }
            Some(n) if n.is_null() => {
                self.err(n.span, format!("`{key}` of {what} must not be null"));
                None
            }
            Some(n) => self.string(n, &format!("`{key}` of {what}")),
        }
    }

    /// A required, non-empty name.
    fn req_name(&mut self, body: &Node, key: &str, what: &str) -> Option<String> {
        let s = self.req_string(body, key, what)?;
        if s.is_empty() {
            let span = body.get(key).map_or(body.span, |n| n.span);
            self.err(span, format!("`{key}` of {what} must not be empty"));
            return None;
        }
        Some(s)
    }

    fn opt_name(&mut self, body: &Node, key: &str, what: &str) -> Option<String> {
        let s = self.opt_str(body, key, what)?;
        if s.is_empty() {
            let span = body.get(key).map_or(body.span, |n| n.span);
            self.err(span, format!("`{key}` of {what} must not be empty"));
            return None;
        }
        Some(s)
    }

    /// An optional string; `null` counts as absent.
    fn opt_str(&mut self, body: &Node, key: &str, what: &str) -> Option<String> {
        match body.get(key) {
            None => None,
            Some(n) if n.is_null() => None,
            Some(n) => self.string(n, &format!("`{key}` of {what}")),
        }
    }

    /// Absent → `None`; `null` → `Some(None)`; a string → `Some(Some(s))`.
    fn nullable_str(&mut self, body: &Node, key: &str, what: &str) -> Option<Option<String>> {
        match body.get(key) {
            None => None,
            Some(n) if n.is_null() => Some(None),
            Some(n) => self.string(n, &format!("`{key}` of {what}")).map(Some),
        }
    }

    fn opt_bool(&mut self, body: &Node, key: &str, what: &str) -> Option<bool> {
        let n = body.get(key).filter(|n| !n.is_null())?;
        match n.as_bool() {
            Some(b) => Some(b),
            None => {
                self.err(n.span, format!("`{key}` of {what} must be true or false"));
                None
            }
        }
    }

    fn opt_type(&mut self, body: &Node, key: &str, what: &str) -> Option<ColumnType> {
        let n = body.get(key).filter(|n| !n.is_null())?;
        let s = self.string(n, &format!("`{key}` of {what}"))?;
        match ColumnType::parse(&s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(n.span, format!("bad `{key}` in {what}: {e}"));
                None
            }
        }
    }

    fn opt_action(&mut self, body: &Node, key: &str, what: &str) -> Option<FkAction> {
        let n = body.get(key).filter(|n| !n.is_null())?;
        let s = self.string(n, &format!("`{key}` of {what}"))?;
        match FkAction::parse(&s) {
            Some(a) => Some(a),
            None => {
                self.err(
                    n.span,
                    format!(
                        "`{key}` of {what}: `{s}` is not an action; use cascade, restrict, set null, set default or no action"
                    ),
                );
                None
            }
        }
    }

    /// A required list of names (a single scalar counts as a one-item list).
    fn req_names(&mut self, body: &Node, key: &str, what: &str) -> Option<Vec<String>> {
        let Some(n) = body.get(key).filter(|n| !n.is_null()) else {
            self.err(
                body.span,
                format!("{what} needs `{key}` (a list of column names)"),
            );
            return None;
        };
        let fwhat = format!("`{key}` of {what}");
        match &n.value {
            NodeValue::Scalar { text, .. } if !text.is_empty() => Some(vec![text.clone()]),
            NodeValue::Seq(items) if !items.is_empty() => {
                let mut out = Vec::new();
                let mut ok = true;
                for item in items {
                    match self.string(item, &format!("an item of {fwhat}")) {
                        Some(s) if !s.is_empty() => out.push(s),
                        Some(_) => {
                            self.err(item.span, format!("an item of {fwhat} is empty"));
                            ok = false;
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            NodeValue::Seq(_) | NodeValue::Scalar { .. } => {
                self.err(n.span, format!("{fwhat} must name at least one column"));
                None
            }
            _ => {
                self.err(
                    n.span,
                    format!("{fwhat} must be a list of names, found {}", n.kind_name()),
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Operation>, Diagnostics) {
        let node = crate::yaml::parse(text).expect("valid yaml");
        let mut d = Diagnostics::default();
        let ops = parse_operations(
            Path::new("v.yaml"),
            &node,
            &NamingConvention::default(),
            &mut d,
        );
        (ops, d)
    }

    #[test]
    fn detail_fields_of_columns_indexes_and_foreign_keys_read_back() {
        let text = r#"
- add_column: {table: t, name: c, type: text, collation: utf8mb4_bin, charset: utf8mb4, generated: {expr: "a + 1", stored: true}}
- add_column: {table: t, name: n, type: bigint, sequence: t_n_seq}
- add_column: {table: t, name: i, type: bigint, autoincrement: true, identity: always}
- create_index: {name: ix, table: t, columns: [c, "lower(d)"], lengths: {c: 10}, descending: [c], opclasses: {"lower(d)": text_pattern_ops}, using: gin, include: [e]}
- create_index: {name: ft, table: t, columns: [c], kind: fulltext}
- drop_index: {name: ix2, table: t, columns: [c], lengths: {c: 191}, using: hash}
- create_foreign_key: {name: fk, table: t, columns: [a], referred_table: u, referred_columns: [id], deferrable: true, initially: deferred}
"#;
        let (ops, d) = parse(text);
        assert!(d.is_empty(), "{d}");
        assert_eq!(ops.len(), 7);
        let Operation::AddColumn { column, .. } = &ops[0] else {
            panic!()
        };
        assert_eq!(column.collation.as_deref(), Some("utf8mb4_bin"));
        assert!(column.generated.as_ref().is_some_and(|g| g.stored));
        let Operation::AddColumn { column, .. } = &ops[1] else {
            panic!()
        };
        assert!(column.autoincrement && column.sequence.as_deref() == Some("t_n_seq"));
        let Operation::CreateIndex { index, .. } = &ops[3] else {
            panic!()
        };
        assert_eq!(index.lengths.get("c"), Some(&10));
        assert_eq!(index.using.as_deref(), Some("gin"));
        let written = crate::ops::write_operations(&ops, 0, &NamingConvention::default());
        let (again, d) = parse(&written);
        assert!(d.is_empty(), "{d}\n{written}");
        assert_eq!(ops, again, "{written}");
    }

    #[test]
    fn bad_detail_fields_are_reported() {
        let (_, d) = parse(
            r#"
- create_index: {name: ix, table: t, columns: [c], lengths: {d: 10}}
- create_index: {name: iy, table: t, columns: [c], kind: clustered}
- create_foreign_key: {name: fk, table: t, columns: [a], referred_table: u, referred_columns: [id], initially: deferred}
- add_column: {table: t, name: c, type: text, identity: sometimes}
"#,
        );
        let text = d.to_string();
        for needle in [
            "`lengths` of index `ix` names `d`",
            "`kind` of index `iy` must be `fulltext` or `spatial`",
            "`initially: deferred` needs `deferrable: true`",
            "must be `always` or `by default`",
        ] {
            assert!(text.contains(needle), "{needle} not in {text}");
        }
    }

    #[test]
    fn spec_example_parses() {
        let (ops, d) = parse(
            r#"
- create_table:
    name: users
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false}
    unique: [{name: uq_users_email, columns: [email]}]
- create_index: {name: ix_users_email, table: users, columns: [email]}
- execute: "UPDATE users SET email = lower(email)"
- alter_column: {table: users, name: email, server_default: null, comment: "x"}
- bulk_insert: {table: users, rows: [{id: 1, email: "1", ok: true, n: null, s: yes}]}
"#,
        );
        assert!(d.is_empty(), "{d}");
        assert_eq!(ops.len(), 5);
        let Operation::CreateTable(t) = &ops[0] else {
            panic!()
        };
        assert_eq!(t.name, "users");
        assert_eq!(t.unique[0].name, "uq_users_email");
        let Operation::AlterColumn(a) = &ops[3] else {
            panic!()
        };
        assert_eq!(a.server_default, Some(None));
        assert_eq!(a.comment, Some(Some("x".into())));
        assert_eq!(a.nullable, None);
        let Operation::BulkInsert { rows, .. } = &ops[4] else {
            panic!()
        };
        assert_eq!(
            rows[0],
            vec![
                ("id".to_string(), InsertValue::Number("1".into())),
                ("email".to_string(), InsertValue::Text("1".into())),
                ("ok".to_string(), InsertValue::Bool(true)),
                ("n".to_string(), InsertValue::Null),
                ("s".to_string(), InsertValue::Text("yes".into())),
            ]
        );
    }

    #[test]
    fn every_mistake_is_reported_with_its_position() {
        let (ops, d) = parse(
            r#"
- creat_table: {name: x}
- drop_table: {nam: x}
- add_column: {table: t, name: c, type: "varchar(x)"}
- create_foreign_key: {name: f, table: t, columns: [a], referred_table: u, referred_columns: [b], on_delete: explode}
- drop_constraint: {name: c, table: t, type: index}
- add_enum_value: {name: e, value: v, before: a, after: b}
- execute: {sql: "SELECT 1", dialect: oracle}
- bulk_insert: {table: t, rows: [{a: [1]}]}
- create_index: {name: i, table: t, columns: []}
- drop_table: {name: a, nmae: b}
- just_a_string
- {drop_table: {name: a}, drop_index: {name: b, table: c}}
- alter_column: {table: t, name: c}
- create_table: {name: t, columns: {a: {type: integer, nulable: true}}}
- drop_index: {name: x, table: t}
"#,
        );
        let all = d.to_string();
        for needle in [
            "v.yaml:2:3: unknown operation `creat_table` (did you mean `create_table`?)",
            "v.yaml:3:16: unknown field `nam` in `drop_table` (did you mean `name`?)",
            "v.yaml:3:15: `drop_table` needs `name`",
            "v.yaml:4:",
            "bad `type` in `add_column`",
            "v.yaml:5:",
            "`explode` is not an action",
            "v.yaml:6:",
            "`index` is not a constraint type",
            "v.yaml:7:",
            "not both",
            "v.yaml:8:",
            "unknown dialect `oracle`",
            "v.yaml:9:",
            "must be a scalar",
            "v.yaml:10:",
            "must name at least one column",
            "v.yaml:11:",
            "unknown field `nmae` in `drop_table` (did you mean `name`?)",
            "v.yaml:12:3: an operation must be a one-key mapping",
            "v.yaml:13:3: an operation must be a one-key mapping `OPERATION: {FIELDS}`, found 2 keys",
            "v.yaml:14:",
            "changes nothing",
            "v.yaml:15:",
            "unknown key `nulable`",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        assert_eq!(
            ops,
            vec![Operation::DropIndex {
                name: "x".into(),
                table: "t".into(),
                existing: None,
            }]
        );
    }

    #[test]
    fn numbers_are_recognised() {
        for n in ["1", "-3", "+4", "1.50", ".5", "5.", "2e10", "1E-3"] {
            assert!(is_number(n), "{n}");
        }
        for n in ["", ".", "-", "1e", "0x1F", "1_000", "inf", "1.2.3", "e5"] {
            assert!(!is_number(n), "{n}");
        }
    }
}
