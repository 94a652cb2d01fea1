use crate::{ParseError, Parsed, Timestamp};
use jiff::tz::TimeZone;

/// How a byte stream is cut into raw records before parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One record per line; `\n` ends a record and a trailing `\r` is dropped.
    Lines,
    /// One record per line, but a newline inside a double-quoted CSV field
    /// does not end the record.
    QuotedLines,
    /// The whole input is one record (a JSON document per file), unless it
    /// holds one JSON document per line.
    Document,
}

/// What every parser may need to know about the PBX it reads.
#[derive(Debug, Clone)]
pub struct ParserContext {
    /// The PBX's time zone, for formats that write local times.
    pub time_zone: TimeZone,
    /// When the records were received (file modification time, or now);
    /// formats that omit the year infer it from this: the latest year that
    /// does not put the call more than a day after `received`.
    pub received: Timestamp,
}

impl Default for ParserContext {
    fn default() -> Self {
        ParserContext { time_zone: TimeZone::UTC, received: Timestamp::now() }
    }
}

/// Turns raw records of one format into [`Parsed`] values.
///
/// A parser is created per input (file or connection) because some formats
/// carry state from record to record (a CUCM file's header line names its
/// columns). It must never panic, whatever the bytes; it returns an error
/// that names the field instead of guessing.
pub trait RecordParser: Send {
    /// Parses one raw record, without its terminator.
    fn parse(&mut self, raw: &[u8]) -> Result<Parsed, ParseError>;

    /// How the input is cut into records for this parser.
    fn framing(&self) -> Framing {
        Framing::Lines
    }

    /// For formats whose records can only be read after an earlier line
    /// (a CUCM header naming the columns): that line, so a quarantined
    /// record can be parsed again later on its own.
    fn header(&self) -> Option<&[u8]> {
        None
    }
}
