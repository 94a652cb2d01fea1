//! Report rendering: a typed [`Report`] model and writers for XLSX, HTML,
//! CSV, plain text and JSON, in English or Chinese.
//!
//! This crate does no querying. Code that reads the rollups builds a
//! [`Report`] (title, header block, totals, tables of typed cells) and hands
//! it to a writer. Every writer validates the report first
//! ([`Report::validate`]) and writes nothing if it is inconsistent.
//!
//! [`ReportFormat`] picks a writer by name with default options.
//!
//! Spelling rules shared by all formats live in [`value`]: money shown to
//! people rounded half away from zero to two decimals and given to machines
//! (JSON, default CSV) exact, durations as `0D 08:18:45`, times as
//! `2012-11-09 15:49:31 UTC+0800` (human) or RFC 3339 (machine).
//!
//! The reports themselves (department summary, trunk/carrier/site/destination,
//! itemised calls, top lists, traffic, inbound, savings, unknown extensions)
//! are built in [`reports`] from plain input structs that the storage layer
//! fills.

mod delimited;
mod error;
mod format;
mod html;
mod json;
mod lang;
mod layout;
mod model;
pub mod reports;
mod text;
mod validate;
pub mod value;
mod xlsx;

pub use delimited::{CsvOptions, CsvStyle, write_csv};
pub use error::ReportError;
pub use format::ReportFormat;
pub use html::write_html;
pub use json::{FORMAT_NAME, FORMAT_VERSION, write_json};
pub use lang::{Lang, Word};
pub use model::{
    Cell, Column, Filter, Header, Kind, Label, Period, Report, Row, RowStyle, Table, Total,
};
pub use text::write_txt;
pub use xlsx::{EXCEL_MAX_ROWS, XlsxOptions, write_xlsx, write_xlsx_file};
