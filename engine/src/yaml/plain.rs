//! A quick reader for the plain YAML that revision files are written in.
//!
//! Most files retort reads are laid out the way `retort revision` writes them: block
//! mappings and lists indented with spaces, flow mappings and lists on one line, and
//! one-line scalars, plain or quoted. This reader builds the tree of such a file
//! directly, several times faster than the general parser. It gives up (returns
//! `None`) at the first thing outside that subset: anchors, aliases, tags, block or
//! multi-line scalars, escapes, empty values, tabs, carriage returns, documents
//! markers, duplicate keys, anything unusual. The general parser then reads the file,
//! so every error, and every construct this reader does not know, is handled there.
//!
//! Where it does give a tree, it is the tree the general parser gives, spans included;
//! the tests hold the two readers to that on every file they try.

use super::{Node, NodeValue, Span};

/// How deeply this reader follows nesting before leaving the file to the parser.
const MAX_NESTING: usize = 64;

/// Longest key read here (YAML limits implicit keys to 1024 characters).
const MAX_KEY_BYTES: usize = 1000;

/// The tree of `text` (without a byte-order mark), or `None` when the file is not in
/// the subset this reader knows.
pub(super) fn parse(text: &str) -> Option<Node> {
    if text.bytes().any(|b| b == b'\t' || b == b'\r') {
        return None;
    }
    let mut reader = Reader {
        lines: text.split('\n').collect(),
        line: 0,
        off: 0,
    };
    reader.skip_blank();
    let (indent, content) = reader.current()?;
    if content.starts_with("---") || content.starts_with("...") {
        return None;
    }
    let root = reader.block_map(indent, 0)?;
    reader.skip_blank();
    (reader.line >= reader.lines.len()).then_some(root)
}

/// Characters that may not start a plain scalar here (YAML's indicators).
fn starts_plain(c: u8) -> bool {
    !matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

/// Whether `text` starts with a `-` that begins a plain scalar (`-1`, `-x`).
fn starts_with_dash(text: &str) -> bool {
    let b = text.as_bytes();
    b.first() == Some(&b'-') && b.get(1).is_some_and(|&c| starts_plain(c))
}

/// Whether a line's content starts a block list item.
fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// Whether the rest of a line after a value is empty or a comment.
fn only_comment(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.len() < rest.len() && trimmed.starts_with('#'))
}

/// The node for a scalar: plain `null` spellings (and nothing) are null.
fn scalar(text: String, quoted: bool, span: Span) -> Node {
    let value = if !quoted && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
        NodeValue::Null
    } else {
        NodeValue::Scalar { text, quoted }
    };
    Node { value, span }
}

/// Whether `key` repeats one of `entries`' keys (the parser reports those).
fn repeats(entries: &[(Node, Node)], key: &Node) -> bool {
    fn id(n: &Node) -> Option<&str> {
        match &n.value {
            NodeValue::Null => Some("null"),
            NodeValue::Scalar { text, .. } => Some(text.as_str()),
            _ => None,
        }
    }
    let Some(this) = id(key) else { return true };
    entries.iter().any(|(k, _)| id(k) == Some(this))
}

struct Reader<'a> {
    lines: Vec<&'a str>,
    /// The current line (0-based) and byte offset in it.
    line: usize,
    off: usize,
}

impl<'a> Reader<'a> {
    /// The rest of the current line from the current offset.
    fn rest(&self) -> &'a str {
        self.lines
            .get(self.line)
            .and_then(|l| l.get(self.off..))
            .unwrap_or("")
    }

    /// The span of the current position (columns count characters, as the parser's do).
    fn span(&self) -> Span {
        let line = self.lines.get(self.line).copied().unwrap_or("");
        let before = line.get(..self.off).unwrap_or("");
        let col = if before.is_ascii() {
            before.len()
        } else {
            before.chars().count()
        };
        Span {
            line: self.line + 1,
            col: col + 1,
        }
    }

    /// Moves to the first line at or after the current one with content (not blank,
    /// not only a comment), at its first character.
    fn skip_blank(&mut self) {
        while let Some(line) = self.lines.get(self.line) {
            let content = line.trim_start_matches(' ');
            if !content.is_empty() && !content.starts_with('#') {
                self.off = line.len() - content.len();
                return;
            }
            self.line += 1;
            self.off = 0;
        }
    }

    /// Moves past the current line to the next with content.
    fn next_line(&mut self) {
        self.line += 1;
        self.off = 0;
        self.skip_blank();
    }

    /// The current line's indentation and content, when there is a line.
    fn current(&self) -> Option<(usize, &'a str)> {
        let line = self.lines.get(self.line)?;
        let content = line.trim_start_matches(' ');
        Some((line.len() - content.len(), content))
    }

    /// A block mapping whose keys start at column `col`; the current position is its
    /// first key.
    fn block_map(&mut self, col: usize, depth: usize) -> Option<Node> {
        if depth > MAX_NESTING {
            return None;
        }
        let mut entries: Vec<(Node, Node)> = Vec::new();
        loop {
            let key = self.key()?;
            if repeats(&entries, &key) {
                return None;
            }
            let value = self.value_after_key(col, depth)?;
            entries.push((key, value));
            match self.current() {
                None => break,
                Some((n, content)) if n == col && !is_item(content) => continue,
                Some((n, _)) if n < col => break,
                Some(_) => return None,
            }
        }
        let span = entries.first()?.0.span;
        Some(Node {
            value: NodeValue::Map(entries),
            span,
        })
    }

    /// A block mapping's key and its `:`; the position ends after the `:`.
    fn key(&mut self) -> Option<Node> {
        let rest = self.rest();
        let first = *rest.as_bytes().first()?;
        let span = self.span();
        let (node, len) = if first == b'"' || first == b'\'' {
            self.quoted(rest)?
        } else {
            if !starts_plain(first) {
                return None;
            }
            let end = key_end(rest)?;
            let text = rest[..end].trim_end_matches(' ');
            (scalar(text.to_string(), false, span), end)
        };
        if len > MAX_KEY_BYTES {
            return None;
        }
        let after = &rest[len..];
        let after_colon = after.strip_prefix(':')?;
        if !(after_colon.is_empty() || after_colon.starts_with(' ')) {
            return None;
        }
        self.off += len + 1;
        Some(node)
    }

    /// The value after a block mapping's `key:`, on the same line or below; the
    /// position ends at the next line with content.
    fn value_after_key(&mut self, col: usize, depth: usize) -> Option<Node> {
        let rest = self.rest();
        let value = rest.trim_start_matches(' ');
        if value.is_empty() || value.starts_with('#') {
            self.next_line();
            let (n, content) = self.current()?;
            return if is_item(content) && n == col {
                // A list at its key's indentation: the parser places it at its first
                // item.
                let mut seq = self.block_seq(n, depth + 1)?;
                let first = match &seq.value {
                    NodeValue::Seq(items) => items.first()?.span,
                    _ => return None,
                };
                if first.line != seq.span.line {
                    return None;
                }
                seq.span = first;
                Some(seq)
            } else if is_item(content) && n > col {
                self.block_seq(n, depth + 1)
            } else if n > col && !is_item(content) {
                self.block_map(n, depth + 1)
            } else {
                None
            };
        }
        self.off += rest.len() - value.len();
        let node = self.inline_value(depth)?;
        self.next_line();
        Some(node)
    }

    /// A block list whose `-` items are at column `col`; the current position is its
    /// first `-`.
    fn block_seq(&mut self, col: usize, depth: usize) -> Option<Node> {
        if depth > MAX_NESTING {
            return None;
        }
        let span = self.span();
        let mut items = Vec::new();
        loop {
            self.off += 1;
            let rest = self.rest();
            let content = rest.trim_start_matches(' ');
            let item = if content.is_empty() || content.starts_with('#') {
                self.next_line();
                let (n, content) = self.current()?;
                if n <= col {
                    return None;
                }
                if is_item(content) {
                    self.block_seq(n, depth + 1)?
                } else {
                    self.block_map(n, depth + 1)?
                }
            } else {
                self.off += rest.len() - content.len();
                if is_item(content) {
                    return None;
                }
                if has_key(content)? {
                    let key_col = self.off;
                    self.block_map(key_col, depth + 1)?
                } else {
                    let node = self.inline_value(depth)?;
                    self.next_line();
                    node
                }
            };
            items.push(item);
            match self.current() {
                Some((n, content)) if n == col && is_item(content) => continue,
                Some((n, _)) if n <= col => break,
                None => break,
                Some(_) => return None,
            }
        }
        Some(Node {
            value: NodeValue::Seq(items),
            span,
        })
    }

    /// A value that ends on its line: a flow collection, a quoted or a plain scalar,
    /// with at most a comment after it. The position is at its first character.
    fn inline_value(&mut self, depth: usize) -> Option<Node> {
        let rest = self.rest();
        let first = *rest.as_bytes().first()?;
        match first {
            b'[' | b'{' => {
                let node = self.flow(depth + 1)?;
                only_comment(self.rest()).then_some(node)
            }
            b'"' | b'\'' => {
                let (node, len) = self.quoted(rest)?;
                only_comment(&rest[len..]).then_some(node)
            }
            _ if starts_plain(first) || starts_with_dash(rest) => {
                let span = self.span();
                let end = rest.find(" #").unwrap_or(rest.len());
                let text = rest[..end].trim_end_matches(' ');
                if text.contains(": ") || text.ends_with(':') {
                    return None;
                }
                Some(scalar(text.to_string(), false, span))
            }
            _ => None,
        }
    }

    /// A quoted scalar at the start of `rest` (the current position), on one line and
    /// without escapes; its node and length in bytes.
    fn quoted(&self, rest: &str) -> Option<(Node, usize)> {
        let (text, len) = quoted_text(rest)?;
        Some((scalar(text, true, self.span()), len))
    }

    /// Moves past spaces on the current line.
    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.off += rest.len() - rest.trim_start_matches(' ').len();
    }

    /// A flow mapping or list that closes on its line; the position is at its `{` or
    /// `[` and ends after the closing bracket.
    fn flow(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_NESTING {
            return None;
        }
        let span = self.span();
        let open = *self.rest().as_bytes().first()?;
        let close = if open == b'[' { b']' } else { b'}' };
        self.off += 1;
        self.skip_spaces();
        let mut items = Vec::new();
        let mut entries: Vec<(Node, Node)> = Vec::new();
        if self.rest().as_bytes().first() == Some(&close) {
            self.off += 1;
        } else {
            loop {
                if open == b'[' {
                    items.push(self.flow_item(depth)?);
                } else {
                    let key = self.flow_scalar(true)?;
                    if repeats(&entries, &key) {
                        return None;
                    }
                    let rest = self.rest();
                    if !rest.starts_with(": ") {
                        return None;
                    }
                    self.off += 2;
                    self.skip_spaces();
                    let value = self.flow_item(depth)?;
                    entries.push((key, value));
                }
                self.skip_spaces();
                match self.rest().as_bytes().first() {
                    Some(b',') => {
                        self.off += 1;
                        self.skip_spaces();
                        let next = *self.rest().as_bytes().first()?;
                        if next == b',' || next == b']' || next == b'}' {
                            return None;
                        }
                    }
                    Some(&c) if c == close => {
                        self.off += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        let value = if open == b'[' {
            NodeValue::Seq(items)
        } else {
            NodeValue::Map(entries)
        };
        Some(Node { value, span })
    }

    /// An item of a flow collection: a nested one or a scalar.
    fn flow_item(&mut self, depth: usize) -> Option<Node> {
        match self.rest().as_bytes().first()? {
            b'[' | b'{' => self.flow(depth + 1),
            _ => self.flow_scalar(false),
        }
    }

    /// A quoted or plain scalar inside a flow collection; a key stops before its `:`.
    fn flow_scalar(&mut self, is_key: bool) -> Option<Node> {
        let rest = self.rest();
        let first = *rest.as_bytes().first()?;
        if first == b'"' || first == b'\'' {
            let (node, len) = self.quoted(rest)?;
            self.off += len;
            return Some(node);
        }
        if !(starts_plain(first) || (!is_key && starts_with_dash(rest))) {
            return None;
        }
        let span = self.span();
        let end = rest.find([',', '[', ']', '{', '}', ':', '#'])?;
        match rest.as_bytes()[end] {
            b':' if is_key => {}
            b',' | b']' | b'}' if !is_key => {}
            _ => return None,
        }
        let text = rest[..end].trim_end_matches(' ');
        if text.len() > MAX_KEY_BYTES {
            return None;
        }
        self.off += end;
        Some(scalar(text.to_string(), false, span))
    }
}

/// Where a plain block key ends: the `:` followed by a space or the line's end. `None`
/// when the text is not plainly a key (a comment or a flow indicator comes first).
fn key_end(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b':' if matches!(bytes.get(i + 1), None | Some(b' ')) => return Some(i),
            b'#' | b',' | b'[' | b']' | b'{' | b'}' => return None,
            _ => {}
        }
    }
    None
}

/// The quoted scalar at the start of `rest`, on one line and without escapes: its text
/// and its length in bytes, quotes included.
fn quoted_text(rest: &str) -> Option<(String, usize)> {
    let quote = *rest.as_bytes().first()?;
    let body = &rest[1..];
    if quote == b'"' {
        let end = body.find(['"', '\\'])?;
        return (body.as_bytes()[end] == b'"').then(|| (body[..end].to_string(), end + 2));
    }
    let mut text = String::new();
    let mut at = 0;
    loop {
        let next = at + body[at..].find('\'')?;
        text.push_str(&body[at..next]);
        if body.as_bytes().get(next + 1) == Some(&b'\'') {
            text.push('\'');
            at = next + 2;
        } else {
            return Some((text, next + 2));
        }
    }
}

/// Whether a list item's text starts with a mapping key (`key: ...`); `None` when
/// that is not plain to see.
fn has_key(content: &str) -> Option<bool> {
    let bytes = content.as_bytes();
    let first = *bytes.first()?;
    if first == b'"' || first == b'\'' {
        // A quoted scalar on its own, or a quoted key: look after the closing quote.
        let (_, len) = quoted_text(content)?;
        return Some(content[len..].starts_with(':'));
    }
    if first == b'[' || first == b'{' {
        return Some(false);
    }
    let comment = content.find(" #").unwrap_or(content.len());
    let text = &content[..comment];
    Some(text.contains(": ") || text.ends_with(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general parser's tree for `text`.
    fn full(text: &str) -> Result<Node, (Span, String)> {
        super::super::parse_general(text)
    }

    /// Asserts that this reader either leaves `text` to the parser or gives its tree.
    fn agrees(text: &str) -> bool {
        match parse(text) {
            None => false,
            Some(quick) => {
                match full(text) {
                    Ok(general) => {
                        if let Some(at) = first_difference(&quick, &general) {
                            panic!(
                                "the quick reader disagrees with the parser at {at} on:\n{text}"
                            );
                        }
                    }
                    Err(e) => {
                        panic!("the quick reader read what the parser refuses ({e:?}):\n{text}")
                    }
                }
                true
            }
        }
    }

    /// Where two trees first differ, as a path of keys and indexes with both nodes' kind
    /// and span.
    fn first_difference(a: &Node, b: &Node) -> Option<String> {
        let here = || format!("{:?} {:?} vs {:?} {:?}", a.span, short(a), b.span, short(b));
        if a.span != b.span {
            return Some(here());
        }
        match (&a.value, &b.value) {
            (NodeValue::Seq(x), NodeValue::Seq(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| first_difference(p, q).map(|d| format!("[{i}] {d}"))),
            (NodeValue::Map(x), NodeValue::Map(y)) if x.len() == y.len() => {
                x.iter().zip(y).find_map(|((k1, v1), (k2, v2))| {
                    first_difference(k1, k2)
                        .or_else(|| first_difference(v1, v2))
                        .map(|d| format!("{:?} {d}", k1.as_str()))
                })
            }
            (x, y) if std::mem::discriminant(x) == std::mem::discriminant(y) && x == y => None,
            (NodeValue::Seq(_), NodeValue::Seq(_)) | (NodeValue::Map(_), NodeValue::Map(_)) => {
                Some(format!("lengths differ: {}", here()))
            }
            _ => Some(here()),
        }
    }

    fn short(n: &Node) -> String {
        match &n.value {
            NodeValue::Seq(items) => format!("list of {}", items.len()),
            NodeValue::Map(entries) => format!("mapping of {}", entries.len()),
            other => format!("{other:?}"),
        }
    }

    const REVISION: &str = r#"# option contracts
#
# Revision ID: 3c4d5e6f7081
revision: 3c4d5e6f7081
down_revision: 2b3c4d5e6f70
branch_labels: []
depends_on: [a, "b", 'c''d']
message: 'option: contracts'
transactional: true
upgrade:
  - create_enum: {name: option_type, values: [call, put]}
  - create_table:
      name: option_contracts   # a comment
      comment: A single contract # within a snapshot
      columns:
        id: {type: integer, primary_key: true, autoincrement: true}
        strike: {type: "numeric(12,4)", nullable: false}
        volume: {type: integer, nullable: false, server_default: "0"}
        ключ: {type: text, default: 'é'}
      indexes:
        - {name: ix_strike, columns: [strike]}
        -   {name: ix_expiration, columns: [expiration]}
      foreign_keys:
      - {name: fk, columns: [snapshot_id], references: {table: snap, columns: [id]}, on_delete: cascade}
downgrade:
  - drop_table: {name: option_contracts}
  - drop_enum:
      name: option_type

  - execute: 'DROP TABLE x; -- gone'
  - a: 1
    b: ~
    c: [ ]
    d: { }
  -
    e: 5
"#;

    #[test]
    fn a_revision_file_reads_as_the_parser_reads_it() {
        assert!(agrees(REVISION));
        // A list directly in a list is outside the subset.
        assert!(!agrees(&format!("{REVISION}  - - nested\n")));
    }

    #[test]
    fn files_outside_the_subset_are_left_to_the_parser() {
        for text in [
            "",
            "# only a comment\n",
            "---\na: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: |\n  text\n",
            "a: >\n  text\n",
            "a: b\n  c\n",
            "a:\n  b\n",
            "a:\n",
            "a: 1\na: 2\n",
            "a: {b: 1, b: 2}\n",
            "a: \"x\\ny\"\n",
            "a: 'x\n  y'\n",
            "a:\tb\n",
            "a: 1\r\nb: 2\r\n",
            "a: [1, 2\n",
            "a: [1, 2,]\n",
            "a: {b}\n",
            "a: {b:c}\n",
            "a: b: c\n",
            "- a\n- b\n",
            "[a, b]\n",
            "a: 1\n  b: 2\n",
            "a:\n  - x\n - y\n",
            "? a\n: b\n",
            "a: - b\n",
            "a: 'x' y\n",
            "a: [x]y\n",
            "a: [a: b]\n",
            "a: {x: [1, {y: z}], w: 'q'} # end\nb: -1\n",
        ] {
            // Whatever the reader does, it may not disagree with the parser.
            agrees(text);
        }
        for text in [
            "",
            "---\na: 1\n",
            "a: &x 1\nb: *x\n",
            "a:\n",
            "a: 1\na: 2\n",
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
        assert!(agrees("a: {x: [1, {y: z}], w: 'q'} # end\nb: -1\n"));
    }

    /// Every line of `base` cut, doubled, dedented, or with one character changed:
    /// many near-misses of the subset, each held to the parser's reading.
    #[test]
    fn edits_of_a_revision_file_never_read_differently() {
        let lines: Vec<&str> = REVISION.lines().collect();
        let inserts = [
            "", " ", ":", "-", "#", "'", "\"", "[", "]", "{", "}", ",", "&a", "*a", "!", "|", "?",
            "~", "é", "- ", ": ", " #", "null",
        ];
        let mut quick = 0;
        let mut tried = 0;
        for i in 0..lines.len() {
            let mut variants = Vec::new();
            let without: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| *l)
                .collect();
            variants.push(without.join("\n"));
            let mut doubled = lines.clone();
            doubled.insert(i, lines[i]);
            variants.push(doubled.join("\n"));
            let mut dedented = lines.clone();
            dedented[i] = lines[i].strip_prefix("  ").unwrap_or(lines[i]);
            variants.push(dedented.join("\n"));
            let line = lines[i];
            let positions: Vec<usize> = line
                .char_indices()
                .map(|(p, _)| p)
                .chain([line.len()])
                .collect();
            for &p in &positions {
                for insert in inserts {
                    let mut edited = lines.clone();
                    let changed = format!("{}{insert}{}", &line[..p], &line[p..]);
                    edited[i] = &changed;
                    variants.push(edited.join("\n"));
                }
            }
            for text in variants {
                tried += 1;
                if agrees(&text) {
                    quick += 1;
                }
            }
        }
        eprintln!("{quick} of {tried} read quickly");
        assert!(quick > tried / 10, "{quick} of {tried} read quickly");
    }
}
