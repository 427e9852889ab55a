//! Normalisation per dialect, so that a declared thing and the same thing reflected
//! from a live database compare equal: type spellings, default expressions, and SQL
//! predicates (checks, partial-index `WHERE`).
//!
//! Types are compared in the dialect's own vocabulary: a declared type is rendered the
//! way retort would create it ([`crate::backend::Backend::type_sql`]), a reflected one is taken as the
//! catalog spells it, and both are then reduced to one canonical spelling per backend.

use crate::dialect::Dialect;
use crate::schema::{inline_enum_spelling, inline_enum_values, ColumnType, EnumType};

/// Lower case, single spaces, no spaces around parentheses or after commas.
fn squash(s: &str) -> String {
    let lower = lower_outside_quotes(s.trim());
    let mut out = String::with_capacity(lower.len());
    let mut in_quote = false;
    let mut last_space = false;
    for c in lower.chars() {
        if c == '\'' {
            in_quote = !in_quote;
            if in_quote && last_space && !out.is_empty() && !out.ends_with(['(', ',']) {
                out.push(' ');
            }
            last_space = false;
            out.push(c);
            continue;
        }
        if !in_quote && c.is_whitespace() {
            last_space = true;
            continue;
        }
        if in_quote {
            out.push(c);
            continue;
        }
        if last_space
            && !out.is_empty()
            && !matches!(c, '(' | ')' | ',')
            && !out.ends_with(['(', ','])
        {
            out.push(' ');
        }
        last_space = false;
        out.push(c);
    }
    out
}

/// The canonical spelling of an inline enum type.
pub fn enum_spelling(values: &[String]) -> String {
    inline_enum_spelling(values)
}

/// The canonical type of a column on `dialect`. `enums` supplies enum values (inline
/// enums on MySQL, CHECK-based ones on SQLite); `autoincrement` matters on SQLite,
/// where an autoincrementing key is always `INTEGER`.
pub fn canonical_type(
    dialect: Dialect,
    ty: &ColumnType,
    autoincrement: bool,
    enums: &[EnumType],
) -> String {
    if let ColumnType::Enum(name) = ty {
        if dialect.backend().has_enum_types() {
            return format!("enum:{name}");
        }
        return match enums.iter().find(|e| &e.name == name) {
            Some(e) => enum_spelling(&e.values),
            None => format!("enum:{name}"),
        };
    }
    if autoincrement && ty.is_integer() && dialect.backend().rowid_is_integer() {
        return "integer".into();
    }
    let sql = match ty {
        ColumnType::Custom(s) => s.clone(),
        other => dialect
            .backend()
            .type_sql(other, None)
            .unwrap_or_else(|_| other.to_string()),
    };
    canonical_type_sql(dialect, &sql)
}

/// Reduces a type as some backend spells it to the canonical spelling for `dialect`.
pub fn canonical_type_sql(dialect: Dialect, sql: &str) -> String {
    let s = squash(sql);
    if let Some(values) = inline_enum_values(&s) {
        return enum_spelling(&values);
    }
    let (base, args) = match s.find('(') {
        Some(i) if s.ends_with(')') => (
            s[..i].trim().to_string(),
            Some(s[i + 1..s.len() - 1].to_string()),
        ),
        _ => (s.clone(), None),
    };
    dialect
        .backend()
        .canonical_type_name(&s, &base, args.as_deref())
}

/// True when a change from `old` to `new` (declared types) may lose data.
pub fn is_narrowing(old: &ColumnType, new: &ColumnType) -> bool {
    use ColumnType as T;
    let rank = |t: &T| match t {
        T::SmallInt => Some(1),
        T::Integer => Some(2),
        T::BigInt => Some(3),
        _ => None,
    };
    match (old, new) {
        (T::Varchar(Some(a)), T::Varchar(Some(b))) | (T::Char(Some(a)), T::Char(Some(b))) => b < a,
        (T::Text, T::Varchar(_)) | (T::Text, T::Char(_)) | (T::Varchar(_), T::Char(_)) => true,
        (T::Varchar(None), T::Varchar(Some(_))) => true,
        (
            T::Numeric {
                precision: Some(p1),
                scale: s1,
            },
            T::Numeric {
                precision: Some(p2),
                scale: s2,
            },
        ) => p2 < p1 || s2.unwrap_or(0) < s1.unwrap_or(0),
        (T::Numeric { .. }, T::Integer | T::BigInt | T::SmallInt) => true,
        (T::Double, T::Real) => true,
        (T::Real | T::Double, T::SmallInt | T::Integer | T::BigInt) => true,
        (a, b) if rank(a).is_some() && rank(b).is_some() => rank(b) < rank(a),
        (a, b) => a != b && matches!(b, T::Boolean | T::SmallInt | T::Integer | T::Date | T::Time),
    }
}

/// Strips PostgreSQL casts (`'x'::character varying`, `0::bigint`) outside quotes.
fn strip_casts(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut in_quote = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            in_quote = !in_quote;
            out.push(c);
            i += 1;
            continue;
        }
        if !in_quote && c == ':' && chars.get(i + 1) == Some(&':') {
            i += 2;
            // A type name: words (possibly several, like `character varying` or
            // `timestamp with time zone`), an optional (n) and optional [].
            loop {
                while i < chars.len() && chars[i] == ' ' {
                    i += 1;
                }
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '"' | '.'))
                {
                    i += 1;
                }
                let word: String = chars[start..i]
                    .iter()
                    .collect::<String>()
                    .to_ascii_lowercase();
                if word.is_empty() {
                    break;
                }
                let continues = matches!(
                    word.as_str(),
                    "character" | "double" | "timestamp" | "time" | "with" | "without" | "bit"
                ) || matches!(word.as_str(), "varying" | "precision" | "zone");
                let next_is_word = chars.get(i) == Some(&' ')
                    && chars.get(i + 1).is_some_and(|c| c.is_alphabetic())
                    && {
                        let rest: String = chars[i + 1..]
                            .iter()
                            .take_while(|c| c.is_alphabetic())
                            .collect();
                        matches!(
                            rest.to_ascii_lowercase().as_str(),
                            "varying" | "precision" | "with" | "without" | "time" | "zone"
                        )
                    };
                if !(continues && next_is_word) {
                    break;
                }
            }
            if chars.get(i) == Some(&'(') {
                while i < chars.len() && chars[i] != ')' {
                    i += 1;
                }
                i += 1;
            }
            while chars.get(i) == Some(&'[') && chars.get(i + 1) == Some(&']') {
                i += 2;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Removes parentheses that wrap the whole expression.
fn strip_outer_parens(mut s: String) -> String {
    loop {
        let t = s.trim();
        if !(t.starts_with('(') && t.ends_with(')')) {
            return t.to_string();
        }
        // Only if the first parenthesis closes at the very end.
        let mut depth = 0;
        let mut in_quote = false;
        let mut closes_at_end = true;
        for (i, c) in t.char_indices() {
            match c {
                '\'' => in_quote = !in_quote,
                '(' if !in_quote => depth += 1,
                ')' if !in_quote => {
                    depth -= 1;
                    if depth == 0 && i != t.len() - 1 {
                        closes_at_end = false;
                        break;
                    }
                }
                _ => {}
            }
        }
        if !closes_at_end {
            return t.to_string();
        }
        s = t[1..t.len() - 1].to_string();
    }
}

/// Lower-cases outside string literals.
fn lower_outside_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_quote = false;
    for c in s.chars() {
        if c == '\'' {
            in_quote = !in_quote;
        }
        out.push(if in_quote { c } else { c.to_ascii_lowercase() });
    }
    out
}

/// The canonical form of a column default, or `None` for no default (or `NULL`).
pub fn canonical_default(
    dialect: Dialect,
    default: Option<&str>,
    ty: &ColumnType,
) -> Option<String> {
    let raw = default?.trim();
    if raw.is_empty() {
        return None;
    }
    let mut s = strip_outer_parens(strip_casts(raw));
    s = strip_outer_parens(s);
    let lower = squash(&lower_outside_quotes(&s));
    // MySQL's `DEFAULT x ON UPDATE y`: each part compares as a default of its own.
    if let Some((value, on_update)) = lower.split_once(" on update ") {
        let part = |p: &str| canonical_default(dialect, Some(p), ty).unwrap_or("null".into());
        return Some(format!("{} on update {}", part(value), part(on_update)));
    }
    if lower == "null" {
        return None;
    }
    let lower = match lower.as_str() {
        "now()"
        | "current_timestamp"
        | "current_timestamp()"
        | "localtimestamp"
        | "localtimestamp()"
        | "transaction_timestamp()"
        | "statement_timestamp()" => "current_timestamp".to_string(),
        "current_date" | "curdate()" | "current_date()" => "current_date".to_string(),
        "current_time" | "curtime()" | "current_time()" => "current_time".to_string(),
        _ => lower,
    };
    if matches!(ty, ColumnType::Boolean)
        || matches!(ty, ColumnType::Custom(c) if Some(c.as_str()) == dialect.backend().boolean_alias())
    {
        match lower.trim_matches('\'') {
            "true" | "t" | "1" | "yes" | "y" | "on" => return Some("true".into()),
            "false" | "f" | "0" | "no" | "n" | "off" => return Some("false".into()),
            _ => {}
        }
    }
    // Numbers compare as numbers, quoted or not (`0`, `'0'`, `0.00`, `(-1)`).
    let unquoted = lower.trim_matches('\'');
    if let Ok(n) = unquoted.parse::<f64>() {
        if unquoted
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e'))
        {
            return Some(format!("{n}"));
        }
    }
    Some(lower)
}

/// The canonical form of a boolean SQL expression (a check, or a partial index's
/// `WHERE`): casts, identifier quotes, redundant parentheses and case are removed, so
/// that the forms backends hand back (`((file_size > 0))`, `` `file_size` > 0 ``)
/// match what was written.
pub fn canonical_predicate(expr: &str) -> String {
    let no_casts = strip_casts(expr);
    let mut out = String::with_capacity(no_casts.len());
    let mut in_quote = false;
    for c in no_casts.chars() {
        if c == '\'' {
            in_quote = !in_quote;
            out.push(c);
            continue;
        }
        if in_quote {
            out.push(c);
        } else if !matches!(c, '(' | ')' | '"' | '`') {
            out.push(c.to_ascii_lowercase());
        }
    }
    squash(&out).replace(" ,", ",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Dialect::{MySql, Postgres, Sqlite};

    fn t(s: &str) -> ColumnType {
        ColumnType::parse(s).unwrap()
    }

    #[test]
    fn declared_and_catalog_spellings_meet() {
        let enums = vec![EnumType {
            name: "mood".into(),
            values: vec!["a".into(), "it's".into()],
        }];
        for (dialect, declared, reflected) in [
            (Postgres, "integer", "int4"),
            (Postgres, "varchar(255)", "character varying(255)"),
            (Postgres, "char(2)", "character(2)"),
            (Postgres, "char", "bpchar"),
            (Postgres, "timestamptz", "timestamp with time zone"),
            (Postgres, "timestamp", "timestamp without time zone"),
            (Postgres, "double", "double precision"),
            (Postgres, "decimal(10,2)", "numeric(10, 2)"),
            (Postgres, "numeric(10)", "numeric(10,0)"),
            (Postgres, "blob", "bytea"),
            (Postgres, "uuid", "uuid"),
            (Postgres, "time", "time without time zone"),
            (Postgres, "inet", "INET"),
            (Postgres, "timestamp(0)", "timestamp(0) without time zone"),
            (Postgres, "timestamptz(3)", "timestamp(3) with time zone"),
            (Postgres, "time(0)", "time(0) without time zone"),
            (Postgres, "timetz", "time with time zone"),
            (Postgres, "varchar(20)[]", "character varying(20)[]"),
            (Postgres, "numeric(10,2)[]", "numeric(10,2)[]"),
            (Postgres, "integer[3]", "integer[]"),
            (Postgres, "bit varying(5)", "bit varying(5)"),
            (Postgres, "interval", "interval"),
            (MySql, "integer", "int(11)"),
            (MySql, "bigint", "bigint(20)"),
            (MySql, "boolean", "tinyint(1)"),
            (MySql, "numeric", "decimal(10,0)"),
            (MySql, "decimal(12,4)", "decimal(12,4)"),
            (MySql, "uuid", "char(36)"),
            (MySql, "jsonb", "json"),
            (MySql, "timestamptz", "datetime"),
            (MySql, "blob", "longblob"),
            (MySql, "double", "double"),
            (MySql, "real", "float"),
            (MySql, "enum(mood)", "enum('a','it''s')"),
            (Sqlite, "varchar(10)", "VARCHAR(10)"),
            (Sqlite, "numeric(10,2)", "NUMERIC(10, 2)"),
            (Sqlite, "enum(mood)", "ENUM('a', 'it''s')"),
            (Sqlite, "mediumtext", "MEDIUMTEXT"),
            (Sqlite, "uuid", "CHAR(36)"),
        ] {
            let a = canonical_type(dialect, &t(declared), false, &enums);
            let b = canonical_type_sql(dialect, reflected);
            assert_eq!(a, b, "{dialect}: {declared} vs {reflected}");
        }
        assert_eq!(
            canonical_type(Sqlite, &t("bigint"), true, &[]),
            canonical_type_sql(Sqlite, "INTEGER")
        );
        assert_ne!(
            canonical_type(Postgres, &t("varchar(10)"), false, &[]),
            canonical_type_sql(Postgres, "character varying(20)")
        );
        assert_ne!(
            canonical_type(MySql, &t("integer"), false, &[]),
            canonical_type_sql(MySql, "bigint(20)")
        );
    }

    #[test]
    fn defaults_meet() {
        let text = ColumnType::Text;
        for (dialect, ty, declared, reflected) in [
            (
                Postgres,
                text.clone(),
                "'pending'",
                "'pending'::character varying",
            ),
            (
                Postgres,
                text.clone(),
                "'pending'",
                "'pending'::script_status",
            ),
            (Postgres, text.clone(), "CURRENT_TIMESTAMP", "now()"),
            (Postgres, text.clone(), "'{}'", "'{}'::jsonb"),
            (Postgres, ColumnType::Integer, "-1", "'-1'::integer"),
            (
                Postgres,
                ColumnType::Timestamp,
                "CURRENT_TIMESTAMP",
                "CURRENT_TIMESTAMP",
            ),
            (
                Postgres,
                ColumnType::TimestampTz,
                "'2020-01-01 00:00:00+00'",
                "'2020-01-01 00:00:00+00'::timestamp with time zone",
            ),
            (
                MySql,
                text.clone(),
                "CURRENT_TIMESTAMP",
                "current_timestamp()",
            ),
            (MySql, ColumnType::Boolean, "true", "1"),
            (MySql, ColumnType::Integer, "0", "'0'"),
            (
                MySql,
                ColumnType::Numeric {
                    precision: Some(10),
                    scale: Some(2),
                },
                "0",
                "0.00",
            ),
            (Sqlite, ColumnType::Boolean, "false", "0"),
            (Sqlite, ColumnType::Integer, "0", "(0)"),
            (Sqlite, text.clone(), "'It''s'", "'It''s'"),
        ] {
            assert_eq!(
                canonical_default(dialect, Some(declared), &ty),
                canonical_default(dialect, Some(reflected), &ty),
                "{dialect}: {declared} vs {reflected}"
            );
        }
        assert_eq!(canonical_default(MySql, Some("NULL"), &text), None);
        assert_ne!(
            canonical_default(Postgres, Some("'a'"), &text),
            canonical_default(Postgres, Some("'A'"), &text)
        );
        assert_ne!(
            canonical_default(Postgres, Some("1"), &ColumnType::Integer),
            canonical_default(Postgres, Some("2"), &ColumnType::Integer)
        );
    }

    #[test]
    fn predicates_meet() {
        for (declared, reflected) in [
            ("file_size > 0", "((file_size > 0))"),
            ("file_size > 1000000", "(file_size > 1000000)"),
            ("bid <= ask", "`bid` <= `ask`"),
            (
                "status = 'done' AND n > 1",
                "((status)::text = 'done'::text) AND (n > 1)",
            ),
        ] {
            assert_eq!(
                canonical_predicate(declared),
                canonical_predicate(reflected),
                "{declared} vs {reflected}"
            );
        }
        assert_ne!(canonical_predicate("a > 1"), canonical_predicate("a > 2"));
    }

    #[test]
    fn narrowing() {
        assert!(is_narrowing(&t("varchar(20)"), &t("varchar(10)")));
        assert!(!is_narrowing(&t("varchar(10)"), &t("varchar(20)")));
        assert!(is_narrowing(&t("bigint"), &t("integer")));
        assert!(!is_narrowing(&t("integer"), &t("bigint")));
        assert!(is_narrowing(&t("text"), &t("varchar(5)")));
        assert!(is_narrowing(&t("numeric(10,2)"), &t("numeric(8,2)")));
    }
}
