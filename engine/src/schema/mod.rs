//! The one schema model: what `schema.yaml` declares, what reflection finds in a live
//! database, and what operations create. Every index and constraint carries a name
//! (unnamed ones are named by the naming convention when loaded).

pub mod diagram;
mod index;
mod load;
mod naming;
mod qualified;
mod types;
mod write;

#[cfg(test)]
mod autoincrement_tests;

pub use index::TableIndex;
pub use load::{
    column_details_from_node, foreign_key_details_from_node, index_details_from_node, load_schema,
    parse_schema_text, sequence_from_node, table_from_node, Identifier, SchemaSource,
    COLUMN_DETAIL_KEYS, INDEX_DETAIL_KEYS, SEQUENCE_OPTION_KEYS,
};
pub use naming::{truncate_identifier, NamingConvention, NAMING_TOKENS};
pub use qualified::{
    qualified_name, qualified_name_problem, split_table_name, strip_default_schema,
    unqualified_name,
};
pub use types::{
    inline_enum_spelling, inline_enum_values, is_identifier, ColumnType, ColumnTypeError,
};
pub(crate) use write::{
    column_detail_fields, foreign_key_detail_fields, index_detail_fields, sequence_option_fields,
};
pub use write::{schema_to_yaml, table_body_to_yaml};

use std::collections::BTreeMap;
use std::fmt;

/// A whole declared or reflected schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    /// Named enum types, in declaration order.
    pub enums: Vec<EnumType>,
    /// Standalone sequences (PostgreSQL), in declaration order.
    pub sequences: Vec<Sequence>,
    /// Tables, in declaration order.
    pub tables: Vec<Table>,
}

impl Schema {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
    /// The enum called `name`.
    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        self.enums.iter().find(|e| e.name == name)
    }
    /// The sequence called `name`.
    pub fn sequence(&self, name: &str) -> Option<&Sequence> {
        self.sequences.iter().find(|s| s.name == name)
    }
}

/// A standalone sequence (`CREATE SEQUENCE`); unset options are the database's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sequence {
    /// The sequence's name.
    pub name: String,
    /// `START WITH`.
    pub start: Option<i64>,
    /// `INCREMENT BY`.
    pub increment: Option<i64>,
    /// `MINVALUE`.
    pub min_value: Option<i64>,
    /// `MAXVALUE`.
    pub max_value: Option<i64>,
    /// `CACHE`.
    pub cache: Option<i64>,
    /// `CYCLE`.
    pub cycle: bool,
}

impl Sequence {
    /// The options PostgreSQL gives a `bigint` sequence that states none but its
    /// `increment` (ascending from 1, or descending from -1).
    pub fn defaults(increment: i64) -> Sequence {
        let up = increment > 0;
        Sequence {
            name: String::new(),
            start: Some(if up { 1 } else { -1 }),
            increment: Some(1),
            min_value: Some(if up { 1 } else { i64::MIN }),
            max_value: Some(if up { i64::MAX } else { -1 }),
            cache: Some(1),
            cycle: false,
        }
    }

    /// Every option spelled out (defaults filled in), for comparing two sequences.
    pub fn effective(&self) -> Sequence {
        let d = Sequence::defaults(self.increment.unwrap_or(1));
        let min_value = self.min_value.or(d.min_value);
        let max_value = self.max_value.or(d.max_value);
        let up = self.increment.unwrap_or(1) > 0;
        Sequence {
            name: self.name.clone(),
            start: self.start.or(if up { min_value } else { max_value }),
            increment: self.increment.or(d.increment),
            min_value,
            max_value,
            cache: self.cache.or(d.cache),
            cycle: self.cycle,
        }
    }
}

/// A named enum type and its values, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumType {
    /// The enum's name.
    pub name: String,
    /// Its values, in order.
    pub values: Vec<String>,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The table's name.
    pub name: String,
    /// Columns in written order.
    pub columns: Vec<Column>,
    /// The primary key, if any.
    pub primary_key: Option<PrimaryKey>,
    /// Indexes (not those behind unique constraints).
    pub indexes: Vec<Index>,
    /// Unique constraints.
    pub unique: Vec<UniqueConstraint>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Check constraints.
    pub checks: Vec<CheckConstraint>,
    /// The table comment.
    pub comment: Option<String>,
    /// The table's previous name, for a declared rename.
    pub renamed_from: Option<String>,
    /// Storage options some backends have (engine, default charset, rowid handling).
    pub options: TableOptions,
}

/// Table options that belong to one backend; each is left out when it is the default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableOptions {
    /// MySQL/MariaDB `ENGINE=` (absent: the server's default, InnoDB).
    pub engine: Option<String>,
    /// MySQL/MariaDB `DEFAULT CHARSET=` (absent: the database's default).
    pub charset: Option<String>,
    /// MySQL/MariaDB `COLLATE=` (absent: the charset's default collation).
    pub collation: Option<String>,
    /// SQLite `AUTOINCREMENT` on the rowid-alias key: ids are never reused.
    pub sqlite_autoincrement: bool,
    /// SQLite `WITHOUT ROWID`.
    pub without_rowid: bool,
    /// MySQL/MariaDB `ROW_FORMAT=` as declared (absent: not stated, the server's default).
    pub row_format: Option<String>,
}

impl TableOptions {
    /// True when every option is the default.
    pub fn is_default(&self) -> bool {
        *self == TableOptions::default()
    }
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
    /// True when `name` is one of the primary key's columns.
    pub fn is_primary_key_column(&self, name: &str) -> bool {
        self.primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.iter().any(|c| c == name))
    }
}

/// A column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// Its type.
    pub ty: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default, as an SQL expression written after DEFAULT.
    pub server_default: Option<String>,
    /// Whether the database generates values (identity, AUTO_INCREMENT, rowid alias).
    /// Declarations that leave it out get [`autoincrement_auto`]'s answer.
    pub autoincrement: bool,
    /// The column comment.
    pub comment: Option<String>,
    /// The column's previous name, for a declared rename.
    pub renamed_from: Option<String>,
    /// `COLLATE` (absent: the table's or database's default).
    pub collation: Option<String>,
    /// MySQL/MariaDB `CHARACTER SET` (absent: the table's default).
    pub charset: Option<String>,
    /// PostgreSQL identity `GENERATED ALWAYS` (an autoincrement column is `BY DEFAULT`
    /// unless this is set).
    pub identity_always: bool,
    /// PostgreSQL: an autoincrement column takes its values from this sequence, which it
    /// owns (`serial` columns), instead of being an identity column. Other backends
    /// ignore it.
    pub sequence: Option<String>,
    /// A generated (computed) column.
    pub generated: Option<GeneratedColumn>,
}

/// A generated column's expression.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GeneratedColumn {
    /// The SQL expression.
    pub expr: String,
    /// Stored (`STORED`) rather than computed when read (`VIRTUAL`).
    pub stored: bool,
}

/// True when `column` autoincrements by default, as SQLAlchemy's `autoincrement="auto"`
/// decides: it is the table's whole primary key (a single column), its type is `smallint`,
/// `integer` or `bigint`, it has no `server_default`, and no foreign key of the table uses
/// it. Such a column autoincrements unless it says `autoincrement: false`; any other
/// column only with `autoincrement: true`. Loading applies this to columns that leave
/// `autoincrement` out; writing states `autoincrement: false` wherever this is true and
/// the column does not autoincrement, so that the written form reads back the same.
pub fn autoincrement_auto(table: &Table, column: &Column) -> bool {
    let sole_key = table
        .primary_key
        .as_ref()
        .is_some_and(|pk| pk.columns.len() == 1 && pk.columns[0] == column.name);
    sole_key
        && column.ty.is_integer()
        && column.server_default.is_none()
        && !table
            .foreign_keys
            .iter()
            .any(|fk| fk.columns.iter().any(|c| c == &column.name))
}

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    /// The constraint name (backends that do not keep it report none).
    pub name: Option<String>,
    /// Its columns, in key order.
    pub columns: Vec<String>,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// Indexed columns, in order; an entry that is not a plain column name is an SQL
    /// expression (`lower(email)`).
    pub columns: Vec<String>,
    /// A unique index.
    pub unique: bool,
    /// The predicate of a partial index.
    pub where_clause: Option<String>,
    /// MySQL/MariaDB prefix lengths, by column (`k(191)`).
    pub lengths: BTreeMap<String, u32>,
    /// Columns (or expressions) sorted descending.
    pub descending: Vec<String>,
    /// PostgreSQL operator classes, by column (`text_pattern_ops`).
    pub opclasses: BTreeMap<String, String>,
    /// The index method (`gin`, `gist`, `brin`, `hash`; absent: the default B-tree).
    pub using: Option<String>,
    /// PostgreSQL `INCLUDE` columns.
    pub include: Vec<String>,
    /// MySQL/MariaDB `FULLTEXT` or `SPATIAL` (absent: an ordinary index).
    pub kind: Option<IndexKind>,
}

impl Index {
    /// True when `entry` of `columns` is an expression rather than a column name: a call
    /// or parentheses, a literal, a concatenation or a `COLLATE`; column names may hold
    /// spaces and hyphens (`reply-to`). Where the table is known, a name of one of its
    /// columns is a column whatever it holds.
    pub fn is_expression(entry: &str) -> bool {
        entry.contains(['(', '\''])
            || entry.contains("||")
            || entry.to_ascii_lowercase().contains(" collate ")
    }
}

/// What an index or constraint name names; backends differ in which of these names must
/// be unique across the database rather than per table
/// ([`crate::backend::Backend::schema_wide_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// An index.
    Index,
    /// A primary key.
    PrimaryKey,
    /// A unique constraint.
    Unique,
    /// A foreign key.
    ForeignKey,
    /// A check constraint.
    Check,
}

impl NameKind {
    /// The kind in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Index => "index",
            NameKind::PrimaryKey => "primary key",
            NameKind::Unique => "unique constraint",
            NameKind::ForeignKey => "foreign key",
            NameKind::Check => "check constraint",
        }
    }
}

/// A MySQL/MariaDB index kind other than the ordinary one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexKind {
    /// `FULLTEXT`.
    Fulltext,
    /// `SPATIAL`.
    Spatial,
}

impl IndexKind {
    /// Parses the YAML spelling, any case.
    pub fn parse(s: &str) -> Option<IndexKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fulltext" => Some(IndexKind::Fulltext),
            "spatial" => Some(IndexKind::Spatial),
            _ => None,
        }
    }
    /// The YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            IndexKind::Fulltext => "fulltext",
            IndexKind::Spatial => "spatial",
        }
    }
    /// The SQL keyword.
    pub fn sql(self) -> &'static str {
        match self {
            IndexKind::Fulltext => "FULLTEXT",
            IndexKind::Spatial => "SPATIAL",
        }
    }
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueConstraint {
    /// The constraint name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
}

/// What a foreign key does when the referred row changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FkAction {
    /// `CASCADE`
    Cascade,
    /// `RESTRICT`
    Restrict,
    /// `SET NULL`
    SetNull,
    /// `SET DEFAULT`
    SetDefault,
    /// `NO ACTION` (the SQL default)
    NoAction,
}

impl FkAction {
    /// Parses the YAML spelling (`cascade`, `set null`, …), any case, `_` for space.
    pub fn parse(s: &str) -> Option<FkAction> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', '-'], " ")
            .as_str()
        {
            "cascade" => Some(FkAction::Cascade),
            "restrict" => Some(FkAction::Restrict),
            "set null" => Some(FkAction::SetNull),
            "set default" => Some(FkAction::SetDefault),
            "no action" => Some(FkAction::NoAction),
            _ => None,
        }
    }
    /// The YAML spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FkAction::Cascade => "cascade",
            FkAction::Restrict => "restrict",
            FkAction::SetNull => "set null",
            FkAction::SetDefault => "set default",
            FkAction::NoAction => "no action",
        }
    }
    /// The SQL spelling.
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::Cascade => "CASCADE",
            FkAction::Restrict => "RESTRICT",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
            FkAction::NoAction => "NO ACTION",
        }
    }
}

impl fmt::Display for FkAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForeignKey {
    /// The constraint name.
    pub name: String,
    /// The referring columns, in order.
    pub columns: Vec<String>,
    /// The referred table.
    pub referred_table: String,
    /// The referred columns, matching `columns` one to one.
    pub referred_columns: Vec<String>,
    /// ON DELETE; `None` is the database default (NO ACTION).
    pub on_delete: Option<FkAction>,
    /// ON UPDATE; `None` is the database default (NO ACTION).
    pub on_update: Option<FkAction>,
    /// `DEFERRABLE` (PostgreSQL, SQLite).
    pub deferrable: bool,
    /// `INITIALLY DEFERRED` (with `deferrable`).
    pub initially_deferred: bool,
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckConstraint {
    /// The constraint name.
    pub name: String,
    /// The boolean SQL expression.
    pub expr: String,
}
