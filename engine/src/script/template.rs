//! New revision files: ids, file names, and rendering through the tera templates
//! (the built-in `yaml` and `sql`, or a user's own `.tera` file).

use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::yaml::scalar;

const YAML_TEMPLATE: &str = include_str!("../../../templates/yaml.tera");
const SQL_TEMPLATE: &str = include_str!("../../../templates/sql.tera");

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

/// Renders a new revision file's text.
pub fn render_revision(
    choice: &TemplateChoice,
    input: &RevisionTemplateInput,
) -> anyhow::Result<String> {
    let (name, source) = match choice {
        TemplateChoice::Yaml => ("yaml.tera".to_string(), YAML_TEMPLATE.to_string()),
        TemplateChoice::Sql => ("sql.tera".to_string(), SQL_TEMPLATE.to_string()),
        TemplateChoice::File(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("cannot read template {}: {e}", p.display()))?,
        ),
    };
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    tera.add_raw_template(&name, &source)
        .map_err(|e| anyhow::anyhow!("template {name} is invalid: {}", tera_chain(&e)))?;
    let mut ctx = tera::Context::new();
    ctx.insert("revision", &input.revision);
    ctx.insert("down_revisions", &input.down_revisions);
    ctx.insert("branch_labels", &input.branch_labels);
    ctx.insert("depends_on", &input.depends_on);
    ctx.insert("message", &input.message);
    ctx.insert(
        "message_comment",
        &input
            .message
            .lines()
            .map(|l| format!("# {l}").trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    ctx.insert(
        "message_sql_comment",
        &format!("-- {}", input.message.lines().next().unwrap_or("")).trim_end(),
    );
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
        .map_err(|e| anyhow::anyhow!("rendering template {name} failed: {}", tera_chain(&e)))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
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
