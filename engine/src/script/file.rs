//! Revision files: reading both formats (YAML operations and plain SQL) and the
//! header fields they share.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::yaml::{parse_file, Diagnostic, Diagnostics, Node, NodeValue, Span};

/// The body of a revision: YAML operations (kept as parsed nodes until the operations
/// are needed) or plain SQL text.
#[derive(Debug, Clone, PartialEq)]
pub enum RevisionBody {
    /// YAML `upgrade:` / `downgrade:` operation lists.
    Yaml {
        /// The `upgrade` list.
        upgrade: Node,
        /// The `downgrade` list.
        downgrade: Node,
    },
    /// SQL `-- +upgrade` / `-- +downgrade` sections.
    Sql {
        /// The upgrade section.
        upgrade: String,
        /// The downgrade section.
        downgrade: String,
    },
}

/// One revision file, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// The revision id.
    pub id: String,
    /// Parents: none for a base, several for a merge.
    pub down_revisions: Vec<String>,
    /// Branch labels.
    pub branch_labels: Vec<String>,
    /// Revisions (or labels) this one depends on without merging.
    pub depends_on: Vec<String>,
    /// The message.
    pub message: String,
    /// The create date from the header, as written.
    pub create_date: Option<String>,
    /// False: run outside any transaction.
    pub transactional: bool,
    /// `lock_timeout`: how long (milliseconds) each statement of this revision may wait
    /// for a lock before it fails.
    pub lock_timeout: Option<u64>,
    /// `lock_retries`: how many times to retry the revision after a lock timeout (where
    /// it runs inside a transaction).
    pub lock_retries: u32,
    /// The operations or SQL (empty lists while `body_deferred`).
    pub body: RevisionBody,
    /// The file's text as read: what its byte checksum covers, and where a deferred
    /// body is read from.
    pub source: Arc<str>,
    /// True when a header-only load skipped the operations: `body` holds empty lists,
    /// and [`RevisionFile::read_body`] reads the real ones from `source`.
    pub body_deferred: bool,
}

impl RevisionFile {
    /// True for the plain-SQL format.
    pub fn is_sql(&self) -> bool {
        matches!(self.body, RevisionBody::Sql { .. })
    }

    /// The whole file read from `source` (its operations included), with every
    /// mistake a full load would report for it.
    pub fn read_body(&self) -> Result<RevisionBody, Diagnostics> {
        let mut diags = Diagnostics::default();
        match parse_revision_text(&self.path, &self.source, &mut diags) {
            Some(full) if diags.is_empty() => Ok(full.body),
            _ => Err(diags),
        }
    }
}

const YAML_KEYS: &[&str] = &[
    "revision",
    "down_revision",
    "branch_labels",
    "depends_on",
    "message",
    "transactional",
    "lock_timeout",
    "lock_retries",
    "upgrade",
    "downgrade",
];

/// Reads every revision file (`*.yaml`, `*.yml`, `*.sql`) in the given directories.
/// Missing directories hold no revisions. All problems are reported together.
pub fn load_revision_files(dirs: &[PathBuf]) -> Result<Vec<RevisionFile>, Diagnostics> {
    load_files(dirs, false)
}

/// [`load_revision_files`] for commands that need only the revision graph (`history`,
/// `heads`, `branches`, `current`): a YAML file's `upgrade` and `downgrade` sections
/// are skipped, not parsed, and come back as empty lists; everything else (and every
/// mistake outside those sections) is exactly as a full load finds it. A file whose
/// sections cannot be told apart line by line is read in full.
pub fn load_revision_headers(dirs: &[PathBuf]) -> Result<Vec<RevisionFile>, Diagnostics> {
    load_files(dirs, true)
}

fn load_files(dirs: &[PathBuf], headers_only: bool) -> Result<Vec<RevisionFile>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut paths: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        match revision_paths(dir) {
            Ok(found) => paths.extend(found),
            Err(e) => diags.push(
                dir,
                Span::default(),
                format!("cannot read versions directory: {e}"),
            ),
        }
    }
    let read = read_in_parallel(&paths, headers_only);
    let mut out = Vec::with_capacity(read.len());
    for result in read {
        match result {
            Ok(Some(f)) => out.push(f),
            Ok(None) => {}
            Err(mut d) => diags.0.append(&mut d.0),
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        diags.sort();
        Err(diags)
    }
}

/// The revision files (`*.yaml`, `*.yml`, `*.sql`) of one directory, sorted by name;
/// none for a directory that does not exist.
fn revision_paths(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let revision_like = Path::new(&name)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "sql"));
        if !revision_like {
            continue;
        }
        // The directory entry knows its type on most file systems (no extra system
        // call); a symbolic link is followed.
        let is_file = match entry.file_type() {
            Ok(t) if t.is_symlink() => entry.path().is_file(),
            Ok(t) => t.is_file(),
            Err(_) => entry.path().is_file(),
        };
        if is_file {
            paths.push((name, entry.path()));
        }
    }
    paths.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(paths.into_iter().map(|(_, p)| p).collect())
}

/// Files a thread reads before the work is worth splitting across threads.
const FILES_PER_THREAD: usize = 64;

/// How many threads should share work on `files` revision files (1: not worth it).
pub(crate) fn threads_for(files: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8)
        .min(files / FILES_PER_THREAD)
        .max(1)
}

/// Reads and parses `paths` (in order), on several threads when there are many.
fn read_in_parallel(
    paths: &[PathBuf],
    headers_only: bool,
) -> Vec<Result<Option<RevisionFile>, Diagnostics>> {
    let threads = threads_for(paths.len());
    if threads == 1 {
        return paths.iter().map(|p| read_one(p, headers_only)).collect();
    }
    let chunk = paths.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = paths
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| read_one(p, headers_only))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .zip(paths.chunks(chunk))
            .flat_map(|(worker, part)| {
                worker.join().unwrap_or_else(|_| {
                    // A parser panic is a bug; report it per file rather than abort.
                    part.iter()
                        .map(|p| {
                            Err(Diagnostics(vec![Diagnostic {
                                file: p.clone(),
                                span: Span { line: 1, col: 1 },
                                message: "reading this file failed inside retort (a bug; please report it)".into(),
                            }]))
                        })
                        .collect()
                })
            })
            .collect()
    })
}

/// Reads one revision file: `Ok(None)` when it does not parse (its mistakes are then
/// in the `Err`).
fn read_one(path: &Path, headers_only: bool) -> Result<Option<RevisionFile>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let text = READ_BUFFER.with_borrow_mut(|buffer| {
        let len = read_bytes(path, buffer).map_err(|e| {
            Diagnostics(vec![Diagnostic {
                file: path.to_path_buf(),
                span: Span { line: 1, col: 1 },
                message: format!("cannot read: {e}"),
            }])
        })?;
        let bytes = &buffer[..len];
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_string()),
            Err(_) => {
                crate::yaml::decode_source(path, bytes.to_vec()).map_err(|d| Diagnostics(vec![d]))
            }
        }
    })?;
    if headers_only {
        if let Some(f) = parse_yaml_header(path, &text) {
            return Ok(Some(f));
        }
    }
    let file = parse_revision_text(path, &text, &mut diags);
    if diags.is_empty() {
        Ok(file)
    } else {
        Err(diags)
    }
}

thread_local! {
    /// Each reading thread's buffer, reused from file to file.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads a file's bytes into the start of `buffer` and returns how many there are, with
/// as few system calls as a small file allows: no size query first, and no new buffer
/// per file. The buffer stays initialised from file to file: only its growth is zeroed.
fn read_bytes(path: &Path, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut len = 0;
    loop {
        if len == buffer.len() {
            buffer.resize(buffer.len() + buffer.len().max(16 * 1024), 0);
        }
        match file.read(&mut buffer[len..]) {
            Ok(0) => return Ok(len),
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Parses one revision file's text; the format follows the extension (`.sql` or YAML).
pub fn parse_revision_text(
    path: &Path,
    text: &str,
    diags: &mut Diagnostics,
) -> Option<RevisionFile> {
    if path.extension().and_then(|e| e.to_str()) == Some("sql") {
        parse_sql_revision(path, text, diags)
    } else {
        parse_yaml_revision(path, text, diags)
    }
}

/// A YAML revision read without its `upgrade` and `downgrade` sections (empty lists in
/// their place), when the file is laid out plainly enough to skip them line by line:
/// every line at column 0 is a `key:` (one `upgrade:` and one `downgrade:`), a
/// comment, a blank line or a `- ` item of the section above, and each section is a
/// block list, `[]`, or empty. The header is then parsed on its own with the same line
/// numbers. `None` (read the whole file) for anything else, and for a header with a
/// mistake, so that mistakes are reported exactly as a full load reports them.
fn parse_yaml_header(path: &Path, text: &str) -> Option<RevisionFile> {
    if path.extension().and_then(|e| e.to_str()) == Some("sql") {
        return None;
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut header = String::with_capacity(body.len().min(4096));
    // In an `upgrade`/`downgrade` section: whether its list may follow on later lines.
    let mut in_section = false;
    let mut block = false;
    let mut sections = [0usize; 2];
    for line in body.split_inclusive('\n') {
        let first = line.as_bytes().first().copied().unwrap_or(b'\n');
        let key = (first.is_ascii_alphabetic() || first == b'_')
            .then(|| line.split_once(':'))
            .flatten()
            .filter(|(k, rest)| {
                k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && (rest.is_empty() || rest.starts_with([' ', '\n', '\r']))
            });
        match (first, key) {
            (_, Some((k, rest))) => {
                let section = match k {
                    "upgrade" => Some(0),
                    "downgrade" => Some(1),
                    _ => None,
                };
                in_section = section.is_some();
                if let Some(i) = section {
                    sections[i] += 1;
                    let value = rest.split(" #").next().unwrap_or("").trim();
                    if !matches!(value, "" | "[]" | "null" | "~") {
                        return None;
                    }
                    block = value.is_empty();
                    header.push_str(k);
                    header.push_str(": []\n");
                } else {
                    header.push_str(line);
                }
            }
            (b'\n' | b'\r' | b'#', None) => header.push_str(line),
            (b' ', None) if !in_section => header.push_str(line),
            (b' ' | b'-', None) if in_section => {
                // A section's line: skipped, keeping the line count.
                let item = line.starts_with("- ") || line.trim_end() == "-";
                let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
                if (first == b'-' && !item) || (!block && !blank) {
                    return None;
                }
                header.push('\n');
            }
            _ => return None,
        }
    }
    if sections != [1, 1] {
        return None;
    }
    let mut diags = Diagnostics::default();
    let root = match simple_header_root(&header) {
        Some(root) => root,
        None => parse_file(path, &header).ok()?,
    };
    let file = revision_from_root(path, text, root, &mut diags)?;
    if !diags.is_empty() {
        return None;
    }
    Some(RevisionFile {
        body_deferred: true,
        ..file
    })
}

/// The mapping a header of plain `key: value` lines parses to, built without the YAML
/// parser when every value is simple enough to read exactly as it would: nothing,
/// `[]`, a one-line plain scalar of ordinary characters, or a one-line quoted string
/// without escapes. `None` (use the YAML parser) for anything else: indented or
/// continued lines, flow collections, anchors, tags, comments after a value, a key
/// written twice.
fn simple_header_root(header: &str) -> Option<Node> {
    let mut entries: Vec<(Node, Node)> = Vec::new();
    let mut first_span = None;
    for (i, raw) in header.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim_end_matches(' ');
        if trimmed.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, rest) = line.split_once(':')?;
        let key_ok = key
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !key_ok || entries.iter().any(|(k, _)| k.as_str() == Some(key)) {
            return None;
        }
        let value_text = rest.trim_matches(' ');
        if !rest.is_empty() && !rest.starts_with(' ') {
            return None;
        }
        let key_span = Span {
            line: i + 1,
            col: 1,
        };
        let value_col = key.len() + 1 + (rest.len() - rest.trim_start_matches(' ').len()) + 1;
        let value_span = Span {
            line: i + 1,
            col: value_col,
        };
        let value = simple_header_value(value_text)?;
        first_span.get_or_insert(key_span);
        entries.push((
            Node {
                value: NodeValue::Scalar {
                    text: key.to_string(),
                    quoted: false,
                },
                span: key_span,
            },
            Node {
                value,
                span: value_span,
            },
        ));
    }
    Some(Node {
        value: NodeValue::Map(entries),
        span: first_span?,
    })
}

/// One header value of [`simple_header_root`], or `None` when the YAML parser must read it.
fn simple_header_value(v: &str) -> Option<NodeValue> {
    let ordinary = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '_' | '.' | '-' | '/' | '(' | ')' | '+' | ',' | ';' | '='
            )
    };
    if v.is_empty() {
        // Its span would be where the next token starts: leave it to the parser.
        return None;
    }
    if matches!(v, "~" | "null" | "Null" | "NULL") {
        return Some(NodeValue::Null);
    }
    if v == "[]" {
        return Some(NodeValue::Seq(Vec::new()));
    }
    for quote in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(quote).and_then(|r| r.strip_suffix(quote)) {
            let plain_inside = v.len() >= 2
                && inner
                    .chars()
                    .all(|c| c != quote && c != '\\' && (c == ' ' || c.is_ascii_graphic()));
            return plain_inside.then(|| NodeValue::Scalar {
                text: inner.to_string(),
                quoted: true,
            });
        }
    }
    let starts_plain = v.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    (starts_plain && v.chars().all(ordinary) && !v.contains("  ")).then(|| NodeValue::Scalar {
        text: v.to_string(),
        quoted: false,
    })
}

fn header_create_date(text: &str, prefix: &str) -> Option<String> {
    text.lines()
        .take_while(|l| l.starts_with(prefix) || l.trim().is_empty())
        .find_map(|l| {
            let body = l.trim_start_matches(prefix).trim();
            let (k, v) = body.split_once(':')?;
            let k = k.trim().to_ascii_lowercase();
            (k == "create date" || k == "create_date").then(|| v.trim().to_string())
        })
}

fn parse_yaml_revision(path: &Path, text: &str, diags: &mut Diagnostics) -> Option<RevisionFile> {
    match parse_file(path, text) {
        Ok(root) => revision_from_root(path, text, root, diags),
        Err(d) => {
            diags.0.push(d);
            None
        }
    }
}

/// The revision a YAML file's parsed `root` describes (`text` is the whole file, for
/// its create date and checksum); `None` after adding its mistakes to `diags`.
fn revision_from_root(
    path: &Path,
    text: &str,
    root: Node,
    diags: &mut Diagnostics,
) -> Option<RevisionFile> {
    let before = diags.0.len();
    let Some(map) = root.as_map() else {
        diags.push(path, root.span, "a revision file must be a mapping with `revision`, `down_revision`, `upgrade` and `downgrade`");
        return None;
    };
    for (k, _) in map {
        let key = k.as_str().unwrap_or("");
        if !YAML_KEYS.contains(&key) {
            diags.push(
                path,
                k.span,
                format!(
                    "unknown key `{key}` in revision file; expected one of: {}",
                    YAML_KEYS.join(", ")
                ),
            );
        }
    }
    let id = match root.get("revision") {
        Some(n) => match scalar_text(n) {
            Some(s) if s.is_empty() => {
                diags.push(path, n.span, "`revision` is empty; write the revision id");
                s
            }
            Some(s) => s,
            None => {
                diags.push(path, n.span, "`revision` must be a revision id");
                String::new()
            }
        },
        None => {
            diags.push(path, root.span, "missing `revision`");
            String::new()
        }
    };
    if root.get("down_revision").is_none() {
        diags.push(
            path,
            root.span,
            "missing `down_revision`; write `down_revision: null` for a root revision, or the parent's id",
        );
    }
    let down_revisions = id_list(path, root.get("down_revision"), "down_revision", diags);
    let branch_labels = id_list(path, root.get("branch_labels"), "branch_labels", diags);
    let depends_on = id_list(path, root.get("depends_on"), "depends_on", diags);
    let message = root
        .get("message")
        .and_then(|n| n.as_str())
        .unwrap_or_default()
        .to_string();
    let transactional = match root.get("transactional") {
        None => true,
        Some(n) if n.is_null() => true,
        Some(n) => match n.as_bool() {
            Some(b) => b,
            None => {
                diags.push(path, n.span, "`transactional` must be true or false");
                true
            }
        },
    };
    let mut lock_timeout = None;
    let mut lock_retries = 0;
    for key in ["lock_timeout", "lock_retries"] {
        if let Some(n) = root.get(key).filter(|n| !n.is_null()) {
            let text = n.as_str().unwrap_or_default();
            if let Err(e) = lock_setting(key, text, &mut lock_timeout, &mut lock_retries) {
                diags.push(path, n.span, e);
            }
        }
    }
    let section = |key: &str, diags: &mut Diagnostics| -> Node {
        match root.get(key) {
            None => {
                diags.push(
                    path,
                    root.span,
                    format!("missing `{key}` (use `{key}: []` for none)"),
                );
                empty_seq(root.span)
            }
            Some(n) if n.is_null() => empty_seq(n.span),
            Some(n) if n.as_seq().is_some() => empty_seq(n.span),
            Some(n) => {
                diags.push(
                    path,
                    n.span,
                    format!("`{key}` must be a list of operations"),
                );
                empty_seq(n.span)
            }
        }
    };
    let mut upgrade = section("upgrade", diags);
    let mut downgrade = section("downgrade", diags);
    if diags.0.len() > before {
        return None;
    }
    // The sections that are lists are moved out of the tree, not copied.
    if let NodeValue::Map(entries) = root.value {
        for (k, v) in entries {
            let slot = match k.as_str() {
                Some("upgrade") => &mut upgrade,
                Some("downgrade") => &mut downgrade,
                _ => continue,
            };
            if v.as_seq().is_some() {
                *slot = v;
            }
        }
    }
    Some(RevisionFile {
        path: path.to_path_buf(),
        id,
        down_revisions,
        branch_labels,
        depends_on,
        message,
        create_date: header_create_date(text.strip_prefix('\u{feff}').unwrap_or(text), "#"),
        transactional,
        lock_timeout,
        lock_retries,
        body: RevisionBody::Yaml { upgrade, downgrade },
        source: Arc::from(text),
        body_deferred: false,
    })
}

fn empty_seq(span: Span) -> Node {
    Node {
        value: NodeValue::Seq(Vec::new()),
        span,
    }
}

fn scalar_text(n: &Node) -> Option<String> {
    n.as_str().map(|s| s.trim().to_string())
}

/// `null`, a scalar, or a list of scalars.
fn id_list(path: &Path, node: Option<&Node>, key: &str, diags: &mut Diagnostics) -> Vec<String> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        NodeValue::Null => Vec::new(),
        NodeValue::Scalar { text, .. } => {
            let ids = split_ids(text);
            if let Some(dup) = first_duplicate(&ids) {
                diags.push(path, node.span, duplicate_id_message(key, dup));
            }
            ids
        }
        NodeValue::Seq(items) => {
            let mut out: Vec<String> = Vec::new();
            for item in items {
                match scalar_text(item) {
                    Some(s) if s.is_empty() => diags.push(
                        path,
                        item.span,
                        format!("an item of `{key}` is empty; write a revision id or label"),
                    ),
                    Some(s) if out.contains(&s) => {
                        diags.push(path, item.span, duplicate_id_message(key, &s))
                    }
                    Some(s) => out.push(s),
                    None => diags.push(
                        path,
                        item.span,
                        format!("items of `{key}` must be revision ids or labels"),
                    ),
                }
            }
            out
        }
        NodeValue::Map(_) => {
            diags.push(
                path,
                node.span,
                format!("`{key}` must be null, an id, or a list of ids"),
            );
            Vec::new()
        }
    }
}

fn first_duplicate(ids: &[String]) -> Option<&str> {
    ids.iter()
        .enumerate()
        .find(|(i, id)| ids[..*i].contains(id))
        .map(|(_, id)| id.as_str())
}

fn duplicate_id_message(key: &str, id: &str) -> String {
    format!("`{id}` appears twice in `{key}`; list each revision once")
}

/// Splits a comma-separated header value into ids (empty, `null` and `None` give nothing).
fn split_ids(text: &str) -> Vec<String> {
    text.split(',')
        .map(|s| {
            s.trim()
                .trim_matches(|c| c == '[' || c == ']' || c == '(' || c == ')')
                .trim()
        })
        .filter(|s| !s.is_empty() && !matches!(*s, "null" | "None" | "~"))
        .map(str::to_string)
        .collect()
}

/// Reads `lock_timeout` (milliseconds, or a number with `ms` or `s`) or `lock_retries`
/// (a count).
fn lock_setting(
    key: &str,
    value: &str,
    lock_timeout: &mut Option<u64>,
    lock_retries: &mut u32,
) -> Result<(), String> {
    let v = value.trim().to_ascii_lowercase();
    if key == "lock_retries" {
        *lock_retries = v.parse().map_err(|_| {
            format!("`lock_retries` must be a whole number of retries, e.g. 3; got `{value}`")
        })?;
        return Ok(());
    }
    let (number, scale) = if let Some(n) = v.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000)
    } else {
        (v.as_str(), 1)
    };
    match number.trim().parse::<u64>() {
        Ok(n) if n > 0 => {
            *lock_timeout = Some(n * scale);
            Ok(())
        }
        _ => Err(format!(
            "`lock_timeout` must be a positive duration in milliseconds, e.g. 2000, 500ms or 2s; got `{value}`"
        )),
    }
}

/// The header keys of a SQL revision.
const SQL_HEADER_KEYS: &[&str] = &[
    "revision",
    "down_revision",
    "branch_labels",
    "depends_on",
    "create_date",
    "transactional",
    "message",
    "lock_timeout",
    "lock_retries",
];

/// A SQL header comment's text (after `--`) as a `(field, value)` pair, when it is one of
/// the header fields (`revision`, `down_revision`, `branch_labels`, `depends_on`,
/// `create_date`, `transactional`, `message`).
pub(crate) fn sql_header_field(body: &str) -> Option<(String, String)> {
    let (k, v) = body.split_once(':')?;
    let k = k.trim().to_ascii_lowercase();
    SQL_HEADER_KEYS
        .contains(&k.as_str())
        .then(|| (k, v.trim().to_string()))
}

/// The value of a `-- message:` header line: a YAML scalar, usually double-quoted.
fn decode_message(v: &str) -> Option<String> {
    if v.is_empty() {
        return Some(String::new());
    }
    let node = crate::yaml::parse(v).ok()?;
    if node.is_null() {
        return Some(String::new());
    }
    node.as_str().map(str::to_string)
}

fn parse_sql_revision(path: &Path, text: &str, diags: &mut Diagnostics) -> Option<RevisionFile> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let before = diags.0.len();
    if let Some((line_no, line)) = text.lines().enumerate().find(|(_, l)| l.contains('\0')) {
        let col = line.chars().take_while(|c| *c != '\0').count() + 1;
        diags.push(
            path,
            Span {
                line: line_no + 1,
                col,
            },
            crate::yaml::forbidden_char_message('\0'),
        );
        return None;
    }
    let mut id = None;
    let mut down = None;
    let mut labels = Vec::new();
    let mut depends = Vec::new();
    let mut create_date = None;
    let mut transactional = true;
    let mut lock_timeout = None;
    let mut lock_retries = 0;
    let mut message: Option<String> = None;
    let mut message_field: Option<String> = None;
    let mut section: Option<&str> = None;
    let mut upgrade = String::new();
    let mut downgrade = String::new();
    let mut seen_upgrade = false;
    let mut seen_downgrade = false;
    let mut seen_keys: Vec<(String, usize)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let span = Span {
            line: i + 1,
            col: 1,
        };
        let trimmed = line.trim();
        if trimmed.eq_ignore_ascii_case("-- +upgrade") {
            section = Some("upgrade");
            seen_upgrade = true;
            continue;
        }
        if trimmed.eq_ignore_ascii_case("-- +downgrade") {
            section = Some("downgrade");
            seen_downgrade = true;
            continue;
        }
        match section {
            Some("upgrade") => {
                upgrade.push_str(line);
                upgrade.push('\n');
            }
            Some(_) => {
                downgrade.push_str(line);
                downgrade.push('\n');
            }
            None => {
                let Some(body) = trimmed.strip_prefix("--") else {
                    if !trimmed.is_empty() {
                        diags.push(path, span, "SQL before `-- +upgrade`; put statements in the `-- +upgrade` or `-- +downgrade` section");
                    }
                    continue;
                };
                let body = body.trim();
                let Some((raw_key, value)) = body.split_once(':') else {
                    if message.is_none() && !body.is_empty() {
                        message = Some(body.to_string());
                    }
                    continue;
                };
                let key = raw_key.trim().to_ascii_lowercase();
                let value = value.trim().to_string();
                let key_span = Span {
                    line: i + 1,
                    col: line
                        .find(raw_key.trim())
                        .map_or(1, |b| line[..b].chars().count() + 1),
                };
                if !SQL_HEADER_KEYS.contains(&key.as_str()) {
                    let looks_like_key = !key.is_empty()
                        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    let hint = crate::yaml::closest(&key, SQL_HEADER_KEYS);
                    if message.is_some() && looks_like_key && (hint.is_some() || key.contains('_'))
                    {
                        diags.push(
                            path,
                            key_span,
                            format!(
                                "unknown header key `{}`{}; header keys are: {}",
                                raw_key.trim(),
                                hint.map(|h| format!(" (did you mean `{h}`?)"))
                                    .unwrap_or_default(),
                                SQL_HEADER_KEYS.join(", ")
                            ),
                        );
                    } else if message.is_none() && !body.is_empty() {
                        message = Some(body.to_string());
                    }
                    continue;
                }
                if let Some((_, first)) = seen_keys.iter().find(|(k, _)| *k == key) {
                    diags.push(
                        path,
                        key_span,
                        format!(
                            "duplicate header key `{key}` (first at line {first}); a key may appear only once: remove one"
                        ),
                    );
                    continue;
                }
                seen_keys.push((key.clone(), i + 1));
                let ids = |diags: &mut Diagnostics| {
                    let ids = split_ids(&value);
                    if let Some(dup) = first_duplicate(&ids) {
                        diags.push(path, key_span, duplicate_id_message(&key, dup));
                    }
                    ids
                };
                match key.as_str() {
                    "revision" => id = Some(value),
                    "down_revision" => down = Some(ids(diags)),
                    "branch_labels" => labels = ids(diags),
                    "depends_on" => depends = ids(diags),
                    "create_date" => create_date = Some(value),
                    "message" => match decode_message(&value) {
                        Some(m) => message_field = Some(m),
                        None => diags.push(
                            path,
                            key_span,
                            "`-- message:` must be a YAML scalar on one line, e.g. -- message: \"add users\"",
                        ),
                    },
                    "lock_timeout" | "lock_retries" => {
                        if let Err(e) =
                            lock_setting(&key, &value, &mut lock_timeout, &mut lock_retries)
                        {
                            diags.push(path, key_span, e);
                        }
                    }
                    _ => match value.to_ascii_lowercase().as_str() {
                        "true" => transactional = true,
                        "false" => transactional = false,
                        _ => diags.push(path, key_span, "`transactional` must be true or false"),
                    },
                }
            }
        }
    }
    if id.as_deref() == Some("") {
        diags.push(
            path,
            Span { line: 1, col: 1 },
            "the `-- revision:` header line has no id",
        );
    }
    if down.is_none() {
        diags.push(
            path,
            Span { line: 1, col: 1 },
            "missing `-- down_revision:` header line; write `-- down_revision:` with nothing after it for a root revision, or the parent's id",
        );
    }
    if id.is_none() {
        diags.push(
            path,
            Span { line: 1, col: 1 },
            "missing `-- revision: ID` header line",
        );
    }
    if !seen_upgrade || !seen_downgrade {
        diags.push(
            path,
            Span { line: 1, col: 1 },
            "a SQL revision needs both `-- +upgrade` and `-- +downgrade` sections",
        );
    }
    if diags.0.len() > before {
        return None;
    }
    Some(RevisionFile {
        path: path.to_path_buf(),
        id: id.unwrap_or_default(),
        down_revisions: down.unwrap_or_default(),
        branch_labels: labels,
        depends_on: depends,
        message: message_field.or(message).unwrap_or_default(),
        create_date,
        transactional,
        lock_timeout,
        lock_retries,
        body: RevisionBody::Sql {
            upgrade: upgrade.trim().to_string(),
            downgrade: downgrade.trim().to_string(),
        },
        source: Arc::from(text),
        body_deferred: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header fields of a revision (everything but the body).
    fn header_of(f: &RevisionFile) -> RevisionFile {
        RevisionFile {
            body: RevisionBody::Sql {
                upgrade: String::new(),
                downgrade: String::new(),
            },
            body_deferred: false,
            ..f.clone()
        }
    }

    /// One buffer reads files of every size in turn, the smaller after the larger
    /// (nothing of an earlier file shows), across the sizes where it grows.
    #[test]
    fn one_buffer_reads_files_of_any_size_in_turn() {
        let dir = tempfile::tempdir().unwrap();
        let mut buffer = Vec::new();
        for (i, size) in [0usize, 1, 16_383, 16_384, 16_385, 100_000, 3, 40_000, 0]
            .into_iter()
            .enumerate()
        {
            let bytes: Vec<u8> = (0..size).map(|k| (k * 7 + i) as u8).collect();
            let path = dir.path().join(format!("f{i}"));
            std::fs::write(&path, &bytes).unwrap();
            let len = read_bytes(&path, &mut buffer).unwrap();
            assert_eq!(&buffer[..len], &bytes[..], "file {i} of {size} bytes");
        }
        assert!(read_bytes(&dir.path().join("missing"), &mut buffer).is_err());
    }

    #[test]
    fn simple_headers_read_as_the_yaml_parser_reads_them() {
        let values = [
            "",
            "null",
            "~",
            "NULL",
            "Null",
            "[]",
            "abc123",
            "000000000002",
            "a, b",
            "add users table",
            "fix (again) + tidy",
            "2026",
            "true",
            "False",
            "\"quoted: # text\"",
            "'single'",
            "\"with \\\\ escape\"",
            "'it''s'",
            "-x",
            "a  b",
            "a: b",
            "x # c",
            "&a x",
            "*a",
            "!!str x",
            "[a, b]",
            "{a: b}",
            "caf\u{e9}",
            "a\tb",
            "|",
            ">",
            "@x",
            "%x",
            "`x`",
            "?x",
            "a ",
        ];
        let keys = [
            "revision",
            "down_revision",
            "message",
            "branch_labels",
            "transactional",
        ];
        let mut simple = 0;
        for v in values {
            for k in keys {
                for eol in ["\n", "\r\n"] {
                    let header = format!("# c{eol}{k}: {v}{eol}other_key: x{eol}upgrade: []{eol}");
                    let Some(fast) = simple_header_root(&header) else {
                        continue;
                    };
                    simple += 1;
                    let parsed = parse_file(Path::new("h.yaml"), &header).unwrap();
                    assert_eq!(fast, parsed, "{header:?}");
                }
            }
        }
        assert!(simple > 100, "{simple}");
        for declined in [
            "a:\n  b: c\n",
            "a: x\n  more\n",
            "a: 1\na: 2\n",
            "a: [x]\n",
            "a: x # c\n",
            "a:b\n",
        ] {
            assert!(simple_header_root(declined).is_none(), "{declined:?}");
        }
    }

    #[test]
    fn a_deferred_body_reads_as_a_full_load_reads_it() {
        for text in PLAIN_LAYOUTS {
            let path = Path::new("v/a1.yaml");
            let mut d = Diagnostics::default();
            let full = parse_revision_text(path, text, &mut d).unwrap();
            let header = parse_yaml_header(path, text).unwrap();
            assert!(header.body_deferred && !full.body_deferred);
            assert_eq!(header.read_body().unwrap(), full.body, "{text}");
        }
    }

    const PLAIN_LAYOUTS: &[&str] = &[
        "# m\n#\n# Create Date: 2026-01-02\nrevision: a1\ndown_revision: null\nmessage: m\nupgrade:\n  - create_table:\n      name: t\n      columns: {id: {type: integer}}\ndowngrade:\n  - drop_table: {name: t}\n",
        "revision: a1\ndown_revision: [b2, c3]\nbranch_labels:\n  - lab\ndepends_on: d4\nmessage: |\n  two\n  lines\ntransactional: false\nlock_timeout: 5s\nlock_retries: 2\nupgrade:\n- execute: {sql: \"SELECT 1\"}\n\n# a comment\n- execute: {sql: \"SELECT 2\"}\ndowngrade: []\n",
        "\u{feff}revision: a1\r\ndown_revision: null\r\nmessage: crlf\r\nupgrade: [] # nothing\r\ndowngrade:\r\n",
        "revision: a1\ndown_revision: null\ndowngrade:\n  - drop_table: {name: t}\nmessage: sections first\nupgrade:\n  - create_table: {name: t, columns: {id: {type: integer}}}\n",
    ];

    #[test]
    fn a_header_only_read_gives_the_headers_of_a_full_read() {
        for text in PLAIN_LAYOUTS {
            let path = Path::new("v/a1.yaml");
            let mut d = Diagnostics::default();
            let full = parse_revision_text(path, text, &mut d).unwrap();
            assert!(d.is_empty(), "{d}");
            let header = parse_yaml_header(path, text)
                .unwrap_or_else(|| panic!("read in full instead: {text}"));
            assert_eq!(header_of(&header), header_of(&full), "{text}");
            let RevisionBody::Yaml { upgrade, downgrade } = &header.body else {
                panic!("not YAML")
            };
            assert!(upgrade.as_seq().is_some_and(|s| s.is_empty()), "{text}");
            assert!(downgrade.as_seq().is_some_and(|s| s.is_empty()), "{text}");
        }
    }

    #[test]
    fn a_header_only_read_leaves_unusual_layouts_and_mistakes_to_a_full_read() {
        for text in [
            // Flow mapping, document marker, tab, a section given as a map or twice,
            // an unknown key, a section missing, a header alias into a section.
            "{revision: a1, down_revision: null, upgrade: [], downgrade: []}\n",
            "---\nrevision: a1\ndown_revision: null\nupgrade: []\ndowngrade: []\n",
            "revision: a1\ndown_revision: null\n\tmessage: x\nupgrade: []\ndowngrade: []\n",
            "revision: a1\ndown_revision: null\nupgrade: {create_table: x}\ndowngrade: []\n",
            "revision: a1\ndown_revision: null\nupgrade: []\nupgrade: []\ndowngrade: []\n",
            "revision: a1\ndown_revision: null\nupgrade: []\n  - execute: {sql: x}\ndowngrade: []\n",
            "revision: a1\ndown_revision: null\nmesage: typo\nupgrade: []\ndowngrade: []\n",
            "revision: a1\ndown_revision: null\nupgrade: []\n",
            "revision: a1\ndown_revision: null\nmessage: *m\nupgrade:\n  - execute: &m x\ndowngrade: []\n",
        ] {
            assert!(
                parse_yaml_header(Path::new("v/a1.yaml"), text).is_none(),
                "{text}"
            );
        }
        assert!(parse_yaml_header(Path::new("v/a1.sql"), "-- +upgrade\n").is_none());
    }

    #[test]
    fn loading_headers_reports_header_mistakes_as_a_full_load_does() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "revision: a1\ndown_revision: null\nmesage: typo\nupgrade: []\ndowngrade: []\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("b.yaml"),
            PLAIN_LAYOUTS[0].replace("a1", "b1"),
        )
        .unwrap();
        let dirs = [dir.path().to_path_buf()];
        let full = load_revision_files(&dirs).unwrap_err();
        let headers = load_revision_headers(&dirs).unwrap_err();
        assert_eq!(headers, full);
        assert!(full.to_string().contains("unknown key `mesage`"), "{full}");
    }

    #[test]
    fn reads_spec_yaml_example() {
        let text = "# add users table\n#\n# Revision ID: 3f2a9c1b7d4e\n# Revises: 9b1d0e2c4a6f\n# Create Date: 2026-11-22 10:15:03+00:00\nrevision: 3f2a9c1b7d4e\ndown_revision: 9b1d0e2c4a6f\nbranch_labels: []\ndepends_on: []\nmessage: add users table\ntransactional: true\nupgrade:\n  - create_index: {name: ix_users_email, table: users, columns: [email]}\ndowngrade:\n  - drop_index: {name: ix_users_email, table: users}\n";
        let mut d = Diagnostics::default();
        let f = parse_revision_text(Path::new("v/a.yaml"), text, &mut d).unwrap();
        assert!(d.is_empty());
        assert_eq!(f.id, "3f2a9c1b7d4e");
        assert_eq!(f.down_revisions, vec!["9b1d0e2c4a6f"]);
        assert_eq!(f.create_date.as_deref(), Some("2026-11-22 10:15:03+00:00"));
        assert!(f.transactional);
    }

    #[test]
    fn reads_spec_sql_example() {
        let text = "-- add users table\n--\n-- revision: 3f2a9c1b7d4e\n-- down_revision: 9b1d0e2c4a6f\n-- branch_labels:\n-- depends_on:\n-- create_date: 2026-11-22 10:15:03+00:00\n\n-- +upgrade\nCREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL);\n\n-- +downgrade\nDROP TABLE users;\n";
        let mut d = Diagnostics::default();
        let f = parse_revision_text(Path::new("v/a.sql"), text, &mut d).unwrap();
        assert!(d.is_empty(), "{d}");
        assert_eq!(f.message, "add users table");
        assert_eq!(f.down_revisions, vec!["9b1d0e2c4a6f"]);
        assert!(f.branch_labels.is_empty());
        match f.body {
            RevisionBody::Sql { upgrade, downgrade } => {
                assert!(upgrade.starts_with("CREATE TABLE users"));
                assert_eq!(downgrade, "DROP TABLE users;");
            }
            _ => panic!("expected SQL body"),
        }
    }

    #[test]
    fn merge_list_and_errors() {
        let mut d = Diagnostics::default();
        let f = parse_revision_text(
            Path::new("m.yaml"),
            "revision: e\ndown_revision: [d1, d2]\nupgrade: []\ndowngrade: []\n",
            &mut d,
        )
        .unwrap();
        assert_eq!(f.down_revisions, vec!["d1", "d2"]);
        let mut d = Diagnostics::default();
        assert!(
            parse_revision_text(Path::new("x.yaml"), "revison: e\nupgrade: []\n", &mut d).is_none()
        );
        let s = d.to_string();
        assert!(s.contains("x.yaml:1:1: unknown key `revison`"), "{s}");
        assert!(s.contains("missing `revision`"), "{s}");
        assert!(s.contains("missing `downgrade`"), "{s}");
    }

    fn errors(name: &str, text: &str) -> String {
        let mut d = Diagnostics::default();
        let parsed = parse_revision_text(Path::new(name), text, &mut d);
        assert!(parsed.is_none(), "{name} should be rejected:\n{text}");
        d.to_string()
    }

    #[test]
    fn missing_down_revision_is_an_error_and_null_is_a_root() {
        let s = errors("a.yaml", "revision: a1\nupgrade: []\ndowngrade: []\n");
        assert!(s.contains("a.yaml:1:1: missing `down_revision`"), "{s}");
        let mut d = Diagnostics::default();
        let f = parse_revision_text(
            Path::new("a.yaml"),
            "revision: a1\ndown_revision: null\nupgrade: []\ndowngrade: []\n",
            &mut d,
        )
        .unwrap();
        assert!(f.down_revisions.is_empty());
        let s = errors(
            "b.sql",
            "-- msg\n-- revision: b1\n-- +upgrade\nSELECT 1;\n-- +downgrade\nSELECT 1;\n",
        );
        assert!(s.contains("b.sql:1:1: missing `-- down_revision:`"), "{s}");
    }

    #[test]
    fn sql_header_typos_and_duplicates_are_errors() {
        let base = "-- msg\n-- revision: b1\n-- down_revision:\n";
        let tail = "-- +upgrade\nSELECT 1;\n-- +downgrade\nSELECT 1;\n";
        let s = errors("t.sql", &format!("{base}-- depens_on: a1\n{tail}"));
        assert!(
            s.contains("t.sql:4:4: unknown header key `depens_on` (did you mean `depends_on`?)"),
            "{s}"
        );
        let s = errors("t.sql", &format!("{base}-- revision: b2\n{tail}"));
        assert!(
            s.contains("t.sql:4:4: duplicate header key `revision` (first at line 2)"),
            "{s}"
        );
        let s = errors(
            "t.sql",
            &format!("-- msg\n-- revision: b1\n-- down_revision: a1, a1\n{tail}"),
        );
        assert!(
            s.contains("t.sql:3:4: `a1` appears twice in `down_revision`"),
            "{s}"
        );
        let s = errors("t.sql", &format!("{base}-- x\0y\n{tail}"));
        assert!(
            s.contains("t.sql:4:5: control character U+0000 (NUL)"),
            "{s}"
        );
        let mut d = Diagnostics::default();
        let f = parse_revision_text(
            Path::new("ok.sql"),
            &format!("\u{feff}-- fix: users\n-- Note: slow on big tables\n-- revision: b1\n-- down_revision:\n{tail}"),
            &mut d,
        )
        .unwrap_or_else(|| panic!("{d}"));
        assert_eq!(f.message, "fix: users");
    }

    #[test]
    fn repeated_parents_are_errors() {
        let s = errors(
            "m.yaml",
            "revision: m\ndown_revision: [a, a]\nupgrade: []\ndowngrade: []\n",
        );
        assert!(
            s.contains("m.yaml:2:20: `a` appears twice in `down_revision`"),
            "{s}"
        );
        let s = errors(
            "m.yaml",
            "revision: m\ndown_revision: a\ndepends_on: [b, b]\nupgrade: []\ndowngrade: []\n",
        );
        assert!(s.contains("appears twice in `depends_on`"), "{s}");
    }
}
