//! The first lines of a CUCM flat file: the header of quoted column names and
//! the line of SQL type names under it.
//!
//! Column sets differ between releases (3.x files have about 50 columns,
//! 15.x files 133) and Cisco's own spelling is inconsistent
//! (`globalCallID_callId` next to `globalCallId_ClusterID`), so columns are
//! found by name, case-insensitively, never by position.

use crate::known_columns::CISCO_COLUMN_NAMES;
use crate::split::Fields;
use cdr::{ParseError, Text, text};
use std::collections::HashMap;

/// Which kind of record a file holds; CUCM writes CDRs and CMRs to separate
/// files with different columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// Call detail records (`cdrRecordType` 1).
    Cdr,
    /// Call management records: per-leg voice quality (`cdrRecordType` 2).
    Cmr,
}

/// The column names of one file.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// Names as written, in column order.
    names: Vec<Text>,
    /// Lower-cased name → first column with that name.
    positions: HashMap<String, usize>,
}

impl Header {
    pub(crate) fn from_fields(fields: &Fields<'_>) -> Header {
        let names: Vec<Text> = fields.iter().map(interned_name).collect();
        let mut positions = HashMap::with_capacity(names.len());
        for (index, name) in names.iter().enumerate() {
            positions.entry(name.as_str().to_ascii_lowercase()).or_insert(index);
        }
        Header { names, positions }
    }

    pub(crate) fn width(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = (usize, &Text)> {
        self.names.iter().enumerate()
    }

    /// The column called `name`, compared case-insensitively.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.positions.get(&name.to_ascii_lowercase()).copied()
    }

    /// The column called `name`; without it no row of the file can be read.
    pub(crate) fn require(&self, name: &str) -> Result<usize, ParseError> {
        self.find(name).ok_or_else(|| ParseError::field(name, "column missing from the header"))
    }

    /// CMR files are told apart by columns only they have; anything else is
    /// read as a CDR file, so a CDR header lacking a required column gets an
    /// error naming that column.
    pub(crate) fn kind(&self) -> FileKind {
        let cmr_only = ["callIdentifier", "dateTimeStamp", "varVQMetrics"];
        if self.find("dateTimeOrigination").is_none()
            && cmr_only.iter().any(|name| self.find(name).is_some())
        {
            FileKind::Cmr
        } else {
            FileKind::Cdr
        }
    }
}

/// Is this line a header? Every CUCM header starts with `cdrRecordType`;
/// seeing it again later means files were concatenated.
pub(crate) fn is_header_line(fields: &Fields<'_>) -> bool {
    fields.len() > 0 && text::trim(fields.get(0)).eq_ignore_ascii_case(b"cdrRecordType")
}

/// Is this the line of SQL type names (`INTEGER`, `VARCHAR(50)`,
/// `UNIQUEIDENTIFIER`) that CUCM writes right under the header? Every field
/// must have that shape, so a damaged data row is never mistaken for it.
pub(crate) fn is_type_line(fields: &Fields<'_>) -> bool {
    fields.len() > 0 && fields.iter().all(|field| is_sql_type_name(text::trim(field)))
}

/// `NAME` or `NAME(digits[,digits])`, the name made of letters, digits,
/// blanks and underscores and starting with a letter.
fn is_sql_type_name(field: &[u8]) -> bool {
    let (name, size) = match field.iter().position(|b| *b == b'(') {
        Some(open) => (&field[..open], Some(&field[open..])),
        None => (field, None),
    };
    let name_ok = name.first().is_some_and(u8::is_ascii_alphabetic)
        && name.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' '));
    let size_ok = match size {
        None => true,
        Some(size) => {
            size.len() >= 3
                && size.last() == Some(&b')')
                && size[1..size.len() - 1].iter().all(|b| b.is_ascii_digit() || *b == b',')
        }
    };
    name_ok && size_ok
}

/// A header name as written; Cisco's own names become static text.
fn interned_name(field: &[u8]) -> Text {
    let name = text::lossy(field);
    match CISCO_COLUMN_NAMES.iter().find(|known| **known == name) {
        Some(known) => Text::const_new(known),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::FieldSplitter;

    #[test]
    fn sql_type_names() {
        for name in ["INTEGER", "VARCHAR(50)", "UNIQUEIDENTIFIER", "DECIMAL(10,2)", "TEXT"] {
            assert!(is_sql_type_name(name.as_bytes()), "{name}");
        }
        for name in ["", "1", "VARCHAR(", "VARCHAR()", "INT)", "5033466594", "a-b"] {
            assert!(!is_sql_type_name(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn columns_are_found_case_insensitively_and_names_kept_as_written() {
        let mut splitter = FieldSplitter::default();
        let fields = splitter.split(br#""CDRRECORDTYPE","origIpAddr","Duration""#).unwrap();
        let header = Header::from_fields(&fields);
        assert_eq!(header.find("cdrRecordType"), Some(0));
        assert_eq!(header.find("duration"), Some(2));
        let names: Vec<&Text> = header.names().map(|(_, name)| name).collect();
        assert_eq!(names, ["CDRRECORDTYPE", "origIpAddr", "Duration"]);
        assert_eq!(names[1].as_static_str(), None, "short names stay inline");
        assert_eq!(
            header.require("dateTimeOrigination").unwrap_err().to_string(),
            "field dateTimeOrigination: column missing from the header"
        );
    }

    #[test]
    fn long_cisco_names_are_static() {
        let mut splitter = FieldSplitter::default();
        let fields = splitter.split(br#""origMediaTransportAddress_IP""#).unwrap();
        let header = Header::from_fields(&fields);
        let (_, name) = header.names().next().unwrap();
        assert_eq!(name.as_static_str(), Some("origMediaTransportAddress_IP"));
    }
}
