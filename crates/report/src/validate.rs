//! Checks run before any byte is written, so a bad report fails whole
//! instead of leaving a half-written file.

use std::collections::HashSet;

use crate::error::ReportError;
use crate::model::{Kind, Report, Table};

impl Report {
    /// Every writer calls this first. Checks that column and total keys are
    /// unique and non-empty, that currencies are ISO 4217 shaped, that each
    /// row has one cell per column and that each cell fits its column.
    pub fn validate(&self) -> Result<(), ReportError> {
        let mut total_keys = HashSet::new();
        for total in &self.totals {
            check_key(&total.key, &mut total_keys, "total")?;
            check_kind(&total.kind, &format!("total {:?}", total.key))?;
            if !total.value.fits(&total.kind) {
                return Err(ReportError::invalid(format!(
                    "total {:?}: expected {}, found {}",
                    total.key,
                    total.kind.name(),
                    total.value.describe()
                )));
            }
        }
        for table in &self.sections {
            validate_table(table)?;
        }
        Ok(())
    }
}

fn validate_table(table: &Table) -> Result<(), ReportError> {
    let name = &table.name.en;
    let mut keys = HashSet::new();
    for column in &table.columns {
        check_key(&column.key, &mut keys, &format!("table {name:?} column"))?;
        check_kind(&column.kind, &format!("table {name:?} column {:?}", column.key))?;
    }
    for (index, row) in table.rows.iter().enumerate() {
        // Rows are numbered from 1 as a reader counts them.
        let number = index + 1;
        if row.cells.len() != table.columns.len() {
            return Err(ReportError::invalid(format!(
                "table {name:?} row {number}: {} cells for {} columns",
                row.cells.len(),
                table.columns.len()
            )));
        }
        for (cell, column) in row.cells.iter().zip(&table.columns) {
            if !cell.fits(&column.kind) {
                return Err(ReportError::invalid(format!(
                    "table {name:?} row {number} column {:?}: expected {}, found {}",
                    column.key,
                    column.kind.name(),
                    cell.describe()
                )));
            }
        }
    }
    Ok(())
}

fn check_key<'a>(key: &'a str, seen: &mut HashSet<&'a str>, what: &str) -> Result<(), ReportError> {
    if key.is_empty() {
        return Err(ReportError::invalid(format!("{what} with an empty key")));
    }
    if !seen.insert(key) {
        return Err(ReportError::invalid(format!("{what} key {key:?} repeated")));
    }
    Ok(())
}

fn check_kind(kind: &Kind, what: &str) -> Result<(), ReportError> {
    if let Kind::Money { currency } = kind {
        let iso = currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
        if !iso {
            return Err(ReportError::invalid(format!(
                "{what}: currency {currency:?} is not an ISO 4217 code"
            )));
        }
    }
    Ok(())
}
