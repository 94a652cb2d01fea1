//! The uniform call detail record every parser produces, and the small
//! vocabulary shared by parsers, the store and the pipeline.
//!
//! A parser turns one raw record (a line, a JSON document, an SMDR frame)
//! into a [`Parsed`] value or a [`ParseError`]; the caller adds the
//! [`Location`] so errors read `file:line: field X: reason`.

mod error;
mod identity;
mod model;
mod parser;
pub mod text;

pub use compact_str::CompactString;
pub use error::{LocatedError, ParseError};
pub use identity::{IdentityHasher, whole_record};
pub use jiff::Timestamp;
pub use model::*;
pub use parser::{Framing, ParserContext, RecordParser};
