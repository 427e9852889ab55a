//! Column collations and character sets in the comparison.

use std::path::Path;

use super::*;
use crate::schema::{parse_schema_text, NamingConvention};

fn schema(text: &str) -> Schema {
    parse_schema_text(Path::new("s.yaml"), text, &NamingConvention::default()).unwrap()
}

fn alter(diff: &Diff) -> &AlterColumn {
    match diff.upgrade.as_slice() {
        [Operation::AlterColumn(a)] => a,
        other => panic!("expected one alter_column, got {other:?}"),
    }
}

#[test]
fn a_changed_collation_is_an_alter_column_that_reverses() {
    let old = schema("tables: {t: {columns: {k: {type: varchar(20), collation: utf8mb4_bin}}}}");
    let new = schema("tables: {t: {columns: {k: {type: varchar(20)}}}}");
    for d in Dialect::ALL {
        let diff = compare(&new, &old, d, &CompareOptions::default());
        let a = alter(&diff);
        assert_eq!(a.collation, Some(None), "{d}");
        assert_eq!(
            a.existing_collation,
            Some(Some("utf8mb4_bin".into())),
            "{d}"
        );
        assert_eq!(a.ty, None, "{d}");
        let down = diff.downgrade().unwrap();
        let Operation::AlterColumn(back) = &down[0] else {
            panic!("{down:?}")
        };
        assert_eq!(back.collation, Some(Some("utf8mb4_bin".into())), "{d}");
        assert!(compare(&old, &old, d, &CompareOptions::default()).is_empty());
    }
}

#[test]
fn a_changed_charset_carries_the_collation_too() {
    let old = schema("tables: {t: {columns: {k: {type: text, charset: utf8mb3}}}}");
    let new = schema("tables: {t: {columns: {k: {type: text, charset: utf8mb4}}}}");
    let diff = compare(&new, &old, Dialect::MySql, &CompareOptions::default());
    let a = alter(&diff);
    assert_eq!(a.charset, Some(Some("utf8mb4".into())));
    assert_eq!(a.existing_charset, Some(Some("utf8mb3".into())));
    assert_eq!(a.collation, Some(None));
}
