//! A YAML document tree that remembers where every node came from, so that every
//! error in `retort.yaml`, `schema.yaml` or a revision file can name file:line:col.
//! Also a small emitter for the flow-style YAML that retort writes.

use std::fmt;
use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

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

/// Parses one YAML document. An empty document is `Null`.
pub fn parse(text: &str) -> Result<Node, (Span, String)> {
    let mut builder = TreeBuilder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| {
        let m = e.marker();
        (
            Span {
                line: m.line(),
                col: m.col() + 1,
            },
            e.info().to_string(),
        )
    })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.root.unwrap_or(Node {
        value: NodeValue::Null,
        span: Span { line: 1, col: 1 },
    }))
}

/// Parses a file's text, turning a syntax error into a diagnostic for that file.
pub fn parse_file(file: &Path, text: &str) -> Result<Node, Diagnostic> {
    parse(text).map_err(|(span, message)| Diagnostic {
        file: file.to_path_buf(),
        span,
        message: format!("invalid YAML: {message}"),
    })
}

enum Frame {
    Seq(Span, Vec<Node>),
    Map(Span, Vec<(Node, Node)>, Option<Node>),
}

#[derive(Default)]
struct TreeBuilder {
    stack: Vec<(Frame, usize)>,
    anchors: std::collections::HashMap<usize, Node>,
    root: Option<Node>,
    error: Option<(Span, String)>,
}

impl TreeBuilder {
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some((Frame::Seq(_, items), _)) => items.push(node),
            Some((Frame::Map(_, entries, pending), _)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

fn span_of(mark: Marker) -> Span {
    Span {
        line: mark.line(),
        col: mark.col() + 1,
    }
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let span = span_of(mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                let value =
                    if !quoted && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                        NodeValue::Null
                    } else {
                        NodeValue::Scalar { text, quoted }
                    };
                self.finish(Node { value, span }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push((Frame::Seq(span, Vec::new()), anchor))
            }
            Event::MappingStart(anchor, _) => self
                .stack
                .push((Frame::Map(span, Vec::new(), None), anchor)),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((frame, anchor)) = self.stack.pop() {
                    let node = match frame {
                        Frame::Seq(span, items) => Node {
                            value: NodeValue::Seq(items),
                            span,
                        },
                        Frame::Map(span, entries, _) => Node {
                            value: NodeValue::Map(entries),
                            span,
                        },
                    };
                    self.finish(node, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(mut node) => {
                    node.span = span;
                    self.finish(node, 0);
                }
                None => {
                    if self.error.is_none() {
                        self.error = Some((span, "alias to an unknown anchor".into()));
                    }
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
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
}
