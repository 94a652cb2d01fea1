//! The line-by-line state of one CUCM file: header first, then the type
//! line, then rows.

use crate::cdr_record::CdrLayout;
use crate::cmr_record::CmrLayout;
use crate::header::{FileKind, Header, is_header_line, is_type_line};
use crate::split::{FieldSplitter, Fields};
use cdr::{Framing, ParseError, Parsed, RecordParser, text};

/// Reads one CUCM flat file, CDR or CMR (told apart by the header's columns).
///
/// Create one parser per file: the first non-blank line is the header, and
/// it decides how every later line is read.
pub struct CucmParser {
    splitter: FieldSplitter,
    state: State,
    /// The raw header line last read, handed out by [`RecordParser::header`].
    header_line: Option<Vec<u8>>,
}

enum State {
    /// Nothing but blank lines yet.
    AwaitingHeader,
    /// A header was read; `type_line_next` while the line after it has not
    /// been seen.
    Reading { layout: Layout, type_line_next: bool },
    /// The header lacks a required column: no row can be read, and each one
    /// gets the header's error.
    Unreadable(ParseError),
}

enum Layout {
    Cdr(Box<CdrLayout>),
    Cmr(Box<CmrLayout>),
}

impl Layout {
    fn from_header(header: &Header) -> Result<Layout, ParseError> {
        Ok(match header.kind() {
            FileKind::Cdr => Layout::Cdr(Box::new(CdrLayout::new(header)?)),
            FileKind::Cmr => Layout::Cmr(Box::new(CmrLayout::new(header)?)),
        })
    }

    fn width(&self) -> usize {
        match self {
            Layout::Cdr(layout) => layout.width(),
            Layout::Cmr(layout) => layout.width(),
        }
    }

    /// Maps a row whose width matches the header.
    fn parse_row(&self, fields: &Fields<'_>) -> Result<Parsed, ParseError> {
        let (raw_type, expected) = match self {
            Layout::Cdr(layout) => (layout.record_type(fields), RecordType::EndOfCall),
            Layout::Cmr(layout) => (layout.record_type(fields), RecordType::Quality),
        };
        let record_type = RecordType::parse(raw_type)?;
        if record_type == RecordType::Start {
            // Start records are defined but CUCM never writes them.
            return Ok(Parsed::NotARecord);
        }
        if record_type != expected {
            return Err(ParseError::field(
                "cdrRecordType",
                format!(
                    "{} record in a {} file: {:?}",
                    record_type.name(),
                    expected.name(),
                    text::lossy(raw_type)
                ),
            ));
        }
        Ok(match self {
            Layout::Cdr(layout) => Parsed::Cdr(Box::new(layout.parse(fields)?)),
            Layout::Cmr(layout) => Parsed::Quality(Box::new(layout.parse(fields)?)),
        })
    }
}

/// `cdrRecordType`: 0 start (unused), 1 end-of-call CDR, 2 CMR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecordType {
    Start,
    EndOfCall,
    Quality,
}

impl RecordType {
    fn parse(bytes: &[u8]) -> Result<RecordType, ParseError> {
        let s = text::utf8("cdrRecordType", bytes)?;
        match text::u32_field("cdrRecordType", s)? {
            0 => Ok(RecordType::Start),
            1 => Ok(RecordType::EndOfCall),
            2 => Ok(RecordType::Quality),
            _ => Err(ParseError::field("cdrRecordType", format!("unknown record type: {s:?}"))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            RecordType::Start => "start",
            RecordType::EndOfCall => "CDR",
            RecordType::Quality => "CMR",
        }
    }
}

impl CucmParser {
    pub fn new() -> Self {
        CucmParser {
            splitter: FieldSplitter::default(),
            state: State::AwaitingHeader,
            header_line: None,
        }
    }
}

impl Default for CucmParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordParser for CucmParser {
    fn parse(&mut self, raw: &[u8]) -> Result<Parsed, ParseError> {
        if text::trim(raw).is_empty() {
            return Ok(Parsed::NotARecord);
        }
        let fields = self.splitter.split(raw)?;
        if matches!(self.state, State::AwaitingHeader) || is_header_line(&fields) {
            let header = Header::from_fields(&fields);
            self.header_line = Some(raw.to_vec());
            return match Layout::from_header(&header) {
                Ok(layout) => {
                    self.state = State::Reading { layout, type_line_next: true };
                    Ok(Parsed::NotARecord)
                }
                Err(error) => {
                    self.state = State::Unreadable(error.clone());
                    Err(error)
                }
            };
        }
        match &mut self.state {
            // Taken care of above: the first line read is the header.
            State::AwaitingHeader => Ok(Parsed::NotARecord),
            State::Unreadable(error) => Err(error.clone()),
            State::Reading { layout, type_line_next } => {
                let width = layout.width();
                if fields.len() != width {
                    *type_line_next = false;
                    return Err(ParseError::record(format!(
                        "expected {width} columns, got {}",
                        fields.len()
                    )));
                }
                if std::mem::take(type_line_next) && is_type_line(&fields) {
                    return Ok(Parsed::NotARecord);
                }
                layout.parse_row(&fields)
            }
        }
    }

    fn framing(&self) -> Framing {
        Framing::QuotedLines
    }

    /// The header line: a row set aside can be parsed again later by a new
    /// parser fed this line first.
    fn header(&self) -> Option<&[u8]> {
        self.header_line.as_deref()
    }
}
