//! The lint rules: what each one looks for, on which backends, and the safer way.

use std::collections::HashSet;

use crate::backend::Backend;
use crate::dialect::Dialect;
use crate::normalize::is_narrowing;
use crate::ops::{AlterColumn, ConstraintKind, Operation};
use crate::project::Project;
use crate::schema::{ColumnType, Table};
use crate::script::RevisionFile;
use crate::sqltext::split_statements;

use super::{Finding, Located, Severity};

/// What kind of risk a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Loses data.
    Destructive,
    /// Fails or not depending on the rows in the table.
    DataDependent,
    /// Blocks reads or writes while it runs.
    Locking,
    /// Breaks application code still running against the old schema.
    BackwardIncompatible,
}

/// One named rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Its id, as used in findings and `retort-lint: allow` directives.
    pub id: &'static str,
    /// Its kind.
    pub category: Category,
    /// How bad a finding is.
    pub severity: Severity,
}

const fn rule(id: &'static str, category: Category, severity: Severity) -> Rule {
    Rule {
        id,
        category,
        severity,
    }
}

/// Every rule.
pub const RULES: &[Rule] = &[
    rule("drop-table", Category::Destructive, Severity::Error),
    rule("drop-column", Category::Destructive, Severity::Error),
    rule("narrow-type", Category::Destructive, Severity::Error),
    rule(
        "drop-default-not-null",
        Category::Destructive,
        Severity::Warning,
    ),
    rule(
        "add-not-null-without-default",
        Category::DataDependent,
        Severity::Warning,
    ),
    rule("add-unique", Category::DataDependent, Severity::Warning),
    rule(
        "pg-index-not-concurrent",
        Category::Locking,
        Severity::Warning,
    ),
    rule(
        "pg-type-change-rewrite",
        Category::Locking,
        Severity::Warning,
    ),
    rule(
        "pg-constraint-not-valid",
        Category::Locking,
        Severity::Warning,
    ),
    rule("pg-volatile-default", Category::Locking, Severity::Warning),
    rule("pg-set-not-null", Category::Locking, Severity::Warning),
    rule(
        "mysql-alter-copies-table",
        Category::Locking,
        Severity::Warning,
    ),
    rule(
        "rename-table",
        Category::BackwardIncompatible,
        Severity::Error,
    ),
    rule(
        "rename-column",
        Category::BackwardIncompatible,
        Severity::Error,
    ),
];

fn severity(id: &str) -> Severity {
    RULES
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.severity)
        .unwrap_or(Severity::Error)
}

/// Functions whose value differs per row: a default calling one rewrites the table
/// when the column is added (PostgreSQL evaluates it for every existing row).
const VOLATILE_FUNCTIONS: &[&str] = &[
    "random(",
    "clock_timestamp(",
    "gen_random_uuid(",
    "uuid_generate_v1(",
    "uuid_generate_v4(",
    "nextval(",
    "timeofday(",
    "txid_current(",
];

fn is_volatile(default: &str) -> bool {
    let d = default.to_ascii_lowercase().replace(' ', "");
    VOLATILE_FUNCTIONS.iter().any(|f| d.contains(f))
}

/// True when a type change keeps the table in place on PostgreSQL: widening a
/// varchar, or varchar to text.
fn pg_type_change_in_place(old: Option<&ColumnType>, new: &ColumnType) -> bool {
    use ColumnType as T;
    match (old, new) {
        (Some(T::Varchar(Some(a))), T::Varchar(Some(b))) => b >= a,
        (Some(T::Varchar(_)), T::Varchar(None) | T::Text) => true,
        _ => false,
    }
}

/// True when a type change runs in place on MySQL/MariaDB (INPLACE): widening a
/// varchar whose length stays on the same side of 256 bytes (assuming utf8mb4, 4 bytes
/// a character).
fn mysql_type_change_in_place(old: Option<&ColumnType>, new: &ColumnType) -> bool {
    match (old, new) {
        (Some(ColumnType::Varchar(Some(a))), ColumnType::Varchar(Some(b))) => {
            b >= a && ((a * 4 < 256) == (b * 4 < 256))
        }
        _ => false,
    }
}

struct Ctx<'a> {
    file: &'a RevisionFile,
    backends: &'a [Dialect],
    out: Vec<Finding>,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        line: usize,
        id: &'static str,
        backend: Option<Dialect>,
        message: String,
        fix: String,
    ) {
        if let Some(d) = backend {
            if !self.backends.contains(&d) {
                return;
            }
        }
        self.out.push(Finding {
            file: self.file.path.clone(),
            line,
            revision: self.file.id.clone(),
            rule: id,
            backend,
            severity: severity(id),
            message,
            fix,
        });
    }

    /// Pushes a finding for every selected backend that has the capability.
    fn push_where(
        &mut self,
        line: usize,
        id: &'static str,
        has: fn(&dyn Backend) -> bool,
        message: &str,
        fix: &str,
    ) {
        for d in self.backends.iter().copied() {
            if has(d.backend()) {
                self.push(line, id, Some(d), message.to_string(), fix.to_string());
            }
        }
    }
}

/// Whether any revision of the project adds a check `COLUMN IS NOT NULL` on `table`.
fn has_not_null_check(
    project: &Project,
    earlier: &[&Operation],
    table: &str,
    column: &str,
) -> bool {
    let wanted = format!("{} is not null", column.to_ascii_lowercase());
    let matches = |op: &Operation| match op {
        Operation::CreateCheckConstraint {
            table: t, check, ..
        } => {
            t == table
                && check
                    .expr
                    .to_ascii_lowercase()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .replace(['(', ')', '"', '`'], "")
                    .contains(&wanted)
        }
        _ => false,
    };
    if earlier.iter().any(|op| matches(op)) {
        return true;
    }
    project.files.iter().any(|f| {
        crate::runner::operations(project, f, crate::script::graph::Direction::Up)
            .map(|ops| ops.iter().any(matches))
            .unwrap_or(false)
    })
}

fn alter_column(
    ctx: &mut Ctx<'_>,
    project: &Project,
    earlier: &[&Operation],
    line: usize,
    a: &AlterColumn,
) {
    let col = format!("{}.{}", a.table, a.name);
    if let Some(new) = &a.new_name {
        ctx.push(
            line,
            "rename-column",
            None,
            format!("renames column {col} to {new}: code still running reads and writes {col} and fails until it is deployed again."),
            format!("add the new column, write to both, backfill, switch readers, then drop {col} in a later revision (expand/contract); or rename only when no old code runs."),
        );
    }
    if let Some(ty) = &a.ty {
        if let Some(old) = &a.existing_type {
            if is_narrowing(old, ty) {
                ctx.push(
                    line,
                    "narrow-type",
                    None,
                    format!("narrows {col} from {} to {}: values that do not fit are cut or make the statement fail.", old, ty),
                    format!("check that every value fits first (e.g. SELECT max(length({})) …), or add a new column of the narrower type and copy what fits.", a.name),
                );
            }
        }
        if !pg_type_change_in_place(a.existing_type.as_ref(), ty) {
            let msg = format!("changes the type of {col}: PostgreSQL rewrites the whole table under an ACCESS EXCLUSIVE lock, blocking reads and writes{}.", if a.existing_type.is_none() { " (existing_type unknown)" } else { "" });
            ctx.push_where(
                line,
                "pg-type-change-rewrite",
                |b| b.type_change_rewrites_table(),
                &msg,
                "add a new column of the new type, backfill it in batches, and switch to it; or run this in a quiet window with lock_timeout set.",
            );
        }
        if !mysql_type_change_in_place(a.existing_type.as_ref(), ty) {
            let msg = format!("changes the type of {col}: MySQL/MariaDB copies the whole table (ALGORITHM=COPY), blocking writes for as long as the copy takes.");
            ctx.push_where(
                line,
                "mysql-alter-copies-table",
                |b| b.alter_may_copy_table(),
                &msg,
                "use an online schema change tool (gh-ost, pt-online-schema-change), or add a new column (ALGORITHM=INSTANT) and backfill it.",
            );
        }
    }
    if a.nullable == Some(false) && a.existing_nullable != Some(false) {
        if !has_not_null_check(project, earlier, &a.table, &a.name) {
            let msg = format!("sets {col} NOT NULL: PostgreSQL scans the whole table under an ACCESS EXCLUSIVE lock to prove no row is NULL.");
            ctx.push_where(
                line,
                "pg-set-not-null",
                |b| b.set_not_null_scans_table(),
                &msg,
                &format!("first add `CHECK ({} IS NOT NULL)` with not_valid: true and validate_constraint it in an earlier revision; SET NOT NULL then uses the check and does not scan.", a.name),
            );
        }
        let msg =
            format!("sets {col} NOT NULL: MySQL/MariaDB rebuilds the table to change nullability.");
        ctx.push_where(
            line,
            "mysql-alter-copies-table",
            |b| b.alter_may_copy_table(),
            &msg,
            "run it with an online schema change tool, or in a quiet window.",
        );
    }
    if let Some(None) = a.server_default {
        let not_null = a.nullable == Some(false)
            || (a.nullable.is_none() && a.existing_nullable == Some(false));
        if not_null {
            ctx.push(
                line,
                "drop-default-not-null",
                None,
                format!("drops the default of NOT NULL column {col}: inserts that leave the column out (code still running) now fail."),
                "deploy code that always sets the column first, then drop the default; or keep the default.".to_string(),
            );
        }
    }
}

/// Runs every rule over a revision's upgrade operations.
pub fn check(
    project: &Project,
    file: &RevisionFile,
    ops: &[Located],
    backends: &[Dialect],
) -> Vec<Finding> {
    let mut ctx = Ctx {
        file,
        backends,
        out: Vec::new(),
    };
    // Tables created by this revision hold no rows and nobody uses them yet.
    let mut new_tables: HashSet<String> = HashSet::new();
    let mut earlier: Vec<&Operation> = Vec::new();
    for Located { op, line } in ops {
        let line = *line;
        let new = |t: &str| new_tables.contains(t);
        match op {
            Operation::CreateTable(t) => {
                new_tables.insert(t.name.clone());
            }
            Operation::DropTable { name, .. } if !new(name) => ctx.push(
                line,
                "drop-table",
                None,
                format!("drops table {name} and every row in it; code still running that uses it fails."),
                "stop using the table in the code first and deploy; keep a backup or rename it aside (e.g. to a _deprecated name) and drop it in a later revision.".into(),
            ),
            Operation::RenameTable { name, new_name } if !new(name) => ctx.push(
                line,
                "rename-table",
                None,
                format!("renames table {name} to {new_name}: code still running uses {name} and fails until it is deployed again."),
                format!("create {new_name} (or a view named {name} over it) so that old and new code both work, then remove the old name in a later revision."),
            ),
            Operation::DropColumn { table, name, .. } if !new(table) => ctx.push(
                line,
                "drop-column",
                None,
                format!("drops column {table}.{name} and its data; code still running that reads or writes it fails."),
                "stop using the column in the code and deploy first, then drop it in a later revision; keep a backup of its values if they may be needed.".into(),
            ),
            Operation::AlterColumn(a) if !new(&a.table) => alter_column(&mut ctx, project, &earlier, line, a),
            Operation::AddColumn { table, column, .. } if !new(table) => {
                if !column.nullable && column.server_default.is_none() && !column.autoincrement {
                    ctx.push(
                        line,
                        "add-not-null-without-default",
                        None,
                        format!("adds NOT NULL column {table}.{} without a default: it fails as soon as {table} has a row.", column.name),
                        "add the column nullable (or with a server_default), backfill it, then set it NOT NULL in a later revision.".into(),
                    );
                }
                if let Some(default) = &column.server_default {
                    if is_volatile(default) {
                        let msg = format!("adds {table}.{} with the volatile default {default}: PostgreSQL computes it for every row, rewriting the table under an ACCESS EXCLUSIVE lock.", column.name);
                        ctx.push_where(
                            line,
                            "pg-volatile-default",
                            |b| b.volatile_default_rewrites_table(),
                            &msg,
                            "add the column without a default (or with a constant one), set the default with alter_column, and backfill existing rows in batches.",
                        );
                    }
                }
            }
            Operation::CreateIndex {
                table,
                index,
                concurrently,
            } if !new(table) => {
                if index.unique {
                    ctx.push(
                        line,
                        "add-unique",
                        None,
                        format!("creates unique index {} on {table}: it fails if existing rows hold duplicates.", index.name),
                        format!("look for duplicates first (SELECT {cols}, count(*) FROM {table} GROUP BY {cols} HAVING count(*) > 1) and clean them up in an earlier revision.", cols = index.columns.join(", ")),
                    );
                }
                if !concurrently {
                    let msg = format!("creates index {} on {table} without CONCURRENTLY: PostgreSQL blocks writes to {table} until the index is built.", index.name);
                    ctx.push_where(
                        line,
                        "pg-index-not-concurrent",
                        |b| b.index_build_blocks_writes(),
                        &msg,
                        "write `concurrently: true` on create_index (retort runs it outside a transaction on PostgreSQL).",
                    );
                }
            }
            Operation::CreateUniqueConstraint { table, constraint } if !new(table) => {
                ctx.push(
                    line,
                    "add-unique",
                    None,
                    format!("adds unique constraint {} on {table}: it fails if existing rows hold duplicates, and builds an index while blocking writes.", constraint.name),
                    format!("look for duplicates first; on PostgreSQL build a unique index with concurrently: true and then add the constraint using it (execute: ALTER TABLE {table} ADD CONSTRAINT {} UNIQUE USING INDEX …).", constraint.name),
                );
            }
            Operation::CreateForeignKey { table, foreign_key, .. } if !new(table) => {
                if !super::rules::not_valid(op) {
                    let msg = format!("adds foreign key {} on {table}: PostgreSQL checks every row while holding locks that block writes to {table} and {}.", foreign_key.name, foreign_key.referred_table);
                    ctx.push_where(
                        line,
                        "pg-constraint-not-valid",
                        |b| b.has_not_valid_constraints(),
                        &msg,
                        "write `not_valid: true` on the operation, then `validate_constraint` it (in a later revision): validation does not block writes.",
                    );
                }
                let msg = format!("adds foreign key {} on {table}: with foreign_key_checks on, MySQL/MariaDB copies the table (ALGORITHM=COPY).", foreign_key.name);
                ctx.push_where(
                    line,
                    "mysql-alter-copies-table",
                    |b| b.alter_may_copy_table(),
                    &msg,
                    "add the key with an online schema change tool, or with SET foreign_key_checks = 0 (ALGORITHM=INPLACE) when the data is known to be consistent.",
                );
            }
            Operation::CreateCheckConstraint { table, check, .. } if !new(table) => {
                if !super::rules::not_valid(op) {
                    let msg = format!("adds check {} on {table}: PostgreSQL checks every row under an ACCESS EXCLUSIVE lock.", check.name);
                    ctx.push_where(
                        line,
                        "pg-constraint-not-valid",
                        |b| b.has_not_valid_constraints(),
                        &msg,
                        "write `not_valid: true` on the operation, then `validate_constraint` it (in a later revision): validation does not block writes.",
                    );
                }
                let msg = format!("adds check {} on {table}: MySQL/MariaDB copies the table to add a CHECK.", check.name);
                ctx.push_where(
                    line,
                    "mysql-alter-copies-table",
                    |b| b.alter_may_copy_table(),
                    &msg,
                    "run it with an online schema change tool, or in a quiet window.",
                );
            }
            Operation::CreatePrimaryKey { table, name, .. } if !new(table) => {
                let msg = format!("adds primary key {name} on {table}: MySQL/MariaDB rebuilds the table.");
                ctx.push_where(
                    line,
                    "mysql-alter-copies-table",
                    |b| b.alter_may_copy_table(),
                    &msg,
                    "run it with an online schema change tool, or in a quiet window.",
                );
            }
            Operation::DropConstraint {
                name,
                table,
                kind: ConstraintKind::Primary,
                ..
            } if !new(table) => {
                let msg = format!("drops primary key {name} of {table}: MySQL/MariaDB copies the table (ALGORITHM=COPY).");
                ctx.push_where(
                    line,
                    "mysql-alter-copies-table",
                    |b| b.alter_may_copy_table(),
                    &msg,
                    "drop and add the primary key in one ALTER (then INPLACE), or use an online schema change tool.",
                );
            }
            _ => {}
        }
        earlier.push(op);
    }
    ctx.out
}

/// Whether a constraint operation is added `NOT VALID`.
pub fn not_valid(op: &Operation) -> bool {
    match op {
        Operation::CreateForeignKey { not_valid, .. }
        | Operation::CreateCheckConstraint { not_valid, .. } => *not_valid,
        _ => false,
    }
}

fn words(statement: &str) -> Vec<String> {
    crate::runner::checksum::normalize_sql(statement)
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_matches(|c| c == '"' || c == '`').to_string())
        .collect()
}

/// The operations recognised in a SQL revision's upgrade section, statement by
/// statement (the statements lint has rules for; others are left out).
pub fn sql_operations(file: &RevisionFile, upgrade: &str) -> Vec<Located> {
    let text = std::fs::read_to_string(&file.path).unwrap_or_default();
    let start_line = text
        .lines()
        .position(|l| l.trim().eq_ignore_ascii_case("-- +upgrade"))
        .map(|i| i + 2)
        .unwrap_or(1);
    let mut out = Vec::new();
    let mut search_from = 0;
    for statement in split_statements(upgrade) {
        let first = statement
            .lines()
            .find(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
            .unwrap_or("");
        let offset = upgrade[search_from..]
            .find(first.trim())
            .map(|i| i + search_from)
            .unwrap_or(search_from);
        search_from = offset;
        let line = start_line + upgrade[..offset].matches('\n').count();
        let w = words(&statement);
        let up: Vec<String> = w.iter().map(|s| s.to_ascii_uppercase()).collect();
        let at = |i: usize| up.get(i).map(String::as_str).unwrap_or("");
        let name = |i: usize| w.get(i).cloned().unwrap_or_default();
        let op = match (at(0), at(1)) {
            ("CREATE", "TABLE") => {
                let i = if at(2) == "IF" { 5 } else { 2 };
                Some(Operation::CreateTable(Table {
                    name: name(i),
                    ..Table::default()
                }))
            }
            ("DROP", "TABLE") => {
                let i = if at(2) == "IF" { 4 } else { 2 };
                Some(Operation::DropTable {
                    name: name(i),
                    existing: None,
                })
            }
            ("CREATE", "INDEX") | ("CREATE", "UNIQUE") => {
                let unique = at(1) == "UNIQUE";
                let mut i = if unique { 3 } else { 2 };
                let concurrently = at(i) == "CONCURRENTLY";
                if concurrently {
                    i += 1;
                }
                if at(i) == "IF" {
                    i += 3;
                }
                let on = (i..up.len()).find(|&j| up[j] == "ON").unwrap_or(i + 1);
                let table_at = if at(on + 1) == "ONLY" { on + 2 } else { on + 1 };
                Some(Operation::CreateIndex {
                    table: name(table_at),
                    index: crate::schema::Index {
                        name: name(i),
                        columns: Vec::new(),
                        unique,
                        where_clause: None,
                        ..Default::default()
                    },
                    concurrently,
                })
            }
            ("ALTER", "TABLE") => {
                let t = name(2);
                match (at(3), at(4)) {
                    ("DROP", "COLUMN") => Some(Operation::DropColumn {
                        table: t,
                        name: name(if at(5) == "IF" { 7 } else { 5 }),
                        existing_type: None,
                        existing_nullable: None,
                        existing_server_default: None,
                        existing_comment: None,
                        existing_autoincrement: None,
                        existing_collation: None,
                        existing_charset: None,
                    }),
                    ("RENAME", "TO") => Some(Operation::RenameTable {
                        name: t,
                        new_name: name(5),
                    }),
                    ("RENAME", "COLUMN") => Some(Operation::AlterColumn(AlterColumn {
                        table: t,
                        name: name(5),
                        new_name: Some(name(7)),
                        ..AlterColumn::default()
                    })),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(op) = op {
            out.push(Located { op, line });
        }
    }
    out
}
