//! The live-schema reader's shared parts: what a read covers ([`TableScope`]), how it
//! fails ([`ReflectError`]), the query-counting [`Catalog`] and the catalog-text helpers
//! every backend's reader (`backend/*/reader.rs`) uses. Reflection reads the whole
//! schema through [`super::Backend::read_schema`]; the runner reads one table through
//! the same method, so both see the same model of a table.

use std::future::Future;
use std::pin::Pin;

use super::connection::{Connection, DbError, TextRow};
use crate::schema::{ColumnType, Schema, Table};

/// Which tables a read covers.
#[derive(Clone, Copy)]
pub enum TableScope<'a> {
    /// Every table of the default schema for which the predicate is true.
    All(&'a (dyn Fn(&str) -> bool + Sync)),
    /// Every table of the default schema and of these other schemas (PostgreSQL; tables
    /// outside the default schema are named `schema.table`) for which the predicate is
    /// true. Backends without schemas read it as [`TableScope::All`].
    AllIn(&'a [String], &'a (dyn Fn(&str) -> bool + Sync)),
    /// The one table of this name (compared ignoring ASCII case; `schema.table` for a
    /// table outside the default schema).
    One(&'a str),
}

impl TableScope<'_> {
    /// True when `table` is read.
    pub fn includes(&self, table: &str) -> bool {
        match self {
            TableScope::All(f) | TableScope::AllIn(_, f) => f(table),
            TableScope::One(name) => name.eq_ignore_ascii_case(table),
        }
    }

    /// The schemas besides the default one whose tables are read.
    pub fn other_schemas(&self) -> Vec<&str> {
        match self {
            TableScope::All(_) => Vec::new(),
            TableScope::AllIn(schemas, _) => schemas.iter().map(String::as_str).collect(),
            TableScope::One(name) => crate::schema::split_table_name(name)
                .0
                .into_iter()
                .collect(),
        }
    }

    /// The one table's name, when the scope is one table.
    pub fn only(&self) -> Option<&str> {
        match self {
            TableScope::All(_) | TableScope::AllIn(..) => None,
            TableScope::One(name) => Some(name),
        }
    }
}

/// Why reading the live schema failed.
#[derive(Debug, thiserror::Error)]
pub enum ReflectError {
    /// A catalog query failed.
    #[error("reading the database schema failed: {0}")]
    Db(#[from] DbError),
    /// The catalog answered something the reader cannot read.
    #[error("reading the database schema failed: unexpected catalog answer: {0}")]
    Catalog(String),
}

/// A schema read and the number of catalog queries it took.
pub type ReadResult = Result<(Schema, usize), ReflectError>;

/// The future a backend's [`super::Backend::read_schema`] returns.
pub type ReadFuture<'a> = Pin<Box<dyn Future<Output = ReadResult> + Send + 'a>>;

/// What kind of database object retort does not model (see [`UnmodelledObject`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnmodelledKind {
    /// A view.
    View,
    /// A PostgreSQL materialized view.
    MaterializedView,
    /// A SQLite virtual table (FTS, R-Tree, …), with its shadow tables.
    VirtualTable,
    /// A PostgreSQL foreign table.
    ForeignTable,
    /// The partitioning of a table (the table's columns are modelled, its partitioning
    /// is not).
    Partitioning,
    /// A PostgreSQL partition (`table` is the partitioned table).
    Partition,
    /// PostgreSQL table inheritance (`name` inherits from `table`).
    Inheritance,
    /// A MariaDB system-versioned table.
    SystemVersionedTable,
    /// A trigger (`table` is the table or view it is on).
    Trigger,
    /// A PostgreSQL rule (`table` is the table or view it is on).
    Rule,
    /// A PostgreSQL row-level security policy (`table` is its table).
    Policy,
    /// Row-level security switched on for a PostgreSQL table (`name` is the table).
    RowLevelSecurity,
    /// A stored function.
    Function,
    /// A stored procedure.
    Procedure,
    /// A PostgreSQL aggregate function.
    Aggregate,
    /// A MySQL/MariaDB scheduled event.
    Event,
    /// A PostgreSQL domain.
    Domain,
    /// A PostgreSQL composite type.
    CompositeType,
    /// A PostgreSQL range type.
    RangeType,
    /// A PostgreSQL base type of an extension's or user's making.
    BaseType,
    /// A PostgreSQL extension installed in the schema.
    Extension,
}

impl UnmodelledKind {
    /// The kind as messages name it ("materialized view").
    pub fn as_str(self) -> &'static str {
        match self {
            UnmodelledKind::View => "view",
            UnmodelledKind::MaterializedView => "materialized view",
            UnmodelledKind::VirtualTable => "virtual table",
            UnmodelledKind::ForeignTable => "foreign table",
            UnmodelledKind::Partitioning => "partitioning",
            UnmodelledKind::Partition => "partition",
            UnmodelledKind::Inheritance => "table inheritance",
            UnmodelledKind::SystemVersionedTable => "system-versioned table",
            UnmodelledKind::Trigger => "trigger",
            UnmodelledKind::Rule => "rule",
            UnmodelledKind::Policy => "row-level security policy",
            UnmodelledKind::RowLevelSecurity => "row-level security",
            UnmodelledKind::Function => "function",
            UnmodelledKind::Procedure => "procedure",
            UnmodelledKind::Aggregate => "aggregate",
            UnmodelledKind::Event => "event",
            UnmodelledKind::Domain => "domain",
            UnmodelledKind::CompositeType => "composite type",
            UnmodelledKind::RangeType => "range type",
            UnmodelledKind::BaseType => "base type",
            UnmodelledKind::Extension => "extension",
        }
    }

    /// True when the object is a relation of its own name (a view, a partition, …),
    /// which the project's table filter selects like a table.
    pub fn is_relation(self) -> bool {
        matches!(
            self,
            UnmodelledKind::View
                | UnmodelledKind::MaterializedView
                | UnmodelledKind::VirtualTable
                | UnmodelledKind::ForeignTable
                | UnmodelledKind::Partitioning
                | UnmodelledKind::Partition
                | UnmodelledKind::Inheritance
                | UnmodelledKind::SystemVersionedTable
                | UnmodelledKind::RowLevelSecurity
        )
    }
}

/// A database object that retort deliberately does not model (a view, a trigger, a
/// routine, …): reflection leaves it out, comparison cannot see it, and no operation
/// touches it. `reflect` lists these in a comment and `check` warns about each.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnmodelledObject {
    /// What it is.
    pub kind: UnmodelledKind,
    /// Its name (a routine's with its argument types, where the backend overloads).
    pub name: String,
    /// The table it belongs to, where it has one (a trigger's table, a partition's
    /// partitioned table, an inheriting table's parent).
    pub table: Option<String>,
}

impl UnmodelledObject {
    /// An object of `kind` called `name`, on no table.
    pub fn new(kind: UnmodelledKind, name: impl Into<String>) -> Self {
        UnmodelledObject {
            kind,
            name: name.into(),
            table: None,
        }
    }

    /// An object of `kind` called `name` that belongs to `table`.
    pub fn on(kind: UnmodelledKind, name: impl Into<String>, table: impl Into<String>) -> Self {
        UnmodelledObject {
            kind,
            name: name.into(),
            table: Some(table.into()),
        }
    }
}

impl std::fmt::Display for UnmodelledObject {
    /// "trigger users_audit on users", "partition m_2024 of m", "view active_users".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, name) = (self.kind.as_str(), &self.name);
        match (self.kind, &self.table) {
            (UnmodelledKind::Partitioning, _) => write!(f, "partitioning of table {name}"),
            (UnmodelledKind::RowLevelSecurity, _) => {
                write!(f, "row-level security on table {name}")
            }
            (UnmodelledKind::Partition, Some(t)) => write!(f, "partition {name} of {t}"),
            (UnmodelledKind::Inheritance, Some(t)) => {
                write!(f, "table inheritance of {name} from {t}")
            }
            (_, Some(t)) => write!(f, "{kind} {name} on {t}"),
            (_, None) => write!(f, "{kind} {name}"),
        }
    }
}

/// What a backend's [`super::Backend::read_unmodelled`] answers.
pub type UnmodelledResult = Result<Vec<UnmodelledObject>, ReflectError>;

/// The future a backend's [`super::Backend::read_unmodelled`] returns.
pub type UnmodelledFuture<'a> = Pin<Box<dyn Future<Output = UnmodelledResult> + Send + 'a>>;

/// A connection that counts the catalog queries sent through it.
pub(crate) struct Catalog<'c> {
    conn: &'c mut Connection,
    /// The number of queries sent so far.
    pub(crate) queries: usize,
}

impl<'c> Catalog<'c> {
    /// Wraps `conn`, counting from zero.
    pub(crate) fn new(conn: &'c mut Connection) -> Self {
        Catalog { conn, queries: 0 }
    }

    /// Sends one catalog query.
    pub(crate) async fn query(&mut self, sql: &str) -> Result<Vec<TextRow>, ReflectError> {
        self.queries += 1;
        Ok(self.conn.query(sql).await?)
    }
}

/// Column `i` of a row, `None` when NULL or missing.
pub(crate) fn cell(row: &TextRow, i: usize) -> Option<&str> {
    row.get(i).and_then(|v| v.as_deref())
}

/// Column `i` of a row, which the catalog never leaves NULL.
pub(crate) fn need<'r>(row: &'r TextRow, i: usize, what: &str) -> Result<&'r str, ReflectError> {
    cell(row, i).ok_or_else(|| ReflectError::Catalog(format!("no {what} in a catalog row")))
}

/// A catalog truth value (`t`, `true`, `1`, `YES`, …).
pub(crate) fn truthy(s: Option<&str>) -> bool {
    matches!(
        s.map(|s| s.trim().to_ascii_lowercase()).as_deref(),
        Some("t" | "true" | "1" | "yes" | "y")
    )
}

/// Splits `name(a,b)` into the lower-cased name (spaces folded) and its trimmed
/// arguments; `None` arguments when there are no parentheses.
pub(crate) fn split_type(s: &str) -> (String, Option<Vec<String>>) {
    let s = s.trim();
    let fold = |x: &str| {
        x.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    };
    match (s.find('('), s.ends_with(')')) {
        (Some(open), true) => {
            let args = s[open + 1..s.len() - 1]
                .split(',')
                .map(|a| a.trim().to_string())
                .collect();
            (fold(&s[..open]), Some(args))
        }
        _ => (fold(s), None),
    }
}

/// The numeric arguments of a type (`None` when any is not a number).
fn numbers(args: &Option<Vec<String>>) -> Option<Vec<u32>> {
    match args {
        None => Some(vec![]),
        Some(a) => a.iter().map(|x| x.parse().ok()).collect(),
    }
}

/// `numeric`/`varchar`/`char` with numeric arguments, shared by every backend.
pub(crate) fn sized_type(base: &str, args: &Option<Vec<String>>) -> Option<ColumnType> {
    let n = numbers(args)?;
    match (base, n.as_slice()) {
        ("numeric" | "decimal", [] | [_] | [_, _]) => Some(ColumnType::Numeric {
            precision: n.first().copied(),
            scale: n.get(1).copied(),
        }),
        ("varchar" | "character varying", [] | [_]) => {
            Some(ColumnType::Varchar(n.first().copied()))
        }
        ("char" | "character", [_]) => Some(ColumnType::Char(n.first().copied())),
        _ => None,
    }
}

/// Lower case with whitespace folded: the `Custom` spelling of a catalog type.
pub(crate) fn custom(s: &str) -> ColumnType {
    ColumnType::Custom(
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase(),
    )
}

pub(crate) use crate::schema::TableIndex;

/// Columns whose type is an inline enum (`Custom("enum('a','b')")`, as the readers
/// report enum columns of SQLite and MySQL) become `Enum(name)` of the declared enum
/// with exactly those values, where there is one.
pub fn name_inline_enums(table: &mut Table, enums: &[crate::schema::EnumType]) {
    for c in &mut table.columns {
        let ColumnType::Custom(spelling) = &c.ty else {
            continue;
        };
        let Some(values) = crate::schema::inline_enum_values(spelling) else {
            continue;
        };
        if let Some(e) = enums.iter().find(|e| e.values == values) {
            c.ty = ColumnType::Enum(e.name.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_splitting() {
        assert_eq!(
            split_type("NUMERIC(10, 2)"),
            ("numeric".into(), Some(vec!["10".into(), "2".into()]))
        );
        assert_eq!(
            split_type("double  Precision"),
            ("double precision".into(), None)
        );
        assert_eq!(
            sized_type("varchar", &Some(vec!["20".into()])),
            Some(ColumnType::Varchar(Some(20)))
        );
        assert_eq!(sized_type("char", &Some(vec!["x".into()])), None);
    }

    #[test]
    fn scopes() {
        let f = |t: &str| t != "skip";
        assert!(TableScope::All(&f).includes("users"));
        assert!(!TableScope::All(&f).includes("skip"));
        assert!(TableScope::One("Users").includes("users"));
        assert!(!TableScope::One("users").includes("orders"));
        assert_eq!(TableScope::One("a").only(), Some("a"));
        let schemas = ["audit".to_string()];
        assert!(TableScope::AllIn(&schemas, &f).includes("audit.events"));
        assert_eq!(TableScope::AllIn(&schemas, &f).other_schemas(), ["audit"]);
        assert_eq!(TableScope::One("audit.events").other_schemas(), ["audit"]);
        assert!(TableScope::All(&f).other_schemas().is_empty());
    }

    #[test]
    fn unmodelled_objects_read_as_messages_name_them() {
        use UnmodelledKind as K;
        for (object, text) in [
            (
                UnmodelledObject::on(K::Trigger, "users_audit", "users"),
                "trigger users_audit on users",
            ),
            (UnmodelledObject::new(K::View, "v"), "view v"),
            (
                UnmodelledObject::new(K::Function, "add(a integer)"),
                "function add(a integer)",
            ),
            (
                UnmodelledObject::on(K::Partition, "m_2024", "m"),
                "partition m_2024 of m",
            ),
            (
                UnmodelledObject::on(K::Inheritance, "child", "parent"),
                "table inheritance of child from parent",
            ),
            (
                UnmodelledObject::new(K::Partitioning, "m"),
                "partitioning of table m",
            ),
            (
                UnmodelledObject::new(K::RowLevelSecurity, "users"),
                "row-level security on table users",
            ),
            (
                UnmodelledObject::on(K::Policy, "own", "users"),
                "row-level security policy own on users",
            ),
        ] {
            assert_eq!(object.to_string(), text);
        }
        assert!(K::View.is_relation() && !K::Trigger.is_relation());
    }

    #[test]
    fn inline_enums_are_named() {
        let mut t = Table::default();
        t.columns.push(crate::schema::Column {
            name: "s".into(),
            ty: ColumnType::Custom("enum('a','b')".into()),
            ..Default::default()
        });
        t.columns.push(crate::schema::Column {
            name: "u".into(),
            ty: ColumnType::Custom("enum('x')".into()),
            ..Default::default()
        });
        let enums = vec![crate::schema::EnumType {
            name: "mood".into(),
            values: vec!["a".into(), "b".into()],
        }];
        name_inline_enums(&mut t, &enums);
        assert_eq!(t.columns[0].ty, ColumnType::Enum("mood".into()));
        assert_eq!(t.columns[1].ty, ColumnType::Custom("enum('x')".into()));
    }
}
