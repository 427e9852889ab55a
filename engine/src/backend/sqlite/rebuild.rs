//! The SQLite table rebuild: what `ALTER TABLE` cannot do on SQLite (alter a column's
//! type, nullability or default; add or drop a constraint or foreign key; create or
//! drop a primary key) is done by creating the new table under a temporary name,
//! copying the rows, dropping the old table, renaming the new one and recreating the
//! table's indexes (and, when read live, the views and triggers that SQLite's rename
//! would otherwise trip over).
//!
//! # The contract the runner must honour on SQLite
//!
//! 1. `PRAGMA foreign_keys=OFF` **before** `BEGIN` (the pragma is a no-op inside a
//!    transaction). With foreign keys on, `DROP TABLE` of the old table runs an implicit
//!    `DELETE` that fires `ON DELETE CASCADE`/`SET NULL` in the tables referring to it.
//!    [`super::render_live`] refuses to render a rebuild while foreign keys are on.
//! 2. Run the statements inside the migration's transaction.
//! 3. Before `COMMIT`, run `PRAGMA foreign_key_check` ([`FOREIGN_KEY_CHECK`], or
//!    [`super::sqlite_foreign_key_violations`]) and roll back if it returns any row.
//! 4. `COMMIT`, then restore `PRAGMA foreign_keys=ON` if it was on.
//! 5. Leave `PRAGMA legacy_alter_table` at its default (`OFF`): then renaming the new
//!    table to the old name keeps the other tables' `REFERENCES` pointing at it.
//!
//! Each rebuild also checks the foreign keys of the rebuilt table and of the tables
//! referring to it as its last step, so that a rebuild that breaks them fails at once
//! (as adding a foreign key fails at once on the other backends) with the message
//! `CHECK constraint failed: retort: foreign keys violated after rebuilding table …`.

use crate::backend::render::{RenderContext, Renderer};
use crate::schema::Table;

/// The statement that lists foreign-key violations (no rows: none).
pub const FOREIGN_KEY_CHECK: &str = "PRAGMA foreign_key_check";

/// The prefix of the temporary table a rebuild creates.
pub const TEMP_PREFIX: &str = "_retort_tmp_";

/// What [`super::render_live`] read from a live SQLite database beyond the schema
/// model: verbatim SQL to recreate untouched indexes, views and triggers, and the
/// tables referring to each table.
#[derive(Debug, Clone, Default)]
pub struct SqliteLive {
    /// Per table (by name): what the model does not carry.
    pub tables: Vec<(String, SqliteTableExtras)>,
    /// Every view, in creation order: (name, SQL).
    pub views: Vec<(String, String)>,
    /// Every trigger, in creation order: (name, table or view it is on, SQL).
    pub triggers: Vec<(String, String, String)>,
}

/// Facts about one live SQLite table that the schema model does not carry.
#[derive(Debug, Clone, Default)]
pub struct SqliteTableExtras {
    /// The SQL of each index created with `CREATE INDEX` (name, SQL).
    pub index_sql: Vec<(String, String)>,
    /// The rowid alias was declared `AUTOINCREMENT`.
    pub autoincrement_keyword: bool,
    /// Tables whose foreign keys refer to this table.
    pub children: Vec<String>,
}

impl SqliteLive {
    /// The extras of table `name` (case-insensitive, as SQLite names are).
    pub fn table(&self, name: &str) -> Option<&SqliteTableExtras> {
        self.tables
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, e)| e)
    }
}

/// One rebuild: the table as it is and as it must become. Columns are copied by name
/// (those only in `new` get their defaults); renames must have happened before (SQLite's
/// `RENAME COLUMN` follows them into other tables' foreign keys).
pub(crate) struct Rebuild<'a> {
    /// The table now.
    pub old: &'a Table,
    /// The table after the rebuild (same name).
    pub new: &'a Table,
    /// Tables known (from the render context) to refer to the table.
    pub children: Vec<String>,
}

/// The statements that rebuild SQLite table `old` as `new` (same name; columns copied by
/// name, those only in `new` get their defaults). `ctx` supplies the enums (for the
/// CHECKs of enum columns) and the tables referring to `old` (whose foreign keys are
/// checked at the end). Renders no views or triggers: [`super::render_live`] adds those
/// when it reads the table from the database.
///
/// The caller must honour the module's contract: `PRAGMA foreign_keys=OFF` before
/// `BEGIN`, the statements inside the transaction, `PRAGMA foreign_key_check`
/// ([`FOREIGN_KEY_CHECK`]) clean before `COMMIT`, `legacy_alter_table` off.
#[cfg(test)]
pub(crate) fn rebuild_statements(
    old: &Table,
    new: &Table,
    ctx: &RenderContext,
) -> Result<Vec<String>, String> {
    let r = Renderer {
        b: &super::SqliteBackend,
        ctx,
        live: None,
        rebuilt: true,
    };
    let children = children_of(ctx, &old.name);
    rebuild_table(&r, &Rebuild { old, new, children })
}

/// The tables of the context whose foreign keys refer to table `name`.
pub(crate) fn children_of(ctx: &RenderContext, name: &str) -> Vec<String> {
    ctx.schema
        .tables
        .iter()
        .filter(|t| {
            !t.name.eq_ignore_ascii_case(name)
                && t.foreign_keys
                    .iter()
                    .any(|f| f.referred_table.eq_ignore_ascii_case(name))
        })
        .map(|t| t.name.clone())
        .collect()
}

/// The statements of a rebuild. The caller must honour the module's contract
/// (foreign keys off before the transaction, `PRAGMA foreign_key_check` before commit).
pub(crate) fn rebuild_table(r: &Renderer<'_>, rb: &Rebuild<'_>) -> Result<Vec<String>, String> {
    let q = |s: &str| r.b.quote(s);
    let name = &rb.old.name;
    let tmp = format!("{TEMP_PREFIX}{name}");
    let extras = r.live.and_then(|l| l.table(name));
    let autoincrement_keyword = extras.is_some_and(|e| e.autoincrement_keyword);
    let mut out = Vec::new();

    // Views and triggers that mention the table would make SQLite's RENAME fail (it
    // re-checks the whole schema while the old table is gone): drop and recreate them.
    // Dropping a table drops its own triggers; dropping a view drops the view's.
    let (views, triggers) = match r.live {
        None => (Vec::new(), Vec::new()),
        Some(live) => {
            let lower = name.to_lowercase();
            let is_view = |on: &str| live.views.iter().any(|(v, _)| v.eq_ignore_ascii_case(on));
            let triggers: Vec<&(String, String, String)> = live
                .triggers
                .iter()
                .filter(|(_, on, sql)| {
                    on.eq_ignore_ascii_case(name)
                        || is_view(on)
                        || sql.to_lowercase().contains(&lower)
                })
                .collect();
            (live.views.iter().collect::<Vec<_>>(), triggers)
        }
    };
    for (t, on, _) in &triggers {
        if !on.eq_ignore_ascii_case(name) && !views.iter().any(|(v, _)| v.eq_ignore_ascii_case(on))
        {
            out.push(format!("DROP TRIGGER {}", q(t)));
        }
    }
    for (v, _) in views.iter().rev() {
        out.push(format!("DROP VIEW {}", q(v)));
    }

    out.push(r.create_table_sql(rb.new, Some(&tmp), autoincrement_keyword)?);
    let common: Vec<String> = rb
        .new
        .columns
        .iter()
        .filter(|c| {
            // Generated columns compute their values: they are not copied.
            c.generated.is_none()
                && rb
                    .old
                    .columns
                    .iter()
                    .any(|o| o.name.eq_ignore_ascii_case(&c.name) && o.generated.is_none())
        })
        .map(|c| c.name.clone())
        .collect();
    if !common.is_empty() {
        let cols = r.b.quote_list(&common);
        out.push(format!(
            "INSERT INTO {} ({cols}) SELECT {cols} FROM {}",
            q(&tmp),
            q(name)
        ));
    }
    out.push(format!("DROP TABLE {}", q(name)));
    out.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        q(&tmp),
        q(&rb.new.name)
    ));
    for ix in &rb.new.indexes {
        let verbatim = extras
            .and_then(|e| e.index_sql.iter().find(|(n, _)| *n == ix.name))
            .filter(|_| rb.old.indexes.iter().any(|o| o == ix))
            .map(|(_, sql)| sql.clone());
        match verbatim {
            Some(sql) => out.push(sql),
            None => out.push(r.create_index_sql_on(&rb.new.name, Some(rb.new), ix, false)?),
        }
    }
    for (_, sql) in &views {
        out.push(sql.clone());
    }
    for (_, _, sql) in &triggers {
        out.push(sql.clone());
    }

    // Check the foreign keys of the table and of the tables referring to it.
    let mut check: Vec<String> = Vec::new();
    if !rb.new.foreign_keys.is_empty() {
        check.push(rb.new.name.clone());
    }
    let live_children = extras.map(|e| e.children.clone()).unwrap_or_default();
    for c in rb.children.iter().chain(&live_children) {
        if !check.iter().any(|x| x.eq_ignore_ascii_case(c)) && !c.eq_ignore_ascii_case(name) {
            check.push(c.clone());
        }
    }
    if !check.is_empty() {
        let guard = q("_retort_fk_guard");
        let message = format!(
            "retort: foreign keys violated after rebuilding table {name}; run PRAGMA foreign_key_check"
        );
        out.push(format!(
            "CREATE TEMP TABLE {guard} ({} INTEGER CONSTRAINT {} CHECK ({} = 0))",
            q("violations"),
            q(&message),
            q("violations")
        ));
        let counts: Vec<String> = check
            .iter()
            .map(|t| {
                format!(
                    "(SELECT count(*) FROM pragma_foreign_key_check({}))",
                    r.b.literal(t)
                )
            })
            .collect();
        out.push(format!(
            "INSERT INTO temp.{guard} SELECT {}",
            counts.join(" + ")
        ));
        out.push(format!("DROP TABLE temp.{guard}"));
    }
    Ok(out)
}
