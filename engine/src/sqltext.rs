//! Splitting SQL text into statements, respecting quotes, comments and
//! PostgreSQL dollar-quoted bodies, so that each statement runs (and fails) on its own.

/// Splits `sql` at top-level semicolons. Comments are kept with the statement they
/// precede; statements that are only comments or white space are dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\'' | '"' | '`' => {
                let end = scan_quoted(&chars, i, c);
                cur.extend(&chars[i..end]);
                i = end;
            }
            '-' if next == Some('-') => {
                let end = chars[i..]
                    .iter()
                    .position(|&x| x == '\n')
                    .map_or(chars.len(), |p| i + p + 1);
                cur.extend(&chars[i..end]);
                i = end;
            }
            '/' if next == Some('*') => {
                let mut j = i + 2;
                while j + 1 < chars.len() && !(chars[j] == '*' && chars[j + 1] == '/') {
                    j += 1;
                }
                let end = (j + 2).min(chars.len());
                cur.extend(&chars[i..end]);
                i = end;
            }
            '$' => match dollar_tag(&chars, i) {
                Some(tag) => {
                    let body_start = i + tag.len();
                    let end =
                        find_seq(&chars, body_start, &tag).map_or(chars.len(), |p| p + tag.len());
                    cur.extend(&chars[i..end]);
                    i = end;
                }
                None => {
                    cur.push(c);
                    i += 1;
                }
            },
            ';' => {
                push_statement(&mut out, &cur);
                cur.clear();
                i += 1;
            }
            _ => {
                cur.push(c);
                i += 1;
            }
        }
    }
    push_statement(&mut out, &cur);
    out
}

fn push_statement(out: &mut Vec<String>, s: &str) {
    let t = s.trim();
    if !t.is_empty() && !only_comments(t) {
        out.push(t.to_string());
    }
}

fn only_comments(s: &str) -> bool {
    let mut rest = s.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(r) = rest.strip_prefix("--") {
            rest = r
                .split_once('\n')
                .map_or("", |(_, after)| after)
                .trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r
                .split_once("*/")
                .map_or("", |(_, after)| after)
                .trim_start();
        } else {
            return false;
        }
    }
}

/// The index just past a quoted run starting at `start` (doubled quotes and backslash escapes kept inside).
fn scan_quoted(chars: &[char], start: usize, q: char) -> usize {
    let mut j = start + 1;
    while j < chars.len() {
        if chars[j] == '\\' && q == '\'' {
            j += 2;
            continue;
        }
        if chars[j] == q {
            if chars.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    chars.len()
}

/// A dollar-quote opening tag (`$$` or `$name$`) at `i`.
fn dollar_tag(chars: &[char], i: usize) -> Option<String> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        j += 1;
    }
    if j < chars.len()
        && chars[j] == '$'
        && !chars[i + 1..j].first().is_some_and(|c| c.is_ascii_digit())
    {
        Some(chars[i..=j].iter().collect())
    } else {
        None
    }
}

fn find_seq(chars: &[char], from: usize, tag: &str) -> Option<usize> {
    let t: Vec<char> = tag.chars().collect();
    (from..chars.len().saturating_sub(t.len() - 1)).find(|&p| chars[p..p + t.len()] == t[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_respecting_quotes_and_comments() {
        let sql = "CREATE TABLE a (x TEXT DEFAULT ';');\n-- a comment; here\nINSERT INTO a VALUES ('it''s; fine');\n/* block; */ SELECT 1;\n-- trailing only\n";
        let s = split_statements(sql);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!(s[0], "CREATE TABLE a (x TEXT DEFAULT ';')");
        assert!(s[1].ends_with("VALUES ('it''s; fine')"));
        assert!(s[2].ends_with("SELECT 1"));
    }

    #[test]
    fn dollar_quoted_bodies() {
        let sql =
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; SELECT $1;";
        let s = split_statements(sql);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].ends_with("LANGUAGE sql"));
    }

    #[test]
    fn mysql_backslash_and_backticks() {
        let s = split_statements("INSERT INTO `a;b` VALUES ('x\\';y'); SELECT 2");
        assert_eq!(s.len(), 2, "{s:?}");
    }
}
