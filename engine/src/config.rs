//! `retort.yaml`: discovery, `${VAR}` interpolation, defaults, and strict keys.

use std::path::{Path, PathBuf};

use crate::schema::NamingConvention;
use crate::yaml::{parse_file, Diagnostics, Node, NodeValue, Span};

/// The URL used when neither `--url` nor `database_url` gives one.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://retort.db";

const KEYS: &[&str] = &[
    "database_url",
    "schema",
    "versions",
    "template",
    "file_template",
    "version_table",
    "transaction_per_migration",
    "naming_convention",
    "compare",
    "include_tables",
    "exclude_tables",
    "include_schemas",
    "log_table",
    "strict",
    "targets",
    "targets_from",
];

/// What autogenerate compares besides tables and columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareOptions {
    /// Compare column types.
    pub types: bool,
    /// Compare server defaults.
    pub server_defaults: bool,
    /// Compare table and column comments.
    pub comments: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            types: true,
            server_defaults: true,
            comments: true,
        }
    }
}

/// A loaded configuration, every path made absolute against the config file's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The config file, when one was found.
    pub file: Option<PathBuf>,
    /// The directory relative paths are resolved against.
    pub dir: PathBuf,
    /// `database_url`, after interpolation.
    pub database_url: Option<String>,
    /// The declared schema: a file or a directory of `*.yaml`.
    pub schema: PathBuf,
    /// Directories of revision files; new revisions go to the first.
    pub versions: Vec<PathBuf>,
    /// Default template for new revisions: `yaml`, `sql`, or a `.tera` file path.
    pub template: String,
    /// File name pattern for new revisions.
    pub file_template: String,
    /// The version table's name.
    pub version_table: String,
    /// One transaction per revision instead of one per run.
    pub transaction_per_migration: bool,
    /// Names for unnamed indexes and constraints.
    pub naming_convention: NamingConvention,
    /// What autogenerate compares.
    pub compare: CompareOptions,
    /// Table globs to include (empty: all).
    pub include_tables: Vec<String>,
    /// Table globs to exclude.
    pub exclude_tables: Vec<String>,
    /// PostgreSQL: the schemas besides the default one that reflection and comparison
    /// look at (empty: those `schema.yaml` names).
    pub include_schemas: Vec<String>,
    /// Where each key was written in the config file (for messages about its value).
    pub key_spans: Vec<(String, Span)>,
    /// The run log table (one row per applied or reverted revision, with its checksum).
    pub log_table: String,
    /// An applied revision whose file changed since it ran is an error, not a warning.
    pub strict: bool,
    /// Named databases of a fleet (`targets:`), in written order.
    pub targets: Vec<TargetSpec>,
    /// Where more targets come from (`targets_from:`), read only when targets are used.
    pub targets_from: Option<TargetsSource>,
}

/// One named database of `targets:` (or a line of `targets_from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// The target's name, used by `--target`.
    pub name: String,
    /// Its URL after `${VAR}` interpolation; a relative SQLite path is relative to the
    /// config file's directory.
    pub url: String,
    /// PostgreSQL only: the schema the revisions and the version table live in.
    pub schema: Option<String>,
}

/// Where `targets_from:` reads a fleet managed elsewhere: lines `name url [schema]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetsSource {
    /// A file (relative to the config file's directory).
    File(PathBuf),
    /// A command run with `sh -c` in the config file's directory.
    Command(String),
}

impl Config {
    /// The defaults, with paths relative to `dir`.
    pub fn defaults(dir: &Path) -> Config {
        Config {
            file: None,
            dir: dir.to_path_buf(),
            database_url: None,
            schema: dir.join("schema.yaml"),
            versions: vec![dir.join("versions")],
            template: "yaml".into(),
            file_template: "{rev}_{slug}".into(),
            version_table: "retort_version".into(),
            transaction_per_migration: false,
            naming_convention: NamingConvention::default(),
            compare: CompareOptions::default(),
            include_tables: Vec::new(),
            exclude_tables: Vec::new(),
            include_schemas: Vec::new(),
            key_spans: Vec::new(),
            log_table: "retort_log".into(),
            strict: false,
            targets: Vec::new(),
            targets_from: None,
        }
    }

    /// Where `key`'s value was written in the config file, if it was.
    pub fn span_of(&self, key: &str) -> Option<Span> {
        self.key_spans
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, span)| *span)
    }

    /// Finds and loads the configuration the way cargo finds `Cargo.toml`: `explicit`
    /// (from `-c`), else `$RETORT_CONFIG`, else `retort.yaml` in the current directory or
    /// the nearest parent. Finding none is [`ConfigError::NotFound`]: there is no
    /// defaults-only mode.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let cwd = std::env::current_dir().map_err(|e| ConfigError::Io(PathBuf::from("."), e))?;
        let env = std::env::var_os("RETORT_CONFIG").map(PathBuf::from);
        let path = find_config_file(explicit, env.as_deref(), &cwd)?;
        Config::load(&path, &|name| std::env::var(name).ok())
    }

    /// Loads a config file; `env` looks up variables for `${VAR}` interpolation.
    pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let bytes = std::fs::read(path).map_err(|e| ConfigError::Io(path.to_path_buf(), e))?;
        let text = crate::yaml::decode_source(path, bytes)
            .map_err(|d| ConfigError::Invalid(Diagnostics(vec![d])))?;
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut diags = Diagnostics::default();
        let mut config = Config::defaults(&dir);
        config.file = Some(path.to_path_buf());
        let root = match parse_file(path, &text) {
            Ok(n) => n,
            Err(d) => return Err(ConfigError::Invalid(Diagnostics(vec![d]))),
        };
        let mut r = Reader {
            file: path,
            diags: &mut diags,
            env,
        };
        if !root.is_null() {
            match root.as_map() {
                None => r.err(root.span, "the config file must be a mapping of settings"),
                Some(entries) => {
                    for (k, v) in entries {
                        let key = k.as_str().unwrap_or("");
                        config.key_spans.push((key.to_string(), v.span));
                        if v.is_null() && key != "database_url" {
                            continue;
                        }
                        match key {
                            "database_url" => config.database_url = r.opt_string(v),
                            "schema" => {
                                if let Some(s) = r.string(v) {
                                    config.schema = dir.join(s);
                                }
                            }
                            "versions" => {
                                let list = r.strings(v);
                                if list.is_empty() {
                                    r.err(v.span, "`versions` needs at least one directory");
                                } else {
                                    config.versions = list.iter().map(|s| dir.join(s)).collect();
                                }
                            }
                            "template" => {
                                if let Some(s) = r.string(v) {
                                    config.template = match s.as_str() {
                                        "yaml" | "sql" => s,
                                        _ => dir.join(s).to_string_lossy().into_owned(),
                                    };
                                }
                            }
                            "file_template" => {
                                if let Some(s) = r.string(v) {
                                    check_file_template(&mut r, v.span, &s);
                                    config.file_template = s;
                                }
                            }
                            "version_table" => {
                                if let Some(s) = r.string(v) {
                                    if crate::schema::is_identifier(&s) {
                                        config.version_table = s;
                                    } else {
                                        r.err(v.span, format!("`version_table` must be a plain identifier, got `{s}`"));
                                    }
                                }
                            }
                            "log_table" => {
                                if let Some(s) = r.string(v) {
                                    if crate::schema::is_identifier(&s) {
                                        config.log_table = s;
                                    } else {
                                        r.err(
                                            v.span,
                                            format!(
                                                "`log_table` must be a plain identifier, got `{s}`"
                                            ),
                                        );
                                    }
                                }
                            }
                            "strict" => {
                                if let Some(b) = r.boolean(v) {
                                    config.strict = b;
                                }
                            }
                            "transaction_per_migration" => {
                                if let Some(b) = r.boolean(v) {
                                    config.transaction_per_migration = b;
                                }
                            }
                            "naming_convention" => r.naming(v, &mut config.naming_convention),
                            "compare" => r.compare(v, &mut config.compare),
                            "include_tables" => config.include_tables = r.strings(v),
                            "exclude_tables" => config.exclude_tables = r.strings(v),
                            "include_schemas" => {
                                config.include_schemas = r.strings(v);
                                if let Some(bad) = config
                                    .include_schemas
                                    .iter()
                                    .find(|s| s.trim().is_empty() || s.contains('.'))
                                {
                                    r.err(v.span, format!("`include_schemas` lists `{bad}`; write plain schema names, e.g. [public, audit]"));
                                }
                            }
                            "targets" => config.targets = r.targets(v),
                            "targets_from" => config.targets_from = r.targets_from(v, &dir),
                            _ => r.err(
                                k.span,
                                format!(
                                    "unknown key `{key}` in {}; expected one of: {}",
                                    path.display(),
                                    KEYS.join(", ")
                                ),
                            ),
                        }
                    }
                }
            }
        }
        if diags.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid(diags))
        }
    }

    /// The URL to connect to: `--url`, else `database_url`, else the SQLite default.
    /// A relative SQLite path is taken relative to the config file's directory.
    pub fn url(&self, cli_url: Option<&str>) -> String {
        if let Some(u) = cli_url {
            return u.to_string();
        }
        let url = self
            .database_url
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        self.absolute_url(url)
    }

    /// `url` with a relative SQLite path made relative to the config file's directory.
    pub fn absolute_url(&self, url: String) -> String {
        if let Some(rest) = url.strip_prefix("sqlite://") {
            let (path, query) = match rest.split_once('?') {
                Some((p, q)) => (p, Some(q)),
                None => (rest, None),
            };
            if !path.is_empty() && !path.starts_with('/') && path != ":memory:" {
                let abs = self.dir.join(path);
                return match query {
                    Some(q) => format!("sqlite://{}?{q}", abs.display()),
                    None => format!("sqlite://{}", abs.display()),
                };
            }
        }
        url
    }

    /// True when comparison looks at tables of `schema` (`None`: the default schema,
    /// always looked at): with `include_schemas`, only the schemas it lists.
    pub fn schema_included(&self, schema: Option<&str>) -> bool {
        match schema {
            None => true,
            Some(s) => {
                self.include_schemas.is_empty() || self.include_schemas.iter().any(|i| i == s)
            }
        }
    }

    /// True when autogenerate should consider `table` (include/exclude globs; never the version table).
    pub fn table_included(&self, table: &str) -> bool {
        if table == self.version_table || table == self.log_table {
            return false;
        }
        if !self.include_tables.is_empty()
            && !self.include_tables.iter().any(|g| glob_match(g, table))
        {
            return false;
        }
        !self.exclude_tables.iter().any(|g| glob_match(g, table))
    }
}

/// The config file's name, looked for in the current directory and its parents.
pub const CONFIG_FILE_NAME: &str = "retort.yaml";

/// Which config file to use: `explicit` (from `-c`), else `env` (`$RETORT_CONFIG`, when
/// set and not empty), else the nearest `retort.yaml` in `cwd` or one of its parents.
/// An explicit or environment path is taken relative to `cwd` and must exist.
pub fn find_config_file(
    explicit: Option<&Path>,
    env: Option<&Path>,
    cwd: &Path,
) -> Result<PathBuf, ConfigError> {
    let named = explicit.or(env.filter(|p| !p.as_os_str().is_empty()));
    if let Some(p) = named {
        let path = cwd.join(p);
        return if path.is_file() {
            Ok(std::fs::canonicalize(&path).unwrap_or(path))
        } else {
            Err(ConfigError::Missing(p.to_path_buf()))
        };
    }
    cwd.ancestors()
        .map(|d| d.join(CONFIG_FILE_NAME))
        .find(|p| p.is_file())
        .ok_or_else(|| ConfigError::NotFound(cwd.to_path_buf()))
}

fn check_file_template(r: &mut Reader<'_>, span: Span, s: &str) {
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            r.err(span, format!("unclosed `{{` in file_template `{s}`"));
            return;
        };
        let token = &after[..close];
        if !matches!(
            token,
            "rev" | "slug" | "year" | "month" | "day" | "hour" | "minute" | "second"
        ) {
            r.err(
                span,
                format!("unknown token `{{{token}}}` in file_template; use rev, slug, year, month, day, hour, minute, second"),
            );
        }
        rest = &after[close + 1..];
    }
    if !s.contains("{rev}") {
        r.err(
            span,
            "file_template must contain {rev} so that file names are unique",
        );
    }
}

/// True for a usable target name: letters, digits, `_`, `-`, `.` (no glob characters).
pub fn is_target_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Shell-style glob: `*` any run, `?` one character.
pub fn glob_match(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Why `${...}` in a configuration value could not be replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpolateError {
    /// `${` without its `}`.
    #[error("unclosed `${{` in `{text}`")]
    Unclosed {
        /// The whole value.
        text: String,
    },
    /// `${...}` whose name is not a variable name.
    #[error(
        "`${{{reference}}}` is not a variable reference; write ${{NAME}} or ${{NAME:-default}}"
    )]
    NotAVariable {
        /// What stood between `${` and `}`.
        reference: String,
    },
    /// An unset (or empty) variable without a default.
    #[error("environment variable {name} is not set; set it or write ${{{name}:-default}}")]
    Unset {
        /// The variable.
        name: String,
    },
}

/// Replaces `${VAR}` and `${VAR:-default}`; an unset variable without a default is an error.
pub fn interpolate(
    s: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolateError> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(InterpolateError::Unclosed {
                text: s.to_string(),
            });
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(InterpolateError::NotAVariable {
                reference: inner.to_string(),
            });
        }
        match (env(name).filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(InterpolateError::Unset {
                    name: name.to_string(),
                })
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

struct Reader<'a> {
    file: &'a Path,
    diags: &'a mut Diagnostics,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Reader<'_> {
    fn err(&mut self, span: Span, msg: impl Into<String>) {
        self.diags.push(self.file, span, msg);
    }
    fn string(&mut self, v: &Node) -> Option<String> {
        match &v.value {
            NodeValue::Scalar { text, .. } => match interpolate(text, self.env) {
                Ok(s) => Some(s),
                Err(e) => {
                    self.err(v.span, e.to_string());
                    None
                }
            },
            _ => {
                self.err(
                    v.span,
                    format!("expected a string, found {}", v.kind_name()),
                );
                None
            }
        }
    }
    fn opt_string(&mut self, v: &Node) -> Option<String> {
        if v.is_null() {
            None
        } else {
            self.string(v).filter(|s| !s.is_empty())
        }
    }
    fn boolean(&mut self, v: &Node) -> Option<bool> {
        let b = v.as_bool();
        if b.is_none() {
            self.err(v.span, "expected true or false");
        }
        b
    }
    fn strings(&mut self, v: &Node) -> Vec<String> {
        match &v.value {
            NodeValue::Scalar { .. } => self.string(v).into_iter().collect(),
            NodeValue::Seq(items) => items.iter().filter_map(|i| self.string(i)).collect(),
            NodeValue::Null => Vec::new(),
            NodeValue::Map(_) => {
                self.err(v.span, "expected a list of strings, found a mapping");
                Vec::new()
            }
        }
    }
    fn naming(&mut self, v: &Node, nc: &mut NamingConvention) {
        let Some(entries) = v.as_map() else {
            self.err(
                v.span,
                "`naming_convention` must be a mapping of ix, uq, fk, ck, pk",
            );
            return;
        };
        for (k, val) in entries {
            let Some(s) = self.string(val) else { continue };
            let mut rest = s.as_str();
            while let Some(open) = rest.find('{') {
                let after = &rest[open + 1..];
                let close = after.find('}').unwrap_or(after.len());
                let token = &after[..close];
                if !crate::schema::NAMING_TOKENS.contains(&token) {
                    self.err(
                        val.span,
                        format!("unknown token `{{{token}}}` in naming convention; use table, columns, referred_table, name"),
                    );
                }
                rest = after.get(close + 1..).unwrap_or("");
            }
            match k.as_str().unwrap_or("") {
                "ix" => nc.ix = s,
                "uq" => nc.uq = s,
                "fk" => nc.fk = s,
                "ck" => nc.ck = s,
                "pk" => nc.pk = s,
                other => self.err(
                    k.span,
                    format!("unknown key `{other}` in naming_convention of {}; expected one of: ix, uq, fk, ck, pk", self.file.display()),
                ),
            }
        }
    }
    fn targets(&mut self, v: &Node) -> Vec<TargetSpec> {
        let Some(entries) = v.as_map() else {
            self.err(
                v.span,
                "`targets` must be a mapping of name to {url, schema} (or name to URL)",
            );
            return Vec::new();
        };
        let mut out: Vec<TargetSpec> = Vec::new();
        for (k, val) in entries {
            let name = k.as_str().unwrap_or("").to_string();
            if !is_target_name(&name) {
                self.err(
                    k.span,
                    format!("target name `{name}` must be letters, digits, `_`, `-` or `.`"),
                );
                continue;
            }
            if out.iter().any(|t| t.name == name) {
                self.err(k.span, format!("target `{name}` is declared twice"));
                continue;
            }
            let (mut url, mut schema, mut schema_span) = (None, None, val.span);
            match &val.value {
                NodeValue::Scalar { .. } => url = self.string(val),
                NodeValue::Map(fields) => {
                    for (fk, fv) in fields {
                        match fk.as_str().unwrap_or("") {
                            "url" => url = self.string(fv),
                            "schema" => {
                                schema_span = fv.span;
                                schema = self.string(fv);
                                if let Some(s) = &schema {
                                    if !crate::schema::is_identifier(s) {
                                        self.err(fv.span, format!("the schema of target `{name}` must be a plain identifier, got `{s}`"));
                                    }
                                }
                            }
                            other => self.err(
                                fk.span,
                                format!("unknown key `{other}` in target `{name}` of {}; expected one of: url, schema", self.file.display()),
                            ),
                        }
                    }
                }
                _ => self.err(
                    val.span,
                    format!("target `{name}` must be a URL or a mapping with url and schema"),
                ),
            }
            let Some(url) = url else {
                if matches!(val.value, NodeValue::Map(_)) {
                    self.err(val.span, format!("target `{name}` needs a `url`"));
                }
                continue;
            };
            let dialect = crate::dialect::Dialect::from_url(&url);
            if schema.is_some() && dialect.is_some_and(|d| !d.backend().has_session_schema()) {
                self.err(
                    schema_span,
                    format!(
                        "target `{name}`: `schema` is supported on PostgreSQL only (its URL is {})",
                        crate::db::mask_url(&url)
                    ),
                );
            }
            out.push(TargetSpec { name, url, schema });
        }
        out
    }
    fn targets_from(&mut self, v: &Node, dir: &Path) -> Option<TargetsSource> {
        let expected =
            "`targets_from` must be a file name, or a mapping with one of `file` or `command`";
        match &v.value {
            NodeValue::Scalar { .. } => self.string(v).map(|f| TargetsSource::File(dir.join(f))),
            NodeValue::Map(fields) if fields.len() == 1 => {
                let (k, val) = &fields[0];
                match k.as_str().unwrap_or("") {
                    "file" => self.string(val).map(|f| TargetsSource::File(dir.join(f))),
                    "command" => self.string(val).map(TargetsSource::Command),
                    other => {
                        self.err(k.span, format!("unknown key `{other}` in targets_from of {}; expected one of: file, command", self.file.display()));
                        None
                    }
                }
            }
            _ => {
                self.err(v.span, expected);
                None
            }
        }
    }
    fn compare(&mut self, v: &Node, c: &mut CompareOptions) {
        let Some(entries) = v.as_map() else {
            self.err(
                v.span,
                "`compare` must be a mapping of types, server_defaults, comments",
            );
            return;
        };
        for (k, val) in entries {
            let Some(b) = self.boolean(val) else { continue };
            match k.as_str().unwrap_or("") {
                "types" => c.types = b,
                "server_defaults" => c.server_defaults = b,
                "comments" => c.comments = b,
                other => self.err(
                    k.span,
                    format!("unknown key `{other}` in compare of {}; expected one of: types, server_defaults, comments", self.file.display()),
                ),
            }
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An explicitly named config file does not exist.
    #[error("config file {0} not found; pass -c FILE, set RETORT_CONFIG, or run `retort init`")]
    Missing(PathBuf),
    /// No `-c`, no `$RETORT_CONFIG`, and no `retort.yaml` in the directory or its parents.
    #[error("no retort.yaml found in {} or its parents; run `retort init` (or pass -c FILE, or set RETORT_CONFIG)", .0.display())]
    NotFound(PathBuf),
    /// The file could not be read.
    #[error("cannot read config file {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The file has mistakes.
    #[error("{0}")]
    Invalid(Diagnostics),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "DB" => Some("postgres://x".into()),
            _ => None,
        }
    }

    fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("retort.yaml");
        std::fs::write(&p, text).unwrap();
        Config::load(&p, &env)
    }

    #[test]
    fn interpolation() {
        assert_eq!(interpolate("${DB}/a", &env).unwrap(), "postgres://x/a");
        assert_eq!(
            interpolate("${NOPE:-sqlite://a.db}", &env).unwrap(),
            "sqlite://a.db"
        );
        assert!(interpolate("${NOPE}", &env)
            .unwrap_err()
            .to_string()
            .contains("NOPE is not set"));
    }

    #[test]
    fn interpolation_errors_name_the_variable() {
        assert_eq!(
            interpolate("${NOPE}/x", &env).unwrap_err(),
            InterpolateError::Unset {
                name: "NOPE".into()
            }
        );
        assert_eq!(
            interpolate("${NOPE}", &env).unwrap_err().to_string(),
            "environment variable NOPE is not set; set it or write ${NOPE:-default}"
        );
        assert_eq!(
            interpolate("a${B", &env).unwrap_err().to_string(),
            "unclosed `${` in `a${B`"
        );
        assert_eq!(
            interpolate("${a b}", &env).unwrap_err().to_string(),
            "`${a b}` is not a variable reference; write ${NAME} or ${NAME:-default}"
        );
    }

    #[test]
    fn defaults_and_relative_paths() {
        let c = load("schema: db/schema.yaml\nversions: [v1, v2]\n").unwrap();
        assert!(c.schema.ends_with("db/schema.yaml"));
        assert!(c.schema.is_absolute());
        assert_eq!(c.versions.len(), 2);
        assert_eq!(c.version_table, "retort_version");
        assert!(c.url(None).starts_with("sqlite:///"));
        assert!(c.url(None).ends_with("/retort.db"));
        assert_eq!(c.url(Some("sqlite::memory:")), "sqlite::memory:");
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let err = load("databse_url: x\n").unwrap_err().to_string();
        assert!(err.contains("unknown key `databse_url`"), "{err}");
        assert!(err.contains("retort.yaml:1:1"), "{err}");
        let err = load("compare: {typos: true}\n").unwrap_err().to_string();
        assert!(err.contains("unknown key `typos`"), "{err}");
    }

    #[test]
    fn discovery_walks_up_like_cargo() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let err = find_config_file(None, None, &sub).unwrap_err().to_string();
        assert!(
            err.contains(&format!("no retort.yaml found in {}", sub.display())),
            "{err}"
        );
        assert!(err.contains("run `retort init`"), "{err}");
        std::fs::write(root.path().join("retort.yaml"), "").unwrap();
        assert_eq!(
            find_config_file(None, None, &sub).unwrap(),
            root.path().join("retort.yaml")
        );
        std::fs::write(root.path().join("a/retort.yaml"), "").unwrap();
        assert_eq!(
            find_config_file(None, None, &sub).unwrap(),
            root.path().join("a/retort.yaml")
        );
        std::fs::write(sub.join("other.yaml"), "").unwrap();
        let env = Path::new("other.yaml");
        assert_eq!(
            find_config_file(None, Some(env), &sub).unwrap(),
            sub.join("other.yaml").canonicalize().unwrap()
        );
        assert_eq!(
            find_config_file(Some(Path::new("../retort.yaml")), Some(env), &sub).unwrap(),
            root.path().join("a/retort.yaml").canonicalize().unwrap()
        );
        assert!(matches!(
            find_config_file(Some(Path::new("nope.yaml")), None, &sub),
            Err(ConfigError::Missing(_))
        ));
        assert_eq!(
            find_config_file(None, Some(Path::new("")), &sub).unwrap(),
            root.path().join("a/retort.yaml")
        );
    }

    #[test]
    fn targets_are_strict_and_interpolated() {
        let c = load("targets:\n  a: sqlite://a.db\n  b: {url: \"${DB}\", schema: tenant_b}\ntargets_from: {command: echo}\n").unwrap();
        assert_eq!(c.targets.len(), 2);
        assert_eq!(c.targets[1].url, "postgres://x");
        assert_eq!(c.targets[1].schema.as_deref(), Some("tenant_b"));
        assert_eq!(c.targets_from, Some(TargetsSource::Command("echo".into())));
        let err = load("targets:\n  a: {url: sqlite://a.db, shema: x}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("retort.yaml:2:27"), "{err}");
        assert!(err.contains("unknown key `shema` in target `a`"), "{err}");
        let err = load("targets:\n  a: {url: sqlite://a.db, schema: s}\n  \"b*\": sqlite://b.db\n  c: {schema: s}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("PostgreSQL only"), "{err}");
        assert!(err.contains("target name `b*`"), "{err}");
        assert!(err.contains("target `c` needs a `url`"), "{err}");
        let err = load("targets_from: {script: x}\n").unwrap_err().to_string();
        assert!(
            err.contains("unknown key `script` in targets_from"),
            "{err}"
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("tmp_*", "tmp_x"));
        assert!(!glob_match("tmp_*", "xtmp_"));
        assert!(glob_match("a?c", "abc"));
    }
}
