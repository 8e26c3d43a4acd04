//! kasda-core: the vocabulary every other kasda crate speaks.
//!
//! Money ([`money`]), the normalized bank-statement model ([`statement`]), the government-side
//! documents ([`document`]), ledger accounts, journal entries and the canonical encoding behind the
//! hash chain ([`ledger`]), the posting model that turns facts into entries ([`posting`]), kode
//! rekening and the bundled chart ([`kode_rekening`], [`chart`]), working-day calendars
//! ([`calendar`]) and the pemda configuration ([`config`]).
//!
//! This crate must stay pure: no I/O beyond parsing text handed to it, no async, no SQL, no clocks
//! read implicitly. Everything here is deterministic so that two stores given the same facts
//! produce bit-identical ledgers.

pub mod calendar;
pub mod chart;
pub mod config;
pub mod digits;
pub mod document;
pub mod kode_rekening;
pub mod ledger;
pub mod money;
pub mod posting;
pub mod statement;

pub use money::{Currency, Direction, MoneyError};
