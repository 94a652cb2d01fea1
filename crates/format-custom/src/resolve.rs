//! Which column each referenced source field is, once column names are
//! known: at definition load, or when a CSV header line arrives.

use crate::compile::{Format, Slot};
use crate::definition::SourceRef;
use cdr::Text;

#[derive(Debug)]
pub(crate) struct Resolution {
    /// Column index of each slot.
    slot_columns: Vec<usize>,
    /// Name of each slot's column, for errors and identity.
    slot_names: Vec<Text>,
    /// Column names (may be fewer than a record's columns).
    names: Vec<Text>,
    /// Columns that are mapped or ignored, so not extras.
    not_extra: Vec<bool>,
}

impl Resolution {
    /// `case_insensitive` for header lines, whose spelling varies by release.
    pub(crate) fn new(
        format: &Format,
        names: Vec<Text>,
        case_insensitive: bool,
    ) -> Result<Resolution, String> {
        let mut slot_columns = Vec::with_capacity(format.sources.len());
        for source in &format.sources {
            let column = match source {
                SourceRef::Index(i) => usize::try_from(*i).unwrap_or(1).saturating_sub(1),
                SourceRef::Name(name) => names
                    .iter()
                    .position(|n| {
                        if case_insensitive { n.eq_ignore_ascii_case(name) } else { n == name }
                    })
                    .ok_or_else(|| format!("header has no column {name:?}"))?,
            };
            slot_columns.push(column);
        }
        let slot_names = slot_columns.iter().map(|&c| column_name(&names, c)).collect();
        let width = slot_columns.iter().map(|c| c + 1).max().unwrap_or(0).max(names.len());
        let mut not_extra = vec![false; width];
        for &slot in format.consumed.iter().chain(&format.ignored) {
            if let Some(flag) = slot_columns.get(slot).and_then(|&c| not_extra.get_mut(c)) {
                *flag = true;
            }
        }
        Ok(Resolution { slot_columns, slot_names, names, not_extra })
    }

    pub(crate) fn column(&self, slot: Slot) -> usize {
        self.slot_columns.get(slot).copied().unwrap_or(usize::MAX)
    }

    pub(crate) fn slot_name(&self, slot: Slot) -> &str {
        self.slot_names.get(slot).map_or("?", |n| n.as_str())
    }

    pub(crate) fn is_extra(&self, column: usize) -> bool {
        !self.not_extra.get(column).copied().unwrap_or(false)
    }

    pub(crate) fn column_name(&self, column: usize) -> Text {
        column_name(&self.names, column)
    }
}

fn column_name(names: &[Text], column: usize) -> Text {
    match names.get(column) {
        Some(name) => name.clone(),
        None => Text::from(format!("column {}", column + 1)),
    }
}
