//! The name of a backend ([`Dialect`]); everything a backend does is in
//! [`crate::backend`], where this enum is defined.

pub use crate::backend::dialect::Dialect;
