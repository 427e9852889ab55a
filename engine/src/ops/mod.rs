//! The operation vocabulary of revision files (SPEC §4): typed operations, their YAML
//! form ([`parse_operations`], [`write_operations`]), their reverses ([`reverse`]),
//! their effect on the schema model ([`apply_to_schema`]) and their SQL on each backend
//! ([`render`], [`render_live`]), including the SQLite table rebuild
//! ([`sqlite_rebuild`]).
//!
//! Operations reuse the schema model ([`Table`], [`Column`], [`Index`], …): a
//! `create_table` carries a whole [`Table`], an `add_column` a [`Column`], and so on.
//!
//! A runner keeps a [`RenderContext`] (the schema as far as it is known, at least the
//! enums) current with [`RenderContext::apply`] and renders each operation with
//! [`render_live`] (or [`render`] offline). On SQLite it must honour the contract of
//! [`sqlite_rebuild`]: `PRAGMA foreign_keys=OFF` before `BEGIN`, `PRAGMA
//! foreign_key_check` clean before `COMMIT`.

pub(crate) mod apply;
mod parse;
mod reverse;
mod write;

pub(crate) use apply::{apply_indexed, drop_column, rename_column, with_value, without_value};
pub use apply::{apply_to_schema, SchemaApplyError};
pub(crate) use parse::is_number;
pub use parse::{parse_operations, OPERATION_NAMES};
pub use reverse::{reverse, reverse_all, NotReversible};
pub use write::write_operations;

use std::fmt;

use crate::dialect::Dialect;
use crate::schema::{
    CheckConstraint, Column, ColumnType, EnumType, ForeignKey, Index, Sequence, Table,
    TableOptions, UniqueConstraint,
};

/// One schema change, as written in a revision file.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// `create_table`: the `schema.yaml` table format plus `name`.
    CreateTable(Table),
    /// `drop_table`; like Alembic's, it may carry the table it drops (written with
    /// `create_table`'s fields), which makes it reversible.
    DropTable {
        /// The table.
        name: String,
        /// The dropped table's definition (its name is `name`), needed to reverse.
        existing: Option<Table>,
    },
    /// `rename_table`.
    RenameTable {
        /// The current name.
        name: String,
        /// The new name.
        new_name: String,
    },
    /// `add_column`: a column definition plus `table`.
    AddColumn {
        /// The table the column is added to.
        table: String,
        /// The new column.
        column: Column,
        /// A foreign key on the new column (its `columns` is `[column.name]`).
        foreign_key: Option<ForeignKey>,
    },
    /// `drop_column`; the `existing_*` fields make it reversible.
    DropColumn {
        /// The table.
        table: String,
        /// The column.
        name: String,
        /// The dropped column's type (needed to reverse).
        existing_type: Option<ColumnType>,
        /// Whether the dropped column allowed NULL (absent: it did).
        existing_nullable: Option<bool>,
        /// The dropped column's default (absent: it had none).
        existing_server_default: Option<String>,
        /// The dropped column's comment (absent: it had none).
        existing_comment: Option<String>,
        /// Whether the dropped column autoincremented (absent: it did not).
        existing_autoincrement: Option<bool>,
        /// The dropped column's collation (absent: the default).
        existing_collation: Option<String>,
        /// The dropped column's MySQL/MariaDB character set (absent: the default).
        existing_charset: Option<String>,
    },
    /// `alter_column`.
    AlterColumn(AlterColumn),
    /// `create_index`.
    CreateIndex {
        /// The table.
        table: String,
        /// The index (name, columns, unique, partial `where`).
        index: Index,
        /// PostgreSQL `CREATE INDEX CONCURRENTLY` (its revision then runs outside a
        /// transaction there); ignored elsewhere.
        concurrently: bool,
    },
    /// `drop_index`; with `columns` (and `unique`, `where`) it carries the dropped
    /// index, which makes it reversible.
    DropIndex {
        /// The index.
        name: String,
        /// The table it is on.
        table: String,
        /// The dropped index's definition (its name is `name`), needed to reverse.
        existing: Option<Index>,
    },
    /// `create_unique_constraint`.
    CreateUniqueConstraint {
        /// The table.
        table: String,
        /// The constraint.
        constraint: UniqueConstraint,
    },
    /// `create_foreign_key`.
    CreateForeignKey {
        /// The referring table.
        table: String,
        /// The key.
        foreign_key: ForeignKey,
        /// PostgreSQL `NOT VALID`: existing rows are not checked now (see
        /// `validate_constraint`); ignored elsewhere.
        not_valid: bool,
    },
    /// `create_check_constraint`.
    CreateCheckConstraint {
        /// The table.
        table: String,
        /// The check.
        check: CheckConstraint,
        /// PostgreSQL `NOT VALID`: existing rows are not checked now (see
        /// `validate_constraint`); ignored elsewhere.
        not_valid: bool,
    },
    /// `validate_constraint`: checks the existing rows against a foreign key or check
    /// added with `not_valid: true` (PostgreSQL; a no-op elsewhere, where constraints are
    /// always validated when added).
    ValidateConstraint {
        /// The constraint.
        name: String,
        /// The table.
        table: String,
    },
    /// `create_primary_key`.
    CreatePrimaryKey {
        /// The table.
        table: String,
        /// The constraint name.
        name: String,
        /// The key's columns, in order.
        columns: Vec<String>,
    },
    /// `drop_constraint`.
    DropConstraint {
        /// The constraint.
        name: String,
        /// The table.
        table: String,
        /// What kind of constraint it is (`type` in YAML).
        kind: ConstraintKind,
        /// The dropped constraint's definition (of the same kind), needed to reverse.
        existing: Option<ConstraintDefinition>,
    },
    /// `create_enum`.
    CreateEnum(EnumType),
    /// `drop_enum`; with `values` it is reversible.
    DropEnum {
        /// The enum.
        name: String,
        /// The dropped enum's values, needed to reverse.
        values: Option<Vec<String>>,
    },
    /// `add_enum_value`.
    AddEnumValue {
        /// The enum.
        name: String,
        /// The new value.
        value: String,
        /// Where it goes (`before`/`after` an existing value); absent: at the end.
        position: Option<EnumValuePosition>,
    },
    /// `drop_enum_value`: the reverse of `add_enum_value` (PostgreSQL recreates the type
    /// and converts the columns using it; MySQL and SQLite re-define those columns).
    /// Fails where rows still hold the value.
    DropEnumValue {
        /// The enum.
        name: String,
        /// The value to remove.
        value: String,
        /// Where the value stood (`before`/`after` a neighbour), needed to reverse.
        position: Option<EnumValuePosition>,
    },
    /// `create_sequence` (PostgreSQL): a standalone sequence.
    CreateSequence(Sequence),
    /// `drop_sequence` (PostgreSQL); it carries the dropped sequence's options (absent:
    /// the defaults), which its reverse creates it again with.
    DropSequence(Sequence),
    /// `alter_table_options` (MySQL/MariaDB): sets the table's engine, default charset,
    /// default collation or row format; `existing` holds them as they were (absent:
    /// unknown or the default, left as it is by the reverse).
    AlterTableOptions {
        /// The table.
        table: String,
        /// The options to set (absent: unchanged).
        set: TableOptions,
        /// The options as they were.
        existing: TableOptions,
    },
    /// `create_table_comment`; `comment: None` drops the comment.
    CreateTableComment {
        /// The table.
        table: String,
        /// The new comment, or none to drop it.
        comment: Option<String>,
        /// The comment before (as in Alembic; absent means there was none). Used to
        /// reverse the operation.
        existing_comment: Option<String>,
    },
    /// `execute`: verbatim SQL, optionally for one backend only.
    Execute {
        /// The SQL, passed through untouched.
        sql: String,
        /// Only on this backend; `None`: on every backend.
        dialect: Option<Dialect>,
    },
    /// `bulk_insert`.
    BulkInsert {
        /// The table.
        table: String,
        /// The rows: column → value, in written order.
        rows: Vec<Row>,
    },
}

/// One `bulk_insert` row: column → value, in written order.
pub type Row = Vec<(String, InsertValue)>;

/// A `bulk_insert` value. The YAML scalar's kind is kept, so that numbers stay numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertValue {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An unquoted number, kept as written (e.g. `1.50`, `-3`, `2e10`).
    Number(String),
    /// A string.
    Text(String),
}

/// Where `add_enum_value` puts the new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnumValuePosition {
    /// Before this existing value.
    Before(String),
    /// After this existing value.
    After(String),
}

/// The fields of `alter_column`. `None` means "not given"; for `server_default`,
/// `existing_server_default`, `comment` and `existing_comment`, `Some(None)` is an
/// explicit `null` (no default / no comment).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlterColumn {
    /// The table.
    pub table: String,
    /// The column (its name before the operation).
    pub name: String,
    /// Rename the column to this.
    pub new_name: Option<String>,
    /// Change the type to this.
    pub ty: Option<ColumnType>,
    /// Change nullability.
    pub nullable: Option<bool>,
    /// Change the default: `Some(None)` drops it.
    pub server_default: Option<Option<String>>,
    /// Change the comment: `Some(None)` drops it.
    pub comment: Option<Option<String>>,
    /// The type before (needed to reverse a type change, and on MySQL for `MODIFY`).
    pub existing_type: Option<ColumnType>,
    /// Nullability before.
    pub existing_nullable: Option<bool>,
    /// The default before: `Some(None)` means there was none.
    pub existing_server_default: Option<Option<String>>,
    /// The comment before: `Some(None)` means there was none.
    pub existing_comment: Option<Option<String>>,
    /// Whether the column is autoincrement (kept by MySQL's `MODIFY`); an extension
    /// as in Alembic.
    pub existing_autoincrement: Option<bool>,
    /// Make the column autoincrement (`true`: an identity column on PostgreSQL,
    /// `AUTO_INCREMENT` on MySQL) or stop it (`false`: the identity, or the owned
    /// sequence's default, is dropped).
    pub autoincrement: Option<bool>,
    /// Change the collation: `Some(None)` goes back to the table's (or database's).
    pub collation: Option<Option<String>>,
    /// Change the MySQL/MariaDB character set: `Some(None)` goes back to the table's.
    pub charset: Option<Option<String>>,
    /// The collation before: `Some(None)` means the default.
    pub existing_collation: Option<Option<String>>,
    /// The character set before: `Some(None)` means the default.
    pub existing_charset: Option<Option<String>>,
}

impl AlterColumn {
    /// True when the operation changes anything but the name (and comment).
    pub fn changes_definition(&self) -> bool {
        self.ty.is_some()
            || self.nullable.is_some()
            || self.server_default.is_some()
            || self.autoincrement.is_some()
            || self.collation.is_some()
            || self.charset.is_some()
    }
    /// The column's name after the operation.
    pub fn final_name(&self) -> &str {
        self.new_name.as_deref().unwrap_or(&self.name)
    }
}

/// What `drop_constraint` may carry of the constraint it drops, so that its reverse can
/// re-create it. The variant matches the operation's [`ConstraintKind`].
#[derive(Debug, Clone, PartialEq)]
pub enum ConstraintDefinition {
    /// A unique constraint's columns.
    Unique(Vec<String>),
    /// A foreign key (its `name` is the operation's).
    ForeignKey(ForeignKey),
    /// A check's expression.
    Check(String),
    /// A primary key's columns.
    Primary(Vec<String>),
}

impl ConstraintDefinition {
    /// The kind of constraint this defines.
    pub fn kind(&self) -> ConstraintKind {
        match self {
            ConstraintDefinition::Unique(_) => ConstraintKind::Unique,
            ConstraintDefinition::ForeignKey(_) => ConstraintKind::ForeignKey,
            ConstraintDefinition::Check(_) => ConstraintKind::Check,
            ConstraintDefinition::Primary(_) => ConstraintKind::Primary,
        }
    }
}

/// The kind of constraint `drop_constraint` drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConstraintKind {
    /// `unique`
    Unique,
    /// `foreignkey`
    ForeignKey,
    /// `check`
    Check,
    /// `primary`
    Primary,
}

impl ConstraintKind {
    /// Parses the YAML spelling (also `foreign_key`, `primary_key`, any case).
    pub fn parse(s: &str) -> Option<ConstraintKind> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "unique" => Some(ConstraintKind::Unique),
            "foreignkey" | "foreign_key" | "fk" => Some(ConstraintKind::ForeignKey),
            "check" => Some(ConstraintKind::Check),
            "primary" | "primary_key" | "primarykey" | "pk" => Some(ConstraintKind::Primary),
            _ => None,
        }
    }
    /// The YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConstraintKind::Unique => "unique",
            ConstraintKind::ForeignKey => "foreignkey",
            ConstraintKind::Check => "check",
            ConstraintKind::Primary => "primary",
        }
    }
}

impl fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Operation {
    /// The operation's name in revision files (`create_table`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Operation::CreateTable(_) => "create_table",
            Operation::DropTable { .. } => "drop_table",
            Operation::RenameTable { .. } => "rename_table",
            Operation::AddColumn { .. } => "add_column",
            Operation::DropColumn { .. } => "drop_column",
            Operation::AlterColumn(_) => "alter_column",
            Operation::CreateIndex { .. } => "create_index",
            Operation::DropIndex { .. } => "drop_index",
            Operation::CreateUniqueConstraint { .. } => "create_unique_constraint",
            Operation::CreateForeignKey { .. } => "create_foreign_key",
            Operation::CreateCheckConstraint { .. } => "create_check_constraint",
            Operation::ValidateConstraint { .. } => "validate_constraint",
            Operation::CreatePrimaryKey { .. } => "create_primary_key",
            Operation::DropConstraint { .. } => "drop_constraint",
            Operation::CreateEnum(_) => "create_enum",
            Operation::DropEnum { .. } => "drop_enum",
            Operation::AddEnumValue { .. } => "add_enum_value",
            Operation::DropEnumValue { .. } => "drop_enum_value",
            Operation::CreateSequence(_) => "create_sequence",
            Operation::DropSequence(_) => "drop_sequence",
            Operation::AlterTableOptions { .. } => "alter_table_options",
            Operation::CreateTableComment { .. } => "create_table_comment",
            Operation::Execute { .. } => "execute",
            Operation::BulkInsert { .. } => "bulk_insert",
        }
    }

    /// True for a `create_index` with `concurrently: true`, which backends that build
    /// indexes concurrently must run outside any transaction.
    pub fn is_concurrent_index(&self) -> bool {
        matches!(
            self,
            Operation::CreateIndex {
                concurrently: true,
                ..
            }
        )
    }

    /// The table the operation works on, if it works on one.
    pub fn table(&self) -> Option<&str> {
        match self {
            Operation::CreateTable(t) => Some(&t.name),
            Operation::DropTable { name, .. } | Operation::RenameTable { name, .. } => Some(name),
            Operation::AddColumn { table, .. }
            | Operation::DropColumn { table, .. }
            | Operation::CreateIndex { table, .. }
            | Operation::DropIndex { table, .. }
            | Operation::CreateUniqueConstraint { table, .. }
            | Operation::CreateForeignKey { table, .. }
            | Operation::CreateCheckConstraint { table, .. }
            | Operation::CreatePrimaryKey { table, .. }
            | Operation::DropConstraint { table, .. }
            | Operation::ValidateConstraint { table, .. }
            | Operation::CreateTableComment { table, .. }
            | Operation::AlterTableOptions { table, .. }
            | Operation::BulkInsert { table, .. } => Some(table),
            Operation::AlterColumn(a) => Some(&a.table),
            Operation::CreateEnum(_)
            | Operation::DropEnum { .. }
            | Operation::AddEnumValue { .. }
            | Operation::DropEnumValue { .. }
            | Operation::CreateSequence(_)
            | Operation::DropSequence(_)
            | Operation::Execute { .. } => None,
        }
    }

    /// A short description for messages: the kind and what it names, e.g.
    /// ``alter_column `users`.`email` ``.
    pub fn describe(&self) -> String {
        let kind = self.kind();
        match self {
            Operation::CreateTable(t) => format!("{kind} `{}`", t.name),
            Operation::DropTable { name, .. } => format!("{kind} `{name}`"),
            Operation::RenameTable { name, new_name } => {
                format!("{kind} `{name}` to `{new_name}`")
            }
            Operation::AddColumn { table, column, .. } => {
                format!("{kind} `{table}`.`{}`", column.name)
            }
            Operation::DropColumn { table, name, .. } => format!("{kind} `{table}`.`{name}`"),
            Operation::AlterColumn(a) => format!("{kind} `{}`.`{}`", a.table, a.name),
            Operation::CreateIndex { table, index, .. } => {
                format!("{kind} `{}` on `{table}`", index.name)
            }
            Operation::DropIndex { name, table, .. } => format!("{kind} `{name}` on `{table}`"),
            Operation::CreateUniqueConstraint { table, constraint } => {
                format!("{kind} `{}` on `{table}`", constraint.name)
            }
            Operation::CreateForeignKey {
                table, foreign_key, ..
            } => {
                format!("{kind} `{}` on `{table}`", foreign_key.name)
            }
            Operation::ValidateConstraint { name, table } => {
                format!("{kind} `{name}` on `{table}`")
            }
            Operation::CreateCheckConstraint { table, check, .. } => {
                format!("{kind} `{}` on `{table}`", check.name)
            }
            Operation::CreatePrimaryKey { table, name, .. } => {
                format!("{kind} `{name}` on `{table}`")
            }
            Operation::DropConstraint { name, table, .. } => {
                format!("{kind} `{name}` on `{table}`")
            }
            Operation::CreateEnum(e) => format!("{kind} `{}`", e.name),
            Operation::DropEnum { name, .. } => format!("{kind} `{name}`"),
            Operation::AddEnumValue { name, value, .. } => format!("{kind} `{value}` to `{name}`"),
            Operation::DropEnumValue { name, value, .. } => {
                format!("{kind} `{value}` from `{name}`")
            }
            Operation::CreateSequence(s) | Operation::DropSequence(s) => {
                format!("{kind} `{}`", s.name)
            }
            Operation::CreateTableComment { table, .. }
            | Operation::AlterTableOptions { table, .. } => format!("{kind} on `{table}`"),
            Operation::Execute { .. } => kind.to_string(),
            Operation::BulkInsert { table, rows } => {
                format!("{kind} of {} row(s) into `{table}`", rows.len())
            }
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Replaces the identifier `old` with `new` wherever it appears as a whole identifier
/// in an SQL expression (bare, or quoted with `"` or `` ` ``; bare words compare
/// case-insensitively), leaving string literals alone. Used to follow a column rename
/// into check expressions and partial-index predicates.
pub(crate) fn rename_identifier_in_expr(expr: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let bare_ok = crate::schema::is_identifier(new);
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // String literal: copy through, '' is an escaped quote.
            out.push(c);
            i += 1;
            while i < chars.len() {
                out.push(chars[i]);
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        out.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
        } else if c == '"' || c == '`' {
            let q = c;
            let mut j = i + 1;
            let mut ident = String::new();
            let mut closed = false;
            while j < chars.len() {
                if chars[j] == q {
                    if chars.get(j + 1) == Some(&q) {
                        ident.push(q);
                        j += 2;
                        continue;
                    }
                    closed = true;
                    j += 1;
                    break;
                }
                ident.push(chars[j]);
                j += 1;
            }
            if closed && ident == old {
                let doubled = new.replace(q, &format!("{q}{q}"));
                out.push(q);
                out.push_str(&doubled);
                out.push(q);
            } else {
                out.extend(&chars[i..j]);
            }
            i = j;
        } else if is_word(c) && (i == 0 || !is_word(chars[i - 1])) {
            let mut j = i;
            while j < chars.len() && is_word(chars[j]) {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            if word.eq_ignore_ascii_case(old) && !c.is_ascii_digit() {
                if bare_ok {
                    out.push_str(new);
                } else {
                    out.push('"');
                    out.push_str(&new.replace('"', "\"\""));
                    out.push('"');
                }
            } else {
                out.push_str(&word);
            }
            i = j;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// True when `expr` mentions the identifier `name` (bare or quoted), outside string
/// literals.
pub(crate) fn expr_mentions(expr: &str, name: &str) -> bool {
    let marker = "\u{1}retort_marker\u{1}";
    rename_identifier_in_expr(expr, name, marker).contains(marker)
}

#[cfg(test)]
mod expr_tests {
    use super::*;

    #[test]
    fn identifiers_are_renamed_in_expressions() {
        assert_eq!(
            rename_identifier_in_expr("size > 0 AND \"size\" < 'size' AND sizes > 1", "size", "n"),
            "n > 0 AND \"n\" < 'size' AND sizes > 1"
        );
        assert_eq!(
            rename_identifier_in_expr("a > 0", "a", "reply-to"),
            "\"reply-to\" > 0"
        );
        assert!(expr_mentions("`x` IS NULL", "x"));
        assert!(!expr_mentions("'x' = y", "x"));
        assert_eq!(
            ConstraintKind::parse("Foreign_Key"),
            Some(ConstraintKind::ForeignKey)
        );
    }
}
