//! Errors in a format definition (the TOML an administrator writes), as
//! opposed to errors in the records it later reads.

use std::fmt;
use std::ops::Range;

/// Why a format definition was refused, with its place in the TOML text
/// when one is known, so the administrator can go straight to the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// 1-based line and column of the offending value, if known.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl DefinitionError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        DefinitionError { position: None, message: message.into() }
    }

    /// An error about the value found at `span` (byte range) in `text`.
    pub(crate) fn at(text: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        DefinitionError { position: Some(line_column(text, span.start)), message: message.into() }
    }

    pub(crate) fn from_toml(text: &str, error: &toml::de::Error) -> Self {
        let message = error.message().trim().to_string();
        match error.span() {
            Some(span) => DefinitionError::at(text, span, message),
            None => DefinitionError::new(message),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "line {line}, column {column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DefinitionError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
