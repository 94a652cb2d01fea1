use crate::Location;
use std::fmt;

/// Why one raw record could not be turned into a CDR. The caller adds the
/// location; see [`LocatedError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The field (column name, data item) that was wrong, if one was.
    pub field: Option<String>,
    pub message: String,
}

impl ParseError {
    /// An error about one field: `field dateTimeOrigination: not a number: "abc"`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ParseError { field: Some(field.into()), message: message.into() }
    }
    /// An error about the record as a whole (wrong length, too few columns…).
    pub fn record(message: impl Into<String>) -> Self {
        ParseError { field: None, message: message.into() }
    }
    pub fn at(self, location: Location) -> LocatedError {
        LocatedError { location, error: self }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "field {field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// A parse error with the place of the record it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedError {
    pub location: Location,
    pub error: ParseError,
}

impl fmt::Display for LocatedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.error)
    }
}

impl std::error::Error for LocatedError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_error_reads_file_line_field_reason() {
        let e = ParseError::field("dateTimeOrigination", "not a number: \"abc\"")
            .at(Location::line("cdr.txt", 7));
        assert_eq!(e.to_string(), "cdr.txt:7: field dateTimeOrigination: not a number: \"abc\"");
        let e =
            ParseError::record("expected 97 characters, got 12").at(Location::offset("pbx1", 4096));
        assert_eq!(e.to_string(), "pbx1@4096: expected 97 characters, got 12");
    }
}
