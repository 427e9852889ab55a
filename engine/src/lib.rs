//! The engine behind `retort`, a schema-migration tool in the spirit of Alembic:
//! declared schema, per-dialect rendering, reflection, comparison, revision files,
//! the revision graph and the runner that applies revisions.

pub mod autogenerate;
pub mod backend;
pub mod compare;
pub mod config;
pub mod db;
pub mod dialect;
pub mod fleet;
pub mod lint;
pub mod migrator;
pub mod normalize;
pub mod ops;
pub mod project;
pub mod reflect;
pub mod runner;
pub mod schema;
pub mod script;
pub mod sqltext;
pub mod validate;
pub mod verify;
pub mod yaml;
