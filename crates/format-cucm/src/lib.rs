//! Cisco Unified Communications Manager flat files: CDRs (call detail
//! records) and CMRs (call management records, per-leg voice quality).
//!
//! A CUCM file is CSV: a header of quoted column names, a line of SQL type
//! names, then one row per record. [`CucmParser`] maps columns by header
//! name, case-insensitively, because the column set changes between
//! releases. CDR rows become [`cdr::Cdr`] values and CMR rows
//! [`cdr::QualityRecord`] values; see the module docs of `cdr_record`,
//! `disposition` and `direction` for the mapping decisions.

mod cdr_record;
mod cmr_record;
mod direction;
mod disposition;
mod header;
mod known_columns;
mod parser;
mod split;
mod values;

pub use parser::CucmParser;
