//! Project-wide checks for `retort validate`: mistakes that each file's loader cannot
//! see alone and that would otherwise fail (or be silently mangled) at run time —
//! identifiers longer than the backend keeps, enums that no revision creates, and
//! configured directories and names that cannot work.

use std::collections::HashSet;
use std::path::Path;

use crate::config::Config;
use crate::dialect::Dialect;
use crate::project::Project;
use crate::schema::{ColumnType, Identifier};
use crate::script::graph::Direction;
use crate::script::{RevisionBody, RevisionFile};
use crate::yaml::{Diagnostics, Node, NodeValue, Span};

/// What the checks found: errors make `validate` fail, warnings do not.
#[derive(Debug, Default)]
pub struct Findings {
    /// Problems that will fail or mangle a run.
    pub errors: Diagnostics,
    /// Problems that only matter on another backend.
    pub warnings: Diagnostics,
}

/// Checks every identifier's length. With a backend that limits lengths, a longer
/// identifier is an error naming the limit; otherwise (SQLite, or an unknown backend)
/// it is a warning naming the limits of the backends that have one.
pub fn check_identifier_lengths(
    identifiers: &[Identifier],
    dialect: Option<Dialect>,
    findings: &mut Findings,
) {
    let limited = |d: &Dialect| d.backend().max_identifier_length().is_some();
    for whole in identifiers {
        // A qualified table name is two identifiers, each within the limit on its own.
        let parts: Vec<Identifier> = if names_a_table(whole) {
            whole
                .name
                .split('.')
                .map(|part| Identifier {
                    name: part.to_string(),
                    ..whole.clone()
                })
                .collect()
        } else {
            vec![whole.clone()]
        };
        for id in &parts {
            check_identifier_length(id, dialect.filter(limited).map(Dialect::backend), findings);
        }
    }
}

/// True when `id` names a table (in `schema.yaml` or a revision file), which may be
/// qualified `schema.table`.
fn names_a_table(id: &Identifier) -> bool {
    id.what == "table"
        || [
            "`table` of ",
            "`referred_table` of ",
            "`references` of ",
            "`name` of `create_table`",
            "`name` of `drop_table`",
            "`name` of `rename_table`",
            "`new_name` of `rename_table`",
        ]
        .iter()
        .any(|p| id.what.starts_with(p))
}

/// Rejects schema-qualified table names (`audit.events`) on a backend without schemas
/// inside a database (MySQL/MariaDB, SQLite), and anywhere a table name with more than
/// one dot or an empty part, naming where each was written and the fix.
pub fn check_qualified_names(
    identifiers: &[Identifier],
    dialect: Option<Dialect>,
    errors: &mut Diagnostics,
) {
    let backend = dialect.map(Dialect::backend);
    for id in identifiers.iter().filter(|id| names_a_table(id)) {
        if let Some(problem) = crate::schema::qualified_name_problem(&id.name) {
            errors.push(&id.file, id.span, format!("{}: {problem}", id.what));
            continue;
        }
        let Some(backend) = backend.filter(|b| !b.has_session_schema()) else {
            continue;
        };
        let (Some(schema), table) = crate::schema::split_table_name(&id.name) else {
            continue;
        };
        errors.push(
            &id.file,
            id.span,
            format!(
                "{} `{}` is schema-qualified, but {} has no schemas inside a database; write `{table}` without `{schema}.` (schema-qualified tables work on PostgreSQL only)",
                id.what,
                id.name,
                backend.display_name()
            ),
        );
    }
}

fn check_identifier_length(
    id: &Identifier,
    backend: Option<&'static dyn crate::backend::Backend>,
    findings: &mut Findings,
) {
    let limited = |d: &Dialect| d.backend().max_identifier_length().is_some();
    match backend {
        Some(b) => {
            let (len, max) = (
                b.identifier_length(&id.name),
                b.max_identifier_length().unwrap_or(usize::MAX),
            );
            if len > max {
                findings.errors.push(
                    &id.file,
                    id.span,
                    format!(
                        "{} `{}` is too long ({len}): {}; shorten it",
                        id.what,
                        id.name,
                        b.identifier_limit_text()
                    ),
                );
            }
        }
        None => {
            let over: Vec<String> = Dialect::ALL
                .iter()
                .filter(|d| limited(d))
                .map(|d| d.backend())
                .filter(|b| b.identifier_length(&id.name) > b.max_identifier_length().unwrap_or(0))
                .map(|b| b.identifier_limit_text())
                .collect();
            if !over.is_empty() {
                findings.warnings.push(
                        &id.file,
                        id.span,
                        format!(
                            "warning: {} `{}` is {} characters long: {} (fine here, but it would fail or be truncated there)",
                            id.what,
                            id.name,
                            id.name.chars().count(),
                            over.join(" and ")
                        ),
                    );
            }
        }
    }
}

/// Refuses standalone sequences (declared under `sequences:`, or created or dropped by
/// `create_sequence` / `drop_sequence`) on a backend that has none, naming where each
/// was written and what to do instead.
pub fn check_sequences(
    identifiers: &[Identifier],
    dialect: Option<Dialect>,
    errors: &mut Diagnostics,
) {
    let Some(backend) = dialect.map(Dialect::backend) else {
        return;
    };
    if backend.has_sequences() {
        return;
    }
    let is_sequence = |id: &&Identifier| {
        id.what == "sequence"
            || id.what == "`name` of `create_sequence`"
            || id.what == "`name` of `drop_sequence`"
    };
    for id in identifiers.iter().filter(is_sequence) {
        errors.push(
            &id.file,
            id.span,
            format!(
                "{} `{}`: {} has no standalone sequences (they are PostgreSQL only); remove it, or use an autoincrement column",
                id.what,
                id.name,
                backend.display_name()
            ),
        );
    }
}

/// The names in YAML revision files that become identifiers: tables, columns, indexes,
/// constraints and enums, with where they were written.
pub fn revision_identifiers(files: &[RevisionFile]) -> Vec<Identifier> {
    let mut out = Vec::new();
    for file in files {
        file_identifiers(file, &file.body, &mut out);
    }
    out
}

fn file_identifiers(file: &RevisionFile, body: &RevisionBody, out: &mut Vec<Identifier>) {
    for_each_operation(body, |op, node| {
        collect_identifiers(&file.path, op, node, out);
    });
}

fn collect_identifiers(file: &Path, op: &str, node: &Node, out: &mut Vec<Identifier>) {
    let Some(map) = node.as_map() else { return };
    for (k, v) in map {
        let Some(key) = k.as_str() else { continue };
        let push = |out: &mut Vec<Identifier>, name: &str, span: Span, what: String| {
            out.push(Identifier {
                name: name.to_string(),
                what,
                file: file.to_path_buf(),
                span,
                scope: None,
            })
        };
        match key {
            "name" | "new_name" | "table" | "referred_table" => {
                if let Some(s) = v.as_str() {
                    push(out, s, v.span, format!("`{key}` of `{op}`"));
                }
            }
            "columns" | "referred_columns" => match &v.value {
                NodeValue::Map(cols) => {
                    for (c, body) in cols {
                        if let Some(s) = c.as_str() {
                            push(out, s, c.span, format!("column in `{op}`"));
                        }
                        collect_identifiers(file, op, body, out);
                    }
                }
                NodeValue::Seq(items) => {
                    for item in items {
                        if let Some(s) = item.as_str() {
                            push(out, s, item.span, format!("column in `{op}`"));
                        }
                    }
                }
                NodeValue::Scalar { text, .. } => {
                    push(out, text, v.span, format!("column in `{op}`"));
                }
                NodeValue::Null => {}
            },
            "indexes" | "unique" | "foreign_keys" | "checks" | "primary_key" | "references"
            | "foreign_key" => match &v.value {
                NodeValue::Seq(items) => {
                    for item in items {
                        collect_identifiers(file, op, item, out);
                    }
                }
                NodeValue::Map(_) => collect_identifiers(file, op, v, out),
                NodeValue::Scalar { text, .. } if key != "primary_key" => {
                    // `references: TABLE.COLUMN` (the table may be `schema.table`).
                    if let Some((table, _)) = text.rsplit_once('.') {
                        push(out, table, v.span, format!("`references` of `{op}`"));
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

/// Reports `enum(NAME)` column types in YAML revision files whose enum is neither
/// declared in `schema.yaml` (`schema_enums`) nor created by any revision's `create_enum`.
pub fn check_revision_enums(
    files: &[RevisionFile],
    schema_enums: &[String],
    errors: &mut Diagnostics,
) {
    let mut known: HashSet<String> = schema_enums.iter().cloned().collect();
    for file in files {
        for_each_operation(&file.body, |op, body| {
            if op == "create_enum" {
                if let Some(name) = body.get("name").and_then(Node::as_str) {
                    known.insert(name.trim().to_string());
                }
            }
        });
    }
    for file in files {
        for_each_operation(&file.body, |op, body| {
            let mut refs = Vec::new();
            collect_enum_refs(body, &mut refs);
            for (name, span) in refs {
                if !known.contains(&name) {
                    errors.push(
                        &file.path,
                        span,
                        format!(
                            "`{op}` uses enum `{name}`, but no revision creates it (`create_enum`) and schema.yaml does not declare it; add `- create_enum: {{name: {name}, values: [...]}}` to this or an earlier revision"
                        ),
                    );
                }
            }
        });
    }
}

fn collect_enum_refs(node: &Node, out: &mut Vec<(String, Span)>) {
    match &node.value {
        NodeValue::Map(entries) => {
            for (k, v) in entries {
                match k.as_str() {
                    Some("type" | "existing_type") => {
                        if let Some(Ok(ColumnType::Enum(name))) = v.as_str().map(ColumnType::parse)
                        {
                            out.push((name, v.span));
                        }
                    }
                    Some("rows" | "values") => {}
                    _ => collect_enum_refs(v, out),
                }
            }
        }
        NodeValue::Seq(items) => {
            for item in items {
                collect_enum_refs(item, out);
            }
        }
        _ => {}
    }
}

/// Calls `f(operation, body)` for every operation of a YAML revision body, both directions.
fn for_each_operation(body: &RevisionBody, mut f: impl FnMut(&str, &Node)) {
    let RevisionBody::Yaml { upgrade, downgrade } = body else {
        return;
    };
    for list in [upgrade, downgrade] {
        for item in list.as_seq().unwrap_or(&[]) {
            if let Some([(k, body)]) = item.as_map() {
                if let Some(op) = k.as_str() {
                    f(op, body);
                }
            }
        }
    }
}

/// Index and constraint names used in two tables, where the backend keeps names of
/// that kind unique across the database (PostgreSQL indexes, InnoDB foreign keys); per
/// table they are checked when the schema loads. Without a backend nothing is checked.
pub fn check_name_scopes(
    identifiers: &[Identifier],
    dialect: Option<Dialect>,
    findings: &mut Findings,
) {
    let Some(backend) = dialect.map(Dialect::backend) else {
        return;
    };
    // Schema-wide names are per PostgreSQL schema: key them by the table's schema too.
    let mut first: std::collections::HashMap<(Option<&str>, &str), (&Identifier, &str)> =
        Default::default();
    for id in identifiers {
        let Some((kind, table)) = &id.scope else {
            continue;
        };
        if !backend.schema_wide_name(*kind) {
            continue;
        }
        let key = (crate::schema::split_table_name(table).0, id.name.as_str());
        match first.get(&key) {
            Some((other, other_table)) if other_table != table => findings.errors.push(
                &id.file,
                id.span,
                format!(
                    "{} name `{}` of table `{table}` is also used in table `{other_table}` (at {}:{}:{}); {} keeps {} names unique across the database: rename one",
                    kind.as_str(),
                    id.name,
                    other.file.display(),
                    other.span.line,
                    other.span.col,
                    backend.display_name(),
                    kind.as_str()
                ),
            ),
            Some(_) => {}
            None => {
                first.insert(key, (id, table));
            }
        }
    }
}

/// What must hold before a run touches the database, for the revision `files` it
/// runs: their YAML operations parse in both directions (a broken downgrade is found
/// before the upgrade, as Alembic finds a broken script before running any), and, when
/// the backend is known, every identifier in them fits the backend. Only these files'
/// operations are read (a header-only load reads no others).
pub fn check_before_run(
    project: &Project,
    dialect: Option<Dialect>,
    files: &[&RevisionFile],
) -> Diagnostics {
    let mut errors = Diagnostics::default();
    let mut identifiers = Vec::new();
    project.parse_ahead(files);
    for file in files {
        if file.is_sql() {
            continue;
        }
        for direction in [Direction::Up, Direction::Down] {
            let parsed = project.parsed_operations(file, direction);
            errors.0.extend(parsed.mistakes.0.iter().cloned());
        }
        if let Ok(body) = project.body(file) {
            file_identifiers(file, &body, &mut identifiers);
        }
    }
    errors.0.dedup();
    let mut findings = Findings::default();
    check_identifier_lengths(&identifiers, dialect, &mut findings);
    check_qualified_names(&identifiers, dialect, &mut errors);
    check_sequences(&identifiers, dialect, &mut errors);
    errors.0.extend(findings.errors.0);
    errors.sort();
    errors
}

/// Checks the configuration against the file system and the backend: every `versions`
/// directory must exist, and the version table's name must fit the backend.
pub fn check_config(config: &Config, dialect: Option<Dialect>, findings: &mut Findings) {
    let file = config
        .file
        .clone()
        .unwrap_or_else(|| config.dir.join("retort.yaml"));
    let at = |key: &str| config.span_of(key).unwrap_or(Span { line: 1, col: 1 });
    let configured = config.span_of("versions").is_some();
    for dir in &config.versions {
        if dir.is_dir() {
            continue;
        }
        let what = if dir.exists() {
            "is not a directory"
        } else {
            "does not exist"
        };
        if configured {
            findings.errors.push(
                &file,
                at("versions"),
                format!(
                    "versions directory {} (from `versions:`) {what}, so no revision would be found; create it (`mkdir -p {}`) or point `versions:` at your revisions",
                    dir.display(),
                    dir.display()
                ),
            );
        } else {
            findings.warnings.push(
                &file,
                at("versions"),
                format!(
                    "warning: versions directory {} (the default) {what}; `retort revision` will create it",
                    dir.display()
                ),
            );
        }
    }
    check_identifier_lengths(
        &[Identifier {
            name: config.version_table.clone(),
            what: "`version_table`".into(),
            file: file.clone(),
            span: at("version_table"),
            scope: None,
        }],
        dialect,
        findings,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Diagnostics;

    fn revision(text: &str) -> RevisionFile {
        let mut d = Diagnostics::default();
        crate::script::parse_revision_text(Path::new("v/r.yaml"), text, &mut d)
            .unwrap_or_else(|| panic!("{d}"))
    }

    #[test]
    fn long_identifiers_are_errors_where_the_backend_limits_them() {
        let long = "t".repeat(64);
        let file = revision(&format!(
            "revision: r\ndown_revision: null\nupgrade:\n  - create_table: {{name: {long}, columns: {{id: integer}}}}\ndowngrade: []\n"
        ));
        let ids = revision_identifiers(&[file]);
        let mut pg = Findings::default();
        check_identifier_lengths(&ids, Some(Dialect::Postgres), &mut pg);
        let s = pg.errors.to_string();
        assert!(s.contains("v/r.yaml:4:26:"), "{s}");
        assert!(s.contains("PostgreSQL allows at most 63 bytes"), "{s}");
        let mut my = Findings::default();
        check_identifier_lengths(&ids, Some(Dialect::MySql), &mut my);
        assert!(
            my.errors.is_empty(),
            "64 characters fit MySQL: {}",
            my.errors
        );
        let mut lite = Findings::default();
        check_identifier_lengths(&ids, Some(Dialect::Sqlite), &mut lite);
        assert!(lite.errors.is_empty());
        let w = lite.warnings.to_string();
        assert!(w.contains("warning:") && w.contains("63"), "{w}");
    }

    #[test]
    fn qualified_table_names_are_checked_per_backend_and_per_part() {
        let long = "t".repeat(60);
        let file = revision(&format!(
            "revision: r\ndown_revision: null\nupgrade:\n  - create_table: {{name: audit.{long}, columns: {{id: integer}}}}\n  - add_column: {{table: users, name: e, type: integer, foreign_key: audit.events.id}}\n  - drop_table: {{name: a.b.c}}\ndowngrade: []\n"
        ));
        let ids = revision_identifiers(&[file]);
        let mut pg = Findings::default();
        check_identifier_lengths(&ids, Some(Dialect::Postgres), &mut pg);
        assert!(pg.errors.is_empty(), "each part fits: {}", pg.errors);
        let mut errors = Diagnostics::default();
        check_qualified_names(&ids, Some(Dialect::Postgres), &mut errors);
        let s = errors.to_string();
        assert_eq!(errors.0.len(), 1, "{s}");
        assert!(s.contains("v/r.yaml:6:") && s.contains("2 dots"), "{s}");
        for d in [Dialect::Sqlite, Dialect::MySql] {
            let mut errors = Diagnostics::default();
            check_qualified_names(&ids, Some(d), &mut errors);
            let s = errors.to_string();
            assert_eq!(errors.0.len(), 3, "{s}");
            assert!(
                s.contains("v/r.yaml:4:") && s.contains("schema-qualified"),
                "{s}"
            );
            assert!(
                s.contains("v/r.yaml:5:") && s.contains("without `audit.`"),
                "{s}"
            );
            assert!(s.contains(d.backend().display_name()), "{s}");
        }
    }

    #[test]
    fn enums_must_be_created_somewhere() {
        let a = revision("revision: a\ndown_revision: null\nupgrade:\n  - create_enum: {name: mood, values: [x]}\ndowngrade: []\n");
        let b = revision("revision: b\ndown_revision: a\nupgrade:\n  - add_column: {table: t, name: c, type: enum(mood)}\n  - add_column: {table: t, name: d, type: enum(feel)}\ndowngrade: []\n");
        let mut errors = Diagnostics::default();
        check_revision_enums(&[a, b], &[], &mut errors);
        let s = errors.to_string();
        assert_eq!(errors.0.len(), 1, "{s}");
        assert!(
            s.contains("v/r.yaml:5:") && s.contains("enum `feel`"),
            "{s}"
        );
    }

    #[test]
    fn index_and_constraint_names_are_scoped_as_each_backend_scopes_them() {
        let text = "tables:\n  a:\n    columns: {x: integer, y: integer}\n    indexes: [{name: ix_x, columns: [x]}]\n    checks: [{name: positive, expr: x > 0}]\n    foreign_keys: [{name: fk_y, columns: [y], references: {table: a, columns: [x]}}]\n  b:\n    columns: {x: integer, y: integer}\n    indexes: [{name: ix_x, columns: [x]}]\n    checks: [{name: positive, expr: x > 0}]\n    foreign_keys: [{name: fk_y, columns: [y], references: {table: a, columns: [x]}}]\n";
        let dir = std::env::temp_dir().join(format!("retort-scopes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("schema.yaml");
        std::fs::write(&path, text).unwrap();
        let (_, source) = crate::schema::load_schema(&path, &Default::default())
            .expect("loads: names are per table");
        std::fs::remove_dir_all(&dir).ok();
        let found = |d: Dialect| {
            let mut f = Findings::default();
            check_name_scopes(&source.identifiers, Some(d), &mut f);
            f.errors.to_string()
        };
        let (pg, my, lite) = (
            found(Dialect::Postgres),
            found(Dialect::MySql),
            found(Dialect::Sqlite),
        );
        assert!(
            pg.contains("index name `ix_x` of table `b` is also used in table `a`"),
            "{pg}"
        );
        assert!(!pg.contains("positive") && !pg.contains("fk_y"), "{pg}");
        assert!(
            my.contains("foreign key name `fk_y`") && !my.contains("ix_x"),
            "{my}"
        );
        assert!(lite.contains("ix_x") && !lite.contains("fk_y"), "{lite}");
    }
}
