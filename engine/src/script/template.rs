//! New revision files: ids, file names, and rendering through the tera templates
//! (the built-in `yaml` and `sql`, or a user's own `.tera` file).

use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::yaml::scalar;

const YAML_TEMPLATE: &str = include_str!("../../../templates/yaml.tera");
const SQL_TEMPLATE: &str = include_str!("../../../templates/sql.tera");

/// Why a new revision's text could not be rendered from its template.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A user's template file could not be read.
    #[error("cannot read template {}: {error}", path.display())]
    Read {
        /// The template file.
        path: PathBuf,
        /// The I/O failure.
        error: std::io::Error,
    },
    /// The template does not parse.
    #[error("template {name} is invalid: {reason}")]
    Invalid {
        /// The template's name (`yaml.tera`, `sql.tera` or the file's path).
        name: String,
        /// Tera's message and its causes.
        reason: String,
    },
    /// Rendering failed (an unknown variable or filter, for instance).
    #[error("rendering template {name} failed: {reason}")]
    Render {
        /// The template's name.
        name: String,
        /// Tera's message and its causes.
        reason: String,
    },
    /// The rendered text is not a readable revision file.
    #[error("template {name} rendered a revision that does not read back; nothing was written:\n{diagnostics}")]
    Unreadable {
        /// The template's name.
        name: String,
        /// What reading it back reported (each with `rendered.EXT:line:col`).
        diagnostics: String,
    },
    /// The rendered text reads back with a different header.
    #[error("template {name} rendered a revision that reads back as {}; nothing was written (use the `yaml_str` and `comment` filters, or the `*_yaml` and `message_comment` values, for values in your template)", mismatches.join(", "))]
    ReadsBackDifferently {
        /// The template's name.
        name: String,
        /// Each header field that differs, with what it read back as.
        mismatches: Vec<String>,
    },
}

/// Which template renders a new revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateChoice {
    /// The built-in YAML operations template.
    Yaml,
    /// The built-in plain SQL template.
    Sql,
    /// A user's `.tera` file; a name ending in `.sql.tera` produces a SQL revision.
    File(PathBuf),
}

impl TemplateChoice {
    /// `yaml`, `sql`, or a path to a `.tera` file.
    pub fn parse(s: &str) -> TemplateChoice {
        match s {
            "yaml" => TemplateChoice::Yaml,
            "sql" => TemplateChoice::Sql,
            other => TemplateChoice::File(PathBuf::from(other)),
        }
    }

    /// True when the template produces a SQL revision (else YAML operations).
    pub fn is_sql(&self) -> bool {
        match self {
            TemplateChoice::Yaml => false,
            TemplateChoice::Sql => true,
            TemplateChoice::File(p) => p.to_string_lossy().ends_with(".sql.tera"),
        }
    }

    /// The new file's extension.
    pub fn extension(&self) -> &'static str {
        if self.is_sql() {
            "sql"
        } else {
            "yaml"
        }
    }
}

/// The available templates: the built-in ones, then `*.tera` files in `dir` (if given).
pub fn list_templates(dir: Option<&Path>) -> Vec<(String, String)> {
    let mut out = vec![
        (
            "yaml".to_string(),
            "dialect-neutral YAML operations (default)".to_string(),
        ),
        (
            "sql".to_string(),
            "plain SQL with -- +upgrade / -- +downgrade sections".to_string(),
        ),
    ];
    if let Some(rd) = dir.and_then(|d| std::fs::read_dir(d).ok()) {
        let mut extra: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("tera"))
            .collect();
        extra.sort();
        for p in extra {
            let kind = if p.to_string_lossy().ends_with(".sql.tera") {
                "SQL"
            } else {
                "YAML"
            };
            out.push((
                p.display().to_string(),
                format!("your own template ({kind} revision)"),
            ));
        }
    }
    out
}

/// A fresh 12-hex-digit revision id.
pub fn generate_rev_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let h = std::collections::hash_map::RandomState::new().hash_one((nanos, std::process::id()));
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

/// True when `id` can be a revision id: non-empty, no `@ - + :` and no white space.
pub fn valid_rev_id(id: &str) -> bool {
    !id.is_empty()
        && !id
            .chars()
            .any(|c| matches!(c, '@' | '-' | '+' | ':') || c.is_whitespace())
}

/// The longest id or label retort writes: the version table's `version_num` is
/// `VARCHAR(255)`.
pub const MAX_NAME_CHARS: usize = 255;

/// Why `id` cannot be the id of a new revision, or `None` when it can. Stricter than what
/// is accepted when reading: a written id is letters, digits, `_` and `.` (not first), so
/// that it reads back as itself in YAML and SQL headers and names no other path.
pub fn rev_id_problem(id: &str) -> Option<String> {
    written_name_problem(id, "letters, digits, `_` and `.`", |c| {
        c.is_alphanumeric() || matches!(c, '_' | '.')
    })
    .or_else(|| super::graph::id_problem(id))
}

/// Why `label` cannot be a new branch label, or `None` when it can: letters, digits,
/// `_`, `-` and `.` (not first), not a reserved word.
pub fn branch_label_problem(label: &str) -> Option<String> {
    written_name_problem(label, "letters, digits, `_`, `-` and `.`", |c| {
        c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
    })
    .or_else(|| super::graph::label_problem(label))
}

fn written_name_problem(s: &str, allowed: &str, ok: impl Fn(char) -> bool) -> Option<String> {
    if s.is_empty() {
        return Some("it must not be empty".to_string());
    }
    let chars = s.chars().count();
    if chars > MAX_NAME_CHARS {
        return Some(format!(
            "it is {chars} characters long; at most {MAX_NAME_CHARS} fit the version table"
        ));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Some(format!(
            "it contains the control character U+{:04X}; use only {allowed}",
            c as u32
        ));
    }
    if let Some(c) = s.chars().find(|c| !ok(*c)) {
        return Some(format!(
            "the character `{c}` is not allowed; use only {allowed}"
        ));
    }
    if s.starts_with('.') {
        return Some("it must not start with `.`".to_string());
    }
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), "null" | "none" | "true" | "false") {
        return Some(format!(
            "`{s}` would read back as YAML {}, not as a name",
            if lower == "true" || lower == "false" {
                "true/false"
            } else {
                "null"
            }
        ));
    }
    None
}

/// `text` as comment lines that each start with `prefix`: every line break (`\n`, `\r\n`,
/// `\r`) starts a new comment line and every other control character is written as an
/// escape such as `\u{7}`, so nothing in `text` can end the comment.
pub fn comment_lines(text: &str, prefix: &str) -> String {
    text.replace("\r\n", "\n")
        .split(['\n', '\r'])
        .map(|line| {
            format!("{prefix}{}", escape_controls(line))
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` on one line: control characters (line breaks included), line and paragraph
/// separators and byte-order marks written as `\u{...}` escapes.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The message as a file-name fragment: lower case, `_` between words, at most 40 characters.
pub fn slugify(message: &str) -> String {
    let mut slug = String::new();
    for word in message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let next = if slug.is_empty() {
            word.to_lowercase()
        } else {
            format!("_{}", word.to_lowercase())
        };
        if slug.chars().count() + next.chars().count() > 40 {
            break;
        }
        slug.push_str(&next);
    }
    slug
}

/// Fills in `file_template` (without extension).
pub fn file_name(file_template: &str, rev: &str, message: &str, now: DateTime<Utc>) -> String {
    let name = file_template
        .replace("{rev}", rev)
        .replace("{slug}", &slugify(message))
        .replace("{year}", &now.format("%Y").to_string())
        .replace("{month}", &now.format("%m").to_string())
        .replace("{day}", &now.format("%d").to_string())
        .replace("{hour}", &now.format("%H").to_string())
        .replace("{minute}", &now.format("%M").to_string())
        .replace("{second}", &now.format("%S").to_string());
    let name = name.trim_end_matches('_').to_string();
    if name.is_empty() {
        rev.to_string()
    } else {
        name
    }
}

/// Why the file name `name` (filled in from `file_template`) would not be a file directly
/// inside the versions directory, or `None` when it is.
pub fn file_name_problem(file_template: &str, name: &str) -> Option<String> {
    let why = if name.contains(['/', '\\']) || Path::new(name).is_absolute() {
        "it contains a path separator"
    } else if name.contains("..") {
        "it contains `..`"
    } else if name.chars().any(char::is_control) {
        "it contains a control character"
    } else {
        return None;
    };
    Some(format!(
        "file_template `{}` gives the file name `{}`, which is not a plain file name inside the versions directory: {why}; use a name such as \"{{rev}}_{{slug}}\"",
        file_template.escape_debug(),
        name.escape_debug()
    ))
}

/// Everything a template can use.
#[derive(Debug, Clone)]
pub struct RevisionTemplateInput {
    /// The new id.
    pub revision: String,
    /// Parents.
    pub down_revisions: Vec<String>,
    /// Branch labels.
    pub branch_labels: Vec<String>,
    /// Dependencies.
    pub depends_on: Vec<String>,
    /// The message.
    pub message: String,
    /// When it was created.
    pub create_date: DateTime<Utc>,
    /// False: run outside any transaction.
    pub transactional: bool,
    /// For YAML: the operation list lines (each starting with `  - `), empty for none.
    /// For SQL: the upgrade statements.
    pub upgrade: String,
    /// The same for downgrade.
    pub downgrade: String,
}

fn yaml_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| scalar(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `{{ value | yaml_str }}`: a string as a YAML scalar (quoted when needed), a list as a
/// flow list of such scalars, null as `null`; the result always reads back as the value.
fn yaml_str_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    fn one(v: &tera::Value) -> String {
        match v {
            tera::Value::Null => "null".to_string(),
            tera::Value::String(s) => scalar(s),
            tera::Value::Array(items) => {
                format!("[{}]", items.iter().map(one).collect::<Vec<_>>().join(", "))
            }
            other => scalar(&other.to_string()),
        }
    }
    Ok(tera::Value::String(one(value)))
}

/// `{{ value | comment(prefix="# ") }}`: text as comment lines that nothing in it can end.
fn comment_filter(
    value: &tera::Value,
    args: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let prefix = match args.get("prefix") {
        None => "# ".to_string(),
        Some(tera::Value::String(p)) => p.clone(),
        Some(_) => return Err(tera::Error::msg("comment: `prefix` must be a string")),
    };
    let text = match value {
        tera::Value::String(s) => s.clone(),
        tera::Value::Null => String::new(),
        other => other.to_string(),
    };
    Ok(tera::Value::String(comment_lines(&text, &prefix)))
}

/// The first line of a SQL revision: the message's first line as a comment, written
/// quoted when it would otherwise read as a header field or a section marker.
fn sql_summary_comment(message: &str) -> String {
    let first = message
        .replace("\r\n", "\n")
        .split(['\n', '\r'])
        .next()
        .unwrap_or("")
        .to_string();
    let line = escape_controls(&first);
    let trimmed = line.trim();
    if super::file::sql_header_field(trimmed).is_some()
        || trimmed.starts_with('+')
        || trimmed.starts_with('-')
        || trimmed != line
    {
        format!("-- {}", crate::yaml::quoted(&first))
    } else {
        format!("-- {line}").trim_end().to_string()
    }
}

/// Renders a new revision file's text, then reads it back: a template whose output does
/// not read back as the same id, parents, labels, dependencies and message is refused.
///
/// Templates get the values as given (`revision`, `message`, `down_revisions`,
/// `branch_labels`, `depends_on`, ...) plus forms that are already safe to write:
/// `message_comment` / `message_sql_comment` (comment lines), `message_yaml`,
/// `revision_yaml`, `down_revision_yaml`, `branch_labels_yaml`, `depends_on_yaml`
/// (YAML scalars and lists), and the filters `yaml_str` and `comment(prefix="# ")`.
pub fn render_revision(
    choice: &TemplateChoice,
    input: &RevisionTemplateInput,
) -> Result<String, TemplateError> {
    let (name, source) = match choice {
        TemplateChoice::Yaml => ("yaml.tera".to_string(), YAML_TEMPLATE.to_string()),
        TemplateChoice::Sql => ("sql.tera".to_string(), SQL_TEMPLATE.to_string()),
        TemplateChoice::File(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|error| TemplateError::Read {
                path: p.clone(),
                error,
            })?,
        ),
    };
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    tera.register_filter("yaml_str", yaml_str_filter);
    tera.register_filter("comment", comment_filter);
    tera.add_raw_template(&name, &source)
        .map_err(|e| TemplateError::Invalid {
            name: name.clone(),
            reason: tera_chain(&e),
        })?;
    let mut ctx = tera::Context::new();
    ctx.insert("revision", &input.revision);
    ctx.insert("revision_yaml", &scalar(&input.revision));
    ctx.insert("down_revisions", &input.down_revisions);
    ctx.insert("branch_labels", &input.branch_labels);
    ctx.insert("depends_on", &input.depends_on);
    ctx.insert("message", &input.message);
    ctx.insert("message_comment", &comment_lines(&input.message, "# "));
    ctx.insert("message_sql_comment", &sql_summary_comment(&input.message));
    ctx.insert("message_yaml", &scalar(&input.message));
    ctx.insert(
        "create_date",
        &input.create_date.format("%Y-%m-%d %H:%M:%S%:z").to_string(),
    );
    ctx.insert("transactional", &input.transactional);
    ctx.insert(
        "revises",
        &if input.down_revisions.is_empty() {
            "<base>".to_string()
        } else {
            input.down_revisions.join(", ")
        },
    );
    ctx.insert(
        "down_revision_yaml",
        &match input.down_revisions.len() {
            0 => "null".to_string(),
            1 => scalar(&input.down_revisions[0]),
            _ => yaml_list(&input.down_revisions),
        },
    );
    ctx.insert("branch_labels_yaml", &yaml_list(&input.branch_labels));
    ctx.insert("depends_on_yaml", &yaml_list(&input.depends_on));
    let section = |s: &str| {
        if choice.is_sql() {
            s.trim_end().to_string()
        } else if s.trim().is_empty() {
            " []".to_string()
        } else {
            format!("\n{}", s.trim_end())
        }
    };
    ctx.insert("upgrade", &section(&input.upgrade));
    ctx.insert("downgrade", &section(&input.downgrade));
    let mut text = tera
        .render(&name, &ctx)
        .map_err(|e| TemplateError::Render {
            name: name.clone(),
            reason: tera_chain(&e),
        })?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    check_reads_back(choice, &name, input, &text)?;
    Ok(text)
}

/// Reads a rendered revision back and refuses it unless its header means what was given.
fn check_reads_back(
    choice: &TemplateChoice,
    name: &str,
    input: &RevisionTemplateInput,
    text: &str,
) -> Result<(), TemplateError> {
    let probe = PathBuf::from(format!("new-revision.{}", choice.extension()));
    let mut diags = crate::yaml::Diagnostics::default();
    let Some(back) = super::file::parse_revision_text(&probe, text, &mut diags) else {
        return Err(TemplateError::Unreadable {
            name: name.to_string(),
            diagnostics: diags.to_string().replace("new-revision.", "rendered."),
        });
    };
    let builtin = !matches!(choice, TemplateChoice::File(_));
    let mut wrong = Vec::new();
    if back.id != input.revision {
        wrong.push(format!(
            "revision {:?} instead of {:?}",
            back.id, input.revision
        ));
    }
    if back.down_revisions != input.down_revisions {
        wrong.push(format!(
            "down_revision {:?} instead of {:?}",
            back.down_revisions, input.down_revisions
        ));
    }
    if back.branch_labels != input.branch_labels {
        wrong.push(format!(
            "branch_labels {:?} instead of {:?}",
            back.branch_labels, input.branch_labels
        ));
    }
    if back.depends_on != input.depends_on {
        wrong.push(format!(
            "depends_on {:?} instead of {:?}",
            back.depends_on, input.depends_on
        ));
    }
    if (builtin || !back.message.is_empty()) && back.message != input.message {
        wrong.push(format!(
            "message {:?} instead of {:?}",
            back.message, input.message
        ));
    }
    if back.transactional != input.transactional && builtin {
        wrong.push(format!("transactional: {}", back.transactional));
    }
    if !wrong.is_empty() {
        return Err(TemplateError::ReadsBackDifferently {
            name: name.to_string(),
            mismatches: wrong,
        });
    }
    Ok(())
}

fn tera_chain(e: &tera::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::super::file::{parse_revision_text, RevisionBody};
    use super::*;
    use crate::yaml::Diagnostics;

    fn input() -> RevisionTemplateInput {
        RevisionTemplateInput {
            revision: "3f2a9c1b7d4e".into(),
            down_revisions: vec!["9b1d0e2c4a6f".into(), "aaaabbbbcccc".into()],
            branch_labels: vec!["feature".into()],
            depends_on: vec![],
            message: "add users: table".into(),
            create_date: DateTime::parse_from_rfc3339("2026-11-22T10:15:03Z")
                .unwrap()
                .with_timezone(&Utc),
            transactional: false,
            upgrade: String::new(),
            downgrade: String::new(),
        }
    }

    #[test]
    fn yaml_template_reads_back() {
        let text = render_revision(&TemplateChoice::Yaml, &input()).unwrap();
        let mut d = Diagnostics::default();
        let f = parse_revision_text(Path::new("x.yaml"), &text, &mut d)
            .unwrap_or_else(|| panic!("{d}\n{text}"));
        assert_eq!(f.id, "3f2a9c1b7d4e");
        assert_eq!(f.down_revisions, vec!["9b1d0e2c4a6f", "aaaabbbbcccc"]);
        assert_eq!(f.branch_labels, vec!["feature"]);
        assert_eq!(f.message, "add users: table");
        assert!(!f.transactional);
        assert_eq!(f.create_date.as_deref(), Some("2026-11-22 10:15:03+00:00"));
    }

    #[test]
    fn sql_template_reads_back() {
        let mut i = input();
        i.upgrade = "CREATE TABLE t (id INTEGER);".into();
        i.downgrade = "DROP TABLE t;".into();
        let text = render_revision(&TemplateChoice::Sql, &i).unwrap();
        let mut d = Diagnostics::default();
        let f = parse_revision_text(Path::new("x.sql"), &text, &mut d)
            .unwrap_or_else(|| panic!("{d}\n{text}"));
        assert_eq!(f.down_revisions, vec!["9b1d0e2c4a6f", "aaaabbbbcccc"]);
        assert!(!f.transactional);
        assert_eq!(
            f.body,
            RevisionBody::Sql {
                upgrade: "CREATE TABLE t (id INTEGER);".into(),
                downgrade: "DROP TABLE t;".into()
            }
        );
    }

    #[test]
    fn template_errors_name_the_template() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.tera");
        let err = render_revision(&TemplateChoice::File(missing.clone()), &input()).unwrap_err();
        assert!(matches!(&err, TemplateError::Read { path, .. } if *path == missing));
        assert!(err
            .to_string()
            .starts_with(&format!("cannot read template {}: ", missing.display())));

        let broken = dir.path().join("broken.tera");
        std::fs::write(&broken, "{% if %}").unwrap();
        let err = render_revision(&TemplateChoice::File(broken.clone()), &input()).unwrap_err();
        assert!(
            matches!(&err, TemplateError::Invalid { name, .. } if *name == broken.display().to_string())
        );
        assert!(err
            .to_string()
            .starts_with(&format!("template {} is invalid: ", broken.display())));

        let wrong = dir.path().join("wrong.tera");
        std::fs::write(
            &wrong,
            "revision: abc\ndown_revision: {{ down_revision_yaml }}\nbranch_labels: {{ branch_labels_yaml }}\nupgrade: []\ndowngrade: []\n",
        )
        .unwrap();
        let err = render_revision(&TemplateChoice::File(wrong.clone()), &input()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "template {} rendered a revision that reads back as revision \"abc\" instead of \"3f2a9c1b7d4e\"; nothing was written (use the `yaml_str` and `comment` filters, or the `*_yaml` and `message_comment` values, for values in your template)",
                wrong.display()
            )
        );
    }

    /// A small seeded generator (xorshift), so the property test needs no extra crate and
    /// every run checks the same cases.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn string(&mut self, pool: &[&str], max_parts: usize) -> String {
            let n = self.below(max_parts + 1);
            (0..n).map(|_| pool[self.below(pool.len())]).collect()
        }
    }

    const TRICKY: &[&str] = &[
        "a",
        "Z",
        "0",
        "7",
        "_",
        ".",
        "-",
        " ",
        "  ",
        "\t",
        "\r",
        "\n",
        "\r\n",
        "#",
        ":",
        ": ",
        "\"",
        "'",
        "\\",
        "{",
        "}",
        "[",
        "]",
        ",",
        "*",
        "&",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "?",
        "~",
        "null",
        "true",
        "None",
        "upgrade: [{execute: \"DELETE FROM accounts\"}]",
        "-- +upgrade",
        "-- revision: x",
        "+downgrade",
        "\u{1}",
        "\u{7}",
        "\u{1b}",
        "\u{7f}",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{2029}",
        "\u{feff}",
        "é",
        "名",
        "🦀",
        "%s",
        "{{",
        "{%",
    ];

    /// Mostly name characters, some that must be refused.
    const NAME_PARTS: &[&str] = &[
        "a", "Z", "0", "9", "_", ".", "-", "é", "名", "ab", "x1", "*", "&", "@", ":", " ", "\u{1}",
        ",", "/", "null",
    ];

    #[test]
    fn random_values_round_trip_through_both_templates() {
        let mut rng = Rng(0x5eed_2026_0911_u64);
        let mut accepted_ids = 0;
        let mut accepted_labels = 0;
        for case in 0..250 {
            let message = rng.string(TRICKY, 12);
            let candidate_id = rng.string(NAME_PARTS, 5);
            let id = match rev_id_problem(&candidate_id) {
                None => {
                    accepted_ids += 1;
                    candidate_id
                }
                Some(_) => format!("r{case}"),
            };
            let mut labels = Vec::new();
            for _ in 0..rng.below(3) {
                let candidate = rng.string(NAME_PARTS, 5);
                if branch_label_problem(&candidate).is_none() && !labels.contains(&candidate) {
                    accepted_labels += 1;
                    labels.push(candidate);
                }
            }
            let parents: Vec<String> = (0..rng.below(3)).map(|p| format!("p{case}x{p}")).collect();
            for choice in [TemplateChoice::Yaml, TemplateChoice::Sql] {
                let i = RevisionTemplateInput {
                    revision: id.clone(),
                    down_revisions: parents.clone(),
                    branch_labels: labels.clone(),
                    depends_on: vec![],
                    message: message.clone(),
                    create_date: input().create_date,
                    transactional: rng.below(2) == 0,
                    upgrade: String::new(),
                    downgrade: String::new(),
                };
                let text = render_revision(&choice, &i)
                    .unwrap_or_else(|e| panic!("{choice:?} {message:?}: {e}"));
                let mut d = Diagnostics::default();
                let path = format!("x.{}", choice.extension());
                let f = parse_revision_text(Path::new(&path), &text, &mut d)
                    .unwrap_or_else(|| panic!("{d}\n{text}"));
                assert_eq!(f.id, i.revision, "{text}");
                assert_eq!(f.message, i.message, "{text}");
                assert_eq!(f.branch_labels, i.branch_labels, "{text}");
                assert_eq!(f.down_revisions, i.down_revisions, "{text}");
                assert_eq!(f.transactional, i.transactional, "{text}");
                let (up, down) = match &f.body {
                    RevisionBody::Yaml { upgrade, downgrade } => (
                        upgrade.as_seq().map_or(99, <[_]>::len),
                        downgrade.as_seq().map_or(99, <[_]>::len),
                    ),
                    RevisionBody::Sql { upgrade, downgrade } => (upgrade.len(), downgrade.len()),
                };
                assert_eq!((up, down), (0, 0), "a message added operations:\n{text}");
            }
        }
        assert!(
            accepted_ids > 30 && accepted_labels > 30,
            "{accepted_ids} {accepted_labels}"
        );
    }

    #[test]
    fn written_ids_and_labels_are_checked() {
        for bad in [
            "*x",
            "&x",
            "null",
            "~",
            "head",
            "base",
            "heads",
            "current",
            "a@b",
            "",
            "a\u{1}b",
            "../../X",
            "/abs/path",
            ".hidden",
            "a,b",
            "a b",
            "None",
            "a:b",
        ] {
            assert!(rev_id_problem(bad).is_some(), "id {bad:?}");
            assert!(branch_label_problem(bad).is_some(), "label {bad:?}");
        }
        assert!(rev_id_problem(&"a".repeat(256)).is_some());
        assert!(rev_id_problem(&"a".repeat(255)).is_none());
        assert!(rev_id_problem("a-b").is_some());
        assert!(branch_label_problem("feature-2").is_none());
        assert!(rev_id_problem("3f2a9c1b7d4e").is_none());
    }

    #[test]
    fn comments_cannot_be_ended_by_the_message() {
        let c = comment_lines("x\rupgrade: [1]\u{2028}y\u{7}", "# ");
        assert_eq!(c, "# x\n# upgrade: [1]\\u{2028}y\\u{7}");
        assert!(file_name_problem("../{rev}", "../abc").is_some());
        assert!(file_name_problem("{rev}", "/abs").is_some());
        assert!(file_name_problem("{rev}_{slug}", "abc_x").is_none());
    }

    #[test]
    fn names_and_ids() {
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            file_name("{rev}_{slug}", "abc", "Add users table!", now),
            "abc_add_users_table"
        );
        assert_eq!(
            file_name("{year}{month}{day}_{rev}", "abc", "", now),
            "20260102_abc"
        );
        let id = generate_rev_id();
        assert_eq!(id.len(), 12);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(valid_rev_id("abc_1") && !valid_rev_id("a-b") && !valid_rev_id("a@b"));
        assert!(slugify(&"word ".repeat(30)).len() <= 40);
    }
}
