//! A YAML document tree that remembers where every node came from, so that every
//! error in `retort.yaml`, `schema.yaml` or a revision file can name file:line:col.
//! Also a small emitter for the flow-style YAML that retort writes.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

mod plain;

/// A position in a source file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// One problem in one file, at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in.
    pub file: PathBuf,
    /// Where in the file.
    pub span: Span,
    /// What is wrong, and where possible how to fix it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.span.line,
            self.span.col,
            self.message
        )
    }
}

/// Every problem found in one pass over some files; never just the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, file: &Path, span: Span, message: impl Into<String>) {
        self.0.push(Diagnostic {
            file: file.to_path_buf(),
            span,
            message: message.into(),
        });
    }
    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Sorts by file and position, for stable output.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.file, a.span.line, a.span.col).cmp(&(&b.file, b.span.line, b.span.col))
        });
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `null`, `~` or an empty value.
    Null,
    /// Any scalar; `quoted` is true when it was written in quotes (and so is a string).
    Scalar { text: String, quoted: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, keys in written order.
    Map(Vec<(Node, Node)>),
}

/// A YAML node and where it started.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: NodeValue,
    /// Where the node starts.
    pub span: Span,
}

impl Node {
    /// A short name of the node's kind, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Scalar { .. } => "a scalar",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }
    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }
    /// A boolean (`true`/`false`, YAML 1.2 core schema, any case).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            NodeValue::Scalar {
                text,
                quoted: false,
            } => match text.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
    /// A non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match &self.value {
            NodeValue::Scalar {
                text,
                quoted: false,
            } => text.parse().ok(),
            _ => None,
        }
    }
    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Null)
    }
    /// The entries of a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The items of a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(s) => Some(s),
            _ => None,
        }
    }
    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }
}

/// How many nodes aliases (`*name`) may add in one file before the file is rejected as
/// an alias bomb ("billion laughs"). Real retort files use few or no aliases.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// How deeply mappings and lists may nest in one file.
pub const MAX_DEPTH: usize = 256;

/// The first character of `text` that YAML does not allow in a stream (YAML 1.2 §5.1:
/// C0 controls other than tab, LF and CR; DEL; C1 controls other than NEL; U+FFFE and
/// U+FFFF), with its 1-based position. A NUL in particular silently ends the document in
/// the parser, so it must be caught before parsing.
pub fn first_forbidden_char(text: &str) -> Option<(Span, char)> {
    let (mut line, mut col) = (1, 1);
    for c in text.chars() {
        let allowed = match c {
            '\t' | '\n' | '\r' => true,
            '\u{0}'..='\u{1f}' | '\u{7f}' => false,
            '\u{85}' => true,
            '\u{80}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => false,
            _ => true,
        };
        if !allowed {
            return Some((Span { line, col }, c));
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    None
}

/// The message for a character YAML does not allow.
pub fn forbidden_char_message(c: char) -> String {
    let name = match c {
        '\u{0}' => " (NUL)",
        '\u{7f}' => " (DEL)",
        _ => "",
    };
    format!(
        "control character U+{:04X}{name} is not allowed here; remove it (if it is meant as data, write the escape \"\\u{:04X}\" inside a double-quoted string)",
        c as u32, c as u32
    )
}

/// Parses one YAML document. An empty document is `Null`.
///
/// Stricter than YAML's letter, so that a file never means less than it looks like it
/// means: a leading byte-order mark is skipped, but control characters (NUL above all),
/// a second document (`---`), duplicate keys in a mapping, tags other than YAML's core
/// ones, aliases that expand to more than [`MAX_ALIAS_NODES`] nodes, and nesting deeper
/// than [`MAX_DEPTH`] are errors at their position.
pub fn parse(text: &str) -> Result<Node, (Span, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((span, c)) = first_forbidden_char(text) {
        return Err((span, forbidden_char_message(c)));
    }
    match plain::parse(text) {
        Some(node) => {
            // Debug builds (the test suite's) hold the quick reader to the parser on
            // every file they read.
            #[cfg(debug_assertions)]
            assert_eq!(
                Ok(&node),
                parse_general(text).as_ref(),
                "the quick YAML reader disagrees with the parser on:\n{text}"
            );
            Ok(node)
        }
        None => parse_general(text),
    }
}

/// [`parse`] by the general YAML parser, for any text (without a byte-order mark or
/// forbidden characters).
fn parse_general(text: &str) -> Result<Node, (Span, String)> {
    let mut builder = TreeBuilder::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            (
                Span {
                    line: m.line(),
                    col: m.col() + 1,
                },
                e.info().to_string(),
            )
        })?;
        let end = ev == Event::StreamEnd;
        builder.on_event(ev, mark);
        if let Some(err) = builder.error.take() {
            return Err(err);
        }
        if end {
            break;
        }
    }
    Ok(builder.root.unwrap_or(Node {
        value: NodeValue::Null,
        span: Span { line: 1, col: 1 },
    }))
}

/// Decodes a source file's bytes as UTF-8; anything else is a diagnostic at the first
/// byte that is not UTF-8.
pub fn decode_source(file: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = &bytes[..e.utf8_error().valid_up_to()];
        let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let bad = bytes.get(valid.len()).copied().unwrap_or(0);
        Diagnostic {
            file: file.to_path_buf(),
            span: Span { line, col },
            message: format!("the file is not valid UTF-8 (byte 0x{bad:02x}); save it as UTF-8"),
        }
    })
}

/// Parses a file's text, turning a syntax error into a diagnostic for that file.
pub fn parse_file(file: &Path, text: &str) -> Result<Node, Diagnostic> {
    parse(text).map_err(|(span, message)| Diagnostic {
        file: file.to_path_buf(),
        span,
        message: format!("invalid YAML: {message}"),
    })
}

/// A mapping or list being built, with the number of nodes it holds so far.
enum Frame {
    Seq(Span, Vec<Node>),
    Map {
        span: Span,
        entries: Vec<(Node, Node)>,
        pending: Option<Node>,
        /// Scalar keys seen so far, with where each was first written.
        seen: HashMap<String, Span>,
    },
}

struct OpenFrame {
    frame: Frame,
    anchor: usize,
    /// Nodes in this container, itself included.
    size: usize,
}

#[derive(Default)]
struct TreeBuilder {
    stack: Vec<OpenFrame>,
    /// Anchored nodes and their sizes in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes added by aliases so far.
    alias_nodes: usize,
    documents: usize,
    root: Option<Node>,
    error: Option<(Span, String)>,
}

/// The text by which duplicate keys are recognised (`None` for keys that are not scalars).
fn key_identity(key: &Node) -> Option<String> {
    match &key.value {
        NodeValue::Null => Some("null".into()),
        NodeValue::Scalar { text, .. } => Some(text.clone()),
        _ => None,
    }
}

fn tag_name(tag: &Tag) -> String {
    if tag.handle == CORE_TAG_PREFIX {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

impl TreeBuilder {
    fn fail(&mut self, span: Span, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some((span, message.into()));
        }
    }

    /// Checks a tag: YAML's core tags are accepted (`!!str` makes a scalar a string),
    /// any other tag is an error. Returns true when the node is forced to be a string.
    fn check_tag(&mut self, tag: Option<&Tag>, span: Span, allowed: &[&str]) -> bool {
        let Some(tag) = tag else { return false };
        if tag.handle == CORE_TAG_PREFIX && allowed.contains(&tag.suffix.as_str()) {
            return tag.suffix == "str";
        }
        self.fail(
            span,
            format!(
                "tag `{}` is not supported; retort files are plain YAML: remove the tag",
                tag_name(tag)
            ),
        );
        false
    }

    fn finish(&mut self, node: Node, anchor: usize, size: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let mut duplicate = None;
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(open) => {
                open.size += size;
                match &mut open.frame {
                    Frame::Seq(_, items) => items.push(node),
                    Frame::Map {
                        entries,
                        pending,
                        seen,
                        ..
                    } => match pending.take() {
                        None => {
                            if let Some(id) = key_identity(&node) {
                                if let Some(first) = seen.get(&id) {
                                    duplicate = Some((node.span, id, *first));
                                } else {
                                    seen.insert(id, node.span);
                                }
                            }
                            *pending = Some(node);
                        }
                        Some(key) => entries.push((key, node)),
                    },
                }
            }
        }
        if let Some((span, key, first)) = duplicate {
            self.fail(
                span,
                format!(
                    "duplicate key `{key}` (first at line {}, column {}); a key may appear only once in a mapping: remove or rename one",
                    first.line, first.col
                ),
            );
        }
    }

    fn open(&mut self, frame: Frame, anchor: usize, span: Span) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(
                span,
                format!("mappings and lists nest more than {MAX_DEPTH} levels deep"),
            );
            return;
        }
        self.stack.push(OpenFrame {
            frame,
            anchor,
            size: 1,
        });
    }

    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let span = span_of(mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let forced_string =
                    self.check_tag(tag.as_ref(), span, &["str", "int", "float", "bool", "null"]);
                let quoted = forced_string || !matches!(style, TScalarStyle::Plain);
                let value =
                    if !quoted && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                        NodeValue::Null
                    } else {
                        NodeValue::Scalar { text, quoted }
                    };
                self.finish(Node { value, span }, anchor, 1);
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_tag(tag.as_ref(), span, &["seq"]);
                self.open(Frame::Seq(span, Vec::new()), anchor, span);
            }
            Event::MappingStart(anchor, tag) => {
                self.check_tag(tag.as_ref(), span, &["map"]);
                self.open(
                    Frame::Map {
                        span,
                        entries: Vec::new(),
                        pending: None,
                        seen: HashMap::new(),
                    },
                    anchor,
                    span,
                );
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.stack.pop() {
                    let node = match open.frame {
                        Frame::Seq(span, items) => Node {
                            value: NodeValue::Seq(items),
                            span,
                        },
                        Frame::Map { span, entries, .. } => {
                            // A block mapping's start is reported after its first key;
                            // the mapping starts where that key does.
                            let span = match entries.first() {
                                Some((k, _))
                                    if (k.span.line, k.span.col) < (span.line, span.col) =>
                                {
                                    k.span
                                }
                                _ => span,
                            };
                            Node {
                                value: NodeValue::Map(entries),
                                span,
                            }
                        }
                    };
                    self.finish(node, open.anchor, open.size);
                }
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    self.fail(span, "alias to an unknown anchor");
                    return;
                };
                let size = *size;
                self.alias_nodes = self.alias_nodes.saturating_add(size);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    self.fail(
                        span,
                        format!(
                            "aliases (`*name`) expand to more than {MAX_ALIAS_NODES} nodes, which looks like an alias bomb (\"billion laughs\"); write the values out instead of repeating aliases"
                        ),
                    );
                    return;
                }
                let mut node = node.clone();
                node.span = span;
                self.finish(node, 0, size);
            }
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.fail(
                        span,
                        "a second YAML document (`---`) in one file; retort reads exactly one document per file: remove the `---` line and what follows, or move it to its own file",
                    );
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

fn span_of(mark: Marker) -> Span {
    Span {
        line: mark.line(),
        col: mark.col() + 1,
    }
}

/// Did-you-mean: the candidate closest to `key` within a small edit distance.
pub fn closest<'a>(key: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(key, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Writes a string as a YAML scalar that reads back as exactly the same string:
/// plain where that is safe in flow context, double-quoted otherwise.
pub fn scalar(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// Writes a string as a double-quoted YAML scalar.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            // Not printable in YAML (DEL, C1 controls, U+FFFE/U+FFFF) or read as a line
            // break by some parsers (NEL, U+2028/U+2029), and the BOM: always escaped.
            '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_plain_safe(s: &str) -> bool {
    if s.is_empty() || s != s.trim() {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '(' | ')' | '.' | ' ' | '-'))
        && !s.contains(" -")
        && !s.contains("- ")
        && !s.contains("  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_with_any_character_read_back() {
        for s in [
            "a\u{7f}b",
            "\u{85}",
            "x\u{9f}\u{2028}\u{2029}\u{feff}y",
            "\u{0}\u{1b}",
            "\u{ffff}",
        ] {
            let text = format!("k: {}\n", quoted(s));
            let n = parse(&text).unwrap_or_else(|e| panic!("{s:?}: {e:?}"));
            assert_eq!(n.get("k").unwrap().as_str(), Some(s), "{text}");
        }
    }

    #[test]
    fn positions_are_one_based() {
        let n = parse("a:\n  b: [1, x]\n").unwrap();
        let b = n.get("a").unwrap().get("b").unwrap();
        assert_eq!(b.span, Span { line: 2, col: 6 });
        let x = &b.as_seq().unwrap()[1];
        assert_eq!(x.as_str(), Some("x"));
        assert_eq!(x.span, Span { line: 2, col: 10 });
    }

    #[test]
    fn nulls_and_quotes() {
        let n = parse("a: ~\nb: 'null'\nc:\n").unwrap();
        assert!(n.get("a").unwrap().is_null());
        assert_eq!(n.get("b").unwrap().as_str(), Some("null"));
        assert!(n.get("c").unwrap().is_null());
    }

    #[test]
    fn syntax_error_has_position() {
        let (span, _) = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(span.line >= 2);
    }

    #[test]
    fn scalars_round_trip() {
        for s in [
            "plain",
            "varchar(255)",
            "'pending'",
            "CURRENT_TIMESTAMP",
            "file_size > 0",
            "a, b",
            "yes",
            "",
            " padded",
            "x: y",
            "#hash",
            "multi\nline",
            "tab\there",
            "quote\"d",
            "back\\slash",
            "-1",
            "10",
            "reply-to",
            "- x",
        ] {
            let text = format!("k: [{}]", scalar(s));
            let n = parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            let item = &n.get("k").unwrap().as_seq().unwrap()[0];
            assert_eq!(item.as_str(), Some(s), "{text}");
        }
    }

    #[test]
    fn nul_byte_is_located_not_a_shorter_document() {
        let (span, msg) = parse("tables:\n  a: x\n  b\0: y\n  c: z\n").unwrap_err();
        assert_eq!(span, Span { line: 3, col: 4 });
        assert!(msg.contains("U+0000 (NUL)"), "{msg}");
        let (span, _) = parse("a: 1\x01\n").unwrap_err();
        assert_eq!(span, Span { line: 1, col: 5 });
    }

    #[test]
    fn bom_is_skipped() {
        let n = parse("\u{feff}a: 1\n").unwrap();
        assert_eq!(n.get("a").unwrap().as_str(), Some("1"));
        assert_eq!(n.get("a").unwrap().span, Span { line: 1, col: 4 });
    }

    #[test]
    fn second_document_is_an_error() {
        let (span, msg) = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(span.line, 2, "{msg}");
        assert!(msg.contains("second YAML document"), "{msg}");
        assert!(
            parse("---\na: 1\n").is_ok(),
            "a leading --- starts the only document"
        );
        assert!(parse("a: 1\n...\n").is_ok());
    }

    #[test]
    fn duplicate_keys_are_errors_at_every_level() {
        let (span, msg) = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(span, Span { line: 3, col: 1 });
        assert!(
            msg.contains("duplicate key `a` (first at line 1, column 1)"),
            "{msg}"
        );
        let (span, _) = parse("t:\n  c: {x: 1, x: 2}\n").unwrap_err();
        assert_eq!(span, Span { line: 2, col: 13 });
        assert!(parse("a: ~\n~: 1\nnull: 2\n").is_err());
        assert!(
            parse("a: {x: 1}\nb: {x: 1}\n").is_ok(),
            "same key in different maps"
        );
    }

    #[test]
    fn tags_other_than_core_ones_are_errors() {
        let (span, msg) = parse("a: !custom x\n").unwrap_err();
        assert_eq!(span.line, 1);
        assert!(msg.contains("tag `!custom`"), "{msg}");
        assert!(parse("a: !!binary aGVsbG8=\n").is_err());
        assert!(parse("a: !!python/object x\n").is_err());
        let n = parse("a: !!str 10\nb: !!map {x: 1}\n").unwrap();
        assert_eq!(
            n.get("a").unwrap().value,
            NodeValue::Scalar {
                text: "10".into(),
                quoted: true
            }
        );
    }

    #[test]
    fn alias_bomb_fails_fast_and_small_aliases_work() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in "bcdefghijk".chars() {
            bomb.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        assert!(bomb.len() < 1000, "{}", bomb.len());
        let started = std::time::Instant::now();
        let (span, msg) = parse(&bomb).unwrap_err();
        assert!(msg.contains("alias bomb"), "{msg}");
        assert!(span.line > 1);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let n = parse("base: &b {type: integer}\nx: *b\ny: *b\n").unwrap();
        assert_eq!(
            n.get("y").unwrap().get("type").unwrap().as_str(),
            Some("integer")
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("a: {}{}\n", "[".repeat(300), "]".repeat(300));
        assert!(parse(&deep).is_err());
        let mut block = String::new();
        for i in 0..300 {
            block.push_str(&" ".repeat(i));
            block.push_str("k:\n");
        }
        let (_, msg) = parse(&block).unwrap_err();
        assert!(msg.contains("nest more than"), "{msg}");
    }

    #[test]
    fn invalid_utf8_is_located() {
        let d = decode_source(Path::new("f.yaml"), b"a: 1\nbb: \xe9t\xe9\n".to_vec()).unwrap_err();
        assert_eq!(d.span, Span { line: 2, col: 5 });
        assert!(d.message.contains("0xe9"), "{}", d.message);
    }
}
