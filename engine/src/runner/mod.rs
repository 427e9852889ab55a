//! The runner: the version table, and reading where a database stands.

pub mod lock;
pub mod version_table;

use crate::db::Connection;
use crate::project::Project;

/// Reads the current version rows (read-only: never creates the version table).
pub async fn current(project: &Project, url: &str) -> Result<Vec<String>, String> {
    let mut conn = Connection::connect(url).await.map_err(|e| e.to_string())?;
    let rows = version_table::read(&mut conn, &project.config.version_table)
        .await
        .map_err(|e| e.to_string())?;
    conn.close().await;
    Ok(rows)
}
