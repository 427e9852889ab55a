//! The operation vocabulary of revision files (SPEC §4).
