//! The version table: one row per current head (SPEC §5).

use crate::db::{Connection, DbError};
use crate::dialect::Dialect;
use crate::script::graph::VersionChange;

/// The CREATE TABLE statement for the version table.
pub fn create_sql(dialect: Dialect, table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (version_num VARCHAR(255) NOT NULL, CONSTRAINT {} PRIMARY KEY (version_num))",
        dialect.backend().quote(table),
        dialect.backend().quote(&format!("{table}_pkc"))
    )
}

/// The statement for one row change.
pub fn change_sql(dialect: Dialect, table: &str, change: &VersionChange) -> String {
    let t = dialect.backend().quote(table);
    match change {
        VersionChange::Insert(v) => format!(
            "INSERT INTO {t} (version_num) VALUES ({})",
            dialect.backend().literal(v)
        ),
        VersionChange::Update { from, to } => format!(
            "UPDATE {t} SET version_num = {} WHERE version_num = {}",
            dialect.backend().literal(to),
            dialect.backend().literal(from)
        ),
        VersionChange::Delete(v) => {
            format!(
                "DELETE FROM {t} WHERE version_num = {}",
                dialect.backend().literal(v)
            )
        }
    }
}

/// True when the version table exists (read-only commands never create it).
pub async fn exists(conn: &mut Connection, table: &str) -> Result<bool, DbError> {
    let sql = conn.dialect().backend().table_exists_sql(table);
    Ok(!conn.query(&sql).await?.is_empty())
}

/// Creates the version table when missing.
pub async fn ensure(conn: &mut Connection, table: &str) -> Result<(), DbError> {
    let sql = create_sql(conn.dialect(), table);
    conn.execute(&sql).await.map(|_| ())
}

/// The current rows, sorted; empty when the table does not exist.
pub async fn read(conn: &mut Connection, table: &str) -> Result<Vec<String>, DbError> {
    if !exists(conn, table).await? {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT version_num FROM {}",
        conn.dialect().backend().quote(table)
    );
    let mut rows: Vec<String> = conn
        .query(&sql)
        .await?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    rows.sort();
    Ok(rows)
}

/// Applies one change; an UPDATE or DELETE that does not touch exactly one row is an error.
pub(crate) async fn apply(
    conn: &mut Connection,
    table: &str,
    change: &VersionChange,
) -> Result<(), String> {
    let sql = change_sql(conn.dialect(), table, change);
    let n = conn.execute(&sql).await.map_err(|e| e.to_string())?;
    check_changed(table, change, &sql, n)
}

/// Checks the rows `sql`, the statement for `change`, touched: an UPDATE or DELETE must
/// touch exactly one.
pub(crate) fn check_changed(
    table: &str,
    change: &VersionChange,
    sql: &str,
    touched: u64,
) -> Result<(), String> {
    if !matches!(change, VersionChange::Insert(_)) && touched != 1 {
        return Err(format!(
            "the version table {table} did not hold the expected row: `{sql}` touched {touched} rows instead of 1; another run may have changed it, or it was edited by hand (see `retort current`, `retort stamp`)"
        ));
    }
    Ok(())
}
