//! A small reader of SQLite `CREATE TABLE` / `CREATE INDEX` text, for what the pragmas do
//! not tell: constraint names, check expressions, whether the primary key was declared
//! on the column (the rowid alias) and with `AUTOINCREMENT`, and partial-index
//! predicates. Features the table rebuild cannot reproduce are listed as unsupported.

use crate::schema::FkAction;

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A bare word or a quoted identifier (`"x"`, `` `x` ``, `[x]`).
    Ident { quoted: bool },
    /// A `'string'`.
    Str,
    /// A number or other literal-ish run of characters.
    Other,
    /// One punctuation character.
    Punct(char),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    /// For identifiers and strings: the unquoted value; else the text.
    text: String,
    start: usize,
    end: usize,
}

impl Tok {
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.kind, Kind::Ident { quoted: false }) && self.text.eq_ignore_ascii_case(kw)
    }
    fn is_punct(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }
    fn name(&self) -> Option<String> {
        match self.kind {
            Kind::Ident { .. } | Kind::Str => Some(self.text.clone()),
            _ => None,
        }
    }
}

fn tokenize(sql: &str) -> Vec<Tok> {
    let b: Vec<(usize, char)> = sql.char_indices().collect();
    let end_of = |i: usize| b.get(i).map_or(sql.len(), |(p, _)| *p);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let (pos, c) = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && b.get(i + 1).is_some_and(|x| x.1 == '-') {
            while i < b.len() && b[i].1 != '\n' {
                i += 1;
            }
        } else if c == '/' && b.get(i + 1).is_some_and(|x| x.1 == '*') {
            i += 2;
            while i < b.len() && !(b[i].1 == '*' && b.get(i + 1).is_some_and(|x| x.1 == '/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' || c == '"' || c == '`' || c == '[' {
            let close = if c == '[' { ']' } else { c };
            let mut text = String::new();
            let mut j = i + 1;
            while j < b.len() {
                if b[j].1 == close {
                    if close != ']' && b.get(j + 1).is_some_and(|x| x.1 == close) {
                        text.push(close);
                        j += 2;
                        continue;
                    }
                    break;
                }
                text.push(b[j].1);
                j += 1;
            }
            let kind = if c == '\'' {
                Kind::Str
            } else {
                Kind::Ident { quoted: true }
            };
            out.push(Tok {
                kind,
                text,
                start: pos,
                end: end_of(j + 1),
            });
            i = j + 1;
        } else if c.is_alphanumeric()
            || c == '_'
            || c == '$'
            || c == '.' && b.get(i + 1).is_some_and(|x| x.1.is_ascii_digit())
        {
            let mut j = i;
            while j < b.len()
                && (b[j].1.is_alphanumeric()
                    || b[j].1 == '_'
                    || b[j].1 == '$'
                    || (b[j].1 == '.' && c.is_ascii_digit()))
            {
                j += 1;
            }
            let text: String = b[i..j].iter().map(|x| x.1).collect();
            let kind = if c.is_ascii_digit() || c == '.' {
                Kind::Other
            } else {
                Kind::Ident { quoted: false }
            };
            out.push(Tok {
                kind,
                text,
                start: pos,
                end: end_of(j),
            });
            i = j;
        } else {
            out.push(Tok {
                kind: Kind::Punct(c),
                text: c.to_string(),
                start: pos,
                end: end_of(i + 1),
            });
            i += 1;
        }
    }
    out
}

/// A column as declared in `CREATE TABLE`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedColumn {
    /// The column name.
    pub name: String,
    /// `PRIMARY KEY` was declared on the column.
    pub primary_key: bool,
    /// … with `AUTOINCREMENT`.
    pub autoincrement_keyword: bool,
    /// `COLLATE name`, if declared.
    pub collation: Option<String>,
    /// `[GENERATED ALWAYS] AS (expr) [VIRTUAL|STORED]`: the expression and whether stored.
    pub generated: Option<(String, bool)>,
}

/// A check constraint as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCheck {
    /// `CONSTRAINT name`, if given.
    pub name: Option<String>,
    /// The expression, as written.
    pub expr: String,
    /// The column it was declared on (column-level checks).
    pub column: Option<String>,
}

/// A foreign key as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedForeignKey {
    /// `CONSTRAINT name`, if given.
    pub name: Option<String>,
    /// The referring columns.
    pub columns: Vec<String>,
    /// The referred table.
    pub referred_table: String,
    /// The referred columns (empty: the referred table's primary key).
    pub referred_columns: Vec<String>,
    /// `ON DELETE`, if given.
    pub on_delete: Option<FkAction>,
    /// `ON UPDATE`, if given.
    pub on_update: Option<FkAction>,
    /// `DEFERRABLE` was declared.
    pub deferrable: bool,
    /// `INITIALLY DEFERRED` was declared.
    pub initially_deferred: bool,
}

/// What `CREATE TABLE` text declares, as far as the rebuild needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedTable {
    /// The table name.
    pub name: String,
    /// Columns in order.
    pub columns: Vec<ParsedColumn>,
    /// The primary key's `CONSTRAINT` name, if given.
    pub primary_key_name: Option<String>,
    /// Unique constraints: (name, columns).
    pub uniques: Vec<(Option<String>, Vec<String>)>,
    /// Check constraints, table- and column-level.
    pub checks: Vec<ParsedCheck>,
    /// Foreign keys, table- and column-level.
    pub foreign_keys: Vec<ParsedForeignKey>,
    /// `WITHOUT ROWID` was declared.
    pub without_rowid: bool,
    /// Features a rebuild would lose (e.g. `STRICT`, `ON CONFLICT`).
    pub unsupported: Vec<String>,
}

/// Why `CREATE TABLE` text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DdlError {
    /// A keyword was missing.
    #[error("expected {keyword} in {sql:?}")]
    Expected {
        /// The keyword.
        keyword: &'static str,
        /// The statement.
        sql: String,
    },
    /// No table name follows `CREATE TABLE`.
    #[error("no table name in {0:?}")]
    NoTableName(String),
    /// `CREATE TABLE … AS SELECT`.
    #[error("CREATE TABLE … AS SELECT is not supported")]
    AsSelect,
    /// A `(` without its `)`.
    #[error("unbalanced parentheses in {0:?}")]
    Unbalanced(String),
}

/// Reads a `CREATE TABLE` statement.
pub fn parse_create_table(sql: &str) -> Result<ParsedTable, DdlError> {
    let toks = tokenize(sql);
    let mut i = 0;
    let expect_kw = |i: &mut usize, keyword: &'static str| -> Result<(), DdlError> {
        if toks.get(*i).is_some_and(|t| t.is_kw(keyword)) {
            *i += 1;
            Ok(())
        } else {
            Err(DdlError::Expected {
                keyword,
                sql: sql.to_string(),
            })
        }
    };
    let no_name = || DdlError::NoTableName(sql.to_string());
    expect_kw(&mut i, "CREATE")?;
    if toks
        .get(i)
        .is_some_and(|t| t.is_kw("TEMP") || t.is_kw("TEMPORARY"))
    {
        i += 1;
    }
    expect_kw(&mut i, "TABLE")?;
    if toks.get(i).is_some_and(|t| t.is_kw("IF")) {
        i += 3;
    }
    let mut name = toks.get(i).and_then(Tok::name).ok_or_else(no_name)?;
    i += 1;
    if toks.get(i).is_some_and(|t| t.is_punct('.')) {
        name = toks.get(i + 1).and_then(Tok::name).ok_or_else(no_name)?;
        i += 2;
    }
    let mut out = ParsedTable {
        name,
        ..ParsedTable::default()
    };
    if !toks.get(i).is_some_and(|t| t.is_punct('(')) {
        return Err(DdlError::AsSelect);
    }
    let close = matching(&toks, i).ok_or_else(|| DdlError::Unbalanced(sql.to_string()))?;
    for def in split_commas(&toks[i + 1..close]) {
        if def.is_empty() {
            continue;
        }
        let first = &def[0];
        if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| first.is_kw(k))
        {
            table_constraint(sql, def, &mut out);
        } else {
            column_def(sql, def, &mut out);
        }
    }
    for t in &toks[close + 1..] {
        if t.is_kw("WITHOUT") {
            out.without_rowid = true;
        } else if t.is_kw("STRICT") {
            out.unsupported
                .push(format!("the table option {}", t.text.to_uppercase()));
        }
    }
    Ok(out)
}

/// The index of the `)` matching the `(` at `open`.
fn matching(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (j, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth -= 1;
            if depth == 0 {
                return Some(j);
            }
        }
    }
    None
}

fn split_commas(toks: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (j, t) in toks.iter().enumerate() {
        if t.is_punct('(') {
            depth += 1;
        } else if t.is_punct(')') {
            depth -= 1;
        } else if t.is_punct(',') && depth == 0 {
            out.push(&toks[start..j]);
            start = j + 1;
        }
    }
    out.push(&toks[start..]);
    out
}

/// The source text between the tokens of a parenthesised group starting at `open`.
fn group_text<'s>(sql: &'s str, toks: &[Tok], open: usize) -> Option<(&'s str, usize)> {
    let close = matching(toks, open)?;
    let text = sql.get(toks[open].end..toks[close].start)?.trim();
    Some((text, close))
}

/// Names in a parenthesised list at `open`; anything but plain names is unsupported.
fn name_list(toks: &[Tok], open: usize, out: &mut ParsedTable) -> Option<(Vec<String>, usize)> {
    let close = matching(toks, open)?;
    let mut names = Vec::new();
    for part in split_commas(&toks[open + 1..close]) {
        match part {
            [one] => names.push(one.name()?),
            [one, rest @ ..] => {
                names.push(one.name()?);
                let extra: Vec<&str> = rest.iter().map(|t| t.text.as_str()).collect();
                if !(extra.len() == 1 && extra[0].eq_ignore_ascii_case("ASC")) {
                    out.unsupported
                        .push(format!("`{}` in a key's column list", extra.join(" ")));
                }
            }
            [] => {}
        }
    }
    Some((names, close))
}

fn action(toks: &[Tok], i: usize) -> (Option<FkAction>, usize) {
    let word = |k: usize| {
        toks.get(k)
            .map(|t| t.text.to_ascii_uppercase())
            .unwrap_or_default()
    };
    match word(i).as_str() {
        "CASCADE" => (Some(FkAction::Cascade), i + 1),
        "RESTRICT" => (Some(FkAction::Restrict), i + 1),
        "SET" if word(i + 1) == "NULL" => (Some(FkAction::SetNull), i + 2),
        "SET" if word(i + 1) == "DEFAULT" => (Some(FkAction::SetDefault), i + 2),
        "NO" => (Some(FkAction::NoAction), i + 2),
        _ => (None, i + 1),
    }
}

/// `REFERENCES table [(cols)] [ON DELETE|UPDATE action]… [MATCH x] [[NOT] DEFERRABLE …]`
/// starting at the token after REFERENCES; returns the key and the next index.
fn fk_clause(
    toks: &[Tok],
    mut i: usize,
    name: Option<String>,
    columns: Vec<String>,
    out: &mut ParsedTable,
) -> usize {
    let Some(referred_table) = toks.get(i).and_then(Tok::name) else {
        out.unsupported
            .push("a REFERENCES clause without a table".into());
        return toks.len();
    };
    i += 1;
    let mut referred_columns = Vec::new();
    if toks.get(i).is_some_and(|t| t.is_punct('(')) {
        match name_list(toks, i, out) {
            Some((cols, close)) => {
                referred_columns = cols;
                i = close + 1;
            }
            None => {
                out.unsupported
                    .push("an unreadable REFERENCES column list".into());
                return toks.len();
            }
        }
    }
    let mut fk = ParsedForeignKey {
        name,
        columns,
        referred_table,
        referred_columns,
        on_delete: None,
        on_update: None,
        deferrable: false,
        initially_deferred: false,
    };
    while let Some(t) = toks.get(i) {
        if t.is_kw("ON") {
            let which = toks
                .get(i + 1)
                .map(|t| t.text.to_ascii_uppercase())
                .unwrap_or_default();
            let (a, next) = action(toks, i + 2);
            match which.as_str() {
                "DELETE" => fk.on_delete = a,
                "UPDATE" => fk.on_update = a,
                _ => out.unsupported.push(format!("ON {which} in a foreign key")),
            }
            i = next;
        } else if t.is_kw("MATCH") {
            i += 2;
        } else if (t.is_kw("NOT") && toks.get(i + 1).is_some_and(|t| t.is_kw("DEFERRABLE")))
            || t.is_kw("DEFERRABLE")
        {
            // `NOT DEFERRABLE [INITIALLY …]` is SQLite's default: only the positive
            // form is kept.
            let negated = t.is_kw("NOT");
            fk.deferrable = !negated;
            i += if negated { 2 } else { 1 };
            if toks.get(i).is_some_and(|t| t.is_kw("INITIALLY")) {
                fk.initially_deferred =
                    !negated && toks.get(i + 1).is_some_and(|t| t.is_kw("DEFERRED"));
                i += 2;
            }
        } else {
            break;
        }
    }
    out.foreign_keys.push(fk);
    i
}

/// Skips `ON CONFLICT x` (unsupported: the model has no conflict clauses).
fn conflict_clause(toks: &[Tok], i: usize, out: &mut ParsedTable) -> usize {
    if toks.get(i).is_some_and(|t| t.is_kw("ON"))
        && toks.get(i + 1).is_some_and(|t| t.is_kw("CONFLICT"))
    {
        out.unsupported.push("an ON CONFLICT clause".into());
        return i + 3;
    }
    i
}

fn table_constraint(sql: &str, toks: &[Tok], out: &mut ParsedTable) {
    let mut i = 0;
    let mut name = None;
    if toks[0].is_kw("CONSTRAINT") {
        name = toks.get(1).and_then(Tok::name);
        i = 2;
    }
    let Some(t) = toks.get(i) else { return };
    if t.is_kw("PRIMARY") {
        match name_list(toks, i + 2, out) {
            Some((_, close)) => {
                out.primary_key_name = name;
                conflict_clause(toks, close + 1, out);
            }
            None => out.unsupported.push("an unreadable PRIMARY KEY".into()),
        }
    } else if t.is_kw("UNIQUE") {
        match name_list(toks, i + 1, out) {
            Some((cols, close)) => {
                out.uniques.push((name, cols));
                conflict_clause(toks, close + 1, out);
            }
            None => out.unsupported.push("an unreadable UNIQUE".into()),
        }
    } else if t.is_kw("CHECK") {
        match group_text(sql, toks, i + 1) {
            Some((expr, _)) => out.checks.push(ParsedCheck {
                name,
                expr: expr.to_string(),
                column: None,
            }),
            None => out.unsupported.push("an unreadable CHECK".into()),
        }
    } else if t.is_kw("FOREIGN") {
        match name_list(toks, i + 2, out) {
            Some((cols, close)) if toks.get(close + 1).is_some_and(|t| t.is_kw("REFERENCES")) => {
                fk_clause(toks, close + 2, name, cols, out);
            }
            _ => out.unsupported.push("an unreadable FOREIGN KEY".into()),
        }
    }
}

const COLUMN_CONSTRAINT_WORDS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

fn column_def(sql: &str, toks: &[Tok], out: &mut ParsedTable) {
    let Some(col_name) = toks[0].name() else {
        out.unsupported.push(format!(
            "an unreadable column definition `{}`",
            toks[0].text
        ));
        return;
    };
    let mut col = ParsedColumn {
        name: col_name.clone(),
        ..ParsedColumn::default()
    };
    let mut i = 1;
    // The type: words and an optional parenthesised size.
    while let Some(t) = toks.get(i) {
        if COLUMN_CONSTRAINT_WORDS.iter().any(|k| t.is_kw(k)) {
            break;
        }
        if t.is_punct('(') {
            i = matching(toks, i).map_or(toks.len(), |c| c + 1);
        } else {
            i += 1;
        }
    }
    let mut name: Option<String> = None;
    while let Some(t) = toks.get(i) {
        if t.is_kw("CONSTRAINT") {
            name = toks.get(i + 1).and_then(Tok::name);
            i += 2;
            continue;
        }
        if t.is_kw("PRIMARY") {
            col.primary_key = true;
            out.primary_key_name = name.take();
            i += 2;
            if toks.get(i).is_some_and(|t| t.is_kw("ASC")) {
                i += 1;
            } else if toks.get(i).is_some_and(|t| t.is_kw("DESC")) {
                out.unsupported.push("PRIMARY KEY DESC".into());
                i += 1;
            }
            i = conflict_clause(toks, i, out);
            if toks.get(i).is_some_and(|t| t.is_kw("AUTOINCREMENT")) {
                col.autoincrement_keyword = true;
                i += 1;
            }
        } else if t.is_kw("NOT") {
            i = conflict_clause(toks, i + 2, out);
        } else if t.is_kw("NULL") {
            i = conflict_clause(toks, i + 1, out);
        } else if t.is_kw("UNIQUE") {
            out.uniques.push((name.take(), vec![col_name.clone()]));
            i = conflict_clause(toks, i + 1, out);
        } else if t.is_kw("CHECK") {
            match group_text(sql, toks, i + 1) {
                Some((expr, close)) => {
                    out.checks.push(ParsedCheck {
                        name: name.take(),
                        expr: expr.to_string(),
                        column: Some(col_name.clone()),
                    });
                    i = close + 1;
                }
                None => {
                    out.unsupported.push("an unreadable CHECK".into());
                    return;
                }
            }
        } else if t.is_kw("DEFAULT") {
            i += 1;
            if toks.get(i).is_some_and(|t| t.is_punct('(')) {
                i = matching(toks, i).map_or(toks.len(), |c| c + 1);
            } else if toks
                .get(i)
                .is_some_and(|t| t.is_punct('-') || t.is_punct('+'))
            {
                i += 2;
            } else {
                i += 1;
            }
        } else if t.is_kw("COLLATE") {
            col.collation = toks.get(i + 1).and_then(Tok::name);
            i += 2;
        } else if t.is_kw("REFERENCES") {
            i = fk_clause(toks, i + 1, name.take(), vec![col_name.clone()], out);
        } else if t.is_kw("GENERATED") || t.is_kw("AS") {
            // `GENERATED ALWAYS AS (expr)` or `AS (expr)`, then VIRTUAL (default) or STORED.
            while toks
                .get(i)
                .is_some_and(|t| t.is_kw("GENERATED") || t.is_kw("ALWAYS") || t.is_kw("AS"))
            {
                i += 1;
            }
            match group_text(sql, toks, i) {
                Some((expr, close)) => {
                    i = close + 1;
                    let stored = toks.get(i).is_some_and(|t| t.is_kw("STORED"));
                    if toks
                        .get(i)
                        .is_some_and(|t| t.is_kw("STORED") || t.is_kw("VIRTUAL"))
                    {
                        i += 1;
                    }
                    col.generated = Some((expr.to_string(), stored));
                }
                None => {
                    out.unsupported
                        .push(format!("an unreadable generated column `{col_name}`"));
                    return;
                }
            }
        } else {
            out.unsupported.push(format!(
                "`{}` in the definition of column `{col_name}`",
                t.text
            ));
            i += 1;
        }
    }
    out.columns.push(col);
}

/// The `WHERE` predicate of a `CREATE INDEX` statement, as written (`None` when the
/// index is not partial).
pub fn index_where(sql: &str) -> Option<String> {
    let toks = tokenize(sql);
    let open = toks.iter().position(|t| t.is_punct('('))?;
    let close = matching(&toks, open)?;
    let w = toks[close + 1..].iter().find(|t| t.is_kw("WHERE"))?;
    let expr = sql.get(w.end..)?.trim().trim_end_matches(';').trim();
    (!expr.is_empty()).then(|| expr.to_string())
}

/// The elements of an index's column list as written (`a`, `lower(b)`, `c DESC`), from
/// its `CREATE INDEX` text.
pub fn index_column_texts(sql: &str) -> Vec<String> {
    let toks = tokenize(sql);
    let Some(open) = toks.iter().position(|t| t.is_punct('(')) else {
        return vec![];
    };
    let Some(close) = matching(&toks, open) else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut start = open;
    for part in split_commas(&toks[open + 1..close]) {
        let end = start + 1 + part.len();
        if let Some(text) = sql.get(toks[start].end..toks[end].start) {
            out.push(text.trim().to_string());
        }
        start = end;
    }
    out
}

/// One element of an index's column list: its text without a trailing `ASC`/`DESC`,
/// whether it is sorted descending, and whether it names a collation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexElement {
    /// The column or expression as written, `COLLATE` included, order left out.
    pub text: String,
    /// `DESC`.
    pub descending: bool,
    /// The element says `COLLATE name`.
    pub collate: bool,
}

/// The elements of an index's column list, from its `CREATE INDEX` text.
pub fn index_elements(sql: &str) -> Vec<IndexElement> {
    index_column_texts(sql)
        .into_iter()
        .map(|text| {
            let toks = tokenize(&text);
            let last = toks.last();
            let descending = last.is_some_and(|t| t.is_kw("DESC"));
            let ordered = descending || last.is_some_and(|t| t.is_kw("ASC"));
            let text = match (ordered, last) {
                (true, Some(t)) => text[..t.start].trim_end().to_string(),
                _ => text,
            };
            IndexElement {
                collate: toks.iter().any(|t| t.is_kw("COLLATE")),
                text,
                descending,
            }
        })
        .collect()
}

/// The values of a check written exactly `col IN ('a', 'b', …)` on column `column`
/// (the form retort renders for SQLite enum columns).
pub fn enum_check_values(expr: &str, column: &str) -> Option<Vec<String>> {
    let toks = tokenize(expr);
    let [c, kw_in, open, rest @ ..] = toks.as_slice() else {
        return None;
    };
    let same_column = matches!(c.kind, Kind::Ident { .. }) && c.text.eq_ignore_ascii_case(column);
    if !same_column || !kw_in.is_kw("IN") || !open.is_punct('(') {
        return None;
    }
    let (close, values) = rest.split_last()?;
    if !close.is_punct(')') {
        return None;
    }
    // SQL string literals (no backslash escapes, unlike MySQL's enum spellings), as
    // the tokenizer unquoted them.
    let mut out = Vec::new();
    for (n, t) in values.iter().enumerate() {
        if n % 2 == 0 {
            if t.kind != Kind::Str {
                return None;
            }
            out.push(t.text.clone());
        } else if !t.is_punct(',') {
            return None;
        }
    }
    (!out.is_empty() && values.len() % 2 == 1).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_checks_and_keys() {
        let t = parse_create_table(
            r#"CREATE TABLE "reply-to" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT,
    [mood] VARCHAR(10) NOT NULL DEFAULT 'a' CHECK ("mood" IN ('a', 'b')),
    `parent` INTEGER CONSTRAINT "fk_p" REFERENCES "reply-to" ("id") ON DELETE SET NULL,
    x TEXT UNIQUE, -- a comment, with a comma
    CONSTRAINT "uq two" UNIQUE ("mood", x),
    CONSTRAINT ck CHECK (x <> 'it''s, (odd)'),
    FOREIGN KEY (x) REFERENCES other
)"#,
        )
        .unwrap();
        assert_eq!(t.name, "reply-to");
        assert_eq!(t.columns.len(), 4);
        assert!(t.columns[0].primary_key && t.columns[0].autoincrement_keyword);
        assert_eq!(t.checks[0].expr, "\"mood\" IN ('a', 'b')");
        assert_eq!(t.checks[0].column.as_deref(), Some("mood"));
        assert_eq!(t.checks[1].name.as_deref(), Some("ck"));
        assert_eq!(t.checks[1].expr, "x <> 'it''s, (odd)'");
        assert_eq!(t.foreign_keys[0].name.as_deref(), Some("fk_p"));
        assert_eq!(t.foreign_keys[0].on_delete, Some(FkAction::SetNull));
        assert_eq!(t.foreign_keys[1].referred_table, "other");
        assert!(t.foreign_keys[1].referred_columns.is_empty());
        assert_eq!(
            t.uniques,
            vec![
                (None, vec!["x".to_string()]),
                (Some("uq two".into()), vec!["mood".into(), "x".into()])
            ]
        );
        assert!(t.unsupported.is_empty(), "{:?}", t.unsupported);
        let u = parse_create_table(
            "CREATE TABLE t (a TEXT COLLATE NOCASE, b AS (a || 'x'), c INT GENERATED ALWAYS AS (length(a)) STORED, d INT REFERENCES t (c) DEFERRABLE INITIALLY DEFERRED) WITHOUT ROWID",
        )
        .unwrap();
        assert!(u.unsupported.is_empty(), "{:?}", u.unsupported);
        assert!(u.without_rowid);
        assert_eq!(u.columns[0].collation.as_deref(), Some("NOCASE"));
        assert_eq!(
            u.columns[1].generated,
            Some(("a || 'x'".to_string(), false))
        );
        assert_eq!(
            u.columns[2].generated,
            Some(("length(a)".to_string(), true))
        );
        assert!(u.foreign_keys[0].deferrable && u.foreign_keys[0].initially_deferred);
        assert_eq!(
            index_elements("CREATE INDEX i ON t (a DESC, b COLLATE NOCASE, lower(c) ASC)"),
            vec![
                IndexElement {
                    text: "a".into(),
                    descending: true,
                    collate: false
                },
                IndexElement {
                    text: "b COLLATE NOCASE".into(),
                    descending: false,
                    collate: true
                },
                IndexElement {
                    text: "lower(c)".into(),
                    descending: false,
                    collate: false
                },
            ]
        );
        assert_eq!(
            index_where(r#"CREATE INDEX "i" ON "t" ("a") WHERE a > 0 AND "b" = 'where'"#)
                .as_deref(),
            Some("a > 0 AND \"b\" = 'where'")
        );
        assert_eq!(index_where(r#"CREATE INDEX "where" ON t (a)"#), None);
    }

    #[test]
    fn reads_names_and_checks_of_a_create_table() {
        let sql = r#"CREATE TABLE "order" (
            id INTEGER CONSTRAINT "pk order" PRIMARY KEY,
            "status" VARCHAR DEFAULT 'a,(b' CHECK ("status" IN ('a,(b', 'it''s')),
            qty NUMERIC(10, 2) NOT NULL CONSTRAINT ck_qty CHECK (qty > (0)) -- a comment, (
            , user_id INTEGER CONSTRAINT fk_user REFERENCES "user" (id) ON DELETE CASCADE,
            other INT REFERENCES [other table],
            [a b] TEXT UNIQUE,
            CONSTRAINT "uq_x" UNIQUE ("status", qty),
            UNIQUE (qty),
            CONSTRAINT ck_t CHECK (qty < 10 AND "status" <> 'x)'),
            CHECK (1 = 1),
            CONSTRAINT fk2 FOREIGN KEY (qty, other) REFERENCES t2 (a, b) ON UPDATE SET NULL,
            FOREIGN KEY (other) REFERENCES t3
        )"#;
        let t = parse_create_table(sql).unwrap();
        assert_eq!(t.primary_key_name.as_deref(), Some("pk order"));
        assert_eq!(
            t.uniques,
            vec![
                (None, vec!["a b".to_string()]),
                (Some("uq_x".into()), vec!["status".into(), "qty".into()]),
                (None, vec!["qty".into()]),
            ]
        );
        let checks: Vec<(Option<&str>, &str, Option<&str>)> = t
            .checks
            .iter()
            .map(|c| (c.name.as_deref(), c.expr.as_str(), c.column.as_deref()))
            .collect();
        assert_eq!(
            checks,
            vec![
                (None, "\"status\" IN ('a,(b', 'it''s')", Some("status")),
                (Some("ck_qty"), "qty > (0)", Some("qty")),
                (Some("ck_t"), "qty < 10 AND \"status\" <> 'x)'", None),
                (None, "1 = 1", None),
            ]
        );
        let fks: Vec<(Option<&str>, Vec<String>, &str)> = t
            .foreign_keys
            .iter()
            .map(|f| {
                (
                    f.name.as_deref(),
                    f.columns.clone(),
                    f.referred_table.as_str(),
                )
            })
            .collect();
        assert_eq!(
            fks,
            vec![
                (Some("fk_user"), vec!["user_id".to_string()], "user"),
                (None, vec!["other".to_string()], "other table"),
                (Some("fk2"), vec!["qty".into(), "other".into()], "t2"),
                (None, vec!["other".to_string()], "t3"),
            ]
        );
    }

    #[test]
    fn table_level_primary_key_name_and_errors() {
        let t = parse_create_table(
            "CREATE TABLE t (a INT, b INT, CONSTRAINT \"pk_t\" PRIMARY KEY (a, b))",
        )
        .unwrap();
        assert_eq!(t.primary_key_name.as_deref(), Some("pk_t"));
        assert_eq!(
            parse_create_table("CREATE TABLE t (a INT PRIMARY KEY)")
                .unwrap()
                .primary_key_name,
            None
        );
        assert!(matches!(
            parse_create_table("garbage ("),
            Err(DdlError::Expected {
                keyword: "CREATE",
                ..
            })
        ));
        assert_eq!(
            parse_create_table("CREATE TABLE t (a INT"),
            Err(DdlError::Unbalanced("CREATE TABLE t (a INT".into()))
        );
        assert_eq!(
            parse_create_table("CREATE TABLE t AS SELECT 1"),
            Err(DdlError::AsSelect)
        );
    }

    #[test]
    fn partial_index_predicates_and_columns() {
        assert_eq!(
            index_where(
                "CREATE INDEX \"ix where\" ON t (a, (b + 1)) WHERE a > 'where' AND b IS NOT NULL;"
            )
            .as_deref(),
            Some("a > 'where' AND b IS NOT NULL")
        );
        assert_eq!(index_where("CREATE UNIQUE INDEX i ON t (a)"), None);
        assert_eq!(
            index_column_texts("CREATE INDEX i ON t (a, lower(b, 'x,y'), c DESC) WHERE a > 1"),
            vec!["a", "lower(b, 'x,y')", "c DESC"]
        );
    }

    #[test]
    fn enum_checks() {
        assert_eq!(
            enum_check_values("\"st\" IN ('a', 'it''s')", "st"),
            Some(vec!["a".to_string(), "it's".to_string()])
        );
        assert_eq!(
            enum_check_values("st IN ('a')", "st"),
            Some(vec!["a".to_string()])
        );
        assert_eq!(enum_check_values("\"st\" IN ('a', 'b')", "other"), None);
        assert_eq!(enum_check_values("\"st\" IN ('a', 1)", "st"), None);
        assert_eq!(enum_check_values("\"st\" IN ('a') OR 1", "st"), None);
        assert_eq!(enum_check_values("\"st\" IN ()", "st"), None);
        assert_eq!(
            enum_check_values("st IN ('a\\b')", "st"),
            Some(vec!["a\\b".to_string()])
        );
    }
}
