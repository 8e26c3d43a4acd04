//! kasda-statement: bank statement readers producing `kasda_core::statement` values.
//!
//! Readers never touch a database and never panic on input: every failure is a [`ReadError`]
//! naming the file, the place, the field, what was expected and what was found.

pub mod error;

pub use error::{Location, ReadError};
