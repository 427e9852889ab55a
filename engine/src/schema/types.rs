//! The column type grammar of `schema.yaml`: portable types plus verbatim pass-through.

use std::fmt;

/// Why a type string is not a column type; each variant carries the type as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnTypeError {
    /// Nothing but whitespace.
    #[error("empty type")]
    Empty,
    /// A character that no type contains.
    #[error("invalid character {character:?} in type {input:?}")]
    InvalidCharacter {
        /// The type as written.
        input: String,
        /// The character.
        character: char,
    },
    /// Parentheses that do not match.
    #[error("unbalanced parentheses in type {input:?}; write e.g. varchar(255), and inside {{…}} quote a type with a comma: \"numeric(10,2)\"")]
    UnbalancedParentheses {
        /// The type as written.
        input: String,
    },
    /// Arguments without a type name.
    #[error("type {input:?} has no name")]
    NoName {
        /// The type as written.
        input: String,
    },
    /// More arguments than the type takes.
    #[error("{name} takes at most {max} argument(s), got {arguments:?}")]
    TooManyArguments {
        /// The type as written.
        input: String,
        /// The type's name.
        name: String,
        /// How many it takes.
        max: usize,
        /// The arguments given.
        arguments: String,
    },
    /// An argument that is not a whole number.
    #[error("{name} needs a whole number, got {argument:?}")]
    NotANumber {
        /// The type as written.
        input: String,
        /// The type's name.
        name: String,
        /// The argument.
        argument: String,
    },
    /// Arguments to a type that takes none.
    #[error("{name} takes no arguments, got ({arguments})")]
    UnexpectedArguments {
        /// The type as written.
        input: String,
        /// The type's name.
        name: String,
        /// The arguments given.
        arguments: String,
    },
    /// `decimal(p,s)` with `s > p`.
    #[error("{name}({precision},{scale}): scale is larger than precision")]
    ScaleAbovePrecision {
        /// The type as written.
        input: String,
        /// The type's name.
        name: String,
        /// The precision.
        precision: u32,
        /// The scale.
        scale: u32,
    },
    /// `decimal(0)`.
    #[error("{name} precision must be at least 1")]
    ZeroPrecision {
        /// The type as written.
        input: String,
        /// The type's name.
        name: String,
    },
    /// `varchar(0)` or `char(0)`.
    #[error("{kind} length must be at least 1")]
    ZeroLength {
        /// The type as written.
        input: String,
        /// `varchar` or `char`.
        kind: &'static str,
    },
    /// `enum('a', b)`: an inline enum whose values are not all quoted.
    #[error("inline enum {input:?} needs quoted values, e.g. enum('a','b')")]
    InlineEnumValues {
        /// The type as written.
        input: String,
    },
    /// `enum(...)` without the name of a declared enum.
    #[error(
        "enum needs the name of an enum declared under `enums:`, e.g. enum(status); got {input:?}"
    )]
    EnumName {
        /// The type as written.
        input: String,
    },
    /// A pass-through type that does not start with a letter.
    #[error("type {input:?} must start with a letter")]
    NotALetter {
        /// The type as written.
        input: String,
    },
}

/// A column type as declared (portable) or passed through to the database verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ColumnType {
    /// `smallint` (2 bytes).
    SmallInt,
    /// `integer` (4 bytes).
    Integer,
    /// `bigint` (8 bytes).
    BigInt,
    /// `boolean`.
    Boolean,
    /// `real` (4-byte float).
    Real,
    /// `double` (8-byte float).
    Double,
    /// `decimal(p,s)` / `numeric(p,s)`: exact numbers.
    Numeric {
        /// Total digits.
        precision: Option<u32>,
        /// Digits after the point.
        scale: Option<u32>,
    },
    /// `varchar(n)`.
    Varchar(Option<u32>),
    /// `char(n)`.
    Char(Option<u32>),
    /// `text`.
    #[default]
    Text,
    /// `blob`: binary data.
    Blob,
    /// `date`.
    Date,
    /// `time`.
    Time,
    /// `timestamp` (without time zone).
    Timestamp,
    /// `timestamptz` (with time zone).
    TimestampTz,
    /// `json`.
    Json,
    /// `jsonb` (`json` where the backend has no jsonb).
    Jsonb,
    /// `uuid` (`char(36)` where the backend has no uuid type).
    Uuid,
    /// `enum(NAME)`: a named enum declared under `enums:`.
    Enum(String),
    /// Any other type, passed to the database as written (lower-cased, spaces folded).
    Custom(String),
}

impl ColumnType {
    /// Parses a type string. Errors say what is wrong with it.
    pub fn parse(input: &str) -> Result<ColumnType, ColumnTypeError> {
        let s = input.trim();
        let input_owned = || input.to_string();
        if s.is_empty() {
            return Err(ColumnTypeError::Empty);
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || " _,()[].'-".contains(*c)))
        {
            return Err(ColumnTypeError::InvalidCharacter {
                input: input_owned(),
                character: bad,
            });
        }
        if let Some((core, modifiers)) = split_numeric_modifiers(s) {
            // MySQL's `int(10) unsigned`, `decimal(10,2) unsigned zerofill`: a name and
            // at most two whole numbers before the modifiers; passed through.
            let (head, args) =
                split_args(core).ok_or_else(|| ColumnTypeError::UnbalancedParentheses {
                    input: input_owned(),
                })?;
            let name = custom_spelling(&head, None, "");
            if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                return Err(ColumnTypeError::NotALetter {
                    input: input_owned(),
                });
            }
            if let Some(bad) = args
                .iter()
                .flat_map(|a| a.split(','))
                .map(str::trim)
                .find(|p| p.parse::<u32>().is_err())
            {
                return Err(ColumnTypeError::NotANumber {
                    input: input_owned(),
                    name,
                    argument: bad.to_string(),
                });
            }
            return Ok(ColumnType::Custom(custom_spelling(
                &head,
                args.as_deref(),
                &modifiers,
            )));
        }
        let (head, args) = split_args(s).ok_or_else(|| ColumnTypeError::UnbalancedParentheses {
            input: input_owned(),
        })?;
        let name = head
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase();
        if name.is_empty() {
            return Err(ColumnTypeError::NoName {
                input: input_owned(),
            });
        }
        let numbers = |max: usize| -> Result<Vec<u32>, ColumnTypeError> {
            let Some(args) = &args else { return Ok(vec![]) };
            let parts: Vec<&str> = args.split(',').map(str::trim).collect();
            if parts.len() > max {
                return Err(ColumnTypeError::TooManyArguments {
                    input: input_owned(),
                    name: name.clone(),
                    max,
                    arguments: args.clone(),
                });
            }
            parts
                .iter()
                .map(|p| {
                    p.parse::<u32>().map_err(|_| ColumnTypeError::NotANumber {
                        input: input_owned(),
                        name: name.clone(),
                        argument: p.to_string(),
                    })
                })
                .collect()
        };
        let no_args = |t: ColumnType| -> Result<ColumnType, ColumnTypeError> {
            match &args {
                None => Ok(t),
                Some(a) => Err(ColumnTypeError::UnexpectedArguments {
                    input: input_owned(),
                    name: name.clone(),
                    arguments: a.clone(),
                }),
            }
        };
        Ok(match name.as_str() {
            "smallint" => no_args(ColumnType::SmallInt)?,
            "integer" | "int" => no_args(ColumnType::Integer)?,
            "bigint" => no_args(ColumnType::BigInt)?,
            "boolean" | "bool" => no_args(ColumnType::Boolean)?,
            "real" | "float" if args.is_none() => ColumnType::Real,
            "double" | "double precision" if args.is_none() => ColumnType::Double,
            "decimal" | "numeric" => {
                let n = numbers(2)?;
                if let [p, s] = n[..] {
                    if s > p {
                        return Err(ColumnTypeError::ScaleAbovePrecision {
                            input: input_owned(),
                            name: name.clone(),
                            precision: p,
                            scale: s,
                        });
                    }
                }
                if n.first() == Some(&0) {
                    return Err(ColumnTypeError::ZeroPrecision {
                        input: input_owned(),
                        name: name.clone(),
                    });
                }
                ColumnType::Numeric {
                    precision: n.first().copied(),
                    scale: n.get(1).copied(),
                }
            }
            "varchar" | "character varying" => {
                let n = numbers(1)?;
                if n.first() == Some(&0) {
                    return Err(ColumnTypeError::ZeroLength {
                        input: input_owned(),
                        kind: "varchar",
                    });
                }
                ColumnType::Varchar(n.first().copied())
            }
            "char" | "character" => {
                let n = numbers(1)?;
                if n.first() == Some(&0) {
                    return Err(ColumnTypeError::ZeroLength {
                        input: input_owned(),
                        kind: "char",
                    });
                }
                ColumnType::Char(n.first().copied())
            }
            // With a precision or size these are the backend's own types, passed through:
            // MySQL `float(10,3)`, `double(10,2)`, `timestamp(3)`, `blob(65535)`.
            "real" | "float" | "double" | "blob" | "time" | "timestamp" if args.is_some() => {
                numbers(2)?;
                ColumnType::Custom(custom_spelling(&name, args.as_deref(), ""))
            }
            "text" => no_args(ColumnType::Text)?,
            "blob" => no_args(ColumnType::Blob)?,
            "date" => no_args(ColumnType::Date)?,
            "time" => no_args(ColumnType::Time)?,
            "timestamp" => no_args(ColumnType::Timestamp)?,
            "timestamptz" => no_args(ColumnType::TimestampTz)?,
            "json" => no_args(ColumnType::Json)?,
            "jsonb" => no_args(ColumnType::Jsonb)?,
            "uuid" => no_args(ColumnType::Uuid)?,
            "enum"
                if args
                    .as_deref()
                    .is_some_and(|a| a.trim_start().starts_with('\'')) =>
            {
                let values =
                    inline_enum_values(&format!("enum({})", args.as_deref().unwrap_or("")))
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| ColumnTypeError::InlineEnumValues {
                            input: input_owned(),
                        })?;
                ColumnType::Custom(inline_enum_spelling(&values))
            }
            "enum" => {
                let arg = args.as_deref().map(str::trim).unwrap_or("");
                if !is_identifier(arg) {
                    return Err(ColumnTypeError::EnumName {
                        input: input_owned(),
                    });
                }
                ColumnType::Enum(arg.to_string())
            }
            _ => {
                if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                    return Err(ColumnTypeError::NotALetter {
                        input: input_owned(),
                    });
                }
                ColumnType::Custom(custom_spelling(&name, args.as_deref(), ""))
            }
        })
    }

    /// The values of an inline enum (`enum('a','b')`, as MySQL and SQLite hold enums).
    pub fn inline_enum(&self) -> Option<Vec<String>> {
        match self {
            ColumnType::Custom(s) => inline_enum_values(s),
            _ => None,
        }
    }

    /// True for the integer types that can carry `autoincrement`: the portable ones and
    /// the backends' own integer spellings (`int unsigned`, `tinyint`, `mediumint(8)`).
    pub fn is_integer(&self) -> bool {
        match self {
            ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt => true,
            ColumnType::Custom(s) => {
                let core = split_numeric_modifiers(s).map_or(s.as_str(), |(core, _)| core);
                let base = core.split('(').next().unwrap_or_default().trim();
                matches!(
                    base,
                    "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint"
                )
            }
            _ => false,
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("smallint"),
            ColumnType::Integer => f.write_str("integer"),
            ColumnType::BigInt => f.write_str("bigint"),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Real => f.write_str("real"),
            ColumnType::Double => f.write_str("double"),
            ColumnType::Numeric { precision, scale } => match (precision, scale) {
                (Some(p), Some(s)) => write!(f, "numeric({p},{s})"),
                (Some(p), None) => write!(f, "numeric({p})"),
                _ => f.write_str("numeric"),
            },
            ColumnType::Varchar(Some(n)) => write!(f, "varchar({n})"),
            ColumnType::Varchar(None) => f.write_str("varchar"),
            ColumnType::Char(Some(n)) => write!(f, "char({n})"),
            ColumnType::Char(None) => f.write_str("char"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Blob => f.write_str("blob"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::TimestampTz => f.write_str("timestamptz"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Jsonb => f.write_str("jsonb"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::Enum(name) => write!(f, "enum({name})"),
            ColumnType::Custom(s) => f.write_str(s),
        }
    }
}

/// The canonical spelling of an inline enum: `enum('a','it''s')`.
pub fn inline_enum_spelling(values: &[String]) -> String {
    let lits: Vec<String> = values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect();
    format!("enum({})", lits.join(","))
}

/// The values of an inline enum spelling `enum('a','b')` (any case, any spacing).
pub fn inline_enum_values(spelling: &str) -> Option<Vec<String>> {
    let t = spelling.trim();
    let inner = t
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("enum("))
        .and_then(|_| t[5..].trim_end().strip_suffix(')'))?;
    let mut values = Vec::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let mut v = String::new();
                loop {
                    match chars.next() {
                        None => return None,
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            v.push('\'');
                        }
                        Some('\'') => break,
                        Some('\\') => {
                            if let Some(n) = chars.next() {
                                v.push(n);
                            }
                        }
                        Some(ch) => v.push(ch),
                    }
                }
                values.push(v);
            }
            ',' | ' ' => {}
            _ => return None,
        }
    }
    Some(values)
}

/// Words MySQL allows after a numeric type.
const NUMERIC_MODIFIERS: [&str; 3] = ["unsigned", "signed", "zerofill"];

/// Splits `int(10) unsigned zerofill` into the type before the modifiers and the
/// modifiers (lower case, single spaces); `None` when it ends in none.
fn split_numeric_modifiers(s: &str) -> Option<(&str, String)> {
    let mut core = s.trim_end();
    let mut modifiers = Vec::new();
    while let Some(space) = core.rfind(char::is_whitespace) {
        let word = core[space + 1..].to_ascii_lowercase();
        if !NUMERIC_MODIFIERS.contains(&word.as_str()) {
            break;
        }
        modifiers.push(word);
        core = core[..space].trim_end();
    }
    if modifiers.is_empty() || core.is_empty() {
        return None;
    }
    modifiers.reverse();
    Some((core, modifiers.join(" ")))
}

/// The pass-through spelling: `name(a,b) modifiers`, arguments without spaces.
fn custom_spelling(name: &str, args: Option<&str>, modifiers: &str) -> String {
    let mut out = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    if let Some(a) = args {
        out.push('(');
        out.push_str(&a.split(',').map(str::trim).collect::<Vec<_>>().join(","));
        out.push(')');
    }
    if !modifiers.is_empty() {
        out.push(' ');
        out.push_str(modifiers);
    }
    out
}

/// Splits `name(args)` into its parts; `None` when parentheses are unbalanced or
/// something follows the closing parenthesis.
fn split_args(s: &str) -> Option<(String, Option<String>)> {
    match s.find('(') {
        None => {
            if s.contains(')') {
                None
            } else {
                Some((s.to_string(), None))
            }
        }
        Some(open) => {
            let close = s.rfind(')')?;
            if close < open || !s[close + 1..].trim().is_empty() {
                return None;
            }
            let inner = &s[open + 1..close];
            if inner.contains('(') || inner.contains(')') {
                return None;
            }
            Some((s[..open].to_string(), Some(inner.trim().to_string())))
        }
    }
}

/// True for a plain identifier: a letter or underscore, then letters, digits, underscores.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portable_types_parse_and_print() {
        for (input, printed) in [
            ("integer", "integer"),
            ("INT", "integer"),
            ("VarChar(255)", "varchar(255)"),
            ("character varying(10)", "varchar(10)"),
            ("decimal(10, 2)", "numeric(10,2)"),
            ("numeric", "numeric"),
            ("double precision", "double"),
            ("timestamptz", "timestamptz"),
            ("enum(script_status)", "enum(script_status)"),
            ("inet", "inet"),
            ("MEDIUMTEXT", "mediumtext"),
            ("bit varying(5)", "bit varying(5)"),
            ("integer[]", "integer[]"),
            ("ENUM('a', 'it''s')", "enum('a','it''s')"),
            ("INT(10) UNSIGNED", "int(10) unsigned"),
            ("int unsigned", "int unsigned"),
            (
                "bigint(20) unsigned zerofill",
                "bigint(20) unsigned zerofill",
            ),
            ("decimal(10, 2) unsigned", "decimal(10,2) unsigned"),
            ("timestamp(3)", "timestamp(3)"),
            ("datetime(6)", "datetime(6)"),
            ("float(10,3)", "float(10,3)"),
            ("double(10,2)", "double(10,2)"),
            ("blob(65535)", "blob(65535)"),
        ] {
            let t = ColumnType::parse(input).unwrap();
            assert_eq!(t.to_string(), printed, "{input}");
            assert_eq!(ColumnType::parse(printed).unwrap(), t);
        }
    }

    #[test]
    fn inline_enum_spellings() {
        assert_eq!(
            inline_enum_values("enum('a','b''c',' ')"),
            Some(vec!["a".to_string(), "b'c".to_string(), " ".to_string()])
        );
        assert_eq!(
            inline_enum_values("ENUM( 'x' , 'y' )"),
            Some(vec!["x".to_string(), "y".to_string()])
        );
        assert_eq!(inline_enum_values("set('a')"), None);
        assert_eq!(inline_enum_values("enum('a)"), None);
        assert_eq!(inline_enum_values("enum(a)"), None);
    }

    #[test]
    fn bad_types_are_rejected() {
        for input in [
            "",
            "varchar(abc)",
            "decimal(10",
            "decimal(2,5)",
            "integer(5)",
            "varchar(1,2)",
            "enum()",
            "enum(a b)",
            "text; drop table x",
            "9lives",
            "varchar(0)",
            "varchar(x unsigned",
            "9int unsigned",
            "float(a,b)",
        ] {
            assert!(ColumnType::parse(input).is_err(), "{input:?} should fail");
        }
        for (input, integer) in [
            ("int unsigned", true),
            ("bigint(20) unsigned", true),
            ("tinyint", true),
            ("mediumint(8) unsigned zerofill", true),
            ("decimal(10,2) unsigned", false),
            ("integer", true),
            ("text", false),
        ] {
            assert_eq!(
                ColumnType::parse(input).unwrap().is_integer(),
                integer,
                "{input}"
            );
        }
    }

    #[test]
    fn type_errors_carry_the_type_and_keep_their_messages() {
        let cases = [
            ("  ", "empty type"),
            ("int$", "invalid character '$' in type \"int$\""),
            ("varchar(0)", "varchar length must be at least 1"),
            (
                "numeric(2,5)",
                "numeric(2,5): scale is larger than precision",
            ),
            ("text(3)", "text takes no arguments, got (3)"),
            ("varchar(x)", "varchar needs a whole number, got \"x\""),
            ("9lives", "type \"9lives\" must start with a letter"),
        ];
        for (input, message) in cases {
            assert_eq!(
                ColumnType::parse(input).unwrap_err().to_string(),
                message,
                "{input:?}"
            );
        }
        assert_eq!(
            ColumnType::parse("enum(1)").unwrap_err(),
            ColumnTypeError::EnumName {
                input: "enum(1)".into()
            }
        );
    }
}
