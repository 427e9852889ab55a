//! Splitting SQL text into statements, respecting quotes, comments, PostgreSQL
//! dollar-quoted bodies and the `BEGIN … END` bodies of triggers and routines, so that
//! each statement runs (and fails) on its own and a routine is sent whole.

/// Splits `sql` at top-level semicolons. Comments are kept with the statement they
/// precede; statements that are only comments or white space are dropped.
///
/// Semicolons inside a compound statement's body do not split it: in `CREATE TRIGGER`,
/// `CREATE PROCEDURE`, `CREATE FUNCTION` and `CREATE EVENT` statements (and MariaDB's
/// `BEGIN NOT ATOMIC` blocks) the splitter follows `BEGIN … END` (SQLite and MySQL
/// triggers, MySQL routines, PostgreSQL `BEGIN ATOMIC`), `CASE … END [CASE]`,
/// `IF … END IF`, `LOOP … END LOOP`, `WHILE … END WHILE` and `REPEAT … END REPEAT`,
/// nested and labelled, so that no `DELIMITER` is needed.
pub fn split_statements(sql: &str) -> Vec<String> {
    split(sql, true)
}

/// Whether `statement` has a semicolon outside quotes and comments, i.e. is a compound
/// statement that a client splitting at every `;` (the `mysql` client) would cut apart.
pub fn has_inner_semicolon(statement: &str) -> bool {
    split(statement.trim_end().trim_end_matches(';'), false).len() > 1
}

/// The token before a word, for telling a statement-level `IF`/`REPEAT` (a block) from
/// the function or `IF EXISTS` clause of the same name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Before {
    /// The start of a statement inside a body: after `;`, a label's `:`, or a word that
    /// opens a statement list (`BEGIN`, `THEN`, `ELSE`, `DO`, `LOOP`, `REPEAT`).
    StatementStart,
    /// Anything else.
    Other,
}

/// What the splitter knows about the statement being read.
struct Compound {
    /// Bare words seen so far in the statement (counted up to a few).
    words: usize,
    /// Whether the statement creates a trigger, routine or event, or is a `BEGIN NOT
    /// ATOMIC` block; `None` while undecided.
    body: Option<bool>,
    /// The first word, upper-cased, and whether `BEGIN` was followed by `NOT`.
    first: String,
    begin_not: bool,
    /// Open blocks.
    depth: usize,
    /// Open parentheses (a PostgreSQL rule's `DO (…; …)` actions).
    parens: usize,
    /// The previous token was `END`: a following `IF`/`CASE`/`LOOP`/… names what it closes.
    after_end: bool,
    before: Before,
}

impl Compound {
    fn new() -> Self {
        Compound {
            words: 0,
            body: None,
            first: String::new(),
            begin_not: false,
            depth: 0,
            parens: 0,
            after_end: false,
            before: Before::StatementStart,
        }
    }

    /// Feeds one bare word (upper-cased).
    fn word(&mut self, w: &str) {
        self.words += 1;
        if self.body.is_none() {
            self.decide(w);
        }
        if self.body == Some(true) {
            self.track(w);
        }
        self.before = if matches!(w, "BEGIN" | "THEN" | "ELSE" | "DO" | "LOOP" | "REPEAT") {
            Before::StatementStart
        } else {
            Before::Other
        };
    }

    /// Decides from the leading words whether the statement can have a body.
    fn decide(&mut self, w: &str) {
        if self.words == 1 {
            self.first = w.to_string();
            if w != "CREATE" && w != "BEGIN" {
                self.body = Some(false);
            }
            return;
        }
        if self.first == "BEGIN" {
            if self.words == 2 && w == "NOT" {
                self.begin_not = true;
            } else {
                self.body = Some(self.begin_not && self.words == 3 && w == "ATOMIC");
                if self.body == Some(true) {
                    // The block's own BEGIN was read before the decision.
                    self.depth = 1;
                }
            }
            return;
        }
        match w {
            "TRIGGER" | "PROCEDURE" | "FUNCTION" | "EVENT" => self.body = Some(true),
            "TABLE" | "VIEW" | "INDEX" | "UNIQUE" | "SEQUENCE" | "TYPE" | "SCHEMA" | "DATABASE"
            | "DOMAIN" | "EXTENSION" | "ROLE" | "USER" | "AS" | "ON" => self.body = Some(false),
            _ if self.words > 12 => self.body = Some(false),
            _ => {}
        }
    }

    /// Follows the blocks of a body.
    fn track(&mut self, w: &str) {
        if self.after_end {
            self.after_end = false;
            if matches!(w, "IF" | "CASE" | "LOOP" | "WHILE" | "REPEAT") {
                return;
            }
        }
        let at_start = self.before == Before::StatementStart;
        match w {
            "BEGIN" | "CASE" => self.depth += 1,
            "IF" | "LOOP" | "WHILE" | "REPEAT" if at_start && self.depth > 0 => self.depth += 1,
            "END" => {
                self.depth = self.depth.saturating_sub(1);
                self.after_end = true;
            }
            _ => {}
        }
    }

    /// Any other token (punctuation, a quoted run).
    fn other(&mut self, c: char) {
        match c {
            '(' => self.parens += 1,
            ')' => self.parens = self.parens.saturating_sub(1),
            _ => {}
        }
        self.after_end = false;
        self.before = if c == ':' {
            Before::StatementStart
        } else {
            Before::Other
        };
    }

    /// A `;` outside quotes and comments: whether it ends the statement.
    fn semicolon(&mut self) -> bool {
        self.after_end = false;
        self.before = Before::StatementStart;
        self.depth == 0 && self.parens == 0
    }
}

fn split(sql: &str, blocks: bool) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut state = Compound::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\'' | '"' | '`' => {
                let end = scan_quoted(&chars, i, c);
                cur.extend(&chars[i..end]);
                state.other(c);
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
                    state.other(c);
                    i = end;
                }
                None => {
                    cur.push(c);
                    state.other(c);
                    i += 1;
                }
            },
            ';' => {
                if !blocks || state.semicolon() {
                    push_statement(&mut out, &cur);
                    cur.clear();
                    state = Compound::new();
                } else {
                    cur.push(c);
                }
                i += 1;
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                if blocks {
                    state.word(&word.to_ascii_uppercase());
                }
                cur.push_str(&word);
                i = j;
            }
            c => {
                cur.push(c);
                if !c.is_whitespace() {
                    state.other(c);
                }
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

    #[test]
    fn sqlite_trigger_body_is_one_statement() {
        let sql = "CREATE TABLE t (x INTEGER);\nCREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  INSERT INTO log VALUES ('begin; end');\n  UPDATE t SET x = CASE WHEN NEW.x < 0 THEN 0 ELSE NEW.x END WHERE rowid = NEW.rowid;\n  -- END; not here\n  /* BEGIN; */ SELECT RAISE(ABORT, 'x;y') WHERE NEW.x IS NULL;\nEND;\nINSERT INTO t VALUES (1);";
        let s = split_statements(sql);
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s[1].starts_with("CREATE TRIGGER trg"), "{s:#?}");
        assert!(s[1].ends_with("END"), "{s:#?}");
        assert!(s[1].contains("WHERE NEW.x IS NULL;"), "{s:#?}");
        assert_eq!(s[2], "INSERT INTO t VALUES (1)");
    }

    #[test]
    fn sqlite_temp_trigger_if_not_exists_and_when_clause() {
        let sql = "CREATE TEMP TRIGGER IF NOT EXISTS trg BEFORE UPDATE ON t WHEN CASE WHEN OLD.x > 0 THEN 1 END BEGIN SELECT 1; SELECT 2; END; SELECT 3";
        let s = split_statements(sql);
        assert_eq!(s.len(), 2, "{s:#?}");
        assert!(s[0].ends_with("SELECT 2; END"), "{s:#?}");
    }

    #[test]
    fn mysql_routines_with_nested_blocks_and_labels() {
        let sql = r#"
CREATE DEFINER=`root`@`localhost` PROCEDURE fill(IN n INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE done INT DEFAULT 0;
  outer_loop: LOOP
    SET i = i + 1;
    IF i > n THEN
      LEAVE outer_loop;
    ELSEIF i = 3 THEN
      ITERATE outer_loop;
    ELSE
      IF (i % 2) = 0 THEN INSERT INTO evens VALUES (i); END IF;
    END IF;
    CASE i
      WHEN 1 THEN SET done = IF(done > 0, 1, 0);
      ELSE BEGIN END;
    END CASE;
    WHILE done < 1 DO SET done = done + 1; END WHILE;
    REPEAT SET done = done - 1; UNTIL done <= 0 END REPEAT;
    SET @s = REPEAT('x;', 2);
    DROP TEMPORARY TABLE IF EXISTS scratch;
  END LOOP outer_loop;
END;
CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC
BEGIN
  DECLARE r INT;
  SET r = x * 2; -- a comment with END; in it
  RETURN r;
END;
CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW
BEGIN
  IF NEW.a < 0 THEN SET NEW.a = 0; END IF;
END;
CREATE TRIGGER trg2 BEFORE INSERT ON t FOR EACH ROW SET NEW.b = 'end; begin';
CREATE EVENT ev ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t WHERE a < 0; DELETE FROM u; END;
BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; END;
BEGIN;
SELECT 1;
COMMIT;
"#;
        let s = split_statements(sql);
        assert_eq!(s.len(), 9, "{s:#?}");
        assert!(s[0].starts_with("CREATE DEFINER") && s[0].ends_with("END LOOP outer_loop;\nEND"));
        assert!(s[1].starts_with("CREATE FUNCTION twice") && s[1].ends_with("RETURN r;\nEND"));
        assert!(s[2].starts_with("CREATE TRIGGER trg ") && s[2].ends_with("END IF;\nEND"));
        assert_eq!(
            s[3],
            "CREATE TRIGGER trg2 BEFORE INSERT ON t FOR EACH ROW SET NEW.b = 'end; begin'"
        );
        assert!(s[4].starts_with("CREATE EVENT") && s[4].ends_with("DELETE FROM u; END"));
        assert_eq!(s[5], "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; END");
        assert_eq!(&s[6..], ["BEGIN", "SELECT 1", "COMMIT"]);
    }

    #[test]
    fn postgres_bodies_dollar_quoted_and_begin_atomic() {
        let sql = "CREATE OR REPLACE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  IF NEW.x IS NULL THEN NEW.x := 1; END IF;\n  RETURN NEW;\nEND;\n$$;\nCREATE FUNCTION g() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;\nCREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION stamp();\nCREATE FUNCTION h(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a + 1; SELECT CASE WHEN a > 0 THEN a END; END;\nSELECT $1, x$y FROM t";
        let s = split_statements(sql);
        assert_eq!(s.len(), 5, "{s:#?}");
        assert!(s[0].ends_with("END;\n$$"), "{s:#?}");
        assert!(s[1].ends_with("LANGUAGE sql"), "{s:#?}");
        assert!(s[2].starts_with("CREATE TRIGGER"), "{s:#?}");
        assert!(s[3].ends_with("THEN a END; END"), "{s:#?}");
    }

    #[test]
    fn keywords_in_names_quotes_and_plain_statements_do_not_open_blocks() {
        let sql = "CREATE TABLE function (\"begin\" int, `end` int, case_no int);\nSELECT CASE WHEN 1 THEN 2 END FROM t;\nBEGIN TRANSACTION;\nUPDATE t SET begin_at = 1;\nEND;\nCREATE TABLE x (y int)";
        let s = split_statements(sql);
        assert_eq!(s.len(), 6, "{s:#?}");
    }

    #[test]
    fn nested_labelled_blocks_and_parenthesised_actions() {
        let sql = "CREATE PROCEDURE p() outer_block: BEGIN inner_block: BEGIN SELECT 1; END inner_block; SELECT 2; END outer_block;\nCREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT (1)";
        let s = split_statements(sql);
        assert_eq!(s.len(), 3, "{s:#?}");
        assert!(s[0].ends_with("END outer_block"), "{s:#?}");
        assert!(s[1].ends_with("VALUES (2))"), "{s:#?}");
    }

    #[test]
    fn inner_semicolons_are_found_outside_quotes_only() {
        assert!(has_inner_semicolon(
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END;"
        ));
        assert!(!has_inner_semicolon("INSERT INTO t VALUES ('a;b'); "));
        assert!(!has_inner_semicolon("CREATE FUNCTION f() AS $$ a; b $$"));
    }
}
