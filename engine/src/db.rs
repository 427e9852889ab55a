//! Connections by URL to SQLite, PostgreSQL and MySQL/MariaDB. The connection code lives
//! with the backends ([`crate::backend::connection`]), which decide how each one
//! connects and what its errors mean; this module is its public face.

pub use crate::backend::connection::{
    mask_url, redact, url_password, Connection, DbError, TextRow, CONNECTION_LOG_ENV,
};
