//! Loading `schema.yaml` (a file, or a directory of `*.yaml` files merged) into the
//! schema model, reporting every mistake at once with file:line:col.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::naming::NamingConvention;
use super::types::{is_identifier, ColumnType};
use super::{
    autoincrement_auto, CheckConstraint, Column, EnumType, FkAction, ForeignKey, Index, PrimaryKey,
    Schema, Table, UniqueConstraint,
};
use crate::yaml::{closest, parse_file, Diagnostics, Node, NodeValue, Span};

const TABLE_KEYS: &[&str] = &[
    "columns",
    "primary_key",
    "indexes",
    "unique",
    "foreign_keys",
    "checks",
    "comment",
    "renamed_from",
];
const COLUMN_KEYS: &[&str] = &[
    "type",
    "nullable",
    "primary_key",
    "autoincrement",
    "unique",
    "index",
    "server_default",
    "comment",
    "foreign_key",
    "renamed_from",
];

/// Where a schema comes from: the files read, for messages.
#[derive(Debug, Clone, Default)]
pub struct SchemaSource {
    /// The YAML files that were merged, in order.
    pub files: Vec<PathBuf>,
}

/// Loads a schema file, or every `*.yaml`/`*.yml` file of a directory (in name order),
/// merged into one schema. Reports every problem found, each with file:line:col.
pub fn load_schema(
    path: &Path,
    naming: &NamingConvention,
) -> Result<(Schema, SchemaSource), Diagnostics> {
    let mut diags = Diagnostics::default();
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && matches!(
                            p.extension().and_then(|e| e.to_str()),
                            Some("yaml") | Some("yml")
                        )
                })
                .collect(),
            Err(e) => {
                diags.push(path, Span::default(), format!("cannot read directory: {e}"));
                return Err(diags);
            }
        };
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut loader = SchemaLoader::new(naming);
    for file in &files {
        match std::fs::read_to_string(file) {
            Ok(text) => loader.add_text(file, &text, &mut diags),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => diags.push(
                file,
                Span { line: 1, col: 1 },
                "schema file not found; create it (`retort init` writes an example) or point `schema:` in retort.yaml at yours",
            ),
            Err(e) => diags.push(
                file,
                Span { line: 1, col: 1 },
                format!("cannot read schema file: {e}"),
            ),
        }
    }
    let schema = loader.finish(&mut diags);
    if diags.is_empty() {
        Ok((schema, SchemaSource { files }))
    } else {
        diags.sort();
        Err(diags)
    }
}

/// Parses one schema document from text (`file` is used in messages).
pub fn parse_schema_text(
    file: &Path,
    text: &str,
    naming: &NamingConvention,
) -> Result<Schema, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut loader = SchemaLoader::new(naming);
    loader.add_text(file, text, &mut diags);
    let schema = loader.finish(&mut diags);
    if diags.is_empty() {
        Ok(schema)
    } else {
        diags.sort();
        Err(diags)
    }
}

/// Parses one table body (the `schema.yaml` table format), checking it on its own.
/// `extra_keys` are further keys the caller handles (e.g. `name` in `create_table`).
pub fn table_from_node(
    file: &Path,
    name: &str,
    node: &Node,
    naming: &NamingConvention,
    extra_keys: &[&str],
    diags: &mut Diagnostics,
) -> Table {
    let mut ctx = Ctx { file, diags };
    let draft = parse_table(&mut ctx, name, node, naming, extra_keys);
    draft.table
}

struct Ctx<'a> {
    file: &'a Path,
    diags: &'a mut Diagnostics,
}

impl Ctx<'_> {
    fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(self.file, span, msg);
    }

    fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Node, Node)]> {
        match &node.value {
            NodeValue::Map(m) => {
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for (k, _) in m {
                    if let Some(key) = k.as_str() {
                        if let Some(first) = seen.insert(key, k.span) {
                            self.err(
                                k.span,
                                format!(
                                    "duplicate key `{key}` in {what} (first at line {})",
                                    first.line
                                ),
                            );
                        }
                    }
                }
                Some(m)
            }
            _ => {
                self.err(
                    node.span,
                    format!("{what} must be a mapping, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    fn check_keys(&mut self, map: &[(Node, Node)], allowed: &[&str], what: &str) {
        for (k, _) in map {
            match k.as_str() {
                Some(key) if allowed.contains(&key) => {}
                Some(key) => {
                    let hint = closest(key, allowed)
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    self.err(
                        k.span,
                        format!(
                            "unknown key `{key}` in {what}{hint}; expected one of: {}",
                            allowed.join(", ")
                        ),
                    )
                }
                None => self.err(k.span, format!("keys in {what} must be names")),
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

    fn opt_string(&mut self, node: Option<&Node>, what: &str) -> Option<String> {
        match node {
            None => None,
            Some(n) if n.is_null() => None,
            Some(n) => self.string(n, what),
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.as_bool() {
            Some(b) => Some(b),
            None => {
                self.err(node.span, format!("{what} must be true or false"));
                None
            }
        }
    }

    /// A list of names; a single scalar counts as a one-item list.
    fn names(&mut self, node: &Node, what: &str) -> Vec<(String, Span)> {
        match &node.value {
            NodeValue::Scalar { text, .. } => vec![(text.clone(), node.span)],
            NodeValue::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    if let Some(s) = self.string(item, what) {
                        out.push((s, item.span));
                    }
                }
                if out.is_empty() && items.is_empty() {
                    self.err(node.span, format!("{what} must name at least one column"));
                }
                out
            }
            _ => {
                self.err(
                    node.span,
                    format!("{what} must be a list of names, found {}", node.kind_name()),
                );
                Vec::new()
            }
        }
    }

    fn action(&mut self, node: Option<&Node>, what: &str) -> Option<FkAction> {
        let node = node.filter(|n| !n.is_null())?;
        let s = self.string(node, what)?;
        match FkAction::parse(&s) {
            Some(a) => Some(a),
            None => {
                self.err(
                    node.span,
                    format!(
                        "{what} `{s}` is not an action; use cascade, restrict, set null, set default or no action"
                    ),
                );
                None
            }
        }
    }
}

/// A parsed table plus the source positions needed for cross-table checks.
struct TableDraft {
    table: Table,
    span: Span,
    file: PathBuf,
    /// Position of each foreign key, parallel to `table.foreign_keys`.
    fk_spans: Vec<Span>,
    /// Enum names used by column types, with positions.
    enum_refs: Vec<(String, Span)>,
    /// Every generated or given index/constraint name, with its position.
    names: Vec<(String, Span)>,
}

struct SchemaLoader<'a> {
    naming: &'a NamingConvention,
    enums: Vec<(EnumType, PathBuf, Span)>,
    tables: Vec<TableDraft>,
}

impl<'a> SchemaLoader<'a> {
    fn new(naming: &'a NamingConvention) -> Self {
        SchemaLoader {
            naming,
            enums: Vec::new(),
            tables: Vec::new(),
        }
    }

    fn add_text(&mut self, file: &Path, text: &str, diags: &mut Diagnostics) {
        let root = match parse_file(file, text) {
            Ok(root) => root,
            Err(d) => {
                diags.0.push(d);
                return;
            }
        };
        if root.is_null() {
            return;
        }
        let mut ctx = Ctx { file, diags };
        let Some(top) = ctx.map(&root, "the schema file") else {
            return;
        };
        ctx.check_keys(top, &["enums", "tables"], "the schema file");
        if let Some(enums) = root.get("enums").filter(|n| !n.is_null()) {
            if let Some(entries) = ctx.map(enums, "`enums`") {
                for (k, v) in entries {
                    let Some(name) = ctx.string(k, "an enum name") else {
                        continue;
                    };
                    if !is_identifier(&name) {
                        ctx.err(
                            k.span,
                            format!("enum name `{name}` must be a plain identifier"),
                        );
                    }
                    let values = if v.as_seq().is_some_and(<[Node]>::is_empty) {
                        ctx.err(
                            v.span,
                            format!("enum `{name}` must list at least one value"),
                        );
                        Vec::new()
                    } else {
                        ctx.names(v, &format!("values of enum `{name}`"))
                    };
                    let mut seen = HashSet::new();
                    for (value, span) in &values {
                        if !seen.insert(value.clone()) {
                            ctx.err(*span, format!("duplicate value `{value}` in enum `{name}`"));
                        }
                    }
                    if let Some((_, file, first)) =
                        self.enums.iter().find(|(e, _, _)| e.name == name)
                    {
                        let msg = format!(
                            "enum `{name}` is declared twice (first at {}:{}:{})",
                            file.display(),
                            first.line,
                            first.col
                        );
                        ctx.err(k.span, msg);
                        continue;
                    }
                    self.enums.push((
                        EnumType {
                            name,
                            values: values.into_iter().map(|(v, _)| v).collect(),
                        },
                        file.to_path_buf(),
                        k.span,
                    ));
                }
            }
        }
        if let Some(tables) = root.get("tables").filter(|n| !n.is_null()) {
            if let Some(entries) = ctx.map(tables, "`tables`") {
                for (k, v) in entries {
                    let Some(name) = ctx.string(k, "a table name") else {
                        continue;
                    };
                    if let Some(first) = self.tables.iter().find(|t| t.table.name == name) {
                        let msg = format!(
                            "table `{name}` is defined twice (first at {}:{}:{})",
                            first.file.display(),
                            first.span.line,
                            first.span.col
                        );
                        ctx.err(k.span, msg);
                        continue;
                    }
                    let mut draft = parse_table(&mut ctx, &name, v, self.naming, &[]);
                    draft.span = k.span;
                    self.tables.push(draft);
                }
            }
        }
    }

    /// Cross-table checks, then the finished schema.
    fn finish(self, diags: &mut Diagnostics) -> Schema {
        let enum_names: HashSet<&str> =
            self.enums.iter().map(|(e, _, _)| e.name.as_str()).collect();
        let mut all_names: HashMap<String, (PathBuf, Span)> = HashMap::new();
        for draft in &self.tables {
            for (name, span) in &draft.enum_refs {
                if !enum_names.contains(name.as_str()) {
                    let mut known: Vec<&str> = enum_names.iter().copied().collect();
                    known.sort();
                    diags.push(
                        &draft.file,
                        *span,
                        format!(
                            "unknown enum `{name}` in table `{}`; declare it under `enums:`{}",
                            draft.table.name,
                            if known.is_empty() {
                                String::new()
                            } else {
                                format!(" (declared: {})", known.join(", "))
                            }
                        ),
                    );
                }
            }
            for (fk, span) in draft.table.foreign_keys.iter().zip(&draft.fk_spans) {
                let Some(target) = self
                    .tables
                    .iter()
                    .find(|t| t.table.name == fk.referred_table)
                else {
                    diags.push(
                        &draft.file,
                        *span,
                        format!(
                            "foreign key `{}` on table `{}` refers to table `{}`, which is not declared",
                            fk.name, draft.table.name, fk.referred_table
                        ),
                    );
                    continue;
                };
                for col in &fk.referred_columns {
                    if target.table.column(col).is_none() {
                        diags.push(
                            &draft.file,
                            *span,
                            format!(
                                "foreign key `{}` on table `{}` refers to column `{}.{col}`, which is not declared",
                                fk.name, draft.table.name, fk.referred_table
                            ),
                        );
                    }
                }
            }
            for (name, span) in &draft.names {
                if let Some((file, first)) = all_names.get(name) {
                    diags.push(
                        &draft.file,
                        *span,
                        format!(
                            "duplicate index or constraint name `{name}` (also at {}:{}:{}); names must be unique across the schema",
                            file.display(),
                            first.line,
                            first.col
                        ),
                    );
                } else {
                    all_names.insert(name.clone(), (draft.file.clone(), *span));
                }
            }
        }
        Schema {
            enums: self.enums.into_iter().map(|(e, _, _)| e).collect(),
            tables: self.tables.into_iter().map(|d| d.table).collect(),
        }
    }
}

fn parse_table(
    ctx: &mut Ctx<'_>,
    name: &str,
    node: &Node,
    naming: &NamingConvention,
    extra_keys: &[&str],
) -> TableDraft {
    let mut draft = TableDraft {
        table: Table {
            name: name.to_string(),
            ..Table::default()
        },
        span: node.span,
        file: ctx.file.to_path_buf(),
        fk_spans: Vec::new(),
        enum_refs: Vec::new(),
        names: Vec::new(),
    };
    let what = format!("table `{name}`");
    let Some(map) = ctx.map(node, &what) else {
        return draft;
    };
    let allowed: Vec<&str> = TABLE_KEYS.iter().chain(extra_keys).copied().collect();
    ctx.check_keys(map, &allowed, &what);
    let table = &mut draft.table;
    table.comment = ctx.opt_string(node.get("comment"), "a table comment");
    table.renamed_from = ctx.opt_string(node.get("renamed_from"), "`renamed_from`");

    // Columns, and the column-level shorthands collected for table-level handling.
    let mut pk_columns: Vec<(String, Span)> = Vec::new();
    let mut explicit_nullable: HashMap<String, (bool, Span)> = HashMap::new();
    let mut col_unique: Vec<(String, bool, Span)> = Vec::new(); // (column, also indexed)
    let mut col_index: Vec<(String, Span)> = Vec::new();
    let mut col_fks: Vec<(ForeignKey, Span, Option<String>)> = Vec::new();
    let mut explicit_autoincrement: HashSet<String> = HashSet::new();
    match node.get("columns") {
        None => ctx.err(node.span, format!("{what} has no `columns`")),
        Some(cols) => {
            if let Some(entries) = ctx.map(cols, &format!("columns of {what}")) {
                if entries.is_empty() {
                    ctx.err(cols.span, format!("{what} must have at least one column"));
                }
                for (k, v) in entries {
                    let Some(col_name) = ctx.string(k, "a column name") else {
                        continue;
                    };
                    if table.columns.iter().any(|c| c.name == col_name) {
                        continue; // already reported as a duplicate key
                    }
                    let cwhat = format!("column `{name}.{col_name}`");
                    let mut column = Column {
                        name: col_name.clone(),
                        nullable: true,
                        ..Column::default()
                    };
                    let type_node = match &v.value {
                        NodeValue::Scalar { .. } => Some(v),
                        NodeValue::Map(_) => {
                            let m = ctx.map(v, &cwhat).unwrap_or(&[]);
                            ctx.check_keys(m, COLUMN_KEYS, &cwhat);
                            if v.get("type").is_none() {
                                ctx.err(v.span, format!("{cwhat} has no `type`"));
                            }
                            v.get("type")
                        }
                        _ => {
                            ctx.err(
                                v.span,
                                format!(
                                    "{cwhat} must be a type or a mapping, found {}",
                                    v.kind_name()
                                ),
                            );
                            None
                        }
                    };
                    if let Some(tn) = type_node {
                        if let Some(ts) = ctx.string(tn, &format!("the type of {cwhat}")) {
                            match ColumnType::parse(&ts) {
                                Ok(t) => {
                                    if let ColumnType::Enum(e) = &t {
                                        draft.enum_refs.push((e.clone(), tn.span));
                                    }
                                    column.ty = t;
                                }
                                Err(e) => ctx.err(tn.span, format!("bad type for {cwhat}: {e}")),
                            }
                        }
                    }
                    if v.as_map().is_some() {
                        if let Some(n) = v.get("nullable").filter(|n| !n.is_null()) {
                            if let Some(b) = ctx.boolean(n, &format!("`nullable` of {cwhat}")) {
                                column.nullable = b;
                                explicit_nullable.insert(col_name.clone(), (b, n.span));
                            }
                        }
                        if let Some(n) = v.get("primary_key").filter(|n| !n.is_null()) {
                            if ctx.boolean(n, &format!("`primary_key` of {cwhat}")) == Some(true) {
                                pk_columns.push((col_name.clone(), n.span));
                            }
                        }
                        if let Some(n) = v.get("autoincrement").filter(|n| !n.is_null()) {
                            explicit_autoincrement.insert(col_name.clone());
                            column.autoincrement = ctx
                                .boolean(n, &format!("`autoincrement` of {cwhat}"))
                                == Some(true);
                            if column.autoincrement && !column.ty.is_integer() {
                                ctx.err(
                                    n.span,
                                    format!(
                                        "{cwhat}: autoincrement needs an integer type (smallint, integer, bigint), not {}",
                                        column.ty
                                    ),
                                );
                            }
                        }
                        let indexed = v
                            .get("index")
                            .filter(|n| !n.is_null())
                            .and_then(|n| ctx.boolean(n, &format!("`index` of {cwhat}")))
                            == Some(true);
                        let unique = v
                            .get("unique")
                            .filter(|n| !n.is_null())
                            .and_then(|n| ctx.boolean(n, &format!("`unique` of {cwhat}")))
                            == Some(true);
                        if unique {
                            col_unique.push((col_name.clone(), indexed, v.span));
                        } else if indexed {
                            col_index.push((col_name.clone(), v.span));
                        }
                        column.server_default = ctx.opt_string(
                            v.get("server_default"),
                            &format!("`server_default` of {cwhat}"),
                        );
                        column.comment =
                            ctx.opt_string(v.get("comment"), &format!("`comment` of {cwhat}"));
                        column.renamed_from = ctx.opt_string(
                            v.get("renamed_from"),
                            &format!("`renamed_from` of {cwhat}"),
                        );
                        if let Some(fkn) = v.get("foreign_key").filter(|n| !n.is_null()) {
                            if let Some((fk, given)) =
                                column_foreign_key(ctx, &col_name, fkn, &cwhat)
                            {
                                col_fks.push((fk, fkn.span, given));
                            }
                        }
                    }
                    table.columns.push(column);
                }
            }
        }
    }
    let has_column = |t: &Table, c: &str| t.columns.iter().any(|x| x.name == c);

    // Primary key: column-level flags and/or the table-level form; both must agree.
    let mut pk_name: Option<String> = None;
    if let Some(pkn) = node.get("primary_key").filter(|n| !n.is_null()) {
        let (given_name, cols_node) = match &pkn.value {
            NodeValue::Map(_) => {
                let m = ctx
                    .map(pkn, &format!("primary key of {what}"))
                    .unwrap_or(&[]);
                ctx.check_keys(m, &["name", "columns"], &format!("primary key of {what}"));
                (
                    ctx.opt_string(pkn.get("name"), "a primary key name"),
                    pkn.get("columns"),
                )
            }
            _ => (None, Some(pkn)),
        };
        pk_name = given_name;
        let cols = cols_node
            .map(|n| ctx.names(n, &format!("primary key of {what}")))
            .unwrap_or_default();
        if cols_node.is_none() {
            ctx.err(pkn.span, format!("primary key of {what} has no `columns`"));
        }
        if !pk_columns.is_empty() {
            let a: Vec<&String> = pk_columns.iter().map(|(c, _)| c).collect();
            let b: Vec<&String> = cols.iter().map(|(c, _)| c).collect();
            let mut sa = a.clone();
            let mut sb = b.clone();
            sa.sort();
            sb.sort();
            if sa != sb {
                ctx.err(
                    pkn.span,
                    format!(
                        "primary key of {what} lists [{}] but columns marked primary_key are [{}]",
                        b.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                        a.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
        pk_columns = cols;
    }
    for (c, span) in &pk_columns {
        if !has_column(table, c) {
            ctx.err(
                *span,
                format!("primary key of {what} names column `{c}`, which is not declared"),
            );
        }
    }
    if !pk_columns.is_empty() {
        for (c, _) in &pk_columns {
            match explicit_nullable.get(c) {
                Some((true, span)) => ctx.err(
                    *span,
                    format!("column `{name}.{c}` is in the primary key and cannot be nullable; remove `nullable: true`"),
                ),
                _ => {
                    if let Some(col) = table.columns.iter_mut().find(|x| &x.name == c) {
                        col.nullable = false;
                    }
                }
            }
        }
        let columns: Vec<String> = pk_columns.iter().map(|(c, _)| c.clone()).collect();
        let name =
            pk_name.unwrap_or_else(|| NamingConvention::apply(&naming.pk, name, &columns, "", ""));
        draft.names.push((name.clone(), node.span));
        table.primary_key = Some(PrimaryKey {
            name: Some(name),
            columns,
        });
    }
    let auto: Vec<&Column> = table.columns.iter().filter(|c| c.autoincrement).collect();
    if let Some(col) = auto.first() {
        let pk = table
            .primary_key
            .as_ref()
            .map(|p| p.columns.clone())
            .unwrap_or_default();
        if auto.len() > 1 || pk != [col.name.clone()] {
            ctx.err(
                node.span,
                format!(
                    "{what}: an autoincrement column must be the table's whole primary key (found autoincrement on {})",
                    auto.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }

    // Indexes.
    let mut indexes: Vec<(Index, Span)> = Vec::new();
    for (c, also_indexed, span) in &col_unique {
        if *also_indexed {
            let cols = vec![c.clone()];
            indexes.push((
                Index {
                    name: NamingConvention::apply(&naming.ix, name, &cols, "", ""),
                    columns: cols,
                    unique: true,
                    where_clause: None,
                },
                *span,
            ));
        }
    }
    for (c, span) in &col_index {
        let cols = vec![c.clone()];
        indexes.push((
            Index {
                name: NamingConvention::apply(&naming.ix, name, &cols, "", ""),
                columns: cols,
                unique: false,
                where_clause: None,
            },
            *span,
        ));
    }
    for item in list_items(ctx, node.get("indexes"), &format!("indexes of {what}")) {
        let iwhat = format!("an index of {what}");
        let Some(m) = ctx.map(item, &iwhat) else {
            continue;
        };
        ctx.check_keys(m, &["name", "columns", "unique", "where"], &iwhat);
        let cols = columns_of(ctx, table, item, &iwhat);
        let unique = item
            .get("unique")
            .filter(|n| !n.is_null())
            .and_then(|n| ctx.boolean(n, "`unique`"))
            .unwrap_or(false);
        let where_clause = ctx.opt_string(item.get("where"), "`where`");
        let name = ctx
            .opt_string(item.get("name"), "an index name")
            .unwrap_or_else(|| NamingConvention::apply(&naming.ix, name, &cols, "", ""));
        indexes.push((
            Index {
                name,
                columns: cols,
                unique,
                where_clause,
            },
            item.span,
        ));
    }
    for (ix, span) in indexes {
        push_unique_named(
            ctx,
            &mut table.indexes,
            ix,
            span,
            |a, b| a == b,
            &mut draft.names,
            |i| &i.name,
        );
    }

    // Unique constraints.
    let mut uniques: Vec<(UniqueConstraint, Span)> = Vec::new();
    for (c, also_indexed, span) in &col_unique {
        if !*also_indexed {
            let cols = vec![c.clone()];
            uniques.push((
                UniqueConstraint {
                    name: NamingConvention::apply(&naming.uq, name, &cols, "", ""),
                    columns: cols,
                },
                *span,
            ));
        }
    }
    for item in list_items(
        ctx,
        node.get("unique"),
        &format!("unique constraints of {what}"),
    ) {
        let uwhat = format!("a unique constraint of {what}");
        let (given, cols) = match &item.value {
            NodeValue::Map(_) => {
                let m = ctx.map(item, &uwhat).unwrap_or(&[]);
                ctx.check_keys(m, &["name", "columns"], &uwhat);
                (
                    ctx.opt_string(item.get("name"), "a constraint name"),
                    columns_of(ctx, table, item, &uwhat),
                )
            }
            _ => (None, checked_names(ctx, table, item, &uwhat)),
        };
        let name =
            given.unwrap_or_else(|| NamingConvention::apply(&naming.uq, name, &cols, "", ""));
        uniques.push((
            UniqueConstraint {
                name,
                columns: cols,
            },
            item.span,
        ));
    }
    for (uq, span) in uniques {
        push_unique_named(
            ctx,
            &mut table.unique,
            uq,
            span,
            |a, b| a == b,
            &mut draft.names,
            |u| &u.name,
        );
    }

    // Foreign keys.
    let mut fks: Vec<(ForeignKey, Span)> = Vec::new();
    for (mut fk, span, given) in col_fks {
        if !has_column(table, &fk.columns[0]) {
            continue;
        }
        fk.name = given.unwrap_or_else(|| {
            NamingConvention::apply(&naming.fk, name, &fk.columns, &fk.referred_table, "")
        });
        fks.push((fk, span));
    }
    for item in list_items(
        ctx,
        node.get("foreign_keys"),
        &format!("foreign keys of {what}"),
    ) {
        let fwhat = format!("a foreign key of {what}");
        let Some(m) = ctx.map(item, &fwhat) else {
            continue;
        };
        ctx.check_keys(
            m,
            &["name", "columns", "references", "on_delete", "on_update"],
            &fwhat,
        );
        let cols = columns_of(ctx, table, item, &fwhat);
        let (referred_table, referred_columns) = match item.get("references") {
            None => {
                ctx.err(item.span, format!("{fwhat} has no `references`"));
                continue;
            }
            Some(r) => match &r.value {
                NodeValue::Map(_) => {
                    let rm = ctx.map(r, "`references`").unwrap_or(&[]);
                    ctx.check_keys(rm, &["table", "columns"], "`references`");
                    let t = r
                        .get("table")
                        .and_then(|n| ctx.string(n, "the referred table"));
                    let c = r
                        .get("columns")
                        .map(|n| ctx.names(n, "the referred columns"))
                        .unwrap_or_default();
                    match t {
                        Some(t) if !c.is_empty() => {
                            (t, c.into_iter().map(|(c, _)| c).collect::<Vec<_>>())
                        }
                        _ => {
                            ctx.err(
                                r.span,
                                format!("{fwhat}: `references` needs `table` and `columns`"),
                            );
                            continue;
                        }
                    }
                }
                NodeValue::Scalar { text, .. } => {
                    match parse_dotted(text) {
                        Some((t, c)) => (t, vec![c]),
                        None => {
                            ctx.err(r.span, format!("{fwhat}: `references` must be TABLE.COLUMN or {{table, columns}}"));
                            continue;
                        }
                    }
                }
                _ => {
                    ctx.err(
                        r.span,
                        format!("{fwhat}: `references` must be TABLE.COLUMN or {{table, columns}}"),
                    );
                    continue;
                }
            },
        };
        if referred_columns.len() != cols.len() && !cols.is_empty() {
            ctx.err(
                item.span,
                format!(
                    "{fwhat} has {} column(s) but refers to {} column(s)",
                    cols.len(),
                    referred_columns.len()
                ),
            );
            continue;
        }
        let on_delete = ctx.action(item.get("on_delete"), "`on_delete`");
        let on_update = ctx.action(item.get("on_update"), "`on_update`");
        let name = ctx
            .opt_string(item.get("name"), "a foreign key name")
            .unwrap_or_else(|| {
                NamingConvention::apply(&naming.fk, name, &cols, &referred_table, "")
            });
        fks.push((
            ForeignKey {
                name,
                columns: cols,
                referred_table,
                referred_columns,
                on_delete,
                on_update,
            },
            item.span,
        ));
    }
    for (fk, span) in fks {
        let before = table.foreign_keys.len();
        push_unique_named(
            ctx,
            &mut table.foreign_keys,
            fk,
            span,
            |a, b| a == b,
            &mut draft.names,
            |f| &f.name,
        );
        if table.foreign_keys.len() > before {
            draft.fk_spans.push(span);
        }
    }

    // Checks.
    for item in list_items(ctx, node.get("checks"), &format!("checks of {what}")) {
        let cwhat = format!("a check of {what}");
        let (given, expr) = match &item.value {
            NodeValue::Map(_) => {
                let m = ctx.map(item, &cwhat).unwrap_or(&[]);
                ctx.check_keys(m, &["name", "expr"], &cwhat);
                let expr = match item.get("expr") {
                    Some(e) => ctx.string(e, "`expr`"),
                    None => {
                        ctx.err(item.span, format!("{cwhat} has no `expr`"));
                        None
                    }
                };
                (ctx.opt_string(item.get("name"), "a check name"), expr)
            }
            _ => (None, ctx.string(item, &cwhat)),
        };
        let Some(expr) = expr else { continue };
        let name = given.unwrap_or_else(|| {
            NamingConvention::apply(
                &naming.ck,
                name,
                &[],
                "",
                &NamingConvention::check_fragment(&expr),
            )
        });
        push_unique_named(
            ctx,
            &mut table.checks,
            CheckConstraint { name, expr },
            item.span,
            |a, b| a == b,
            &mut draft.names,
            |c| &c.name,
        );
    }

    // `autoincrement` left out means "auto" (SQLAlchemy's default): resolved now that
    // the primary key, defaults and foreign keys are known.
    let auto: Vec<String> = table
        .columns
        .iter()
        .filter(|c| !explicit_autoincrement.contains(&c.name) && autoincrement_auto(table, c))
        .map(|c| c.name.clone())
        .collect();
    for c in &mut table.columns {
        if auto.contains(&c.name) {
            c.autoincrement = true;
        }
    }
    draft
}

/// Adds `item` unless an identical one with the same name is there already; a
/// different definition under the same name is reported as a duplicate.
fn push_unique_named<T>(
    ctx: &mut Ctx<'_>,
    list: &mut Vec<T>,
    item: T,
    span: Span,
    same: impl Fn(&T, &T) -> bool,
    names: &mut Vec<(String, Span)>,
    name_of: impl Fn(&T) -> &String,
) {
    if let Some(existing) = list.iter().find(|x| name_of(x) == name_of(&item)) {
        if !same(existing, &item) {
            ctx.err(
                span,
                format!(
                    "duplicate index or constraint name `{}` with a different definition",
                    name_of(&item)
                ),
            );
        }
        return;
    }
    names.push((name_of(&item).clone(), span));
    list.push(item);
}

fn list_items<'n>(ctx: &mut Ctx<'_>, node: Option<&'n Node>, what: &str) -> Vec<&'n Node> {
    match node {
        None => Vec::new(),
        Some(n) if n.is_null() => Vec::new(),
        Some(n) => match n.as_seq() {
            Some(items) => items.iter().collect(),
            None => {
                ctx.err(
                    n.span,
                    format!("{what} must be a list, found {}", n.kind_name()),
                );
                Vec::new()
            }
        },
    }
}

/// The `columns` of an index or constraint, each checked against the table.
fn columns_of(ctx: &mut Ctx<'_>, table: &Table, item: &Node, what: &str) -> Vec<String> {
    match item.get("columns") {
        None => {
            ctx.err(item.span, format!("{what} has no `columns`"));
            Vec::new()
        }
        Some(n) => checked_names(ctx, table, n, what),
    }
}

fn checked_names(ctx: &mut Ctx<'_>, table: &Table, node: &Node, what: &str) -> Vec<String> {
    let names = ctx.names(node, &format!("the columns of {what}"));
    let mut out = Vec::new();
    for (c, span) in names {
        if table.column(&c).is_none() {
            ctx.err(
                span,
                format!(
                    "{what} names column `{c}`, which is not declared in table `{}`",
                    table.name
                ),
            );
        }
        out.push(c);
    }
    out
}

fn parse_dotted(s: &str) -> Option<(String, String)> {
    let (t, c) = s.trim().rsplit_once('.')?;
    if t.is_empty() || c.is_empty() {
        return None;
    }
    Some((t.to_string(), c.to_string()))
}

/// A column-level `foreign_key`: `TABLE.COLUMN`, or `{references: TABLE.COLUMN, on_delete, on_update, name}`.
fn column_foreign_key(
    ctx: &mut Ctx<'_>,
    column: &str,
    node: &Node,
    what: &str,
) -> Option<(ForeignKey, Option<String>)> {
    let (target, on_delete, on_update, name) = match &node.value {
        NodeValue::Scalar { text, .. } => (Some((text.clone(), node.span)), None, None, None),
        NodeValue::Map(_) => {
            let m = ctx
                .map(node, &format!("`foreign_key` of {what}"))
                .unwrap_or(&[]);
            ctx.check_keys(
                m,
                &["references", "on_delete", "on_update", "name"],
                &format!("`foreign_key` of {what}"),
            );
            let target = match node.get("references") {
                Some(r) => ctx.string(r, "`references`").map(|s| (s, r.span)),
                None => {
                    ctx.err(
                        node.span,
                        format!("`foreign_key` of {what} has no `references`"),
                    );
                    None
                }
            };
            (
                target,
                ctx.action(node.get("on_delete"), "`on_delete`"),
                ctx.action(node.get("on_update"), "`on_update`"),
                ctx.opt_string(node.get("name"), "a foreign key name"),
            )
        }
        _ => {
            ctx.err(
                node.span,
                format!("`foreign_key` of {what} must be TABLE.COLUMN or a mapping"),
            );
            return None;
        }
    };
    let (text, span) = target?;
    let Some((table, col)) = parse_dotted(&text) else {
        ctx.err(
            span,
            format!("`references` of {what} must be TABLE.COLUMN, got `{text}`"),
        );
        return None;
    };
    Some((
        ForeignKey {
            name: String::new(),
            columns: vec![column.to_string()],
            referred_table: table,
            referred_columns: vec![col],
            on_delete,
            on_update,
        },
        name,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Schema, Diagnostics> {
        parse_schema_text(Path::new("schema.yaml"), text, &NamingConvention::default())
    }

    const SPEC_EXAMPLE: &str = r#"
enums:
  script_status: [pending, running, completed, failed]
tables:
  users:
    comment: Registered users
    columns:
      id: {type: integer, primary_key: true, autoincrement: true}
      email: {type: varchar(255), nullable: false, unique: true, index: true}
      status: {type: enum(script_status), nullable: false, server_default: "'pending'"}
      created_at: {type: timestamptz, nullable: false, server_default: CURRENT_TIMESTAMP}
      bio: text
  scripts:
    columns:
      id: {type: bigint, primary_key: true, autoincrement: true}
      user_id: {type: integer, nullable: false, foreign_key: {references: users.id, on_delete: cascade}}
      file_size: {type: bigint, nullable: false}
      payload: {type: json}
    indexes:
      - {columns: [user_id, file_size]}
      - {name: ix_scripts_big, columns: [file_size], where: "file_size > 1000000"}
    unique:
      - {columns: [user_id, id]}
    foreign_keys:
      - {columns: [user_id], references: {table: users, columns: [id]}, on_delete: cascade}
    checks:
      - {name: ck_scripts_positive_file_size, expr: "file_size > 0"}
    primary_key: [id]
"#;

    #[test]
    fn spec_example_loads() {
        let s = parse(SPEC_EXAMPLE).unwrap();
        let users = s.table("users").unwrap();
        assert_eq!(users.columns.len(), 5);
        assert!(!users.column("id").unwrap().nullable);
        assert!(users.column("bio").unwrap().nullable);
        assert_eq!(users.indexes[0].name, "ix_users_email");
        assert!(users.indexes[0].unique);
        assert_eq!(
            users.primary_key.as_ref().unwrap().name.as_deref(),
            Some("pk_users")
        );
        let scripts = s.table("scripts").unwrap();
        assert_eq!(
            scripts.foreign_keys.len(),
            1,
            "identical column- and table-level FKs merge"
        );
        assert_eq!(scripts.foreign_keys[0].name, "fk_scripts_user_id_users");
        assert_eq!(scripts.indexes[0].name, "ix_scripts_user_id_file_size");
        assert_eq!(
            scripts.indexes[1].where_clause.as_deref(),
            Some("file_size > 1000000")
        );
        assert_eq!(scripts.unique[0].name, "uq_scripts_user_id_id");
        assert_eq!(scripts.checks[0].expr, "file_size > 0");
    }

    #[test]
    fn every_mistake_is_reported_with_position() {
        let text = r#"
enums:
  color: [red, green]
tables:
  a:
    colums: {}
    columns:
      id: {type: integer, primary_key: true, nullable: true}
      b: {type: varchar(x)}
      c: {type: enum(shade)}
      d: {type: integer, foreign_key: missing.id}
      e: {type: integer, foreign_key: a.nope}
    indexes:
      - {name: ix_dup, columns: [zzz]}
  b:
    columns:
      id: integer
    indexes:
      - {name: ix_dup, columns: [id]}
"#;
        let diags = parse(text).unwrap_err();
        let all = diags.to_string();
        for needle in [
            "schema.yaml:6:5: unknown key `colums`",
            "schema.yaml:8:",
            "cannot be nullable",
            "schema.yaml:9:",
            "bad type for column `a.b`",
            "schema.yaml:10:",
            "unknown enum `shade`",
            "refers to table `missing`",
            "refers to column `a.nope`",
            "names column `zzz`",
            "duplicate index or constraint name `ix_dup`",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        assert_eq!(diags.0.len(), 8, "{all}");
    }
}
