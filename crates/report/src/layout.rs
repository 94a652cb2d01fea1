//! What every writer puts around and into its tables, computed once so the
//! formats agree: the header lines, the totals lines, and the label a
//! subtotal or total row gets when its first cell is left empty.

use crate::lang::{Lang, Word};
use crate::model::{Cell, Kind, Period, Report, Row, RowStyle, Total};
use crate::value;

/// One `label: value` line of the header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderLine {
    pub label: String,
    pub value: String,
}

/// Period, generation time, author and filters, in that order (the seed's order).
pub(crate) fn header_lines(report: &Report, lang: Lang) -> Vec<HeaderLine> {
    let header = &report.header;
    let mut lines = Vec::with_capacity(3 + header.filters.len());
    if let Some(period) = &header.period {
        lines.push(HeaderLine {
            label: lang.word(Word::Period).to_owned(),
            value: period_text(period, lang),
        });
    }
    lines.push(HeaderLine {
        label: lang.word(Word::Generated).to_owned(),
        value: value::datetime(&header.generated_at),
    });
    lines.push(HeaderLine {
        label: lang.word(Word::CreatedBy).to_owned(),
        value: header.created_by.clone(),
    });
    for filter in &header.filters {
        lines.push(HeaderLine {
            label: filter.name.get(lang).to_owned(),
            value: filter.value.clone(),
        });
    }
    lines
}

/// `从 2000-10-09 00:00:00 UTC+0800 到 2012-11-09 23:59:59 UTC+0800`.
pub(crate) fn period_text(period: &Period, lang: Lang) -> String {
    format!(
        "{} {} {} {}",
        lang.word(Word::From),
        value::datetime(&period.from),
        lang.word(Word::To),
        value::datetime(&period.to)
    )
}

/// The totals as human text lines.
pub(crate) fn total_lines(totals: &[Total], lang: Lang) -> Vec<HeaderLine> {
    totals
        .iter()
        .map(|total| HeaderLine {
            label: total.label.get(lang).to_owned(),
            value: value::human(&total.value),
        })
        .collect()
}

/// The word shown in the first cell of a subtotal or total row whose first
/// column is text and left empty, so such rows are labelled in every format.
pub(crate) fn row_label(row: &Row, index: usize, kind: &Kind, lang: Lang) -> Option<&'static str> {
    if index != 0 || *kind != Kind::Text || !matches!(row.cells.first(), Some(Cell::Empty)) {
        return None;
    }
    match row.style {
        RowStyle::Normal => None,
        RowStyle::Subtotal => Some(lang.word(Word::Subtotal)),
        RowStyle::Total => Some(lang.word(Word::Total)),
    }
}

/// Human text of one table cell, with the row label filled in.
pub(crate) fn human_cell(row: &Row, index: usize, kind: &Kind, lang: Lang) -> String {
    match row_label(row, index, kind, lang) {
        Some(label) => label.to_owned(),
        None => row.cells.get(index).map(value::human).unwrap_or_default(),
    }
}
