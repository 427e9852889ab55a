//! Naming conventions for indexes and constraints that the schema leaves unnamed.

/// The longest identifier every backend keeps intact (PostgreSQL's 63 bytes).
pub const MAX_IDENTIFIER_LEN: usize = 63;

/// Templates for generated names; tokens `{table}`, `{columns}`, `{referred_table}`, `{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamingConvention {
    /// Indexes.
    pub ix: String,
    /// Unique constraints.
    pub uq: String,
    /// Foreign keys.
    pub fk: String,
    /// Check constraints (`{name}` is derived from the expression when unnamed).
    pub ck: String,
    /// Primary keys.
    pub pk: String,
}

impl Default for NamingConvention {
    fn default() -> Self {
        NamingConvention {
            ix: "ix_{table}_{columns}".into(),
            uq: "uq_{table}_{columns}".into(),
            fk: "fk_{table}_{columns}_{referred_table}".into(),
            ck: "ck_{table}_{name}".into(),
            pk: "pk_{table}".into(),
        }
    }
}

/// The tokens a naming-convention template may use.
pub const NAMING_TOKENS: [&str; 4] = ["table", "columns", "referred_table", "name"];

impl NamingConvention {
    /// Fills in a template and keeps the result within [`MAX_IDENTIFIER_LEN`]. `{table}`
    /// and `{referred_table}` are the names without their schema (as Alembic's
    /// `%(table_name)s`): the index or constraint lives in its table's schema anyway.
    pub fn apply(
        template: &str,
        table: &str,
        columns: &[String],
        referred_table: &str,
        name: &str,
    ) -> String {
        let filled = template
            .replace("{table}", super::unqualified_name(table))
            .replace("{columns}", &columns.join("_"))
            .replace("{referred_table}", super::unqualified_name(referred_table))
            .replace("{name}", name);
        truncate_identifier(&filled)
    }

    /// A stable name fragment for an unnamed check, made from its expression's words.
    pub fn check_fragment(expr: &str) -> String {
        let words: Vec<String> = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if words.is_empty() {
            "check".into()
        } else {
            words.join("_")
        }
    }
}

/// Shortens a name longer than [`MAX_IDENTIFIER_LEN`] to a prefix plus a hash of the whole,
/// so that long generated names stay distinct and identical on every backend.
pub fn truncate_identifier(name: &str) -> String {
    if name.len() <= MAX_IDENTIFIER_LEN {
        return name.to_string();
    }
    // FNV-1a: small, stable across platforms and releases.
    let mut hash: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let mut cut = MAX_IDENTIFIER_LEN - 9;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash:08x}", &name[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_tokens() {
        let nc = NamingConvention::default();
        let cols = vec!["user_id".to_string(), "file_size".to_string()];
        assert_eq!(
            NamingConvention::apply(&nc.ix, "scripts", &cols, "", ""),
            "ix_scripts_user_id_file_size"
        );
        assert_eq!(
            NamingConvention::apply(&nc.fk, "scripts", &cols[..1], "users", ""),
            "fk_scripts_user_id_users"
        );
        assert_eq!(
            NamingConvention::check_fragment("file_size > 0"),
            "file_size_0"
        );
    }

    #[test]
    fn long_names_are_shortened_stably() {
        let long = "ix_".to_string() + &"a".repeat(100);
        let short = truncate_identifier(&long);
        assert_eq!(short.len(), MAX_IDENTIFIER_LEN);
        assert_eq!(short, truncate_identifier(&long));
        assert_ne!(short, truncate_identifier(&(long.clone() + "b")));
    }
}
