//! A small reader of SQL text for what catalogs do not say: SQLite's `CREATE TABLE`
//! (constraint names, check expressions), SQLite's `CREATE INDEX … WHERE`, and the
//! value lists of enum spellings. It tokenizes with quotes, comments and nested
//! parentheses respected; expressions are returned exactly as written.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A bare word: keyword, identifier or number.
    Word,
    /// A quoted identifier: `"x"`, `` `x` `` or `[x]`.
    Quoted,
    /// A `'string'`.
    Str,
    /// One punctuation character.
    Punct(char),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    /// Words as written; quoted identifiers and strings unquoted.
    text: String,
    /// Byte offsets in the source.
    start: usize,
    end: usize,
}

impl Tok {
    fn is_kw(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(kw)
    }
    fn is(&self, c: char) -> bool {
        self.kind == Kind::Punct(c)
    }
    /// The identifier this token names (a bare word, a quoted name, or a string used as one).
    fn name(&self) -> Option<&str> {
        matches!(self.kind, Kind::Word | Kind::Quoted | Kind::Str).then_some(self.text.as_str())
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// Reads a quoted run starting at byte `i` (the opening quote) closed by `close`, where a
/// doubled `close` stands for itself; returns the content and the byte after the end.
fn quoted(s: &str, i: usize, close: char, doubles: bool) -> (String, usize) {
    let mut out = String::new();
    let mut chars = s[i + 1..].char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        if c == close {
            if doubles && chars.peek().is_some_and(|&(_, n)| n == close) {
                out.push(close);
                chars.next();
                continue;
            }
            return (out, i + 1 + off + c.len_utf8());
        }
        out.push(c);
    }
    (out, s.len())
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        let start = i;
        let rest = &s[i..];
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if rest.starts_with("--") {
            i = rest.find('\n').map_or(s.len(), |n| i + n + 1);
        } else if let Some(body) = rest.strip_prefix("/*") {
            i = body.find("*/").map_or(s.len(), |n| i + 2 + n + 2);
        } else if matches!(c, '"' | '`' | '[' | '\'') {
            let (close, kind) = match c {
                '"' => ('"', Kind::Quoted),
                '`' => ('`', Kind::Quoted),
                '[' => (']', Kind::Quoted),
                _ => ('\'', Kind::Str),
            };
            let (text, end) = quoted(s, i, close, c != '[');
            out.push(Tok {
                kind,
                text,
                start,
                end,
            });
            i = end;
        } else if is_word_char(c) {
            let len = rest.find(|x: char| !is_word_char(x)).unwrap_or(rest.len());
            i += len;
            out.push(Tok {
                kind: Kind::Word,
                text: rest[..len].to_string(),
                start,
                end: i,
            });
        } else {
            i += c.len_utf8();
            out.push(Tok {
                kind: Kind::Punct(c),
                text: c.to_string(),
                start,
                end: i,
            });
        }
    }
    out
}

/// The index of the `)` closing the `(` at `open`, if any.
fn matching(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is('(') {
            depth += 1;
        } else if t.is(')') {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The source text strictly between tokens `open` and `close`, trimmed.
fn between<'s>(src: &'s str, toks: &[Tok], open: usize, close: usize) -> &'s str {
    src[toks[open].end..toks[close].start].trim()
}

/// The column names of a parenthesised list starting at `open` (the first word of each
/// element, so `a COLLATE nocase DESC` is `a`), and the index of its `)`.
fn name_list(toks: &[Tok], open: usize) -> Option<(Vec<String>, usize)> {
    if !toks.get(open)?.is('(') {
        return None;
    }
    let close = matching(toks, open)?;
    let mut names = Vec::new();
    let mut at_start = true;
    let mut depth = 0usize;
    for t in &toks[open + 1..close] {
        if t.is('(') {
            depth += 1;
        } else if t.is(')') {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && t.is(',') {
            at_start = true;
            continue;
        }
        if at_start {
            names.push(t.name().unwrap_or_default().to_string());
            at_start = false;
        }
    }
    Some((names, close))
}

/// A check constraint read from `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckText {
    /// `CONSTRAINT name`, if given.
    pub name: Option<String>,
    /// The expression between the parentheses, as written.
    pub expr: String,
    /// The column it was written on (column-level checks).
    pub column: Option<String>,
}

/// A foreign key read from `CREATE TABLE` (only what the pragma does not say: its name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignKeyText {
    /// `CONSTRAINT name`, if given.
    pub name: Option<String>,
    /// The referring columns.
    pub columns: Vec<String>,
    /// The referred table.
    pub referred_table: String,
}

/// What reflection needs from a SQLite `CREATE TABLE`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableText {
    /// The primary key's `CONSTRAINT name`.
    pub primary_key_name: Option<String>,
    /// Unique constraints: name if given, columns.
    pub uniques: Vec<(Option<String>, Vec<String>)>,
    /// Check constraints.
    pub checks: Vec<CheckText>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKeyText>,
}

/// Reads a SQLite `CREATE TABLE` statement. Unreadable text gives an empty result (the
/// pragmas still supply everything but names and checks).
pub(crate) fn parse_create_table(sql: &str) -> TableText {
    let toks = tokenize(sql);
    let mut out = TableText::default();
    let Some(open) = toks.iter().position(|t| t.is('(')) else {
        return out;
    };
    let Some(close) = matching(&toks, open) else {
        return out;
    };
    // Split the body at top-level commas.
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut item_start = open + 1;
    for (i, t) in toks.iter().enumerate().take(close).skip(open + 1) {
        if t.is('(') {
            depth += 1;
        } else if t.is(')') {
            depth = depth.saturating_sub(1);
        } else if t.is(',') && depth == 0 {
            items.push((item_start, i));
            item_start = i + 1;
        }
    }
    items.push((item_start, close));
    for (a, b) in items {
        if a >= b {
            continue;
        }
        let first = &toks[a];
        let table_level = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| first.is_kw(k));
        if table_level {
            table_constraint(sql, &toks[..b], a, &mut out);
        } else if let Some(col) = first.name() {
            column_constraints(sql, &toks[..b], a + 1, col, &mut out);
        }
    }
    out
}

/// One table-level constraint in `toks[i..]`.
fn table_constraint(sql: &str, toks: &[Tok], mut i: usize, out: &mut TableText) {
    let mut name = None;
    if toks[i].is_kw("CONSTRAINT") {
        name = toks.get(i + 1).and_then(Tok::name).map(str::to_string);
        i += 2;
    }
    let Some(t) = toks.get(i) else { return };
    if t.is_kw("PRIMARY") {
        out.primary_key_name = name;
    } else if t.is_kw("UNIQUE") {
        if let Some((cols, _)) = name_list(toks, i + 1) {
            out.uniques.push((name, cols));
        }
    } else if t.is_kw("CHECK") {
        if let Some(close) = toks
            .get(i + 1)
            .filter(|t| t.is('('))
            .and(matching(toks, i + 1))
        {
            out.checks.push(CheckText {
                name,
                expr: between(sql, toks, i + 1, close).to_string(),
                column: None,
            });
        }
    } else if t.is_kw("FOREIGN") && toks.get(i + 1).is_some_and(|t| t.is_kw("KEY")) {
        let Some((cols, close)) = name_list(toks, i + 2) else {
            return;
        };
        let refs = close + 1;
        if toks.get(refs).is_some_and(|t| t.is_kw("REFERENCES")) {
            if let Some(table) = toks.get(refs + 1).and_then(Tok::name) {
                out.foreign_keys.push(ForeignKeyText {
                    name,
                    columns: cols,
                    referred_table: table.to_string(),
                });
            }
        }
    }
}

/// The constraints written on column `col`, from `toks[i..]` (after the column name).
fn column_constraints(sql: &str, toks: &[Tok], mut i: usize, col: &str, out: &mut TableText) {
    let mut name: Option<String> = None;
    while i < toks.len() {
        let t = &toks[i];
        if t.is_kw("CONSTRAINT") {
            name = toks.get(i + 1).and_then(Tok::name).map(str::to_string);
            i += 2;
            continue;
        }
        if t.is_kw("PRIMARY") {
            out.primary_key_name = name.take();
        } else if t.is_kw("UNIQUE") {
            out.uniques.push((name.take(), vec![col.to_string()]));
        } else if t.is_kw("CHECK") && toks.get(i + 1).is_some_and(|t| t.is('(')) {
            if let Some(close) = matching(toks, i + 1) {
                out.checks.push(CheckText {
                    name: name.take(),
                    expr: between(sql, toks, i + 1, close).to_string(),
                    column: Some(col.to_string()),
                });
                i = close + 1;
                continue;
            }
        } else if t.is_kw("REFERENCES") {
            if let Some(table) = toks.get(i + 1).and_then(Tok::name) {
                out.foreign_keys.push(ForeignKeyText {
                    name: name.take(),
                    columns: vec![col.to_string()],
                    referred_table: table.to_string(),
                });
            }
        } else if ["NOT", "NULL", "DEFAULT", "COLLATE", "GENERATED", "AS"]
            .iter()
            .any(|k| t.is_kw(k))
        {
            name = None;
        }
        if t.is('(') {
            // Skip type arguments, DEFAULT (expr), REFERENCES t (cols), … whole.
            i = matching(toks, i).map_or(toks.len(), |c| c + 1);
        } else {
            i += 1;
        }
    }
}

/// The predicate of a partial index, from its `CREATE INDEX … WHERE …` text.
pub(crate) fn index_where(sql: &str) -> Option<String> {
    let toks = tokenize(sql);
    let open = toks.iter().position(|t| t.is('('))?;
    let close = matching(&toks, open)?;
    let w = toks[close + 1..].iter().position(|t| t.is_kw("WHERE"))? + close + 1;
    let expr = sql[toks[w].end..].trim().trim_end_matches(';').trim();
    (!expr.is_empty()).then(|| expr.to_string())
}

/// The elements of an index's column list as written (`a`, `lower(b)`, `c DESC`), from
/// its `CREATE INDEX` text.
pub(crate) fn index_column_texts(sql: &str) -> Vec<String> {
    let toks = tokenize(sql);
    let Some(open) = toks.iter().position(|t| t.is('(')) else {
        return vec![];
    };
    let Some(close) = matching(&toks, open) else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = open;
    for i in open + 1..=close {
        let t = &toks[i];
        if t.is('(') {
            depth += 1;
        } else if t.is(')') && depth > 0 {
            depth -= 1;
        } else if depth == 0 && (t.is(',') || i == close) {
            out.push(between(sql, &toks, start, i).to_string());
            start = i;
        }
    }
    out
}

/// The values of a check written exactly `col IN ('a', 'b', …)` on column `column`
/// (the form retort renders for SQLite enum columns).
pub(crate) fn enum_check_values(expr: &str, column: &str) -> Option<Vec<String>> {
    let toks = tokenize(expr);
    let [c, kw_in, open, rest @ ..] = toks.as_slice() else {
        return None;
    };
    let same_column =
        matches!(c.kind, Kind::Word | Kind::Quoted) && c.text.eq_ignore_ascii_case(column);
    if !same_column || !kw_in.is_kw("IN") || !open.is('(') {
        return None;
    }
    let (close, values) = rest.split_last()?;
    if !close.is(')') {
        return None;
    }
    string_list(values)
}

/// `'a' , 'b' , …` → the strings; `None` for anything else.
fn string_list(toks: &[Tok]) -> Option<Vec<String>> {
    let mut values = Vec::new();
    for (n, t) in toks.iter().enumerate() {
        if n % 2 == 0 {
            if t.kind != Kind::Str {
                return None;
            }
            values.push(t.text.clone());
        } else if !t.is(',') {
            return None;
        }
    }
    (!values.is_empty() && toks.len() % 2 == 1).then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let t = parse_create_table(sql);
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
    fn table_level_primary_key_name() {
        let t = parse_create_table(
            "CREATE TABLE t (a INT, b INT, CONSTRAINT \"pk_t\" PRIMARY KEY (a, b))",
        );
        assert_eq!(t.primary_key_name.as_deref(), Some("pk_t"));
        assert_eq!(
            parse_create_table("CREATE TABLE t (a INT PRIMARY KEY)").primary_key_name,
            None
        );
        assert_eq!(parse_create_table("garbage ("), TableText::default());
    }

    #[test]
    fn partial_index_predicates() {
        assert_eq!(
            index_where(
                "CREATE INDEX \"ix where\" ON t (a, (b + 1)) WHERE a > 'where' AND b IS NOT NULL"
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
    fn enum_checks_and_spellings() {
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
    }
}
