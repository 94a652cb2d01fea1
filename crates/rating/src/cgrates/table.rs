//! Reading one CGRateS tariff-plan CSV: rows with their line numbers.
//!
//! CGRateS files start with a `#`-commented header, may hold blank lines
//! and `#` comment lines anywhere (often padded with commas), and trim
//! nothing themselves; fields are trimmed here, and empty lines skipped.

use std::path::{Path, PathBuf};

use super::CgratesError;

/// A CSV file of a tariff plan, read whole.
pub(crate) struct Table {
    pub(crate) path: PathBuf,
    pub(crate) rows: Vec<Row>,
}

/// One data row: its 1-based line and trimmed fields.
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) fields: Vec<String>,
}

impl Table {
    /// Reads `dir/name`; a missing file is an error unless `optional`, in
    /// which case it reads as empty.
    pub(crate) fn read(dir: &Path, name: &str, optional: bool) -> Result<Table, CgratesError> {
        let path = dir.join(name);
        if optional && !path.exists() {
            return Ok(Table { path, rows: Vec::new() });
        }
        let bytes = std::fs::read(&path).map_err(|error| CgratesError {
            location: path.display().to_string(),
            message: format!("cannot read: {error}"),
        })?;
        // Comment lines are recognised here rather than by the reader, so
        // that line numbers count them.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let mut rows = Vec::new();
        let mut record = csv::StringRecord::new();
        let (mut counted_to, mut line) = (0usize, 1u64);
        let mut line_at = |offset: u64| {
            let offset = usize::try_from(offset).unwrap_or(usize::MAX).min(bytes.len());
            if offset > counted_to {
                line += bytes[counted_to..offset].iter().filter(|b| **b == b'\n').count() as u64;
                counted_to = offset;
            }
            line
        };
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(error) => {
                    let line = error.position().map_or(0, |p| line_at(p.byte()));
                    return Err(CgratesError::at(&path, line, error.to_string()));
                }
            }
            let line = record.position().map_or(0, |p| line_at(p.byte()));
            let fields: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
            if fields.iter().all(String::is_empty) || fields[0].starts_with('#') {
                continue;
            }
            rows.push(Row { line, fields });
        }
        Ok(Table { path, rows })
    }

    /// An error about `row` of this file.
    pub(crate) fn error(&self, row: &Row, message: impl Into<String>) -> CgratesError {
        CgratesError::at(&self.path, row.line, message)
    }

    /// The row's fields, if it has one of the accepted column counts;
    /// otherwise an error naming the expected columns.
    pub(crate) fn columns<'r>(
        &self,
        row: &'r Row,
        counts: &[usize],
        names: &str,
    ) -> Result<&'r [String], CgratesError> {
        if counts.contains(&row.fields.len()) {
            Ok(&row.fields)
        } else {
            Err(self.error(
                row,
                format!("expected {} columns ({names}), found {}", counts[0], row.fields.len()),
            ))
        }
    }
}
