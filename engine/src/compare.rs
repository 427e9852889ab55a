//! Autogenerate's comparison: the declared schema against the reflected one, giving
//! the upgrade operations, their exact reverse as the downgrade, warnings for
//! destructive changes, and rename hints.
//!
//! Every change is found as upgrade operations in one of several phases; the phases
//! order the upgrade so that it runs (enums and tables before the foreign keys that
//! need them, drops after the constraints that depend on them). Operations that drop
//! something carry what re-creates it, so that the downgrade is derived, as in Alembic,
//! by reversing the upgrade ([`Diff::downgrade`], [`crate::ops::reverse_all`]).

use std::collections::{HashMap, HashSet};

use crate::config::CompareOptions;
use crate::dialect::Dialect;
use crate::normalize::{
    canonical_default, canonical_predicate, canonical_type, enum_spelling, is_narrowing,
};
use crate::ops::{
    reverse_all, AlterColumn, ConstraintDefinition, ConstraintKind, EnumValuePosition,
    NotReversible, Operation,
};
use crate::schema::{
    CheckConstraint, Column, ColumnType, EnumType, FkAction, ForeignKey, Index, Schema, Table,
    TableOptions, UniqueConstraint,
};

/// The result of a comparison.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// Operations that bring the database to the declared schema.
    pub upgrade: Vec<Operation>,
    /// Destructive changes, one line each (also written as comments into the revision).
    pub warnings: Vec<(usize, String)>,
    /// Other things worth saying: declared renames, possible renames.
    pub notes: Vec<String>,
}

impl Diff {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.upgrade.is_empty()
    }

    /// The operations that undo the upgrade: each operation's reverse, in reverse order.
    /// Fails only if an upgrade operation does not carry what its reverse needs.
    pub fn downgrade(&self) -> Result<Vec<Operation>, NotReversible> {
        reverse_all(&self.upgrade)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Phase {
    CreateEnums,
    CreateSequences,
    RenameTables,
    RenameColumns,
    DropForeignKeys,
    DropConstraints,
    CreateTables,
    AddColumns,
    AlterColumns,
    CreateConstraints,
    CreateForeignKeys,
    DropColumns,
    DropTables,
    DropSequences,
    DropEnums,
}

struct Pair {
    phase: Phase,
    up: Vec<Operation>,
    warning: Option<String>,
}

struct Ctx<'a> {
    dialect: Dialect,
    options: &'a CompareOptions,
    declared: &'a Schema,
    reflected: &'a Schema,
    pairs: Vec<Pair>,
    notes: Vec<String>,
}

impl Ctx<'_> {
    fn push(&mut self, phase: Phase, up: Vec<Operation>) {
        self.pairs.push(Pair {
            phase,
            up,
            warning: None,
        });
    }
    fn push_warned(&mut self, phase: Phase, up: Vec<Operation>, warning: String) {
        self.pairs.push(Pair {
            phase,
            up,
            warning: Some(warning),
        });
    }
    fn ctype(&self, ty: &ColumnType, autoincrement: bool, declared: bool) -> String {
        let enums = if declared {
            &self.declared.enums
        } else {
            &self.reflected.enums
        };
        canonical_type(self.dialect, ty, autoincrement, enums)
    }
}

/// Compares `declared` with `reflected` as seen on `dialect`.
pub fn compare(
    declared: &Schema,
    reflected: &Schema,
    dialect: Dialect,
    options: &CompareOptions,
) -> Diff {
    let mut ctx = Ctx {
        dialect,
        options,
        declared,
        reflected,
        pairs: Vec::new(),
        notes: Vec::new(),
    };
    compare_enums(&mut ctx);
    compare_sequences(&mut ctx);
    let reflected_by_name: HashMap<&str, &Table> = reflected
        .tables
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    let mut matched_reflected: HashSet<String> = HashSet::new();
    let mut new_tables: Vec<&Table> = Vec::new();
    for table in &declared.tables {
        if let Some(old) = reflected_by_name.get(table.name.as_str()) {
            matched_reflected.insert(old.name.clone());
            compare_table(&mut ctx, table, old);
            continue;
        }
        let renamed = table
            .renamed_from
            .as_deref()
            .and_then(|r| reflected_by_name.get(r))
            .filter(|old| !declared.tables.iter().any(|t| t.name == old.name));
        match renamed {
            Some(old) => {
                matched_reflected.insert(old.name.clone());
                ctx.notes.push(format!(
                    "table `{}` is renamed to `{}` (renamed_from)",
                    old.name, table.name
                ));
                ctx.push(
                    Phase::RenameTables,
                    vec![Operation::RenameTable {
                        name: old.name.clone(),
                        new_name: table.name.clone(),
                    }],
                );
                let mut as_renamed = (*old).clone();
                as_renamed.name = table.name.clone();
                compare_table(&mut ctx, table, &as_renamed);
            }
            None => new_tables.push(table),
        }
    }
    create_tables(&mut ctx, &new_tables);
    let dropped: Vec<&Table> = reflected
        .tables
        .iter()
        .filter(|t| !matched_reflected.contains(&t.name))
        .collect();
    drop_tables(&mut ctx, &dropped);
    drop_unused_enums(&mut ctx);

    let mut pairs = ctx.pairs;
    pairs.sort_by_key(|p| p.phase);
    let mut diff = Diff {
        notes: ctx.notes,
        ..Diff::default()
    };
    for p in &pairs {
        if let Some(w) = &p.warning {
            diff.warnings.push((diff.upgrade.len(), w.clone()));
        }
        diff.upgrade.extend(p.up.iter().cloned());
    }
    diff
}

/// Enums are compared by name on every backend, so that revisions carry
/// `create_enum`/`drop_enum`/value changes wherever they are generated. Where enums are
/// inline (MySQL, SQLite) the reflected schema's enums are the ones the database has as
/// far as the revision history and its columns tell (see [`resolve_inline_enums`]).
fn compare_enums(ctx: &mut Ctx<'_>) {
    for e in &ctx.declared.enums {
        match ctx.reflected.enum_type(&e.name) {
            None => ctx.push(Phase::CreateEnums, vec![Operation::CreateEnum(e.clone())]),
            Some(old) if old.values != e.values => enum_values_changed(ctx, e, old),
            Some(_) => {}
        }
    }
}

/// Changed values of an enum: `drop_enum_value` for each value gone, then
/// `add_enum_value` for each new one (in place, before the next kept value); the
/// downgrade is the exact reverse. Reordered values cannot be changed in place: a note.
fn enum_values_changed(ctx: &mut Ctx<'_>, new: &EnumType, old: &EnumType) {
    let kept_new: Vec<&String> = new
        .values
        .iter()
        .filter(|v| old.values.contains(v))
        .collect();
    let kept_old: Vec<&String> = old
        .values
        .iter()
        .filter(|v| new.values.contains(v))
        .collect();
    if kept_new != kept_old || kept_new.is_empty() {
        ctx.notes.push(format!(
            "enum `{}` changed its values ({} -> {}) in a way that cannot be done in place (values reordered, or none kept): write the change by hand (e.g. create a new enum, convert the columns, drop the old one)",
            new.name,
            old.values.join(", "),
            new.values.join(", ")
        ));
        return;
    }
    // Values of `to` not in `from`, each placed before the next value `from` has.
    let additions = |to: &EnumType, from: &EnumType| -> Vec<Operation> {
        to.values
            .iter()
            .enumerate()
            .filter(|(_, v)| !from.values.contains(v))
            .map(|(i, v)| Operation::AddEnumValue {
                name: to.name.clone(),
                value: v.clone(),
                position: to.values[i + 1..]
                    .iter()
                    .find(|n| from.values.contains(n))
                    .map(|n| EnumValuePosition::Before(n.clone())),
            })
            .collect()
    };
    let removed: Vec<&String> = old
        .values
        .iter()
        .filter(|v| !new.values.contains(v))
        .collect();
    // Each removal says where its value stood among the values left at that moment
    // (before its successor, else after its predecessor), so that its reverse puts it back.
    let mut current = old.values.clone();
    let mut up = Vec::new();
    for v in &removed {
        let Some(i) = current.iter().position(|c| c == *v) else {
            continue;
        };
        let position = match (current.get(i + 1), i.checked_sub(1)) {
            (Some(next), _) => Some(EnumValuePosition::Before(next.clone())),
            (None, Some(p)) => Some(EnumValuePosition::After(current[p].clone())),
            (None, None) => None,
        };
        current.remove(i);
        up.push(Operation::DropEnumValue {
            name: old.name.clone(),
            value: (*v).clone(),
            position,
        });
    }
    up.extend(additions(new, old));
    if removed.is_empty() {
        ctx.push(Phase::CreateEnums, up);
    } else {
        let warning = format!(
            "removes value(s) {} from enum `{}`: rows holding them make the upgrade fail",
            removed
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", "),
            new.name
        );
        ctx.push_warned(Phase::CreateEnums, up, warning);
    }
}

/// Standalone sequences by name: created before the tables (whose defaults may use
/// them), dropped after. Changed options are not altered (that would need the
/// sequence's current value): a note says so.
fn compare_sequences(ctx: &mut Ctx<'_>) {
    for s in &ctx.declared.sequences {
        match ctx.reflected.sequence(&s.name) {
            None => ctx.push(
                Phase::CreateSequences,
                vec![Operation::CreateSequence(s.clone())],
            ),
            Some(old) if old.effective() != s.effective() => ctx.notes.push(format!(
                "sequence `{}` has other options in the database than declared; autogenerate does not alter sequences: write `ALTER SEQUENCE` with an `execute` operation, or declare the database's options",
                s.name
            )),
            Some(_) => {}
        }
    }
    for s in &ctx.reflected.sequences {
        if ctx.declared.sequence(&s.name).is_none() {
            ctx.push_warned(
                Phase::DropSequences,
                vec![Operation::DropSequence(s.clone())],
                format!("drops sequence `{}` and its current value", s.name),
            );
        }
    }
}

fn drop_unused_enums(ctx: &mut Ctx<'_>) {
    for e in &ctx.reflected.enums {
        if ctx.declared.enum_type(&e.name).is_none() {
            ctx.push(
                Phase::DropEnums,
                vec![Operation::DropEnum {
                    name: e.name.clone(),
                    values: Some(e.values.clone()),
                }],
            );
        }
    }
}

/// Prepares a schema reflected from a backend with inline enums (MySQL `ENUM(...)`,
/// SQLite CHECKs) for [`compare`], which compares enums by name:
///
/// - the database's enums are `history`: the enums the revision history defines up to
///   the database's current revision (so that a second autogenerate writes no
///   `create_enum` again, and an enum left out of `schema.yaml` is dropped);
/// - plus each declared enum the history does not define (nor another under its
///   values) whose declared columns all exist with exactly its values: a database built
///   without revisions (by hand, or adopted with `reflect`) has it already;
/// - each inline enum column becomes `enum(NAME)` when its values are those of the
///   database's enum the declared column names (or, failing that, of one with the same
///   values), so that a change of values is the enum's operation, not the column's.
///
/// Does nothing where the backend has named enum types (PostgreSQL).
pub fn resolve_inline_enums(
    declared: &Schema,
    reflected: &mut Schema,
    history: Vec<EnumType>,
    dialect: Dialect,
) {
    if dialect.backend().has_enum_types() {
        return;
    }
    let inline_values = |table: &str, column: &str| -> Option<Option<Vec<String>>> {
        let c = reflected
            .table(table)?
            .columns
            .iter()
            .find(|c| c.name == column)?;
        Some(match &c.ty {
            ColumnType::Custom(spelling) => crate::schema::inline_enum_values(spelling),
            _ => None,
        })
    };
    let mut known = history;
    for e in &declared.enums {
        if known
            .iter()
            .any(|k| k.name == e.name || k.values == e.values)
        {
            continue;
        }
        let mut used = false;
        let mut all_match = true;
        for t in &declared.tables {
            for c in t
                .columns
                .iter()
                .filter(|c| c.ty == ColumnType::Enum(e.name.clone()))
            {
                match inline_values(&t.name, &c.name) {
                    None => {}
                    Some(values) => {
                        used = true;
                        all_match &= values.as_ref() == Some(&e.values);
                    }
                }
            }
        }
        if used && all_match {
            known.push(e.clone());
        }
    }
    for t in &mut reflected.tables {
        // Looked up only for a table with an inline enum (a scan per table would make
        // this quadratic in the number of tables).
        let mut declared_table = None;
        for c in &mut t.columns {
            let ColumnType::Custom(spelling) = &c.ty else {
                continue;
            };
            let Some(values) = crate::schema::inline_enum_values(spelling) else {
                continue;
            };
            let declared_enum = *declared_table.get_or_insert_with(|| declared.table(&t.name));
            let declared_enum = declared_enum
                .and_then(|dt| dt.columns.iter().find(|d| d.name == c.name))
                .and_then(|d| match &d.ty {
                    ColumnType::Enum(name) => known.iter().find(|k| &k.name == name),
                    _ => None,
                })
                .filter(|k| k.values == values);
            if let Some(k) = declared_enum.or_else(|| known.iter().find(|k| k.values == values)) {
                c.ty = ColumnType::Enum(k.name.clone());
            }
        }
    }
    reflected.enums = known;
}

/// New tables, parents before children; foreign keys in a cycle become separate operations.
fn create_tables(ctx: &mut Ctx<'_>, tables: &[&Table]) {
    let names: HashSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut remaining: Vec<&Table> = tables.to_vec();
    let mut ordered: Vec<(Table, Vec<ForeignKey>)> = Vec::new();
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|t| {
            t.foreign_keys.iter().all(|fk| {
                fk.referred_table == t.name
                    || !names.contains(fk.referred_table.as_str())
                    || done.contains(&fk.referred_table)
            })
        });
        let (t, deferred) = match ready {
            Some(i) => (remaining.remove(i), Vec::new()),
            None => {
                // A cycle: create the first table without the keys that point forward.
                let t = remaining.remove(0);
                let deferred: Vec<ForeignKey> = t
                    .foreign_keys
                    .iter()
                    .filter(|fk| {
                        fk.referred_table != t.name
                            && names.contains(fk.referred_table.as_str())
                            && !done.contains(&fk.referred_table)
                    })
                    .cloned()
                    .collect();
                (t, deferred)
            }
        };
        let mut table = t.clone();
        table.renamed_from = None;
        table.foreign_keys.retain(|fk| !deferred.contains(fk));
        for c in &mut table.columns {
            c.renamed_from = None;
        }
        done.insert(t.name.clone());
        ordered.push((table, deferred));
    }
    for (table, deferred) in ordered {
        let name = table.name.clone();
        ctx.push(Phase::CreateTables, vec![Operation::CreateTable(table)]);
        for fk in deferred {
            ctx.push(
                Phase::CreateForeignKeys,
                vec![Operation::CreateForeignKey {
                    table: name.clone(),
                    foreign_key: fk.clone(),
                    not_valid: false,
                }],
            );
        }
    }
}

/// Dropped tables, children before parents; each `drop_table` carries the table, so
/// that the downgrade re-creates it in full (parents first). Where the tables' foreign
/// keys form a cycle, the keys into the table that breaks it are dropped first (and so
/// re-created after the tables on the way back).
fn drop_tables(ctx: &mut Ctx<'_>, tables: &[&Table]) {
    let names: HashSet<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let mut remaining: Vec<&Table> = tables.to_vec();
    let mut order: Vec<&Table> = Vec::new();
    let mut detached: HashSet<(String, String)> = HashSet::new();
    while !remaining.is_empty() {
        // A table can go once no other remaining table refers to it.
        let free = remaining.iter().position(|t| {
            !remaining.iter().any(|o| {
                o.name != t.name
                    && o.foreign_keys.iter().any(|fk| {
                        fk.referred_table == t.name
                            && !detached.contains(&(o.name.clone(), fk.name.clone()))
                    })
            })
        });
        let t = match free {
            Some(i) => remaining.remove(i),
            None => {
                let t = remaining.remove(0);
                for o in &remaining {
                    for fk in o
                        .foreign_keys
                        .iter()
                        .filter(|fk| fk.referred_table == t.name)
                    {
                        if detached.insert((o.name.clone(), fk.name.clone())) {
                            ctx.push(Phase::DropForeignKeys, vec![drop_foreign_key(&o.name, fk)]);
                        }
                    }
                }
                t
            }
        };
        order.push(t);
    }
    for t in order {
        let mut existing = t.clone();
        // Keys to tables that are also dropped are restored with the tables (parents
        // first on the way back), except those dropped on their own above.
        existing.foreign_keys.retain(|fk| {
            (names.contains(fk.referred_table.as_str())
                || ctx.reflected.table(&fk.referred_table).is_some())
                && !detached.contains(&(t.name.clone(), fk.name.clone()))
        });
        existing.renamed_from = None;
        ctx.push_warned(
            Phase::DropTables,
            vec![Operation::DropTable {
                name: t.name.clone(),
                existing: Some(existing),
            }],
            format!("drops table `{}` and all its rows", t.name),
        );
    }
}

/// `drop_constraint` of a foreign key, carrying the key.
fn drop_foreign_key(table: &str, fk: &ForeignKey) -> Operation {
    Operation::DropConstraint {
        name: fk.name.clone(),
        table: table.to_string(),
        kind: ConstraintKind::ForeignKey,
        existing: Some(ConstraintDefinition::ForeignKey(fk.clone())),
    }
}

fn compare_table(ctx: &mut Ctx<'_>, new: &Table, old: &Table) {
    let table = new.name.clone();
    let old_cols: HashMap<&str, &Column> =
        old.columns.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut matched: HashSet<String> = HashSet::new();
    let mut added: Vec<&Column> = Vec::new();
    for col in &new.columns {
        if let Some(o) = old_cols.get(col.name.as_str()) {
            matched.insert(o.name.clone());
            let nullability = ctx.dialect.backend().compares_nullability(new, col, old, o);
            compare_column(ctx, (new, col), (old, o), nullability);
            continue;
        }
        let renamed = col
            .renamed_from
            .as_deref()
            .and_then(|r| old_cols.get(r))
            .filter(|o| !new.columns.iter().any(|c| c.name == o.name));
        match renamed {
            Some(o) => {
                matched.insert(o.name.clone());
                ctx.notes.push(format!(
                    "column `{table}.{}` is renamed to `{}` (renamed_from)",
                    o.name, col.name
                ));
                ctx.push(
                    Phase::RenameColumns,
                    vec![Operation::AlterColumn(AlterColumn {
                        table: table.clone(),
                        name: o.name.clone(),
                        new_name: Some(col.name.clone()),
                        existing_type: Some(o.ty.clone()),
                        existing_nullable: Some(o.nullable),
                        existing_server_default: Some(o.server_default.clone()),
                        ..AlterColumn::default()
                    })],
                );
                let nullability = ctx.dialect.backend().compares_nullability(new, col, old, o);
                let mut as_renamed = (*o).clone();
                as_renamed.name = col.name.clone();
                compare_column(ctx, (new, col), (old, &as_renamed), nullability);
            }
            None => added.push(col),
        }
    }
    let dropped: Vec<&Column> = old
        .columns
        .iter()
        .filter(|c| !matched.contains(&c.name))
        .collect();
    for col in &added {
        let mut c = (*col).clone();
        c.renamed_from = None;
        ctx.push(
            Phase::AddColumns,
            vec![Operation::AddColumn {
                table: table.clone(),
                column: c,
                foreign_key: None,
            }],
        );
    }
    // Dropped last column first, so that the downgrade (the reverse) adds them back in
    // their original order.
    for col in dropped.iter().rev() {
        ctx.push_warned(
            Phase::DropColumns,
            vec![Operation::DropColumn {
                table: table.clone(),
                name: col.name.clone(),
                existing_type: Some(col.ty.clone()),
                existing_nullable: Some(col.nullable),
                existing_server_default: col.server_default.clone(),
                existing_comment: col.comment.clone(),
                existing_autoincrement: col.autoincrement.then_some(true),
                existing_collation: col.collation.clone(),
                existing_charset: col.charset.clone(),
            }],
            format!("drops column `{table}.{}` and its data", col.name),
        );
    }
    for d in &dropped {
        for a in &added {
            if ctx.ctype(&d.ty, d.autoincrement, false) == ctx.ctype(&a.ty, a.autoincrement, true) {
                ctx.notes.push(format!(
                    "table `{table}`: column `{}` is dropped and `{}` of the same type is added — did you mean to rename? Declare `renamed_from: {}` on `{}`",
                    d.name, a.name, d.name, a.name
                ));
            }
        }
    }
    compare_table_options(ctx, new, old);
    compare_primary_key(ctx, new, old);
    compare_indexes_and_uniques(ctx, new, old);
    compare_foreign_keys(ctx, new, old);
    compare_checks(ctx, new, old);
    if ctx.options.comments && ctx.dialect.backend().has_comments() && new.comment != old.comment {
        ctx.push(
            Phase::AlterColumns,
            vec![Operation::CreateTableComment {
                table,
                comment: new.comment.clone(),
                existing_comment: old.comment.clone(),
            }],
        );
    }
}

/// MySQL/MariaDB engine, default charset/collation and row format: a declared option
/// that differs is set by `alter_table_options`; one declared as the default (left out)
/// but set in the database is a note, since the default is the database's to say.
fn compare_table_options(ctx: &mut Ctx<'_>, new: &Table, old: &Table) {
    let fold = |v: &Option<String>| v.as_deref().map(str::to_ascii_lowercase);
    let differs = |declared: &Option<String>, live: &Option<String>| {
        (declared.is_some() && fold(declared) != fold(live)).then(|| declared.clone())
    };
    // A collation names its charset (`utf8mb4_unicode_ci`): when the declared collation
    // is in effect, so is the charset, whether or not reflection spelled it out.
    let same_collation = new.options.collation.is_some()
        && fold(&new.options.collation) == fold(&old.options.collation);
    let set = TableOptions {
        engine: differs(&new.options.engine, &old.options.engine).flatten(),
        charset: differs(&new.options.charset, &old.options.charset)
            .flatten()
            .filter(|_| !same_collation),
        collation: differs(&new.options.collation, &old.options.collation).flatten(),
        row_format: differs(&new.options.row_format, &old.options.row_format).flatten(),
        ..TableOptions::default()
    };
    if !set.is_default() && ctx.dialect.backend().has_table_options() {
        // An option the database leaves at its default was `default` (the engine: the
        // server's, InnoDB).
        let keep = |s: &Option<String>, o: &Option<String>, default: &str| {
            s.as_ref()
                .and(o.clone().or_else(|| Some(default.to_string())))
        };
        let existing = TableOptions {
            engine: keep(&set.engine, &old.options.engine, "InnoDB"),
            charset: keep(&set.charset, &old.options.charset, "default"),
            collation: keep(&set.collation, &old.options.collation, "default"),
            row_format: keep(&set.row_format, &old.options.row_format, "default"),
            ..TableOptions::default()
        };
        ctx.push(
            Phase::AlterColumns,
            vec![Operation::AlterTableOptions {
                table: new.name.clone(),
                set,
                existing,
            }],
        );
    }
    for (what, declared, live) in [
        ("engine", &new.options.engine, &old.options.engine),
        (
            "charset",
            &new.options.charset,
            if same_collation {
                &new.options.charset
            } else {
                &old.options.charset
            },
        ),
        ("collation", &new.options.collation, &old.options.collation),
        (
            "row_format",
            &new.options.row_format,
            &old.options.row_format,
        ),
    ] {
        if fold(declared) != fold(live)
            && (declared.is_none() || !ctx.dialect.backend().has_table_options())
        {
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "the default".into());
            ctx.notes.push(format!(
                "table `{}`: {what} is {} as declared but {} in the database; autogenerate does not change table options (its columns are compared one by one): change it with an `execute` operation (e.g. ALTER TABLE … CONVERT TO CHARACTER SET …, or ENGINE=…)",
                new.name,
                show(declared),
                show(live)
            ));
        }
    }
}

/// Compares a declared column (with its table) with the reflected one (with its table);
/// `nullability`: whether a difference in nullability counts (see
/// [`crate::backend::Backend::compares_nullability`]).
fn compare_column(
    ctx: &mut Ctx<'_>,
    new: (&Table, &Column),
    old: (&Table, &Column),
    nullability: bool,
) {
    let ((new_table, new), (old_table, old)) = (new, old);
    let table = new_table.name.as_str();
    // A column of a named enum keeps its type while the enum's values change: those
    // changes are the enum's own operations. SQLite spells an autoincrementing key
    // INTEGER whatever integer type is declared; where only one side autoincrements (an
    // existing plain BIGINT key declared without `autoincrement`, which now means
    // "auto"), the declared types are compared as written.
    let auto = new.autoincrement && old.autoincrement;
    let type_changed = ctx.options.types
        && match (&new.ty, &old.ty) {
            (ColumnType::Enum(a), ColumnType::Enum(b)) => a != b,
            _ => ctx.ctype(&new.ty, auto, true) != ctx.ctype(&old.ty, auto, false),
        };
    let null_changed = nullability && new.nullable != old.nullable;
    let default_changed = ctx.options.server_defaults
        && !new.autoincrement
        && canonical_default(ctx.dialect, new.server_default.as_deref(), &new.ty)
            != canonical_default(ctx.dialect, old.server_default.as_deref(), &old.ty);
    let comment_changed =
        ctx.options.comments && ctx.dialect.backend().has_comments() && new.comment != old.comment;
    let (new_charset, new_collation) = ctx.dialect.backend().comparable_collation(new_table, new);
    let (old_charset, old_collation) = ctx.dialect.backend().comparable_collation(old_table, old);
    let charset_changed = new_charset != old_charset;
    let inherits = new.charset.is_none() && new.collation.is_none();
    let collation_changed = charset_changed || new_collation != old_collation;
    // Adding or removing autoincrement is an `alter_column` (on SQLite an INTEGER key is
    // the rowid whatever was declared, so there is nothing to change). How a column
    // autoincrements (an identity or an owned sequence, PostgreSQL) is not changed:
    // a note says so.
    let backend = ctx.dialect.backend();
    let auto_changed = new.autoincrement != old.autoincrement && !backend.rowid_is_integer();
    let (new_auto, old_auto) = (
        backend.comparable_autoincrement(new),
        backend.comparable_autoincrement(old),
    );
    if !auto_changed && new_auto != old_auto {
        let way = |(_, seq, always): &(bool, Option<String>, bool)| match seq {
            Some(s) => format!("takes its values from its sequence `{s}`"),
            None if *always => "is an identity GENERATED ALWAYS".to_string(),
            None => "is an identity GENERATED BY DEFAULT".to_string(),
        };
        ctx.notes.push(format!(
            "column `{table}.{}` {} as declared but {} in the database; autogenerate does not change how a column autoincrements: declare it as the database has it, or change it with an `execute` operation",
            new.name,
            way(&new_auto),
            way(&old_auto)
        ));
    }
    if !(type_changed
        || null_changed
        || default_changed
        || comment_changed
        || auto_changed
        || collation_changed)
    {
        return;
    }
    let old_ty = reflected_type_for_ops(ctx, &old.ty);
    let up = AlterColumn {
        table: table.to_string(),
        name: new.name.clone(),
        ty: type_changed.then(|| new.ty.clone()),
        nullable: null_changed.then_some(new.nullable),
        server_default: default_changed.then(|| new.server_default.clone()),
        comment: comment_changed.then(|| new.comment.clone()),
        existing_type: Some(old_ty.clone()),
        existing_nullable: Some(old.nullable),
        existing_server_default: Some(old.server_default.clone()),
        existing_comment: Some(old.comment.clone()),
        existing_autoincrement: Some(old.autoincrement),
        autoincrement: auto_changed.then_some(new.autoincrement),
        // A column that inherits its table's default is given the table's explicitly: a
        // changed table default is not the column's to change.
        collation: collation_changed.then(|| {
            new.collation.clone().or_else(|| {
                inherits
                    .then(|| new_table.options.collation.clone())
                    .flatten()
            })
        }),
        charset: charset_changed.then(|| {
            new.charset.clone().or_else(|| {
                inherits
                    .then(|| new_table.options.charset.clone())
                    .flatten()
            })
        }),
        existing_collation: (collation_changed || old.collation.is_some())
            .then(|| old.collation.clone()),
        existing_charset: (charset_changed || old.charset.is_some()).then(|| old.charset.clone()),
        ..AlterColumn::default()
    };
    let warning = (type_changed && is_narrowing(&old.ty, &new.ty)).then(|| {
        format!(
            "narrows `{table}.{}` from {} to {}: values may not fit",
            new.name, old.ty, new.ty
        )
    });
    let up = vec![Operation::AlterColumn(up)];
    match warning {
        Some(w) => ctx.push_warned(Phase::AlterColumns, up, w),
        None => ctx.push(Phase::AlterColumns, up),
    }
}

/// A reflected type as operations should carry it: an inline enum that matches a
/// declared enum's values becomes that enum, so that every backend can render it.
fn reflected_type_for_ops(ctx: &Ctx<'_>, ty: &ColumnType) -> ColumnType {
    if let ColumnType::Custom(s) = ty {
        if let Some(e) = ctx
            .declared
            .enums
            .iter()
            .find(|e| enum_spelling(&e.values) == *s)
        {
            return ColumnType::Enum(e.name.clone());
        }
    }
    ty.clone()
}

fn compare_primary_key(ctx: &mut Ctx<'_>, new: &Table, old: &Table) {
    let new_cols = new
        .primary_key
        .as_ref()
        .map(|p| p.columns.clone())
        .unwrap_or_default();
    let old_cols = old
        .primary_key
        .as_ref()
        .map(|p| p.columns.clone())
        .unwrap_or_default();
    if new_cols == old_cols {
        return;
    }
    let table = new.name.clone();
    let new_name = new
        .primary_key
        .as_ref()
        .and_then(|p| p.name.clone())
        .unwrap_or_else(|| format!("pk_{table}"));
    let old_name = old
        .primary_key
        .as_ref()
        .and_then(|p| p.name.clone())
        .unwrap_or_else(|| ctx.dialect.backend().default_primary_key_name(&table));
    if !old_cols.is_empty() {
        ctx.push(
            Phase::DropConstraints,
            vec![Operation::DropConstraint {
                name: old_name,
                table: table.clone(),
                kind: ConstraintKind::Primary,
                existing: Some(ConstraintDefinition::Primary(old_cols)),
            }],
        );
    }
    if !new_cols.is_empty() {
        ctx.push(
            Phase::CreateConstraints,
            vec![Operation::CreatePrimaryKey {
                table,
                name: new_name,
                columns: new_cols,
            }],
        );
    }
}

/// Indexes and unique constraints. On MySQL a unique constraint *is* a unique index, so
/// there the two are compared as one kind.
#[derive(Clone, Debug, PartialEq)]
enum Keyed {
    Index(Index),
    Unique(UniqueConstraint),
}

impl Keyed {
    fn name(&self) -> &str {
        match self {
            Keyed::Index(i) => &i.name,
            Keyed::Unique(u) => &u.name,
        }
    }
    /// What makes two of them the same, names aside.
    fn shape(&self, dialect: Dialect) -> (bool, Index) {
        match self {
            Keyed::Index(i) => {
                let unique_key = dialect.backend().unique_index_is_constraint()
                    && i.unique
                    && i.where_clause.is_none()
                    && i.kind.is_none();
                let mut ix = dialect.backend().comparable_index(i);
                ix.name = String::new();
                ix.where_clause = ix.where_clause.as_deref().map(canonical_predicate);
                (unique_key, ix)
            }
            Keyed::Unique(u) => (
                true,
                Index {
                    columns: u.columns.clone(),
                    unique: true,
                    ..Index::default()
                },
            ),
        }
    }
    fn same(&self, other: &Keyed, dialect: Dialect) -> bool {
        if dialect.backend().unique_index_is_constraint() {
            return self.shape(dialect) == other.shape(dialect);
        }
        match (self, other) {
            (Keyed::Index(_), Keyed::Index(_)) | (Keyed::Unique(_), Keyed::Unique(_)) => {
                self.shape(dialect) == other.shape(dialect)
            }
            _ => false,
        }
    }
    fn create(&self, table: &str) -> Operation {
        match self {
            Keyed::Index(i) => Operation::CreateIndex {
                table: table.to_string(),
                index: i.clone(),
                concurrently: false,
            },
            Keyed::Unique(u) => Operation::CreateUniqueConstraint {
                table: table.to_string(),
                constraint: u.clone(),
            },
        }
    }
    fn drop(&self, table: &str) -> Operation {
        match self {
            Keyed::Index(i) => Operation::DropIndex {
                name: i.name.clone(),
                table: table.to_string(),
                existing: Some(i.clone()),
            },
            Keyed::Unique(u) => Operation::DropConstraint {
                name: u.name.clone(),
                table: table.to_string(),
                kind: ConstraintKind::Unique,
                existing: Some(ConstraintDefinition::Unique(u.columns.clone())),
            },
        }
    }
}

/// Pairs up items by name, then leftovers by shape (a renamed but identical index is
/// not a change); returns (only in new, only in old, changed pairs).
fn match_items<T: Clone>(
    new: &[T],
    old: &[T],
    name: impl Fn(&T) -> String,
    same: impl Fn(&T, &T) -> bool,
) -> (Vec<T>, Vec<T>, Vec<(T, T)>) {
    let mut only_new = Vec::new();
    let mut changed = Vec::new();
    let mut old_left: Vec<Option<&T>> = old.iter().map(Some).collect();
    let mut unmatched_new = Vec::new();
    for n in new {
        match old_left
            .iter()
            .position(|o| o.is_some_and(|o| name(o) == name(n)))
        {
            Some(i) => {
                let o = old_left[i].take().cloned();
                if let Some(o) = o {
                    if !same(n, &o) {
                        changed.push((n.clone(), o));
                    }
                }
            }
            None => unmatched_new.push(n),
        }
    }
    for n in unmatched_new {
        match old_left.iter().position(|o| o.is_some_and(|o| same(n, o))) {
            Some(i) => {
                old_left[i] = None;
            }
            None => only_new.push(n.clone()),
        }
    }
    let only_old = old_left.into_iter().flatten().cloned().collect();
    (only_new, only_old, changed)
}

fn compare_indexes_and_uniques(ctx: &mut Ctx<'_>, new: &Table, old: &Table) {
    let d = ctx.dialect;
    let collect = |t: &Table| -> Vec<Keyed> {
        t.indexes
            .iter()
            .cloned()
            .map(Keyed::Index)
            .chain(t.unique.iter().cloned().map(Keyed::Unique))
            .collect()
    };
    let (added, removed, changed) = match_items(
        &collect(new),
        &collect(old),
        |k| k.name().to_string(),
        |a, b| a.same(b, d),
    );
    let table = new.name.clone();
    for k in removed {
        ctx.push(Phase::DropConstraints, vec![k.drop(&table)]);
    }
    for (n, o) in changed {
        ctx.push(Phase::DropConstraints, vec![o.drop(&table)]);
        ctx.push(Phase::CreateConstraints, vec![n.create(&table)]);
    }
    for k in added {
        ctx.push(Phase::CreateConstraints, vec![k.create(&table)]);
    }
}

fn action(a: Option<FkAction>, dialect: Dialect) -> FkAction {
    dialect
        .backend()
        .reported_fk_action(a.unwrap_or(FkAction::NoAction))
}

fn compare_foreign_keys(ctx: &mut Ctx<'_>, new: &Table, old: &Table) {
    let d = ctx.dialect;
    let same = |a: &ForeignKey, b: &ForeignKey| {
        a.columns == b.columns
            && a.referred_table == b.referred_table
            && a.referred_columns == b.referred_columns
            && action(a.on_delete, d) == action(b.on_delete, d)
            && action(a.on_update, d) == action(b.on_update, d)
            && d.backend().comparable_deferral(a) == d.backend().comparable_deferral(b)
    };
    let (added, removed, changed) = match_items(
        &new.foreign_keys,
        &old.foreign_keys,
        |f| f.name.clone(),
        same,
    );
    let table = new.name.clone();
    let create = |fk: &ForeignKey| Operation::CreateForeignKey {
        table: table.clone(),
        foreign_key: fk.clone(),
        not_valid: false,
    };
    for fk in removed {
        ctx.push(Phase::DropForeignKeys, vec![drop_foreign_key(&table, &fk)]);
    }
    for (n, o) in changed {
        ctx.push(Phase::DropForeignKeys, vec![drop_foreign_key(&table, &o)]);
        ctx.push(Phase::CreateForeignKeys, vec![create(&n)]);
    }
    for fk in added {
        ctx.push(Phase::CreateForeignKeys, vec![create(&fk)]);
    }
}

/// Checks are matched by name; an unnamed match is made on the expression. A changed
/// expression under the same name is not reported: backends rewrite check
/// expressions too freely to tell an edit from their own rewording.
fn compare_checks(ctx: &mut Ctx<'_>, new: &Table, old: &Table) {
    let (added, removed, _) = match_items(
        &new.checks,
        &old.checks,
        |c| c.name.clone(),
        |a: &CheckConstraint, b| {
            canonical_predicate(&a.expr) == canonical_predicate(&b.expr) || a.name == b.name
        },
    );
    let table = new.name.clone();
    for c in removed {
        ctx.push(
            Phase::DropConstraints,
            vec![Operation::DropConstraint {
                name: c.name.clone(),
                table: table.clone(),
                kind: ConstraintKind::Check,
                existing: Some(ConstraintDefinition::Check(c.expr.clone())),
            }],
        );
    }
    for c in added {
        ctx.push(
            Phase::CreateConstraints,
            vec![Operation::CreateCheckConstraint {
                table: table.clone(),
                check: c.clone(),
                not_valid: false,
            }],
        );
    }
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "compare_enum_tests.rs"]
mod enum_tests;

#[cfg(test)]
#[path = "compare_collation_tests.rs"]
mod collation_tests;
